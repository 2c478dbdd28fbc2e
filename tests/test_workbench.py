"""The coding workbench (``Project.workbench``), its Python side: :meth:`Workbench.handle`.

Every test drives a real project built from the bundled corpus (``data/interviews``) and
codebook (``codebook.yaml``) through the messages the browser sends, and checks the project
(``codings``, ``history``, ``reviews``, ``coding_memos``, ``dump``) and the traits the browser
draws (``codings``, ``counts``, ``blocks``, ``suggestions``, ...). A module-scoped template
project is copied per test; the tests that write run on SQLite and on PostgreSQL (``engine`` in
``conftest.py``: the PostgreSQL variants skip when no server is available). Also here: property
tests of :func:`uppks_qual.textio.snap_span` and a static check of ``workbench.js``.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest_project import copy_project
from hypothesis import example, given, settings
from hypothesis import strategies as st

import uppks_qual as uq
from uppks_qual import errors
from uppks_qual.errors import SpanError
from uppks_qual.project import Project
from uppks_qual.store import Store
from uppks_qual.textio import snap_span
from uppks_qual.workbench import ACTIONS, Workbench

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "data" / "interviews"
CODEBOOK_PATH = ROOT / "codebook.yaml"
JS_PATH = ROOT / "uppks_qual" / "templates" / "workbench.js"

DOC = "asoka-int-chair"
OTHER_DOC = "melati-int-chair"
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

#: The passages the template codes by hand: (coder, quote, code, valence, memo).
HAND: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    ("rina", "Saya ditunjuk jadi ketua", "leadership", "positive", "chosen as chair"),
    ("rina", "dengar kata pinjaman saja sudah takut duluan", "capital_growth", "negative", None),
    ("rina", "Ibu-ibu akseptor dikumpulkan di rumah kepala desa", "leadership.meetings", None,
     None),
    ("budi", "Saya ditunjuk jadi ketua", "leadership", None, None),
    ("budi", "Bunga asoka kan banyak di halaman orang sini", "other", None, "the name"),
)


# --------------------------------------------------------------------------- fixtures
def _fill(proj: Project) -> None:
    """rina and budi code DOC by hand (one passage both), budi one sentence of OTHER_DOC, then
    the rules code everything (coder ``auto``)."""
    text = proj.document(DOC).text
    for coder, quote, code, valence, memo in HAND:
        start = text.index(quote)
        proj.code(DOC, start, start + len(quote), code, coder=coder, valence=valence,
                  memo=memo)
    first = proj.segments(kind="sentence", doc_id=OTHER_DOC).iloc[3]
    proj.code(OTHER_DOC, int(first["start"]), int(first["end"]), "leader_support",
              coder="budi", valence="positive")
    proj.autocode(progress=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("workbench") / "template.uqp"
    with Project.create(path, corpus=uq.load_corpus(CORPUS_DIR),
                        codebook=uq.load_codebook(CODEBOOK_PATH)) as proj:
        _fill(proj)
    return path


@pytest.fixture
def place(template: Path, new_target: Callable[[str], str | Path]) -> Callable[[str], str | Path]:
    """``place(name)`` copies the template to a new target on the test's engine and returns the
    target (a file path, or a database URL), so that it can be opened more than once."""

    def make(name: str = "p") -> str | Path:
        target = new_target(name)
        if isinstance(target, Path):
            copy_project(template, target).close()
        else:
            source = Store.open(template)
            try:
                Store.create_from(source, target).close()
            finally:
                source.close()
        return target

    return make


@pytest.fixture
def opened() -> Iterator[Callable[[str | Path], Project]]:
    """``opened(target)`` opens a project, closed after the test."""
    projects: list[Project] = []

    def open_(target: str | Path) -> Project:
        projects.append(Project.open(target))
        return projects[-1]

    yield open_
    for proj in projects:
        proj.close()


@pytest.fixture
def project(place: Callable[[str], str | Path],
            opened: Callable[[str | Path], Project]) -> Project:
    return opened(place("p"))


@pytest.fixture
def wb(project: Project) -> Workbench:
    """A workbench on DOC, coding as rina."""
    return project.workbench(DOC, coder="rina")


# --------------------------------------------------------------------------- helpers
def span_of(proj: Project, quote: str, doc_id: str = DOC) -> tuple[int, int]:
    text = proj.document(doc_id).text
    assert text.count(quote) == 1, quote
    start = text.index(quote)
    return start, start + len(quote)


def coding_row(proj: Project, coding_id: int) -> dict[str, Any]:
    frame = proj.codings()
    rows = frame[frame["coding_id"] == coding_id].to_dict("records")
    assert len(rows) == 1, coding_id
    return {k: None if not isinstance(v, str) and pd.isna(v) else v
            for k, v in rows[0].items()}  # NaN != NaN


def doc_codings(proj: Project, doc_id: str = DOC, **filters: Any) -> set[int]:
    frame = proj.codings(**filters)
    return set(frame.loc[frame["doc_id"] == doc_id, "coding_id"].astype(int))


def shown(wb: Workbench) -> set[int]:
    return {c["coding_id"] for c in wb.codings}


def counts(wb: Workbench) -> dict[str, int]:
    return {c["factor"]: c["n"] for c in wb.counts}


def expected_counts(wb: Workbench) -> dict[str, int]:
    """Per top-level code, the codings ``wb.codings`` shows of it and its sub-codes."""
    factors = Counter(c["factor"] for c in wb.codings)
    return {c.code_id: factors.get(c.code_id, 0) for c in wb.project.codebook.top_level()}


def last_history(proj: Project) -> dict[str, Any]:
    return proj.history().iloc[-1].to_dict()


def history_len(proj: Project) -> int:
    return len(proj.history())


def manual_id(proj: Project, coder: str, quote: str) -> int:
    start, end = span_of(proj, quote)
    frame = proj.codings(coder=coder)
    hit = frame[(frame["doc_id"] == DOC) & (frame["start"] == start) & (frame["end"] == end)]
    assert len(hit) == 1
    return int(hit["coding_id"].iloc[0])


def auto_id(proj: Project, doc_id: str = DOC) -> int:
    return min(doc_codings(proj, doc_id, origin="auto"))


def pieces(wb: Workbench) -> list[dict[str, Any]]:
    """Every piece of the layout, in order: each block's label, then its body."""
    return [p for block in wb.blocks for p in [*block["label"], *block["body"]]]


