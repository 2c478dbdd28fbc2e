"""The ``uppks-qual`` command line: the notebook jobs, from a shell.

Every command has ``--help``. A user's mistake (bad file, unknown code ...) prints a clear
message and exits with status 1, never a traceback.

Exit status of the ``uppks-qual`` console script (:func:`main`): 0 done; 1 a user's mistake
(a missing or unreadable file, a bad value, an unknown code or coder ...: the message names it
and says what to do); 2 a usage error caught by the option parser (an unknown option, a value
outside a choice; click's convention); 70 an internal error, a bug (``EX_SOFTWARE``: one line
asks to report it; ``UPPKS_QUAL_DEBUG=1`` shows the traceback); 130 interrupted (Ctrl-C, the project keeps
its last committed state); 141 the reader of the output went away (``uppks-qual ... | head``).
Every command that writes a project checks that it can write it before any long work.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .errors import QualError

app = typer.Typer(
    help="uppks-qual: code Indonesian interviews and notes against a codebook and compare groups.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_CORPUS = Path("data/interviews")
DEFAULT_CODEBOOK = Path("codebook.yaml")
F = TypeVar("F", bound=Callable[..., Any])

class Unit(StrEnum):
    """What one automatic coding covers."""

    match = "match"
    sentence = "sentence"
    turn = "turn"


class Method(StrEnum):
    """The automatic coder."""

    rules = "rules"
    learned = "learned"


class Origin(StrEnum):
    """Manual, automatic or reviewed (accepted suggestions) codings."""

    manual = "manual"
    auto = "auto"
    reviewed = "reviewed"


class ChartKind(StrEnum):
    """The charts ``uppks-qual chart`` draws."""

    frequencies = "frequencies"
    valence = "valence"
    heatmap = "heatmap"
    cooccurrence = "cooccurrence"
    stripe = "stripe"


class Lang(StrEnum):
    """Language of labels."""

    en = "en"
    id = "id"


class AgreementUnit(StrEnum):
    """Unit of inter-coder agreement."""

    segment = "segment"
    character = "character"


class Level(StrEnum):
    """Factors or codes."""

    factor = "factor"
    code = "code"


CorpusOpt = Annotated[Path, typer.Option("--corpus", help="Corpus folder or file.")]
CodebookOpt = Annotated[Path, typer.Option("--codebook", help="Codebook YAML (or REFI .qdc).")]


@app.callback()
def _root() -> None:
    """uppks-qual: code Indonesian interviews and notes against a codebook and compare groups.

    What a study is about (its groups, hypothesis, coders and where its data comes from) is
    read from its manifest, corpus.yaml next to the documents.
    """


def friendly(func: F) -> F:
    """Turn a :class:`QualError` into a message on stderr and exit status 1, and every Python
    warning into one ``warning:`` line (no source line)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                return _run(func, *args, **kwargs)
            finally:
                for message in dict.fromkeys(str(w.message) for w in caught):
                    typer.secho(f"warning: {message}", err=True, fg=typer.colors.YELLOW)

    return wrapper  # type: ignore[return-value]


