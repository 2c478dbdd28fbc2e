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

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import EncodingProblem, LimitError, QualError, SpanError
from .limits import check as check_limit
from .limits import current as current_limits
from .params import Options, validate_params

__all__ = [
    "DELIMITERS",
    "MATCH_MODES",
    "SPEAKER_LABEL",
    "YamlDoc",
    "decode",
    "find_span",
    "normalise",
    "paragraph_spans",
    "parse_yaml",
    "read_csv_table",
    "read_text",
    "sentence_spans",
    "snap_span",
    "sniff_delimiter",
    "trim",
]

#: A speaker label at the start of a line (``P:``, ``I:``, ``Buya:``): 1-12 letters or digits
#: starting with a capital, then a colon; group 1 is the label.
SPEAKER_LABEL = re.compile(r"^([A-Z][A-Za-z0-9]{0,11}):[ \t]*", re.MULTILINE)
#: Where a paragraph ends: a line break followed by a blank line (spaces and tabs only).
_PARAGRAPH_BREAK = re.compile(r"\n(?=[ \t]*\n)")
_NON_SPACE = re.compile(r"\S")

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

    A paragraph starts at a character that is not white space and runs to the first line
    break followed by a blank line (a line of spaces and tabs only) or to ``end``. Linear in
    the length of the text, with no per-character memory (a 10 MB paragraph costs nothing but
    its span).

    Examples
    --------
    >>> paragraph_spans("Satu.\\n\\n  Dua\\ntiga.  \\n")
    [(0, 5), (9, 18)]
    """
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    pos = start
    while True:
        first = _NON_SPACE.search(text, pos, end)
        if first is None:
            return out
        s = first.start()
        stop = _PARAGRAPH_BREAK.search(text, s, end)
        e = stop.start() if stop else end
        pos = e
        while e > s and text[e - 1].isspace():
            e -= 1
        out.append((s, e))


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


def _in_word(char: str) -> bool:
    """A character a word is made of: letters, digits and the joiners of *anak-anak* and
    *Ma'ruf*."""
    return char.isalnum() or char in "-'’_"


def snap_span(text: str, start: int, end: int, *,
              sentences: Sequence[tuple[int, int]] | None = None,
              doc_id: str = "document") -> tuple[int, int]:
    """A selection ``[start, end)`` widened to whole words, or to whole sentences.

    What the coding workbench does with a mouse selection. Offsets are clamped to the text
    and put in order; a word cut by either end is taken whole (*anak-anak* is one word), and
    white space at the ends is dropped. With ``sentences`` (``(start, end)`` spans, e.g. the
    document's sentence segments) the result is every sentence the selection touches, from
    the first one's start to the last one's end (the word span when it touches none).

    Raises
    ------
    SpanError
        The selection holds no character but white space.

    Examples
    --------
    >>> text = "Pinjaman anak-anak lancar. Kas kosong."
    >>> a, b = snap_span(text, 11, 22)
    >>> text[a:b]
    'anak-anak lancar'
    >>> a, b = snap_span(text, 12, 13, sentences=[(0, 26), (27, 38)])
    >>> text[a:b]
    'Pinjaman anak-anak lancar.'
    """
    n = len(text)
    start, end = sorted((min(max(int(start), 0), n), min(max(int(end), 0), n)))
    while 0 < start < n and _in_word(text[start - 1]) and _in_word(text[start]):
        start -= 1
    while 0 < end < n and _in_word(text[end - 1]) and _in_word(text[end]):
        end += 1
    start, end = trim(text, start, end)
    if start >= end:
        raise SpanError(f"the selection in {doc_id!r} holds no word; select some text",
                        offset=start, doc_id=doc_id)
    if sentences:
        touched = [(a, b) for a, b in sentences if a < end and start < b]
        if touched:
            return min(a for a, _ in touched), max(b for _, b in touched)
    return start, end


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


#: Byte-order marks of the encodings a text file may be in by mistake (longest first).
_FOREIGN_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32", "big-endian"),
                 (b"\xff\xfe\x00\x00", "UTF-32", "little-endian"),
                 (b"\xfe\xff", "UTF-16", "big-endian"), (b"\xff\xfe", "UTF-16", "little-endian"))


