"""The PostgreSQL engine: a project in one database of a server that a team shares.

A project is the set of uppks-qual tables in one database (``postgresql+psycopg://user:password
@host/database``; ``postgresql://`` means the same driver). The database must exist (``createdb``
or ``CREATE DATABASE``); uppks-qual never creates or drops a database, replaces a project only
with ``overwrite=True``, and never touches a database that holds other tables.

Writes are serialised per project, as SQLite serialises them per file: every write transaction
first takes a transaction-level advisory lock (:func:`lock`) and then runs at READ COMMITTED, so
each of its statements sees every write committed before the lock was granted. This is the
"explicit locking" choice rather than SERIALIZABLE: a serializable transaction can fail with a
serialisation error at any statement or at commit, after the caller's block has run, where it
cannot be retried without re-running the block; a lock wait fails (``lock_timeout``) before any
work, where :class:`~uppks_qual.store.Store` retries it safely with backoff. Reads run at
REPEATABLE READ: one consistent snapshot per read, never blocked by a writer.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import (
    StoreBusyError,
    StoreConnectionError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreReadOnlyError,
)

__all__ = ["engine", "is_url", "parse_url", "safe_url", "store_error"]

#: The advisory lock key of a project's write lock (one project per database).
LOCK_KEY = 0x75707071  # "upqq"
#: SQLSTATEs of a write that lost a race and may be tried again: serialisation failure,
#: deadlock, lock wait timed out.
RETRYABLE = ("40001", "40P01", "55P03")
DRIVER = "postgresql+psycopg"


def is_url(target: object) -> bool:
    """Whether ``target`` names a database server (a URL with a scheme) rather than a file."""
    if isinstance(target, sa.URL):
        return True
    return isinstance(target, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://", target) is not None


def parse_url(target: str | sa.URL) -> sa.URL:
    """The SQLAlchemy URL of a PostgreSQL project (``postgresql://`` becomes psycopg 3's
    ``postgresql+psycopg://``); :class:`StoreError` for any other scheme."""
    try:
        url = sa.make_url(target)
    except sa.exc.ArgumentError:
        raise StoreError(f"{_hide(str(target))!r} is not a database URL; give a project file "
                         "path or postgresql+psycopg://user:password@host/database") from None
    if url.drivername in ("postgresql", DRIVER):
        url = url.set(drivername=DRIVER)
    else:
        hint = ("give the project file's path instead of an sqlite:// URL"
                if url.drivername.startswith("sqlite") else
                "uppks-qual works with a project file (SQLite) or PostgreSQL through psycopg 3")
        raise StoreError(f"unsupported database URL scheme {url.drivername!r}: {hint} "
                         "(postgresql+psycopg://user:password@host/database)",
                         path=safe_url(url))
    if not url.database:
        raise StoreError("the URL names no database; add it after the host "
                         "(postgresql+psycopg://user:password@host/database)", path=safe_url(url))
    return url


def safe_url(url: sa.URL) -> str:
    """The URL as text with its password hidden (``***``), for messages (unquoted, so a socket
    folder reads ``host=/run/postgresql``)."""
    return urllib.parse.unquote(url.render_as_string(hide_password=True))


def _hide(text: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)


def engine(url: sa.URL) -> Engine:
    """An engine on the project database ``url`` (reads at REPEATABLE READ)."""
    try:
        return sa.create_engine(url, isolation_level="REPEATABLE READ", pool_size=2,
                                connect_args={"connect_timeout": 10,
                                              "application_name": "uppks-qual"})
    except ImportError:
        raise StoreError("PostgreSQL projects need the psycopg driver: pip install "
                         "'uppks-qual[postgresql]' (or 'psycopg[binary]')",
                         path=safe_url(url)) from None


def lock(conn: Connection, timeout: float) -> None:
    """Take the project's write lock in the current transaction, waiting at most ``timeout``
    seconds (then SQLSTATE 55P03, which :func:`is_busy` recognises); the lock is released by
    the commit or rollback."""
    conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, int(timeout * 1000))}")
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a driver error (``""`` when there is none)."""
    orig = getattr(exc, "orig", None) or exc
    return str(getattr(orig, "sqlstate", None) or "")


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is a lost race worth trying again (:data:`RETRYABLE`)."""
    return sqlstate(exc) in RETRYABLE


def busy_error(where: str, waited: float, attempts: int, detail: str,
               state: str = "55P03") -> StoreBusyError:
    """:class:`StoreBusyError`: another coder's write held the project's lock too long."""
    tries = f", {attempts} attempts" if attempts > 1 else ""
    return StoreBusyError(
        f"another coder or process is writing to the project and held its lock for "
        f"{waited:.1f} s ({detail}{tries}); nothing was changed. Wait until it has finished "
        "(an auto-coding run, an import) and try again", path=where, sqlstate=state,
        waited=waited, attempts=attempts)


_CONNECT = (
    (r'database "[^"]*" does not exist',
     "the database does not exist on the server; create it first (createdb NAME, or CREATE "
     "DATABASE NAME as a user allowed to), then create the project in it"),
    (r"password authentication failed|no password supplied|role \"[^\"]*\" does not exist|"
     r"authentication failed|pg_hba\.conf",
     "the server refused the user name or password; check them in the URL (or in ~/.pgpass) "
     "and that the server admits this user to this database (pg_hba.conf)"),
    (r"Connection refused|No such file or directory|Is the server running|timeout expired|"
     r"failed to resolve host|could not translate host name|Name or service not known|"
     r"server closed the connection|connection is bad|terminating connection",
     "cannot reach the database server; check the host and port in the URL, that the server "
     "is running and that the network (VPN, firewall) lets you reach it"),
)


