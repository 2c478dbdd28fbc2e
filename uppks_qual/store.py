"""The project store: one SQLite file (WAL, foreign keys on) through SQLAlchemy 2 Core.

Tables: ``meta`` (schema version), ``documents``, ``segments``, ``codes``, ``coders``,
``codings`` and ``memos``. A coding stores its offsets **and** its text; the text is always
``documents.text[start:end]`` and :func:`check_integrity` verifies it. Every write happens in
one transaction: a failing operation leaves the file exactly as it was.

Only :mod:`uppks_qual.project` uses this module; analysis code never imports it.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .errors import SchemaVersionError, StoreError
from .records import Code, Codebook, Document, Segment

__all__ = ["SCHEMA_VERSION", "check_integrity", "connect", "initialise", "metadata"]

SCHEMA_VERSION = 1
APP = "uppks-qual"

metadata = sa.MetaData()

meta_table = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.String, nullable=False),
)
documents = sa.Table(
    "documents", metadata,
    sa.Column("doc_id", sa.String, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("group", sa.String, nullable=False),
    sa.Column("village", sa.String, nullable=False),
    sa.Column("source_type", sa.String, nullable=False),
    sa.Column("informant_role", sa.String, nullable=False),
    sa.Column("informant", sa.String, nullable=False),
    sa.Column("date", sa.String, nullable=False),
    sa.Column("meta", sa.Text, nullable=False, default="{}"),
    sa.Column("path", sa.String),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("n_words", sa.Integer, nullable=False),
    sa.Column("added", sa.String, nullable=False),
)
segments = sa.Table(
    "segments", metadata,
    sa.Column("segment_id", sa.String, primary_key=True),
    sa.Column("doc_id", sa.String, sa.ForeignKey("documents.doc_id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("parent", sa.String),
    sa.Column("speaker", sa.String),
    sa.Column("time", sa.String),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.CheckConstraint('"start" >= 0 AND "end" > "start"', name="segment_span"),
)
codes = sa.Table(
    "codes", metadata,
    sa.Column("code_id", sa.String, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("parent", sa.String),
    sa.Column("factor", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("label_en", sa.String, nullable=False),
    sa.Column("label_id", sa.String, nullable=False),
    sa.Column("colour", sa.String, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
)
coders = sa.Table(
    "coders", metadata,
    sa.Column("coder", sa.String, primary_key=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("added", sa.String, nullable=False),
    sa.CheckConstraint("kind IN ('human', 'auto')", name="coder_kind"),
)
codings = sa.Table(
    "codings", metadata,
    sa.Column("coding_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("doc_id", sa.String, sa.ForeignKey("documents.doc_id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("code_id", sa.String, sa.ForeignKey("codes.code_id"), nullable=False, index=True),
    sa.Column("coder", sa.String, sa.ForeignKey("coders.coder"), nullable=False, index=True),
    sa.Column("origin", sa.String, nullable=False),
    sa.Column("valence", sa.String),
    sa.Column("confidence", sa.Float),
    sa.Column("memo", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created", sa.String, nullable=False),
    sa.Column("updated", sa.String, nullable=False),
    sa.UniqueConstraint("doc_id", "start", "end", "code_id", "coder", name="one_coding"),
    sa.CheckConstraint('"start" >= 0 AND "end" > "start"', name="coding_span"),
    sa.CheckConstraint("origin IN ('manual', 'auto')", name="coding_origin"),
    sa.CheckConstraint("valence IS NULL OR valence IN ('positive', 'negative', 'neutral')",
                       name="coding_valence"),
)
memos = sa.Table(
    "memos", metadata,
    sa.Column("memo_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target_type", sa.String, nullable=False),
    sa.Column("target_id", sa.String, nullable=False),
    sa.Column("author", sa.String),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created", sa.String, nullable=False),
    sa.CheckConstraint("target_type IN ('project', 'code', 'document', 'coding')",
                       name="memo_target"),
)


def now() -> str:
    """UTC timestamp in ISO format (seconds)."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def connect(path: str | Path) -> Engine:
    """An engine on the SQLite file (foreign keys on, WAL journal)."""
    engine = sa.create_engine(f"sqlite:///{Path(path)}", future=True)
    event.listen(engine, "connect", _on_connect)
    return engine


def initialise(conn: Connection) -> None:
    """Create the tables and record the schema version."""
    metadata.create_all(conn)
    conn.execute(meta_table.insert(), [
        {"key": "app", "value": APP},
        {"key": "schema_version", "value": str(SCHEMA_VERSION)},
        {"key": "created", "value": now()},
    ])


