"""Tidy analysis of codings: frequencies, coverage, framework matrices, co-occurrence, valence
and group comparisons.

Every public function takes the codings frame of ``project.codings()`` (or one built with
:func:`uppks_qual.schema.codings_frame`), checks it with
:func:`~uppks_qual.schema.validate_codings`, and returns a new tidy frame. Nothing here reads
files, prints, draws or touches the project store. Document and segment tables, when a
function needs them, are passed in as DataFrames too.

Conventions
-----------
- ``level="factor"`` counts by the top-level ancestor (``factor`` column, output column
  ``factor``); ``level="code"`` by ``code_id`` (output column ``code``).
- ``by=`` / ``cols=`` name a metadata column of the codings frame: one of :data:`BY_COLUMNS`.
- Frequency-like outputs contain every combination of ``by`` value and factor category, with
  zeros where nothing was coded; both key columns are categoricals in a stable order.
- Undefined values (a ratio over zero) are ``nan`` and announced with a :class:`RuntimeWarning`;
  bad parameters raise :class:`ValueError` with a scikit-learn style message.

References
----------
.. [1] Ritchie, J., & Spencer, L. (1994). Qualitative data analysis for applied policy
   research. In A. Bryman & R. Burgess (Eds.), *Analyzing Qualitative Data* (pp. 173-194).
.. [2] Woolf, B. (1955). On estimating the relation between blood group and disease. *Annals
   of Human Genetics*, 19(4), 251-253.
.. [3] Haldane, J. B. S. (1956). The estimation and significance of the logarithm of a ratio
   of frequencies. *Annals of Human Genetics*, 20(4), 309-311.
.. [4] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. *Journal of
   the Royal Statistical Society B*, 57(1), 289-300.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from .records import VALENCES
from .schema import validate_codings

__all__ = [
    "BY_COLUMNS",
    "LEVELS",
    "UNITS",
    "VERDICTS",
    "code_frequencies",
    "combine_codings",
    "compare_groups",
    "cooccurrence",
    "coverage",
    "framework_matrix",
    "framework_table",
    "thesis_comparison",
    "valence_balance",
]

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


# --------------------------------------------------------------------------------------
# Quotes
# --------------------------------------------------------------------------------------


def _format_quote(text: str, doc_id: str, role: str, *, max_chars: int = QUOTE_LENGTH[1]) -> str:
    """``"text" (doc_id, role)``, whitespace collapsed and cut at ``max_chars`` with "..."."""
    text = " ".join(str(text).split())
    if len(text) > max_chars:
        text = text[: max_chars - 3].rstrip() + "..."
    where = f"{doc_id}, {role}" if role else f"{doc_id}"
    return f'"{text}" ({where})'


def _rank_quotes(cell: pd.DataFrame, prefer: str | None) -> pd.DataFrame:
    """Candidate quotes of a cell, best first (see :func:`framework_matrix`)."""
    text = cell["text"].fillna("").astype(str).str.split().str.join(" ")
    manual = cell["origin"].astype(object).eq("manual")
    confidence = cell["confidence"].fillna(manual.map({True: 1.0, False: 0.0}))
    low, high = QUOTE_LENGTH
    ranking = pd.DataFrame({
        "auto": ~manual,
        "unsure": -confidence,
        "off_valence": cell["valence"].astype(object).ne(prefer) if prefer else False,
        "off_length": ~text.str.len().between(low, high),
        "coding_id": cell["coding_id"],
        "text": text,
        "doc_id": cell["doc_id"],
        "role": cell["informant_role"].fillna("").astype(str),
    })
    ranking = ranking[ranking["text"].str.len() > 0]
    ranking = ranking.sort_values(["auto", "unsure", "off_valence", "off_length", "coding_id"])
    return ranking.drop_duplicates("text")


def _pick_quotes(cell: pd.DataFrame, n: int, prefer: str | None) -> tuple[str, ...]:
    """The ``n`` most representative quotes of a cell, formatted."""
    if n == 0 or cell.empty:
        return ()
    best = _rank_quotes(cell, prefer).head(n)
    return tuple(_format_quote(t, d, r)
                 for t, d, r in zip(best["text"], best["doc_id"], best["role"], strict=True))


def _majority(positive: int, negative: int, neutral: int) -> str | None:
    """The valence with the most codings, or None when the top count is tied or zero."""
    counts = {"positive": positive, "negative": negative, "neutral": neutral}
    top = max(counts.values())
    winners = [v for v, c in counts.items() if c == top]
    return winners[0] if top > 0 and len(winners) == 1 else None


# --------------------------------------------------------------------------------------
# Frequencies and coverage
# --------------------------------------------------------------------------------------


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


def _sentences(func: str, segments: pd.DataFrame, by: str, documents: pd.DataFrame | None,
               df: pd.DataFrame) -> pd.DataFrame:
    """The sentence segments with a ``_by`` column and a running ``_sid``."""
    _check_frame(func, "segments", segments, ("doc_id", "kind", "start", "end"))
    sentences = segments[segments["kind"] == "sentence"]
    if by in sentences.columns:
        values = sentences[by].astype(object)
    else:
        values = sentences["doc_id"].map(_doc_attribute(func, by, documents, df))
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
    df : DataFrame
        Codings frame (``project.codings()`` or :func:`~uppks_qual.schema.codings_frame`).
    by : str, default "group"
        Metadata column to split by, one of :data:`BY_COLUMNS`.
    level : {"factor", "code"}, default "factor"
        Count by top-level factor or by code.
    documents : DataFrame, optional
        One row per document with ``doc_id``, ``n_words`` and the ``by`` column; adds
        ``words`` (words of that ``by`` value's documents) and ``per_1000_words``
        (codings per 1,000 of those words).
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
    ValueError
        For an unknown ``level`` or ``by``, or a ``documents``/``segments`` frame without the
        columns it needs.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "a1", "group": "Asoka", "start": 0, "end": 9, "code_id": "leadership"},
    ...     {"doc_id": "a1", "group": "Asoka", "start": 0, "end": 9, "code_id": "partnerships"},
    ...     {"doc_id": "m1", "group": "Melati", "start": 5, "end": 20, "code_id": "leadership"},
    ... ])
    >>> freq = code_frequencies(df)
    >>> freq[["group", "factor", "codings"]].to_numpy().tolist()
    [['Asoka', 'leadership', 1], ['Asoka', 'partnerships', 1], ['Melati', 'leadership', 1], ['Melati', 'partnerships', 0]]
    """
    validate_codings(df)
    func = "code_frequencies"
    _check_choice(func, "by", by, BY_COLUMNS)
    _check_choice(func, "level", level, LEVELS)
    extra = documents[by] if documents is not None and by in documents.columns else None
    by_values, keys = _by_values(df, by, extra), _keys(df, level)
    work = _prepare(df, by, level)
    table = _full(_tally(work), by_values, keys)
    if documents is not None:
        words = _words(func, documents, by, df)
        by_level = table.index.get_level_values("_by")
        table["words"] = by_level.map(dict(words)).fillna(0).astype("int64")
        per_word = _ratio(table["codings"], table["words"], "per_1000_words")
        table["per_1000_words"] = per_word * 1000
    if segments is not None:
        sentences = _sentences(func, segments, by, documents, df)
        n = sentences.groupby("_by").size()
        by_level = table.index.get_level_values("_by")
        table["n_segments"] = by_level.map(dict(n)).fillna(0).astype("int64")
        hits = _coded_sentences(work, sentences).reindex(table.index, fill_value=0)
        table["pct_segments"] = _ratio(hits, table["n_segments"], "pct_segments") * 100
    return _finish(table, by, by_values, _key_name(level), keys)


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
    ValueError
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
    _check_choice(func, "level", level, ("code", "factor"))
    _check_frame(func, "documents", documents, ("doc_id", "n_chars"))
    docs = documents.drop_duplicates("doc_id")
    unknown = sorted(set(df["doc_id"]) - set(docs["doc_id"]))
    if unknown:
        raise ValueError(f"{func}: codings refer to document(s) not in documents: "
                         f"{', '.join(map(repr, unknown))}")
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
# Framework matrix
# --------------------------------------------------------------------------------------