def _wide_encoding(data: bytes) -> tuple[str, str] | None:
    """``(encoding, byte order)`` when ``data`` looks like UTF-16/32 text without a byte-order
    mark (ASCII characters leave NUL bytes at every other or three of four positions)."""
    sample = data[:4096]
    n = len(sample)
    if n < 4:
        return None
    quads = [sample[i::4].count(0) for i in range(4)]
    third = max(1, n // 4 * 3 // 4)  # three quarters of one residue class
    few = n // 4 // 8  # the characters' own bytes are rarely NUL
    if quads[1] >= third and quads[2] >= third and quads[3] >= third and quads[0] <= few:
        return "UTF-32", "little-endian"
    if quads[0] >= third and quads[1] >= third and quads[2] >= third and quads[3] <= few:
        return "UTF-32", "big-endian"
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = max(1, n // 2 // 2)  # half of one parity
    if odd >= half and even <= odd // 8:
        return "UTF-16", "little-endian"
    if even >= half and odd <= even // 8:
        return "UTF-16", "big-endian"
    return None


def _not_utf8(encoding: str, order: str, path: str | Path, how: str) -> EncodingProblem:
    return EncodingProblem(
        f"the file is {encoding} ({order}) text{how}, not UTF-8. Save it as UTF-8 (in your "
        f"editor: Save as... > Encoding UTF-8; or `iconv -f {encoding} -t UTF-8 in > out`).",
        path=path, offset=0, encoding=encoding)


def decode(data: bytes, path: str | Path) -> str:
    """Decode UTF-8 bytes (with or without BOM) and normalise them; see :func:`normalise`.

    Bytes starting with a UTF-16 or UTF-32 byte-order mark, and bytes that are not valid
    UTF-8, are an :class:`EncodingProblem` naming the file and byte offset (UTF-16/32 text
    without a mark is named as such when its NUL bytes show it). :func:`read_text` also
    refuses a file with NUL bytes, which valid UTF-8 may hold but a text file never does.

    Examples
    --------
    >>> decode("Rapat\\r\\n".encode("utf-8"), "a.txt")
    'Rapat\\n'
    >>> decode("Rapat".encode("utf-16"), "a.txt")
    Traceback (most recent call last):
    ...
    uppks_qual.errors.EncodingProblem: a.txt (byte 0): the file is UTF-16 (little-endian) ...
    """
    for bom, encoding, order in _FOREIGN_BOMS:
        if data.startswith(bom):
            raise _not_utf8(encoding, order, path, " with a byte-order mark")
    skip = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        wide = _wide_encoding(data)
        if wide is not None:
            raise _not_utf8(*wide, path, " without a byte-order mark") from None
        offset = exc.start + skip
        bad = data[offset : offset + 4]
        raise EncodingProblem(
            f"not valid UTF-8: byte {bad[:1].hex()} ({bad!r}...) cannot be decoded. "
            "Save the file as UTF-8 (for example `iconv -f WINDOWS-1252 -t UTF-8 in > out`).",
            path=path,
            offset=offset,
        ) from None
    return normalise(text)


def _check_text_file(data: bytes, path: str | Path) -> None:
    """Refuse file bytes holding a NUL byte: UTF-16/32 text without a byte-order mark (named
    as such) or binary data."""
    nul = data.find(b"\x00")
    if nul < 0:
        return
    for bom, encoding, order in _FOREIGN_BOMS:
        if data.startswith(bom):
            raise _not_utf8(encoding, order, path, " with a byte-order mark")
    wide = _wide_encoding(data)
    if wide is not None:
        raise _not_utf8(*wide, path, " without a byte-order mark")
    raise EncodingProblem(
        "a NUL byte: this is not a text file (binary data such as a .doc, a PDF "
        "or an image, or a damaged file). Give a UTF-8 text file; save Word files as .docx "
        "or as plain text.", path=path, offset=nul)


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file, normalised (LF line ends, NFC); see :func:`decode`.

    A file holding NUL bytes (UTF-16/32 text without a byte-order mark, or binary data) is an
    :class:`~uppks_qual.errors.EncodingProblem`.

    A file larger than ``limits.max_file_bytes`` is a
    :class:`~uppks_qual.errors.LimitError`, checked before it is read (and, for a pipe or
    device, while it is read; its first 64 KiB are checked for NUL bytes first).
    """
    path = Path(path)
    maximum = current_limits().max_file_bytes
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        check_limit("max_file_bytes", size, path=path, what="file size (bytes)")
        head = handle.read(65536)
        _check_text_file(head, path)
        data = head + handle.read(maximum + 1 - len(head)) if len(head) == 65536 else head
    check_limit("max_file_bytes", len(data), path=path, what="file size (bytes)")
    _check_text_file(data, path)
    return decode(data, path)


#: The delimiters a CSV file may use, with their names for messages.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV file from its header line: comma, semicolon (Excel in an
    Indonesian or European locale) or tab, whichever separates the most column names outside
    quotes; comma when the header does not tell. Linear in the length of the line.

    Examples
    --------
    >>> sniff_delimiter("doc_id;group;text\\nd1;A;Halo\\n")
    ';'
    >>> sniff_delimiter("doc_id\\n")
    ','
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in sample:
        if char == '"':
            quoted = not quoted
        elif char == "\n" and not quoted:
            break
        elif char in counts and not quoted:
            counts[char] += 1
    best = max(counts, key=lambda d: counts[d])  # ties: the first (comma)
    return best if counts[best] else ","


def read_csv_table(path: str | Path, *, error: type[QualError] = QualError,
                   what: str = "CSV file", sniff: bool = True) -> tuple[Any, str]:
    """A CSV file as a DataFrame of strings, strictly: every problem is ``error`` naming the
    file and line.

    The file is read with :func:`read_text` (UTF-8, size limit). The first row is the header:
    it must exist and name each column once. Every other row must have as many fields as the
    header (blank lines are skipped); quoting must be well formed; at most
    ``limits.max_csv_rows`` rows. The frame's index is each row's first file line.

    Parameters
    ----------
    path : str or Path
        The file.
    error : type of QualError
        The error to raise (``CorpusError`` for a corpus file, ``ImportProblem`` for an
        imported table).
    what : str
        What the file is, for messages.
    sniff : bool, default True
        Sniff the delimiter (:func:`sniff_delimiter`); else comma.

    Returns
    -------
    tuple
        The frame, and how it was read ("read with the comma (',') as delimiter").

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = f.write_text("doc_id;text\\nd1;Halo\\n\\nd2;Apa\\n", encoding="utf-8")
    >>> frame, how = read_csv_table(f)
    >>> frame.to_dict("index"), how
    ({2: {'doc_id': 'd1', 'text': 'Halo'}, 4: {'doc_id': 'd2', 'text': 'Apa'}}, "read with the semicolon (';') as delimiter")
    """
    import csv
    import io

    import pandas as pd

    try:
        text = read_text(path)
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror or exc}", path=path) from None
    sep = sniff_delimiter(text[:65536]) if sniff else ","
    how = f"read with the {DELIMITERS[sep]} ({sep!r}) as delimiter"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    maximum = current_limits().max_csv_rows
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    start = 1
    try:
        for row in reader:
            if row:
                if header is None:
                    header = _csv_header(row, path, error, what, how)
                elif len(row) != len(header):
                    raise error(f"this row has {len(row)} fields but the header has "
                                f"{len(header)} ({how}); quote values that contain the "
                                f"delimiter, or fix the row", path=path, line=start,
                                fields=len(row))
                else:
                    if len(rows) == maximum:
                        check_limit("max_csv_rows", len(rows) + 1, path=path,
                                     what="number of CSV rows", line=start)
                    rows.append(row)
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise error(f"malformed CSV ({how}): {exc}; check the quotes on this line",
                    path=path, line=reader.line_num) from None
    if header is None:
        raise error(f"the {what} is empty: it needs a header row naming its columns",
                    path=path, line=1)
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, dtype="int64"),
                         dtype=object)
    return frame, how


def _csv_header(row: list[str], path: str | Path, error: type[QualError], what: str,
                how: str) -> list[str]:
    names = [name.strip() for name in row]
    for i, name in enumerate(names):
        if not name:
            raise error(f"column {i + 1} of the header of the {what} has no name ({how}); "
                        "name every column or delete the empty one", path=path, line=1)
        if name in names[:i]:
            raise error(f"column {name!r} appears twice in the header of the {what} ({how}); "
                        "each column once", path=path, line=1)
    return names


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

    Values are built with PyYAML's safe loader, each node once: an alias shares the object
    of its anchor instead of being walked again. Hostile input is refused before memory is
    spent, with a :class:`~uppks_qual.errors.LimitError` naming the file and line: a text
    larger than ``limits.max_file_bytes``, collections nested deeper than
    ``limits.max_depth``, more than ``limits.max_yaml_nodes`` values once aliases are
    expanded (an alias counts the values it stands for: the "billion laughs"), or expanded
    text longer than ``limits.max_text_chars``. An alias inside its own anchor (recursive data), a
    mapping key that is a list or mapping and merge keys (``<<``) are ``error``.

    Examples
    --------
    >>> doc = parse_yaml("id: d1\\ntags: [a, b]\\n", "x.yaml")
    >>> doc.data, doc.line_of(doc.data, "tags")
    ({'id': 'd1', 'tags': ['a', 'b']}, 2)
    """
    size = len(text) if len(text) * 4 <= current_limits().max_file_bytes else \
        len(text.encode("utf-8", "surrogatepass"))
    check_limit("max_file_bytes", size, path=path, what="YAML text size (bytes)",
                 line=first_line)
    try:
        loader = _LimitedLoader(text, path, first_line)
    except yaml.reader.ReaderError as exc:  # checked before parsing: a control character
        raise _yaml_error(exc, path, first_line, error, text) from None
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, path, first_line, error, text) from None
    except RecursionError:
        raise _too_deep(path, first_line) from None
    finally:
        loader.dispose()
    if node is None:
        return YamlDoc(None, {}, first_line)
    _measure(node, path, first_line, error)
    lines: dict[tuple[int, str], int] = {}
    try:
        data = _Builder(loader, lines, first_line).build(node)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, path, first_line, error, text) from None
    except RecursionError:
        raise _too_deep(path, first_line) from None
    return YamlDoc(data, lines, first_line)


