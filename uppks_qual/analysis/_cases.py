"""Cases as the unit: the per-case table and the resampling statistics built on it.

A *case* is the unit a reviewer counts (the person who said a passage, or a source document;
see :mod:`uppks_qual.passages`). Codings from one case are not independent, so every
case-level statistic first reduces a case's codings of a factor to one row: whether the case
mentions the factor at all (``present``) and its own balance ``(pos - neg) / (pos + neg)``.
Each case then weighs once, however talkative.

The two resampling statistics are the ones a methods reviewer expects:

- :func:`bootstrap_interval`: a percentile **cluster bootstrap** of a difference of means,
  resampling cases with replacement *within* each group (Efron & Tibshirani 1993, ch. 13);
- :func:`permutation_p`: a two-sided **permutation test** of the same difference, relabelling
  cases between the groups: exact (every relabelling enumerated) when there are at most
  ``n_resamples`` relabellings, else Monte-Carlo with ``p = (1 + hits) / (1 + n_resamples)``
  (Phipson & Smyth 2010), which is never 0.

Both take a :class:`numpy.random.Generator` (seeded by the caller), so results are reproducible.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..records import VALENCES
from ._codes import codes_in, column_codes, combine, count, drop_value
from ._common import _key_column, _key_name, _keys, balance

__all__ = ["CASE_ALIASES", "bootstrap_interval", "case_column", "case_table", "permutation_p"]

#: ``case=`` values that mean "the person who said it" (the ``case`` column of a codings frame).
CASE_ALIASES = ("informant", "case")

#: Above this many draws (``n_resamples`` x cases) :func:`bootstrap_interval` and
#: :func:`permutation_p` resample counts of distinct values, or indices in blocks.
DRAWS = 2**22


def case_column(case: str) -> str:
    """The codings-frame column that identifies a case for ``case=`` (``"informant"`` is the
    ``case`` column: the speaker, or the source document for notes without an informant)."""
    return "case" if case in CASE_ALIASES else case


class CasePairs(NamedTuple):
    """The (case, ``by`` value) pairs of a codings frame, in the order of the case table."""

    row: np.ndarray
    """Per coding: the position of its pair, -1 for a coding without a case or ``by`` value."""
    case: np.ndarray
    """Per pair (object array): the case."""
    by: np.ndarray
    """Per pair (object array): the ``by`` value."""
    first: np.ndarray
    """Per pair: the position of one of its codings (the first) in the frame."""


def case_pairs(df: pd.DataFrame, column: str, by: str,
               rows: np.ndarray | None = None) -> CasePairs:
    """Number the distinct (case, ``by``) pairs of ``df``, sorted by ``str`` of ``by`` then of
    the case (a missing or empty case, or a missing ``by``, is no pair; with ``rows``, a
    boolean mask, only those codings count)."""
    ids, id_values = column_codes(df[column])
    ids = drop_value(ids, id_values, "")  # an empty case is no case
    groups, group_values = column_codes(df[by])
    if rows is not None:
        ids = np.where(rows, ids, -1)
    pair, _ = combine((ids, len(id_values)), (groups, len(group_values)))
    valid = np.flatnonzero(pair >= 0)
    codes, uniques = pd.factorize(pair[valid])
    first = valid[pd.Series(codes).drop_duplicates().index.to_numpy()]  # in code order
    cases = pd.DataFrame({column: df[column].iloc[first].astype(object).to_numpy(),
                          by: df[by].iloc[first].astype(object).to_numpy()},
                         columns=list(dict.fromkeys([column, by])))
    order = cases.sort_values([by, column], key=_sort_key).index.to_numpy()
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    row = np.full(len(df), -1, dtype=np.int64)
    row[valid] = rank[codes]
    return CasePairs(row, cases[column].to_numpy()[order], cases[by].to_numpy()[order],
                     first[order])


def case_table(df: pd.DataFrame, *, case: str = "informant", by: str = "group",
               level: str = "factor", keys: Sequence[Any] | None = None,
               rows: np.ndarray | None = None) -> pd.DataFrame:
    """One row per case x key (factor or code): the case's codings reduced to one row.

    Every case that has any coding in ``df`` (and a value of ``by``; a missing or empty case
    value is no case, and those codings are left out) gets a row for every key,
    with zeros where it said nothing about the key. Columns: ``case``, ``by`` (named after
    ``by``), the key (``factor`` or ``code``), ``positive``, ``negative``, ``neutral``,
    ``codings``, ``present`` (any coding) and ``balance`` (nan without valenced codings).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "d1", "informant": "Ani", "group": "A", "start": 0, "end": 1,
    ...      "code_id": "leadership", "valence": "positive"},
    ...     {"doc_id": "d1", "informant": "Ani", "group": "A", "start": 2, "end": 3,
    ...      "code_id": "leadership", "valence": "negative"},
    ...     {"doc_id": "d2", "informant": "Budi", "group": "B", "start": 0, "end": 1,
    ...      "code_id": "partnerships", "valence": "positive"}])
    >>> t = case_table(df)
    >>> t[["case", "factor", "codings", "balance"]].to_numpy().tolist()
    [['Ani', 'leadership', 2, 0.0], ['Ani', 'partnerships', 0, nan], ['Budi', 'leadership', 0, nan], ['Budi', 'partnerships', 1, 1.0]]
    """
    keys = list(keys) if keys is not None else _keys(df, level)
    return _case_table(df, case_pairs(df, case_column(case), by, rows), by=by, level=level,
                       keys=keys)


def _case_table(df: pd.DataFrame, pairs: CasePairs, *, by: str, level: str,
                keys: list[Any], weights: np.ndarray | None = None) -> pd.DataFrame:
    """:func:`case_table` for the pairs of :func:`case_pairs` (each row of ``df`` counting
    ``weights`` codings, default one)."""
    n_pairs, n_keys, n_valences = len(pairs.case), len(keys), len(VALENCES)
    cell, size = combine((pairs.row, n_pairs), (codes_in(df[_key_column(level)], keys), n_keys),
                         (codes_in(df["valence"], VALENCES), n_valences))
    counts = count(cell, size, weights).reshape(n_pairs * n_keys, n_valences)
    key_values = np.empty(n_keys, dtype=object)
    key_values[:] = keys
    key_column = _inferred(key_values if n_pairs else key_values[:0])
    out = pd.DataFrame({
        "case": _inferred(pairs.case).repeat(n_keys),
        by: _inferred(pairs.by).repeat(n_keys),
        _key_name(level): key_column[np.tile(np.arange(len(key_column)), n_pairs)]})
    for i, v in enumerate(VALENCES):
        out[v] = counts[:, i]
    out["codings"] = out["positive"] + out["negative"] + out["neutral"]
    out["present"] = out["codings"] > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out["balance"] = balance_quiet(out["positive"], out["negative"])
    return out.reset_index(drop=True)


def _inferred(values: np.ndarray) -> pd.Index:
    """``values`` as an Index of the dtype a MultiIndex level of them gets (str, int64, ...)."""
    return pd.MultiIndex.from_arrays([values]).get_level_values(0)


def balance_quiet(positive: pd.Series, negative: pd.Series) -> pd.Series:
    """:func:`balance` without the RuntimeWarning (a case that said nothing valenced about a
    factor is expected, not a problem)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return balance(positive, negative)


