"""Tests for :mod:`uppks_qual.project`: manual coding, memos, the tidy frames, auto-coding a
project, display, and an integration run over the real corpus and codebook.

The central promise checked here is the module docstring's: *every method that writes
validates first; when it raises, the file is exactly as it was* (``project.dump()`` compared
before and after).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest_project import (
    SMALL_BODIES,
    build_template,
    new_project,
    plain_document,
    real_codebook,
    real_corpus,
    small_documents,
    table_lines,
    tiny_codebook,
    without_ids,
)

import uppks_qual.autocode as autocode_module
from uppks_qual import store
from uppks_qual.autocode import autocode_text
from uppks_qual.errors import (
    ImportProblem,
    ParameterError,
    QualError,
    SpanError,
    StoreError,
    UnknownCodeError,
    UnknownDocumentError,
)
from uppks_qual.project import Project, show
from uppks_qual.records import ORIGINS, SOURCE_TYPES, VALENCES, Codebook, Coding
from uppks_qual.schema import CODING_COLUMNS, CODING_DTYPES, validate_codings
from uppks_qual.textio import find_span

DOC_A, DOC_B, DOC_C = SMALL_BODIES  # two interviews (Asoka, Melati), one observation (Melati)
TEXTS = {d.doc_id: d.text for d in small_documents()}


def fill(proj: Project) -> None:
    proj.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana", valence="positive",
                    memo="clear growth")
    proj.code_quote(DOC_B, "Ketua jarang datang", "leadership", coder="ana", valence="negative")
    proj.code_quote(DOC_C, "Permodalan kelompok dibahas", "capital", coder="budi")
    proj.autocode(coder="auto")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template") / "small.uqp", fill)


@pytest.fixture
def project(template: Path, copy_to: Callable[..., Project]) -> Project:
    """Small corpus, tiny codebook, three manual codings (ana, budi) and one auto run (on each
    engine: SQLite and PostgreSQL, see ``conftest.py``)."""
    proj = copy_to(template)
    yield proj
    proj.close()


@pytest.fixture(scope="session")
def real_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The real corpus and codebook, auto-coded once, with two manual codings."""
    proj = Project.create(tmp_path_factory.mktemp("real") / "real.uqp", corpus=real_corpus(),
                          codebook=real_codebook())
    proj.code_quote("asoka-int-chair", "Saya ditunjuk jadi ketua", "leadership", coder="ana")
    proj.code_quote("asoka-int-treasurer", "pinjaman Kukesra ditambah tabungan",
                    "capital_growth.kukesra", coder="ana")
    proj.autocode()
    yield proj
    proj.close()


def manual_lines(proj: Project) -> list[str]:
    return [line for line in table_lines(proj.dump(), "codings") if "'manual'" in line]


# --------------------------------------------------------------------------- manual coding
def test_code_stores_the_span_and_its_text(project: Project) -> None:
    start = TEXTS[DOC_C].index("Ketua membuka")
    coding_id = project.code(DOC_C, start, start + 5, "leadership", coder="citra",
                             valence="neutral")
    row = project.codings(coder="citra").iloc[0]
    assert row["coding_id"] == coding_id
    assert (row["doc_id"], row["start"], row["end"], row["code_id"]) == (
        DOC_C, start, start + 5, "leadership")
    assert (row["text"], row["valence"], row["origin"]) == ("Ketua", "neutral", "manual")
    assert (row["group"], row["source_type"], row["factor"]) == ("Melati", "observation",
                                                                 "leadership")
    assert np.isnan(row["confidence"])


def test_code_without_valence_reads_back_as_neutral(project: Project) -> None:
    project.code(DOC_A, 0, 2, "stage", coder="citra")
    assert project.codings(coder="citra")["valence"].tolist() == ["neutral"]


def test_duplicate_coding_is_a_no_op_returning_the_same_id(project: Project) -> None:
    first = project.codings(coder="ana").iloc[0]
    before = project.dump()
    again = project.code(first["doc_id"], int(first["start"]), int(first["end"]),
                         first["code_id"], coder="ana", valence="negative", memo="other")
    assert again == first["coding_id"]
    assert project.dump() == before


