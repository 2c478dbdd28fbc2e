"""Loading interview transcripts, observation notes and document notes.

A corpus is a folder (read recursively) or a list of files: ``.txt``/``.md`` with YAML front
matter, ``.docx`` (front matter in the first paragraphs, speaker labels bold or before a
colon) and ``.csv`` (one row per utterance). See ``data/interviews/README.md`` for the format.

Segments: speaker turns (interviews) or paragraphs (notes), and the sentences inside them
(``spacy.blank("id")`` + sentencizer). Offsets are half-open ``[start, end)`` into the
document's normalised text.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import limits
from .errors import CorpusError, FrontMatterError, QualError, SpeakerError, UnknownDocumentError
from .manifest import INFORMANT_ROLES, MANIFEST_NAME, Manifest, read_manifest
from .records import SOURCE_TYPES, Document, Segment, check_attributes, is_date
from .textio import (
    DELIMITERS,
    SPEAKER_LABEL,
    normalise,
    paragraph_spans,
    parse_yaml,
    read_csv_table,
    read_text,
    sentence_spans,
    sniff_delimiter,
    trim,
)

__all__ = [
    "DELIMITERS",
    "DOCUMENT_COLUMNS",
    "INFORMANT_ROLES",
    "SEGMENT_COLUMNS",
    "Corpus",
    "check_corpus",
    "document_segments",
    "load_corpus",
    "parse_document",
    "segment_document",
    "sniff_delimiter",
    "split_units",
]

REQUIRED_FIELDS = ("id", "source_type", "informant_role", "informant", "date")
#: ``group`` and ``village`` may be empty or absent: the document belongs to no group.
OPTIONAL_FIELDS = ("group", "village", "title", "interviewer", "language", "speakers",
                   "location", "duration", "notes", "tags", "attributes", "meta")
#: Informant values that mean "no informant" (observation and document notes).
PLACEHOLDERS = frozenset({"-", "–", "—", "n/a", "N/A"})
#: How :meth:`Corpus.summary` shows documents that belong to no group.
NO_GROUP = "(no group)"
DEFAULT_SPEAKERS = {"P": "interviewer", "I": "informant"}
DOCUMENT_COLUMNS = ("doc_id", "group", "village", "source_type", "informant_role", "informant",
                    "date", "title", "n_chars", "n_words", "sha256", "path")
SEGMENT_COLUMNS = ("doc_id", "segment_id", "kind", "parent", "speaker", "time", "start", "end",
                   "text", "group", "village", "source_type", "informant_role", "informant")
TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = (*TEXT_SUFFIXES, ".docx", ".csv")

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TIME = re.compile(r"^\[?(\d{1,2}[.:]\d{2})(?![\d.,])\]?\s*(?:-\s*)?")
_NOTE_ONLY = re.compile(r"^\s*\[[^\]]*\]\s*$")


# --------------------------------------------------------------------------- front matter
def split_front_matter(text: str, path: str | Path) -> tuple[str, str, int]:
    """Split ``---``-delimited front matter from the body.

    Returns ``(front_matter, body, body_first_line)``; lines are 1-based file lines.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError(
            "no YAML front matter: the file must start with a line '---', the fields "
            "(id, group, village, source_type, informant_role, informant, date), then '---'",
            path=path, line=1,
        )
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    raise FrontMatterError(
        "front matter is not closed: add a line '---' after the last field", path=path, line=1
    )


def _field_error(msg: str, path: str | Path, line: int, key: str) -> FrontMatterError:
    return FrontMatterError(msg, path=path, line=line, field=key)


def _check_keys(meta: dict[str, Any], yd: Any, path: str | Path) -> None:
    known = REQUIRED_FIELDS + OPTIONAL_FIELDS
    for key in meta:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise _field_error(
                f"unknown front-matter field {key!r}; {hint}known fields are "
                f"{', '.join(known)} (put anything else under `meta:`)",
                path, yd.line_of(meta, key), key,
            )
    for key in REQUIRED_FIELDS:
        if meta.get(key) in (None, ""):
            raise _field_error(
                f"missing front-matter field {key!r}; required fields are "
                f"{', '.join(REQUIRED_FIELDS)}", path, yd.line_of(meta), key,
            )


