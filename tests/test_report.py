"""Tests for :mod:`uppks_qual.report`: ``write_results`` on the real corpus (tables, charts,
a self-contained ``report.html`` carrying the data-honesty note) and ``evidence_frame`` on a
small hand-coded project."""

from __future__ import annotations

import base64
import html
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest_project import (
    ROOT,
    copy_project,
    plain_document,
    real_codebook,
    real_corpus,
    tiny_codebook,
)

from uppks_qual import analysis
from uppks_qual.manifest import Hypothesis, Manifest
from uppks_qual.project import Project
from uppks_qual.records import Coding
from uppks_qual.report import (
    DEFAULT_NOTE,
    TEMPLATE,
    Results,
    _environment,
    _table_data,
    write_results,
)

SIX_FACTORS = ["leadership", "information_clarity", "leader_support", "officer_role",
               "capital_growth", "partnerships"]
GOLD = ROOT / "data" / "coding" / "gold.csv"
SAMPLE = ROOT / "data" / "coding" / "sample.csv"
CHARTS = ["frequencies_raw", "frequencies_per_1000_words", "valence", "code_document_heatmap",
          "cooccurrence", "stripe_1_Asoka", "stripe_2_Melati"]

#: Columns of each CSV table, as the analysis docstrings document them.
COLUMNS = {
    "frequencies": ["group", "factor", "codings", "segments", "documents", "informants", "words",
                    "per_1000_words", "n_segments", "pct_segments"],
    "comparison": ["factor", "group_a", "group_b", "cases_a", "cases_b", "mentioning_a",
                   "mentioning_b", "share_a", "share_b", "share_difference", "share_ci_low",
                   "share_ci_high", "share_p", "share_p_adjusted", "valenced_a", "valenced_b",
                   "balance_a", "balance_b", "difference", "ci_low", "ci_high", "p_value",
                   "exact", "p_adjusted", "significant", "summary"],
    "coding_rates": ["factor", "group_a", "group_b", "count_a", "count_b", "total_a",
                     "total_b", "rate_a", "rate_b", "difference", "odds_ratio", "ci_low",
                     "ci_high", "p_value", "p_adjusted", "significant", "summary"],
    "hypothesis": ["factor", "group_a", "group_b", "cases_a", "cases_b", "balance_a",
                   "balance_b", "difference", "ci_low", "ci_high", "p_value", "verdict",
                   "state_a", "state_b", "agrees_with_hypothesis", "supports_hypothesis",
                   "loo_runs", "loo_holds", "loo_flips", "stability", "quotes_a", "quotes_b",
                   "disconfirming_a", "disconfirming_b"],
    "hypothesis_sensitivity": ["factor", "confidence", "min_valenced", "case", "difference",
                               "ci_low", "ci_high", "verdict"],
    "cases": ["case", "group", "factor"],
    "valence_balance": ["group", "factor", "positive", "negative", "neutral", "n", "balance"],
    "cooccurrence": ["a", "b", "count", "n_a", "n_b", "jaccard"],
}
COLUMNS["hypothesis_auto_only"] = COLUMNS["hypothesis"]


# --------------------------------------------------------------------------- real corpus run
@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Results, Path]]:
    folder = tmp_path_factory.mktemp("report")
    proj = Project.create(folder / "real.uqp", corpus=real_corpus(), codebook=real_codebook())
    proj.autocode(progress=False)
    proj.import_codings(GOLD, coder="ana")
    proj.mark_read(pd.read_csv(SAMPLE), coder="ana")
    proj.set_evidence_coders(["ana", "auto"])
    out = folder / "results"
    results = write_results(proj, out)
    yield proj, results, out
    proj.close()


@pytest.fixture(scope="module")
def page(written: tuple[Project, Results, Path]) -> str:
    return (written[2] / "report.html").read_text(encoding="utf-8")


def squash(text: str) -> str:
    return " ".join(text.split())


