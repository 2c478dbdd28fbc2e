"""Reading REFI-QDA projects (``.qdpx``/``.qde``) and codebooks into uppks-qual records.

This module only *reads*: :func:`read_project` turns an archive or XML file into an
:class:`ImportedProject` (codebook, documents, codings, memos) and raises
:class:`~uppks_qual.errors.InterchangeError` before anything is written. Writing the project
file is :meth:`uppks_qual.Project.import_qdpx`'s job.

Elements are matched by local name, so files without the QDA-XML namespace (or with an older
one) are read too. The reader is lenient where other tools differ (``{GUID}`` braces, lower
or upper case GUIDs, ``Code`` elements directly under ``CodeBook``) and strict where data
would be lost silently (missing files, positions outside the text, dangling code references).

What the importers trust and refuse
-----------------------------------
A REFI-QDA file is treated as untrusted input (a project received by e-mail):

* **Files.** A ``.qdpx`` may read only its own members: a ``TextSource``/``Note``
  ``plainTextPath`` or ``richTextPath`` (``internal://``, ``relative://`` or a plain relative
  path) is looked up among the archive's members and nowhere else. A bare ``.qde`` may read
  only files inside its own folder (``basePath`` and every reference are resolved, symbolic
  links followed, and the result must stay inside that folder). Refused with an
  :class:`~uppks_qual.errors.InterchangeError` naming the source (element, GUID, name, line)
  and the reference: ``file://`` and ``absolute://`` URLs and absolute paths (``/etc/x``,
  ``C:/x``, ``\\\\server\\share``) outside that folder, any path with a ``..`` segment
  (also percent-encoded), a ``basePath`` or symbolic link leading outside the folder, NUL
  characters, and URLs of any other scheme (``http://`` ...: nothing is ever fetched over
  the network). ``read_project(..., allow_external=True)`` (``Project.import_qdpx(...,
  allow_external=True)``, CLI ``uppks-qual import-qdpx --allow-external``) lifts the file
  rule for a project you trust, so that linked sources on your disk are read; URLs stay
  refused.
* **Archives.** A member is never extracted to disk, so member names with ``..`` or an
  absolute path (zip-slip) are harmless names. Refused: a file that is not a readable zip
  (truncated, damaged, a ``.qdpx`` that is not a zip at all), two members with the same name,
  encrypted members, compression methods other than stored/deflate/bzip2/lzma, and members
  whose content does not match their checksum.
* **XML.** Parsed by lxml with no DTD loading, no entity resolution and no network. Any
  document type declaration (``<!DOCTYPE``, with or without entities) is refused naming the
  line: REFI-QDA files have none, and a DTD is how XML external entities (XXE) and entity
  bombs work. An undefined entity (``&xxe;``) is a well-formedness error naming the line, so
  no text after it is ever dropped silently. Comments and processing instructions are
  ignored.
* **uppks-qual.json** (the extras uppks-qual adds to its exports) is validated field by
  field: mappings where mappings belong, code ids per the codebook's id rule (lower-case
  letters, digits, ``_`` and ``.``) and unique, cue lists of non-empty strings, token
  patterns as in a codebook, document ids as non-empty text without control characters.

Limits (:mod:`uppks_qual.limits`), checked while streaming, before the memory is spent; a
file over a limit raises :class:`~uppks_qual.errors.InterchangeLimitError` (both an
``InterchangeError`` and a ``LimitError``) naming the file, the member or line and the limit:

* ``max_member_bytes`` (default 1 GiB): one archive member, inflated (project.qde, a source,
  uppks-qual.json, a part of an embedded ``.docx``); the size the archive declares is
  checked before reading, the bytes actually inflated while reading (1 MiB at a time).
* ``max_archive_bytes`` (default 4 GiB): all members read from one archive together
  (a member read twice counts twice), embedded ``.docx`` parts included.
* ``max_compression_ratio`` (default 1000): inflated / compressed size of any member (or
  ``.docx`` part) larger than 1 MiB; text compresses 3-10 times, a zip bomb 1000 times.
* ``max_file_bytes`` (default 512 MiB): a bare ``.qde`` or ``.qdc`` file, and each file read
  from disk (sources next to a ``.qde``, or external ones with ``allow_external=True``).
* ``max_xml_elements`` (default 20,000,000) and ``max_depth`` (default 100): elements in one
  XML file and their nesting depth, counted as the parser streams (64 KiB at a time); the
  nesting depth of uppks-qual.json and of JSON-encoded variable values too.
* ``max_text_chars`` (default 50,000,000): characters of one source's text.

The pieces live in :mod:`.refi_xml` (XML parsing), :mod:`.refi_files` (archives, files and
their sandbox), :mod:`.refi_extras` (``uppks-qual.json``) and :mod:`.refi_codebook` (the
codebook from ``Code`` elements).
"""