def test_same_span_by_another_coder_is_a_new_coding(project: Project) -> None:
    first = project.codings(coder="ana").iloc[0]
    other = project.code(first["doc_id"], int(first["start"]), int(first["end"]),
                         first["code_id"], coder="budi")
    assert other != first["coding_id"]


def test_code_quote_finds_the_words(project: Project) -> None:
    coding_id = project.code_quote(DOC_B, "café naïve", "stage", coder="citra")
    row = project.codings(coder="citra").iloc[0]
    assert row["coding_id"] == coding_id
    assert row["start"] == TEXTS[DOC_B].index("café naïve") and row["text"] == "café naïve"


def test_code_quote_absent_quote(project: Project) -> None:
    with pytest.raises(SpanError, match=r"quote 'modal usaha' not found in document "
                                        r"'asoka-int-a'") as info:
        project.code_quote(DOC_A, "modal usaha", "capital", coder="citra")
    assert info.value.doc_id == DOC_A


def test_code_quote_ambiguous_quote_lists_offsets(project: Project) -> None:
    offsets = [m.start() for m in re.finditer("modal", TEXTS[DOC_A])]
    assert len(offsets) == 2
    with pytest.raises(SpanError, match=rf"occurs 2 times .*offsets \[{offsets[0]}, "
                                        rf"{offsets[1]}\].*occurrence=1\.\.2") as info:
        project.code_quote(DOC_A, "modal", "capital", coder="citra")
    assert info.value.offsets == offsets


@pytest.mark.parametrize("occurrence", [1, 2])
def test_code_quote_occurrence_picks_one(project: Project, occurrence: int) -> None:
    offsets = [m.start() for m in re.finditer("modal", TEXTS[DOC_A])]
    project.code_quote(DOC_A, "modal", "capital", coder="citra", occurrence=occurrence)
    row = project.codings(coder="citra").iloc[0]
    assert (row["start"], row["end"]) == (offsets[occurrence - 1], offsets[occurrence - 1] + 5)


def test_find_span_counts_overlapping_occurrences() -> None:
    with pytest.raises(SpanError, match=r"occurs 2 times .*\[0, 1\]"):
        find_span("aaa", "aa", doc_id="d")
    assert find_span("aaa", "aa", doc_id="d", occurrence=2) == (1, 3)


def test_uncode_removes_the_coding_and_hides_its_memos(project: Project) -> None:
    coding_id = int(project.codings(coder="budi")["coding_id"].iloc[0])
    project.memo(str(coding_id), "check this", on="coding")
    project.memo("capital", "keep this", on="code")
    n = repr(project)
    project.uncode(coding_id)
    assert coding_id not in set(project.codings()["coding_id"])
    assert project.memos()["text"].tolist() == ["keep this"]
    assert repr(project) != n  # counted no more
    # kept, marked removed by its coder, for the history (tests/test_history.py)
    kept = [line for line in table_lines(project.dump(), "codings")
            if line.startswith(f'INSERT INTO "codings" VALUES({coding_id},')]
    assert len(kept) == 1 and "'budi'" in kept[0]
    assert project.history(action="uncode")["target_id"].tolist() == [str(coding_id)]


def test_memos_on_every_target(project: Project) -> None:
    coding_id = int(project.codings(coder="ana")["coding_id"].iloc[0])
    ids = [project.memo("capital", "Capital memo", author="ana"),
           project.memo(DOC_A, "Doc memo", on="document"),
           project.memo(str(coding_id), "Coding memo", on="coding", author="budi"),
           project.memo("", "Project memo", on="project")]
    memos = project.memos()
    assert memos["memo_id"].tolist() == ids
    assert memos["target_type"].tolist() == ["code", "document", "coding", "project"]
    assert memos["target_id"].tolist() == ["capital", DOC_A, str(coding_id), ""]
    assert memos["text"].tolist() == ["Capital memo", "Doc memo", "Coding memo", "Project memo"]
    assert memos["author"].tolist()[0] == "ana"


