"""Schema version 4: the tables of uppks-qual before Alembic (the baseline).

Revision ID: 0001
Revises: (none)

Files made before Alembic are stamped at this revision once
:func:`uppks_qual.store.sqlite.upgrade_legacy` has brought them to schema 4; in an empty
database this revision creates the schema-4 tables.
"""

from __future__ import annotations

from alembic import op

from uppks_qual.store import schema4

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the schema-4 tables that are missing."""
    schema4.metadata.create_all(op.get_bind())
