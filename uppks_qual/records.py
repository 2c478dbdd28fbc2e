"""Small frozen records that flow through uppks-qual.

Offsets are half-open character offsets ``[start, end)`` into a document's normalised text
(LF line ends, Unicode NFC), exactly as spaCy's ``Span.start_char``/``end_char``: for every
segment ``document.text[segment.start:segment.end] == segment.text``.
"""

from __future__ import annotations

import datetime as _dt
import numbers
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import ParameterError, SpanError, UnknownCodeError
from .params import NonEmptyText, Options, check_param
from .textio import SPEAKER_LABEL

__all__ = [
    "CODE_ID",
    "CODE_KINDS",
    "DOCUMENT_FIELDS",
    "HUMAN_ORIGINS",
    "ORIGINS",
    "PASSAGE_KINDS",
    "RESERVED_ATTRIBUTES",
    "SEGMENT_KINDS",
    "SOURCE_TYPES",
    "TOKEN_KEYS",
    "VALENCES",
    "ChangelogEntry",
    "Code",
    "Codebook",
    "Coding",
    "CodingRule",
    "Document",
    "RuleExample",
    "Segment",
    "check_attributes",
    "is_date",
]

SOURCE_TYPES: tuple[str, ...] = ("interview", "observation", "document")
SEGMENT_KINDS: tuple[str, ...] = ("turn", "paragraph", "sentence")
VALENCES: tuple[str, ...] = ("positive", "negative", "neutral")
#: Kinds of top-level codes (children take their top-level code's kind).
CODE_KINDS: tuple[str, ...] = ("factor", "structural", "rival", "other")
#: Where a coding comes from: a human coded it (``manual``), the automatic coder suggested it
#: (``auto``), or a human accepted an automatic suggestion (``reviewed``, see
#: :meth:`uppks_qual.project.Project.review`).
ORIGINS: tuple[str, ...] = ("manual", "auto", "reviewed")
#: The origins of a human judgement: their coder is a human coder.
HUMAN_ORIGINS: tuple[str, ...] = ("manual", "reviewed")
#: Where a coded passage comes from (see :mod:`uppks_qual.passages`): an informant's turn, a
#: paragraph of an observation/document note, the interviewer's question, or the researcher's
#: bracketed note.
PASSAGE_KINDS: tuple[str, ...] = ("turn", "paragraph", "question", "note")

Valence = Literal["positive", "negative", "neutral"]


#: Document fields that are columns of every documents and codings frame.
DOCUMENT_FIELDS: tuple[str, ...] = ("group", "village", "source_type", "informant_role",
                                    "informant", "date")
#: Names an attribute cannot take: the columns of the codings and documents frames.
RESERVED_ATTRIBUTES: frozenset[str] = frozenset((
    "coding_id", "doc_id", "start", "end", "code_id", "code_label", "factor", "valence",
    "coder", "origin", "confidence", "text", "title", "path", "sha256", "n_words", "n_chars",
    "position", "added", "meta", "attributes", "speaker", "case", "kind", "codebook_version",
    *DOCUMENT_FIELDS))
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2})?$")


def is_date(value: Any) -> bool:
    """Whether ``value`` is a document date: a date, an ISO date string, a year (``2004``), a
    year and month (``2004-03``) or ``unknown``.

    Examples
    --------
    >>> [is_date(v) for v in ("2004-03-11", "2004-03", "2004", "unknown", "March 2004")]
    [True, True, True, True, False]
    """
    if isinstance(value, _dt.date) or str(value) == "unknown" or \
            (isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999):
        return True
    text = str(value)
    if _PARTIAL_DATE.match(text):
        return len(text) == 4 or 1 <= int(text[5:]) <= 12
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def check_attributes(values: Mapping[str, Any], *, where: str = "attributes") -> None:
    """Raise :class:`~uppks_qual.errors.ParameterError` unless ``values`` maps attribute names
    (letters, digits and ``_``, not starting with a digit, not a reserved column name) to
    scalars (text, numbers, booleans, or None).

    Examples
    --------
    >>> check_attributes({"district": "Garut", "wave": 2})
    >>> check_attributes({"text": "x"})
    Traceback (most recent call last):
    ...
    uppks_qual.errors.ParameterError: attributes: 'text' is a column of every codings frame; choose another attribute name
    """
    for name, value in values.items():
        if not isinstance(name, str) or not _ATTRIBUTE_NAME.match(name):
            raise ParameterError(f"{where}: attribute name {name!r} must be letters, digits "
                                 "and '_' (not starting with a digit)", attribute=name)
        if name in RESERVED_ATTRIBUTES:
            raise ParameterError(f"{where}: {name!r} is a column of every codings frame; "
                                 "choose another attribute name", attribute=name)
        check_param(value, [str, numbers.Number, None], name=name, func=where)


