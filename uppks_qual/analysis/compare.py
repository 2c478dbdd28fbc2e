"""Group comparison (see :mod:`uppks_qual.analysis`).

Cases as the unit (:func:`compare_groups`, :func:`pairwise_comparisons`, the default): shares
of cases and mean case balances, cluster-bootstrap intervals, permutation over cases,
Fisher's exact test on cases, optionally a GEE model. Codings as the unit, a description of
how much the material talks about a factor (:func:`compare_coding_rates`,
:func:`group_differences`, ``unit="coding"``): Fisher's exact test, odds ratios and chi-square
tests on codings. Benjamini-Hochberg over every table.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..errors import ParameterError
from ..params import InstanceOf, Interval, Options, validate_params
from ..schema import validate_codings
from ._cases import case_table
from ._codes import codes_in, count
from ._common import (
    LEVELS,
    _by_values,
    _check_by,
    _check_document_attribute,
    _check_pair,
    _key_name,
    _keys,
    _tally,
    _warn,
    _words,
)
from .cases import (
    CASE_COLUMNS,
    GEE_COLUMNS,
    _case_pair_rows,
    _case_sentence,
    _check_case,
    _check_has_cases,
    _valenced_codings,
    _warn_few_cases,
)

_COMPARE_PARAMS: dict[str, list[Any]] = {
    "level": [Options(*LEVELS)],
    "documents": [InstanceOf(pd.DataFrame, what="a DataFrame"), None],
    "alpha": [Interval(float, 0, 1, closed="neither")],
}
_PAIR_COLUMNS = ["key", "group_a", "group_b", "count_a", "count_b", "total_a", "total_b",
                 "rate_a", "rate_b", "difference", "odds_ratio", "ci_low", "ci_high", "p_value"]

# --------------------------------------------------------------------------------------
# Statistics
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
    from scipy import stats  # scipy.stats costs ~1 s to import: only when testing
    z = float(stats.norm.ppf(1 - alpha / 2))
    return math.exp(log_or), math.exp(log_or - z * se), math.exp(log_or + z * se)


def _bh_adjust(p_values: ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (the step-up FDR procedure), in input order.

    :func:`scipy.stats.false_discovery_control` with ``method="bh"`` over the finite p-values
    (a nan p-value, an undefined test, stays nan and is not counted); an empty input gives an
    empty array.
    """
    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        from scipy import stats
        out[finite] = stats.false_discovery_control(p[finite], method="bh")
    return out


def _chi_square(counts: Sequence[int], totals: Sequence[int]) -> dict[str, float]:
    """Pearson's chi-square test of independence of the k x 2 table ``[count, total - count]``.

    No continuity correction. nan (and a RuntimeWarning) when a column of the table is all
    zeros (every group's total is this factor: nothing varies).
    """
    table = np.array([[c, t - c] for c, t in zip(counts, totals, strict=True)], dtype="float64")
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    if (expected == 0).any():
        _warn("the chi-square test is undefined for a factor that makes up all of every "
              "group's total; returning nan", RuntimeWarning)
        return {"chi2": math.nan, "dof": len(table) - 1, "p_value": math.nan,
                "cramers_v": math.nan, "min_expected": float(expected.min())}
    from scipy import stats
    result = stats.chi2_contingency(table, correction=False)
    chi2 = float(result.statistic)
    return {"chi2": chi2, "dof": int(result.dof), "p_value": float(result.pvalue),
            "cramers_v": math.sqrt(chi2 / n), "min_expected": float(expected.min())}


# --------------------------------------------------------------------------------------
# Plain-language summaries
# --------------------------------------------------------------------------------------


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


def _sentence(row: pd.Series, alpha: float) -> str:
    """Plain-language reading of one comparison row."""
    a, b = row["group_a"], row["group_b"]
    numbers_ = (f"OR {_fmt(row['odds_ratio'])}, {100 * (1 - alpha):g}% CI "
                f"{_fmt(row['ci_low'])}-{_fmt(row['ci_high'])}, "
                f"adjusted p{_fmt_p(row['p_adjusted'])}")
    key = row.iloc[0]
    if row["significant"] and row["rate_a"] != row["rate_b"]:
        more = a if row["rate_a"] > row["rate_b"] else b
        return f"{key} is coded more often in {more} ({numbers_})"
    return f"{key}: no clear difference between {a} and {b} ({numbers_})"


# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------


def _check_rates(func: str, df: pd.DataFrame, by: str, documents: pd.DataFrame | None) -> None:
    """``by`` is a metadata column, and a document attribute when rates are per word."""
    _check_by(func, df, by)
    if documents is not None:
        _check_document_attribute(func, df, by)


