"""Constants, parameter checks and building blocks shared by the analysis modules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..errors import warn as _warn
from ..params import InstanceOf, Options, check_param
from ..records import VALENCES
from ..schema import CODING_DTYPES
from ._codes import codes_in, column_codes, combine, count, count_distinct, drop_value, int_codes

LEVELS: tuple[str, ...] = ("factor", "code")
"""Levels accepted by ``level=``: the top-level factor or the code itself."""

UNITS: tuple[str, ...] = ("segment", "document")
"""Units accepted by :func:`cooccurrence`."""

BY_COLUMNS: tuple[str, ...] = (
    "group", "village", "source_type", "informant_role", "informant", "doc_id", "coder", "origin",
)
"""The fixed metadata columns of the codings frame, accepted by ``by=`` and ``cols=`` (so is
any extra column of the frame, a document attribute: see :func:`metadata_columns`)."""

CODING_ONLY: tuple[str, ...] = (
    "coding_id", "start", "end", "code_id", "code_label", "factor", "valence", "confidence",
    "text",
)
"""Columns of the codings frame that describe a coding, not its context: never ``by=``."""

DOCUMENT_COLUMNS: tuple[str, ...] = (
    "group", "village", "source_type", "informant_role", "informant", "doc_id",
)
"""The fixed ``by=`` columns that are attributes of a document (for per-word/segment rates)."""

_BY_WHAT = "a metadata column of the codings frame, one of"
_DOC_WHAT = ("a document attribute (one value per document, for rates per word or per "
             "segment), one of")

VERDICTS: tuple[str, ...] = ("working", "mixed", "lacking", "insufficient evidence")
"""Descriptive states of one group (``state_a``/``state_b`` of :func:`thesis_comparison`);
its verdicts on the hypothesis are "supports", "contradicts", "inconclusive" and
"insufficient evidence"."""

TABLE_VALUES: tuple[str, ...] = ("summary", "n", "positive", "negative", "neutral", "balance")
"""Cell values accepted by :func:`framework_table`."""

QUOTE_LENGTH: tuple[int, int] = (40, 300)
"""A quote of this many characters (inclusive) counts as moderate length."""


# --------------------------------------------------------------------------------------
# Parameter checks (the constraints themselves are :mod:`uppks_qual.params`)
# --------------------------------------------------------------------------------------


def _check_frame(func: str, name: str, frame: object, columns: Iterable[str]) -> pd.DataFrame:
    """``frame`` if it is a DataFrame with ``columns``, else a :class:`ParameterError`."""
    check_param(frame, InstanceOf(pd.DataFrame, what="a DataFrame"), name=name, func=func)
    checked = cast(pd.DataFrame, frame)
    needed = list(columns)
    missing = [c for c in needed if c not in checked.columns]
    if missing:
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a DataFrame with the column(s) "
            f"{', '.join(map(repr, needed))}. Got a DataFrame without "
            f"{', '.join(map(repr, missing))} instead.",
            parameter=name, function=func, missing=missing)
    return checked


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


def metadata_columns(df: pd.DataFrame) -> list[str]:
    """The columns of a codings frame that ``by=`` and ``cols=`` accept.

    The fixed document and coder columns (:data:`BY_COLUMNS`), then every extra column of the
    frame (a document attribute such as ``district`` or ``wave``); never the columns that
    describe the coding itself (``coding_id``, ``start``, ``end``, ``code_id``, ``code_label``,
    ``factor``, ``valence``, ``confidence``, ``text``).

    Parameters
    ----------
    df : DataFrame
        Codings frame.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([{"doc_id": "d1", "group": "north", "start": 0, "end": 5,
    ...                      "code_id": "leadership", "district": "east"}])
    >>> metadata_columns(df)[-3:]
    ['coder', 'origin', 'district']
    """
    return [*BY_COLUMNS, *(c for c in df.columns if c not in CODING_DTYPES)]


def _check_by(func: str, df: pd.DataFrame, by: object, *, name: str = "by") -> None:
    """``by`` must be a metadata column of ``df`` (see :func:`metadata_columns`)."""
    check_param(by, Options(*metadata_columns(df), what=_BY_WHAT), name=name, func=func)


def _check_document_attribute(func: str, df: pd.DataFrame, by: str) -> None:
    """``by`` must be one value per document: a fixed document column or a constant extra."""
    extras = [c for c in df.columns if c not in CODING_DTYPES]
    varies: dict[str, list[str]] = {}
    if extras:
        per_doc = df.groupby("doc_id", sort=True, observed=True)[extras].nunique(dropna=False)
        varies = {c: [str(d) for d in per_doc.index[per_doc[c] > 1]] for c in extras}
    allowed = [*DOCUMENT_COLUMNS, *(c for c in extras if not varies[c])]
    if varies.get(by):
        docs = varies[by]
        shown = ", ".join(map(repr, docs[:5])) + (" ..." if len(docs) > 5 else "")
        raise ParameterError(
            f"The 'by' parameter of {func} must be {_DOC_WHAT} "
            f"{{{', '.join(map(repr, allowed))}}}. Got {by!r}, which takes more than one value "
            f"within document(s) {shown}, instead.",
            parameter="by", function=func, value=by, documents=docs)
    check_param(by, Options(*allowed, what=_DOC_WHAT), name="by", func=func)


def _check_pair(func: str, df: pd.DataFrame, by: str, a: object, b: object) -> None:
    """``a`` and ``b`` must be two different values of the ``by`` column of ``df``."""
    known = _by_values(df, by)
    check_param(a, Options(*known, what=f"a value of the {by!r} column, one of"),
                name="a", func=func)
    others = [v for v in known if v != a]
    check_param(b, Options(*others, what=f"a value of the {by!r} column other than "
                                         f"a={a!r}, one of"), name="b", func=func)


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
    codes, uniques = pd.factorize(df["code_id"], use_na_sentinel=False)
    first = pd.Series(codes).drop_duplicates().index  # each code's first row, in code order
    pairs = zip(df["factor"].astype(object).to_numpy()[first], uniques, strict=True)
    ordered = sorted(pairs, key=lambda p: (rank.get(p[0], len(rank)), p[1]))
    return [code for _, code in ordered]


def _prepare(df: pd.DataFrame, by: str, level: str) -> pd.DataFrame:
    """Add plain-object helper columns ``_by``, ``_key`` and ``_valence``."""
    return df.assign(
        _by=df[by].astype(object),
        _key=df[_key_column(level)].astype(object),
        _valence=df["valence"].astype(object),
    )


def _cells(df: pd.DataFrame, by: str, level: str, by_values: Sequence[Any],
           keys: Sequence[Any]) -> tuple[np.ndarray, int]:
    """Each coding's cell: ``by_position * len(keys) + key_position`` (-1 when its ``by`` value
    or key is missing or not listed), and the number of cells."""
    return combine((codes_in(df[by], by_values), len(by_values)),
                   (codes_in(df[_key_column(level)], keys), len(keys)))


def _cell_index(by_values: Sequence[Any], keys: Sequence[Any]) -> pd.MultiIndex:
    return pd.MultiIndex.from_product([list(by_values), list(keys)], names=["_by", "_key"])


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
        _warn(f"{what} is undefined for {int(undefined.sum())} row(s) (zero denominator); "
              "returning nan", RuntimeWarning)
    return numerator.astype("float64") / denominator.where(~undefined).astype("float64")


def balance(positive: pd.Series, negative: pd.Series) -> pd.Series:
    """The valence balance of positive and negative codings, the one ``balance`` of the package.

    ``balance = (positive - negative) / (positive + negative)``

    It runs from -1 (every valenced coding negative) through 0 (as many negative as positive)
    to 1 (every valenced coding positive). Neutral codings do not enter it: they say nothing
    about whether a factor worked. :func:`valence_balance`, :func:`framework_matrix` and
    :func:`thesis_comparison` all report this measure in their ``balance`` columns.

    Parameters
    ----------
    positive, negative : Series
        Counts of positive and of negative codings (aligned Series, e.g. two columns of one
        table).

    Returns
    -------
    Series of float
        The balance per row; nan, announced with one :class:`RuntimeWarning`, where
        ``positive + negative == 0`` (no valenced codings: the balance is undefined).

    Examples
    --------
    >>> import pandas as pd
    >>> balance(pd.Series([3, 1, 0, 2]), pd.Series([1, 1, 2, 0])).tolist()
    [0.5, 0.0, -1.0, 1.0]
    """
    return _ratio(positive - negative, positive + negative, "balance")


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


def _tally(df: pd.DataFrame, by: str, level: str, by_values: Sequence[Any],
           keys: Sequence[Any], *, codings_only: bool = False) -> pd.DataFrame:
    """Per (``by`` value, key), every combination: ``codings`` (rows), ``segments`` (distinct
    ``(doc_id, start, end)``), ``documents`` (distinct ``doc_id``) and ``informants`` (distinct
    non-empty ``informant``), indexed by (_by, _key)."""
    cell, size = _cells(df, by, level, by_values, keys)
    columns = {"codings": count(cell, size)}
    if not codings_only:
        docs, uniques = column_codes(df["doc_id"], na=True)  # a missing doc_id: a span's part
        n_docs = len(uniques)
        spans, n_spans = combine((docs, n_docs), int_codes(df["start"].to_numpy()),
                                 int_codes(df["end"].to_numpy()))
        real_docs = docs if not uniques.isna().any() else \
            np.where(uniques.isna()[docs], -1, docs)
        informants, names = column_codes(df["informant"])
        informants = drop_value(informants, names, "")
        columns["segments"] = count_distinct(cell, size, spans, n_spans)
        columns["documents"] = count_distinct(cell, size, real_docs, n_docs)
        columns["informants"] = count_distinct(cell, size, informants, len(names))
    return pd.DataFrame(columns, index=_cell_index(by_values, keys))


def _valence_table(df: pd.DataFrame, by: str, level: str, by_values: Sequence[Any],
                   keys: Sequence[Any]) -> pd.DataFrame:
    """Positive, negative and neutral codings per (``by`` value, key), every combination."""
    cell, size = _cells(df, by, level, by_values, keys)
    both, _ = combine((cell, size), (codes_in(df["valence"], VALENCES), len(VALENCES)))
    counts = count(both, size * len(VALENCES)).reshape(size, len(VALENCES))
    return pd.DataFrame(counts, columns=list(VALENCES), index=_cell_index(by_values, keys))


def _doc_attribute(by: str, documents: pd.DataFrame | None, df: pd.DataFrame) -> pd.Series:
    """Map doc_id -> value of ``by`` from ``documents`` (or, failing that, the codings).

    ``by`` must have been checked with :func:`_check_document_attribute`.
    """
    source = documents if documents is not None and by in documents.columns else df
    pairs = source[["doc_id", by]].astype(object).drop_duplicates("doc_id")
    return pairs.set_index("doc_id")[by]


def _words(func: str, documents: pd.DataFrame, by: str, df: pd.DataFrame) -> pd.Series:
    """Words of each ``by`` value's documents (documents without a value are left out).

    ``by`` is read from ``documents`` when it has the column, else from the codings; then a
    document without codings has no value, which is announced with a UserWarning.
    """
    _check_frame(func, "documents", documents, ("doc_id", "n_words"))
    attribute = _doc_attribute(by, documents, df)
    docs = documents.drop_duplicates("doc_id")
    unknown = sorted(set(docs["doc_id"]) - set(attribute.index))
    if unknown:
        _warn(f"{func}: {len(unknown)} document(s) of 'documents' have no codings and no {by!r} "
              f"column to say their {by!r} ({', '.join(map(repr, unknown[:5]))}); their words "
              f"are left out of the totals: add a {by!r} column to 'documents'", UserWarning)
    return docs["n_words"].groupby(docs["doc_id"].map(attribute)).sum()
