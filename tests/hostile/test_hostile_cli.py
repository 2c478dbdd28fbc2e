"""Hostile input, family "command line": every bad file, path or option a user can give the
``uppks-qual`` console script ends in one clear error line and exit status 1 (2 for a usage
error the option parser catches; never a traceback, never status 70, which is kept for bugs),
and nothing is written.

The cases run the installed console script (:func:`conftest.run_cli`). The big matrix of
(command, bad input) pairs runs concurrently once per module (:func:`matrix`); each pair is
its own test case, asserting the status, that stderr has no traceback and that the message
names the file or option and says what to do. One small study (three documents, two
factors, two human coders and an automatic one) is built once per module.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from conftest import CLI, assert_unchanged, db_dump, run_cli, tree_state
from conftest_project import SMALL_BODIES, make_code, new_project, small_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uppks_qual import cli
from uppks_qual.codebook import load_codebook
from uppks_qual.corpus import load_corpus
from uppks_qual.errors import (
    ImportProblem,
    OutputError,
    QualError,
    StoreError,
    StoreReadOnlyError,
)
from uppks_qual.pipeline import check_destination, check_output_folder, read_passages
from uppks_qual.project import Project
from uppks_qual.records import Codebook

ROOT_USER = os.geteuid() == 0
CODEBOOK = """\
version: 1
name: tiny
codes:
  - id: capital
    kind: factor
    label: {en: Capital, id: Modal}
    cues: {lemmas: [modal]}
    positive: [bertambah]
    negative: [macet]
  - id: capital.loan
    parent: capital
    label: {en: Loans, id: Pinjaman}
    cues: {phrases: [pinjaman]}
  - id: leadership
    kind: factor
    label: {en: Leadership, id: Kepemimpinan}
    cues: {phrases: [ketua]}
    positive: [rajin]
    negative: [batal]
"""
MANIFEST = """\
study: {title: hostile cli}
groups: {Asoka: Durian Daun, Melati: Padang Olo}
compare: {by: group, groups: [Asoka, Melati]}
coding:
  manual:
    - coder: rina
      codings: ../coding/rina.csv
      read: ../coding/read.csv
  agreement:
    - coder: tono
      codings: ../coding/tono.csv
"""
RINA = """\
doc_id,code_id,quote,valence
asoka-int-a,capital,Modal kami bertambah.,positive
melati-int-b,capital,Modal macet.,negative
melati-int-b,leadership,Ketua jarang datang ke rapat.,negative
"""
TONO = """\
doc_id,code_id,quote,valence
asoka-int-a,capital,Modal kami bertambah.,positive
melati-int-b,leadership,Ketua jarang datang ke rapat.,negative
"""
READ = "doc_id,start,end\nasoka-int-a,30,51\nmelati-int-b,25,37\n"
BAD_ROWS = "doc_id,start,end\nasoka-int-a,x,51\nnope,1,2\nmelati-int-b,25,9999\n"


@dataclass(frozen=True)
class Env:
    """The module's study: folders, projects and bad inputs (see the module docstring)."""

    root: Path
    study: Path      # corpus/ (with corpus.yaml), coding/, codebook.yaml
    two: Path        # two human coders (rina, tono) and the automatic coder
    one: Path        # one human coder (rina), no automatic codings
    bare: Path       # the study's corpus and manifest, no coder at all
    nofactor: Path   # a codebook without factors
    bad: Path        # bad inputs
    scratch: Path    # where outputs of failing commands would go (must stay empty)

    def fill(self, arg: str) -> str:
        return arg.format(**{k: str(v) for k, v in vars(self).items()})


