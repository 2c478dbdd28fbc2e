"""Constants, parameter checks and building blocks shared by the analysis modules."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ..records import VALENCES

LEVELS: tuple[str, ...] = ("factor", "code")
"""Levels accepted by ``level=``: the top-level factor or the code itself."""

UNITS: tuple[str, ...] = ("segment", "document")
"""Units accepted by :func:`cooccurrence`."""

BY_COLUMNS: tuple[str, ...] = (
    "group", "village", "source_type", "informant_role", "informant", "doc_id", "coder", "origin",
)
"""Metadata columns of the codings frame accepted by ``by=`` and ``cols=``."""

DOCUMENT_COLUMNS: tuple[str, ...] = (
    "group", "village", "source_type", "informant_role", "informant", "doc_id",
)
"""The ``by=`` columns that are attributes of a document (needed for per-word/segment rates)."""

VERDICTS: tuple[str, ...] = ("working", "mixed", "lacking", "insufficient evidence")
"""Verdicts of :func:`thesis_comparison`."""

TABLE_VALUES: tuple[str, ...] = ("summary", "n", "positive", "negative", "neutral", "balance")
"""Cell values accepted by :func:`framework_table`."""

QUOTE_LENGTH: tuple[int, int] = (40, 300)
"""A quote of this many characters (inclusive) counts as moderate length."""


# --------------------------------------------------------------------------------------
# Parameter checks
# --------------------------------------------------------------------------------------


def _check_choice(func: str, name: str, value: object, allowed: Sequence[object]) -> None:
    if not any(value == option for option in allowed):
        options = ", ".join(repr(option) for option in allowed)
        raise ValueError(
            f"The {name!r} parameter of {func} must be one of {{{options}}}. Got {value!r} instead."
        )


def _check_int(func: str, name: str, value: object, low: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(
            f"The {name!r} parameter of {func} must be an int in the range [{low}, inf). "
            f"Got {value!r} instead."
        )


def _check_real(func: str, name: str, value: object, low: float, high: float) -> None:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not low <= float(value) <= high:  # type: ignore[arg-type]
        raise ValueError(
            f"The {name!r} parameter of {func} must be a float in the range [{low}, {high}]. "
            f"Got {value!r} instead."
        )


def _check_frame(func: str, name: str, frame: object, columns: Iterable[str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"The {name!r} parameter of {func} must be a DataFrame. Got {type(frame).__name__}."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{func}: the {name} frame has no column(s) {', '.join(map(repr, missing))}; "
            f"it needs {', '.join(map(repr, columns))}"
        )
    return frame


def _by_values(df: pd.DataFrame, by: str, extra: pd.Series | None = None) -> list[Any]:
    """All values of ``by``: its categories (in order) or its sorted values, plus ``extra``."""
    column = df[by]
    if isinstance(column.dtype, pd.CategoricalDtype):
        values = list(column.cat.categories)
    else:
        values = sorted(column.dropna().unique())
    if extra is not None:
        values += [v for v in sorted(extra.dropna().unique()) if v not in values]
    return values


def _check_members(func: str, df: pd.DataFrame, by: str, values: Sequence[object]) -> None:
    known = _by_values(df, by)
    for name, value in zip(("a", "b"), values, strict=True):
        if value not in known:
            raise ValueError(
                f"The {name!r} parameter of {func} must be a value of the {by!r} column, one of "
                f"{{{', '.join(map(repr, known))}}}. Got {value!r} instead."
            )
    if values[0] == values[1]:
        raise ValueError(f"{func}: 'a' and 'b' must be two different values; both are "
                         f"{values[0]!r}")


# --------------------------------------------------------------------------------------
# Shared building blocks
# --------------------------------------------------------------------------------------


def _key_column(level: str) -> str:
    return "factor" if level == "factor" else "code_id"


def _key_name(level: str) -> str:
    return "factor" if level == "factor" else "code"


def _keys(df: pd.DataFrame, level: str) -> list[str]:
    """Factor categories (all, even unused) or the codes present, ordered by factor then id."""
    factors = list(df["factor"].cat.categories)
    if level == "factor":
        return factors
    rank = {f: i for i, f in enumerate(factors)}
    pairs = df[["code_id", "factor"]].astype(object).drop_duplicates("code_id")
    ordered = sorted(zip(pairs["factor"], pairs["code_id"], strict=True),
                     key=lambda p: (rank.get(p[0], len(rank)), p[1]))
    return [code for _, code in ordered]


def _prepare(df: pd.DataFrame, by: str, level: str) -> pd.DataFrame:
    """Add plain-object helper columns ``_by``, ``_key``, ``_valence`` and ``_span``."""
    return df.assign(
        _by=df[by].astype(object),
        _key=df[_key_column(level)].astype(object),
        _valence=df["valence"].astype(object),
        _span=df["doc_id"].astype(str) + "\x1f" + df["start"].astype(str) + "\x1f"
        + df["end"].astype(str),
    )


def _full(table: pd.DataFrame, first: Sequence[Any], second: Sequence[Any]) -> pd.DataFrame:
    """Reindex a table indexed by (_by, _key) to every combination, filling zeros."""
    index = pd.MultiIndex.from_product([list(first), list(second)], names=["_by", "_key"])
    return table.reindex(index, fill_value=0)


def _finish(table: pd.DataFrame, by: str, by_values: Sequence[Any], name: str,
            keys: Sequence[Any]) -> pd.DataFrame:
    """Turn the (_by, _key) index into categorical columns ``by`` and ``name``."""
    out = table.reset_index().rename(columns={"_by": by, "_key": name})
    out[by] = pd.Categorical(out[by], categories=list(by_values))
    out[name] = pd.Categorical(out[name], categories=list(keys))
    return out


def _valence_counts(work: pd.DataFrame) -> pd.DataFrame:
    """Positive, negative and neutral codings per (_by, _key)."""
    flags = work[["_by", "_key"]].assign(
        **{v: work["_valence"].eq(v).astype("int64") for v in VALENCES})
    return flags.groupby(["_by", "_key"], sort=False)[list(VALENCES)].sum()


def _ratio(numerator: pd.Series, denominator: pd.Series, what: str) -> pd.Series:
    """``numerator / denominator`` with nan (and one RuntimeWarning) where it is undefined."""
    undefined = denominator.eq(0) | denominator.isna()
    if undefined.any():
        warnings.warn(f"{what} is undefined for {int(undefined.sum())} row(s) "
                      "(zero denominator); returning nan", RuntimeWarning, stacklevel=3)
    return numerator.astype("float64") / denominator.where(~undefined).astype("float64")


def _blocks(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Number the blocks of overlapping half-open spans ``[start, end)`` within ``keys``.

    Spans that overlap directly or through a chain of overlaps share a block id.
    """
    ordered = frame.sort_values([*keys, "start", "end"])
    grouper = [ordered[k] for k in keys]
    reach = ordered.groupby(grouper, sort=False)["end"].cummax()
    previous = reach.groupby(grouper, sort=False).shift()
    new = previous.isna() | (ordered["start"] >= previous)
    return new.cumsum().reindex(frame.index)


