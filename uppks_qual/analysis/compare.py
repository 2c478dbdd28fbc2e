"""Group comparison: Fisher's exact test, odds ratios and Benjamini-Hochberg (see
:mod:`uppks_qual.analysis`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from ..errors import ParameterError
from ..params import InstanceOf, Interval, Options, validate_params
from ..schema import validate_codings
from ._common import (
    BY_COLUMNS,
    LEVELS,
    _check_pair,
    _full,
    _key_name,
    _keys,
    _prepare,
    _tally,
    _warn,
    _words,
)

# --------------------------------------------------------------------------------------
# Group comparison
# --------------------------------------------------------------------------------------


def _odds_ratio_ci(table: Sequence[Sequence[float]], *,
                   alpha: float = 0.05) -> tuple[float, float, float]:
    """Sample odds ratio of a 2x2 table with Woolf's logit confidence interval.

    When any cell is zero, 0.5 is added to every cell first (Haldane-Anscombe).
    """
    cells = np.asarray(table, dtype="float64")
    if (cells == 0).any():
        cells = cells + 0.5
    log_or = math.log(cells[0, 0] * cells[1, 1] / (cells[0, 1] * cells[1, 0]))
    se = math.sqrt(float((1.0 / cells).sum()))
    z = float(stats.norm.ppf(1 - alpha / 2))
    return math.exp(log_or), math.exp(log_or - z * se), math.exp(log_or + z * se)


def _bh_adjust(p_values: ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (the step-up FDR procedure), in input order.

    :func:`scipy.stats.false_discovery_control` with ``method="bh"``; an empty input gives an
    empty array.
    """
    p = np.asarray(p_values, dtype="float64")
    return np.asarray(stats.false_discovery_control(p, method="bh"), dtype="float64")


def _fmt(x: float) -> str:
    """An odds ratio or CI bound to about two significant digits (2.3, 0.54, 12, 0.048)."""
    if not math.isfinite(x) or x >= 10:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.1f}"
    return f"{x:.2f}" if x >= 0.1 else f"{x:.2g}"


def _fmt_p(p: float) -> str:
    if p < 0.001:
        return "<0.001"
    return f"={p:.3f}" if p < 0.1 else f"={p:.2f}"


def _sentence(row: pd.Series, a: str, b: str, alpha: float) -> str:
    """Plain-language reading of one comparison row."""
    numbers_ = (f"OR {_fmt(row['odds_ratio'])}, {100 * (1 - alpha):g}% CI "
                f"{_fmt(row['ci_low'])}-{_fmt(row['ci_high'])}, "
                f"adjusted p{_fmt_p(row['p_adjusted'])}")
    key = row.iloc[0]
    if row["significant"] and row["rate_a"] != row["rate_b"]:
        more = a if row["rate_a"] > row["rate_b"] else b
        return f"{key} is coded more often in {more} ({numbers_})"
    return f"{key}: no clear difference between {a} and {b} ({numbers_})"


def _group_totals(func: str, df: pd.DataFrame, work: pd.DataFrame, by: str,
                  groups: Sequence[Any], documents: pd.DataFrame | None) -> list[int]:
    if documents is None:
        totals = work["_by"].value_counts()
        what = "codings"
    else:
        totals = _words(func, documents, by, df)
        what = "words in documents"
    out = [int(totals.get(g, 0)) for g in groups]
    for name, group, total in zip(("a", "b"), groups, out, strict=True):
        if total == 0:
            raise ParameterError(
                f"The {name!r} parameter of {func} must be a value of {by!r} with {what} to "
                f"compare. Got {group!r}, which has no {what}, instead.",
                parameter=name, function=func, value=group)
    return out


def _warn_small(frame: pd.DataFrame, a: str, b: str, min_count: int) -> None:
    small = [f"{row.iloc[0]} in {g}: {c}" for _, row in frame.iterrows()
             for g, c in ((a, row["count_a"]), (b, row["count_b"])) if c < min_count]
    if small:
        _warn(f"{len(small)} count(s) below min_count={min_count} ({'; '.join(small)}): numbers "
              "this small mean little; read the odds ratios and p-values as descriptive at most",
              UserWarning)


def _compare_rows(keys: Sequence[Any], counts: pd.DataFrame, a: str, b: str,
                  totals: Sequence[int], per_words: bool, alpha: float) -> list[dict[str, Any]]:
    rows = []
    scale = 1000.0 if per_words else 1.0
    for key in keys:
        ca, cb = int(counts.loc[(a, key), "codings"]), int(counts.loc[(b, key), "codings"])
        if ca + cb == 0:
            continue
        table = [[ca, totals[0] - ca], [cb, totals[1] - cb]]
        odds, low, high = _odds_ratio_ci(table, alpha=alpha)
        rows.append({
            "key": key, "count_a": ca, "count_b": cb, "total_a": totals[0], "total_b": totals[1],
            "rate_a": scale * ca / totals[0], "rate_b": scale * cb / totals[1],
            "odds_ratio": odds, "ci_low": low, "ci_high": high,
            "p_value": float(stats.fisher_exact(table, alternative="two-sided")[1]),
        })
    return rows