def _groups(func: str, df: pd.DataFrame, by: str, groups: Sequence[Any] | None) -> list[Any]:
    """The groups to compare: ``groups`` checked, or every value of ``by`` with codings."""
    known = _by_values(df, by)
    if groups is None:
        present = set(df[by].dropna())
        chosen = [v for v in known if v in present]
        if len(chosen) < 2:
            raise ParameterError(
                f"The 'by' parameter of {func} must be a column with codings in at least two "
                f"values to compare. Got {by!r}, with {chosen!r}, instead.",
                parameter="by", function=func, value=by)
        return chosen
    allowed = Options(*known)
    ok = (isinstance(groups, list | tuple) and len(groups) >= 2
          and len({repr(g) for g in groups}) == len(groups)
          and all(allowed.is_satisfied_by(g) for g in groups))
    if not ok:
        raise ParameterError(
            f"The 'groups' parameter of {func} must be a list of at least two different values "
            f"of the {by!r} column, from {{{', '.join(map(repr, known))}}}, or None. Got "
            f"{groups!r} instead.", parameter="groups", function=func, value=groups)
    return list(groups)


def _group_totals(func: str, df: pd.DataFrame, by: str, groups: Sequence[Any],
                  documents: pd.DataFrame | None, names: Sequence[str]) -> list[int]:
    """Each group's codings (or words); a group with none is a ParameterError naming it."""
    if documents is None:
        out = [int(n) for n in count(codes_in(df[by], groups), len(groups))]
        what = "codings"
    else:
        totals = _words(func, documents, by, df)
        out = [int(totals.get(g, 0)) for g in groups]
        what = "words in documents"
    for name, group, total in zip(names, groups, out, strict=True):
        if total == 0:
            verb = "list values" if name == "groups" else "be a value"
            raise ParameterError(
                f"The {name!r} parameter of {func} must {verb} of {by!r} with {what} to "
                f"compare. Got {group!r}, which has no {what}, instead.",
                parameter=name, function=func, value=group)
    return out


def _counts(func: str, df: pd.DataFrame, by: str, level: str, groups: Sequence[Any],
            documents: pd.DataFrame | None,
            names: Sequence[str]) -> tuple[list[Any], pd.Series, dict[Any, int]]:
    """The keys, the codings per (group, key) and each group's total."""
    totals = _group_totals(func, df, by, groups, documents, names)
    keys = _keys(df, level)
    counts = _tally(df, by, level, list(groups), keys, codings_only=True)["codings"]
    return keys, counts, dict(zip(groups, totals, strict=True))


def _pair_rows(keys: Sequence[Any], counts: pd.Series, a: Any, b: Any, totals: dict[Any, int],
               scale: float, alpha: float) -> list[dict[str, Any]]:
    """One row per key coded in ``a`` or ``b``: counts, rates, odds ratio, Fisher's p."""
    rows = []
    ta, tb = totals[a], totals[b]
    for key in keys:
        ca, cb = int(counts.loc[(a, key)]), int(counts.loc[(b, key)])
        if ca + cb == 0:
            continue
        from scipy import stats
        table = [[ca, ta - ca], [cb, tb - cb]]
        odds, low, high = _odds_ratio_ci(table, alpha=alpha)
        rate_a, rate_b = scale * ca / ta, scale * cb / tb
        rows.append({
            "key": key, "group_a": a, "group_b": b, "count_a": ca, "count_b": cb,
            "total_a": ta, "total_b": tb, "rate_a": rate_a, "rate_b": rate_b,
            "difference": rate_a - rate_b, "odds_ratio": odds, "ci_low": low, "ci_high": high,
            "p_value": float(stats.fisher_exact(table, alternative="two-sided")[1]),
        })
    return rows


