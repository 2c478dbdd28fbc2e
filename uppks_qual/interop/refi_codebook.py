"""The codebook part of a REFI-QDA file: ``Code`` elements (under a project's ``CodeBook`` or
a ``.qdc`` file) into a :class:`~uppks_qual.records.Codebook`, with code ids from the
uppks-qual extras or made from the code names, and the naming helpers the reader shares.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import InterchangeError, RefiWarning
from ..errors import warn as _warn
from ..records import Code, Codebook
from .refi_xml import child_text, children, local, norm_guid

__all__ = ["build_codebook"]

DEFAULT_COLOUR = "#777777"

_RGB = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


# --------------------------------------------------------------------------- small helpers
def slug(name: str, sep: str = "_") -> str:
    """ASCII, lower-case, words joined by ``sep`` (``"Kepemimpinan Ninik-Mamak"`` -> ...)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, ascii_name.lower()).strip(sep)


def unique(candidate: str, used: set[str], sep: str,
           counters: dict[str, int] | None = None) -> str:
    """``candidate``, or ``candidate<sep>2``, ``<sep>3``... whichever is not in ``used``.

    ``counters`` (kept by the caller with ``used``) remembers the next number to try for
    each candidate, so that many equal names cost linear, not quadratic, time.
    """
    n = counters.get(candidate, 1) if counters is not None else 1
    value = candidate if n == 1 else f"{candidate}{sep}{n}"
    while value in used:
        n += 1
        value = f"{candidate}{sep}{n}"
    if counters is not None:
        counters[candidate] = n
    used.add(value)
    return value


def colour(value: str | None, inherited: str) -> str:
    """``#rrggbb`` from a REFI colour (``#rgb`` is expanded); ``inherited`` when missing or bad."""
    if not value or not _RGB.match(value.strip()):
        return inherited
    value = value.strip()
    return value if len(value) == 7 else "#" + "".join(c * 2 for c in value[1:])


def warn(message: str) -> None:
    """Emit a :class:`RefiWarning` at the user's line (see :func:`uppks_qual.errors.warn`)."""
    _warn(message, RefiWarning)


# --------------------------------------------------------------------------- codebook
@dataclass(slots=True)
class _CodeNode:
    guid: str
    name: str
    parent: str | None
    description: str
    colour: str | None
    notes: list[str] = field(default_factory=list)


def build_codebook(
    codes_parent: Any,
    path: str | Path,
    *,
    name: str,
    specs: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[Codebook, dict[str, str], dict[str, list[str]]]:
    """Codes under ``CodeBook`` (or its ``Codes``) -> ``(codebook, guid -> code_id, memos)``.

    Ids come from ``specs`` (the uppks-qual extras, keyed by GUID) or from the names:
    slugified, joined to the parent's id with ``.`` and made unique. ``memos`` maps a code
    GUID to the Note GUIDs its ``NoteRef`` elements point to.
    """
    nodes: list[_CodeNode] = []
    holder = next(children(codes_parent, "Codes"), codes_parent)
    seen: set[str] = set()
    for el in children(holder):
        if local(el) == "Code":
            _code_nodes(el, nodes, seen, path)
        elif local(el) != "Codes":
            warn(f"{path}: skipped <{local(el)}> in the code book (not a Code)")
    specs = specs or {}
    used = {str(specs[n.guid]["code_id"]) for n in nodes if n.guid in specs}
    counters: dict[str, int] = {}
    ids: dict[str, str] = {}
    for node in nodes:
        if node.guid in specs:
            ids[node.guid] = str(specs[node.guid]["code_id"])
            continue
        part = slug(node.name) or "code"
        if node.parent is None:
            part = part if part[0].isalpha() else f"c{part}"
            ids[node.guid] = unique(part, used, "_", counters)
        else:
            ids[node.guid] = unique(f"{ids[node.parent]}.{part}", used, "_", counters)
    codes = _codes(nodes, ids, specs)
    order = {guid: i for i, guid in enumerate(specs)}
    codes.sort(key=lambda pair: order.get(pair[0], len(order)))
    memos = {n.guid: n.notes for n in nodes if n.notes}
    return Codebook(tuple(c for _, c in codes), name=name, path=str(path)), ids, memos


def _code_nodes(top: Any, out: list[_CodeNode], seen: set[str], path: str | Path) -> None:
    """Append the ``Code`` element ``top`` and the codes below it to ``out``, parents first
    (depth first, in file order; an explicit stack, so no nesting depth can recurse)."""
    stack: list[tuple[Any, str | None]] = [(top, None)]
    while stack:
        el, parent = stack.pop()
        guid = norm_guid(el.get("guid"))
        if guid is None:
            raise InterchangeError("Code without a guid attribute; every Code needs one",
                                   path=path, line=el.sourceline, element="Code", guid=None)
        if guid in seen:
            raise InterchangeError(f"Code {guid}: the GUID is used by two codes; GUIDs must "
                                   "be unique", path=path, line=el.sourceline, element="Code",
                                   guid=guid)
        seen.add(guid)
        node = _CodeNode(guid, el.get("name") or guid, parent,
                         (child_text(el, "Description") or "").strip(), el.get("color"))
        out.append(node)
        below = []
        for child in children(el):
            kind = local(child)
            if kind == "Code":
                below.append((child, guid))
            elif kind == "NoteRef":
                if (target := norm_guid(child.get("targetGUID"))) is not None:
                    node.notes.append(target)
            elif kind != "Description":
                warn(f"{path}:{child.sourceline}: skipped <{kind}> in Code {guid}")
        stack.extend(reversed(below))


_TUPLE_FIELDS = tuple(f.name for f in fields(Code) if f.default == () and f.name != "patterns")
_CODE_FIELDS = {f.name for f in fields(Code)} - {"line"}


def _codes(nodes: list[_CodeNode], ids: dict[str, str],
           specs: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, Code]]:
    roots: dict[str, str] = {}  # guid -> its top-level code's guid (parents come first)
    colours: dict[str, str] = {}
    out = []
    for node in nodes:
        roots[node.guid] = roots[node.parent] if node.parent is not None else node.guid
        inherited = colours.get(node.parent, DEFAULT_COLOUR) if node.parent else DEFAULT_COLOUR
        colours[node.guid] = colour(node.colour, inherited)
        spec = {k: v for k, v in specs.get(node.guid, {}).items() if k in _CODE_FIELDS}
        spec.setdefault("label_id", node.name)
        spec.setdefault("kind", "factor")
        for key in _TUPLE_FIELDS:
            spec[key] = tuple(str(v) for v in spec.get(key) or ())
        spec["patterns"] = tuple(tuple(dict(t) for t in p) for p in spec.get("patterns") or ())
        spec.update(code_id=ids[node.guid], parent=ids[node.parent] if node.parent else None,
                    factor=ids[roots[node.guid]], label_en=node.name, definition=node.description,
                    colour=colours[node.guid])
        out.append((node.guid, Code(**spec)))
    return out