def _tally(work: pd.DataFrame) -> pd.DataFrame:
    informant = work["informant"].astype(object).replace("", None)
    g = work.assign(_informant=informant).groupby(["_by", "_key"], sort=False)
    return pd.DataFrame({
        "codings": g.size(),
        "segments": g["_span"].nunique(),
        "documents": g["doc_id"].nunique(),
        "informants": g["_informant"].nunique(),
    })


def _doc_attribute(func: str, by: str, documents: pd.DataFrame | None,
                   df: pd.DataFrame) -> pd.Series:
    """Map doc_id -> value of ``by`` from ``documents`` (or, failing that, the codings)."""
    if by not in DOCUMENT_COLUMNS:
        raise ValueError(
            f"{func}: rates per word or per segment need by= to be a document attribute, one of "
            f"{{{', '.join(map(repr, DOCUMENT_COLUMNS))}}}. Got {by!r} instead.")
    source = documents if documents is not None and by in documents.columns else df
    pairs = source[["doc_id", by]].astype(object).drop_duplicates("doc_id")
    return pairs.set_index("doc_id")[by]


def _words(func: str, documents: pd.DataFrame, by: str, df: pd.DataFrame) -> pd.Series:
    """Words of each ``by`` value's documents."""
    _check_frame(func, "documents", documents, ("doc_id", "n_words", by))
    attribute = _doc_attribute(func, by, documents, df)
    docs = documents.drop_duplicates("doc_id")
    return docs["n_words"].groupby(docs["doc_id"].map(attribute)).sum()