from __future__ import annotations

import json
import re
import unicodedata
import urllib.parse
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .. import limits
from ..errors import InterchangeError, InterchangeLimitError, ParameterError, RefiWarning
from ..records import CODE_ID as CODE_ID  # re-exported: the code id rule refi_extras checks
from ..records import (
    DOCUMENT_FIELDS,
    ORIGINS,
    RESERVED_ATTRIBUTES,
    SOURCE_TYPES,
    VALENCES,
    Codebook,
    Coding,
    Document,
    check_attributes,
)
from ..records import pattern_problem as pattern_problem  # re-exported: its pattern rule
from .offsets import OffsetMap, normalise_with_offsets
from .refi_codebook import build_codebook, slug, unique, warn
from .refi_extras import EXTRAS_NAME, _extras, _json_depth
from .refi_files import (
    _Archive,
    _Budget,
    _docx_text,
    _file_chunks,
    _Files,
    _is_zip,
    _limit,
    _open_zip,
    _read_file,
    _Refused,
    _split_ref,
    read_file,
    read_member,
)
from .refi_xml import child_text, children, local, norm_guid, parse_stream, parse_xml

__all__ = [
    "ATTRIBUTE_JSON_VARIABLE",
    "CODING_NOTE",
    "DOCUMENT_FIELDS",
    "EXTRAS_NAME",
    "GUID_ATTRIBUTE",
    "JSON_VARIABLE",
    "META_VARIABLE",
    "ImportedMemo",
    "ImportedProject",
    "RefiWarning",
    "build_codebook",
    "parse_stream",
    "parse_xml",
    "read_file",
    "read_member",
    "read_project",
    "read_qdc",
]

CODING_NOTE = "uppks-qual coding"
"""Name of the Note that carries a coding's valence, origin and confidence."""
JSON_VARIABLE = "uppks-qual: values are JSON-encoded"
"""Description of a metadata Variable whose TextValues are JSON (lists, mappings, mixed types)."""
META_VARIABLE = "uppks-qual: document metadata"
"""Description of a Variable that holds a metadata field (``Document.meta``), not an attribute."""
ATTRIBUTE_JSON_VARIABLE = "uppks-qual: attribute values are JSON-encoded"
"""Description of an attribute Variable whose values mix types (JSON-encoded TextValues)."""
GUID_ATTRIBUTE = "refi_guid"
"""The attribute that keeps a document's TextSource GUID (export reuses it)."""
UNKNOWN = "unknown"
FIELD_DEFAULTS = {"group": "", "village": "", "source_type": "document", "informant_role": "",
                  "informant": "", "date": UNKNOWN}
"""Document fields (:data:`DOCUMENT_FIELDS`) of a source without a variable of that name."""
RICH_SUFFIXES = (".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".md", ".html", ".htm")

_SKIPPED_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")


@dataclass(frozen=True, slots=True)
class ImportedMemo:
    """A memo to attach after the codings exist (``coding`` indexes ``ImportedProject.codings``)."""

    on: str
    target: str
    text: str
    author: str | None = None
    coding: int | None = None


@dataclass(slots=True)
class ImportedProject:
    """Everything read from a REFI-QDA project, validated and ready to write."""

    name: str
    codebook: Codebook
    documents: list[Document]
    codings: list[Coding]
    memos: list[ImportedMemo]
    settings: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- small helpers
def document_id(name: str, used: set[str], counters: dict[str, int] | None = None) -> str:
    """A document id from a source name: file suffix dropped, lower-case ASCII, unique.

    Letters, digits, ``_``, ``.`` and ``-`` are kept; other runs become ``-``
    (``"A1 Ketua Kelompok.docx"`` -> ``"a1-ketua-kelompok"``).
    """
    stem = name.strip()
    for suffix in RICH_SUFFIXES:
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    ascii_name = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9_.-]+", "-", ascii_name.lower()).strip("-_.")
    return unique(stem or "doc", used, "-", counters)


# --------------------------------------------------------------------------- project reader
@dataclass(slots=True)
class _Source:
    guid: str  # normalised (upper case, no braces)
    written_guid: str  # as the file spells it: kept as the ``refi_guid`` attribute
    name: str  # for messages: the title, else the GUID
    title: str | None  # the source's name, else its file name without extension
    doc_id: str
    offsets: OffsetMap
    values: dict[str, Any] = field(default_factory=dict)  # variables (attributes or fields)
    meta: dict[str, Any] = field(default_factory=dict)  # uppks-qual metadata variables, case
    description: str = ""