def assert_error(wb: Workbench, reply: dict[str, Any], kind: str) -> None:
    assert reply["ok"] is False, reply
    assert reply["type"] == kind, reply
    assert isinstance(reply["error"], str) and reply["error"]
    assert wb.message == {"kind": "error", "text": reply["error"]}


# --------------------------------------------------------------------------- construction
@SQLITE_ONLY
def test_the_workbench_reads_the_project(project: Project, wb: Workbench) -> None:
    docs = project.documents()
    assert [d["doc_id"] for d in wb.documents] == list(docs["doc_id"])
    for row in wb.documents:
        assert not {"path", "sha256", "text", "n_words", "n_chars"} & set(row["attributes"])
    assert wb.doc_id == DOC and wb.coder == "rina" and wb.mode == "code"
    assert wb.coders == ["budi", "rina"]  # humans only, sorted: never "auto"
    assert [c["code_id"] for c in wb.codebook] == list(project.codebook.ids)
    assert shown(wb) == doc_codings(project)
    assert counts(wb) == expected_counts(wb)
    assert sum(counts(wb).values()) == len(wb.codings)
    # a workbench without a document opens the first one, coding as the first human coder
    first = project.workbench()
    assert first.doc_id == docs["doc_id"].iloc[0] and first.coder == "budi"


@SQLITE_ONLY
def test_construction_errors(project: Project) -> None:
    with pytest.raises(errors.UnknownDocumentError):
        project.workbench("no-such-doc")
    with pytest.raises(errors.ParameterError):
        project.workbench(DOC, lang="fr")
    with pytest.raises(errors.ParameterError, match="automatic coder"):
        project.workbench(DOC, coder="auto")
    with pytest.raises(errors.CoderError):
        project.workbench(DOC, coder=" rina")


# --------------------------------------------------------------------------- 1. select
@SQLITE_ONLY
def test_select_snaps_to_whole_words(project: Project, wb: Workbench) -> None:
    text = project.document(DOC).text
    i = text.index("gulanya jangan banyak-banyak")
    dump = project.dump()
    # starts mid "gulanya", ends mid the second "banyak" of the reduplication
    reply = wb.handle({"action": "select", "start": i + 3, "end": i + len("gulanya jangan ban")})
    assert reply == {"ok": True, "start": i, "end": i + 28,
                     "text": "gulanya jangan banyak-banyak"}
    assert wb.selection == {"start": i, "end": i + 28, "text": "gulanya jangan banyak-banyak"}
    # inside the reduplication: the whole word, hyphen and all
    j = text.index("banyak-banyak")
    reply = wb.handle({"action": "select", "start": j + 8, "end": j + 9})
    assert reply["text"] == "banyak-banyak"
    reply = wb.handle({"action": "select", "start": j + 2, "end": j + 7})  # "nyak-"
    assert reply["text"] == "banyak-banyak"
    # white space around the selection is dropped
    k = text.index(" jangan ")
    reply = wb.handle({"action": "select", "start": k, "end": k + 8})
    assert (reply["start"], reply["end"], reply["text"]) == (k + 1, k + 7, "jangan")
    # reversed ends are put in order; ends past the text are clamped
    assert wb.handle({"action": "select", "start": k + 8, "end": k})["text"] == "jangan"
    reply = wb.handle({"action": "select", "start": len(text) - 3, "end": len(text) + 50})
    assert reply["end"] == len(text.rstrip()) and reply["ok"]
    # floats that are whole numbers (JSON numbers) are taken as ints
    assert wb.handle({"action": "select", "start": float(k), "end": float(k + 8)})["ok"]
    assert project.dump() == dump  # selecting writes nothing


@SQLITE_ONLY
def test_select_whole_sentences(project: Project, wb: Workbench) -> None:
    text = project.document(DOC).text
    sentences = project.segments(kind="sentence", doc_id=DOC)
    spans = list(zip(sentences["start"].astype(int), sentences["end"].astype(int), strict=True))
    j = text.index("banyak-banyak")
    one = next((a, b) for a, b in spans if a <= j < b)
    reply = wb.handle({"action": "select", "start": j + 3, "end": j + 4, "sentence": True})
    assert (reply["start"], reply["end"]) == one
    assert reply["text"] == text[one[0]:one[1]] == "Buatkan kopi untuk tamu, gulanya jangan banyak-banyak."
    # a selection across a sentence break takes both sentences, from first start to last end
    nxt = spans[spans.index(one) + 1]
    reply = wb.handle({"action": "select", "start": one[1] - 3, "end": nxt[0] + 2,
                       "sentence": True})
    assert (reply["start"], reply["end"]) == (one[0], nxt[1])
    assert wb.selection["text"] == text[one[0]:nxt[1]]
    # without "sentence" (or with a false one) the same selection stays words
    reply = wb.handle({"action": "select", "start": j + 3, "end": j + 4, "sentence": False})
    assert reply["text"] == "banyak-banyak"


@SQLITE_ONLY
@pytest.mark.parametrize("sentence", [False, True])
def test_a_white_space_selection_is_an_error(project: Project, wb: Workbench,
                                             sentence: bool) -> None:
    text = project.document(DOC).text
    gap = text.index("\n\n")
    wb.handle({"action": "select", "start": 3, "end": 10})
    before, dump = dict(wb.selection), project.dump()
    reply = wb.handle({"action": "select", "start": gap, "end": gap + 2, "sentence": sentence})
    assert_error(wb, reply, "SpanError")
    assert wb.selection == before
    assert project.dump() == dump


@SQLITE_ONLY
@pytest.mark.parametrize("message", [
    {"action": "select", "start": "3", "end": 10},
    {"action": "select", "start": 3},
    {"action": "select", "start": 3, "end": True},
    {"action": "select", "start": 3.5, "end": 10},
])
def test_select_needs_int_offsets(wb: Workbench, message: dict[str, Any]) -> None:
    assert_error(wb, wb.handle(message), "ParameterError")
    assert wb.selection == {}


