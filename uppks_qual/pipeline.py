"""The main job, for any study: load, auto-code, add the manual codings, write the results.

:func:`run_study` is what ``uppks-qual reproduce`` runs; a notebook can call it too. Everything
about the study (groups to compare, hypothesis, coders and their files, training passages,
provenance) comes from its manifest (:mod:`uppks_qual.manifest`), so the same job runs on the
bundled corpus and on a user's own.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .codebook import load_codebook
from .corpus import Corpus, load_corpus
from .errors import (
    CodebookError,
    ImportProblem,
    OutputError,
    ParameterError,
    StoreError,
    StoreReadOnlyError,
)
from .interop.csvio import read_codings_csv, read_table
from .learn import training_files
from .manifest import Manifest, read_manifest
from .params import Options, validate_params
from .project import Project
from .records import Codebook
from .report import Results, write_results

__all__ = ["StudyRun", "check_destination", "check_output_folder", "read_passages",
           "run_study"]


@dataclass
class StudyRun:
    """What :func:`run_study` did: the project (open), the results, the automatic coder
    used and the steps it reported."""

    project: Project
    results: Results
    method: str
    messages: list[str] = field(default_factory=list)
    model: str = ""  #: what coded: "rules", "cross-fitted, k folds", "trained on N passages"


@dataclass(frozen=True)
class _Coder:
    """One manual coder of the manifest, checked before anything is written: the codings
    file to import (None: skipped, ``note`` says why) and the passages read (or None)."""

    coder: str
    codings: Path | None
    read: pd.DataFrame | None
    notes: tuple[str, ...] = ()


@validate_params({"method": [Options("learned", "rules")], "cross_fit": [bool]})
def run_study(corpus: str | Path, codebook: str | Path, project: str | Path, out: str | Path, *,
              manifest: str | Path | Manifest | None = None, method: str = "learned",
              training: str | Path | None = None, lang: str = "en",
              say: Callable[[str], None] = print, progress: bool | None = None,
              cross_fit: bool = True) -> StudyRun:
    """Run the main job on a corpus and write tables, charts and ``report.html`` to ``out``.

    1. Load the corpus with its manifest (``corpus.yaml`` in the folder, or ``manifest``) and
       the codebook, and check every input **before anything is written**: the codebook has
       factors, ``training`` is a folder, each manual coder's codings and read passages are
       valid against the corpus, ``project`` can be replaced (an existing file must be a
       uppks-qual project) and ``out`` can be written.
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

    The project is built in a hidden file beside ``project`` and replaces it only once
    complete: a failure or an interruption (Ctrl-C) leaves an existing project as it was.
    ``say`` receives one line per step (``print`` by default).

    Raises
    ------
    QualError
        For any bad input (the file named), before the project or ``out`` is touched.
    """
    study = read_manifest(manifest) if isinstance(manifest, str | Path) else manifest
    say(f"loading {corpus} and {codebook}")
    loaded = load_corpus(corpus, manifest=study)
    book = load_codebook(codebook)
    coders = _check_inputs(loaded, book, codebook, training)
    target = check_destination(project)
    check_output_folder(out)
    _outside_corpus(out, corpus)
    messages: list[str] = []

    def tell(line: str) -> None:
        messages.append(line)
        say(line)

    partial = target.with_name(f".{target.name}.partial")
    proj = Project.create(partial, corpus=loaded, codebook=book, overwrite=True)
    try:
        used, model = _autocode(proj, method, training, tell, progress, cross_fit)
        imported = _manual(proj, coders, tell)
        proj.set_evidence_coders([*imported, "auto"])
    except BaseException:
        proj.close()
        _remove_project(partial)
        raise
    proj.close()
    _replace_project(partial, target)
    proj = Project.open(target)
    tell(f"writing results to {out}/")
    shown = used if model == "rules" else f"{used}, {model}" + (
        " by document: no document coded by a model that saw it"
        if model.startswith("cross-fitted") else "")
    results = write_results(proj, out, method=shown, lang=lang)
    return StudyRun(proj, results, used, messages, model)


def _check_inputs(corpus: Corpus, codebook: Codebook, path: str | Path,
                  training: str | Path | None) -> list[_Coder]:
    """Every input of :func:`run_study` besides the corpus and codebook themselves, checked
    before anything is written; returns the manual coders to import."""
    if not codebook.factors():
        raise CodebookError("has no codes of kind factor: the main job compares the groups "
                            "factor by factor; give top-level codes `kind: factor` (a top-level "
                            "code without `kind` is a factor)", path=path)
    if training is not None:
        folder = Path(training)
        if not folder.is_dir():
            state = "is a file, not a folder" if folder.exists() else "no such folder"
            raise ParameterError(f"{state}; --training (training=) takes the folder of "
                                 "train*.csv passage codings", path=training,
                                 parameter="training", value=str(training))
    texts = {doc.doc_id: doc.text for doc in corpus}
    manifest = corpus.manifest.path or "the manifest"
    out = []
    for entry in corpus.manifest.manual:
        if entry.coder == "auto":
            raise ParameterError("the manual coder 'auto' has the automatic coder's name; "
                                 "rename the coder in coding.manual", path=manifest,
                                 parameter="coder", value=entry.coder)
        if entry.codings is None or not Path(entry.codings).is_file():
            out.append(_Coder(entry.coder, None, None, (
                f"no codings file for coder {entry.coder} ({entry.codings}): skipped",)))
            continue
        read_codings_csv(entry.codings, texts=texts, codebook=codebook, coder=entry.coder)
        read: pd.DataFrame | None = None
        notes: tuple[str, ...] = ()
        if entry.read is not None and Path(entry.read).is_file():
            read = read_passages(entry.read, lengths={d: len(t) for d, t in texts.items()},
                                 what=f"file of the passages {entry.coder} read")
        elif entry.read is not None:
            notes = (f"no file of the passages {entry.coder} read ({entry.read}): only the "
                     "passages they coded count as read",)
        out.append(_Coder(entry.coder, Path(entry.codings), read, notes))
    return out


def read_passages(path: str | Path, *, lengths: Mapping[str, int] | None = None,
                  what: str = "passages file") -> pd.DataFrame:
    """Read a CSV of passages (``doc_id, start, end``; other columns ignored): the passages a
    coder read, or an agreement scope. All or nothing.

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8).
    lengths : mapping, optional
        ``{doc_id: number of characters}``: when given, every row must name one of these
        documents and lie within its text.
    what : str
        What the file is, for messages ("scope file" ...).

    Returns
    -------
    DataFrame
        ``doc_id`` (str), ``start``, ``end`` (int64), one row per file row.

    Raises
    ------
    ImportProblem
        For an unreadable file, missing columns, no rows, or listing every bad row as
        ``file:line: problem``.
    """
    frame = read_table(path, required=("doc_id", "start", "end"), what=what)
    rows, problems = [], []
    for i, (doc, first, last) in enumerate(zip(frame["doc_id"], frame["start"], frame["end"],
                                               strict=True)):
        where, doc = f"{path}:{i + 2}: ", doc.strip()
        try:
            start, end = int(first), int(last)
        except ValueError:
            problems.append(f"{where}start and end must be whole numbers; got {first!r}, "
                            f"{last!r}")
            continue
        if lengths is not None and doc not in lengths:
            problems.append(f"{where}unknown document {doc!r}")
            continue
        size = lengths[doc] if lengths is not None else None
        if not 0 <= start < end or (size is not None and end > size):
            problems.append(f"{where}[{start}, {end}) is not a passage of {doc!r}"
                            + (f" (its text has {size} characters)" if size is not None
                               else " (start must be below end, both 0 or more)"))
            continue
        rows.append((doc, start, end))
    if problems:
        shown = "\n".join(problems[:50]) + ("\n..." if len(problems) > 50 else "")
        raise ImportProblem(f"{len(problems)} bad row(s) in the {what}:\n{shown}", path=path,
                            problems=problems)
    if not rows:
        raise ImportProblem(f"the {what} lists no passages (a header and no rows); give one "
                            "row per passage: doc_id, start, end", path=path)
    return pd.DataFrame(rows, columns=["doc_id", "start", "end"]).astype(
        {"start": "int64", "end": "int64"})


def _writable_folder(folder: Path) -> tuple[Path, OSError | None]:
    """The nearest existing folder at or above ``folder`` and the error met creating a file in
    it (None when it can be written). Nothing is left behind."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return probe, NotADirectoryError(20, "a file stands where a folder is needed",
                                         str(probe))
    try:
        handle, name = tempfile.mkstemp(prefix=".uppks-qual-probe-", dir=probe)
    except OSError as exc:
        return probe, exc
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return probe, None


