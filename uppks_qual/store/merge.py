"""Merging two projects coded apart into a new one (issue 15): a plan, then one write.

:func:`plan` is pure Python over the rows of both projects (read by
:meth:`Store.snapshot <uppks_qual.store.Store.snapshot>`): it decides every row of the merged
project, and raises :class:`~uppks_qual.errors.MergeError` before anything is written when the
projects cannot be merged. :func:`write` inserts the plan's rows in the transaction that
creates the new project, so a merge is all or nothing.

The rules:

* **Documents** are matched by id and must hold the same text (their ``sha256``); a document
  whose text differs is an error, whatever the strategy, listing each one with the first
  character that differs. Documents of one project only are added.
* **Codes** are matched by ``code_id``; the same id with another definition (parent, factor,
  kind, labels, colour, the rest of its definition) is a *conflict*. So are settings (the
  codebook's version, change log and rules, the manifest ...) that differ, a coder's role,
  the metadata of a document, a live coding's valence, memo or origin, a coding removed in one
  project and live in the other, and two decisions on the same suggestion.
* ``strategy="strict"`` raises :class:`MergeError` listing every conflict; ``"ours"`` keeps
  the first project's value and ``"theirs"`` the second's, each conflict listed in the report.
  A coder registered as human in one project and automatic in the other cannot be merged by
  any strategy.
* **Codings** of every coder are brought together: a coding in both (same document, span,
  code and coder) is kept once. Ids of the first project are kept; rows of the second get
  new ids, and its memos, reviews and history rows follow them.
* **Readings, reviews, memos and history** are the union of both (a row in both kept once);
  the new project's history ends with one row ``merge`` holding the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import MergeError
from .tables import DRAWS_KEY, now

__all__ = ["IGNORED_SETTINGS", "STRATEGIES", "Conflict", "MergePlan", "MergeReport", "plan"]

#: How conflicts are settled: raise (``strict``), keep the first project's value (``ours``) or
#: the second's (``theirs``).
STRATEGIES: tuple[str, ...] = ("strict", "ours", "theirs")
#: Settings that belong to one file, never compared (the new project writes its own).
IGNORED_SETTINGS = frozenset({"app", "schema_version", "created", "write_probe", DRAWS_KEY})
#: Document columns compared besides the text.
DOCUMENT_FIELDS = ("group", "village", "source_type", "informant_role", "informant", "date",
                   "meta", "attributes")
#: What must agree between the two copies of a coding.
CODING_FIELDS = ("origin", "valence", "memo")
#: Tables whose rows are counted in the report.
COUNTED = ("documents", "codes", "coders", "codings", "readings", "reviews", "memos", "history")

Rows = dict[str, list[dict[str, Any]]]
Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """One thing the two projects disagree on.

    ``kind`` is ``document``, ``setting``, ``code``, ``coder``, ``coding`` or ``review``;
    ``key`` names it; ``ours``/``theirs`` hold the values that differ; ``kept`` says which
    side the merge kept (None under ``strict``, or when no strategy can settle it).
    """

    kind: str
    key: str
    ours: Mapping[str, Any]
    theirs: Mapping[str, Any]
    kept: str | None = None

    def line(self) -> str:
        """One line: ``code 'capital': label_en 'Capital' != 'Money' (kept ours)``."""
        diffs = "; ".join(f"{name} {_short(self.ours.get(name))} != "
                          f"{_short(self.theirs.get(name))}" for name in self.ours)
        kept = f" (kept {self.kept})" if self.kept else ""
        return f"{self.kind} {self.key}: {diffs}{kept}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "ours": dict(self.ours),
                "theirs": dict(self.theirs), "kept": self.kept}


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What a merge did: the projects, the strategy, row counts and conflicts.

    ``counts`` maps a table to ``{"ours", "theirs", "shared", "merged"}``: rows in each
    project, rows of the second found in the first, rows in the merged project (codings:
    live ones). ``str(report)`` is the text the CLI prints; :meth:`to_frame` the conflicts.
    """

    ours: str
    theirs: str
    out: str
    strategy: str
    counts: Mapping[str, Mapping[str, int]]
    conflicts: tuple[Conflict, ...] = ()
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per conflict: ``kind, key, field, ours, theirs, kept``."""
        rows = [{"kind": c.kind, "key": c.key, "field": name, "ours": c.ours.get(name),
                 "theirs": c.theirs.get(name), "kept": c.kept}
                for c in self.conflicts for name in c.ours]
        return pd.DataFrame(rows, columns=["kind", "key", "field", "ours", "theirs", "kept"])

    def counts_frame(self) -> pd.DataFrame:
        """Rows per table: ``ours, theirs, shared, merged``."""
        return pd.DataFrame.from_dict({k: dict(v) for k, v in self.counts.items()},
                                      orient="index")[["ours", "theirs", "shared", "merged"]]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (what the ``merge`` history row keeps)."""
        return {"ours": self.ours, "theirs": self.theirs, "out": self.out,
                "strategy": self.strategy, "counts": {k: dict(v) for k, v in self.counts.items()},
                "conflicts": [c.to_dict() for c in self.conflicts], "notes": list(self.notes)}

    def __str__(self) -> str:
        lines = [f"merged {self.ours} and {self.theirs} into {self.out} "
                 f"(strategy {self.strategy})"]
        lines += [f"  {table}: {n['ours']} + {n['theirs']} ({n['shared']} in both) -> "
                  f"{n['merged']}" for table, n in self.counts.items()]
        lines.append(f"{len(self.conflicts)} conflict(s)" + (":" if self.conflicts else ""))
        lines += [f"  {c.line()}" for c in self.conflicts]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class MergePlan:
    """The rows of the merged project, its id counters and the report's parts."""

    rows: Rows
    counters: dict[str, int]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Planner:
    """Builds a :class:`MergePlan` table by table (see the module's rules)."""

    def __init__(self, ours: Rows, theirs: Rows, counters: Mapping[str, int],
                 strategy: str) -> None:
        self.a, self.b, self.strategy = ours, theirs, strategy
        self.rows: Rows = {name: [dict(r) for r in rows] for name, rows in ours.items()}
        self.next = dict(counters)
        self.conflicts: list[Conflict] = []
        self.fatal: list[Conflict] = []
        self.notes: list[str] = []
        self.shared: dict[str, int] = dict.fromkeys(COUNTED, 0)
        self.ids: dict[str, dict[int, int]] = {"coding": {}, "memo": {}, "suggestion": {},
                                               "history": {}}

    # ---------------------------------------------------------------- helpers
    def new_id(self, table: str) -> int:
        self.next[table] += 1
        return self.next[table]

    def settle(self, kind: str, key: str, ours: Mapping[str, Any],
               theirs: Mapping[str, Any], names: Iterable[str]) -> bool:
        """Record a conflict on the fields ``names`` that differ; True when theirs wins."""
        diff = [n for n in names if ours.get(n) != theirs.get(n)]
        if not diff:
            return False
        kept = None if self.strategy == "strict" else self.strategy
        self.conflicts.append(Conflict(kind, key, {n: ours.get(n) for n in diff},
                                       {n: theirs.get(n) for n in diff}, kept))
        return self.strategy == "theirs"

    # ---------------------------------------------------------------- tables
    def settings(self) -> None:
        mine = {r["key"]: r for r in self.rows["meta"]}
        for row in self.b["meta"]:
            key = row["key"]
            if key in IGNORED_SETTINGS:
                continue
            if key not in mine:
                self.rows["meta"].append(dict(row))
            elif self.settle("setting", repr(key), {"value": _setting(key, mine[key]["value"])},
                             {"value": _setting(key, row["value"])}, ["value"]):
                mine[key]["value"] = row["value"]
        self.rows["meta"] = [r for r in self.rows["meta"] if r["key"] != "write_probe"]
        for r in self.rows["meta"]:
            if r["key"] == "created":
                r["value"] = now()

    def documents(self) -> None:
        mine = {r["doc_id"]: r for r in self.rows["documents"]}
        by_hash = {r["sha256"]: r["doc_id"] for r in self.rows["documents"]}
        differ, added = [], set()
        for row in self.b["documents"]:
            ours = mine.get(row["doc_id"])
            if ours is None:
                if row["sha256"] in by_hash:
                    self.notes.append(f"document {row['doc_id']!r} has the same text as "
                                      f"{by_hash[row['sha256']]!r}; both are kept")
                new = {**row, "position": len(self.rows["documents"])}
                self.rows["documents"].append(new)
                added.add(row["doc_id"])
            elif ours["sha256"] != row["sha256"]:
                differ.append(_text_difference(row["doc_id"], ours["text"], row["text"]))
            else:
                self.shared["documents"] += 1
                if self.settle("document", repr(row["doc_id"]), ours, row, DOCUMENT_FIELDS):
                    ours.update({k: row[k] for k in DOCUMENT_FIELDS})
        if differ:
            raise MergeError(
                f"{len(differ)} document(s) have the same id and a different text in the two "
                "projects; a merge needs the same documents (fix or rename them, then merge "
                "again):\n  " + "\n  ".join(d["line"] for d in differ),
                documents=differ, conflicts=[])
        self.rows["segments"] += [dict(r) for r in self.b["segments"] if r["doc_id"] in added]

    def codes(self) -> None:
        mine = {r["code_id"]: r for r in self.rows["codes"]}
        names = [k for k in (self.b["codes"][0] if self.b["codes"] else {}) if k != "position"]
        for row in self.b["codes"]:
            ours = mine.get(row["code_id"])
            if ours is None:
                self.rows["codes"].append({**row, "position": len(self.rows["codes"])})
                continue
            self.shared["codes"] += 1
            a, b = _code_fields(ours), _code_fields(row)
            if self.settle("code", repr(row["code_id"]), a, b, sorted(set(a) | set(b))):
                ours.update({k: row[k] for k in names})

    def coders(self) -> None:
        mine = {r["coder"]: r for r in self.rows["coders"]}
        for row in self.b["coders"]:
            ours = mine.get(row["coder"])
            if ours is None:
                self.rows["coders"].append(dict(row))
                continue
            self.shared["coders"] += 1
            if ours["kind"] != row["kind"]:
                self.fatal.append(Conflict("coder", repr(row["coder"]), {"kind": ours["kind"]},
                                           {"kind": row["kind"]}))
            elif self.settle("coder", repr(row["coder"]), ours, row, ["role"]):
                ours["role"] = row["role"]
            ours["added"] = min(ours["added"], row["added"])

    def codings(self) -> None:
        live: dict[Key, dict[str, Any]] = {}
        removed: dict[Key, dict[str, Any]] = {}
        for r in self.rows["codings"]:
            if r["removed"] is None:
                live[_coding_key(r)] = r
            else:
                removed[(*_coding_key(r), r["created"])] = r
        for row in self.b["codings"]:
            key = _coding_key(row)
            if row["removed"] is None:
                self._live_coding(row, key, live, removed)
            else:
                self._removed_coding(row, key, live, removed)

    def _live_coding(self, row: dict[str, Any], key: Key, live: dict[Key, dict[str, Any]],
                     removed: dict[Key, dict[str, Any]]) -> None:
        ours = live.get(key)
        if ours is not None:
            self.ids["coding"][row["coding_id"]] = ours["coding_id"]
            self.shared["codings"] += 1
            if self.settle("coding", _coding_name(key), ours, row, CODING_FIELDS):
                ours.update({k: row[k] for k in (*CODING_FIELDS, "confidence", "updated")})
            return
        gone = removed.get((*key, row["created"]))
        if gone is not None:  # the same coding, removed in ours since
            self.ids["coding"][row["coding_id"]] = gone["coding_id"]
            if self.settle("coding", _coding_name(key), {"removed": gone["removed"]},
                           {"removed": None}, ["removed"]):
                gone.update(removed=None, removed_by=None)
                live[key] = gone
            return
        new = {**row, "coding_id": self.new_id("codings")}
        self.ids["coding"][row["coding_id"]] = new["coding_id"]
        self.rows["codings"].append(new)
        live[key] = new

    def _removed_coding(self, row: dict[str, Any], key: Key, live: dict[Key, dict[str, Any]],
                        removed: dict[Key, dict[str, Any]]) -> None:
        same = removed.get((*key, row["created"]))
        if same is not None and same["removed"] == row["removed"]:
            self.ids["coding"][row["coding_id"]] = same["coding_id"]
            return
        ours = live.get(key)
        if ours is not None and ours["created"] == row["created"]:  # removed in theirs since
            self.ids["coding"][row["coding_id"]] = ours["coding_id"]
            if self.settle("coding", _coding_name(key), {"removed": None},
                           {"removed": row["removed"]}, ["removed"]):
                ours.update(removed=row["removed"], removed_by=row["removed_by"])
                del live[key]
            return
        new = {**row, "coding_id": self.new_id("codings")}
        self.ids["coding"][row["coding_id"]] = new["coding_id"]
        self.rows["codings"].append(new)

    def readings(self) -> None:
        mine = {_reading_key(r): r for r in self.rows["readings"]}
        for row in self.b["readings"]:
            ours = mine.get(_reading_key(row))
            if ours is None:
                self.rows["readings"].append(dict(row))
            else:
                self.shared["readings"] += 1
                ours["created"] = min(ours["created"], row["created"])

    def reviews(self) -> None:
        same = {_review_key(r): r for r in self.rows["reviews"]}
        by_suggestion = {r["suggestion_id"]: r for r in self.rows["reviews"]}
        for row in self.b["reviews"]:
            ours = same.get(_review_key(row))
            if ours is not None:
                self.ids["suggestion"][row["suggestion_id"]] = ours["suggestion_id"]
                self.shared["reviews"] += 1
                continue
            sid = self.ids["coding"].get(row["suggestion_id"])
            if sid is None:  # the automatic coding is gone: a fresh id, never a coding's
                sid = self.new_id("codings")
            new = {**row, "suggestion_id": sid, "coding_id": self._coding(row["coding_id"])}
            self.ids["suggestion"][row["suggestion_id"]] = sid
            ours = by_suggestion.get(sid)
            if ours is None:
                new["review_id"] = self.new_id("reviews")
                self.rows["reviews"].append(new)
                by_suggestion[sid] = new
            elif self.settle("review", f"of suggestion {sid}", ours, new,
                             ["coder", "decision", "code_id", "valence"]):
                ours.update({k: v for k, v in new.items() if k != "review_id"})

    def memos(self) -> None:
        same = {_memo_key(r): r for r in self.rows["memos"]}
        for row in self.b["memos"]:
            target = row["target_id"]
            if row["target_type"] == "coding":
                target = str(self._coding(int(target)))
            new = {**row, "target_id": target}
            ours = same.get(_memo_key(new))
            if ours is not None:
                self.ids["memo"][row["memo_id"]] = ours["memo_id"]
                self.shared["memos"] += 1
                continue
            new["memo_id"] = self.new_id("memos")
            self.ids["memo"][row["memo_id"]] = new["memo_id"]
            self.rows["memos"].append(new)

    def history(self) -> None:
        same = {_history_key(r): r["history_id"] for r in self.rows["history"]}
        remap: dict[str, Callable[[int], int | None]] = {
            "coding": self.ids["coding"].get, "memo": self.ids["memo"].get,
            "suggestion": self.ids["suggestion"].get, "history": self.ids["history"].get}
        for row in self.b["history"]:
            target = row["target_id"]
            if row["target_type"] in remap and target.isdigit():
                target = str(remap[row["target_type"]](int(target)) or target)
            new = {**row, "target_id": target}
            found = same.get(_history_key(new))
            if found is not None:
                self.ids["history"][row["history_id"]] = found
                self.shared["history"] += 1
                continue
            new["history_id"] = self.new_id("history")
            self.ids["history"][row["history_id"]] = new["history_id"]
            self.rows["history"].append(new)

    def _coding(self, coding_id: Any) -> Any:
        return None if coding_id is None else self.ids["coding"].get(int(coding_id), coding_id)

    # ---------------------------------------------------------------- result
    def counts(self) -> dict[str, dict[str, int]]:
        def n(rows: Rows, table: str) -> int:
            if table == "codings":
                return sum(r["removed"] is None for r in rows[table])
            return len(rows[table])

        return {t: {"ours": n(self.a, t), "theirs": n(self.b, t), "shared": self.shared[t],
                    "merged": n(self.rows, t)} for t in COUNTED}