def write_study(folder: Path, *, read: str = READ, rina: str = RINA) -> Path:
    """The small study (corpus with manifest, codebook, coders' files) in ``folder``."""
    corpus, coding = folder / "corpus", folder / "coding"
    corpus.mkdir(parents=True)
    coding.mkdir()
    for doc_id in SMALL_BODIES:
        (corpus / f"{doc_id}.txt").write_text(small_text(doc_id), encoding="utf-8")
    (corpus / "corpus.yaml").write_text(MANIFEST, encoding="utf-8")
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (coding / "rina.csv").write_text(rina, encoding="utf-8")
    (coding / "tono.csv").write_text(TONO, encoding="utf-8")
    (coding / "read.csv").write_text(read, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    root = tmp_path_factory.mktemp("hostile_cli")
    study = write_study(root / "study")
    bare, one, two = root / "bare.uqp", root / "one.uqp", root / "two.uqp"
    Project.create(bare, corpus=load_corpus(study / "corpus"),
                   codebook=load_codebook(study / "codebook.yaml")).close()
    shutil.copyfile(bare, one)
    with Project.open(one) as proj:
        proj.import_codings(study / "coding" / "rina.csv", coder="rina")
    shutil.copyfile(one, two)
    with Project.open(two) as proj:
        proj.import_codings(study / "coding" / "tono.csv", coder="tono")
        proj.autocode(method="rules")
    nofactor = root / "nofactor.uqp"
    book = Codebook((make_code("stage", kind="structural", phrases=("rapat",)),
                     make_code("crisis", kind="rival", phrases=("macet",))), name="nofactor")
    new_project(nofactor, codebook=book).close()
    bad = root / "bad"
    (bad / "adir").mkdir(parents=True)
    (bad / "empty.csv").write_bytes(b"")
    (bad / "empty.uqp").write_bytes(b"")
    noise = bytes((i * 7919 + 13) % 256 for i in range(3000))
    (bad / "random.bin").write_bytes(noise)
    (bad / "random.uqp").write_bytes(noise)
    (bad / "text.txt").write_text("hello, world\n", encoding="utf-8")
    (bad / "text.uqp").write_text("SQLite? no, a text file\n", encoding="utf-8")
    (bad / "header.csv").write_text("doc_id,start,end\n", encoding="utf-8")
    (bad / "badrows.csv").write_text(BAD_ROWS, encoding="utf-8")
    (bad / "attrs.csv").write_text("doc_id,wave\nasoka-int-a,1\n", encoding="utf-8")
    (bad / "training").mkdir()
    (bad / "locked.uqp").write_bytes(two.read_bytes())
    (bad / "locked.csv").write_text(READ, encoding="utf-8")
    if not ROOT_USER:
        (bad / "locked.uqp").chmod(0)
        (bad / "locked.csv").chmod(0)
    scratch = root / "scratch"
    scratch.mkdir()
    return Env(root, study, two, one, bare, nofactor, bad, scratch)


# --------------------------------------------------------------------------- the matrix
#: Project-taking commands, with the project as {P}.
PROJECT_COMMANDS = {
    "compare": ["compare", "--project", "{P}"],
    "query": ["query", "{P}"],
    "suggest": ["suggest", "{P}"],
    "review-stats": ["review", "{P}", "--stats"],
    "review": ["review", "{P}", "1", "--accept", "--coder", "rina"],
    "export": ["export", "--project", "{P}", "--out", "{scratch}/e.xlsx"],
    "chart": ["chart", "frequencies", "--project", "{P}", "--out", "{scratch}/c.png"],
    "agreement": ["agreement", "--project", "{P}"],
    "autocode": ["autocode", "--project", "{P}"],
    "history": ["history", "--project", "{P}"],
    "undo": ["undo", "--project", "{P}", "--coder", "rina"],
    "coders": ["coders", "--project", "{P}"],
    "import-codings": ["import-codings", "{study}/coding/tono.csv", "--project", "{P}"],
    "attributes": ["attributes", "--csv", "{bad}/attrs.csv", "--project", "{P}"],
}
#: Bad project paths: (file, words the message must hold besides the path).
BAD_PROJECTS = {
    "missing": ("{bad}/nope.uqp", ["no such project file", "uppks-qual reproduce"]),
    "folder": ("{bad}/adir", ["is a folder", "project's file"]),
    "random-bytes": ("{bad}/random.uqp", ["not a uppks-qual project", "not an sqlite"]),
    "text-file": ("{bad}/text.uqp", ["not a uppks-qual project", "give the project file"]),
    "empty-file": ("{bad}/empty.uqp", ["not a uppks-qual project", "is empty"]),
    "unreadable": ("{bad}/locked.uqp", ["cannot be read", "permissions"]),
}

Case = tuple[list[str], list[str]]  # argv template, words the message holds
CASES: dict[str, Case] = {}
for _command, _argv in PROJECT_COMMANDS.items():
    for _kind, (_path, _words) in BAD_PROJECTS.items():
        CASES[f"{_command}-project-{_kind}"] = (
            [_path if a == "{P}" else a for a in _argv], [_path, *_words])

CASES.update({
    # files a command reads
    "import-codings-missing": (["import-codings", "{bad}/nope.csv", "--project", "{two}"],
                               ["{bad}/nope.csv", "no such file", "codings csv"]),
    "import-codings-folder": (["import-codings", "{bad}/adir", "--project", "{two}"],
                              ["{bad}/adir", "is a folder", "codings csv"]),
    "import-codings-empty": (["import-codings", "{bad}/empty.csv", "--project", "{two}"],
                             ["{bad}/empty.csv", "is empty", "codings csv"]),
    "import-codings-binary": (["import-codings", "{bad}/random.bin", "--project", "{two}"],
                              ["{bad}/random.bin", "utf-8 text file"]),
    "import-codings-unreadable": (["import-codings", "{bad}/locked.csv", "--project", "{two}"],
                                  ["{bad}/locked.csv", "cannot be read"]),
    "attributes-missing": (["attributes", "--csv", "{bad}/nope.csv", "--project", "{two}"],
                           ["{bad}/nope.csv", "no such file", "--csv takes"]),
    "attributes-folder": (["attributes", "--csv", "{bad}/adir", "--project", "{two}"],
                          ["{bad}/adir", "is a folder", "--csv takes"]),
    "attributes-empty": (["attributes", "--csv", "{bad}/empty.csv", "--project", "{two}"],
                         ["{bad}/empty.csv", "is empty"]),
    "scope-missing": (["agreement", "--project", "{two}", "--scope", "{bad}/nope.csv"],
                      ["{bad}/nope.csv", "no such file", "--scope takes"]),
    "scope-folder": (["agreement", "--project", "{two}", "--scope", "{bad}/adir"],
                     ["{bad}/adir", "is a folder", "--scope takes"]),
    "scope-empty": (["agreement", "--project", "{two}", "--scope", "{bad}/empty.csv"],
                    ["{bad}/empty.csv", "is empty", "--scope takes"]),
    "scope-binary": (["agreement", "--project", "{two}", "--scope", "{bad}/random.bin"],
                     ["{bad}/random.bin", "utf-8 text file"]),
    "scope-no-columns": (["agreement", "--project", "{two}", "--scope", "{bad}/text.txt"],
                         ["{bad}/text.txt:1", "needs column(s) doc_id, start, end"]),
    "scope-bad-rows": (["agreement", "--project", "{two}", "--scope", "{bad}/badrows.csv"],
                       ["3 bad row(s)", "{bad}/badrows.csv:2", "whole numbers",
                        "{bad}/badrows.csv:3", "unknown document 'nope'",
                        "{bad}/badrows.csv:4", "133 characters"]),
    "scope-header-only": (["agreement", "--project", "{two}", "--scope", "{bad}/header.csv"],
                          ["{bad}/header.csv", "lists no passages"]),
    "scope-unreadable": (["agreement", "--project", "{two}", "--scope", "{bad}/locked.csv"],
                         ["{bad}/locked.csv", "cannot be read"]),
    "check-corpus-missing": (["check", "{bad}/nope", "--codebook", "{study}/codebook.yaml"],
                             ["{bad}/nope", "no such file or folder", "problem(s) found"]),
    "check-codebook-folder": (["check", "{study}/corpus", "--codebook", "{bad}/adir"],
                              ["{bad}/adir", "is a folder", "--codebook takes"]),
    "check-codebook-empty": (["check", "{study}/corpus", "--codebook", "{bad}/empty.csv"],
                             ["{bad}/empty.csv", "is empty", "--codebook takes"]),
    # the main job: every input checked before anything is written
    "reproduce-corpus-missing": (["reproduce", "--corpus", "{bad}/nope", "--codebook",
                                  "{study}/codebook.yaml", "--project", "{scratch}/p.uqp",
                                  "--out", "{scratch}/out"],
                                 ["{bad}/nope", "no such file or folder", "--corpus takes"]),
    "reproduce-codebook-folder": (["reproduce", "--corpus", "{study}/corpus", "--codebook",
                                   "{bad}/adir", "--project", "{scratch}/p.uqp", "--out",
                                   "{scratch}/out"], ["{bad}/adir", "is a folder"]),
    "reproduce-manifest-missing": (["reproduce", "--corpus", "{study}/corpus", "--codebook",
                                    "{study}/codebook.yaml", "--manifest", "{bad}/nope.yaml",
                                    "--project", "{scratch}/p.uqp", "--out", "{scratch}/out"],
                                   ["{bad}/nope.yaml", "--manifest takes"]),
    "reproduce-training-missing": (["reproduce", "--corpus", "{study}/corpus", "--codebook",
                                    "{study}/codebook.yaml", "--training", "{bad}/nope",
                                    "--project", "{scratch}/p.uqp", "--out", "{scratch}/out"],
                                   ["{bad}/nope", "no such folder", "train*.csv"]),
    "reproduce-training-file": (["reproduce", "--corpus", "{study}/corpus", "--codebook",
                                 "{study}/codebook.yaml", "--training", "{bad}/text.txt",
                                 "--project", "{scratch}/p.uqp", "--out", "{scratch}/out"],
                                ["{bad}/text.txt", "is a file, not a folder"]),
    "reproduce-project-folder": (["reproduce", "--corpus", "{study}/corpus", "--codebook",
                                  "{study}/codebook.yaml", "--project", "{bad}/adir",
                                  "--out", "{scratch}/out"],
                                 ["{bad}/adir", "is a folder", "project file"]),
    "reproduce-project-not-a-project": (["reproduce", "--corpus", "{study}/corpus",
                                         "--codebook", "{study}/codebook.yaml", "--project",
                                         "{bad}/text.txt", "--out", "{scratch}/out"],
                                        ["{bad}/text.txt", "not a uppks-qual project",
                                         "never replaced"]),
    "reproduce-out-is-a-file": (["reproduce", "--corpus", "{study}/corpus", "--codebook",
                                 "{study}/codebook.yaml", "--project", "{scratch}/p.uqp",
                                 "--out", "{bad}/text.txt"],
                                ["{bad}/text.txt", "is a file, not a folder", "--out"]),
    "reproduce-out-in-corpus": (["reproduce", "--corpus", "{study}/corpus", "--codebook",
                                 "{study}/codebook.yaml", "--project", "{scratch}/p.uqp",
                                 "--out", "{study}/corpus/results"],
                                ["{study}/corpus/results", "inside the corpus folder",
                                 "choose another --out"]),
    "reproduce-no-factors": (["reproduce", "--corpus", "{study}/corpus", "--codebook",
                              "{root}/nofactor.yaml", "--project", "{scratch}/p.uqp",
                              "--out", "{scratch}/out"],
                             ["{root}/nofactor.yaml", "no codes of kind factor"]),
    # auto-coding
    "autocode-training-missing": (["autocode", "--project", "{two}", "--method", "learned",
                                   "--training", "{bad}/nope"],
                                  ["{bad}/nope", "no such folder", "--training takes"]),
    "autocode-training-with-rules": (["autocode", "--project", "{two}", "--training",
                                      "{bad}/training"],
                                     ["--training is used only by --method learned"]),
    "autocode-training-no-files": (["autocode", "--project", "{two}", "--method", "learned",
                                    "--training", "{bad}/training"],
                                   ["{bad}/training", "no train*.csv"]),
    "autocode-processes-zero": (["autocode", "--project", "{two}", "--processes", "0"],
                                ["--processes must be a positive number"]),
    # merging projects coded apart
    "merge-source-missing": (["merge", "{bad}/nope.uqp", "{two}", "--out", "{scratch}/m.uqp"],
                             ["{bad}/nope.uqp", "no such project file"]),
    "merge-out-is-a-source": (["merge", "{two}", "{two}", "--out", "{two}"],
                              ["must be a new project", "give another --out"]),
    # auto-coding files on Dask into Parquet
    "dask-codebook-missing": (["autocode-corpus", "{study}/corpus", "--codebook",
                               "{bad}/nope.yaml", "--out", "{scratch}/c.parquet"],
                              ["{bad}/nope.yaml", "--codebook takes"]),
    "dask-glob-matches-nothing": (["autocode-corpus", "{bad}/*.nothing", "--codebook",
                                   "{study}/codebook.yaml", "--out", "{scratch}/c.parquet"],
                                  ["matches no file"]),
    "dask-path-missing": (["autocode-corpus", "{bad}/nope", "--codebook",
                           "{study}/codebook.yaml", "--out", "{scratch}/c.parquet"],
                          ["{bad}/nope", "no such file or folder"]),
    "dask-out-folder-missing": (["autocode-corpus", "{study}/corpus", "--codebook",
                                 "{study}/codebook.yaml", "--out", "{scratch}/no/c.parquet"],
                                ["does not exist"]),
    "dask-out-not-parquet": (["autocode-corpus", "{study}/corpus", "--codebook",
                              "{study}/codebook.yaml", "--out", "{study}/corpus",
                              "--overwrite"],
                             ["not a Parquet folder"]),
    "dask-duplicate-id": (["autocode-corpus", "{root}/dupcorpus", "--codebook",
                           "{study}/codebook.yaml", "--out", "{scratch}/c.parquet"],
                          ["{root}/dupcorpus/copies/zz-copy.txt:2: duplicate document id "
                           "'asoka-int-a' (also in {root}/dupcorpus/asoka-int-a.txt)",
                           "another id", "nothing was coded"]),
    "dask-folder-with-glob-characters": (["autocode-corpus", "{root}/Transkrip [2004]",
                                          "--codebook", "{study}/codebook.yaml", "--out",
                                          "{scratch}/c.parquet"],
                                         ["{root}/Transkrip [2004]/zz-copy.txt:2: duplicate "
                                          "document id 'asoka-int-a'"]),
    "autocode-corpus-missing": (["autocode", "--project", "{scratch}/new.uqp", "--corpus",
                                 "{bad}/nope", "--codebook", "{study}/codebook.yaml"],
                                ["{bad}/nope", "--corpus takes"]),
    "autocode-overwrite-not-a-project": (["autocode", "--project", "{bad}/text.txt",
                                          "--corpus", "{study}/corpus", "--codebook",
                                          "{study}/codebook.yaml", "--overwrite"],
                                         ["{bad}/text.txt", "never replaced"]),
    # output files
    "chart-out-unknown-type": (["chart", "frequencies", "--project", "{two}", "--out",
                                "{scratch}/c.bogus"], ["--out", "c.bogus", ".png or .svg"]),
    "chart-out-no-type": (["chart", "frequencies", "--project", "{two}", "--out",
                           "{scratch}/c"], ["--out", "no image type", ".png or .svg"]),
    "chart-out-folder": (["chart", "frequencies", "--project", "{two}", "--out", "{bad}/adir"],
                         ["{bad}/adir", "is a folder", "image file"]),
    "agreement-chart-unknown-type": (["agreement", "--project", "{two}", "--coders", "rina",
                                      "tono", "--chart", "{scratch}/k.bogus"],
                                     ["--chart", "k.bogus", ".png or .svg"]),
    "export-out-unknown-type": (["export", "--project", "{two}", "--out", "{scratch}/x.csv"],
                                ["--out", "x.csv", "folder for csv files"]),
    "export-out-existing-file": (["export", "--project", "{two}", "--out", "{bad}/text.txt"],
                                 ["{bad}/text.txt", "an existing file is none of these"]),
    "export-xlsx-is-a-folder": (["export", "--project", "{two}", "--out", "{root}/d.xlsx"],
                                ["{root}/d.xlsx", "is a folder"]),
    # options naming what the project must have
    "compare-origin-bogus": (["compare", "--project", "{two}", "--origin", "bogus"],
                             ["--origin", "bogus", "manual", "auto", "reviewed"]),
    "compare-origin-absent": (["compare", "--project", "{two}", "--origin", "reviewed"],
                              ["--origin reviewed", "no reviewed codings", "auto, manual"]),
    "compare-unknown-group": (["compare", "--project", "{two}", "-a", "Nope", "-b", "Melati"],
                              ["'nope'", "asoka", "melati"]),
    "compare-unknown-column": (["compare", "--project", "{two}", "--by", "nope"],
                               ["--by 'nope'", "known:", "group"]),
    "compare-no-factors": (["compare", "--project", "{nofactor}"],
                           ["{nofactor}", "no codes of kind factor", "kind: factor"]),
    "chart-no-factors": (["chart", "frequencies", "--project", "{nofactor}", "--out",
                          "{scratch}/c.png"], ["{nofactor}", "no codes of kind factor"]),
    "compare-unit-bogus": (["compare", "--project", "{two}", "--unit", "word"],
                           ["--unit", "word", "case", "coding"]),
    "query-unknown-group": (["query", "{two}", "--where", "group=Nope"],
                            ["--where group=nope", "asoka, melati"]),
    "query-unknown-coder": (["query", "{two}", "--where", "coder=zed"],
                            ["--where coder=zed", "auto", "rina"]),
    "query-unknown-column": (["query", "{two}", "--where", "nope=1"],
                             ["unknown column 'nope'", "known columns"]),
    "query-unknown-code": (["query", "{two}", "--code", "nope"],
                           ["unknown code 'nope'", "capital, capital.loan, leadership"]),
    "query-valence-bogus": (["query", "{two}", "--valence", "bogus"],
                            ["--valence", "positive", "negative", "neutral"]),
    "query-context-bogus": (["query", "{two}", "--context", "x"],
                            ["--context", "number of sentences", "turn"]),
    "query-where-malformed": (["query", "{two}", "--where", "group"],
                              ["--where", "column=value"]),
    "suggest-unknown-coder": (["suggest", "{two}", "--coder", "zed"],
                              ["--coder 'zed'", "not a coder", "auto"]),
    "suggest-human-coder": (["suggest", "{two}", "--coder", "rina"],
                            ["--coder 'rina'", "human coder", "auto"]),
    "suggest-no-auto-coder": (["suggest", "{one}"],
                              ["{one}", "no automatic codings", "uppks-qual autocode"]),
    "suggest-unknown-code": (["suggest", "{two}", "--code", "nope"],
                             ["unknown code 'nope'", "known codes"]),
    "agreement-unknown-coder": (["agreement", "--project", "{two}", "--coders", "rina", "zed"],
                                ["'zed' is not a coder", "rina (human)", "tono (human)",
                                 "uppks-qual import-codings"]),
    "agreement-one-human-coder": (["agreement", "--project", "{one}"],
                                  ["{one}: the project has only one human coder (rina)",
                                   "{study}/coding/tono.csv --coder tono",
                                   "--coders rina tono"]),
    "agreement-one-human-coder-named": (["agreement", "--project", "{one}", "--coders",
                                         "rina", "zed"],
                                        ["only one human coder (rina)",
                                         "file.csv --coder zed", "--coders rina zed"]),
    "agreement-no-human-coder": (["agreement", "--project", "{nofactor}"],
                                 ["{nofactor}: the project has no human coder",
                                  "uppks-qual import-codings", "--coder name"]),
    "agreement-manifest-coders-absent": (["agreement", "--project", "{bare}"],
                                         ["{bare}: the project has no human coder",
                                          "its coders: none",
                                          "{study}/coding/rina.csv --coder rina",
                                          "{study}/coding/tono.csv --coder tono",
                                          "--coders rina tono"]),
    "agreement-same-coder": (["agreement", "--project", "{two}", "--coders", "rina", "rina"],
                             ["two different coders"]),
    "review-id-not-a-number": (["review", "{two}", "abc", "--accept", "--coder", "rina"],
                               ["suggestion id is a whole number", "'abc'"]),
    "review-unknown-code": (["review", "{two}", "1", "--accept", "--coder", "rina", "--code",
                             "nope"], ["unknown code 'nope'"]),
    "chart-doc-not-stripe": (["chart", "heatmap", "--project", "{two}", "--doc", "asoka-int-a",
                              "--out", "{scratch}/h.png"],
                             ["--doc is used only by the stripe chart", "not by heatmap"]),
    "chart-normalise-not-frequencies": (["chart", "valence", "--project", "{two}",
                                         "--normalise", "--out", "{scratch}/v.png"],
                                        ["--normalise is used only by the frequencies"]),
    "review-stats-with-a-decision": (["review", "{two}", "1", "--accept", "--stats"],
                                     ["--stats", "give it alone"]),
    "autocode-overwrite-without-corpus": (["autocode", "--project", "{two}", "--overwrite"],
                                          ["--overwrite", "give --corpus too"]),
    "chart-unknown-document": (["chart", "stripe", "--project", "{two}", "--doc", "nope",
                                "--out", "{scratch}/s.png"], ["unknown document 'nope'"]),
    "chart-unknown-column": (["chart", "frequencies", "--project", "{two}", "--by", "nope",
                              "--out", "{scratch}/c.png"], ["'by' parameter", "group"]),
})
#: Cases that chmod cannot set up for root (root reads every file).
NEEDS_NON_ROOT = {k for k in CASES if "unreadable" in k}
#: The cases also run through the installed console script (one process each): every
#: family, and every failure issue 13 lists.
CONSOLE = ("compare-origin-bogus", "compare-no-factors", "agreement-manifest-coders-absent",
           "scope-no-columns", "query-unknown-group", "reproduce-project-not-a-project",
           "import-codings-empty", "compare-project-missing", "query-project-folder",
           "review-project-text-file", "agreement-project-empty-file")


def _params(names: Iterable[str]) -> list[object]:
    return [pytest.param(k, marks=pytest.mark.skipif(
        ROOT_USER, reason="root reads a chmod 000 file")) if k in NEEDS_NON_ROOT else k
        for k in names]


@pytest.fixture(scope="module")
def before(env: Env) -> dict[str, str]:
    """The module's folder before any case ran (and the inputs the cases need)."""
    (env.root / "nofactor.yaml").write_text(
        "version: 1\nname: nofactor\ncodes:\n  - id: stage\n    kind: structural\n"
        "    label: {en: Stage, id: Tahap}\n    cues: {phrases: [rapat]}\n", encoding="utf-8")
    (env.root / "d.xlsx").mkdir(exist_ok=True)
    # corpora with one document in two files (the same id): one in a folder whose name holds
    # glob characters, which is a folder, not a pattern
    for folder, copy in (("dupcorpus", "copies/zz-copy.txt"),
                         ("Transkrip [2004]", "zz-copy.txt")):
        if not (env.root / folder).exists():
            shutil.copytree(env.study / "corpus", env.root / folder)
            (env.root / folder / copy).parent.mkdir(exist_ok=True)
            shutil.copyfile(env.root / folder / "asoka-int-a.txt", env.root / folder / copy)
    return tree_state(env.root)


def check_result(name: str, env: Env, status: int, stdout: str, stderr: str) -> None:
    """Status 1 (2 for click's usage errors; never 70, a bug), and a message holding the
    case's words."""
    usage = status == 2 and "Usage: uppks-qual" in stderr
    assert status == 1 or usage, (status, stdout[-1500:], stderr[-1500:])
    assert "internal error" not in stderr and "Traceback" not in stderr
    message = " ".join(stderr.split()).lower()
    for word in CASES[name][1]:
        assert " ".join(env.fill(word).split()).lower() in message, (word, stderr)


@pytest.mark.parametrize("name", _params(CASES))
def test_bad_input_is_one_clear_error(name: str, env: Env, before: dict[str, str],
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Through :func:`uppks_qual.cli.main`, what the console script runs, in this process
    (the console script itself: :func:`test_bad_input_through_the_console_script`)."""
    monkeypatch.delenv("UPPKS_QUAL_DEBUG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    with pytest.raises(SystemExit) as caught:
        cli.main([env.fill(a) for a in CASES[name][0]])
    out = capsys.readouterr()
    assert isinstance(caught.value.code, int)
    check_result(name, env, caught.value.code, out.out, out.err)


@pytest.fixture(scope="module")
def console(env: Env, before: dict[str, str]
            ) -> dict[str, subprocess.CompletedProcess[str] | AssertionError]:
    """The :data:`CONSOLE` cases through the console script, three at a time."""
    def one(name: str) -> subprocess.CompletedProcess[str] | AssertionError:
        try:
            return run_cli(*(env.fill(a) for a in CASES[name][0]), status=None, timeout=240)
        except AssertionError as exc:  # a traceback reached the user
            return exc

    names = [k for k in CONSOLE if not (ROOT_USER and k in NEEDS_NON_ROOT)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


@pytest.mark.parametrize("name", _params(CONSOLE))
def test_bad_input_through_the_console_script(
        name: str, env: Env,
        console: dict[str, subprocess.CompletedProcess[str] | AssertionError]) -> None:
    result = console[name]
    if isinstance(result, AssertionError):
        raise result
    check_result(name, env, result.returncode, result.stdout, result.stderr)


def test_the_bad_inputs_wrote_nothing(
        env: Env, before: dict[str, str],
        console: dict[str, subprocess.CompletedProcess[str] | AssertionError]) -> None:
    assert_unchanged(before, env.root)
    assert not list(env.scratch.iterdir())


# --------------------------------------------------------------------------- read-only
@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files or folders unwritable: ``chattr +i`` for root (whom permissions do not
    stop), ``chmod a-w`` otherwise; restored on exit."""
    if ROOT_USER:
        if shutil.which("chattr") is None:
            pytest.skip("root without chattr: cannot make a file read-only")
        done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True,
                              check=False)
        if done.returncode:
            pytest.skip(f"chattr +i not supported here: {done.stderr!r}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=False)
    else:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(modes[p] & ~0o222)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)


def _needs_ensure_writable() -> None:
    if not hasattr(Project, "ensure_writable"):
        pytest.skip("Project.ensure_writable is not there yet")


@pytest.mark.parametrize("command", [
    ["autocode", "--project", "{P}"],
    ["import-codings", "{study}/coding/tono.csv", "--coder", "budi", "--project", "{P}"],
    ["suggest", "{P}"],
], ids=lambda c: c[0])
def test_a_read_only_project_is_refused_before_any_work(command: list[str], env: Env,
                                                        tmp_path: Path) -> None:
    _needs_ensure_writable()
    project = tmp_path / "ro.uqp"
    shutil.copyfile(env.two, project)
    before = db_dump(project)
    with read_only(project):
        args = [str(project) if a == "{P}" else env.fill(a) for a in command]
        result = run_cli(*args)
    message = " ".join(result.stderr.split())
    assert str(project) in message and "internal error" not in message
    assert "read" in message.lower()
    assert "auto-coding" not in result.stderr  # failed at once, before coding anything
    assert db_dump(project) == before


WRITERS = [
    ["autocode", "--project", "{P}"],
    ["autocode", "--project", "{P}", "--method", "learned"],
    ["import-codings", "{study}/coding/tono.csv", "--coder", "budi", "--project", "{P}"],
    ["attributes", "--csv", "{bad}/attrs.csv", "--project", "{P}"],
    ["review", "{P}", "1", "--reject", "--coder", "rina"],
    ["suggest", "{P}"],
]


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: "-".join(c[:1] + c[3:4]))
def test_every_writer_checks_the_project_first(command: list[str], env: Env, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """In this process, through :func:`uppks_qual.cli.main`: each command that writes the
    project refuses a read-only one with the store's message, before any work."""
    _needs_ensure_writable()
    project = tmp_path / "ro.uqp"
    shutil.copyfile(env.two, project)
    before = db_dump(project)
    capsys.readouterr()
    with read_only(project), pytest.raises(SystemExit) as caught:
        cli.main([str(project) if a == "{P}" else env.fill(a) for a in command])
    err = " ".join(capsys.readouterr().err.split())
    assert caught.value.code == 1, err
    assert err.startswith(f"error: {project}: "), err  # StoreReadOnlyError, the file named
    assert "read-only" in err and "internal error" not in err
    assert "auto-coding" not in err
    assert db_dump(project) == before


def test_reproduce_into_a_read_only_folder_fails_before_coding(env: Env, tmp_path: Path
                                                               ) -> None:
    target = tmp_path / "locked"
    target.mkdir()
    before = tree_state(tmp_path)
    with read_only(target):
        result = run_cli("reproduce", "--corpus", env.study / "corpus", "--codebook",
                         env.study / "codebook.yaml", "--project", target / "p.uqp", "--out",
                         tmp_path / "out", "--method", "rules")
    message = " ".join(result.stderr.split())
    assert f"{target / 'p.uqp'}: cannot write the project" in message
    assert "choose a writable place (--project)" in message
    assert "auto-coded" not in result.stdout and "auto-coding" not in result.stderr
    assert_unchanged(before, tmp_path)
    assert not (tmp_path / "out").exists()


def test_check_destination_refuses_a_read_only_folder(tmp_path: Path) -> None:
    with read_only(tmp_path), pytest.raises(StoreReadOnlyError) as caught:
        check_destination(tmp_path / "sub" / "p.uqp")
    assert type(caught.value) is StoreReadOnlyError
    assert str(tmp_path / "sub" / "p.uqp") in str(caught.value)
    assert not (tmp_path / "sub").exists()


def test_check_output_folder_refuses_a_read_only_folder(tmp_path: Path) -> None:
    with read_only(tmp_path), pytest.raises(OutputError) as caught:
        check_output_folder(tmp_path / "out")
    assert type(caught.value) is OutputError
    assert f"{tmp_path / 'out'}: cannot write the results" in str(caught.value)


# --------------------------------------------------------------------------- the main job
@pytest.mark.parametrize("broken", ["read", "codings"])
def test_reproduce_checks_the_manifest_files_before_replacing_a_project(
        broken: str, env: Env, tmp_path: Path) -> None:
    study = write_study(tmp_path / "study", **(
        {"read": BAD_ROWS} if broken == "read" else
        {"rina": RINA + "melati-int-b,nope_code,Modal macet.,negative\n"}))
    project = tmp_path / "p.uqp"
    shutil.copyfile(env.two, project)
    before, folder = db_dump(project), tree_state(tmp_path)
    result = run_cli("reproduce", "--corpus", study / "corpus", "--codebook",
                     study / "codebook.yaml", "--project", project, "--out", tmp_path / "out",
                     "--method", "rules")
    message = " ".join(result.stderr.split())
    if broken == "read":
        assert f"{study / 'coding' / 'read.csv'}: 3 bad row(s)" in message
        assert f"{study / 'coding' / 'read.csv'}:3: unknown document 'nope'" in message
    else:
        assert f"{study / 'coding' / 'rina.csv'}:5:" in message
        assert "nope_code" in message
    assert "auto-coded" not in result.stdout
    assert db_dump(project) == before
    assert_unchanged(folder, tmp_path)


def test_an_interrupted_main_job_keeps_the_old_project(env: Env, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from uppks_qual import pipeline

    project = tmp_path / "p.uqp"
    shutil.copyfile(env.two, project)
    before = db_dump(project)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_autocode", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_study(env.study / "corpus", env.study / "codebook.yaml", project,
                           tmp_path / "out", method="rules", say=lambda line: None)
    assert db_dump(project) == before
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm")))
    assert left == ["p.uqp"]  # no partial project file left behind


def test_check_destination_never_replaces_another_file(tmp_path: Path) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes\n", encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        check_destination(precious)
    assert type(caught.value) is StoreError
    assert f"{precious}: exists and is not a uppks-qual project" in str(caught.value)
    assert precious.read_text(encoding="utf-8") == "my notes\n"


# --------------------------------------------------------------------------- passages files
def test_read_passages_lists_every_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "scope.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    with pytest.raises(ImportProblem) as caught:
        read_passages(path, lengths={"asoka-int-a": 164, "melati-int-b": 133},
                      what="scope file")
    exc = caught.value
    assert type(exc) is ImportProblem
    assert exc.path == str(path) and len(getattr(exc, "problems", ())) == 3
    assert f"{path}:2: start and end must be whole numbers" in str(exc)
    assert f"{path}:4: [25, 9999) is not a passage of 'melati-int-b'" in str(exc)


def test_read_passages_gives_whole_numbers(tmp_path: Path) -> None:
    path = tmp_path / "scope.csv"
    path.write_text("passage_id,doc_id,start,end,text\nP1,d, 3 ,9,x\n", encoding="utf-8")
    frame = read_passages(path, lengths={"d": 10})
    assert frame.to_dict("records") == [{"doc_id": "d", "start": 3, "end": 9}]
    assert frame["start"].dtype == "int64"


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list("doc_id,startend\n\"0123456789-x \r\t;é\x00")),
               max_size=120))
