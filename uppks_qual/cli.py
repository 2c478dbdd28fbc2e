"""The ``uppks-qual`` command line: the notebook jobs, from a shell.

Every command has ``--help``. A user's mistake (bad file, unknown code ...) prints a clear
message and exits with status 1, never a traceback.
"""

from __future__ import annotations

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
    """Manual or automatic codings."""

    manual = "manual"
    auto = "auto"


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

    The bundled corpus is an illustrative reconstruction, not the study's field data.
    """


def friendly(func: F) -> F:
    """Turn a :class:`QualError` into a message on stderr and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except QualError as exc:
            typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None
        except OSError as exc:  # a file the user named cannot be read or written
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            typer.secho(f"error: {where}{exc.strerror or exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.secho("interrupted; the project keeps its last committed state", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


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

    corpus, problems = check_corpus(path)
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
    typer.echo(f"\nCodebook {codebook}: {len(cb)} codes ({n_factors} factors), all cues compiled.")
    typer.echo("Note: the bundled corpus is an illustrative reconstruction, not field data.")


ProjectOpt = Annotated[Path, typer.Option("--project", help="Project file (SQLite).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder.")]
DEFAULT_PROJECT = Path("results/uppks.uqp")
DEFAULT_GOLD = Path("data/coding/gold.csv")
DEFAULT_SCOPE = Path("data/coding/sample.csv")


def _open(project: Path) -> Any:
    from .project import Project

    return Project.open(project)


@app.command()
@friendly
def reproduce(
    corpus: CorpusOpt = DEFAULT_CORPUS,
    codebook: CodebookOpt = DEFAULT_CODEBOOK,
    project: ProjectOpt = DEFAULT_PROJECT,
    out: OutOpt = Path("results"),
    gold: Annotated[Path, typer.Option(help="Manual codings to include (skipped if absent).")]
    = DEFAULT_GOLD,
    scope: Annotated[Path, typer.Option(help="Passages the manual coder read (CSV).")]
    = DEFAULT_SCOPE,
    coder: Annotated[str, typer.Option(help="Name of the manual coder in --gold.")] = "ana",
    method: Annotated[Method, typer.Option(help="Auto-coder: 'learned' (rules + a model trained "
                                                "on --training) or 'rules'.")] = Method.learned,
    training: Annotated[Path, typer.Option(help="Folder of training passage codings "
                                                "(train*.csv).")] = Path("data/coding"),
) -> None:
    """The main job: load, auto-code, add manual codings, and write the Asoka/Melati comparison
    (CSV tables, PNG/SVG charts, report.html) to --out."""
    from .codebook import load_codebook
    from .corpus import load_corpus
    from .learn import training_files
    from .project import Project
    from .report import write_results

    typer.echo(f"loading {corpus} and {codebook}")
    proj = Project.create(project, corpus=load_corpus(corpus), codebook=load_codebook(codebook),
                          overwrite=True)
    files = training_files(training)
    how = method.value
    if how == "learned" and not files:
        typer.echo(f"no training codings (train*.csv) in {training}: using the rules alone")
        how = "rules"
    counts = proj.autocode(progress=True, method=how, training=files if how == "learned" else None)
    typer.echo(f"auto-coded ({how}) {counts['documents']} documents: "
               f"{counts['codings']} codings")
    proj.set_evidence_coders(["auto"])
    if gold.exists():
        added = proj.import_codings(gold, coder=coder)
        if scope.exists():  # the passages the coder read, coded or not
            import pandas as pd

            proj.mark_read(pd.read_csv(scope), coder=coder)
        proj.set_evidence_coders([coder, "auto"])
        typer.echo(f"imported {added['codings']} manual codings of {coder} from {gold}")
    typer.echo(f"writing results to {out}/")
    results = write_results(proj, out, method=how)
    thesis = results.tables["thesis_comparison"]
    cols = ["factor", "verdict_a", "balance_a", "verdict_b", "balance_b", "agrees_with_study",
            "supports_study"]
    echo_table(thesis[cols].set_index("factor"), title="\nThesis comparison (Asoka = a, Melati = b)")
    typer.echo(f"\n{len(results.files)} files written; open {out / 'report.html'} in a browser.")
    typer.echo("Note: on the bundled corpus these are results on an illustrative reconstruction, "
               "not the study's field findings.")
    proj.close()


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
) -> None:
    """Auto-code a project (created from --corpus if given); manual codings are never touched."""
    from .codebook import load_codebook
    from .corpus import load_corpus
    from .errors import StoreError
    from .learn import training_files
    from .project import Project

    if corpus is not None:
        if project.exists() and not overwrite:
            raise StoreError("already exists: pass --overwrite to replace it (its manual "
                             "codings would be lost), or leave out --corpus to auto-code it",
                             path=project)
        proj = Project.create(project, corpus=load_corpus(corpus),
                              codebook=load_codebook(codebook), overwrite=overwrite)
    else:
        proj = _open(project)
    files = training_files(training) if training is not None else None
    counts = proj.autocode(coder=coder, unit=unit.value, progress=True, method=method.value,
                           training=files or None)
    typer.echo(f"{counts['codings']} automatic codings in {counts['documents']} documents "
               f"({counts['skipped_manual']} identical to manual codings skipped)")


