"""Tests for :mod:`uppks_qual.parallel`: coding over several processes gives exactly what one
process gives, and only the calling process writes the project.

The bundled corpus is an illustrative reconstruction (not field data); what is checked is
that the output does not depend on the number of processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest_project import ROOT, real_codebook, real_corpus

from uppks_qual import learn, parallel
from uppks_qual.errors import ParameterError
from uppks_qual.learn import training_files
from uppks_qual.project import Project

#: Codings are compared without ids (numbered by insertion) and timestamps.
COLUMNS = ["doc_id", "start", "end", "code_id", "valence", "confidence", "coder", "origin",
           "text"]


def _codings(proj: Project) -> pd.DataFrame:
    return proj.codings()[COLUMNS].reset_index(drop=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "template.uqp"
    Project.create(path, corpus=real_corpus(), codebook=real_codebook()).close()
    return path


def _copy(template: Path, dest: Path) -> Project:
    dest.write_bytes(template.read_bytes())
    return Project.open(dest)


@pytest.fixture(scope="module")
def coded(template: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[int, Project]]:
    """The bundled corpus rule-coded with 1 and with 2 processes."""
    folder = tmp_path_factory.mktemp("coded")
    projects = {}
    for n in (1, 2):
        projects[n] = _copy(template, folder / f"p{n}.uqp")
        projects[n].autocode(n_process=n)
    yield projects
    for proj in projects.values():
        proj.close()


def test_rule_coding_with_two_processes_is_identical(coded: dict[int, Project]) -> None:
    one, two = _codings(coded[1]), _codings(coded[2])
    assert len(one) > 1000  # the bundled corpus gives well over a thousand codings
    pd.testing.assert_frame_equal(one, two)


def test_every_unit_is_identical_over_processes(template: Path, tmp_path: Path) -> None:
    docs = [(d.doc_id, d.text, [u for u in real_corpus().iter_segments(d.doc_id)
                                if u.kind != "sentence"]) for d in real_corpus()]
    for unit in ("match", "turn"):
        one = parallel.code_documents(docs, real_codebook(), unit=unit)
        two = parallel.code_documents(docs, real_codebook(), unit=unit, n_process=2,
                                      blocks_per_process=3)
        assert one == two
        assert {r["unit"] for r in one} == {unit}


def test_documents_keep_their_order_across_blocks() -> None:
    docs = [(d.doc_id, d.text, [u for u in real_corpus().iter_segments(d.doc_id)
                                if u.kind != "sentence"]) for d in real_corpus()]
    rows = parallel.code_documents(docs, real_codebook(), n_process=2, blocks_per_process=5)
    seen = list(dict.fromkeys(r["doc_id"] for r in rows))
    order = [d for d, _, _ in docs]
    assert seen == [d for d in order if d in set(seen)]


def test_length_blocks_cover_every_document_once_in_order() -> None:
    docs = [(f"d{i}", "x" * (i % 7 + 1) * 100, []) for i in range(53)]
    for parts in (1, 2, 3, 8, 53, 100):
        blocks = parallel._length_blocks(docs, parts)
        assert [d for block in blocks for d in block] == docs
        assert all(blocks)
        assert len(blocks) <= max(parts, 1) + 1


def test_learned_prediction_over_processes_is_identical(template: Path, tmp_path: Path) -> None:
    one = _copy(template, tmp_path / "one.uqp")
    two = _copy(template, tmp_path / "two.uqp")
    training = training_files(ROOT / "data" / "coding")
    counts_one = one.autocode(method="learned", training=training)
    counts_two = two.autocode(method="learned", training=training, n_process=2)
    assert counts_one == counts_two
    pd.testing.assert_frame_equal(_codings(one), _codings(two))
    # the saved model, applied over two processes, codes as in one
    for proj in (one, two):
        with pytest.warns(UserWarning, match="not evidence"):  # it saw these documents
            proj.autocode(method="learned", coder="saved", n_process=1 if proj is one else 2)
    pd.testing.assert_frame_equal(_codings(one), _codings(two))
    one.close()
    two.close()


def test_predict_by_document_matches_predict(template: Path, tmp_path: Path) -> None:
    proj = _copy(template, tmp_path / "p.uqp")
    proj.autocode(method="learned", training=training_files(ROOT / "data" / "coding"))
    model = proj.model()
    assert model is not None
    rows = proj.codings(coder="auto").to_dict("records")
    factors = [c.code_id for c in proj.codebook.factors()]
    table = learn.sentence_table(proj.segments(), learn.rules_frame(rows), factors,
                                 interviewer_labels=("P",))
    expected = model.predict(table)
    for n in (2, 3):
        got = parallel.predict_by_document(model, table, n_process=n)
        pd.testing.assert_frame_equal(got, expected)
    assert len(expected) > 100
    proj.close()


def test_only_the_calling_process_writes(coded: dict[int, Project]) -> None:
    """The workers return rows; the project is written in one transaction here (one
    auto-coding run: the codings have consecutive ids)."""
    ids = coded[2].codings(coder="auto")["coding_id"].sort_values().to_numpy()
    assert (ids[1:] - ids[:-1] == 1).all()


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True, None])
def test_n_process_must_be_positive_or_minus_one(template: Path, tmp_path: Path,
                                                 bad: object) -> None:
    proj = _copy(template, tmp_path / "p.uqp")
    before = len(proj.codings())
    with pytest.raises(ParameterError, match="n_process"):
        proj.autocode(n_process=bad)  # type: ignore[arg-type]
    assert len(proj.codings()) == before
    proj.close()


def test_minus_one_means_every_core() -> None:
    assert parallel.resolve_processes(-1, func="f") == (os.cpu_count() or 1)


def test_an_error_in_a_worker_reaches_the_caller() -> None:
    with pytest.raises(ZeroDivisionError):
        list(parallel.map_ordered(_divide, [1, 0, 2], n_process=2))


def test_map_ordered_keeps_input_order() -> None:
    items = list(range(40))
    assert list(parallel.map_ordered(_square, items, n_process=2)) == [i * i for i in items]
    assert list(parallel.map_ordered(_square, items)) == [i * i for i in items]


def _divide(x: int) -> float:
    return 1 / x


def _square(x: int) -> int:
    return x * x


def test_spawned_workers_code_as_forked_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers forked (a single-threaded program on Linux) and spawned (a notebook, or any
    program running threads) give the same rows: spawned ones build their own pipeline."""
    docs = [(d.doc_id, d.text, [u for u in real_corpus().iter_segments(d.doc_id)
                                if u.kind != "sentence"]) for d in real_corpus()][:6]
    forked = parallel.code_documents(docs, real_codebook(), n_process=2)
    monkeypatch.setattr(parallel, "start_method", lambda: "spawn")
    spawned = parallel.code_documents(docs, real_codebook(), n_process=2)
    assert forked == spawned == parallel.code_documents(docs, real_codebook())


def test_a_thread_running_means_spawn() -> None:
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert parallel.start_method() == "spawn"
    finally:
        stop.set()
        thread.join()
    alone = [t for t in threading.enumerate() if t is not threading.main_thread()
             and type(t).__name__ != "TMonitor"] == []
    if os.uname().sysname == "Linux" and alone:  # earlier tests may leave pools' threads
        assert parallel.start_method() == "fork"


def test_a_worker_that_dies_is_a_worker_error() -> None:
    from uppks_qual.errors import WorkerError

    with pytest.raises(WorkerError, match="could not start or died"):
        list(parallel.map_ordered(_die, [1, 2, 3], n_process=2))


def _die(x: int) -> int:
    os._exit(3)
