"""Passages and cases: who said each coded passage, and the researcher's own words kept apart."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest_project import real_codebook, real_corpus
from hypothesis import given
from hypothesis import strategies as st

import uppks_qual as uq
from uppks_qual.analysis import evidence
from uppks_qual.errors import FrontMatterError
from uppks_qual.passages import locate, note_spans, passages, speakers
from uppks_qual.records import Document
from uppks_qual.schema import codings_frame


@pytest.fixture(scope="module")
def coded_project(tmp_path_factory: pytest.TempPathFactory) -> uq.Project:
    path = tmp_path_factory.mktemp("passages") / "p.uqp"
    proj = uq.Project.create(path, corpus=real_corpus(), codebook=real_codebook())
    proj.autocode(progress=False)
    proj.import_codings(Path(__file__).parents[1] / "data" / "coding" / "gold.csv", coder="ana")
    proj.set_evidence_coders(["ana", "auto"])
    return proj


TEXT = ("P: Bagaimana rapatnya?\n"
        "I: Rapat rutin tiap bulan. [tertawa] Ketua rajin.\n"
        "B: Saya setuju, ketua rajin.\n"
        "P: Terima kasih.")


def interview(**meta: object) -> Document:
    return Document("d1", TEXT, "A", "", "interview", "member", "Ibu Sari", "2004",
                    meta={"speakers": {"B": "Buya Syamsul"},
                          "speaker_roles": {"B": "informal_leader"},
                          "interviewer": "Peneliti", **meta})


def span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def test_speakers_map_labels_to_people() -> None:
    people = speakers(interview())
    assert people["I"] == uq.passages.Speaker("I", "Ibu Sari", "member")
    assert people["B"] == uq.passages.Speaker("B", "Buya Syamsul", "informal_leader")
    assert people["P"] == uq.passages.Speaker("P", "Peneliti", "researcher")


def test_passages_split_turns_questions_and_notes() -> None:
    table = passages(interview())
    kinds = list(zip(table["kind"], table["speaker"], table["case"], strict=True))
    assert kinds == [("question", "P", "Peneliti"), ("turn", "I", "Ibu Sari"),
                     ("note", "I", "Ibu Sari"), ("turn", "I", "Ibu Sari"),
                     ("turn", "B", "Buya Syamsul"), ("question", "P", "Peneliti")]
    texts = [TEXT[s:e] for s, e in zip(table["start"], table["end"], strict=True)]
    assert texts[2] == "[tertawa]"
    # passages never overlap and are in text order
    assert all(e <= s for e, s in zip(table["end"][:-1], table["start"][1:], strict=True))


def test_note_spans_skip_time_stamps() -> None:
    text = "[09.15] Ketua membuka rapat. [9:20] Anggota datang. [Saya kira ia lelah.]"
    assert [text[s:e] for s, e in note_spans(text)] == ["[Saya kira ia lelah.]"]


@given(st.text(alphabet="ab [].:0123456789\n", max_size=60))
def test_note_spans_are_bracketed_and_disjoint(text: str) -> None:
    spans = note_spans(text)
    for s, e in spans:
        assert text[s] == "[" and text[e - 1] == "]" and "\n" not in text[s:e]
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(spans))


def test_locate_gives_each_coding_its_case_and_kind() -> None:
    doc = interview()
    rows = []
    for part in ("Rapat rutin tiap bulan.", "[tertawa]", "Saya setuju, ketua rajin.",
                 "Bagaimana rapatnya?"):
        s, e = span(TEXT, part)
        rows.append({"doc_id": "d1", "group": "A", "start": s, "end": e,
                     "code_id": "leadership", "informant": "Ibu Sari",
                     "informant_role": "member"})
    located = locate(codings_frame(rows), {"d1": doc})
    assert located["kind"].tolist() == ["turn", "note", "turn", "question"]
    assert located["case"].tolist() == ["Ibu Sari", "Ibu Sari", "Buya Syamsul", "Peneliti"]
    assert located["informant_role"].tolist() == ["member", "member", "informal_leader",
                                                  "researcher"]


def test_a_sentence_with_a_short_aside_is_still_speech() -> None:
    s, _ = span(TEXT, "Rapat rutin")
    _, e = span(TEXT, "Ketua rajin.")
    frame = codings_frame([{"doc_id": "d1", "group": "A", "start": s, "end": e,
                            "code_id": "leadership"}])
    assert locate(frame, {"d1": interview()})["kind"].tolist() == ["turn"]


def test_observation_paragraphs_are_cases_of_their_document() -> None:
    text = "[13.40] Rapat dimulai tepat waktu.\n\n[Kesan saya: ketua tegas sekali.]"
    doc = Document("obs1", text, "A", "", "observation", "researcher", "", "2004")
    table = passages(doc)
    assert table["kind"].tolist() == ["paragraph", "note"]
    assert set(table["case"]) == {"obs1"}


def test_evidence_leaves_out_notes_unless_asked() -> None:
    frame = codings_frame([
        {"doc_id": "d", "group": "A", "start": 0, "end": 5, "code_id": "leadership",
         "kind": "turn"},
        {"doc_id": "d", "group": "A", "start": 10, "end": 15, "code_id": "leadership",
         "kind": "note"},
        {"doc_id": "d", "group": "A", "start": 20, "end": 25, "code_id": "leadership",
         "kind": "question"}])
    assert evidence(frame)["start"].tolist() == [0]
    assert evidence(frame, include_notes=True)["start"].tolist() == [0, 10, 20]
    with pytest.raises(uq.errors.ParameterError):
        evidence(frame, include_notes="yes")  # type: ignore[arg-type]


def test_codings_frame_defaults_case_to_informant_or_document() -> None:
    frame = codings_frame([
        {"doc_id": "d1", "source_type": "interview", "informant": "Ibu Sari", "start": 0,
         "end": 1, "code_id": "x"},
        {"doc_id": "n1", "source_type": "observation", "informant": "Peneliti", "start": 0,
         "end": 1, "code_id": "x"}])
    assert frame["case"].tolist() == ["Ibu Sari", "n1"]
    assert frame["kind"].astype(str).tolist() == ["turn", "paragraph"]


def test_front_matter_speakers_with_roles(tmp_path: Path) -> None:
    body = ("---\nid: d1\nsource_type: interview\ninformant_role: member\ninformant: Ibu Sari\n"
            "date: 2004\nspeakers:\n  B: {name: Buya Syamsul, role: informal_leader}\n---\n\n"
            "P: Apa?\nI: Ya.\nB: Betul.\n")
    (tmp_path / "d1.txt").write_text(body, encoding="utf-8")
    doc = uq.load_corpus(tmp_path)["d1"]
    assert doc.meta["speakers"]["B"] == "Buya Syamsul"
    assert doc.meta["speaker_roles"] == {"B": "informal_leader"}
    bad = body.replace("role: informal_leader", "role: astronaut")
    (tmp_path / "d1.txt").write_text(bad, encoding="utf-8")
    with pytest.raises(FrontMatterError, match=r"d1.txt:8.*astronaut"):
        uq.load_corpus(tmp_path)
    (tmp_path / "d1.txt").write_text(body.replace("{name: Buya Syamsul, ", "{"),
                                     encoding="utf-8")
    with pytest.raises(FrontMatterError, match="name"):
        uq.load_corpus(tmp_path)


def test_bundled_corpus_second_speakers_are_their_own_cases(coded_project: uq.Project) -> None:
    ev = coded_project.evidence()
    nm = ev[ev["doc_id"] == "asoka-int-ninikmamak"]
    by_speaker = nm.groupby("speaker")["case"].unique()
    assert list(by_speaker["B"]) == ["Buya Syamsul"]
    assert list(by_speaker["I"]) == ["Datuak Rajo Bungsu"]
    assert set(nm.loc[nm["speaker"] == "B", "informant_role"]) == {"informal_leader"}
    # every case belongs to one group
    assert (ev.groupby("case")["group"].nunique() == 1).all()


def test_bundled_notes_are_left_out_of_evidence(coded_project: uq.Project) -> None:
    everything = coded_project.evidence(include_notes=True)
    counted = coded_project.evidence()
    notes = everything[everything["kind"] == "note"]
    assert len(notes) > 20  # the researcher's asides in observation and document notes
    assert len(counted) == len(everything) - len(notes) - (everything["kind"] == "question").sum()
    assert not counted["kind"].isin(["note", "question"]).any()
    for row in notes.itertuples():  # each lies mostly inside a bracketed aside
        text = coded_project.document(row.doc_id).text
        inside = sum(max(0, min(e, row.end) - max(s, row.start)) for s, e in note_spans(text))
        assert inside * 2 > row.end - row.start
