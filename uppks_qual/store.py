"""The project store: one SQLite file (WAL, foreign keys on) through SQLAlchemy 2 Core.

:class:`Store` is the repository of a project and the only place in uppks-qual that holds
SQL: documents and their segments, the codebook, coders, codings, the passages coders read,
memos and settings. :class:`~uppks_qual.project.Project` validates what a user asks for and
delegates here; analysis code never imports this module.

Tables: ``meta`` (settings and schema version), ``documents``, ``segments``, ``codes``,
``coders``, ``codings``, ``readings`` (passages a coder read, coded or not), ``reviews``
(a human's decisions on automatic codings, see :meth:`Store.add_review`) and ``memos``. A
coding stores its offsets **and** its text; the text is always ``documents.text[start:end]``
and :meth:`Store.check_integrity` verifies it. A coding also records the version of the
codebook it was made under (``codings.codebook_version``, from the setting
``codebook_version`` that :meth:`Store.replace_codebook` writes with the change log and the
coding rules). Every write is one transaction: a failing
operation leaves the file exactly as it was.

Every SQLite error a read or a write meets becomes a
:class:`~uppks_qual.errors.StoreError` subclass whose message names the file and what to do
(:func:`store_error`: damaged, read-only, busy, full). A write takes the write lock before
doing anything (``BEGIN IMMEDIATE``), waits up to :data:`BUSY_TIMEOUT` for another
process's write and tries again (:data:`WRITE_ATTEMPTS`) before :class:`StoreBusyError`. A
project whose file or folder cannot be written opens for reading
(:attr:`Store.read_only`).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import hashlib
import json
import os
import sqlite3
import time
import unicodedata
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from .errors import (
    CoderError,
    QualError,
    SchemaVersionError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreReadOnlyError,
)
from .records import (
    DOCUMENT_FIELDS,
    HUMAN_ORIGINS,
    ORIGINS,
    ChangelogEntry,
    Code,
    Codebook,
    Coding,
    CodingRule,
    Document,
    RuleExample,
    Segment,
)

__all__ = ["SCHEMA_VERSION", "Store", "check_coder", "check_version", "metadata", "store_error"]

#: 2 added the ``readings`` table and ``documents.attributes``; 3 added
#: ``codings.codebook_version`` (the codebook version a coding was made under); 4 added the
#: ``reviews`` table and the origin ``reviewed``, and made coding ids never reused (SQLite
#: AUTOINCREMENT: a review names the automatic coding it decided by id). Files of an older
#: version are upgraded in place when opened.
SCHEMA_VERSION = 4
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
    sa.Column("attributes", sa.Text, nullable=False, default="{}"),
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
    sa.Column("codebook_version", sa.String),
    sa.UniqueConstraint("doc_id", "start", "end", "code_id", "coder", name="one_coding"),
    sa.CheckConstraint('"start" >= 0 AND "end" > "start"', name="coding_span"),
    sa.CheckConstraint(f"origin IN ({', '.join(repr(o) for o in ORIGINS)})",
                       name="coding_origin"),
    sa.CheckConstraint("valence IS NULL OR valence IN ('positive', 'negative', 'neutral')",
                       name="coding_valence"),
    sqlite_autoincrement=True,  # ids are never reused: reviews name automatic codings by id
)
readings = sa.Table(
    "readings", metadata,
    sa.Column("doc_id", sa.String, sa.ForeignKey("documents.doc_id"), nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("coder", sa.String, sa.ForeignKey("coders.coder"), nullable=False, index=True),
    sa.Column("created", sa.String, nullable=False),
    sa.PrimaryKeyConstraint("doc_id", "start", "end", "coder", name="one_reading"),
    sa.CheckConstraint('"start" >= 0 AND "end" > "start"', name="reading_span"),
)
#: Strategies :meth:`Project.suggest` draws suggestions with (``direct``: reviewed without).
REVIEW_STRATEGIES: tuple[str, ...] = ("uncertain", "random", "top", "direct")
#: One row per decision on an automatic coding (a *suggestion*). No foreign key to
#: ``codings``: auto-coding again deletes the suggestion, the decision stays.
reviews = sa.Table(
    "reviews", metadata,
    sa.Column("review_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("suggestion_id", sa.Integer, nullable=False, unique=True),
    sa.Column("doc_id", sa.String, sa.ForeignKey("documents.doc_id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("suggested_by", sa.String, nullable=False),
    sa.Column("suggested_code", sa.String, nullable=False),
    sa.Column("suggested_valence", sa.String),
    sa.Column("confidence", sa.Float),
    sa.Column("strategy", sa.String, nullable=False),
    sa.Column("decision", sa.String, nullable=False),
    sa.Column("code_id", sa.String),
    sa.Column("valence", sa.String),
    sa.Column("coding_id", sa.Integer),
    sa.Column("coder", sa.String, sa.ForeignKey("coders.coder"), nullable=False, index=True),
    sa.Column("memo", sa.Text),
    sa.Column("created", sa.String, nullable=False),
    sa.CheckConstraint("decision IN ('accepted', 'rejected')", name="review_decision"),
    sa.CheckConstraint(f"strategy IN ({', '.join(repr(s) for s in REVIEW_STRATEGIES)})",
                       name="review_strategy"),
    sa.CheckConstraint("(decision = 'accepted') = (code_id IS NOT NULL)", name="review_code"),
)
#: Columns of :meth:`Store.suggestions_frame` and :meth:`Store.reviews_frame`.
SUGGESTION_COLUMNS: tuple[str, ...] = ("suggestion_id", "doc_id", "start", "end", "code_id",
                                       "valence", "confidence", "text", "group", "informant")
REVIEW_COLUMNS: tuple[str, ...] = tuple(str(c.name) for c in reviews.c)
#: Setting that remembers the strategy each suggestion was drawn with (see
#: :meth:`Store.record_draws`).
DRAWS_KEY = "suggestion_draws"
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


# --------------------------------------------------------------------------- connections
#: Seconds one attempt to take the project's write lock waits for another process's write
#: (SQLite's busy timeout).
BUSY_TIMEOUT = 5.0
#: Attempts to take the write lock before :class:`StoreBusyError`; between two attempts the
#: write pauses :data:`RETRY_PAUSE` seconds, doubled each time up to :data:`RETRY_PAUSE_MAX`
#: (0.25, 0.5, 1: about 22 s in all with the busy timeouts).
WRITE_ATTEMPTS = 4
RETRY_PAUSE = 0.25
RETRY_PAUSE_MAX = 2.0
#: SQLite's ``mode`` of each way of opening a project file: ``immutable`` reads a file that
#: no one can change (a read-only folder, where the ``-wal`` and ``-shm`` side files cannot
#: be created) without any side file.
_MODES = {"create": "rwc", "write": "rw", "read": "ro", "immutable": "ro&immutable=1"}
_SQLITE_HEADER = b"SQLite format 3\x00"


def _uri(path: Path, mode: str) -> str:
    return f"file:{urllib.parse.quote(str(path.resolve()))}?mode={_MODES[mode]}"


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun by _on_begin, DDL included
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    with contextlib.suppress(sqlite3.OperationalError):  # a read-only file keeps its mode
        cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def _on_begin(conn: Connection) -> None:
    """Begin every transaction explicitly: a write (``Store._write``) takes the write lock
    at once (``BEGIN IMMEDIATE``, waiting up to :data:`BUSY_TIMEOUT`), so two writers never
    interleave and a busy lock is met before any work, where retrying is safe."""
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    write = conn.get_execution_options().get("uppks_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _engine(path: Path, mode: str = "write") -> Engine:
    uri = _uri(path, mode)

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, check_same_thread=False)

    engine = sa.create_engine(f"sqlite:///{path}", creator=connect)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _files(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def open_mode(path: str | Path) -> tuple[str, str | None]:
    """How to open an existing project file: ``(mode, read_only)``.

    ``mode`` is ``write`` (SQLite decides; a read-only file is then read-only),
    ``read`` or ``immutable``; ``read_only`` is None, ``"file"`` (the file cannot be
    written) or ``"folder"`` (its folder cannot be written, so SQLite cannot create the
    ``-wal`` and ``-shm`` side files a write needs). A file that cannot be written and has no
    ``-wal`` side file is read as immutable, so reading it creates no side file.
    """
    path = Path(path)
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if _writable(path.resolve().parent):
        if _writable(path):
            return "write", None
        return ("write" if wal.exists() else "immutable"), "file"
    if wal.exists() and shm.exists():
        return "read", "folder"
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreReadOnlyError(
            f"the folder is read-only and the project has unfinished writes in {wal.name} "
            "that SQLite can only read with a -shm file it cannot create there; copy the "
            "project file and its -wal file into a writable folder and open the copy",
            path=path)
    return "immutable", "folder"


def store_error(exc: BaseException, path: Path, *, writing: bool,
                read_only: str | None = None) -> StoreError:
    """The :class:`StoreError` subclass that says, in plain words, what an SQLite error met
    on the project file ``path`` means and what to do.

    ``sqlite_error`` (the SQLite error name, e.g. ``SQLITE_BUSY``) is kept on the error.

    =============================  ===========================  ==========================
    SQLite error                   error                        what to do
    =============================  ===========================  ==========================
    ``CORRUPT``, ``NOTADB``        :class:`StoreCorruptError`   restore a backup, ``.recover``
    ``READONLY``, ``PERM``         :class:`StoreReadOnlyError`  make it writable, or a copy
    ``BUSY``, ``LOCKED``           :class:`StoreBusyError`      wait for the other writer
    ``FULL``                       :class:`StoreFullError`      free disk space
    any other                      :class:`StoreError`          (the SQLite message)
    =============================  ===========================  ==========================
    """
    orig = getattr(exc, "orig", None) or exc
    name = str(getattr(orig, "sqlite_errorname", "") or type(orig).__name__)
    kind = "_".join(name.split("_")[:2])  # SQLITE_READONLY_DIRECTORY -> SQLITE_READONLY
    detail = str(orig).strip() or name
    act = "written" if writing else "read"
    data: dict[str, Any] = {"path": path, "sqlite_error": name}
    folder = path.resolve().parent
    if kind in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return StoreCorruptError(
            f"the project file is damaged ({detail}) and cannot be {act}; nothing was changed. "
            "Restore it from a backup, or rescue what SQLite can still read with "
            f"`sqlite3 '{path}' .recover | sqlite3 rescued.uqp`", **data)
    if kind == "SQLITE_CANTOPEN" and not _writable(folder):
        kind, read_only = "SQLITE_READONLY", "folder"
    if kind in ("SQLITE_READONLY", "SQLITE_PERM"):
        in_folder = (read_only == "folder" or name == "SQLITE_READONLY_DIRECTORY"
                     or not _writable(folder))
        return read_only_error(path, "folder" if in_folder else "file", detail, name)
    if kind in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return busy_error(path, BUSY_TIMEOUT, 1, detail, name)
    if kind == "SQLITE_FULL":
        return StoreFullError(
            f"the disk is full, or a quota or size limit was reached ({detail}); the write was "
            "rolled back and nothing was changed. Free some disk space and try again", **data)
    if kind == "SQLITE_IOERR":
        return StoreError(f"the disk could not {'write' if writing else 'read'} the project "
                          f"file ({detail}); nothing was changed. Check the disk or network "
                          "share and try again", **data)
    if kind == "SQLITE_CONSTRAINT" or isinstance(orig, sqlite3.IntegrityError):
        return StoreError(f"the write breaks a rule of the project file ({detail}); nothing "
                          "was changed. This is a bug of uppks-qual: please report it", **data)
    return StoreError(f"the project file cannot be {act} ({detail}); nothing was changed",
                      **data)


class _Probe(Exception):
    """Rolls back the probe write of :meth:`Store.ensure_writable`."""


class _Damaged(Exception):
    """A stored value that cannot be decoded; :meth:`Store._errors` makes it a
    :class:`StoreCorruptError` naming the file."""


@contextlib.contextmanager
def _decoding(what: str) -> Iterator[None]:
    """Decode stored values (JSON, base64, records): a failure means a damaged file."""
    try:
        yield
    except QualError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _Damaged(f"{what} cannot be decoded: {type(exc).__name__}: {exc}") from None


def read_only_error(path: Path, why: str, detail: str = "attempt to write a readonly database",
                    name: str = "SQLITE_READONLY") -> StoreReadOnlyError:
    """:class:`StoreReadOnlyError` for a project whose file (``why="file"``) or folder
    (``"folder"``) cannot be written."""
    if why == "folder":
        return StoreReadOnlyError(
            f"the project's folder ({path.resolve().parent}) is read-only, so SQLite cannot "
            "create the project's -wal and -shm files: the project can be read but not "
            "written; nothing was changed. Copy the project into a writable folder to change "
            "it", path=path, sqlite_error=name)
    return StoreReadOnlyError(
        f"the project file is read-only ({detail}); nothing was changed. Reading and "
        f"analysis still work; to change it make it writable (chmod u+w '{path}', and its "
        "-wal and -shm files if present) or work on a copy", path=path, sqlite_error=name)


def busy_error(path: Path, waited: float, attempts: int, detail: str = "database is locked",
               name: str = "SQLITE_BUSY") -> StoreBusyError:
    """:class:`StoreBusyError`: another process held the write lock for ``waited`` seconds
    (``attempts`` tries)."""
    tries = f", {attempts} attempts" if attempts > 1 else ""
    return StoreBusyError(
        f"another process is writing to the project and held its lock for {waited:.1f} s "
        f"({detail}{tries}); nothing was changed. Wait until it has finished (an `uppks-qual "
        "autocode` run, another notebook writing) and try again", path=path,
        sqlite_error=name, waited=waited, attempts=attempts)


def _busy(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None) or exc
    return str(getattr(orig, "sqlite_errorname", "")).startswith(("SQLITE_BUSY",
                                                                  "SQLITE_LOCKED"))


# --------------------------------------------------------------------------- coders
#: Longest coder name accepted.
CODER_MAX_LENGTH = 64


def check_coder(name: object, *, path: str | Path | None = None,
                line: int | None = None) -> str:
    """``name`` if it is a valid coder name, else :class:`CoderError` naming it and the rule.

    A coder name is 1 to :data:`CODER_MAX_LENGTH` characters: letters, marks and digits of
    any script, punctuation and symbols (``_ - . @ ' ( ) ,``, emoji ...) and spaces, but no
    space at either end, no other white space (tabs, line breaks, no-break spaces) and no
    control or invisible characters. Names are compared exactly (``Coder1`` and ``coder1`` are
    two coders). Stored projects keep the names they have; the rule applies to new codings.

    Examples
    --------
    >>> check_coder("coder1")
    'coder1'
    >>> check_coder(" coder1")
    Traceback (most recent call last):
    ...
    uppks_qual.errors.CoderError: coder name ' coder1' starts or ends with a space; write 'coder1'
    """
    where: dict[str, Any] = {"path": path, "line": line, "coder": name}
    rule = ("a coder name is 1 to 64 letters, digits, punctuation or symbols, with single "
            "spaces inside (e.g. 'coder1', 'Jane D', 'auto-rules')")
    if not isinstance(name, str):
        raise CoderError(f"a coder must be named by text, got {name!r}; {rule}", **where)
    if not name.strip():
        raise CoderError(f"coder name {name!r} is empty; {rule}", **where)
    if name != name.strip(" "):
        raise CoderError(f"coder name {name!r} starts or ends with a space; write "
                         f"{name.strip()!r}", **where)
    if len(name) > CODER_MAX_LENGTH:
        raise CoderError(f"coder name {name[:20]!r}... has {len(name)} characters, more than "
                         f"{CODER_MAX_LENGTH}; {rule}", **where)
    bad = [ch for ch in name if ch != " " and unicodedata.category(ch)[0] not in "LMNPS"]
    if bad:
        shown = ", ".join(dict.fromkeys(f"U+{ord(ch):04X}" for ch in bad))
        raise CoderError(f"coder name {name!r} holds white space or invisible characters "
                         f"({shown}); {rule}", **where)
    return name


def is_project(path: str | Path) -> bool:
    """Whether ``path`` is a uppks-qual project file of any schema version (read-only check;
    ``overwrite=True`` never replaces any other file)."""
    try:
        check_version(path)
    except SchemaVersionError as exc:  # a project of a newer uppks-qual still is one
        return getattr(exc, "version", None) is not None
    except StoreError:
        return False
    return True


def check_replaceable(path: str | Path) -> None:
    """A :class:`StoreError` when ``path`` exists and is not a uppks-qual project: creating
    a project with ``overwrite=True`` replaces only a project, never any other file."""
    if Path(path).exists() and not is_project(path):
        raise StoreError("exists and is not a uppks-qual project (or is damaged): it is never "
                         "replaced; give a new project path, or move the file away first",
                         path=path)


def check_version(path: str | Path) -> int:
    """The schema version of a project file; :class:`SchemaVersionError` unless this library
    can read it (:class:`StoreCorruptError` for a damaged one). The file is opened
    read-only, so checking someone else's SQLite file never changes it."""
    path = Path(path)
    mode, read_only = open_mode(path)
    try:
        conn = sqlite3.connect(_uri(path, "immutable" if mode == "immutable" else "read"),
                               uri=True, timeout=BUSY_TIMEOUT)
        try:
            rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _open_error(exc, path, read_only) from None
    except UnicodeDecodeError as exc:
        raise _damaged_error(path, f"its settings (`meta`) are not valid UTF-8: {exc}") from None
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
    return version


def _damaged_error(path: Path, detail: str) -> StoreCorruptError:
    """:class:`StoreCorruptError` for a stored value that cannot be decoded."""
    return StoreCorruptError(
        f"the project file is damaged ({detail}); nothing was changed. Restore it from a "
        f"backup, or rescue what SQLite can still read with `sqlite3 '{path}' .recover | "
        "sqlite3 rescued.uqp`", path=path, sqlite_error="decode")


def _open_error(exc: sqlite3.Error, path: Path, read_only: str | None) -> StoreError:
    """What an error reading a file's ``meta`` table means: not a project (another SQLite
    file, or not SQLite at all), or a damaged project (an SQLite file whose pages fail, or a
    ``.uqp`` file that is not SQLite), or a file that cannot be opened."""
    name = str(getattr(exc, "sqlite_errorname", ""))
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_SQLITE_HEADER))
    except OSError:
        head = b""
    damaged = head == _SQLITE_HEADER or path.suffix.lower() == ".uqp"
    if name == "SQLITE_NOTADB" or (name == "SQLITE_ERROR" and not head):
        if not damaged:
            return SchemaVersionError(
                "not a uppks-qual project (not an SQLite database, or it has no `meta` table); "
                "create one with Project.create()", path=path)
        state = "is empty" if not head else "is not an SQLite database"
        return StoreCorruptError(
            f"the project file is damaged: it {state}; restore it from a backup (or give "
            "the right file: projects are made by Project.create() or `uppks-qual "
            "autocode`)", path=path, sqlite_error=name)
    if name == "SQLITE_ERROR":  # no such table: meta
        return SchemaVersionError(
            "not a uppks-qual project (an SQLite database without a `meta` table); create one "
            "with Project.create()", path=path)
    return store_error(exc, path, writing=False, read_only=read_only)


