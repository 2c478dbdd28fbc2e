"""The counting functions on a Dask DataFrame of codings (see :mod:`uppks_qual.analysis`).

:func:`~uppks_qual.analysis.code_frequencies`, :func:`~uppks_qual.analysis.valence_balance`
and :func:`~uppks_qual.analysis.case_matrix` accept a ``dask.dataframe.DataFrame`` with the
columns of a codings frame, such as Parquet files read lazily. The counting is done by Dask,
on the columns it needs (``groupby(...).size()`` and ``drop_duplicates`` for distinct counts);
only the small aggregated tables are computed, in one ``dask.compute`` call, and the result
is laid out by the same code as for a pandas frame.

The result is that of the pandas function on the computed frame made a codings frame
(:func:`uppks_qual.schema.codings_frame`): an empty ``group`` is no group; the order of the
groups and factors comes from the column's categories when it is categorical with known
categories (then equal to the pandas result on the original frame), else groups are sorted
and factors are in order of first appearance (as :func:`~uppks_qual.schema.codings_frame`
makes them).

Dask is imported only here, and only when a Dask frame is given: ``import uppks_qual`` does
not import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..records import ORIGINS, PASSAGE_KINDS, SOURCE_TYPES, VALENCES
from ..schema import CODING_DTYPES
from ._common import _key_column

__all__ = ["case_inputs", "check_frame", "document_frame", "full_table", "is_dask",
           "keys_and_by_values", "tally"]


#: Columns whose categories a codings frame fixes (:func:`~uppks_qual.schema.codings_frame`).
FIXED: dict[str, tuple[str, ...]] = {"valence": VALENCES, "origin": ORIGINS,
                                     "source_type": SOURCE_TYPES, "kind": PASSAGE_KINDS}


def is_dask(obj: object) -> bool:
    """Whether ``obj`` is a Dask DataFrame (without importing Dask)."""
    module = type(obj).__module__ or ""
    return module.split(".")[0] in ("dask", "dask_expr") and hasattr(obj, "npartitions")


def check_frame(ddf: Any, func: str, columns: Sequence[str]) -> None:
    """The Dask frame has ``columns`` (and integer ``start``/``end`` when needed)."""
    missing = [c for c in columns if c not in ddf.columns]
    if missing:
        raise ParameterError(
            f"{func}: missing column(s) {', '.join(missing)}; pass a Dask frame with the "
            "columns of a codings frame (uppks_qual.schema.CODING_COLUMNS)",
            where=func, problem="missing", columns=missing)
    for col in ("start", "end"):
        if col in columns and not pd.api.types.is_integer_dtype(ddf[col].dtype):
            raise ParameterError(
                f"{func}: column {col!r} has dtype {ddf[col].dtype}, expected int64",
                where=func, problem="dtype", columns=[col])


def _distinct(columns: Sequence[str]) -> list[str]:
    """``columns`` without repeats (``by`` may be one of the columns counted)."""
    return list(dict.fromkeys(columns))


def _check_valences(func: str, seen: pd.Series) -> None:
    bad = sorted(set(seen.dropna().astype(str)) - set(VALENCES))
    if bad:
        raise ParameterError(f"{func}: valence values {bad} not in {list(VALENCES)}",
                             where=func, problem="valence", values=bad)


def _categories(column: Any) -> list[Any] | None:
    """The categories of a categorical Dask column when they are known, else None."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) and dtype.categories is not None:
        categories = list(dtype.categories)
        if categories != ["__UNKNOWN_CATEGORIES__"]:
            return categories
    return None


def _first_seen(part: pd.DataFrame) -> pd.DataFrame:
    """The first row of each ``code_id`` of a partition (and its factor), in order."""
    return part.drop_duplicates("code_id").astype(object)


def _valued(ddf: Any, col: str) -> Any:
    """Rows with a value of ``col`` (a string ``group`` that is empty is no group)."""
    has = ddf[col].notnull()
    if col == "group" and _categories(ddf[col]) is None:
        has = has & (ddf[col].astype(str) != "")
    return has


def _key_parts(ddf: Any, level: str, by: str) -> dict[str, Any]:
    """Lazy pieces for the keys and the ``by`` values (see :func:`keys_and_by_values`)."""
    parts: dict[str, Any] = {}
    if level == "code" or _categories(ddf["factor"]) is None:
        meta = pd.DataFrame({"code_id": pd.Series(dtype=object),
                             "factor": pd.Series(dtype=object)})
        parts["codes"] = ddf[["code_id", "factor"]].map_partitions(_first_seen, meta=meta)
    if _categories(ddf[by]) is None and by not in FIXED:
        parts["by"] = ddf[by][_valued(ddf, by)].drop_duplicates()
    parts["valence"] = ddf["valence"].drop_duplicates()
    return parts


