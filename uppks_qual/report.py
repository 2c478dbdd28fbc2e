"""The main job's outputs: CSV tables, PNG/SVG charts and one self-contained ``report.html``.

:func:`write_results` takes a project and writes everything into a folder. It only ties the
pure analysis and chart functions together; the numbers come from :mod:`uppks_qual.analysis`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
import pandas as pd

from . import analysis

if TYPE_CHECKING:
    import jinja2

    from .manifest import Hypothesis
    from .project import Project

__all__ = ["Results", "write_results"]

DEFAULT_NOTE = ("Check where the data comes from before reading these results as findings: "
                "they are what uppks-qual produced from the corpus named below.")


@dataclass
class Results:
    """What :func:`write_results` produced: tables (DataFrames) and the files written."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    """What one report compares: the column, its groups, the hypothesis and the factors."""

    by: str
    groups: list[str]
    hypothesis: Hypothesis | None
    factors: list[str]


def _plan(project: Project, groups: Sequence[str] | None) -> _Plan:
    study, docs = project.manifest, project.documents()
    by = study.compare_by
    present = set(docs[by].dropna()) if by in docs else set()
    chosen = project.comparison_groups() if groups is None else \
        [g for g in groups if g in present]
    hypothesis = study.hypothesis
    if hypothesis is not None and not {hypothesis.better, hypothesis.worse} <= \
            set(docs["group"].dropna()):
        hypothesis = None  # the hypothesis names groups this corpus does not have
    return _Plan(by, chosen, hypothesis, [c.code_id for c in project.codebook.factors()])


def _tables(project: Project, evidence: pd.DataFrame, auto_only: pd.DataFrame,
            plan: _Plan) -> dict[str, pd.DataFrame]:
    docs = project.documents()
    segs = project.segments(kind="sentence")
    tables: dict[str, pd.DataFrame] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # small counts: said in the page
        if plan.hypothesis is not None:
            h = plan.hypothesis
            factors = list(h.factors) or plan.factors
            tables["hypothesis"] = analysis.thesis_comparison(evidence, a=h.better, b=h.worse,
                                                              factors=factors)
            tables["hypothesis_sensitivity"] = analysis.hypothesis_sensitivity(
                evidence, a=h.better, b=h.worse, factors=factors)
            tables["hypothesis_auto_only"] = analysis.thesis_comparison(
                auto_only, a=h.better, b=h.worse, factors=factors)
        if len(plan.groups) == 2:
            tables["comparison"] = analysis.compare_groups(evidence, *plan.groups, by=plan.by)
            tables["coding_rates"] = analysis.compare_coding_rates(
                evidence, *plan.groups, by=plan.by, documents=docs)
        elif len(plan.groups) > 2:
            tables["comparison"] = analysis.pairwise_comparisons(evidence, by=plan.by,
                                                                 groups=plan.groups)
            tables["coding_rates"] = analysis.pairwise_comparisons(
                evidence, by=plan.by, groups=plan.groups, documents=docs, unit="coding")
            tables["group_differences"] = analysis.group_differences(
                evidence, by=plan.by, groups=plan.groups, documents=docs)
        tables["cases"] = analysis.case_matrix(evidence, by=plan.by)
        tables["framework_matrix"] = analysis.framework_table(evidence, cols=plan.by)
        rivals = _rivals(project, plan)
        if rivals is not None:
            tables["rival_explanations"] = rivals
    tables["frequencies"] = analysis.code_frequencies(evidence, by=plan.by, documents=docs,
                                                      segments=segs)
    tables["valence_balance"] = analysis.valence_balance(evidence, by=plan.by)
    tables["cooccurrence"] = analysis.cooccurrence(evidence)
    tables["documents"] = docs
    return tables


def _rivals(project: Project, plan: _Plan) -> pd.DataFrame | None:
    """Cases raising each rival explanation (codes of kind ``rival``), per group: how many
    cases of the group mention it, and a typical quote. None without rival codes."""
    cb = project.codebook
    roots = [c.code_id for c in cb.top_level() if c.kind == "rival"]
    if not roots:
        return None
    codes = [c.code_id for c in cb if c.factor in roots]
    warnings.simplefilter("ignore", RuntimeWarning)  # within _tables' catch_warnings
    every = project.evidence(kind="all")
    cases = analysis.case_matrix(every, by=plan.by, level="code")
    totals = cases.groupby(plan.by, observed=True)["case"].nunique()
    rows = []
    for code in codes:
        mine = cases[cases["code"] == code]
        for group in plan.groups or sorted(totals.index, key=str):
            cell = mine[(mine[plan.by] == group) & mine["present"]]
            coded = every[(every["code_id"] == code) & (every[plan.by] == group)]
            quote = analysis.framework_matrix(coded, rows="code", cols=plan.by, unit="case",
                                              quotes=1)["quotes"] if len(coded) else []
            first = next((q[0] for q in quote if q), "")
            rows.append({"code": code, plan.by: group, "cases": len(cell),
                         "of_cases": int(totals.get(group, 0)), "codings": len(coded),
                         "example": first})
    return pd.DataFrame(rows)


def _charts(project: Project, evidence: pd.DataFrame, plan: _Plan, lang: str) -> dict[str, Any]:
    # Figures made without pyplot: the user's backend (e.g. inline in a notebook) is untouched.
    from matplotlib.figure import Figure

    from . import charts

    cb, docs = project.codebook, project.documents()
    figures: dict[str, Any] = {}

    def new(name: str, size: tuple[float, float] = (9, 4.8)) -> Any:
        fig = Figure(figsize=size)
        figures[name] = fig
        return fig.subplots()

    charts.plot_factor_frequencies(evidence, by=plan.by, codebook=cb, lang=lang,
                                   ax=new("frequencies_raw"))
    charts.plot_factor_frequencies(evidence, by=plan.by, normalise=True, documents=docs,
                                   codebook=cb, lang=lang, ax=new("frequencies_per_1000_words"))
    charts.plot_valence(evidence, by=plan.by, codebook=cb, lang=lang, ax=new("valence"))
    charts.plot_code_document_heatmap(evidence, codebook=cb, lang=lang,
                                      ax=new("code_document_heatmap", (12, 5.5)))
    charts.plot_cooccurrence(evidence, codebook=cb, lang=lang, ax=new("cooccurrence", (7, 6)))
    for i, group in enumerate(plan.groups):  # one document of each group, coded
        rows = docs[docs[plan.by] == group]
        if len(rows):
            first = rows.iloc[0]
            charts.plot_coding_stripe(evidence, str(first["doc_id"]), n_chars=int(first["n_chars"]),
                                      codebook=cb, lang=lang,
                                      ax=new(f"stripe_{i + 1}_{_slug(str(group))}", (10, 3.2)))
    for fig in figures.values():
        fig.tight_layout()
    return figures


def _slug(name: str) -> str:
    """A file-name-safe form of a group name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:40] or "group"


