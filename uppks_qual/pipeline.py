"""The main job, for any study: load, auto-code, add the manual codings, write the results.

:func:`run_study` is what ``uppks-qual reproduce`` runs; a notebook can call it too. Everything
about the study (groups to compare, hypothesis, coders and their files, training passages,
provenance) comes from its manifest (:mod:`uppks_qual.manifest`), so the same job runs on the
bundled corpus and on a user's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .codebook import load_codebook
from .corpus import load_corpus
from .errors import ImportProblem, QualError
from .learn import training_files
from .manifest import Manifest, read_manifest
from .params import Options, validate_params
from .project import Project
from .report import Results, write_results

__all__ = ["StudyRun", "run_study"]


@dataclass
class StudyRun:
    """What :func:`run_study` did: the project (open), the results, the automatic coder
    used and the steps it reported."""

    project: Project
    results: Results
    method: str
    messages: list[str] = field(default_factory=list)
    model: str = ""  #: what coded: "rules", "cross-fitted, k folds", "trained on N passages"


@validate_params({"method": [Options("learned", "rules")], "cross_fit": [bool]})
def run_study(corpus: str | Path, codebook: str | Path, project: str | Path, out: str | Path, *,
              manifest: str | Path | Manifest | None = None, method: str = "learned",
              training: str | Path | None = None, lang: str = "en",
              say: Callable[[str], None] = print, progress: bool | None = None,
              cross_fit: bool = True) -> StudyRun:
    """Run the main job on a corpus and write tables, charts and ``report.html`` to ``out``.

    1. Load the corpus with its manifest (``corpus.yaml`` in the folder, or ``manifest``) and
       the codebook; create the project at ``project`` (replacing it).
    2. Auto-code: ``method="learned"`` trains on the training passages (``training``, else the
       manifest's ``coding.training``); with none, or none that fit this corpus, it says so and
       uses the rules. The learned codings are evidence about this corpus, so by default
       (``cross_fit=True``) each document is coded by a model trained on the *other*
       documents' passages (5 folds by document, :meth:`Project.autocode`); the log line says
       so. ``cross_fit=False`` codes every document with one model trained on all passages,
       including those of the documents it codes.
    3. Import each of the manifest's manual coders (``coding.manual``): their codings and the
       passages they read; the evidence is theirs where they read, the automatic coder's
       elsewhere (:meth:`Project.set_evidence_coders`).
    4. Write the results (:func:`uppks_qual.report.write_results`).

    ``say`` receives one line per step (``print`` by default).
    """
    study = read_manifest(manifest) if isinstance(manifest, str | Path) else manifest
    say(f"loading {corpus} and {codebook}")
    loaded = load_corpus(corpus, manifest=study)
    proj = Project.create(project, corpus=loaded, codebook=load_codebook(codebook),
                          overwrite=True)
    messages: list[str] = []

    def tell(line: str) -> None:
        messages.append(line)
        say(line)

    used, model = _autocode(proj, method, training, tell, progress, cross_fit)
    coders = _manual(proj, tell)
    proj.set_evidence_coders([*coders, "auto"])
    tell(f"writing results to {out}/")
    shown = used if model == "rules" else f"{used}, {model}" + (
        " by document: no document coded by a model that saw it"
        if model.startswith("cross-fitted") else "")
    results = write_results(proj, out, method=shown, lang=lang)
    return StudyRun(proj, results, used, messages, model)


def _described(model: str) -> str:
    """The log's words for what coded (``cross-fitted, 5 folds`` ...)."""
    if model.startswith("cross-fitted"):
        return (f"{model} by document: each document coded by a model trained on the other "
                "documents' passages")
    return model


def _autocode(proj: Project, method: str, training: str | Path | None,
              tell: Callable[[str], None], progress: bool | None,
              cross_fit: bool) -> tuple[str, str]:
    folder = training if training is not None else proj.manifest.training
    files = training_files(folder) if folder is not None else []
    if method == "learned" and not files:
        tell(f"no training codings (train*.csv) in {folder or 'the manifest'}: using the rules "
             "alone")
        method = "rules"
    if method == "learned":
        try:
            counts = proj.autocode(method="learned", training=files, progress=progress,
                                   cross_fit=cross_fit)
        except ImportProblem as exc:
            tell(f"the training codings do not fit this corpus ({exc.message.splitlines()[0]}): "
                 "using the rules alone")
            method = "rules"
    if method == "rules":
        counts = proj.autocode(method="rules", progress=progress)
    model = str(counts.get("model", "rules"))
    how = method if model == "rules" else f"{method}, {_described(model)}"
    tell(f"auto-coded ({how}) {counts['documents']} documents: {counts['codings']} codings")
    return method, model


def _manual(proj: Project, tell: Callable[[str], None]) -> list[str]:
    """Import the manifest's manual coders; return the coders whose codings were imported."""
    coders = []
    for entry in proj.manifest.manual:
        if entry.codings is None or not Path(entry.codings).exists():
            tell(f"no codings file for coder {entry.coder} ({entry.codings}): skipped")
            continue
        added = proj.import_codings(entry.codings, coder=entry.coder)
        tell(f"imported {added['codings']} manual codings of {entry.coder} from "
             f"{entry.codings}")
        if entry.read is not None and Path(entry.read).exists():
            try:
                proj.mark_read(pd.read_csv(entry.read), coder=entry.coder)
            except (QualError, pd.errors.ParserError) as exc:
                raise ImportProblem(f"the passages {entry.coder} read cannot be used: {exc}",
                                    path=entry.read) from None
        coders.append(entry.coder)
    return coders
