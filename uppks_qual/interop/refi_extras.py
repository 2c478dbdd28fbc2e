"""The ``uppks-qual.json`` extras of a REFI-QDA export (code ids and cues, document ids),
checked field by field, and the JSON nesting-depth check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .. import limits
from ..errors import InterchangeError, InterchangeLimitError
from ..records import CODE_ID, CODE_KINDS, pattern_problem
from .refi_xml import norm_guid

__all__ = ["EXTRAS_NAME"]

EXTRAS_NAME = "uppks-qual.json"
"""Archive member with what QDA-XML cannot carry (code ids and cue lists, document ids)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _json_depth(text: str, path: Path, what: str, **where: Any) -> None:
    """Refuse JSON nested deeper than ``max_depth`` (before ``json.loads`` recurses)."""
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    limits.check("max_depth", deepest, path=path, what=f"nesting depth of {what}",
                 error=InterchangeLimitError, **{"element": None, "guid": None, **where})


_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class _ExtrasError(Exception):
    """A problem in uppks-qual.json: ``(element, what is wrong)``."""


def _extras(data: bytes, path: Path) -> dict[str, Any]:
    """The validated uppks-qual extras (:data:`EXTRAS_NAME`): codes and documents keyed by
    normalised GUID. Anything malformed is an InterchangeError naming the element."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InterchangeError(f"{EXTRAS_NAME} is not UTF-8 (byte {exc.start}); delete it "
                               "from the archive to import without it", path=path,
                               element=EXTRAS_NAME, guid=None) from None
    _json_depth(text, path, EXTRAS_NAME, element=EXTRAS_NAME)
    try:
        extras = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InterchangeError(f"{EXTRAS_NAME} is not valid JSON ({exc.msg}, its line "
                               f"{exc.lineno}); delete it from the archive to import without "
                               "it", path=path, element=EXTRAS_NAME, guid=None) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of 5,000 digits
        raise InterchangeError(f"{EXTRAS_NAME} is not valid JSON ({exc}); delete it from the "
                               "archive to import without it", path=path,
                               element=EXTRAS_NAME, guid=None) from None
    try:
        return _check_extras(extras)
    except _ExtrasError as exc:
        element, problem = exc.args
        raise InterchangeError(f"{EXTRAS_NAME}: {element}: {problem}; uppks-qual writes this "
                               "file with its exports: fix it, or delete it from the archive "
                               "to import without it (code and document ids are then made "
                               "from the names)", path=path, element=f"{EXTRAS_NAME}:{element}",
                               guid=None) from None


def _kind_of(value: Any) -> str:
    """What a JSON value is, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return "a list" if isinstance(value, list) else "a mapping"


