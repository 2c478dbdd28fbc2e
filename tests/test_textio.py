"""Tests for :mod:`uppks_qual.textio`: decoding, normalisation, finding quotes and YAML with
line numbers."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uppks_qual.errors import (
    CodebookError,
    CorpusError,
    EncodingProblem,
    ParameterError,
    QualError,
    SpanError,
)
from uppks_qual.textio import decode, find_span, normalise, parse_yaml, read_text

BOM = b"\xef\xbb\xbf"


# --------------------------------------------------------------------------- normalise
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\r\rb", "a\n\nb"),
        ("a\r\n\r\nb", "a\n\nb"),
        ("a\n\rb", "a\n\nb"),
        ("a\r\r\nb", "a\n\nb"),
        ("cafe\u0301", "café"),  # NFD -> NFC
        ("\u212b ngstr\u00f6m", "\u00c5 ngstr\u00f6m"),  # singleton ANGSTROM SIGN -> Å
        ("Padang\r\nOlo\rCafe\u0301", "Padang\nOlo\nCafé"),
        ("", ""),
        ("\ufeffx", "\ufeffx"),  # normalise leaves a BOM alone; decode drops it
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_normalise_properties(text: str) -> None:
    out = normalise(text)
    assert "\r" not in out
    assert unicodedata.is_normalized("NFC", out)
    assert normalise(out) == out  # idempotent
    assert out.count("\n") == text.count("\n") + text.count("\r") - text.count("\r\n")


# --------------------------------------------------------------------------- decode
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (BOM + b"abc", "abc"),
        (BOM + BOM + b"abc", "\ufeffabc"),  # only the leading byte-order mark is a BOM
        (b"abc", "abc"),
        (b"a\r\nb\rc\n", "a\nb\nc\n"),
        (BOM + b"a\r\nb", "a\nb"),
        ("cafe\u0301".encode(), "café"),
        (b"", ""),
        (BOM, ""),
    ],
)
def test_decode(data: bytes, expected: str) -> None:
    assert decode(data, "f.txt") == expected


@pytest.mark.parametrize("bom", [b"", BOM], ids=["no-bom", "bom"])
@pytest.mark.parametrize(
    ("prefix", "bad"),
    [
        (b"---\nid: caf", b"\xe9"),  # latin-1 e-acute
        (b"", b"\xff"),  # never valid in UTF-8
        (b"Kami jualan ", b"\x93"),  # cp1252 left quote
        ("é€😀".encode(), b"\xc0\xaf"),  # overlong encoding
        (b"abc", b"\xed\xa0\x80"),  # UTF-8-encoded surrogate
        (b"abc", b"\xe2\x82"),  # truncated at end of file
    ],
)
def test_decode_error_offset(bom: bytes, prefix: bytes, bad: bytes) -> None:
    data = bom + prefix + bad + (b"" if bad == b"\xe2\x82" else b" sesudahnya\n")
    offset = len(bom) + len(prefix)
    with pytest.raises(
        EncodingProblem,
        match=rf"^in\.txt \(byte {offset}\): not valid UTF-8: "
        rf"byte {bad[:1].hex()}",
    ) as info:
        decode(data, "in.txt")
    exc = info.value
    assert isinstance(exc, UnicodeError)
    assert isinstance(exc, CorpusError)
    assert isinstance(exc, QualError)
    assert (exc.path, exc.offset, exc.line) == ("in.txt", offset, None)
    assert data[exc.offset : exc.offset + 1] == bad[:1]


@settings(max_examples=100, deadline=None)
@given(st.text(), st.booleans())
def test_decode_roundtrip(text: str, bom: bool) -> None:
    data = (BOM if bom else b"") + text.encode("utf-8")
    expected = text.removeprefix("\ufeff") if not bom else text
    assert decode(data, "f") == normalise(expected)


@settings(max_examples=100, deadline=None)
@given(
    st.text(),
    st.sampled_from([b"\xff", b"\xfe", b"\x80", b"\xe9", b"\xc3"]),
    st.text(),
    st.booleans(),
)
def test_decode_error_offset_property(before: str, bad: bytes, after: str, bom: bool) -> None:
    head = (BOM if bom else b"") + before.encode("utf-8")
    # 'after' starts with an ASCII letter so a lead byte like \xc3 cannot complete a character
    data = head + bad + b"x" + after.encode("utf-8")
    head_offset = len(head)  # a U+FEFF starting 'before' is dropped but still counts as bytes
    with pytest.raises(EncodingProblem) as info:
        decode(data, "f")
    assert info.value.offset == head_offset
    assert f"(byte {head_offset})" in str(info.value)


def test_read_text(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(BOM + "Jorong Durian Daun\r\nNagari Sungai Limau\rcafe\u0301".encode())
    assert read_text(path) == "Jorong Durian Daun\nNagari Sungai Limau\ncafé"
    path.write_bytes(b"ok\n\xe9")
    with pytest.raises(EncodingProblem, match=r"t\.txt \(byte 3\)"):
        read_text(path)


# --------------------------------------------------------------------------- parse_yaml
YAML = """\
name: demo
codes:
  - id: a
    label:
      en: A
  - id: b

    parent: a