@validate_params({
    "by": [Options(*BY_COLUMNS)],
    "level": [Options(*LEVELS)],
    "documents": [InstanceOf(pd.DataFrame, what="a DataFrame"), None],
    "min_count": [Interval(int, 0, None)],
    "alpha": [Interval(float, 0, 1, closed="neither")],
})
def compare_groups(
    df: pd.DataFrame,
    a: str = "Asoka",
    b: str = "Melati",
    *,
    by: str = "group",
    level: str = "factor",
    documents: pd.DataFrame | None = None,
    min_count: int = 5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Compare how often each factor is coded in two groups, with Fisher's exact test.

    For each factor coded in at least one of the two groups the 2x2 table

    ``[[count_a, total_a - count_a], [count_b, total_b - count_b]]``

    is tested with :func:`scipy.stats.fisher_exact` (two-sided). Without ``documents`` the
    totals are each group's number of codings, so the test asks whether the factor takes a
    bigger *share of the group's codings*; with ``documents`` the totals are the words of the
    group's documents, so the test asks whether the factor is coded more often *per word of
    material* (each word treated as an opportunity for a coding), and rates are per 1,000
    words.

    The odds ratio is the sample odds ratio ``(count_a * (total_b - count_b)) /
    ((total_a - count_a) * count_b)``; its confidence interval (level ``1 - alpha``) is Woolf's
    logit interval ``exp(log OR ± z * sqrt(1/n11 + 1/n12 + 1/n21 + 1/n22))``. When any cell is
    zero, 0.5 is added to every cell first (Haldane-Anscombe). p-values are adjusted over the
    factors tested with the Benjamini-Hochberg procedure
    (:func:`scipy.stats.false_discovery_control`); ``significant`` is ``p_adjusted < alpha``.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    a, b : str, default "Asoka", "Melati"
        The two values of ``by`` to compare.
    by : str, default "group"
        Metadata column, one of :data:`BY_COLUMNS` (with ``documents``, a document attribute).
    level : {"factor", "code"}, default "factor"
    documents : DataFrame, optional
        ``doc_id``, ``n_words`` and ``by``: compare rates per word instead of shares.
    min_count : int, default 5
        Warn (UserWarning) when any count is below this.
    alpha : float, default 0.05
        Significance level for ``significant`` and the confidence level ``1 - alpha``.

    Returns
    -------
    DataFrame
        One row per factor with ``factor`` (or ``code``), ``group_a``, ``group_b``,
        ``count_a``, ``count_b``, ``total_a``, ``total_b``, ``rate_a``, ``rate_b`` (share of
        the group's codings, or codings per 1,000 words), ``difference = rate_a - rate_b``,
        ``odds_ratio``, ``ci_low``, ``ci_high``, ``p_value``, ``p_adjusted``, ``significant``
        and ``summary``, a sentence such as "leadership is coded more often in Asoka (OR 2.3,
        95% CI 1.4-3.8, adjusted p=0.004)".

    Raises
    ------
    ParameterError
        If ``a`` or ``b`` is not a value of ``by``, they are equal, a group has no codings
        (or words), or a parameter is out of range.

    Warns
    -----
    UserWarning
        When any count is below ``min_count``.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> rows = ([{"group": "Asoka", "code_id": "leadership"}] * 8
    ...         + [{"group": "Asoka", "code_id": "partnerships"}] * 2
    ...         + [{"group": "Melati", "code_id": "leadership"}] * 1
    ...         + [{"group": "Melati", "code_id": "partnerships"}] * 5)
    >>> df = codings_frame([dict(r, doc_id="d", start=0, end=1) for r in rows])
    >>> result = compare_groups(df, min_count=0)
    >>> result[["factor", "count_a", "count_b"]].to_numpy().tolist()
    [['leadership', 8, 1], ['partnerships', 2, 5]]
    >>> print(result.loc[0, "summary"])
    leadership is coded more often in Asoka (OR 20, 95% CI 1.4-282, adjusted p=0.035)
    """
    validate_codings(df)
    func = "compare_groups"
    _check_pair(func, df, by, a, b)
    work = _prepare(df, by, level)
    totals = _group_totals(func, df, work, by, (a, b), documents)
    keys = _keys(df, level)
    counts = _full(_tally(work), [a, b], keys)
    rows = _compare_rows(keys, counts, a, b, totals, documents is not None, alpha)
    name = _key_name(level)
    out = pd.DataFrame(rows, columns=[
        "key", "count_a", "count_b", "total_a", "total_b", "rate_a", "rate_b",
        "odds_ratio", "ci_low", "ci_high", "p_value"]).rename(columns={"key": name})
    out.insert(1, "group_a", a)
    out.insert(2, "group_b", b)
    out.insert(9, "difference", out["rate_a"] - out["rate_b"])
    out["p_adjusted"] = _bh_adjust(out["p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    out["summary"] = [_sentence(row, a, b, alpha) for _, row in out.iterrows()]
    out[name] = pd.Categorical(out[name], categories=keys)
    _warn_small(out, a, b, min_count)
    return out
