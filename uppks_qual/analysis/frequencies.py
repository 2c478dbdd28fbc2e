"""Frequencies, coverage and valence balance (see :mod:`uppks_qual.analysis`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import InstanceOf, Options, validate_params
from ..records import VALENCES
from ..schema import validate_codings
from . import _dask
from ._common import (
    LEVELS,
    _blocks,
    _by_values,
    _check_by,
    _check_document_attribute,
    _check_frame,
    _doc_attribute,
    _finish,
    _full,
    _key_name,
    _keys,
    _prepare,
    _ratio,
    _tally,
    _valence_table,
    _words,
    balance,
)

# --------------------------------------------------------------------------------------
# Frequencies and coverage
# --------------------------------------------------------------------------------------


def _sentences(func: str, segments: pd.DataFrame, by: str, documents: pd.DataFrame | None,
               df: pd.DataFrame) -> pd.DataFrame:
    """The sentence segments with a ``_by`` column and a running ``_sid``."""
    _check_frame(func, "segments", segments, ("doc_id", "kind", "start", "end"))
    sentences = segments[segments["kind"] == "sentence"]
    if by in sentences.columns:
        values = sentences[by].astype(object)
    else:
        values = sentences["doc_id"].map(_doc_attribute(by, documents, df))
    return pd.DataFrame({"doc_id": sentences["doc_id"].to_numpy(),
                         "s_start": sentences["start"].to_numpy(),
                         "s_end": sentences["end"].to_numpy(),
                         "_by": values.to_numpy(),
                         "_sid": np.arange(len(sentences))})


def _coded_sentences(work: pd.DataFrame, sentences: pd.DataFrame) -> pd.Series:
    """Distinct sentence segments overlapping a coding, per (_by, _key) of the sentence."""
    pairs = work[["doc_id", "start", "end", "_key"]].merge(sentences, on="doc_id")
    hit = pairs[(pairs["start"] < pairs["s_end"]) & (pairs["s_start"] < pairs["end"])]
    return hit.drop_duplicates(["_sid", "_key"]).groupby(["_by", "_key"]).size()


def _extra_values(extra: pd.Series | None, known: list[Any]) -> list[Any]:
    """Values of ``documents[by]`` not among ``known`` (sorted), as :func:`_by_values` adds."""
    if extra is None:
        return []
    return [v for v in sorted(extra.dropna().unique()) if v not in known]


_FRAME_OR_NONE = [InstanceOf(pd.DataFrame, what="a DataFrame"), None]


@validate_params({"level": [Options(*LEVELS)], "documents": _FRAME_OR_NONE,
                  "segments": _FRAME_OR_NONE})
def code_frequencies(
    df: pd.DataFrame,
    *,
    by: str = "group",
    level: str = "factor",
    documents: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count codings per factor (or code) and group (or any metadata column).

    Parameters
    ----------
    df : DataFrame or dask.dataframe.DataFrame
        Codings frame (``project.codings()`` or :func:`~uppks_qual.schema.codings_frame`), or
        a Dask frame with its columns (e.g. Parquet read lazily): Dask then does the counting
        and only the small result is computed (not with ``segments``; see
        :mod:`uppks_qual.analysis._dask` for how groups and factors are ordered).
    by : str, default "group"
        Metadata column to split by: one of :data:`BY_COLUMNS` or an extra column of ``df``
        (a document attribute such as ``district``; see :func:`metadata_columns`). Codings
        whose ``by`` value is missing (a document in no group) are left out.
    level : {"factor", "code"}, default "factor"
        Count by top-level factor or by code.
    documents : DataFrame, optional
        One row per document with ``doc_id``, ``n_words`` and best the ``by`` column (else
        it is read from the codings, and a document without codings is left out with a
        warning); adds ``words`` (words of that ``by`` value's documents) and
        ``per_1000_words`` (codings per 1,000 of those words). ``by`` must then be a
        document attribute: a fixed document column or an extra column with one value per
        ``doc_id``.
    segments : DataFrame, optional
        One row per segment with ``doc_id``, ``kind``, ``start``, ``end`` (and the ``by``
        column, or ``documents`` to look it up); adds ``n_segments`` (the ``by`` value's
        segments of kind ``"sentence"``, the auto-coder's unit) and ``pct_segments`` (the
        percentage of those sentences that overlap at least one coding of the factor/code;
        for auto codings, whose spans are sentences, this is ``segments / n_segments * 100``).

    Returns
    -------
    DataFrame
        One row per (``by`` value, factor or code), zeros included, with columns ``by``,
        ``factor`` (or ``code``), ``codings`` (rows), ``segments`` (distinct
        ``(doc_id, start, end)`` spans), ``documents`` (distinct ``doc_id``), ``informants``
        (distinct non-empty ``informant``) and the optional rate columns.

    Raises
    ------
    ParameterError
        For an unknown ``level`` or ``by``, a ``by`` that is not a document attribute with
        ``documents`` or ``segments``, a ``documents``/``segments`` frame without the
        columns it needs, or ``segments`` with a Dask frame.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "n1", "group": "north", "start": 0, "end": 9, "code_id": "leadership"},
    ...     {"doc_id": "n1", "group": "north", "start": 0, "end": 9, "code_id": "partnerships"},
    ...     {"doc_id": "s1", "group": "south", "start": 5, "end": 20, "code_id": "leadership"},
    ... ])
    >>> freq = code_frequencies(df)
    >>> freq[["group", "factor", "codings"]].to_numpy().tolist()
    [['north', 'leadership', 1], ['north', 'partnerships', 1], ['south', 'leadership', 1], ['south', 'partnerships', 0]]
    """
    func = "code_frequencies"
    extra = documents[by] if documents is not None and by in documents.columns else None
    source: pd.DataFrame = df
    if _dask.is_dask(df):
        _check_by(func, df, by)
        if segments is not None:
            raise ParameterError(
                f"The 'segments' parameter of {func} must be None for a Dask frame (matching "
                "codings to sentences needs every span). Got a DataFrame instead.",
                parameter="segments", function=func, value="DataFrame")
        if documents is not None:
            source = _dask.document_frame(df, by)
            _check_document_attribute(func, source, by)
        keys, by_values, counts = _dask.tally(df, func, by=by, level=level)
        by_values += _extra_values(extra, by_values)
        table = _dask.full_table(counts, by_values, keys)
    else:
        validate_codings(df)
        _check_by(func, df, by)
        if documents is not None or segments is not None:
            _check_document_attribute(func, df, by)
        by_values, keys = _by_values(df, by, extra), _keys(df, level)
        table = _tally(df, by, level, by_values, keys)
    if documents is not None:
        words = _words(func, documents, by, source)
        by_level = table.index.get_level_values("_by")
        table["words"] = by_level.map(dict(words)).fillna(0).astype("int64")
        per_word = _ratio(table["codings"], table["words"], "per_1000_words")
        table["per_1000_words"] = per_word * 1000
    if segments is not None:
        sentences = _sentences(func, segments, by, documents, df)
        n = sentences.groupby("_by").size()
        by_level = table.index.get_level_values("_by")
        table["n_segments"] = by_level.map(dict(n)).fillna(0).astype("int64")
        work = _prepare(df, by, level)
        hits = _coded_sentences(work, sentences).reindex(table.index, fill_value=0)
        table["pct_segments"] = _ratio(hits, table["n_segments"], "pct_segments") * 100
    return _finish(table, by, by_values, _key_name(level), keys)