"""


def test_parse_yaml_key_lines() -> None:
    doc = parse_yaml(YAML, "c.yaml")
    data = doc.data
    assert doc.line_of(data) == 1
    assert doc.line_of(data, "name") == 1
    assert doc.line_of(data, "codes") == 2
    a, b = data["codes"]
    assert doc.line_of(a) == 3
    assert doc.line_of(a, "id") == 3
    assert doc.line_of(a, "label") == 4
    assert doc.line_of(a["label"], "en") == 5
    assert doc.line_of(b) == 6
    assert doc.line_of(b, "parent") == 8
    assert doc.line_of(b, "missing") == 1  # unknown keys fall back to the start line
    assert doc.line_of({}) == 1


def test_parse_yaml_first_line_offsets_every_line() -> None:
    doc = parse_yaml("id: x\ngroup: Asoka\n", "d.txt", first_line=2)
    assert doc.line_of(doc.data, "id") == 2
    assert doc.line_of(doc.data, "group") == 3
    assert doc.start_line == 2


def test_parse_yaml_values_and_keys() -> None:
    doc = parse_yaml("1: one\ntrue: yes\ndate: 2004-03-11\nlist: [a, 2]\n", "x")
    assert list(doc.data) == ["1", "True", "date", "list"]  # keys become strings
    assert str(doc.data["date"]) == "2004-03-11"
    assert doc.data["list"] == ["a", 2]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_parse_yaml_empty(text: str) -> None:
    doc = parse_yaml(text, "x", first_line=5)
    assert doc.data is None
    assert doc.start_line == 5


@pytest.mark.parametrize(
    ("text", "first_line", "line", "problem"),
    [
        ("a: 1\nb: [1, 2\nc: 3\n", 1, 3, "expected ',' or ']'"),
        ("a: 1\n b: 2\n", 1, 2, "mapping values are not allowed"),
        ("a: 1\n b: 2\n", 10, 11, "mapping values are not allowed"),
        ("a: 1\nb: 2\na: 3\n", 1, 3, "duplicate key 'a'"),
        ("a:\n  x: 1\n  x: 2\n", 4, 6, "duplicate key 'x'"),
        ("a: 'unclosed\n", 1, 2, "found unexpected end of stream"),
        ("a: !!python/object:os.system x\n", 1, 1, "could not determine a constructor"),
        ("a: *nowhere\n", 1, 1, "found undefined alias"),
        ("\tkey: 1\n", 1, 1, "found character '\\\\t' that cannot start any token"),
    ],
)
@pytest.mark.parametrize("error", [CorpusError, CodebookError])
def test_parse_yaml_errors(
    text: str, first_line: int, line: int, problem: str, error: type[QualError]
) -> None:
    with pytest.raises(error, match=rf"^f\.yaml:{line}: malformed YAML: .*{problem}") as info:
        parse_yaml(text, "f.yaml", first_line=first_line, error=error)
    assert info.value.line == line
    assert info.value.path == "f.yaml"


@pytest.mark.parametrize("value", ["2004-13-45", "2004-02-30"])
def test_parse_yaml_impossible_date(value: str) -> None:
    with pytest.raises(CorpusError, match=r"^f\.yaml:2: "):
        parse_yaml(f"id: x\ndate: {value}\n", "f.yaml", error=CorpusError)


# --------------------------------------------------------------------------- find_span
@pytest.mark.parametrize(
    ("text", "quote", "match", "occurrence", "expected"),
    [
        ("Rapat tiap bulan", "tiap", "exact", None, "tiap"),
        ("aaa", "aa", "exact", 2, "aa"),  # occurrences may overlap
        ("Rapat rapat", "rapat", "exact", None, "rapat"),  # exact: one occurrence
        ("Rapat rapat", "rapat", "casefold", 1, "Rapat"),
        ("Rapat TIAP bulan", "tiap", "casefold", None, "TIAP"),
        ("Die Straße", "STRASSE", "casefold", None, "Straße"),  # "ß" folds to two letters
        ("strasse", "Straße", "casefold", None, "strasse"),
        ("Kota İstanbul", "i\u0307stanbul", "casefold", None, "İstanbul"),
        ("ΟΔΥΣΣΕΥΣ", "οδυσσευς", "casefold", None, "ΟΔΥΣΣΕΥΣ"),  # final sigma
        ("Bu Ani 😀 BILANG", "😀 bilang", "casefold", None, "😀 BILANG"),
        ("ﬁnal", "FINAL", "casefold", None, "ﬁnal"),
        ("Sejak  2019, kas", "sejak 2019", "loose", None, "Sejak  2019"),
        ("Kas bulanan.", "kas, bulanan", "loose", None, "Kas bulanan"),
        ("P: Kas—bulanan!", "kas bulanan", "loose", None, "Kas—bulanan"),
        ("Kas\n\n  bulanan", "KAS BULANAN", "loose", None, "Kas\n\n  bulanan"),
        ("ada rapat, tiap", "  rapat, ", "loose", None, "rapat"),  # quote's ends ignored
        ("Straße-Nord", "strasse nord", "loose", None, "Straße-Nord"),
        ("a-b a b", "A B", "loose", 2, "a b"),
    ],
)
def test_find_span(text: str, quote: str, match: str, occurrence: int | None,
                   expected: str) -> None:
    start, end = find_span(text, quote, doc_id="d", match=match, occurrence=occurrence)
    assert text[start:end] == expected


@pytest.mark.parametrize(
    ("text", "quote", "match", "occurrence", "pattern"),
    [
        ("abc", "", "exact", None, r"empty quote"),
        ("abc", " ,. ", "loose", None, r"empty quote"),
        ("abc", "x", "exact", None, r"quote 'x' not found in document 'd' \(copy the exact"),
        ("abc", "x", "casefold", None, r"not found in document 'd' \(match='casefold'"),
        ("aß", "s", "casefold", None, r"not found"),  # half of "ß" is not a match
        ("kasbulanan", "kas bulanan", "loose", None, r"not found"),  # a run needs a separator
        ("Rapat rapat", "rapat", "casefold", None, r"occurs 2 times in 'd' \(at offsets "
                                                   r"\[0, 6\]\); pass occurrence=1\.\.2"),
        ("Rapat rapat", "RAPAT", "loose", 3, r"occurrence=3 but quote occurs 2 time"),
        ("aaa", "aa", "exact", 0, r"occurrence=0"),
    ],
)
def test_find_span_errors(text: str, quote: str, match: str, occurrence: int | None,
                          pattern: str) -> None:
    with pytest.raises(SpanError, match=pattern) as info:
        find_span(text, quote, doc_id="d", match=match, occurrence=occurrence)
    assert info.value.doc_id == "d"


def test_find_span_match_is_validated() -> None:
    with pytest.raises(ParameterError, match=r"The 'match' parameter of find_span must be one "
                                             r"of \{'exact', 'casefold', 'loose'\}\. Got 'fuzzy'"):
        find_span("abc", "a", doc_id="d", match="fuzzy")


def _separator(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def loose_form(text: str) -> str:
    """Case-folded, each run of white space and punctuation one space, none at the ends."""
    folded = "".join(" " if _separator(c) else c.casefold() for c in text)
    return " ".join(part for part in folded.split(" ") if part)


def all_spans(text: str, quote: str, match: str) -> list[tuple[int, int]]:
    """Every match, through ``occurrence=1, 2, ...``."""
    spans = []
    while True:
        try:
            spans.append(find_span(text, quote, doc_id="d", match=match,
                                   occurrence=len(spans) + 1))
        except SpanError:
            return spans


QUOTE_TEXT = st.text(st.sampled_from([*"aAbB sS,.-\n", "ß", "İ", "ς", "Σ", "😀", "\u0301",
                                      "ﬁ", "—", "\t"]), max_size=24)


@settings(max_examples=300, deadline=None)
@given(QUOTE_TEXT, st.data())
def test_find_span_loose_finds_a_span_of_the_same_loose_form(text: str,
                                                            data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    quote = text[start:end]
    if not loose_form(quote):
        with pytest.raises(SpanError, match=r"empty quote|not found"):
            find_span(text, quote, doc_id="d", match="loose")
        return
    spans = all_spans(text, quote, "loose")
    assert spans and all(loose_form(text[a:b]) == loose_form(quote) for a, b in spans)
    while _separator(text[start]):  # where the quote came from, without its separator ends
        start += 1
    while _separator(text[end - 1]):
        end -= 1
    assert (start, end) in spans


@settings(max_examples=300, deadline=None)
@given(QUOTE_TEXT, st.data())
def test_find_span_exact_and_casefold_find_the_quote_where_it_came_from(
        text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, max(len(text) - 1, 0)))
    end = data.draw(st.integers(start + 1, max(len(text), start + 1)))
    quote = text[start:end]
    if not quote:
        return
    starts = [i for i in range(len(text)) if text.startswith(quote, i)]
    assert all_spans(text, quote, "exact") == [(i, i + len(quote)) for i in starts]
    if len(starts) == 1:
        assert find_span(text, quote, doc_id="d") == (start, end)
    folded = all_spans(text, quote, "casefold")
    assert (start, end) in folded
    assert all(text[a:b].casefold() == quote.casefold() for a, b in folded)
