"""Hostile project files and failing storage (issue 13): a damaged, read-only, locked, full or
newer project file, and bad coder names, each raise a :class:`StoreError` subclass (or
:class:`CoderError`) whose message names the file and what to do, and leave the project
exactly as it was.

Permissions cannot stop root, so the read-only cases run their Python in a subprocess as a
user who does not own the files (``nobody`` when the tests run as root).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import db_dump, run_cli
from conftest_project import new_project, plain_document, tiny_codebook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from uppks_qual import autocode as autocode_module
from uppks_qual import store
from uppks_qual.errors import (
    CoderError,
    ImportProblem,
    QualError,
    SchemaVersionError,
    SpanError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreReadOnlyError,
)
from uppks_qual.project import Project
from uppks_qual.records import Coding
from uppks_qual.store import check_coder

BACKUP_HINT = ".recover"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def side_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed small project: manual codings of ``ana``, automatic codings of ``auto``."""
    path = tmp_path_factory.mktemp("store") / "template.uqp"
    with new_project(path) as proj:
        proj.code("asoka-int-a", 0, 5, "capital", coder="ana")
        proj.code_quote("melati-int-b", "Modal macet", "capital", coder="ana",
                        valence="negative")
        proj.autocode(progress=False)
    assert side_files(path) == []  # closed cleanly: everything is in the main file
    return path


