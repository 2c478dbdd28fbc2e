"""The tables of a project, as the newest schema defines them (SQLAlchemy Core).

One definition serves both engines: a new project is made with ``metadata.create_all`` and
stamped at :data:`HEAD_REVISION`; an older one is brought here by the Alembic revisions in
``uppks_qual/store/migrations/versions`` (each defines the tables as they were at its own
revision, so editing this module never changes what an old revision does).

Strings that are compared or sorted (ids, coder names) use the binary collation on both
engines (:data:`Key`): a PostgreSQL server's default collation would sort them by language
rules, and the same project would list its codings in another order on SQLite.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import sqlalchemy as sa

from ..records import ORIGINS

__all__ = ["APP", "HEAD_REVISION", "SCHEMA_VERSION", "metadata"]

#: 2 added the ``readings`` table and ``documents.attributes``; 3 added
#: ``codings.codebook_version`` (the codebook version a coding was made under); 4 added the
#: ``reviews`` table and the origin ``reviewed``, and made coding ids never reused (SQLite
#: AUTOINCREMENT: a review names the automatic coding it decided by id); 5 (Alembic revision
#: ``0002``) added coder roles, removed codings (``codings.removed``, ``removed_by``; the
#: one-coding rule holds among live codings) and the append-only ``history`` table. Since 4 the
#: schema is versioned by Alembic revisions (:data:`HEAD_REVISION`); ``meta.schema_version``
#: follows them (:data:`REVISION_SCHEMA`).
SCHEMA_VERSION = 5
#: The newest Alembic revision (a test checks it is the head of the migration scripts).
HEAD_REVISION = "0002"
#: The ``meta.schema_version`` of each Alembic revision.
REVISION_SCHEMA: dict[str, int] = {"0001": 4, "0002": 5}
APP = "uppks-qual"

#: A string compared byte by byte on both engines (``COLLATE "C"`` on PostgreSQL, SQLite's
#: default ``BINARY``).
Key: Any = sa.String().with_variant(sa.String(collation="C"), "postgresql")
#: Roles a coder can have (:meth:`Store.coders`).
CODER_ROLES: tuple[str, ...] = ("coder", "reviewer", "admin")

metadata = sa.MetaData()

meta_table = sa.Table(
    "meta", metadata,
    sa.Column("key", Key, primary_key=True),
    sa.Column("value", sa.String, nullable=False),
)
documents = sa.Table(
    "documents", metadata,
    sa.Column("doc_id", Key, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("group", Key, nullable=False),
    sa.Column("village", Key, nullable=False),
    sa.Column("source_type", Key, nullable=False),
    sa.Column("informant_role", Key, nullable=False),
    sa.Column("informant", Key, nullable=False),
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
    sa.Column("segment_id", Key, primary_key=True),
    sa.Column("doc_id", Key, sa.ForeignKey("documents.doc_id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", Key, nullable=False),
    sa.Column("parent", Key),
    sa.Column("speaker", sa.String),
    sa.Column("time", sa.String),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.CheckConstraint('"start" >= 0 AND "end" > "start"', name="segment_span"),
)
codes = sa.Table(
    "codes", metadata,
    sa.Column("code_id", Key, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("parent", Key),
    sa.Column("factor", Key, nullable=False),
    sa.Column("kind", Key, nullable=False),
    sa.Column("label_en", sa.String, nullable=False),
    sa.Column("label_id", sa.String, nullable=False),
    sa.Column("colour", sa.String, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
)
coders = sa.Table(
    "coders", metadata,
    sa.Column("coder", Key, primary_key=True),
    sa.Column("kind", Key, nullable=False),
    sa.Column("added", sa.String, nullable=False),
    sa.Column("role", Key, nullable=False, server_default="coder"),
    sa.CheckConstraint("kind IN ('human', 'auto')", name="coder_kind"),
    sa.CheckConstraint(f"role IN ({', '.join(repr(r) for r in CODER_ROLES)})",
                       name="coder_role"),
)
codings = sa.Table(
    "codings", metadata,
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
    #: When the coding was removed (ISO UTC) and by whom; NULL: a live coding.
    sa.Column("removed", sa.String),
    sa.Column("removed_by", Key),
    sa.CheckConstraint('"start" >= 0 AND "end" > "start"', name="coding_span"),
    sa.CheckConstraint(f"origin IN ({', '.join(repr(o) for o in ORIGINS)})",
                       name="coding_origin"),
    sa.CheckConstraint("valence IS NULL OR valence IN ('positive', 'negative', 'neutral')",
                       name="coding_valence"),
    sqlite_autoincrement=True,  # ids are never reused: reviews name automatic codings by id
)
#: One live coding per document, span, code and coder: a removed coding may be made again.
sa.Index("one_coding", codings.c.doc_id, codings.c.start, codings.c.end, codings.c.code_id,
         codings.c.coder, unique=True, sqlite_where=codings.c.removed.is_(None),
         postgresql_where=codings.c.removed.is_(None))
readings = sa.Table(
    "readings", metadata,
    sa.Column("doc_id", Key, sa.ForeignKey("documents.doc_id"), nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("coder", Key, sa.ForeignKey("coders.coder"), nullable=False, index=True),
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
    sa.Column("doc_id", Key, sa.ForeignKey("documents.doc_id"), nullable=False, index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("suggested_by", Key, nullable=False),
    sa.Column("suggested_code", Key, nullable=False),
    sa.Column("suggested_valence", Key),
    sa.Column("confidence", sa.Float),
    sa.Column("strategy", Key, nullable=False),
    sa.Column("decision", Key, nullable=False),
    sa.Column("code_id", Key),
    sa.Column("valence", Key),
    sa.Column("coding_id", sa.Integer),
    sa.Column("coder", Key, sa.ForeignKey("coders.coder"), nullable=False, index=True),
    sa.Column("memo", sa.Text),
    sa.Column("created", sa.String, nullable=False),
    sa.CheckConstraint("decision IN ('accepted', 'rejected')", name="review_decision"),
    sa.CheckConstraint(f"strategy IN ({', '.join(repr(s) for s in REVIEW_STRATEGIES)})",
                       name="review_strategy"),
    sa.CheckConstraint("(decision = 'accepted') = (code_id IS NOT NULL)", name="review_code"),
)
memos = sa.Table(
    "memos", metadata,
    sa.Column("memo_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target_type", Key, nullable=False),
    sa.Column("target_id", Key, nullable=False),
    sa.Column("author", Key),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created", sa.String, nullable=False),
    sa.CheckConstraint("target_type IN ('project', 'code', 'document', 'coding')",
                       name="memo_target"),
)
#: The audit trail: one row per change, never updated or deleted. ``old``, ``new`` and
#: ``details`` are JSON text; ``target_type``/``target_id`` name what changed (a coding, a
#: code, a document, the codebook ...).
history = sa.Table(
    "history", metadata,
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

#: Columns of :meth:`Store.suggestions_frame` and :meth:`Store.reviews_frame`.
SUGGESTION_COLUMNS: tuple[str, ...] = ("suggestion_id", "doc_id", "start", "end", "code_id",
                                       "valence", "confidence", "text", "group", "informant")
REVIEW_COLUMNS: tuple[str, ...] = tuple(str(c.name) for c in reviews.c)
#: Setting that remembers the strategy each suggestion was drawn with (see
#: :meth:`Store.record_draws`).
DRAWS_KEY = "suggestion_draws"
#: Columns of :meth:`Store.codings_frame`, in order.
CODING_ROW_COLUMNS = ("coding_id", "doc_id", "group", "village", "source_type",
                      "informant_role", "informant", "start", "end", "code_id", "valence",
                      "coder", "origin", "confidence", "text", "codebook_version")
#: Project settings (``meta``) that hold the codebook's name, version, change log and rules.
CODEBOOK_META = ("codebook_name", "codebook_version", "codebook_changelog", "codebook_rules")
#: Tables whose ids come from a counter that must never go back (see ``Store.create_from``).
COUNTERS: dict[str, str] = {"codings": "coding_id", "reviews": "review_id",
                            "memos": "memo_id", "history": "history_id"}


def live(table: sa.Table | Any = codings) -> Any:
    """The condition "not removed" on ``codings`` (or an alias of it)."""
    return table.c.removed.is_(None)


def now() -> str:
    """UTC timestamp in ISO format (seconds)."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