def _upgrade(conn: Connection, version: int) -> None:
    """Bring a file of an older schema version up to :data:`SCHEMA_VERSION` in place."""
    metadata.create_all(conn)  # creates only the tables the file lacks
    if version < 2 and not _has_column(conn, "documents", "attributes"):
        conn.execute(sa.text("ALTER TABLE documents ADD COLUMN attributes TEXT NOT NULL "
                             "DEFAULT '{}'"))
    if version < 3 and not _has_column(conn, "codings", "codebook_version"):
        # codings made before version 3 keep NULL: the codebook version is not known
        conn.execute(sa.text("ALTER TABLE codings ADD COLUMN codebook_version VARCHAR"))
    if version < 4:
        _rebuild_codings(conn)


def _rebuild_codings(conn: Connection) -> None:
    """Re-create ``codings`` as version 4 defines it (the origin ``reviewed``, ids never
    reused), keeping every row and id. SQLite cannot alter a CHECK constraint: the table is
    copied, inside the caller's transaction (no other table refers to ``codings``)."""
    conn.execute(sa.text("ALTER TABLE codings RENAME TO _codings_old"))
    for (name,) in conn.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '_codings_old' "
            "AND sql IS NOT NULL")).all():  # named indexes move with the table: free the names
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    codings.create(conn)
    columns = ", ".join(f'"{c.name}"' for c in codings.c)
    conn.execute(sa.text(f"INSERT INTO codings ({columns}) SELECT {columns} FROM _codings_old"))
    conn.execute(sa.text("DROP TABLE _codings_old"))


