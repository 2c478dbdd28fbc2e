"""Tests for :mod:`uppks_qual.report`: ``write_results`` on the real corpus (tables, charts,
a self-contained ``report.html`` carrying the data-honesty note) and ``evidence_frame`` on a
small hand-coded project."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from pathlib import Path

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
from uppks_qual.project import Project
from uppks_qual.records import Coding
from uppks_qual.report import DEFAULT_NOTE, Results, evidence_frame, write_results

SIX_FACTORS = ["leadership", "information_clarity", "leader_support", "officer_role",
               "capital_growth", "partnerships"]
GOLD = ROOT / "data" / "coding" / "gold.csv"
SAMPLE = ROOT / "data" / "coding" / "sample.csv"
CHARTS = ["frequencies_raw", "frequencies_per_1000_words", "valence", "code_document_heatmap",
          "cooccurrence", "stripe_Asoka", "stripe_Melati"]

#: Columns of each CSV table, as the analysis docstrings document them.
COLUMNS = {
    "frequencies": ["group", "factor", "codings", "segments", "documents", "informants", "words",
                    "per_1000_words", "n_segments", "pct_segments"],
    "comparison": ["factor", "group_a", "group_b", "count_a", "count_b", "total_a", "total_b",
                   "rate_a", "rate_b", "difference", "odds_ratio", "ci_low", "ci_high",
                   "p_value", "p_adjusted", "significant", "summary"],
    "thesis_comparison": ["factor", "group_a", "group_b",
                          *[f"{c}_a" for c in ("verdict", "balance", "positive", "negative",
                                               "neutral", "quotes")],
                          *[f"{c}_b" for c in ("verdict", "balance", "positive", "negative",
                                               "neutral", "quotes")],
                          "agrees_with_study"],
    "valence_balance": ["group", "factor", "positive", "negative", "neutral", "n", "balance"],
    "cooccurrence": ["a", "b", "count", "n_a", "n_b", "jaccard"],
}
COLUMNS["thesis_comparison_auto_only"] = COLUMNS["thesis_comparison"]


# --------------------------------------------------------------------------- real corpus run
@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Results, Path]]:
    folder = tmp_path_factory.mktemp("report")
    proj = Project.create(folder / "real.uqp", corpus=real_corpus(), codebook=real_codebook())
    proj.autocode(progress=False)
    proj.import_codings(GOLD, coder="ana")
    out = folder / "results"
    results = write_results(proj, out, coders=("ana",), scope=pd.read_csv(SAMPLE))
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
    assert squash(html.escape(provenance)) in squash(note.group(1))
    assert DEFAULT_NOTE not in page


def test_report_names_the_six_factors_and_thesis_table(
        written: tuple[Project, Results, Path], page: str) -> None:
    proj, results, _ = written
    assert [c.code_id for c in proj.codebook.factors()] == SIX_FACTORS
    for factor in SIX_FACTORS:
        assert f"<td><b>{factor}</b></td>" in page
    assert "<th>direction agrees with the study" in page
    thesis = results.tables["thesis_comparison"]
    auto = results.tables["thesis_comparison_auto_only"]
    agree = int(thesis["agrees_with_study"].fillna(False).sum())
    agree_auto = int(auto["agrees_with_study"].fillna(False).sum())
    text = squash(page)
    assert f"agrees in direction for <b>{agree} of 6</b> factors" in text
    assert f"({agree_auto} of 6 with automatic codings alone)" in text
    assert "manual codings of ana where they read the text" in text
    for verdict in thesis["verdict_a"]:
        assert html.escape(verdict) in page


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_csv_tables_have_documented_columns(written: tuple[Project, Results, Path],
                                            name: str) -> None:
    _, results, out = written
    frame = pd.read_csv(out / f"{name}.csv")
    # every documented column, in the documented order (later additions may follow)
    assert [c for c in frame.columns if c in COLUMNS[name]] == COLUMNS[name]
    assert list(frame.columns[:3]) == COLUMNS[name][:3]
    assert len(frame) == len(results.tables[name])
    if name.startswith("thesis") or name == "comparison":
        assert frame["factor"].tolist() == SIX_FACTORS
    if name in ("frequencies", "valence_balance"):
        assert len(frame) == 12 and set(frame["group"]) == {"Asoka", "Melati"}


def test_framework_matrix_and_documents_csv(written: tuple[Project, Results, Path]) -> None:
    proj, _, out = written
    matrix = pd.read_csv(out / "framework_matrix.csv", index_col=0)
    assert matrix.index.name == "factor"
    assert matrix.index.tolist() == SIX_FACTORS
    assert matrix.columns.tolist() == ["Asoka", "Melati"]
    assert matrix.map(lambda s: str(s).startswith("n=")).all().all()
    docs = pd.read_csv(out / "documents.csv")
    assert sorted(docs["doc_id"]) == sorted(proj.documents()["doc_id"])
    assert {"doc_id", "group", "n_words", "n_chars"} <= set(docs.columns)


def test_tables_are_computed_from_the_evidence(written: tuple[Project, Results, Path]) -> None:
    proj, results, out = written
    evidence = evidence_frame(proj, coders=("ana",), scope=pd.read_csv(SAMPLE))
    freq = pd.read_csv(out / "frequencies.csv")
    counts = evidence.groupby(["group", "factor"], observed=False).size()
    for r in freq.itertuples():
        assert r.codings == counts[(r.group, r.factor)]
    expected = analysis.thesis_comparison(evidence, factors=SIX_FACTORS)
    pd.testing.assert_frame_equal(results.tables["thesis_comparison"], expected)
    auto_only = analysis.thesis_comparison(evidence_frame(proj, coders=()), factors=SIX_FACTORS)
    pd.testing.assert_frame_equal(results.tables["thesis_comparison_auto_only"], auto_only)
    # the manual coder's codings are part of the evidence
    assert (evidence["origin"] == "manual").sum() == len(proj.codings(coder="ana"))


# --------------------------------------------------------------------------- evidence_frame
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


def test_evidence_without_coders_is_auto_only(small: Project) -> None:
    ev = evidence_frame(small, coders=())
    assert keys(ev) == [
        ("Ketua rajin datang.", "leadership", "auto", "auto"),
        ("Rapat tiap bulan.", "leadership.meetings", "auto", "auto"),
        ("Modal bertambah.", "capital", "auto", "auto"),
        ("Pinjaman lancar.", "capital.loan", "auto", "auto"),
    ]
    assert list(ev["factor"].cat.categories) == ["capital", "leadership"]
    # a scope without coders changes nothing: only human coders' reading overrides
    scope = pd.DataFrame({"doc_id": ["asoka-obs-e"], "start": [0], "end": [len(TEXT)]})
    pd.testing.assert_frame_equal(evidence_frame(small, coders=(), scope=scope), ev)


def test_evidence_with_a_coder_and_scope_drops_overlapping_auto(small: Project) -> None:
    start, end = span("Modal bertambah.")
    scope = pd.DataFrame({"doc_id": ["asoka-obs-e"], "start": [start], "end": [end]})
    ev = evidence_frame(small, coders=("ana",), scope=scope)
    assert keys(ev) == [
        ("Ketua rajin", "leadership", "ana", "manual"),
        ("Rapat tiap bulan.", "leadership.meetings", "auto", "auto"),
        ("Pinjaman lancar.", "capital.loan", "auto", "auto"),
    ]
    # without the scope the passage nobody coded keeps its automatic coding
    no_scope = evidence_frame(small, coders=("ana",))
    assert ("Modal bertambah.", "capital", "auto", "auto") in keys(no_scope)


def test_evidence_with_two_coders_keeps_both(small: Project) -> None:
    ev = evidence_frame(small, coders=("ana", "budi"))
    assert keys(ev) == [
        ("Ketua rajin", "leadership", "ana", "manual"),
        ("Rapat tiap", "leadership", "budi", "manual"),
        ("Modal bertambah.", "capital", "auto", "auto"),
        ("Pinjaman lancar.", "capital.loan", "auto", "auto"),
    ]


def test_evidence_of_another_auto_coder(small: Project) -> None:
    ev = evidence_frame(small, coders=(), auto_coder="other")
    assert keys(ev) == [("Pinjaman lancar.", "capital", "other", "auto")]


@pytest.mark.filterwarnings("ignore:balance is undefined:RuntimeWarning")
def test_write_results_without_provenance_uses_default_note(small: Project,
                                                            tmp_path: Path) -> None:
    # a project made from bare Documents has no provenance: the report says so generically
    melati = plain_document("melati-obs-f", "Ketua jarang datang. Modal macet.", group="Melati")
    small.add_documents([melati])
    small.code_many([
        Coding("melati-obs-f", 0, 19, "leadership", "auto", "auto", "negative", 0.9, None)])
    results = write_results(small, tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert html.escape(DEFAULT_NOTE) in page
    assert results.tables["thesis_comparison"]["factor"].tolist() == ["capital", "leadership"]
    assert "Evidence: automatic codings" in squash(page)
    assert "manual codings of" not in page


def test_tables_carry_their_caption_inside_the_table_tag() -> None:
    from uppks_qual.report import _table

    out = _table(pd.DataFrame({"a": [1]}), "caption & more")
    assert out.startswith('<table class="dataframe"><caption>caption &amp; more</caption>')