def _sort_key(col: pd.Series) -> pd.Series:
    return col.astype(str)


def bootstrap_interval(x_a: ArrayLike, x_b: ArrayLike, *, rng: np.random.Generator,
                       n_resamples: int = 9999, confidence: float = 0.95,
                       statistic: str = "mean") -> tuple[float, float]:
    """Percentile cluster-bootstrap interval of ``mean(x_a) - mean(x_b)``.

    Each resample draws ``len(x_a)`` values of ``x_a`` and ``len(x_b)`` of ``x_b`` with
    replacement (cases resampled within their group). nan when a group has no value.

    When ``n_resamples`` times the number of cases exceeds :data:`DRAWS`, a group whose
    values take few distinct values (at most a quarter as many as it has cases, as shares
    and case balances do) is resampled through how many times each distinct value is drawn
    (:meth:`~numpy.random.Generator.multinomial`): the same distribution in
    ``O(n_resamples x distinct values)``; other groups draw indices in blocks of bounded
    memory. Below that size the draws are those of earlier versions.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bootstrap_interval([1.0, 1.0], [0.0, 0.0], rng=rng)
    (1.0, 1.0)
    """
    a, b = np.asarray(x_a, float), np.asarray(x_b, float)
    if not len(a) or not len(b):
        return (math.nan, math.nan)
    if n_resamples * (len(a) + len(b)) <= DRAWS:
        ia = rng.integers(0, len(a), size=(n_resamples, len(a)))
        ib = rng.integers(0, len(b), size=(n_resamples, len(b)))
        diffs = a[ia].mean(axis=1) - b[ib].mean(axis=1)
    else:
        diffs = _resampled_means(a, rng, n_resamples) - _resampled_means(b, rng, n_resamples)
    tail = (1 - confidence) / 2
    low, high = np.quantile(diffs, [tail, 1 - tail])
    return (float(low), float(high))