# --------------------------------------------------------------------------- 2. code
@pytest.mark.parametrize(("valence", "memo"), [("negative", "ketua rajin?"), (None, None)])
def test_code_writes_what_project_code_writes(place: Callable[[str], str | Path],
                                             opened: Callable[[str | Path], Project],
                                             valence: str | None, memo: str | None) -> None:
    ours, theirs = opened(place("ours")), opened(place("theirs"))
    wb = ours.workbench(DOC, coder="dewi")
    start, end = span_of(ours, "sanjai untuk antaran besok ke Pariaman")
    before_counts, before_shown = counts(wb), shown(wb)
    wb.handle({"action": "select", "start": start + 2, "end": end - 2})
    assert wb.selection["start"] == start and wb.selection["end"] == end
    message: dict[str, Any] = {"action": "code", "start": start, "end": end,
                               "code_id": "partnerships.marketing"}
    if valence is not None:
        message["valence"] = valence
    if memo is not None:
        message["memo"] = memo
    reply = wb.handle(message)
    direct = theirs.code(DOC, start, end, "partnerships.marketing", coder="dewi",
                         valence=valence, memo=memo)
    assert reply == {"ok": True, "coding_id": direct}
    # the same row in both projects, the same memo and the same history row (but its time)
    assert coding_row(ours, direct) == coding_row(theirs, direct)
    row = coding_row(ours, direct)
    assert (row["doc_id"], row["start"], row["end"], row["code_id"], row["coder"],
            row["origin"]) == (DOC, start, end, "partnerships.marketing", "dewi", "manual")
    if valence is not None:
        assert row["valence"] == valence
    assert ours.coding_memos(DOC).get(direct) == memo
    assert ours.coding_memos() == theirs.coding_memos()
    ours_row, theirs_row = last_history(ours), last_history(theirs)
    assert (ours_row["action"], ours_row["coder"], ours_row["target_type"],
            ours_row["target_id"]) == ("code", "dewi", "coding", str(direct))
    for key in ("history_id", "at"):
        del ours_row[key]
        del theirs_row[key]
    assert ours_row == theirs_row
    # the widget follows: the coding is drawn, counted, the selection is cleared
    assert shown(wb) == before_shown | {direct} == doc_codings(ours)
    drawn = next(c for c in wb.codings if c["coding_id"] == direct)
    assert drawn["memo"] == memo and drawn["coder"] == "dewi" and drawn["origin"] == "manual"
    assert drawn["text"] == ours.document(DOC).text[start:end]
    assert drawn["valence"] == (row["valence"] if isinstance(row["valence"], str) else None)
    assert counts(wb) == {**before_counts, "partnerships": before_counts["partnerships"] + 1}
    assert counts(wb) == expected_counts(wb)
    assert wb.selection == {}
    assert wb.message["kind"] == "info" and str(direct) in wb.message["text"]
    # the new coder is offered in the coder picker
    assert "dewi" in wb.coders


@SQLITE_ONLY
def test_coding_the_same_passage_twice_returns_the_same_id(project: Project,
                                                          wb: Workbench) -> None:
    start, end = span_of(project, "Saya ditunjuk jadi ketua")
    first = wb.handle({"action": "code", "start": start, "end": end, "code_id": "stage"})
    n = history_len(project)
    again = wb.handle({"action": "code", "start": start, "end": end, "code_id": "stage"})
    assert again == first and first["ok"]
    assert history_len(project) == n


# --------------------------------------------------------------------------- 3. errors
def _code(**fields: Any) -> dict[str, Any]:
    return {"action": "code", "start": 3, "end": 18, "code_id": "leadership", **fields}


#: name -> (message, the exception type named in the reply).
BAD: dict[str, tuple[Any, str]] = {
    "unknown code": (_code(code_id="no.such.code"), "UnknownCodeError"),
    "span past the end": (_code(end=10**6), "SpanError"),
    "negative start": (_code(start=-1), "SpanError"),
    "empty span": (_code(start=5, end=5), "SpanError"),
    "reversed span": (_code(start=18, end=3), "SpanError"),
    "bad valence": (_code(valence="very"), "ParameterError"),
    "valence not a str": (_code(valence=1), "ParameterError"),
    "memo not a str": (_code(memo=["x"]), "ParameterError"),
    "start a bool": (_code(start=True), "ParameterError"),
    "end a bool": (_code(end=False), "ParameterError"),
    "start a str": (_code(start="3"), "ParameterError"),
    "start None": (_code(start=None), "ParameterError"),
    "start a fraction": (_code(start=3.5), "ParameterError"),
    "code_id None": (_code(code_id=None), "ParameterError"),
    "code_id an int": (_code(code_id=7), "ParameterError"),
    "code without end": ({"action": "code", "start": 3, "code_id": "leadership"},
                         "ParameterError"),
    "code without code_id": ({"action": "code", "start": 3, "end": 18}, "ParameterError"),
    "not a mapping (str)": ("code", "ParameterError"),
    "not a mapping (None)": (None, "ParameterError"),
    "not a mapping (list)": ([("action", "code")], "ParameterError"),
    "not a mapping (int)": (42, "ParameterError"),
    "no action": ({"start": 3, "end": 18}, "ParameterError"),
    "unknown action": ({"action": "delete", "coding_id": 1}, "ParameterError"),
    "action of another kind": ({"action": ["code"]}, "ParameterError"),
    "a method name as action": ({"action": "refresh_all"}, "ParameterError"),
    "private helper as action": ({"action": "_changed"}, "ParameterError"),
    "unknown doc": ({"action": "open", "doc_id": "no-such-doc"}, "UnknownDocumentError"),
    "doc_id an int": ({"action": "open", "doc_id": 3}, "ParameterError"),
    "open without doc_id": ({"action": "open"}, "ParameterError"),
    "automatic coder chosen": ({"action": "coder", "coder": "auto"}, "ParameterError"),
    "invalid coder name": ({"action": "coder", "coder": "a\tb"}, "CoderError"),
    "coder None": ({"action": "coder", "coder": None}, "ParameterError"),
    "recode unknown coding": ({"action": "recode", "coding_id": 10**7, "valence": "negative"},
                              "StoreError"),
    "recode without coding_id": ({"action": "recode", "valence": "negative"},
                                 "ParameterError"),
    "recode coding_id a str": ({"action": "recode", "coding_id": "1", "valence": "negative"},
                               "ParameterError"),
    "recode to no code": ({"action": "recode", "coding_id": 1, "code_id": ""},
                          "ParameterError"),
    "remove unknown coding": ({"action": "remove", "coding_id": 10**7}, "StoreError"),
    "remove coding_id a bool": ({"action": "remove", "coding_id": True}, "ParameterError"),
    "accept unknown suggestion": ({"action": "accept", "suggestion_id": 10**7}, "StoreError"),
    "reject suggestion_id None": ({"action": "reject", "suggestion_id": None},
                                  "ParameterError"),
    "accept with unknown code": ({"action": "accept", "suggestion_id": 1, "code_id": "nope"},
                                 "UnknownCodeError"),
    "bad mode": ({"action": "mode", "mode": "edit"}, "ParameterError"),
    "bad lang": ({"action": "lang", "lang": "fr"}, "ParameterError"),
    "bad origin": ({"action": "view", "origin": ["robot"]}, "ParameterError"),
    "unknown view code": ({"action": "view", "code": "no.such.code"}, "UnknownCodeError"),
    "view coders not names": ({"action": "view", "coder": [1, 2]}, "ParameterError"),
}


