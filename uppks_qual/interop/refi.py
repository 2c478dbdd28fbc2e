"""REFI-QDA exchange: projects (``.qdpx``) and codebooks (``.qdc``), QDA-XML 1.0.

REFI-QDA is the standard NVivo, ATLAS.ti, MAXQDA, QualCoder and others exchange projects
with. A ``.qdpx`` is a zip holding ``project.qde`` (XML, namespace
``urn:QDA-XML:project:1.0``) and the source texts under ``sources/``; a ``.qdc`` is a
codebook alone (``urn:QDA-XML:codebook:1.0``). Both schemas ship with the package
(:data:`PROJECT_XSD`, :data:`CODEBOOK_XSD`) and every file written here validates against them.

Positions
    ``startPosition``/``endPosition`` are **Unicode code points** of the exported plain text,
    counted from 0, end exclusive: exactly Python ``str`` indices of ``document.text``
    (an emoji counts 1, not 2 as in UTF-16 or 4 as in UTF-8). The text files are UTF-8,
    LF line ends, NFC. On import, texts with CRLF line ends or decomposed accents are
    normalised like :func:`uppks_qual.textio.normalise` and positions are mapped onto the
    normalised text (:mod:`uppks_qual.interop.offsets`).

What an export holds
    * ``Users``: one per coder and memo author; GUIDs are uuid5 of :data:`GUID_NAMESPACE` and
      the name, so the same coder, code or document gets the same GUID in every export.
    * ``CodeBook``: the code tree (``name`` = English label, ``color``, ``Description`` =
      definition, ``isCodable="true"``); code memos as ``NoteRef``.
    * ``Variables`` and ``Cases``: one Case per document (named by its id, ``SourceRef`` to
      it) with a ``VariableValue`` for group, village, source_type, informant_role, informant,
      date, every other metadata field (Description
      :data:`~uppks_qual.interop.refi_read.META_VARIABLE`; lists, mappings and mixed types as
      JSON text in a variable whose Description is
      :data:`~uppks_qual.interop.refi_read.JSON_VARIABLE`) and every attribute, typed
      (Boolean, Integer, Float, Date for ISO dates, Text; mixed types as JSON text,
      :data:`~uppks_qual.interop.refi_read.ATTRIBUTE_JSON_VARIABLE`).
    * ``Sources``: a ``TextSource`` per document (``name`` = document id,
      ``plainTextPath="internal://<guid>.txt"``; the GUID is the document's ``refi_guid``
      attribute when it has a valid, unused one, so a project imported from another tool
      keeps its GUIDs), one ``PlainTextSelection`` per coded span with one ``Coding`` per
      code and coder (``creatingUser``).
    * Valence, origin and confidence of a coding ride in a ``Note`` named
      :data:`~uppks_qual.interop.refi_read.CODING_NOTE` that the ``Coding`` points to with
      ``NoteRef``; its text is ``valence: positive`` / ``origin: auto`` / ``confidence: 0.8``
      lines (written only when valence is not neutral, origin is auto or a confidence is set;
      other tools show it as a memo on the coding). Memos become ``Notes`` referenced from
      their code, source, coding or the project. With ``history`` (``Project.export_qdpx(
      history=True)``) the project's audit trail is one more project note, named ``History``,
      one line per change.
    * ``uppks-qual.json`` (unless ``extras=False``): what QDA-XML cannot carry, keyed by GUID:
      code ids, Indonesian labels, kinds, cue lists, use-when/not-when/examples, and document
      ids. Other tools ignore it; the import uses it so a round trip keeps the codebook whole.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import itertools
import json
import math
import os
import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from lxml import etree

from .._version import __version__
from ..errors import InterchangeError, RefiWarning, warn
from ..records import Code, Codebook, Document
from .refi_extras import EXTRAS_NAME
from .refi_files import read_file, read_member
from .refi_read import (
    ATTRIBUTE_JSON_VARIABLE,
    CODING_NOTE,
    DOCUMENT_FIELDS,
    GUID_ATTRIBUTE,
    JSON_VARIABLE,
    META_VARIABLE,
    read_project,
    read_qdc,
)
from .refi_xml import local, norm_guid, parse_xml

__all__ = [
    "CODEBOOK_NS",
    "CODEBOOK_XSD",
    "GUID_NAMESPACE",
    "HISTORY_NOTE",
    "PROJECT_NS",
    "PROJECT_XSD",
    "ProjectData",
    "RefiWarning",
    "export_qdc",
    "export_qdpx",
    "guid_for",
    "read_project",
    "read_qdc",
    "validate_refi",
]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_XSD = "Project-mrt2019.xsd"
CODEBOOK_XSD = "Codebook.xsd"
#: Name of the project note that carries the audit trail (``export_qdpx(history=True)``).
HISTORY_NOTE = "History"
GUID_NAMESPACE = uuid.UUID("2c7ca0ec-f7cb-5467-8c15-318f11998d6f")
"""uuid5 namespace of every GUID uppks-qual writes (``uuid5(GUID_NAMESPACE, "code:<id>")``)."""

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_GUID = re.compile(r"^(?:[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|"
                   r"\{[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def guid_for(kind: str, key: str) -> str:
    """The stable GUID of the ``kind`` of thing (``"user"``, ``"code"``, ...) called ``key``.

    Examples
    --------
    >>> guid_for("user", "coder1") == guid_for("user", "coder1")
    True
    >>> len(guid_for("code", "leadership"))
    36
    """
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}")).upper()


def _origin() -> str:
    return f"uppks-qual {__version__}"


# --------------------------------------------------------------------------- XML building
class _Xml:
    """Element factory for one namespace that drops characters XML cannot hold."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def root(self, tag: str, **attrs: str) -> Any:
        return etree.Element(f"{{{self.ns}}}{tag}", _attrs(attrs), nsmap={None: self.ns})

    def add(self, parent: Any, tag: str, text: str | None = None, **attrs: str | None) -> Any:
        el = etree.SubElement(parent, f"{{{self.ns}}}{tag}", _attrs(attrs))
        if text is not None:
            el.text = _clean(text)
        return el


