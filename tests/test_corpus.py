"""Tests for :mod:`uppks_qual.corpus`: front matter, bodies, offsets, folders, CSV and .docx.

Error tests write one small file into a corpus folder (with a ``corpus.yaml`` manifest) and
check the exception type and the ``file:line`` (or byte offset) its message starts with. With
the default front matter of :func:`doc_text` the fields sit on lines 2-8, the closing
``---`` on line 9 and the body starts on line 10.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uppks_qual.corpus import (
    SEGMENT_COLUMNS,
    Corpus,
    check_corpus,
    load_corpus,
    parse_document,
)
from uppks_qual.errors import (
    CorpusError,
    EncodingProblem,
    FrontMatterError,
    SpeakerError,
    UnknownDocumentError,
)
from uppks_qual.manifest import INFORMANT_ROLES, read_manifest
from uppks_qual.records import SOURCE_TYPES, Document

FIELDS = {
    "id": "asoka-int-test",
    "group": "Asoka",
    "village": "Durian Daun",
    "source_type": "interview",
    "informant_role": "member",
    "informant": "Ibu Test",
    "date": "2004-03-11",
}
BODY = "P: Apa kabar, Bu?\nI: Baik, Pak.\n"


def doc_text(body: str = BODY, **fields: str | None) -> str:
    merged = {**FIELDS, **fields}
    lines = [f"{k}: {v}" for k, v in merged.items() if v is not None]
    return "---\n" + "\n".join(lines) + "\n---\n" + body


# --------------------------------------------------------------------------- the error table
# (file text, exception type, message regex after the file name)
ERROR_CASES = [
    pytest.param(
        "P: Apa kabar?\n", FrontMatterError, r":1: no YAML front matter", id="no-front-matter"
    ),
    pytest.param("", FrontMatterError, r":1: no YAML front matter", id="empty-file"),
    pytest.param(
        "---\nid: x\ngroup: Asoka\n\nP: Apa kabar?\n",
        FrontMatterError,
        r":1: front matter is not closed",
        id="unclosed-front-matter",
    ),
    pytest.param(
        doc_text(informant="Ibu A: ketua"),
        FrontMatterError,
        r":7: malformed YAML: mapping values are not allowed here",
        id="malformed-yaml-file-line",
    ),
    pytest.param(
        doc_text().replace("date: 2004-03-11\n", "date: 2004-03-11\nid: again\n"),
        FrontMatterError,
        r":9: malformed YAML: duplicate key 'id'",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "---\n- id\n- group\n---\nP: x\n",
        FrontMatterError,
        r":2: front matter must be a YAML mapping",
        id="front-matter-not-mapping",
    ),
    pytest.param(
        doc_text(date=None),
        FrontMatterError,
        r":2: missing front-matter field 'date'; required fields are id, source_type",
        id="missing-date",
    ),
    pytest.param(
        doc_text(informant=""),
        FrontMatterError,
        r":2: missing front-matter field 'informant'",
        id="empty-informant",
    ),
    pytest.param(
        doc_text(grup="Asoka"),
        FrontMatterError,
        r":9: unknown front-matter field 'grup'; did you mean 'group'\?",
        id="unknown-field-did-you-mean",
    ),
    pytest.param(
        doc_text(colour="red"),
        FrontMatterError,
        r":9: unknown front-matter field 'colour'; known fields are id,",
        id="unknown-field-no-suggestion",
    ),
    pytest.param(
        doc_text(id="bad id!"),
        FrontMatterError,
        r":2: id 'bad id!' is not a valid id",
        id="bad-id",
    ),
    pytest.param(
        doc_text(group="Mawar"),
        FrontMatterError,
        r":3: group 'Mawar' is unknown; groups declared in .*corpus\.yaml are "
        r"Asoka, Melati",
        id="unknown-group",
    ),
    pytest.param(
        doc_text(village="Padang Olo"),
        FrontMatterError,
        r":4: village 'Padang Olo' does not match group 'Asoka', whose village "
        r"is 'Durian Daun'",
        id="village-not-matching-group",
    ),
    pytest.param(
        doc_text(source_type="intervew"),
        FrontMatterError,
        r":5: source_type 'intervew' must be one of interview, observation, "
        r"document",
        id="bad-source-type",
    ),
    pytest.param(
        doc_text(informant_role="ketua"),
        FrontMatterError,
        r":6: informant_role 'ketua' must be one of chair, secretary,",
        id="bad-informant-role",
    ),
    pytest.param(
        doc_text(date="11 March 2004"),
        FrontMatterError,
        r":8: date '11 March 2004' is not a date: write YYYY-MM-DD, YYYY-MM, YYYY or unknown",
        id="bad-date-text",
    ),
    pytest.param(
        doc_text(date="2004-03-11T25"),
        FrontMatterError,
        r":8: date '2004-03-11T25' is not a date",
        id="bad-date-suffix",
    ),
    pytest.param(
        doc_text(date="2004-13-45"),
        FrontMatterError,
        r":8: .*date",
        id="impossible-date",
        ),
    pytest.param(
        doc_text(speakers="[S, T]"),
        FrontMatterError,
        r":9: speakers must map labels",
        id="speakers-not-mapping",
    ),
    pytest.param(
        doc_text(speakers="{s: suami}"),
        FrontMatterError,
        r":9: speakers must map labels",
        id="speaker-label-lowercase",
    ),
    pytest.param(
        doc_text(meta="[a, b]"),
        FrontMatterError,
        r":9: .*meta",
        id="meta-not-mapping",
        ),
    pytest.param(
        doc_text("P: Apa kabar?\nI: Baik.\n\nX: Siapa itu?\n"),
        SpeakerError,
        r":13: unknown speaker label 'X'; declared labels are P, I\.",
        id="unknown-speaker",
    ),
    pytest.param(
        doc_text("\n\n\nP: Apa kabar?\nSuami: Baik.\n"),
        SpeakerError,
        r":14: unknown speaker label 'Suami'",
        id="unknown-speaker-after-blank-lines",
    ),
    pytest.param(
        doc_text("P: Apa kabar?\nI: Baik.\nX: Siapa?\n").replace("\n", "\r\n"),
        SpeakerError,
        r":12: unknown speaker label 'X'",
        id="unknown-speaker-crlf",
    ),
    pytest.param(
        doc_text("P: Apa kabar?\nI: Baik.\nX: Siapa?\n").replace("\n", "\r"),
        SpeakerError,
        r":12: unknown speaker label 'X'",
        id="unknown-speaker-cr",
    ),
    pytest.param(
        doc_text("[rekaman dimulai]\nSelamat pagi, Bu.\nP: Apa kabar?\n"),
        SpeakerError,
        r":11: text before the first speaker turn",
        id="text-before-first-turn",
    ),
    pytest.param(
        doc_text("[rekaman rusak]\n"),
        SpeakerError,
        r":10: interview has no speaker turns",
        id="no-turns",
    ),
    pytest.param(
        doc_text(""),
        CorpusError,
        r":10: empty document: there is no text after the front matter",
        id="empty-document",
    ),
    pytest.param(
        doc_text("  \n\n", source_type="observation"),
        CorpusError,
        r":\d+: empty document",
        id="empty-observation",
    ),
]


@pytest.mark.parametrize(("text", "exc_type", "message"), ERROR_CASES)
def test_document_error_names_file_and_line(
    corpus_dir: Path, text: str, exc_type: type[Exception], message: str
) -> None:
    path = corpus_dir / "doc.txt"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(exc_type, match=r"doc\.txt" + message) as info:
        load_corpus(corpus_dir)
    assert isinstance(info.value, CorpusError)
    assert info.value.path == str(path)
    assert info.value.line == int(re.search(r"doc\.txt:(\d+):", str(info.value)).group(1))


@pytest.mark.parametrize(("text", "exc_type", "message"), ERROR_CASES)
def test_check_corpus_returns_the_same_problem(
    corpus_dir: Path, text: str, exc_type: type[Exception], message: str
) -> None:
    (corpus_dir / "doc.txt").write_text(text, encoding="utf-8", newline="")
    corpus, problems = check_corpus(corpus_dir)
    assert corpus is None
    assert len(problems) == 1
    assert isinstance(problems[0], exc_type)
    assert re.search(r"doc\.txt" + message, problems[0].message)


def test_field_error_carries_attributes() -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_document(doc_text(source_type="intervew"), "x.txt")
    assert (info.value.path, info.value.line, info.value.field) == ("x.txt", 5, "source_type")


def test_speaker_error_carries_label() -> None:
    with pytest.raises(SpeakerError) as info:
        parse_document(doc_text("P: a\nBuRatna: b\n"), "x.txt")
    assert info.value.label == "BuRatna"
    assert info.value.line == 11


def test_declared_speakers_are_accepted() -> None:
    text = doc_text("P: Bapak siapa?\nS: Suaminya.\nI: Iya.\n", speakers="{S: Suami informan}")
    parsed = parse_document(text)
    assert [u.speaker for u in parsed.units] == ["P", "S", "I"]
    assert parsed.document.meta["speakers"] == {
        "P": "interviewer",
        "I": "informant",
        "S": "Suami informan",
    }


def test_manifest_roles_extend_informant_roles(corpus_dir: Path) -> None:
    (corpus_dir / "corpus.yaml").write_text(
        "groups: {Asoka: Durian Daun}\ninformant_roles: [bundo_kanduang]\n", encoding="utf-8"
    )
    (corpus_dir / "d.txt").write_text(doc_text(informant_role="bundo_kanduang"), encoding="utf-8")
    assert load_corpus(corpus_dir)["asoka-int-test"].informant_role == "bundo_kanduang"


def test_bad_manifest(corpus_dir: Path) -> None:
    (corpus_dir / "corpus.yaml").write_text("groups: [Asoka, Melati]\n", encoding="utf-8")
    (corpus_dir / "d.txt").write_text(doc_text(), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"corpus\.yaml:1: `groups` must map each group to its "
                                          r"village"):
        load_corpus(corpus_dir)


def test_without_manifest_any_group_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text(doc_text(group="Mawar", village="Mana Saja"), encoding="utf-8")
    assert load_corpus(tmp_path)["asoka-int-test"].group == "Mawar"


# --------------------------------------------------------------------------- encoding
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
def test_undecodable_bytes_name_the_byte_offset(corpus_dir: Path, bom: bytes) -> None:
    head = bom + doc_text("P: Apa kabar?\nI: Kami jualan kerupuk di caf").encode("utf-8")
    path = corpus_dir / "latin1.txt"
    path.write_bytes(head + b"\xe9 dekat pasar.\n")  # latin-1 "é"
    offset = len(head)
    with pytest.raises(
        EncodingProblem,
        match=rf"latin1\.txt \(byte {offset}\): not valid UTF-8: "
        r"byte e9",
    ) as info:
        load_corpus(corpus_dir)
    assert isinstance(info.value, UnicodeError)
    assert isinstance(info.value, CorpusError)
    assert info.value.offset == offset
    assert info.value.line is None


def test_bom_crlf_and_nfd_file_loads_normalised(corpus_dir: Path) -> None:
    text = doc_text("P: Sudah lama di cafe\u0301?\nI: Sudah.\n\n\nI: [tertawa] Lama.\n")
    (corpus_dir / "d.txt").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    corpus = load_corpus(corpus_dir)
    doc = corpus["asoka-int-test"]
    assert doc.text == "P: Sudah lama di café?\nI: Sudah.\n\n\nI: [tertawa] Lama."
    turns = [s for s in corpus.iter_segments(doc.doc_id) if s.kind == "turn"]
    assert [t.text for t in turns] == ["Sudah lama di café?", "Sudah.", "[tertawa] Lama."]
    assert [t.speaker for t in turns] == ["P", "I", "I"]


# --------------------------------------------------------------------------- folders
def test_folder_without_documents(corpus_dir: Path) -> None:
    (corpus_dir / "README.md").write_text("# Notes\nNo front matter: documentation.\n")
    (corpus_dir / "data.json").write_text("{}")
    with pytest.raises(CorpusError, match=r"corpus: no documents found \(looked for \.txt, \.md"):
        load_corpus(corpus_dir)
    corpus, problems = check_corpus(corpus_dir)
    assert corpus is None
    assert [type(p) for p in problems] == [CorpusError]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"nowhere: no such file or folder"):
        load_corpus(tmp_path / "nowhere")


def test_duplicate_doc_ids(corpus_dir: Path) -> None:
    (corpus_dir / "a.txt").write_text(doc_text(), encoding="utf-8")
    (corpus_dir / "b.txt").write_text(doc_text("P: Lain?\nI: Lain.\n"), encoding="utf-8")
    with pytest.raises(
        FrontMatterError,
        match=r"b\.txt:2: duplicate document id 'asoka-int-test' "
        r"\(also in .*a\.txt\)",
    ) as info:
        load_corpus(corpus_dir)
    assert info.value.doc_id == "asoka-int-test"


def test_duplicate_doc_id_line_is_the_id_line(corpus_dir: Path) -> None:
    text = "---\ntitle: Kedua\n" + doc_text()[4:]
    (corpus_dir / "a.txt").write_text(doc_text(), encoding="utf-8")
    (corpus_dir / "b.txt").write_text(text, encoding="utf-8")
    with pytest.raises(FrontMatterError, match=r"b\.txt:3: duplicate document id"):
        load_corpus(corpus_dir)


def test_check_corpus_returns_all_problems(corpus_dir: Path) -> None:
    (corpus_dir / "asoka").mkdir()
    (corpus_dir / "asoka" / "good.txt").write_text(doc_text(), encoding="utf-8")
    (corpus_dir / "asoka" / "role.txt").write_text(
        doc_text(id="r", informant_role="ketua"), encoding="utf-8"
    )
    (corpus_dir / "melati").mkdir()
    (corpus_dir / "melati" / "speaker.txt").write_text(
        doc_text("P: a\nX: b\n", id="s", group="Melati", village="Padang Olo"), encoding="utf-8"
    )
    (corpus_dir / "melati" / "nofront.md").write_text("---\nid: m\n", encoding="utf-8")
    (corpus_dir / "melati" / "bytes.txt").write_bytes(b"---\nid: caf\xe9\n")
    (corpus_dir / "melati" / "dup.txt").write_text(doc_text("I: Lagi.\n"), encoding="utf-8")

    corpus, problems = check_corpus(corpus_dir)
    assert corpus is None
    found = sorted((Path(p.path).name, type(p).__name__, p.line, p.offset) for p in problems)
    assert found == [
        ("bytes.txt", "EncodingProblem", None, 11),
        ("dup.txt", "FrontMatterError", 2, None),
        ("nofront.md", "FrontMatterError", 1, None),
        ("role.txt", "FrontMatterError", 6, None),
        ("speaker.txt", "SpeakerError", 11, None),
    ]
    with pytest.raises(CorpusError, match=r"^5 problems in the corpus") as info:
        load_corpus(corpus_dir)
    assert len(info.value.problems) == 5
    assert info.value.first is info.value.problems[0]


def test_load_files_list_and_ignored_names(corpus_dir: Path) -> None:
    a = corpus_dir / "a.txt"
    a.write_text(doc_text(id="a"), encoding="utf-8")
    b = corpus_dir / "b.md"
    b.write_text(
        doc_text(
            id="b",
            source_type="observation",
            informant_role="researcher",
            body="[09.15] Rapat mulai.\n\n09.30 - Selesai.\n",
        ),
        encoding="utf-8",
    )
    (corpus_dir / ".hidden.txt").write_text("junk")
    (corpus_dir / "~$lock.docx").write_text("junk")
    assert [d.doc_id for d in load_corpus(corpus_dir)] == ["a", "b"]
    corpus = load_corpus([a, b])
    assert len(corpus) == 2
    assert corpus.root == "files"


def test_unknown_document(small_corpus: Corpus) -> None:
    with pytest.raises(UnknownDocumentError, match=r"unknown document 'nope'") as info:
        small_corpus["nope"]
    assert isinstance(info.value, KeyError)
    assert "nope" not in small_corpus


# --------------------------------------------------------------------------- bodies
@pytest.fixture
def small_corpus() -> Corpus:
    interview = parse_document(
        doc_text(
            "[rekaman dimulai]\n\nP: Sudah berapa lama Ibu jadi ketua?\n"
            "I: Sejak tahun sembilan puluh tujuh. [tertawa]\nWaktu itu masih desa.\n\n"
            "S: Dia memang cerewet!\nP: Baik.\n",
            speakers="{S: Suami informan}",
        ),
        "int.txt",
    )
    notes = parse_document(
        doc_text(
            "[09.15] Anggota datang. Ketua membuka rapat.\n\n"
            "09.30 - Arisan dikocok.\nNama Ibu Erni keluar.\n  \t\n"
            "Penutup tanpa jam.\n",
            id="obs",
            source_type="observation",
            informant_role="researcher",
            informant="Peneliti",
        ),
        "obs.txt",
    )
    return Corpus([interview, notes])


def test_turns_speakers_and_notes(small_corpus: Corpus) -> None:
    segs = small_corpus.iter_segments("asoka-int-test")
    turns = [s for s in segs if s.kind == "turn"]
    assert [(t.speaker, t.text) for t in turns] == [
        ("P", "Sudah berapa lama Ibu jadi ketua?"),
        ("I", "Sejak tahun sembilan puluh tujuh. [tertawa]\nWaktu itu masih desa."),
        ("S", "Dia memang cerewet!"),
        ("P", "Baik."),
    ]
    assert [t.segment_id for t in turns] == [f"asoka-int-test:t{i}" for i in range(1, 5)]
    sentences = [s for s in segs if s.parent == "asoka-int-test:t2"]
    assert [s.kind for s in sentences] == ["sentence"] * len(sentences)
    assert sentences[0].text == "Sejak tahun sembilan puluh tujuh."
    assert sentences[0].segment_id == "asoka-int-test:t2.s1"


def test_paragraphs_and_time_stamps(small_corpus: Corpus) -> None:
    paragraphs = [s for s in small_corpus.iter_segments("obs") if s.kind == "paragraph"]
    assert [(p.time, p.text) for p in paragraphs] == [
        ("09.15", "[09.15] Anggota datang. Ketua membuka rapat."),
        ("09.30", "09.30 - Arisan dikocok.\nNama Ibu Erni keluar."),
        (None, "Penutup tanpa jam."),
    ]
    sentences = [s for s in small_corpus.iter_segments("obs") if s.parent == "obs:p1"]
    assert all(s.time == "09.15" for s in sentences)


@pytest.mark.parametrize(
    ("paragraph", "time"),
    [
        ("[09.15] Rapat dimulai.", "09.15"),
        ("09.15 - Rapat dimulai.", "09.15"),
        ("[9:05] Rapat dimulai.", "9.05"),
        ("Rapat dimulai pukul 09.15.", None),
        pytest.param(
            "10.000 rupiah disetor tiap anggota.",
            None,
            ),
    ],
)
def test_time_stamp(paragraph: str, time: str | None) -> None:
    parsed = parse_document(
        doc_text(paragraph + "\n", source_type="observation", informant_role="researcher")
    )
    assert parsed.units[0].time == time


def test_segments_frame_columns_and_offsets(small_corpus: Corpus) -> None:
    segs = small_corpus.segments
    assert list(segs.columns) == list(SEGMENT_COLUMNS)
    assert segs["start"].dtype == "int64"
    assert segs["end"].dtype == "int64"
    assert segs["segment_id"].is_unique
    for row in segs.itertuples():
        assert small_corpus[row.doc_id].text[row.start : row.end] == row.text
    assert set(segs["kind"]) == {"turn", "sentence", "paragraph"}
    assert (segs["group"] == "Asoka").all()


def test_documents_frame(small_corpus: Corpus) -> None:
    docs = small_corpus.documents
    assert list(docs["doc_id"]) == ["asoka-int-test", "obs"]
    assert list(docs["n_chars"]) == [len(d.text) for d in small_corpus]
    assert docs["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert list(docs["path"]) == ["int.txt", "obs.txt"]


def test_meta_fields(small_corpus: Corpus) -> None:
    doc = small_corpus["asoka-int-test"]
    assert isinstance(doc, Document)
    assert doc.date == "2004-03-11"
    assert doc.title == "asoka-int-test"
    parsed = parse_document(doc_text(title="Wawancara", tags="[a, b]", meta="{recorder: Sony}"))
    assert parsed.document.title == "Wawancara"
    assert parsed.document.meta["tags"] == ["a", "b"]
    assert parsed.document.meta["recorder"] == "Sony"
    assert "meta" not in parsed.document.meta


# --------------------------------------------------------------------------- the real corpus
INTERVIEW_ROLES = {
    "chair",
    "secretary",
    "treasurer",
    "field_officer",
    "village_head",
    "informal_leader",
}


def test_real_corpus_size_and_coverage(real_corpus: Corpus) -> None:
    docs = real_corpus.documents
    assert len(real_corpus) >= 24
    assert docs["doc_id"].is_unique
    assert set(docs["group"]) == {"Asoka", "Melati"}
    assert set(docs["source_type"]) == set(SOURCE_TYPES)
    assert set(docs["informant_role"]) <= set(INFORMANT_ROLES)
    for group, frame in docs.groupby("group"):
        assert (frame["source_type"] == "observation").sum() >= 2, group
        interviews = frame[frame["source_type"] == "interview"]
        assert set(interviews["informant_role"]) >= INTERVIEW_ROLES, group
        assert (interviews["informant_role"] == "member").sum() >= 3, group
    assert set(docs.loc[docs["group"] == "Asoka", "village"]) == {"Durian Daun"}
    assert set(docs.loc[docs["group"] == "Melati", "village"]) == {"Padang Olo"}


def test_real_corpus_summary(real_corpus: Corpus) -> None:
    summary = real_corpus.summary()
    total = summary.loc[("All", "all")]
    assert total["words"] >= 25_000
    assert total["documents"] == len(real_corpus)
    assert list(summary.columns) == ["documents", "units", "sentences", "words"]
    body = summary.drop(index=("All", "all"))
    assert (body.sum() == total).all()
    assert total["words"] <= sum(d.n_words for d in real_corpus)  # n_words also counts "P:"


def test_real_corpus_offsets(real_corpus: Corpus) -> None:
    segs = real_corpus.segments
    texts = {d.doc_id: d.text for d in real_corpus}
    bad = [r.segment_id for r in segs.itertuples() if texts[r.doc_id][r.start : r.end] != r.text]
    assert bad == []
    assert segs["segment_id"].is_unique
    assert (segs["start"] < segs["end"]).all()
    assert (segs["text"].str.strip() == segs["text"]).all()


def test_real_corpus_sentences_inside_parents(real_corpus: Corpus) -> None:
    segs = real_corpus.segments
    units = segs[segs["kind"] != "sentence"].set_index("segment_id")
    sents = segs[segs["kind"] == "sentence"]
    assert len(sents) > len(units)
    parent = units.loc[sents["parent"]]
    assert (sents["start"].to_numpy() >= parent["start"].to_numpy()).all()
    assert (sents["end"].to_numpy() <= parent["end"].to_numpy()).all()
    assert (sents["doc_id"].to_numpy() == parent["doc_id"].to_numpy()).all()
    assert (sents["speaker"].fillna("").to_numpy() == parent["speaker"].fillna("").to_numpy()).all()
    # every turn/paragraph has at least one sentence, and sentences do not overlap
    assert set(sents["parent"]) == set(units.index)
    for _, group in sents.groupby("parent", sort=False):
        assert (group["start"].to_numpy()[1:] >= group["end"].to_numpy()[:-1]).all()


def test_real_corpus_turn_speakers_are_declared(real_corpus: Corpus) -> None:
    segs = real_corpus.segments
    turns = segs[segs["kind"] == "turn"]
    assert set(turns["source_type"]) == {"interview"}
    for doc_id, frame in turns.groupby("doc_id"):
        declared = real_corpus[doc_id].meta["speakers"]
        assert set(frame["speaker"]) <= set(declared), doc_id
        assert {"P", "I"} <= set(frame["speaker"]), doc_id
    paragraphs = segs[segs["kind"] == "paragraph"]
    assert set(paragraphs["source_type"]) == {"observation", "document"}
    assert paragraphs["speaker"].isna().all()


# --------------------------------------------------------------------------- property: offsets
LABELS = {
    "P": "interviewer",
    "I": "informant",
    "S": "Suami informan",
    "Bu2": "Ibu kedua",
    "Ratna": "Ibu Ratna",
}
_LABEL_LINE = re.compile(r"^[A-Z][A-Za-z0-9]{0,11}:")
_SPECIAL = [
    "é",
    "e\u0301",
    "ñ",
    "Ñ",
    "ü",
    "ß",
    "\u212b",
    "\u212a",
    "😀",
    "👩🏽‍🌾",
    "🇮🇩",
    "\u00a0",
    "\u2028",
    "\x85",
    "\t",
    "[tertawa]",
    " [anak menangis] ",
    "Rp 10.000",
    "X: ",
    "...",
    "“kutipan”",
    "(",
    "[",
    "?",
    "!",
    ".",
    ". ",
    "? ",
    "Bu",
    "Ratna:",
]
_TEXT = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n", exclude_categories=("Cs",))
    | st.sampled_from(list("abcdefghij ABC.,?!:;'\"0123456789 ")),
    max_size=30,
)
_WORDS = st.lists(
    st.sampled_from(
        [
            "kami",
            "rapat",
            "tiap",
            "bulan",
            "Ibu",
            "Pak",
            "ketua",
            "café",
            "Kukesra",
            "putaran",
            "IV.",
            "ya.",
            "tidak?",
            "[tertawa]",
            "[",
            "(",
            "“iya”",
            "2004.",
            "Rp",
            "160.000,-",
            "dll.",
            "...",
            "!",
            "—",
            "e\u0301",
            "😀",
            "\u00a0",
        ]
    ),
    max_size=12,
).map(" ".join)
_LINE = st.lists(_TEXT | _WORDS | st.sampled_from(_SPECIAL), max_size=6).map("".join)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _safe_continuation(line: str) -> str:
    """A continuation line must not look like a speaker label once normalised."""
    return "~" + line if _LABEL_LINE.match(normalise(line)) else line


@st.composite
def utterances(draw: st.DrawFn) -> str:
    first = draw(_LINE)
    rest = [
        _safe_continuation(x)
        for x in draw(st.lists(_LINE | st.sampled_from(["", " \t"]), max_size=3))
    ]
    utterance = "\n".join([first, *rest])
    if not normalise(utterance).strip():
        utterance += " ok"
    return utterance


@st.composite
def interviews(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    turns = draw(
        st.lists(st.tuples(st.sampled_from(sorted(LABELS)), utterances()), min_size=1, max_size=6)
    )
    seps = draw(
        st.lists(
            st.sampled_from(["\n", "\n\n", "\n \t\n", "\n[jeda]\n"]),
            min_size=len(turns),
            max_size=len(turns),
        )
    )
    lead = draw(st.sampled_from(["", "\n", "\n\n  \n", "[rekaman dimulai]\n", "\n[mulai]\n\n"]))
    body = lead
    for (label, utterance), sep in zip(turns, seps, strict=True):
        body += f"{label}:{draw(st.sampled_from([' ', '', '  ', chr(9)]))}{utterance}{sep}"
    text = doc_text(body, speakers="{S: Suami informan, Bu2: Ibu kedua, Ratna: Ibu Ratna}")
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = text.replace("\n", eol)
    if draw(st.booleans()):
        text = "\ufeff" + text
    # a "[jeda]" separator line is part of the previous turn
    expected = [
        (label, utterance + ("\n[jeda]" if sep == "\n[jeda]\n" else ""))
        for (label, utterance), sep in zip(turns, seps, strict=True)
    ]
    return text, expected


def check_segments(corpus: Corpus, doc_id: str) -> pd.DataFrame:
    """The offset invariants every segment frame must satisfy; returns the units."""
    text = corpus[doc_id].text
    segs = corpus.segments
    assert list(segs.columns) == list(SEGMENT_COLUMNS)
    for row in segs.itertuples():
        assert text[row.start : row.end] == row.text
        assert 0 <= row.start < row.end <= len(text)
        assert row.text == row.text.strip()
    units = segs[segs["kind"] != "sentence"]
    sents = segs[segs["kind"] == "sentence"]
    assert (units["start"].to_numpy()[1:] >= units["end"].to_numpy()[:-1]).all()
    by_id = units.set_index("segment_id")
    for row in sents.itertuples():
        parent = by_id.loc[row.parent]
        assert parent["start"] <= row.start < row.end <= parent["end"]
        assert row.speaker == parent["speaker"] or (
            row.speaker is None and parent["speaker"] is None
        )
    for _, group in sents.groupby("parent", sort=False):
        assert (group["start"].to_numpy()[1:] >= group["end"].to_numpy()[:-1]).all()
    return units


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(interviews())
def test_random_interviews_keep_offsets(case: tuple[str, list[tuple[str, str]]]) -> None:
    text, expected = case
    parsed = parse_document(text, "random.txt")
    assert "\r" not in parsed.document.text
    assert not parsed.document.text.startswith("\ufeff")
    assert parsed.document.text == unicodedata.normalize("NFC", parsed.document.text)
    corpus = Corpus([parsed])
    units = check_segments(corpus, parsed.document.doc_id)
    assert list(units["kind"].unique()) == ["turn"]
    got = list(zip(units["speaker"], units["text"], strict=True))
    assert got == [(label, normalise(u).strip()) for label, u in expected]


@st.composite
def notes(draw: st.DrawFn) -> tuple[str, list[str]]:
    def para_line(line: str) -> str:
        return line if line.strip() else line + "x"

    paragraphs = draw(
        st.lists(
            st.lists(_LINE.map(para_line), min_size=1, max_size=3).map("\n".join),
            min_size=1,
            max_size=5,
        )
    )
    seps = draw(
        st.lists(
            st.sampled_from(["\n\n", "\n\n\n", "\n \t\n", "\n\t\n  \n"]),
            min_size=len(paragraphs),
            max_size=len(paragraphs),
        )
    )
    body = "".join(p + s for p, s in zip(paragraphs, seps, strict=True))
    text = doc_text(
        body,
        source_type=draw(st.sampled_from(["observation", "document"])),
        informant_role="researcher",
    )
    text = text.replace("\n", draw(st.sampled_from(["\n", "\r\n", "\r"])))
    return text, [normalise(p).strip() for p in paragraphs]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes())
def test_random_notes_keep_offsets(case: tuple[str, list[str]]) -> None:
    text, expected = case
    parsed = parse_document(text, "random.txt")
    corpus = Corpus([parsed])
    units = check_segments(corpus, parsed.document.doc_id)
    assert list(units["kind"].unique()) == ["paragraph"]
    assert list(units["text"]) == expected


# --------------------------------------------------------------------------- CSV of segments
CSV_HEADER = "doc_id,group,village,source_type,informant_role,informant,date,speaker,text\n"
CSV_ROWS = (
    "d1,Asoka,Durian Daun,interview,chair,Ibu Ratna,2004-03-11,P,Sudah berapa lama?\n"
    'd1,Asoka,Durian Daun,interview,chair,Ibu Ratna,2004-03-11,Ibu Ratna,"Sejak 1997, Pak."\n'
    "d1,Asoka,Durian Daun,interview,chair,Ibu Ratna,2004-03-11,P,Siapa sekretarisnya?\n"
    "d2,Melati,Padang Olo,interview,member,Ibu Darnis,2004-04-02,P,Apa kabar?\n"
    "d2,Melati,Padang Olo,interview,member,Ibu Darnis,2004-04-02,I,Baik.\n"
)


def test_csv_missing_column(corpus_dir: Path) -> None:
    path = corpus_dir / "segments.csv"
    path.write_text(
        CSV_HEADER.replace(",speaker", "") + "d1,Asoka,Durian Daun,interview,chair,"
        "Ibu Ratna,2004-03-11,Halo\n",
        encoding="utf-8",
    )
    with pytest.raises(
        CorpusError,
        match=r"segments\.csv:1: CSV \(read with the comma \(','\) as delimiter\) is missing "
        r"column\(s\) speaker; required: doc_id,",
    ):
        load_corpus(corpus_dir)


def test_csv_inconsistent_metadata(corpus_dir: Path) -> None:
    rows = CSV_ROWS.replace(
        "d1,Asoka,Durian Daun,interview,chair,Ibu Ratna,2004-03-11,P,Siapa",
        "d1,Asoka,Durian Daun,interview,chair,Ibu Ratna,2004-03-12,P,Siapa",
    )
    (corpus_dir / "segments.csv").write_text(CSV_HEADER + rows, encoding="utf-8")
    with pytest.raises(
        CorpusError,
        match=r"segments\.csv:2: document 'd1' has more than one "
        r"'date' value",
    ):
        load_corpus(corpus_dir)


def test_csv_loads_documents_turns_and_speakers(corpus_dir: Path) -> None:
    (corpus_dir / "segments.csv").write_text(CSV_HEADER + CSV_ROWS, encoding="utf-8")
    corpus = load_corpus(corpus_dir)
    assert [d.doc_id for d in corpus] == ["d1", "d2"]
    d1 = corpus["d1"]
    assert (d1.group, d1.village, d1.source_type, d1.informant_role, d1.informant, d1.date) == (
        "Asoka",
        "Durian Daun",
        "interview",
        "chair",
        "Ibu Ratna",
        "2004-03-11",
    )
    turns = [s for s in corpus.iter_segments("d1") if s.kind == "turn"]
    assert [t.text for t in turns] == [
        "Sudah berapa lama?",
        "Sejak 1997, Pak.",
        "Siapa sekretarisnya?",
    ]
    names = d1.meta["speakers"]
    assert turns[0].speaker == turns[2].speaker == "P"
    assert names[turns[1].speaker] == "Ibu Ratna"
    assert "\n\n" in d1.text  # turns joined by blank lines
    for t in turns:
        assert d1.text[t.start : t.end] == t.text
    assert [t.speaker for t in corpus.iter_segments("d2") if t.kind == "turn"] == ["P", "I"]


def test_csv_with_optional_columns_and_bom(corpus_dir: Path) -> None:
    header = CSV_HEADER.replace("\n", ",title\n")
    rows = "".join(line + ",Wawancara ketua\n" for line in CSV_ROWS.splitlines()[:3])
    (corpus_dir / "s.csv").write_bytes(b"\xef\xbb\xbf" + (header + rows).encode("utf-8"))
    assert load_corpus(corpus_dir)["d1"].title == "Wawancara ketua"


def test_csv_bad_value_names_the_row(corpus_dir: Path) -> None:
    rows = CSV_ROWS.splitlines()
    for i in (3, 4):  # both rows of d2; its first row is file line 5
        rows[i] = rows[i].replace("interview,member", "intervew,member")
    (corpus_dir / "segments.csv").write_text(CSV_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(FrontMatterError, match=r"segments\.csv:5: source_type 'intervew'"):
        load_corpus(corpus_dir)


# --------------------------------------------------------------------------- .docx
def _docx(path: Path, lines: list[str | tuple[str, str]]) -> Path:
    """Write a .docx: plain strings are paragraphs; (bold, rest) pairs start with a bold run."""
    import docx

    document = docx.Document()
    for line in lines:
        if isinstance(line, tuple):
            paragraph = document.add_paragraph()
            paragraph.add_run(line[0]).bold = True
            paragraph.add_run(line[1])
        else:
            document.add_paragraph(line)
    document.save(str(path))
    return path


DOCX_FRONT = [
    "---",
    "id: asoka-docx",
    "group: Asoka",
    "village: Durian Daun",
    "source_type: interview",
    "informant_role: chair",
    "informant: Ibu Ratna Dewi",
    "date: 2004-03-11",
    "---",
]


def test_docx_turns_speakers_offsets(corpus_dir: Path) -> None:
    _docx(
        corpus_dir / "ratna.docx",
        [
            *DOCX_FRONT,
            "P: Bagaimana rapatnya, Bu?",
            ("Ratna:", " Kami rapat tiap bulan. Lancar, café selalu penuh."),
            "P: Siapa yang mencatat?",
            ("Ratna", ": Sekretaris, Ibu Yusnidar."),
            ("Bu Siti:", " Saya juga ikut. [tertawa]"),
            "Lanjutan kalimat Bu Siti.",
        ],
    )
    corpus = load_corpus(corpus_dir)
    doc = corpus["asoka-docx"]
    assert doc.path.endswith("ratna.docx")
    segs = corpus.iter_segments("asoka-docx")
    turns = [s for s in segs if s.kind == "turn"]
    names = doc.meta["speakers"]
    assert [(names[t.speaker], t.text) for t in turns] == [
        ("interviewer", "Bagaimana rapatnya, Bu?"),
        ("Ratna", "Kami rapat tiap bulan. Lancar, café selalu penuh."),
        ("interviewer", "Siapa yang mencatat?"),
        ("Ratna", "Sekretaris, Ibu Yusnidar."),
        ("Bu Siti", "Saya juga ikut. [tertawa]\nLanjutan kalimat Bu Siti."),
    ]
    assert turns[1].speaker == turns[3].speaker  # one label per bold name
    for s in segs:
        assert doc.text[s.start : s.end] == s.text
    frame = corpus.segments
    assert (frame["speaker"].isin(list(names))).all()


def test_docx_front_matter_error_names_paragraph(corpus_dir: Path) -> None:
    front = [line.replace("interview", "intervew") for line in DOCX_FRONT]
    _docx(corpus_dir / "bad.docx", [*front, "P: Halo?"])
    with pytest.raises(FrontMatterError, match=r"bad\.docx:5: source_type 'intervew'"):
        load_corpus(corpus_dir)


def test_docx_broken_file(corpus_dir: Path) -> None:
    (corpus_dir / "broken.docx").write_bytes(b"not a zip file")
    with pytest.raises(CorpusError, match=r"broken\.docx: cannot open as a Word document"):
        load_corpus(corpus_dir)


# --------------------------------------------------------------------------- Manifest
def test_manifest_read(corpus_dir: Path) -> None:
    manifest = read_manifest(corpus_dir / "corpus.yaml")
    assert manifest.groups == {"Asoka": "Durian Daun", "Melati": "Padang Olo"}
    assert manifest.roles == INFORMANT_ROLES


def test_csv_text_is_normalised_and_notes_keep_their_type(corpus_dir: Path) -> None:
    (corpus_dir / "notes.csv").write_text(
        CSV_HEADER
        + 'o1,Asoka,Durian Daun,observation,researcher,R1,2004-04-10,Peneliti,"Cafe\u0301 penuh.\r\nLanjut."\n'
        + "o1,Asoka,Durian Daun,observation,researcher,R1,2004-04-10,Peneliti,PLKB tidak datang.\n",
        encoding="utf-8", newline="")
    doc = load_corpus(corpus_dir)["o1"]
    assert doc.source_type == "observation"          # not turned into an interview
    assert doc.text == "Café penuh.\nLanjut.\n\nPLKB tidak datang."   # NFC, LF, no labels


def test_docx_notes_keep_paragraphs_and_bold_words(corpus_dir: Path) -> None:
    front = [line.replace("interview", "observation") for line in DOCX_FRONT]
    _docx(corpus_dir / "obs.docx", [*front, ("Pukul 09.15:", " rapat dimulai."),
                                    "PLKB tidak datang.", "Paragraf ketiga."])
    corpus = load_corpus(corpus_dir)
    doc = corpus["asoka-docx"]
    assert doc.text == "Pukul 09.15: rapat dimulai.\n\nPLKB tidak datang.\n\nParagraf ketiga."
    paragraphs = [s.text for s in corpus.iter_segments("asoka-docx") if s.kind == "paragraph"]
    assert paragraphs == ["Pukul 09.15: rapat dimulai.", "PLKB tidak datang.", "Paragraf ketiga."]


# --------------------------------------------------------------------------- any study's format
@pytest.mark.parametrize("date", ["2004-03-11", "2004-03", "2004", "unknown"])
def test_dates_may_be_partial_or_unknown(corpus_dir: Path, date: str) -> None:
    (corpus_dir / "d.txt").write_text(doc_text(date=date), encoding="utf-8")
    assert load_corpus(corpus_dir)["asoka-int-test"].date == date


@pytest.mark.parametrize("date", ["2004-13", "2004-3", "03/2004", "circa 2004"])
def test_other_dates_are_errors(corpus_dir: Path, date: str) -> None:
    (corpus_dir / "d.txt").write_text(doc_text(date=date), encoding="utf-8")
    with pytest.raises(FrontMatterError, match=r"d\.txt:8: date .* is not a date"):
        load_corpus(corpus_dir)


@pytest.mark.parametrize("group", [None, '""'])
def test_a_document_may_belong_to_no_group(corpus_dir: Path, group: str | None) -> None:
    (corpus_dir / "d.txt").write_text(doc_text(group=group, village=None), encoding="utf-8")
    (corpus_dir / "e.txt").write_text(doc_text(id="e1"), encoding="utf-8")
    corpus = load_corpus(corpus_dir)
    assert corpus["asoka-int-test"].group == "" and corpus["asoka-int-test"].village == ""
    summary = corpus.summary()
    assert summary.loc[("(no group)", "interview"), "documents"] == 1
    assert summary.loc[("All", "all"), "documents"] == 2


def test_front_matter_attributes(corpus_dir: Path) -> None:
    text = doc_text().replace("---\nP:", "attributes:\n  kecamatan: Sungai Limau\n  wave: 2\n"
                                         "---\nP:")
    (corpus_dir / "d.txt").write_text(text, encoding="utf-8")
    corpus = load_corpus(corpus_dir)
    assert corpus["asoka-int-test"].attributes == {"kecamatan": "Sungai Limau", "wave": 2}
    assert corpus.documents.loc[0, "kecamatan"] == "Sungai Limau"


@pytest.mark.parametrize(("attributes", "message"), [
    ("  text: x\n", r"'text' is a column of every codings frame"),
    ("  2nd: x\n", r"attribute name '2nd' must be letters"),
    ("  tags: [a, b]\n", r"The 'tags' parameter of attributes must be"),
])
def test_bad_attributes_name_the_line(corpus_dir: Path, attributes: str, message: str) -> None:
    text = doc_text().replace("---\nP:", f"attributes:\n{attributes}---\nP:")
    (corpus_dir / "d.txt").write_text(text, encoding="utf-8")
    with pytest.raises(FrontMatterError, match=r"d\.txt:9: .*" + message):
        load_corpus(corpus_dir)


@pytest.mark.parametrize("placeholder", ['"-"', "n/a", '"—"'])
def test_an_informant_placeholder_means_no_informant(corpus_dir: Path, placeholder: str) -> None:
    (corpus_dir / "d.txt").write_text(doc_text(informant=placeholder), encoding="utf-8")
    assert load_corpus(corpus_dir)["asoka-int-test"].informant == ""


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolon"), ("\t", "tab"), (",", "comma")])
def test_csv_delimiter_is_sniffed(corpus_dir: Path, sep: str, name: str) -> None:
    header = CSV_HEADER.strip() + ",kecamatan\n"
    rows = "".join(r.replace('"Sejak 1997, Pak."', "Sejak 1997 Pak.").strip() + ",Sungai Limau\n"
                   for r in CSV_ROWS.splitlines(keepends=True))
    (corpus_dir / "u.csv").write_text((header + rows).replace(",", sep), encoding="utf-8")
    corpus = load_corpus(corpus_dir)
    assert sorted(d.doc_id for d in corpus) == ["d1", "d2"]
    assert corpus["d1"].attributes == {"kecamatan": "Sungai Limau"}
    (corpus_dir / "u.csv").write_text(("doc_id,text\nd1,x\n").replace(",", sep), encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"read with the {name} .* as delimiter\) is missing"):
        load_corpus(corpus_dir)


def test_csv_attribute_must_be_one_per_document(corpus_dir: Path) -> None:
    text = (CSV_HEADER.strip() + ",wave\n" + "".join(
        r.strip() + f",{i}\n" for i, r in enumerate(CSV_ROWS.splitlines()[:3])))
    (corpus_dir / "u.csv").write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match=r"document 'd1' has more than one 'wave' value"):
        load_corpus(corpus_dir)


def test_an_explicit_manifest_replaces_the_folder_s(corpus_dir: Path, tmp_path: Path) -> None:
    (corpus_dir / "d.txt").write_text(doc_text(group="Mawar", village="X"), encoding="utf-8")
    with pytest.raises(FrontMatterError, match="group 'Mawar' is unknown"):
        load_corpus(corpus_dir)
    other = tmp_path / "other.yaml"
    other.write_text("groups: {Mawar: X}\nprovenance: test data\n", encoding="utf-8")
    corpus = load_corpus(corpus_dir, manifest=other)
    assert corpus["asoka-int-test"].group == "Mawar"
    assert corpus.provenance == "test data" and corpus.manifest.path == str(other)