def _yaml_error(exc: yaml.YAMLError, path: str | Path, first_line: int,
                error: type[QualError], text: str = "") -> QualError:
    if isinstance(exc, yaml.reader.ReaderError):
        line = first_line + text.count("\n", 0, max(0, exc.position))
        char = exc.character if isinstance(exc.character, int) else -1
        return error(f"character U+{char:04X} is not allowed in YAML (a control or "
                     "special character, often pasted by mistake); delete it", path=path,
                     line=line)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = first_line + (mark.line if mark else 0)
    problem = getattr(exc, "problem", None) or str(exc)
    hint = "" if isinstance(exc, yaml.constructor.ConstructorError) else \
        ". Check indentation, colons and quotes on this line."
    return error(f"malformed YAML: {problem}{hint}", path=path, line=line)


def _too_deep(path: str | Path, line: int) -> LimitError:
    return LimitError("YAML nesting is too deep for the parser; the file is refused as broken "
                      "or hostile", limit="max_depth", path=path, line=line)


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting collection depth and values as the parser streams
    events, so that deep nesting and huge documents are refused before they are composed."""

    def __init__(self, text: str, path: str | Path, first_line: int) -> None:
        super().__init__(text)
        self._where = (path, first_line)
        self._depth = 0
        self._values = 0
        self._limits = current_limits()

    def get_event(self) -> Any:
        event = super().get_event()
        if isinstance(event, yaml.CollectionStartEvent):
            self._depth += 1
            if self._depth > self._limits.max_depth:
                self._refuse("max_depth", self._depth, "YAML nesting depth", event)
        elif isinstance(event, yaml.CollectionEndEvent):
            self._depth -= 1
        if isinstance(event, yaml.NodeEvent):
            self._values += 1
            if self._values > self._limits.max_yaml_nodes:
                self._refuse("max_yaml_nodes", self._values, "number of YAML values", event)
        return event

    def _refuse(self, name: str, value: int, what: str, event: Any) -> None:
        path, first = self._where
        check_limit(name, value, path=path, what=what, line=first + event.start_mark.line)


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _line_within(node: Any, child: Any) -> int:
    """The (0-based) line where ``child`` appears inside ``node``: its key's line in a
    mapping, else the line where ``node`` starts."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if child is key or child is value:
                return int(key.start_mark.line)
    return int(node.start_mark.line)