@pytest.mark.parametrize("name", BAD)
def test_an_error_is_replied_and_writes_nothing(project: Project, wb: Workbench,
                                                name: str) -> None:
    message, kind = BAD[name]
    other = project.workbench(OTHER_DOC, coder="budi")
    state = {k: getattr(wb, k) for k in ("doc_id", "coder", "view", "mode", "lang", "codings",
                                         "counts", "blocks")}
    revisions = (wb.revision, other.revision)
    dump, n = project.dump(), history_len(project)
    reply = wb.handle(message)
    assert_error(wb, reply, kind)
    assert project.dump() == dump
    assert history_len(project) == n
    assert {k: getattr(wb, k) for k in state} == state
    assert (wb.revision, other.revision) == revisions  # nobody was refreshed


@pytest.mark.parametrize(("coder", "kind"), [("", "ParameterError"), ("auto", "StoreError")])
def test_no_coder_or_the_automatic_coder_writes_nothing(project: Project, wb: Workbench,
                                                        coder: str, kind: str) -> None:
    """The coder trait is synchronised with the browser; whatever it holds, coding as nobody
    or as the automatic coder is refused (by the widget, or by the store)."""
    suggestion = int(project.suggest(1, "top", doc_id=DOC)["suggestion_id"].iloc[0])
    coding = manual_id(project, "rina", "Saya ditunjuk jadi ketua")
    wb.coder = coder
    dump = project.dump()
    for message in (_code(), {"action": "recode", "coding_id": coding, "valence": "neutral"},
                    {"action": "remove", "coding_id": coding},
                    {"action": "accept", "suggestion_id": suggestion},
                    {"action": "reject", "suggestion_id": suggestion}):
        assert_error(wb, wb.handle(message), kind)
        assert project.dump() == dump, message


def test_a_project_without_human_coders_has_no_coder(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.uqp", corpus=uq.load_corpus(CORPUS_DIR),
                        codebook=uq.load_codebook(CODEBOOK_PATH)) as proj:
        wb = proj.workbench()
        assert wb.coder == "" and wb.coders == []
        dump = proj.dump()
        assert_error(wb, wb.handle(_code()), "ParameterError")
        assert "coder" in wb.message["text"]
        assert proj.dump() == dump
        # choosing one (a new name) lets them code
        assert wb.handle({"action": "coder", "coder": "sari"}) == {"ok": True}
        assert wb.handle(_code())["ok"]
        assert wb.coders == ["sari"]


@SQLITE_ONLY
def test_a_bad_strategy_leaves_the_mode_as_it_was(wb: Workbench) -> None:
    reply = wb.handle({"action": "mode", "mode": "suggestions", "strategy": "bogus"})
    assert_error(wb, reply, "ParameterError")
    assert wb.mode == "code" and wb.strategy == "uncertain"


# --------------------------------------------------------------------------- 4. recode, remove
def test_recode_valence_and_memo(project: Project, wb: Workbench) -> None:
    coding = manual_id(project, "rina", "Saya ditunjuk jadi ketua")
    assert project.coding_memos(DOC)[coding] == "chosen as chair"
    reply = wb.handle({"action": "recode", "coding_id": coding, "valence": "negative",
                       "memo": "not so sure"})
    assert reply == {"ok": True, "old": {"valence": "positive", "memo": "chosen as chair"}}
    row = coding_row(project, coding)
    assert (row["valence"], row["coder"], row["origin"]) == ("negative", "rina", "manual")
    assert project.coding_memos(DOC)[coding] == "not so sure"
    hist = last_history(project)
    assert (hist["action"], hist["coder"], hist["target_id"]) == ("recode", "rina", str(coding))
    assert hist["old"] == {"valence": "positive", "memo": "chosen as chair"}
    assert hist["new"] == {"valence": "negative", "memo": "not so sure"}
    drawn = next(c for c in wb.codings if c["coding_id"] == coding)
    assert (drawn["valence"], drawn["memo"]) == ("negative", "not so sure")
    # an empty memo removes it; the code can be changed too
    reply = wb.handle({"action": "recode", "coding_id": coding, "memo": "",
                       "code_id": "leadership.motivation"})
    assert reply["ok"] and reply["old"]["memo"] == "not so sure"
    assert coding not in project.coding_memos(DOC)
    assert coding_row(project, coding)["code_id"] == "leadership.motivation"
    drawn = next(c for c in wb.codings if c["coding_id"] == coding)
    assert drawn["memo"] is None and drawn["code_id"] == "leadership.motivation"
    # undo walks it back
    project.undo("rina")
    wb.refresh()
    assert project.coding_memos(DOC)[coding] == "not so sure"
    assert next(c for c in wb.codings if c["coding_id"] == coding)["code_id"] == "leadership"


def test_recode_another_coders_coding(project: Project) -> None:
    wb = project.workbench(DOC, coder="budi")
    coding = manual_id(project, "rina", "dengar kata pinjaman saja sudah takut duluan")
    assert wb.handle({"action": "recode", "coding_id": coding, "valence": "neutral"})["ok"]
    assert coding_row(project, coding)["coder"] == "rina"  # the coding keeps its coder
    hist = last_history(project)
    assert (hist["action"], hist["coder"]) == ("recode", "budi")


def test_an_automatic_coding_cannot_be_recoded(project: Project, wb: Workbench) -> None:
    coding = auto_id(project)
    dump = project.dump()
    reply = wb.handle({"action": "recode", "coding_id": coding, "valence": "negative"})
    assert_error(wb, reply, "StoreError")
    assert project.dump() == dump