@pytest.fixture
def project_file(template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "study.uqp"
    shutil.copyfile(template, dest)
    return dest


@pytest.fixture
def project(project_file: Path) -> Iterator[Project]:
    proj = Project.open(project_file)
    yield proj
    proj.close()


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short busy timeouts so that a held lock fails a write in about a second."""
    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.2, raising=False)
    monkeypatch.setattr(store, "WRITE_ATTEMPTS", 3, raising=False)
    monkeypatch.setattr(store, "RETRY_PAUSE", 0.05, raising=False)


@pytest.fixture
def shared_dir(template: Path, tmp_path: Path) -> Iterator[Path]:
    """A folder holding a copy of the template project as ``study.uqp``; its permissions are
    restored afterwards so that pytest can remove it."""
    folder = tmp_path / "shared"
    folder.mkdir()
    shutil.copyfile(template, folder / "study.uqp")
    yield folder
    for path in (folder, *folder.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)


#: Root ignores file permissions: the read-only cases run without the capabilities that let
#: it (util-linux ``setpriv``), so that permissions bind it as they bind any user.
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def run_unprivileged(script: str, *, args: tuple[str, ...] = (),
                  timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (Python, or with ``args`` the console script) in a subprocess bound by
    file permissions (when the tests run as root: without its capabilities to ignore them)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        prefix = UNPRIVILEGED
    command = ([str(Path(sys.executable).with_name("uppks-qual")), *args] if args
               else [sys.executable, "-c", textwrap.dedent(script)])
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "200"}
    return subprocess.run([*prefix, *command], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=tempfile.gettempdir())


def child_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


#: Runs in the other user's process: open the project, read it, try every kind of write.
READ_ONLY_SCRIPT = """
import json, sys
from uppks_qual import autocode as ac
from uppks_qual.errors import QualError
from uppks_qual.project import Project

def coded(*a, **k):
    raise RuntimeError("the coding ran before the write check")

ac.autocode_segments = coded
out = {}
p = Project.open(PATH)
out["read_only"] = p.read_only
out["codings"] = len(p.codings())
out["evidence"] = len(p.evidence())
for name, write in [("code", lambda: p.code("asoka-int-a", 0, 6, "capital", coder="ana")),
                    ("ensure", p.ensure_writable),
                    ("autocode", lambda: p.autocode(progress=False)),
                    ("meta", lambda: p.set_meta("x", "y"))]:
    try:
        write()
        out[name] = "written"
    except QualError as exc:
        out[name] = [type(exc).__name__, str(exc)]
p.close()
print(json.dumps(out))
"""


# --------------------------------------------------------------------------- corrupt files
def test_random_bytes_project_is_store_corrupt_error(tmp_path: Path) -> None:
    """Before: "not a uppks-qual project; create one", wrong advice for a damaged file."""
    path = tmp_path / "study.uqp"
    path.write_bytes(random.Random(1).randbytes(50_000))
    before = sha(path)
    with pytest.raises(StoreCorruptError) as info:
        Project.open(path)
    assert type(info.value) is StoreCorruptError
    assert str(info.value).startswith(f"{path}: the project file is damaged")
    assert "backup" in str(info.value)
    assert sha(path) == before


def test_random_bytes_other_file_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(random.Random(2).randbytes(10_000))
    with pytest.raises(SchemaVersionError, match=r"notes\.db: not a uppks-qual project") as info:
        Project.open(path)
    assert type(info.value) is SchemaVersionError


def test_empty_project_file_is_store_corrupt_error(tmp_path: Path) -> None:
    path = tmp_path / "study.uqp"
    path.write_bytes(b"")
    with pytest.raises(StoreCorruptError, match=r"study\.uqp: .*is empty; restore it"):
        Project.open(path)
    assert path.read_bytes() == b""


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_project_is_store_corrupt_error(big_template: Path, tmp_path: Path,
                                                  keep: float) -> None:
    """Before: ``sqlalchemy.exc.DatabaseError: database disk image is malformed``."""
    path = tmp_path / "big.uqp"
    data = big_template.read_bytes()
    path.write_bytes(data[:max(4096, int(len(data) * keep) // 4096 * 4096)])
    before = sha(path)
    with pytest.raises(StoreCorruptError) as info:
        proj = Project.open(path)
        try:  # the damage may lie in pages the opening does not read
            proj.codings()
        finally:
            proj.close()
    assert type(info.value) is StoreCorruptError
    message = str(info.value)
    assert message.startswith(f"{path}: the project file is damaged")
    assert BACKUP_HINT in message and "nothing was changed" in message
    assert getattr(info.value, "sqlite_error", None) == "SQLITE_CORRUPT"
    assert sha(path) == before


def _garble_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    rnd = random.Random(3)
    for page in range(pages // 3, 2 * pages // 3 + 1):
        data[page * 4096:(page + 1) * 4096] = rnd.randbytes(4096)
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def big_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed project of 40 documents (about 100 pages), coded by hand and automatically."""
    path = tmp_path_factory.mktemp("big") / "big.uqp"
    text = "Ketua rajin datang ke rapat. Modal bertambah, pinjaman lancar. " * 40
    docs = [plain_document(f"d{i:02}", text.strip()) for i in range(40)]
    with new_project(path, docs) as proj:
        proj.code("d00", 0, 5, "capital", coder="ana")
        proj.autocode(progress=False)
    return path


def test_pages_garbled_in_the_middle_fail_later_reads_as_corrupt(big_template: Path,
                                                                 tmp_path: Path) -> None:
    """Before: ``sqlalchemy.exc.DatabaseError`` from every read that met a bad page."""
    path = tmp_path / "big.uqp"
    shutil.copyfile(big_template, path)
    _garble_middle(path)
    before = sha(path)
    proj = Project.open(path)  # the first pages (meta) are sound
    try:
        for read in (proj.documents, proj.codings, proj.evidence, proj.ensure_writable):
            with pytest.raises(StoreCorruptError) as info:
                read()
            assert type(info.value) is StoreCorruptError
            assert str(info.value).startswith(f"{path}: the project file is damaged")
            assert BACKUP_HINT in str(info.value)
    finally:
        proj.close()
    assert sha(path) == before


def test_corrupt_project_through_the_cli(big_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "big.uqp"
    shutil.copyfile(big_template, path)
    _garble_middle(path)
    before = sha(path)
    proc = run_cli("autocode", "--project", path, cwd=tmp_path)
    assert f"{path}: the project file is damaged" in proc.stderr
    assert BACKUP_HINT in proc.stderr
    proc = run_cli("export", "--project", path, "--out", tmp_path / "export", cwd=tmp_path)
    assert "damaged" in proc.stderr
    assert sha(path) == before


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.integers(0, 2**20), length=st.integers(1, 5000), seed=st.integers(0, 2**16))
def test_fuzz_damaged_bytes_give_a_result_or_a_store_error(
        template: Path, tmp_path: Path, offset: int, length: int, seed: int) -> None:
    path = tmp_path / f"fuzz-{offset}-{length}-{seed}.uqp"
    data = bytearray(template.read_bytes())
    offset %= len(data)
    data[offset:offset + length] = random.Random(seed).randbytes(length)
    path.write_bytes(bytes(data))
    try:
        proj = Project.open(path)
        try:
            proj.documents()
            proj.evidence()
            proj.code("asoka-int-a", 0, 3, "capital", coder="fuzz")
        finally:
            proj.close()
    except QualError:
        pass
    finally:
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            file.unlink(missing_ok=True)


# --------------------------------------------------------------------------- read-only
def _read_only_run(path: Path) -> dict[str, Any]:
    return child_json(run_unprivileged(READ_ONLY_SCRIPT.replace("PATH", repr(str(path)))))


def test_read_only_file_reads_but_refuses_every_write(shared_dir: Path) -> None:
    """Before: ``OperationalError: attempt to write a readonly database``."""
    path = shared_dir / "study.uqp"
    before = sha(path)
    path.chmod(0o444)
    out = _read_only_run(path)
    assert out["read_only"] == "file"
    assert out["codings"] and out["evidence"]  # analysis of a read-only project works
    for write in ("code", "ensure", "autocode", "meta"):
        kind, message = out[write]
        assert kind == StoreReadOnlyError.__name__, out[write]
        assert message.startswith(f"{path}: the project file is read-only")
        assert "chmod u+w" in message and "nothing was changed" in message
    assert sha(path) == before
    assert side_files(path) == []  # read as immutable: no -wal or -shm left behind


def test_read_only_folder_opens_for_reading(shared_dir: Path) -> None:
    """Before: "not a uppks-qual project" (SQLite could not create the -shm file there)."""
    path = shared_dir / "study.uqp"
    before = sha(path)
    shared_dir.chmod(0o555)
    out = _read_only_run(path)
    assert out["read_only"] == "folder"
    assert out["codings"] and out["evidence"]
    for write in ("code", "ensure", "autocode", "meta"):
        kind, message = out[write]
        assert kind == StoreReadOnlyError.__name__, out[write]
        assert message.startswith(f"{path}: the project's folder ({shared_dir}) is read-only")
        assert "writable folder" in message
    assert sha(path) == before
    assert side_files(path) == []


ERROR_SCRIPT = """
import json
from uppks_qual.errors import QualError
from uppks_qual.project import Project
try:
    CALL
    print(json.dumps({"error": None}))
except QualError as exc:
    print(json.dumps({"error": [type(exc).__name__, str(exc)]}))
"""


def test_create_in_read_only_folder_is_store_read_only_error(shared_dir: Path) -> None:
    shared_dir.chmod(0o555)
    target = shared_dir / "new.uqp"
    out = child_json(run_unprivileged(ERROR_SCRIPT.replace(
        "CALL", f"Project.create({str(target)!r})")))
    kind, message = out["error"]
    assert kind == StoreReadOnlyError.__name__ and message.startswith(f"{target}: ")
    assert "read-only" in message
    assert not target.exists()


def test_unreadable_project_file_is_store_error(shared_dir: Path) -> None:
    path = shared_dir / "study.uqp"
    path.chmod(0o000)
    out = child_json(run_unprivileged(ERROR_SCRIPT.replace(
        "CALL", f"Project.open({str(path)!r})")))
    kind, message = out["error"]
    assert kind == "StoreError"
    assert message == f"{path}: cannot be read (permission denied); check the file's permissions"


def test_read_only_project_through_the_cli_fails_before_coding(shared_dir: Path) -> None:
    """Before: the CLI did all the coding, then failed with an OperationalError traceback."""
    path = shared_dir / "study.uqp"
    before = sha(path)
    path.chmod(0o444)
    proc = run_unprivileged("", args=("autocode", "--project", str(path)))
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"{path}: the project file is read-only" in proc.stderr
    assert "automatic codings" not in proc.stdout  # refused before any coding
    assert sha(path) == before


# --------------------------------------------------------------------------- locked
def _hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another writer (a raw SQLite connection) holding the project's write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def _release(other: sqlite3.Connection) -> None:
    other.execute("ROLLBACK")
    other.close()


def test_write_lock_held_too_long_is_store_busy_error(project: Project,
                                                      quick_retries: None) -> None:
    """Before: ``OperationalError: database is locked`` after 5 s."""
    before = db_dump(project.path)
    other = _hold_write_lock(project.path)
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusyError) as info:
            project.code("asoka-int-a", 0, 6, "capital", coder="ana")
        waited = time.monotonic() - started
    finally:
        _release(other)
    assert type(info.value) is StoreBusyError
    message = str(info.value)
    assert message.startswith(f"{project.path}: another process is writing to the project")
    assert "try again" in message and "nothing was changed" in message
    assert project._store.lock_retries == store.WRITE_ATTEMPTS - 1  # retried, then gave up
    assert 3 * 0.2 <= waited < 5
    assert db_dump(project.path) == before