def write_results(project: Project, out: str | Path, *, groups: Sequence[str] | None = None,
                  lang: str = "en", method: str = "rules") -> Results:
    """Write CSV tables, PNG and SVG charts and ``report.html`` into ``out``.

    What is compared comes from the project's manifest (:attr:`Project.manifest`): the
    column (``compare.by``), its groups, and the hypothesis if the study has one. Every table
    and chart counts the project's evidence (:meth:`Project.evidence`: its evidence coders, a
    human's judgement replacing the automatic coder's where the human read the text); the
    ``hypothesis_auto_only`` table counts the automatic evidence coders alone.

    Parameters
    ----------
    project : Project
        An auto-coded project (``project.autocode()`` has run).
    out : path
        Output folder (created).
    groups : sequence of str, optional
        The groups to compare (default: the manifest's, else every group present). Two:
        ``comparison.csv`` with odds ratios; more: pairwise comparisons and
        ``group_differences.csv``.
    lang : {"en", "id"}
        Language of chart labels.
    method : str
        How the automatic codings were made (shown in the report).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plan = _plan(project, groups)
    evidence = project.evidence()
    kinds = dict(zip(project.coders()["coder"], project.coders()["kind"], strict=True))
    coders = [c for c in project.evidence_coders if kinds.get(c) == "human"]
    auto_only = project.evidence(coders=[c for c in project.evidence_coders
                                         if kinds.get(c) == "auto"])
    result = Results(tables=_tables(project, evidence, auto_only, plan))
    for name, table in result.tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=name in ("framework_matrix",))
        result.files.append(path)
    images: dict[str, str] = {}
    for name, fig in _charts(project, evidence, plan, lang).items():
        for ext in ("png", "svg"):
            path = out / f"{name}.{ext}"
            fig.savefig(path, dpi=120)
            result.files.append(path)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        images[name] = base64.b64encode(buffer.getvalue()).decode("ascii")
    page = out / "report.html"
    page.write_text(_html(project, result.tables, images, coders=coders, plan=plan,
                          method=method), encoding="utf-8")
    result.files.append(page)
    return result


# ------------------------------------------------------------------ HTML
# The page is a Jinja2 template (templates/report.html.j2) rendered with autoescaping, in the
# manner of pandas' Styler: the Python side only turns the results into plain dicts and lists
# of strings (``_context``), the template lays them out and escapes every value.

TEMPLATE = "report.html.j2"

#: Columns of the case-level comparison shown in the page (the CSV keeps them all).
COMPARE_COLUMNS = ("factor", "cases_a", "cases_b", "mentioning_a", "mentioning_b", "balance_a",
                   "balance_b", "difference", "ci_low", "ci_high", "p_value", "p_adjusted",
                   "summary")
#: Columns of the coding-level table shown in the page.
RATE_COLUMNS = ("factor", "count_a", "count_b", "rate_a", "rate_b", "odds_ratio", "ci_low",
                "ci_high", "p_adjusted", "summary")

#: pandas' ``to_html`` wrote these characters of a cell as escapes; the page keeps doing so.
_CELL_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


class Row(TypedDict):
    """One body row of a :class:`Table`: index cells (``<th>``), then data cells (``<td>``)."""

    head: list[str]
    cells: list[str]


class Table(TypedDict):
    """A DataFrame as the template sees it: caption, header rows and body rows of strings."""

    caption: str
    header: list[list[str]]
    rows: list[Row]


class ThesisSide(TypedDict):
    """One group's cell of the hypothesis table: its state, cases, mean case balance and
    quotes (typical, then disconfirming)."""

    state: str
    cases: str
    balance: str
    quotes: list[str]
    disconfirming: list[str]


class ThesisRow(TypedDict):
    """One factor of the hypothesis table."""

    factor: str
    sides: list[ThesisSide]
    difference: str
    p_value: str
    verdict: str
    stability: str


def _cell(value: Any) -> str:
    """Format one table cell as the page shows it.

    Parameters
    ----------
    value : object
        A cell or index value of a DataFrame.

    Returns
    -------
    str
        ``""`` for NaN, None, NA and NaT; floats with 3 significant digits (``{x:.3g}``);
        anything else as ``str``, with tabs and line breaks written as ``\\t``, ``\\n``,
        ``\\r`` (as pandas' ``to_html`` did). Not HTML-escaped: the template does that.
    """
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return str(value).translate(_CELL_ESCAPES)


def _header(frame: pd.DataFrame, *, index: bool) -> list[list[str]]:
    """Header rows of :func:`_table_data`, laid out as pandas' ``to_html`` lays them out.

    Parameters
    ----------
    frame : DataFrame
        The table.
    index : bool
        Whether the index is written (as leading ``<th>`` cells of each row).

    Returns
    -------
    list of list of str
        With the index: a first row ``[columns.name, *columns]`` and, when the index has a
        name, a second row ``[index.name, "", ...]``. Without it: ``[columns]``.
    """
    columns = [_cell(c) for c in frame.columns]
    if not index:
        return [columns]
    levels = frame.index.nlevels
    top = [""] * (levels - 1) + [_cell(frame.columns.name)]
    header = [top + columns]
    if any(name is not None for name in frame.index.names):
        header.append([_cell(name) for name in frame.index.names] + [""] * len(columns))
    return header


def _table_data(frame: pd.DataFrame, caption: str, *, index: bool = False) -> Table:
    """Turn a DataFrame into the plain structure the template writes as a ``<table>``.

    Parameters
    ----------
    frame : DataFrame
        The table.
    caption : str
        Its caption (the template puts it first inside ``<table>``).
    index : bool, default False
        Write the index as leading ``<th>`` cells.

    Returns
    -------
    Table
        ``{"caption": str, "header": [[str]], "rows": [{"head": [str], "cells": [str]}]}``,
        every cell formatted by :func:`_cell`.
    """
    keys = frame.index.to_list() if index else [()] * len(frame)
    rows: list[Row] = [
        {"head": [_cell(k) for k in (key if isinstance(key, tuple) else (key,))],
         "cells": [_cell(v) for v in values]}
        for key, values in zip(keys, frame.itertuples(index=False, name=None), strict=True)]
    return {"caption": caption, "header": _header(frame, index=index), "rows": rows}


def _signed(x: Any) -> str:
    """A balance or difference as the page writes it: ``+0.42``, ``-0.10``, blank for nan."""
    return "" if pd.isna(x) else f"{float(x):+.2f}"


def _thesis_side(record: dict[str, Any], side: str) -> ThesisSide:
    """One group's cell (``side`` is ``"a"`` or ``"b"``) of a thesis-comparison record."""
    return {"state": str(record[f"state_{side}"]), "cases": str(record[f"cases_{side}"]),
            "balance": _signed(record[f"balance_{side}"]),
            "quotes": [str(q) for q in record.get(f"quotes_{side}", ()) or () if q][:1],
            "disconfirming": [str(q) for q in record.get(f"disconfirming_{side}", ()) or ()
                              if q][:1]}


def _thesis_rows(thesis: pd.DataFrame) -> list[ThesisRow]:
    """The rows of :func:`uppks_qual.analysis.thesis_comparison` as the template writes them.

    Parameters
    ----------
    thesis : DataFrame
        Output of :func:`uppks_qual.analysis.thesis_comparison`.

    Returns
    -------
    list of ThesisRow
        One per factor: its id, each group's state, cases, mean case balance and quotes, the
        difference with its interval, the permutation p, the verdict and its stability.
    """
    rows: list[ThesisRow] = []
    for r in thesis.to_dict("records"):
        interval = "" if pd.isna(r["ci_low"]) else \
            f" [{_signed(r['ci_low'])}, {_signed(r['ci_high'])}]"
        rows.append({"factor": str(r["factor"]),
                     "sides": [_thesis_side(r, "a"), _thesis_side(r, "b")],
                     "difference": _signed(r["difference"]) + interval,
                     "p_value": _cell(r["p_value"]), "verdict": str(r["verdict"]),
                     "stability": str(r["stability"])})
    return rows


def _sensitivity(table: pd.DataFrame) -> pd.DataFrame:
    """The sensitivity grid as one row per factor: how many settings give each verdict."""
    counts = table.groupby(["factor", "verdict"], observed=True).size().unstack(fill_value=0)
    counts.columns.name = None
    order = [v for v in ("supports", "inconclusive", "contradicts", "insufficient evidence")
             if v in counts.columns]
    counts = counts[order]
    counts.insert(0, "settings", counts.sum(axis=1))
    return counts.reset_index()


def _count_true(column: pd.Series) -> int:
    """How many values of ``column`` are true (missing counts as false)."""
    return int(column.fillna(False).astype(bool).sum())


def _page_tables(tables: dict[str, pd.DataFrame]) -> dict[str, Table]:
    """The tables of the page, as :func:`_table_data` structures, keyed by their CSV name."""
    documents = tables["documents"].drop(columns=["sha256", "path"], errors="ignore")
    out = {
        "framework_matrix": _table_data(tables["framework_matrix"], "framework_table",
                                        index=True),
        "frequencies": _table_data(tables["frequencies"], "code_frequencies"),
        "valence_balance": _table_data(tables["valence_balance"], "valence_balance"),
        "documents": _table_data(documents, "documents"),
    }
    pairwise = "group_differences" in tables
    for name, columns, caption in (("comparison", COMPARE_COLUMNS, "compare_groups"),
                                   ("coding_rates", RATE_COLUMNS, "compare_coding_rates")):
        if name in tables:
            frame = tables[name]
            shown = [c for c in frame.columns if c in columns or
                     (pairwise and c in ("group_a", "group_b"))]
            out[name] = _table_data(frame[shown], "pairwise_comparisons" if pairwise
                                    else caption)
    if pairwise:
        out["group_differences"] = _table_data(tables["group_differences"], "group_differences")
    if "hypothesis_sensitivity" in tables:
        out["hypothesis_sensitivity"] = _table_data(
            _sensitivity(tables["hypothesis_sensitivity"]), "hypothesis_sensitivity")
    if "rival_explanations" in tables:
        out["rival_explanations"] = _table_data(tables["rival_explanations"],
                                                "rival_explanations")
    return out


def _hypothesis(tables: dict[str, pd.DataFrame], plan: _Plan) -> dict[str, Any] | None:
    """The hypothesis section: the statement, its groups and how the cases bear on it."""
    if plan.hypothesis is None or "hypothesis" not in tables:
        return None
    h, table, auto = plan.hypothesis, tables["hypothesis"], tables["hypothesis_auto_only"]
    verdicts = table["verdict"].value_counts()
    return {"statement": h.statement or f"Each factor is better in {h.better} than in "
                                        f"{h.worse}.",
            "better": h.better, "worse": h.worse, "n": len(table),
            "support": int(verdicts.get("supports", 0)),
            "inconclusive": int(verdicts.get("inconclusive", 0)),
            "contradict": int(verdicts.get("contradicts", 0)),
            "insufficient": int(verdicts.get("insufficient evidence", 0)),
            "agree": _count_true(table["agrees_with_hypothesis"]),
            "support_auto": int((auto["verdict"] == "supports").sum()),
            "stable": int((table["loo_holds"] == table["loo_runs"]).sum()),
            "rows": _thesis_rows(table)}


def _context(project: Project, tables: dict[str, pd.DataFrame], images: dict[str, str], *,
             coders: Sequence[str], plan: _Plan, method: str) -> dict[str, Any]:
    """Everything the template shows, as plain strings, numbers, dicts and lists.

    Parameters
    ----------
    project : Project
        The project (its manifest, file name and provenance note are shown).
    tables : dict of str to DataFrame
        The tables of :func:`write_results`.
    images : dict of str to str
        Chart name to base64-encoded PNG.
    coders : sequence of str
        Human coders whose codings are part of the evidence.
    plan : _Plan
        What is compared.
    method : str
        How the automatic codings were made.

    Returns
    -------
    dict
        The template's variables; none of them is marked safe.
    """
    evidence = ("automatic codings, overridden by the manual codings of "
                f"{', '.join(coders)} where they read the text") if coders else "automatic codings"
    return {
        "title": project.manifest.title or "Coded comparison", "by": plan.by,
        "groups": plan.groups, "n_factors": len(plan.factors), "method": method,
        "evidence": evidence, "provenance": project.get_meta("provenance") or DEFAULT_NOTE,
        "project_name": project.path.name,
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "hypothesis": _hypothesis(tables, plan),
        "tables": _page_tables(tables),
        "images": [{"name": n, "title": n.replace("_", " "), "data": data}
                   for n, data in images.items()],
    }


@functools.cache
def _environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates (built once, on first use).

    Templates are loaded from the installed package (``uppks_qual/templates``), never from the
    working directory; autoescaping is on for every template and an undefined variable is an
    error.
    """
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("uppks_qual", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def _html(project: Project, tables: dict[str, pd.DataFrame], images: dict[str, str], *,
          coders: Sequence[str], plan: _Plan, method: str) -> str:
    """Render ``report.html`` (see :func:`_context` for the parameters)."""
    context = _context(project, tables, images, coders=coders, plan=plan, method=method)
    return _environment().get_template(TEMPLATE).render(context)
