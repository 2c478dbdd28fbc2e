"""The main job's outputs: CSV tables, PNG/SVG charts and one self-contained ``report.html``.

:func:`write_results` takes a project and writes everything into a folder. It only ties the
pure analysis and chart functions together; the numbers come from :mod:`uppks_qual.analysis`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import io
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

    from .project import Project

__all__ = ["Results", "write_results"]

DEFAULT_NOTE = ("Check where the data comes from before reading these results as findings: "
                "they are what uppks-qual produced from the corpus named below.")


@dataclass
class Results:
    """What :func:`write_results` produced: tables (DataFrames) and the files written."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def _tables(project: Project, evidence: pd.DataFrame, auto_only: pd.DataFrame,
            a: str, b: str) -> dict[str, pd.DataFrame]:
    docs = project.documents()
    segs = project.segments(kind="sentence")
    factors = [c.code_id for c in project.codebook.factors()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        comparison = analysis.compare_groups(evidence, a, b, documents=docs)
    return {
        "frequencies": analysis.code_frequencies(evidence, documents=docs, segments=segs),
        "framework_matrix": analysis.framework_table(evidence),
        "valence_balance": analysis.valence_balance(evidence),
        "cooccurrence": analysis.cooccurrence(evidence),
        "comparison": comparison,
        "thesis_comparison": analysis.thesis_comparison(evidence, a=a, b=b, factors=factors),
        "thesis_comparison_auto_only": analysis.thesis_comparison(auto_only, a=a, b=b,
                                                                  factors=factors),
        "documents": docs,
    }


def _charts(project: Project, evidence: pd.DataFrame, lang: str) -> dict[str, Any]:
    # Figures made without pyplot: the user's backend (e.g. inline in a notebook) is untouched.
    from matplotlib.figure import Figure

    from . import charts

    cb, docs = project.codebook, project.documents()
    figures: dict[str, Any] = {}

    def new(name: str, size: tuple[float, float] = (9, 4.8)) -> Any:
        fig = Figure(figsize=size)
        figures[name] = fig
        return fig.subplots()

    charts.plot_factor_frequencies(evidence, codebook=cb, lang=lang, ax=new("frequencies_raw"))
    charts.plot_factor_frequencies(evidence, normalise=True, documents=docs, codebook=cb,
                                   lang=lang, ax=new("frequencies_per_1000_words"))
    charts.plot_valence(evidence, codebook=cb, lang=lang, ax=new("valence"))
    charts.plot_code_document_heatmap(evidence, codebook=cb, lang=lang,
                                      ax=new("code_document_heatmap", (12, 5.5)))
    charts.plot_cooccurrence(evidence, codebook=cb, lang=lang, ax=new("cooccurrence", (7, 6)))
    for group, rows in docs.groupby("group"):
        first = rows[rows["informant_role"] == "chair"]["doc_id"].tolist() or rows["doc_id"].tolist()
        length = int(rows.set_index("doc_id").loc[first[0], "n_chars"])
        charts.plot_coding_stripe(evidence, first[0], n_chars=length, codebook=cb, lang=lang,
                                  ax=new(f"stripe_{group}", (10, 3.2)))
    for fig in figures.values():
        fig.tight_layout()
    return figures


def write_results(project: Project, out: str | Path, *, a: str = "Asoka", b: str = "Melati",
                  lang: str = "en", method: str = "rules") -> Results:
    """Write CSV tables, PNG and SVG charts and ``report.html`` into ``out``.

    Every table and chart counts the project's evidence (:meth:`Project.evidence`: its
    evidence coders, a human's judgement replacing the automatic coder's where the human read
    the text); the ``..._auto_only`` table counts the automatic evidence coders alone.

    Parameters
    ----------
    project : Project
        An auto-coded project (``project.autocode()`` has run).
    out : path
        Output folder (created).
    a, b : str
        The two groups compared.
    lang : {"en", "id"}
        Language of chart labels.
    method : str
        How the automatic codings were made (shown in the report).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    evidence = project.evidence()
    kinds = dict(zip(project.coders()["coder"], project.coders()["kind"], strict=True))
    coders = [c for c in project.evidence_coders if kinds.get(c) == "human"]
    auto_only = project.evidence(coders=[c for c in project.evidence_coders
                                         if kinds.get(c) == "auto"])
    result = Results(tables=_tables(project, evidence, auto_only, a, b))
    for name, table in result.tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=name in ("framework_matrix",))
        result.files.append(path)
    figures = _charts(project, evidence, lang)
    images: dict[str, str] = {}
    for name, fig in figures.items():
        for ext in ("png", "svg"):
            path = out / f"{name}.{ext}"
            fig.savefig(path, dpi=120)
            result.files.append(path)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        images[name] = base64.b64encode(buffer.getvalue()).decode("ascii")
    page = out / "report.html"
    page.write_text(_html(project, result.tables, images, coders=coders, a=a, b=b,
                          method=method), encoding="utf-8")
    result.files.append(page)
    return result


# ------------------------------------------------------------------ HTML
# The page is a Jinja2 template (templates/report.html.j2) rendered with autoescaping, in the
# manner of pandas' Styler: the Python side only turns the results into plain dicts and lists
# of strings (``_context``), the template lays them out and escapes every value.

TEMPLATE = "report.html.j2"

#: Columns of the group comparison shown in the page (the CSV keeps them all).
COMPARE_COLUMNS = ("factor", "count_a", "count_b", "rate_a", "rate_b", "odds_ratio", "ci_low",
                   "ci_high", "p_value", "p_adjusted", "summary")

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
    """One group's cell of the thesis table: verdict, valence counts and example quotes."""

    verdict: str
    positive: str
    negative: str
    quotes: list[str]


class ThesisRow(TypedDict):
    """One factor of the thesis table."""

    factor: str
    sides: list[ThesisSide]
    agrees: str
    supports: str


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


def _thesis_side(record: dict[str, Any], side: str) -> ThesisSide:
    """One group's cell (``side`` is ``"a"`` or ``"b"``) of a thesis-comparison record."""
    quotes = record.get(f"quotes_{side}", ()) or ()
    return {"verdict": str(record[f"verdict_{side}"]),
            "positive": str(record[f"positive_{side}"]),
            "negative": str(record[f"negative_{side}"]),
            "quotes": [str(q) for q in quotes if q]}


def _thesis_rows(thesis: pd.DataFrame) -> list[ThesisRow]:
    """The rows of :func:`uppks_qual.analysis.thesis_comparison` as the template writes them.

    Parameters
    ----------
    thesis : DataFrame
        Output of :func:`uppks_qual.analysis.thesis_comparison`.

    Returns
    -------
    list of ThesisRow
        One per factor: its id, the two groups' verdicts, counts and quotes, and whether it
        agrees with and supports the study (as ``str``).
    """
    return [{"factor": str(r["factor"]), "sides": [_thesis_side(r, "a"), _thesis_side(r, "b")],
             "agrees": str(r["agrees_with_study"]), "supports": str(r["supports_study"])}
            for r in thesis.to_dict("records")]


def _count_true(column: pd.Series) -> int:
    """How many values of ``column`` are true (missing counts as false)."""
    return int(column.fillna(False).astype(bool).sum())


def _page_tables(tables: dict[str, pd.DataFrame]) -> dict[str, Table]:
    """The tables of the page, as :func:`_table_data` structures, keyed by their CSV name."""
    comparison = tables["comparison"]
    documents = tables["documents"].drop(columns=["sha256", "path"], errors="ignore")
    return {
        "comparison": _table_data(comparison[[c for c in COMPARE_COLUMNS if c in comparison]],
                                  "compare_groups"),
        "framework_matrix": _table_data(tables["framework_matrix"], "framework_table",
                                        index=True),
        "frequencies": _table_data(tables["frequencies"], "code_frequencies"),
        "valence_balance": _table_data(tables["valence_balance"], "valence_balance"),
        "documents": _table_data(documents, "documents"),
    }


def _context(project: Project, tables: dict[str, pd.DataFrame], images: dict[str, str], *,
             coders: Sequence[str], a: str, b: str, method: str) -> dict[str, Any]:
    """Everything the template shows, as plain strings, numbers, dicts and lists.

    Parameters
    ----------
    project : Project
        The project (its file name and provenance note are shown).
    tables : dict of str to DataFrame
        The tables of :func:`write_results`.
    images : dict of str to str
        Chart name to base64-encoded PNG.
    coders : sequence of str
        Human coders whose codings are part of the evidence.
    a, b : str
        The two groups compared.
    method : str
        How the automatic codings were made.

    Returns
    -------
    dict
        The template's variables; none of them is marked safe.
    """
    thesis, auto_thesis = tables["thesis_comparison"], tables["thesis_comparison_auto_only"]
    evidence = ("automatic codings, overridden by the manual codings of "
                f"{', '.join(coders)} where they read the text") if coders else "automatic codings"
    return {
        "a": a, "b": b, "method": method, "evidence": evidence,
        "provenance": project.get_meta("provenance") or DEFAULT_NOTE,
        "project_name": project.path.name,
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "agree": _count_true(thesis["agrees_with_study"]), "n_factors": len(thesis),
        "agree_auto": _count_true(auto_thesis["agrees_with_study"]),
        "n_factors_auto": len(auto_thesis),
        "support": _count_true(thesis["supports_study"]),
        "thesis": _thesis_rows(thesis),
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
          coders: Sequence[str], a: str, b: str, method: str) -> str:
    """Render ``report.html`` (see :func:`_context` for the parameters)."""
    context = _context(project, tables, images, coders=coders, a=a, b=b, method=method)
    return _environment().get_template(TEMPLATE).render(context)
