"""The project store: one SQLite file, or one PostgreSQL database, through SQLAlchemy 2 Core.

:class:`Store` is the repository of a project and the only place in uppks-qual that holds
SQL: documents and their segments, the codebook, coders, codings, the passages coders read,
reviews, memos, the history of changes and settings. :class:`~uppks_qual.project.Project`
validates what a user asks for and delegates here; analysis code never imports this package.

A project lives in a file (a path: SQLite, the default, nothing to install;
:mod:`~uppks_qual.store.sqlite`) or in a database of a server a team shares (a URL
``postgresql+psycopg://user:password@host/database``; :mod:`~uppks_qual.store.postgres`).
Both hold the same tables (:mod:`~uppks_qual.store.tables`), migrated by Alembic
(:mod:`~uppks_qual.store.migrate`; a file is copied beside itself before it is upgraded), and
behave the same.

Tables: ``meta`` (settings and schema version), ``documents``, ``segments``, ``codes``,
``coders`` (with a role), ``codings``, ``readings`` (passages a coder read, coded or not),
``reviews`` (a human's decisions on automatic codings, see :meth:`Store.add_review`), ``memos``
and ``history`` (the audit trail). A coding stores its offsets **and** its text; the text is
always ``documents.text[start:end]`` and :meth:`Store.check_integrity` verifies it. A coding
also records the version of the codebook it was made under (``codings.codebook_version``, from
the setting ``codebook_version`` that :meth:`Store.replace_codebook` writes with the change log
and the coding rules). A coding marked removed (``codings.removed``) is kept for the history and
ignored by every read. Every write is one transaction: a failing operation leaves the project
exactly as it was. Each change appends its row(s) to ``history`` in that same transaction
(:mod:`~uppks_qual.store.audit`: who, when, what, old -> new), so a change rolled back leaves
no row; :meth:`Store.undo` reverts a coder's last change that can be undone.

Every database error a read or a write meets becomes a
:class:`~uppks_qual.errors.StoreError` subclass whose message names the project (a file, or a
URL with its password hidden) and what to do (:func:`store_error`; :func:`postgres.store_error
<uppks_qual.store.postgres.store_error>`). A write takes the project's write lock before doing
anything (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL advisory lock), waits up to
:data:`BUSY_TIMEOUT` for another writer and tries again (:data:`WRITE_ATTEMPTS`, pausing
:data:`RETRY_PAUSE`, doubled each time) before :class:`StoreBusyError`. A project file whose
file or folder cannot be written opens for reading (:attr:`Store.read_only`).

The retry settings (and ``_rebuild_codings``) are read from this package when used, so a
program (or a test) may set them here: ``uppks_qual.store.BUSY_TIMEOUT = 1.0``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from ..errors import (
    SchemaVersionError,
    StoreCorruptError,
    StoreError,
    StoreReadOnlyError,
    warn,
)
from ..records import DOCUMENT_FIELDS, HUMAN_ORIGINS, Codebook, Coding, Document, Segment
from . import audit, merge, migrate, postgres, sqlite
from .audit import ACTIONS, HISTORY_COLUMNS, UNDOABLE
from .merge import STRATEGIES as MERGE_STRATEGIES
from .merge import MergeReport
from .rows import (
    CODER_MAX_LENGTH,
    Damaged,
    check_coder,
    code_from_row,
    code_row,
    codebook_from_meta,
    codebook_meta,
    decoding,
    document_from_row,
    document_row,
    expand_attributes,
    in_,
    segment_rows,
)
from .sqlite import (
    busy_error,
    damaged_error,
    open_mode,
    read_only_error,
    store_error,
)
from .sqlite import check_version as _check_file_version
from .sqlite import rebuild_codings_v4 as _rebuild_codings
from .tables import (
    APP,
    CODEBOOK_META,
    CODER_ROLES,
    CODING_ROW_COLUMNS,
    COUNTERS,
    DRAWS_KEY,
    HEAD_REVISION,
    REVIEW_COLUMNS,
    REVIEW_STRATEGIES,
    REVISION_SCHEMA,
    SCHEMA_VERSION,
    SUGGESTION_COLUMNS,
    coders,
    codes,
    codings,
    documents,
    history,
    live,
    memos,
    meta_table,
    metadata,
    now,
    readings,
    reviews,
    segments,
)

__all__ = [
    "ACTIONS",
    "APP",
    "BUSY_TIMEOUT",
    "CODEBOOK_META",
    "CODER_MAX_LENGTH",
    "CODER_ROLES",
    "CODING_ROW_COLUMNS",
    "DRAWS_KEY",
    "HEAD_REVISION",
    "HISTORY_COLUMNS",
    "MERGE_STRATEGIES",
    "RETRY_PAUSE",
    "RETRY_PAUSE_MAX",
    "REVIEW_COLUMNS",
    "REVIEW_STRATEGIES",
    "SCHEMA_VERSION",
    "SUGGESTION_COLUMNS",
    "UNDOABLE",
    "WRITE_ATTEMPTS",
    "MergeReport",
    "Store",
    "busy_error",
    "check_coder",
    "check_replaceable",
    "check_version",
    "code_from_row",
    "code_row",
    "codebook_from_meta",
    "codebook_meta",
    "coders",
    "codes",
    "codings",
    "document_from_row",
    "document_row",
    "documents",
    "history",
    "is_project",
    "is_url",
    "location",
    "memos",
    "meta_table",
    "metadata",
    "now",
    "open_mode",
    "read_only_error",
    "readings",
    "reviews",
    "same_place",
    "segment_rows",
    "segments",
    "store_error",
]

#: Seconds one attempt to take the project's write lock waits for another process's write
#: (SQLite's busy timeout; PostgreSQL's ``lock_timeout`` on the project's lock).
BUSY_TIMEOUT = 5.0
#: Attempts to take the write lock before :class:`StoreBusyError`; between two attempts the
#: write pauses :data:`RETRY_PAUSE` seconds, doubled each time up to :data:`RETRY_PAUSE_MAX`
#: (0.25, 0.5, 1: about 22 s in all with the busy timeouts).
WRITE_ATTEMPTS = 4
RETRY_PAUSE = 0.25
RETRY_PAUSE_MAX = 2.0

Target = str | os.PathLike[str] | sa.URL


is_url = postgres.is_url


def same_place(where: str) -> str:
    """A project's location, comparable: a file's resolved path, or a URL as given."""
    return where if postgres.is_url(where) else str(Path(where).resolve())


def location(target: Target) -> str:
    """How messages name a project: its file path, or its URL with the password hidden."""
    if postgres.is_url(target):
        with contextlib.suppress(StoreError):
            return postgres.safe_url(postgres.parse_url(target))  # type: ignore[arg-type]
        return "(a database URL)"
    return str(target)


def check_version(target: Target) -> int:
    """The schema version of a project (a file or a database URL); :class:`SchemaVersionError`
    unless this library can read it (:class:`StoreCorruptError` for a damaged file). A file is
    opened read-only, so checking someone else's SQLite file never changes it."""
    if postgres.is_url(target):
        url = postgres.parse_url(target)  # type: ignore[arg-type]
        return _server_state(url)[0]
    return _check_file_version(target, busy_timeout=BUSY_TIMEOUT)  # type: ignore[arg-type]


