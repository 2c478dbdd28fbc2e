"""The audit trail (issue 15, step 2): ``history`` rows, removed codings, undo, roles.

Every change writes exactly one history row in its own transaction (who, when, what,
old -> new), so a change that fails leaves none; ``uncode`` marks a coding removed (kept for the
history, invisible everywhere else); ``undo`` walks a coder's changes back, never another
coder's; the history exports as CSV and as a REFI-QDA note. Engine-neutral tests run on SQLite
and PostgreSQL (``engine`` in ``conftest.py``).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest_project import SMALL_BODIES, small_documents, tiny_codebook
from typer.testing import CliRunner

from uppks_qual import store
from uppks_qual.cli import app
from uppks_qual.errors import ParameterError, StoreError, UnknownCodeError
from uppks_qual.interop.refi import HISTORY_NOTE, validate_refi
from uppks_qual.project import Project, history_lines
from uppks_qual.records import ChangelogEntry, Codebook
from uppks_qual.store import schema4

DOC_A, DOC_B, DOC_C = SMALL_BODIES
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def versioned(version: str = "1.0", codes: Any = None) -> Codebook:
    """The tiny codebook with a change log, so codings record a codebook version."""
    log = tuple(ChangelogEntry(v, f"2026-0{i + 1}-01", f"version {v}")
                for i, v in enumerate(("1.0", "1.1")[:("1.0", "1.1").index(version) + 1]))
    return Codebook(tuple(codes if codes is not None else tiny_codebook()), name="tiny",
                    changelog=log)


def fill(proj: Project) -> None:
    """ana and budi code (both on melati-int-b, for agreement), ana writes a memo, rina is a
    reviewer, the rules code everything."""
    proj.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana", valence="positive")
    proj.code_quote(DOC_B, "Ketua jarang datang", "leadership", coder="ana", valence="negative")
    proj.code_quote(DOC_B, "Ketua jarang datang", "leadership", coder="budi")
    proj.code_quote(DOC_C, "Permodalan kelompok dibahas", "capital", coder="budi")
    proj.memo("capital", "first thoughts", author="ana")
    proj.add_coder("rina", "reviewer")
    proj.autocode(progress=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "template.uqp"
    with Project.create(path, corpus=small_documents(), codebook=versioned()) as proj:
        fill(proj)
    return path


@pytest.fixture
def project(template: Path, copy_to: Callable[..., Project]) -> Project:
    proj = copy_to(template)
    yield proj
    proj.close()


def coding_of(proj: Project, coder: str, doc_id: str) -> int:
    frame = proj.codings(coder=coder)
    return int(frame[frame["doc_id"] == doc_id]["coding_id"].iloc[0])


def last_id(proj: Project) -> int:
    frame = proj.history(limit=1)
    return int(frame["history_id"].iloc[0]) if len(frame) else 0


def rows_after(proj: Project, before: int) -> pd.DataFrame:
    frame = proj.history()
    return frame[frame["history_id"] > before].reset_index(drop=True)


def span(doc_id: str, words: str) -> tuple[int, int]:
    text = next(d.text for d in small_documents() if d.doc_id == doc_id)
    return text.index(words), text.index(words) + len(words)


# --------------------------------------------------------------------------- one row each
def _memo_id(p: Project) -> int:
    return int(p.memos()["memo_id"].iloc[0])


def _suggestion(p: Project) -> int:
    return int(p.suggest(1, "top")["suggestion_id"].iloc[0])


#: name -> (the change, expected (action, coder, target_type, target_id, old, new)); ``old`` and
#: ``new`` are checked as subsets of the row's dicts (None: the row's is None).
CHANGES: dict[str, Callable[[Project], tuple[Any, ...]]] = {
    "code": lambda p: ("code", "ana", "coding", str(p.code(DOC_A, 0, 2, "stage", coder="ana")),
                       None, {"doc_id": DOC_A, "start": 0, "end": 2, "code_id": "stage",
                              "origin": "manual", "codebook_version": "1.0"}),
    "code_quote": lambda p: ("code", "budi", "coding",
                             str(p.code_quote(DOC_A, "Pinjaman lancar", "capital.loan",
                                              coder="budi", valence="positive")),
                             None, {"code_id": "capital.loan", "valence": "positive"}),
    "uncode": lambda p: (p.uncode(i := coding_of(p, "ana", DOC_A)) or
                         ("uncode", "ana", "coding", str(i), {"code_id": "capital",
                                                              "valence": "positive"}, None)),
    "uncode by another coder": lambda p: (
        p.uncode(i := coding_of(p, "ana", DOC_A), coder="budi") or
        ("uncode", "budi", "coding", str(i), {"coder": "ana"}, None)),
    "recode valence": lambda p: (
        p.recode(i := coding_of(p, "ana", DOC_A), valence="negative") and
        ("recode", "ana", "coding", str(i), {"valence": "positive"}, {"valence": "negative"})),
    "recode code": lambda p: (
        p.recode(i := coding_of(p, "budi", DOC_C), code="capital.loan", coder="rina") and
        ("recode", "rina", "coding", str(i), {"code_id": "capital"},
         {"code_id": "capital.loan", "codebook_version": "1.0"})),
    "recode memo": lambda p: (
        p.recode(i := coding_of(p, "ana", DOC_A), memo="why") and
        ("recode", "ana", "coding", str(i), {"memo": None}, {"memo": "why"})),
    "memo": lambda p: ("memo", "budi", "memo", str(p.memo(DOC_A, "a note", on="document",
                                                          author="budi")),
                       None, {"on": "document", "target": DOC_A, "text": "a note"}),
    "edit_memo": lambda p: (p.edit_memo(i := _memo_id(p), "second thoughts") and
                            ("edit_memo", "ana", "memo", str(i), {"text": "first thoughts"},
                             {"text": "second thoughts"})),
    "mark_read": lambda p: (p.mark_read(pd.DataFrame({"doc_id": [DOC_C], "start": [0],
                                                      "end": [5]}), coder="ana") and
                            ("read", "ana", "reading", f"{DOC_C}:0-5", None,
                             {"doc_id": DOC_C, "start": 0, "end": 5})),
    "review": lambda p: (p.review(i := _suggestion(p), coder="rina") and
                         ("review", "rina", "suggestion", str(i), {"coder": "auto"},
                          {"decision": "accepted"})),
    "autocode": lambda p: (
        (n := len(p.codings(origin="auto"))) >= 0 and p.autocode(progress=False) and
        ("autocode", "auto", "coder", "auto", {"codings": n}, {"codings": n})),
    "import auto codings": lambda p: (
        (n := len(auto := p.codings(origin="auto"))) >= 0 and
        p.import_auto_codings(auto[["doc_id", "start", "end", "code_id", "valence",
                                    "confidence", "text"]].astype({"valence": object})) and
        ("autocode", "auto", "coder", "auto", {"codings": n}, {"codings": n})),
    "update_codebook": lambda p: (
        p.update_codebook(versioned("1.1"), by="ana") and
        ("update_codebook", "ana", "codebook", "tiny", {"version": "1.0"},
         {"version": "1.1"})),
    "set_attributes": lambda p: (p.set_attributes(DOC_A, wave=2, informant="Ibu Z") or
                                 ("set_attributes", None, "document", DOC_A,
                                  {"wave": None, "informant": "Ibu A"},
                                  {"wave": 2, "informant": "Ibu Z"})),
    "add_coder": lambda p: (p.add_coder("dewi", "admin", by="ana") or
                            ("add_coder", "ana", "coder", "dewi", None,
                             {"kind": "human", "role": "admin"})),
    "set_role": lambda p: (p.set_role("budi", "reviewer", by="ana") and
                           ("set_role", "ana", "coder", "budi", {"role": "coder"},
                            {"role": "reviewer"})),
    "set_meta": lambda p: (p.set_meta("note", "v1", by="ana") or
                           ("set_meta", "ana", "setting", "note", None, "v1")),
}


def subset(expected: Any, got: Any) -> bool:
    if expected is None or not isinstance(expected, dict):
        return bool(got == expected)
    return isinstance(got, dict) and all(got.get(k) == v for k, v in expected.items())


@pytest.mark.parametrize("name", CHANGES)
def test_each_change_writes_exactly_one_history_row(project: Project, name: str) -> None:
    before = last_id(project)
    action, coder, target_type, target_id, old, new = CHANGES[name](project)
    rows = rows_after(project, before)
    assert len(rows) == 1, rows[["action", "target_type", "target_id"]]
    row = rows.iloc[0]
    assert (row["action"], row["coder"], row["target_type"], row["target_id"]) == (
        action, coder, target_type, target_id)
    assert subset(old, row["old"]), row["old"]
    assert subset(new, row["new"]), row["new"]
    assert row["at"].tzinfo is not None
    assert abs(pd.Timestamp.now(tz="UTC") - row["at"]) < pd.Timedelta(hours=1)


def test_what_a_run_and_a_codebook_change_record(project: Project) -> None:
    report = project.autocode(progress=False)
    run = project.history(action="autocode").iloc[-1]
    assert run["details"]["method"] == "rules" and run["details"]["unit"] == "sentence"
    assert run["details"]["codebook_version"] == "1.0"
    assert run["details"]["counts"] == report
    assert run["details"]["parameters"]["cross_fit"] is False
    smaller = [c for c in tiny_codebook() if c.code_id != "leadership.meetings"]
    relabelled = [dataclasses.replace(c, label_en="Capital") if c.code_id == "capital" else c
                  for c in smaller]
    project.update_codebook(versioned("1.1", relabelled), by="ana")
    change = project.history(action="update_codebook").iloc[-1]
    assert change["details"]["removed"] == ["leadership.meetings"]
    assert change["details"]["added"] == []
    assert change["details"]["changed"] == {"capital": ["label_en"], "stage": ["position"]}
    assert "codebook_changelog" in change["details"]["settings"]


def test_a_change_that_changes_nothing_writes_no_row(project: Project) -> None:
    before = last_id(project)
    i = coding_of(project, "ana", DOC_A)
    assert project.recode(i, valence="positive") == {}
    project.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana",
                       valence="positive")  # the same coding: its id, nothing written
    project.update_codebook(versioned())
    project.set_role("budi", "coder")
    project.edit_memo(_memo_id(project), "first thoughts")
    assert last_id(project) == before


def test_a_new_coders_first_coding_registers_them(project: Project) -> None:
    before = last_id(project)
    project.code(DOC_A, 0, 2, "stage", coder="citra")
    rows = rows_after(project, before)
    assert rows["action"].tolist() == ["add_coder", "code"]
    assert rows["coder"].tolist() == ["citra", "citra"]


def test_importing_codings_writes_a_row_per_coding_and_passage(project: Project,
                                                               tmp_path: Path) -> None:
    a, b = span(DOC_A, "Ketua rajin datang"), span(DOC_C, "Ketua membuka rapat")
    c = span(DOC_B, "Pinjaman belum lunas")
    path = tmp_path / "citra.csv"
    path.write_text("doc_id,start,end,code_id,valence\n"
                    f"{DOC_A},{a[0]},{a[1]},leadership,positive\n"
                    f"{DOC_C},{b[0]},{b[1]},leadership.meetings,neutral\n"
                    f"{DOC_B},{c[0]},{c[1]},,\n", encoding="utf-8")
    before = last_id(project)
    project.import_codings(path, coder="citra")
    rows = rows_after(project, before)
    assert rows["action"].value_counts().to_dict() == {"add_coder": 1, "code": 2, "read": 3}
    coded = rows[rows["action"] == "code"]
    assert {d["via"] for d in coded["details"]} == {"import"}
    assert {d["source"] for d in coded["details"]} == {str(path)}
    assert {n["codebook_version"] for n in coded["new"]} == {"1.0"}
    project.undo("citra")  # walks the import back one change at a time
    assert len(project.readings(coder="citra")) == 2


def test_import_attributes_writes_one_row_per_document_changed(project: Project,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "attributes.csv"
    path.write_text(f"doc_id,wave\n{DOC_A},1\n{DOC_B},2\n", encoding="utf-8")
    before = last_id(project)
    project.import_attributes(path, by="ana")
    rows = rows_after(project, before)
    assert rows["target_id"].tolist() == [DOC_A, DOC_B]
    assert rows["new"].tolist() == [{"wave": "1"}, {"wave": "2"}]
    assert set(rows["coder"]) == {"ana"}


# --------------------------------------------------------------------------- all or nothing
def _nothing(p: Project) -> None:
    return None


#: name -> (a change made first, the change that fails)
FAILING: dict[str, tuple[Callable[[Project], object], Callable[[Project], object]]] = {
    "uncode unknown": (_nothing, lambda p: p.uncode(99_999)),
    "uncode twice": (lambda p: p.uncode(coding_of(p, "ana", DOC_A)),
                     lambda p: p.uncode(int(p.history(action="uncode")["target_id"].iloc[-1]))),
    "recode unknown code": (_nothing, lambda p: p.recode(coding_of(p, "ana", DOC_A),
                                                         code="nope")),
    "recode an automatic coding": (_nothing, lambda p: p.recode(
        int(p.codings(origin="auto")["coding_id"].iloc[0]), valence="neutral")),
    "recode nothing": (_nothing, lambda p: p.recode(coding_of(p, "ana", DOC_A))),
    "recode onto a live coding": (
        lambda p: p.code_quote(DOC_A, "Modal kami bertambah", "capital.loan", coder="ana"),
        lambda p: p.recode(coding_of(p, "ana", DOC_A), code="capital.loan")),
    "edit unknown memo": (_nothing, lambda p: p.edit_memo(99, "x")),
    "non-admin sets a role": (lambda p: p.set_role("ana", "admin"),
                              lambda p: p.set_role("budi", "admin", by="rina")),
    "register a coder twice": (_nothing, lambda p: p.add_coder("ana")),
    "a bad role": (_nothing, lambda p: p.add_coder("dewi", "boss")),
    "undo with nothing to undo": (_nothing, lambda p: p.undo("nobody")),
    "undo by an auto coder": (_nothing, lambda p: p.undo("auto")),
}


@pytest.mark.parametrize("name", FAILING)
def test_a_failing_change_leaves_no_history_row(project: Project, name: str) -> None:
    first, failing = FAILING[name]
    first(project)
    before, dump = last_id(project), project.dump()
    with pytest.raises((StoreError, ParameterError, UnknownCodeError)):
        failing(project)
    assert last_id(project) == before
    assert project.dump() == dump


def test_a_write_failing_after_its_history_row_leaves_nothing(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    dump, before = project.dump(), last_id(project)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(store.Store, "_add_readings", broken)  # after the codings and rows
    with pytest.raises(RuntimeError, match="disk gone"):
        project.code(DOC_A, 0, 2, "stage", coder="dewi")
    assert last_id(project) == before
    assert project.dump() == dump


# --------------------------------------------------------------------------- removed codings
def test_uncode_keeps_the_coding_removed_and_hides_it(project: Project,
                                                      tmp_path: Path) -> None:
    i = coding_of(project, "budi", DOC_C)
    project.memo(str(i), "check", on="coding", author="budi")
    evidence = project.evidence(kind="all")
    assert i in set(evidence["coding_id"])
    project.uncode(i, coder="ana")
    assert i not in set(project.codings()["coding_id"])
    assert i not in set(project.evidence(kind="all")["coding_id"])
    assert "check" not in set(project.memos()["text"])
    removed = [line for line in project.dump().splitlines()
               if line.startswith('INSERT INTO "codings"') and f"({i}," in line]
    assert len(removed) == 1 and "'ana'" in removed[0]  # kept, removed by ana
    row = project.history(target=("coding", i)).iloc[-1]
    assert (row["action"], row["coder"], row["old"]["coder"]) == ("uncode", "ana", "budi")
    with pytest.raises(StoreError, match=rf"no coding with id {i}"):
        project.memo(str(i), "more", on="coding")
    out = project.export_qdpx(tmp_path / "p.qdpx")
    with zipfile.ZipFile(out) as archive:
        qde = archive.read("project.qde").decode("utf-8")
    assert qde.count("<Coding ") == len(project.codings())
    assert "check" not in qde


@pytest.mark.filterwarnings("ignore:no scope= given")
def test_a_removed_coding_is_out_of_agreement(project: Project) -> None:
    pair = ["ana", "budi"]
    before = project.agreement(pair, unit="character")
    i = project.code_quote(DOC_B, "Modal macet", "capital", coder="budi")
    assert not project.agreement(pair, unit="character").equals(before)
    project.uncode(i)
    pd.testing.assert_frame_equal(project.agreement(pair, unit="character"), before)


def test_the_same_passage_can_be_coded_again_after_removal(project: Project) -> None:
    i = coding_of(project, "ana", DOC_A)
    project.uncode(i)
    j = project.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana",
                           valence="neutral")
    assert j != i
    live = project.codings(coder="ana")
    assert live[live["doc_id"] == DOC_A]["valence"].tolist() == ["neutral"]
    assert project.history(action="code")["target_id"].tolist()[-1] == str(j)
    done = project.undo("ana")
    assert done["action"] == "code" and done["target_id"] == str(j)  # the second undone
    assert project.undo("ana")["target_id"] == str(i)  # then the removal: same id back
    assert coding_of(project, "ana", DOC_A) == i


def test_a_removed_coding_is_not_restored_over_a_live_one(project: Project) -> None:
    i = coding_of(project, "ana", DOC_A)
    project.uncode(i)
    j = project.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana")
    project.recode(j, valence="negative", coder="budi")  # ana's coding j is budi's change now
    with pytest.warns(UserWarning, match=rf"#\d+ uncode coding {i}: coding {j} codes the same "
                                         r"passage with 'capital' now"):
        done = project.undo("ana")
    assert done["action"] == "memo"
    assert {i, j} & set(project.codings()["coding_id"]) == {j}


def test_dropping_a_code_deletes_its_removed_codings(project: Project) -> None:
    i = project.code(DOC_A, 0, 2, "stage", coder="ana")
    project.memo(str(i), "gone with it", on="coding", author="ana")
    project.uncode(i)
    smaller = [c for c in tiny_codebook() if c.code_id != "stage"]
    report = project.update_codebook(versioned("1.1", smaller))
    assert report["removed"] == ["stage"]
    assert project.history(action="update_codebook").iloc[-1]["details"][
        "removed_codings_purged"] == 1
    assert not [line for line in project.dump().splitlines() if "gone with it" in line
                and line.startswith('INSERT INTO "memos"')]
    assert project.history(target=f"coding:{i}")["action"].tolist() == ["code", "uncode"]
    with pytest.warns(UserWarning, match=rf"uncode coding {i}: coding {i} no longer exists"):
        done = project.undo("ana")
    assert done["action"] == "memo"  # passed over the coding, undid the memo before it


def test_a_code_with_live_manual_codings_still_cannot_be_dropped(project: Project) -> None:
    smaller = [c for c in tiny_codebook() if c.code_id != "capital"]
    dump = project.dump()
    with pytest.raises(StoreError, match=r"capital \(2 manual codings\)"):
        project.update_codebook(versioned("1.1", [c for c in smaller
                                                  if c.parent != "capital"]))
    assert project.dump() == dump


# --------------------------------------------------------------------------- undo
def test_undo_walks_two_coders_back_without_crossing(project: Project) -> None:
    a = project.code(DOC_A, 0, 2, "stage", coder="ana")
    b = project.code(DOC_B, 0, 2, "stage", coder="budi")
    project.recode(a, valence="negative")
    project.uncode(b)
    m = project.memo(DOC_A, "ana's note", on="document", author="ana")
    steps = [("ana", "memo", str(m)), ("budi", "uncode", str(b)), ("ana", "recode", str(a)),
             ("budi", "code", str(b)), ("ana", "code", str(a))]
    for coder, action, target in steps:
        done = project.undo(coder)
        assert (done["action"], done["target_id"]) == (action, target)
        undo_row = project.history(action="undo").iloc[-1]
        assert undo_row["coder"] == coder and undo_row["target_type"] == "history"
        assert int(undo_row["target_id"]) == done["undone"]
    assert {a, b} & set(project.codings()["coding_id"]) == set()
    assert m not in set(project.memos()["memo_id"])
    undone = project.history(action="undo")["target_id"].astype(int)
    assert undone.is_unique  # no change undone twice
    # ana's earlier (template) changes come next, budi's are untouched by ana's undo
    budi_before = project.codings(coder="budi")
    project.undo("ana")
    pd.testing.assert_frame_equal(project.codings(coder="budi"), budi_before)


def test_undo_of_a_removal_restores_the_same_coding(project: Project) -> None:
    i = coding_of(project, "ana", DOC_A)
    row = project.codings(coder="ana").query("coding_id == @i")
    project.uncode(i)
    assert project.undo("ana")["action"] == "uncode"
    pd.testing.assert_frame_equal(project.codings(coder="ana").query("coding_id == @i"), row)


def test_undo_restores_values_memos_and_readings(project: Project) -> None:
    i = coding_of(project, "ana", DOC_A)
    project.recode(i, code="capital.loan", valence="neutral", memo="m")
    m = _memo_id(project)
    project.edit_memo(m, "changed")
    project.mark_read(pd.DataFrame({"doc_id": [DOC_C], "start": [0], "end": [5]}), coder="ana")
    before_read = len(project.readings(coder="ana"))
    project.undo("ana")
    assert len(project.readings(coder="ana")) == before_read - 1
    project.undo("ana")
    assert project.memos().set_index("memo_id").loc[m, "text"] == "first thoughts"
    project.undo("ana")
    row = project.codings(coder="ana").set_index("coding_id").loc[i]
    assert (row["code_id"], row["valence"]) == ("capital", "positive")


def test_undo_passes_over_what_cannot_be_undone(project: Project) -> None:
    project.update_codebook(versioned("1.1"), by="ana")
    i = project.code(DOC_A, 0, 2, "stage", coder="ana")
    project.set_meta("k", "v", by="ana")
    with pytest.warns(UserWarning, match=r"set_meta setting k: a setting change cannot be "
                                         r"undone"):
        assert project.undo("ana")["target_id"] == str(i)
    with pytest.warns(UserWarning, match=r"update_codebook codebook tiny: a codebook change "
                                         r"cannot be undone; load the previous codebook"):
        project.undo("ana")
    with pytest.raises(StoreError, match=r"coder 'auto' has no change that can be undone "
                                         r"\(passed over: #\d+ autocode coder auto: an "
                                         r"auto-coding run cannot be undone"):
        project.undo("auto")


def test_undo_passes_over_a_change_another_coder_changed_since(project: Project) -> None:
    i = project.code(DOC_A, 0, 2, "stage", coder="ana")
    project.recode(i, valence="positive", coder="budi")
    with pytest.warns(UserWarning, match=rf"coding {i} was changed since \(recode #\d+ by "
                                         r"budi\)"):
        done = project.undo("ana")
    assert done["action"] == "memo"  # ana's memo of the template, before the coding
    assert i in set(project.codings()["coding_id"])  # budi's change is not touched
    project.undo("budi")
    assert project.undo("ana")["target_id"] == str(i)  # now it can be undone


# --------------------------------------------------------------------------- the frame
def test_history_filters(project: Project) -> None:
    full = project.history()
    assert full["history_id"].is_monotonic_increasing
    assert list(full.columns) == list(store.HISTORY_COLUMNS)
    ana = project.history(coder="ana")
    assert set(ana["coder"]) == {"ana"} and len(ana) == (full["coder"] == "ana").sum()
    both = project.history(coder=["ana", "budi"], action=["code"])
    assert set(both["coder"]) == {"ana", "budi"} and set(both["action"]) == {"code"}
    i = coding_of(project, "ana", DOC_A)
    for target in (f"coding:{i}", ("coding", i)):
        assert project.history(target=target)["action"].tolist() == ["code"]
    assert set(project.history(target="coder")["action"]) == {"add_coder", "autocode"}
    assert project.history(limit=3)["history_id"].tolist() == full["history_id"].tolist()[-3:]
    middle = full["at"].iloc[len(full) // 2]
    since = project.history(since=middle)
    assert since["history_id"].tolist() == full[full["at"] >= middle]["history_id"].tolist()
    until = project.history(until=middle.tz_localize(None))  # naive: UTC
    assert until["history_id"].tolist() == full[full["at"] <= middle]["history_id"].tolist()
    assert project.history(since="2999-01-01").empty
    with pytest.raises(ParameterError, match="'action' parameter"):
        project.history(action="delete")
    with pytest.raises(ParameterError, match="'limit' parameter"):
        project.history(limit=0)
    with pytest.raises(ParameterError, match="'since' parameter"):
        project.history(since="last tuesday")


def test_history_csv_round_trip(project: Project, tmp_path: Path) -> None:
    project.recode(coding_of(project, "ana", DOC_A), valence="neutral", memo="ünïcode ✓")
    path = project.export_history(tmp_path / "history.csv")
    back = pd.read_csv(path, dtype={"target_id": str, "coder": object},
                       keep_default_na=False, na_values=[""])
    frame = project.history()
    assert back["history_id"].tolist() == frame["history_id"].tolist()
    assert pd.to_datetime(back["at"], utc=True).tolist() == frame["at"].tolist()
    for column in ("old", "new", "details"):
        assert [json.loads(v) if isinstance(v, str) else None for v in back[column]] == \
            frame[column].tolist()
    assert back["target_id"].fillna("").tolist() == frame["target_id"].tolist()
    ana_only = project.export_history(tmp_path / "ana.csv", coder="ana")
    assert set(pd.read_csv(ana_only)["coder"]) == {"ana"}


# --------------------------------------------------------------------------- roles, versions
def test_roles(project: Project) -> None:
    assert project.coders().set_index("coder").loc["rina", "role"] == "reviewer"
    project.add_coder("dewi", "admin")  # the first admin: anyone may name one
    with pytest.raises(StoreError, match=r"only an admin \(dewi\) may give 'budi' the role "
                                         r"reviewer; asked by no coder"):
        project.set_role("budi", "reviewer")
    with pytest.raises(StoreError, match=r"asked by 'rina', who is not an admin"):
        project.add_coder("eko", by="rina")
    assert project.set_role("budi", "reviewer", by="dewi") == "coder"
    roles = project.coders().set_index("coder")["role"].to_dict()
    assert roles == {"ana": "coder", "auto": "coder", "budi": "reviewer", "dewi": "admin",
                     "rina": "reviewer"}
    with pytest.raises(ParameterError, match="'role' parameter"):
        project.set_role("budi", "chief", by="dewi")
    with pytest.raises(StoreError, match="no coder 'nobody'"):
        project.set_role("nobody", "coder", by="dewi")


def test_every_write_path_records_the_codebook_version(project: Project,
                                                       tmp_path: Path) -> None:
    assert set(project.codings()["codebook_version"]) == {"1.0"}
    earlier = coding_of(project, "ana", DOC_A)
    project.update_codebook(versioned("1.1"))
    new = [project.code(DOC_A, 0, 2, "stage", coder="ana"),
           project.review(_suggestion(project), coder="rina")]
    i = coding_of(project, "budi", DOC_C)
    project.recode(i, code="capital.loan")
    project.autocode(progress=False)
    frame = project.codings().set_index("coding_id")
    assert set(frame.loc[[*new, i], "codebook_version"]) == {"1.1"}
    assert set(frame[frame["origin"] == "auto"]["codebook_version"]) == {"1.1"}
    assert frame.loc[earlier, "codebook_version"] == "1.0"


# --------------------------------------------------------------------------- REFI-QDA
def test_refi_export_carries_the_history_in_a_note(project: Project, tmp_path: Path) -> None:
    project.uncode(coding_of(project, "ana", DOC_A))
    plain = project.export_qdpx(tmp_path / "plain.qdpx")
    with_history = project.export_qdpx(tmp_path / "history.qdpx", history=True)
    assert validate_refi(with_history) == []
    with zipfile.ZipFile(plain) as archive:
        assert HISTORY_NOTE not in archive.read("project.qde").decode("utf-8")
    with zipfile.ZipFile(with_history) as archive:
        qde = archive.read("project.qde").decode("utf-8")
    assert f'name="{HISTORY_NOTE}"' in qde
    lines = history_lines(project.history())
    assert len(lines) == len(project.history())
    assert lines[-1].split(" ")[2:4] == ["ana", "uncode"]
    ns = {"q": "urn:QDA-XML:project:1.0"}
    notes = {n.get("name"): n.find("q:PlainTextContent", ns).text  # type: ignore[union-attr]
             for n in ET.fromstring(qde).iterfind("q:Notes/q:Note", ns)}
    assert notes[HISTORY_NOTE] == "\n".join(lines)


# --------------------------------------------------------------------------- migration
def _schema4_copy(source: Path, dest: Path) -> None:
    """A schema-4 file at ``dest`` holding ``source``'s rows (as ``test_migrations`` does)."""
    src, out = sa.create_engine(f"sqlite:///{source}"), sa.create_engine(f"sqlite:///{dest}")
    try:
        with src.connect() as a, out.begin() as b:
            schema4.metadata.create_all(b)
            for table in schema4.metadata.sorted_tables:
                rows = a.execute(sa.select(*(sa.column(c.name) for c in table.c))
                                 .select_from(sa.table(table.name))
                                 .where(sa.text("removed IS NULL") if table.name == "codings"
                                        else sa.true())).mappings().all()
                if rows:
                    b.execute(table.insert(), [dict(r) for r in rows])
            b.execute(sa.text("UPDATE meta SET value = '4' WHERE key = 'schema_version'"))
    finally:
        src.dispose()
        out.dispose()