def test_remove_and_undo(project: Project, wb: Workbench) -> None:
    coding = manual_id(project, "rina", "Ibu-ibu akseptor dikumpulkan di rumah kepala desa")
    other = project.workbench(DOC, coder="budi")
    row = coding_row(project, coding)
    before = counts(wb)
    assert wb.handle({"action": "remove", "coding_id": coding}) == {"ok": True}
    assert coding not in doc_codings(project)
    assert coding not in shown(wb) and coding not in shown(other)
    assert counts(wb) == {**before, "leadership": before["leadership"] - 1} == counts(other)
    hist = last_history(project)
    assert (hist["action"], hist["coder"], hist["target_id"]) == ("uncode", "rina", str(coding))
    assert "undo" in wb.message["text"]
    # removing it again is an error, and writes nothing
    dump = project.dump()
    assert_error(wb, wb.handle({"action": "remove", "coding_id": coding}), "StoreError")
    assert project.dump() == dump
    # project.undo restores it (same id); the widget shows it after a refresh
    undone = project.undo("rina")
    assert undone["action"] == "uncode" and undone["target_id"] == str(coding)
    assert coding_row(project, coding) == row
    assert wb.handle({"action": "refresh"}) == {"ok": True}
    assert coding in shown(wb) and counts(wb) == before


def test_remove_by_another_coder_is_theirs_to_undo(project: Project) -> None:
    coding = manual_id(project, "rina", "Saya ditunjuk jadi ketua")
    wb = project.workbench(DOC, coder="budi")
    assert wb.handle({"action": "remove", "coding_id": coding})["ok"]
    assert last_history(project)["coder"] == "budi"
    project.undo("budi")
    assert coding in doc_codings(project)


# --------------------------------------------------------------------------- 5. suggestions
def test_suggestions_mode_lists_the_documents_suggestions(project: Project,
                                                          wb: Workbench) -> None:
    assert wb.suggestions == []
    dump = project.dump()
    reply = wb.handle({"action": "mode", "mode": "suggestions", "strategy": "top"})
    assert reply == {"ok": True}
    assert (wb.mode, wb.strategy) == ("suggestions", "top")
    expected = project.suggest(10**6, "top", doc_id=DOC)
    assert [s["suggestion_id"] for s in wb.suggestions] == list(expected["suggestion_id"])
    assert wb.suggestions, "the rules suggest codes in this interview"
    text = project.document(DOC).text
    confidences = [s["confidence"] for s in wb.suggestions]
    assert confidences == sorted(confidences, reverse=True)
    for s in wb.suggestions:
        assert 0 <= s["start"] < s["end"] <= len(text)
        assert s["text"] == text[s["start"]:s["end"]]
        assert s["label"] == project.codebook[s["code_id"]].label_en
    # the suggested passages are cut out in the layout, so they can be outlined
    edges = {p["start"] for p in pieces(wb)} | {len(text)}
    assert all(s["start"] in edges and s["end"] in edges for s in wb.suggestions)
    # no suggestion is one already reviewed or on a passage a human coded
    human = project.codings(origin="manual")
    human = human[human["doc_id"] == DOC]
    spans = set(zip(human["start"], human["end"], strict=True))
    assert not {(s["start"], s["end"]) for s in wb.suggestions} & spans
    assert project.dump() != dump  # the draws are remembered (their strategy, for reviews)
    assert wb.handle({"action": "mode", "mode": "code"})["ok"]
    assert wb.suggestions == []


def test_accept_and_reject_are_reviews_by_the_widgets_coder(project: Project,
                                                            wb: Workbench) -> None:
    other = project.workbench(DOC, coder="budi")
    wb.handle({"action": "mode", "mode": "suggestions"})
    by_span = {(s["start"], s["end"]): s for s in reversed(wb.suggestions)}
    first, second, third = list(by_span.values())[:3]  # on three passages
    n_reviews = len(project.reviews())
    # accept as suggested
    reply = wb.handle({"action": "accept", "suggestion_id": first["suggestion_id"]})
    assert reply["ok"] and isinstance(reply["coding_id"], int)
    accepted = coding_row(project, reply["coding_id"])
    assert (accepted["coder"], accepted["origin"], accepted["code_id"], accepted["start"],
            accepted["end"]) == ("rina", "reviewed", first["code_id"], first["start"],
                                 first["end"])
    assert reply["coding_id"] in shown(wb) and reply["coding_id"] in shown(other)
    # accept with another code and valence, and a memo
    reply2 = wb.handle({"action": "accept", "suggestion_id": second["suggestion_id"],
                        "code_id": "other", "valence": "negative", "memo": "not this"})
    assert reply2["ok"]
    changed = coding_row(project, reply2["coding_id"])
    assert (changed["code_id"], changed["valence"], changed["origin"]) == (
        "other", "negative", "reviewed")
    assert project.coding_memos(DOC)[reply2["coding_id"]] == "not this"
    # reject
    assert wb.handle({"action": "reject", "suggestion_id": third["suggestion_id"],
                      "memo": "no"}) == {"ok": True}
    reviews = project.reviews().iloc[n_reviews:].to_dict("records")
    for r in reviews:
        r["coding_id"] = None if pd.isna(r["coding_id"]) else int(r["coding_id"])
        r["code_id"] = r["code_id"] if isinstance(r["code_id"], str) else None
    assert [(r["suggestion_id"], r["decision"], r["coder"], r["code_id"], r["coding_id"])
            for r in reviews] == [
        (first["suggestion_id"], "accepted", "rina", first["code_id"], reply["coding_id"]),
        (second["suggestion_id"], "accepted", "rina", "other", reply2["coding_id"]),
        (third["suggestion_id"], "rejected", "rina", None, None),
    ]
    assert reviews[2]["suggested_code"] == third["code_id"]
    assert reviews[1]["suggested_code"] == second["code_id"]
    assert reviews[2]["memo"] == "no"
    assert {r["strategy"] for r in reviews} == {"uncertain"}
    # the reviewed suggestions left the list
    left = {s["suggestion_id"] for s in wb.suggestions}
    assert not left & {first["suggestion_id"], second["suggestion_id"], third["suggestion_id"]}
    hist = project.history(action="review")
    assert list(hist["coder"].iloc[-3:]) == ["rina"] * 3
    # reviewing one twice is an error, and writes nothing
    for message in ({"action": "accept", "suggestion_id": first["suggestion_id"]},
                    {"action": "reject", "suggestion_id": third["suggestion_id"]}):
        dump = project.dump()
        assert_error(wb, wb.handle(message), "StoreError")
        assert project.dump() == dump
    assert len(project.reviews()) == n_reviews + 3