def framework_matrix(
    df: pd.DataFrame,
    *,
    rows: str = "factor",
    cols: str = "group",
    quotes: int = 2,
) -> pd.DataFrame:
    """The framework-matrix view (Ritchie & Spencer) in long form: one row per cell.

    Cells are (factor or code) x (value of a metadata column). For each cell: the number of
    codings, their valence counts, a valence balance and the most representative quotes.

    Representative quotes are ranked by, in order: manual codings before auto codings; higher
    ``confidence`` first (a manual coding without a confidence counts as 1.0, an auto coding
    without one as 0.0); valence equal to the cell's majority valence (none when the top
    count is tied); moderate length (40-300 characters); then ``coding_id``. Duplicate texts
    (the same passage coded twice) are shown once. A quote reads ``"text" (doc_id, role)``.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    rows : {"factor", "code"}, default "factor"
        What the matrix rows are.
    cols : str, default "group"
        Metadata column for the matrix columns, one of :data:`BY_COLUMNS`.
    quotes : int, default 2
        Quotes per cell (0 for none).

    Returns
    -------
    DataFrame
        Columns ``factor`` (or ``code``), ``cols``, ``n``, ``positive``, ``negative``,
        ``neutral``, ``balance = (positive - negative) / n`` (nan, with a RuntimeWarning, for
        an empty cell), ``majority`` (the majority valence or None) and ``quotes`` (a tuple
        of formatted quotes). :func:`framework_table` gives the wide view.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "asoka-int-chair", "group": "Asoka", "start": 0, "end": 50,
    ...      "code_id": "leadership", "valence": "positive", "informant_role": "chair",
    ...      "text": "Ketua rajin mengingatkan kami setiap bulan di rapat."},
    ... ])
    >>> matrix = framework_matrix(df, quotes=1)
    >>> matrix.loc[0, "n"].item(), matrix.loc[0, "balance"].item()
    (1, 1.0)
    >>> print(matrix.loc[0, "quotes"][0])
    "Ketua rajin mengingatkan kami setiap bulan di rapat." (asoka-int-chair, chair)
    """
    validate_codings(df)
    func = "framework_matrix"
    _check_choice(func, "rows", rows, LEVELS)
    _check_choice(func, "cols", cols, BY_COLUMNS)
    _check_int(func, "quotes", quotes)
    col_values, keys = _by_values(df, cols), _keys(df, rows)
    work = _prepare(df, cols, rows)
    table = _full(_valence_counts(work), col_values, keys)
    table["n"] = table[list(VALENCES)].sum(axis=1)
    table["balance"] = _ratio(table["positive"] - table["negative"], table["n"], "balance")
    table["majority"] = [_majority(p, n, u) for p, n, u in
                         zip(table["positive"], table["negative"], table["neutral"], strict=True)]
    cells = dict(iter(work.groupby(["_by", "_key"], sort=False)))
    table["quotes"] = [_pick_quotes(cells.get(i, work.iloc[:0]), quotes, m)
                       for i, m in zip(table.index, table["majority"], strict=True)]
    out = _finish(table, cols, col_values, _key_name(rows), keys)
    return out[[_key_name(rows), cols, "n", *VALENCES, "balance", "majority", "quotes"]]