@dataclass(slots=True)
class _PendingCoding:
    source: _Source
    start: int
    end: int
    code: str
    coder: str
    origin: str = "manual"
    valence: str | None = None
    confidence: float | None = None


@dataclass(slots=True)
class _Note:
    name: str
    text: str
    author: str | None


@dataclass(slots=True)
class _Variable:
    name: str
    kind: str
    json: bool  # TextValues are JSON-encoded
    meta: bool  # a metadata field written by uppks-qual, not an attribute


class _Reader:
    """One pass over a project XML tree; collects records and raises on the first problem."""

    def __init__(self, path: Path, files: _Files, extras: Mapping[str, Any]) -> None:
        self.path = path
        self.files = files
        self.extras = extras
        self.users: dict[str, str] = {}
        self.code_ids: dict[str, str] = {}
        self.variables: dict[str, _Variable] = {}
        self.notes: dict[str, _Note] = {}
        self.sources: dict[str, _Source] = {}
        self.skipped_sources: set[str] = set()
        self.codings: list[_PendingCoding] = []
        self.note_refs: list[tuple[str, str, str, int | None]] = []  # note, on, target, coding
        self.inline_memos: list[ImportedMemo] = []
        self.used_docs: set[str] = set()
        self.doc_counters: dict[str, int] = {}
        self.attribute_counters: dict[str, int] = {}
        self.attribute_names: dict[str, str] = {}  # variable name -> attribute name
        self.used_attributes: set[str] = {*RESERVED_ATTRIBUTES, GUID_ATTRIBUTE}
        self.default_user: str | None = None
        self.counts: dict[str, int] = {}

    # -- errors and warnings
    def fail(self, el: Any, message: str) -> InterchangeError:
        kind = local(el)
        guid = norm_guid(el.get("guid"))
        head = f"{kind} {guid}" if guid else kind
        return InterchangeError(f"{head}: {message}", path=self.path, line=el.sourceline,
                                element=kind, guid=guid)

    def skip(self, el: Any, where: str) -> None:
        warn(f"{self.path}:{el.sourceline}: skipped <{local(el)}> in {where}; uppks-qual does "
             "not import it")

    # -- the whole project
    def read(self, root: Any) -> ImportedProject:
        if local(root) != "Project":
            raise InterchangeError(f"the root element is <{local(root)}>, not <Project>; is this "
                                   "a REFI-QDA project (.qdpx/.qde)?", path=self.path,
                                   line=root.sourceline, element=local(root), guid=None)
        self.default_user = norm_guid(root.get("creatingUserGUID"))
        parts = {local(el): el for el in children(root)}

        def part(name: str, tag: str | None = None) -> Iterator[Any]:
            return children(parts[name], tag) if name in parts else iter(())

        for el in children(root):
            if local(el) not in ("Users", "CodeBook", "Variables", "Cases", "Sources", "Notes",
                                 "Description", "NoteRef"):
                self.skip(el, "Project")
        for user in part("Users", "User"):
            self._user(user)
        codebook, memos = self._codebook(parts.get("CodeBook"), root.get("name") or "codebook")
        for var in part("Variables", "Variable"):
            self._variable(var)
        for note in part("Notes", "Note"):
            self._note(note)
        for el in part("Sources"):
            self._source(el)
        for case in part("Cases", "Case"):
            self._case(case)
        self._report_skips()
        for code_guid, notes in memos.items():
            self.note_refs += [(n, "code", self.code_ids[code_guid], None) for n in notes]
        for ref in children(root, "NoteRef"):
            self._note_ref(ref, "project", "", None)
        description = (child_text(root, "Description") or "").strip()
        if description:
            self.inline_memos.append(ImportedMemo("project", "description", description))
        return self._result(root.get("name") or self.path.stem, codebook)

    def _result(self, name: str, codebook: Codebook) -> ImportedProject:
        codings = [Coding(p.source.doc_id, p.start, p.end, self.code_ids[p.code], p.coder,
                          p.origin, p.valence, p.confidence, None,
                          p.source.offsets.text[p.start:p.end]) for p in self.codings]
        memos = self.inline_memos + self._memos()
        docs = [self._document(s) for s in self.sources.values()]
        renamed = [f"{old!r} -> {new!r}" for old, new in self.attribute_names.items() if old != new]
        if renamed:
            warn(f"{self.path}: renamed variable(s) to valid attribute names (letters, digits "
                 f"and '_', not a column name): {', '.join(renamed)}")
        settings = {str(k): str(v) for k, v in (self.extras.get("settings") or {}).items()
                    if k in ("provenance",)}
        return ImportedProject(name, codebook, docs, codings, memos, settings)

    # -- users, codes, variables, notes
    def _user(self, el: Any) -> None:
        guid = norm_guid(el.get("guid"))
        if guid is None:
            raise self.fail(el, "User without a guid attribute")
        self.users[guid] = el.get("name") or el.get("id") or guid

    def user_name(self, guid: str | None, el: Any) -> str:
        guid = norm_guid(guid) or self.default_user
        if guid is None:
            return UNKNOWN
        if guid not in self.users:
            warn(f"{self.path}:{el.sourceline}: user {guid} is not in <Users>; using the GUID "
                 "as the coder name")
            self.users[guid] = guid
        return self.users[guid]

    def _codebook(self, el: Any, name: str) -> tuple[Codebook, dict[str, list[str]]]:
        specs = self.extras.get("codes", {})
        name = self.extras.get("codebook_name") or name
        if el is None:
            return Codebook((), name=name, path=str(self.path)), {}
        codebook, self.code_ids, memos = build_codebook(el, self.path, name=name, specs=specs)
        return codebook, memos

    def _variable(self, el: Any) -> None:
        guid = norm_guid(el.get("guid"))
        if guid is None or not el.get("name"):
            raise self.fail(el, "Variable needs guid and name attributes")
        desc = (child_text(el, "Description") or "").strip()
        self.variables[guid] = _Variable(el.get("name"), el.get("typeOfVariable") or "Text",
                                         desc in (JSON_VARIABLE, ATTRIBUTE_JSON_VARIABLE),
                                         desc in (JSON_VARIABLE, META_VARIABLE))

    def _note(self, el: Any) -> None:
        guid = norm_guid(el.get("guid"))
        if guid is None:
            raise self.fail(el, "Note without a guid attribute")
        text = self._text(el, required=False)
        if text is None:
            text = child_text(el, "Description") or ""
        author = el.get("creatingUser")
        self.notes[guid] = _Note(el.get("name") or "", text,
                                 self.user_name(author, el) if author else None)

    # -- sources
    def _source(self, el: Any) -> None:
        kind = local(el)
        if kind != "TextSource":
            self._count_skip(kind, el)
            return
        guid = norm_guid(el.get("guid"))
        if guid is None:
            raise self.fail(el, "TextSource without a guid attribute")
        if guid in self.sources:
            raise self.fail(el, "two sources have this GUID; GUIDs must be unique")
        raw = self._text(el, required=True)
        if raw is None:  # a rich text format uppks-qual cannot read: skipped with a warning
            self.skipped_sources.add(guid)
            return
        title = (el.get("name") or "").strip() or _file_title(el, guid)
        known = self.extras.get("documents", {}).get(guid)
        doc_id = unique(known, self.used_docs, "-", self.doc_counters) if known else \
            document_id(title or guid, self.used_docs, self.doc_counters)
        limits.check("max_text_chars", len(raw), path=self.path,
                     what=f"length in characters of the text of TextSource {guid} "
                          f"({title or guid!r})", error=InterchangeLimitError,
                     line=el.sourceline, element="TextSource", guid=guid)
        source = _Source(guid, el.get("guid").strip(), title or guid, title, doc_id,
                         normalise_with_offsets(raw))
        self.sources[guid] = source
        for child in children(el):
            self._source_child(child, source, el.get("creatingUser"))

    def _source_child(self, child: Any, source: _Source, user: str | None) -> None:
        kind = local(child)
        if kind == "PlainTextSelection":
            self._selection(child, source, user)
        elif kind == "Coding":  # the whole source is coded
            if source.offsets.text:
                self._coding(child, source, 0, len(source.offsets.text), user)
        elif kind == "NoteRef":
            self._note_ref(child, "document", source.doc_id, None)
        elif kind == "VariableValue":
            var, value = self._value(child)
            self._keep(source, var, value, child)
        elif kind == "Description":
            source.description = (child.text or "").strip()
        elif kind != "PlainTextContent":
            self.skip(child, f"TextSource {source.guid}")

    def _text(self, el: Any, *, required: bool) -> str | None:
        """The plain text of a TextSource or Note (None: absent, or unreadable rich text)."""
        content = child_text(el, "PlainTextContent")
        if content is not None:
            return content
        for attr in ("plainTextPath", "richTextPath"):
            ref = el.get(attr)
            if not ref:
                continue
            if attr == "richTextPath" and not ref.lower().endswith(".docx"):
                warn(f"{self.path}:{el.sourceline}: skipped {local(el)} {el.get('guid')}: its "
                     f"only text is {ref!r}; uppks-qual reads plain text and .docx")
                return None
            try:
                data = self.files.read(ref)
            except _Refused as exc:
                named = f" of {el.get('name')!r}" if el.get("name") else ""
                raise self.fail(el, f"{attr} {ref!r}{named} {exc}") from None
            if data is None:
                raise self.fail(el, f"{attr} {ref!r} is not in the archive or next to the "
                                    "project file; add the file or embed the text")
            if attr == "plainTextPath":
                return self._decode(data, el, ref)
            return self._docx(data, el, ref)
        if required:
            raise self.fail(el, "has no text: give PlainTextContent, plainTextPath or "
                                "richTextPath (.docx)")
        return None

    def _decode(self, data: bytes, el: Any, ref: str) -> str:
        data = data.removeprefix(b"\xef\xbb\xbf")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.fail(el, f"{ref!r} is not valid UTF-8 (byte {exc.start}); REFI-QDA "
                                "plain text files are UTF-8") from None

    def _docx(self, data: bytes, el: Any, ref: str) -> str:
        problem = self.files.budget.inner_zip(data, ref)
        if problem is not None:
            raise self.fail(el, f"{ref!r} is not a readable .docx file ({problem})")
        try:
            return _docx_text(data)
        except Exception as exc:  # python-docx raises several kinds for a broken package
            raise self.fail(el, f"{ref!r} is not a readable .docx file ({exc})") from None

    def _count_skip(self, kind: str, el: Any) -> None:
        self.skipped_sources.add(norm_guid(el.get("guid")) or "")
        self.counts[kind] = self.counts.get(kind, 0) + 1
        n = sum(1 for _ in el.iter("{*}Coding"))
        self.counts[f"{kind}:codings"] = self.counts.get(f"{kind}:codings", 0) + n

    def _report_skips(self) -> None:
        for kind in _SKIPPED_SOURCES:
            if self.counts.get(kind):
                warn(f"{self.path}: skipped {self.counts[kind]} {kind} element(s) with "
                     f"{self.counts[f'{kind}:codings']} coding(s); uppks-qual imports text "
                     "sources only")
        if self.counts.get("free"):
            warn(f"{self.path}: skipped {self.counts['free']} PlainTextSelection(s) without "
                 "a Coding (uppks-qual keeps coded spans only)")

    # -- selections and codings
    def _selection(self, el: Any, source: _Source, user: str | None) -> None:
        start, end = self._position(el, "startPosition"), self._position(el, "endPosition")
        n = source.offsets.raw_length
        if not 0 <= start <= end <= n:
            raise self.fail(el, f"selection [{start}, {end}) is outside TextSource "
                                f"{source.name!r} ({source.guid}) of {n} characters; positions "
                                f"must satisfy 0 <= startPosition <= endPosition <= {n}")
        a, b = source.offsets.start(start), source.offsets.end(end)
        if a >= b:
            warn(f"{self.path}:{el.sourceline}: skipped empty PlainTextSelection "
                 f"{el.get('guid')} [{start}, {end})")
            return
        first = len(self.codings)
        user = el.get("creatingUser") or user
        for child in children(el):
            if local(child) == "Coding":
                self._coding(child, source, a, b, user)
            elif local(child) not in ("Description", "NoteRef"):
                self.skip(child, f"PlainTextSelection {el.get('guid')}")
        made = range(first, len(self.codings))
        if not made:
            self.counts["free"] = self.counts.get("free", 0) + 1
        description = (child_text(el, "Description") or "").strip()
        for i in made:
            if description:
                self.inline_memos.append(ImportedMemo("coding", "", description, None, i))
            for ref in children(el, "NoteRef"):
                self._note_ref(ref, "coding", "", i)

    def _position(self, el: Any, attr: str) -> int:
        value = el.get(attr)
        try:
            return int(str(value).strip())
        except ValueError:
            raise self.fail(el, f"{attr}={value!r} is not an integer") from None

    def _coding(self, el: Any, source: _Source, start: int, end: int, user: str | None) -> None:
        ref = next(children(el, "CodeRef"), None)
        target = norm_guid(ref.get("targetGUID")) if ref is not None else None
        if target is None:
            raise self.fail(el, "has no CodeRef targetGUID; a Coding must name its code")
        if target not in self.code_ids:
            raise self.fail(el, f"CodeRef targetGUID {target} is not a Code in the CodeBook; "
                                "define the code or remove the coding")
        coder = self.user_name(el.get("creatingUser") or user, el)
        pending = _PendingCoding(source, start, end, target, coder)
        for note_ref in children(el, "NoteRef"):
            note = self.notes.get(norm_guid(note_ref.get("targetGUID")) or "")
            if note is not None and note.name == CODING_NOTE:
                self._coding_attributes(note, pending, el)
            else:
                self._note_ref(note_ref, "coding", "", len(self.codings))
        self.codings.append(pending)

    def _coding_attributes(self, note: _Note, pending: _PendingCoding, el: Any) -> None:
        values = {}
        for line in note.text.splitlines():
            key, _, value = line.partition(":")
            values[key.strip()] = value.strip()
        valence, origin = values.get("valence") or None, values.get("origin") or "manual"
        if (valence is not None and valence not in VALENCES) or origin not in ORIGINS:
            raise self.fail(el, f"its {CODING_NOTE!r} note has valence={valence!r}, "
                                f"origin={origin!r}; allowed: {VALENCES} and {ORIGINS}")
        pending.valence, pending.origin = valence, origin
        if values.get("confidence"):
            try:
                pending.confidence = float(values["confidence"])
            except ValueError:
                raise self.fail(el, f"confidence {values['confidence']!r} in its "
                                    f"{CODING_NOTE!r} note is not a number") from None

    # -- notes -> memos
    def _note_ref(self, el: Any, on: str, target: str, coding: int | None) -> None:
        guid = norm_guid(el.get("targetGUID"))
        if guid is not None:
            self.note_refs.append((guid, on, target, coding))

    def _memos(self) -> list[ImportedMemo]:
        out, used = [], set()
        for guid, on, target, coding in self.note_refs:
            note = self.notes.get(guid)
            if note is None:
                warn(f"{self.path}: NoteRef to {guid}, which is not in <Notes>; skipped")
                continue
            used.add(guid)
            if on == "project":
                target = note.name or "project"
            if note.text.strip():
                out.append(ImportedMemo(on, target, note.text, note.author, coding))
        for guid, note in self.notes.items():
            if guid not in used and note.name != CODING_NOTE and note.text.strip():
                out.append(ImportedMemo("project", note.name or "project", note.text, note.author))
        return out

    # -- variables, cases, documents
    def _value(self, el: Any) -> tuple[_Variable, Any]:
        ref = next(children(el, "VariableRef"), None)
        guid = norm_guid(ref.get("targetGUID")) if ref is not None else None
        if guid is None or guid not in self.variables:
            raise self.fail(el, f"VariableRef {guid} is not a Variable in <Variables>; "
                                "define the variable")
        var = self.variables[guid]
        for child in children(el):
            if local(child) != "VariableRef":
                return var, _convert(local(child), child.text or "", var, self.path,
                                     child.sourceline)
        return var, None

    def _keep(self, source: _Source, var: _Variable, value: Any, el: Any) -> None:
        """Keep a variable's value for ``source`` (the first of two different values)."""
        if value is None:
            return
        held = source.meta if var.meta else source.values
        if held.setdefault(var.name, value) != value:
            warn(f"{self.path}:{el.sourceline}: variable {var.name!r} of source "
                 f"{source.name!r} has two values; kept {held[var.name]!r}")

    def _case(self, el: Any) -> None:
        values = []
        for vv in children(el, "VariableValue"):
            values.append((*self._value(vv), vv))
        for ref in children(el, "SourceRef"):
            source = self.sources.get(norm_guid(ref.get("targetGUID")) or "")
            if source is None:
                if norm_guid(ref.get("targetGUID")) not in self.skipped_sources:
                    warn(f"{self.path}:{ref.sourceline}: Case {el.get('guid')} refers to source "
                         f"{ref.get('targetGUID')}, which is not a TextSource; skipped")
                continue
            for var, value, vv in values:
                self._keep(source, var, value, vv)
            if el.get("name") and el.get("name") != source.doc_id:
                source.meta.setdefault("case", el.get("name"))
        if any(True for _ in children(el, "SelectionRef")):
            warn(f"{self.path}:{el.sourceline}: Case {el.get('guid')}: SelectionRef "
                 "(case membership of a text span) is not imported")

    def _document(self, source: _Source) -> Document:
        values, meta = dict(source.values), dict(source.meta)
        fields = self._fields(source, values, meta)
        attributes: dict[str, Any] = {GUID_ATTRIBUTE: source.written_guid}
        for name, value in values.items():
            if isinstance(value, str | bool | int | float):
                attributes[self._attribute(name)] = value
            elif value is not None:  # lists and mappings from JSON-encoded variables
                meta.setdefault(name, value)
        if source.title and source.title != source.doc_id:
            meta.setdefault("title", source.title)
        if source.description:
            meta.setdefault("description", source.description)
        try:
            return Document(doc_id=source.doc_id, text=source.offsets.text, **fields,
                            meta=meta, attributes=attributes)
        except ParameterError as exc:
            raise InterchangeError(f"TextSource {source.guid} ({source.name!r}) cannot become "
                                   f"a document: {exc}", path=self.path, element="TextSource",
                                   guid=source.guid) from None

    def _fields(self, source: _Source, values: dict[str, Any],
                meta: dict[str, Any]) -> dict[str, str]:
        """The Document fields, taken out of ``values`` (a variable named like the field, in
        any case and spacing: ``Informant role``); :data:`FIELD_DEFAULTS` for the others."""
        fields = dict(FIELD_DEFAULTS)
        for name in DOCUMENT_FIELDS:
            key = name if name in values else next(
                (k for k in values if slug(k) == name), None)
            if key is not None:
                fields[name] = str(values.pop(key))
        if fields["source_type"] not in SOURCE_TYPES:
            default = FIELD_DEFAULTS["source_type"]
            warn(f"{self.path}: source {source.name!r}: source_type {fields['source_type']!r} "
                 f"is not one of {SOURCE_TYPES}; using {default!r}")
            meta["source_type_original"] = fields["source_type"]
            fields["source_type"] = default
        return fields

    def _attribute(self, name: str) -> str:
        """The attribute name of the variable ``name``, the same for every document."""
        if name not in self.attribute_names:
            self.attribute_names[name] = attribute_name(name, self.used_attributes,
                                                        self.attribute_counters)
        return self.attribute_names[name]