def test_write_results_files(written: tuple[Project, Results, Path]) -> None:
    _, results, out = written
    names = {p.name for p in results.files}
    for table in COLUMNS:
        assert f"{table}.csv" in names
    for chart in CHARTS:
        assert {f"{chart}.png", f"{chart}.svg"} <= names
    assert "report.html" in names and "framework_matrix.csv" in names
    for path in results.files:
        assert path.parent == out and path.stat().st_size > 0, path
    for chart in CHARTS:
        assert (out / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (out / f"{chart}.svg").read_bytes()[:2000]


def test_report_is_self_contained(page: str) -> None:
    sources = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)""", page, flags=re.I)
    assert sources, "the report should embed its charts"
    assert all(s.startswith("data:image/png;base64,") for s in sources), sources
    assert not re.search(r"https?://", page)
    assert "<link" not in page.lower() and "<script" not in page.lower()
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', page)
    assert [name for name, _ in images] == CHARTS
    for _, data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_carries_the_provenance_note_of_corpus_yaml(page: str) -> None:
    manifest = yaml.safe_load((ROOT / "data" / "interviews" / "corpus.yaml").read_text("utf-8"))
    provenance = manifest["provenance"]
    assert "ILLUSTRATIVE RECONSTRUCTION" in provenance
    note = re.search(r'<div class="note">(.*?)</div>', page, flags=re.S)
    assert note is not None
    # escaped by the template (markupsafe writes ' as &#39;, html.escape as &#x27;): compare
    # the text, and check that the quotes of the note were written as character references
    assert squash(provenance) in squash(html.unescape(note.group(1)))
    assert "'" in provenance and "'" not in note.group(1)
    assert DEFAULT_NOTE not in page


def test_report_names_the_six_factors_and_thesis_table(
        written: tuple[Project, Results, Path], page: str) -> None:
    proj, results, _ = written
    assert [c.code_id for c in proj.codebook.factors()] == SIX_FACTORS
    for factor in SIX_FACTORS:
        assert f"<td><b>{factor}</b></td>" in page
    assert "<th>difference of mean case balances [95% interval]</th>" in page
    assert proj.manifest.hypothesis is not None
    assert squash(proj.manifest.hypothesis.statement) in squash(page)
    thesis = results.tables["hypothesis"]
    auto = results.tables["hypothesis_auto_only"]
    support = int((thesis["verdict"] == "supports").sum())
    support_auto = int((auto["verdict"] == "supports").sum())
    agree = int(thesis["agrees_with_hypothesis"].fillna(False).sum())
    text = squash(page)
    assert f"Here <b>{support} of 6</b> factors support the hypothesis" in text
    assert f"the direction alone agrees for {agree} of 6" in text
    assert f"With automatic codings alone, {support_auto} of 6 support it" in text
    assert "manual codings of ana where they read the text" in text
    for verdict, stability in zip(thesis["verdict"], thesis["stability"], strict=True):
        assert f"<td><b>{html.escape(verdict)}</b></td>" in page
        assert html.escape(stability) in page


def test_report_leads_with_cases_and_labels_the_coding_level(page: str) -> None:
    text = squash(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    order = ["What these numbers can and cannot show", "The hypothesis, case by case",
             "Case-level comparison", "Framework matrix", "Rival explanations",
             "How much the material talks about each factor (coding level)", "Documents"]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "not tests over informants" in text
    assert "against:" in text  # disconfirming quotes are shown


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_csv_tables_have_documented_columns(written: tuple[Project, Results, Path],
                                            name: str) -> None:
    _, results, out = written
    frame = pd.read_csv(out / f"{name}.csv")
    # every documented column, in the documented order (later additions may follow)
    assert [c for c in frame.columns if c in COLUMNS[name]] == COLUMNS[name]
    assert list(frame.columns[:3]) == COLUMNS[name][:3]
    assert len(frame) == len(results.tables[name])
    if name in ("hypothesis", "hypothesis_auto_only", "comparison", "coding_rates"):
        assert frame["factor"].tolist() == SIX_FACTORS
    if name in ("frequencies", "valence_balance"):
        assert len(frame) == 12 and set(frame["group"]) == {"Asoka", "Melati"}


def test_framework_matrix_and_documents_csv(written: tuple[Project, Results, Path]) -> None:
    proj, _, out = written
    matrix = pd.read_csv(out / "framework_matrix.csv", index_col=0)
    assert matrix.index.name == "factor"
    assert matrix.index.tolist() == SIX_FACTORS
    assert matrix.columns.tolist() == ["Asoka", "Melati"]
    assert matrix.map(lambda s: bool(re.match(r"\d+ of \d+ cases", str(s)))).all().all()
    docs = pd.read_csv(out / "documents.csv")
    assert sorted(docs["doc_id"]) == sorted(proj.documents()["doc_id"])
    assert {"doc_id", "group", "n_words", "n_chars"} <= set(docs.columns)


def test_tables_are_computed_from_the_evidence(written: tuple[Project, Results, Path]) -> None:
    proj, results, out = written
    evidence = proj.evidence()
    freq = pd.read_csv(out / "frequencies.csv")
    counts = evidence.groupby(["group", "factor"], observed=False).size()
    for r in freq.itertuples():
        assert r.codings == counts[(r.group, r.factor)]
    expected = analysis.thesis_comparison(evidence, a="Asoka", b="Melati", factors=SIX_FACTORS)
    pd.testing.assert_frame_equal(results.tables["hypothesis"], expected)
    auto_only = analysis.thesis_comparison(proj.evidence(coders=["auto"]), a="Asoka", b="Melati",
                                           factors=SIX_FACTORS)
    pd.testing.assert_frame_equal(results.tables["hypothesis_auto_only"], auto_only)
    # the manual coder's codings are part of the evidence
    ana = proj.codings(coder="ana")
    assert (evidence["origin"] == "manual").sum() == (~ana["kind"].isin(["note", "question"])).sum()


# --------------------------------------------------------------------------- evidence
TEXT = "Ketua rajin datang. Rapat tiap bulan. Modal bertambah. Pinjaman lancar. Sudah tahap dua."


def span(quote: str) -> tuple[int, int]:
    start = TEXT.index(quote)
    return start, start + len(quote)


def auto(quote: str, code_id: str, coder: str = "auto") -> Coding:
    return Coding("asoka-obs-e", *span(quote), code_id, coder, "auto", "neutral", 0.9, None)


@pytest.fixture(scope="module")
def evidence_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("evidence") / "evidence.uqp"
    with Project.create(path, corpus=[plain_document("asoka-obs-e", TEXT)],
                        codebook=tiny_codebook()) as proj:
        proj.code_many([
            auto("Ketua rajin datang.", "leadership"),      # overlaps ana's coding: dropped
            auto("Rapat tiap bulan.", "leadership.meetings"),  # overlaps budi's only: kept
            auto("Modal bertambah.", "capital"),             # inside the scope passage: dropped
            auto("Pinjaman lancar.", "capital.loan"),         # nobody read it: kept
            auto("Sudah tahap dua.", "stage"),               # structural: never evidence
            auto("Pinjaman lancar.", "capital", coder="other"),  # another auto coder
        ])
        proj.code_quote("asoka-obs-e", "Ketua rajin", "leadership", coder="ana",
                        valence="positive")
        proj.code_quote("asoka-obs-e", "Rapat tiap", "leadership", coder="budi")
        proj.code_quote("asoka-obs-e", "Sudah tahap", "stage", coder="ana")
    return path


@pytest.fixture
def small(evidence_template: Path, tmp_path: Path) -> Iterator[Project]:
    with copy_project(evidence_template, tmp_path / "evidence.uqp") as proj:
        yield proj


def keys(frame: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    return [(TEXT[r.start:r.end], r.code_id, r.coder, r.origin) for r in frame.itertuples()]


def test_evidence_of_the_auto_coder_alone(small: Project) -> None:
    ev = small.evidence(coders=["auto"])
    assert keys(ev) == [
        ("Ketua rajin datang.", "leadership", "auto", "auto"),
        ("Rapat tiap bulan.", "leadership.meetings", "auto", "auto"),
        ("Modal bertambah.", "capital", "auto", "auto"),
        ("Pinjaman lancar.", "capital.loan", "auto", "auto"),
    ]
    assert list(ev["factor"].cat.categories) == ["capital", "leadership"]
    # what a coder read changes nothing when the coder is not among the evidence coders
    small.mark_read(pd.DataFrame({"doc_id": ["asoka-obs-e"], "start": [0], "end": [len(TEXT)]}),
                    coder="ana")
    pd.testing.assert_frame_equal(small.evidence(coders=["auto"]), ev)


def test_evidence_with_a_coder_and_passages_read_drops_overlapping_auto(small: Project) -> None:
    no_reading = small.evidence(coders=["ana", "auto"])
    start, end = span("Modal bertambah.")
    small.mark_read(pd.DataFrame({"doc_id": ["asoka-obs-e"], "start": [start], "end": [end]}),
                    coder="ana")
    ev = small.evidence(coders=["ana", "auto"])
    assert keys(ev) == [
        ("Ketua rajin", "leadership", "ana", "manual"),
        ("Rapat tiap bulan.", "leadership.meetings", "auto", "auto"),
        ("Pinjaman lancar.", "capital.loan", "auto", "auto"),
    ]
    # before ana read it, the passage nobody coded kept its automatic coding
    assert ("Modal bertambah.", "capital", "auto", "auto") in keys(no_reading)


def test_evidence_with_two_coders_keeps_both(small: Project) -> None:
    ev = small.evidence(coders=["ana", "budi", "auto"])
    assert keys(ev) == [
        ("Ketua rajin", "leadership", "ana", "manual"),
        ("Rapat tiap", "leadership", "budi", "manual"),
        ("Modal bertambah.", "capital", "auto", "auto"),
        ("Pinjaman lancar.", "capital.loan", "auto", "auto"),
    ]


def test_evidence_of_another_auto_coder(small: Project) -> None:
    ev = small.evidence(coders=["other"])
    assert keys(ev) == [("Pinjaman lancar.", "capital", "other", "auto")]


@pytest.mark.filterwarnings("ignore:balance is undefined:RuntimeWarning")
def test_write_results_without_provenance_uses_default_note(small: Project,
                                                            tmp_path: Path) -> None:
    # a project made from bare Documents has no provenance: the report says so generically
    melati = plain_document("melati-obs-f", "Ketua jarang datang. Modal macet.", group="Melati")
    small.add_documents([melati])
    small.code_many([
        Coding("melati-obs-f", 0, 19, "leadership", "auto", "auto", "negative", 0.9, None)])
    small.set_evidence_coders(["auto"])
    results = write_results(small, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert html.escape(DEFAULT_NOTE) in page
    assert "hypothesis" not in results.tables  # no manifest: no hypothesis, no verdicts
    assert results.tables["comparison"]["factor"].tolist() == ["capital", "leadership"]
    assert "hypothesis" not in page.lower()
    assert "Evidence: automatic codings" in squash(page)
    assert "manual codings of" not in page


# --------------------------------------------------------------------------- the HTML page
CAPTIONS = ["hypothesis", "hypothesis_sensitivity", "compare_groups", "framework_table",
            "compare_coding_rates", "code_frequencies", "valence_balance", "documents"]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class PageChecker(HTMLParser):
    """Check that every element is closed in order and record each table's direct children.

    ``problems`` lists what is wrong; ``tables`` holds, per ``<table>``, the tags of its direct
    children (``"#text"`` for non-blank text) and ``captions`` the text of each caption.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tables: list[list[str]] = []
        self.captions: list[str] = []
        self._open_tables: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stack and self.stack[-1] == "table":
            self._open_tables[-1].append(tag)
        if tag == "caption":
            self.captions.append("")
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "table":
            self._open_tables.append([])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.problems.append(f"end tag of void element {tag}")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
        else:
            self.stack.pop()
            if tag == "table":
                self.tables.append(self._open_tables.pop())

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "table" and data.strip():
            self._open_tables[-1].append("#text")
        if self.stack and self.stack[-1] == "caption":
            self.captions[-1] += data

    def close(self) -> None:
        super().close()
        if self.stack:
            self.problems.append(f"unclosed: {self.stack}")


