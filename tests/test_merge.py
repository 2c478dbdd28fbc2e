"""Merging projects coded apart (issue 15, step 4): ``Project.merge`` and ``uppks-qual merge``.

Two projects of the small corpus, coded by different coders on overlapping documents, merge
into a new one holding every coding once; differing document texts, codebook and coding
conflicts, coder kinds; all or nothing. Engine-neutral tests run on SQLite and PostgreSQL
(``engine`` in ``conftest.py``): the sources are copied onto the engine and merged there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest_project import SMALL_BODIES, new_project, small_documents, tiny_codebook
from typer.testing import CliRunner

from uppks_qual.cli import app
from uppks_qual.errors import MergeError, ParameterError, StoreError
from uppks_qual.project import Project
from uppks_qual.records import Codebook
from uppks_qual.store import is_project

DOC_A, DOC_B, DOC_C = SMALL_BODIES
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
KEY = ["doc_id", "start", "end", "code_id", "coder"]


def fill_ana(proj: Project) -> None:
    """ana codes A and B, with a memo on the first and one on a code."""
    ids = [proj.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana",
                           valence="positive"),
           proj.code_quote(DOC_B, "Ketua jarang datang", "leadership", coder="ana")]
    proj.memo(str(ids[0]), "clear growth", on="coding", author="ana")
    proj.memo("capital", "first thoughts", author="ana")


def fill_budi(proj: Project) -> None:
    """budi codes B and C, the same coding of ana's on A (made again), and the rules run."""
    proj.code_quote(DOC_B, "Ketua jarang datang", "leadership", coder="budi")
    proj.code_quote(DOC_C, "Permodalan kelompok dibahas", "capital", coder="budi")
    proj.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana", valence="positive")
    proj.autocode(progress=False)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("merge")
    out = {}
    for name, fill in (("ana", fill_ana), ("budi", fill_budi)):
        with new_project(folder / f"{name}.uqp") as proj:
            fill(proj)
        out[name] = folder / f"{name}.uqp"
    return out


@pytest.fixture
def pair(templates: dict[str, Path],
         copy_to: Callable[..., Project]) -> tuple[Project, Project]:
    ours, theirs = copy_to(templates["ana"], "ana"), copy_to(templates["budi"], "budi")
    yield ours, theirs
    ours.close()
    theirs.close()


def keys(proj: Project) -> list[tuple[object, ...]]:
    frame = proj.codings()
    return sorted(map(tuple, frame[KEY].astype(str).to_numpy().tolist()))


def test_merge_brings_every_coding_once(pair: tuple[Project, Project],
                                        new_target: Callable[[str], str | Path]) -> None:
    ours, theirs = pair
    out = new_target("merged")
    report = ours.merge(theirs, out=out, by="ana")
    with Project.open(out) as merged:
        expected = sorted(set(keys(ours)) | set(keys(theirs)))
        assert keys(merged) == expected
        n = report.counts["codings"]
        assert (n["ours"], n["theirs"], n["shared"]) == (2, len(theirs.codings()), 1)
        assert n["merged"] == n["ours"] + n["theirs"] - n["shared"] == len(expected)
        assert report.counts["documents"] == {"ours": 3, "theirs": 3, "shared": 3,
                                              "merged": 3}
        assert not report.conflicts and report.strategy == "strict"
        assert set(merged.coders()["coder"]) == {"ana", "budi", "auto"}
        memos = merged.memos()
        assert sorted(memos["text"]) == ["clear growth", "first thoughts"]
        on_coding = memos[memos["target_type"] == "coding"].iloc[0]
        coded = merged.codings().set_index("coding_id").loc[int(on_coding["target_id"])]
        assert (coded["coder"], coded["code_id"]) == ("ana", "capital")
        last = merged.history().iloc[-1]
        assert (last["action"], last["coder"]) == ("merge", "ana")
        assert last["details"]["counts"]["codings"]["merged"] == len(expected)
        assert not merged.check_integrity()
        assert len(merged.evidence(coders=["ana", "budi"]))
    assert "codings: 2 + " in str(report) and "0 conflict(s)" in str(report)
    assert len(ours.codings()) == 2  # the sources are only read