def _finish_pairs(rows: list[dict[str, Any]], name: str, keys: Sequence[Any],
                  alpha: float) -> pd.DataFrame:
    """The comparison frame: BH over all rows, ``significant`` and ``summary``."""
    out = pd.DataFrame(rows, columns=_PAIR_COLUMNS)
    out["p_adjusted"] = _bh_adjust(out["p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    out["summary"] = [_sentence(row, alpha) for _, row in out.iterrows()]
    out["key"] = pd.Categorical(out["key"], categories=list(keys))
    return out.rename(columns={"key": name})


def _warn_small(frame: pd.DataFrame, min_count: int) -> None:
    small = [f"{row.iloc[0]} in {row[g]}: {row[c]}" for _, row in frame.iterrows()
             for g, c in (("group_a", "count_a"), ("group_b", "count_b"))
             if row[c] < min_count]
    small = list(dict.fromkeys(small))  # a group's count shows in every pair it is in
    if small:
        _warn(f"{len(small)} count(s) below min_count={min_count} ({'; '.join(small)}): numbers "
              "this small mean little; read the odds ratios and p-values as descriptive at most",
              UserWarning)


# --------------------------------------------------------------------------------------
# Two groups
# --------------------------------------------------------------------------------------


@validate_params({**_COMPARE_PARAMS, "min_count": [Interval(int, 0, None)]})
def compare_coding_rates(
    df: pd.DataFrame,
    a: Any,
    b: Any,
    *,
    by: str = "group",
    level: str = "factor",
    documents: pd.DataFrame | None = None,
    min_count: int = 5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """How much the material of two groups talks about each factor: codings, not cases.

    This is a description of the corpus, **not a test over informants**. It counts codings
    (or words) and tests them with Fisher's exact test as if each coding (or word) were an
    independent trial. They are not: the codings of one informant hang together, and one
    talkative informant can make a factor look frequent in a group. Its p-values and
    intervals therefore overstate how sure we can be about the groups' members; use
    :func:`compare_groups` (cases as the unit, the default) to compare the groups, and this
    table to say how much each group's material is about a factor
    (``compare_groups(..., unit="coding")`` returns this same table).

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
    For more than two groups see :func:`pairwise_comparisons` and :func:`group_differences`.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    a, b
        The two values of ``by`` to compare (e.g. two groups of the study's manifest).
    by : str, default "group"
        Metadata column (see :func:`metadata_columns`; with ``documents``, a document
        attribute). Codings without a value are left out.
    level : {"factor", "code"}, default "factor"
    documents : DataFrame, optional
        ``doc_id``, ``n_words`` (and best ``by``): compare rates per word instead of shares.
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
        and ``summary``, a sentence such as "leadership is coded more often in north (OR 2.3,
        95% CI 1.4-3.8, adjusted p=0.004)".

    Raises
    ------
    ParameterError
        If ``by`` is not a metadata column, ``a`` or ``b`` is not a value of ``by``, they are
        equal, a group has no codings (or words), or a parameter is out of range.

    Warns
    -----
    UserWarning
        When any count is below ``min_count``.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> rows = ([{"group": "north", "code_id": "leadership"}] * 8
    ...         + [{"group": "north", "code_id": "partnerships"}] * 2
    ...         + [{"group": "south", "code_id": "leadership"}] * 1
    ...         + [{"group": "south", "code_id": "partnerships"}] * 5)
    >>> df = codings_frame([dict(r, doc_id="d", start=0, end=1) for r in rows])
    >>> result = compare_coding_rates(df, "north", "south", min_count=0)
    >>> result[["factor", "count_a", "count_b"]].to_numpy().tolist()
    [['leadership', 8, 1], ['partnerships', 2, 5]]
    >>> print(result.loc[0, "summary"])
    leadership is coded more often in north (OR 20, 95% CI 1.4-282, adjusted p=0.035)
    """
    return _coding_rates("compare_coding_rates", df, a, b, by=by, level=level,
                         documents=documents, min_count=min_count, alpha=alpha)


def _coding_rates(func: str, df: pd.DataFrame, a: Any, b: Any, *, by: str, level: str,
                  documents: pd.DataFrame | None, min_count: int,
                  alpha: float) -> pd.DataFrame:
    """:func:`compare_coding_rates`, with ``func`` the name messages give."""
    validate_codings(df)
    _check_rates(func, df, by, documents)
    _check_pair(func, df, by, a, b)
    keys, counts, totals = _counts(func, df, by, level, [a, b], documents, ["a", "b"])
    scale = 1.0 if documents is None else 1000.0
    rows = _pair_rows(keys, counts, a, b, totals, scale, alpha)
    out = _finish_pairs(rows, _key_name(level), keys, alpha)
    _warn_small(out, min_count)
    return out


# --------------------------------------------------------------------------------------
# Two groups, cases as the unit
# --------------------------------------------------------------------------------------

_CASE_PARAMS: dict[str, list[Any]] = {
    "unit": [Options("case", "coding")],
    "confidence": [Interval(float, 0, 1, closed="neither")],
    "n_resamples": [Interval(int, 1, None)],
    "seed": [Interval(int, 0, None), None],
    "model": [Options("gee"), None],
    "min_count": [Interval(int, 0, None)],
}


def _check_unit(func: str, unit: str, documents: pd.DataFrame | None,
                model: str | None) -> None:
    """``documents`` belongs to unit="coding", ``model`` to unit="case"."""
    if unit == "case" and documents is not None:
        raise ParameterError(
            f"The 'documents' parameter of {func} must be None with unit='case' (each case "
            "weighs once: words enter only the coding-level rates of unit='coding'). Got a "
            "DataFrame instead.", parameter="documents", function=func, value="DataFrame")
    if unit == "coding" and model is not None:
        raise ParameterError(
            f"The 'model' parameter of {func} must be None with unit='coding' (the GEE model "
            f"is fitted with cases as clusters, unit='case'). Got {model!r} instead.",
            parameter="model", function=func, value=model)


def _case_comparison(func: str, df: pd.DataFrame, pairs: Sequence[tuple[Any, Any]],
                     names: Sequence[str], *, by: str, level: str, case: str,
                     confidence: float, n_resamples: int, seed: int | None,
                     model: str | None, min_count: int, alpha: float) -> pd.DataFrame:
    """The case-level comparison of every pair of ``pairs``, adjusted over all its rows."""
    groups = list(dict.fromkeys(g for pair in pairs for g in pair))
    column = _check_case(func, df, case, by)
    keys = _keys(df, level)
    rows = df[by].isin(groups).to_numpy()
    table = case_table(df, case=case, by=by, level=level, keys=keys, rows=rows)
    _check_has_cases(func, table, df, by, groups, names, column)
    coded = _valenced_codings(df[rows], column, by, level) if model == "gee" else None
    rng = np.random.default_rng(seed)  # one generator: the whole table is reproducible
    name = _key_name(level)
    rows = [row for a, b in pairs
            for row in _case_pair_rows(table, coded, by, name, keys, a, b, rng=rng,
                                       confidence=confidence, n_resamples=n_resamples)]
    out = pd.DataFrame(rows, columns=CASE_COLUMNS + (GEE_COLUMNS if model else []))
    out["share_p_adjusted"] = _bh_adjust(out["share_p"].to_numpy(float))
    out["p_adjusted"] = _bh_adjust(out["p_value"].to_numpy(float))
    out["significant"] = out["p_adjusted"] < alpha
    out["exact"] = out["exact"].astype(bool)
    out["summary"] = [_case_sentence(row, confidence) for _, row in out.iterrows()]
    out["key"] = pd.Categorical(out["key"], categories=list(keys))
    _warn_few_cases(func, out, min_count)
    return out.rename(columns={"key": name})


@validate_params({**_COMPARE_PARAMS, **_CASE_PARAMS})
def compare_groups(
    df: pd.DataFrame,
    a: Any,
    b: Any,
    *,
    by: str = "group",
    level: str = "factor",
    unit: str = "case",
    case: str = "informant",
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int | None = 0,
    model: str | None = None,
    documents: pd.DataFrame | None = None,
    min_count: int = 5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Compare two groups factor by factor, with cases (informants or documents) as the unit.

    Codings from one informant are not independent trials, so the codings of each case are
    first reduced to one row per factor (:func:`case_matrix`): whether the case mentions the
    factor at all, and the case's own balance ``(positive - negative) / (positive +
    negative)``. Every case then weighs once, whether it talks about the factor fifty times or
    once. Per factor mentioned by a case of either group:

    - **Who mentions it**: the share of each group's cases that mention the factor, the
      difference of shares with a percentile cluster-bootstrap interval, and Fisher's exact
      test (:func:`scipy.stats.fisher_exact`, two-sided) of the 2x2 table ``[[mentioning_a,
      cases_a - mentioning_a], [mentioning_b, cases_b - mentioning_b]]`` of cases.
    - **How it is judged**: the mean case balance of each group over its *valenced* cases
      (those with a positive or negative coding of the factor; neutral codings do not enter
      a balance), their difference ``balance_a - balance_b``, a percentile cluster-bootstrap
      interval (cases resampled with replacement within each group, ``n_resamples`` times)
      and a two-sided permutation test of the difference (the valenced cases relabelled
      between the two groups: every relabelling enumerated when there are at most
      ``n_resamples`` of them, ``exact`` True, else ``n_resamples`` random ones with ``p = (1
      + hits) / (1 + n_resamples)``, which is never 0).

    Both sets of p-values are adjusted over the factors with the Benjamini-Hochberg procedure
    (:func:`scipy.stats.false_discovery_control`); ``significant`` is ``p_adjusted < alpha``
    (the balance test). One generator, ``numpy.random.default_rng(seed)``, draws every
    resample of the call, so the same call gives the same table.

    With ``unit="coding"`` the codings are the unit instead: the table of
    :func:`compare_coding_rates` (how much each group's material talks about a factor, a
    description of the corpus rather than a test over informants).

    Parameters
    ----------
    df : DataFrame
        Codings frame (``project.evidence()``).
    a, b
        The two values of ``by`` to compare (e.g. two groups of the study's manifest).
    by : str, default "group"
        Metadata column (see :func:`metadata_columns`). Codings without a value are left out.
    level : {"factor", "code"}, default "factor"
    unit : {"case", "coding"}, default "case"
        Cases as the unit (this table), or codings (:func:`compare_coding_rates`).
    case : str, default "informant"
        What a case is (unit="case"): ``"informant"`` (the ``case`` column: the person who
        said the passage, or the source document of an observation or document note),
        ``"doc_id"``, or any other metadata column or attribute of the frame except ``by``.
        Codings without a case value are left out. A case with codings in both groups counts
        as a case of each.
    confidence : float, default 0.95
        Confidence level of the bootstrap intervals (unit="case").
    n_resamples : int, default 9999
        Bootstrap resamples, and the most relabellings the permutation test enumerates
        before it samples (unit="case"). The resampling costs ``n_resamples`` times the
        cases, or for large groups (:data:`~uppks_qual.analysis._cases.DRAWS`) times the
        distinct case values (drawn as counts of each value: the same distribution).
    seed : int or None, default 0
        Seed of the call's random generator (unit="case"); None draws fresh entropy (the
        table is then not reproducible).
    model : {"gee"} or None, default None
        ``"gee"`` adds a GEE logistic model per factor (unit="case", needs statsmodels):
        positive vs negative among the valenced codings of the factor, group as covariate
        (``a`` against ``b``), clusters the cases, exchangeable working correlation, robust
        (sandwich) standard errors. It uses every valenced coding while allowing for the
        correlation within a case.
    documents : DataFrame, optional
        Only with unit="coding": rates per 1,000 words (see :func:`compare_coding_rates`).
    min_count : int, default 5
        Warn (one UserWarning) when a mean case balance rests on fewer than this many
        valenced cases (unit="case"), or a count is below it (unit="coding").
    alpha : float, default 0.05
        Significance level for ``significant`` (unit="coding": also the confidence level
        ``1 - alpha`` of the odds ratio's interval).

    Returns
    -------
    DataFrame
        With unit="case", one row per factor mentioned by a case of ``a`` or ``b``, with
        exactly these columns in this order: ``factor`` (or ``code``), ``group_a``,
        ``group_b``, ``cases_a``, ``cases_b`` (the cases of each group in ``df``),
        ``mentioning_a``, ``mentioning_b`` (cases with any coding of the factor), ``share_a``,
        ``share_b``, ``share_difference``, ``share_ci_low``, ``share_ci_high`` (bootstrap),
        ``share_p`` (Fisher's exact test on cases), ``share_p_adjusted``, ``valenced_a``,
        ``valenced_b`` (cases with a defined balance), ``balance_a``, ``balance_b`` (mean case
        balance), ``difference``, ``ci_low``, ``ci_high`` (bootstrap), ``p_value``
        (permutation), ``exact``, ``p_adjusted``, ``significant`` and ``summary``, a sentence
        such as "leadership: mean case balance +0.45 in north vs -0.30 in south (difference
        +0.75, 95% CI +0.40 to +1.10; permutation p=0.002, adjusted 0.01); 9 of 10 vs 8 of 9
        cases mention it". ``model="gee"`` appends ``gee_odds_ratio`` (odds of a positive
        rather than a negative coding in ``a`` over those in ``b``), ``gee_ci_low``,
        ``gee_ci_high`` and ``gee_p`` (Wald test).
        With unit="coding", the table of :func:`compare_coding_rates`.

    Raises
    ------
    ParameterError
        If ``by`` is not a metadata column, ``a`` or ``b`` is not a value of ``by``, they are
        equal, a group has no codings (or no case), ``case`` is not a metadata column or is
        ``by``, ``documents`` is given with unit="case" or ``model`` with unit="coding", or a
        parameter is out of range.

    Warns
    -----
    UserWarning
        When a mean case balance rests on fewer than ``min_count`` valenced cases.

    Notes
    -----
    *Undefined values.* When a group has no valenced case for a factor, its ``balance``,
    the ``difference``, its interval and ``p_value`` are nan (no RuntimeWarning;
    ``exact`` False, ``significant`` False; the summary says so); the GEE columns are nan
    when a group has no valenced coding of the factor, or all of one group's valenced codings
    share one valence (separation: the odds ratio is infinite), or the fit does not converge.

    *Reading the intervals.* ``ci_low`` and ``ci_high`` are the ``(1 - confidence) / 2`` and
    ``(1 + confidence) / 2`` quantiles of the bootstrap differences, a closed interval. A
    difference is clear of zero only when ``ci_low > 0`` (higher in ``a``) or ``ci_high <
    0`` (higher in ``b``); a bound exactly equal to 0 does **not** exclude zero. Such ties are
    common: case balances are often exactly -1, 0 or 1, so the bootstrap differences pile up
    on a few values. The interval and the permutation p are separate procedures and can
    disagree near the boundary; ``significant`` follows ``p_adjusted`` only. With few
    cases the percentile bootstrap is too narrow (a group whose few cases all have the same
    balance adds no spread at all): then read the permutation p.

    Examples
    --------
    Ani (three positive codings of leadership) and Budi (one positive, one negative) in
    north; Dewi and Eka (one negative each) in south, and Fitri, who speaks only of
    partnerships. Mean case balances: north (1 + 0) / 2 = 0.5, south -1. Of the 6 ways to
    split the four balances two and two, the observed one and its mirror image differ by
    1.5, so the permutation p is 2/6:

    >>> from uppks_qual.schema import codings_frame
    >>> said = [("north", "Ani", "leadership", "positive")] * 3 + [
    ...     ("north", "Budi", "leadership", "positive"),
    ...     ("north", "Budi", "leadership", "negative"),
    ...     ("south", "Dewi", "leadership", "negative"),
    ...     ("south", "Eka", "leadership", "negative"),
    ...     ("south", "Fitri", "partnerships", "positive")]
    >>> df = codings_frame([{"doc_id": "d-" + who, "group": g, "informant": who, "start": 0,
    ...                      "end": 1, "code_id": code, "valence": v}
    ...                     for g, who, code, v in said])
    >>> result = compare_groups(df, "north", "south", min_count=0)
    >>> result[["factor", "cases_a", "cases_b", "mentioning_a", "mentioning_b"]].to_numpy().tolist()
    [['leadership', 2, 3, 2, 2], ['partnerships', 2, 3, 0, 1]]
    >>> result.loc[0, ["balance_a", "balance_b", "difference", "p_value"]].astype(float).tolist()
    [0.5, -1.0, 1.5, 0.3333333333333333]
    >>> bool(result.loc[0, "exact"]), result.loc[0, ["ci_low", "ci_high"]].astype(float).tolist()
    (True, [1.0, 2.0])
    >>> print(result.loc[0, "summary"])
    leadership: mean case balance +0.50 in north vs -1.00 in south (difference +1.50, 95% CI +1.00 to +2.00; permutation p=0.33, adjusted 0.33); 2 of 2 vs 2 of 3 cases mention it
    >>> print(result.loc[1, "summary"])
    partnerships: no case in north has a positive or negative coding of it, so there is no balance to compare (mean case balance +1.00 in south); 0 of 2 vs 1 of 3 cases mention it
    """
    validate_codings(df)
    func = "compare_groups"
    _check_unit(func, unit, documents, model)
    if unit == "coding":
        return _coding_rates(func, df, a, b, by=by, level=level, documents=documents,
                             min_count=min_count, alpha=alpha)
    _check_by(func, df, by)
    _check_pair(func, df, by, a, b)
    return _case_comparison(func, df, [(a, b)], ["a", "b"], by=by, level=level, case=case,
                            confidence=confidence, n_resamples=n_resamples, seed=seed,
                            model=model, min_count=min_count, alpha=alpha)


# --------------------------------------------------------------------------------------
# More than two groups
# --------------------------------------------------------------------------------------


@validate_params({**_COMPARE_PARAMS, **_CASE_PARAMS})
def pairwise_comparisons(
    df: pd.DataFrame,
    *,
    by: str = "group",
    groups: Sequence[Any] | None = None,
    level: str = "factor",
    unit: str = "case",
    case: str = "informant",
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int | None = 0,
    model: str | None = None,
    documents: pd.DataFrame | None = None,
    min_count: int = 5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """:func:`compare_groups` for every pair of groups, adjusted over all the tests.

    Each pair ``(a, b)`` of ``groups`` (``a`` before ``b`` in the order of ``groups``) is
    compared as :func:`compare_groups` does: with ``unit="case"`` (the default) cases are the
    unit (shares of cases mentioning a factor, mean case balances, cluster-bootstrap
    intervals, permutation over cases); with ``unit="coding"`` codings are (Fisher's exact
    test, odds ratio with Woolf's interval, shares of codings or rates per 1,000 words: how
    much the material talks about a factor, see :func:`compare_coding_rates`). The
    Benjamini-Hochberg adjustment is then made once over **all** rows (every pair x factor;
    with unit="case" for ``share_p`` and ``p_value`` alike), so ``p_adjusted`` and
    ``significant`` account for every test made, and differ from those of a single
    :func:`compare_groups` call. One random generator, ``numpy.random.default_rng(seed)``,
    draws every resample of the call.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    by : str, default "group"
        Metadata column (see :func:`metadata_columns`; with ``documents``, a document
        attribute). Codings without a value are left out.
    groups : sequence, optional
        At least two different values of ``by``, in the order pairs are formed. Default:
        every value of ``by`` that has codings, in category (or sorted) order.
    level : {"factor", "code"}, default "factor"
    unit : {"case", "coding"}, default "case"
    case, confidence, n_resamples, seed, model
        As in :func:`compare_groups` (unit="case").
    documents : DataFrame, optional
        Only with unit="coding": ``doc_id``, ``n_words`` (and best ``by``): compare rates per
        word instead of shares.
    min_count : int, default 5
        Warn (one UserWarning) when a mean case balance rests on fewer valenced cases
        (unit="case") or a count is below this (unit="coding").
    alpha : float, default 0.05
        Significance level (unit="coding": also the confidence level ``1 - alpha``).

    Returns
    -------
    DataFrame
        The columns of :func:`compare_groups` for the same ``unit``, one row per (pair,
        factor coded in either group of the pair), pairs in order: ``(g1, g2), (g1, g3), ...,
        (g2, g3), ...``.

    Raises
    ------
    ParameterError
        For a bad ``by``, ``groups`` or ``case``, a group without codings (or words, or
        cases), or a parameter out of range.

    Examples
    --------
    Three informants per group, each with one coding of leadership:

    >>> from uppks_qual.schema import codings_frame
    >>> said = {"north": "+++", "south": "--+", "east": "+-0"}
    >>> valence = {"+": "positive", "-": "negative", "0": "neutral"}
    >>> df = codings_frame([{"doc_id": f"{g}{i}", "group": g, "informant": f"{g}{i}",
    ...                      "start": 0, "end": 1, "code_id": "leadership",
    ...                      "valence": valence[v]}
    ...                     for g, vs in said.items() for i, v in enumerate(vs)])
    >>> result = pairwise_comparisons(df, min_count=0)
    >>> result[["group_a", "group_b", "cases_a", "valenced_b"]].to_numpy().tolist()
    [['east', 'north', 3, 3], ['east', 'south', 3, 3], ['north', 'south', 3, 3]]
    >>> result["difference"].round(3).tolist()  # east: (1 - 1) / 2 = 0; south: -1/3
    [-1.0, 0.333, 1.333]
    >>> bool(result["p_adjusted"].ge(result["p_value"]).all())
    True
    """
    validate_codings(df)
    func = "pairwise_comparisons"
    _check_unit(func, unit, documents, model)
    if unit == "case":
        _check_by(func, df, by)
        chosen = _groups(func, df, by, groups)
        return _case_comparison(func, df, list(itertools.combinations(chosen, 2)),
                                ["groups"] * len(chosen), by=by, level=level, case=case,
                                confidence=confidence, n_resamples=n_resamples, seed=seed,
                                model=model, min_count=min_count, alpha=alpha)
    _check_rates(func, df, by, documents)
    chosen = _groups(func, df, by, groups)
    names = ["groups"] * len(chosen)
    keys, counts, totals = _counts(func, df, by, level, chosen, documents, names)
    scale = 1.0 if documents is None else 1000.0
    rows = [row for a, b in itertools.combinations(chosen, 2)
            for row in _pair_rows(keys, counts, a, b, totals, scale, alpha)]
    out = _finish_pairs(rows, _key_name(level), keys, alpha)
    _warn_small(out, min_count)
    return out


def _differences_frame(keys: Sequence[Any], counts: pd.Series, groups: Sequence[Any],
                       totals: dict[Any, int], scale: float) -> pd.DataFrame:
    """One row per key coded in any group: counts, totals, rates and the chi-square test."""
    rows = []
    for key in keys:
        cs = [int(counts.loc[(g, key)]) for g in groups]
        if sum(cs) == 0:
            continue
        ts = [totals[g] for g in groups]
        row: dict[str, Any] = {"key": key}
        row.update({f"count_{g}": c for g, c in zip(groups, cs, strict=True)})
        row.update({f"total_{g}": t for g, t in zip(groups, ts, strict=True)})
        row.update({f"rate_{g}": scale * c / t for g, c, t in zip(groups, cs, ts, strict=True)})
        rows.append({**row, **_chi_square(cs, ts)})
    columns = ["key", *(f"{what}_{g}" for what in ("count", "total", "rate") for g in groups),
               "chi2", "dof", "p_value", "cramers_v", "min_expected"]
    return pd.DataFrame(rows, columns=columns)


@validate_params(_COMPARE_PARAMS)
def group_differences(
    df: pd.DataFrame,
    *,
    by: str = "group",
    groups: Sequence[Any] | None = None,
    level: str = "factor",
    documents: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Does how often each factor is coded differ across several groups? A chi-square test
    on codings.

    This is a coding-level table, like :func:`compare_coding_rates`: it treats every coding
    (or word) as an independent trial, which the codings of one informant are not, so it
    describes how much each group's material talks about a factor and is not a test over
    informants (for that, see :func:`pairwise_comparisons` with ``unit="case"``).

    For each factor coded in at least one group, the k x 2 table with one row
    ``[count, total - count]`` per group is tested for independence with Pearson's
    chi-square test (:func:`scipy.stats.chi2_contingency`, ``k - 1`` degrees of freedom, no
    continuity correction, also for k = 2). Totals are each group's codings, or the words of
    its documents with ``documents`` (as in :func:`compare_coding_rates`, whose totals and
    counts are the same for two groups). p-values are adjusted over the factors with the
    Benjamini-Hochberg procedure. The effect size is Cramér's V, ``sqrt(chi2 / N)`` for a
    table of two columns (``N`` the sum of the totals). Which groups differ: see
    :func:`pairwise_comparisons`.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    by : str, default "group"
        Metadata column (see :func:`metadata_columns`; with ``documents``, a document
        attribute). Codings without a value are left out.
    groups : sequence, optional
        At least two different values of ``by``; default: every value with codings, in
        category (or sorted) order.
    level : {"factor", "code"}, default "factor"
    documents : DataFrame, optional
        ``doc_id``, ``n_words`` (and best ``by``): rates per 1,000 words instead of shares.
    alpha : float, default 0.05
        Significance level for ``significant``.

    Returns
    -------
    DataFrame
        Wide form, one row per factor: ``factor`` (or ``code``); for each group ``g`` of
        ``groups``, in order, ``count_<g>``, then ``total_<g>``, then ``rate_<g>`` (share of
        the group's codings, or codings per 1,000 words; ``<g>`` is ``str(g)``); then
        ``chi2``, ``dof``, ``p_value``, ``cramers_v``, ``min_expected`` (the smallest expected
        count of the table), ``p_adjusted`` and ``significant``. ``chi2`` and the p-values are
        nan, with a RuntimeWarning, when a factor makes up every group's total.

    Raises
    ------
    ParameterError
        For a bad ``by`` or ``groups``, a group without codings (or words), or a parameter out
        of range.

    Warns
    -----
    UserWarning
        When an expected count is below 5 (the chi-square approximation may then be poor;
        :func:`pairwise_comparisons` uses Fisher's exact test).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> rows = [("north", 10), ("south", 4), ("east", 6)]
    >>> df = codings_frame([{"doc_id": g, "group": g, "start": i, "end": i + 1,
    ...                      "code_id": "leadership" if i < n else "partnerships"}
    ...                     for g, n in rows for i in range(20)])
    >>> table = group_differences(df, groups=["north", "south", "east"])
    >>> table.loc[0, ["count_north", "count_south", "count_east"]].tolist()
    [10, 4, 6]
    >>> table.loc[0, ["chi2", "dof", "p_value"]].astype(float).round(4).tolist()
    [4.2, 2.0, 0.1225]
    """
    validate_codings(df)
    func = "group_differences"
    _check_rates(func, df, by, documents)
    chosen = _groups(func, df, by, groups)
    names = ["groups"] * len(chosen)
    keys, counts, totals = _counts(func, df, by, level, chosen, documents, names)
    out = _differences_frame(keys, counts, chosen, totals, 1.0 if documents is None else 1000.0)
    out["p_adjusted"] = _bh_adjust(out["p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    low = out[out["min_expected"] < 5]
    if len(low):
        _warn(f"{func}: {len(low)} factor(s) have an expected count below 5 "
              f"({', '.join(map(str, low['key']))}): the chi-square approximation may be poor; "
              "see pairwise_comparisons for Fisher's exact test", UserWarning)
    out["key"] = pd.Categorical(out["key"], categories=list(keys))
    return out.rename(columns={"key": _key_name(level)})
