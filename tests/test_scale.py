"""Tests for :mod:`uppks_qual.scale`: auto-coding on Dask gives exactly the in-process coder's
codings, on a two-worker ``LocalCluster`` and in Dask's local process pool, and its Parquet
output imports into a project.

The bundled corpus is an illustrative reconstruction (not field data); what is checked is
that the Dask path and the project code it identically.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest_project import REAL_CODEBOOK_PATH, REAL_CORPUS_DIR, real_codebook, real_corpus

import uppks_qual as uq
from uppks_qual.errors import (
    CoderError,
    CorpusError,
    FrontMatterError,
    ImportProblem,
    LimitError,
    OutputError,
    ParameterError,
    StoreError,
)
from uppks_qual.project import Project
from uppks_qual.scale import PARQUET_COLUMNS, coding_files

KEY = ["doc_id", "start", "end", "code_id"]
#: What the project and the Parquet output must agree on, column for column.
SAME = ["doc_id", "group", "village", "source_type", "informant_role", "informant", "case",
        "speaker", "kind", "start", "end", "code_id", "factor", "valence", "coder", "origin",
        "confidence", "text"]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame[SAME]`` as plain objects (no categoricals, missing as None), sorted by KEY."""
    out = frame[SAME].astype({c: object for c in SAME if c not in
                              ("start", "end", "confidence")})
    out = out.where(out.notna(), None)
    return out.sort_values(KEY, kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def cluster_client() -> Iterator[object]:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The bundled corpus rule-coded by the project (one process)."""
    path = tmp_path_factory.mktemp("scale") / "p.uqp"
    proj = Project.create(path, corpus=real_corpus(), codebook=real_codebook())
    proj.autocode()
    yield proj
    proj.close()


@pytest.fixture(scope="module")
def on_cluster(cluster_client: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cluster") / "codings.parquet"
    return uq.autocode_corpus(REAL_CORPUS_DIR, REAL_CODEBOOK_PATH, out=out,
                              client=cluster_client, files_per_partition=4)


def test_the_cluster_codes_exactly_as_the_project(on_cluster: Path,
                                                  in_process: Project) -> None:
    dask_codings = uq.read_codings(on_cluster, lazy=False)
    project_codings = in_process.codings(coder="auto")
    assert len(project_codings) > 1000
    pd.testing.assert_frame_equal(_plain(dask_codings), _plain(project_codings))


def test_the_output_is_partitioned_parquet_read_lazily(on_cluster: Path) -> None:
    import dask.dataframe as dd

    files = sorted(on_cluster.glob("*.parquet"))
    assert len(files) == -(-len(coding_files(REAL_CORPUS_DIR)) // 4)  # one per 4 files
    lazy = uq.read_codings(on_cluster)
    assert isinstance(lazy, dd.DataFrame)
    assert list(lazy.columns) == list(PARQUET_COLUMNS)
    assert lazy.npartitions == len(files)
    assert isinstance(lazy["factor"].dtype, pd.CategoricalDtype)  # the codebook's order
    counts = lazy.groupby("factor", observed=True).size().compute()
    eager = pd.read_parquet(on_cluster)
    counts.index = counts.index.astype(str)
    pd.testing.assert_series_equal(counts.sort_index(),
                                   eager.groupby("factor").size(), check_names=False,
                                   check_index_type=False)


def test_the_local_process_pool_writes_the_same_codings(on_cluster: Path,
                                                        tmp_path: Path) -> None:
    out = uq.autocode_corpus(REAL_CORPUS_DIR, real_codebook(), out=tmp_path / "c.parquet",
                             files_per_partition=10)
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(on_cluster))


def test_a_glob_with_the_manifest_codes_the_same(on_cluster: Path, tmp_path: Path) -> None:
    out = uq.autocode_corpus(f"{REAL_CORPUS_DIR}/**/*.txt", REAL_CODEBOOK_PATH,
                             out=tmp_path / "g.parquet",
                             manifest=REAL_CORPUS_DIR / "corpus.yaml")
    # the bundled documents are .txt files: the same documents, the same codings
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(on_cluster))


def test_parquet_codings_import_into_a_project(on_cluster: Path, in_process: Project,
                                               tmp_path: Path) -> None:
    proj = Project.create(tmp_path / "imp.uqp", corpus=real_corpus(), codebook=real_codebook())
    # a human coding identical to an automatic one is kept, and the automatic one skipped
    first = pd.read_parquet(on_cluster).iloc[0]
    proj.code(first["doc_id"], int(first["start"]), int(first["end"]), first["code_id"],
              coder="rina", valence="positive")
    counts = proj.import_auto_codings(on_cluster)
    assert counts["skipped_manual"] == 1
    assert counts["codings"] == len(in_process.codings(coder="auto")) - 1
    manual = proj.codings(coder="rina")
    assert len(manual) == 1 and manual["valence"].iloc[0] == "positive"
    imported = proj.codings(coder="auto")
    expected = in_process.codings(coder="auto")
    expected = expected[~((expected["doc_id"] == first["doc_id"])
                          & (expected["start"] == first["start"])
                          & (expected["code_id"] == first["code_id"]))]
    pd.testing.assert_frame_equal(_plain(imported), _plain(expected))
    # importing again replaces, never duplicates
    assert proj.import_auto_codings(on_cluster) == counts
    assert len(proj.codings(coder="auto")) == len(imported)
    proj.close()


def test_an_import_that_does_not_fit_changes_nothing(on_cluster: Path, tmp_path: Path) -> None:
    proj = Project.create(tmp_path / "p.uqp", corpus=real_corpus(), codebook=real_codebook())
    proj.import_auto_codings(on_cluster)
    before = proj.codings()
    frame = pd.read_parquet(on_cluster)
    bad = frame.copy()
    bad.loc[3, "text"] = "teks lain"
    bad.loc[7, "code_id"] = "no_such_code"
    bad.loc[9, "doc_id"] = "no-such-document"
    bad.loc[11, "end"] = 10**9
    with pytest.raises(ImportProblem) as info:
        proj.import_auto_codings(bad)
    message = str(info.value)
    for row, what in ((4, "text differs"), (8, "no_such_code"), (10, "no-such-document"),
                      (12, "outside the text")):
        assert f"row {row}: " in message and what in message
    assert "nothing was imported" in message
    with pytest.raises(ImportProblem, match="no column"):
        proj.import_auto_codings(frame.drop(columns=["text"]))
    proj.code(frame["doc_id"][0], 0, 5, frame["code_id"][0], coder="rina")
    with pytest.raises(StoreError, match="human"):
        proj.import_auto_codings(on_cluster, coder="rina")
    pd.testing.assert_frame_equal(proj.codings(coder="auto"), before)
    proj.close()


def test_an_existing_output_is_not_replaced_unless_asked(on_cluster: Path,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    shutil.copytree(on_cluster, out)
    with pytest.raises(OutputError, match="already exists"):
        uq.autocode_corpus(REAL_CORPUS_DIR, REAL_CODEBOOK_PATH, out=out)
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match="not a Parquet folder"):
        uq.autocode_corpus(REAL_CORPUS_DIR, REAL_CODEBOOK_PATH, out=other, overwrite=True)
    assert (other / "mine.txt").read_text(encoding="utf-8") == "keep me"
    with pytest.raises(OutputError, match="does not exist"):
        uq.autocode_corpus(REAL_CORPUS_DIR, REAL_CODEBOOK_PATH, out=tmp_path / "x" / "c")


def test_a_bad_file_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(REAL_CORPUS_DIR, folder)
    (folder / "asoka" / "broken.txt").write_text("---\nid: broken\n---\nteks\n",
                                                 encoding="utf-8")
    out = tmp_path / "c.parquet"
    with pytest.raises(CorpusError, match=r"broken\.txt"):
        uq.autocode_corpus(folder, REAL_CODEBOOK_PATH, out=out, files_per_partition=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # no output, no partial


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"paths_or_glob": "nowhere/**/*.txt"}, CorpusError, "matches no file"),
    ({"paths_or_glob": "no-such-folder"}, CorpusError, "no such file"),
    ({"unit": "page"}, ParameterError, "unit"),
    ({"files_per_partition": 0}, ParameterError, "files_per_partition"),
    ({"coder": " auto"}, CoderError, "coder"),
])
def test_bad_arguments_are_named(tmp_path: Path, kwargs: dict, error: type,
                                 match: str) -> None:
    args = {"paths_or_glob": REAL_CORPUS_DIR, "codebook": REAL_CODEBOOK_PATH,
            "out": tmp_path / "c.parquet", **kwargs}
    with pytest.raises(error, match=match):
        uq.autocode_corpus(**args)
    assert not (tmp_path / "c.parquet").exists()


def test_read_codings_names_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such Parquet folder"):
        uq.read_codings(tmp_path / "none.parquet")


# --------------------------------------------------------------------------- command line
def _cli(*args: object, status: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(Path(sys.executable).parent / "uppks-qual"), *map(str, args)],
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-2000:]
    assert proc.returncode == status, (proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def test_the_command_line_writes_the_same_codings(on_cluster: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.parquet"
    proc = _cli("autocode-corpus", f"{REAL_CORPUS_DIR}/**/*.txt", "--codebook",
                REAL_CODEBOOK_PATH, "--manifest", REAL_CORPUS_DIR / "corpus.yaml", "--out", out,
                "--files-per-partition", 4)
    assert "Parquet partitions" in proc.stdout
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(on_cluster))
    proc = _cli("autocode-corpus", REAL_CORPUS_DIR, "--codebook", REAL_CODEBOOK_PATH, "--out",
                out, status=1)
    assert "already exists" in proc.stderr


def test_the_command_line_names_an_unreachable_scheduler(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = _cli("autocode-corpus", REAL_CORPUS_DIR, "--codebook", REAL_CODEBOOK_PATH, "--out",
                tmp_path / "c.parquet", "--scheduler", f"tcp://127.0.0.1:{port}", status=1)
    assert "cannot reach the Dask scheduler" in proc.stderr
    assert not (tmp_path / "c.parquet").exists()


def test_autocode_processes_on_the_command_line(tmp_path: Path) -> None:
    project = tmp_path / "p.uqp"
    _cli("autocode", "--project", project, "--corpus", REAL_CORPUS_DIR, "--codebook",
         REAL_CODEBOOK_PATH, "--processes", 2)
    with Project.open(project) as proj:
        assert len(proj.codings(coder="auto")) > 1000
    proc = _cli("autocode", "--project", tmp_path / "q.uqp", "--corpus", REAL_CORPUS_DIR,
                "--processes", 0, status=1)
    assert "--processes" in proc.stderr
    assert not (tmp_path / "q.uqp").exists()


def test_the_counting_functions_read_the_parquet_lazily(on_cluster: Path,
                                                        in_process: Project) -> None:
    """Counted by the workers, the Parquet codings give the project's counts: same rows,
    same order (factors in the codebook's order, groups in the manifest's)."""
    lazy = uq.read_codings(on_cluster)
    codings = in_process.codings(coder="auto")
    pd.testing.assert_frame_equal(uq.code_frequencies(lazy), uq.code_frequencies(codings))
    pd.testing.assert_frame_equal(uq.valence_balance(lazy), uq.valence_balance(codings))
    cases = uq.case_matrix(lazy)
    assert "unit" in cases.columns  # a column of the Parquet codings a project has not
    pd.testing.assert_frame_equal(cases.drop(columns=["unit"]), uq.case_matrix(codings))
    eager = uq.read_codings(on_cluster, lazy=False)
    pd.testing.assert_frame_equal(uq.code_frequencies(eager), uq.code_frequencies(codings))


# --------------------------------------------------------------------------- review 14
CHAIR = REAL_CORPUS_DIR / "asoka" / "asoka-int-chair.txt"
DEEP = """\
---
id: deep
group: Asoka
village: Durian Daun
source_type: interview
informant_role: chair
informant: Ibu X
date: 2004-01-01
meta: {x: %s}
---
P: Bagaimana modal kelompok?

I: Modal kami bertambah.
""" % ("[" * 110 + "]" * 110)


def _small_corpus(folder: Path, *names: str) -> Path:
    """``folder`` holding the bundled manifest and the bundled documents ``names``."""
    folder.mkdir(parents=True)
    shutil.copyfile(REAL_CORPUS_DIR / "corpus.yaml", folder / "corpus.yaml")
    for name in names:
        shutil.copyfile(next(REAL_CORPUS_DIR.rglob(name)), folder / name)
    return folder


def _no_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if autocode_corpus gets as far as building the Dask graph."""
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workers were started")

    monkeypatch.setattr("dask.dataframe.from_map", boom)


@pytest.mark.parametrize("named", ["folder", "files"])
def test_a_doc_id_in_two_files_is_refused_before_coding(tmp_path: Path, named: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _small_corpus(tmp_path / "corpus", "asoka-int-chair.txt", "melati-int-chair.txt")
    (folder / "copies").mkdir()
    copy = folder / "copies" / "zz-copy-of-chair.txt"
    shutil.copyfile(CHAIR, copy)
    _no_dask(monkeypatch)
    paths = [folder] if named == "folder" else [folder / "asoka-int-chair.txt", copy]
    with pytest.raises(FrontMatterError) as caught:
        uq.autocode_corpus(paths, REAL_CODEBOOK_PATH, out=tmp_path / "c.parquet",
                           manifest=folder / "corpus.yaml")
    message = str(caught.value)
    assert isinstance(caught.value, CorpusError)
    assert "duplicate document id 'asoka-int-chair'" in message
    assert str(folder / "asoka-int-chair.txt") in message and str(copy) in message
    assert "another id" in message  # what to do
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # nothing written


def test_a_doc_id_in_a_csv_and_a_text_file_is_found(tmp_path: Path) -> None:
    from uppks_qual.manifest import Manifest
    from uppks_qual.scale import check_doc_ids

    table = tmp_path / "talks.csv"
    table.write_text("doc_id,speaker,text\nother,I,Ya.\nasoka-int-chair,I,Ya.\n",
                     encoding="utf-8")
    (tmp_path / "nothing.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # the worker says
    check_doc_ids([CHAIR, tmp_path / "nothing.csv"], Manifest())
    with pytest.raises(FrontMatterError, match=rf"talks\.csv:3: duplicate document id "
                                               rf"'asoka-int-chair' \(also in {CHAIR}\)"):
        check_doc_ids([CHAIR, tmp_path / "nothing.csv", table], Manifest())


def test_a_file_named_twice_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REAL_CORPUS_DIR.parent)
    once = coding_files(REAL_CORPUS_DIR / "asoka")
    twice = coding_files([f"{REAL_CORPUS_DIR.name}/asoka", f"{REAL_CORPUS_DIR}/asoka/*.txt"])
    assert len(twice) == len(once) == 13
    link = tmp_path / "link.txt"
    link.symlink_to(CHAIR)
    assert coding_files([CHAIR, link]) == [CHAIR]


def test_a_file_named_twice_is_coded_once(cluster_client: object, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _small_corpus(tmp_path / "corpus", "asoka-int-chair.txt")
    monkeypatch.chdir(tmp_path)
    out = uq.autocode_corpus(["corpus", f"{folder}/*.txt"], REAL_CODEBOOK_PATH,
                             out=tmp_path / "c.parquet", client=cluster_client,
                             manifest=folder / "corpus.yaml")
    frame = pd.read_parquet(out)
    assert len(frame) > 10 and not frame.duplicated(KEY).any()
    proj = Project.create(tmp_path / "p.uqp", corpus=uq.load_corpus(folder),
                          codebook=real_codebook())
    assert proj.import_auto_codings(out)["codings"] == len(frame)
    proj.close()


@pytest.mark.parametrize("name", ["Transkrip [2004]", "wawancara*", "apa?"])
def test_an_existing_path_with_glob_characters_is_taken_literally(tmp_path: Path,
                                                                  name: str) -> None:
    folder = _small_corpus(tmp_path / name, "asoka-int-chair.txt", "melati-int-chair.txt")
    (tmp_path / "other").mkdir()  # what "wawancara*"/"apa?" would also match as a pattern
    files = [folder / "asoka-int-chair.txt", folder / "melati-int-chair.txt"]
    assert coding_files(folder) == files
    assert coding_files(str(folder)) == files
    assert coding_files([str(files[1])]) == files[1:]
    # a pattern that does not exist is still a pattern; its message says how to escape [ ]
    with pytest.raises(CorpusError, match=r"matches no file.*\[\[\]"):
        coding_files(f"{tmp_path}/nope [1]/*.txt")


def test_a_folder_with_glob_characters_is_auto_coded(cluster_client: object,
                                                     tmp_path: Path) -> None:
    folder = _small_corpus(tmp_path / "Transkrip [2004]", "asoka-int-chair.txt")
    out = uq.autocode_corpus(folder, REAL_CODEBOOK_PATH, out=tmp_path / "c.parquet",
                             client=cluster_client)
    assert set(pd.read_parquet(out)["doc_id"]) == {"asoka-int-chair"}


def test_import_refuses_codings_of_another_codebook_version(on_cluster: Path,
                                                            tmp_path: Path) -> None:
    proj = Project.create(tmp_path / "p.uqp", corpus=real_corpus(), codebook=real_codebook())
    version = proj.codebook.version
    assert version
    frame = pd.read_parquet(on_cluster)
    assert set(frame["codebook_version"]) == {version}
    other = frame.assign(codebook_version="0.9")
    other.to_parquet(tmp_path / "old.parquet")
    history = len(proj.history())
    for source, where in ((tmp_path / "old.parquet", str(tmp_path / "old.parquet")),
                          (other, "the frame")):
        with pytest.raises(ImportProblem) as caught:
            proj.import_auto_codings(source)
        message = str(caught.value)
        assert where in message, message
        assert "codebook version 0.9" in message and f"version {version}" in message
        assert "nothing was imported" in message and "re-code" in message.lower()
    assert proj.codings().empty and len(proj.history()) == history
    # a frame without the column (made elsewhere) is taken as the project's version
    counts = proj.import_auto_codings(frame.drop(columns=["codebook_version"]))
    assert counts["codings"] == len(frame)
    assert set(proj.codings()["codebook_version"]) == {version}
    proj.close()


def test_import_refuses_a_coding_given_twice(on_cluster: Path, tmp_path: Path) -> None:
    proj = Project.create(tmp_path / "p.uqp", corpus=real_corpus(), codebook=real_codebook())
    frame = pd.read_parquet(on_cluster)
    twice = pd.concat([frame, frame.iloc[[5]]], ignore_index=True)
    with pytest.raises(ImportProblem) as caught:
        proj.import_auto_codings(twice)
    message = str(caught.value)
    assert f"row {len(twice)}: " in message and "row 6" in message
    assert "twice" in message and "nothing was imported" in message
    assert "bug" not in message
    assert proj.codings().empty
    proj.close()


def test_limits_reach_the_workers(cluster_client: object, tmp_path: Path) -> None:
    from uppks_qual import limits

    folder = _small_corpus(tmp_path / "corpus", "asoka-int-chair.txt")
    (folder / "deep.txt").write_text(DEEP, encoding="utf-8")
    with limits.override(max_depth=500):
        assert len(uq.load_corpus(folder)) == 2
        out = uq.autocode_corpus(folder, REAL_CODEBOOK_PATH, out=tmp_path / "c.parquet",
                                 client=cluster_client, files_per_partition=1)
    assert set(pd.read_parquet(out)["doc_id"]) == {"asoka-int-chair", "deep"}
    # the workers do not keep the raised limit
    with pytest.raises(LimitError, match="max_depth"):
        uq.autocode_corpus(folder, REAL_CODEBOOK_PATH, out=tmp_path / "d.parquet",
                           client=cluster_client, files_per_partition=1)
    assert not (tmp_path / "d.parquet").exists()


def _not_codings(tmp_path: Path, kind: str) -> Path:
    if kind == "missing":
        return tmp_path / "none.parquet"
    if kind == "text-file":
        (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
        return tmp_path / "notes.txt"
    if kind == "parquet-named-text":
        (tmp_path / "fake.parquet").write_text("hello\n", encoding="utf-8")
        return tmp_path / "fake.parquet"
    folder = tmp_path / kind
    folder.mkdir()
    if kind == "text-folder":
        (folder / "a.txt").write_text("hello\n", encoding="utf-8")
    if kind == "fake-parquet-folder":
        (folder / "part.0.parquet").write_text("hello\n", encoding="utf-8")
    return folder


KINDS = ["missing", "text-file", "parquet-named-text", "empty-folder", "text-folder",
         "fake-parquet-folder"]


@pytest.mark.parametrize("lazy", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_read_codings_names_what_is_not_codings(tmp_path: Path, kind: str,
                                                lazy: bool) -> None:
    path = _not_codings(tmp_path, kind)
    with pytest.raises(CorpusError) as caught:
        uq.read_codings(path, lazy=lazy)
    message = str(caught.value)
    assert str(path) in message and "autocode_corpus" in message, message


def test_read_codings_names_missing_columns(tmp_path: Path) -> None:
    pd.DataFrame({"doc_id": ["a"], "start": [0]}).to_parquet(tmp_path / "x.parquet")
    with pytest.raises(CorpusError, match=r"no column.*code_id"):
        uq.read_codings(tmp_path / "x.parquet", lazy=False)


@pytest.mark.parametrize("kind", KINDS)
def test_import_names_what_is_not_codings(tmp_path: Path, kind: str) -> None:
    path = _not_codings(tmp_path, kind)
    proj = Project.create(tmp_path / "p.uqp", corpus=real_corpus(), codebook=real_codebook())
    with pytest.raises(ImportProblem) as caught:
        proj.import_auto_codings(path)
    message = str(caught.value)
    assert str(path) in message and "autocode_corpus" in message, message
    assert "nothing was imported" in message
    assert proj.codings().empty
    proj.close()
