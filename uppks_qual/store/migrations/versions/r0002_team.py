"""Schema version 5: coder roles, removed codings, the audit trail.

Revision ID: 0002
Revises: 0001

* ``coders.role``: ``coder``, ``reviewer`` or ``admin`` (existing coders: ``coder``);
* ``codings.removed`` (ISO UTC time, NULL: live) and ``codings.removed_by``; the rule "one
  coding per document, span, code and coder" becomes a partial unique index over live codings,
  so a removed coding can be made again (SQLite cannot alter a constraint: ``codings`` is
  copied, keeping every row and id);
* ``history``: the append-only log of changes.

The tables are defined here as they are at this revision (frozen).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from uppks_qual.store.sqlite import rebuild_table
from uppks_qual.store.tables import Key

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLES = "('coder', 'reviewer', 'admin')"
_metadata = sa.MetaData()
# only the tables the foreign keys of codings name, as far as creating codings needs them
for _name, _key in (("documents", "doc_id"), ("codes", "code_id"), ("coders", "coder")):
    sa.Table(_name, _metadata, sa.Column(_key, Key, primary_key=True))
codings = sa.Table(
    "codings", _metadata,
    sa.Column("coding_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("doc_id", Key, sa.ForeignKey("documents.doc_id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("code_id", Key, sa.ForeignKey("codes.code_id"), nullable=False, index=True),
    sa.Column("coder", Key, sa.ForeignKey("coders.coder"), nullable=False, index=True),
    sa.Column("origin", Key, nullable=False),
    sa.Column("valence", Key),
    sa.Column("confidence", sa.Float),
    sa.Column("memo", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created", sa.String, nullable=False),
    sa.Column("updated", sa.String, nullable=False),
    sa.Column("codebook_version", sa.String),
    sa.Column("removed", sa.String),
    sa.Column("removed_by", Key),
    sa.CheckConstraint('"start" >= 0 AND "end" > "start"', name="coding_span"),
    sa.CheckConstraint("origin IN ('manual', 'auto', 'reviewed')", name="coding_origin"),
    sa.CheckConstraint("valence IS NULL OR valence IN ('positive', 'negative', 'neutral')",
                       name="coding_valence"),
    sqlite_autoincrement=True,
)
one_coding = sa.Index("one_coding", codings.c.doc_id, codings.c.start, codings.c.end,
                      codings.c.code_id, codings.c.coder, unique=True,
                      sqlite_where=codings.c.removed.is_(None),
                      postgresql_where=codings.c.removed.is_(None))
history = sa.Table(
    "history", _metadata,
    sa.Column("history_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String, nullable=False),
    sa.Column("coder", Key),
    sa.Column("action", Key, nullable=False),
    sa.Column("target_type", Key, nullable=False),
    sa.Column("target_id", Key, nullable=False),
    sa.Column("old", sa.Text),
    sa.Column("new", sa.Text),
    sa.Column("details", sa.Text),
    sa.Index("ix_history_coder", "coder", "history_id"),
    sa.Index("ix_history_target", "target_type", "target_id"),
    sqlite_autoincrement=True,
)


def upgrade() -> None:
    """Add roles, removed codings and the history table; set ``schema_version`` to 5.

    What a database already has is kept (a file whose settings say an older version than its
    tables, e.g. one edited by hand, upgrades too)."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    postgres = bind.dialect.name == "postgresql"
    key = 'VARCHAR COLLATE "C"' if postgres else "VARCHAR"
    if "role" not in {c["name"] for c in inspector.get_columns("coders")}:
        op.execute(f"ALTER TABLE coders ADD COLUMN role {key} DEFAULT 'coder' NOT NULL "
                   f"CONSTRAINT coder_role CHECK (role IN {ROLES})")
    if postgres:
        have = {c["name"] for c in inspector.get_columns("codings")}
        for column in codings.c:
            if column.name in ("removed", "removed_by") and column.name not in have:
                op.add_column("codings", sa.Column(column.name, column.type))
        op.execute("ALTER TABLE codings DROP CONSTRAINT IF EXISTS one_coding")
        op.execute("DROP INDEX IF EXISTS one_coding")
        one_coding.create(bind)
    else:
        rebuild_table(bind, codings)
    history.create(bind, checkfirst=True)
    op.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
