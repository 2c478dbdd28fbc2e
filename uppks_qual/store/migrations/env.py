"""Alembic's environment: migrate the connection :mod:`uppks_qual.store.migrate` hands over.

The connection is already in the store's write transaction (SQLite ``BEGIN IMMEDIATE``, or
PostgreSQL with the project's write lock): every revision runs inside it, so an upgrade that
fails leaves the project exactly as it was. Importing this module outside an Alembic run (a
documentation tool, the doctest walker) does nothing.
"""

from __future__ import annotations

from alembic import context


def run() -> None:
    """Run the revisions on the connection in ``Config.attributes["connection"]``."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "_proxy", None) is not None:  # inside an Alembic command
    run()