def test_write_retries_until_the_other_writer_finishes(project: Project,
                                                       quick_retries: None) -> None:
    other = _hold_write_lock(project.path)
    release = threading.Timer(0.3, _release, args=(other,))
    release.start()
    try:
        coding = project.code("asoka-int-a", 0, 6, "capital", coder="ana")
    finally:
        release.join()
    assert project._store.lock_retries >= 1
    assert coding in set(project.codings()["coding_id"])


def test_reads_and_ensure_writable_while_another_process_writes(
        project: Project, quick_retries: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autocode_module, "autocode_segments", _no_coding)
    other = _hold_write_lock(project.path)
    try:
        assert len(project.codings()) > 0  # WAL: readers never wait for a writer
        with pytest.raises(StoreBusyError, match=r"study\.uqp: another process is writing"):
            project.ensure_writable()
        with pytest.raises(StoreBusyError):  # refused before any coding
            project.autocode(progress=False)
    finally:
        _release(other)
    project.ensure_writable()


# --------------------------------------------------------------------------- newer, full
def test_newer_schema_names_the_file_and_asks_to_upgrade(project_file: Path) -> None:
    with sqlite3.connect(project_file) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    before = sha(project_file)
    with pytest.raises(SchemaVersionError) as info:
        Project.open(project_file)
    assert type(info.value) is SchemaVersionError
    assert str(info.value) == (
        f"{project_file}: project schema version 99 is newer than this uppks-qual supports "
        f"({store.SCHEMA_VERSION}); upgrade uppks-qual (pip install -U uppks-qual)")
    assert sha(project_file) == before