def _check_values(meta: dict[str, Any], yd: Any, path: str | Path, manifest: Manifest) -> None:
    def bad(key: str, what: str) -> FrontMatterError:
        return _field_error(f"{key} {meta[key]!r} {what}", path, yd.line_of(meta, key), key)

    if not _ID.match(str(meta["id"])):
        raise bad("id", "is not a valid id: use letters, digits, '-', '_' or '.'")
    group = "" if meta.get("group") is None else str(meta["group"])
    if group and manifest.groups and group not in manifest.groups:
        raise bad("group", f"is unknown; groups declared in {manifest.path} are "
                           f"{', '.join(manifest.groups)} (or leave it empty: no group)")
    want = manifest.groups.get(group) if group else None
    if want and str(meta.get("village") or "") != want:
        meta.setdefault("village", "")
        raise bad("village", f"does not match group {meta['group']!r}, whose village is {want!r}")
    if meta["source_type"] not in SOURCE_TYPES:
        raise bad("source_type", f"must be one of {', '.join(SOURCE_TYPES)}")
    if meta["informant_role"] not in manifest.roles:
        raise bad("informant_role", f"must be one of {', '.join(manifest.roles)} "
                                    "(add others under `informant_roles:` in corpus.yaml)")
    if not is_date(meta["date"]):
        raise bad("date", "is not a date: write YYYY-MM-DD, YYYY-MM, YYYY or unknown")
    if meta.get("attributes") is not None:
        if not isinstance(meta["attributes"], dict):
            raise _field_error("attributes must be a mapping (name: value)", path,
                               yd.line_of(meta, "attributes"), "attributes")
        try:
            check_attributes(meta["attributes"], where="attributes")
        except QualError as exc:
            raise _field_error(exc.message, path, yd.line_of(meta, "attributes"),
                               "attributes") from None
    if meta.get("meta") is not None and not isinstance(meta["meta"], dict):
        raise _field_error("meta must be a mapping of extra fields (key: value)", path,
                           yd.line_of(meta, "meta"), "meta")
    speakers = meta.get("speakers") or {}
    if not isinstance(speakers, dict) or not all(SPEAKER_LABEL.match(f"{k}: ") for k in speakers):
        raise _field_error(
            "speakers must map labels (1-12 letters/digits starting with a capital, e.g. "
            "`S: Suami informan`) to names", path, yd.line_of(meta, "speakers"), "speakers",
        )
    for label, value in speakers.items():
        if isinstance(value, dict):
            line = yd.line_of(speakers, label)
            if set(value) - {"name", "role"} or not str(value.get("name") or "").strip():
                raise _field_error(
                    f"speaker {label}: give a name, or a mapping with `name:` and optional "
                    "`role:` (e.g. `B: {name: Buya Syamsul, role: informal_leader}`)",
                    path, line, "speakers")
            if value.get("role") is not None and value["role"] not in manifest.roles:
                raise _field_error(
                    f"speaker {label}: role {value['role']!r} must be one of "
                    f"{', '.join(manifest.roles)} (add others under `informant_roles:` in "
                    "corpus.yaml)", path, line, "speakers")
        elif isinstance(value, list | tuple) or value is None:
            raise _field_error(f"speaker {label}: the value must be a name or a mapping with "
                               "`name:` and `role:`", path, yd.line_of(speakers, label),
                               "speakers")


def read_front_matter(
    front: str, path: str | Path, manifest: Manifest, first_line: int = 2
) -> dict[str, Any]:
    """Parse and validate front matter; return the mapping with ``date`` as ISO string."""
    yd = parse_yaml(front, path, first_line=first_line, error=FrontMatterError)
    meta = yd.data
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter must be a YAML mapping of fields", path=path,
                               line=first_line)
    _check_keys(meta, yd, path)
    _check_values(meta, yd, path, manifest)
    meta = dict(meta)
    meta["date"] = str(meta["date"])
    meta["_line"] = {k: yd.line_of(yd.data, k) for k in yd.data}
    return meta