def _has_column(conn: Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in conn.execute(sa.text(f"PRAGMA table_info({table})")))


# --------------------------------------------------------------------------- rows
def document_row(doc: Document, position: int) -> dict[str, Any]:
    """Row of ``documents`` for a :class:`Document`."""
    return {
        "doc_id": doc.doc_id, "position": position, "text": doc.text, "group": doc.group,
        "village": doc.village, "source_type": doc.source_type,
        "informant_role": doc.informant_role, "informant": doc.informant, "date": doc.date,
        "meta": json.dumps(dict(doc.meta), ensure_ascii=False, default=str), "path": doc.path,
        "attributes": json.dumps(dict(doc.attributes), ensure_ascii=False),
        "sha256": hashlib.sha256(doc.text.encode("utf-8")).hexdigest(),
        "n_words": doc.n_words, "added": now(),
    }


def document_from_row(row: Any) -> Document:
    """Rebuild a :class:`Document` from its ``documents`` row."""
    with _decoding(f"document {row['doc_id']!r}"):
        return Document(doc_id=row["doc_id"], text=row["text"], group=row["group"],
                        village=row["village"], source_type=row["source_type"],
                        informant_role=row["informant_role"], informant=row["informant"],
                        date=row["date"], meta=json.loads(row["meta"]), path=row["path"],
                        attributes=json.loads(row["attributes"]))