def check_page(page: str) -> PageChecker:
    """Parse ``page``, assert it is well formed and every table starts with its one caption."""
    assert page.startswith("<!doctype html>")
    checker = PageChecker()
    checker.feed(page)
    checker.close()
    assert checker.problems == []
    assert checker.tables, "the page has tables"
    for children in checker.tables:
        assert children[0] == "caption" and children.count("caption") == 1, children
        assert "#text" not in children and set(children) <= {"caption", "thead", "tbody"}
    return checker


def test_report_is_well_formed_and_tables_carry_one_caption_first(page: str) -> None:
    # the bundled codebook has rival explanations: their table follows the framework matrix
    checker = check_page(page)
    assert checker.captions == [*CAPTIONS[:4], "rival_explanations", *CAPTIONS[4:]]


def test_table_data_is_a_plain_structure_of_formatted_strings() -> None:
    frame = pd.DataFrame({"x": [1.23456, np.nan, 1234.5], "n": pd.array([1, None, 3], "Int64"),
                          "s": ["a & <b>", None, "two\nlines"], "ok": [True, False, True]})
    table = _table_data(frame, "caption & more")
    assert table == {
        "caption": "caption & more",  # raw: the template escapes it
        "header": [["x", "n", "s", "ok"]],
        "rows": [{"head": [], "cells": ["1.23", "1", "a & <b>", "True"]},
                 {"head": [], "cells": ["", "", "", "False"]},
                 {"head": [], "cells": ["1.23e+03", "3", "two\\nlines", "True"]}],
    }


