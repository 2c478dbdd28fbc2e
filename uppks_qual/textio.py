"""Reading text files and YAML with the positions users need in error messages.

* bytes are decoded as UTF-8 (a byte-order mark is dropped); anything else is an
  :class:`~uppks_qual.errors.EncodingProblem` naming the file and byte offset, never mojibake;
* CRLF and lone CR become LF, then the text is put in Unicode NFC, **before** any offset is
  computed, so offsets index the normalised text;
* a quote is found in a text exactly, ignoring case, or ignoring case, spacing and
  punctuation (:func:`find_span`), always as offsets into the original text;
* YAML is parsed with line numbers kept for every mapping key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import EncodingProblem, QualError, SpanError
from .params import Options, validate_params

__all__ = ["MATCH_MODES", "SPEAKER_LABEL", "YamlDoc", "decode", "find_span", "normalise",
           "paragraph_spans", "parse_yaml", "read_text", "sentence_spans", "trim"]

#: A speaker label at the start of a line (``P:``, ``I:``, ``Buya:``): 1-12 letters or digits
#: starting with a capital, then a colon; group 1 is the label.
SPEAKER_LABEL = re.compile(r"^([A-Z][A-Za-z0-9]{0,11}):[ \t]*", re.MULTILINE)
_PARAGRAPH = re.compile(r"\S(?:.|\n(?![ \t]*\n))*")

_BOM = b"\xef\xbb\xbf"


def normalise(text: str) -> str:
    """Turn CRLF/CR line ends into LF and compose to Unicode NFC.

    Examples
    --------
    >>> normalise("Padang\\r\\nOlo\\rCafe\\u0301")
    'Padang\\nOlo\\nCafé'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the paragraphs of ``text[start:end]`` (blank lines separate them), trimmed,
    as offsets into ``text``.

    Examples
    --------
    >>> paragraph_spans("Satu.\\n\\n  Dua\\ntiga.  \\n")
    [(0, 5), (9, 18)]
    """
    end = len(text) if end is None else end
    out = []
    for m in _PARAGRAPH.finditer(text, start, end):
        s, e = m.start(), m.end()
        while e > s and text[e - 1].isspace():
            e -= 1
        out.append((s, e))
    return out


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without the white space at either end.

    Examples
    --------
    >>> trim("  Rapat.  ", 0, 10)
    (2, 8)
    """
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_OPENERS = "([{\"'“‘"