def test_memos_of_an_empty_project_have_the_columns(engine_url: str | Path) -> None:
    with new_project(engine_url) as proj:
        memos = proj.memos()
    assert memos.empty
    assert memos.columns.tolist() == [c.name for c in store.memos.c]


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(("args", "error", "message"), [
    (("nope", 0, 3, "capital"), UnknownDocumentError, r"unknown document 'nope'"),
    ((DOC_A, 0, 3, "capitol"), UnknownCodeError, r"unknown code 'capitol'; known codes: capital"),
    ((DOC_A, 0, 10_000, "capital"), SpanError, r"span \[0, 10000\) is outside document"),
    ((DOC_A, -1, 3, "capital"), SpanError, r"span \[-1, 3\)"),
    ((DOC_A, 5, 5, "capital"), SpanError, r"span \[5, 5\)"),
    ((DOC_A, 6, 5, "capital"), SpanError, r"span \[6, 5\)"),
    ((DOC_A, 0.0, 3, "capital"), SpanError, r"must be integers"),
])
def test_code_validation(project: Project, args: tuple, error: type[QualError],
                         message: str) -> None:
    with pytest.raises(error, match=message):
        project.code(*args, coder="ana")


@pytest.mark.parametrize("valence", ["mixed", "Positive", "", "pos"])
def test_code_valence_must_be_known(project: Project, valence: str) -> None:
    with pytest.raises(ParameterError, match=r"'valence' parameter of Project\.code must be one of"):
        project.code(DOC_A, 0, 3, "capital", coder="ana", valence=valence)


def test_errors_inherit_builtins() -> None:
    assert issubclass(UnknownDocumentError, KeyError) and issubclass(UnknownCodeError, KeyError)
    assert issubclass(SpanError, ValueError) and issubclass(StoreError, RuntimeError)


def test_code_accepts_numpy_integer_offsets(project: Project) -> None:
    segs = project.segments(kind="sentence")
    row = segs.index[segs["doc_id"] == DOC_C][0]
    start, end = segs.loc[row, "start"], segs.loc[row, "end"]
    assert isinstance(start, np.integer)
    project.code(DOC_C, start, end, "stage", coder="citra")
    assert project.codings(coder="citra")["text"].tolist() == [segs.loc[row, "text"]]


def _code_many_one_bad(p: Project) -> None:
    p.code_many([Coding(DOC_A, 0, 2, "stage", "citra"), Coding(DOC_B, 0, 2, "stage", "citra"),
                 Coding(DOC_C, 0, 2, "no.such.code", "citra")])


def _drop_used_code(p: Project) -> None:
    p.update_codebook(Codebook(tuple(c for c in tiny_codebook() if c.code_id != "leadership")))


#: Calls that must fail and leave the project file exactly as it was.
FAILING: dict[str, tuple[Callable[[Project], object], type[Exception]]] = {
    "unknown document": (lambda p: p.code("nope", 0, 3, "capital", coder="ana"),
                         UnknownDocumentError),
    "unknown code": (lambda p: p.code(DOC_A, 0, 3, "nope", coder="ana"), UnknownCodeError),
    "span past the end": (lambda p: p.code(DOC_A, 0, 999, "capital", coder="ana"), SpanError),
    "negative start": (lambda p: p.code(DOC_A, -2, 3, "capital", coder="ana"), SpanError),
    "empty span": (lambda p: p.code(DOC_A, 3, 3, "capital", coder="ana"), SpanError),
    "float offsets": (lambda p: p.code(DOC_A, 0, 3.5, "capital", coder="ana"), SpanError),
    "bad valence": (lambda p: p.code(DOC_A, 0, 3, "capital", coder="ana", valence="good"),
                    ParameterError),
    "new coder, bad span": (lambda p: p.code(DOC_A, 0, 999, "capital", coder="new"), SpanError),
    "absent quote": (lambda p: p.code_quote(DOC_A, "tidak ada", "capital", coder="ana"),
                     SpanError),
    "ambiguous quote": (lambda p: p.code_quote(DOC_A, "modal", "capital", coder="ana"),
                        SpanError),
    "occurrence too big": (lambda p: p.code_quote(DOC_A, "modal", "capital", coder="ana",
                                                  occurrence=3), SpanError),
    "empty quote": (lambda p: p.code_quote(DOC_A, "", "capital", coder="ana"), SpanError),
    "quote, unknown doc": (lambda p: p.code_quote("nope", "modal", "capital", coder="ana"),
                           UnknownDocumentError),
    "quote, unknown code": (lambda p: p.code_quote(DOC_A, "Ketua rajin", "nope", coder="ana"),
                            UnknownCodeError),
    "code_many with one bad item": (_code_many_one_bad, UnknownCodeError),
    "human coding by the auto coder": (lambda p: p.code(DOC_A, 0, 3, "capital", coder="auto"),
                                       StoreError),
    "uncode unknown id": (lambda p: p.uncode(99_999), StoreError),
    "memo on unknown code": (lambda p: p.memo("nope", "x"), UnknownCodeError),
    "memo on unknown document": (lambda p: p.memo("nope", "x", on="document"),
                                 UnknownDocumentError),
    "memo on unknown coding": (lambda p: p.memo("99999", "x", on="coding"), StoreError),
    "memo on a bad target type": (lambda p: p.memo("capital", "x", on="segment"), ValueError),
    "autocode as a human coder": (lambda p: p.autocode(coder="ana"), StoreError),
    "autocode with a bad unit": (lambda p: p.autocode(unit="word"), ValueError),
    "codebook drops a used code": (_drop_used_code, StoreError),
    "document already in the project": (lambda p: p.add_documents(small_documents()[:1]),
                                        StoreError),
}


