"""Crashes and concurrent writers (issue 13): a project killed in the middle of auto-coding
keeps its last committed state; several processes writing one project lose nothing and see
no error (writes wait for the lock and retry); two processes registering the same new coder
make one coder.

Every worker is a separate Python process (``subprocess``) that opens the project itself, as
two notebooks or a notebook and ``uppks-qual autocode`` would. Workers wait for a ``go`` file
so that they really start together.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import db_dump
from conftest_project import new_project, real_codebook, real_corpus

from uppks_qual.project import Project

#: Copies of the bundled corpus in the crash project (26 documents, 27k words each).
COPIES = 2

PRELUDE = """
import json, os, sys, time
from pathlib import Path
from uppks_qual import store
from uppks_qual.project import Project
PATH, HERE, NAME = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

def ready_and_wait():
    (HERE / f"ready-{NAME}").touch()
    while not (HERE / "go").exists():
        time.sleep(0.01)
"""


def start(script: str, path: Path, here: Path, name: str) -> subprocess.Popen[str]:
    """A worker process running ``PRELUDE + script`` on the project ``path``."""
    code = PRELUDE + textwrap.dedent(script)
    return subprocess.Popen([sys.executable, "-c", code, str(path), str(here), name],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def go(here: Path, names: list[str], procs: list[subprocess.Popen[str]],
       timeout: float = 60) -> None:
    """Start the workers together once every one is ready."""
    deadline = time.monotonic() + timeout
    while not all((here / f"ready-{n}").exists() for n in names):
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read() if proc.stderr else proc.returncode)
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.02)
    (here / "go").touch()


def result(proc: subprocess.Popen[str], timeout: float = 120) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    return dict(json.loads(out.strip().splitlines()[-1]))


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


# --------------------------------------------------------------------------- crash
@pytest.fixture(scope="module")
def crash_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus twice over (52 documents, ~55k words), hand-coded by ``ana``
    and auto-coded once: the last committed state a crash must keep."""
    path = tmp_path_factory.mktemp("crash") / "crash.uqp"
    docs = [dataclasses.replace(d, doc_id=f"{d.doc_id}-{k}")
            for k in range(COPIES) for d in real_corpus()]
    with Project.create(path, corpus=docs, codebook=real_codebook()) as proj:
        first = docs[0].doc_id
        code = next(c.code_id for c in proj.codebook if c.kind == "factor")
        for i in range(20):
            proj.code(first, i * 7, i * 7 + 5, code, coder="ana")
        proj.autocode(progress=False)
    return path