def test_table_data_with_a_named_index_lays_out_the_header_as_pandas() -> None:
    frame = pd.DataFrame({"Asoka": ["n=1"], "Melati": ["n=2"]},
                         index=pd.Index(["leadership"], name="factor"))
    frame.columns.name = "group"
    table = _table_data(frame, "framework_table", index=True)
    assert table["header"] == [["group", "Asoka", "Melati"], ["factor", "", ""]]
    assert table["rows"] == [{"head": ["leadership"], "cells": ["n=1", "n=2"]}]
    frame.columns.name = frame.index.name = None
    table = _table_data(frame, "framework_table", index=True)
    assert table["header"] == [["", "Asoka", "Melati"]]


NASTY = "<script>alert(1)</script> & co"
NASTY_ID = "asoka-<script>alert(1)</script>&1"
NASTY_TEXT = "Ketua rajin <script>alert(1)</script> & datang."
NASTY_NOTE = f"Made up {NASTY}: \"quoted\" and 'single' <b>bold</b>."
# chart file names are made from group names (stripe_<group>.png): no "/", "<" or ">" here
GROUP = "Asoka & 'Sons'"


@pytest.fixture
def nasty_page(tmp_path: Path) -> str:
    docs = [plain_document(NASTY_ID, NASTY_TEXT, group=GROUP),
            plain_document("melati-x", "Ketua batal datang.", group="Melati")]
    with Project.create(tmp_path / "nasty.uqp", corpus=docs, codebook=tiny_codebook()) as proj:
        proj.set_manifest(Manifest(title=NASTY, hypothesis=Hypothesis(GROUP, "Melati", NASTY)))
        proj.set_meta("provenance", NASTY_NOTE)
        proj.code_many([Coding(NASTY_ID, 0, len(NASTY_TEXT), "leadership", "auto", "auto",
                               "positive", 0.9, None),
                        Coding("melati-x", 0, 19, "leadership", "auto", "auto", "negative",
                               0.9, None)])
        with pytest.warns(RuntimeWarning, match="balance is undefined"):
            write_results(proj, tmp_path / "out")
    return (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_report_escapes_every_string_from_the_data(nasty_page: str) -> None:
    page = nasty_page
    assert "<script" not in page.lower() and "<b>bold" not in page
    for value in (NASTY_ID, NASTY_TEXT, NASTY_NOTE, GROUP):
        assert value not in page  # never as raw markup ...
        assert squash(value) in squash(html.unescape(page))  # ... but shown, escaped
    assert page.count("alert(1)") == page.count("&lt;script&gt;alert(1)&lt;/script&gt;") > 0
    assert "&amp;" in page and " & " not in page.split("</style>", 1)[1]
    note = re.search(r'<div class="note">(.*?)</div>', page, flags=re.S)
    assert note is not None and html.unescape(note.group(1)).endswith(NASTY_NOTE)
    checker = check_page(page)
    assert checker.captions == CAPTIONS


def test_template_is_found_through_the_installed_package(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    resource = files("uppks_qual") / "templates" / TEMPLATE
    assert resource.is_file() and (files("uppks_qual") / "templates" / "report.css").is_file()
    monkeypatch.chdir(tmp_path)  # nothing is looked up relative to the working directory
    template = _environment().get_template(TEMPLATE)
    assert template.filename is not None
    assert Path(template.filename).resolve() == Path(str(resource)).resolve()
    assert _environment() is _environment()  # built once
    assert _environment().autoescape is True


def test_importing_report_does_not_import_jinja2() -> None:
    code = "import sys, uppks_qual.report; print('jinja2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