def attribute_name(name: str, used: set[str], counters: dict[str, int] | None = None) -> str:
    """A valid attribute name for the variable ``name`` that is not in ``used`` (added to it).

    A name :func:`~uppks_qual.records.check_attributes` accepts is kept; others are
    slugified; a column name (``text``, ``Group``) gets ``_var``; a clash gets ``_2``, ...

    Examples
    --------
    >>> used = {"text"}
    >>> [attribute_name(n, used) for n in ("Age", "Jenis Kelamin", "text", "2019 wave")]
    ['Age', 'jenis_kelamin', 'text_var', 'v_2019_wave']
    """
    try:
        check_attributes({name: None})
        candidate = name
    except ParameterError:
        candidate = slug(name) or "variable"
    if candidate[0].isdigit():
        candidate = f"v_{candidate}"
    candidate = candidate[:56]
    if slug(candidate) in RESERVED_ATTRIBUTES:
        candidate = f"{candidate}_var"
    return unique(candidate, used, "_", counters)


def _file_title(el: Any, guid: str) -> str | None:
    """The file name, without extension, of a source's ``plainTextPath``/``richTextPath``
    (``internal://a/board_2017.txt`` -> ``board_2017``); None when it is only the GUID."""
    for attr in ("plainTextPath", "richTextPath"):
        if ref := el.get(attr):
            stem = PurePosixPath(urllib.parse.unquote(_split_ref(ref)[1])).stem.strip()
            if stem and norm_guid(stem) != guid:
                return stem
    return None


