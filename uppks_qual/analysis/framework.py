"""The framework matrix (Ritchie & Spencer) and quote selection (see :mod:`uppks_qual.analysis`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import warn as _warn
from ..params import Interval, Options, check_param, validate_params
from ..records import HUMAN_ORIGINS, VALENCES
from ..schema import validate_codings
from ._cases import CASE_ALIASES, case_column, case_table
from ._common import (
    LEVELS,
    QUOTE_LENGTH,
    TABLE_VALUES,
    _by_values,
    _check_by,
    _finish,
    _full,
    _key_column,
    _key_name,
    _keys,
    _prepare,
    _valence_counts,
    balance,
    metadata_columns,
)

#: ``unit=`` of :func:`framework_matrix` and :func:`framework_table`.
MATRIX_UNITS: tuple[str, ...] = ("case", "coding")

_MATRIX_PARAMS = {"rows": [Options(*LEVELS)], "quotes": [Interval(int, 0, None)],
                  "unit": [Options(*MATRIX_UNITS)]}

# --------------------------------------------------------------------------------------
# Quotes
# --------------------------------------------------------------------------------------


#: The valence a disconfirming quote has, given the cell's majority valence by cases.
_OPPOSITE = {"positive": "negative", "negative": "positive"}
#: Interview speech before observation notes before documents.
_SOURCE_ORDER = {"interview": 0, "observation": 1, "document": 2}
#: Passages in the material's own words (not the researcher's questions or asides).
_OWN_WORDS = ("turn", "paragraph")

DISCONFIRMING_COLUMNS: tuple[str, ...] = (
    "informant", "informant_role", "doc_id", "valence", "text", "coding_id", "case", "code_id",
    "kind", "source_type", "origin", "coder", "confidence",
)
"""Columns of :func:`disconfirming`."""


def _case_of(func: str, df: pd.DataFrame, case: object) -> str:
    """The codings-frame column ``case=`` names (``"informant"`` is the ``case`` column)."""
    choices = dict.fromkeys((*CASE_ALIASES, "speaker", *metadata_columns(df)))
    check_param(case, Options(*choices, what="a column that names the case, one of"),
                name="case", func=func)
    return case_column(str(case))


def _part(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _format_quote(text: str, informant: object, role: object, doc_id: object, *,
                  max_chars: int = QUOTE_LENGTH[1]) -> str:
    """``"text" (informant, role, doc_id)``, empty parts left out, whitespace collapsed and the
    text cut at ``max_chars`` with "..."."""
    text = " ".join(str(text).split())
    if len(text) > max_chars:
        text = text[: max_chars - 3].rstrip() + "..."
    where = ", ".join(p for p in map(_part, (informant, role, doc_id)) if p)
    return f'"{text}" ({where})' if where else f'"{text}"'


def _leans(cell: pd.DataFrame, col: str) -> pd.Series:
    """Each case's lean in a cell: "positive" with more positive than negative codings,
    "negative" with more negative ones, else "neutral" (balanced, or only neutral codings)."""
    valence, who = cell["valence"].astype(object), cell[col].astype(object)
    positive = valence.eq("positive").groupby(who).sum()
    negative = valence.eq("negative").groupby(who).sum()
    leans = np.select([positive > negative, negative > positive], ["positive", "negative"],
                      "neutral")
    return pd.Series(leans, index=positive.index, dtype=object)


def _majority(positive: int, negative: int, neutral: int) -> str | None:
    """The valence with the most codings (or cases), or None when the top count is tied or 0."""
    counts = {"positive": positive, "negative": negative, "neutral": neutral}
    top = max(counts.values())
    winners = [v for v, c in counts.items() if c == top]
    return winners[0] if top > 0 and len(winners) == 1 else None


def _majority_by_cases(cell: pd.DataFrame, col: str) -> str | None:
    """The valence most cases of the cell lean to (None when tied or empty)."""
    counts = _leans(cell, col).value_counts()
    return _majority(*(int(counts.get(v, 0)) for v in VALENCES))


def _ranked(codings: pd.DataFrame) -> pd.DataFrame:
    """``codings`` best quote first: higher coder confidence (human codings, manual or reviewed, count as 1.0, an
    auto coding without one as 0.0), then interview speech before observation before document
    (the researcher's questions and asides last), then a moderate length (:data:`QUOTE_LENGTH`),
    then ``coding_id``. Adds the collapsed text as ``_text``."""
    manual = codings["origin"].astype(object).isin(HUMAN_ORIGINS)
    confidence = codings["confidence"].astype("float64").where(~manual, 1.0).fillna(0.0)
    source = codings["source_type"].astype(object).map(_SOURCE_ORDER).astype("float64")
    own = codings["kind"].astype(object).isin(_OWN_WORDS)
    text = codings["text"].astype(object).map(lambda t: " ".join(str(t).split())
                                              if isinstance(t, str) else "")
    low, high = QUOTE_LENGTH
    lengths = text.map(len)
    ranked = codings.assign(_unsure=-confidence, _source=source.where(own, 3.0).fillna(3.0),
                            _off_length=~lengths.between(low, high), _text=text)
    return ranked.sort_values(["_unsure", "_source", "_off_length", "coding_id"], kind="stable")


def _best(codings: pd.DataFrame, col: str, n: int) -> tuple[str, ...]:
    """The ``n`` best quotes of ``codings``, at most one per case and each text once."""
    if n == 0 or codings.empty:
        return ()
    ranked = _ranked(codings)
    ranked = ranked[ranked["_text"].map(len) > 0]
    best = ranked.drop_duplicates(col).drop_duplicates("_text").head(n)
    return tuple(_format_quote(t, i, r, d) for t, i, r, d in zip(
        best["_text"], best["informant"], best["informant_role"], best["doc_id"], strict=True))


def _sides(cell: pd.DataFrame, col: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The codings typical quotes come from and the disconfirming codings of a cell."""
    majority = _majority_by_cases(cell, col)
    valence = cell["valence"].astype(object)
    typical = cell[valence.eq(majority)] if majority else cell
    against = _OPPOSITE.get(majority or "")
    counter = cell[valence.eq(against)] if against else cell.iloc[:0]
    return (typical if not typical.empty else cell), counter


def _cell_quotes(cell: pd.DataFrame, col: str, n: int) -> tuple[tuple[str, ...],
                                                                 tuple[str, ...]]:
    """Typical and disconfirming quotes of one cell (see :func:`framework_matrix`)."""
    if n == 0 or cell.empty:
        return (), ()
    typical, counter = _sides(cell, col)
    return _best(typical, col, n), _best(counter, col, n)


@validate_params({"level": [Options(*LEVELS)]})
def disconfirming(
    evidence: pd.DataFrame,
    code: str,
    group: Any,
    *,
    by: str = "group",
    level: str = "factor",
    case: str = "informant",
) -> pd.DataFrame:
    """Every coding of a cell that goes against how most of its cases lean.

    A cell is a factor (or, with ``level="code"``, a code) in one value of ``by``. Each case
    (``case``: the person who said it, or the source document) leans "positive" when it has
    more positive than negative codings in the cell, "negative" when it has more negative
    ones, and "neutral" otherwise. The cell's majority valence is the lean most cases share;
    a disconfirming coding has the opposite valence (negative against a positive majority,
    positive against a negative one). A neutral or tied majority has nothing to disconfirm.

    Parameters
    ----------
    evidence : DataFrame
        Codings frame (``project.evidence()``).
    code : str
        The factor (``level="factor"``: any code of the factor counts) or the code
        (``level="code"``: only codings of exactly that code, not of its parent).
    group
        A value of ``by``.
    by : str, default "group"
        Metadata column of the cell's column (see :func:`metadata_columns`).
    level : {"factor", "code"}, default "factor"
        Whether ``code`` is a factor or a code.
    case : str, default "informant"
        What a case is: ``"informant"`` (the person who said it, or the document for
        observation and document notes), ``"doc_id"`` or another column.

    Returns
    -------
    DataFrame
        One row per disconfirming coding, best quote first (the order of the quotes of
        :func:`framework_matrix`): the columns of :data:`DISCONFIRMING_COLUMNS`, ``case``
        being the case it belongs to. Empty when there is none.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": f"d{i}", "informant": who, "informant_role": "member", "group": "north",
    ...      "start": 0, "end": 9, "code_id": "leadership", "valence": v, "text": text}
    ...     for i, (who, v, text) in enumerate([
    ...         ("Ani", "positive", "Ketua rajin."), ("Budi", "positive", "Rapat rutin."),
    ...         ("Citra", "negative", "Ketua jarang datang.")])])
    >>> disconfirming(df, "leadership", "north")[["informant", "valence", "text"]]
      informant   valence                  text
    0     Citra  negative  Ketua jarang datang.
    """
    func = "disconfirming"
    validate_codings(evidence, where=func)
    _check_by(func, evidence, by)
    check_param(group, Options(*_by_values(evidence, by),
                               what=f"a value of the {by!r} column, one of"),
                name="group", func=func)
    check_param(code, Options(*_keys(evidence, level), what=f"a {_key_name(level)} of the "
                                                            "codings frame, one of"),
                name="code", func=func)
    col = _case_of(func, evidence, case)
    cell = evidence[evidence[by].astype(object).eq(group).to_numpy()
                    & evidence[_key_column(level)].astype(object).eq(code).to_numpy()]
    counter = _ranked(_sides(cell, col)[1]) if not cell.empty else cell
    out = counter.assign(case=counter[col].astype(object)) if col != "case" else counter
    return out[list(DISCONFIRMING_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Framework matrix
# --------------------------------------------------------------------------------------


def _coding_cells(work: pd.DataFrame, col_values: list[Any], keys: list[str]) -> pd.DataFrame:
    """Codings per cell: ``n``, their valence counts, the pooled balance and majority."""
    table = _full(_valence_counts(work), col_values, keys)
    table["n"] = table[list(VALENCES)].sum(axis=1)
    table["balance"] = balance(table["positive"], table["negative"])
    table["majority"] = [_majority(p, n, u) for p, n, u in
                         zip(table["positive"], table["negative"], table["neutral"], strict=True)]
    return table


def _case_cells(df: pd.DataFrame, *, case: str, cols: str, rows: str, col_values: list[Any],
                keys: list[str]) -> pd.DataFrame:
    """Cases per cell: ``cases`` (with any coding in the column), ``n`` (mentioning the row),
    how they lean, the mean case balance and the majority lean."""
    tab = case_table(df, case=case, by=cols, level=rows, keys=keys)
    lean, present = tab["balance"], tab["present"]
    flags = pd.DataFrame({
        "_by": tab[cols].astype(object), "_key": tab[_key_name(rows)].astype(object),
        "cases": 1, "n": present.astype("int64"),
        "positive": lean.gt(0).astype("int64"), "negative": lean.lt(0).astype("int64"),
        "neutral": (present & ~lean.gt(0) & ~lean.lt(0)).astype("int64"),
    })
    grouped = flags.assign(balance=lean).groupby(["_by", "_key"], sort=False)
    table = _full(grouped[["cases", "n", *VALENCES]].sum(), col_values, keys)
    table["balance"] = grouped["balance"].mean().reindex(table.index)
    undefined = int(table["balance"].isna().sum())
    if undefined:
        _warn(f"balance is undefined for {undefined} cell(s) (no case with positive or negative "
              "codings); returning nan", RuntimeWarning)
    table["majority"] = [_majority(p, n, u) for p, n, u in
                         zip(table["positive"], table["negative"], table["neutral"], strict=True)]
    return table


@validate_params(_MATRIX_PARAMS)
def framework_matrix(
    df: pd.DataFrame,
    *,
    rows: str = "factor",
    cols: str = "group",
    quotes: int = 2,
    unit: str = "case",
    case: str = "informant",
) -> pd.DataFrame:
    """The framework-matrix view (Ritchie & Spencer) in long form: one row per cell.

    Cells are (factor or code) x (value of a metadata column). With ``unit="case"`` (the
    default) a cell counts **cases**, each weighing once however much it said: how many cases
    of the column mention the row and how they lean. With ``unit="coding"`` it counts codings,
    which describes how much the material talks about the row (a talkative informant counts
    many times), and must be read so.

    Rules
    -----
    - A **case** is the unit that speaks (``case="informant"``: the person who said a passage,
      or the source document for observation and document notes; or ``"doc_id"``, ...).
      ``cases`` of a cell are the cases with any coding in its column; ``n`` of them mention
      the row.
    - A case **leans** "positive" when it has more positive than negative codings of the row,
      "negative" with more negative ones, "neutral" otherwise (as many of each, or only
      neutral codings). ``positive``, ``negative`` and ``neutral`` count the cases leaning
      each way, so they sum to ``n``; ``balance`` is the mean of the case balances
      ``(pos - neg) / (pos + neg)`` (:func:`balance`) over the cases with a positive or
      negative coding; nan, with a RuntimeWarning, when there is none.
    - ``majority`` is the lean most cases share (None when tied or empty).
    - **Typical quotes** of a cell come from its codings (for a factor row: any code of the
      factor; for a code row: codings of exactly that code, not of its parent) whose valence is
      the cell's majority (all its codings when the majority is tied, or is "neutral"
      without a neutral coding, as when every case balances), **at most one per case**, ranked by coder confidence (a manual coding counts as 1.0, an auto coding
      without a confidence as 0.0), then interview speech before observation before document
      notes, then a moderate length (40-300 characters, :data:`QUOTE_LENGTH`), then
      ``coding_id``; a text is shown once.
    - **Disconfirming quotes** follow the same rule on the codings of the opposite valence
      (negative against a positive majority and the reverse; none for a neutral or tied
      majority): whenever such a coding exists and ``quotes >= 1``, at least one is shown.
      :func:`disconfirming` lists all of them.
    - A quote reads ``"text" (informant, role, doc_id)``, empty parts left out, cut at 300
      characters.

    With ``unit="coding"`` the counts are codings (``n``, their valences, the pooled
    ``balance``, and ``majority`` the most frequent valence of the codings); the quotes follow
    the same case-based rule.

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
        Typical quotes and disconfirming quotes per cell (up to this many of each; 0 for none).
    unit : {"case", "coding"}, default "case"
        What a cell counts.
    case : str, default "informant"
        What a case is: ``"informant"`` (the ``case`` column), ``"doc_id"`` or another column.

    Returns
    -------
    DataFrame
        Columns ``factor`` (or ``code``), ``cols``, then for ``unit="case"``: ``cases``,
        ``n``, ``positive``, ``negative``, ``neutral`` (cases), ``balance`` (mean case
        balance); for ``unit="coding"``: ``n``, ``positive``, ``negative``, ``neutral``
        (codings), ``balance`` (pooled); then ``majority``, ``quotes`` and ``disconfirming``
        (tuples of formatted quotes). :func:`framework_table` gives the wide view.

    Examples
    --------
    >>> from uppks_qual.schema import codings_frame
    >>> df = codings_frame([
    ...     {"doc_id": "north-int-chair", "group": "north", "start": 0, "end": 50,
    ...      "code_id": "leadership", "valence": "positive", "informant": "Ibu Ratna",
    ...      "informant_role": "chair",
    ...      "text": "Ketua rajin mengingatkan kami setiap bulan di rapat."},
    ...     {"doc_id": "north-int-m1", "group": "north", "start": 0, "end": 20,
    ...      "code_id": "leadership", "valence": "negative", "informant": "Ibu Sari",
    ...      "informant_role": "member", "text": "Kadang rapat batal."},
    ...     {"doc_id": "north-int-m2", "group": "north", "start": 0, "end": 20,
    ...      "code_id": "leadership", "valence": "positive", "informant": "Ibu Yeni",
    ...      "informant_role": "member", "text": "Rapat selalu ramai."},
    ... ])
    >>> cell = framework_matrix(df, quotes=1).iloc[0]
    >>> cell[["cases", "n", "positive", "negative"]].astype(int).tolist(), cell["majority"]
    ([3, 3, 2, 1], 'positive')
    >>> print(cell["quotes"][0])
    "Ketua rajin mengingatkan kami setiap bulan di rapat." (Ibu Ratna, chair, north-int-chair)
    >>> print(cell["disconfirming"][0])
    "Kadang rapat batal." (Ibu Sari, member, north-int-m1)
    """
    func = "framework_matrix"
    validate_codings(df)
    _check_by(func, df, cols, name="cols")
    col = _case_of(func, df, case)
    col_values, keys = _by_values(df, cols), _keys(df, rows)
    work = _prepare(df, cols, rows)
    if unit == "case":
        table = _case_cells(df, case=case, cols=cols, rows=rows, col_values=col_values,
                            keys=keys)
        counts = ["cases", "n", *VALENCES]
    else:
        table, counts = _coding_cells(work, col_values, keys), ["n", *VALENCES]
    cells = dict(iter(work.groupby(["_by", "_key"], sort=False)))
    picked = [_cell_quotes(cells[i], col, quotes) if i in cells else ((), ())
              for i in table.index]
    table["quotes"] = [p[0] for p in picked]
    table["disconfirming"] = [p[1] for p in picked]
    out = _finish(table, cols, col_values, _key_name(rows), keys)
    return out[[_key_name(rows), cols, *counts, "balance", "majority", "quotes", "disconfirming"]]


def _cell_summary(row: pd.Series) -> str:
    """A cell of :func:`framework_table`: counts, typical quotes, one disconfirming quote."""
    if "cases" in row.index:
        if row["cases"] == 0:
            return ""
        head = f"{row['n']} of {row['cases']} cases"
        if row["n"]:
            leans = [f"{row['positive']} positive", f"{row['negative']} negative"]
            head += "; " + ", ".join(leans + ([f"{row['neutral']} neutral"]
                                               if row["neutral"] else []))
    elif row["n"] == 0:
        return ""
    else:
        head = f"n={row['n']} (+{row['positive']} / -{row['negative']})"
    against = [f"disconfirming: {q}" for q in row["disconfirming"][:1]]
    return "\n".join([head, *row["quotes"], *against])


@validate_params({**_MATRIX_PARAMS, "values": [Options(*TABLE_VALUES)]})
def framework_table(
    df: pd.DataFrame,
    *,
    rows: str = "factor",
    cols: str = "group",
    quotes: int = 2,
    values: str = "summary",
    unit: str = "case",
    case: str = "informant",
) -> pd.DataFrame:
    """The framework matrix in wide form: rows x columns, one cell per pair.

    Parameters
    ----------
    df : DataFrame
        Codings frame.
    rows, cols, quotes, unit, case
        As in :func:`framework_matrix`.
    values : {"summary", "n", "positive", "negative", "neutral", "balance"}, default "summary"
        What a cell shows. ``"summary"`` with ``unit="case"``: how many cases of the column
        mention the row and how they lean, e.g. ``7 of 9 cases; 6 positive, 1 negative``
        (``, 1 neutral`` when some lean neither way), then the typical quotes and one
        disconfirming quote (``disconfirming: "..."``), one per line; with
        ``unit="coding"``: ``n=<n> (+<positive> / -<negative>)`` codings, then the same
        quotes. Empty for a column without cases (codings). The others are the numbers of
        :func:`framework_matrix` (cases or codings, as ``unit`` says).

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
    ...     {"doc_id": "n2", "group": "north", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": "neutral"},
    ...     {"doc_id": "s1", "group": "south", "start": 0, "end": 5, "code_id": "leadership",
    ...      "valence": "negative"},
    ... ])
    >>> framework_table(df, values="balance").loc["leadership"].tolist()
    [1.0, -1.0]
    >>> framework_table(df, quotes=0).loc["leadership"].tolist()
    ['2 of 2 cases; 1 positive, 0 negative, 1 neutral', '1 of 1 cases; 0 positive, 1 negative']
    """
    validate_codings(df)
    _check_by("framework_table", df, cols, name="cols")
    long = framework_matrix(df, rows=rows, cols=cols, quotes=quotes if values == "summary" else 0,
                            unit=unit, case=case)
    key = _key_name(rows)
    if values == "summary":
        long = long.assign(summary=long.apply(_cell_summary, axis=1))
    wide = long.pivot(index=key, columns=cols, values=values)
    wide.index, wide.columns = list(wide.index), list(wide.columns)
    wide.index.name, wide.columns.name = key, cols
    return wide