@pytest.mark.parametrize("name", FAILING)
def test_failing_call_leaves_the_project_unchanged(project: Project, name: str) -> None:
    call, error = FAILING[name]
    before = project.dump()
    with pytest.raises(error):
        call(project)
    assert project.dump() == before


def test_code_many_is_all_or_nothing(project: Project) -> None:
    n = len(project.codings())
    with pytest.raises(UnknownCodeError):
        _code_many_one_bad(project)
    assert len(project.codings()) == n
    ids = project.code_many([Coding(DOC_A, 0, 2, "stage", "citra"),
                             Coding(DOC_B, 0, 2, "stage", "citra")])
    assert len(set(ids)) == 2
    assert len(project.codings()) == n + 2


def test_add_documents_refuses_known_ids(project: Project) -> None:
    with pytest.raises(StoreError, match=r"already in the project: asoka-int-a") as info:
        project.add_documents(small_documents()[:1])
    assert info.value.doc_ids == [DOC_A]


def test_add_documents_refuses_duplicate_ids_in_one_call(engine_url: str | Path) -> None:
    docs = [plain_document("d1", "Modal kami."), plain_document("d1", "Ketua rajin.")]
    with new_project(engine_url, documents=[]) as proj:
        before = proj.dump()
        with pytest.raises(StoreError, match="d1"):
            proj.add_documents(docs)
        assert proj.dump() == before


def test_interview_document_without_speakers_meta_gets_default_turns(
        engine_url: str | Path) -> None:
    doc = plain_document("d1", "P: Modal kami bertambah?\nI: Ketua rajin.",
                         source_type="interview")
    with new_project(engine_url, documents=[doc]) as proj:
        turns = proj.segments(kind="turn")
        assert turns["speaker"].tolist() == ["P", "I"]
        assert turns["text"].tolist() == ["Modal kami bertambah?", "Ketua rajin."]
        proj.autocode()
        assert proj.codings()["code_id"].tolist() == ["leadership"]


# --------------------------------------------------------------------------- codings()
def test_codings_columns_and_dtypes(project: Project) -> None:
    frame = project.codings()
    assert tuple(frame.columns) == (*CODING_COLUMNS, "codebook_version")
    assert {c: str(t) for c, t in frame[list(CODING_COLUMNS)].dtypes.items()} == CODING_DTYPES
    assert list(frame["factor"].cat.categories) == [c.code_id for c in tiny_codebook().top_level()]
    assert list(frame["group"].cat.categories) == ["Asoka", "Melati"]
    assert list(frame["valence"].cat.categories) == list(VALENCES)
    assert list(frame["origin"].cat.categories) == list(ORIGINS)
    assert list(frame["source_type"].cat.categories) == list(SOURCE_TYPES)
    validate_codings(frame)
    assert set(frame["origin"]) == {"manual", "auto"}


def test_codings_of_an_empty_project_have_the_dtypes(engine_url: str | Path) -> None:
    with new_project(engine_url) as proj:
        frame = proj.codings()
    assert frame.empty
    assert tuple(frame.columns) == (*CODING_COLUMNS, "codebook_version")
    assert {c: str(t) for c, t in frame[list(CODING_COLUMNS)].dtypes.items()} == CODING_DTYPES
    assert list(frame["factor"].cat.categories) == ["capital", "leadership", "stage"]