def test_merge_with_itself_changes_nothing(pair: tuple[Project, Project],
                                           new_target: Callable[[str], str | Path]) -> None:
    _, theirs = pair
    out = new_target("self")
    report = Project.merge(theirs, theirs, out=out)
    with Project.open(out) as merged:
        assert keys(merged) == keys(theirs)
        assert len(merged.memos()) == len(theirs.memos())
        assert len(merged.history()) == len(theirs.history()) + 1
    assert report.counts["codings"]["shared"] == report.counts["codings"]["merged"]


def test_new_ids_follow_their_rows(tmp_path: Path) -> None:
    """The second project's codings get new ids; its memos and history follow them, and a
    coding of theirs can be undone in the merged project."""
    with new_project(tmp_path / "a.uqp") as a:
        a.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana")
    with new_project(tmp_path / "b.uqp") as b:
        cid = b.code_quote(DOC_C, "Permodalan kelompok dibahas", "capital", coder="budi")
        b.memo(str(cid), "budi's note", on="coding", author="budi")
    with Project.open(tmp_path / "a.uqp") as a:
        a.merge(tmp_path / "b.uqp", out=tmp_path / "c.uqp")
    with Project.open(tmp_path / "c.uqp") as c:
        new_id = int(c.codings(coder="budi")["coding_id"].iloc[0])
        assert new_id == 2
        assert c.memos().set_index("text").loc["budi's note", "target_id"] == str(new_id)
        assert c.undo("budi")["action"] == "memo"
        assert c.memos()["author"].tolist() == []
        done = c.undo("budi")
        assert (done["action"], done["target_id"]) == ("code", str(new_id))
        assert c.codings(coder="budi").empty


def test_differing_text_is_an_error_and_nothing_is_written(
        tmp_path: Path, engine: str, new_target: Callable[[str], str | Path]) -> None:
    docs = small_documents()
    changed = [dataclasses.replace(d, text=d.text.replace("Modal", "Dana"))
               if d.doc_id == DOC_A else d for d in docs]
    offset = docs[0].text.index("Modal")
    sources = [new_target("a"), new_target("b")]
    Project.create(sources[0], corpus=docs, codebook=tiny_codebook()).close()
    Project.create(sources[1], corpus=changed, codebook=tiny_codebook()).close()
    out = new_target("out")
    with Project.open(sources[0]) as a, pytest.raises(MergeError, match=(
            rf"{DOC_A}: differs at character {offset}")) as caught:
        a.merge(sources[1], out=out)
    assert [d["doc_id"] for d in caught.value.documents] == [DOC_A]
    assert caught.value.documents[0]["offset"] == offset
    assert not is_project(out)
    if engine == "sqlite":
        assert list(tmp_path.glob("*out*")) == []


def _renamed(label: str) -> Codebook:
    codes = [dataclasses.replace(c, label_en=label) if c.code_id == "capital" else c
             for c in tiny_codebook()]
    return Codebook(tuple(codes), name="tiny")


@pytest.mark.parametrize("strategy", ["strict", "ours", "theirs"])
def test_codebook_conflict(tmp_path: Path, strategy: str) -> None:
    with new_project(tmp_path / "a.uqp"):
        pass
    with new_project(tmp_path / "b.uqp", codebook=_renamed("Money")):
        pass
    out = tmp_path / "c.uqp"
    with Project.open(tmp_path / "a.uqp") as a:
        if strategy == "strict":
            with pytest.raises(MergeError, match=r"code 'capital': label_en 'Capital growth' "
                                                 r"!= 'Money'") as caught:
                a.merge(tmp_path / "b.uqp", out=out)
            assert [c.key for c in caught.value.conflicts] == ["'capital'"]
            assert not out.exists()
            return
        report = a.merge(tmp_path / "b.uqp", out=out, strategy=strategy)
    frame = report.to_frame()
    assert frame[["kind", "field", "ours", "theirs", "kept"]].values.tolist() == [
        ["code", "label_en", "Capital growth", "Money", strategy]]
    with Project.open(out) as c:
        label = c.codebook["capital"].label_en
    assert label == ("Capital growth" if strategy == "ours" else "Money")