@app.command()
@friendly
def compare(
    project: ProjectOpt = DEFAULT_PROJECT,
    a: Annotated[str, typer.Option("-a", help="First value of --by.")] = "Asoka",
    b: Annotated[str, typer.Option("-b", help="Second value of --by.")] = "Melati",
    by: Annotated[str, typer.Option(help="Metadata column to compare on.")] = "group",
    origin: Annotated[Origin | None, typer.Option(help="Only the evidence of manual or of "
                                                       "automatic codings.")] = None,
) -> None:
    """Compare two groups (or any two values of a metadata column) factor by factor, on the
    project's evidence (`project.evidence()`)."""
    import warnings

    from . import analysis

    proj = _open(project)
    df = proj.evidence()
    if origin is not None:
        df = df[df["origin"] == origin.value]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = analysis.compare_groups(df, a, b, by=by, documents=proj.documents())
    echo_table(table.set_index("factor")[["count_a", "count_b", "rate_a", "rate_b", "odds_ratio",
                                          "p_adjusted"]], title=f"{a} vs {b} by {by}")
    for line in table["summary"]:
        typer.echo(f"- {line}")
    for w in caught:
        typer.secho(f"warning: {w.message}", err=True, fg=typer.colors.YELLOW)
    echo_provenance(proj)


@app.command()
@friendly
def chart(
    kind: Annotated[ChartKind, typer.Argument(help="The chart to draw.")],
    project: ProjectOpt = DEFAULT_PROJECT,
    out: Annotated[Path, typer.Option("--out", help="Image file (.png or .svg).")]
    = Path("results/chart.png"),
    doc: Annotated[str | None, typer.Option(help="Document id (for stripe).")] = None,
    lang: Annotated[Lang, typer.Option(help="Language of the labels.")] = Lang.en,
    normalise: Annotated[bool, typer.Option(help="Per 1,000 words (frequencies).")] = False,
) -> None:
    """Draw one chart of the project's evidence (`project.evidence()`) into an image file (the
    kappa chart is drawn by `agreement --chart`)."""
    from matplotlib.figure import Figure

    from . import charts
    from .errors import StoreError

    proj = _open(project)
    cb = proj.codebook
    df = proj.evidence()
    lang = lang.value  # type: ignore[assignment]
    draw = {
        "frequencies": lambda ax: charts.plot_factor_frequencies(
            df, normalise=normalise, documents=proj.documents(), codebook=cb, lang=lang, ax=ax),
        "valence": lambda ax: charts.plot_valence(df, codebook=cb, lang=lang, ax=ax),
        "heatmap": lambda ax: charts.plot_code_document_heatmap(df, codebook=cb, lang=lang, ax=ax),
        "cooccurrence": lambda ax: charts.plot_cooccurrence(df, codebook=cb, lang=lang, ax=ax),
        "stripe": lambda ax: charts.plot_coding_stripe(
            df, doc or str(proj.documents()["doc_id"].iloc[0]), codebook=cb, lang=lang, ax=ax),
    }
    if df.empty:
        raise StoreError("has no codings of the codebook's factors to draw; run `uppks-qual "
                         "autocode` or import codings first", path=project)
    fig = Figure(figsize=(10, 5))
    ax = fig.subplots()
    draw[kind.value](ax)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    typer.echo(f"wrote {out}")


@app.command()
@friendly
def export(
    project: ProjectOpt = DEFAULT_PROJECT,
    out: Annotated[Path, typer.Option("--out", help="Folder for CSV files, or a .xlsx or "
                                                     ".qdpx file.")] = Path("results/export"),
) -> None:
    """Export codings and tables: a folder of CSV files, an Excel workbook (.xlsx) for
    SPSS/R/Excel users (both count the project's evidence), or a REFI-QDA project (.qdpx) with
    every coding for NVivo, ATLAS.ti, MAXQDA, QualCoder."""
    proj = _open(project)
    suffix = out.suffix.lower()
    if suffix == ".qdpx":
        proj.export_qdpx(out)
    else:
        proj.export_tables(out)
        if suffix != ".xlsx":
            proj.segments().to_csv(out / "segments.csv", index=False)
    typer.echo(f"exported to {out}")


@app.command()
@friendly
def agreement(
    coders: Annotated[list[str], typer.Option("--coders", help="Two coders to compare: "
                                              "--coders ana budi (or --coders ana --coders budi).")],
    more: Annotated[list[str] | None, typer.Argument(help="The second coder, when written "
                                                     "after the first: --coders ana budi.")] = None,
    project: ProjectOpt = DEFAULT_PROJECT,
    unit: Annotated[AgreementUnit, typer.Option(help="Unit of agreement.")]
    = AgreementUnit.segment,
    level: Annotated[Level, typer.Option(help="Factors or codes.")] = Level.factor,
    scope: Annotated[Path | None, typer.Option(help="CSV of passages both coders read.")]
    = None,
    chart_out: Annotated[Path | None, typer.Option("--chart", help="Write a kappa chart.")]
    = None,
) -> None:
    """Inter-coder agreement per code (percent agreement, Cohen's kappa, Krippendorff's alpha)."""
    import pandas as pd

    from .errors import ParameterError

    proj = _open(project)
    coders = [*coders, *(more or [])]
    if len(coders) != 2:
        raise ParameterError("give exactly two coders: --coders ana budi", parameter="coders",
                             function="agreement", value=coders)
    passages = pd.read_csv(scope) if scope is not None else None
    table = proj.agreement(coders=tuple(coders), unit=unit.value, level=level.value,
                           scope=passages)
    echo_table(table, title=f"Agreement {coders[0]} vs {coders[1]} ({unit.value}, "
                            f"{level.value})")
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


def main() -> None:
    """Console-script entry point."""
    app(prog_name="uppks-qual")


if __name__ == "__main__":  # pragma: no cover
    main()