@pytest.fixture
def crash_copy(crash_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "crash.uqp"
    shutil.copyfile(crash_template, path)
    return path


def _kill_at(proc: subprocess.Popen[str], marker: str, timeout: float = 60) -> None:
    """SIGKILL ``proc`` once it prints ``marker``."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        if line.strip() == marker:
            os.kill(proc.pid, signal.SIGKILL)
            break
        assert time.monotonic() < deadline
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""


def _assert_last_state_intact(path: Path, before: str, manual: int) -> None:
    assert integrity(path) == "ok"
    with Project.open(path) as proj:  # recovers the WAL as any later writer would
        assert proj.check_integrity() == []
        assert len(proj.codings(origin="manual")) == manual
    assert db_dump(path) == before


def test_sigkill_while_auto_coding_keeps_the_last_commit(crash_copy: Path,
                                                         tmp_path: Path) -> None:
    before = db_dump(crash_copy)
    proc = start("""
        from uppks_qual import autocode as ac
        real, seen = ac.autocode_segments, []
        def traced(*args, **kwargs):
            seen.append(1)
            if len(seen) == 10:
                print("CODING", flush=True)
            yield from real(*args, **kwargs)
        ac.autocode_segments = traced
        Project.open(PATH).autocode(progress=False)
        print("DONE", flush=True)
        """, crash_copy, tmp_path, "coder")
    _kill_at(proc, "CODING")
    _assert_last_state_intact(crash_copy, before, manual=20)


def test_sigkill_in_the_middle_of_the_write_keeps_the_last_commit(crash_copy: Path,
                                                                  tmp_path: Path) -> None:
    """Killed after the old automatic codings were deleted and the new ones inserted, before
    the commit; a tiny page cache makes SQLite spill the uncommitted pages into the WAL."""
    before = db_dump(crash_copy)
    proc = start("""
        from sqlalchemy import event
        project = Project.open(PATH)
        engine = project._store.engine
        engine.dispose()

        @event.listens_for(engine, "connect")
        def small_cache(dbapi_conn, record):
            dbapi_conn.execute("PRAGMA cache_size = 8")

        @event.listens_for(engine, "after_cursor_execute")
        def pause(conn, cursor, statement, params, context, executemany):
            if statement.startswith("INSERT INTO codings") and executemany:
                print("WRITING", flush=True)
                time.sleep(120)

        project.autocode(progress=False)
        print("DONE", flush=True)
        """, crash_copy, tmp_path, "writer")
    _kill_at(proc, "WRITING")
    wal = Path(f"{crash_copy}-wal")
    assert wal.exists() and wal.stat().st_size > 100 * 4096  # uncommitted pages reached disk
    _assert_last_state_intact(crash_copy, before, manual=20)


# --------------------------------------------------------------------------- writers
CODE_100 = """
store.BUSY_TIMEOUT, store.WRITE_ATTEMPTS, store.RETRY_PAUSE = 0.02, 100, 0.01
project = Project.open(PATH)
doc = project.documents()["doc_id"].iloc[0]
ready_and_wait()
ids = [project.code(doc, i, i + 10, "capital", coder=NAME) for i in range(100)]
print(json.dumps({"ids": ids, "retries": getattr(project._store, "lock_retries", 0)}))
"""

AUTOCODE_LOOP = """
project = Project.open(PATH)
ready_and_wait()
runs = []
while True:
    runs.append(project.autocode(coder="auto", progress=False)["codings"])
    if all((HERE / f"done-{n}").exists() for n in ("ana", "budi")) and len(runs) >= 2:
        break
print(json.dumps({"runs": runs, "retries": getattr(project._store, "lock_retries", 0)}))
"""


@pytest.fixture
def small_copy(tmp_path: Path) -> Path:
    path = tmp_path / "small.uqp"
    new_project(path).close()
    return path


def test_two_coders_and_auto_coding_at_once_lose_nothing(small_copy: Path,
                                                         tmp_path: Path) -> None:
    """2 processes x 100 ``code()`` calls (short busy timeouts: they must retry) while a third
    process auto-codes again and again."""
    done = "\nPath(HERE / f'done-{NAME}').touch()\n"
    procs = {name: start(CODE_100 + done, small_copy, tmp_path, name)
             for name in ("ana", "budi")}
    procs["auto"] = start(AUTOCODE_LOOP, small_copy, tmp_path, "auto")
    go(tmp_path, list(procs), list(procs.values()))
    out = {name: result(proc) for name, proc in procs.items()}
    with Project.open(small_copy) as proj:
        manual = proj.codings(origin="manual")
        auto = proj.codings(origin="auto")
        coders = proj.coders()
    for name in ("ana", "budi"):
        mine = manual[manual["coder"] == name]
        assert len(mine) == 100  # every coding once
        assert sorted(mine["coding_id"]) == sorted(out[name]["ids"])
        assert sorted(mine["start"]) == list(range(100))
    runs = out["auto"]["runs"]
    assert len(runs) >= 2 and len(auto) == runs[-1]
    assert sorted(coders["coder"]) == ["ana", "auto", "budi"]
    assert integrity(small_copy) == "ok"
    print("concurrency:", {n: {k: v for k, v in o.items() if k != "ids"} for n, o in out.items()})


REGISTER = """
project = Project.open(PATH)
doc = project.documents()["doc_id"].iloc[0]
shift = 0 if NAME == "one" else 50
ready_and_wait()
for i in range(25):
    project.code(doc, shift + i, shift + i + 5, "capital", coder=f"neu{i}")
print(json.dumps({"retries": getattr(project._store, "lock_retries", 0)}))
"""


def test_two_processes_register_the_same_new_coders(small_copy: Path, tmp_path: Path) -> None:
    """Before: ``IntegrityError: UNIQUE constraint failed: coders.coder``
    (select-then-insert)."""
    procs = {name: start(REGISTER, small_copy, tmp_path, name) for name in ("one", "two")}
    go(tmp_path, list(procs), list(procs.values()))
    for proc in procs.values():
        result(proc)
    with Project.open(small_copy) as proj:
        coders = proj.coders()
        manual = proj.codings(origin="manual")
    new = coders[coders["coder"].str.startswith("neu")]
    assert len(new) == 25 and new["coder"].is_unique and set(new["kind"]) == {"human"}
    assert len(manual) == 50