def test_codings_factor_and_label_come_from_the_codebook(project: Project) -> None:
    frame = project.codings()
    cb = tiny_codebook()
    assert (frame["factor"].astype(str) == [cb[c].factor for c in frame["code_id"]]).all()
    assert frame["code_label"].tolist() == [cb[c].label_en for c in frame["code_id"]]
    ids = project.codings(lang="id")["code_label"].tolist()
    assert ids == [cb[c].label_id for c in frame["code_id"]]


def test_codings_document_metadata(project: Project) -> None:
    frame = project.codings()
    docs = {d.doc_id: d for d in small_documents()}
    for r in frame.itertuples():
        d = docs[r.doc_id]
        assert (r.group, r.village, r.source_type, r.informant_role, r.informant) == (
            d.group, d.village, d.source_type, d.informant_role, d.informant)
        assert r.text == d.text[r.start : r.end]


@pytest.mark.parametrize(("column", "keyword", "value"), [
    ("coder", "coder", "ana"),
    ("coder", "coder", ["ana", "budi"]),
    ("coder", "coder", ["nobody"]),
    ("origin", "origin", "manual"),
    ("origin", "origin", "auto"),
    ("origin", "origin", ["manual", "auto"]),
    ("group", "group", "Asoka"),
    ("group", "group", ["Melati"]),
    ("group", "group", ["Asoka", "Melati"]),
    ("code_id", "code", "capital"),
    ("code_id", "code", ["capital.loan", "leadership.meetings"]),
    ("factor", "factor", "capital"),
    ("factor", "factor", "leadership"),
    ("factor", "factor", "stage"),
    pytest.param("factor", "factor", ["capital", "leadership"]),
    pytest.param("factor", "factor", ["leadership"]),
])
def test_codings_filters(project: Project, column: str, keyword: str, value) -> None:
    full = project.codings()
    wanted = [value] if isinstance(value, str) else value
    expected = full[full[column].astype(str).isin(wanted)].reset_index(drop=True)
    got = project.codings(**{keyword: value})
    pd.testing.assert_frame_equal(got, expected)
    if value not in (["nobody"], "stage"):  # nobody coded as 'nobody', nothing is 'stage'
        assert len(got) > 0


def test_codings_filters_combine(project: Project) -> None:
    got = project.codings(coder="auto", group="Melati", factor="capital")
    full = project.codings()
    mask = (full["coder"] == "auto") & (full["group"] == "Melati") & (full["factor"] == "capital")
    pd.testing.assert_frame_equal(got, full[mask].reset_index(drop=True))
    assert len(got) > 0


# --------------------------------------------------------------------------- documents / segments
def test_documents_frame(project: Project) -> None:
    docs = project.documents()
    assert docs["doc_id"].tolist() == list(SMALL_BODIES)
    for d in small_documents():
        row = docs.set_index("doc_id").loc[d.doc_id]
        assert (row["group"], row["village"], row["source_type"], row["informant_role"],
                row["informant"], row["date"]) == (d.group, d.village, d.source_type,
                                                   d.informant_role, d.informant, d.date)
        assert row["n_chars"] == len(d.text)
        assert row["n_words"] == d.n_words
        assert len(row["sha256"]) == 64
    assert project.document(DOC_B) == small_documents()[1]
    with pytest.raises(UnknownDocumentError):
        project.document("nope")


def test_segments_frame(project: Project) -> None:
    segs = project.segments()
    for r in segs.itertuples():
        assert r.text == TEXTS[r.doc_id][r.start : r.end] and r.text.strip() == r.text
    kinds = segs.groupby("doc_id")["kind"].agg(lambda k: sorted(set(k))).to_dict()
    assert kinds == {DOC_A: ["sentence", "turn"], DOC_B: ["sentence", "turn"],
                     DOC_C: ["paragraph", "sentence"]}
    turns = segs[segs["kind"] == "turn"]
    assert turns.groupby("doc_id")["speaker"].agg(list).to_dict() == {
        DOC_A: ["P", "I", "P", "I"], DOC_B: ["P", "I", "P", "I"]}
    parents = segs.set_index("segment_id")
    for r in segs[segs["kind"] == "sentence"].itertuples():
        parent = parents.loc[r.parent]
        assert parent["start"] <= r.start < r.end <= parent["end"]
    sentences = project.segments(kind="sentence")
    assert set(sentences["kind"]) == {"sentence"}
    assert len(sentences) == (segs["kind"] == "sentence").sum()


