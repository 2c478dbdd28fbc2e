"""Schema migrations with Alembic, run from inside the package (no ``alembic.ini``).

The environment and the revisions live in ``uppks_qual/store/migrations``; :func:`upgrade`
runs them on a connection that is already in the store's write transaction (passed to
``env.py`` through ``Config.attributes``), so an upgrade is all or nothing. A new project is
made from :mod:`~uppks_qual.store.tables` and stamped at the head (:func:`stamp`) rather than
migrated up from nothing; a test checks that both give the same schema.

Before an existing project file is upgraded, :func:`backup` copies it (and its ``-wal``) beside
it as ``NAME.uqp.bak-<old revision>``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from .tables import HEAD_REVISION

__all__ = ["backup", "head", "stamp", "upgrade"]

#: Where ``env.py`` and ``versions/`` are.
SCRIPTS = Path(__file__).resolve().with_name("migrations")
#: Alembic's own version table, as Alembic creates it.
version_table = sa.Table(
    "alembic_version", sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def config(conn: Connection | None = None) -> Config:
    """An Alembic configuration for the package's scripts, migrating ``conn``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS).replace("%", "%%"))
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    """The head revision of the migration scripts (equal to :data:`HEAD_REVISION`)."""
    return str(ScriptDirectory.from_config(config()).get_current_head())


def stamp(conn: Connection, revision: str = HEAD_REVISION) -> None:
    """Record ``revision`` as the project's schema revision (creating Alembic's table)."""
    version_table.create(conn, checkfirst=True)
    conn.execute(version_table.delete())
    conn.execute(version_table.insert().values(version_num=revision))


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Run the revisions from the project's stamped one up to ``revision``, on ``conn``
    (inside its transaction)."""
    command.upgrade(config(conn), revision)


def backup(path: Path, label: str) -> Path:
    """Copy the project file ``path`` (and its ``-wal``) to ``NAME.bak-<label>`` beside it (a
    free name: ``.1``, ``.2`` ... added when taken); returns the copy's path."""
    target = path.with_name(f"{path.name}.bak-{label}")
    n = 0
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bak-{label}.{n}")
    shutil.copyfile(path, target)
    wal = Path(f"{path}-wal")
    if wal.exists():
        shutil.copyfile(wal, f"{target}-wal")
    return target