# --------------------------------------------------------------------------- bodies
def split_units(text: str, *, interview: bool, doc_id: str = "",
                speakers: Mapping[str, str] | None = None, path: str | Path | None = None,
                first_line: int = 1) -> list[Segment]:
    """Cut a document body into its units: speaker turns or paragraphs (the one splitter).

    An interview is cut into turns: a line starting with a speaker label (``P:``, ``I:``,
    ``Buya:``) starts a turn, which runs to the next label; the label itself is not part of the
    turn. Notes are cut into paragraphs at blank lines; a leading time stamp (``09.15``,
    ``[9:15]``) goes to ``time``.

    ``speakers`` makes the split strict, as for a corpus file: a label not among its keys, or
    text before the first turn other than bracketed notes (``[rekaman dimulai]``), is a
    :class:`SpeakerError` naming ``path`` and the line (``first_line`` is the file line of
    ``text``'s first line). Without it any label is accepted and text before the first turn
    becomes a unit without speaker (how :func:`uppks_qual.autocode.autocode_text` reads a bare
    transcript).

    Examples
    --------
    >>> [u.text for u in split_units("P: Apa kabar?\\nI: Baik.", interview=True)]
    ['Apa kabar?', 'Baik.']
    >>> [u.kind for u in split_units("Satu.\\n\\nDua.", interview=False)]
    ['paragraph', 'paragraph']
    """
    spans: list[tuple[int, int, str | None, str | None]] = []
    if not interview:
        spans = [(s, e, None, _time(text, s, e)) for s, e in paragraph_spans(text)]
        return _units(text, doc_id, "paragraph", spans)
    labels = list(SPEAKER_LABEL.finditer(text))
    if speakers is not None:
        _check_turns(text, labels, speakers, path, first_line)
    if labels and labels[0].start() > 0 and speakers is None:
        spans += [(s, e, None, None) for s, e in paragraph_spans(text, 0, labels[0].start())]
    for i, m in enumerate(labels):
        stop = labels[i + 1].start() if i + 1 < len(labels) else len(text)
        start, end = trim(text, m.end(), stop)
        spans.append((start, end, m.group(1), None))
    if not labels and speakers is None:
        spans = [(s, e, None, None) for s, e in paragraph_spans(text)]
    units = _units(text, doc_id, "turn", [sp for sp in spans if sp[1] > sp[0]])
    if speakers is not None and not units:
        raise SpeakerError("interview has no speaker turns ('P: ...', 'I: ...')",
                           path=path, line=first_line)
    return units


def _check_turns(text: str, labels: list[re.Match[str]], speakers: Mapping[str, str],
                 path: str | Path | None, first_line: int) -> None:
    """The strict rules of :func:`split_units` for a corpus file."""
    for m in labels:
        if m.group(1) not in speakers:
            raise SpeakerError(
                f"unknown speaker label {m.group(1)!r}; declared labels are "
                f"{', '.join(speakers)}. Declare it under `speakers:` in the front matter "
                "or fix the label", path=path, line=first_line + text.count("\n", 0, m.start()),
                label=m.group(1))
    lead = text[: labels[0].start()] if labels else text
    for n, line in enumerate(lead.split("\n")):
        if line.strip() and not _NOTE_ONLY.match(line):
            raise SpeakerError(
                "text before the first speaker turn; start each turn with a label such as "
                "'P:' or 'I:' (bracketed notes like '[rekaman dimulai]' are allowed)",
                path=path, line=first_line + n)


def _time(text: str, start: int, end: int) -> str | None:
    stamp = _TIME.match(text[start:end])
    return stamp.group(1).replace(":", ".") if stamp else None


def _units(text: str, doc_id: str, kind: str,
           spans: Sequence[tuple[int, int, str | None, str | None]]) -> list[Segment]:
    prefix = "t" if kind == "turn" else "p"
    return [Segment(doc_id, f"{doc_id}:{prefix}{i + 1}", kind, s, e, text[s:e], speaker, None,
                    time) for i, (s, e, speaker, time) in enumerate(spans)]