@validate_params({"level": [Options("code", "factor")]})
def coverage(df: pd.DataFrame, documents: pd.DataFrame, *, level: str = "code") -> pd.DataFrame:
    """Share of each document's characters coded with each code (or factor).

    Overlapping spans of the same code in the same document are merged before counting, so
    a character coded twice (by two coders, or by a manual and an auto coding) counts once
    and coverage never exceeds 1 for spans inside the document.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    documents : DataFrame
        One row per document with ``doc_id`` and ``n_chars``.
    level : {"code", "factor"}, default "code"
        Merge and count per code or per top-level factor.

    Returns
    -------
    DataFrame
        One row per (document, code), every document of ``documents`` and every code
        included, with columns ``doc_id``, ``code`` (or ``factor``), ``coded_chars``,
        ``n_chars`` and ``coverage = coded_chars / n_chars`` (nan, with a RuntimeWarning, for a
        document of zero characters).

    Raises
    ------
    ParameterError
        For an unknown ``level``, missing columns, or codings of a document not in
        ``documents``.

    Examples
    --------
    >>> import pandas as pd
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "a1", "start": 0, "end": 40, "code_id": "leadership"},
    ...     {"doc_id": "a1", "start": 20, "end": 60, "code_id": "leadership"},
    ... ])
    >>> docs = pd.DataFrame({"doc_id": ["a1"], "n_chars": [200]})
    >>> coverage(df, docs)[["code", "coded_chars", "coverage"]].to_numpy().tolist()
    [['leadership', 60, 0.3]]
    """
    validate_codings(df)
    func = "coverage"
    _check_frame(func, "documents", documents, ("doc_id", "n_chars"))
    docs = documents.drop_duplicates("doc_id")
    unknown = sorted(set(df["doc_id"]) - set(docs["doc_id"]))
    if unknown:
        raise ParameterError(
            f"The 'documents' parameter of {func} must have a row for every document of the "
            f"codings. Got a frame without {', '.join(map(repr, unknown))} instead.",
            parameter="documents", function=func, missing=unknown)
    work = _prepare(df, "doc_id", level)
    spans = work.assign(_block=_blocks(work, ["_by", "_key"]))
    spans = spans.groupby("_block").agg(_by=("_by", "first"), _key=("_key", "first"),
                                        start=("start", "min"), end=("end", "max"))
    coded = (spans["end"] - spans["start"]).groupby([spans["_by"], spans["_key"]]).sum()
    doc_ids, keys = list(docs["doc_id"]), _keys(df, level)
    table = _full(coded.rename("coded_chars").to_frame(), doc_ids, keys)
    table["coded_chars"] = table["coded_chars"].astype("int64")
    n_chars = dict(zip(docs["doc_id"], docs["n_chars"], strict=True))
    table["n_chars"] = table.index.get_level_values("_by").map(n_chars).astype("int64")
    table["coverage"] = _ratio(table["coded_chars"], table["n_chars"], "coverage")
    out = _finish(table, "doc_id", doc_ids, _key_name(level), keys)
    out["doc_id"] = out["doc_id"].astype(object)
    return out