def _cell_summary(row: pd.Series) -> str:
    if row["n"] == 0:
        return ""
    head = f"n={row['n']} (+{row['positive']} / -{row['negative']})"
    return "\n".join([head, *row["quotes"]])


def framework_table(
    df: pd.DataFrame,
    *,
    rows: str = "factor",
    cols: str = "group",
    quotes: int = 2,
    values: str = "summary",
) -> pd.DataFrame:
    """The framework matrix in wide form: rows x columns, one cell per pair.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    rows, cols, quotes
        As in :func:`framework_matrix`.
    values : {"summary", "n", "positive", "negative", "neutral", "balance"}, default "summary"
        What a cell shows: ``"summary"`` is ``n=<n> (+<positive> / -<negative>)`` followed by
        the quotes, one per line (empty for an empty cell); the others are numbers.

    Returns
    -------
    DataFrame
        Index: factors (or codes); columns: the values of ``cols``.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "a1", "group": "Asoka", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": "positive"},
    ...     {"doc_id": "m1", "group": "Melati", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": "negative"},
    ... ])
    >>> framework_table(df, values="balance").loc["leadership"].tolist()
    [1.0, -1.0]
    """
    validate_codings(df)
    _check_choice("framework_table", "values", values, TABLE_VALUES)
    long = framework_matrix(df, rows=rows, cols=cols, quotes=quotes if values == "summary" else 0)
    key = _key_name(rows)
    if values == "summary":
        long = long.assign(summary=long.apply(_cell_summary, axis=1))
    wide = long.pivot(index=key, columns=cols, values=values)
    wide.index, wide.columns = list(wide.index), list(wide.columns)
    wide.index.name, wide.columns.name = key, cols
    return wide


