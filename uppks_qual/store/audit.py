"""The audit trail: one ``history`` row per change, written in the change's own transaction.

Every write of :class:`~uppks_qual.store.Store` calls :func:`log` on its connection, so a
change that is rolled back leaves no row and a row always describes a change that happened.
A row says **who** (``coder``: the coder of a coding, the author of a memo, the ``by=`` of a
project-level change, else NULL), **when** (``at``, UTC ISO seconds), **what** (``action``,
one of :data:`ACTIONS`, on ``target_type``/``target_id``) and ``old`` -> ``new`` (JSON), with
``details`` (JSON: how, counts, parameters). Rows are never updated or deleted.

:func:`undo_blocker` and :func:`revert` are what :meth:`Store.undo
<uppks_qual.store.Store.undo>` needs: why a change cannot be undone now, and how to revert
one that can (:data:`UNDOABLE`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import StoreError
from .tables import codes, codings, history, live, memos, now, readings

__all__ = ["ACTIONS", "HISTORY_COLUMNS", "UNDOABLE", "log", "revert", "undo_blocker"]

#: Columns of the history frame, in order.
HISTORY_COLUMNS: tuple[str, ...] = tuple(str(c.name) for c in history.c)

#: Every action a history row can name (``Store`` method names, mostly).
ACTIONS: tuple[str, ...] = (
    "add_documents", "set_attributes", "update_codebook", "set_meta", "set_model",
    "add_coder", "set_role", "code", "uncode", "recode", "memo", "edit_memo", "read",
    "review", "autocode", "undo", "merge")

#: Actions :meth:`Store.undo` can revert, and what reverting does.
UNDOABLE: dict[str, str] = {
    "code": "the coding is marked removed",
    "uncode": "the coding is restored (same id)",
    "recode": "the coding's code, valence and memo are set back",
    "memo": "the memo is deleted",
    "edit_memo": "the memo's text is set back",
    "read": "the passage is no longer marked read",
}

#: Why the other actions cannot be undone, and what to do instead.
NOT_UNDOABLE: dict[str, str] = {
    "autocode": "an auto-coding run cannot be undone; run autocode again",
    "update_codebook": "a codebook change cannot be undone; load the previous codebook with "
                       "update_codebook",
    "review": "a review decision is final; uncode or recode the reviewed coding instead",
    "add_documents": "documents added cannot be undone",
    "set_attributes": "an attribute change cannot be undone; set the old value again",
    "set_meta": "a setting change cannot be undone; set the old value again",
    "set_model": "a saved model cannot be undone; save the previous model again",
    "add_coder": "a registered coder stays registered",
    "set_role": "a role change cannot be undone; set the old role again",
    "merge": "a merge cannot be undone; the merged projects are as they were",
}


def dumps(value: Any) -> str | None:
    """JSON text of a value (None stays NULL)."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def log(conn: Connection, action: str, target_type: str, target_id: object, *,
        coder: str | None, old: Any = None, new: Any = None,
        details: Mapping[str, Any] | None = None) -> int:
    """Append one row to the history in the transaction of ``conn``; returns its id."""
    assert action in ACTIONS, action
    result = conn.execute(history.insert().values(
        at=now(), coder=coder, action=action, target_type=target_type,
        target_id=str(target_id), old=dumps(old), new=dumps(new),
        details=dumps(dict(details)) if details else None))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def coding_state(row: Any) -> dict[str, Any]:
    """What a history row keeps of a coding (its key, values and how it was made)."""
    return {"doc_id": row.doc_id, "start": int(row.start), "end": int(row.end),
            "code_id": row.code_id, "coder": row.coder, "origin": row.origin,
            "valence": row.valence, "memo": row.memo, "codebook_version": row.codebook_version}


def reading_key(doc_id: str, start: int, end: int) -> str:
    """The ``target_id`` of a passage read: ``doc_id:start-end`` (the coder is the row's)."""
    return f"{doc_id}:{start}-{end}"


def undone_ids(conn: Connection) -> set[int]:
    """Ids of the history rows an ``undo`` row reverted."""
    h = history.c
    return {int(i) for i in conn.execute(sa.select(h.target_id).where(
        h.action == "undo", h.target_type == "history")).scalars()}


def undo_blocker(conn: Connection, row: Any, undone: set[int]) -> str | None:
    """Why the change ``row`` (a history row) cannot be undone now, or None when it can."""
    if row.action not in UNDOABLE:
        return NOT_UNDOABLE.get(row.action, f"{row.action} cannot be undone")
    h = history.c
    later = conn.execute(sa.select(h.history_id, h.coder, h.action).where(
        h.target_type == row.target_type, h.target_id == row.target_id,
        h.history_id > row.history_id, h.action != "undo").order_by(h.history_id)).all()
    for other in later:
        if other.history_id not in undone:
            return (f"{row.target_type} {row.target_id} was changed since "
                    f"({other.action} #{other.history_id} by {other.coder})")
    return _state_blocker(conn, row)