@dataclass(frozen=True, slots=True)
class Document:
    """One source document: an interview transcript, observation note or document note.

    ``meta`` holds every front-matter field besides the named ones (title, interviewer,
    language, speakers, ...). ``path`` is the file it came from (``None`` if built in memory).
    ``attributes`` are the document's own variables, like case classifications in NVivo or
    MAXQDA (``district: Garut``, ``wave: 2``): they become columns of the documents and
    codings frames, so any of them can be the ``by=`` of a comparison. ``group`` may be empty:
    the document belongs to no group and takes part in no group comparison.
    """

    doc_id: str
    text: str
    group: str
    village: str
    source_type: str
    informant_role: str
    informant: str
    date: str
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    path: str | None = field(default=None, compare=False)
    attributes: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        check_param(self.doc_id, [NonEmptyText()], name="doc_id", func="Document")
        check_param(self.source_type, [Options(*SOURCE_TYPES)], name="source_type",
                    func="Document")
        check_attributes(self.attributes, where=f"document {self.doc_id!r}")

    @property
    def title(self) -> str:
        """The document's title (front matter ``title``), or its id."""
        return str(self.meta.get("title") or self.doc_id)

    @property
    def n_words(self) -> int:
        """Whitespace-separated words of the text, not counting interview speaker labels
        (``P:``, ``I:``): the denominator of rates per 1,000 words."""
        text = self.text
        if self.source_type == "interview":
            text = SPEAKER_LABEL.sub("", text)
        return len(text.split())

    def span(self, start: int, end: int) -> str:
        """Return ``text[start:end]`` after checking the span is non-empty and inside the text."""
        check_span(self.doc_id, start, end, len(self.text))
        return self.text[start:end]


#: A code id: lower-case letters, digits and ``_``, dotted levels (``leader_support.formal``).
CODE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
#: The token attributes a cue pattern may use (spaCy Matcher keys).
TOKEN_KEYS = frozenset({"ORTH", "TEXT", "LOWER", "NORM", "LEMMA", "IS_PUNCT", "IS_DIGIT",
                        "LIKE_NUM", "IS_ALPHA", "OP", "LENGTH", "IS_TITLE", "IS_LOWER",
                        "IS_UPPER", "SHAPE", "IS_SENT_START"})


def _token_value(value: Any) -> bool:
    """A token attribute's value: a scalar, or operators (``IN``, ``REGEX``, ``>=`` ...)
    mapped to scalars or lists of words."""
    def scalar(v: Any) -> bool:  # bool is an int; a YAML date is not a scalar here
        return isinstance(v, str | int | float) and not isinstance(v, _dt.date)

    if scalar(value):
        return True
    return isinstance(value, dict) and all(
        scalar(v) or (isinstance(v, list) and all(isinstance(w, str) for w in v))
        for v in value.values())


def pattern_problem(pattern: Any) -> str | None:
    """What is wrong with one cue pattern (a non-empty list of token mappings with
    :data:`TOKEN_KEYS` keys and scalar or operator values), or None when it is valid.

    The one check behind the codebook loader and the REFI extras reader; each wraps the
    answer in its own error with its own location.

    Examples
    --------
    >>> pattern_problem([{"LOWER": "putaran"}, {"LOWER": {"IN": ["i", "ii"]}}]) is None
    True
    >>> pattern_problem([{"WORD": "x"}])
    "unknown token key 'WORD'; use one of IS_ALPHA, ..."
    """
    if not (isinstance(pattern, list) and pattern and all(isinstance(t, dict)
                                                          for t in pattern)):
        return ("must be a non-empty list of token mappings such as "
                "[{LOWER: putaran}, {LOWER: {IN: [i, ii]}}]")
    for token in pattern:
        bad = [k for k in token if k not in TOKEN_KEYS]
        if bad:
            return f"unknown token key {bad[0]!r}; use one of {', '.join(sorted(TOKEN_KEYS))}"
        wrong = [k for k, v in token.items() if not _token_value(v)]
        if wrong:
            return (f"the value of {wrong[0]!r} must be a word, a number, true/false or a "
                    "mapping of operators such as {IN: [a, b]}")
    return None


def check_span(doc_id: str, start: int, end: int, length: int) -> None:
    """Raise :class:`SpanError` unless ``0 <= start < end <= length``."""
    if not (isinstance(start, numbers.Integral) and isinstance(end, numbers.Integral)) or \
            isinstance(start, bool) or isinstance(end, bool):
        raise SpanError(
            f"span offsets must be integers; got start={start!r}, end={end!r}", doc_id=doc_id
        )
    if start < 0 or end > length:
        raise SpanError(
            f"span [{start}, {end}) is outside document {doc_id!r} of {length} characters; "
            f"offsets must satisfy 0 <= start < end <= {length}",
            offset=start if start < 0 else end,
            doc_id=doc_id,
        )
    if start >= end:
        raise SpanError(
            f"span [{start}, {end}) in document {doc_id!r} is empty; end must be greater than start",
            offset=start,
            doc_id=doc_id,
        )