def is_project(target: Target) -> bool:
    """Whether ``target`` is a uppks-qual project of any schema version (read-only check;
    ``overwrite=True`` never replaces anything else)."""
    try:
        check_version(target)
    except SchemaVersionError as exc:  # a project of a newer uppks-qual still is one
        return getattr(exc, "version", None) is not None
    except StoreError:
        return False
    return True


def check_replaceable(target: Target) -> None:
    """A :class:`StoreError` when ``target`` exists and is not a uppks-qual project: creating
    a project with ``overwrite=True`` replaces only a project, never any other file."""
    if postgres.is_url(target):
        check_version(target)  # connection errors, or not a project
    elif Path(target).exists() and not is_project(target):  # type: ignore[arg-type]
        raise StoreError("exists and is not a uppks-qual project (or is damaged): it is never "
                         "replaced; give a new project path, or move the file away first",
                         path=target)  # type: ignore[arg-type]


def _server_state(url: sa.URL) -> tuple[int, str | None]:
    """``(schema version, revision)`` of the project in database ``url``; its errors."""
    where = postgres.safe_url(url)
    eng = postgres.engine(url)
    try:
        with eng.connect() as conn:
            rows, revision = postgres.state(conn)
    except sa.exc.DBAPIError as exc:
        raise postgres.store_error(exc, where, writing=False) from None
    finally:
        eng.dispose()
    if rows is None:
        raise SchemaVersionError("the database holds no uppks-qual project (no `meta` table); "
                                 "create one with Project.create()", path=where)
    version = sqlite.check_meta(rows, revision, where)
    return version, (revision if version >= 4 else None)


def _upgrade(conn: Connection, version: int) -> None:
    """Bring a file of schema 1 to 3 up to schema 4 in place (see
    :func:`uppks_qual.store.sqlite.upgrade_legacy`; ``_rebuild_codings`` is looked up here)."""
    sqlite.upgrade_legacy(conn, version, rebuild=_rebuild_codings)


class _Probe(Exception):
    """Rolls back the probe write of :meth:`Store.ensure_writable`."""


