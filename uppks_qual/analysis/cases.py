"""Cases as the unit of a group comparison: the case matrix and the case-level statistics of
:func:`~uppks_qual.analysis.compare_groups` (see :mod:`uppks_qual.analysis`).

A case is a person who spoke (or the source document of a note without an informant); the
codings of one case are not independent trials, so each case weighs once: whether it mentions
a factor at all, and its own balance of positive and negative codings.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import Options, check_param, validate_params
from ..schema import CODING_DTYPES, validate_codings
from . import _dask
from ._cases import (
    CASE_ALIASES,
    CasePairs,
    _case_table,
    bootstrap_interval,
    case_column,
    case_pairs,
    permutation_p,
)
from ._codes import column_codes, combine, count_distinct, drop_value
from ._common import LEVELS, _check_by, _key_column, _key_name, _keys, _warn, metadata_columns

__all__ = ["case_matrix"]

CASE_COLUMNS = ["key", "group_a", "group_b", "cases_a", "cases_b", "mentioning_a",
                "mentioning_b", "share_a", "share_b", "share_difference", "share_ci_low",
                "share_ci_high", "share_p", "share_p_adjusted", "valenced_a", "valenced_b",
                "balance_a", "balance_b", "difference", "ci_low", "ci_high", "p_value", "exact",
                "p_adjusted", "significant", "summary"]
"""Columns of the case-level comparison (``key`` renamed ``factor`` or ``code``)."""

GEE_COLUMNS = ["gee_odds_ratio", "gee_ci_low", "gee_ci_high", "gee_p"]
"""Columns added by ``model="gee"``."""

#: Attributes of a case that :func:`case_matrix` reports (values joined when several).
CASE_ATTRIBUTES = ("informant_role", "source_type", "doc_id")


# --------------------------------------------------------------------------------------
# Parameter checks
# --------------------------------------------------------------------------------------


def _check_case(func: str, df: pd.DataFrame, case: object, by: str) -> str:
    """``case`` must be "informant" or a metadata column other than ``by``; its column."""
    allowed = list(dict.fromkeys([*CASE_ALIASES, *metadata_columns(df)]))
    check_param(case, Options(*allowed, what="'informant' (the 'case' column: who said it) or "
                                             "a metadata column of the codings frame, one of"),
                name="case", func=func)
    column = case_column(str(case))
    if column == by:
        raise ParameterError(
            f"The 'case' parameter of {func} must be a column other than by={by!r} (the cases "
            f"are what is counted within each group). Got {case!r} instead.",
            parameter="case", function=func, value=case)
    return column


def _check_has_cases(func: str, table: pd.DataFrame, df: pd.DataFrame, by: str,
                     groups: Sequence[Any], names: Sequence[str], column: str) -> None:
    """Each group of ``groups`` has at least one case; else a ParameterError naming it."""
    present = set(table[by].unique())
    for name, group in zip(names, groups, strict=True):
        if group in present:
            continue
        coded = bool((df[by] == group).any())
        why = f"no codings with a value of {column!r}" if coded else "no codings"
        verb = "list values" if name == "groups" else "be a value"
        raise ParameterError(
            f"The {name!r} parameter of {func} must {verb} of {by!r} with cases to compare. "
            f"Got {group!r}, which has {why}, instead.",
            parameter=name, function=func, value=group)


# --------------------------------------------------------------------------------------
# The case matrix
# --------------------------------------------------------------------------------------


def _joined(column: pd.Series, pairs: CasePairs) -> np.ndarray:
    """Per pair: the distinct non-empty values (as ``str``) of its codings in ``column``,
    sorted and joined with ", " (an object array of str)."""
    codes, values = column_codes(column)
    texts = np.array([str(v) for v in values], dtype=object)
    text_codes, distinct = pd.factorize(texts)  # two values may print the same
    ordered = np.array(sorted(distinct), dtype=object)
    rank = np.append(pd.Index(ordered, dtype=object).get_indexer(distinct)[text_codes], -1)
    ranks = drop_value(rank[codes], pd.Index(ordered, dtype=object), "")
    n_pairs, n_texts = len(pairs.case), len(ordered)
    both, _ = combine((pairs.row, n_pairs), (ranks, n_texts))
    seen = np.sort(pd.unique(both[both >= 0]))  # by pair, then by text
    owner, text = seen // max(n_texts, 1), ordered[seen % max(n_texts, 1)]
    sizes = np.bincount(owner, minlength=n_pairs)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    out = np.full(n_pairs, "", dtype=object)
    single = sizes == 1
    out[single] = text[starts[single]]
    for p in np.flatnonzero(sizes > 1):
        out[p] = ", ".join(text[starts[p]:starts[p] + sizes[p]])
    return out


def _case_attributes(df: pd.DataFrame, pairs: CasePairs, column: str,
                     by: str) -> dict[str, np.ndarray]:
    """Per pair: informant_role, source_type, doc_id (joined) and the extra attribute
    columns of the frame that take one value per case."""
    out = {col: _joined(df[col], pairs) for col in CASE_ATTRIBUTES if col not in (column, by)}
    extras = [c for c in df.columns if c not in CODING_DTYPES and c not in (column, by)]
    for col in extras:
        codes, values = column_codes(df[col], na=True)
        if (count_distinct(pairs.row, len(pairs.case), codes, len(values)) <= 1).all():
            out[col] = df[col].iloc[pairs.first].to_numpy()
    return out


@validate_params({"level": [Options(*LEVELS)]})
def case_matrix(evidence: pd.DataFrame, *, case: str = "informant", level: str = "factor",
                by: str = "group") -> pd.DataFrame:
    """One row per case x factor (or code): what each case said about it, and who the case is.

    The codings of each case (``case``, default the person who said the passage, see
    :mod:`uppks_qual.passages`) are reduced to one row per key: whether the case mentions it
    at all and its own balance ``(positive - negative) / (positive + negative)``. This is the
    table :func:`compare_groups` tests (each case weighs once, however much it talks), to read,
    filter or hand to another statistics package.

    Parameters
    ----------
    evidence : DataFrame or dask.dataframe.DataFrame
        Codings frame (``project.evidence()``), or a Dask frame with its columns: Dask then
        counts the codings per case and key and finds each case's attributes, and only those
        small tables are computed (see :func:`code_frequencies`).
    case : str, default "informant"
        What a case is: ``"informant"`` (the ``case`` column: the speaker, or the source
        document of an observation or document note), ``"doc_id"`` or any other metadata
        column of the frame (:func:`metadata_columns`) except ``by``. Codings without a value
        (missing or empty) are left out.
    level : {"factor", "code"}, default "factor"
    by : str, default "group"
        Metadata column of the groups. Codings without a value are left out; a case with
        codings under two values of ``by`` has a row set under each.

    Returns
    -------
    DataFrame
        Columns ``case``, ``by`` (named after it), ``factor`` (or ``code``), ``present`` (any
        coding of the key), ``positive``, ``negative``, ``neutral``, ``codings``, ``balance``
        (nan, without warning, for a case with no valenced coding of the key), then the
        case's attributes: ``informant_role``, ``source_type`` and ``doc_id`` (the distinct
        values of the case's codings, sorted, joined with ", " when several, such as the
        documents a person speaks in), and every extra attribute column of the frame that
        takes one value per case. An attribute that is ``case`` or ``by`` is not repeated.
        Rows are sorted by ``by``, then case, with every key (all factor categories, or every
        code of the frame) for every case.

    Raises
    ------
    ParameterError
        For a frame that is not a codings frame, an unknown ``by`` or ``case``, ``case`` equal
        to ``by``, or a bad ``level``.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "d1", "informant": "Ani", "group": "A", "start": 0, "end": 1,
    ...      "code_id": "leadership", "valence": "positive"},
    ...     {"doc_id": "d1", "informant": "Ani", "group": "A", "start": 2, "end": 3,
    ...      "code_id": "leadership", "valence": "positive"},
    ...     {"doc_id": "d2", "informant": "Budi", "group": "B", "start": 0, "end": 1,
    ...      "code_id": "leadership", "valence": "negative"}])
    >>> m = case_matrix(df)
    >>> m[["case", "group", "factor", "codings", "balance", "doc_id"]].to_numpy().tolist()
    [['Ani', 'A', 'leadership', 2, 1.0, 'd1'], ['Budi', 'B', 'leadership', 1, -1.0, 'd2']]
    """
    func = "case_matrix"
    if _dask.is_dask(evidence):
        _check_by(func, evidence, by)
        column = _check_case(func, evidence, case, by)
        attributes = [c for c in CASE_ATTRIBUTES if c not in (column, by)]
        keys, counts, distinct = _dask.case_inputs(evidence, func, column=column, by=by,
                                                   level=level, attributes=attributes)
        table = _case_table(counts, case_pairs(counts, column, by), by=by, level=level,
                            keys=keys, weights=counts["n"].to_numpy())
        described = _case_attributes(distinct, case_pairs(distinct, column, by), column, by)
    else:
        validate_codings(evidence, where=func)
        _check_by(func, evidence, by)
        column = _check_case(func, evidence, case, by)
        pairs = case_pairs(evidence, column, by)
        keys = _keys(evidence, level)
        table = _case_table(evidence, pairs, by=by, level=level, keys=keys)
        described = _case_attributes(evidence, pairs, column, by)
    table = table[["case", by, _key_name(level), "present", "positive", "negative", "neutral",
                   "codings", "balance"]].copy()
    for col, values in described.items():
        table[col] = np.repeat(values, len(keys))
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Case-level comparison of two groups (compare_groups, pairwise_comparisons)
# --------------------------------------------------------------------------------------


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else math.nan


def _share_stats(present_a: np.ndarray, present_b: np.ndarray, *, rng: np.random.Generator,
                 confidence: float, n_resamples: int) -> dict[str, Any]:
    """Cases mentioning the key in each group: shares, bootstrap interval, Fisher's p."""
    na, nb = len(present_a), len(present_b)
    ma, mb = int(present_a.sum()), int(present_b.sum())
    low, high = bootstrap_interval(present_a, present_b, rng=rng, n_resamples=n_resamples,
                                   confidence=confidence)
    from scipy import stats  # scipy.stats costs ~1 s to import: only when testing
    p = stats.fisher_exact([[ma, na - ma], [mb, nb - mb]], alternative="two-sided")[1]
    return {"cases_a": na, "cases_b": nb, "mentioning_a": ma, "mentioning_b": mb,
            "share_a": ma / na, "share_b": mb / nb, "share_difference": ma / na - mb / nb,
            "share_ci_low": low, "share_ci_high": high, "share_p": float(p)}