def _fill_disk(proj: Project) -> None:
    """Make the project's database "full": no page may be added (SQLITE_FULL)."""
    proj._store.engine.dispose()

    @event.listens_for(proj._store.engine, "connect")
    def full(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")


FULL_WRITES = {
    "code": lambda p: p.code("asoka-int-a", 0, 6, "capital", coder="ana",
                             memo="catatan " * 40_000),
    "add_documents": lambda p: p.add_documents([plain_document("big",
                                                               "Modal bertambah. " * 20_000)]),
    "set_meta": lambda p: p.set_meta("notes", "x" * 500_000),
}


@pytest.mark.parametrize("write", FULL_WRITES.values(), ids=FULL_WRITES.keys())
def test_disk_full_is_store_full_error_and_rolls_back(project: Project, write: object) -> None:
    before, raw = db_dump(project.path), sha(project.path)
    _fill_disk(project)
    with pytest.raises(StoreFullError) as info:
        write(project)  # type: ignore[operator]
    assert type(info.value) is StoreFullError
    message = str(info.value)
    assert message.startswith(f"{project.path}: the disk is full")
    assert "rolled back" in message and "Free some disk space" in message
    project.close()
    assert db_dump(project.path) == before
    assert sha(project.path) == raw


# --------------------------------------------------------------------------- coder names
@pytest.mark.parametrize("name, words", [
    (None, "must be named by text"),
    ("", "is empty"),
    ("   ", "is empty"),
    (" ana", "starts or ends with a space; write 'ana'"),
    ("ana ", "starts or ends with a space"),
    ("ana\n", "white space or invisible characters (U+000A)"),
    ("an\ta", "U+0009"),
    ("ana\u200b", "U+200B"),
    ("ana\u00a0budi", "U+00A0"),
    ("x" * 65, "65 characters, more than 64"),
    (42, "must be named by text"),
])
def test_bad_coder_names_are_coder_errors(project: Project, name: object, words: str) -> None:
    """Before: None -> IntegrityError; "", "   " and the rest accepted silently."""
    before = project.dump()
    with pytest.raises(CoderError) as info:
        project.code("asoka-int-a", 0, 6, "capital", coder=name)  # type: ignore[arg-type]
    assert type(info.value) is CoderError
    assert words in str(info.value) and repr(name)[:20] in str(info.value)
    assert project.dump() == before


GOOD_NAMES = ["ana", "Budi S", "auto-turn", "from_saved", "Çitra 🙂", "ana@uni.ac.id",
              "O'Brien", "Dr. Ana (RA)", "Smith, J.", "रीना", "e\u0301lise", "x" * 64,
              "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"]


def test_good_coder_names_are_accepted(project: Project) -> None:
    for name in GOOD_NAMES:
        assert check_coder(name) == name
        project.code("asoka-int-a", 0, 6, "capital", coder=name)
    assert set(GOOD_NAMES) <= set(project.coders()["coder"])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), st.none(), st.integers()))
