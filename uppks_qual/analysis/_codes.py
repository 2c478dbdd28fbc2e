"""Integer codes for counting at scale: each column is factorised once, then numpy counts.

A pandas ``groupby`` on several object columns hashes every string again for every key and
aggregation; on millions of codings that dominates. Here each column becomes an array of
int64 codes (``-1`` for a missing value, or a value the caller does not count), codes of
several columns are combined into one (mixed radix), and counts are :func:`numpy.bincount`
of the combined code; distinct counts hash one int64 per row (:func:`pandas.unique`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Combined codes stay below this (int64, with room for one more multiplication check).
_LIMIT = 2**62


def column_codes(column: pd.Series, *, na: bool = False) -> tuple[np.ndarray, pd.Index]:
    """``(codes, uniques)`` of a column: categorical codes or :func:`pandas.factorize`.

    A missing value has code ``-1``, or with ``na=True`` a code of its own (the last one
    for a categorical column, as ``factorize(use_na_sentinel=False)`` gives for others).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        uniques = pd.Index(column.cat.categories)
        if na and (codes < 0).any():
            codes[codes < 0] = len(uniques)
            uniques = uniques.append(pd.Index([np.nan], dtype=object))
        return codes, uniques
    codes, uniques = pd.factorize(column, use_na_sentinel=not na)
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


def codes_in(column: pd.Series, values: Sequence[Any]) -> np.ndarray:
    """Position of each row's value in ``values`` (distinct), ``-1`` when it is not there."""
    codes, uniques = column_codes(column)
    lookup = np.append(pd.Index(list(values), dtype=object).get_indexer(uniques), -1)
    return lookup[codes]


def drop_value(codes: np.ndarray, uniques: pd.Index, value: Any) -> np.ndarray:
    """``codes`` with the code of ``value`` (e.g. the empty string) set to ``-1``."""
    where = pd.Index(uniques, dtype=object).get_indexer([value])[0]
    if where < 0:
        return codes
    out = codes.copy()
    out[out == where] = -1
    return out


def combine(*parts: tuple[np.ndarray, int]) -> tuple[np.ndarray, int]:
    """One code per row for several ``(codes, size)`` parts: ``-1`` where any part is.

    The codes are mixed-radix (the first part most significant), so sorting the combined
    codes sorts by the parts in order; when the product of the sizes would overflow, the
    codes so far are factorised (numbered in order of appearance, order then lost).
    """
    first, size = parts[0]
    out = first.astype(np.int64, copy=True)
    missing = out < 0
    for codes, n in parts[1:]:
        if size * max(n, 1) >= _LIMIT:
            out[missing] = 0
            out, uniques = pd.factorize(out)
            size = len(uniques)
        missing |= codes < 0
        out = out * n + codes
        size *= n
    out[missing] = -1
    return out, size


def int_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of an integer column: ``value - min`` when the range is small, else factorised."""
    if not len(values):
        return values.astype(np.int64), 0
    low, high = int(values.min()), int(values.max())
    if high - low < 2**31:
        return values.astype(np.int64) - low, high - low + 1
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), len(uniques)


def count(group: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Rows (or their ``weights``, whole numbers) per group code ``0 .. size - 1`` (rows with
    ``-1`` not counted)."""
    keep = group >= 0
    if weights is None:
        return np.bincount(group[keep], minlength=size).astype(np.int64)
    return np.bincount(group[keep], weights=weights[keep], minlength=size).round().astype(np.int64)


def count_distinct(group: np.ndarray, size: int, values: np.ndarray,
                   n_values: int) -> np.ndarray:
    """Distinct value codes per group code (a ``-1`` group or value is not counted)."""
    keep = (group >= 0) & (values >= 0)
    if size * max(n_values, 1) >= _LIMIT:  # the pair codes would overflow: pandas does it
        frame = pd.DataFrame({"g": group[keep], "v": values[keep]}).drop_duplicates()
        return count(frame["g"].to_numpy(), size)
    distinct = pd.unique(group[keep] * n_values + values[keep])
    return np.bincount(distinct // max(n_values, 1), minlength=size).astype(np.int64)
