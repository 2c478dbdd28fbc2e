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
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._common import _key_column, _key_name, _keys, balance

__all__ = ["CASE_ALIASES", "bootstrap_interval", "case_column", "case_table", "permutation_p"]

#: ``case=`` values that mean "the person who said it" (the ``case`` column of a codings frame).
CASE_ALIASES = ("informant", "case")


def case_column(case: str) -> str:
    """The codings-frame column that identifies a case for ``case=`` (``"informant"`` is the
    ``case`` column: the speaker, or the source document for notes without an informant)."""
    return "case" if case in CASE_ALIASES else case


def case_table(df: pd.DataFrame, *, case: str = "informant", by: str = "group",
               level: str = "factor", keys: Sequence[Any] | None = None) -> pd.DataFrame:
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
    col = case_column(case)
    key = _key_column(level)
    name = _key_name(level)
    ids = df[col].astype(object)
    work = df[df[by].notna() & ids.notna() & ids.ne("")]  # an empty case is no case
    keys = list(keys) if keys is not None else _keys(df, level)
    cases = work[[col, by]].astype(object).drop_duplicates().sort_values([by, col], key=_sort_key)
    counts = (work.assign(_key=work[key].astype(object), _case=work[col].astype(object),
                          _by=work[by].astype(object), _v=work["valence"].astype(object))
              .groupby(["_case", "_by", "_key", "_v"]).size().unstack("_v", fill_value=0))
    grid = pd.MultiIndex.from_tuples(
        [(c, g, k) for c, g in cases.itertuples(index=False) for k in keys],
        names=["_case", "_by", "_key"])
    counts = counts.reindex(grid, fill_value=0)
    out = pd.DataFrame({
        "case": grid.get_level_values(0), by: grid.get_level_values(1),
        name: grid.get_level_values(2)})
    for v in ("positive", "negative", "neutral"):
        out[v] = counts[v].to_numpy(int) if v in counts else 0
    out["codings"] = out["positive"] + out["negative"] + out["neutral"]
    out["present"] = out["codings"] > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out["balance"] = balance_quiet(out["positive"], out["negative"])
    return out.reset_index(drop=True)


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

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bootstrap_interval([1.0, 1.0], [0.0, 0.0], rng=rng)
    (1.0, 1.0)
    """
    a, b = np.asarray(x_a, float), np.asarray(x_b, float)
    if not len(a) or not len(b):
        return (math.nan, math.nan)
    ia = rng.integers(0, len(a), size=(n_resamples, len(a)))
    ib = rng.integers(0, len(b), size=(n_resamples, len(b)))
    diffs = a[ia].mean(axis=1) - b[ib].mean(axis=1)
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
    if math.comb(n, k) <= n_resamples:
        idx = np.array(list(itertools.combinations(range(n), k)), dtype=int).reshape(-1, k)
        sums = pooled[idx].sum(axis=1)
        diffs = np.abs(sums / k - (total - sums) / (n - k))
        return (float(np.mean(diffs >= observed - tol)), True)
    perms = rng.permuted(np.tile(np.arange(n), (n_resamples, 1)), axis=1)[:, :k]
    sums = pooled[perms].sum(axis=1)
    diffs = np.abs(sums / k - (total - sums) / (n - k))
    hits = int(np.sum(diffs >= observed - tol))
    return ((1 + hits) / (1 + n_resamples), False)
