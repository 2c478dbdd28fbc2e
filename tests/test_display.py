"""Tests for :mod:`uppks_qual.display`: the original text, coded spans, layers and legend."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uppks_qual.display import render_document
from uppks_qual.errors import ParameterError, SpanError, UnknownCodeError
from uppks_qual.records import Code, Codebook


class _Parts(HTMLParser):
    """The text inside ``<div class="uq-text">`` and every coded piece (tag attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 inside the text element
        self.text: list[str] = []
        self.marks: list[dict[str, str]] = []
        self.opened: list[dict[str, str] | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if self.depth or "uq-text" in found.get("class", "").split():
            self.depth += 1
            mark = dict(found, text="") if "uq-mark" in found.get("class", "") else None
            self.opened.append(mark)
            if mark is not None:
                self.marks.append(mark)

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1
            self.opened.pop()

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)
            for mark in self.opened:
                if mark is not None:
                    mark["text"] += data


def parts(html: str) -> _Parts:
    parser = _Parts()
    parser.feed(html)
    parser.close()
    return parser


def shown(html: str) -> str:
    """The text element with its tags stripped and unescaped."""
    return "".join(parts(html).text)


def codings(*rows: tuple[int, int, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["start", "end", "code_id", "valence"])


def turns(text: str) -> pd.DataFrame:
    """Speaker turns of ``P: ...`` lines (the label is not part of the turn)."""
    rows = [("turn", m.start(2), m.end(2), m.group(1))
            for m in re.finditer(r"^([A-Z]):[ \t]*(.*\S)", text, re.MULTILINE)]
    return pd.DataFrame(rows, columns=["kind", "start", "end", "speaker"])


CODEBOOK = Codebook((
    Code("leadership", None, "leadership", "factor", "Leadership", "Kepemimpinan",
         colour="#E69F00"),
    Code("cash", None, "cash", "factor", "Cash <box>", "Kas", colour="#56B4E9"),
))
INTERVIEW = "P: Pak, bagaimana kas?\nI: Kas bulanan diperiksa ketua.\n\nI: Tapi rapat batal.\n"


# --------------------------------------------------------------------------- the text itself
@pytest.mark.parametrize("text", [
    INTERVIEW,
    "Bu Ani 😀 bilang: rapat 👍🏽 tiap bulan.\nSemua datang.",
    "Cafe\u0301 di desa; cafe\u0301 tutup. Ñ\u0303 a\u0308\u0301",  # combining accents kept
    "<script>alert('x')</script> & \"kutip\" &amp; <b>tebal</b>",
    "  \n\n\t spasi  \n",
])
@pytest.mark.parametrize("layout", ["plain", "turns"])
def test_the_original_text_is_kept_exactly(text: str, layout: str) -> None:
    n = len(text)
    frame = codings((0, max(1, n // 2), "leadership", "negative"), (n // 3, n, "cash", None),
                    (n // 3, n, "leadership", "positive"))
    html = render_document(text, frame, codebook=CODEBOOK,
                           segments=turns(text) if layout == "turns" else None, title="<script>")
    assert shown(html) == text
    assert "<script>" not in html and "<b>" not in html


def test_an_empty_codings_frame_renders_plain_text() -> None:
    for frame in (pd.DataFrame(), codings()):
        html = render_document(INTERVIEW, frame, segments=turns(INTERVIEW))
        assert shown(html) == INTERVIEW
        assert parts(html).marks == [] and 'class="uq-legend"' not in html


@settings(max_examples=60, deadline=None)
@given(st.text(st.sampled_from([*"ab <>&\"'\n:P", "😀", "\u0301", "é"]), min_size=1,
               max_size=40), st.data())
def test_any_text_and_codings_keep_the_text(text: str, data: st.DataObject) -> None:
    rows = []
    for _ in range(data.draw(st.integers(0, 5))):
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        rows.append((start, end, data.draw(st.sampled_from(["leadership", "cash"])),
                     data.draw(st.sampled_from(["negative", "positive", None]))))
    html = render_document(text, codings(*rows), codebook=CODEBOOK, segments=turns(text))
    assert shown(html) == text
    for start, end, code_id, _ in rows:  # each coding's characters are under its bar
        covered = "".join(m["text"] for m in parts(html).marks
                          if code_id in m["data-codes"].split())
        assert text[start:end] in covered


# --------------------------------------------------------------------------- spans
def test_overlapping_spans_are_both_visible() -> None:
    text = "Ketua rajin, rapat tiap bulan."
    html = render_document(text, codings((0, 18, "leadership", None), (6, 30, "cash", None),
                                         (0, 5, "cash", None)), codebook=CODEBOOK)
    marks = {m["text"]: m for m in parts(html).marks}
    assert marks["rajin, rapat"]["data-codes"].split() == ["leadership", "cash"]
    style = marks["rajin, rapat"]["style"]
    assert "#E69F00" in style and "#56B4E9" in style
    assert "0 calc(100% - 0px), 0 calc(100% - 5px)" in style  # two layers, one above the other
    assert set(marks["Ketua"]["data-codes"].split()) == {"leadership", "cash"}
    assert marks[" tiap bulan."]["data-codes"] == "cash"
    assert marks["Ketua"]["title"] == "Leadership (neutral); Cash <box> (neutral)"


def test_negative_spans_are_marked() -> None:
    frame = codings((3, 6, "leadership", "negative"), (7, 10, "cash", "positive"))
    frame["coder"] = ["ana", "budi"]
    html = render_document("Ya tak mau.", frame, codebook=CODEBOOK)
    negative, positive = parts(html).marks
    assert "uq-negative" in negative["class"] and "repeating-linear-gradient" in negative["style"]
    assert "uq-negative" not in positive["class"] and "repeating" not in positive["style"]
    assert negative["title"] == "Leadership (negative, ana)"
    assert "negative valence" in html
    assert "negative valence" not in render_document("Ya.", codings((0, 2, "cash", None)))


def test_labels_colours_and_legend_follow_the_codebook_and_language() -> None:
    frame = codings((0, 3, "cash", None), (4, 7, "leadership", None), (8, 11, "cash", None))
    html = render_document("Kas ada ada.", frame, codebook=CODEBOOK, lang="id")
    legend = html[html.index('class="uq-legend"'):]
    assert re.findall(r'data-code="(\w+)"', legend) == ["leadership", "cash"]  # codebook order
    assert "Kepemimpinan (1)" in legend and "Kas (2)" in legend
    assert "Cash &lt;box&gt;" not in html and "Kode:" in legend
    assert parts(html).marks[1]["title"] == "Kepemimpinan (neutral)"


def test_without_a_codebook_codes_are_labelled_by_id() -> None:
    html = render_document("Kas ada.", codings((0, 3, "kas", None), (4, 7, "rapat", None)))
    marks = parts(html).marks
    assert [m["title"] for m in marks] == ["kas (neutral)", "rapat (neutral)"]
    assert marks[0]["style"] != marks[1]["style"]  # different colours


# --------------------------------------------------------------------------- layout
def test_turns_are_blocks_with_their_speaker_labels() -> None:
    html = render_document(INTERVIEW, codings((3, 8, "cash", None)), segments=turns(INTERVIEW))
    blocks = re.findall(r'<div class="uq-block uq-(\w+)" data-speaker="(\w)"><span '
                        r'class="uq-speaker">([^<]*)<', html)
    assert blocks == [("turn", "P", "P: "), ("turn", "I", "I: "), ("turn", "I", "I: ")]


def test_a_speaker_not_in_the_text_is_drawn_from_the_segment() -> None:
    text = "Apa kabar?\nBaik."
    segments = pd.DataFrame({"kind": ["turn", "turn"], "start": [0, 11], "end": [10, 16],
                             "speaker": ["Bu Ani", "Pak Joni"]})
    html = render_document(text, codings(), segments=segments)
    assert '<span class="uq-speaker" data-speaker="Bu Ani"></span>' in html
    assert shown(html) == text


def test_paragraphs_and_text_before_the_first_unit_are_kept() -> None:
    text = "[rekaman]\n\n  Satu dua.\n\nTiga.\n"
    segments = pd.DataFrame({"kind": ["paragraph", "paragraph", "sentence"],
                             "start": [13, 24, 13], "end": [22, 29, 22],
                             "speaker": [None, None, None]})
    html = render_document(text, codings((2, 26, "cash", None)), segments=segments)
    assert re.findall(r'class="uq-block uq-(\w+)"', html) == ["text", "paragraph", "paragraph"]
    assert shown(html) == text


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("start", "end", "pattern"), [
    (-1, 3, r"outside document"), (2, 99, r"outside document"), (5, 5, r"is empty"),
    (6, 3, r"is empty"), (1.5, 3, r"must be integers"),
])
def test_offsets_outside_the_text_are_a_span_error(start: float, end: int, pattern: str) -> None:
    frame = pd.DataFrame({"start": [start], "end": [end], "code_id": ["cash"],
                          "valence": [None]})
    with pytest.raises(SpanError, match=pattern):
        render_document("Kas kosong.", frame, title="d1")


def test_bad_segments_are_a_span_error() -> None:
    outside = pd.DataFrame({"kind": ["turn"], "start": [0], "end": [50], "speaker": ["P"]})
    with pytest.raises(SpanError, match="outside document"):
        render_document("Kas kosong.", codings(), segments=outside)
    overlap = pd.DataFrame({"kind": ["turn", "paragraph"], "start": [0, 2], "end": [5, 8],
                            "speaker": ["P", None]})
    with pytest.raises(SpanError, match=r"segments \[0, 5\) and \[2, 8\) of 'document' overlap"):
        render_document("Kas kosong.", codings(), segments=overlap)


def test_parameters_are_checked() -> None:
    with pytest.raises(ParameterError, match=r"The 'lang' parameter of render_document must "
                                             r"be one of \{'en', 'id'\}. Got 'fr'"):
        render_document("Kas.", codings(), lang="fr")
    with pytest.raises(ParameterError, match=r"codings frame lacks column\(s\) valence"):
        render_document("Kas.", pd.DataFrame({"start": [0], "end": [3], "code_id": ["cash"]}))
    with pytest.raises(UnknownCodeError, match="unknown code 'rapat'"):
        render_document("Kas.", codings((0, 3, "rapat", None)), codebook=CODEBOOK)
