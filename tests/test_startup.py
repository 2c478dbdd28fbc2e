"""Cold start: what a fresh process imports and builds (issue 14). No timings here.

``uppks-qual --help`` imports neither spaCy nor pandas; reading a codebook imports no spaCy;
reading a corpus builds no spaCy pipeline until its sentences are asked for. Each test runs a
fresh interpreter, because the test process itself has long since imported everything.
``benchmarks/bench_startup.py`` measures the times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

SCRIPT = Path(sys.executable).with_name("uppks-qual")
HEAVY = ("spacy", "pandas", "numpy", "matplotlib", "sklearn", "scipy", "sqlalchemy")
COMMANDS = ("check", "reproduce", "autocode", "compare", "chart", "export", "agreement",
            "import-codings", "import-qdpx", "attributes", "query", "suggest", "review",
            "autocode-corpus", "merge")

#: Prints the heavy top-level packages loaded and whether ``uppks_qual.nlp`` built its caches.
REPORT = f"""
import json, sys
nlp = sys.modules.get("uppks_qual.nlp")
print(json.dumps({{
    "heavy": sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})),
    "pipeline": bool(nlp and nlp.get_nlp.cache_info().currsize),
    "lemmas": bool(nlp and nlp.lemma_table.cache_info().currsize),
}}))
"""


def run_python(code: str) -> dict[str, Any]:
    """Run ``code`` then :data:`REPORT` in a fresh interpreter at the repository root."""
    done = subprocess.run([sys.executable, "-c", code + REPORT], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def imported_by(command: list[str]) -> set[str]:
    """Top-level packages a command imports, from ``PYTHONPROFILEIMPORTTIME`` (-X importtime),
    which works for a console script as for ``python -m``."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage" in done.stdout
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:")}
    assert {"uppks_qual", "typer"} <= names  # the profile was read
    return {name.split(".")[0] for name in names}


def test_help_under_runpy_imports_neither_spacy_nor_pandas() -> None:
    code = ("import contextlib, io, runpy, sys\n"
            "sys.argv = ['uppks-qual', '--help']\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    try:\n"
            "        runpy.run_module('uppks_qual.cli', run_name='__main__')\n"
            "    except SystemExit as exc:\n"
            "        assert exc.code in (0, None), exc.code\n"
            "assert 'Usage' in out.getvalue()\n")
    report = run_python(code)
    assert report["heavy"] == []
    assert not report["pipeline"]


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script uppks-qual not installed")
def test_console_script_help_imports_neither_spacy_nor_pandas() -> None:
    assert not imported_by([str(SCRIPT), "--help"]) & set(HEAVY)


def test_python_m_help_imports_neither_spacy_nor_pandas() -> None:
    assert not imported_by([sys.executable, "-m", "uppks_qual.cli", "--help"]) & set(HEAVY)


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script uppks-qual not installed")
@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_imports_neither_spacy_nor_pandas(command: str) -> None:
    assert not imported_by([str(SCRIPT), command, "--help"]) & {"spacy", "pandas"}


def test_importing_the_package_imports_nothing_heavy() -> None:
    report = run_python("import uppks_qual as uq; uq.__version__")
    assert report["heavy"] == []


def test_load_codebook_imports_no_spacy_and_builds_no_pipeline() -> None:
    report = run_python("import uppks_qual as uq\n"
                        "cb = uq.load_codebook('codebook.yaml')\n"
                        "assert len(cb) > 0 and any(c.lemmas for c in cb)\n")
    assert "spacy" not in report["heavy"] and "pandas" not in report["heavy"]
    assert not report["pipeline"] and not report["lemmas"]


def test_load_corpus_builds_no_pipeline_until_sentences_are_asked_for() -> None:
    report = run_python("import uppks_qual as uq\n"
                        "corpus = uq.load_corpus('data/interviews')\n"
                        "assert len(corpus) > 0 and all(d.text for d in corpus)\n")
    assert "spacy" not in report["heavy"]
    assert not report["pipeline"] and not report["lemmas"]


def test_sentences_build_the_pipeline() -> None:
    """The counterpart of the test above: it would pass vacuously if the report never saw a
    pipeline."""
    report = run_python("import uppks_qual as uq\n"
                        "corpus = uq.load_corpus('data/interviews')\n"
                        "assert (corpus.segments['kind'] == 'sentence').any()\n")
    assert "spacy" in report["heavy"]
    assert report["pipeline"]


def test_first_autocode_builds_the_pipeline_once_codebook_is_read() -> None:
    report = run_python("import uppks_qual as uq\n"
                        "cb = uq.load_codebook('codebook.yaml')\n"
                        "import sys; assert 'spacy' not in sys.modules\n"
                        "uq.autocode_text('I: Angsuran kami macet sejak putaran tiga.', cb)\n")
    assert report["pipeline"] and report["lemmas"]