def _run(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a command; a user's error becomes a message and an exit status."""
    try:
        return func(*args, **kwargs)
    except QualError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    except BrokenPipeError:  # the reader went away (`uppks-qual ... | head`): stop quietly
        _silence_stdout()
        raise typer.Exit(141) from None
    except OSError as exc:  # a file the user named cannot be read or written
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        typer.secho(f"error: {where}{exc.strerror or exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.secho("interrupted; the project keeps its last committed state", err=True)
        raise typer.Exit(130) from None


def _silence_stdout() -> None:
    """Point standard output at the null device, so that flushing it at exit after its
    reader went away raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (tests)
        pass


def need_path(path: Path, option: str, what: str, *, kind: str = "file",
              error: type[QualError] | None = None) -> Path:
    """Check, before any work, that ``path`` given as ``option`` is an existing, readable,
    non-empty file (``kind="file"``), a readable folder (``"folder"``) or either (``"any"``).

    ``what`` completes "``option`` takes ...", e.g. ``"the codebook YAML"``. The error is
    ``error`` (default :class:`~uppks_qual.errors.ParameterError`), naming the file and what
    to give instead.
    """
    from .errors import ParameterError

    fail = error or ParameterError
    hint = f"{option} takes {what}"
    if not path.exists():
        raise fail(f"no such {'file or folder' if kind == 'any' else kind}; {hint}", path=path)
    if kind == "file" and path.is_dir():
        raise fail(f"is a folder, not a file; {hint}", path=path)
    if kind == "folder" and not path.is_dir():
        raise fail(f"is a file, not a folder; {hint}", path=path)
    if path.is_dir():
        if not os.access(path, os.R_OK | os.X_OK):
            raise fail("cannot be read (permission denied); check the folder's permissions",
                       path=path)
        return path
    try:
        with open(path, "rb") as handle:
            empty = not handle.read(1)
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc}); check the file's permissions",
                   path=path) from None
    if empty:
        raise fail(f"is empty; {hint}", path=path)
    return path


def echo_provenance(project: Any) -> None:
    """Print where the project's data comes from (``provenance:`` of its corpus.yaml)."""
    note = project.get_meta("provenance")
    if note:
        typer.echo(f"\nAbout the data: {note}")


def echo_table(frame: Any, *, title: str | None = None) -> None:
    """Print a DataFrame as a plain text table."""
    if title:
        typer.secho(title, bold=True)
    typer.echo(frame.to_string())


@app.command()
@friendly
def check(
    path: Annotated[Path, typer.Argument(help="Corpus folder or file.")] = DEFAULT_CORPUS,
    codebook: CodebookOpt = DEFAULT_CODEBOOK,
) -> None:
    """Validate a corpus and a codebook (its cue patterns compiled too); print a summary, or
    every problem found."""
    from .autocode import compile_cues
    from .codebook import check_codebook
    from .corpus import check_corpus
    from .errors import CodebookError, CorpusError

    problems: list[QualError] = []
    corpus = cb = None
    try:
        need_path(path, "PATH", "the corpus folder or a document file", kind="any",
                  error=CorpusError)
    except QualError as exc:
        problems.append(exc)
    else:
        corpus, problems = check_corpus(path)
    try:
        need_path(codebook, "--codebook", "the codebook YAML (or a REFI .qdc file)",
                  error=CodebookError)
    except QualError as exc:
        problems.append(exc)
    else:
        cb, cb_problems = check_codebook(codebook)
        problems += cb_problems
    if cb is not None:
        try:
            compile_cues(cb)
        except QualError as exc:
            problems.append(exc)
    if problems:
        for problem in problems:
            typer.secho(f"error: {problem}", err=True, fg=typer.colors.RED)
        typer.secho(f"{len(problems)} problem(s) found", err=True, bold=True)
        raise typer.Exit(1)
    assert corpus is not None and cb is not None
    echo_table(corpus.summary(), title=f"Corpus {path}: {len(corpus)} documents")
    n_factors = len(cb.factors())
    version = f"version {cb.version}" if cb.version else "no changelog version"
    typer.echo(f"\nCodebook {codebook}: {len(cb)} codes ({n_factors} factors), {version}, "
               "all cues compiled.")
    for topic, rules in cb.rules.items():
        typer.secho(f"\nCoding rules: {topic}", bold=True)
        for rule in rules:
            n = len(rule.examples)
            typer.echo(f"- {rule.text} ({n} worked example{'' if n == 1 else 's'})")
    if corpus.manifest.provenance:
        typer.echo(f"\nAbout the data: {corpus.manifest.provenance}")


def project_target(value: str | Path) -> Path:
    """``--project``: a project file, or a PostgreSQL URL (``postgresql+psycopg://...``),
    which is kept as it is written (a Path would fold its ``//``). The default, already a
    Path, comes through as it is (typer 0.29 passes defaults through the parser too)."""
    if isinstance(value, Path):
        return value
    if value.startswith(("postgresql:", "postgresql+", "postgres:")):
        return value  # type: ignore[return-value]  # a URL: checked by the store
    return Path(value)


def _is_url(project: object) -> bool:
    return isinstance(project, str)


ProjectOpt = Annotated[Path, typer.Option(
    "--project", parser=project_target,
    help="Project file (SQLite), or a PostgreSQL URL postgresql+psycopg://user@host/db.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder.")]
DEFAULT_PROJECT = Path("results/uppks.uqp")


SQLITE_HEADER = b"SQLite format 3\x00"
MAKE_PROJECT = ("create one with `uppks-qual reproduce` or `uppks-qual autocode --corpus FOLDER "
                "--project FILE`")


def _open(project: Path, *, write: bool = False) -> Any:
    """Open the project file named on the command line (a clear error for a missing file, a
    folder, an unreadable file or a file that is not a project); ``write``: also check that
    it can be written now (:meth:`Project.ensure_writable`), before any long work."""
    from .errors import SchemaVersionError, StoreError

    if _is_url(project):
        return _ready(project, write)
    if not project.exists():
        raise StoreError(f"no such project file; {MAKE_PROJECT}", path=project)
    if project.is_dir():
        raise StoreError("is a folder, not a project file; give the project's file (e.g. "
                         "results/uppks.uqp)", path=project)
    try:
        with open(project, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot be read ({exc.strerror or exc}); check the file's "
                         "permissions", path=project) from None
    if head != SQLITE_HEADER and not Path(f"{project}-wal").exists():
        state = "is empty" if not head else "is not an SQLite database"
        raise SchemaVersionError(f"not a uppks-qual project ({state}); give the project file "
                                 f"(.uqp), or {MAKE_PROJECT}", path=project)
    return _ready(project, write)


def _ready(project: Path | str, write: bool) -> Any:
    """The project opened (and, with ``write``, checked writable now)."""
    from .project import Project

    proj = Project.open(project)
    if write:
        try:
            proj.ensure_writable()
        except BaseException:
            proj.close()
            raise
    return proj


@app.command()
@friendly
def reproduce(
    corpus: CorpusOpt = DEFAULT_CORPUS,
    codebook: CodebookOpt = DEFAULT_CODEBOOK,
    project: ProjectOpt = DEFAULT_PROJECT,
    out: OutOpt = Path("results"),
    manifest: Annotated[Path | None, typer.Option(help="Study manifest (default: corpus.yaml "
                                                       "in the corpus folder).")] = None,
    method: Annotated[Method, typer.Option(help="Auto-coder: 'learned' (rules + a model trained "
                                                "on the training passages) or 'rules'.")]
    = Method.learned,
    training: Annotated[Path | None, typer.Option(help="Folder of training passage codings "
                                                       "(train*.csv); default: the manifest's "
                                                       "coding.training.")] = None,
) -> None:
    """The main job, on any study: load, auto-code, add the manifest's manual codings, and write
    the comparison its manifest asks for (CSV tables, PNG/SVG charts, report.html) to --out."""
    from .errors import CodebookError, CorpusError
    from .pipeline import run_study

    need_path(corpus, "--corpus", "the corpus folder (or a document file)", kind="any",
              error=CorpusError)
    need_path(codebook, "--codebook", "the codebook YAML (or a REFI .qdc file)",
              error=CodebookError)
    if manifest is not None:
        need_path(manifest, "--manifest", "the study manifest (corpus.yaml)", error=CorpusError)
    if training is not None:
        need_path(training, "--training", "the folder of train*.csv passage codings",
                  kind="folder")
    if _is_url(project):
        from .errors import ParameterError

        raise ParameterError("reproduce builds its project as a file beside the results; give "
                             "a file path for --project (copy it to a server afterwards)",
                             parameter="project", value="(a database URL)")
    run = run_study(corpus, codebook, project, out, manifest=manifest, method=method.value,
                    training=training, say=typer.echo, progress=True)
    tables = run.results.tables
    if "hypothesis" in tables:
        h = run.project.manifest.hypothesis
        assert h is not None
        cols = ["factor", "cases_a", "cases_b", "balance_a", "balance_b", "difference",
                "ci_low", "ci_high", "verdict", "loo_holds", "loo_runs"]
        echo_table(tables["hypothesis"][cols].set_index("factor").round(2),
                   title=f"\nHypothesis: better in {h.better} (a) than in {h.worse} (b); "
                         "mean case balances, 95% cluster-bootstrap interval of the "
                         "difference, leave-one-case-out runs keeping its direction")
    elif "comparison" in tables:
        echo_table(tables["comparison"].set_index(tables["comparison"].columns[0])
                   [["balance_a", "balance_b", "difference", "p_adjusted"]].round(3),
                   title="\nCase-level comparison (mean case balances)")
    typer.echo(f"\n{len(run.results.files)} files written; open {Path(out) / 'report.html'} "
               "in a browser.")
    echo_provenance(run.project)
    run.project.close()


@app.command()
@friendly
def autocode(
    project: ProjectOpt = DEFAULT_PROJECT,
    corpus: Annotated[Path | None, typer.Option(help="Create the project from this corpus.")]
    = None,
    codebook: CodebookOpt = DEFAULT_CODEBOOK,
    coder: Annotated[str, typer.Option(help="Name of the automatic coder.")] = "auto",
    unit: Annotated[Unit, typer.Option(help="What one coding covers.")] = Unit.sentence,
    method: Annotated[Method, typer.Option(help="'learned' needs --training.")] = Method.rules,
    training: Annotated[Path | None, typer.Option(help="Folder of train*.csv passage codings.")]
    = None,
    overwrite: Annotated[bool, typer.Option(help="With --corpus: replace an existing project.")]
    = False,
    processes: Annotated[int, typer.Option(
        help="Worker processes to spread the documents over (-1: one per core); the result "
             "is the same as with one.")] = 1,
) -> None:
    """Auto-code a project (created from --corpus if given); manual codings are never touched."""
    from .codebook import load_codebook
    from .corpus import load_corpus
    from .errors import CodebookError, CorpusError, ParameterError, StoreError
    from .learn import training_files

    files = None
    if processes < 1 and processes != -1:
        raise ParameterError(f"--processes must be a positive number, or -1 for one per core; "
                             f"got {processes}", parameter="processes", value=processes)
    if overwrite and corpus is None:
        raise ParameterError("--overwrite replaces the project with one made from --corpus: "
                             "give --corpus too, or leave out --overwrite",
                             parameter="overwrite", value=True)
    if training is not None:
        if method != Method.learned:
            raise ParameterError("--training is used only by --method learned: add --method "
                                 "learned, or leave out --training", parameter="training",
                                 value=str(training))
        need_path(training, "--training", "the folder of train*.csv passage codings",
                  kind="folder")
        files = training_files(training)
        if not files:
            raise ParameterError("has no train*.csv files of passage codings (train_sample*"
                                 ".csv are samples, not codings); give the folder that holds "
                                 "them", path=training, parameter="training",
                                 value=str(training))
    if corpus is not None:
        from .pipeline import check_destination
        from .project import Project

        if not _is_url(project) and project.exists() and not overwrite:
            raise StoreError("already exists: pass --overwrite to replace it (its manual "
                             "codings would be lost), or leave out --corpus to auto-code it",
                             path=project)
        need_path(corpus, "--corpus", "the corpus folder (or a document file)", kind="any",
                  error=CorpusError)
        need_path(codebook, "--codebook", "the codebook YAML (or a REFI .qdc file)",
                  error=CodebookError)
        documents, book = load_corpus(corpus), load_codebook(codebook)
        target = project if _is_url(project) else check_destination(project)
        proj = Project.create(target, corpus=documents, codebook=book, overwrite=overwrite)
    else:
        proj = _open(project, write=True)
    counts = proj.autocode(coder=coder, unit=unit.value, progress=True, method=method.value,
                           training=files, n_process=processes)
    typer.echo(f"{counts['codings']} automatic codings in {counts['documents']} documents "
               f"({counts['skipped_manual']} identical to manual codings skipped)")


@app.command("autocode-corpus")
@friendly
def autocode_corpus(
    paths: Annotated[list[str], typer.Argument(
        help="Document files, folders or quoted glob patterns ('talks/**/*.txt').")],
    out: Annotated[Path, typer.Option(help="Parquet folder to write.")]
    = Path("codings.parquet"),
    codebook: CodebookOpt = DEFAULT_CODEBOOK,
    manifest: Annotated[Path | None, typer.Option(
        help="Study manifest (corpus.yaml); default: the one in the folder given.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Address of a Dask scheduler (tcp://host:8786); default: local processes.")]
    = None,
    unit: Annotated[Unit, typer.Option(help="What one coding covers.")] = Unit.sentence,
    coder: Annotated[str, typer.Option(help="Name of the automatic coder.")] = "auto",
    files_per_partition: Annotated[int, typer.Option(help="Files per Parquet partition.")]
    = 64,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing Parquet folder.")]
    = False,
) -> None:
    """Auto-code document files on Dask into Parquet (for corpora past one project)."""
    from .codebook import load_codebook
    from .errors import CodebookError
    from .scale import autocode_corpus as run

    need_path(codebook, "--codebook", "the codebook YAML (or a REFI .qdc file)",
              error=CodebookError)
    if manifest is not None:
        need_path(manifest, "--manifest", "the study manifest (corpus.yaml)")
    book = load_codebook(codebook)
    client = None
    if scheduler is not None:
        from dask.distributed import Client

        from .errors import ParameterError

        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ParameterError(f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); "
                                 "check the address and that the scheduler runs",
                                 parameter="scheduler", value=scheduler) from None
    try:
        target = run(paths if len(paths) > 1 else paths[0], book, out=out, client=client,
                     manifest=manifest, unit=unit.value, coder=coder,
                     files_per_partition=files_per_partition, overwrite=overwrite)
    finally:
        if client is not None:
            client.close()
    parts = len(list(target.glob("*.parquet")))
    typer.echo(f"codings written to {target} ({parts} Parquet partitions); read them with "
               "uq.read_codings(), or bring them into a project with "
               "project.import_auto_codings()")


class CompareUnit(StrEnum):
    """What `uppks-qual compare` counts as one unit."""

    case = "case"
    coding = "coding"


#: Columns `uppks-qual compare` prints (when the table has them), by unit.
COMPARE_SHOWN = {
    CompareUnit.case: ("group_a", "group_b", "cases_a", "cases_b", "mentioning_a",
                       "mentioning_b", "balance_a", "balance_b", "difference", "ci_low",
                       "ci_high", "p_value", "p_adjusted"),
    CompareUnit.coding: ("group_a", "group_b", "count_a", "count_b", "rate_a", "rate_b",
                         "odds_ratio", "p_adjusted"),
}


@app.command()
@friendly
def compare(
    project: ProjectOpt = DEFAULT_PROJECT,
    a: Annotated[str | None, typer.Option("-a", help="First value of --by (default: the "
                                                      "manifest's groups).")] = None,
    b: Annotated[str | None, typer.Option("-b", help="Second value of --by.")] = None,
    by: Annotated[str | None, typer.Option(help="Metadata column or attribute to compare on "
                                                "(default: the manifest's compare.by).")] = None,
    origin: Annotated[Origin | None, typer.Option(help="Only the evidence of manual or of "
                                                       "automatic codings.")] = None,
    unit: Annotated[CompareUnit, typer.Option(
        help="case: informants (or documents) as the unit, mean case balance with a cluster "
             "bootstrap CI and a permutation p; coding: how much the material talks about each "
             "factor, codings per 1,000 words with Fisher's test (not a test over "
             "informants).")] = CompareUnit.case,
) -> None:
    """Compare groups (or values of any metadata column or attribute) factor by factor, on the
    project's evidence (`project.evidence()`): by default each informant (or document) is one
    case, weighing once however much it says; more than two groups pairwise, with p adjusted
    over all pairs."""
    from . import analysis
    from .errors import ParameterError

    proj = _open(project)
    _need_factors(proj, project, "compare")
    by = by or proj.manifest.compare_by
    df = proj.evidence()
    if df.empty:
        raise ParameterError("the project's evidence holds no codings of the codebook's "
                             "factors: nothing to compare; run `uppks-qual autocode` or import "
                             "codings (`uppks-qual import-codings`) first", path=project,
                             parameter="project", value=str(project))
    if origin is not None:
        present = sorted(set(df["origin"]))
        df = df[df["origin"] == origin.value]
        if df.empty:
            raise ParameterError(f"--origin {origin.value}: the project's evidence holds no "
                                 f"{origin.value} codings (its origins: {', '.join(present)}); "
                                 "choose one of those or leave out --origin", path=project,
                                 parameter="origin", value=origin.value)
    if (a is None) != (b is None):
        raise ParameterError("give both -a and -b, or neither (the manifest's groups)",
                             parameter="a", function="compare", value=(a, b))
    docs = proj.documents()
    groups = _as_values(docs, by, [a, b]) if a is not None else _groups(proj, by)
    words = docs if unit == CompareUnit.coding else None  # rates per word: codings only
    if len(groups) == 2:
        table = analysis.compare_groups(df, groups[0], groups[1], by=by, unit=unit.value,
                                        documents=words)
    else:
        table = analysis.pairwise_comparisons(df, by=by, groups=groups, unit=unit.value,
                                              documents=words)
    key = table.columns[0]
    shown = [c for c in COMPARE_SHOWN[unit] if c in table and (len(groups) > 2 or
                                                                not c.startswith("group"))]
    what = ("cases (each informant or document once)" if unit == CompareUnit.case
            else "codings (how much the material talks about each factor)")
    digits = {c: 4 if c.startswith("p_") else 3 for c in shown}
    echo_table(table.set_index(key)[shown].round(digits),
               title=f"{' vs '.join(map(str, groups))} by {by}, unit: {what}")
    for line in table["summary"]:
        typer.echo(f"- {line}")
    echo_provenance(proj)


def _need_factors(proj: Any, project: Path, command: str) -> None:
    """A :class:`CodebookError` unless the project's codebook has factors (what ``command``
    counts)."""
    from .errors import CodebookError

    book = proj.codebook
    if not book.factors():
        kinds = sorted({c.kind for c in book.top_level()})
        raise CodebookError(f"the project's codebook ({book.name or 'unnamed'}: "
                            f"{len(book)} codes, top-level kinds {', '.join(kinds) or 'none'}) "
                            f"has no codes of kind factor, and `{command}` counts the codings "
                            "of factors; mark the top-level codes to compare `kind: factor` "
                            "in the codebook YAML and rebuild the project (`uppks-qual "
                            "reproduce`, or `project.update_codebook(...)`)", path=project)


def _as_values(docs: Any, by: str, names: list[Any]) -> list[Any]:
    """The values of column ``by`` written as ``names`` on the command line (an attribute may
    hold numbers: ``-a 1`` means the value 1)."""
    values = {str(v): v for v in docs[by].dropna().unique()} if by in docs.columns else {}
    return [values.get(str(n), n) for n in names]


def _groups(proj: Any, by: str) -> list[Any]:
    """The values of ``by`` to compare: the manifest's groups, else every value present."""
    from .errors import ParameterError

    docs = proj.documents()
    if by not in docs.columns:
        raise ParameterError(f"--by {by!r} is not a document column or attribute; known: "
                             f"{', '.join(docs.columns)}", parameter="by", function="compare",
                             value=by)
    groups = proj.comparison_groups(by)
    if len(groups) < 2:
        raise ParameterError(f"the documents have fewer than two values of {by!r} to compare "
                             f"({', '.join(map(str, groups)) or 'none'}); set them with "
                             "`uppks-qual attributes`", parameter="by", function="compare",
                             value=by)
    return groups


@app.command()
@friendly
def chart(
    kind: Annotated[ChartKind, typer.Argument(help="The chart to draw.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    out: Annotated[Path, typer.Option("--out", help="Image file (.png or .svg).")]
    = Path("results/chart.png"),
    doc: Annotated[str | None, typer.Option(help="Document id (stripe; default: every "
                                                 "document, as small multiples).")] = None,
    level: Annotated[Level, typer.Option(help="Factors or codes.")] = Level.factor,
    by: Annotated[str | None, typer.Option(help="Column or attribute to split by "
                                                "(frequencies, valence).")] = None,
    lang: Annotated[Lang, typer.Option(help="Language of the labels.")] = Lang.en,
    normalise: Annotated[bool, typer.Option(help="Per 1,000 words (frequencies).")] = False,
) -> None:
    """Draw one chart of the project's evidence (`project.evidence()`) into an image file (the
    kappa chart is drawn by `agreement --chart`)."""
    from matplotlib.figure import Figure

    from . import charts
    from .errors import ParameterError, StoreError

    for option, given, kinds in (("--doc", doc is not None, (ChartKind.stripe,)),
                                 ("--by", by is not None, (ChartKind.frequencies,
                                                           ChartKind.valence)),
                                 ("--normalise", normalise, (ChartKind.frequencies,))):
        if given and kind not in kinds:
            raise ParameterError(f"{option} is used only by the {' and '.join(kinds)} "
                                 f"chart{'s' if len(kinds) > 1 else ''}, not by {kind.value}; "
                                 f"leave it out", parameter=option, value=kind.value)
    _image_file(out, "--out")
    proj = _open(project)
    if level == Level.factor:
        _need_factors(proj, project, "chart")
    cb, docs = proj.codebook, proj.documents()
    df = proj.evidence(kind="all" if level == Level.code else "factor")
    if df.empty:
        raise StoreError("has no codings of the codebook's factors to draw; run `uppks-qual "
                         "autocode` or import codings first", path=project)
    how, by = {"codebook": cb, "lang": lang.value}, by or proj.manifest.compare_by
    fig = Figure(figsize=(10, 5))
    if kind == ChartKind.stripe and doc is None:
        fig.set_size_inches(10, 1.6 * len(docs) + 1)
        charts.plot_coding_stripes(df, documents=docs, fig=fig, level=level.value, **how)
    else:
        _draw(kind, df, fig.subplots(), docs=docs, level=level.value, by=by, doc=doc,
              normalise=normalise, how=how, proj=proj)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    typer.echo(f"wrote {out}")


#: Image types ``chart --out`` and ``agreement --chart`` write (matplotlib's formats).
IMAGE_TYPES = ("png", "svg", "pdf", "jpg", "jpeg", "tif", "tiff", "webp", "eps", "ps")


def _image_file(out: Path, option: str) -> Path:
    """Check, before any work, that ``out`` names an image file that can be written."""
    from .errors import OutputError, ParameterError
    from .pipeline import check_output_folder

    if out.is_dir():
        raise OutputError(f"is a folder; {option} takes an image file name ending in .png or "
                          ".svg", path=out)
    kind = out.suffix.lower().lstrip(".")
    if kind not in IMAGE_TYPES:
        raise ParameterError(f"{option} {out}: " + (f"cannot draw a .{kind} image" if kind
                                                    else "no image type (file ending)")
                             + "; give a file name ending in .png or .svg (or "
                             f"{', '.join('.' + t for t in IMAGE_TYPES[2:])})",
                             parameter=option, value=str(out))
    check_output_folder(out.parent, option=f"{option} (its folder)")
    return out


def _draw(kind: ChartKind, df: Any, ax: Any, *, docs: Any, level: str, by: str,
          doc: str | None, normalise: bool, how: dict[str, Any], proj: Any) -> None:
    """One chart of :func:`chart` on ``ax``."""
    from . import charts

    if kind == ChartKind.frequencies:
        charts.plot_factor_frequencies(df, by=by, normalise=normalise, documents=docs,
                                       level=level, ax=ax, **how)
    elif kind == ChartKind.valence:
        charts.plot_valence(df, by=by, level=level, ax=ax, **how)
    elif kind == ChartKind.heatmap:
        charts.plot_code_document_heatmap(df, level=level, ax=ax, **how)
    elif kind == ChartKind.cooccurrence:
        charts.plot_cooccurrence(df, level=level, ax=ax, **how)
    else:
        proj.document(str(doc))  # an unknown id is an error naming it
        charts.plot_coding_stripe(df, str(doc), level=level, ax=ax, **how)


@app.command()
@friendly
def export(
    project: ProjectOpt = DEFAULT_PROJECT,
    out: Annotated[Path, typer.Option("--out", help="Folder for CSV files, or a .xlsx or "
                                                     ".qdpx file.")] = Path("results/export"),
    history: Annotated[bool, typer.Option("--history", help="With a .qdpx file: add the "
                                                            "project's history as a note "
                                                            "named History.")] = False,
) -> None:
    """Export codings and tables: a folder of CSV files, an Excel workbook (.xlsx) for
    SPSS/R/Excel users (both count the project's evidence), or a REFI-QDA project (.qdpx) with
    every coding for NVivo, ATLAS.ti, MAXQDA, QualCoder."""
    from .errors import OutputError, ParameterError
    from .pipeline import check_output_folder

    suffix = out.suffix.lower()
    if suffix in (".qdpx", ".xlsx"):
        if out.is_dir():
            raise OutputError(f"is a folder; --out takes a {suffix} file name here (or a "
                              "folder name without that ending, for CSV files)", path=out)
        check_output_folder(out.parent, option="--out (its folder)")
    elif suffix and not out.is_dir():
        raise ParameterError(f"--out {out}: give a folder for CSV files (e.g. results/export), "
                             "an .xlsx workbook or a .qdpx project; "
                             f"{'an existing file' if out.exists() else 'a ' + suffix + ' file'}"
                             " is none of these", parameter="out", value=str(out))
    else:
        check_output_folder(out)
    if history and suffix != ".qdpx":
        raise ParameterError("--history goes with a .qdpx file (--out FILE.qdpx); write the "
                             "history as CSV with `uppks-qual history --csv FILE`",
                             parameter="history", value=True)
    proj = _open(project)
    if suffix == ".qdpx":
        proj.export_qdpx(out, history=history)
    else:
        proj.export_tables(out)
    typer.echo(f"exported to {out}")


@app.command()
@friendly
def agreement(
    coders: Annotated[list[str] | None, typer.Option("--coders", help="Two coders to compare: "
                                                     "--coders rina tono (or --coders rina "
                                                     "--coders tono); default: the manifest's "
                                                     "manual and agreement coders.")] = None,
    more: Annotated[list[str] | None, typer.Argument(help="The second coder, when written "
                                                     "after the first: --coders rina tono.")]
    = None,
    project: ProjectOpt = DEFAULT_PROJECT,
    unit: Annotated[AgreementUnit, typer.Option(help="Unit of agreement.")]
    = AgreementUnit.segment,
    level: Annotated[Level, typer.Option(help="Factors or codes.")] = Level.factor,
    scope: Annotated[Path | None, typer.Option(help="CSV of passages both coders read "
                                                    "(default: the manifest's `read` file of "
                                                    "the first coder).")] = None,
    chart_out: Annotated[Path | None, typer.Option("--chart", help="Write a kappa chart.")]
    = None,
) -> None:
    """Inter-coder agreement per code (percent agreement, Cohen's kappa, Krippendorff's alpha)."""
    from .errors import ImportProblem
    from .pipeline import read_passages

    what = "scope file (passages both coders read: doc_id, start, end)"
    if scope is not None:
        need_path(scope, "--scope", "a CSV of the passages both coders read (doc_id, start, "
                  "end)", error=ImportProblem)
    if chart_out is not None:
        _image_file(chart_out, "--chart")
    proj = _open(project)
    pair = _agreement_pair(proj, project, [*coders, *(more or [])] if coders else None)
    if scope is None:
        scope = next((Path(c.read) for c in proj.manifest.manual
                      if c.coder == pair[0] and c.read and Path(c.read).is_file()), None)
    docs = proj.documents()
    passages = (read_passages(scope, lengths=dict(zip(docs["doc_id"], docs["n_chars"],
                                                      strict=True)), what=what)
                if scope is not None else None)
    table = proj.agreement(coders=pair, unit=unit.value, level=level.value, scope=passages)
    echo_table(table, title=f"Agreement {pair[0]} vs {pair[1]} ({unit.value}, {level.value})")
    echo_provenance(proj)
    if chart_out is not None:
        from matplotlib.figure import Figure

        from .charts import plot_agreement

        fig = Figure(figsize=(8, 4.5))
        plot_agreement(table[table["code"] != "overall"].rename(columns={"code": "factor"})
                       if "code" in table else table, ax=fig.subplots())
        fig.tight_layout()
        fig.savefig(chart_out, dpi=120)
        typer.echo(f"wrote {chart_out}")


def _agreement_pair(proj: Any, project: Path, given: list[str] | None) -> tuple[str, str]:
    """The two coders ``agreement`` compares, each one of the project's coders (else an
    error listing them and saying how to import a coder's codings)."""
    from .errors import AgreementError

    known = proj.coders()
    kinds = dict(zip(known["coder"], known["kind"], strict=True))
    humans = [c for c, k in kinds.items() if k == "human"]
    listed = ", ".join(f"{c} ({k})" for c, k in kinds.items()) or "none"
    manifest = proj.manifest
    declared = [c.coder for c in (*manifest.manual[:1], *manifest.agreement[:1])]
    files = {c.coder: c.codings for c in (*manifest.manual, *manifest.agreement)}

    def how(names: list[str]) -> str:
        return " and ".join(f"`uppks-qual import-codings {files.get(n) or 'FILE.csv'} --coder "
                            f"{n} --project {project}`" for n in names)

    wanted = given if given is not None else declared
    missing = [c for c in dict.fromkeys(wanted) if c not in kinds]
    if len(humans) < 2 and (missing or len(wanted) != 2):
        has = f"only one human coder ({humans[0]})" if humans else "no human coder"
        todo = missing or ["NAME"]
        if todo != ["NAME"]:
            whose, pair = " and ".join(todo) + "'s", " ".join([*humans, *todo][:2])
        elif humans:
            whose, pair = "a second coder's", f"{humans[0]} NAME"
        else:
            whose, pair = "each coder's", "NAME1 NAME2"
        if len(pair.split()) < 2:
            pair += " auto"  # a human coder against the automatic one
        raise AgreementError(f"the project has {has}, and agreement compares two coders "
                             f"(its coders: {listed}); import {whose} codings with "
                             f"{how(todo)}, then run `uppks-qual agreement --coders {pair}`",
                             path=project)
    if given is None and len(declared) != 2:
        raise AgreementError(f"give the two coders to compare: --coders {humans[0]} "
                             f"{humans[1]} (the project's coders: {listed}), or declare them "
                             "in the manifest (coding.manual and coding.agreement)",
                             path=project)
    pair_ = proj._pair(given)
    for name in pair_:
        if name not in kinds:
            raise AgreementError(f"no codings by coder(s) {name}: {name!r} is not a coder "
                                 f"of the project; its coders: {listed}. Choose two of them "
                                 f"with --coders, or import {name}'s codings with "
                                 f"{how([name])}", path=project, coder=name)
    return pair_


@app.command("import-codings")
@friendly
def import_codings(
    file: Annotated[Path, typer.Argument(help="Codings CSV (doc_id, code_id, start/end or "
                                              "quote, valence, ...).")],
    coder: Annotated[str | None, typer.Option(help="The coder of every row (else the file's "
                                                   "coder column).")] = None,
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Import a coder's manual codings, all or nothing (every bad row is listed)."""
    from .errors import ImportProblem

    need_path(file, "FILE", "a codings CSV (doc_id, code_id, start/end or quote ...)",
              error=ImportProblem)
    proj = _open(project, write=True)
    report = proj.import_codings(file, coder=coder)
    typer.echo(f"imported {report['codings']} new codings ({report['already_present']} already "
               f"present, {report['uncoded_passages']} passages read and left uncoded) from "
               f"{file}")


@app.command("import-qdpx")
@friendly
def import_qdpx(
    source: Annotated[Path, typer.Argument(help="REFI-QDA project from NVivo, ATLAS.ti, MAXQDA, "
                                                "QualCoder ...: a .qdpx archive (or a .qde "
                                                "file).")],
    project: ProjectOpt = DEFAULT_PROJECT,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing project "
                                                                "file.")] = False,
    allow_external: Annotated[bool, typer.Option(
        "--allow-external", help="Also read source files the project links to outside the "
        "archive (or outside the .qde's folder); only for a project you trust.")] = False,
) -> None:
    """Create a project from a REFI-QDA project (.qdpx), all or nothing; sources are read
    only from the archive unless --allow-external."""
    from .pipeline import check_destination
    from .project import Project

    need_path(source, "SOURCE", "a REFI-QDA project (a .qdpx archive or a .qde file)")
    if not _is_url(project):
        check_destination(project)
    with Project.import_qdpx(source, project, overwrite=overwrite,
                             allow_external=allow_external) as proj:
        n_docs, n_codes, n_codings = (len(proj.documents()), len(proj.codebook),
                                      len(proj.codings()))
    typer.echo(f"imported {n_docs} document(s), {n_codes} code(s) and {n_codings} coding(s) "
               f"from {source} into {project}")


@app.command()
@friendly
def attributes(
    csv: Annotated[Path, typer.Option("--csv", help="CSV with a doc_id column and one column "
                                                    "per attribute or field.")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Set documents' attributes (and fields such as group or title) from a CSV, all or
    nothing; then `compare --by ATTRIBUTE` compares by any of them."""
    from .errors import ImportProblem

    need_path(csv, "--csv", "a CSV with a doc_id column and one column per attribute",
              error=ImportProblem)
    proj = _open(project, write=True)
    report = proj.import_attributes(csv)
    typer.echo(f"set {report['attributes']} column(s) on {report['documents']} document(s)")
    echo_table(proj.documents().drop(columns=["sha256", "path"], errors="ignore"),
               title="Documents")


class Valence(StrEnum):
    """Valence of a coding."""

    positive = "positive"
    negative = "negative"
    neutral = "neutral"


def _context_option(value: str) -> int | str:
    """``--context``: a number of sentences or ``turn``."""
    if value == "turn":
        return value
    if value.isdigit():
        return int(value)
    raise typer.BadParameter(f"must be a number of sentences (0, 1, 2 ...) or 'turn'; got "
                             f"{value!r}", param_hint="--context")


def _where_option(items: list[str] | None) -> dict[str, list[str]]:
    """``--where COL=VALUE[,VALUE ...]`` options as ``{column: [values]}``."""
    out: dict[str, list[str]] = {}
    for item in items or []:
        column, sep, values = item.partition("=")
        if not sep or not column.strip():
            raise typer.BadParameter(f"write COLUMN=VALUE (or COLUMN=V1,V2); got {item!r}",
                                     param_hint="--where")
        out.setdefault(column.strip(), []).extend(v.strip() for v in values.split(","))
    return out


def _echo_passage(row: Any, *, width: int = 100) -> None:
    """One passage of ``query``: a header line, then the text with the coded part in » «."""
    import textwrap

    def shown(value: Any) -> str:
        return "" if value is None or value != value else str(value)  # None or NaN: ""

    who = shown(row.informant) + (f" ({shown(row.informant_role)})"
                                  if shown(row.informant_role) else "")
    typer.echo(f"[{shown(row.group)}] {who}, {row.doc_id}  {row.code_id}  "
               f"{shown(row.valence)}".rstrip())
    coded = "»" + " ".join(str(row.text).split()) + "«"
    body = " ".join(p for p in (row.before, coded, row.after) if p)
    typer.echo(textwrap.fill(body, width=width, initial_indent="  ", subsequent_indent="  ",
                             break_long_words=False, break_on_hyphens=False))


@app.command()
@friendly
def query(
    project: Annotated[Path, typer.Argument(help="Project file (SQLite).")] = DEFAULT_PROJECT,
    code: Annotated[list[str] | None, typer.Option("--code", metavar="CODE", help="Code id (its sub-codes "
                                                   "too); repeat or comma-separate for "
                                                   "several.")] = None,
    valence: Annotated[list[Valence] | None, typer.Option(help="Valence; repeat for several.")]
    = None,
    where: Annotated[list[str] | None, typer.Option(metavar="COL=VALUE", help="COLUMN=VALUE of the evidence "
                                                    "(group, informant_role, an attribute "
                                                    "...); VALUE may be V1,V2; repeat for "
                                                    "more columns.")] = None,
    context: Annotated[str, typer.Option(metavar="N|turn", help="Sentences of context before and after within "
                                              "the turn or paragraph, or 'turn' for all of "
                                              "it.")] = "1",
    limit: Annotated[int, typer.Option(min=0, help="Passages to print (0: all).")] = 20,
    include_notes: Annotated[bool, typer.Option(help="Also the researcher's bracketed notes "
                                                     "and interviewer questions.")] = False,
) -> None:
    """Read the coded passages of the project's evidence (`project.query()`) that match, each
    with its context; the coded words are marked » «."""
    span = _context_option(context)
    conditions = _where_option(where)
    codes = [c.strip() for item in code or [] for c in item.split(",") if c.strip()]
    proj = _open(project)
    with warnings.catch_warnings(record=True) as noted:  # said again below unless an error
        warnings.simplefilter("always")
        hits = proj.query(codes or None, [v.value for v in valence] if valence else None,
                          conditions, span, include_notes=include_notes)
    if hits.empty and conditions:
        _check_where(proj, conditions, include_notes=include_notes)
    for note in noted:
        warnings.warn(note.message, stacklevel=1)
    shown = hits if limit == 0 else hits.head(limit)
    for row in shown.itertuples():
        _echo_passage(row)
        typer.echo("")
    typer.echo(f"{len(hits)} passages (showing {len(shown)})")
    proj.close()


def _check_where(proj: Any, conditions: dict[str, list[str]], *, include_notes: bool) -> None:
    """A :class:`ParameterError` for a ``--where`` column none of whose values occurs in
    the evidence (a misspelt group or coder), listing the values it has."""
    from .errors import ParameterError

    frame = proj.evidence(kind="all", include_notes=include_notes)
    for column, values in conditions.items():
        present = sorted({str(v) for v in frame[column].dropna()}) if column in frame else []
        if not set(values) & set(present):
            shown = ", ".join(present[:20]) + (", ..." if len(present) > 20 else "")
            raise ParameterError(f"--where {column}={','.join(values)}: no coding of the "
                                 f"evidence has {'that value' if len(values) == 1 else 'these'}"
                                 f"; its values of {column}: {shown or 'none'}",
                                 parameter="where", value=values)


class Strategy(StrEnum):
    """How ``suggest`` draws suggestions to review."""

    uncertain = "uncertain"
    random = "random"
    top = "top"


@app.command()
@friendly
def suggest(
    project: Annotated[Path, typer.Argument(help="Project file (SQLite).")] = DEFAULT_PROJECT,
    n: Annotated[int, typer.Option("-n", "--number", min=1, help="Suggestions to draw.")] = 20,
    strategy: Annotated[Strategy, typer.Option(help="uncertain: confidence nearest 0.5 first; "
                                                    "top: surest first; random: a random "
                                                    "sample (the one review --stats "
                                                    "estimates precision from).")]
    = Strategy.uncertain,
    code: Annotated[list[str] | None, typer.Option("--code", metavar="CODE", help="Code id (its "
                                                   "sub-codes too); repeat or comma-separate "
                                                   "for several.")] = None,
    coder: Annotated[str, typer.Option(help="The automatic coder whose codings are "
                                            "suggested.")] = "auto",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random sample.")] = 0,
) -> None:
    """Draw automatic codings no human has reviewed, coded or read, for `review` to accept or
    reject (`project.suggest()`)."""
    codes = [c.strip() for item in code or [] for c in item.split(",") if c.strip()]
    proj = _open(project, write=True)  # the draws are recorded
    _automatic_coder(proj, coder)
    todo = proj.suggest(n, strategy.value, coder=coder, code=codes or None, seed=seed)
    for row in todo.itertuples():
        typer.echo(f"#{row.suggestion_id}  {row.doc_id} [{row.start}, {row.end})  {row.code_id}"
                   f"  {row.valence or 'neutral'}  confidence {_shown_confidence(row.confidence)}")
        typer.echo(f"  {' '.join(str(row.text).split())}")
    typer.echo(f"{len(todo)} suggestion(s) drawn ({strategy.value}); record a decision with: "
               f"uppks-qual review {project} ID --accept|--reject --coder NAME")
    proj.close()


def _automatic_coder(proj: Any, coder: str) -> None:
    """A :class:`CoderError` unless ``coder`` is one of the project's automatic coders."""
    from .errors import CoderError

    known = proj.coders()
    autos = list(known.loc[known["kind"] == "auto", "coder"])
    if coder in autos:
        return
    if not autos:
        raise CoderError("the project has no automatic codings to suggest; run `uppks-qual "
                         "autocode` first", path=proj.path, coder=coder)
    what = ("is a human coder" if coder in set(known["coder"])
            else "is not a coder of the project")
    raise CoderError(f"--coder {coder!r} {what}; suggestions are an automatic coder's "
                     f"codings: give one of {', '.join(autos)}", path=proj.path, coder=coder)


def _shown_confidence(value: Any) -> str:
    return "-" if value is None or value != value else f"{value:.2f}"


def _review_target(items: list[str]) -> tuple[Path, int | None]:
    """``[PROJECT] [ID]`` of ``review``: a lone whole number is the suggestion id."""
    from .errors import ParameterError

    if len(items) > 2:
        raise ParameterError(f"review takes a project and a suggestion id; got "
                             f"{' '.join(items)}", parameter="target", value=items)
    if len(items) == 2:
        project, ident = Path(items[0]), items[1]
    elif len(items) == 1 and items[0].isdigit():
        project, ident = DEFAULT_PROJECT, items[0]
    else:
        project, ident = (Path(items[0]) if items else DEFAULT_PROJECT), None
    if ident is not None and not ident.isdigit():
        raise ParameterError(f"the suggestion id is a whole number (see `uppks-qual "
                             f"suggest`); got {ident!r}", parameter="id", value=ident)
    return project, None if ident is None else int(ident)


@app.command()
@friendly
def review(
    target: Annotated[list[str] | None, typer.Argument(
        metavar="[PROJECT] [ID]", help="Project file (default results/uppks.uqp) and the "
                                       "suggestion id shown by `suggest`.")] = None,
    accept: Annotated[bool | None, typer.Option("--accept/--reject", help="The decision: "
                                                "code the passage as suggested (or as "
                                                "corrected), or not.")] = None,
    coder: Annotated[str | None, typer.Option(help="Who decides (a human coder).")] = None,
    code: Annotated[str | None, typer.Option(help="Accept with this code instead.")] = None,
    valence: Annotated[Valence | None, typer.Option(help="Accept with this valence "
                                                         "instead.")] = None,
    memo: Annotated[str | None, typer.Option(help="A note kept with the coding and the "
                                                  "decision.")] = None,
    stats: Annotated[bool, typer.Option("--stats", help="Print the precision estimated from "
                                                        "the reviews instead.")] = False,
) -> None:
    """Accept or reject one suggestion (`project.review()`), or with --stats print how often
    suggestions drawn at random were right (`project.review_stats()`)."""
    from .errors import ParameterError

    project, ident = _review_target(list(target or []))
    if stats and (ident is not None or accept is not None or code or valence or memo):
        raise ParameterError("--stats prints the precision of the reviews and records no "
                             "decision: give it alone (with the project), or leave it out",
                             parameter="stats", value=True)
    if stats:
        proj = _open(project)
        summary = proj.review_stats()
        echo_table(summary["precision"].round(3).set_index("factor"),
                   title="Precision of the suggestions drawn at random (Wilson 95% interval)")
        typer.echo("")
        echo_table(summary["strategies"].set_index("strategy"), title="Reviews per strategy")
        proj.close()
        return
    if ident is None or accept is None or not coder:
        raise ParameterError("review needs a suggestion ID, --accept or --reject, and --coder "
                             "NAME (or --stats)", parameter="review", value=None)
    proj = _open(project, write=True)
    new = proj.review(ident, accept, coder=coder, code=code,
                      valence=valence.value if valence else None, memo=memo)
    typer.echo(f"suggestion {ident} accepted as coding {new} by {coder}" if accept
               else f"suggestion {ident} rejected by {coder}")
    proj.close()


def _change(old: Any, new: Any, width: int = 70) -> str:
    """``old -> new`` of a history row, as short JSON text."""
    import json

    def text(value: Any) -> str:
        return "-" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    shown = f"{text(old)} -> {text(new)}"
    return shown if len(shown) <= width else shown[:width - 3] + "..."


@app.command()
@friendly
def history(
    project: ProjectOpt = DEFAULT_PROJECT,
    coder: Annotated[list[str] | None, typer.Option(help="Only this coder's changes "
                                                         "(repeatable).")] = None,
    action: Annotated[list[str] | None, typer.Option(help="Only these actions (code, uncode, "
                                                          "recode, autocode, ...; "
                                                          "repeatable).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the newest N changes.")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the history to this CSV "
                                                           "file instead of printing it.")
                   ] = None,
) -> None:
    """Print the project's history (who changed what, when: old -> new), oldest first, or
    write it to a CSV file (`project.history()`, `project.export_history()`)."""
    from .pipeline import check_output_folder

    if csv is not None:
        check_output_folder(csv.parent if str(csv.parent) else Path("."),
                            option="--csv (its folder)")
    proj = _open(project)
    try:
        filters = {"coder": coder or None, "action": action or None, "limit": limit}
        if csv is not None:
            proj.export_history(csv, **filters)
            typer.echo(f"wrote {len(proj.history(**filters))} change(s) to {csv}")
            return
        frame = proj.history(**filters)
        if not len(frame):
            typer.echo("no changes recorded")
            return
        shown = frame.assign(
            at=[t.strftime("%Y-%m-%d %H:%M:%S") for t in frame["at"]],
            coder=frame["coder"].fillna("-"),
            target=frame["target_type"] + " " + frame["target_id"],
            change=[_change(o, n) for o, n in zip(frame["old"], frame["new"], strict=True)])
        echo_table(shown[["history_id", "at", "coder", "action", "target", "change"]]
                   .set_index("history_id"), title=f"History of {proj.location} (UTC)")
    finally:
        proj.close()


@app.command()
@friendly
def undo(
    coder: Annotated[str, typer.Option(help="Whose last change to undo.")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Undo a coder's last change that can be undone (a coding added or removed, a code,
    valence or memo changed, a memo, a passage marked read); repeat to walk further back.
    Auto-coding runs, codebook changes and review decisions are passed over with a warning."""
    proj = _open(project, write=True)
    try:
        done = proj.undo(coder)
    finally:
        proj.close()
    typer.echo(f"undid #{done['undone']} {done['action']} {done['target_type']} "
               f"{done['target_id']} by {coder} (recorded as #{done['history_id']})")


class MergeStrategy(StrEnum):
    """How ``merge`` settles a conflict."""

    strict = "strict"
    ours = "ours"
    theirs = "theirs"


@app.command()
@friendly
def merge(
    ours: Annotated[Path, typer.Argument(parser=project_target,
                                         help="First project (its values win with --strategy "
                                              "ours): a .uqp file or a PostgreSQL URL.")],
    theirs: Annotated[Path, typer.Argument(parser=project_target,
                                           help="Second project (coded apart).")],
    out: Annotated[Path, typer.Option("--out", parser=project_target,
                                      help="The new, merged project (a file or a URL).")],
    strategy: Annotated[MergeStrategy, typer.Option(
        help="On a conflict: strict (stop, list them), ours or theirs (keep that side's "
             "value, list them).")] = MergeStrategy.strict,
    by: Annotated[str | None, typer.Option(help="Who merges (recorded in the history).")
                  ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing "
                                                                "project at --out.")] = False,
) -> None:
    """Merge two projects coded apart into a new one, all or nothing: the same documents
    (an error lists any whose text differs), codebooks merged by code id, every coder's
    codings once, readings, reviews, memos and both histories; prints the merge report."""
    first = _open(ours)
    try:
        second = _open(theirs)
        try:
            report = first.merge(second, out=out, strategy=strategy.value, by=by,
                                 overwrite=overwrite)
        finally:
            second.close()
    finally:
        first.close()
    typer.echo(str(report))


class Role(StrEnum):
    """A coder's role in a team project."""

    coder = "coder"
    reviewer = "reviewer"
    admin = "admin"


@app.command()
@friendly
def coders(
    project: ProjectOpt = DEFAULT_PROJECT,
    add: Annotated[str | None, typer.Option(help="Register this human coder.")] = None,
    set_role: Annotated[str | None, typer.Option("--set-role", help="Change this coder's "
                                                                     "role.")] = None,
    role: Annotated[Role | None, typer.Option(help="The role for --add (default coder) or "
                                                   "--set-role.")] = None,
    by: Annotated[str | None, typer.Option(help="Who does it (an admin, once the project "
                                                "has one).")] = None,
) -> None:
    """List the project's coders with their kinds and roles; --add NAME registers a coder,
    --set-role NAME --role ROLE changes a role (recorded in the history)."""
    from .errors import ParameterError

    if add and set_role:
        raise ParameterError("give --add or --set-role, not both", parameter="add", value=add)
    if set_role and role is None:
        raise ParameterError("--set-role NAME needs --role (coder, reviewer or admin)",
                             parameter="role", value=None)
    proj = _open(project, write=bool(add or set_role))
    try:
        if add:
            proj.add_coder(add, role.value if role else "coder", by=by)
            typer.echo(f"registered {add} as {role.value if role else 'coder'}")
        elif set_role:
            assert role is not None
            old = proj.set_role(set_role, role.value, by=by)
            typer.echo(f"{set_role}: {old} -> {role.value}")
        echo_table(proj.coders().set_index("coder"), title="Coders")
    finally:
        proj.close()


DEBUG_VARIABLE = "UPPKS_QUAL_DEBUG"


#: Exit status of an internal error (a bug): sysexits' ``EX_SOFTWARE``.
INTERNAL_ERROR = 70


def main(args: list[str] | None = None) -> None:
    """Console-script entry point (see the module docstring for the exit statuses).

    A usage error (an unknown option, a value outside a choice) keeps click's status 2. An
    exception that is not a :class:`QualError` is a bug: one line asks to report it and the
    status is 70 (``EX_SOFTWARE``); with ``UPPKS_QUAL_DEBUG=1`` it is raised with its
    traceback.
    """
    try:
        app(args=args, prog_name="uppks-qual")
    except KeyboardInterrupt:
        typer.secho("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(141)
    except Exception as exc:
        if os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0"):
            raise
        detail = " ".join(str(exc).split())
        detail = detail if len(detail) <= 300 else detail[:297] + "..."
        typer.secho(f"error: internal error ({type(exc).__name__}: {detail}) — please report "
                    f"it with the command you ran; run with {DEBUG_VARIABLE}=1 for the "
                    "traceback", err=True, fg=typer.colors.RED)
        sys.exit(INTERNAL_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
