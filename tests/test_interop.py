"""Tests of uppks_qual.interop: REFI-QDA projects and codebooks, Excel/CSV tables.

Fixture projects in the style of NVivo, ATLAS.ti, MAXQDA and QualCoder live in
``tests/data/refi/`` (written by ``make_fixtures.py`` there); the tests zip them into
``.qdpx`` archives in ``tmp_path``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import tempfile
import uuid
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import uppks_qual as uq
from uppks_qual.errors import ImportProblem, InterchangeError, StoreError
from uppks_qual.interop import (
    RefiWarning,
    build_tables,
    export_qdc,
    export_qdpx,
    read_codings_csv,
    read_project,
    read_qdc,
    validate_refi,
)
from uppks_qual.interop.offsets import normalise_with_offsets
from uppks_qual.interop.refi import (
    CODEBOOK_NS,
    CODEBOOK_XSD,
    GUID_NAMESPACE,
    PROJECT_NS,
    PROJECT_XSD,
    ProjectData,
    guid_for,
)
from uppks_qual.interop.refi_read import ImportedProject
from uppks_qual.interop.tables import SHEETS
from uppks_qual.project import Project
from uppks_qual.records import Code, Codebook, Coding, Document
from uppks_qual.textio import normalise

DATA = Path(__file__).parent / "data" / "refi"
SCHEMAS = Path(__file__).resolve().parents[1] / "uppks_qual" / "interop" / "schemas"
Q = {"q": PROJECT_NS}
TOOLS = ("nvivo", "atlasti", "maxqda", "qualcoder")

_spec = importlib.util.spec_from_file_location("refi_fixtures", DATA / "make_fixtures.py")
assert _spec is not None and _spec.loader is not None
FIXTURES = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(FIXTURES)  # the texts the fixture projects were written from
MAXQDA_CRLF: str = FIXTURES.MAXQDA_CRLF
QUALCODER_DOCX_PARAGRAPHS: tuple[str, ...] = FIXTURES.QUALCODER_DOCX_PARAGRAPHS

FRAME_COLUMNS = ["doc_id", "group", "village", "source_type", "informant_role", "informant",
                 "start", "end", "code_id", "code_label", "factor", "valence", "coder",
                 "origin", "confidence", "text"]


# --------------------------------------------------------------------------- builders
def make_codebook() -> Codebook:
    return Codebook((
        Code("leadership", None, "leadership", "factor", "Leadership", "Kepemimpinan",
             definition="Who leads the group and how.", colour="#E69F00",
             phrases=("ketua", "pengurus"), persons=("plkb",), positive=("rajin",),
             negative=("batal",),
             patterns=(({"LOWER": "rapat"},),)),
        Code("leadership.meetings", "leadership", "leadership", "factor", "Meetings", "Rapat",
             colour="#E69F00", use_when="A meeting is mentioned.", examples=("Rapat batal.",)),
        Code("leadership.meetings.minutes", "leadership.meetings", "leadership", "factor",
             "Minutes", "Notulen", colour="#F0E442"),
        Code("stage", None, "stage", "structural", "Stage", "Tahap", colour="#999999"),
    ), name="small")


EMOJI_TEXT = "Bu Ani 😀 bilang: rapat di café tiap bulan 👍🏽, kopi enak.\nSemua datang."


def make_documents() -> list[Document]:
    return [
        Document("asoka-int-chair", "P: Apa kabar?\nI: Ketua rajin, rapat tiap bulan.\n",
                 "Asoka", "Durian Daun", "interview", "chair", "Ibu Rina", "2004-03-11",
                 meta={"title": "Chair interview", "speakers": {"P": "interviewer",
                                                                "I": "informant"},
                       "duration": 35, "tags": ["pilot", "chair"]}),
        Document("melati-obs-1", EMOJI_TEXT, "Melati", "Padang Olo", "observation",
                 "researcher", "tim", "2004-04-01", meta={"title": "Arisan"}),
        Document("melati-doc-1", "Notulen rapat hilang.", "Melati", "Padang Olo", "document",
                 "researcher", "arsip", "2004-05"),
    ]


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def make_codings(docs: Sequence[Document]) -> list[Coding]:
    chair, obs, note = docs[0].text, docs[1].text, docs[2].text
    return [
        Coding("asoka-int-chair", *_span(chair, "Ketua rajin"), "leadership", "ana",
               valence="positive"),
        Coding("asoka-int-chair", *_span(chair, "Ketua rajin"), "leadership", "budi"),
        Coding("asoka-int-chair", *_span(chair, "rapat tiap bulan"), "leadership.meetings",
               "ana", valence="neutral"),
        Coding("melati-obs-1", *_span(obs, "rapat di café tiap bulan 👍🏽"),
               "leadership.meetings", "budi", valence="negative"),
        Coding("melati-obs-1", *_span(obs, "😀"), "stage", "ana"),
        Coding("melati-obs-1", *_span(obs, "rapat"), "leadership.meetings", "auto",
               origin="auto", valence="positive", confidence=0.75),
        Coding("melati-doc-1", *_span(note, "Notulen rapat hilang"),
               "leadership.meetings.minutes", "auto", origin="auto", confidence=0.1),
    ]


def build_project(path: Path) -> Project:
    docs = make_documents()
    project = Project.create(path, corpus=docs, codebook=make_codebook())
    ids = project.code_many(make_codings(docs))
    project.memo("leadership", "Leadership memo", on="code", author="ana")
    project.memo("melati-obs-1", "Observed from the porch.", on="document")
    project.memo(str(ids[3]), "Meeting cancelled twice.", on="coding", author="budi")
    project.memo("project", "Field season 2004.", on="project")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with build_project(tmp_path / "study.uqp") as p:
        yield p


@pytest.fixture
def exported(project: Project, tmp_path: Path) -> Path:
    return project.export_qdpx(tmp_path / "study.qdpx")


def read_member(archive: Path, name: str) -> bytes:
    with zipfile.ZipFile(archive) as zf:
        return zf.read(name)


def qde_root(archive: Path) -> etree._Element:
    return etree.fromstring(read_member(archive, "project.qde"))


def tidy(project: Project) -> pd.DataFrame:
    """The codings frame in a comparable form (plain dtypes, sorted)."""
    frame = project.codings()[FRAME_COLUMNS].astype(
        {c: object for c in ("group", "source_type", "factor", "valence", "origin")})
    keys = ["doc_id", "start", "end", "code_id", "coder"]
    return frame.sort_values(keys).reset_index(drop=True)


def memo_set(project: Project, coding_keys: Mapping[int, tuple]) -> set[tuple]:
    out = set()
    for m in project.memos().itertuples():
        target = coding_keys[int(m.target_id)] if m.target_type == "coding" else m.target_id
        out.add((m.target_type, target, m.author, m.text))
    return out


def coding_keys(project: Project) -> dict[int, tuple]:
    frame = project.codings()
    return {int(r.coding_id): (r.doc_id, r.start, r.end, r.code_id, r.coder)
            for r in frame.itertuples()}


def zip_folder(folder: Path, target: Path, *, skip: Sequence[str] = (),
               replace: Mapping[str, bytes] | None = None,
               add: Mapping[str, bytes] | None = None) -> Path:
    """Zip a fixture folder into a .qdpx, optionally dropping, replacing or adding members."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            name = file.relative_to(folder).as_posix()
            if file.is_file() and name not in skip:
                zf.writestr(name, (replace or {}).get(name, file.read_bytes()))
        for name, payload in (add or {}).items():
            zf.writestr(name, payload)
    return target