def _measure(root: Any, path: str | Path, first: int, error: type[QualError]) -> None:
    """Refuse a node graph that expands (aliases replaced by what they stand for) to more than
    ``max_yaml_nodes`` values, ``max_text_chars`` characters or ``max_depth`` levels, or that
    contains itself. Each node is visited once (dynamic programming over the graph), so the
    check costs the size of the text, not of its expansion."""
    done: dict[int, tuple[int, int, int]] = {}  # id(node) -> (values, characters, depth)
    open_: set[int] = {id(root)}
    stack = [(root, iter(_children(root)))]
    while stack:
        node, todo = stack[-1]
        for child in todo:
            if id(child) in done:
                continue
            if id(child) in open_:
                raise error(
                    "recursive alias: the collection anchored on line "
                    f"{first + child.start_mark.line} contains itself (an alias to it appears "
                    "inside it); YAML data here must not refer to itself", path=path,
                    line=first + _line_within(node, child))
            if isinstance(child, yaml.ScalarNode):
                done[id(child)] = (1, len(child.value), 0)
                continue
            open_.add(id(child))
            stack.append((child, iter(_children(child))))
            break
        else:
            stack.pop()
            open_.discard(id(node))
            kids = [done[id(c)] for c in _children(node)]
            total = (1 + sum(k[0] for k in kids), sum(k[1] for k in kids),
                     1 + max((k[2] for k in kids), default=0))
            line = first + node.start_mark.line
            check_limit("max_yaml_nodes", total[0], path=path, line=line,
                         what="number of YAML values once aliases are expanded")
            check_limit("max_text_chars", total[1], path=path, line=line,
                         what="characters of YAML text once aliases are expanded")
            check_limit("max_depth", total[2], path=path, line=line,
                         what="YAML nesting depth once aliases are expanded")
            done[id(node)] = total


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Builder:
    """Python data from a checked node graph, each node built once (an alias shares its
    anchor's object), recording the line of every mapping, key and list item."""

    def __init__(self, loader: Any, lines: dict[tuple[int, str], int], first: int) -> None:
        self.loader, self.lines, self.first = loader, lines, first
        self.built: dict[int, Any] = {}

    def build(self, node: Any) -> Any:
        if id(node) in self.built:
            return self.built[id(node)]
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            self.built[id(node)] = out
            self.lines[(id(out), "")] = self.first + node.start_mark.line
            for key_node, value_node in node.value:
                key = self._key(key_node, out)
                out[key] = self._value(key, value_node)
                self.lines[(id(out), key)] = self.first + key_node.start_mark.line
            return out
        if isinstance(node, yaml.SequenceNode):
            items: list[Any] = []
            self.built[id(node)] = items
            for i, item in enumerate(node.value):
                items.append(self.build(item))
                self.lines[(id(items), str(i))] = self.first + item.start_mark.line
            return items
        value = self._scalar(node)
        self.built[id(node)] = value
        return value

    def _key(self, node: Any, mapping: dict[str, Any]) -> str:
        def fail(problem: str) -> yaml.constructor.ConstructorError:
            return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)

        if node.tag == _MERGE_TAG:
            raise fail("merge keys (`<<: *anchor`) are not supported; write the fields out")
        if not isinstance(node, yaml.ScalarNode):
            raise fail("a mapping key must be a plain value (a name or number), not a list or "
                       "mapping")
        key = self._scalar(node)
        key = "" if key is None else str(key)
        if key in mapping:
            raise fail(f"duplicate key {key!r}")
        return key

    def _value(self, key: str, node: Any) -> Any:
        try:
            return self.build(node)
        except yaml.constructor.ConstructorError as exc:
            if not isinstance(node, yaml.ScalarNode):
                raise
            raise yaml.constructor.ConstructorError(
                None, None, f"field {key!r}: {exc.problem}", node.start_mark) from None

    def _scalar(self, node: Any) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            # an impossible date (2004-02-30), a 5,000-digit number, `!!bool maybe` ...
            reason = f" ({exc})" if isinstance(exc, ValueError) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid value {node.value[:80]!r} for its type "
                f"{node.tag.rsplit(':', 1)[-1]}{reason}", node.start_mark) from None
