"""Records to rows and back: documents, segments, codes, the codebook's settings, coder names.

Pure functions (no connection): the :class:`~uppks_qual.store.Store` calls them on both engines.
A stored value that cannot be decoded raises :class:`Damaged`, which the store turns into a
:class:`~uppks_qual.errors.StoreCorruptError` naming the project.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CoderError, QualError
from ..records import (
    ChangelogEntry,
    Code,
    Codebook,
    CodingRule,
    Document,
    RuleExample,
    Segment,
)
from .tables import now

__all__ = ["check_coder", "code_from_row", "code_row", "codebook_from_meta", "codebook_meta",
           "document_from_row", "document_row", "segment_rows"]


class Damaged(Exception):
    """A stored value that cannot be decoded; :meth:`Store._errors` makes it a
    :class:`StoreCorruptError` naming the file."""


@contextlib.contextmanager
def decoding(what: str) -> Iterator[None]:
    """Decode stored values (JSON, base64, records): a failure means a damaged file."""
    try:
        yield
    except QualError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Damaged(f"{what} cannot be decoded: {type(exc).__name__}: {exc}") from None


# --------------------------------------------------------------------------- coders
#: Longest coder name accepted.
CODER_MAX_LENGTH = 64


def check_coder(name: object, *, path: str | Path | None = None,
                line: int | None = None) -> str:
    """``name`` if it is a valid coder name, else :class:`CoderError` naming it and the rule.

    A coder name is 1 to :data:`CODER_MAX_LENGTH` characters: letters, marks and digits of
    any script, punctuation and symbols (``_ - . @ ' ( ) ,``, emoji ...) and spaces, but no
    space at either end, no other white space (tabs, line breaks, no-break spaces) and no
    control or invisible characters. Names are compared exactly (``Coder1`` and ``coder1`` are
    two coders). Stored projects keep the names they have; the rule applies to new codings.

    Examples
    --------
    >>> check_coder("coder1")
    'coder1'
    >>> check_coder(" coder1")
    Traceback (most recent call last):
    ...
    uppks_qual.errors.CoderError: coder name ' coder1' starts or ends with a space; write 'coder1'
    """
    where: dict[str, Any] = {"path": path, "line": line, "coder": name}
    rule = ("a coder name is 1 to 64 letters, digits, punctuation or symbols, with single "
            "spaces inside (e.g. 'coder1', 'Jane D', 'auto-rules')")
    if not isinstance(name, str):
        raise CoderError(f"a coder must be named by text, got {name!r}; {rule}", **where)
    if not name.strip():
        raise CoderError(f"coder name {name!r} is empty; {rule}", **where)
    if name != name.strip(" "):
        raise CoderError(f"coder name {name!r} starts or ends with a space; write "
                         f"{name.strip()!r}", **where)
    if len(name) > CODER_MAX_LENGTH:
        raise CoderError(f"coder name {name[:20]!r}... has {len(name)} characters, more than "
                         f"{CODER_MAX_LENGTH}; {rule}", **where)
    bad = [ch for ch in name if ch != " " and unicodedata.category(ch)[0] not in "LMNPS"]
    if bad:
        shown = ", ".join(dict.fromkeys(f"U+{ord(ch):04X}" for ch in bad))
        raise CoderError(f"coder name {name!r} holds white space or invisible characters "
                         f"({shown}); {rule}", **where)
    return name


# --------------------------------------------------------------------------- rows
def document_row(doc: Document, position: int) -> dict[str, Any]:
    """Row of ``documents`` for a :class:`Document`."""
    return {
        "doc_id": doc.doc_id, "position": position, "text": doc.text, "group": doc.group,
        "village": doc.village, "source_type": doc.source_type,
        "informant_role": doc.informant_role, "informant": doc.informant, "date": doc.date,
        "meta": json.dumps(dict(doc.meta), ensure_ascii=False, default=str), "path": doc.path,
        "attributes": json.dumps(dict(doc.attributes), ensure_ascii=False),
        "sha256": hashlib.sha256(doc.text.encode("utf-8")).hexdigest(),
        "n_words": doc.n_words, "added": now(),
    }


def document_from_row(row: Any) -> Document:
    """Rebuild a :class:`Document` from its ``documents`` row."""
    with decoding(f"document {row['doc_id']!r}"):
        return Document(doc_id=row["doc_id"], text=row["text"], group=row["group"],
                        village=row["village"], source_type=row["source_type"],
                        informant_role=row["informant_role"], informant=row["informant"],
                        date=row["date"], meta=json.loads(row["meta"]), path=row["path"],
                        attributes=json.loads(row["attributes"]))


def segment_rows(segs: Sequence[Segment]) -> list[dict[str, Any]]:
    """Rows of ``segments`` (text is not stored: it is derived from the document)."""
    return [{"segment_id": s.segment_id, "doc_id": s.doc_id, "position": i,
             "kind": s.kind, "parent": s.parent, "speaker": s.speaker, "time": s.time,
             "start": s.start, "end": s.end} for i, s in enumerate(segs)]


def code_row(code: Code, position: int) -> dict[str, Any]:
    """Row of ``codes``; the full definition (cues, examples ...) goes to ``spec`` as JSON."""
    spec = asdict(code)
    spec["patterns"] = [list(map(dict, p)) for p in code.patterns]
    return {"code_id": code.code_id, "position": position, "parent": code.parent,
            "factor": code.factor, "kind": code.kind, "label_en": code.label_en,
            "label_id": code.label_id, "colour": code.colour,
            "spec": json.dumps(spec, ensure_ascii=False)}


def code_from_row(row: Any) -> Code:
    """Rebuild a :class:`Code` from its ``codes`` row."""
    with decoding(f"code {row['code_id']!r}"):
        spec = json.loads(row["spec"])
        spec["patterns"] = tuple(tuple(p) for p in spec.get("patterns", ()))
        for key in ("examples", "phrases", "lemmas", "persons", "positive", "negative"):
            spec[key] = tuple(spec.get(key, ()))
        spec.update(label_en=row["label_en"], label_id=row["label_id"], colour=row["colour"],
                    parent=row["parent"], factor=row["factor"], kind=row["kind"])
        return Code(**spec)


def expand_attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace the JSON column ``attributes`` by one column per attribute name (sorted;
    None where a document has no value)."""
    with decoding("a document's attributes"):
        values = [dict(json.loads(a)) for a in frame["attributes"]]
    names = sorted({k for v in values for k in v})
    out = frame.drop(columns="attributes")
    for name in names:
        out[name] = [v.get(name) for v in values]
    return out


def in_(column: Any, value: str | Sequence[str] | None) -> Any:
    """``column IN (value)`` for a string or a list, or None when there is no filter."""
    if value is None:
        return None
    return column.in_([value] if isinstance(value, str) else list(value))


def codebook_meta(codebook: Codebook) -> dict[str, str | None]:
    """The ``meta`` rows of a codebook's name, version, change log and rules (JSON); None
    where the codebook has none."""
    rules = {topic: [asdict(r) for r in items] for topic, items in codebook.rules.items()}
    return {"codebook_name": codebook.name, "codebook_version": codebook.version,
            "codebook_changelog": json.dumps([asdict(e) for e in codebook.changelog],
                                             ensure_ascii=False) if codebook.changelog else None,
            "codebook_rules": json.dumps(rules, ensure_ascii=False) if rules else None}


def codebook_from_meta(codes: Sequence[Code], meta: Mapping[str, str | None],
                       path: str | None) -> Codebook:
    """Rebuild a :class:`Codebook` from its codes and :func:`codebook_meta` rows."""
    with decoding("the codebook's change log or rules"):
        changelog = tuple(ChangelogEntry(**e) for e in json.loads(
            meta.get("codebook_changelog") or "[]"))
        rules = {topic: tuple(CodingRule(**{**r, "examples": tuple(RuleExample(**x)
                                                                   for x in r["examples"])})
                              for r in items)
                 for topic, items in json.loads(meta.get("codebook_rules") or "{}").items()}
    return Codebook(tuple(codes), name=meta.get("codebook_name") or "codebook", path=path,
                    changelog=changelog, rules=rules)