@dataclass(frozen=True, slots=True)
class Segment:
    """A speaker turn, a paragraph, or a sentence inside one of them.

    ``parent`` is the ``segment_id`` of the turn/paragraph that contains a sentence.
    """

    doc_id: str
    segment_id: str
    kind: str
    start: int
    end: int
    text: str
    speaker: str | None = None
    parent: str | None = None
    time: str | None = None

    def __post_init__(self) -> None:
        check_param(self.kind, [Options(*SEGMENT_KINDS)], name="kind", func="Segment")
        if not 0 <= self.start < self.end:
            raise SpanError(f"Segment [{self.start}, {self.end}) must be non-empty and start >= 0",
                            offset=self.start, doc_id=self.doc_id)
        if len(self.text) != self.end - self.start:
            raise SpanError("Segment.text must have length end - start", doc_id=self.doc_id)


@dataclass(frozen=True, slots=True)
class Code:
    """One code of the codebook.

    ``factor`` is the id of the code's top-level ancestor (itself for a top-level code);
    ``kind`` (one of :data:`CODE_KINDS`, inherited from the top-level ancestor) is
    ``"factor"`` for the study's six factors, ``"structural"`` for descriptive codes,
    ``"rival"`` for rival explanations of the outcome and ``"other"`` for what fits nothing.
    Cue lists are tuples of strings; ``patterns`` are spaCy Matcher token patterns;
    ``persons`` name people or roles (``"plkb"``, ``"pak afrizal"``) whose later mention by a
    pronoun (*dia, ia, beliau, inyo*) in the same turn is also evidence of the code.
    """

    code_id: str
    parent: str | None
    factor: str
    kind: str
    label_en: str
    label_id: str
    definition: str = ""
    use_when: str = ""
    not_when: str = ""
    examples: tuple[str, ...] = ()
    colour: str = "#777777"
    phrases: tuple[str, ...] = ()
    lemmas: tuple[str, ...] = ()
    patterns: tuple[tuple[Mapping[str, Any], ...], ...] = field(default=(), hash=False)
    persons: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    line: int | None = field(default=None, compare=False)

    def label(self, lang: str = "en") -> str:
        """The label in ``"en"`` or ``"id"`` (Indonesian)."""
        check_param(lang, [Options("en", "id")], name="lang", func="Code.label")
        return self.label_en if lang == "en" else self.label_id

    @property
    def has_cues(self) -> bool:
        """Whether the automatic coder can find this code."""
        return bool(self.phrases or self.lemmas or self.patterns or self.persons)


@dataclass(frozen=True, slots=True)
class ChangelogEntry:
    """One entry of a codebook's change log: ``version``, ISO ``date`` and what changed."""

    version: str
    date: str
    change: str
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class RuleExample:
    """A worked example of a coding rule: a passage quoted verbatim from document ``doc_id``
    and how it is coded (``code_id`` and ``valence`` when the rule is about them)."""

    doc_id: str
    quote: str
    code_id: str | None = None
    valence: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        check_param(self.valence, [Options(*VALENCES), None], name="valence",
                    func="RuleExample")