def _state_blocker(conn: Connection, row: Any) -> str | None:
    """Whether the target is still as the change left it (it may be gone: auto-coding or a
    codebook change deletes automatic codings and codes)."""
    if row.target_type == "memo":
        found = conn.execute(sa.select(memos.c.memo_id).where(
            memos.c.memo_id == int(row.target_id))).first()
        return None if found else f"memo {row.target_id} no longer exists"
    if row.action == "read":
        new = json.loads(row.new)
        found = conn.execute(sa.select(readings.c.doc_id).where(
            readings.c.doc_id == new["doc_id"], readings.c.start == new["start"],
            readings.c.end == new["end"], readings.c.coder == row.coder)).first()
        return None if found else "the passage is no longer marked read"
    coding = conn.execute(sa.select(codings).where(
        codings.c.coding_id == int(row.target_id))).one_or_none()
    if coding is None:
        return f"coding {row.target_id} no longer exists"
    if row.action in ("code", "recode") and coding.removed is not None:
        return f"coding {row.target_id} was removed since"
    if row.action == "uncode" and coding.removed is None:
        return f"coding {row.target_id} is not removed"
    if row.action == "uncode":
        return _clash(conn, coding, coding.code_id)
    if row.action == "recode":
        return _clash(conn, coding, json.loads(row.old).get("code_id", coding.code_id))
    return None


def _clash(conn: Connection, coding: Any, code_id: str) -> str | None:
    """Why ``coding`` cannot be live with ``code_id`` (a code gone, or the same live coding)."""
    if conn.execute(sa.select(codes.c.code_id).where(codes.c.code_id == code_id)).first() is None:
        return f"code {code_id!r} is no longer in the codebook"
    c = codings.c
    other = conn.execute(sa.select(c.coding_id).where(
        c.doc_id == coding.doc_id, c.start == coding.start, c.end == coding.end,
        c.code_id == code_id, c.coder == coding.coder, c.coding_id != coding.coding_id,
        live())).scalar_one_or_none()
    if other is not None:
        return f"coding {other} codes the same passage with {code_id!r} now"
    return None


def revert(conn: Connection, row: Any, coder: str) -> None:
    """Revert the change ``row`` (checked by :func:`undo_blocker` first)."""
    c = codings.c
    stamp = now()
    if row.action == "code":
        conn.execute(codings.update().where(c.coding_id == int(row.target_id)).values(
            removed=stamp, removed_by=coder))
    elif row.action == "uncode":
        conn.execute(codings.update().where(c.coding_id == int(row.target_id)).values(
            removed=None, removed_by=None))
    elif row.action == "recode":
        old = json.loads(row.old)
        conn.execute(codings.update().where(c.coding_id == int(row.target_id)).values(
            **old, updated=stamp))
    elif row.action == "memo":
        conn.execute(memos.delete().where(memos.c.memo_id == int(row.target_id)))
    elif row.action == "edit_memo":
        conn.execute(memos.update().where(memos.c.memo_id == int(row.target_id)).values(
            text=json.loads(row.old)["text"]))
    elif row.action == "read":
        new = json.loads(row.new)
        conn.execute(readings.delete().where(
            readings.c.doc_id == new["doc_id"], readings.c.start == new["start"],
            readings.c.end == new["end"], readings.c.coder == row.coder))
    else:  # pragma: no cover - undo_blocker refuses every other action
        raise StoreError(f"{row.action} cannot be undone", history_id=row.history_id)


def query(*, coder: str | list[str] | None = None, action: str | list[str] | None = None,
          target_type: str | None = None, target_id: str | None = None,
          since: str | None = None, until: str | None = None) -> Any:
    """The select of history rows matching the filters, oldest first."""
    h = history.c
    q = sa.select(history).order_by(h.history_id)
    if coder is not None:
        q = q.where(h.coder.in_([coder] if isinstance(coder, str) else coder))
    if action is not None:
        q = q.where(h.action.in_([action] if isinstance(action, str) else action))
    if target_type is not None:
        q = q.where(h.target_type == target_type)
    if target_id is not None:
        q = q.where(h.target_id == target_id)
    if since is not None:
        q = q.where(h.at >= since)
    if until is not None:
        q = q.where(h.at <= until)
    return q