# --------------------------------------------------------------------------------------
# Co-occurrence and valence
# --------------------------------------------------------------------------------------


def cooccurrence(df: pd.DataFrame, *, unit: str = "segment", level: str = "factor") -> pd.DataFrame:
    """Which factors (or codes) are coded together, with counts and Jaccard similarity.

    Units
    -----
    ``unit="document"``: a unit is a document. ``unit="segment"``: a unit is a block of
    overlapping coded spans within a document: codings on the same ``(doc_id, start, end)``
    span, or on spans that overlap (directly or through a chain of overlaps; offsets are
    half-open, so ``[0, 5)`` and ``[5, 9)`` do not overlap), form one unit. For sentence-level
    auto codings a unit is a sentence.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    unit : {"segment", "document"}, default "segment"
    level : {"factor", "code"}, default "factor"

    Returns
    -------
    DataFrame
        One row per ordered pair ``(a, b)`` of the factors (codes) present in ``df``,
        diagonal included, with ``count`` (units with both), ``n_a``, ``n_b`` (units with
        each) and ``jaccard = count / (n_a + n_b - count)`` (``|A ∩ B| / |A ∪ B|``; 1 on the
        diagonal).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "d", "start": 0, "end": 10, "code_id": "leadership"},
    ...     {"doc_id": "d", "start": 5, "end": 15, "code_id": "partnerships"},
    ...     {"doc_id": "d", "start": 30, "end": 40, "code_id": "leadership"},
    ... ])
    >>> co = cooccurrence(df)
    >>> co[(co["a"] == "leadership") & (co["b"] == "partnerships")][["count", "jaccard"]].to_numpy().tolist()
    [[1.0, 0.5]]
    """
    validate_codings(df)
    _check_choice("cooccurrence", "unit", unit, UNITS)
    _check_choice("cooccurrence", "level", level, LEVELS)
    work = _prepare(df, "doc_id", level)
    units = work["doc_id"] if unit == "document" else _blocks(work, ["doc_id"])
    present = pd.DataFrame({"_unit": units.to_numpy(), "a": work["_key"].to_numpy()})
    present = present.drop_duplicates()
    pairs = present.merge(present.rename(columns={"a": "b"}), on="_unit")
    keys = [k for k in _keys(df, level) if k in set(present["a"])]
    index = pd.MultiIndex.from_product([keys, keys], names=["a", "b"])
    counts = pairs.groupby(["a", "b"]).size().reindex(index, fill_value=0)
    out = counts.rename("count").reset_index()
    sizes = dict(present["a"].value_counts())
    out["n_a"] = out["a"].map(sizes).astype("int64")
    out["n_b"] = out["b"].map(sizes).astype("int64")
    out["jaccard"] = out["count"] / (out["n_a"] + out["n_b"] - out["count"])
    out["count"] = out["count"].astype("int64")
    for column in ("a", "b"):
        out[column] = pd.Categorical(out[column], categories=keys)
    return out