def keys_and_by_values(ddf: Any, level: str, by: str,
                       parts: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """The keys (factors or codes) and ``by`` values from the computed ``parts``."""
    factors = _categories(ddf["factor"])
    if factors is None:
        factors = list(dict.fromkeys(parts["codes"]["factor"].dropna()))
    keys: list[Any] = factors
    if level == "code":
        codes = parts["codes"].drop_duplicates("code_id")
        rank = {f: i for i, f in enumerate(factors)}
        ordered = sorted(zip(codes["factor"], codes["code_id"], strict=True),
                         key=lambda p: (rank.get(p[0], len(rank)), p[1]))
        keys = [code for _, code in ordered]
    by_values = _categories(ddf[by])
    if by_values is None and by in FIXED:
        by_values = list(FIXED[by])
    if by_values is None:
        by_values = sorted(parts["by"].unique())
    return keys, by_values


def _plain(series: pd.Series) -> pd.Series:
    """A computed groupby result with object index levels (categorical levels undone)."""
    index = series.index
    if isinstance(index, pd.MultiIndex):
        levels = [index.get_level_values(i).astype(object) for i in range(index.nlevels)]
        series.index = pd.MultiIndex.from_arrays(levels, names=index.names)
    return series


def tally(ddf: Any, func: str, *, by: str, level: str,
          with_valence: bool = False) -> tuple[list[Any], list[Any], dict[str, pd.Series]]:
    """Keys, ``by`` values and per-(by, key) counts of a Dask codings frame.

    Counts: ``codings``, ``segments`` (distinct doc_id, start, end), ``documents`` and
    ``informants`` (distinct non-empty), or with ``with_valence`` the codings per valence.
    """
    import dask

    key = _key_column(level)
    columns = _distinct([by, key, "valence"] if with_valence else
                        [by, key, "doc_id", "start", "end", "informant"])
    check_frame(ddf, func, _distinct([*columns, "code_id", "factor", "valence"]))
    rows = ddf[columns][_valued(ddf, by) & ddf[key].notnull()]
    cell = [by, key]
    counts: dict[str, Any] = {}
    if with_valence:
        counts["valence"] = rows.groupby([*cell, "valence"], observed=True).size()
    else:
        counts["codings"] = rows.groupby(cell, observed=True).size()
        spans = rows[_distinct([*cell, "doc_id", "start", "end"])].drop_duplicates()  # large
        counts["segments"] = spans.groupby(cell, observed=True).size()
        docs = rows[rows["doc_id"].notnull()][_distinct([*cell, "doc_id"])]
        counts["documents"] = docs.drop_duplicates(split_out=1).groupby(cell, observed=True).size()
        named = rows["informant"].notnull() & (rows["informant"].astype(str) != "")
        people = rows[named][_distinct([*cell, "informant"])].drop_duplicates(split_out=1)
        counts["informants"] = people.groupby(cell, observed=True).size()
    parts = _key_parts(ddf, level, by)
    done_counts, done_parts = dask.compute(counts, parts)
    _check_valences(func, done_parts["valence"])
    keys, by_values = keys_and_by_values(ddf, level, by, done_parts)
    return keys, by_values, {name: _plain(s) for name, s in done_counts.items()}


def case_inputs(ddf: Any, func: str, *, column: str, by: str, level: str,
                attributes: Sequence[str]) -> tuple[list[Any], pd.DataFrame, pd.DataFrame]:
    """Keys, the codings per (case, by, key, valence) as a small frame with their number in
    ``n``, and the distinct (case, by, attributes...) rows, of a Dask codings frame."""
    import dask

    key = _key_column(level)
    extras = [c for c in ddf.columns if c not in CODING_DTYPES and c not in (column, by)]
    wanted = _distinct([*attributes, *extras])
    check_frame(ddf, func, _distinct([column, by, key, "valence", "code_id", "factor",
                                      *wanted]))
    named = ddf[column].notnull() & (ddf[column].astype(str) != "")
    rows = ddf[_valued(ddf, by) & named]
    grouped = rows[[column, by, key, "valence"]].groupby([column, by, key, "valence"],
                                                         dropna=False, observed=True)
    counts = grouped.size()
    distinct = rows[_distinct([column, by, *wanted])].drop_duplicates(split_out=1)  # small
    parts = _key_parts(ddf, level, by)
    done_counts, done_distinct, done_parts = dask.compute(counts, distinct, parts)
    _check_valences(func, done_parts["valence"])
    keys, _ = keys_and_by_values(ddf, level, by, done_parts)
    table = _plain(done_counts).rename("n").reset_index()
    return keys, table, done_distinct.reset_index(drop=True)


def document_frame(ddf: Any, by: str) -> pd.DataFrame:
    """The distinct (doc_id, ``by``, extra attribute columns) rows, computed (small)."""
    extras = [c for c in ddf.columns if c not in CODING_DTYPES]
    frame = ddf[_distinct(["doc_id", by, *extras])].drop_duplicates().compute()
    if by == "group" and _categories(ddf[by]) is None:
        frame[by] = frame[by].where(frame[by].astype(str) != "")
    return frame.reset_index(drop=True)


def full_table(counts: dict[str, pd.Series], by_values: Sequence[Any],
               keys: Sequence[Any]) -> pd.DataFrame:
    """The counts reindexed to every (by value, key), zeros filled, as int64 columns."""
    index = pd.MultiIndex.from_product([list(by_values), list(keys)], names=["_by", "_key"])
    if "valence" in counts:
        wide = counts["valence"].unstack(-1, fill_value=0)
        columns = {v: wide[v] if v in wide.columns else pd.Series(0, index=index)
                   for v in VALENCES}
    else:
        columns = counts
    return pd.DataFrame({
        name: np.asarray(s.reindex(index, fill_value=0), dtype="int64")
        for name, s in columns.items()}, index=index)