def test_read_passages_fuzz(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_text(text, encoding="utf-8")
    try:
        frame = read_passages(path, lengths={"d": 50, "doc_id": 5})
    except QualError:
        return
    assert list(frame.columns) == ["doc_id", "start", "end"]
    assert ((frame["start"] >= 0) & (frame["start"] < frame["end"])).all()


# --------------------------------------------------------------------------- the entry point
def _python(code: str, *, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


BOOM = ("import sys\nimport uppks_qual.cli as c\n"
        "def boom(*a, **k):\n    raise RuntimeError('kaboom\\nsecond line')\n"
        "c._open = boom\n"
        "sys.argv = ['uppks-qual', 'compare', '--project', 'x.uqp']\nc.main()\n")


def test_an_unexpected_exception_is_one_line_and_status_70() -> None:
    done = _python(BOOM, env={"UPPKS_QUAL_DEBUG": ""})
    assert done.returncode == 70, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "error: internal error (RuntimeError: kaboom second line) — please report it with "
        "the command you ran; run with UPPKS_QUAL_DEBUG=1 for the traceback")


def test_debug_shows_the_traceback() -> None:
    done = _python(BOOM, env={"UPPKS_QUAL_DEBUG": "1"})
    assert done.returncode not in (0, 70)
    assert "Traceback" in done.stderr and "RuntimeError: kaboom" in done.stderr


def test_ctrl_c_is_status_130(monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_open", interrupted)
    with pytest.raises(SystemExit) as caught:
        cli.main(["compare", "--project", "x.uqp"])
    assert caught.value.code == 130
    assert "interrupted; the project keeps its last committed state" in capsys.readouterr().err


def test_a_usage_error_is_status_2_through_main(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as caught:
        cli.main(["compare", "--origin", "bogus"])
    assert caught.value.code == 2  # click's usage-error status
    err = " ".join(capsys.readouterr().err.split())
    assert "Invalid value for '--origin'" in err
    assert "'bogus' is not one of 'manual', 'auto', 'reviewed'" in err


def test_a_closed_pipe_ends_quietly(env: Env) -> None:
    # as `uppks-qual query P | head -0`: the reader is gone before the first line
    proc = subprocess.Popen([str(CLI), "query", str(env.two), "--limit", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "UPPKS_QUAL_DEBUG": ""})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert "internal error" not in err and "Broken pipe" not in err, err
    assert proc.returncode in (141, -signal.SIGPIPE), (proc.returncode, err)


def test_a_pipe_closed_after_the_first_line(env: Env, tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text(f'"{CLI}" query "{env.two}" --limit 0 | head -1\n', encoding="utf-8")
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 1
    assert "Traceback" not in done.stderr and "Broken pipe" not in done.stderr, done.stderr


def test_help_lists_every_command() -> None:
    done = run_cli("--help", status=0)
    commands = {c.name or c.callback.__name__.replace("_", "-")
                for c in cli.app.registered_commands if c.callback is not None}
    for command in commands:
        assert command in done.stdout
    covered = {args[0] for args, _ in CASES.values()}
    assert commands - {"import-qdpx"} <= covered, commands - covered


def test_agreement_on_a_scope_file_reads_whole_numbers(env: Env) -> None:
    scope = env.study / "coding" / "read.csv"
    result = run_cli("agreement", "--project", env.two, "--coders", "rina", "tono",
                     "--scope", scope, status=0)
    assert "Agreement rina vs tono" in result.stdout
    frame = pd.read_csv(scope)
    assert len(frame) == 2


@pytest.mark.parametrize("command", [
    ["compare", "--project", "{P}"],
    ["import-codings", "{F}", "--project", "{two}"],
    ["agreement", "--project", "{two}", "--scope", "{F}"],
], ids=lambda c: c[0])
def test_an_unreadable_file_is_named(command: list[str], env: Env, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    # chmod 000 does not stop root: the refusal is simulated where the file is opened
    import builtins

    locked_project, locked_file = tmp_path / "locked.uqp", tmp_path / "locked.csv"
    shutil.copyfile(env.two, locked_project)
    locked_file.write_text(READ, encoding="utf-8")
    real_open = builtins.open

    def guarded(file: object, *args: object, **kwargs: object) -> object:
        if str(file) in (str(locked_project), str(locked_file)):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", guarded)
    args = [env.fill(a.replace("{P}", str(locked_project)).replace("{F}", str(locked_file)))
            for a in command]
    with pytest.raises(SystemExit) as caught:
        cli.main(args)
    err = " ".join(capsys.readouterr().err.split())
    assert caught.value.code == 1, err
    locked = locked_project if "{P}" in command else locked_file
    assert f"error: {locked}: cannot be read (Permission denied); check the file's " \
           "permissions" in err