# --------------------------------------------------------------------------------------
# Valence
# --------------------------------------------------------------------------------------


@validate_params({"level": [Options(*LEVELS)]})
def valence_balance(df: pd.DataFrame, *, by: str = "group", level: str = "factor") -> pd.DataFrame:
    """Positive, negative and neutral codings and their balance per factor and group.

    Parameters
    ----------
    df : DataFrame or dask.dataframe.DataFrame
        Codings frame, or a Dask frame with its columns (as for :func:`code_frequencies`).
    by : str, default "group"
        Metadata column (see :func:`metadata_columns`); codings without a value are left out.
    level : {"factor", "code"}, default "factor"

    Returns
    -------
    DataFrame
        One row per (``by`` value, factor), zeros included: ``positive``, ``negative``,
        ``neutral``, ``n`` and ``balance = (positive - negative) / (positive + negative)``
        (see :func:`balance`), which runs from -1 (all negative) to 1 (all positive) and is
        nan, with a RuntimeWarning, where there are no positive or negative codings.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "a", "group": "north", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": v} for v in ("positive", "positive", "positive", "negative", "neutral")
    ... ])
    >>> table = valence_balance(df)
    >>> table[["positive", "negative", "neutral"]].iloc[0].tolist(), table["balance"].iloc[0].item()
    ([3, 1, 1], 0.5)
    """
    if _dask.is_dask(df):
        _check_by("valence_balance", df, by)
        keys, by_values, counts = _dask.tally(df, "valence_balance", by=by, level=level,
                                              with_valence=True)
        table = _dask.full_table(counts, by_values, keys)
    else:
        validate_codings(df)
        _check_by("valence_balance", df, by)
        by_values, keys = _by_values(df, by), _keys(df, level)
        table = _valence_table(df, by, level, by_values, keys)
    table["n"] = table[list(VALENCES)].sum(axis=1)
    table["balance"] = balance(table["positive"], table["negative"])
    return _finish(table, by, by_values, _key_name(level), keys)