def _attrs(attrs: Mapping[str, str | None]) -> dict[str, str]:
    return {k: _clean(str(v)) for k, v in attrs.items() if v is not None}


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _serialise(root: Any) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _code_tree(xml: _Xml, parent: Any, codebook: Codebook,
               notes: Mapping[str, Sequence[str]] | None = None) -> None:
    """Nested ``Code`` elements in codebook order (``notes``: code id -> Note GUIDs)."""
    kids: dict[str | None, list[Code]] = {}
    for code in codebook:
        kids.setdefault(code.parent if code.parent in codebook else None, []).append(code)

    def add(holder: Any, code: Code) -> None:
        rgb = code.colour if re.fullmatch(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", code.colour) else None
        el = xml.add(holder, "Code", guid=guid_for("code", code.code_id), name=code.label_en,
                     isCodable="true", color=rgb)
        if code.definition:
            xml.add(el, "Description", code.definition)
        for note in (notes or {}).get(code.code_id, ()):
            xml.add(el, "NoteRef", targetGUID=note)
        for child in kids.get(code.code_id, ()):
            add(el, child)

    for code in kids.get(None, ()):
        add(parent, code)


# --------------------------------------------------------------------------- project export
@dataclasses.dataclass(frozen=True, slots=True)
class ProjectData:
    """What an export writes: a project's records and frames, gathered by
    :meth:`uppks_qual.Project.export_qdpx` (this module never reads a project itself).

    ``codings`` is a codings frame (:data:`uppks_qual.schema.CODING_COLUMNS`); ``memos`` has
    ``memo_id, target_type, target_id, author, text, created``; ``settings`` are project
    settings that travel in ``uppks-qual.json`` (e.g. ``provenance``); ``history``, when
    given, the lines of the project's audit trail, written as a project note named
    :data:`HISTORY_NOTE`.
    """

    name: str
    codebook: Codebook
    documents: Sequence[Document]
    codings: pd.DataFrame
    memos: pd.DataFrame
    settings: Mapping[str, str] = dataclasses.field(default_factory=dict)
    history: Sequence[str] | None = None


@dataclasses.dataclass(slots=True)
class _Export:
    """What an export reads from a project, gathered once."""

    name: str
    codebook: Codebook
    documents: list[Document]
    codings: list[SimpleNamespace]  # rows of the codings frame, sorted by document and span
    memos: pd.DataFrame
    users: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> GUID
    notes: list[tuple[str, str, str, str | None, str | None]] = dataclasses.field(
        default_factory=list)  # guid, name, text, author GUID, created
    refs: dict[tuple[str, str], list[str]] = dataclasses.field(default_factory=dict)
    settings: dict[str, str] = dataclasses.field(default_factory=dict)  # e.g. provenance
    sources: dict[str, str] = dataclasses.field(default_factory=dict)  # doc id -> GUID
    history: list[str] | None = None  # lines of the audit trail

    def user(self, name: str) -> str:
        return self.users.setdefault(name, guid_for("user", name))

    def note(self, key: str, name: str, text: str, author: str | None = None,
             created: str | None = None) -> str:
        guid = guid_for("note", key)
        author_guid = self.user(author) if author else None
        stamp = created if created and _ISO_DATETIME.match(created) else None
        self.notes.append((guid, name, text, author_guid, stamp))
        return guid


def export_qdpx(data: ProjectData, path: str | Path, *, extras: bool = True) -> Path:
    """Write a project as a REFI-QDA ``.qdpx`` archive (see the module docstring).

    Parameters
    ----------
    data : ProjectData
        The project's records and frames (``Project.export_qdpx`` gathers them, filtering
        codings by origin when asked).
    path : str or Path
        The archive to write (replaced atomically if it exists).
    extras : bool, default True
        Also write ``uppks-qual.json`` (code ids, cue lists, document ids) so that
        ``Project.import_qdpx`` restores the codebook exactly. Other tools ignore the file.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> project.export_qdpx("uppks.qdpx")                          # doctest: +SKIP
    """
    gathered = _gather(data)
    xml = _Xml(PROJECT_NS)
    root = xml.root("Project", name=gathered.name, origin=_origin())
    _collect_notes(gathered)
    members: list[tuple[str, bytes]] = []
    _build_project(xml, root, gathered, members)
    qde = _serialise(root)
    problems = _schema_problems(qde, PROJECT_XSD)
    if problems:  # pragma: no cover - a bug in this module, not in the user's data
        raise InterchangeError("the exported project.qde does not validate: " + problems[0],
                               path=path, element="Project", guid=None)
    members.insert(0, ("project.qde", qde))
    if extras:
        members.append((EXTRAS_NAME, _extras_json(gathered)))
    return _write_zip(Path(path), members)


def _gather(data: ProjectData) -> _Export:
    frame = data.codings.astype({c: object for c in ("valence", "origin")})
    rows = [SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in frame.to_dict("records")]
    order = {d.doc_id: i for i, d in enumerate(data.documents)}
    rows.sort(key=lambda r: (order[r.doc_id], r.start, r.end, r.code_id, r.coder))
    return _Export(data.name, data.codebook, list(data.documents), rows, data.memos,
                   settings=dict(data.settings), sources=_source_guids(data.documents),
                   history=None if data.history is None else list(data.history))


def _source_guids(documents: Sequence[Document]) -> dict[str, str]:
    """Document id -> TextSource GUID: the ``refi_guid`` attribute (kept as written) when it
    is a GUID no other document uses, else :func:`guid_for`."""
    out: dict[str, str] = {}
    seen: set[str | None] = set()
    for doc in documents:
        kept = doc.attributes.get(GUID_ATTRIBUTE)
        if kept is not None:
            kept = str(kept).strip()
            if _GUID.match(kept) and norm_guid(kept) not in seen:
                out[doc.doc_id] = kept
                seen.add(norm_guid(kept))
                continue
            warn(f"document {doc.doc_id!r}: {GUID_ATTRIBUTE}={kept!r} is not a GUID or is used "
                 "by another document; exported with a new GUID", RefiWarning)
        out[doc.doc_id] = guid_for("source", doc.doc_id)
        seen.add(out[doc.doc_id])
    return out


def _coding_key(row: Any) -> str:
    return f"{row.doc_id}:{row.start}:{row.end}:{row.code_id}:{row.coder}"


def _collect_notes(data: _Export) -> None:
    """Notes for coding attributes and memos, and which element refers to each."""
    keys: dict[int, str] = {}
    for row in data.codings:
        key = _coding_key(row)
        keys[int(row.coding_id)] = key
        lines = _coding_attributes(row)
        if lines:
            guid = data.note(f"coding:{key}", CODING_NOTE, "\n".join(lines))
            data.refs.setdefault(("coding", key), []).append(guid)
    doc_ids = {d.doc_id for d in data.documents}
    memos: Iterable[Any] = data.memos.itertuples(index=False)
    for memo in memos:
        target = str(memo.target_id)
        if memo.target_type == "coding":
            if target.isdigit() and int(target) in keys:
                ref = ("coding", keys[int(target)])
            else:
                continue  # the coding is not exported (filtered by origin)
        elif memo.target_type == "code" and target in data.codebook:
            ref = ("code", target)
        elif memo.target_type == "document" and target in doc_ids:
            ref = ("document", target)
        elif memo.target_type == "project":
            ref = ("project", "")
        else:
            warn(f"memo {memo.memo_id} is on {memo.target_type} {target!r}, which is not in "
                 "the project; not exported", RefiWarning)
            continue
        name = target if memo.target_type == "project" else f"memo on {memo.target_type} {target}"
        guid = data.note(f"memo:{memo.memo_id}", name, str(memo.text), _str(memo.author),
                         _str(memo.created))
        data.refs.setdefault(ref, []).append(guid)
    if data.history is not None:
        guid = data.note("history", HISTORY_NOTE, "\n".join(data.history) or "(no changes)")
        data.refs.setdefault(("project", ""), []).append(guid)


def _str(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _coding_attributes(row: Any) -> list[str]:
    lines = []
    valence = _str(row.valence)
    if valence and valence != "neutral":
        lines.append(f"valence: {valence}")
    if row.origin != "manual":
        lines.append(f"origin: {row.origin}")
    if _str(row.confidence) is not None:
        lines.append(f"confidence: {float(row.confidence)!r}")
    return lines


def _build_project(xml: _Xml, root: Any, data: _Export, members: list[tuple[str, bytes]]) -> None:
    for row in data.codings:
        data.user(str(row.coder))
    if data.users:
        users = xml.add(root, "Users")
        for name, guid in data.users.items():
            xml.add(users, "User", guid=guid, name=name)
    if len(data.codebook):
        code_notes = {k[1]: v for k, v in data.refs.items() if k[0] == "code"}
        _code_tree(xml, xml.add(xml.add(root, "CodeBook"), "Codes"), data.codebook, code_notes)
    _variables_and_cases(xml, root, data)
    if data.documents:
        sources = xml.add(root, "Sources")
        for doc in data.documents:
            members.append(_text_source(xml, sources, doc, data))
    if data.notes:
        notes = xml.add(root, "Notes")
        for guid, name, text, author, created in data.notes:
            note = xml.add(notes, "Note", guid=guid, name=name, creatingUser=author,
                           creationDateTime=created)
            xml.add(note, "PlainTextContent", text)
    for guid in data.refs.get(("project", ""), ()):
        xml.add(root, "NoteRef", targetGUID=guid)


def _text_source(xml: _Xml, sources: Any, doc: Document, data: _Export) -> tuple[str, bytes]:
    guid = data.sources[doc.doc_id]
    member = f"{guid.strip('{}')}.txt"
    source = xml.add(sources, "TextSource", guid=guid, name=doc.doc_id,
                     plainTextPath=f"internal://{member}")
    rows = [r for r in data.codings if r.doc_id == doc.doc_id]
    for (start, end), group in itertools.groupby(rows, key=lambda r: (r.start, r.end)):
        spans = list(group)
        selection = xml.add(source, "PlainTextSelection",
                            guid=guid_for("selection", f"{doc.doc_id}:{start}:{end}"),
                            name=_snippet(str(spans[0].text)), startPosition=str(start),
                            endPosition=str(end), creatingUser=data.user(str(spans[0].coder)))
        for row in spans:
            key = _coding_key(row)
            coding = xml.add(selection, "Coding", guid=guid_for("coding", key),
                             creatingUser=data.user(str(row.coder)))
            xml.add(coding, "CodeRef", targetGUID=guid_for("code", str(row.code_id)))
            for note in data.refs.get(("coding", key), ()):
                xml.add(coding, "NoteRef", targetGUID=note)
    for note in data.refs.get(("document", doc.doc_id), ()):
        xml.add(source, "NoteRef", targetGUID=note)
    return f"sources/{member}", doc.text.encode("utf-8")


def _snippet(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- variables
def _document_values(doc: Document) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(doc, name) for name in DOCUMENT_FIELDS}
    values.update(doc.meta)
    return values


def _variable_type(values: Sequence[Any]) -> str:
    """``typeOfVariable`` for these values; ``"JSON"`` when only JSON text keeps them intact."""
    if all(isinstance(v, bool) for v in values):
        return "Boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Integer"
    if all(isinstance(v, float) and math.isfinite(v) for v in values):
        return "Float"
    if all(isinstance(v, str) for v in values):
        return "Date" if all(_is_date(v) for v in values) else "Text"
    return "JSON"


def _is_date(value: str) -> bool:
    if not _ISO_DATE.match(value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


_VALUE_TAGS = {"Boolean": "BooleanValue", "Integer": "IntegerValue", "Float": "FloatValue",
               "Date": "DateValue", "Text": "TextValue", "JSON": "TextValue"}


def _format_value(kind: str, value: Any) -> str:
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Float":
        return format(Decimal(repr(value)), "f")
    if kind == "JSON":
        return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    return str(value)


@dataclasses.dataclass(frozen=True, slots=True)
class _Variable:
    """One exported Variable and its value for each document (None: no value)."""

    guid: str
    name: str
    kind: str  # a typeOfVariable, or "JSON" (written as Text)
    description: str | None
    values: list[Any]


def _variables(documents: Sequence[Document]) -> list[_Variable]:
    """The metadata variables (fields and ``meta``), then the attribute variables."""
    meta = [_document_values(d) for d in documents]
    attributes = [{k: v for k, v in d.attributes.items() if k != GUID_ATTRIBUTE}
                  for d in documents]
    return [*_family(meta, "variable", META_VARIABLE, JSON_VARIABLE),
            *_family(attributes, "attribute", None, ATTRIBUTE_JSON_VARIABLE)]


def _family(per_doc: Sequence[Mapping[str, Any]], kind: str, scalar: str | None,
            json_text: str) -> list[_Variable]:
    """Variables of one family (GUIDs ``guid_for(kind, name)``), described by ``scalar`` or,
    when only JSON keeps the values, ``json_text``; the document fields need no description."""
    out = []
    for name in dict.fromkeys(k for values in per_doc for k, v in values.items() if v is not None):
        column = [values.get(name) for values in per_doc]
        type_ = _variable_type([v for v in column if v is not None])
        if type_ == "JSON":
            description: str | None = json_text
        else:
            description = None if kind == "variable" and name in DOCUMENT_FIELDS else scalar
        out.append(_Variable(guid_for(kind, name), name, type_, description, column))
    return out


def _variables_and_cases(xml: _Xml, root: Any, data: _Export) -> None:
    variables = _variables(data.documents)
    if not variables:
        return
    holder = xml.add(root, "Variables")
    for var in variables:
        el = xml.add(holder, "Variable", guid=var.guid, name=var.name,
                     typeOfVariable="Text" if var.kind == "JSON" else var.kind)
        if var.description:
            xml.add(el, "Description", var.description)
    cases = xml.add(root, "Cases")
    for i, doc in enumerate(data.documents):
        case = xml.add(cases, "Case", guid=guid_for("case", doc.doc_id), name=doc.doc_id)
        for var in variables:
            if var.values[i] is None:
                continue
            vv = xml.add(case, "VariableValue")
            xml.add(vv, "VariableRef", targetGUID=var.guid)
            xml.add(vv, _VALUE_TAGS[var.kind], _format_value(var.kind, var.values[i]))
        xml.add(case, "SourceRef", targetGUID=data.sources[doc.doc_id])


def _extras_json(data: _Export) -> bytes:
    codes = {}
    for code in data.codebook:
        spec = dataclasses.asdict(code)
        spec.pop("line", None)
        codes[guid_for("code", code.code_id)] = spec
    extras = {
        "format": "uppks-qual", "version": 1, "written_by": _origin(),
        "codebook_name": data.codebook.name, "codes": codes,
        "documents": {data.sources[d.doc_id]: d.doc_id for d in data.documents},
        "settings": data.settings,
    }
    return json.dumps(extras, ensure_ascii=False, indent=1, default=str).encode("utf-8")


def _write_zip(path: Path, members: Iterable[tuple[str, bytes]]) -> Path:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, payload in members:
                archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), payload,
                                 compress_type=zipfile.ZIP_DEFLATED)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _write_bytes(path: Path, payload: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(payload)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------- codebooks
def export_qdc(codebook: Codebook, path: str | Path, *, origin: str | None = None) -> Path:
    """Write a codebook as a REFI-QDA ``.qdc`` file (``urn:QDA-XML:codebook:1.0``).

    The file holds the code tree, English labels (``name``), colours and definitions
    (``Description``); ids, Indonesian labels and cues are not part of the standard, so
    keep ``codebook.yaml`` as the master copy.

    Examples
    --------
    >>> import uppks_qual as uq
    >>> export_qdc(uq.load_codebook("codebook.yaml"), "codebook.qdc")   # doctest: +SKIP
    """
    if not len(codebook):
        raise InterchangeError("the codebook has no codes; a .qdc needs at least one Code",
                               path=path, element="CodeBook", guid=None)
    xml = _Xml(CODEBOOK_NS)
    root = xml.root("CodeBook", origin=origin or _origin())
    _code_tree(xml, xml.add(root, "Codes"), codebook)
    return _write_bytes(Path(path), _serialise(root))


# --------------------------------------------------------------------------- validation
def _schema(name: str) -> Any:
    return _SCHEMAS.setdefault(name, etree.XMLSchema(etree.parse(
        str(resources.files("uppks_qual.interop").joinpath("schemas", name)))))


_SCHEMAS: dict[str, Any] = {}


def _schema_problems(xml: bytes, name: str) -> list[str]:
    schema = _schema(name)
    doc = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True,
                                                load_dtd=False, huge_tree=True))
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def validate_refi(path: str | Path) -> list[str]:
    """Schema problems of a ``.qdpx``, ``.qde`` or ``.qdc`` file (an empty list: valid).

    Uses the packaged QDA-XML schemas (:data:`PROJECT_XSD`, :data:`CODEBOOK_XSD`).

    Examples
    --------
    >>> validate_refi("uppks.qdpx")                          # doctest: +SKIP
    []
    """
    path = Path(path)
    # read within the limits, as an import would
    data = read_member(path, "project.qde") if zipfile.is_zipfile(path) else read_file(path)
    root = parse_xml(data, path, what=path.name)
    name = CODEBOOK_XSD if local(root) == "CodeBook" else PROJECT_XSD
    return _schema_problems(data, name)