class Store:
    """The repository of one project: every read and write of uppks-qual's SQL.

    Build one with :meth:`create` or :meth:`open`; :class:`~uppks_qual.project.Project` is the
    facade users call. Methods that write run in one transaction each (:meth:`_write`), methods
    that read in one snapshot (:meth:`_read`); every database error either meets becomes a
    :class:`~uppks_qual.errors.StoreError` (see :func:`store_error`).

    Attributes
    ----------
    path : Path or None
        The project file (None for a project on a database server).
    url : sqlalchemy.URL or None
        The database URL of a project on a server (None for a file).
    location : str
        The file's path, or the URL with its password hidden: what messages name.
    name : str
        The file's name without ``.uqp``, or the database's name.
    read_only : str or None
        ``"file"`` or ``"folder"`` when the project was opened for reading only because the
        file, or its folder, cannot be written; None otherwise.
    lock_retries : int
        How many times a write of this store found the write lock held past the busy
        timeout and tried again.
    """

    def __init__(self, target: Path | sa.URL, engine: Engine, *,
                 read_only: str | None = None) -> None:
        self.url = target if isinstance(target, sa.URL) else None
        self.path = None if isinstance(target, sa.URL) else Path(target)
        self.location = location(target)
        self.name = self.path.stem if self.path is not None else str(target.database)  # type: ignore[union-attr]
        self.engine = engine
        self.read_only = read_only
        self.lock_retries = 0

    @property
    def server(self) -> bool:
        """Whether the project lives on a database server (PostgreSQL), not in a file."""
        return self.url is not None

    # ------------------------------------------------------------------ life cycle
    @classmethod
    def create(cls, target: Target, *, overwrite: bool = False) -> Store:
        """A new, empty project: a file at a path (an error if it exists, unless
        ``overwrite``), or in the database a ``postgresql+psycopg://`` URL names (which must
        exist; a project already there is replaced only with ``overwrite``, and a database
        holding any other table is an error)."""
        return cls._new(target, overwrite=overwrite)

    @classmethod
    def create_from(cls, source: Store, target: Target, *, overwrite: bool = False) -> Store:
        """A new project at ``target`` holding a copy of every row of ``source`` (ids and id
        counters kept), made in one transaction: on a server, an existing project is replaced
        (``overwrite``) only when the whole copy succeeds."""
        tables, counters = source.snapshot()

        def fill(conn: Connection) -> None:
            for table in metadata.sorted_tables:
                if tables[table.name]:
                    conn.execute(table.insert(), [dict(r) for r in tables[table.name]])
            for table_name, column in COUNTERS.items():
                _set_counter(conn, table_name, column, counters[table_name])

        return cls._new(target, overwrite=overwrite, fill=fill)

    def snapshot(self) -> tuple[dict[str, list[dict[str, Any]]], dict[str, int]]:
        """Every row of every table (``{table: [row, ...]}`` ordered by primary key) and the
        id counters (:data:`COUNTERS`), read in one snapshot."""
        with self._read() as conn:
            tables = {t.name: [dict(r) for r in conn.execute(
                sa.select(t).order_by(*t.primary_key.columns or t.c)).mappings()]
                for t in metadata.sorted_tables}
            counters = {t: self._counter(conn, t, c) for t, c in COUNTERS.items()}
        return tables, counters

    @classmethod
    def create_merged(cls, ours: Store, theirs: Store, target: Target, *,
                      strategy: str = "strict", by: str | None = None,
                      overwrite: bool = False) -> tuple[Store, merge.MergeReport]:
        """A new project at ``target`` merging ``ours`` and ``theirs`` (see
        :mod:`~uppks_qual.store.merge`), which are only read; returns it and the report.

        All or nothing: the plan is made (and :class:`MergeError` raised) before anything is
        written; a file is built beside ``target`` and moved into place when complete, a
        database filled in one transaction."""
        a, counters = ours.snapshot()
        b, _ = theirs.snapshot()
        plan = merge.plan(a, b, counters, strategy=strategy)
        report = merge.MergeReport(ours.location, theirs.location, location(target), strategy,
                                   plan.counts, tuple(plan.conflicts), tuple(plan.notes))

        def fill(conn: Connection) -> None:
            for table in metadata.sorted_tables:
                if plan.rows[table.name]:
                    conn.execute(table.insert(), plan.rows[table.name])
            for table_name, column in COUNTERS.items():
                _set_counter(conn, table_name, column, plan.counters[table_name])
            audit.log(conn, "merge", "project", "", coder=by,
                      new={"ours": ours.location, "theirs": theirs.location},
                      details=report.to_dict())

        if postgres.is_url(target):
            return cls._new(target, overwrite=overwrite, fill=fill), report
        return cls._new_file_in_place(Path(target), overwrite=overwrite, fill=fill), report  # type: ignore[arg-type]

    @classmethod
    def _new_file_in_place(cls, path: Path, *, overwrite: bool,
                           fill: Callable[[Connection], None]) -> Store:
        """A new project file built at a temporary name beside ``path`` and moved there when
        complete: an interrupted build never leaves a project behind."""
        if path.exists() and not overwrite:
            raise StoreError("project file already exists; pass overwrite=True to replace it",
                             path=path)
        check_replaceable(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.partial")
        try:
            cls._new(tmp, overwrite=False, fill=fill).close()
            for file in sqlite.files(path):
                if file != path:
                    file.unlink(missing_ok=True)
            if Path(f"{tmp}-wal").exists():  # normally checkpointed on close
                os.replace(f"{tmp}-wal", f"{path}-wal")
            os.replace(tmp, path)
        finally:
            for file in sqlite.files(tmp):
                with contextlib.suppress(OSError):
                    file.unlink(missing_ok=True)
        return cls.open(path)

    @classmethod
    def _new(cls, target: Target, *, overwrite: bool,
             fill: Callable[[Connection], None] | None = None) -> Store:
        if postgres.is_url(target):
            return cls._new_on_server(postgres.parse_url(target),  # type: ignore[arg-type]
                                      overwrite=overwrite, fill=fill)
        path = Path(target)  # type: ignore[arg-type]
        if path.is_dir():
            raise StoreError("is a folder; give a project file name (e.g. uppks.uqp)",
                             path=path)
        if path.exists() and not overwrite:
            raise StoreError("project file already exists; open it with Project.open() or "
                             "pass overwrite=True", path=path)
        check_replaceable(path)
        try:
            for file in sqlite.files(path):
                file.unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            error = StoreReadOnlyError if isinstance(exc, PermissionError) else StoreError
            raise error(f"cannot create the project file ({exc.strerror}); choose a folder you "
                        "can write to", path=path) from None
        store = cls(path, sqlite.engine(path, "create", busy_timeout=BUSY_TIMEOUT))
        try:
            with store._write() as conn:
                store._make(conn, fill)
        except BaseException:
            store.destroy()
            raise
        return store

    @classmethod
    def _new_on_server(cls, url: sa.URL, *, overwrite: bool,
                       fill: Callable[[Connection], None] | None) -> Store:
        store = cls(url, postgres.engine(url))
        try:
            with store._write() as conn:
                have = postgres.tables(conn)
                if have:
                    store._clear_for_create(conn, have, overwrite=overwrite)
                store._make(conn, fill)
        except BaseException:
            store.close()
            raise
        return store

    def _clear_for_create(self, conn: Connection, have: set[str], *, overwrite: bool) -> None:
        """Drop the project in the database (``overwrite``), or say why not."""
        rows, _ = postgres.state(conn)
        ours = {t.name for t in metadata.sorted_tables} | {"alembic_version"}
        others = sorted(have - ours)
        if rows is None or rows.get("app") != APP or others:
            listing = ", ".join(others or sorted(have))
            raise StoreError(f"the database holds tables that are not a uppks-qual project "
                             f"({listing[:300]}); it is never changed. Create an empty "
                             "database for the project (createdb NAME)", path=self.location)
        if not overwrite:
            raise StoreError("the database already holds a uppks-qual project; open it with "
                             "Project.open() or pass overwrite=True to replace it",
                             path=self.location)
        self._drop(conn)

    @staticmethod
    def _drop(conn: Connection) -> None:
        """Drop every table of a project (any schema version) from the database."""
        names = [t.name for t in reversed(metadata.sorted_tables)] + ["alembic_version"]
        for name in names:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))

    @staticmethod
    def _make(conn: Connection, fill: Callable[[Connection], None] | None) -> None:
        """Create the newest schema, stamped at the head revision; then ``fill`` it (a copy)
        or write the settings of a new project."""
        metadata.create_all(conn)
        migrate.stamp(conn, HEAD_REVISION)
        if fill is not None:
            fill(conn)
            return
        conn.execute(meta_table.insert(), [
            {"key": "app", "value": APP},
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "created", "value": now()},
        ])

    @classmethod
    def open(cls, target: Target) -> Store:
        """An existing project: a file (upgraded in place when its schema is older, after a
        copy of it is made beside it) or a database URL.

        A project whose file or folder cannot be written opens for reading
        (:attr:`read_only`); writing it then raises :class:`StoreReadOnlyError`.
        """
        if postgres.is_url(target):
            url = postgres.parse_url(target)  # type: ignore[arg-type]
            version, revision = _server_state(url)
            store = cls(url, postgres.engine(url))
        else:
            path = Path(target)  # type: ignore[arg-type]
            if not path.exists():
                raise StoreError("no such project file; create one with Project.create()",
                                 path=path)
            if path.is_dir():
                raise StoreError("is a folder, not a project file; give the project's file "
                                 "(e.g. results/uppks.uqp)", path=path)
            if not os.access(path, os.R_OK):
                raise StoreError("cannot be read (permission denied); check the file's "
                                 "permissions", path=path)
            version, revision = sqlite.file_state(path, busy_timeout=BUSY_TIMEOUT)
            mode, read_only = open_mode(path)
            store = cls(path, sqlite.engine(path, mode, busy_timeout=BUSY_TIMEOUT),
                        read_only=read_only)
        if revision != HEAD_REVISION:
            try:
                store._upgrade_schema(version, revision)
            except BaseException:
                store.close()
                raise
        return store

    def _upgrade_schema(self, version: int, revision: str | None) -> None:
        """Bring the project to the newest schema in one write transaction (a file is first
        copied beside itself; the copy is removed when the upgrade fails, since the file is
        then as it was)."""
        label = revision or f"schema{version}"
        copy = None
        if self.path is not None and self.read_only is None:
            try:
                copy = migrate.backup(self.path, label)
            except OSError as exc:
                raise StoreError(f"the project must be upgraded to schema {SCHEMA_VERSION} and "
                                 f"a copy of it cannot be made beside it first ({exc.strerror}); "
                                 "nothing was changed. Free some space or make the folder "
                                 "writable", path=self.path) from None
        try:
            with self._write() as conn:
                version, revision = self._state(conn)  # another process may have upgraded
                if revision != HEAD_REVISION:
                    if revision is None:
                        if version < 4:
                            _upgrade(conn, version)
                        migrate.stamp(conn, "0001")
                    migrate.upgrade(conn)
                    self._put_meta(conn, "schema_version", str(SCHEMA_VERSION))
        except BaseException:
            if copy is not None:
                for file in sqlite.files(copy):
                    file.unlink(missing_ok=True)
            raise
        if revision == HEAD_REVISION:
            if copy is not None:
                for file in sqlite.files(copy):
                    file.unlink(missing_ok=True)
            return
        old = REVISION_SCHEMA.get(revision or "", version)
        kept = (f"; the file as it was is kept as {copy}" if copy is not None else
                "" if self.path is not None else " (back the database up with pg_dump before "
                "upgrading uppks-qual)")
        warn(f"{self.location}: upgraded the project from schema version {old} to "
             f"{SCHEMA_VERSION}{kept}")

    @staticmethod
    def _state(conn: Connection) -> tuple[int, str | None]:
        """``(schema_version, Alembic revision or None)`` read in the transaction of ``conn``."""
        version = conn.execute(sa.select(meta_table.c.value).where(
            meta_table.c.key == "schema_version")).scalar()
        revision = None
        if sa.inspect(conn).has_table("alembic_version"):
            revision = conn.execute(sa.select(migrate.version_table.c.version_num)).scalar()
        version = int(version or 0)
        return version, (revision if version >= 4 else None)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def destroy(self) -> None:
        """Close and delete the project (used when creating a project fails): the file, or
        the project's tables in the database."""
        if self.path is None:
            with contextlib.suppress(StoreError), self._write() as conn:
                self._drop(conn)
            self.engine.dispose()
            return
        self.engine.dispose()
        for file in sqlite.files(self.path):
            with contextlib.suppress(OSError):
                file.unlink(missing_ok=True)

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection reading one snapshot of the project; database errors become
        :class:`StoreError` subclasses."""
        with self._errors(writing=False), self.engine.connect().execution_options(
                uppks_busy_timeout=BUSY_TIMEOUT) as conn:
            yield conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back (the project
        exactly as it was) when it raises; database errors become :class:`StoreError`
        subclasses.

        The write lock is taken first (SQLite ``BEGIN IMMEDIATE``, PostgreSQL the project's
        advisory lock, see :mod:`~uppks_qual.store.postgres`): when another writer holds it,
        the write waits up to :data:`BUSY_TIMEOUT`, and the whole transaction is tried again
        :data:`WRITE_ATTEMPTS` times in all, pausing :data:`RETRY_PAUSE` (doubled each time),
        before :class:`StoreBusyError`. Nothing of the block has run before the lock is
        held, so trying again is safe.
        """
        if self.read_only == "folder":
            raise read_only_error(self.path or Path(self.location), "folder")
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
            conn = self.engine.connect().execution_options(
                uppks_write=True, uppks_busy_timeout=BUSY_TIMEOUT)
            try:
                transaction = conn.begin()
                if self.server:
                    postgres.lock(conn, BUSY_TIMEOUT)
                return conn, transaction
            except sa.exc.DBAPIError as exc:
                conn.close()
                busy = postgres.is_busy(exc) if self.server else sqlite.is_busy(exc)
                if not busy:
                    raise
                if attempt >= attempts:
                    raise self._busy_error(exc, time.monotonic() - started, attempts) from None
            self.lock_retries += 1
            time.sleep(pause)
            pause = min(2 * pause, RETRY_PAUSE_MAX)

    def _busy_error(self, exc: BaseException, waited: float, attempts: int) -> StoreError:
        orig = getattr(exc, "orig", exc)
        if self.server:
            return postgres.busy_error(self.location, waited, attempts,
                                       " ".join(str(orig).split()), postgres.sqlstate(exc))
        assert self.path is not None
        return busy_error(self.path, waited, attempts, str(orig),
                          str(getattr(orig, "sqlite_errorname", "") or "SQLITE_BUSY"))

    @contextlib.contextmanager
    def _errors(self, *, writing: bool) -> Iterator[None]:
        try:
            yield
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            if self.path is None:
                raise postgres.store_error(exc, self.location, writing=writing) from None
            raise store_error(exc, self.path, writing=writing, read_only=self.read_only,
                              busy_timeout=BUSY_TIMEOUT) from None
        except UnicodeDecodeError as exc:  # stored text that is not UTF-8
            raise self._damaged(f"stored text is not valid UTF-8: {exc}") from None
        except Damaged as exc:
            raise self._damaged(str(exc)) from None

    def _damaged(self, detail: str) -> StoreCorruptError:
        if self.path is not None:
            return damaged_error(self.path, detail)
        return StoreCorruptError(f"the project's database holds a damaged value ({detail}); "
                                 "nothing was changed. Restore it from a backup (pg_dump)",
                                 path=self.location, sqlstate="decode")

    def ensure_writable(self) -> None:
        """Check, cheaply, that the project can be written now: a file's pages pass SQLite's
        quick check, and the write lock can be taken and a write begun (then rolled back).

        Raises :class:`StoreReadOnlyError`, :class:`StoreBusyError` (after the retries of
        :meth:`_write`) or :class:`StoreCorruptError` (:class:`StoreConnectionError` for a
        server that cannot be reached); nothing is changed.
        """
        if self.path is not None:
            with self._read() as conn:
                problems = sqlite.quick_check(conn)
            if problems:
                found = " ".join(" ".join(map(str, problems)).split())[:300]
                raise StoreCorruptError(
                    f"the project file is damaged ({found}); nothing was "
                    "changed. Restore it from a backup, or rescue what SQLite can still read "
                    f"with `sqlite3 '{self.path}' .recover | sqlite3 rescued.uqp`",
                    path=self.path, sqlite_error="quick_check")
        with contextlib.suppress(_Probe), self._write() as conn:
            self._put_meta(conn, "write_probe", now())  # a real write, rolled back
            raise _Probe

    def dump(self) -> str:
        """A text dump of the whole database (for comparing states in tests): SQLite's
        ``iterdump`` of a file; every table's columns, indexes and rows ordered by primary
        key for a server."""
        if self.path is None:
            with self._read() as conn:
                return postgres.dump(conn)
        with self._errors(writing=False):
            return sqlite.dump(self.engine)

    def revision(self) -> str | None:
        """The project's Alembic revision (:data:`HEAD_REVISION` once opened)."""
        with self._read() as conn:
            return conn.execute(sa.select(migrate.version_table.c.version_num)).scalar()

    def counts(self) -> dict[str, int]:
        """Numbers of documents and (live) codings."""
        with self._read() as conn:
            return {
                "documents": int(conn.execute(sa.select(sa.func.count()).select_from(
                    documents)).scalar() or 0),
                "codings": int(conn.execute(sa.select(sa.func.count()).select_from(
                    codings).where(live())).scalar() or 0)}

    @staticmethod
    def _counter(conn: Connection, table: str, column: str) -> int:
        """The last id given in ``table`` (its counter, never less than its largest id)."""
        if conn.dialect.name == "postgresql":
            return postgres.counter(conn, table, column)
        top = conn.execute(sa.text(f'SELECT max("{column}") FROM "{table}"')).scalar() or 0
        seq = conn.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"),
                           {"t": table}).scalar() or 0
        return max(int(top), int(seq))

    # ------------------------------------------------------------------ settings
    def get_meta(self, key: str) -> str | None:
        """A project setting, or None."""
        with self._read() as conn:
            value = conn.execute(sa.select(meta_table.c.value).where(
                meta_table.c.key == key)).scalar_one_or_none()
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str, *, by: str | None = None) -> None:
        """Store a project setting (a history row ``set_meta`` when it changes)."""
        with self._write() as conn:
            old = self._get_meta(conn, key)
            if old != value:
                self._put_meta(conn, key, value)
                audit.log(conn, "set_meta", "setting", key, coder=by, old=old, new=value)

    def model(self) -> bytes | None:
        """The saved learned coder's bytes (``meta`` key ``model``, base64 text), or None."""
        value = self.get_meta("model")
        with self._errors(writing=False), decoding("the saved model"):
            return None if value is None else base64.b64decode(value, validate=True)

    def set_model(self, data: bytes | None) -> None:
        """Save a learned coder's bytes in ``meta`` (``None`` removes it)."""
        text = None if data is None else base64.b64encode(data).decode("ascii")
        with self._write() as conn:
            self._put_meta(conn, "model", text)
            audit.log(conn, "set_model", "setting", "model", coder=None,
                      new=None if data is None else {"bytes": len(data)})

    @staticmethod
    def _put_meta(conn: Connection, key: str, value: str | None) -> None:
        """Set a setting (``None`` removes it)."""
        conn.execute(sa.delete(meta_table).where(meta_table.c.key == key))
        if value is not None:
            conn.execute(meta_table.insert().values(key=key, value=value))

    @staticmethod
    def _get_meta(conn: Connection, key: str) -> str | None:
        return conn.execute(sa.select(meta_table.c.value).where(
            meta_table.c.key == key)).scalar_one_or_none()

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
            if items:
                audit.log(conn, "add_documents", "project", "", coder=None,
                          new={"doc_ids": [doc.doc_id for doc, _ in items]},
                          details={"documents": len(items)})
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
        with self._errors(writing=False), decoding("a document's metadata"):
            titles = [json.loads(m).get("title") or d
                      for m, d in zip(frame["meta"], frame["doc_id"], strict=True)]
            frame.insert(frame.columns.get_loc("date") + 1, "title", titles)
            return expand_attributes(frame.drop(columns="meta"))

    def update_documents(self, changes: Mapping[str, Mapping[str, Any]], *,
                         by: str | None = None) -> None:
        """Apply ``{doc_id: {name: value}}`` in one transaction (already validated): document
        fields (group, village, ...) replace their column, ``title`` the title, any other name
        an attribute (``None`` removes it). Each document whose values change gets a history
        row ``set_attributes`` (old -> new of the names that changed; coder ``by``)."""
        with self._write() as conn:
            for doc_id, values in changes.items():
                row = conn.execute(sa.select(documents).where(
                    documents.c.doc_id == doc_id)).one()
                with decoding(f"document {doc_id!r}"):
                    meta, attrs = dict(json.loads(row.meta)), dict(json.loads(row.attributes))
                before = {**attrs, "title": meta.get("title"),
                          **{k: row._mapping[k] for k in DOCUMENT_FIELDS}}
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
                changed = [k for k, v in values.items() if before.get(k) != v]
                if changed:
                    audit.log(conn, "set_attributes", "document", doc_id, coder=by,
                              old={k: before.get(k) for k in changed},
                              new={k: values[k] for k in changed})

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
        for clause in (in_(s.c.kind, kind), in_(s.c.doc_id, doc_id)):
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

    def replace_codebook(self, codebook: Codebook, *,
                         by: str | None = None) -> dict[str, list[str]]:
        """Replace the stored codebook (see :meth:`Project.update_codebook`); a change writes
        one history row ``update_codebook`` (coder ``by``) with the diff.

        Removed codings (:meth:`remove_coding`) of a code the new codebook drops are deleted
        for good with their memos (their history rows keep what they were): a removed coding
        never keeps a code alive, and its ``uncode`` can no longer be undone."""
        new = {c.code_id for c in codebook}
        with self._write() as conn:
            old = {r.code_id: r for r in conn.execute(sa.select(codes))}
            old_meta = {k: self._get_meta(conn, k) for k in CODEBOOK_META}
            gone = [c for c in old if c not in new]
            c = codings.c
            used = conn.execute(sa.select(c.code_id, sa.func.count()).where(
                c.code_id.in_(gone), c.origin.in_(HUMAN_ORIGINS), live()).group_by(c.code_id)
            ).all()
            if used:
                listing = ", ".join(f"{code} ({n} manual codings)" for code, n in used)
                raise StoreError(f"the new codebook removes code(s) that still have manual "
                                 f"codings: {listing}; recode or uncode them first, or keep the "
                                 "code", path=codebook.path, codes=[u[0] for u in used])
            purged = 0
            if gone:  # automatic codings of removed codes go with them (re-run autocode)
                purged = self._purge_removed(conn, gone)
                conn.execute(codings.delete().where(c.code_id.in_(gone), c.origin == "auto"))
                conn.execute(codes.delete().where(codes.c.code_id.in_(gone)))
            report = self._write_codes(conn, codebook, old)
            new_meta = codebook_meta(codebook)
            for key, value in new_meta.items():
                self._put_meta(conn, key, value)
            diff = _codebook_diff(codebook, old, report, gone)
            meta_changed = sorted(k for k in CODEBOOK_META if old_meta[k] != new_meta[k])
            if diff["added"] or diff["removed"] or diff["changed"] or meta_changed:
                audit.log(conn, "update_codebook", "codebook", codebook.name, coder=by,
                          old={"version": old_meta["codebook_version"], "codes": len(old)},
                          new={"version": codebook.version, "codes": len(codebook)},
                          details={**diff, "settings": meta_changed,
                                   "removed_codings_purged": purged})
        return {**report, "removed": gone}

    @staticmethod
    def _purge_removed(conn: Connection, gone: list[str]) -> int:
        """Delete removed codings of the codes ``gone`` and their memos; how many."""
        c = codings.c
        ids = [str(i) for i in conn.execute(sa.select(c.coding_id).where(
            c.code_id.in_(gone), ~live())).scalars()]
        if ids:
            conn.execute(memos.delete().where(memos.c.target_type == "coding",
                                              memos.c.target_id.in_(ids)))
            conn.execute(codings.delete().where(c.code_id.in_(gone), ~live()))
        return len(ids)

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
    def add_coder(self, name: str, *, role: str = "coder", kind: str = "human",
                  by: str | None = None) -> None:
        """Register a coder with a role (one of :data:`CODER_ROLES`); a name already
        registered is an error (change a role with :meth:`set_role`)."""
        with self._write() as conn:
            if conn.execute(sa.select(coders.c.kind).where(coders.c.coder == name)).first():
                raise StoreError(f"coder {name!r} is already registered; change a role with "
                                 "project.set_role()", coder=name)
            self._check_admin(conn, by, f"register coder {name!r} as {role}")
            conn.execute(coders.insert().values(coder=name, kind=kind, role=role, added=now()))
            audit.log(conn, "add_coder", "coder", name, coder=by,
                      new={"kind": kind, "role": role})

    def set_role(self, name: str, role: str, *, by: str | None = None) -> str:
        """Give a registered coder a role; returns the old one. Once the project has an admin,
        only an admin (``by``) may change roles."""
        with self._write() as conn:
            old = conn.execute(sa.select(coders.c.role).where(
                coders.c.coder == name)).scalar_one_or_none()
            if old is None:
                raise StoreError(f"no coder {name!r}; register one with project.add_coder()",
                                 coder=name)
            self._check_admin(conn, by, f"give {name!r} the role {role}")
            if old != role:
                conn.execute(coders.update().where(coders.c.coder == name).values(role=role))
                audit.log(conn, "set_role", "coder", name, coder=by, old={"role": old},
                          new={"role": role})
        return str(old)

    @staticmethod
    def _check_admin(conn: Connection, by: str | None, what: str) -> None:
        """Once a project has an admin, only an admin may register coders or change roles."""
        admins = set(conn.execute(sa.select(coders.c.coder).where(
            coders.c.role == "admin")).scalars())
        if admins and by not in admins:
            who = "no coder (by=None)" if by is None else f"{by!r}, who is not an admin"
            raise StoreError(f"only an admin ({', '.join(sorted(admins))}) may {what}; asked by "
                             f"{who}: pass by=ADMIN", coder=by)

    def coders(self) -> pd.DataFrame:
        """Coders by name: ``coder, kind`` (human or auto), ``role`` (one of
        :data:`CODER_ROLES`)."""
        q = sa.select(coders.c.coder, coders.c.kind, coders.c.role).order_by(coders.c.coder)
        with self._read() as conn:
            return pd.DataFrame(conn.execute(q).all(), columns=["coder", "kind", "role"])

    @staticmethod
    def _ensure_coder(conn: Connection, coder: str, kind: str) -> None:
        """Register ``coder`` as a ``kind`` coder unless it is one already, atomically
        (insert-or-ignore, then read back): a coder of the other kind is an error."""
        check_coder(coder)
        known = sa.select(coders.c.kind).where(coders.c.coder == coder)
        if conn.execute(known).first() is None:  # the write lock is held: no one else adds
            conn.execute(_insert_or_ignore(conn, coders, ["coder"]).values(
                coder=coder, kind=kind, added=now()))
            audit.log(conn, "add_coder", "coder", coder, coder=coder,
                      new={"kind": kind, "role": "coder"}, details={"via": "first coding"})
        have = conn.execute(known).scalar_one()
        if have != kind:
            raise StoreError(f"coder {coder!r} is a {have} coder; use another name for {kind} "
                             "coding", coder=coder)

    # ------------------------------------------------------------------ codings
    def add_codings(self, items: Sequence[Coding], *,
                    read: Iterable[tuple[str, int, int, str]] = (),
                    via: str = "code", source: str | None = None) -> list[int]:
        """Insert codings (already validated) and passages read, in one transaction.

        A coding identical to a live stored one (same document, span, code and coder) is not
        inserted again; its existing id is returned. ``read`` holds ``(doc_id, start, end,
        coder)`` passages a coder read (coded or not). Each new coding and each passage newly
        read writes a history row (``code``, ``read``; ``details``: ``via`` and ``source``,
        e.g. ``import`` and the file).
        """
        how = {"via": via, **({"source": source} if source else {})}
        with self._write() as conn:
            texts = self._texts(conn, {c.doc_id for c in items})
            version = self._codebook_version(conn)
            ids = [self._insert(conn, c, texts[c.doc_id], version, how) for c in items]
            self._add_readings(conn, read, how)
        return ids

    @staticmethod
    def _texts(conn: Connection, doc_ids: set[str]) -> dict[str, str]:
        q = sa.select(documents.c.doc_id, documents.c.text).where(
            documents.c.doc_id.in_(sorted(doc_ids)))
        return {r.doc_id: r.text for r in conn.execute(q)}

    def _insert(self, conn: Connection, c: Coding, doc_text: str, version: str | None,
                how: Mapping[str, Any] | None = None) -> int:
        key = (codings.c.doc_id == c.doc_id, codings.c.start == c.start,
               codings.c.end == c.end, codings.c.code_id == c.code_id,
               codings.c.coder == c.coder, live())
        found = conn.execute(sa.select(codings.c.coding_id).where(*key)).scalar_one_or_none()
        if found is not None:
            return int(found)
        self._ensure_coder(conn, c.coder, "human" if c.origin in HUMAN_ORIGINS else "auto")
        stamp = now()
        result = conn.execute(codings.insert().values(
            doc_id=c.doc_id, start=c.start, end=c.end, code_id=c.code_id, coder=c.coder,
            origin=c.origin, valence=c.valence, confidence=c.confidence, memo=c.memo,
            text=doc_text[c.start:c.end], created=stamp, updated=stamp, codebook_version=version))
        new_id = _new_id(result)
        if how is not None:
            state = {"doc_id": c.doc_id, "start": c.start, "end": c.end, "code_id": c.code_id,
                     "coder": c.coder, "origin": c.origin, "valence": c.valence, "memo": c.memo,
                     "codebook_version": version}
            audit.log(conn, "code", "coding", new_id, coder=c.coder, new=state, details=how)
        return new_id

    def _add_readings(self, conn: Connection, read: Iterable[tuple[str, int, int, str]],
                      how: Mapping[str, Any] | None = None) -> None:
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
        for d, s, e, coder in fresh if how is not None else ():
            audit.log(conn, "read", "reading", audit.reading_key(d, s, e), coder=coder,
                      new={"doc_id": d, "start": s, "end": e}, details=how)

    def replace_auto(self, coder: str, rows: Sequence[Mapping[str, Any]], *,
                     settings: Mapping[str, str] | None = None,
                     model: bytes | None = None,
                     details: Mapping[str, Any] | None = None) -> dict[str, int]:
        """Replace ``coder``'s automatic codings by ``rows`` in one transaction; a row identical
        to a manual coding (document, span and code) is skipped. ``settings`` (project
        settings) and ``model`` (a learned coder's bytes, see :meth:`set_model`) are saved in
        the same transaction: an interrupted run leaves all of it as it was.

        The run writes one history row ``autocode`` (coder ``coder``; ``old``/``new``: the
        numbers of live automatic codings before and after; ``details``: the run's
        ``details``, its counts and the codebook version). The earlier automatic codings are
        deleted, not marked removed: a run regenerates them, and cannot be undone."""
        c = codings
        with self._write() as conn:
            self._ensure_coder(conn, coder, "auto")
            for key, value in (settings or {}).items():
                self._put_meta(conn, key, value)
            if model is not None:
                self._put_meta(conn, "model", base64.b64encode(model).decode("ascii"))
            before = conn.execute(c.delete().where(c.c.coder == coder, c.c.origin == "auto",
                                                   live())).rowcount
            manual = {tuple(r) for r in conn.execute(sa.select(
                c.c.doc_id, c.c.start, c.c.end, c.c.code_id).where(
                    c.c.origin.in_(HUMAN_ORIGINS), live()))}
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
            counts = {"documents": len({r["doc_id"] for r in rows}), "codings": len(keep),
                      "skipped_manual": len(rows) - len(keep)}
            audit.log(conn, "autocode", "coder", coder, coder=coder, old={"codings": before},
                      new={"codings": len(keep)},
                      details={**(details or {}), "counts": counts, "codebook_version": version,
                               "settings": sorted(settings or {}),
                               "model_saved": model is not None})
        return counts

    def codings_frame(self, *, coder: str | Sequence[str] | None = None,
                      origin: str | Sequence[str] | None = None,
                      group: str | Sequence[str] | None = None,
                      code: str | Sequence[str] | None = None,
                      doc_id: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Codings with their document's metadata (:data:`CODING_ROW_COLUMNS`, then one column
        per document attribute), filtered, in reading order."""
        c, d = codings, documents
        q = sa.select(c.c.coding_id, c.c.doc_id, d.c.group, d.c.village, d.c.source_type,
                      d.c.informant_role, d.c.informant, c.c.start, c.c.end, c.c.code_id,
                      c.c.valence, c.c.coder, c.c.origin, c.c.confidence, c.c.text,
                      c.c.codebook_version, d.c.attributes).join(d).where(live())
        for clause in (in_(c.c.coder, coder), in_(c.c.origin, origin), in_(d.c.group, group),
                       in_(c.c.code_id, code), in_(c.c.doc_id, doc_id)):
            if clause is not None:
                q = q.where(clause)
        q = q.order_by(d.c.position, c.c.start, c.c.end, c.c.code_id, c.c.coder)
        with self._read() as conn:
            frame = pd.DataFrame(conn.execute(q).mappings().all(),
                                 columns=[*CODING_ROW_COLUMNS, "attributes"])
            return expand_attributes(frame)

    def coding_keys(self) -> dict[tuple[str, int, int, str, str], tuple[str | None, str | None]]:
        """``{(doc_id, start, end, code_id, coder): (valence, memo)}`` of every coding."""
        c = codings.c
        with self._read() as conn:
            return {(r.doc_id, r.start, r.end, r.code_id, r.coder): (r.valence, r.memo)
                    for r in conn.execute(sa.select(c.doc_id, c.start, c.end, c.code_id,
                                                    c.coder, c.valence, c.memo).where(live()))}

    def coding_memos(self, doc_id: str | None = None) -> dict[int, str]:
        """``{coding_id: memo}`` of live codings (of ``doc_id``) with a memo."""
        c = codings.c
        q = sa.select(c.coding_id, c.memo).where(live(), c.memo.is_not(None))
        if doc_id is not None:
            q = q.where(c.doc_id == doc_id)
        with self._read() as conn:
            return {int(r.coding_id): r.memo for r in conn.execute(q)}

    def has_coding(self, coding_id: int) -> bool:
        """Whether a coding with this id exists."""
        with self._read() as conn:
            return conn.execute(sa.select(codings.c.coding_id).where(
                codings.c.coding_id == coding_id, live())).first() is not None

    def remove_coding(self, coding_id: int, *, by: str | None = None) -> None:
        """Mark one live coding removed by ``by`` (default: its own coder), in one transaction
        with its history row ``uncode`` (an error if there is no such live coding). A removed
        coding (and its memos) is kept for the history and ignored by every read."""
        with self._write() as conn:
            row = self._live_coding(conn, coding_id)
            who = row.coder if by is None else by
            if by is not None and by != row.coder:
                self._ensure_coder(conn, by, "human")
            conn.execute(codings.update().where(codings.c.coding_id == coding_id).values(
                removed=now(), removed_by=who))
            audit.log(conn, "uncode", "coding", coding_id, coder=who,
                      old=audit.coding_state(row))

    @staticmethod
    def _live_coding(conn: Connection, coding_id: int) -> Any:
        row = conn.execute(sa.select(codings).where(codings.c.coding_id == coding_id,
                                                    live())).one_or_none()
        if row is None:
            raise StoreError(f"no coding with id {coding_id}; see project.codings()",
                             coding_id=coding_id)
        return row

    def recode(self, coding_id: int, changes: Mapping[str, Any], *,
               by: str | None = None) -> dict[str, Any]:
        """Change a live human coding's ``code_id``, ``valence`` and/or ``memo`` (already
        validated) in one transaction with its history row ``recode`` (coder ``by``, default
        the coding's coder; ``old``/``new``: the fields that changed). A new code also sets
        the coding's ``codebook_version`` to the project's. Returns the fields changed (old
        values); nothing changes when every value is the same."""
        with self._write() as conn:
            row = self._live_coding(conn, coding_id)
            if row.origin not in HUMAN_ORIGINS:
                raise StoreError(f"coding {coding_id} is an automatic coding, which auto-coding "
                                 "replaces; review it (project.review) to correct it",
                                 coding_id=coding_id)
            new = {k: v for k, v in changes.items() if getattr(row, k) != v}
            if "code_id" in new:
                new["codebook_version"] = self._codebook_version(conn)
                clash = audit._clash(conn, row, new["code_id"])
                if clash:
                    raise StoreError(f"cannot recode coding {coding_id}: {clash}",
                                     coding_id=coding_id)
            old = {k: getattr(row, k) for k in new}
            who = row.coder if by is None else by
            if new:
                if who != row.coder:
                    self._ensure_coder(conn, who, "human")
                conn.execute(codings.update().where(codings.c.coding_id == coding_id).values(
                    **new, updated=now()))
                audit.log(conn, "recode", "coding", coding_id, coder=who, old=old, new=new)
        return old

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
            c.c.coder == coder, c.c.origin == "auto", live(c),
            ~sa.exists().where(reviews.c.suggestion_id == c.c.coding_id),
            ~sa.exists().where(h.c.origin.in_(HUMAN_ORIGINS), live(h), overlaps(h)),
            ~sa.exists().where(overlaps(r)))
        for clause in (in_(c.c.code_id, code), in_(c.c.doc_id, doc_id)):
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
                c.origin == "auto", live(),
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
        with decoding("the suggestions drawn"):
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
            audit.log(conn, "review", "suggestion", suggestion_id, coder=coder,
                      old={"code_id": s.code_id, "valence": s.valence, "coder": s.coder},
                      new={"decision": "accepted" if accept else "rejected",
                           "code_id": final_code, "valence": final_valence,
                           "coding_id": new_id})
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
                           .where(c.coding_id == suggestion_id, c.origin == "auto", live())
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
                    codings.c.coding_id == int(target), live())).first() is None:
                raise StoreError(f"no coding with id {target}", coding_id=target)
            result = conn.execute(memos.insert().values(
                target_type=on, target_id=str(target), author=author, text=text, created=now()))
            memo_id = _new_id(result)
            audit.log(conn, "memo", "memo", memo_id, coder=author,
                      new={"on": on, "target": str(target), "text": text})
        return memo_id

    def edit_memo(self, memo_id: int, text: str, *, by: str | None = None) -> str:
        """Replace a memo's text (a history row ``edit_memo``, coder ``by``, default the
        memo's author); returns the old text."""
        with self._write() as conn:
            row = conn.execute(sa.select(memos).where(memos.c.memo_id == memo_id)).one_or_none()
            if row is None or memo_id in self._hidden_memos(conn):
                raise StoreError(f"no memo with id {memo_id}; see project.memos()",
                                 memo_id=memo_id)
            if row.text != text:
                conn.execute(memos.update().where(memos.c.memo_id == memo_id).values(text=text))
                audit.log(conn, "edit_memo", "memo", memo_id,
                          coder=row.author if by is None else by,
                          old={"text": row.text}, new={"text": text})
        return str(row.text)

    @staticmethod
    def _hidden_memos(conn: Connection) -> set[int]:
        """Ids of the memos on removed codings (kept with them, shown nowhere)."""
        removed = {str(i) for i in conn.execute(sa.select(codings.c.coding_id).where(
            ~live())).scalars()}
        return {int(r.memo_id) for r in conn.execute(sa.select(
            memos.c.memo_id, memos.c.target_id).where(memos.c.target_type == "coding"))
            if r.target_id in removed}

    def memos_frame(self) -> pd.DataFrame:
        """All memos (target type and id, author, text, time), but those on removed
        codings."""
        with self._read() as conn:
            frame = pd.DataFrame(conn.execute(sa.select(memos).order_by(memos.c.memo_id))
                                 .mappings().all(), columns=[c.name for c in memos.c])
            hidden = self._hidden_memos(conn)
        return frame[~frame["memo_id"].isin(hidden)].reset_index(drop=True)

    # ------------------------------------------------------------------ history
    def history_frame(self, *, limit: int | None = None, **filters: Any) -> pd.DataFrame:
        """History rows matching ``filters`` (see :func:`audit.query`), oldest first; the
        ``limit`` newest when given. JSON columns are left as text."""
        q = audit.query(**filters)
        if limit is not None:
            q = q.order_by(None).order_by(history.c.history_id.desc()).limit(limit)
        with self._read() as conn:
            frame = pd.DataFrame(conn.execute(q).all(), columns=list(HISTORY_COLUMNS))
        return frame.sort_values("history_id", kind="stable").reset_index(drop=True)

    def undo(self, coder: str) -> dict[str, Any]:
        """Revert ``coder``'s newest change that can be undone now, in one transaction with
        its own history row ``undo`` (target: the history row undone).

        Changes already undone, and ``undo`` rows, are passed over; so are changes of a kind
        that cannot be undone (:data:`audit.NOT_UNDOABLE`) and changes whose target has been
        changed since by a change not undone (or is gone): they are listed in ``skipped``.
        Nothing of another coder is touched. :class:`StoreError` when nothing can be undone.
        """
        h = history.c
        skipped: list[str] = []
        with self._write() as conn:
            undone = audit.undone_ids(conn)
            rows = conn.execute(sa.select(history).where(h.coder == coder, h.action != "undo")
                                .order_by(h.history_id.desc())).all()
            for row in rows:
                if row.history_id in undone:
                    continue
                reason = audit.undo_blocker(conn, row, undone)
                if reason is None:
                    audit.revert(conn, row, coder)
                    what = {"undone": int(row.history_id), "action": row.action,
                            "target_type": row.target_type, "target_id": row.target_id}
                    new_id = audit.log(conn, "undo", "history", row.history_id, coder=coder,
                                       old=_json(row.new), new=_json(row.old),
                                       details={**what, "skipped": skipped})
                    return {"history_id": new_id, **what, "skipped": skipped}
                skipped.append(f"#{row.history_id} {row.action} {row.target_type} "
                               f"{row.target_id}: {reason}")
        listing = "; ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        raise StoreError(f"coder {coder!r} has no change that can be undone"
                         + (f" (passed over: {listing})" if skipped else ""), coder=coder,
                         skipped=skipped)

    # ------------------------------------------------------------------ checks
    def check_integrity(self) -> list[str]:
        """Problems found: codings (removed ones too: the history shows them) whose stored
        text is not ``document.text[start:end]``."""
        q = sa.select(codings.c.coding_id, codings.c.start, codings.c.end, codings.c.text,
                      documents.c.text.label("doc_text")).join(documents)
        with self._read() as conn:
            return [f"coding {row.coding_id}: stored text does not match offsets "
                    f"[{row.start}, {row.end})" for row in conn.execute(q)
                    if row.doc_text[row.start:row.end] != row.text]


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _codebook_diff(codebook: Codebook, old: Mapping[str, Any], report: Mapping[str, list[str]],
                   gone: list[str]) -> dict[str, Any]:
    """Codes added, removed and changed (``{code_id: [fields]}``: columns, or keys of the
    code's definition) between the stored codes ``old`` and ``codebook``."""
    changed: dict[str, list[str]] = {}
    for position, code in enumerate(codebook):
        if code.code_id not in report["updated"]:
            continue
        row, before = code_row(code, position), old[code.code_id]
        fields = [k for k in row if k != "spec" and getattr(before, k) != row[k]]
        with decoding(f"code {code.code_id!r}"):
            a, b = json.loads(before.spec), json.loads(row["spec"])
        fields += sorted(k for k in set(a) | set(b)
                         if a.get(k) != b.get(k) and k not in fields)
        changed[code.code_id] = fields
    return {"added": list(report["added"]), "removed": list(gone), "changed": changed}


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _insert_or_ignore(conn: Connection, table: sa.Table, key: list[str]) -> Any:
    """``INSERT ... ON CONFLICT (key) DO NOTHING`` in the connection's dialect."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=key)


def _set_counter(conn: Connection, table: str, column: str, value: int) -> None:
    """Make ``table``'s id counter give ids above ``value`` (a copied project keeps never
    reusing ids: reviews name automatic codings by id)."""
    if conn.dialect.name == "postgresql":
        postgres.set_counter(conn, table, column, value)
        return
    if not any(t.name == table and t.dialect_kwargs.get("sqlite_autoincrement")
               for t in metadata.sorted_tables):
        return  # SQLite gives max(id) + 1
    conn.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
    conn.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :v)"),
                 {"t": table, "v": value})