def test_fuzz_coder_name_is_valid_or_a_coder_error(name: object) -> None:
    try:
        checked = check_coder(name)
    except CoderError as exc:
        assert "coder" in str(exc)
    else:
        assert isinstance(name, str) and checked == name
        assert 1 <= len(name) <= 64 and name == name.strip()
        assert name.replace(" ", "").isprintable()


def test_every_entry_point_checks_the_coder(project: Project, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autocode_module, "autocode_segments", _no_coding)
    csv = tmp_path / "codings.csv"
    csv.write_text("doc_id,start,end,code_id\nasoka-int-a,0,5,capital\n", encoding="utf-8")
    before = project.dump()
    bad = " ana"
    calls = {
        "code_quote": lambda: project.code_quote("asoka-int-a", "Modal", "capital", coder=bad),
        "code_many": lambda: project.code_many([
            Coding("asoka-int-a", 0, 3, "capital", "ana", "manual"),
            Coding("asoka-int-a", 0, 4, "capital", bad, "manual")]),
        "import_codings": lambda: project.import_codings(csv, coder=bad),
        "mark_read": lambda: project.mark_read(pd.DataFrame(
            {"doc_id": ["asoka-int-a"], "start": [0], "end": [5]}), coder=bad),
        "autocode": lambda: project.autocode(coder=bad, progress=False),
        "suggest": lambda: project.suggest(coder="auto\n"),
        "review": lambda: project.review(1, coder="rina\t"),
        "set_evidence_coders": lambda: project.set_evidence_coders(["ana", "x\u200b"]),
    }
    for name, call in calls.items():
        with pytest.raises(CoderError) as info:
            call()
        assert type(info.value) is CoderError, name
    assert project.dump() == before


def test_bad_coder_in_a_codings_csv_is_listed_with_its_line(project: Project,
                                                            tmp_path: Path) -> None:
    csv = tmp_path / "codings.csv"
    csv.write_text("doc_id,start,end,code_id,coder\nasoka-int-a,0,5,capital,ana\n"
                   "asoka-int-a,0,6,capital,ana\u200b\n", encoding="utf-8")
    before = project.dump()
    with pytest.raises(ImportProblem) as info:
        project.import_codings(csv)
    assert type(info.value) is ImportProblem
    assert f"{csv}:3: coder name" in str(info.value) and "U+200B" in str(info.value)
    assert project.dump() == before


