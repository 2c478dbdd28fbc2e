"""The framework matrix (Ritchie & Spencer) and quote selection (see :mod:`uppks_qual.analysis`)."""

from __future__ import annotations

import pandas as pd

from ..params import Interval, Options, validate_params
from ..records import VALENCES
from ..schema import validate_codings
from ._common import (
    LEVELS,
    QUOTE_LENGTH,
    TABLE_VALUES,
    _by_values,
    _check_by,
    _finish,
    _full,
    _key_name,
    _keys,
    _prepare,
    _valence_counts,
    balance,
)

_MATRIX_PARAMS = {"rows": [Options(*LEVELS)], "quotes": [Interval(int, 0, None)]}

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
# Framework matrix
# --------------------------------------------------------------------------------------


@validate_params(_MATRIX_PARAMS)
def framework_matrix(
    df: pd.DataFrame,
    *,
    rows: str = "factor",
    cols: str = "group",
    quotes: int = 2,
) -> pd.DataFrame:
    """The framework-matrix view (Ritchie & Spencer) in long form: one row per cell.

    Cells are (factor or code) x (value of a metadata column). For each cell: the number of
    codings, their valence counts, the valence balance (:func:`balance`) and the most
    representative quotes.

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
        Metadata column for the matrix columns (see :func:`metadata_columns`: a fixed column
        or a document attribute); codings without a value are left out.
    quotes : int, default 2
        Quotes per cell (0 for none).

    Returns
    -------
    DataFrame
        Columns ``factor`` (or ``code``), ``cols``, ``n``, ``positive``, ``negative``,
        ``neutral``, ``balance = (positive - negative) / (positive + negative)`` (neutral
        codings do not enter it; nan, with a RuntimeWarning, for a cell without positive or
        negative codings), ``majority`` (the majority valence or None) and ``quotes`` (a
        tuple of formatted quotes). :func:`framework_table` gives the wide view.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "north-int-chair", "group": "north", "start": 0, "end": 50,
    ...      "code_id": "leadership", "valence": "positive", "informant_role": "chair",
    ...      "text": "Ketua rajin mengingatkan kami setiap bulan di rapat."},
    ... ])
    >>> matrix = framework_matrix(df, quotes=1)
    >>> matrix.loc[0, "n"].item(), matrix.loc[0, "balance"].item()
    (1, 1.0)
    >>> print(matrix.loc[0, "quotes"][0])
    "Ketua rajin mengingatkan kami setiap bulan di rapat." (north-int-chair, chair)
    """
    validate_codings(df)
    _check_by("framework_matrix", df, cols, name="cols")
    col_values, keys = _by_values(df, cols), _keys(df, rows)
    work = _prepare(df, cols, rows)
    table = _full(_valence_counts(work), col_values, keys)
    table["n"] = table[list(VALENCES)].sum(axis=1)
    table["balance"] = balance(table["positive"], table["negative"])
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


@validate_params({**_MATRIX_PARAMS, "values": [Options(*TABLE_VALUES)]})
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
    ...     {"doc_id": "n1", "group": "north", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": "positive"},
    ...     {"doc_id": "s1", "group": "south", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": "negative"},
    ... ])
    >>> framework_table(df, values="balance").loc["leadership"].tolist()
    [1.0, -1.0]
    """
    validate_codings(df)
    _check_by("framework_table", df, cols, name="cols")
    long = framework_matrix(df, rows=rows, cols=cols, quotes=quotes if values == "summary" else 0)
    key = _key_name(rows)
    if values == "summary":
        long = long.assign(summary=long.apply(_cell_summary, axis=1))
    wide = long.pivot(index=key, columns=cols, values=values)
    wide.index, wide.columns = list(wide.index), list(wide.columns)
    wide.index.name, wide.columns.name = key, cols
    return wide