# --------------------------------------------------------------------------- documents
@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document and its turns/paragraphs, before sentence splitting."""

    document: Document
    units: tuple[Segment, ...]
    id_line: int = 2


def _build(meta: dict[str, Any], body: str, path: str | Path, first_line: int) -> ParsedDocument:
    lead = len(body) - len(body.lstrip())
    first_line += body[:lead].count("\n")
    text = body.strip()
    if not text:
        raise CorpusError("empty document: there is no text after the front matter",
                          path=path, line=first_line, doc_id=str(meta["id"]))
    limits.check("max_text_chars", len(text), path=path, line=first_line,
                 what=f"length of document {str(meta['id'])!r} (characters)",
                 doc_id=str(meta["id"]))
    declared = dict(meta.get("speakers") or {})
    speakers = {**DEFAULT_SPEAKERS, **{str(k): _speaker_name(v) for k, v in declared.items()}}
    roles = {str(k): str(v["role"]) for k, v in declared.items()
             if isinstance(v, dict) and v.get("role")}
    interview = meta["source_type"] == "interview"
    units = split_units(text, interview=interview, doc_id=str(meta["id"]),
                        speakers=speakers if interview else None, path=path,
                        first_line=first_line)
    fields = ("group", "village", "attributes", *REQUIRED_FIELDS)
    extra = {k: v for k, v in meta.items() if k not in fields and not k.startswith("_")}
    extra.update(extra.pop("meta", None) or {})
    if meta["source_type"] == "interview":
        extra["speakers"] = speakers
        if roles:
            extra["speaker_roles"] = roles
    informant = str(meta["informant"]).strip()
    doc = Document(
        doc_id=str(meta["id"]), text=text, group=_text(meta.get("group")),
        village=_text(meta.get("village")), source_type=str(meta["source_type"]),
        informant_role=str(meta["informant_role"]),
        informant="" if informant in PLACEHOLDERS else informant, date=str(meta["date"]),
        meta=extra, path=str(path), attributes=dict(meta.get("attributes") or {}),
    )
    return ParsedDocument(doc, tuple(units), int(meta.get("_line", {}).get("id", 2)))


def _speaker_name(value: Any) -> str:
    """The name of a ``speakers:`` entry: a name, or a mapping with ``name`` (and ``role``)."""
    return str(value["name"]).strip() if isinstance(value, dict) else str(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def parse_document(text: str, path: str | Path = "<string>", *,
                   manifest: Manifest | None = None) -> ParsedDocument:
    """Parse one document from front matter + body text (already decoded).

    Examples
    --------
    >>> pd_ = parse_document("---\\nid: d1\\ngroup: north\\nvillage: Kampung Utara\\n"
    ...     "source_type: interview\\ninformant_role: member\\ninformant: Ibu A\\n"
    ...     "date: 2004-03-01\\n---\\nP: Apa kabar?\\nI: Baik.\\n")
    >>> [pd_.document.text[u.start:u.end] for u in pd_.units]
    ['Apa kabar?', 'Baik.']
    """
    text = normalise(text.removeprefix("\ufeff"))
    front, body, body_line = split_front_matter(text, path)
    meta = read_front_matter(front, path, manifest or Manifest())
    return _build(meta, body, path, body_line)


def _read_docx(path: Path, manifest: Manifest) -> ParsedDocument:
    """A ``.docx`` transcript: front matter paragraphs between '---', bold or colon labels."""
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise CorpusError("reading .docx needs python-docx", path=path) from exc
    _check_docx_archive(path)
    try:
        paragraphs = docx.Document(str(path)).paragraphs
    except Exception as exc:  # python-docx raises many types for broken files
        raise CorpusError(f"cannot open as a Word document: {exc}", path=path) from None
    texts = [p.text for p in paragraphs]
    front, _body, body_line = split_front_matter(normalise("\n".join(texts)), path)
    meta = read_front_matter(front, path, manifest)
    labels: dict[str, str] = {}
    body = []
    for p in paragraphs[body_line - 1 :]:  # one paragraph per line: the body starts there
        line = p.text
        if meta["source_type"] == "interview":  # bold names are speakers only in transcripts
            line = _bold_label(p, labels) or line
        body.append(line)
    if labels:
        meta["speakers"] = {**(meta.get("speakers") or {}), **{v: k for k, v in labels.items()}}
    # a Word paragraph is a turn or a paragraph of notes: keep them apart with a blank line
    separator = "\n" if meta["source_type"] == "interview" else "\n\n"
    return _build(meta, normalise(separator.join(body)), path, body_line)


def _check_docx_archive(path: Path) -> None:
    """Refuse a ``.docx`` (a zip archive) whose members would inflate beyond the limits
    (``max_member_bytes``, ``max_archive_bytes``, ``max_compression_ratio``: a zip bomb),
    from the sizes its directory declares, before python-docx inflates anything. zipfile
    never inflates a member past its declared size."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorpusError(f"cannot open as a Word document (.docx is a zip archive): {exc}",
                          path=path) from None
    total = 0
    for info in members:
        total += info.file_size
        limits.check_inflated(info.filename, info.file_size, info.compress_size, total,
                              path=path, declared=True)