@SQLITE_ONLY
def test_a_schema_4_project_upgrades_then_records_history(template: Path, tmp_path: Path,
                                                          engine: str) -> None:
    old = tmp_path / "old.uqp"
    _schema4_copy(template, old)
    conn = sqlite3.connect(old)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'history'"
                        ).fetchone() == (0,)
    conn.close()
    with pytest.warns(UserWarning, match="upgraded the project from schema version 4 to 5"), \
            Project.open(old) as proj:
        assert proj.history().empty
        i = coding_of(proj, "ana", DOC_A)
        proj.uncode(i)
        assert proj.history()["action"].tolist() == ["uncode"]
        assert proj.undo("ana")["target_id"] == str(i)
        assert i in set(proj.codings()["coding_id"])


# --------------------------------------------------------------------------- command line
runner = CliRunner()


@SQLITE_ONLY
def test_cli_history_undo_and_coders(project: Project, tmp_path: Path, engine: str) -> None:
    i = coding_of(project, "ana", DOC_A)
    project.uncode(i)
    path = project.path
    project.close()
    shown = runner.invoke(app, ["history", "--project", str(path), "--coder", "ana"])
    assert shown.exit_code == 0, shown.output
    assert f"coding {i}" in shown.output and "uncode" in shown.output
    assert "budi" not in shown.output
    csv = tmp_path / "h.csv"
    written = runner.invoke(app, ["history", "--project", str(path), "--csv", str(csv)])
    assert written.exit_code == 0, written.output
    assert len(pd.read_csv(csv)) > 5
    undone = runner.invoke(app, ["undo", "--project", str(path), "--coder", "ana"])
    assert undone.exit_code == 0, undone.output
    assert "undid #" in undone.output and f"uncode coding {i} by ana" in undone.output
    nothing = runner.invoke(app, ["undo", "--project", str(path), "--coder", "nobody"])
    assert nothing.exit_code == 1 and "no change that can be undone" in nothing.output
    added = runner.invoke(app, ["coders", "--project", str(path), "--add", "dewi", "--role",
                                "admin"])
    assert added.exit_code == 0 and "registered dewi as admin" in added.output
    refused = runner.invoke(app, ["coders", "--project", str(path), "--set-role", "budi",
                                  "--role", "reviewer"])
    assert refused.exit_code == 1 and "only an admin (dewi)" in refused.output
    role = runner.invoke(app, ["coders", "--project", str(path), "--set-role", "budi",
                               "--role", "reviewer", "--by", "dewi"])
    assert role.exit_code == 0 and "budi: coder -> reviewer" in role.output
    with Project.open(path) as proj:
        assert coding_of(proj, "ana", DOC_A) == i
        assert proj.history()["action"].tolist()[-3:] == ["undo", "add_coder", "set_role"]
    exported = runner.invoke(app, ["export", "--project", str(path), "--out",
                                   str(tmp_path / "h.qdpx"), "--history"])
    assert exported.exit_code == 0, exported.output
    assert validate_refi(tmp_path / "h.qdpx") == []