def sentence_spans(text: str, offset: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Trimmed, non-empty sentence spans (``spans`` are relative to ``offset``; the result is
    absolute); an opening bracket or quote left dangling at the end of a sentence
    (``"... 2004. ["``) is moved to the start of the next one.

    The corpus loader and the auto-coder both cut sentences with this function, so a sentence
    coding always coincides with a sentence segment of the corpus.

    Examples
    --------
    >>> text = "Rapat tiap bulan. [Ketua datang.]"
    >>> [text[a:b] for a, b in sentence_spans(text, 0, [(0, 19), (19, 33)])]
    ['Rapat tiap bulan.', '[Ketua datang.]']
    """
    out: list[tuple[int, int]] = []
    carry: int | None = None
    for a, b in spans:
        s, e = trim(text, offset + a, offset + b)
        if carry is not None:
            s, carry = carry, None
        while e > s and text[e - 1] in _OPENERS and e - 1 > s and text[e - 2].isspace():
            carry = e - 1
            e = trim(text, s, e - 1)[1]
        if e > s:
            out.append((s, e))
    if carry is not None and out:
        out[-1] = (out[-1][0], trim(text, out[-1][0], offset + spans[-1][1])[1])
    return out


#: What ``match=`` of :func:`find_span` accepts.
MATCH_MODES: tuple[str, ...] = ("exact", "casefold", "loose")


def _is_separator(char: str) -> bool:
    """White space or punctuation: what ``match="loose"`` treats as interchangeable."""
    return char.isspace() or unicodedata.category(char).startswith("P")


def _folded(text: str, *, loose: bool) -> tuple[str, list[int], list[int]]:
    """``text`` case-folded character by character (``loose``: each run of separators
    becomes one space), with, for each folded character, the original offset it starts
    (``first``) or ends (``last``) at; -1 inside a character that folds to several
    ("ß" -> "ss")."""
    out: list[str] = []
    first: list[int] = []
    last: list[int] = []
    i, n = 0, len(text)
    while i < n:
        if loose and _is_separator(text[i]):
            j = i + 1
            while j < n and _is_separator(text[j]):
                j += 1
            out.append(" ")
            first.append(i)
            last.append(j)
            i = j
            continue
        fold = text[i].casefold()
        out.append(fold)
        first += [i] + [-1] * (len(fold) - 1)
        last += [-1] * (len(fold) - 1) + [i + 1]
        i += 1
    return "".join(out), first, last


def _matches(text: str, quote: str, match: str) -> list[tuple[int, int]]:
    """Every (possibly overlapping) span of ``text`` that ``quote`` matches in ``match`` mode."""
    first: Sequence[int]
    last: Sequence[int]
    if match == "exact":
        hay, needle = text, quote
        first, last = range(len(text)), range(1, len(text) + 1)
    else:
        loose = match == "loose"
        hay, first, last = _folded(text, loose=loose)
        needle = _folded(quote, loose=loose)[0]
        needle = needle.strip(" ") if loose else needle
    spans, i = [], hay.find(needle) if needle else -1
    while i >= 0:
        j = i + len(needle)
        if first[i] >= 0 and last[j - 1] >= 0:  # starts and ends on whole characters
            spans.append((first[i], last[j - 1]))
        i = hay.find(needle, i + 1)
    return spans


@validate_params({"match": [Options(*MATCH_MODES)]})
def find_span(text: str, quote: str, *, doc_id: str, occurrence: int | None = None,
              match: str = "exact") -> tuple[int, int]:
    """``(start, end)`` of ``quote`` in ``text``; a :class:`SpanError` if absent or ambiguous.

    Parameters
    ----------
    text, quote : str
        The document's text and the words to find.
    doc_id : str
        The document, for messages.
    occurrence : int, optional
        Which match (1-based, counted in ``match`` mode; matches may overlap: "aa" occurs
        twice in "aaa"); required when the quote matches more than once.
    match : {"exact", "casefold", "loose"}, default "exact"
        ``"exact"``: the same characters. ``"casefold"``: ignoring case (``str.casefold``,
        so "STRASSE" finds "Straße"). ``"loose"``: ignoring case, and any run of white space
        or punctuation matches any other run ("kas, bulanan" finds "Kas bulanan"); white
        space and punctuation at either end of the quote are ignored.

    Returns
    -------
    tuple of int
        Half-open offsets into ``text``, from the first to the last matched character.

    Examples
    --------
    >>> find_span("Rapat tiap bulan", "tiap", doc_id="d")
    (6, 10)
    >>> find_span("Sejak  2019, kas bulanan.", "sejak 2019", doc_id="d", match="loose")
    (0, 11)
    """
    if not quote or (match == "loose" and all(map(_is_separator, quote))):
        raise SpanError(f"empty quote {quote!r}; give the words to code", doc_id=doc_id)
    spans = _matches(text, quote, match)
    if not spans:
        how = "copy the exact words" if match == "exact" else f"match={match!r}"
        raise SpanError(f"quote {quote[:60]!r} not found in document {doc_id!r} ({how}; offsets "
                        "are into the LF/NFC-normalised text)", doc_id=doc_id, match=match)
    starts = [s for s, _ in spans]
    if occurrence is None:
        if len(spans) > 1:
            raise SpanError(f"quote {quote[:60]!r} occurs {len(spans)} times in {doc_id!r} (at "
                            f"offsets {starts[:10]}); pass occurrence=1..{len(spans)}",
                            doc_id=doc_id, offsets=starts)
        return spans[0]
    if not 1 <= occurrence <= len(spans):
        raise SpanError(f"occurrence={occurrence} but quote occurs {len(spans)} time(s) in "
                        f"{doc_id!r}", doc_id=doc_id)
    return spans[occurrence - 1]


def decode(data: bytes, path: str | Path) -> str:
    """Decode UTF-8 bytes (with or without BOM) and normalise them; see :func:`normalise`."""
    skip = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + skip
        bad = data[offset : offset + 4]
        raise EncodingProblem(
            f"not valid UTF-8: byte {bad[:1].hex()} ({bad!r}...) cannot be decoded. "
            "Save the file as UTF-8 (for example `iconv -f WINDOWS-1252 -t UTF-8 in > out`).",
            path=path,
            offset=offset,
        ) from None
    return normalise(text)


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file, normalised (LF line ends, NFC)."""
    return decode(Path(path).read_bytes(), path)


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """Parsed YAML with the 1-based line of every mapping key (``lines[(id(mapping), key)]``)."""

    data: Any
    lines: dict[tuple[int, str], int]
    start_line: int

    def line_of(self, mapping: Any, key: str | None = None) -> int:
        """Line of ``key`` in ``mapping`` (or of the mapping itself when ``key`` is None)."""
        return self.lines.get((id(mapping), key or ""), self.start_line)


def parse_yaml(
    text: str, path: str | Path, *, first_line: int = 1, error: type[QualError] = QualError
) -> YamlDoc:
    """Parse YAML keeping key line numbers; errors become ``error`` with ``path:line``.

    ``first_line`` is the file line where ``text`` starts (for front matter).
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + (mark.line if mark else 0)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(
            f"malformed YAML: {problem}. Check indentation, colons and quotes on this line.",
            path=path,
            line=line,
        ) from None
    if node is None:
        return YamlDoc(None, {}, first_line)
    constructor = yaml.SafeLoader("")
    lines: dict[tuple[int, str], int] = {}
    try:
        data = _construct(constructor, node, lines, first_line)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(
            f"malformed YAML: {getattr(exc, 'problem', exc)}",
            path=path,
            line=first_line + (mark.line if mark else 0),
        ) from None
    return YamlDoc(data, lines, first_line)


def _construct(loader: Any, node: Any, lines: dict[tuple[int, str], int], first: int) -> Any:
    """Build Python data from a node, recording each mapping's and key's line."""
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        lines[(id(out), "")] = first + node.start_mark.line
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key = "" if key is None else str(key)
            if key in out:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            try:
                out[key] = _construct(loader, value_node, lines, first)
            except yaml.constructor.ConstructorError as exc:
                if not isinstance(value_node, yaml.ScalarNode):
                    raise
                raise yaml.constructor.ConstructorError(
                    None, None, f"field {key!r}: {exc.problem}", value_node.start_mark) from None
            lines[(id(out), key)] = first + key_node.start_mark.line
        return out
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for i, item in enumerate(node.value):
            items.append(_construct(loader, item, lines, first))
            lines[(id(items), str(i))] = first + item.start_mark.line
        return items
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. an impossible date such as 2004-02-30
        raise yaml.constructor.ConstructorError(
            None, None, f"invalid value {node.value!r} ({exc})", node.start_mark) from None