# --------------------------------------------------------------------------- autocode
def test_autocode_returns_counts(engine_url: str | Path) -> None:
    with new_project(engine_url) as proj:
        counts = proj.autocode(coder="machine")
        auto = proj.codings(coder="machine")
    assert set(counts) == {"documents", "codings", "skipped_manual"}
    assert counts == {"documents": 3, "codings": len(auto), "skipped_manual": 0}
    assert (auto["origin"] == "auto").all()
    assert auto["confidence"].between(0, 1, inclusive="right").all()


def test_autocode_matches_the_pure_function(project: Project) -> None:
    auto = project.codings(coder="auto")
    for doc_id, text in TEXTS.items():
        expected = autocode_text(text, tiny_codebook())
        got = auto[auto["doc_id"] == doc_id]
        assert rows_of(got) == rows_of(expected)


def rows_of(frame: pd.DataFrame) -> list[tuple]:
    cols = ["start", "end", "code_id", "valence", "confidence", "text"]
    return sorted((int(s), int(e), c, str(v), float(f), t) for s, e, c, v, f, t in
                  frame[cols].itertuples(index=False, name=None))


def test_autocode_skips_interviewer_turns(project: Project) -> None:
    auto = project.codings(coder="auto")
    turns = project.segments(kind="turn")
    asked = turns[turns["speaker"] == "P"]
    for r in auto.itertuples():
        assert not ((asked["doc_id"] == r.doc_id) & (asked["start"] <= r.start)
                    & (r.end <= asked["end"])).any()


def test_autocode_is_idempotent(project: Project) -> None:
    first = project.codings()
    counts = project.autocode(coder="auto")
    second = project.codings()
    pd.testing.assert_frame_equal(without_ids(first), without_ids(second))
    assert counts["codings"] == len(project.codings(coder="auto"))
    assert project.check_integrity() == []


def test_autocode_replaces_only_its_own_coder(project: Project) -> None:
    project.autocode(coder="auto-turn", unit="turn")
    other = project.codings(coder="auto-turn")
    other_lines = [line for line in table_lines(project.dump(), "codings") if "'auto-turn'" in line]
    assert len(other) > 0
    project.autocode(coder="auto", unit="match")
    pd.testing.assert_frame_equal(project.codings(coder="auto-turn"), other)
    assert [line for line in table_lines(project.dump(), "codings")
            if "'auto-turn'" in line] == other_lines
    assert set(project.codings(coder="auto")["end"] - project.codings(coder="auto")["start"]) <= {
        5, 8, 10}  # match units: 'modal', 'ketua', 'rapat', 'pinjaman', 'permodalan'


def test_autocode_never_touches_or_duplicates_manual_codings(project: Project) -> None:
    target = project.codings(coder="auto").iloc[0]
    key = (target["doc_id"], int(target["start"]), int(target["end"]), target["code_id"])
    project.code(*key, coder="ana", valence="negative")
    before_manual = manual_lines(project)
    before_frame = project.codings(origin="manual")
    counts = project.autocode(coder="auto")
    assert counts["skipped_manual"] == 1
    assert manual_lines(project) == before_manual
    pd.testing.assert_frame_equal(project.codings(origin="manual"), before_frame)
    auto = project.codings(coder="auto")
    assert key not in set(zip(auto["doc_id"], auto["start"], auto["end"], auto["code_id"],
                              strict=True))
    frame = project.codings()
    assert not frame.duplicated(["doc_id", "start", "end", "code_id"]).any()