def segment_rows(segs: Sequence[Segment]) -> list[dict[str, Any]]:
    """Rows of ``segments`` (text is not stored: it is derived from the document)."""
    return [{"segment_id": s.segment_id, "doc_id": s.doc_id, "position": i,
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
    with _decoding(f"code {row['code_id']!r}"):
        spec = json.loads(row["spec"])
        spec["patterns"] = tuple(tuple(p) for p in spec.get("patterns", ()))
        for key in ("examples", "phrases", "lemmas", "persons", "positive", "negative"):
            spec[key] = tuple(spec.get(key, ()))
        spec.update(label_en=row["label_en"], label_id=row["label_id"], colour=row["colour"],
                    parent=row["parent"], factor=row["factor"], kind=row["kind"])
        return Code(**spec)


def _expand_attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace the JSON column ``attributes`` by one column per attribute name (sorted;
    None where a document has no value)."""
    with _decoding("a document's attributes"):
        values = [dict(json.loads(a)) for a in frame["attributes"]]
    names = sorted({k for v in values for k in v})
    out = frame.drop(columns="attributes")
    for name in names:
        out[name] = [v.get(name) for v in values]
    return out


def _in(column: Any, value: str | Sequence[str] | None) -> Any:
    """``column IN (value)`` for a string or a list, or None when there is no filter."""
    if value is None:
        return None
    return column.in_([value] if isinstance(value, str) else list(value))


#: Columns of :meth:`Store.codings_frame`, in order.
CODING_ROW_COLUMNS = ("coding_id", "doc_id", "group", "village", "source_type",
                      "informant_role", "informant", "start", "end", "code_id", "valence",
                      "coder", "origin", "confidence", "text", "codebook_version")
#: Project settings (``meta``) that hold the codebook's name, version, change log and rules.
CODEBOOK_META = ("codebook_name", "codebook_version", "codebook_changelog", "codebook_rules")


def codebook_meta(codebook: Codebook) -> dict[str, str | None]:
    """The ``meta`` rows of a codebook's name, version, change log and rules (JSON); None
    where the codebook has none."""
    rules = {topic: [asdict(r) for r in items] for topic, items in codebook.rules.items()}
    return {"codebook_name": codebook.name, "codebook_version": codebook.version,
            "codebook_changelog": json.dumps([asdict(e) for e in codebook.changelog],
                                             ensure_ascii=False) if codebook.changelog else None,
            "codebook_rules": json.dumps(rules, ensure_ascii=False) if rules else None}


def codebook_from_meta(codes: Sequence[Code], meta: Mapping[str, str | None],
                       path: str | None) -> Codebook:
    """Rebuild a :class:`Codebook` from its codes and :func:`codebook_meta` rows."""
    with _decoding("the codebook's change log or rules"):
        changelog = tuple(ChangelogEntry(**e) for e in json.loads(
            meta.get("codebook_changelog") or "[]"))
        rules = {topic: tuple(CodingRule(**{**r, "examples": tuple(RuleExample(**x)
                                                                   for x in r["examples"])})
                              for r in items)
                 for topic, items in json.loads(meta.get("codebook_rules") or "{}").items()}
    return Codebook(tuple(codes), name=meta.get("codebook_name") or "codebook", path=path,
                    changelog=changelog, rules=rules)


class Store:
    """The repository of one project file: every read and write of uppks-qual's SQL.

    Build one with :meth:`create` or :meth:`open`; :class:`~uppks_qual.project.Project` is the
    facade users call. Methods that write run in one transaction each (:meth:`_write`), methods
    that read in one snapshot (:meth:`_read`); every SQLite error either meets becomes a
    :class:`~uppks_qual.errors.StoreError` (see :func:`store_error`).

    Attributes
    ----------
    read_only : str or None
        ``"file"`` or ``"folder"`` when the project was opened for reading only because the
        file, or its folder, cannot be written; None otherwise.
    lock_retries : int
        How many times a write of this store found the write lock held past the busy
        timeout and tried again.
    """

    def __init__(self, path: str | Path, engine: Engine, *,
                 read_only: str | None = None) -> None:
        self.path = Path(path)
        self.engine = engine
        self.read_only = read_only
        self.lock_retries = 0

    # ------------------------------------------------------------------ life cycle
    @classmethod
    def create(cls, path: str | Path, *, overwrite: bool = False) -> Store:
        """A new, empty project file (an error if it exists, unless ``overwrite``)."""
        path = Path(path)
        if path.is_dir():
            raise StoreError("is a folder; give a project file name (e.g. uppks.uqp)",
                             path=path)
        if path.exists() and not overwrite:
            raise StoreError("project file already exists; open it with Project.open() or "
                             "pass overwrite=True", path=path)
        check_replaceable(path)
        try:
            for file in _files(path):
                file.unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            error = StoreReadOnlyError if isinstance(exc, PermissionError) else StoreError
            raise error(f"cannot create the project file ({exc.strerror}); choose a folder you "
                        "can write to", path=path) from None
        store = cls(path, _engine(path, "create"))
        try:
            with store._write() as conn:
                metadata.create_all(conn)
                conn.execute(meta_table.insert(), [
                    {"key": "app", "value": APP},
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": "created", "value": now()},
                ])
        except BaseException:
            store.destroy()
            raise
        return store

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """An existing project file (upgraded in place when its schema is older).

        A project whose file or folder cannot be written opens for reading
        (:attr:`read_only`); writing it then raises :class:`StoreReadOnlyError`.
        """
        path = Path(path)
        if not path.exists():
            raise StoreError("no such project file; create one with Project.create()", path=path)
        if path.is_dir():
            raise StoreError("is a folder, not a project file; give the project's file (e.g. "
                             "results/uppks.uqp)", path=path)
        if not os.access(path, os.R_OK):
            raise StoreError("cannot be read (permission denied); check the file's "
                             "permissions", path=path)
        version = check_version(path)
        mode, read_only = open_mode(path)
        store = cls(path, _engine(path, mode), read_only=read_only)
        if version < SCHEMA_VERSION:
            try:
                with store._write() as conn:
                    store._put_meta(conn, "schema_version", str(SCHEMA_VERSION))
                    _upgrade(conn, version)
            except BaseException:
                store.close()
                raise
        return store

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def destroy(self) -> None:
        """Close and delete the project file (used when creating a project fails)."""
        self.engine.dispose()
        for file in _files(self.path):
            with contextlib.suppress(OSError):
                file.unlink(missing_ok=True)

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection reading one snapshot of the project; SQLite errors become
        :class:`StoreError` subclasses."""
        with self._errors(writing=False), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back (the file
        exactly as it was) when it raises; SQLite errors become :class:`StoreError`
        subclasses.

        The write lock is taken first (``BEGIN IMMEDIATE``): when another process holds it,
        SQLite waits up to :data:`BUSY_TIMEOUT`, and the whole transaction is tried again
        :data:`WRITE_ATTEMPTS` times in all, pausing :data:`RETRY_PAUSE` (doubled each time),
        before :class:`StoreBusyError`. Nothing of the block has run before the lock is
        held, so trying again is safe.
        """
        if self.read_only == "folder":
            raise read_only_error(self.path, "folder")
        with self._errors(writing=True):
            conn, transaction = self._lock()
            with conn, transaction:
                yield conn

    def _lock(self) -> tuple[Connection, Any]:
        """A connection holding the write lock in a new transaction (see :meth:`_write`)."""
        pause, started, attempts = RETRY_PAUSE, time.monotonic(), max(1, WRITE_ATTEMPTS)
        attempt = 0
        while True:
            attempt += 1
            conn = self.engine.connect().execution_options(uppks_write=True)
            try:
                return conn, conn.begin()
            except sa.exc.OperationalError as exc:
                conn.close()
                if not _busy(exc):
                    raise
                if attempt >= attempts:
                    orig = getattr(exc, "orig", exc)
                    raise busy_error(self.path, time.monotonic() - started, attempts,
                                     str(orig), str(getattr(orig, "sqlite_errorname", "")
                                                    or "SQLITE_BUSY")) from None
            self.lock_retries += 1
            time.sleep(pause)
            pause = min(2 * pause, RETRY_PAUSE_MAX)

    @contextlib.contextmanager
    def _errors(self, *, writing: bool) -> Iterator[None]:
        try:
            yield
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            raise store_error(exc, self.path, writing=writing,
                              read_only=self.read_only) from None
        except UnicodeDecodeError as exc:  # stored text that is not UTF-8
            raise _damaged_error(self.path, f"stored text is not valid UTF-8: {exc}") from None
        except _Damaged as exc:
            raise _damaged_error(self.path, str(exc)) from None

    def ensure_writable(self) -> None:
        """Check, cheaply, that the project can be written now: its pages pass SQLite's
        quick check, and the write lock can be taken and a write begun (then rolled back).

        Raises :class:`StoreReadOnlyError`, :class:`StoreBusyError` (after the retries of
        :meth:`_write`) or :class:`StoreCorruptError`; nothing is changed.
        """
        with self._read() as conn:
            problems = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            found = " ".join(" ".join(map(str, problems)).split())[:300]
            raise StoreCorruptError(
                f"the project file is damaged ({found}); nothing was "
                "changed. Restore it from a backup, or rescue what SQLite can still read with "
                f"`sqlite3 '{self.path}' .recover | sqlite3 rescued.uqp`", path=self.path,
                sqlite_error="quick_check")
        with contextlib.suppress(_Probe), self._write() as conn:
            self._put_meta(conn, "write_probe", now())  # a real write, rolled back
            raise _Probe

    def dump(self) -> str:
        """A text dump of the whole database (for comparing states in tests)."""
        with self._errors(writing=False):
            raw = self.engine.raw_connection()
            try:
                return "\n".join(raw.driver_connection.iterdump())  # type: ignore[union-attr]
            finally:
                raw.close()

    def counts(self) -> dict[str, int]:
        """Numbers of documents and codings."""
        with self._read() as conn:
            return {name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                              or 0) for name, t in (("documents", documents), ("codings", codings))}

    # ------------------------------------------------------------------ settings
    def get_meta(self, key: str) -> str | None:
        """A project setting, or None."""
        with self._read() as conn:
            value = conn.execute(sa.select(meta_table.c.value).where(
                meta_table.c.key == key)).scalar_one_or_none()
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        """Store a project setting."""
        with self._write() as conn:
            self._put_meta(conn, key, value)

    def model(self) -> bytes | None:
        """The saved learned coder's bytes (``meta`` key ``model``, base64 text), or None."""
        value = self.get_meta("model")
        with self._errors(writing=False), _decoding("the saved model"):
            return None if value is None else base64.b64decode(value, validate=True)

    def set_model(self, data: bytes | None) -> None:
        """Save a learned coder's bytes in ``meta`` (``None`` removes it)."""
        text = None if data is None else base64.b64encode(data).decode("ascii")
        with self._write() as conn:
            self._put_meta(conn, "model", text)

    @staticmethod
    def _put_meta(conn: Connection, key: str, value: str | None) -> None:
        """Set a setting (``None`` removes it)."""
        conn.execute(sa.delete(meta_table).where(meta_table.c.key == key))
        if value is not None:
            conn.execute(meta_table.insert().values(key=key, value=value))

    @staticmethod
    def _codebook_version(conn: Connection) -> str | None:
        """The version of the project's codebook, which every new coding records."""
        return conn.execute(sa.select(meta_table.c.value).where(
            meta_table.c.key == "codebook_version")).scalar_one_or_none()

    # ------------------------------------------------------------------ documents
    def add_documents(self, items: Sequence[tuple[Document, Sequence[Segment]]]) -> int:
        """Add documents with their segments; an id already in the project is an error."""
        with self._write() as conn:
            have = set(conn.execute(sa.select(documents.c.doc_id)).scalars())
            seen: set[str] = set()
            clash = []
            for doc, _ in items:
                if doc.doc_id in have or doc.doc_id in seen:
                    clash.append(doc.doc_id)
                seen.add(doc.doc_id)
            if clash:
                raise StoreError(f"document(s) already in the project: {', '.join(clash)}; "
                                 "ids must be unique", doc_ids=clash)
            for i, (doc, segs) in enumerate(items):
                conn.execute(documents.insert().values(document_row(doc, len(have) + i)))
                if segs:
                    conn.execute(segments.insert(), segment_rows(segs))
        return len(items)

    def document(self, doc_id: str) -> Document | None:
        """One document, or None."""
        with self._read() as conn:
            row = conn.execute(sa.select(documents).where(
                documents.c.doc_id == doc_id)).mappings().one_or_none()
            return None if row is None else document_from_row(row)

    def document_records(self, doc_ids: Iterable[str] | None = None) -> dict[str, Document]:
        """``{doc_id: Document}`` of the given documents (all when None), in project order."""
        q = sa.select(documents).order_by(documents.c.position)
        if doc_ids is not None:
            q = q.where(documents.c.doc_id.in_(sorted(set(doc_ids))))
        with self._read() as conn:
            return {r["doc_id"]: document_from_row(r) for r in conn.execute(q).mappings()}

    def texts(self, doc_ids: Iterable[str] | None = None) -> dict[str, str]:
        """``{doc_id: text}`` of the given documents (all when None) that exist."""
        q = sa.select(documents.c.doc_id, documents.c.text).order_by(documents.c.position)
        if doc_ids is not None:
            q = q.where(documents.c.doc_id.in_(sorted(set(doc_ids))))
        with self._read() as conn:
            return {r.doc_id: r.text for r in conn.execute(q)}

    def documents_frame(self) -> pd.DataFrame:
        """One row per document: metadata, title, path, content hash, words and characters,
        then one column per attribute (by name)."""
        cols = [c for c in documents.c if c.name not in ("text", "meta", "added", "position",
                                                         "attributes")]
        q = sa.select(*cols, sa.func.length(documents.c.text).label("n_chars"),
                      documents.c.meta, documents.c.attributes).order_by(documents.c.position)
        with self._read() as conn:
            frame = pd.DataFrame(conn.execute(q).mappings().all(),
                                 columns=[*(c.name for c in cols), "n_chars", "meta",
                                          "attributes"])
        with self._errors(writing=False), _decoding("a document's metadata"):
            titles = [json.loads(m).get("title") or d
                      for m, d in zip(frame["meta"], frame["doc_id"], strict=True)]
            frame.insert(frame.columns.get_loc("date") + 1, "title", titles)
            return _expand_attributes(frame.drop(columns="meta"))

    def update_documents(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Apply ``{doc_id: {name: value}}`` in one transaction (already validated): document
        fields (group, village, ...) replace their column, ``title`` the title, any other name
        an attribute (``None`` removes it)."""
        with self._write() as conn:
            for doc_id, values in changes.items():
                row = conn.execute(sa.select(documents.c.meta, documents.c.attributes).where(
                    documents.c.doc_id == doc_id)).one()
                with _decoding(f"document {doc_id!r}"):
                    meta, attrs = dict(json.loads(row.meta)), dict(json.loads(row.attributes))
                update: dict[str, Any] = {k: v for k, v in values.items()
                                          if k in DOCUMENT_FIELDS}
                for name, value in values.items():
                    if name == "title":
                        meta["title"] = value
                    elif name in DOCUMENT_FIELDS:
                        continue
                    elif value is None:
                        attrs.pop(name, None)
                    else:
                        attrs[name] = value
                update.update(meta=json.dumps(meta, ensure_ascii=False, default=str),
                              attributes=json.dumps(attrs, ensure_ascii=False))
                conn.execute(documents.update().where(documents.c.doc_id == doc_id)
                             .values(update))

    def groups(self) -> list[str]:
        """The distinct groups of the documents, sorted."""
        with self._read() as conn:
            return sorted(conn.execute(sa.select(documents.c.group).distinct()).scalars())

    def segments_frame(self, *, kind: str | None = None,
                       doc_id: str | None = None) -> pd.DataFrame:
        """Segments with their text and the document's metadata, in reading order."""
        d, s = documents, segments
        q = sa.select(s.c.doc_id, s.c.segment_id, s.c.kind, s.c.parent, s.c.speaker, s.c.time,
                      s.c.start, s.c.end, d.c.group, d.c.village, d.c.source_type,
                      d.c.informant_role, d.c.informant).join(d)
        for clause in (_in(s.c.kind, kind), _in(s.c.doc_id, doc_id)):
            if clause is not None:
                q = q.where(clause)
        q = q.order_by(d.c.position, s.c.position)
        with self._read() as conn:
            frame = pd.DataFrame(conn.execute(q).mappings().all(),  # plain str names
                                 columns=[str(c.name) for c in q.selected_columns])
        texts = self.texts(set(frame["doc_id"]))
        frame.insert(8, "text", [texts[i][a:b] for i, a, b in zip(
            frame["doc_id"], frame["start"], frame["end"], strict=True)])
        return frame

    def units(self, doc_id: str) -> list[Segment]:
        """The turns or paragraphs of one document, as records."""
        frame = self.segments_frame(doc_id=doc_id)
        frame = frame[frame["kind"] != "sentence"]
        return [Segment(r.doc_id, r.segment_id, r.kind, int(r.start), int(r.end), r.text,
                        r.speaker, r.parent, r.time) for r in frame.itertuples()]

    # ------------------------------------------------------------------ codebook
    def codebook(self, *, path: str | None = None) -> Codebook:
        """The project's codebook, in stored order, with its change log and coding rules."""
        with self._read() as conn:
            rows = conn.execute(sa.select(codes).order_by(codes.c.position)).mappings().all()
            meta = {r.key: r.value for r in conn.execute(sa.select(
                meta_table.c.key, meta_table.c.value).where(meta_table.c.key.in_(CODEBOOK_META)))}
            return codebook_from_meta([code_from_row(r) for r in rows], meta, path)

    def replace_codebook(self, codebook: Codebook) -> dict[str, list[str]]:
        """Replace the stored codebook (see :meth:`Project.update_codebook`)."""
        new = {c.code_id for c in codebook}
        with self._write() as conn:
            old = {r.code_id: r for r in conn.execute(sa.select(codes))}
            gone = [c for c in old if c not in new]
            c = codings.c
            used = conn.execute(sa.select(c.code_id, sa.func.count()).where(
                c.code_id.in_(gone), c.origin.in_(HUMAN_ORIGINS)).group_by(c.code_id)).all()
            if used:
                listing = ", ".join(f"{code} ({n} manual codings)" for code, n in used)
                raise StoreError(f"the new codebook removes code(s) that still have manual "
                                 f"codings: {listing}; recode or uncode them first, or keep the "
                                 "code", path=codebook.path, codes=[u[0] for u in used])
            if gone:  # automatic codings of removed codes go with them (re-run autocode)
                conn.execute(codings.delete().where(c.code_id.in_(gone), c.origin == "auto"))
                conn.execute(codes.delete().where(codes.c.code_id.in_(gone)))
            report = self._write_codes(conn, codebook, old)
            for key, value in codebook_meta(codebook).items():
                self._put_meta(conn, key, value)
        return {**report, "removed": gone}

    @staticmethod
    def _write_codes(conn: Connection, codebook: Codebook,
                     old: Mapping[str, Any]) -> dict[str, list[str]]:
        report: dict[str, list[str]] = {"added": [], "updated": []}
        for position, code in enumerate(codebook):
            row = code_row(code, position)
            if code.code_id in old:
                if any(getattr(old[code.code_id], k) != v for k, v in row.items()):
                    report["updated"].append(code.code_id)
                conn.execute(codes.update().where(codes.c.code_id == code.code_id).values(row))
            else:
                report["added"].append(code.code_id)
                conn.execute(codes.insert().values(row))
        return report

    # ------------------------------------------------------------------ coders
    def coders(self) -> pd.DataFrame:
        """Coders by name: ``coder, kind`` (human or auto)."""
        q = sa.select(coders.c.coder, coders.c.kind).order_by(coders.c.coder)
        with self._read() as conn:
            return pd.DataFrame(conn.execute(q).all(), columns=["coder", "kind"])

    @staticmethod
    def _ensure_coder(conn: Connection, coder: str, kind: str) -> None:
        """Register ``coder`` as a ``kind`` coder unless it is one already, atomically
        (insert-or-ignore, then read back): a coder of the other kind is an error."""
        check_coder(coder)
        conn.execute(sqlite_insert(coders).values(coder=coder, kind=kind, added=now())
                     .on_conflict_do_nothing(index_elements=["coder"]))
        have = conn.execute(sa.select(coders.c.kind).where(coders.c.coder == coder)).scalar_one()
        if have != kind:
            raise StoreError(f"coder {coder!r} is a {have} coder; use another name for {kind} "
                             "coding", coder=coder)

    # ------------------------------------------------------------------ codings
    def add_codings(self, items: Sequence[Coding], *,
                    read: Iterable[tuple[str, int, int, str]] = ()) -> list[int]:
        """Insert codings (already validated) and passages read, in one transaction.

        A coding identical to a stored one (same document, span, code and coder) is not
        inserted again; its existing id is returned. ``read`` holds ``(doc_id, start, end,
        coder)`` passages a coder read (coded or not).
        """
        with self._write() as conn:
            texts = self._texts(conn, {c.doc_id for c in items})
            version = self._codebook_version(conn)
            ids = [self._insert(conn, c, texts[c.doc_id], version) for c in items]
            self._add_readings(conn, read)
        return ids

    @staticmethod
    def _texts(conn: Connection, doc_ids: set[str]) -> dict[str, str]:
        q = sa.select(documents.c.doc_id, documents.c.text).where(
            documents.c.doc_id.in_(sorted(doc_ids)))
        return {r.doc_id: r.text for r in conn.execute(q)}

    def _insert(self, conn: Connection, c: Coding, doc_text: str, version: str | None) -> int:
        key = (codings.c.doc_id == c.doc_id, codings.c.start == c.start,
               codings.c.end == c.end, codings.c.code_id == c.code_id,
               codings.c.coder == c.coder)
        found = conn.execute(sa.select(codings.c.coding_id).where(*key)).scalar_one_or_none()
        if found is not None:
            return int(found)
        self._ensure_coder(conn, c.coder, "human" if c.origin in HUMAN_ORIGINS else "auto")
        stamp = now()
        result = conn.execute(codings.insert().values(
            doc_id=c.doc_id, start=c.start, end=c.end, code_id=c.code_id, coder=c.coder,
            origin=c.origin, valence=c.valence, confidence=c.confidence, memo=c.memo,
            text=doc_text[c.start:c.end], created=stamp, updated=stamp, codebook_version=version))
        return _new_id(result)

    def _add_readings(self, conn: Connection,
                      read: Iterable[tuple[str, int, int, str]]) -> None:
        rows = {(str(d), int(s), int(e), str(coder)) for d, s, e, coder in read}
        if not rows:
            return
        have = {(r.doc_id, r.start, r.end, r.coder) for r in conn.execute(sa.select(
            readings.c.doc_id, readings.c.start, readings.c.end, readings.c.coder))}
        stamp = now()
        fresh = sorted(rows - have)
        for coder in sorted({r[3] for r in fresh}):
            self._ensure_coder(conn, coder, "human")
        new = [{"doc_id": d, "start": s, "end": e, "coder": coder, "created": stamp}
               for d, s, e, coder in fresh]
        if new:
            conn.execute(readings.insert(), new)

    def replace_auto(self, coder: str, rows: Sequence[Mapping[str, Any]], *,
                     settings: Mapping[str, str] | None = None,
                     model: bytes | None = None) -> dict[str, int]:
        """Replace ``coder``'s automatic codings by ``rows`` in one transaction; a row identical
        to a manual coding (document, span and code) is skipped. ``settings`` (project
        settings) and ``model`` (a learned coder's bytes, see :meth:`set_model`) are saved in
        the same transaction: an interrupted run leaves all of it as it was."""
        c = codings
        with self._write() as conn:
            self._ensure_coder(conn, coder, "auto")
            for key, value in (settings or {}).items():
                self._put_meta(conn, key, value)
            if model is not None:
                self._put_meta(conn, "model", base64.b64encode(model).decode("ascii"))
            conn.execute(c.delete().where(c.c.coder == coder, c.c.origin == "auto"))
            manual = {tuple(r) for r in conn.execute(sa.select(
                c.c.doc_id, c.c.start, c.c.end, c.c.code_id).where(
                    c.c.origin.in_(HUMAN_ORIGINS)))}
            stamp, version = now(), self._codebook_version(conn)
            keep = [r for r in rows
                    if (r["doc_id"], r["start"], r["end"], r["code_id"]) not in manual]
            if keep:
                conn.execute(c.insert(), [{
                    "doc_id": r["doc_id"], "start": r["start"], "end": r["end"],
                    "code_id": r["code_id"], "coder": coder, "origin": "auto",
                    "valence": r["valence"], "confidence": r["confidence"], "memo": r["cues"],
                    "text": r["text"], "created": stamp, "updated": stamp,
                    "codebook_version": version} for r in keep])
        return {"documents": len({r["doc_id"] for r in rows}), "codings": len(keep),
                "skipped_manual": len(rows) - len(keep)}

    def codings_frame(self, *, coder: str | Sequence[str] | None = None,
                      origin: str | Sequence[str] | None = None,
                      group: str | Sequence[str] | None = None,
                      code: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Codings with their document's metadata (:data:`CODING_ROW_COLUMNS`, then one column
        per document attribute), filtered, in reading order."""
        c, d = codings, documents
        q = sa.select(c.c.coding_id, c.c.doc_id, d.c.group, d.c.village, d.c.source_type,
                      d.c.informant_role, d.c.informant, c.c.start, c.c.end, c.c.code_id,
                      c.c.valence, c.c.coder, c.c.origin, c.c.confidence, c.c.text,
                      c.c.codebook_version, d.c.attributes).join(d)
        for clause in (_in(c.c.coder, coder), _in(c.c.origin, origin), _in(d.c.group, group),
                       _in(c.c.code_id, code)):
            if clause is not None:
                q = q.where(clause)
        q = q.order_by(d.c.position, c.c.start, c.c.end, c.c.code_id, c.c.coder)
        with self._read() as conn:
            frame = pd.DataFrame(conn.execute(q).mappings().all(),
                                 columns=[*CODING_ROW_COLUMNS, "attributes"])
            return _expand_attributes(frame)

    def coding_keys(self) -> dict[tuple[str, int, int, str, str], tuple[str | None, str | None]]:
        """``{(doc_id, start, end, code_id, coder): (valence, memo)}`` of every coding."""
        c = codings.c
        with self._read() as conn:
            return {(r.doc_id, r.start, r.end, r.code_id, r.coder): (r.valence, r.memo)
                    for r in conn.execute(sa.select(c.doc_id, c.start, c.end, c.code_id,
                                                    c.coder, c.valence, c.memo))}

    def has_coding(self, coding_id: int) -> bool:
        """Whether a coding with this id exists."""
        with self._read() as conn:
            return conn.execute(sa.select(codings.c.coding_id).where(
                codings.c.coding_id == coding_id)).first() is not None

    def remove_coding(self, coding_id: int) -> None:
        """Delete one coding and its memos (an error if there is no such coding)."""
        with self._write() as conn:
            n = conn.execute(codings.delete().where(codings.c.coding_id == coding_id)).rowcount
            if n == 0:
                raise StoreError(f"no coding with id {coding_id}; see project.codings()",
                                 coding_id=coding_id)
            conn.execute(memos.delete().where(memos.c.target_type == "coding",
                                              memos.c.target_id == str(coding_id)))

    def readings_frame(self, coders: Sequence[str] | None = None) -> pd.DataFrame:
        """Passages coders read (``doc_id, start, end, coder``), in reading order."""
        r, d = readings, documents
        q = sa.select(r.c.doc_id, r.c.start, r.c.end, r.c.coder).join(d)
        if coders is not None:
            q = q.where(r.c.coder.in_(list(coders)))
        q = q.order_by(d.c.position, r.c.start, r.c.end, r.c.coder)
        with self._read() as conn:
            return pd.DataFrame(conn.execute(q).all(), columns=["doc_id", "start", "end", "coder"])

    # ------------------------------------------------------------------ reviews
    def suggestions_frame(self, coder: str, *, code: Sequence[str] | None = None,
                          doc_id: Sequence[str] | None = None) -> pd.DataFrame:
        """Automatic codings of ``coder`` that await a human, in reading order: not reviewed,
        and on no passage a human coded (origin manual or reviewed) or read (overlapping
        spans). Columns :data:`SUGGESTION_COLUMNS` (``suggestion_id`` is the coding id)."""
        c, d, r, h = codings, documents, readings, codings.alias("human")

        def overlaps(t: Any) -> Any:
            return sa.and_(t.c.doc_id == c.c.doc_id, t.c.start < c.c.end, t.c.end > c.c.start)

        q = sa.select(c.c.coding_id.label("suggestion_id"), c.c.doc_id, c.c.start, c.c.end,
                      c.c.code_id, c.c.valence, c.c.confidence, c.c.text, d.c.group,
                      d.c.informant).select_from(c.join(d)).where(
            c.c.coder == coder, c.c.origin == "auto",
            ~sa.exists().where(reviews.c.suggestion_id == c.c.coding_id),
            ~sa.exists().where(h.c.origin.in_(HUMAN_ORIGINS), overlaps(h)),
            ~sa.exists().where(overlaps(r)))
        for clause in (_in(c.c.code_id, code), _in(c.c.doc_id, doc_id)):
            if clause is not None:
                q = q.where(clause)
        q = q.order_by(d.c.position, c.c.start, c.c.end, c.c.code_id)
        with self._read() as conn:
            return pd.DataFrame(conn.execute(q).mappings().all(), columns=SUGGESTION_COLUMNS)

    def record_draws(self, strategy: str, drawn: Iterable[int]) -> None:
        """Remember the strategy each suggestion of ``drawn`` was drawn with (a suggestion
        once drawn at random stays ``random``: it belongs to that sample); suggestions
        reviewed or gone since are forgotten."""
        c = codings.c
        with self._write() as conn:
            waiting = {str(i) for i in conn.execute(sa.select(c.coding_id).where(
                c.origin == "auto",
                ~sa.exists().where(reviews.c.suggestion_id == c.coding_id))).scalars()}
            draws = {k: v for k, v in self._draws(conn).items() if k in waiting}
            for i in drawn:
                if draws.get(str(i)) != "random":
                    draws[str(i)] = strategy
            self._put_meta(conn, DRAWS_KEY, json.dumps(draws, sort_keys=True))

    @staticmethod
    def _draws(conn: Connection) -> dict[str, str]:
        stored = conn.execute(sa.select(meta_table.c.value).where(
            meta_table.c.key == DRAWS_KEY)).scalar_one_or_none()
        with _decoding("the suggestions drawn"):
            return dict(json.loads(stored)) if stored else {}

    def add_review(self, suggestion_id: int, *, coder: str, accept: bool,
                   code_id: str | None = None, valence: str | None = None,
                   memo: str | None = None) -> int | None:
        """Record ``coder``'s decision on the automatic coding ``suggestion_id``, in one
        transaction: accepted, a coding of origin ``reviewed`` by ``coder`` (``code_id`` and
        ``valence`` when given, else as suggested); either way the passage is read by
        ``coder`` and the decision is a row of ``reviews``. Returns the new coding's id (None
        when rejected). A suggestion that is not an automatic coding of the project (auto-coding
        was run again since), or that was reviewed already, is an error."""
        with self._write() as conn:
            s = self._suggestion(conn, suggestion_id)
            final_code = (code_id or s.code_id) if accept else None
            final_valence = (s.valence if valence is None else valence) if accept else None
            new_id = None
            if accept:
                item = Coding(s.doc_id, s.start, s.end, str(final_code), coder, "reviewed",
                              final_valence, None, memo)
                new_id = self._insert(conn, item, s.doc_text, self._codebook_version(conn))
            self._add_readings(conn, [(s.doc_id, s.start, s.end, coder)])
            conn.execute(reviews.insert().values(
                suggestion_id=suggestion_id, doc_id=s.doc_id, start=s.start, end=s.end,
                suggested_by=s.coder, suggested_code=s.code_id, suggested_valence=s.valence,
                confidence=s.confidence,
                strategy=self._draws(conn).get(str(suggestion_id), "direct"),
                decision="accepted" if accept else "rejected", code_id=final_code,
                valence=final_valence, coding_id=new_id, coder=coder, memo=memo,
                created=now()))
        return new_id

    @staticmethod
    def _suggestion(conn: Connection, suggestion_id: int) -> Any:
        done = conn.execute(sa.select(reviews.c.coder, reviews.c.decision, reviews.c.created)
                            .where(reviews.c.suggestion_id == suggestion_id)).one_or_none()
        if done is not None:
            raise StoreError(f"suggestion {suggestion_id} was already reviewed ({done.decision} "
                             f"by {done.coder} at {done.created}); a decision is final: edit "
                             "the coding itself (project.uncode, project.code) to change it",
                             suggestion_id=suggestion_id)
        c = codings.c
        row = conn.execute(sa.select(c.doc_id, c.start, c.end, c.code_id, c.coder, c.valence,
                                     c.confidence, documents.c.text.label("doc_text"))
                           .select_from(codings.join(documents))
                           .where(c.coding_id == suggestion_id, c.origin == "auto")
                           ).one_or_none()
        if row is None:
            raise StoreError(f"no suggestion with id {suggestion_id}: it is not an automatic "
                             "coding of the project (auto-coding may have been run again "
                             "since); draw suggestions again with project.suggest()",
                             suggestion_id=suggestion_id)
        return row

    def reviews_frame(self) -> pd.DataFrame:
        """Every review decision, in the order made (:data:`REVIEW_COLUMNS`)."""
        q = sa.select(*(reviews.c[name] for name in REVIEW_COLUMNS)).order_by(
            reviews.c.review_id)
        with self._read() as conn:
            frame = pd.DataFrame(conn.execute(q).all(), columns=list(REVIEW_COLUMNS))
        return frame.astype({"coding_id": "Int64"})

    # ------------------------------------------------------------------ memos
    def add_memo(self, on: str, target: str, text: str, author: str | None) -> int:
        """Store a memo on a ``code``, ``document``, ``coding`` or the ``project``."""
        with self._write() as conn:
            if on == "coding" and conn.execute(sa.select(codings.c.coding_id).where(
                    codings.c.coding_id == int(target))).first() is None:
                raise StoreError(f"no coding with id {target}", coding_id=target)
            result = conn.execute(memos.insert().values(
                target_type=on, target_id=str(target), author=author, text=text, created=now()))
        return _new_id(result)

    def memos_frame(self) -> pd.DataFrame:
        """All memos (target type and id, author, text, time)."""
        with self._read() as conn:
            return pd.DataFrame(conn.execute(sa.select(memos)).mappings().all(),
                                columns=[c.name for c in memos.c])

    # ------------------------------------------------------------------ checks
    def check_integrity(self) -> list[str]:
        """Problems found: codings whose stored text is not ``document.text[start:end]``."""
        q = sa.select(codings.c.coding_id, codings.c.start, codings.c.end, codings.c.text,
                      documents.c.text.label("doc_text")).join(documents)
        with self._read() as conn:
            return [f"coding {row.coding_id}: stored text does not match offsets "
                    f"[{row.start}, {row.end})" for row in conn.execute(q)
                    if row.doc_text[row.start:row.end] != row.text]


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
