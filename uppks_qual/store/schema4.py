"""The tables of schema version 4 (Alembic revision ``0001``), frozen: never edit.

Files of schema 1 to 3 are brought to this schema by :func:`uppks_qual.store.sqlite.upgrade_legacy`
before Alembic takes over, and revision ``0001`` creates it in an empty database; both need the
tables as they were then, not as :mod:`uppks_qual.store.tables` defines them today.
"""

from __future__ import annotations

import sqlalchemy as sa

from .tables import Key

ORIGINS = ("manual", "auto", "reviewed")
_STRATEGIES = ("uncertain", "random", "top", "direct")

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
    sa.CheckConstraint("kind IN ('human', 'auto')", name="coder_kind"),
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
    sa.Column("doc_id", Key, sa.ForeignKey("documents.doc_id"), nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("coder", Key, sa.ForeignKey("coders.coder"), nullable=False, index=True),
    sa.Column("created", sa.String, nullable=False),
    sa.PrimaryKeyConstraint("doc_id", "start", "end", "coder", name="one_reading"),
    sa.CheckConstraint('"start" >= 0 AND "end" > "start"', name="reading_span"),
)
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
    sa.CheckConstraint(f"strategy IN ({', '.join(repr(s) for s in _STRATEGIES)})",
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
