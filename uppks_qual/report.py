"""The main job's outputs: CSV tables, PNG/SVG charts and one self-contained ``report.html``.

:func:`write_results` takes a project and writes everything into a folder. It only ties the
pure analysis and chart functions together; the numbers come from :mod:`uppks_qual.analysis`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import analysis

if TYPE_CHECKING:
    from .project import Project

__all__ = ["Results", "evidence_frame", "write_results"]

DEFAULT_NOTE = ("Check where the data comes from before reading these results as findings: "
                "they are what uppks-qual produced from the corpus named below.")


@dataclass
class Results:
    """What :func:`write_results` produced: tables (DataFrames) and the files written."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def evidence_frame(project: Project, *, coders: Sequence[str] | None = None,
                   scope: pd.DataFrame | None = None, auto_coder: str = "auto") -> pd.DataFrame:
    """Codings of the six factors used for the comparison: the automatic coder's, overridden
    by the named human ``coders`` where they read the text (see
    :func:`uppks_qual.analysis.combine_codings`). ``coders=()`` gives automatic codings only."""
    factors = [c.code_id for c in project.codebook.factors()]
    df = project.codings()
    keep = (df["coder"] == auto_coder) & (df["origin"] == "auto")
    if coders:
        keep |= df["coder"].isin(list(coders)) & (df["origin"] == "manual")
    return analysis.combine_codings(df[keep], scope=scope if coders else None, factors=factors)


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


def write_results(project: Project, out: str | Path, *, coders: Sequence[str] = (),
                  scope: pd.DataFrame | None = None, a: str = "Asoka", b: str = "Melati",
                  lang: str = "en", method: str = "rules") -> Results:
    """Write CSV tables, PNG and SVG charts and ``report.html`` into ``out``.

    Parameters
    ----------
    project : Project
        An auto-coded project (``project.autocode()`` has run).
    out : path
        Output folder (created).
    coders : sequence of str
        Human coders whose codings override the automatic ones where they read the text.
    scope : DataFrame, optional
        Passages the human coders read (``doc_id, start, end``), coded or not.
    a, b : str
        The two groups compared.
    lang : {"en", "id"}
        Language of chart labels.
    method : str
        How the automatic codings were made (shown in the report).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    evidence = evidence_frame(project, coders=coders, scope=scope)
    auto_only = evidence_frame(project, coders=())
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
CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}table{border-collapse:collapse;font-size:.85em;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}th{background:#f3f3f3}
.note{border-left:6px solid #d95f02;background:#fff4ec;padding:.8em 1em;margin:1em 0}
img{max-width:100%}.quote{font-style:italic;color:#444}caption{text-align:left;
font-weight:600}"""


def _table(frame: pd.DataFrame, caption: str, *, index: bool = False) -> str:
    body = frame.to_html(index=index, escape=True, float_format=lambda x: f"{x:.3g}",
                         border=0, na_rep="")
    end = body.index(">") + 1  # after the opening <table ...> tag
    return f"{body[:end]}<caption>{html.escape(caption)}</caption>{body[end:]}"


def _thesis_html(thesis: pd.DataFrame, a: str, b: str) -> str:
    rows = []
    for r in thesis.to_dict("records"):
        quotes = []
        for side in ("a", "b"):
            qs = [q for q in r.get(f"quotes_{side}", ()) or () if q]
            quotes.append("<br>".join(f'<span class="quote">{html.escape(str(q))}</span>'
                                      for q in qs))
        rows.append(
            f"<tr><td><b>{html.escape(str(r['factor']))}</b></td>"
            f"<td>{html.escape(str(r['verdict_a']))} ({r['positive_a']}+/{r['negative_a']}-)"
            f"<br>{quotes[0]}</td><td>{html.escape(str(r['verdict_b']))} "
            f"({r['positive_b']}+/{r['negative_b']}-)<br>{quotes[1]}</td>"
            f"<td>{html.escape(str(r['agrees_with_study']))}</td>"
            f"<td>{html.escape(str(r['supports_study']))}</td></tr>")
    head = (f"<tr><th>factor</th><th>{html.escape(a)}</th><th>{html.escape(b)}</th>"
            f"<th>direction agrees with the study (better in {html.escape(a)})</th>"
            f"<th>supports the study (better in {html.escape(a)} and not lacking there)</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _html(project: Project, tables: dict[str, pd.DataFrame], images: dict[str, str], *,
          coders: Sequence[str], a: str, b: str, method: str) -> str:
    provenance = project.get_meta("provenance") or DEFAULT_NOTE
    thesis, auto_thesis = tables["thesis_comparison"], tables["thesis_comparison_auto_only"]
    agree = int(thesis["agrees_with_study"].fillna(False).astype(bool).sum())
    agree_auto = int(auto_thesis["agrees_with_study"].fillna(False).astype(bool).sum())
    support = int(thesis["supports_study"].fillna(False).astype(bool).sum())
    evidence = ("automatic codings, overridden by the manual codings of "
                f"{', '.join(coders)} where they read the text") if coders else "automatic codings"
    img = "".join(f'<h3>{html.escape(n.replace("_", " "))}</h3>'
                  f'<img alt="{html.escape(n)}" src="data:image/png;base64,{data}">'
                  for n, data in images.items())
    compare_cols = ["factor", "count_a", "count_b", "rate_a", "rate_b", "odds_ratio", "ci_low",
                    "ci_high", "p_value", "p_adjusted", "summary"]
    comparison = tables["comparison"][[c for c in compare_cols if c in tables["comparison"]]]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>uppks-qual: {html.escape(a)} vs {html.escape(b)}</title><style>{CSS}</style></head><body>
<h1>{html.escape(a)} vs {html.escape(b)}: coded comparison of six factors</h1>
<div class="note"><b>About the data.</b> {html.escape(provenance)}</div>
<p>Project <code>{html.escape(project.path.name)}</code>, generated
{_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")} by uppks-qual. Evidence:
{html.escape(evidence)} (automatic coder: {html.escape(method)}). The study's finding is that
every factor worked better in {html.escape(a)} than in {html.escape(b)}; on this corpus the
toolkit's comparison agrees in direction for <b>{agree} of {len(thesis)}</b> factors
({agree_auto} of {len(auto_thesis)} with automatic codings alone), and for {support} of them the
factor is also not lacking in {html.escape(a)}. Verdict rules and thresholds: see
<code>uppks_qual.analysis.thesis_comparison</code>.</p>
<h2>The study's comparison, reproduced</h2>{_thesis_html(thesis, a, b)}
<h2>Group comparison (rates per 1,000 words)</h2>{_table(comparison, "compare_groups")}
<h2>Charts</h2>{img}
<h2>Framework matrix</h2>{_table(tables["framework_matrix"], "framework_table", index=True)}
<h2>Factor frequencies</h2>{_table(tables["frequencies"], "code_frequencies")}
<h2>Valence balance</h2>{_table(tables["valence_balance"], "valence_balance")}
<h2>Documents</h2>{_table(tables["documents"].drop(columns=["sha256", "path"], errors="ignore"),
                          "documents")}
</body></html>"""