def _balance_stats(balance_a: np.ndarray, balance_b: np.ndarray, *, rng: np.random.Generator,
                   confidence: float, n_resamples: int) -> dict[str, Any]:
    """Mean case balance in each group, bootstrap interval and permutation p (nan when a
    group has no valenced case)."""
    mean_a, mean_b = _mean(balance_a), _mean(balance_b)
    low, high = bootstrap_interval(balance_a, balance_b, rng=rng, n_resamples=n_resamples,
                                   confidence=confidence)
    p, exact = permutation_p(balance_a, balance_b, rng=rng, n_resamples=n_resamples)
    return {"valenced_a": len(balance_a), "valenced_b": len(balance_b), "balance_a": mean_a,
            "balance_b": mean_b, "difference": mean_a - mean_b, "ci_low": low, "ci_high": high,
            "p_value": p, "exact": bool(exact)}


def _valenced_codings(df: pd.DataFrame, column: str, by: str, level: str) -> pd.DataFrame:
    """The positive and negative codings with a case: ``_case``, ``_by``, ``_key``, ``_y``
    (1 positive, 0 negative), for the GEE model."""
    ids = df[column].astype(object)
    valence = df["valence"].astype(object)
    keep = df[by].notna() & ids.notna() & ids.ne("") & valence.isin(["positive", "negative"])
    return pd.DataFrame({"_case": ids[keep], "_by": df.loc[keep, by].astype(object),
                         "_key": df.loc[keep, _key_column(level)].astype(object),
                         "_y": valence[keep].eq("positive").astype(float)})