@dataclass(frozen=True, slots=True)
class CodingRule:
    """A rule for human coders in plain words (``topic`` ``"valence"`` or ``"unit"``), with
    worked examples."""

    topic: str
    text: str
    examples: tuple[RuleExample, ...] = ()
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Codebook:
    """An ordered, validated set of codes (build it with :func:`uppks_qual.load_codebook`).

    Iterating yields :class:`Code` objects in file order; ``codebook["leadership"]`` looks
    one up; ``"leadership" in codebook`` tests membership. ``changelog`` lists the codebook's
    revisions, oldest first (:attr:`version` is the latest); ``rules`` maps a topic
    (``"valence"``, ``"unit"``) to the coding rules for human coders.

    Examples
    --------
    >>> cb = Codebook((Code("a", None, "a", "factor", "A", "A"),
    ...                Code("r", None, "r", "rival", "R", "R"),
    ...                Code("r.x", "r", "r", "rival", "X", "X")),
    ...               changelog=(ChangelogEntry("1.0", "2026-01-05", "first"),
    ...                          ChangelogEntry("1.1", "2026-02-01", "rival codes")))
    >>> cb.version, [c.code_id for c in cb.factors()], [c.code_id for c in cb.rivals()]
    ('1.1', ['a'], ['r', 'r.x'])
    """

    codes: tuple[Code, ...]
    name: str = "codebook"
    path: str | None = field(default=None, compare=False)
    changelog: tuple[ChangelogEntry, ...] = ()
    rules: Mapping[str, tuple[CodingRule, ...]] = field(default_factory=dict, hash=False)
    _index: Mapping[str, Code] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        if not self._index:
            object.__setattr__(self, "_index", {c.code_id: c for c in self.codes})

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._index

    def __getitem__(self, code_id: str) -> Code:
        try:
            return self._index[code_id]
        except KeyError:
            raise UnknownCodeError(
                f"unknown code {code_id!r}; known codes are: {', '.join(self._index)}",
                path=self.path,
                code_id=code_id,
            ) from None

    @property
    def ids(self) -> tuple[str, ...]:
        """All code ids in file order."""
        return tuple(self._index)

    @property
    def version(self) -> str | None:
        """The codebook's version: that of the latest :attr:`changelog` entry (None without a
        change log). Codings record the version they were made under."""
        return self.changelog[-1].version if self.changelog else None

    @property
    def actors(self) -> tuple[str, ...]:
        """Names of people among the codes' ``persons`` cues, in file order: the codebook's
        ``actors:`` (written with capitals, as names are), not role words such as
        ``ketua`` (written in lower case). Used to mask names (:mod:`uppks_qual.masking`).

        Examples
        --------
        >>> cb = Codebook((Code("a", None, "a", "factor", "A", "A",
        ...                     persons=("ketua", "Pak Hasan")),))
        >>> cb.actors
        ('Pak Hasan',)
        """
        names = (p for c in self.codes for p in c.persons if p[:1].isupper())
        return tuple(dict.fromkeys(names))

    def factors(self) -> tuple[Code, ...]:
        """The top-level codes of kind ``factor`` (the study's six factors)."""
        return tuple(c for c in self.codes if c.parent is None and c.kind == "factor")

    def rivals(self) -> tuple[Code, ...]:
        """Every code of kind ``rival``, in file order: the top-level rival-explanations code
        and the rival explanations below it."""
        return tuple(c for c in self.codes if c.kind == "rival")

    def top_level(self) -> tuple[Code, ...]:
        """All top-level codes (factors, structural, rival and other codes)."""
        return tuple(c for c in self.codes if c.parent is None)

    def children(self, code_id: str) -> tuple[Code, ...]:
        """Direct children of ``code_id``."""
        self[code_id]
        return tuple(c for c in self.codes if c.parent == code_id)

    def subtree(self, code_ids: Collection[str]) -> tuple[str, ...]:
        """``code_ids`` and every code below them, in file order (ids not in the codebook
        are left out).

        Examples
        --------
        >>> cb = Codebook((Code("a", None, "a", "factor", "A", "A"),
        ...                Code("a.x", "a", "a", "factor", "X", "X"),
        ...                Code("b", None, "b", "factor", "B", "B")))
        >>> cb.subtree(["a"])
        ('a', 'a.x')
        """
        out = []
        for c in self.codes:
            node: str | None = c.code_id
            while node is not None and node not in code_ids:
                node = self._index[node].parent
            if node is not None:
                out.append(c.code_id)
        return tuple(out)

    def depth(self, code_id: str) -> int:
        """0 for a top-level code, 1 for its children, ..."""
        depth, code = 0, self[code_id]
        while code.parent is not None:
            depth, code = depth + 1, self[code.parent]
        return depth

    def colour(self, code_id: str) -> str:
        """The code's colour (children without one inherit their parent's)."""
        return self[code_id].colour

    def labels(self, lang: str = "en") -> dict[str, str]:
        """Mapping code id -> label in ``lang``."""
        return {c.code_id: c.label(lang) for c in self.codes}


@dataclass(frozen=True, slots=True)
class Coding:
    """One coded span: ``code_id`` applied to ``[start, end)`` of ``doc_id`` by ``coder``."""

    doc_id: str
    start: int
    end: int
    code_id: str
    coder: str
    origin: str = "manual"
    valence: str | None = None
    confidence: float | None = None
    memo: str | None = None
    text: str = ""
    coding_id: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not all(isinstance(x, numbers.Integral) and not isinstance(x, bool)
                   for x in (self.start, self.end)):
            raise SpanError(f"span offsets must be integers; got start={self.start!r}, "
                            f"end={self.end!r}", doc_id=self.doc_id)
        if not 0 <= self.start < self.end:
            raise SpanError(
                f"span [{self.start}, {self.end}) must be non-empty with 0 <= start < end",
                offset=self.start, doc_id=self.doc_id)
        check_param(self.origin, [Options(*ORIGINS)], name="origin", func="Coding")
        check_param(self.valence, [Options(*VALENCES), None], name="valence", func="Coding")