def plan(ours: Rows, theirs: Rows, counters: Mapping[str, int], *,
         strategy: str) -> MergePlan:
    """The merged project's rows from the rows of ``ours`` and ``theirs`` (every table, as
    :meth:`Store.snapshot` reads them) and ``ours``'s id counters.

    Raises
    ------
    MergeError
        Documents with the same id and another text (always); a coder of another kind in
        each project (always); any conflict under ``strategy="strict"``. Its ``conflicts``
        (and ``documents``) attributes list them.
    """
    p = _Planner(ours, theirs, counters, strategy)
    p.documents()
    for step in (p.settings, p.codes, p.coders, p.codings, p.readings, p.reviews, p.memos,
                 p.history):
        step()
    if p.fatal:
        raise MergeError(
            f"{len(p.fatal)} coder(s) are human coders in one project and automatic in the "
            "other; no strategy can merge them (rename the coder in one project first):\n  "
            + "\n  ".join(c.line() for c in p.fatal), conflicts=p.fatal, documents=[])
    if p.conflicts and strategy == "strict":
        raise MergeError(
            f"{len(p.conflicts)} conflict(s) between the two projects; nothing was written. "
            "Settle them in one project, or merge with strategy 'ours' (keep the first "
            "project's values) or 'theirs' (the second's):\n  "
            + "\n  ".join(c.line() for c in p.conflicts), conflicts=p.conflicts, documents=[])
    return MergePlan(p.rows, p.next, p.counts(), p.conflicts, p.notes)