def _bold_label(paragraph: Any, labels: dict[str, str]) -> str | None:
    """``"LABEL: text"`` for a paragraph starting with a bold speaker name, else None."""
    line = paragraph.text
    runs = [r for r in paragraph.runs if r.text.strip()]
    if not (runs and runs[0].bold):
        return None
    label = runs[0].text.strip().rstrip(":").strip()
    rest = line[line.index(runs[0].text) + len(runs[0].text):].lstrip().removeprefix(":")
    if not label or ":" in label or len(label) > 40:
        return None
    key = labels.setdefault(label, _docx_label(label, labels))
    return f"{key}: {rest.strip()}"


def _docx_label(name: str, existing: dict[str, str]) -> str:
    """A valid speaker label for a bold docx speaker name (``P``/``I`` kept as they are)."""
    base = re.sub(r"[^A-Za-z0-9]", "", name)[:12] or "S"
    base = base[0].upper() + base[1:]
    if not base[0].isalpha():
        base = "S" + base[:11]
    label, n = base, 1
    while label in existing.values():
        n += 1
        label = f"{base[:10]}{n}"
    return label


CSV_REQUIRED = ("doc_id", "source_type", "informant_role", "informant", "date", "speaker",
                "text")
#: CSV columns read into the front-matter fields; every other column is an attribute.
CSV_FIELDS = ("group", "village", "source_type", "informant_role", "informant", "date")
CSV_OPTIONAL = ("group", "village", "title", "interviewer")
def read_table(path: str | Path, *,
               error: type[QualError] = CorpusError) -> tuple[pd.DataFrame, str]:
    """A CSV file as a frame of strings, its delimiter sniffed (:func:`sniff_delimiter`).

    Returns the frame (indexed by each row's file line) and how it was read ("read with the
    semicolon (';') as delimiter"), for messages. The text is checked as UTF-8 (an error names
    the byte offset) and normalised; an empty file, a header naming a column twice or a row
    with more or fewer fields than the header raises ``error`` naming the line (see
    :func:`uppks_qual.textio.read_csv_table`).
    """
    frame, how = read_csv_table(path, error=error, what="CSV file")
    return frame, how


def _read_csv(path: Path, manifest: Manifest) -> list[ParsedDocument]:
    """A CSV of utterances, one row each; rows of a ``doc_id`` become one document."""
    frame, how = read_table(path)
    missing = [c for c in CSV_REQUIRED if c not in frame.columns]
    if missing:
        raise CorpusError(f"CSV ({how}) is missing column(s) {', '.join(missing)}; required: "
                          f"{', '.join(CSV_REQUIRED)}; found {', '.join(frame.columns)}",
                          path=path, line=1)
    return [_csv_document(str(doc_id), rows, path, manifest)
            for doc_id, rows in frame.groupby("doc_id", sort=False)]


def _csv_document(doc_id: str, rows: pd.DataFrame, path: Path, manifest: Manifest) -> ParsedDocument:
    first = rows.iloc[0]
    line = int(rows.index[0])
    extra = [c for c in rows.columns if c not in (*CSV_REQUIRED, *CSV_OPTIONAL)]
    for col in (*CSV_FIELDS, *extra):
        if col in rows.columns and rows[col].nunique() > 1:
            raise CorpusError(f"document {doc_id!r} has more than one {col!r} value; metadata "
                              "must be the same on every row of a document", path=path, line=line)
    interview = first["source_type"] == "interview"
    labels: dict[str, str] = {}
    parts = []
    for speaker, utterance in zip(rows["speaker"], rows["text"], strict=True):
        utterance = normalise(utterance).strip()
        if interview and not speaker:
            raise CorpusError(f"interview {doc_id!r} has a row without a speaker; every "
                              "utterance of an interview needs one", path=path, line=line)
        label = labels.setdefault(speaker, _docx_label(speaker, labels)) if interview else None
        parts.append(f"{label}: {utterance}" if label else utterance)
    meta = {k: first[k] for k in CSV_FIELDS if k in rows.columns}
    meta["id"] = doc_id
    for opt in ("title", "interviewer"):
        if opt in rows.columns and first[opt]:
            meta[opt] = first[opt]
    front = "\n".join(f"{k}: {_yaml_scalar(v)}" for k, v in meta.items())
    try:
        meta_checked = read_front_matter(front, path, manifest)
        check_attributes({c: first[c] for c in extra}, where="CSV columns")
    except QualError as exc:
        message = exc.message.split(": ", 1)[1] if ": " in exc.message else exc.message
        raise FrontMatterError(f"{message} (document {doc_id!r})", path=path,
                               line=line) from None
    meta_checked["speakers"] = {v: k for k, v in labels.items()}
    meta_checked["attributes"] = {c: first[c] for c in extra if first[c] != ""}
    return _build(meta_checked, "\n\n".join(parts), path, line)


