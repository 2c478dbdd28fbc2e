"""The SQLite engine: one project file (WAL, foreign keys on), its errors, and its old schemas.

Everything here is about a file: the modes it is opened in (:func:`open_mode`), what an SQLite
error on it means (:func:`store_error`), whether a file is a project (:func:`file_state`,
:func:`is_project`, :func:`check_replaceable`), a text dump (:func:`dump`), SQLite's page
check (:func:`quick_check`) and the upgrade of files older than schema 4
(:func:`upgrade_legacy`, run before Alembic takes over).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ..errors import (
    SchemaVersionError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreReadOnlyError,
)
from . import schema4
from .tables import APP, REVISION_SCHEMA, SCHEMA_VERSION

__all__ = ["check_replaceable", "check_version", "file_state", "is_project", "open_mode",
           "store_error"]

#: SQLite's busy timeout (seconds) when the caller gives none.
DEFAULT_BUSY_TIMEOUT = 5.0

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
    at once (``BEGIN IMMEDIATE``, waiting up to the busy timeout), so two writers never
    interleave and a busy lock is met before any work, where retrying is safe."""
    options = conn.get_execution_options()
    timeout = float(options.get("uppks_busy_timeout", DEFAULT_BUSY_TIMEOUT))
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("uppks_write", False) else "BEGIN")


def engine(path: Path, mode: str = "write", *,
           busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """An engine on the project file ``path`` opened in ``mode`` (see :func:`open_mode`).

    Every transaction is begun explicitly (``BEGIN``; ``BEGIN IMMEDIATE`` on a connection with
    the execution option ``uppks_write=True``), waiting ``uppks_busy_timeout`` seconds (an
    execution option, else :data:`DEFAULT_BUSY_TIMEOUT`) for another process's write lock;
    ``busy_timeout`` is the wait when connecting.
    """
    uri = _uri(path, mode)

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=busy_timeout, check_same_thread=False)

    eng = sa.create_engine(f"sqlite:///{path}", creator=connect)
    event.listen(eng, "connect", _on_connect)
    event.listen(eng, "begin", _on_begin)
    return eng


def files(path: Path) -> list[Path]:
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
                read_only: str | None = None,
                busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> StoreError:
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
        return busy_error(path, busy_timeout, 1, detail, name)
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


def is_busy(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None) or exc
    return str(getattr(orig, "sqlite_errorname", "")).startswith(("SQLITE_BUSY",
                                                                  "SQLITE_LOCKED"))




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