def valence_balance(df: pd.DataFrame, *, by: str = "group", level: str = "factor") -> pd.DataFrame:
    """Positive, negative and neutral codings and their balance per factor and group.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    by : str, default "group"
        Metadata column, one of :data:`BY_COLUMNS`.
    level : {"factor", "code"}, default "factor"

    Returns
    -------
    DataFrame
        One row per (``by`` value, factor), zeros included: ``positive``, ``negative``,
        ``neutral``, ``n`` and ``balance = (positive - negative) / (positive + negative)``,
        which runs from -1 (all negative) to 1 (all positive) and is nan, with a
        RuntimeWarning, where there are no positive or negative codings.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "a", "group": "Asoka", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": v} for v in ("positive", "positive", "positive", "negative", "neutral")
    ... ])
    >>> table = valence_balance(df)
    >>> table[["positive", "negative", "neutral"]].iloc[0].tolist(), table["balance"].iloc[0].item()
    ([3, 1, 1], 0.5)
    """
    validate_codings(df)
    _check_choice("valence_balance", "by", by, BY_COLUMNS)
    _check_choice("valence_balance", "level", level, LEVELS)
    by_values, keys = _by_values(df, by), _keys(df, level)
    table = _full(_valence_counts(_prepare(df, by, level)), by_values, keys)
    table["n"] = table[list(VALENCES)].sum(axis=1)
    valenced = table["positive"] + table["negative"]
    table["balance"] = _ratio(table["positive"] - table["negative"], valenced, "balance")
    return _finish(table, by, by_values, _key_name(level), keys)


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
    """Benjamini-Hochberg adjusted p-values (the step-up FDR procedure), in input order."""
    p = np.asarray(p_values, dtype="float64")
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


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
    for group, total in zip(groups, out, strict=True):
        if total == 0:
            raise ValueError(f"{func}: {by} {group!r} has no {what}; nothing to compare")
    return out


def _warn_small(frame: pd.DataFrame, a: str, b: str, min_count: int) -> None:
    small = [f"{row.iloc[0]} in {g}: {c}" for _, row in frame.iterrows()
             for g, c in ((a, row["count_a"]), (b, row["count_b"])) if c < min_count]
    if small:
        warnings.warn(
            f"{len(small)} count(s) below min_count={min_count} ({'; '.join(small)}): numbers "
            "this small mean little; read the odds ratios and p-values as descriptive at most",
            UserWarning, stacklevel=3)


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
    factors tested with the Benjamini-Hochberg procedure; ``significant`` is
    ``p_adjusted < alpha``.

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
    ValueError
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
    _check_choice(func, "by", by, BY_COLUMNS)
    _check_choice(func, "level", level, LEVELS)
    _check_int(func, "min_count", min_count)
    _check_real(func, "alpha", alpha, 1e-12, 1 - 1e-12)
    _check_members(func, df, by, (a, b))
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


# --------------------------------------------------------------------------------------
# The study's comparison
# --------------------------------------------------------------------------------------


def _verdicts(counts: pd.DataFrame, *, working: float, lacking: float,
              min_evidence: int) -> pd.DataFrame:
    """Add ``evidence``, ``balance`` and ``verdict`` to a positive/negative/neutral table."""
    out = counts.copy()
    out["evidence"] = out["positive"] + out["negative"]
    weight = out["positive"] + out["negative"] + 0.5 * out["neutral"]
    out["balance"] = (out["positive"] - out["negative"]) / weight.where(weight > 0)
    insufficient = (out["evidence"] < min_evidence) | out["balance"].isna()
    conditions = [insufficient, out["balance"] >= working, out["balance"] <= lacking]
    choices = ["insufficient evidence", "working", "lacking"]
    out["verdict"] = np.select(conditions, choices, default="mixed").astype(object)
    return out


def _agrees(row: pd.Series, *, strict: bool) -> Any:
    insufficient = "insufficient evidence"
    if insufficient in (row["verdict_a"], row["verdict_b"]):
        return pd.NA
    better = bool(row["balance_a"] > row["balance_b"])
    return better and row["verdict_a"] != "lacking" if strict else better