def _yaml_scalar(value: Any) -> str:
    import json

    return json.dumps(str(value), ensure_ascii=False)


def read_file(path: Path, manifest: Manifest) -> list[ParsedDocument]:
    """Parse every document in one file (a CSV may hold several)."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return [_read_docx(path, manifest)]
    if suffix == ".csv":
        return _read_csv(path, manifest)
    text = read_text(path)
    if suffix == ".md" and not text.lstrip("\ufeff").startswith("---"):
        return []  # Markdown without front matter is documentation (README.md), not data
    front, body, body_line = split_front_matter(text, path)
    return [_build(read_front_matter(front, path, manifest), body, path, body_line)]


# --------------------------------------------------------------------------- corpus
class Corpus:
    """A loaded corpus: documents with their turns/paragraphs and sentences.

    Iterating yields :class:`~uppks_qual.records.Document` objects; ``corpus[doc_id]`` looks
    one up. ``corpus.documents`` and ``corpus.segments`` are tidy DataFrames.
    """

    def __init__(self, parsed: Sequence[ParsedDocument], *, root: str | None = None,
                 manifest: Manifest | None = None) -> None:
        self._parsed = {p.document.doc_id: p for p in parsed}
        self.root = root
        #: The study manifest (``corpus.yaml``): groups, comparison, hypothesis, coders.
        self.manifest = manifest or Manifest()
        self._segments: pd.DataFrame | None = None

    @property
    def provenance(self) -> str | None:
        """Where the data comes from (the manifest's ``provenance:``), shown in reports."""
        return self.manifest.provenance

    def __iter__(self) -> Iterator[Document]:
        return (p.document for p in self._parsed.values())

    def __len__(self) -> int:
        return len(self._parsed)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._parsed

    def __getitem__(self, doc_id: str) -> Document:
        try:
            return self._parsed[doc_id].document
        except KeyError:
            raise UnknownDocumentError(f"unknown document {doc_id!r}", doc_id=doc_id) from None

    def __repr__(self) -> str:
        return f"<Corpus {len(self)} documents from {self.root or 'memory'}>"

    @property
    def documents(self) -> pd.DataFrame:
        """One row per document: metadata, size, content hash, then one column per
        attribute."""
        rows = [{**_document_row(d), **d.attributes} for d in self]
        names = sorted({k for d in self for k in d.attributes})
        return pd.DataFrame(rows, columns=[*DOCUMENT_COLUMNS, *names])

    @property
    def segments(self) -> pd.DataFrame:
        """One row per turn/paragraph and per sentence, with the document's metadata."""
        if self._segments is None:
            segs = (s for p in self._parsed.values() for s in segment_document(p))
            self._segments = segments_frame(segs, self)
        return self._segments

    def iter_segments(self, doc_id: str) -> list[Segment]:
        """Segments (turns/paragraphs and sentences) of one document as records."""
        return segment_document(self._parsed[self[doc_id].doc_id])

    def summary(self) -> pd.DataFrame:
        """Documents, turns/paragraphs and words per group x source type (with totals).

        Documents without a group are counted under ``(no group)``: they are kept, and take
        part in no group comparison.
        """
        segs = self.segments.assign(group=self.segments["group"].replace("", NO_GROUP))
        units = segs[segs["kind"] != "sentence"].copy()
        units["words"] = units["text"].str.split().str.len()
        table = units.groupby(["group", "source_type"]).agg(
            documents=("doc_id", "nunique"), units=("segment_id", "size"), words=("words", "sum"))
        sents = segs[segs["kind"] == "sentence"].groupby(["group", "source_type"]).size()
        table.insert(2, "sentences", sents)
        table.loc[("All", "all"), :] = table.sum()
        return table.astype(int)


def _document_row(d: Document) -> dict[str, Any]:
    return {
        "doc_id": d.doc_id, "group": d.group, "village": d.village, "source_type": d.source_type,
        "informant_role": d.informant_role, "informant": d.informant, "date": d.date,
        "title": d.title, "n_chars": len(d.text), "n_words": d.n_words,
        "sha256": hashlib.sha256(d.text.encode("utf-8")).hexdigest(), "path": d.path,
    }


#: The longest piece of a turn or paragraph that spaCy sentence-splits at once (characters).
#: Longer units are cut at a space before a letter or digit, preferably after a full stop;
#: see :func:`segment_document`.
SENTENCE_CHUNK = 100_000
_SENTENCE_CUT = re.compile(r"(?<=[.!?] )(?=[^\W_])")


def segment_document(parsed: ParsedDocument) -> list[Segment]:
    """Turn/paragraph segments and the sentences inside them (spaCy sentencizer).

    A unit longer than :data:`SENTENCE_CHUNK` characters is tokenised in pieces, cut at a
    single space before a letter or digit (preferably after a full stop), and the sentencizer's
    decision at each cut is the one it takes on the whole unit (a sentence continues across a
    cut unless the piece before it ends a sentence), so memory stays proportional to a piece
    and spaCy's ``max_length`` is never reached.
    """
    from .nlp import get_nlp

    text = parsed.document.text
    nlp = get_nlp()
    tokenizer, senter = nlp.tokenizer, nlp.get_pipe("sentencizer")
    punct = frozenset(senter.punct_chars)
    out: list[Segment] = []
    for unit in parsed.units:
        spans: list[tuple[int, int]] = []
        ended = True  # whether the text before the current piece ends a sentence
        for a, b in _pieces(text, unit.start, unit.end):
            sdoc = senter(tokenizer(text[a:b]))
            sents = [(x.start_char + a - unit.start, x.end_char + a - unit.start)
                     for x in sdoc.sents]
            if sents and spans and not ended:
                sents[0] = (spans.pop()[0], sents[0][1])
            spans += sents
            ended = _ends_sentence(sdoc, punct) if len(sdoc) else ended
        out.append(unit)
        cut = sentence_spans(text, unit.start, spans) if spans else []
        out.extend(Segment(unit.doc_id, f"{unit.segment_id}.s{j + 1}", "sentence", s, e,
                           text[s:e], unit.speaker, unit.segment_id, unit.time)
                   for j, (s, e) in enumerate(cut))
    return out


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``[start, end)`` in pieces of at most :data:`SENTENCE_CHUNK` characters, each cut just
    after a single space and before a letter or digit (the tokenizer splits there anyway),
    after a full stop where one is in the second half of the piece; a piece with no space at
    all is cut where it must be."""
    size = SENTENCE_CHUNK
    while end - start > size:
        lo, hi = start + size // 2, start + size
        cut = None
        for m in _SENTENCE_CUT.finditer(text, lo, hi):
            cut = m.start()
        if cut is None:
            i = hi
            while (i := text.rfind(" ", lo, i)) > lo:
                if text[i + 1].isalnum() and not text[i - 1].isspace():
                    cut = i + 1
                    break
        cut = cut or hi
        yield start, cut
        start = cut
    yield start, end


def _ends_sentence(doc: Any, punct: frozenset[str]) -> bool:
    """Whether the sentencizer, reading on past the end of ``doc``, would start a sentence at
    the next word: ``doc`` ends with sentence-final punctuation, then only punctuation."""
    for token in reversed(doc):
        if token.text in punct:
            return True
        if not token.is_punct:
            return False
    return False


def document_segments(doc: Document) -> list[Segment]:
    """The segments of a :class:`Document` built in memory (not read from a corpus file):
    its text is split as :func:`split_units` does, with the speakers of ``doc.meta``."""
    interview = doc.source_type == "interview"
    speakers = {**DEFAULT_SPEAKERS, **dict(doc.meta.get("speakers") or {})}
    units = split_units(doc.text, interview=interview, doc_id=doc.doc_id,
                        speakers=speakers if interview else None, path=doc.path or doc.doc_id)
    return segment_document(ParsedDocument(doc, tuple(units)))


def segments_frame(segments: Iterable[Segment], corpus: Corpus | None = None) -> pd.DataFrame:
    """Tidy frame of segments, joined with document metadata when ``corpus`` is given.

    ``segments`` is read once, column by column (a generator is not held in memory whole).
    """
    names = SEGMENT_COLUMNS[:9]  # the Segment fields of the same names
    meta = ("group", "village", "source_type", "informant_role", "informant")
    columns: dict[str, list[Any]] = {name: [] for name in names}
    docs = {d.doc_id: d for d in corpus} if corpus is not None else {}
    if corpus is not None:
        columns.update({name: [] for name in meta})
    for seg in segments:
        for name in names:
            columns[name].append(getattr(seg, name))
        doc = docs.get(seg.doc_id)
        if corpus is not None:
            for name in meta:
                columns[name].append(None if doc is None else getattr(doc, name))
    if columns["doc_id"]:
        frame = pd.DataFrame(columns, columns=list(columns))
    else:  # the dtypes an empty frame has always had
        frame = pd.DataFrame([], columns=list(names))
        if corpus is not None:
            frame = frame.merge(corpus.documents[["doc_id", *meta]], on="doc_id", how="left")
    frame["start"] = frame["start"].astype("int64")
    frame["end"] = frame["end"].astype("int64")
    return frame


def _files(paths: Sequence[Path], manifest: Manifest | None) -> tuple[list[Path], Manifest, str]:
    files: list[Path] = []
    found = Manifest()
    root = str(paths[0]) if len(paths) == 1 else "files"
    for path in paths:
        if not path.exists():
            raise CorpusError("no such file or folder; give a corpus folder or document files",
                              path=path)
        if path.is_dir():
            if manifest is None and (path / MANIFEST_NAME).exists():
                found = read_manifest(path / MANIFEST_NAME)
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES
                                and p.is_file() and not p.name.startswith((".", "~$"))))
        else:
            files.append(path)
    return files, manifest or found, root


def check_corpus(
    path: str | Path | Sequence[str | Path], *, manifest: Manifest | str | Path | None = None,
) -> tuple[Corpus | None, list[QualError]]:
    """Load a corpus collecting **every** problem instead of stopping at the first.

    Returns ``(corpus, problems)``; ``corpus`` is ``None`` when there are problems. See
    :func:`load_corpus` for the parameters.
    """
    paths = [Path(p) for p in ([path] if isinstance(path, str | Path) else path)]
    problems: list[QualError] = []
    try:
        given = read_manifest(manifest) if isinstance(manifest, str | Path) else manifest
        files, manifest, root = _files(paths, given)
    except QualError as exc:
        return None, [exc]
    parsed: list[ParsedDocument] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            docs = read_file(file, manifest)
        except QualError as exc:
            problems.append(exc)
            continue
        for p in docs:
            other = seen.setdefault(p.document.doc_id, str(file))
            if other != str(file) or any(q.document.doc_id == p.document.doc_id for q in parsed):
                problems.append(FrontMatterError(
                    f"duplicate document id {p.document.doc_id!r} (also in {other}); ids must "
                    "be unique", path=file, line=p.id_line, doc_id=p.document.doc_id))
                continue
            parsed.append(p)
    if not parsed and not problems:
        problems.append(CorpusError(
            f"no documents found (looked for {', '.join(SUFFIXES)} files with front matter)",
            path=root))
    corpus = None if problems else Corpus(parsed, root=root, manifest=manifest)
    return corpus, problems


def load_corpus(path: str | Path | Sequence[str | Path], *,
                manifest: Manifest | str | Path | None = None) -> Corpus:
    """Load a corpus from a folder (recursively) or from files.

    Parameters
    ----------
    path : str, Path or list of them
        A folder (every ``.txt``, ``.md`` with front matter, ``.docx`` and ``.csv`` below it)
        or document files.
    manifest : Manifest or path, optional
        The study manifest (:mod:`uppks_qual.manifest`). Default: ``corpus.yaml`` in the
        folder, if there is one.

    Returns
    -------
    Corpus

    Raises
    ------
    CorpusError
        For the first problem found (use :func:`check_corpus` to see all of them); its
        message names the file and line or byte offset.

    Examples
    --------
    >>> corpus = load_corpus("data/interviews")          # doctest: +SKIP
    >>> corpus.summary()                                 # doctest: +SKIP
    """
    corpus, problems = check_corpus(path, manifest=manifest)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        first = problems[0]
        raise type(first)(
            f"{len(problems)} problems in the corpus (the first is shown; run `uppks-qual "
            f"check` to list all):\n" + first.message,
            path=None, problems=problems, first=first,
        )
    assert corpus is not None
    return corpus
