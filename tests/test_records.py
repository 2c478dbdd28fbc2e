"""Tests for :mod:`uppks_qual.records`: invariants of the frozen records."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from uppks_qual.errors import ParameterError, SpanError, UnknownCodeError
from uppks_qual.records import (
    ORIGINS,
    SEGMENT_KINDS,
    SOURCE_TYPES,
    VALENCES,
    Code,
    Codebook,
    Coding,
    Document,
    Segment,
)

TEXT = "P: Apa kabar?\nI: Baik, Pak."


@pytest.fixture
def doc() -> Document:
    return Document(
        "d1",
        TEXT,
        "Asoka",
        "Durian Daun",
        "interview",
        "chair",
        "Ibu A",
        "2004-03-11",
        meta={"title": "Wawancara ketua"},
    )


def test_vocabularies() -> None:
    assert SOURCE_TYPES == ("interview", "observation", "document")
    assert SEGMENT_KINDS == ("turn", "paragraph", "sentence")
    assert VALENCES == ("positive", "negative", "neutral")
    assert ORIGINS == ("manual", "auto", "reviewed")


# --------------------------------------------------------------------------- Document
def test_document_basics(doc: Document) -> None:
    assert doc.title == "Wawancara ketua"
    assert doc.n_words == 4  # speaker labels 'P:' and 'I:' are not words of the talk
    assert doc.span(3, 13) == "Apa kabar?"
    assert doc.span(0, len(TEXT)) == TEXT
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.text = "x"  # type: ignore[misc]
    same = dataclasses.replace(doc, meta={}, path="elsewhere.txt")
    assert same == doc  # meta and path are not part of equality
    assert Document("d2", "", "g", "v", "document", "researcher", "-", "2004").title == "d2"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"doc_id": ""}, r"The 'doc_id' parameter of Document must be a non-empty string"),
        (
            {"source_type": "interviews"},
            r"The 'source_type' parameter of Document must be one of \{'interview', "
            r"'observation', 'document'\}\. Got 'interviews' instead\.",
        ),
    ],
)
def test_document_invariants(doc: Document, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(doc, **kwargs)


@pytest.mark.parametrize(
    ("start", "end", "message", "offset"),
    [
        (
            -1,
            3,
            r"span \[-1, 3\) is outside document 'd1' of 27 characters; offsets must satisfy "
            r"0 <= start < end <= 27",
            -1,
        ),
        (20, 28, r"span \[20, 28\) is outside document 'd1' of 27 characters", 28),
        (0, 1000, r"span \[0, 1000\) is outside", 1000),
        (5, 5, r"span \[5, 5\) in document 'd1' is empty; end must be greater than start", 5),
        (9, 4, r"span \[9, 4\) in document 'd1' is empty", 9),
        (27, 27, r"span \[27, 27\) in document 'd1' is empty", 27),
        (0, 0, r"span \[0, 0\) in document 'd1' is empty", 0),
        (0.0, 3, r"span offsets must be integers; got start=0\.0, end=3", None),
        ("0", 3, r"span offsets must be integers", None),
    ],
)
def test_document_span_errors(
    doc: Document, start: object, end: object, message: str, offset: int | None
) -> None:
    with pytest.raises(SpanError, match=f"^{message}") as info:
        doc.span(start, end)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert info.value.offset == offset
    assert info.value.doc_id == "d1"


def test_document_span_accepts_numpy_integers(doc: Document) -> None:
    assert doc.span(np.int64(3), np.int64(13)) == "Apa kabar?"


# --------------------------------------------------------------------------- Segment
def test_segment_ok() -> None:
    seg = Segment("d1", "d1:t1", "turn", 3, 13, "Apa kabar?", speaker="P")
    assert TEXT[seg.start : seg.end] == seg.text
    assert seg.parent is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        seg.start = 0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kind", "start", "end", "text", "message"),
    [
        (
            "utterance",
            3,
            13,
            "Apa kabar?",
            r"The 'kind' parameter of Segment must be one of \{'turn', 'paragraph', "
            r"'sentence'\}\. Got 'utterance' instead\.",
        ),
        ("turn", 3, 3, "", r"Segment \[3, 3\) must be non-empty and start >= 0"),
        ("turn", 13, 3, "", r"Segment \[13, 3\) must be non-empty"),
        ("sentence", -1, 3, "abcd", r"Segment \[-1, 3\) must be non-empty and start >= 0"),
        ("turn", 3, 13, "Apa kabar", r"Segment\.text must have length end - start"),
    ],
)
def test_segment_invariants(kind: str, start: int, end: int, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Segment("d1", "d1:t1", kind, start, end, text)


# --------------------------------------------------------------------------- Coding
def test_coding_ok() -> None:
    coding = Coding("d1", 3, 13, "leadership", "R1", valence="positive", confidence=0.8)
    assert coding.origin == "manual"
    assert Coding("d1", 3, 13, "leadership", "auto", origin="auto", valence=None).valence is None
    assert coding == dataclasses.replace(coding, coding_id=99)  # the id is not compared


@pytest.mark.parametrize(
    ("kwargs", "exc_type", "message"),
    [
        (
            {"origin": "human"},
            ValueError,
            r"The 'origin' parameter of Coding must be one of \{'manual', 'auto', 'reviewed'\}\. "
            r"Got 'human' instead\.",
        ),
        ({"valence": "good"}, ParameterError,
         r"The 'valence' parameter of Coding must be one of .* or None\. Got 'good' instead"),
        ({"valence": ""}, ParameterError, r"'valence' parameter of Coding must be one of"),
    ],
)
def test_coding_invariants(kwargs: dict[str, str], exc_type: type[Exception], message: str) -> None:
    with pytest.raises(exc_type, match=message) as info:
        Coding("d1", 3, 13, "leadership", "R1", **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("start", "end"), [(5, 5), (5, 2), (-1, 3)])
def test_coding_rejects_bad_span(start: int, end: int) -> None:
    with pytest.raises(ValueError, match=r"span|start|end"):
        Coding("d1", start, end, "leadership", "R1")


# --------------------------------------------------------------------------- Code, Codebook
def make_code(code_id: str, parent: str | None = None, **kw: object) -> Code:
    factor = code_id.split(".")[0]
    return Code(
        code_id,
        parent,
        kw.pop("factor", factor),
        kw.pop("kind", "factor"),  # type: ignore[arg-type]
        f"{code_id} (en)",
        f"{code_id} (id)",
        **kw,
    )  # type: ignore[arg-type]


def test_code_label_and_cues() -> None:
    code = make_code("leadership", phrases=("ketua",))
    assert code.label() == "leadership (en)"
    assert code.label("id") == "leadership (id)"
    assert code.has_cues
    assert not make_code("stage").has_cues
    assert make_code("x", patterns=(({"LOWER": "a"},),)).has_cues
    with pytest.raises(
        ValueError,
        match=r"The 'lang' parameter of Code\.label must be one of \{'en', 'id'\}\. "
        r"Got 'fr' instead\.",
    ):
        code.label("fr")


def test_code_depth_follows_parent_not_id() -> None:
    from uppks_qual.codebook import parse_codebook

    codebook = parse_codebook(
        "codes:\n  - id: leadership\n    label: L\n  - id: meetings\n    label: M\n"
        "    parent: leadership\n  - id: leadership.a.b\n    label: B\n    parent: leadership\n",
        "codebook.yaml",
    )
    assert codebook.depth("leadership") == 0
    assert codebook.depth("meetings") == 1
    assert codebook.depth("leadership.a.b") == 1


@pytest.fixture
def tiny() -> Codebook:
    return Codebook(
        (
            make_code("leadership", colour="#E69F00"),
            make_code("leadership.meetings", "leadership", colour="#E69F00"),
            make_code("stage", kind="structural"),
        ),
        name="tiny",
    )


def test_codebook_record(tiny: Codebook) -> None:
    assert tiny.ids == ("leadership", "leadership.meetings", "stage")
    assert [c.code_id for c in tiny] == list(tiny.ids)
    assert len(tiny) == 3
    assert "stage" in tiny and "nope" not in tiny
    assert [c.code_id for c in tiny.factors()] == ["leadership"]
    assert [c.code_id for c in tiny.top_level()] == ["leadership", "stage"]
    assert [c.code_id for c in tiny.children("leadership")] == ["leadership.meetings"]
    assert tiny.colour("leadership.meetings") == "#E69F00"
    assert tiny.colour("stage") == "#777777"
    assert tiny.labels("id")["stage"] == "stage (id)"


def test_codebook_unknown_code(tiny: Codebook) -> None:
    with pytest.raises(
        UnknownCodeError,
        match=r"^unknown code 'trust'; known codes are: "
        r"leadership, leadership\.meetings, stage$",
    ) as info:
        tiny["trust"]
    assert isinstance(info.value, KeyError)
    assert info.value.code_id == "trust"
    assert str(info.value) == info.value.message  # not KeyError's repr()
    with pytest.raises(UnknownCodeError):
        tiny.colour("trust")
