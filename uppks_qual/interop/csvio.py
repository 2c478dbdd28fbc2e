"""Manual codings from CSV: a second coder's file, a gold standard, training passages, another
tool's export. :func:`read_codings_csv` is the one reader; it validates every row.

Columns: ``doc_id``, ``code_id`` and either ``start, end`` (half-open offsets into the
normalised text) or ``quote`` (the words; optional ``occurrence``, and ``match``: ``exact``,
the default, ``casefold`` or ``loose``, see :func:`uppks_qual.textio.find_span`); optional
``passage_id``, ``valence``, ``memo`` or ``note``, ``coder`` and ``text`` (checked against the
offsets). A row with an empty ``code_id`` records a passage the coder read and left uncoded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ImportProblem, QualError, SpanError, UnknownDocumentError
from ..params import Options, check_param
from ..records import VALENCES, Codebook, Coding, check_span
from ..textio import MATCH_MODES, find_span, read_csv_table

__all__ = ["CODINGS_CSV_COLUMNS", "codings_from_rows", "read_codings_csv", "read_table"]

#: Columns of the frame :func:`read_codings_csv` returns.
CODINGS_CSV_COLUMNS = ("line", "passage_id", "doc_id", "start", "end", "code_id", "valence",
                       "coder", "memo")


def read_codings_csv(path: str | Path, *, texts: Mapping[str, str],
                     codebook: Codebook | None = None,
                     coder: str | None = None) -> pd.DataFrame:
    """Read and validate a codings CSV (see the module docstring); all or nothing.

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8, a byte-order mark is accepted).
    texts : mapping
        ``{doc_id: text}`` of the documents the rows may refer to (quotes are found and spans
        checked in them).
    codebook : Codebook, optional
        When given, every ``code_id`` must be one of its codes.
    coder : str, optional
        The coder of every row (overrides a ``coder`` column).

    Returns
    -------
    DataFrame
        :data:`CODINGS_CSV_COLUMNS`, one row per file row; ``code_id`` is ``""`` for a passage
        read and left uncoded; ``valence`` is None where the file gives none; ``passage_id`` is
        the file's, else ``doc_id:start:end``; ``line`` is the file line.

    Raises
    ------
    ImportProblem
        For an unreadable file or missing columns, or listing **every** bad row as
        ``file:line: problem``.
    """
    frame = _read(path)
    rows, problems = [], []
    for line, row in zip(frame.index, frame.to_dict("records"), strict=True):
        try:
            rows.append(_row(row, int(line), texts, codebook, coder))
        except QualError as exc:
            problems.append(f"{path}:{line}: {exc.message}")
    if problems:
        shown = "\n".join(problems[:50]) + ("\n..." if len(problems) > 50 else "")
        raise ImportProblem(f"{len(problems)} bad row(s); nothing was imported:\n{shown}",
                            path=path, problems=problems)
    out = pd.DataFrame(rows, columns=list(CODINGS_CSV_COLUMNS))
    return out.astype({"line": "int64", "start": "int64", "end": "int64"})


def read_table(path: str | Path, *, required: Sequence[str] = (),
               what: str = "CSV file") -> pd.DataFrame:
    """Read a CSV file as text columns; every problem an :class:`ImportProblem` naming it.

    The one CSV reader for files a user names (codings, passages read, scope files): UTF-8
    (a byte-order mark is accepted), comma-separated, every value a string, ``required``
    columns checked; an empty file, a row with more or fewer fields than the header, a file
    over ``limits.max_file_bytes`` or with more than ``limits.max_csv_rows`` rows is refused
    naming the file and line (:func:`uppks_qual.textio.read_csv_table`). The frame's index is
    each row's file line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "scope.csv"
    >>> _ = f.write_text("passage_id\\nd1:0:5\\n", encoding="utf-8")
    >>> read_table(f, required=["passage_id"])["passage_id"].tolist()
    ['d1:0:5']
    """
    frame, _how = read_csv_table(path, error=ImportProblem, what=what, sniff=False)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ImportProblem(f"the {what} needs column(s) {', '.join(missing)}; found "
                            f"{', '.join(map(str, frame.columns)) or 'none'}", path=path,
                            line=1)
    return frame


def _read(path: str | Path) -> pd.DataFrame:
    frame = read_table(path, what="codings CSV")
    columns = set(frame.columns)
    found = ", ".join(frame.columns)
    missing = [c for c in ("doc_id", "code_id") if c not in columns]
    if missing:
        raise ImportProblem(f"the codings CSV needs column(s) {', '.join(missing)}; found "
                            f"{found}", path=path, line=1)
    for have, lacks in (("start", "end"), ("end", "start")):
        if have in columns and lacks not in columns:
            raise ImportProblem(f"the codings CSV has a `{have}` column but no `{lacks}` "
                                f"column; give both offsets (or a `quote` column instead). "
                                f"Found {found}", path=path, line=1, column=lacks)
    if "start" not in columns and "quote" not in columns:
        raise ImportProblem("the codings CSV needs columns doc_id, code_id and either start, "
                            f"end or quote; found {found}", path=path, line=1)
    return frame


def _row(row: dict[str, str], line: int, texts: Mapping[str, str], codebook: Codebook | None,
         coder: str | None) -> dict[str, Any]:
    doc_id = row["doc_id"].strip()
    if doc_id not in texts:
        raise UnknownDocumentError(f"unknown document {doc_id!r}; see project.documents()",
                                   doc_id=doc_id)
    text = texts[doc_id]
    code_id = row["code_id"].strip()
    if code_id and codebook is not None:
        codebook[code_id]
    start, end = _span(row, text, doc_id)
    if row.get("text") and row["text"] != text[start:end]:
        raise SpanError(f"text does not match document {doc_id!r} at [{start}, {end}): "
                        f"expected {text[start:end][:40]!r}", doc_id=doc_id)
    valence = row.get("valence", "").strip() or None
    check_param(valence, [Options(*VALENCES), None], name="valence", func="the codings CSV")
    who = coder or row.get("coder", "").strip()
    if not who:
        raise ImportProblem("no coder: give a `coder` column or coder=...", doc_id=doc_id)
    memo = (row.get("memo") or row.get("note") or "").strip() or None
    passage = row.get("passage_id", "").strip() or f"{doc_id}:{start}:{end}"
    return {"line": line, "passage_id": passage, "doc_id": doc_id, "start": start, "end": end,
            "code_id": code_id, "valence": valence, "coder": who, "memo": memo}


def _span(row: dict[str, str], text: str, doc_id: str) -> tuple[int, int]:
    if row.get("start", "").strip():
        try:
            start, end = int(row["start"]), int(row.get("end", ""))
        except ValueError:
            raise SpanError(f"start/end must be integers, got {row['start']!r}, "
                            f"{row.get('end')!r}", doc_id=doc_id) from None
    elif row.get("quote"):
        occurrence = row.get("occurrence", "").strip()
        if occurrence and not occurrence.isdigit():
            raise SpanError(f"occurrence must be a whole number, got {occurrence!r}",
                            doc_id=doc_id)
        match = row.get("match", "").strip() or "exact"
        check_param(match, [Options(*MATCH_MODES)], name="match", func="the codings CSV")
        start, end = find_span(text, row["quote"], doc_id=doc_id, match=match,
                               occurrence=int(occurrence) if occurrence else None)
    else:
        raise SpanError("the row needs start and end offsets or a quote", doc_id=doc_id)
    check_span(doc_id, start, end, len(text))
    return start, end


def codings_from_rows(rows: pd.DataFrame) -> list[Coding]:
    """Manual :class:`Coding` records of the coded rows of :func:`read_codings_csv`."""
    coded = rows[rows["code_id"] != ""]
    return [Coding(r.doc_id, int(r.start), int(r.end), r.code_id, r.coder, "manual",
                   r.valence if isinstance(r.valence, str) else None,  # no valence: NaN in a frame
                   None, r.memo) for r in coded.itertuples()]