def _gee(coded: pd.DataFrame, a: Any, *, confidence: float) -> dict[str, float]:
    """GEE logistic model of positive vs negative among ``coded`` (one key, two groups):
    clusters are cases, exchangeable working correlation, covariate "in group a"."""
    undefined = dict.fromkeys(GEE_COLUMNS, math.nan)
    in_a = (coded["_by"] == a).to_numpy()
    y = coded["_y"].to_numpy(float)
    if len(set(y[in_a])) < 2 or len(set(y[~in_a])) < 2:  # none, or separation: OR infinite
        return undefined
    from statsmodels.genmod import cov_struct, families
    from statsmodels.genmod.generalized_estimating_equations import GEE
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    exog = np.column_stack([np.ones(len(y)), in_a.astype(float)])
    clusters = pd.factorize(coded["_case"].astype(str) + "\x1f" + coded["_by"].astype(str))[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = GEE(y, exog, groups=clusters, family=families.Binomial(),
                      cov_struct=cov_struct.Exchangeable()).fit()
        except (ValueError, np.linalg.LinAlgError):
            return undefined
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return undefined
    low, high = np.asarray(fit.conf_int(alpha=1 - confidence))[1]
    return {"gee_odds_ratio": math.exp(fit.params[1]), "gee_ci_low": math.exp(low),
            "gee_ci_high": math.exp(high), "gee_p": float(fit.pvalues[1])}


def _case_pair_rows(table: pd.DataFrame, coded: pd.DataFrame | None, by: str, name: str,
                    keys: Sequence[Any], a: Any, b: Any, *, rng: np.random.Generator,
                    confidence: float, n_resamples: int) -> list[dict[str, Any]]:
    """One row per key mentioned by a case of ``a`` or ``b`` (the columns of
    :data:`CASE_COLUMNS` up to ``exact``, and the GEE columns when ``coded`` is given)."""
    rows = []
    in_a, in_b = table[table[by] == a], table[table[by] == b]
    for key in keys:
        ta, tb = in_a[in_a[name] == key], in_b[in_b[name] == key]
        if not (ta["present"].any() or tb["present"].any()):
            continue
        row: dict[str, Any] = {"key": key, "group_a": a, "group_b": b}
        row.update(_share_stats(ta["present"].to_numpy(float), tb["present"].to_numpy(float),
                                rng=rng, confidence=confidence, n_resamples=n_resamples))
        row.update(_balance_stats(ta["balance"].dropna().to_numpy(float),
                                  tb["balance"].dropna().to_numpy(float), rng=rng,
                                  confidence=confidence, n_resamples=n_resamples))
        if coded is not None:
            pair = coded[(coded["_key"] == key) & coded["_by"].isin([a, b])]
            row.update(_gee(pair, a, confidence=confidence))
        rows.append(row)
    return rows


def _p_text(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.2g}"


def _case_sentence(row: pd.Series, confidence: float) -> str:
    """Plain-language reading of one case-level comparison row."""
    key, a, b = row.iloc[0], row["group_a"], row["group_b"]
    mention = (f"{row['mentioning_a']} of {row['cases_a']} vs {row['mentioning_b']} of "
               f"{row['cases_b']} cases mention it")
    means = ((a, row["balance_a"]), (b, row["balance_b"]))
    missing = [str(g) for g, m in means if math.isnan(m)]
    if missing:
        known = "".join(f" (mean case balance {m:+.2f} in {g})" for g, m in means
                        if not math.isnan(m))
        return (f"{key}: no case in {' or '.join(missing)} has a positive or negative coding "
                f"of it, so there is no balance to compare{known}; {mention}")
    p = _p_text(row["p_value"])
    return (f"{key}: mean case balance {row['balance_a']:+.2f} in {a} vs "
            f"{row['balance_b']:+.2f} in {b} (difference {row['difference']:+.2f}, "
            f"{100 * confidence:g}% CI {row['ci_low']:+.2f} to {row['ci_high']:+.2f}; "
            f"permutation p{p if p.startswith('<') else '=' + p}, adjusted "
            f"{_p_text(row['p_adjusted'])}); {mention}")


def _warn_few_cases(func: str, frame: pd.DataFrame, min_count: int) -> None:
    """One UserWarning listing the balances that rest on fewer than ``min_count`` cases."""
    few = [f"{row.iloc[0]} in {row[g]}: {row[n]}" for _, row in frame.iterrows()
           for g, n in (("group_a", "valenced_a"), ("group_b", "valenced_b"))
           if row[n] < min_count]
    few = list(dict.fromkeys(few))  # a group shows in every pair it is in
    if few:
        _warn(f"{func}: {len(few)} mean case balance(s) rest on fewer than min_count="
              f"{min_count} cases with a positive or negative coding ({'; '.join(few)}): read "
              "them as descriptive at most", UserWarning)