def docx_bytes(paragraphs: Sequence[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


QUALCODER_DOCX = "sources/12345678-1234-4234-8234-123456789002.docx"


def tool_archive(tool: str, tmp_path: Path, *, skip: Sequence[str] = (),
                 replace: Mapping[str, bytes] | None = None) -> Path:
    """The fixture folder of ``tool`` as a .qdpx (QualCoder's .docx source is made here)."""
    add = {QUALCODER_DOCX: docx_bytes(QUALCODER_DOCX_PARAGRAPHS)} if tool == "qualcoder" else {}
    return zip_folder(DATA / tool, tmp_path / f"{tool}.qdpx", skip=skip, replace=replace,
                      add=add)


def import_warns(source: Path, target: Path, expected: Sequence[str] = ()) -> Project:
    """Import, checking that each expected warning pattern matched and nothing else warned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        project = Project.import_qdpx(source, target)
    messages = [str(w.message) for w in caught if issubclass(w.category, RefiWarning)]
    for pattern in expected:
        assert any(re.search(pattern, m) for m in messages), (pattern, messages)
    unexpected = [m for m in messages if not any(re.search(p, m) for p in expected)]
    assert not unexpected
    return project


# --------------------------------------------------------------------------- export
def test_export_validates_against_the_packaged_xsd(exported: Path) -> None:
    schema = xmlschema.XMLSchema(SCHEMAS / PROJECT_XSD)
    schema.validate(read_member(exported, "project.qde"))
    assert validate_refi(exported) == []


def test_export_holds_qde_one_text_per_source_and_extras(exported: Path) -> None:
    names = zipfile.ZipFile(exported).namelist()
    sources = {f"sources/{guid_for('source', d.doc_id)}.txt" for d in make_documents()}
    assert set(names) == {"project.qde", "uppks-qual.json", *sources}
    for doc in make_documents():
        guid = guid_for("source", doc.doc_id)
        assert read_member(exported, f"sources/{guid}.txt").decode("utf-8") == doc.text
        source = qde_root(exported).find(f".//q:TextSource[@guid='{guid}']", Q)
        assert source.get("plainTextPath") == f"internal://{guid}.txt"
        assert source.get("name") == doc.doc_id


def test_export_is_deterministic_with_stable_guids(project: Project, tmp_path: Path) -> None:
    first = project.export_qdpx(tmp_path / "a.qdpx").read_bytes()
    second = project.export_qdpx(tmp_path / "b.qdpx").read_bytes()
    assert first == second
    users = {u.get("name"): u.get("guid") for u in qde_root(tmp_path / "a.qdpx").iterfind(
        "q:Users/q:User", Q)}
    assert set(users) == {"ana", "budi", "auto"}
    assert users["ana"] == str(uuid.uuid5(GUID_NAMESPACE, "user:ana")).upper()


def test_export_writes_the_code_tree(exported: Path) -> None:
    codes = qde_root(exported).find("q:CodeBook/q:Codes", Q)
    top = codes.findall("q:Code", Q)
    assert [c.get("name") for c in top] == ["Leadership", "Stage"]
    leadership = top[0]
    assert leadership.get("isCodable") == "true"
    assert leadership.get("color") == "#E69F00"
    assert leadership.findtext("q:Description", namespaces=Q) == "Who leads the group and how."
    minutes = leadership.find("q:Code/q:Code", Q)
    assert minutes.get("name") == "Minutes"
    assert minutes.get("guid") == guid_for("code", "leadership.meetings.minutes")


def test_positions_are_unicode_code_points(exported: Path) -> None:
    root = qde_root(exported)
    guid = guid_for("source", "melati-obs-1")
    text = read_member(exported, f"sources/{guid}.txt").decode("utf-8")
    assert text == EMOJI_TEXT
    quote = "rapat di café tiap bulan 👍🏽"
    start = EMOJI_TEXT.index(quote)
    utf16_start = len(EMOJI_TEXT[:start].encode("utf-16-le")) // 2
    assert utf16_start != start  # the emoji before the quote counts 2 in UTF-16
    selections = root.findall(f".//q:TextSource[@guid='{guid}']/q:PlainTextSelection", Q)
    spans = {(int(s.get("startPosition")), int(s.get("endPosition"))) for s in selections}
    assert (start, start + len(quote)) in spans
    assert (EMOJI_TEXT.index("😀"), EMOJI_TEXT.index("😀") + 1) in spans
    for a, b in spans:
        assert text[a:b] in {"rapat", quote, "😀"}


def test_export_one_selection_per_span_one_coding_per_code_and_coder(exported: Path) -> None:
    guid = guid_for("source", "asoka-int-chair")
    source = qde_root(exported).find(f".//q:TextSource[@guid='{guid}']", Q)
    chair = make_documents()[0].text
    first = source.find("q:PlainTextSelection", Q)
    assert (int(first.get("startPosition")), int(first.get("endPosition"))) == _span(
        chair, "Ketua rajin")
    users = {c.get("creatingUser") for c in first.findall("q:Coding", Q)}
    assert users == {guid_for("user", "ana"), guid_for("user", "budi")}
    assert {r.get("targetGUID") for r in first.findall("q:Coding/q:CodeRef", Q)} == {
        guid_for("code", "leadership")}


def test_export_keeps_valence_origin_confidence_in_coding_notes(exported: Path) -> None:
    root = qde_root(exported)
    notes = {n.get("guid"): n for n in root.iterfind("q:Notes/q:Note", Q)}
    found = {}
    for coding in root.iterfind(".//q:Coding", Q):
        for ref in coding.iterfind("q:NoteRef", Q):
            note = notes[ref.get("targetGUID")]
            if note.get("name") == "uppks-qual coding":
                found[coding.get("guid")] = note.findtext("q:PlainTextContent", namespaces=Q)
    obs = EMOJI_TEXT
    auto_key = f"melati-obs-1:{obs.index('rapat')}:{obs.index('rapat') + 5}:" \
               "leadership.meetings:auto"
    assert found[guid_for("coding", auto_key)].splitlines() == [
        "valence: positive", "origin: auto", "confidence: 0.75"]
    chair = make_documents()[0].text
    neutral = f"asoka-int-chair:{chair.index('rapat tiap')}:{chair.index('rapat tiap') + 16}:" \
              "leadership.meetings:ana"
    assert guid_for("coding", neutral) not in found  # manual + neutral: nothing to keep
    assert len(found) == 4


def test_export_document_metadata_as_cases_and_variables(exported: Path) -> None:
    root = qde_root(exported)
    variables = {v.get("guid"): v for v in root.iterfind("q:Variables/q:Variable", Q)}
    by_name = {v.get("name"): v for v in variables.values()}
    assert list(by_name)[:6] == ["group", "village", "source_type", "informant_role",
                                 "informant", "date"]
    assert by_name["date"].get("typeOfVariable") == "Text"  # "2004-05" is not an xsd:date
    assert by_name["duration"].get("typeOfVariable") == "Integer"
    assert by_name["speakers"].findtext("q:Description", namespaces=Q).startswith("uppks-qual")
    cases = root.findall("q:Cases/q:Case", Q)
    assert [c.get("name") for c in cases] == [d.doc_id for d in make_documents()]
    chair = cases[0]
    assert chair.find("q:SourceRef", Q).get("targetGUID") == guid_for("source", "asoka-int-chair")
    values = {variables[v.find("q:VariableRef", Q).get("targetGUID")].get("name"):
              v[1].text for v in chair.iterfind("q:VariableValue", Q)}
    assert values["group"] == "Asoka" and values["informant_role"] == "chair"
    assert json.loads(values["tags"]) == ["pilot", "chair"]


def test_export_origin_must_be_known(project: Project, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'origin' parameter of Project\.export_qdpx .* Got 'human'"):
        project.export_qdpx(tmp_path / "x.qdpx", origin="human")
    assert not (tmp_path / "x.qdpx").exists()


def test_export_manual_only(project: Project, tmp_path: Path) -> None:
    path = project.export_qdpx(tmp_path / "manual.qdpx", origin="manual")
    root = qde_root(path)
    assert {u.get("name") for u in root.iterfind("q:Users/q:User", Q)} == {"ana", "budi"}
    assert len(root.findall(".//q:Coding", Q)) == 5
    assert validate_refi(path) == []


# --------------------------------------------------------------------------- round trip
def test_round_trip_keeps_codings_codebook_documents_and_memos(project: Project,
                                                              exported: Path,
                                                              tmp_path: Path) -> None:
    with import_warns(exported, tmp_path / "copy.uqp") as copy:
        pd.testing.assert_frame_equal(tidy(copy), tidy(project))
        assert copy.codebook == project.codebook
        assert copy.codebook["leadership"].patterns == project.codebook["leadership"].patterns
        for doc in make_documents():
            back = copy.document(doc.doc_id)
            assert back == project.document(doc.doc_id)
            assert dict(back.meta) == dict(project.document(doc.doc_id).meta)
        assert memo_set(copy, coding_keys(copy)) == memo_set(project, coding_keys(project))
        assert copy.segments().shape == project.segments().shape


def test_round_trip_without_extras_keeps_labels(project: Project, tmp_path: Path) -> None:
    path = project.export_qdpx(tmp_path / "plain.qdpx", extras=False)
    assert "uppks-qual.json" not in zipfile.ZipFile(path).namelist()
    with import_warns(path, tmp_path / "plain.uqp") as copy:
        assert copy.codebook.ids == ("leadership", "leadership.meetings",
                                     "leadership.meetings.minutes", "stage")
        assert [c.kind for c in copy.codebook] == ["factor"] * 4  # kinds need the extras
        columns = [c for c in FRAME_COLUMNS if c not in ("code_id", "factor")]
        pd.testing.assert_frame_equal(tidy(copy)[columns], tidy(project)[columns])


LETTERS = [*"abcdefgh ABC.,;\t\n", "é", "ñ", "ü", "ß", "中", "😀", "👍", "🏽", "Å"]
LABEL = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1,
                max_size=12)


@st.composite
def random_projects(draw: st.DrawFn) -> tuple[list[Document], Codebook, list[Coding]]:
    """1-3 documents of random text (emoji, accents, newlines), 1-4 codes, 0-10 codings."""
    docs = []
    for i in range(draw(st.integers(1, 3))):
        text = draw(st.text(st.sampled_from(LETTERS), min_size=1, max_size=40))
        docs.append(Document(
            f"doc-{i}", text, draw(st.sampled_from(["Asoka", "Melati"])), "Durian Daun",
            draw(st.sampled_from(["observation", "document"])), "member",
            draw(LABEL), f"2004-0{i + 1}-1{i}", meta={"title": draw(LABEL)}))
    codes: list[Code] = []
    for i in range(draw(st.integers(1, 4))):
        parent = draw(st.sampled_from([None, *codes])) if codes else None
        code_id = f"{parent.code_id}.c{i}" if parent else f"c{i}"
        codes.append(Code(code_id, parent.code_id if parent else None,
                          parent.factor if parent else code_id, "factor", draw(LABEL),
                          draw(LABEL), definition=draw(LABEL.filter(lambda s: s == s.strip())),
                          colour=draw(st.sampled_from(["#1b9e77", "#D95F02", "#777777"]))))
    codings = []
    for _ in range(draw(st.integers(0, 10))):
        doc = draw(st.sampled_from(docs))
        start = draw(st.integers(0, len(doc.text) - 1))
        end = draw(st.integers(start + 1, len(doc.text)))
        coder = draw(st.sampled_from(["ana", "budi", "auto"]))
        auto = coder == "auto"
        codings.append(Coding(
            doc.doc_id, start, end, draw(st.sampled_from(codes)).code_id, coder,
            "auto" if auto else "manual",
            draw(st.sampled_from([None, "positive", "negative", "neutral"])),
            draw(st.none() | st.floats(0, 1)) if auto else None))
    return docs, Codebook(tuple(codes), name=draw(LABEL)), codings


@settings(max_examples=25, deadline=None)
@given(random_projects())
def test_round_trip_random_projects(data: tuple[list[Document], Codebook, list[Coding]]) -> None:
    docs, codebook, codings = data
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        with Project.create(tmp / "a.uqp", corpus=docs, codebook=codebook) as original:
            original.code_many(codings)
            original.export_qdpx(tmp / "a.qdpx")
            assert validate_refi(tmp / "a.qdpx") == []
            with Project.import_qdpx(tmp / "a.qdpx", tmp / "b.uqp") as copy:
                pd.testing.assert_frame_equal(tidy(copy), tidy(original))
                assert copy.codebook == original.codebook
                assert [copy.document(d.doc_id) for d in docs] == docs
                assert [dict(copy.document(d.doc_id).meta) for d in docs] == [
                    dict(d.meta) for d in docs]


# --------------------------------------------------------------------------- offsets
RAW = st.lists(st.sampled_from(["a", "e", "\u0301", "\u0327", "\r", "\n", "\r\n", "😀", "é",
                                "\u1100", "\u1161", "\u11a8", "\u0b47", "\u0b3e", "Å", "x"]),
               max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(RAW)
def test_offsets_normalise_like_textio_and_map_chunk_boundaries(raw: str) -> None:
    m = normalise_with_offsets(raw)
    assert m.text == normalise(raw)
    for i in range(len(raw) + 1):
        assert 0 <= m.start(i) <= m.end(i) <= len(m.text)
        if i:
            assert m.start(i - 1) <= m.start(i) and m.end(i - 1) <= m.end(i)
    for i in (*m.old, len(raw)):  # chunk boundaries map exactly
        assert normalise(raw[:i]) == m.text[: m.start(i)]
        assert m.start(i) == m.end(i)


def test_offsets_move_inner_positions_outwards() -> None:
    m = normalise_with_offsets("Cafe\u0301\r\nok")
    assert m.text == "Café\nok"
    assert (m.start(4), m.end(4)) == (3, 4)  # between "e" and the accent
    assert (m.start(6), m.end(6)) == (4, 5)  # between CR and LF
    assert normalise_with_offsets("plain").identity


# --------------------------------------------------------------------------- import
EXPECTED = {
    "nvivo": {
        "warnings": [r"skipped <Sets>", r"skipped 1 AudioSource element\(s\) with 1 coding"],
        "documents": {"interview-ibu-rina": ("Asoka", "Durian Daun", "document"),
                      "dinas-visit": ("", "", "document")},
        "codes": ["leadership", "leadership.meetings", "leadership.meetings.attendance",
                  "record_keeping", "outside_support"],
        "codings": [
            ("interview-ibu-rina", "leadership", "Budi S", "rajin memanggil rapat"),
            ("interview-ibu-rina", "leadership.meetings", "Ana Rahma", "rajin memanggil rapat"),
            ("interview-ibu-rina", "record_keeping", "Budi S", "pengurus lupa mencatat"),
            ("dinas-visit", "outside_support", "Ana Rahma", "Dana bantuan «cair» terlambat"),
            ("dinas-visit", "leadership.meetings.attendance", "Ana Rahma", "café di desa"),
        ],
        "memos": {("code", "leadership"), ("document", "interview-ibu-rina")},
    },
    "atlasti": {
        "warnings": [r"skipped <Links>", r"skipped <Sets>", r"1 PlainTextSelection\(s\) "
                     r"without a Coding"],
        "documents": {"a1-ketua-asoka": ("Asoka", "Durian Daun", "document"),
                      "b2-observasi-melati": ("Melati", "Padang Olo", "document")},
        "codes": ["kepemimpinan", "kepemimpinan.rapat", "kepemimpinan.ninik_mamak",
                  "pembukuan"],
        "codings": [
            ("a1-ketua-asoka", "kepemimpinan.rapat", "Citra", "Rapat jalan terus"),
            ("a1-ketua-asoka", "kepemimpinan.ninik_mamak", "Citra", "ninik mamak ikut hadir"),
            ("a1-ketua-asoka", "pembukuan", "Citra", "bukunya tidak pernah diperiksa"),
            ("b2-observasi-melati", "kepemimpinan.rapat", "Citra",
             "pertemuan batal karena ketua ke kebun"),
        ],
        "memos": {("coding", "a1-ketua-asoka"), ("document", "b2-observasi-melati"),
                  ("project", "Research question")},
    },
    "maxqda": {
        "warnings": [],
        "documents": {"interview-pak-joni": ("Melati", "", "document"),
                      "observasi-papan": ("Melati", "", "document")},
        "codes": ["c1_kepuasan_kepercayaan", "c1_kepuasan_kepercayaan.pinjaman_macet",
                  "ekonomi_harga"],
        "codings": [
            ("interview-pak-joni", "c1_kepuasan_kepercayaan", "Dewi",
             "Saya senang 😀 ikut UPPKS"),
            ("interview-pak-joni", "c1_kepuasan_kepercayaan.pinjaman_macet", "Dewi",
             "pinjaman susah 👍🏽 dikembalikan.\n"),
            ("interview-pak-joni", "ekonomi_harga", "Dewi", "Harga getah turun."),
            ("observasi-papan", "c1_kepuasan_kepercayaan", "Dewi", "Tidak ada jadwal arisan."),
        ],
        "memos": {("document", "observasi-papan")},
    },
    "qualcoder": {
        "warnings": [],
        "documents": {"notes1": ("", "", "document"), "interview2": ("", "", "document")},
        "codes": ["group_functioning", "group_functioning.cash_handling",
                  "group_functioning.meetings", "trust"],
        "codings": [
            ("notes1", "group_functioning.cash_handling", "default",
             "The treasurer keeps the cash box at home."),
            ("interview2", "group_functioning.meetings", "default",
             "the meetings stopped after the harvest"),
            ("interview2", "trust", "default", "Nobody trusts the new chair yet."),
        ],
        "memos": {("coding", "interview2")},
    },
}


@pytest.mark.parametrize("tool", TOOLS)
def test_import_tool_style_projects(tool: str, tmp_path: Path) -> None:
    expected = EXPECTED[tool]
    archive = tool_archive(tool, tmp_path)
    with import_warns(archive, tmp_path / f"{tool}.uqp", expected["warnings"]) as project:
        docs = [project.document(d) for d in project.documents()["doc_id"]]
        assert {d.doc_id: (d.group, d.village, d.source_type) for d in docs} == \
            expected["documents"]  # a document without a Group variable is in no group
        assert list(project.codebook.ids) == expected["codes"]
        frame = project.codings()
        assert sorted(zip(frame["doc_id"], frame["code_id"], frame["coder"], frame["text"],
                          strict=True)) == sorted(expected["codings"])
        assert (frame["origin"] == "manual").all()
        keys = coding_keys(project)
        memos = {(m.target_type, keys[int(m.target_id)][0] if m.target_type == "coding"
                  else m.target_id) for m in project.memos().itertuples()}
        assert memos == expected["memos"]


def test_import_maps_variables_to_fields_attributes_and_metadata(tmp_path: Path) -> None:
    with import_warns(tool_archive("atlasti", tmp_path), tmp_path / "a.uqp",
                      EXPECTED["atlasti"]["warnings"]) as project:
        chair = project.document("a1-ketua-asoka")
        assert (chair.informant_role, chair.date, chair.informant) == ("chair", "2004-03-11", "")
        assert dict(chair.meta) == {"case": "Asoka chair", "title": "A1 Ketua Asoka.docx"}
        assert project.codebook["kepemimpinan.ninik_mamak"].colour == "#800080"
        assert project.codebook["kepemimpinan.rapat"].colour == "#C04000"  # inherited
    with import_warns(tool_archive("nvivo", tmp_path), tmp_path / "n.uqp",
                      EXPECTED["nvivo"]["warnings"]) as project:
        rina = project.document("interview-ibu-rina")
        assert rina.meta["title"] == "Interview Ibu Rina"
        assert rina.meta["description"] == "First interview, March 2004"
        assert project.codebook["leadership"].definition == "How the group is led."
        assert project.codebook["leadership.meetings.attendance"].factor == "leadership"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RefiWarning)
        docs = {d.doc_id: d for d in read_project(tool_archive("nvivo", tmp_path)).documents}
    assert docs["interview-ibu-rina"].attributes == {
        "refi_guid": "b0000000-0000-4000-8000-000000000001", "Age": 41}
    assert "Age" not in docs["interview-ibu-rina"].meta


def test_import_crlf_source_is_normalised_and_positions_mapped(tmp_path: Path) -> None:
    with Project.import_qdpx(tool_archive("maxqda", tmp_path), tmp_path / "m.uqp") as project:
        doc = project.document("interview-pak-joni")
        assert doc.text == normalise(MAXQDA_CRLF) and "\r" not in doc.text
        frame = project.codings()
        for row in frame.itertuples():
            assert project.document(row.doc_id).text[row.start:row.end] == row.text
    papan = read_project(tool_archive("maxqda", tmp_path)).documents[1]
    assert papan.attributes["Pages"] == 2 and papan.informant_role == ""


def test_import_qde_with_relative_paths_from_disk(tmp_path: Path) -> None:
    with Project.import_qdpx(DATA / "maxqda" / "project.qde", tmp_path / "m.uqp") as project:
        assert len(project.codings()) == 4


def test_import_decomposed_accents_keeps_selection(tmp_path: Path) -> None:
    raw = "Cafe\u0301 di desa\r\nsudah tutup."
    start, end = 0, raw.index(" di")  # "Cafe\u0301" counted by a tool on NFD text
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{PROJECT_NS}" name="nfd">
 <CodeBook><Codes><Code guid="{uuid.uuid4()}" name="Tempat" isCodable="true"/></Codes></CodeBook>
 <Sources><TextSource guid="{uuid.uuid4()}" name="Catatan" plainTextPath="internal://c.txt">
  <PlainTextSelection guid="{uuid.uuid4()}" startPosition="{start}" endPosition="{end}">
   <Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="CODE"/></Coding>
  </PlainTextSelection></TextSource></Sources></Project>"""
    code_guid = re.search(r'Code guid="([^"]+)"', qde).group(1)
    qde = qde.replace("CODE", code_guid)
    archive = tmp_path / "nfd.qdpx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("sources/c.txt", raw.encode("utf-8"))
    with Project.import_qdpx(archive, tmp_path / "nfd.uqp") as project:
        row = project.codings().iloc[0]
        assert (row["text"], row["start"], row["end"], row["coder"]) == ("Café", 0, 4, "unknown")


def _single_source_archive(tmp_path: Path, payload: bytes, inner: str = "") -> Path:
    code = str(uuid.uuid4())
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{PROJECT_NS}" name="one">
 <CodeBook><Codes><Code guid="{code}" name="Semua" isCodable="true"/></Codes></CodeBook>
 <Sources><TextSource guid="{uuid.uuid4()}" name="Satu" plainTextPath="internal://s.txt">
  <Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{code}"/></Coding>{inner}
 </TextSource></Sources></Project>"""
    archive = tmp_path / "one.qdpx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("sources/s.txt", payload)
    return archive


def test_import_source_level_coding_covers_the_text_and_bom_is_dropped(tmp_path: Path) -> None:
    archive = _single_source_archive(tmp_path, "\ufeffRapat bulanan.".encode())
    with Project.import_qdpx(archive, tmp_path / "one.uqp") as project:
        row = project.codings().iloc[0]
        assert (row["start"], row["end"], row["text"]) == (0, 14, "Rapat bulanan.")
        assert project.document("satu").text == "Rapat bulanan."


def test_import_rejects_a_source_that_is_not_utf8(tmp_path: Path) -> None:
    archive = _single_source_archive(tmp_path, "Café".encode("latin-1"))
    with pytest.raises(InterchangeError, match=r"TextSource .*'internal://s.txt' is not valid "
                                               r"UTF-8 \(byte 3\)"):
        Project.import_qdpx(archive, tmp_path / "one.uqp")
    assert not (tmp_path / "one.uqp").exists()


def test_empty_project_exports_and_imports(tmp_path: Path) -> None:
    with Project.create(tmp_path / "empty.uqp") as empty:
        path = empty.export_qdpx(tmp_path / "empty.qdpx")
    assert validate_refi(path) == []
    with Project.import_qdpx(path, tmp_path / "back.uqp") as back:
        assert back.codings().empty and len(back.codebook) == 0


def test_import_warns_and_skips_unknown_elements(tmp_path: Path) -> None:
    qde = (DATA / "qualcoder" / "project.qde").read_text(encoding="utf-8")
    graphs = f'<Graphs><Graph guid="{uuid.uuid4()}"/></Graphs>'
    qde = qde.replace("</Notes>", "</Notes>" + graphs)
    qde = qde.replace("<Description>Where", "<Foo/><Description>Where")
    archive = tool_archive("qualcoder", tmp_path, replace={"project.qde": qde.encode()})
    with import_warns(archive, tmp_path / "q.uqp", [r"skipped <Graphs>", r"skipped <Foo>"]):
        pass


def test_import_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "existing.uqp"
    target.write_bytes(b"keep me")
    with pytest.raises(StoreError, match="already exists"):
        Project.import_qdpx(tool_archive("nvivo", tmp_path), target)
    assert target.read_bytes() == b"keep me"


def _break(tool: str, old: str, new: str) -> dict[str, bytes]:
    """The tool's project.qde with the first ``old`` replaced by ``new``."""
    qde = (DATA / tool / "project.qde").read_text(encoding="utf-8")
    assert old in qde
    return {"project.qde": qde.replace(old, new, 1).encode("utf-8")}


ERRORS = {
    "malformed zip": (None, r"not a readable zip archive", None),
    "bad xml": ("nvivo", r"project\.qde is not well-formed XML", None),
    "missing source": ("atlasti", r"TextSource 2C9E6A10-7D3B-4C2A-9E1F-0A1B2C3D4E5F: "
                       r"plainTextPath 'internal://2C9E6A10",
                       "2C9E6A10-7D3B-4C2A-9E1F-0A1B2C3D4E5F"),
    "missing docx": ("qualcoder", r"TextSource 12345678-1234-4234-8234-123456789002: "
                     r"richTextPath", "12345678-1234-4234-8234-123456789002"),
    "outside text": ("nvivo", r"PlainTextSelection D0000000-0000-4000-8000-000000000004: "
                     r"selection \[\d+, 9999\) is outside TextSource 'Dinas visit'",
                     "D0000000-0000-4000-8000-000000000004"),
    "undefined code": ("maxqda", r"Coding ABCDEF01-2345-4678-89AB-0000000000F3: CodeRef "
                       r"targetGUID ABCDEF01-2345-4678-89AB-00000000DEAD is not a Code",
                       "ABCDEF01-2345-4678-89AB-0000000000F3"),
    "bad position": ("nvivo", r"startPosition='x'", "D0000000-0000-4000-8000-000000000001"),
    "undefined variable": ("atlasti", r"VariableRef 33333333-AAAA-4BBB-8CCC-000000000009 is "
                           r"not a Variable", None),
    "coder kind clash": ("nvivo", r"cannot build the project: coder 'Budi S' is a human "
                         r"coder", None),
}


def _broken_archive(case: str, tmp_path: Path) -> Path:
    if case == "malformed zip":
        path = tmp_path / "broken.qdpx"
        path.write_bytes(b"PK\x03\x04 this is not really a zip")
        return path
    tool = ERRORS[case][0]
    assert tool is not None
    if case == "missing docx":  # the fixture folder alone lacks the .docx source
        return zip_folder(DATA / tool, tmp_path / f"{tool}.qdpx")
    if case == "missing source":
        return tool_archive(tool, tmp_path,
                            skip=["sources/2C9E6A10-7D3B-4C2A-9E1F-0A1B2C3D4E5F.txt"])
    replace = {
        "bad xml": {"project.qde": b"<Project name='x'><Users></Project>"},
        "outside text": _break("nvivo", 'endPosition="109"', 'endPosition="9999"'),
        "undefined code": _break("maxqda", '<CodeRef targetGUID="ABCDEF01-2345-4678-89AB-'
                                 '000000000003"/>', '<CodeRef targetGUID="ABCDEF01-2345-4678-'
                                 '89AB-00000000DEAD"/>'),
        "bad position": _break("nvivo", 'startPosition="15"', 'startPosition="x"'),
        "undefined variable": _break("atlasti", '<VariableRef targetGUID="33333333-AAAA-4BBB'
                                     '-8CCC-000000000002"/>', '<VariableRef targetGUID='
                                     '"33333333-AAAA-4BBB-8CCC-000000000009"/>'),
        "coder kind clash": {"project.qde": _kind_clash()},
    }[case]
    return tool_archive(tool, tmp_path, replace=replace)


def _kind_clash() -> bytes:
    """NVivo fixture where one user has a manual coding and an 'auto' one (store refuses)."""
    qde = (DATA / "nvivo" / "project.qde").read_text(encoding="utf-8")
    note = ('<Note guid="a0000000-0000-4000-8000-0000000000cc" name="uppks-qual coding">'
            "<PlainTextContent>origin: auto</PlainTextContent></Note>")
    qde = qde.replace("<Notes>", "<Notes>" + note)
    ref = '<CodeRef targetGUID="c1000000-0000-4000-8000-000000000004"/>'
    qde = qde.replace(ref, ref + '<NoteRef targetGUID="a0000000-0000-4000-8000-0000000000cc"/>')
    return qde.encode("utf-8")


@pytest.mark.parametrize("case", list(ERRORS))
def test_import_errors_import_nothing(case: str, tmp_path: Path) -> None:
    pattern, guid = ERRORS[case][1], ERRORS[case][2]
    source = _broken_archive(case, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    target = tmp_path / "out.uqp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RefiWarning)
        with pytest.raises(InterchangeError, match=pattern) as info:
            Project.import_qdpx(source, target)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary files left
    assert info.value.path == str(source)
    if guid is not None:
        assert info.value.guid == guid


def test_import_error_names_the_line(tmp_path: Path) -> None:
    source = tool_archive("nvivo", tmp_path,
                          replace=_break("nvivo", 'endPosition="109"', 'endPosition="9999"'))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RefiWarning)
        with pytest.raises(InterchangeError, match=r"nvivo\.qdpx:\d+: PlainTextSelection") as info:
            Project.import_qdpx(source, tmp_path / "x.uqp")
    assert info.value.element == "PlainTextSelection"
    assert isinstance(info.value, ValueError)


# --------------------------------------------------------------------------- codebooks
def test_export_qdc_validates_and_reads_back(tmp_path: Path) -> None:
    path = export_qdc(make_codebook(), tmp_path / "small.qdc")
    xmlschema.XMLSchema(SCHEMAS / CODEBOOK_XSD).validate(str(path))
    assert validate_refi(path) == []
    root = etree.parse(str(path)).getroot()
    assert root.tag == f"{{{CODEBOOK_NS}}}CodeBook"
    back = read_qdc(path)
    assert back.ids == ("leadership", "leadership.meetings", "leadership.meetings.minutes",
                        "stage")
    original = make_codebook()
    for code in original:
        copy = back[code.code_id]
        assert (copy.label_en, copy.parent, copy.colour, copy.definition) == (
            code.label_en, code.parent, code.colour, code.definition)


def test_load_codebook_reads_qdc(tmp_path: Path) -> None:
    path = export_qdc(make_codebook(), tmp_path / "small.qdc")
    codebook = uq.load_codebook(path)
    assert len(codebook) == 4 and codebook.name == "small"


ATLAS_QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti Win 23.4.0">
  <Codes>
    <Code guid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Dukungan pemimpin" color="#46AA00" isCodable="true">
      <Description>Peran ninik mamak.</Description>
      <Code guid="{2FF58B12-6F6F-4B0C-8BE5-BBDC91F55294}" name="Ninik mamak" isCodable="true"/>
      <Code guid="3FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Ninik  mamak!" isCodable="true"/>
    </Code>
    <Code guid="4FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="2004 harvest" color="#abc" isCodable="true"/>
  </Codes>
  <Sets>
    <Set name="code group 1" guid="ECA18D76-2B8B-4F26-BC1D-19ECA19FB3F0">
      <MemberCode guid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294"/>
    </Set>
  </Sets>
</CodeBook>
"""


def test_read_qdc_in_atlas_style(tmp_path: Path) -> None:
    path = tmp_path / "atlas.qdc"
    path.write_text(ATLAS_QDC, encoding="utf-8")
    assert validate_refi(path) == []
    with pytest.warns(RefiWarning, match="skipped <Sets>"):
        codebook = read_qdc(path)
    assert codebook.ids == ("dukungan_pemimpin", "dukungan_pemimpin.ninik_mamak",
                            "dukungan_pemimpin.ninik_mamak_2", "c2004_harvest")
    assert codebook["c2004_harvest"].colour == "#aabbcc"
    assert codebook["dukungan_pemimpin.ninik_mamak"].colour == "#46AA00"
    assert {c.kind for c in codebook} == {"factor"}
    assert codebook["dukungan_pemimpin"].definition == "Peran ninik mamak."


@pytest.mark.parametrize(("content", "pattern"), [
    (None, "no such codebook file"),
    ("<CodeBook", "not well-formed XML"),
    ("<Codes xmlns='urn:QDA-XML:codebook:1.0'/>", "not <CodeBook>"),
    ("<CodeBook><Codes><Code name='x' isCodable='true'/></Codes></CodeBook>",
     "Code without a guid"),
])
def test_read_qdc_errors(tmp_path: Path, content: str | None, pattern: str) -> None:
    path = tmp_path / "bad.qdc"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InterchangeError, match=pattern):
        read_qdc(path)


def test_export_qdc_needs_codes(tmp_path: Path) -> None:
    with pytest.raises(InterchangeError, match="no codes"):
        export_qdc(Codebook(()), tmp_path / "empty.qdc")
    assert not (tmp_path / "empty.qdc").exists()


# --------------------------------------------------------------------------- tables
def test_export_tables_sheets_and_shapes(project: Project, tmp_path: Path) -> None:
    path = project.export_tables(tmp_path / "study.xlsx", evidence=False)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == list(SHEETS)
    n_codings, n_docs, n_codes = 7, 3, 4
    assert book["codings"].max_row == n_codings + 1
    assert [c.value for c in book["codings"][1]] == list(project.codings().columns)
    assert (book["presence"].max_row, book["presence"].max_column) == (n_codes + 1, n_docs + 1)
    assert (book["frequencies"].max_row, book["frequencies"].max_column) == (n_codes + 1, 3)
    assert (book["framework"].max_row, book["framework"].max_column) == (3, 3)  # 2 factors
    assert book["documents"].max_row == n_docs + 1
    cell = book["framework"]["B2"].value  # leadership x Asoka
    # one case (Ibu Rina) coded leadership three times: counted once, quoted once
    assert cell.startswith("1 of 1 cases; 1 positive") and cell.count("\n") == 1


def test_build_tables_counts(project: Project) -> None:
    tables = build_tables({"codings": project.codings(), "documents": project.documents(),
                           "codes": list(project.codebook.ids)})
    presence, freq = tables["presence"], tables["frequencies"]
    assert presence.loc["leadership.meetings"].to_dict() == {
        "asoka-int-chair": 1, "melati-obs-1": 1, "melati-doc-1": 0}
    assert presence.loc["leadership.meetings.minutes", "melati-doc-1"] == 1
    assert freq.loc["leadership"].to_dict() == {"Asoka": 2, "Melati": 0}
    assert freq.loc["leadership.meetings"].to_dict() == {"Asoka": 1, "Melati": 2}
    from_frame = build_tables({"codings": project.codings()})
    assert from_frame["presence"].shape == (4, 3)  # only coded codes and documents
    with pytest.raises(ValueError, match="codings"):
        build_tables({"documents": project.documents()})


def test_export_csv(project: Project, tmp_path: Path) -> None:
    folder = project.export_tables(tmp_path / "tables", evidence=False)
    written = {name: folder / f"{name}.csv" for name in SHEETS}
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{n}.csv" for n in SHEETS] + ["segments.csv"])
    codings = pd.read_csv(written["codings"])
    assert len(codings) == 7
    assert "😀" in set(codings["text"])
    assert pd.read_csv(written["presence"], index_col=0).shape == (4, 3)


def test_provenance_survives_a_qdpx_round_trip(tmp_path: Path) -> None:
    import uppks_qual as uq

    project = uq.Project.create(tmp_path / "a.uqp", corpus=[
        Document("d1", "P: Apa kabar?\nI: Baik.", "Asoka", "Durian Daun", "interview",
                 "member", "Ibu A", "2004-03-01")])
    project.set_meta("provenance", "ILLUSTRATIVE RECONSTRUCTION, NOT FIELD DATA.")
    project.export_qdpx(tmp_path / "x.qdpx")
    copy = uq.Project.import_qdpx(tmp_path / "x.qdpx", tmp_path / "b.uqp")
    assert copy.get_meta("provenance") == "ILLUSTRATIVE RECONSTRUCTION, NOT FIELD DATA."


# --------------------------------------------------------------------------- document names, attributes
UNNAMED_SOURCES: dict[str, str] = FIXTURES.UNNAMED_SOURCES
RENAMED = (r"renamed variable\(s\) to valid attribute names .*: 'Jenis Kelamin' -> "
           r"'jenis_kelamin', 'text' -> 'text_var', 'Tanggal rapat' -> 'tanggal_rapat'$")


def read_unnamed(tmp_path: Path) -> ImportedProject:
    """The ``unnamed`` fixture (sources named only by their files), read with its one warning."""
    archive = zip_folder(DATA / "unnamed", tmp_path / "unnamed.qdpx")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        imported = read_project(archive)
    assert len(caught) == 1 and caught[0].category is RefiWarning
    assert re.search(RENAMED, str(caught[0].message))
    return imported


def project_data(imported: ImportedProject) -> ProjectData:
    """What ``Project.export_qdpx`` would gather, built from imported records."""
    columns = ["coding_id", "doc_id", "start", "end", "code_id", "coder", "origin", "valence",
               "confidence", "text"]
    rows = [(i, c.doc_id, c.start, c.end, c.code_id, c.coder, c.origin, c.valence,
             c.confidence, c.text) for i, c in enumerate(imported.codings, 1)]
    memos = pd.DataFrame(columns=["memo_id", "target_type", "target_id", "author", "text",
                                  "created"])
    return ProjectData(imported.name, imported.codebook, imported.documents,
                       pd.DataFrame(rows, columns=columns), memos)


def documents_data(docs: list[Document]) -> ProjectData:
    """An export of ``docs`` alone (no codes, codings or memos)."""
    return project_data(ImportedProject("p", Codebook(()), docs, [], []))


def test_import_names_documents_by_file_and_keeps_variables(tmp_path: Path) -> None:
    imported = read_unnamed(tmp_path)
    board, admin = imported.documents
    assert (board.doc_id, admin.doc_id) == ("board_2017", "admin-1")
    assert (board.title, admin.title) == ("board_2017", "admin-1")
    assert dict(board.meta) == {"case": "Board 2017"}
    assert dict(board.attributes) == {
        "refi_guid": UNNAMED_SOURCES["board_2017"], "jenis_kelamin": "P", "text_var": "transkrip",
        "Umur": 52, "Aktif": True, "Skor": 3.5, "tanggal_rapat": "2017-06-01"}
    assert dict(admin.attributes) == {
        "refi_guid": UNNAMED_SOURCES["admin-1"], "jenis_kelamin": "L", "text_var": "catatan",
        "Umur": 38, "Aktif": False, "Skor": -1.25}
    assert [type(board.attributes[k]) for k in ("Umur", "Aktif", "Skor")] == [int, bool, float]
    fields = ("group", "village", "source_type", "informant_role", "informant", "date")
    assert [getattr(board, f) for f in fields] == ["Asoka", "", "document", "", "", "unknown"]
    assert admin.group == ""  # no Group variable: the document belongs to no group
    assert [(c.doc_id, c.text) for c in imported.codings] == [
        ("board_2017", "Kas bulanan diperiksa ketua"), ("admin-1", "Dana cair bulan Juni")]


def test_project_import_export_keeps_names_guids_and_attributes(tmp_path: Path) -> None:
    archive = zip_folder(DATA / "unnamed", tmp_path / "unnamed.qdpx")
    with import_warns(archive, tmp_path / "u.uqp", [RENAMED]) as project:
        docs = project.documents().set_index("doc_id")
        assert list(docs.index) == ["board_2017", "admin-1"]
        assert docs.loc["board_2017", "Umur"] == 52 and docs.loc["admin-1", "text_var"] == \
            "catatan"
        assert set(project.codings()["jenis_kelamin"]) == {"P", "L"}
        path = project.export_qdpx(tmp_path / "again.qdpx")
    assert [s.get("guid") for s in qde_root(path).iterfind("q:Sources/q:TextSource", Q)] == [
        UNNAMED_SOURCES["board_2017"], UNNAMED_SOURCES["admin-1"]]
    with import_warns(path, tmp_path / "again.uqp") as again:
        assert dict(again.document("board_2017").attributes) == dict(
            read_project(path).documents[0].attributes)
        assert again.document("board_2017").attributes["refi_guid"] == \
            UNNAMED_SOURCES["board_2017"]


def _source(guid: str, attrs: str, body: str = "<PlainTextContent>Teks.</PlainTextContent>"
            ) -> str:
    return f'<TextSource guid="{guid}" {attrs}>{body}</TextSource>'


def test_import_document_names_name_then_file_then_guid(tmp_path: Path) -> None:
    guids = [str(uuid.UUID(int=i)).upper() for i in range(1, 6)]
    sources = "".join([
        _source(guids[0], 'name="Rapat Desa.docx" plainTextPath="internal://x1.txt"', ""),
        _source(guids[1], 'plainTextPath="internal://sub%20dir/Catatan%20Lapangan.txt"', ""),
        _source(guids[2], f'plainTextPath="internal://{guids[2].lower()}.txt"', ""),
        _source(guids[3], ""),
        _source(guids[4], 'plainTextPath="relative://lain/Catatan Lapangan.txt"', ""),
    ])
    qde = f'<Project xmlns="{PROJECT_NS}" name="n"><Sources>{sources}</Sources></Project>'
    archive = tmp_path / "names.qdpx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("project.qde", qde)
        for name in ("x1.txt", "sub dir/Catatan Lapangan.txt", f"{guids[2].lower()}.txt",
                     "lain/Catatan Lapangan.txt"):
            zf.writestr(f"sources/{name}" if "lain" not in name else name, "Teks.")
    docs = read_project(archive).documents
    assert [d.doc_id for d in docs] == ["rapat-desa", "catatan-lapangan", guids[2].lower(),
                                        guids[3].lower(), "catatan-lapangan-2"]
    assert [d.meta.get("title") for d in docs] == ["Rapat Desa.docx", "Catatan Lapangan", None,
                                                   None, "Catatan Lapangan"]
    assert [d.attributes["refi_guid"] for d in docs] == guids


def test_export_reuses_source_guids_and_types_attributes(tmp_path: Path) -> None:
    imported = read_unnamed(tmp_path)
    path = export_qdpx(project_data(imported), tmp_path / "back.qdpx")
    assert validate_refi(path) == []
    root = qde_root(path)
    assert [s.get("guid") for s in root.iterfind("q:Sources/q:TextSource", Q)] == [
        UNNAMED_SOURCES["board_2017"], UNNAMED_SOURCES["admin-1"]]
    assert [r.get("targetGUID") for r in root.iterfind("q:Cases/q:Case/q:SourceRef", Q)] == [
        UNNAMED_SOURCES["board_2017"], UNNAMED_SOURCES["admin-1"]]
    types = {v.get("name"): v.get("typeOfVariable") for v in root.iterfind(
        "q:Variables/q:Variable", Q)}
    assert {k: types[k] for k in ("Umur", "Aktif", "Skor", "tanggal_rapat", "text_var")} == {
        "Umur": "Integer", "Aktif": "Boolean", "Skor": "Float", "tanggal_rapat": "Date",
        "text_var": "Text"}
    assert "refi_guid" not in types  # it is the TextSource GUID itself


@pytest.mark.parametrize("extras", [True, False])
def test_round_trip_keeps_source_guids_and_attributes(extras: bool, tmp_path: Path) -> None:
    imported = read_unnamed(tmp_path)
    path = export_qdpx(project_data(imported), tmp_path / "back.qdpx", extras=extras)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = read_project(path)
    for before, after in zip(imported.documents, back.documents, strict=True):
        assert after == before
        assert dict(after.attributes) == dict(before.attributes)
        assert [type(v) for v in after.attributes.values()] == [
            type(v) for v in before.attributes.values()]
        assert dict(after.meta) == dict(before.meta)
    assert [(c.doc_id, c.start, c.end) for c in back.codings] == [
        (c.doc_id, c.start, c.end) for c in imported.codings]


def test_round_trip_keeps_metadata_and_attributes_apart(tmp_path: Path) -> None:
    docs = [
        Document("d1", "Satu.", "Asoka", "", "document", "", "", "2004",
                 meta={"title": "Satu", "wave": "pertama", "tags": ["a", "b"], "pages": 3},
                 attributes={"wave": 1, "district": "Sungai Limau", "active": True,
                             "score": 0.1, "visited": "2019-02-01", "mixed": 1, "gone": None}),
        Document("d2", "Dua.", "", "", "document", "", "", "unknown",
                 attributes={"mixed": "one", "refi_guid": "{5D0A6C1E-8B2F-4C3D-9E4F-0A1B2C3D4E09}"}),
    ]
    data = documents_data(docs)
    path = export_qdpx(data, tmp_path / "p.qdpx")
    assert validate_refi(path) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = read_project(path).documents
    assert [dict(d.meta) for d in back] == [dict(d.meta) for d in docs]
    first = {k: v for k, v in docs[0].attributes.items() if v is not None}
    assert dict(back[0].attributes) == {"refi_guid": guid_for("source", "d1"), **first}
    assert dict(back[1].attributes) == dict(docs[1].attributes)  # the braced GUID as written
    assert (back[1].group, back[1].date) == ("", "unknown")


@pytest.mark.parametrize("guid", ["not-a-guid", "DUPLICATE"])
def test_export_replaces_a_bad_or_reused_refi_guid(guid: str, tmp_path: Path) -> None:
    other = "5D0A6C1E-8B2F-4C3D-9E4F-0A1B2C3D4E09"
    docs = [Document("d1", "Satu.", "", "", "document", "", "", "x",
                     attributes={"refi_guid": other}),
            Document("d2", "Dua.", "", "", "document", "", "", "x",
                     attributes={"refi_guid": other.lower() if guid == "DUPLICATE" else guid})]
    data = documents_data(docs)
    with pytest.warns(RefiWarning, match=r"document 'd2': refi_guid=.* exported with a new GUID"):
        path = export_qdpx(data, tmp_path / "p.qdpx")
    assert [s.get("guid") for s in qde_root(path).iterfind("q:Sources/q:TextSource", Q)] == [
        other, guid_for("source", "d2")]


ATTRIBUTE_VALUES = (st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=8)
                    | st.integers(-10**15, 10**15) | st.booleans()
                    | st.floats(allow_nan=False, allow_infinity=False)
                    | st.sampled_from(["2019-02-01", "2004-13-01"]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["district", "wave", "Umur", "active_2"]),
                                ATTRIBUTE_VALUES, max_size=4), min_size=1, max_size=3))
def test_round_trip_random_attributes(attributes: list[dict[str, object]]) -> None:
    docs = [Document(f"d{i}", "Teks.", "", "", "document", "", "", "x", attributes=a)
            for i, a in enumerate(attributes)]
    data = documents_data(docs)
    with tempfile.TemporaryDirectory() as folder:
        path = export_qdpx(data, Path(folder) / "p.qdpx")
        back = read_project(path).documents
    for doc, copy in zip(docs, back, strict=True):
        got = {k: v for k, v in copy.attributes.items() if k != "refi_guid"}
        assert got == dict(doc.attributes)
        assert [type(got[k]) for k in doc.attributes] == [type(v) for v in
                                                          doc.attributes.values()]


# --------------------------------------------------------------------------- codings CSV
def test_codings_csv_match_column(tmp_path: Path) -> None:
    texts = {"d1": "Sejak  2019, Kas bulanan diperiksa. Straße ditutup."}
    path = tmp_path / "codings.csv"
    path.write_text("doc_id,code_id,quote,match,coder\n"
                    "d1,kas,sejak 2019,loose,ana\n"
                    "d1,kas,\"kas, bulanan\",loose,ana\n"
                    "d1,kas,STRASSE,casefold,ana\n"
                    "d1,kas,Kas bulanan,,ana\n", encoding="utf-8")
    rows = read_codings_csv(path, texts=texts)
    assert [texts["d1"][r.start:r.end] for r in rows.itertuples()] == [
        "Sejak  2019", "Kas bulanan", "Straße", "Kas bulanan"]


def test_codings_csv_match_errors_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "codings.csv"
    path.write_text("doc_id,code_id,quote,match,coder\n"
                    "d1,kas,kas bulanan,fuzzy,ana\n"
                    "d1,kas,kas bulanan,,ana\n", encoding="utf-8")
    with pytest.raises(ImportProblem) as info:
        read_codings_csv(path, texts={"d1": "Kas bulanan."})
    assert re.search(r"codings\.csv:2: The 'match' parameter of the codings CSV must be one of "
                     r"\{'exact', 'casefold', 'loose'\}\. Got 'fuzzy'", info.value.message)
    assert re.search(r"codings\.csv:3: quote 'kas bulanan' not found", info.value.message)
