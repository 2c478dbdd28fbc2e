"""The ``uppks-qual`` command line: the notebook jobs, from a shell.

Every command has ``--help``. A user's mistake (bad file, unknown code ...) prints a clear
message and exits with status 1, never a traceback.
"""

from __future__ import annotations

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
    except OSError as exc:  # a file the user named cannot be read or written
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        typer.secho(f"error: {where}{exc.strerror or exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.secho("interrupted; the project keeps its last committed state", err=True)
        raise typer.Exit(130) from None


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


ProjectOpt = Annotated[Path, typer.Option("--project", help="Project file (SQLite).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder.")]
DEFAULT_PROJECT = Path("results/uppks.uqp")


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
    from .pipeline import run_study

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
    by = by or proj.manifest.compare_by
    df = proj.evidence()
    if origin is not None:
        df = df[df["origin"] == origin.value]
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
    from .errors import StoreError

    proj = _open(project)
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
    import pandas as pd

    proj = _open(project)
    pair = proj._pair([*coders, *(more or [])] if coders else None)
    if scope is None:
        scope = next((Path(c.read) for c in proj.manifest.manual
                      if c.coder == pair[0] and c.read and Path(c.read).exists()), None)
    passages = pd.read_csv(scope) if scope is not None else None
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
    proj = _open(project)
    report = proj.import_codings(file, coder=coder)
    typer.echo(f"imported {report['codings']} new codings ({report['already_present']} already "
               f"present, {report['uncoded_passages']} passages read and left uncoded) from "
               f"{file}")


@app.command()
@friendly
def attributes(
    csv: Annotated[Path, typer.Option("--csv", help="CSV with a doc_id column and one column "
                                                    "per attribute or field.")],
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Set documents' attributes (and fields such as group or title) from a CSV, all or
    nothing; then `compare --by ATTRIBUTE` compares by any of them."""
    proj = _open(project)
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
    hits = proj.query(codes or None, [v.value for v in valence] if valence else None,
                      conditions, span, include_notes=include_notes)
    shown = hits if limit == 0 else hits.head(limit)
    for row in shown.itertuples():
        _echo_passage(row)
        typer.echo("")
    typer.echo(f"{len(hits)} passages (showing {len(shown)})")
    proj.close()


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
    proj = _open(project)
    todo = proj.suggest(n, strategy.value, coder=coder, code=codes or None, seed=seed)
    for row in todo.itertuples():
        typer.echo(f"#{row.suggestion_id}  {row.doc_id} [{row.start}, {row.end})  {row.code_id}"
                   f"  {row.valence or 'neutral'}  confidence {_shown_confidence(row.confidence)}")
        typer.echo(f"  {' '.join(str(row.text).split())}")
    typer.echo(f"{len(todo)} suggestion(s) drawn ({strategy.value}); record a decision with: "
               f"uppks-qual review {project} ID --accept|--reject --coder NAME")
    proj.close()


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
    proj = _open(project)
    new = proj.review(ident, accept, coder=coder, code=code,
                      valence=valence.value if valence else None, memo=memo)
    typer.echo(f"suggestion {ident} accepted as coding {new} by {coder}" if accept
               else f"suggestion {ident} rejected by {coder}")
    proj.close()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="uppks-qual")


if __name__ == "__main__":  # pragma: no cover
    main()