def check_destination(path: str | Path) -> Path:
    """Check that a new project can be written at ``path``, replacing what is there, before
    any work: ``path`` is not a folder, an existing file is a uppks-qual project (any other
    file is never replaced), and its folder (or the nearest existing one above) and the file
    can be written. Nothing is written. Returns ``path`` as a Path.

    Raises
    ------
    StoreError
        When ``path`` is a folder or a file that is not a project.
    StoreReadOnlyError
        When the file or its folder cannot be written.
    """
    from .store import check_replaceable

    path = Path(path)
    if path.is_dir():
        raise StoreError("is a folder; give the path of a project file (e.g. "
                         "results/uppks.uqp)", path=path)
    check_replaceable(path)
    folder, problem = _writable_folder(path.parent)
    if problem is None and path.exists():
        try:
            with open(path, "ab"):  # opens for writing, writes nothing
                pass
        except OSError as exc:
            problem = exc
    if problem is not None:
        where = "the file" if folder.is_dir() and path.exists() else f"the folder {folder}"
        raise StoreReadOnlyError(f"cannot write the project: {where} cannot be written "
                                 f"({problem.strerror or problem}); choose a writable place "
                                 "(--project) or fix its permissions", path=path)
    return path


def check_output_folder(out: str | Path, *, option: str = "--out") -> Path:
    """Check that results can be written into the folder ``out`` (created when missing)
    before any work; nothing is written. Returns ``out`` as a Path.

    Raises
    ------
    OutputError
        When ``out`` is a file or cannot be written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"is a file, not a folder; {option} takes the folder the results "
                          "are written to (created when missing)", path=out)
    folder, problem = _writable_folder(out)
    if problem is not None:
        raise OutputError(f"cannot write the results: the folder {folder} cannot be written "
                          f"({problem.strerror or problem}); choose another {option} or fix "
                          "its permissions", path=out)
    return out


def _outside_corpus(out: str | Path, corpus: str | Path | object) -> None:
    """An :class:`OutputError` when ``out`` is the corpus folder or inside it (its CSV
    tables would be read as documents by the next run)."""
    if not isinstance(corpus, str | Path) or not Path(corpus).is_dir():
        return
    folder, where = Path(corpus).resolve(), Path(out).resolve()
    if where == folder or folder in where.parents:
        raise OutputError(f"is inside the corpus folder {corpus}: the CSV tables written there "
                          "would be read as documents by the next run; choose another --out "
                          "(e.g. results)", path=out)


def _replace_project(partial: Path, target: Path) -> None:
    """Move the finished project file (and any side file SQLite kept) onto ``target``."""
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(partial, target)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{partial}{suffix}")
        if side.exists():
            os.replace(side, f"{target}{suffix}")


def _remove_project(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


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


def _manual(proj: Project, coders: list[_Coder], tell: Callable[[str], None]) -> list[str]:
    """Import the manifest's manual coders (checked by :func:`_check_inputs`); return the
    coders whose codings were imported."""
    imported = []
    for entry in coders:
        for note in entry.notes:
            tell(note)
        if entry.codings is None:
            continue
        added = proj.import_codings(entry.codings, coder=entry.coder)
        tell(f"imported {added['codings']} manual codings of {entry.coder} from "
             f"{entry.codings}")
        if entry.read is not None:
            proj.mark_read(entry.read, coder=entry.coder)
        imported.append(entry.coder)
    return imported