def test_a_suggestion_reviewed_in_another_workbench(project: Project, wb: Workbench) -> None:
    other = project.workbench(DOC, coder="budi")
    for w in (wb, other):
        w.handle({"action": "mode", "mode": "suggestions"})
    target = wb.suggestions[0]["suggestion_id"]
    assert other.handle({"action": "reject", "suggestion_id": target})["ok"]
    assert target not in {s["suggestion_id"] for s in wb.suggestions}  # refreshed
    dump = project.dump()
    assert_error(wb, wb.handle({"action": "accept", "suggestion_id": target}), "StoreError")
    assert project.dump() == dump


@SQLITE_ONLY
def test_a_manual_coding_is_no_suggestion(project: Project, wb: Workbench) -> None:
    coding = manual_id(project, "budi", "Saya ditunjuk jadi ketua")
    dump = project.dump()
    reply = wb.handle({"action": "accept", "suggestion_id": coding})
    assert_error(wb, reply, "StoreError")
    assert project.dump() == dump


@SQLITE_ONLY
def test_no_suggestions_without_the_automatic_coder(project: Project) -> None:
    wb = project.workbench(DOC, coder="rina", suggested_by="learned")
    assert wb.handle({"action": "mode", "mode": "suggestions"}) == {"ok": True}
    assert wb.suggestions == []


# --------------------------------------------------------------------------- 6. view
@SQLITE_ONLY
def test_view_filters_codings_and_counts(project: Project, wb: Workbench) -> None:
    everything = shown(wb)
    frame = project.codings()
    frame = frame[frame["doc_id"] == DOC]
    leadership = set(frame.loc[frame["factor"] == "leadership", "coding_id"].astype(int))
    cases: list[tuple[dict[str, Any], set[int]]] = [
        ({"coder": ["rina"]}, doc_codings(project, coder="rina")),
        ({"coder": "budi"}, doc_codings(project, coder="budi")),
        ({"coder": ["rina", "budi"]}, doc_codings(project, coder=["rina", "budi"])),
        ({"origin": ["auto"]}, doc_codings(project, origin="auto")),
        ({"origin": ["manual"]}, doc_codings(project, origin="manual")),
        ({"code": "leadership"}, leadership),
        ({"code": "leadership.meetings"},
         doc_codings(project, code="leadership.meetings")),
        ({"coder": ["rina"], "code": "leadership"},
         doc_codings(project, coder="rina") & leadership),
        ({"origin": ["manual"], "coder": ["auto"]}, set()),
        ({}, everything),
    ]
    for view, expected in cases:
        assert wb.handle({"action": "view", **view}) == {"ok": True}, view
        assert shown(wb) == expected, view
        assert counts(wb) == expected_counts(wb), view
        assert sum(counts(wb).values()) == len(expected), view
    # a factor keeps its sub-codes: rina's leadership.meetings coding is under leadership
    meeting = manual_id(project, "rina", "Ibu-ibu akseptor dikumpulkan di rumah kepala desa")
    wb.handle({"action": "view", "code": "leadership", "coder": ["rina"]})
    assert meeting in shown(wb)
    assert {c["code_id"] for c in wb.codings} == {"leadership", "leadership.meetings"}
    assert {f for f, n in counts(wb).items() if n} == {"leadership"}
    assert wb.view == {"coder": ["rina"], "origin": [], "code": "leadership"}
    # the layout draws only what the view shows
    ids = {i for p in pieces(wb) for i in p["ids"]}
    assert ids == shown(wb)
    # bad filters are errors that keep the view
    for message, kind in (({"action": "view", "origin": ["human"]}, "ParameterError"),
                          ({"action": "view", "code": "leadership.nope"}, "UnknownCodeError"),
                          ({"action": "view", "coder": 3}, "ParameterError")):
        assert_error(wb, wb.handle(message), kind)
        assert wb.view == {"coder": ["rina"], "origin": [], "code": "leadership"}
        assert meeting in shown(wb)


@SQLITE_ONLY
def test_the_view_is_kept_after_coding(project: Project, wb: Workbench) -> None:
    wb.handle({"action": "view", "coder": ["budi"]})
    start, end = span_of(project, "Saya ditunjuk jadi ketua")
    reply = wb.handle({"action": "code", "start": start, "end": end, "code_id": "stage"})
    assert reply["ok"]
    assert reply["coding_id"] not in shown(wb)  # rina's, hidden by the view
    assert shown(wb) == doc_codings(project, coder="budi")


# --------------------------------------------------------------------------- 7. consistency
def test_two_workbenches_on_one_project(project: Project, wb: Workbench) -> None:
    other = project.workbench(DOC, coder="budi")
    elsewhere = project.workbench(OTHER_DOC, coder="budi")
    start, end = span_of(project, "Jalan dari simpang itu memang berlubang semua")
    reply = wb.handle({"action": "code", "start": start, "end": end, "code_id": "other",
                       "memo": "the road"})
    assert reply["ok"]
    # the other workbench follows without refresh: codings, counts, layout
    assert reply["coding_id"] in shown(other)
    assert other.codings == wb.codings and other.counts == wb.counts
    assert other.blocks == wb.blocks
    # one on another document gets the new state too (it is read again)
    assert elsewhere.coders == wb.coders
    assert shown(elsewhere) == doc_codings(project, OTHER_DOC)
    # and the other way round
    reply2 = other.handle({"action": "remove", "coding_id": reply["coding_id"]})
    assert reply2["ok"] and reply["coding_id"] not in shown(wb)
    assert wb.codings == other.codings


@SQLITE_ONLY
def test_a_closed_workbench_is_not_refreshed(project: Project, wb: Workbench) -> None:
    closed = project.workbench(DOC, coder="budi")
    closed.close()
    revision = closed.revision
    start, end = span_of(project, "Jalan dari simpang itu memang berlubang semua")
    reply = wb.handle({"action": "code", "start": start, "end": end, "code_id": "other"})
    assert reply["ok"] and reply["coding_id"] in shown(wb)
    assert closed.revision == revision


def coded_in_one_seen_in_other(first: Project, second: Project
                               ) -> tuple[Workbench, Workbench]:
    """A workbench on each project object; a coding made in the first is shown by the
    second, which was not told."""
    wb1 = first.workbench(DOC, coder="rina")
    wb2 = second.workbench(DOC, coder="budi")
    start, end = span_of(first, "Jalan dari simpang itu memang berlubang semua")
    reply = wb1.handle({"action": "code", "start": start, "end": end, "code_id": "other"})
    assert reply["ok"]
    assert reply["coding_id"] in shown(wb2)
    return wb1, wb2