def _convert(kind: str, text: str, var: _Variable, path: Path, line: int | None = None) -> Any:
    """A VariableValue's Python value (JSON-encoded variables are decoded)."""
    if kind == "TextValue" and var.json:
        _json_depth(text, path, f"JSON value of variable {var.name!r}", line=line,
                    element="TextValue")
    try:
        if kind == "TextValue":
            return json.loads(text) if var.json else text
        if kind == "BooleanValue":
            return text.strip().lower() in ("true", "1")
        if kind == "IntegerValue" and -(2**63) <= (value := int(text.strip())) < 2**63:
            return value
        if kind == "FloatValue":
            return float(text.strip())
    except ValueError:
        pass
    else:
        if kind != "IntegerValue":  # an integer outside the 64-bit range falls through
            return text.strip()  # DateValue, DateTimeValue: ISO strings
    shown = text if len(text) <= 60 else f"{text[:57]}..."
    warn(f"{path}: value {shown!r} of variable {var.name!r} is not a valid {kind}; kept as "
         "text")
    return text


# --------------------------------------------------------------------------- entry points
def read_qdc(path: str | Path) -> Codebook:
    """Read a REFI-QDA codebook (``.qdc``; the CodeBook of a ``.qde`` works too).

    Code ids are the slugified names joined to their parent's id with ``.``
    (``"Leader support" > "Ninik mamak"`` -> ``leader_support.ninik_mamak``), made unique;
    every code gets kind ``"factor"``; a code without a colour inherits its parent's.
    ``Sets`` (code groups) are skipped with a :class:`RefiWarning`.

    Examples
    --------
    >>> import uppks_qual as uq
    >>> codebook = uq.load_codebook("atlas-codes.qdc")      # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise InterchangeError("no such codebook file", path=path, element=None, guid=None)
    root = _parse_file(path)
    if local(root) == "Project":
        root = next((el for el in root if isinstance(el.tag, str) and local(el) == "CodeBook"),
                    None)
        if root is None:
            raise InterchangeError("the project has no CodeBook", path=path,
                                   element="Project", guid=None)
    if local(root) != "CodeBook":
        raise InterchangeError(f"the root element is <{local(root)}>, not <CodeBook>; is this "
                               "a REFI-QDA codebook (.qdc)?", path=path, line=root.sourceline,
                               element=local(root), guid=None)
    for el in root:
        if isinstance(el.tag, str) and local(el) == "Sets":
            warn(f"{path}:{el.sourceline}: skipped <Sets> (code groups); uppks-qual codebooks "
                 "have no sets")
    codebook, _, _ = build_codebook(root, path, name=path.stem)
    return codebook


def read_project(source: str | Path, *, allow_external: bool = False) -> ImportedProject:
    """Read a ``.qdpx`` archive or a ``.qde`` XML file into records (nothing is written).

    Documents
        A TextSource's document id is its ``name`` slugified (``"A1 Ketua Kelompok.docx"``
        -> ``a1-ketua-kelompok``), else the file name of its ``plainTextPath``/``richTextPath``
        without extension (``internal://board_2017.txt`` -> ``board_2017``), else its GUID;
        ids are made unique. That name, as written, is ``meta["title"]``; the GUID is the
        attribute ``refi_guid`` (an export writes it back).
    Variables
        Values on the source or its Case named ``group``, ``village``, ``source_type``,
        ``informant_role``, ``informant`` or ``date`` (any case and spacing) fill those
        fields (absent: ``""``, ``date`` ``"unknown"``, ``source_type`` ``"document"``).
        Every other variable becomes a document attribute of its type (Boolean, Integer,
        Float; Text and Date as text), renamed with a :class:`RefiWarning` when its name is
        not a valid attribute name (``Jenis Kelamin`` -> ``jenis_kelamin``, ``text`` ->
        ``text_var``); lists and mappings (JSON-encoded variables) and the metadata fields
        uppks-qual exports go to ``meta``.
    Files
        Source texts are read from the archive's own members (for a bare ``.qde``, from
        files inside its folder) only; ``allow_external=True`` also reads the files a
        trusted project links to elsewhere on disk. Sizes, element counts and nesting are
        bounded by :mod:`uppks_qual.limits` (see this module's docstring).

    Raises
    ------
    InterchangeError
        Malformed archive or XML, a missing file, a file outside the archive, a selection
        outside its text, a coding of an undefined code, ...; the message names the
        element, its GUID and the line.
    InterchangeLimitError
        The file exceeds a limit (a zip bomb, absurd nesting); an ``InterchangeError`` too.
    """
    path = Path(source)
    if not path.is_file():
        raise InterchangeError("no such REFI-QDA file", path=path, element=None, guid=None)
    if _is_zip(path):
        with _open_zip(path) as zf:
            return _read_archive(path, zf, allow_external=allow_external)
    if path.suffix.lower() == ".qdpx":
        raise InterchangeError("not a zip archive; a .qdpx is a zip holding project.qde and "
                               "sources/: is it damaged, renamed or only partly downloaded?",
                               path=path, element=None, guid=None)
    root = _parse_file(path)
    budget = _Budget(path)
    files = _Files(path, None, root.get("basePath"), budget=budget,
                   allow_external=allow_external)
    extras: dict[str, Any] = {}
    beside = files.root / EXTRAS_NAME
    try:
        beside = beside.resolve()
        found = beside.is_file() and (allow_external or beside.is_relative_to(files.root))
    except (OSError, RuntimeError):
        found = False
    if found:
        extras = _extras(_read_file(beside, what=EXTRAS_NAME), path)
    return _Reader(path, files, extras).read(root)


def _parse_file(path: Path) -> Any:
    """The root element of an XML file on disk (within ``max_file_bytes``)."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    _limit("max_file_bytes", size, path, f"size of {path.name}", None)
    return parse_stream(_file_chunks(path, what=path.name), path, what=path.name)


def _read_archive(path: Path, zf: zipfile.ZipFile, *, allow_external: bool) -> ImportedProject:
    budget = _Budget(path)
    archive = _Archive(path, zf, budget)
    names = sorted(n for n in archive.members if n.lower().endswith(".qde") and "/" not in n)
    if not names:
        raise InterchangeError("the archive has no project.qde at its top level; a .qdpx "
                               "holds project.qde and a sources/ folder", path=path,
                               element=None, guid=None)
    qde = "project.qde" if "project.qde" in names else names[0]
    root = parse_stream(archive.chunks(archive.members[qde]), path, what=qde)
    info = archive.members.get(EXTRAS_NAME)
    extras = _extras(archive.read(info), path) if info is not None else {}
    files = _Files(path, archive, root.get("basePath"), budget=budget,
                   allow_external=allow_external)
    return _Reader(path, files, extras).read(root)