def permutation_p(x_a: ArrayLike, x_b: ArrayLike, *, rng: np.random.Generator,
                  n_resamples: int = 9999) -> tuple[float, bool]:
    """Two-sided permutation p of ``mean(x_a) - mean(x_b)`` over relabellings of the cases.

    Returns ``(p, exact)``: with at most ``n_resamples`` distinct relabellings every one is
    enumerated and ``p`` is the share whose ``|difference|`` is at least the observed one
    (the observed labelling included); otherwise ``n_resamples`` random relabellings give
    ``p = (1 + hits) / (1 + n_resamples)``. nan when a group has no value.

    When ``n_resamples`` times the number of cases exceeds :data:`DRAWS` and the pooled
    values take few distinct values, a relabelling draws how many of each distinct value
    fall in ``x_a`` (:meth:`~numpy.random.Generator.multivariate_hypergeometric`): the same
    distribution in ``O(n_resamples x distinct values)``; otherwise relabellings are drawn in
    blocks of bounded memory. Below that size the draws are those of earlier versions.

    Examples
    --------
    Three cases against two: of the 10 ways to split the five values, the observed one
    ({3, 4, 5} vs {1, 2}, difference 2.5) and its mirror image ({1, 2, 3} vs {4, 5}, -2.5) are
    as extreme, so p = 2/10:

    >>> permutation_p([3.0, 4.0, 5.0], [1.0, 2.0], rng=np.random.default_rng(0))
    (0.2, True)
    """
    a, b = np.asarray(x_a, float), np.asarray(x_b, float)
    if not len(a) or not len(b):
        return (math.nan, False)
    pooled = np.concatenate([a, b])
    n, k = len(pooled), len(a)
    observed = abs(a.mean() - b.mean())
    tol = 1e-12 * max(1.0, observed)
    total = pooled.sum()
    if _comb_at_most(n, k, n_resamples):
        idx = np.array(list(itertools.combinations(range(n), k)), dtype=int).reshape(-1, k)
        sums = pooled[idx].sum(axis=1)
        diffs = np.abs(sums / k - (total - sums) / (n - k))
        return (float(np.mean(diffs >= observed - tol)), True)
    if n_resamples * n <= DRAWS:
        perms = rng.permuted(np.tile(np.arange(n), (n_resamples, 1)), axis=1)[:, :k]
        sums = pooled[perms].sum(axis=1)
    else:
        sums = _relabelled_sums(pooled, k, rng, n_resamples)
    diffs = np.abs(sums / k - (total - sums) / (n - k))
    hits = int(np.sum(diffs >= observed - tol))
    return ((1 + hits) / (1 + n_resamples), False)


def _comb_at_most(n: int, k: int, limit: int) -> bool:
    """``math.comb(n, k) <= limit``, without computing a huge binomial coefficient."""
    k = min(k, n - k)
    value = 1
    for i in range(k):
        value = value * (n - i) // (i + 1)
        if value > limit:
            return False
    return True


def _few(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct values and their counts, when they are at most a quarter of the values."""
    distinct, counts = np.unique(values, return_counts=True)
    return (distinct, counts) if 4 * len(distinct) <= len(values) else None


def _block_rows(n_resamples: int, width: int) -> list[int]:
    """Row counts of blocks of at most :data:`DRAWS` draws of ``width`` each."""
    rows = max(DRAWS // max(width, 1), 1)
    return [min(rows, n_resamples - start) for start in range(0, n_resamples, rows)]


def _resampled_means(x: np.ndarray, rng: np.random.Generator, n_resamples: int) -> np.ndarray:
    """Means of ``n_resamples`` resamples of ``x`` with replacement."""
    few = _few(x)
    if few is not None:
        distinct, counts = few
        drawn = rng.multinomial(len(x), counts / len(x), size=n_resamples)
        return drawn @ distinct / len(x)
    return np.concatenate([x[rng.integers(0, len(x), size=(rows, len(x)))].mean(axis=1)
                           for rows in _block_rows(n_resamples, len(x))])


def _relabelled_sums(pooled: np.ndarray, k: int, rng: np.random.Generator,
                     n_resamples: int) -> np.ndarray:
    """Sums of ``k`` of the ``pooled`` values drawn without replacement, ``n_resamples`` times."""
    few = _few(pooled)
    if few is not None:
        distinct, counts = few
        drawn = rng.multivariate_hypergeometric(counts, k, size=n_resamples)
        return drawn @ distinct
    n = len(pooled)
    return np.concatenate([
        pooled[rng.permuted(np.tile(np.arange(n), (rows, 1)), axis=1)[:, :k]].sum(axis=1)
        for rows in _block_rows(n_resamples, n)])
