"""Manual codings from CSV (a second coder's file, a gold standard, another tool's export)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ImportProblem, QualError
from ..records import VALENCES, Coding, check_span

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["read_codings_csv"]


def read_codings_csv(path: str | Path, project: Project, *,
                     coder: str | None = None) -> tuple[list[Coding], int]:
    """Validate every row of a codings CSV against ``project``; return codings and the number
    of uncoded passages. All problems are raised together (see ``Project.import_codings``)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ImportProblem(f"cannot read CSV: {exc}", path=path) from None
    need = {"doc_id", "code_id"}
    if not need <= set(frame.columns) or not ({"start", "end"} <= set(frame.columns)
                                              or "quote" in frame.columns):
        raise ImportProblem("CSV needs columns doc_id, code_id and either start, end or quote; "
                            f"found {', '.join(frame.columns)}", path=path, line=1)
    problems: list[str] = []
    items: list[Coding] = []
    uncoded = 0
    texts: dict[str, str] = {}
    for i, row in enumerate(frame.to_dict("records")):
        line = i + 2
        if not row["code_id"].strip():
            uncoded += 1
            continue
        try:
            items.append(_coding(row, project, texts, coder))
        except (QualError, ValueError) as exc:
            problems.append(f"{path}:{line}: {getattr(exc, 'message', exc)}")
    if problems:
        shown = "\n".join(problems[:50]) + ("\n..." if len(problems) > 50 else "")
        raise ImportProblem(f"{len(problems)} bad row(s); nothing was imported:\n{shown}",
                            problems=problems)
    return items, uncoded


def _coding(row: dict[str, str], project: Project, texts: dict[str, str],
            coder: str | None) -> Coding:
    from ..project import find_quote

    doc_id = row["doc_id"].strip()
    if doc_id not in texts:
        texts[doc_id] = project.document(doc_id).text
    text = texts[doc_id]
    code_id = row["code_id"].strip()
    project.codebook[code_id]
    if row.get("start", "").strip():
        try:
            start, end = int(row["start"]), int(row["end"])
        except ValueError:
            raise ValueError(f"start/end must be integers, got {row['start']!r}, "
                             f"{row['end']!r}") from None
    elif row.get("quote"):
        occurrence = int(row["occurrence"]) if row.get("occurrence", "").strip() else None
        start = find_quote(text, row["quote"], doc_id=doc_id, occurrence=occurrence)
        end = start + len(row["quote"])
    else:
        raise ValueError("the row needs start and end offsets or a quote")
    check_span(doc_id, start, end, len(text))
    if row.get("text") and row["text"] != text[start:end]:
        raise ValueError(f"text does not match document {doc_id!r} at [{start}, {end}): "
                         f"expected {text[start:end][:40]!r}")
    valence = row.get("valence", "").strip() or None
    if valence is not None and valence not in VALENCES:
        raise ValueError(f"valence must be one of {', '.join(VALENCES)}; got {valence!r}")
    who = coder or row.get("coder", "").strip()
    if not who:
        raise ValueError("no coder: give a `coder` column or coder=...")
    memo = (row.get("memo") or row.get("note") or "").strip() or None
    return Coding(doc_id, start, end, code_id, who, "manual", valence, None, memo)