def _by_guid(value: Any, element: str) -> dict[str, Any]:
    """A JSON mapping keyed by GUIDs, with the keys normalised (two spellings of one GUID
    are a problem)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _ExtrasError(element, f"must be a mapping keyed by GUID, not {_kind_of(value)}")
    out: dict[str, Any] = {}
    for key, item in value.items():
        guid = norm_guid(key)
        if guid is None:
            raise _ExtrasError(element, f"key {key!r} is not a GUID")
        if guid in out:
            raise _ExtrasError(f"{element}.{key}", "the GUID appears twice (in different "
                               "spellings)")
        out[guid] = item
    return out


def _check_extras(extras: Any) -> dict[str, Any]:
    if not isinstance(extras, dict) or extras.get("format") != "uppks-qual":
        raise _ExtrasError("format", "not an uppks-qual extras file (needs a mapping with "
                           "format='uppks-qual', and mappings 'codes', 'documents')")
    version = extras.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _ExtrasError("version", f"must be a whole number from 1, not {_kind_of(version)}")
    name = extras.get("codebook_name")
    if name is not None and not (isinstance(name, str) and not _CONTROL.search(name)):
        raise _ExtrasError("codebook_name", f"must be text without control characters, not "
                           f"{_kind_of(name)}")
    codes = {guid: _code_spec(guid, spec) for guid, spec in
             _by_guid(extras.get("codes"), "codes").items()}
    owner: dict[str, str] = {}
    for guid, spec in codes.items():
        if spec["code_id"] in owner:
            raise _ExtrasError(f"codes.{guid}.code_id", f"code id {spec['code_id']!r} is also "
                               f"the id of code {owner[spec['code_id']]}; code ids must be "
                               "unique")
        owner[spec["code_id"]] = guid
    documents = _by_guid(extras.get("documents"), "documents")
    for guid, doc_id in documents.items():
        if not (isinstance(doc_id, str) and doc_id.strip() and len(doc_id) <= 255
                and not _CONTROL.search(doc_id)):
            raise _ExtrasError(f"documents.{guid}", "a document id must be non-empty text of "
                               f"at most 255 characters without control characters, not "
                               f"{_kind_of(doc_id)}")
        documents[guid] = doc_id.strip()
    settings = extras.get("settings")
    if settings is not None and not isinstance(settings, dict):
        raise _ExtrasError("settings", f"must be a mapping, not {_kind_of(settings)}")
    provenance = (settings or {}).get("provenance")
    if provenance is not None and not isinstance(provenance, str):
        raise _ExtrasError("settings.provenance", f"must be text, not {_kind_of(provenance)}")
    return {**extras, "codebook_name": name or None, "codes": codes, "documents": documents,
            "settings": {"provenance": provenance} if provenance else {}}


_TEXT_FIELDS = ("label_id", "use_when", "not_when")
_CUE_FIELDS = ("phrases", "lemmas", "persons", "positive", "negative")


def _code_spec(guid: str, spec: Any) -> dict[str, Any]:
    """One code's extras, checked: the fields a :class:`~uppks_qual.records.Code` takes
    from them (the others, and unknown keys, are ignored: the XML has them)."""
    where = f"codes.{guid}"
    if not isinstance(spec, dict):
        raise _ExtrasError(where, f"must be a mapping, not {_kind_of(spec)}")
    code_id = spec.get("code_id")
    if not (isinstance(code_id, str) and CODE_ID.match(code_id)):
        raise _ExtrasError(f"{where}.code_id", f"{_kind_of(code_id)} is not a code id: use "
                           "lower-case letters, digits, '_' and '.' (e.g. leader_support.formal)")
    out: dict[str, Any] = {"code_id": code_id}
    for key in _TEXT_FIELDS:
        value = spec.get(key)
        if value is not None and not isinstance(value, str):
            raise _ExtrasError(f"{where}.{key}", f"must be text, not {_kind_of(value)}")
        if value is not None:
            out[key] = value
    kind = spec.get("kind")
    if kind is not None:
        if kind not in CODE_KINDS:
            raise _ExtrasError(f"{where}.kind", f"must be one of {', '.join(CODE_KINDS)}, not "
                               f"{_kind_of(kind)}")
        out["kind"] = kind
    for key in ("examples", *_CUE_FIELDS):
        value = spec.get(key)
        if value is None:
            continue
        cue = key != "examples"
        if not (isinstance(value, list) and all(isinstance(v, str) and (v.strip() or not cue)
                                                for v in value)):
            raise _ExtrasError(f"{where}.{key}", "must be a list of "
                               f"{'non-empty ' if cue else ''}strings")
        out[key] = tuple(v.strip() if cue else v for v in value)
    patterns = spec.get("patterns")
    if patterns is not None:
        out["patterns"] = _patterns(patterns, f"{where}.patterns")
    return out


def _patterns(value: Any, where: str) -> tuple[tuple[dict[str, Any], ...], ...]:
    """Token patterns checked as a codebook checks them (a list of non-empty lists of token
    mappings with known keys and scalar or operator-mapping values)."""
    if not isinstance(value, list):
        raise _ExtrasError(where, f"must be a list of token patterns, not {_kind_of(value)}")
    out = []
    for i, pattern in enumerate(value, 1):
        problem = pattern_problem(pattern)
        if problem:
            raise _ExtrasError(f"{where}[{i}]", problem)
        out.append(tuple(dict(t) for t in pattern))
    return tuple(out)