def test_coder_of_the_other_kind_is_refused_before_auto_coding(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autocode_module, "autocode_segments", _no_coding)
    before = project.dump()
    with pytest.raises(StoreError, match="coder 'ana' is a human coder"):
        project.autocode(coder="ana", progress=False)
    assert project.dump() == before


def test_registering_an_existing_coder_again_is_not_an_integrity_error(
        project: Project) -> None:
    """Two projects open on one file (two processes) both register the new coder ``neu``."""
    other = Project.open(project.path)
    try:
        assert "neu" not in set(other.coders()["coder"])
        project.code("asoka-int-a", 0, 3, "capital", coder="neu")
        other.code("asoka-int-a", 0, 4, "capital", coder="neu")
    finally:
        other.close()
    assert (project.coders()["coder"] == "neu").sum() == 1


# --------------------------------------------------------------------------- nothing half-written
def _no_coding(*args: object, **kwargs: object) -> Iterator[dict[str, object]]:
    raise AssertionError("coded although the run was refused")


def test_bad_span_in_a_batch_writes_nothing(project: Project) -> None:
    before = db_dump(project.path)
    with pytest.raises(SpanError):
        project.code_many([Coding("asoka-int-a", 0, 3, "capital", "ana", "manual"),
                           Coding("asoka-int-a", 5, 10_000, "capital", "ana", "manual")])
    assert db_dump(project.path) == before


def test_codings_csv_with_one_bad_row_imports_nothing(project: Project,
                                                      tmp_path: Path) -> None:
    csv = tmp_path / "codings.csv"
    csv.write_text("doc_id,start,end,code_id,coder\nasoka-int-a,0,5,capital,budi\n"
                   "asoka-int-a,3,2,capital,budi\nasoka-int-a,0,9,leadership,budi\n",
                   encoding="utf-8")
    before = db_dump(project.path)
    with pytest.raises(ImportProblem, match=r"codings\.csv:3: "):
        project.import_codings(csv)
    assert db_dump(project.path) == before


def test_codebook_dropping_a_used_code_changes_nothing(project: Project) -> None:
    before = db_dump(project.path)
    smaller = type(tiny_codebook())(tuple(c for c in tiny_codebook() if c.factor != "capital"),
                                    name="smaller")
    with pytest.raises(StoreError, match=r"capital \(2 manual codings\)"):
        project.update_codebook(smaller)
    assert db_dump(project.path) == before


def test_autocode_interrupted_in_the_middle_keeps_the_last_state(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    before = db_dump(project.path)
    manual = project.codings(origin="manual")
    real, seen = autocode_module.autocode_segments, []

    def coder_that_fails(*args: object, **kwargs: object) -> Iterator[dict[str, object]]:
        seen.append(1)
        if len(seen) == 2:
            raise KeyboardInterrupt  # Ctrl-C on the second document
        yield from real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(autocode_module, "autocode_segments", coder_that_fails)
    with pytest.raises(KeyboardInterrupt):
        project.autocode(coder="auto", progress=False)
    assert len(seen) == 2
    assert db_dump(project.path) == before
    pd.testing.assert_frame_equal(project.codings(origin="manual"), manual)
    assert project.check_integrity() == []


def test_failed_operations_leave_the_raw_file_unchanged(project: Project,
                                                        quick_retries: None) -> None:
    """The main file's bytes too (not only its SQL dump): a failed write reaches no page."""
    project.close()
    before = sha(project.path)
    proj = Project.open(project.path)
    with pytest.raises(CoderError):
        proj.code("asoka-int-a", 0, 6, "capital", coder="")
    with pytest.raises(SpanError):
        proj.code("asoka-int-a", 6, 6, "capital", coder="ana")
    other = _hold_write_lock(proj.path)
    try:
        with pytest.raises(StoreBusyError):
            proj.code("asoka-int-a", 0, 6, "capital", coder="ana")
    finally:
        _release(other)
    proj.close()
    assert sha(project.path) == before