def test_interrupted_autocode_leaves_the_project_unchanged(project: Project,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = autocode_module.autocode_segments
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(autocode_module, "autocode_segments", flaky)
    project.code(DOC_C, 0, 7, "stage", coder="citra")
    before = project.dump()
    with pytest.raises(KeyboardInterrupt):
        project.autocode(coder="auto", unit="turn")
    assert len(calls) == 3
    assert project.dump() == before
    monkeypatch.undo()
    assert project.autocode(coder="auto")["codings"] == len(project.codings(coder="auto"))


# --------------------------------------------------------------------------- show
def test_show_returns_html_with_the_labels_of_coded_spans(project: Project) -> None:
    html = project.show(DOC_A, jupyter=False)
    assert isinstance(html, str) and html.lstrip().startswith("<")
    coded = set(project.codings()[lambda f: f["doc_id"] == DOC_A]["code_label"])
    assert coded == {"Capital growth", "Meetings", "Loans"}
    for label in coded:
        assert label in html
    assert "Stage" not in html
    manual = project.show(DOC_A, jupyter=False, origin="manual")
    assert "Capital growth" in manual and "Meetings" not in manual
    assert show(project, DOC_A, jupyter=False) == html
    with pytest.raises(UnknownDocumentError):
        project.show("nope", jupyter=False)


def test_show_in_indonesian(project: Project) -> None:
    html = project.show(DOC_C, jupyter=False, lang="id")
    assert "Meetings (id)" in html


# --------------------------------------------------------------------------- real corpus
def test_real_project_documents_and_segments(real_project: Project) -> None:
    corpus = real_corpus()
    docs = real_project.documents()
    assert docs["doc_id"].tolist() == [d.doc_id for d in corpus]
    assert docs["n_chars"].tolist() == [len(d.text) for d in corpus]
    segs = real_project.segments()
    texts = {d.doc_id: d.text for d in corpus}
    assert all(texts[d][s:e] == t for d, s, e, t in
               zip(segs["doc_id"], segs["start"], segs["end"], segs["text"], strict=True))
    pd.testing.assert_frame_equal(
        segs[["doc_id", "segment_id", "kind", "start", "end", "text"]].reset_index(drop=True),
        corpus.segments[["doc_id", "segment_id", "kind", "start", "end", "text"]]
        .reset_index(drop=True), check_dtype=False)


def test_real_project_codings(real_project: Project) -> None:
    frame = validate_codings(real_project.codings())
    assert {c: str(t) for c, t in frame[list(CODING_COLUMNS)].dtypes.items()} == CODING_DTYPES
    assert set(frame["origin"]) == {"manual", "auto"}
    assert (frame["origin"] == "manual").sum() == 2
    assert set(frame["factor"]) <= {c.code_id for c in real_codebook().top_level()}
    assert frame["doc_id"].nunique() == len(real_corpus())
    assert real_project.check_integrity() == []
    assert not frame.duplicated(["doc_id", "start", "end", "code_id", "coder"]).any()


def test_real_project_autocode_is_idempotent(real_project: Project) -> None:
    before = real_project.codings()
    real_project.autocode()
    pd.testing.assert_frame_equal(without_ids(before), without_ids(real_project.codings()))


def test_real_project_autocode_by_match(real_project: Project) -> None:
    before = real_project.dump()
    try:
        counts = real_project.autocode(coder="auto-match", unit="match")
    except Exception:
        assert real_project.dump() == before  # at least nothing was written
        raise
    assert counts["codings"] == len(real_project.codings(coder="auto-match"))


# --------------------------------------------------------------------------- attributes
def test_set_attributes_fields_and_attributes(project: Project) -> None:
    project.set_attributes(DOC_A, title="Ketua A", wave=2, kecamatan="Sungai Limau")
    project.set_attributes(DOC_C, group="", informant="")
    docs = project.documents().set_index("doc_id")
    assert docs.loc[DOC_A, "title"] == "Ketua A"
    assert docs.loc[DOC_A, "wave"] == 2 and docs.loc[DOC_A, "kecamatan"] == "Sungai Limau"
    assert pd.isna(docs.loc[DOC_C, "group"])
    codings = project.codings()
    assert {"wave", "kecamatan"} <= set(codings.columns)
    assert list(codings.columns[:len(CODING_COLUMNS)]) == list(CODING_COLUMNS)
    assert set(codings.loc[codings["doc_id"] == DOC_A, "wave"]) == {2}
    assert codings.loc[codings["doc_id"] == DOC_C, "group"].isna().all()  # no group
    assert "wave" in project.evidence(kind="all").columns
    project.set_attributes(DOC_A, wave=None)  # None removes an attribute
    assert project.documents().set_index("doc_id").loc[DOC_A, "kecamatan"] == "Sungai Limau"
    assert "wave" not in project.documents().columns


@pytest.mark.parametrize(("values", "error", "message"), [
    ({"source_type": "letter"}, ParameterError, r"'source_type' parameter .* one of"),
    ({"date": "March"}, ParameterError, r"date 'March' is not a date"),
    ({"text": "x"}, ParameterError, r"'text' is a column of every codings frame"),
    ({"wave": [1, 2]}, ParameterError, r"'wave' parameter"),
])
def test_set_attributes_is_validated_and_atomic(project: Project, values: dict,
                                                error: type[Exception], message: str) -> None:
    before = project.dump()
    with pytest.raises(error, match=message):
        project.set_attributes(DOC_A, title="changed", **values)
    assert project.dump() == before
    with pytest.raises(UnknownDocumentError):
        project.set_attributes("nope", wave=1)


def test_import_attributes_from_a_semicolon_csv(project: Project, tmp_path: Path) -> None:
    csv = tmp_path / "attrs.csv"
    csv.write_text(f"doc_id;district;wave\n{DOC_A};Garut;1\n{DOC_B};Bandung;\n", encoding="utf-8")
    assert project.import_attributes(csv) == {"documents": 2, "attributes": 2}
    docs = project.documents().set_index("doc_id")
    assert docs.loc[DOC_A, "district"] == "Garut" and docs.loc[DOC_A, "wave"] == "1"
    assert pd.isna(docs.loc[DOC_B, "wave"])  # an empty cell: no value
    bad = tmp_path / "bad.csv"
    bad.write_text(f"doc_id,district\n{DOC_A},X\nnope,Y\n{DOC_B},Z\n", encoding="utf-8")
    before = project.dump()
    with pytest.raises(ImportProblem, match=r"bad\.csv:3: unknown document 'nope'"):
        project.import_attributes(bad)
    assert project.dump() == before
    (tmp_path / "no-id.csv").write_text("document,x\na,b\n", encoding="utf-8")
    with pytest.raises(ImportProblem, match="needs a doc_id column"):
        project.import_attributes(tmp_path / "no-id.csv")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_version_1_file_is_upgraded_when_opened(project: Project) -> None:
    import sqlite3

    path = project.path
    project.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE readings")
        conn.execute("ALTER TABLE documents DROP COLUMN attributes")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.close()
    with pytest.warns(UserWarning, match="upgraded the project"), Project.open(path) as again:
        again.set_attributes(DOC_A, wave=1)
        again.mark_read(pd.DataFrame({"doc_id": [DOC_A], "start": [0], "end": [3]}), coder="ana")
        assert again.get_meta("schema_version") == str(store.SCHEMA_VERSION)
        assert len(again.readings()) == 1 and "wave" in again.codings().columns


def test_code_quote_can_ignore_case_and_spacing(project: Project) -> None:
    text = project.document(DOC_A).text
    start = text.index("Modal kami bertambah")
    cid = project.code_quote(DOC_A, "modal  KAMI, bertambah", "capital", coder="citra",
                             match="loose")
    row = project.codings(coder="citra").iloc[0]
    assert (row["coding_id"], row["start"], row["text"]) == (cid, start, "Modal kami bertambah")
    with pytest.raises(SpanError, match="not found"):
        project.code_quote(DOC_A, "modal  KAMI, bertambah", "capital", coder="citra")


def test_show_keeps_the_original_text(project: Project) -> None:
    from test_display import shown

    page = project.show(DOC_B, jupyter=False)
    assert shown(page) == project.document(DOC_B).text  # no re-joined tokens ("Pak , ...")
    assert hasattr(project.show(DOC_B), "_repr_html_")  # renders as a notebook cell's output


def test_comparison_groups_and_default_evidence_coders(project: Project) -> None:
    assert project.comparison_groups() == ["Asoka", "Melati"]
    project.set_attributes(DOC_A, wave=2)
    project.set_attributes(DOC_B, wave=1)
    assert project.comparison_groups("wave") == [1, 2]
    assert project.comparison_groups("no_such_column") == []
    kinds = project.coders().set_index("coder")["kind"]
    humans, autos = sorted(kinds[kinds == "human"].index), sorted(kinds[kinds == "auto"].index)
    assert project.evidence_coders == [*humans, *autos] and humans and autos