@pytest.mark.parametrize("strategy", ["strict", "ours", "theirs"])
def test_coding_valence_conflict(tmp_path: Path, strategy: str) -> None:
    for name, valence in (("a", "positive"), ("b", "negative")):
        with new_project(tmp_path / f"{name}.uqp") as proj:
            proj.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana",
                            valence=valence)
    out = tmp_path / "c.uqp"
    with Project.open(tmp_path / "a.uqp") as a:
        if strategy == "strict":
            with pytest.raises(MergeError, match=r"coding asoka-int-a\[\d+:\d+\] 'capital' by "
                                                 r"ana: valence 'positive' != 'negative'"):
                a.merge(tmp_path / "b.uqp", out=out)
            assert not out.exists()
            return
        report = a.merge(tmp_path / "b.uqp", out=out, strategy=strategy)
    assert [(c.kind, c.kept) for c in report.conflicts] == [("coding", strategy)]
    with Project.open(out) as c:
        assert c.codings()["valence"].tolist() == [
            "positive" if strategy == "ours" else "negative"]


def test_coding_removed_on_one_side(tmp_path: Path) -> None:
    """A coding made before the projects parted and removed in one of them is a conflict."""
    with new_project(tmp_path / "a.uqp") as a:
        cid = a.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="ana")
    (tmp_path / "b.uqp").write_bytes((tmp_path / "a.uqp").read_bytes())
    with Project.open(tmp_path / "b.uqp") as b:
        b.uncode(cid)
    with Project.open(tmp_path / "a.uqp") as a:
        with pytest.raises(MergeError, match="removed None != "):
            a.merge(tmp_path / "b.uqp", out=tmp_path / "c.uqp")
        report = a.merge(tmp_path / "b.uqp", out=tmp_path / "c.uqp", strategy="theirs")
    assert report.counts["codings"]["merged"] == 0
    with Project.open(tmp_path / "c.uqp") as c:
        assert c.codings().empty
        assert c.undo("ana")["action"] == "uncode"  # the history came along
        assert len(c.codings()) == 1


def test_coder_of_another_kind_cannot_be_merged(tmp_path: Path) -> None:
    with new_project(tmp_path / "a.uqp") as a:
        a.code_quote(DOC_A, "Modal kami bertambah", "capital", coder="auto2")
    with new_project(tmp_path / "b.uqp") as b:
        b.autocode(coder="auto2", progress=False)
    with Project.open(tmp_path / "a.uqp") as a, pytest.raises(
            MergeError, match=r"coder 'auto2': kind 'human' != 'auto'"):
        a.merge(tmp_path / "b.uqp", out=tmp_path / "c.uqp", strategy="ours")
    assert not (tmp_path / "c.uqp").exists()


def test_out_must_be_new(tmp_path: Path, templates: dict[str, Path]) -> None:
    with Project.open(templates["ana"]) as a:
        with pytest.raises(StoreError, match="must be a new project"):
            a.merge(templates["budi"], out=templates["ana"], overwrite=True)
        with pytest.raises(ParameterError, match="strategy"):
            a.merge(templates["budi"], out=tmp_path / "c.uqp", strategy="newest")


def test_cli_merge(tmp_path: Path, templates: dict[str, Path]) -> None:
    runner = CliRunner()
    out = tmp_path / "c.uqp"
    result = runner.invoke(app, ["merge", str(templates["ana"]), str(templates["budi"]),
                                 "--out", str(out), "--by", "ana"])
    assert result.exit_code == 0, result.output
    assert "codings: 2 + " in result.output and "0 conflict(s)" in result.output
    with new_project(tmp_path / "x.uqp", codebook=_renamed("Money")):
        pass
    result = runner.invoke(app, ["merge", str(templates["ana"]), str(tmp_path / "x.uqp"),
                                 "--out", str(tmp_path / "d.uqp")])
    assert result.exit_code == 1
    assert "code 'capital': label_en" in result.output
    assert not (tmp_path / "d.uqp").exists()
    result = runner.invoke(app, ["merge", str(templates["ana"]), str(tmp_path / "x.uqp"),
                                 "--out", str(tmp_path / "d.uqp"), "--strategy", "theirs"])
    assert result.exit_code == 0, result.output
    assert "(kept theirs)" in result.output