def _text_difference(doc_id: str, ours: str, theirs: str, width: int = 20) -> dict[str, Any]:
    """Where two texts of a document first differ, with a snippet of each."""
    at = next((i for i, (x, y) in enumerate(zip(ours, theirs, strict=False)) if x != y),
              min(len(ours), len(theirs)))
    a, b = ours[max(0, at - width):at + width], theirs[max(0, at - width):at + width]
    line = (f"{doc_id}: differs at character {at} (ours {len(ours)} characters, theirs "
            f"{len(theirs)}): {a!r} != {b!r}")
    return {"doc_id": doc_id, "offset": at, "ours": a, "theirs": b, "line": line}


def _setting(key: str, value: str) -> str:
    """A setting as a conflict shows it (a saved model by its size only)."""
    return f"<model, {len(value)} bytes of base64>" if key == "model" else value


def _code_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A code's columns (but its position) and the keys of its stored definition."""
    spec = json.loads(row["spec"]) if row.get("spec") else {}
    out = {k: v for k, v in row.items() if k not in ("position", "spec", "code_id")}
    out.update({f"spec.{k}": v for k, v in spec.items() if k not in out})
    return out


def _coding_key(r: Mapping[str, Any]) -> Key:
    return (r["doc_id"], int(r["start"]), int(r["end"]), r["code_id"], r["coder"])


def _coding_name(key: Key) -> str:
    doc_id, start, end, code_id, coder = key
    return f"{doc_id}[{start}:{end}] {code_id!r} by {coder}"


def _reading_key(r: Mapping[str, Any]) -> Key:
    return (r["doc_id"], r["start"], r["end"], r["coder"])


def _review_key(r: Mapping[str, Any]) -> Key:
    return (r["doc_id"], r["start"], r["end"], r["suggested_by"], r["suggested_code"],
            r["coder"], r["decision"], r["created"])


def _memo_key(r: Mapping[str, Any]) -> Key:
    return (r["target_type"], str(r["target_id"]), r["author"], r["text"], r["created"])


def _history_key(r: Mapping[str, Any]) -> Key:
    return (r["at"], r["coder"], r["action"], r["target_type"], str(r["target_id"]),
            r["old"], r["new"], r["details"])


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."