def check_version(path: str | Path) -> None:
    """Raise :class:`SchemaVersionError` unless the file is a project this library can read.

    The file is opened read-only, so checking someone else's SQLite file never changes it.
    """
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        try:
            rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise SchemaVersionError(
            "not a uppks-qual project (not an SQLite database, or it has no `meta` table); "
            "create one with Project.create()", path=path) from None
    if rows.get("app") != APP:
        raise SchemaVersionError("not a uppks-qual project (no app marker in `meta`); "
                                 "create one with Project.create()", path=path)
    try:
        version = int(rows.get("schema_version", "0"))
    except (TypeError, ValueError):
        raise SchemaVersionError(f"project schema version {rows.get('schema_version')!r} is not "
                                 "a number; the file is damaged", path=path) from None
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"project schema version {version} is newer than this uppks-qual supports "
            f"({SCHEMA_VERSION}); upgrade uppks-qual (pip install -U uppks-qual)",
            path=path, version=version)


# --------------------------------------------------------------------------- rows
def document_row(doc: Document, position: int) -> dict[str, Any]:
    """Row of ``documents`` for a :class:`Document`."""
    import hashlib

    return {
        "doc_id": doc.doc_id, "position": position, "text": doc.text, "group": doc.group,
        "village": doc.village, "source_type": doc.source_type,
        "informant_role": doc.informant_role, "informant": doc.informant, "date": doc.date,
        "meta": json.dumps(dict(doc.meta), ensure_ascii=False, default=str), "path": doc.path,
        "sha256": hashlib.sha256(doc.text.encode("utf-8")).hexdigest(),
        "n_words": doc.n_words, "added": now(),
    }


def segment_rows(segs: Sequence[Segment], offset: int = 0) -> list[dict[str, Any]]:
    """Rows of ``segments`` (text is not stored: it is derived from the document)."""
    return [{"segment_id": s.segment_id, "doc_id": s.doc_id, "position": offset + i,
             "kind": s.kind, "parent": s.parent, "speaker": s.speaker, "time": s.time,
             "start": s.start, "end": s.end} for i, s in enumerate(segs)]


def code_row(code: Code, position: int) -> dict[str, Any]:
    """Row of ``codes``; the full definition (cues, examples ...) goes to ``spec`` as JSON."""
    spec = asdict(code)
    spec["patterns"] = [list(map(dict, p)) for p in code.patterns]
    return {"code_id": code.code_id, "position": position, "parent": code.parent,
            "factor": code.factor, "kind": code.kind, "label_en": code.label_en,
            "label_id": code.label_id, "colour": code.colour,
            "spec": json.dumps(spec, ensure_ascii=False)}


def code_from_row(row: Any) -> Code:
    """Rebuild a :class:`Code` from its ``codes`` row."""
    spec = json.loads(row["spec"])
    spec["patterns"] = tuple(tuple(p) for p in spec.get("patterns", ()))
    for key in ("examples", "phrases", "lemmas", "persons", "positive", "negative"):
        spec[key] = tuple(spec.get(key, ()))
    spec.update(label_en=row["label_en"], label_id=row["label_id"], colour=row["colour"],
                parent=row["parent"], factor=row["factor"], kind=row["kind"])
    return Code(**spec)


def load_codebook(conn: Connection, path: str | None = None) -> Codebook:
    """The project's codebook, in stored order."""
    rows = conn.execute(sa.select(codes).order_by(codes.c.position)).mappings().all()
    name = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "codebook_name")
                        ).scalar_one_or_none()
    return Codebook(tuple(code_from_row(r) for r in rows), name=name or "codebook", path=path)


def ensure_coder(conn: Connection, coder: str, kind: str) -> None:
    """Register ``coder`` (``human`` or ``auto``) if new; a kind clash is an error."""
    have = conn.execute(sa.select(coders.c.kind).where(coders.c.coder == coder)).scalar_one_or_none()
    if have is None:
        conn.execute(coders.insert().values(coder=coder, kind=kind, added=now()))
    elif have != kind:
        raise StoreError(f"coder {coder!r} is a {have} coder; use another name for {kind} coding",
                         coder=coder)


def check_integrity(conn: Connection) -> list[str]:
    """Problems found: codings whose stored text is not ``document.text[start:end]``."""
    q = sa.select(codings.c.coding_id, codings.c.start, codings.c.end, codings.c.text,
                  documents.c.text.label("doc_text")).join(documents)
    problems = []
    for row in conn.execute(q):
        if row.doc_text[row.start:row.end] != row.text:
            problems.append(f"coding {row.coding_id}: stored text does not match offsets "
                            f"[{row.start}, {row.end})")
    return problems


def dump(engine: Engine) -> str:
    """A text dump of the whole database (for comparing states in tests)."""
    raw = engine.raw_connection()
    try:
        return "\n".join(raw.driver_connection.iterdump())  # type: ignore[union-attr]
    finally:
        raw.close()


def insert_many(conn: Connection, table: sa.Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert rows (no-op for none); return how many."""
    rows = list(rows)
    if rows:
        conn.execute(table.insert(), rows)
    return len(rows)