def test_two_project_objects_on_one_file(place: Callable[[str], str | Path],
                                         opened: Callable[[str | Path], Project]) -> None:
    target = place("p")
    first, second = opened(target), opened(target)
    wb1, wb2 = coded_in_one_seen_in_other(first, second)
    assert wb2.codings == wb1.codings
    coding = manual_id(second, "budi", "Saya ditunjuk jadi ketua")
    assert wb2.handle({"action": "recode", "coding_id": coding, "valence": "negative"})["ok"]
    assert next(c for c in wb1.codings if c["coding_id"] == coding)["valence"] == "negative"


@SQLITE_ONLY
def test_the_same_file_under_another_path(place: Callable[[str], str | Path],
                                          opened: Callable[[str | Path], Project],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    target = place("p")
    assert isinstance(target, Path)
    monkeypatch.chdir(target.parent)
    first, second = opened(target), opened(target.name)
    coded_in_one_seen_in_other(first, second)


def test_a_new_workbench_shows_the_same(project: Project, wb: Workbench) -> None:
    start, end = span_of(project, "Jalan dari simpang itu memang berlubang semua")
    wb.handle({"action": "code", "start": start, "end": end, "code_id": "other",
               "valence": "negative", "memo": "the road"})
    wb.handle({"action": "recode", "coding_id": manual_id(project, "rina",
                                                          "Saya ditunjuk jadi ketua"),
               "valence": "neutral"})
    again = project.workbench(DOC, coder="rina")
    for trait in ("documents", "doc_id", "title", "blocks", "codings", "codebook", "counts",
                  "coders", "coder", "view", "mode", "suggestions"):
        assert getattr(again, trait) == getattr(wb, trait), trait


def test_a_change_through_the_project_shows_after_refresh(project: Project,
                                                          wb: Workbench) -> None:
    start, end = span_of(project, "Jalan dari simpang itu memang berlubang semua")
    coding = project.code(DOC, start, end, "other", coder="sari", memo="direct")
    removed = manual_id(project, "budi", "Bunga asoka kan banyak di halaman orang sini")
    project.uncode(removed)
    revision = wb.revision
    assert wb.handle({"action": "refresh"}) == {"ok": True}
    assert wb.revision > revision
    assert shown(wb) == doc_codings(project)
    assert coding in shown(wb) and removed not in shown(wb)
    assert next(c for c in wb.codings if c["coding_id"] == coding)["memo"] == "direct"
    assert "sari" in wb.coders
    assert counts(wb) == expected_counts(wb)
    # refresh() called from Python does the same
    project.undo("budi")
    wb.refresh()
    assert removed in shown(wb)


@SQLITE_ONLY
def test_open_another_document(project: Project, wb: Workbench) -> None:
    wb.handle({"action": "select", "start": 3, "end": 10})
    assert wb.handle({"action": "open", "doc_id": OTHER_DOC}) == {"ok": True}
    assert wb.doc_id == OTHER_DOC and wb.selection == {}
    assert wb.title == (project.document(OTHER_DOC).title or OTHER_DOC)
    assert shown(wb) == doc_codings(project, OTHER_DOC)
    assert "".join(p["text"] for p in pieces(wb)) == project.document(OTHER_DOC).text
    # coding now goes to the open document
    sentence = project.segments(kind="sentence", doc_id=OTHER_DOC).iloc[5]
    reply = wb.handle({"action": "code", "start": int(sentence["start"]),
                       "end": int(sentence["end"]), "code_id": "stage"})
    assert coding_row(project, reply["coding_id"])["doc_id"] == OTHER_DOC


# --------------------------------------------------------------------------- 8. layout
def assert_layout(wb: Workbench, text: str) -> None:
    parts = pieces(wb)
    assert "".join(p["text"] for p in parts) == text
    assert parts[0]["start"] == 0 and parts[-1]["end"] == len(text)
    for a, b in itertools.pairwise(parts):
        assert a["end"] == b["start"]
    for p in parts:
        assert p["start"] < p["end"] and p["text"] == text[p["start"]:p["end"]]
    for c in wb.codings:
        inside = [p for p in parts if c["start"] <= p["start"] and p["end"] <= c["end"]]
        carrying = [p for p in parts if c["coding_id"] in p["ids"]]
        assert carrying == inside and inside, c
        assert "".join(p["text"] for p in inside) == c["text"]
    assert {i for p in parts for i in p["ids"]} <= shown(wb)


@SQLITE_ONLY
@pytest.mark.parametrize("doc_id", [DOC, OTHER_DOC, "asoka-obs-meeting",
                                    "melati-doc-loanledger"])
def test_the_layout_tiles_the_text(project: Project, doc_id: str) -> None:
    wb = project.workbench(doc_id, coder="rina")
    text = project.document(doc_id).text
    assert wb.codings, doc_id
    assert_layout(wb, text)
    wb.handle({"action": "mode", "mode": "suggestions"})
    assert_layout(wb, text)


def test_a_coding_across_turns_is_on_every_piece_it_covers(project: Project,
                                                           wb: Workbench) -> None:
    text = project.document(DOC).text
    start = text.index("Ibu sedang menggoreng?")
    end = text.index("Waalaikumsalam") + len("Waalaikumsalam")
    assert "\n\nI: " in text[start:end]
    reply = wb.handle({"action": "code", "start": start, "end": end, "code_id": "other"})
    assert reply["ok"]
    assert_layout(wb, text)
    labels = [p for block in wb.blocks for p in block["label"]
              if start <= p["start"] and p["end"] <= end]
    assert labels and all(reply["coding_id"] in p["ids"] for p in labels)


# --------------------------------------------------------------------------- 9. language
@SQLITE_ONLY
def test_lang_id_switches_labels_to_indonesian(project: Project, wb: Workbench) -> None:
    codebook = project.codebook
    wb.handle({"action": "mode", "mode": "suggestions"})
    assert all(c["label"] == codebook[c["code_id"]].label_en for c in wb.codebook)
    assert wb.handle({"action": "lang", "lang": "id"}) == {"ok": True}
    assert wb.lang == "id"
    assert all(c["label"] == codebook[c["code_id"]].label_id for c in wb.codebook)
    assert all(c["labels"] == {"en": codebook[c["code_id"]].label_en,
                               "id": codebook[c["code_id"]].label_id} for c in wb.codebook)
    assert all(c["label"] == codebook[c["code_id"]].label_id for c in wb.codings)
    assert all(c["label"] == codebook[c["factor"]].label_id for c in wb.counts)
    assert wb.suggestions
    assert all(s["label"] == codebook[s["code_id"]].label_id for s in wb.suggestions)
    notes = " ".join(p["note"] for p in pieces(wb))
    assert codebook["leadership"].label_id in notes
    assert codebook["leadership"].label_id != codebook["leadership"].label_en
    # a bad language is an error that keeps the labels
    assert_error(wb, wb.handle({"action": "lang", "lang": "ms"}), "ParameterError")
    assert wb.lang == "id"
    assert wb.handle({"action": "lang", "lang": "en"})["ok"]
    assert all(c["label"] == codebook[c["factor"]].label_en for c in wb.counts)
    # a workbench made in Indonesian
    made = project.workbench(DOC, coder="rina", lang="id")
    assert made.lang == "id"
    assert [c["label"] for c in made.codebook] == [c.label_id for c in codebook]
    assert all(c["label"] == codebook[c["factor"]].label_id for c in made.counts)


# --------------------------------------------------------------------------- 10. snap_span
WORD_JOINERS = "-'’_"


def is_word_char(char: str) -> bool:
    """What a word is made of (see :func:`snap_span`): letters, digits and the joiners of
    *anak-anak* and *Ma'ruf*."""
    return char.isalnum() or char in WORD_JOINERS


def at_boundary(text: str, i: int) -> bool:
    return not (0 < i < len(text) and is_word_char(text[i - 1]) and is_word_char(text[i]))


TEXTS = st.text(alphabet=st.sampled_from([*"ab kZ9é-'’_., \n\t:?", "\u00a0", "ß"]),
                max_size=40) | st.text(max_size=30)
OFFSETS = st.integers(min_value=-5, max_value=50)


@settings(max_examples=300, deadline=None)
@given(TEXTS, OFFSETS, OFFSETS)
@example("Pinjaman anak-anak lancar.", 11, 22)
@example("gulanya jangan banyak-banyak.", 3, 18)
@example("  x  ", 0, 5)
@example("Iqra'-nya. Ya", 2, 3)
def test_snap_span_properties(text: str, start: int, end: int) -> None:
    n = len(text)
    lo, hi = sorted((min(max(start, 0), n), min(max(end, 0), n)))
    visible = [i for i in range(lo, hi) if not text[i].isspace()]
    try:
        a, b = snap_span(text, start, end)
    except SpanError:
        assert not visible, "a selection with text in it is never refused"
        return
    assert 0 <= a < b <= n
    assert all(a <= i < b for i in visible)
    assert not text[a].isspace() and not text[b - 1].isspace()
    assert at_boundary(text, a) and at_boundary(text, b)
    assert snap_span(text, a, b) == (a, b)
    assert snap_span(text, end, start) == (a, b)  # order does not matter
    if visible:  # widened only over word characters
        assert all(is_word_char(c) for c in text[a:visible[0]])
        assert all(is_word_char(c) for c in text[visible[-1] + 1:b])


@settings(max_examples=200, deadline=None)
@given(TEXTS, OFFSETS, OFFSETS, st.lists(st.integers(min_value=0, max_value=45), max_size=8))
def test_snap_span_to_sentences(text: str, start: int, end: int, cuts: list[int]) -> None:
    edges = sorted({c for c in cuts if c <= len(text)})
    sentences = [(x, y) for x, y in itertools.pairwise(edges) if x < y]
    try:
        words = snap_span(text, start, end)
    except SpanError:
        with pytest.raises(SpanError):
            snap_span(text, start, end, sentences=sentences)
        return
    got = snap_span(text, start, end, sentences=sentences)
    touched = [(x, y) for x, y in sentences if x < words[1] and words[0] < y]
    if touched:
        assert got == (touched[0][0], touched[-1][1])
    else:
        assert got == words


def test_snap_span_examples() -> None:
    text = "Kata Ma'ruf: anak-anak  pulang.\n\nI: Ya."
    assert text[slice(*snap_span(text, 6, 8))] == "Ma'ruf"
    assert text[slice(*snap_span(text, 14, 15))] == "anak-anak"
    assert text[slice(*snap_span(text, 12, 25))] == "anak-anak  pulang"
    assert text[slice(*snap_span(text, 22, 33))] == "pulang."
    with pytest.raises(SpanError, match="'d1'"):
        snap_span(text, 31, 33, doc_id="d1")
    sentences = [(0, 31), (36, 39)]
    assert snap_span(text, 14, 15, sentences=sentences) == (0, 31)
    assert snap_span(text, 25, 37, sentences=sentences) == (0, 39)
    assert snap_span(text, 33, 34, sentences=sentences) == (33, 34)  # "I": no sentence


# --------------------------------------------------------------------------- 11. the browser side
def test_the_browser_code_never_parses_html() -> None:
    source = JS_PATH.read_text(encoding="utf-8")
    code = re.sub(r"//[^\n]*", "", source)  # comments may name what is not used
    for pattern in (r"innerHTML", r"outerHTML", r"insertAdjacentHTML", r"\beval\s*\(",
                    r"new\s+Function\s*\(", r"document\.write", r"createContextualFragment",
                    r"DOMParser", r"javascript:"):
        assert not re.search(pattern, code), pattern
    assert "textContent" in code
    # every action the browser sends is one the Python side knows
    sent = set(re.findall(r"action:\s*\"(\w+)\"", code))
    assert sent and sent <= set(ACTIONS)


def test_every_action_has_a_handler() -> None:
    assert all(callable(getattr(Workbench, f"_do_{action}", None)) for action in ACTIONS)


def test_the_automatic_coders_name_is_refused_before_it_has_coded(tmp_path: Path) -> None:
    with Project.create(tmp_path / "fresh.uqp", corpus=uq.load_corpus(CORPUS_DIR),
                        codebook=uq.load_codebook(CODEBOOK_PATH)) as proj:
        with pytest.raises(errors.ParameterError, match="automatic coder"):
            proj.workbench(DOC, coder="auto")
        wb = proj.workbench(DOC, coder="rina")
        before = proj.dump()
        reply = wb.handle({"action": "coder", "coder": "auto"})
        assert reply["ok"] is False and reply["type"] == "ParameterError"
        assert wb.coder == "rina" and proj.dump() == before