def store_error(exc: BaseException, where: str, *, writing: bool) -> StoreError:
    """The :class:`StoreError` subclass that says, in plain words, what a PostgreSQL error
    met on the project ``where`` (its URL, password hidden) means and what to do.

    ``sqlstate`` (the SQLSTATE code, ``""`` for a connection failure) is kept on the error.
    """
    orig = getattr(exc, "orig", None) or exc
    state = sqlstate(exc)
    detail = " ".join(_hide(str(orig)).split()) or type(orig).__name__
    data: dict[str, Any] = {"path": where, "sqlstate": state}
    act = "written" if writing else "read"
    if not state:
        for pattern, what in _CONNECT:
            if re.search(pattern, detail):
                return StoreConnectionError(f"{what} ({detail}); nothing was changed", **data)
    if state in RETRYABLE:
        return busy_error(where, 0.0, 1, detail, state)
    if state.startswith("08") or state in ("57P01", "57P02", "57P03"):
        return StoreConnectionError(f"the connection to the database server was lost "
                                    f"({detail}); nothing was changed. Try again when the "
                                    "server is back", **data)
    if state in ("42501", "25006"):
        return StoreReadOnlyError(f"the database user may not change this project ({detail}); "
                                  "nothing was changed. Ask the server's administrator for "
                                  "write access (GRANT), or work on a copy", **data)
    if state in ("53100", "53200", "54000"):
        return StoreFullError(f"the database server is out of disk space or memory "
                              f"({detail}); the write was rolled back and nothing was "
                              "changed. Ask the server's administrator", **data)
    if state in ("XX001", "XX002"):
        return StoreCorruptError(f"the database is damaged ({detail}); nothing was changed. "
                                 "Restore it from a backup (pg_dump)", **data)
    if state.startswith("23"):
        return StoreError(f"the write breaks a rule of the project ({detail}); nothing was "
                          "changed. This is a bug of uppks-qual: please report it", **data)
    return StoreError(f"the project cannot be {act} ({detail}); nothing was changed", **data)


# --------------------------------------------------------------------------- inspection
def tables(conn: Connection) -> set[str]:
    """Names of the tables (and views) in the database's current schema."""
    return set(sa.inspect(conn).get_table_names()) | set(sa.inspect(conn).get_view_names())


def state(conn: Connection) -> tuple[dict[str, Any] | None, str | None]:
    """``(meta rows, Alembic revision)`` of the database: None for what is missing."""
    have = tables(conn)
    rows: dict[str, Any] | None = (dict(conn.execute(sa.text("SELECT key, value FROM meta")).all())
            if "meta" in have else None)
    revision = None
    if "alembic_version" in have:
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        revision = ",".join(sorted(map(str, found))) or None
    return rows, revision


# --------------------------------------------------------------------------- counters
def counter(conn: Connection, table: str, column: str) -> int:
    """The last id the table's counter (its sequence) gave, or its largest id."""
    seq = conn.execute(sa.select(sa.func.pg_get_serial_sequence(table, column))).scalar()
    top = conn.execute(sa.text(f'SELECT max("{column}") FROM "{table}"')).scalar() or 0
    if seq is None:
        return int(top)
    last, called = conn.execute(sa.text(f"SELECT last_value, is_called FROM {seq}")).one()
    return max(int(top), int(last) if called else 0)


def set_counter(conn: Connection, table: str, column: str, value: int) -> None:
    """Make the table's counter give ids above ``value`` from now on."""
    seq = sa.func.pg_get_serial_sequence(table, column)
    conn.execute(sa.select(sa.func.setval(seq, max(1, value), value > 0)))


# --------------------------------------------------------------------------- dump
def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def dump(conn: Connection) -> str:
    """A deterministic text dump of the database: each table's columns and indexes, then its
    rows as ``INSERT INTO "table" VALUES(...);`` ordered by primary key (SQLite's ``iterdump``
    format for rows, so the same helpers read both)."""
    inspector = sa.inspect(conn)
    lines = []
    for name in sorted(inspector.get_table_names()):
        columns = inspector.get_columns(name)
        shown = ", ".join(f"{c['name']} {c['type']}{'' if c['nullable'] else ' NOT NULL'}"
                          f"{' DEFAULT ' + str(c['default']) if c.get('default') else ''}"
                          for c in columns)
        lines.append(f'CREATE TABLE "{name}" ({shown});')
        for index in sorted(inspector.get_indexes(name), key=lambda i: str(i["name"])):
            lines.append(f'CREATE INDEX "{index["name"]}" ON "{name}" '
                         f"{json.dumps(index, sort_keys=True, default=str)};")
        key = inspector.get_pk_constraint(name).get("constrained_columns") or [
            c["name"] for c in columns]
        order = ", ".join(f'"{c}"' for c in key)
        for row in conn.execute(sa.text(f'SELECT * FROM "{name}" ORDER BY {order}')):
            lines.append(f'INSERT INTO "{name}" VALUES({",".join(map(_literal, row))});')
    return "\n".join(lines)