def thesis_comparison(
    df: pd.DataFrame,
    *,
    a: str = "Asoka",
    b: str = "Melati",
    working: float = 0.2,
    lacking: float = -0.2,
    min_evidence: int = 3,
    quotes: int = 2,
    factors: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Reproduce the study's comparison: did each factor work in group ``a`` and in ``b``?

    The study found that six factors (the officers' leadership, clarity of information,
    support from formal and informal figures, the field officers' role, capital growth and
    partnerships) worked better in Asoka than in Melati. This function derives a verdict per
    factor and group from the valence of the codings and says whether the direction agrees.

    .. important::
       On the bundled data this reflects an **illustrative corpus** written from the study's
       published summary, **not field findings**: agreement with the study there shows that
       the toolkit recovers what the corpus was written to contain, nothing more.

    Rules
    -----
    For one factor in one group, with ``pos``, ``neg`` and ``neu`` its positive, negative and
    neutral codings:

    - ``evidence = pos + neg`` (only valenced codings say whether a factor worked);
    - ``balance = (pos - neg) / (pos + neg + 0.5 * neu)``, from -1 to 1; neutral codings
      count half, pulling the balance towards 0 (nan when there are no codings);
    - ``verdict`` is ``"insufficient evidence"`` if ``evidence < min_evidence`` (or there
      are no codings at all); otherwise
      ``"working"`` if ``balance >= working``, ``"lacking"`` if ``balance <= lacking``, and
      ``"mixed"`` in between;
    - ``agrees_with_study`` (the *direction*) is ``<NA>`` when either group's verdict is
      "insufficient evidence"; otherwise True exactly when ``balance_a > balance_b`` (the
      factor's evidence is more favourable in ``a``), else False;
    - ``supports_study`` is stricter: the direction agrees **and** ``verdict_a != "lacking"``
      (the factor did better in ``a`` and did not fail there).

    Quotes per group and factor are chosen as in :func:`framework_matrix`, preferring
    positive quotes for a "working" verdict, negative ones for "lacking" and no valence
    otherwise.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    a, b : str, default "Asoka", "Melati"
        The groups (values of ``group``): ``a`` is the one the study found doing better.
    working, lacking : float, default 0.2, -0.2
        Balance thresholds in [-1, 1], ``lacking < working``.
    min_evidence : int, default 3
        Fewest valenced codings for a verdict other than "insufficient evidence".
    quotes : int, default 2
        Quotes per group and factor.
    factors : sequence of str, optional
        The factors to compare, e.g. ``[c.code_id for c in codebook.factors()]`` for the six
        study factors. Default: the factor categories of ``df`` that have codings (which
        includes structural codes if the frame has them).

    Returns
    -------
    DataFrame
        One row per factor: ``factor``, ``group_a``, ``group_b``; for each group (suffix
        ``_a``/``_b``) ``verdict``, ``balance``, ``positive``, ``negative``, ``neutral`` and
        ``quotes`` (tuple); and ``agrees_with_study`` (nullable boolean).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> rows = ([{"group": "Asoka", "valence": "positive"}] * 4
    ...         + [{"group": "Melati", "valence": "negative"}] * 3)
    >>> df = codings_frame([dict(r, doc_id="d", start=0, end=1, code_id="leadership")
    ...                     for r in rows])
    >>> row = thesis_comparison(df).iloc[0]
    >>> row["verdict_a"], row["verdict_b"], bool(row["agrees_with_study"])
    ('working', 'lacking', True)
    """
    validate_codings(df)
    func = "thesis_comparison"
    _check_real(func, "working", working, -1.0, 1.0)
    _check_real(func, "lacking", lacking, -1.0, 1.0)
    if not lacking < working:
        raise ValueError(f"The 'lacking' parameter of {func} must be lower than 'working' "
                         f"({working!r}). Got {lacking!r} instead.")
    _check_int(func, "min_evidence", min_evidence)
    _check_int(func, "quotes", quotes)
    _check_members(func, df, "group", (a, b))
    if factors is None:
        present = set(df["factor"].dropna())
        factors = [f for f in df["factor"].cat.categories if f in present]
    work = _prepare(df, "group", "factor")
    counts = _full(_valence_counts(work), [a, b], list(factors))
    table = _verdicts(counts, working=working, lacking=lacking, min_evidence=min_evidence)
    cells = dict(iter(work.groupby(["_by", "_key"], sort=False)))
    prefer = {"working": "positive", "lacking": "negative"}
    table["quotes"] = [_pick_quotes(cells.get(i, work.iloc[:0]), quotes, prefer.get(v))
                       for i, v in zip(table.index, table["verdict"], strict=True)]
    return _thesis_frame(table, a, b, list(factors))


def _thesis_frame(table: pd.DataFrame, a: str, b: str, factors: list[str]) -> pd.DataFrame:
    columns = ["verdict", "balance", *VALENCES, "quotes"]
    side_a = table.xs(a, level="_by")[columns].add_suffix("_a")
    side_b = table.xs(b, level="_by")[columns].add_suffix("_b")
    out = side_a.join(side_b).rename_axis("factor").reset_index()
    out.insert(1, "group_a", a)
    out.insert(2, "group_b", b)
    out["agrees_with_study"] = pd.array([_agrees(r, strict=False) for _, r in out.iterrows()],
                                        dtype="boolean")
    out["supports_study"] = pd.array([_agrees(r, strict=True) for _, r in out.iterrows()],
                                     dtype="boolean")
    out["factor"] = pd.Categorical(out["factor"], categories=factors)
    return out


def combine_codings(df: pd.DataFrame, *, scope: pd.DataFrame | None = None,
                    factors: Sequence[str] | None = None) -> pd.DataFrame:
    """One body of evidence from manual and automatic codings: a human's judgement wins.

    Automatic codings that overlap a passage a human coded (any manual coding), or a passage in
    ``scope`` (``doc_id, start, end`` of passages humans read, coded or not), are dropped;
    everything else is kept. With several human coders, each coder's codings are all kept, so
    pass ``df`` filtered to the coders whose judgement should count. ``factors`` keeps only
    codings of those factors (and drops unused factor categories).

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "d", "group": "A", "start": 0, "end": 9, "code_id": "leadership",
    ...      "origin": "manual", "coder": "ana"},
    ...     {"doc_id": "d", "group": "A", "start": 0, "end": 9, "code_id": "leadership",
    ...      "origin": "auto", "coder": "auto"},
    ...     {"doc_id": "d", "group": "A", "start": 20, "end": 30, "code_id": "leadership",
    ...      "origin": "auto", "coder": "auto"}])
    >>> combine_codings(df)["start"].tolist()
    [0, 20]
    """
    validate_codings(df)
    manual = df[df["origin"] == "manual"][["doc_id", "start", "end"]]
    seen = manual if scope is None else pd.concat([manual, scope[["doc_id", "start", "end"]]])
    auto = df[df["origin"] == "auto"]
    drop = np.zeros(len(auto), dtype=bool)
    for doc_id, spans in seen.groupby("doc_id"):
        mask = (auto["doc_id"] == doc_id).to_numpy()
        if not mask.any():
            continue
        starts, ends = auto["start"].to_numpy()[mask], auto["end"].to_numpy()[mask]
        hit = np.zeros(mask.sum(), dtype=bool)
        for a, b in zip(spans["start"], spans["end"], strict=True):
            hit |= (starts < b) & (ends > a)
        drop[np.flatnonzero(mask)[hit]] = True
    out = pd.concat([df[df["origin"] == "manual"], auto[~drop]]).sort_values(
        ["doc_id", "start", "end", "code_id"], kind="stable")
    if factors is not None:
        out = out[out["factor"].isin(list(factors))].copy()
        out["factor"] = out["factor"].cat.set_categories(list(factors))
    return out.reset_index(drop=True)