def check_version(path: str | Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> int:
    """The schema version of a project file; :class:`SchemaVersionError` unless this library
    can read it (:class:`StoreCorruptError` for a damaged one). The file is opened
    read-only, so checking someone else's SQLite file never changes it."""
    return file_state(path, busy_timeout=busy_timeout)[0]


def file_state(path: str | Path, *,
               busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> tuple[int, str | None]:
    """``(schema version, Alembic revision or None)`` of a project file, read-only; the
    errors of :func:`check_version`."""
    path = Path(path)
    mode, read_only = open_mode(path)
    try:
        conn = sqlite3.connect(_uri(path, "immutable" if mode == "immutable" else "read"),
                               uri=True, timeout=busy_timeout)
        try:
            rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            revision = None
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                            "AND name = 'alembic_version'").fetchone():
                found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
                revision = ",".join(sorted(str(r[0]) for r in found)) or None
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _open_error(exc, path, read_only) from None
    except UnicodeDecodeError as exc:
        raise damaged_error(path, f"its settings (`meta`) are not valid UTF-8: {exc}") from None
    version = check_meta(rows, revision, path)
    return version, (revision if version >= 4 else None)


def check_meta(rows: dict[str, Any], revision: str | None, where: str | Path) -> int:
    """The schema version that a project's settings (``meta``) and Alembic revision say;
    :class:`SchemaVersionError` when it is not a project, or one newer than this library.

    A project whose settings say a version before 4 is upgraded from there, whatever Alembic
    revision it may carry (Alembic came with version 4)."""
    if rows.get("app") != APP:
        raise SchemaVersionError("not a uppks-qual project (no app marker in `meta`); "
                                 "create one with Project.create()", path=where)
    try:
        version = int(rows.get("schema_version", "0"))
    except (TypeError, ValueError):
        raise SchemaVersionError(f"project schema version {rows.get('schema_version')!r} is not "
                                 "a number; the file is damaged", path=where) from None
    if (version >= 4 and revision is not None and revision not in REVISION_SCHEMA) or \
            version > SCHEMA_VERSION:
        shown = version if revision is None or revision in REVISION_SCHEMA else (
            f"{version} (revision {revision})")
        raise SchemaVersionError(
            f"project schema version {shown} is newer than this uppks-qual supports "
            f"({SCHEMA_VERSION}); upgrade uppks-qual (pip install -U uppks-qual)",
            path=where, version=version, revision=revision)
    return version


def damaged_error(path: str | Path, detail: str) -> StoreCorruptError:
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


def upgrade_legacy(conn: Connection, version: int, rebuild: Any = None) -> None:
    """Bring a file of schema 1 to 3 up to schema 4 (:mod:`~uppks_qual.store.schema4`) in
    place, inside the caller's transaction; ``rebuild`` re-creates ``codings`` (default
    :func:`rebuild_codings_v4`)."""
    schema4.metadata.create_all(conn)  # creates only the tables the file lacks
    if version < 2 and not has_column(conn, "documents", "attributes"):
        conn.execute(sa.text("ALTER TABLE documents ADD COLUMN attributes TEXT NOT NULL "
                             "DEFAULT '{}'"))
    if version < 3 and not has_column(conn, "codings", "codebook_version"):
        # codings made before version 3 keep NULL: the codebook version is not known
        conn.execute(sa.text("ALTER TABLE codings ADD COLUMN codebook_version VARCHAR"))
    if version < 4:
        (rebuild or rebuild_codings_v4)(conn)


def rebuild_codings_v4(conn: Connection) -> None:
    """Re-create ``codings`` as version 4 defines it (the origin ``reviewed``, ids never
    reused), keeping every row and id (see :func:`rebuild_table`)."""
    rebuild_table(conn, schema4.codings)


def rebuild_table(conn: Connection, table: sa.Table) -> None:
    """Re-create ``table`` as defined, keeping every row (its columns that ``table`` has; new
    ones take their default). SQLite cannot alter a constraint: the table is copied, inside
    the caller's transaction (no other table refers to it)."""
    old = f"_{table.name}_old"
    conn.execute(sa.text(f'ALTER TABLE "{table.name}" RENAME TO "{old}"'))
    for (name,) in conn.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
            "AND sql IS NOT NULL"), {"t": old}).all():  # named indexes move: free the names
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    have = {row[1] for row in conn.execute(sa.text(f'PRAGMA table_info("{old}")'))}
    table.create(conn)
    columns = ", ".join(f'"{c.name}"' for c in table.c if c.name in have)
    conn.execute(sa.text(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{old}"'))
    conn.execute(sa.text(f'DROP TABLE "{old}"'))


def has_column(conn: Connection, table: str, column: str) -> bool:
    """Whether ``table`` of the SQLite database has ``column``."""
    return any(row[1] == column for row in conn.execute(sa.text(f"PRAGMA table_info({table})")))


def quick_check(conn: Connection) -> list[str]:
    """Problems SQLite's page check finds (``PRAGMA quick_check``), or ``[]``."""
    problems = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check(3)")]
    return [] if problems == ["ok"] else problems


def dump(eng: Engine) -> str:
    """Every schema statement and row of the file (SQLite's ``iterdump``)."""
    raw = eng.raw_connection()
    try:
        return "\n".join(raw.driver_connection.iterdump())  # type: ignore[union-attr]
    finally:
        raw.close()
