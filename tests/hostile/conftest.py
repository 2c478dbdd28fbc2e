"""Shared tools of the hostile-input battery (issue 13).

Each family of hostile inputs has its own module (``test_hostile_<family>.py``); every case
asserts the exact error class, that the message names the file, and, where a project or a
folder is involved, that nothing changed that should not have. The helpers here are plain
fixtures and functions:

* :func:`run_cli` runs the installed console script in a subprocess and asserts that no
  Python traceback reaches the user;
* :func:`db_dump` is a read-only SQL dump of a project file (byte-identical check);
* :func:`tree_state` / :func:`assert_unchanged` detect any file written, changed or deleted
  under a folder (nothing written outside the destination);
* :func:`peak_rss` runs Python code in a subprocess under an address-space limit and returns
  its peak resident memory, so a memory blow-up fails the test instead of the machine.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
if str(TESTS) not in sys.path:  # conftest_project and conftest helpers live one level up
    sys.path.insert(0, str(TESTS))

CLI = Path(sys.executable).with_name("uppks-qual")
MiB = 2**20


def run_cli(*args: str | Path, cwd: Path | None = None, status: int | None = 1,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``uppks-qual ARGS``; assert the exit status (None: any) and that stderr holds no
    traceback. Returns the completed process (``.stdout``, ``.stderr``)."""
    proc = subprocess.run([str(CLI), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout,
                          env={**os.environ, "PYTHONWARNINGS": "default", "COLUMNS": "200"})
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout, proc.stdout[-3000:]
    if status is not None:
        assert proc.returncode == status, (proc.returncode, proc.stdout[-2000:],
                                           proc.stderr[-2000:])
    return proc


def db_dump(path: str | Path) -> str:
    """Every row and schema statement of a SQLite project file, read-only (WAL included)."""
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def tree_state(folder: str | Path) -> dict[str, str]:
    """``relative path -> sha256`` of every file under ``folder`` (WAL/SHM side files of
    SQLite excluded: readers may create them)."""
    out = {}
    root = Path(folder)
    for file in sorted(root.rglob("*")):
        if file.is_file() and not file.name.endswith(("-wal", "-shm")):
            out[str(file.relative_to(root))] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


def assert_unchanged(before: dict[str, str], folder: str | Path,
                     allowed: tuple[str, ...] = ()) -> None:
    """Fail when a file under ``folder`` appeared, vanished or changed since ``before``
    (except the relative paths in ``allowed``)."""
    after = {k: v for k, v in tree_state(folder).items() if k not in allowed}
    before = {k: v for k, v in before.items() if k not in allowed}
    assert after == before, {"new": sorted(set(after) - set(before)),
                             "gone": sorted(set(before) - set(after)),
                             "changed": sorted(k for k in before.keys() & after.keys()
                                               if before[k] != after[k])}


def peak_rss(code: str, *, limit_bytes: int = 3 * 2**30, timeout: float = 300,
             cwd: Path | None = None) -> tuple[int, subprocess.CompletedProcess[str]]:
    """Run ``code`` in a fresh Python under an address-space limit of ``limit_bytes``; return
    (peak RSS growth in bytes over the imports the code's first line does, the process).

    The code's first line should do its imports; the helper measures RSS after that line and
    at the end, so the figure is what the operation itself cost. It prints one line
    ``RSS <before> <peak>`` to stdout, parsed here.
    """
    lines = textwrap.dedent(code).strip().splitlines()
    script = "\n".join([
        "import resource, sys",
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit_bytes}, {limit_bytes}))",
        lines[0],
        "def _vm(key):",
        "    for row in open('/proc/self/status'):",
        "        if row.startswith(key):",
        "            return int(row.split()[1]) * 1024",
        "_before = _vm('VmRSS:')",
        "try:",
        *("    " + line for line in lines[1:] or ["pass"]),
        "finally:",
        "    _peak = _vm('VmHWM:')",  # ru_maxrss survives fork+exec; VmHWM does not
        "    print(f'RSS {_before} {_peak}', flush=True)",
    ])
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)
    rss = [line for line in proc.stdout.splitlines() if line.startswith("RSS ")]
    assert rss, (proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:])
    before, peak = map(int, rss[-1].split()[1:])
    return peak - before, proc


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the test's working folders holding a secret file that no import may
    read (its text must never appear in a project)."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("RAHASIA-JANGAN-DIBACA 42\n", encoding="utf-8")
    return folder


SECRET = "RAHASIA-JANGAN-DIBACA"
