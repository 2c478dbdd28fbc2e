"""Tests for :mod:`uppks_qual.analysis` on small hand-built frames.

Every expected number is worked out by hand in the comments next to it; statistics are also
checked against scipy (Fisher's exact test) and statsmodels (Benjamini-Hochberg), and the BH
procedure against the worked example of Benjamini & Hochberg (1995).
"""

from __future__ import annotations

import doctest
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, fisher_exact
from statsmodels.stats.multitest import multipletests

from uppks_qual import analysis
from uppks_qual.analysis import (
    code_frequencies,
    compare_groups,
    cooccurrence,
    coverage,
    framework_matrix,
    framework_table,
    group_differences,
    metadata_columns,
    pairwise_comparisons,
    thesis_comparison,
    valence_balance,
)
from uppks_qual.errors import ParameterError
from uppks_qual.schema import codings_frame

FAST = settings(max_examples=50, deadline=None)
FACTORS = ["leadership", "partnerships", "officer_role"]
AB = {"a": "north", "b": "south"}
SIX = ["leadership", "information_clarity", "leader_support", "officer_role", "capital_growth",
       "partnerships"]


def make(rows: list[dict[str, Any]], **kwargs: Any) -> pd.DataFrame:
    """A codings frame with sensible defaults for the columns a test does not care about."""
    defaults = {"doc_id": "d", "group": "north", "start": 0, "end": 10, "coder": "c1",
                "origin": "manual", "informant": "", "informant_role": "", "village": "",
                "text": "", "valence": "neutral", "source_type": "interview"}
    return codings_frame([{**defaults, **row} for row in rows], **kwargs)


def repeat(n: int, **row: Any) -> list[dict[str, Any]]:
    return [dict(row) for _ in range(n)]


def cell(frame: pd.DataFrame, **where: Any) -> pd.Series:
    """The one row of ``frame`` matching ``where``."""
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column].astype(object) == value).to_numpy()
    assert mask.sum() == 1, f"{mask.sum()} rows match {where}"
    return frame[mask].iloc[0]


@pytest.fixture
def small() -> pd.DataFrame:
    """north: 4 codings in 2 documents, south: 1; officer_role is a category never coded."""
    return make([
        {"doc_id": "a1", "start": 0, "end": 10, "code_id": "leadership.meetings",
         "informant": "i1", "coder": "c1"},
        {"doc_id": "a1", "start": 0, "end": 10, "code_id": "leadership", "informant": "i1",
         "coder": "c2"},  # same span as above: one segment, two codings
        {"doc_id": "a1", "start": 20, "end": 30, "code_id": "partnerships", "informant": "i1"},
        {"doc_id": "a2", "start": 0, "end": 5, "code_id": "leadership", "informant": "i2"},
        {"doc_id": "m1", "group": "south", "start": 0, "end": 10, "code_id": "leadership",
         "informant": "i3"},
    ], factors=FACTORS)


# --------------------------------------------------------------------------------------
# code_frequencies
# --------------------------------------------------------------------------------------


def test_frequencies_counts_by_hand(small: pd.DataFrame) -> None:
    freq = code_frequencies(small)
    # 2 groups x 3 factor categories, zeros included
    assert len(freq) == 6
    assert list(freq.columns) == ["group", "factor", "codings", "segments", "documents",
                                  "informants"]
    lead = cell(freq, group="north", factor="leadership")
    # codings: a1 meetings, a1 leadership, a2 leadership = 3
    # segments: (a1,0,10) twice + (a2,0,5) = 2 distinct spans; documents a1, a2 = 2;
    # informants i1, i2 = 2
    assert lead[["codings", "segments", "documents", "informants"]].tolist() == [3, 2, 2, 2]
    assert cell(freq, group="north", factor="partnerships")["codings"] == 1
    assert cell(freq, group="south", factor="partnerships")["codings"] == 0
    assert cell(freq, group="south", factor="officer_role")["documents"] == 0
    assert freq["codings"].sum() == len(small)


def test_frequencies_keep_categoricals(small: pd.DataFrame) -> None:
    freq = code_frequencies(small)
    assert list(freq["factor"].cat.categories) == FACTORS
    assert list(freq["group"].cat.categories) == ["north", "south"]


def test_frequencies_at_code_level(small: pd.DataFrame) -> None:
    freq = code_frequencies(small, level="code")
    # codes present, ordered by factor then id: leadership, leadership.meetings, partnerships
    assert list(freq["code"].cat.categories) == ["leadership", "leadership.meetings",
                                                 "partnerships"]
    assert cell(freq, group="north", code="leadership")["codings"] == 2
    assert cell(freq, group="north", code="leadership.meetings")["codings"] == 1
    assert cell(freq, group="south", code="leadership.meetings")["codings"] == 0


def test_frequencies_by_any_metadata_column() -> None:
    df = make([
        {"code_id": "leadership", "informant_role": "chair"},
        {"code_id": "leadership", "informant_role": "member"},
        {"code_id": "leadership", "informant_role": "member", "source_type": "observation"},
    ])
    by_role = code_frequencies(df, by="informant_role")
    assert by_role.set_index("informant_role")["codings"].to_dict() == {"chair": 1, "member": 2}
    by_source = code_frequencies(df, by="source_type")
    # source_type is a categorical with all three source types: zeros for "document"
    assert by_source.set_index("source_type")["codings"].to_dict() == {
        "interview": 2, "observation": 1, "document": 0}


def test_frequencies_per_1000_words(small: pd.DataFrame) -> None:
    documents = pd.DataFrame({"doc_id": ["a1", "a2", "m1", "m2"],
                              "group": ["north", "north", "south", "south"],
                              "n_words": [1000, 500, 200, 50]})
    freq = code_frequencies(small, documents=documents)
    lead_a = cell(freq, group="north", factor="leadership")
    # north words 1000 + 500 = 1500; 3 codings / 1500 * 1000 = 2.0
    assert lead_a["words"] == 1500
    assert lead_a["per_1000_words"] == pytest.approx(2.0)
    # south words 200 + 50 = 250 (m2 has no codings but counts); 1 / 250 * 1000 = 4.0
    assert cell(freq, group="south", factor="leadership")["per_1000_words"] == pytest.approx(4.0)
    assert cell(freq, group="south", factor="partnerships")["per_1000_words"] == 0.0


def test_frequencies_zero_words_warn_and_give_nan(small: pd.DataFrame) -> None:
    documents = pd.DataFrame({"doc_id": ["a1", "a2", "m1"], "group": ["north", "north", "south"],
                              "n_words": [10, 10, 0]})
    with pytest.warns(RuntimeWarning, match="per_1000_words is undefined"):
        freq = code_frequencies(small, documents=documents)
    assert math.isnan(cell(freq, group="south", factor="leadership")["per_1000_words"])


def test_frequencies_pct_segments(small: pd.DataFrame) -> None:
    segments = pd.DataFrame({
        "doc_id": ["a1", "a1", "a1", "a1", "a2", "m1", "m1"],
        "segment_id": list("abcdefg"),
        "kind": ["turn", "sentence", "sentence", "sentence", "sentence", "sentence", "sentence"],
        "start": [0, 0, 10, 20, 0, 0, 10],
        "end": [30, 10, 20, 30, 5, 10, 20],
    })  # no group column: taken from the codings' documents
    freq = code_frequencies(small, segments=segments)
    lead_a = cell(freq, group="north", factor="leadership")
    # north sentences: a1 [0,10) [10,20) [20,30), a2 [0,5) -> 4 (the turn does not count);
    # leadership codings [0,10) in a1 and [0,5) in a2 touch 2 of them -> 50 %
    assert lead_a["n_segments"] == 4
    assert lead_a["pct_segments"] == pytest.approx(50.0)
    # partnerships [20,30) touches 1 of 4 -> 25 %
    assert cell(freq, group="north", factor="partnerships")["pct_segments"] == pytest.approx(25.0)
    # south: 2 sentences, leadership [0,10) touches 1 -> 50 %
    assert cell(freq, group="south", factor="leadership")["pct_segments"] == pytest.approx(50.0)


def test_frequencies_of_empty_frame_are_zero(small: pd.DataFrame) -> None:
    freq = code_frequencies(small.iloc[:0])
    assert len(freq) == 6
    assert freq["codings"].sum() == 0


def test_frequencies_reject_bad_level(small: pd.DataFrame) -> None:
    message = ("The 'level' parameter of code_frequencies must be one of {'factor', 'code'}. "
               "Got 'x' instead.")
    with pytest.raises(ParameterError) as info:
        code_frequencies(small, level="x")
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)  # ParameterError is still a ValueError


def test_frequencies_reject_bad_by_and_documents(small: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=r"The 'by' parameter of code_frequencies .* Got 'x'"):
        code_frequencies(small, by="x")
    with pytest.raises(ParameterError, match=r"The 'documents' parameter of code_frequencies must "
                                             r"be a DataFrame with the column\(s\) 'doc_id', "
                                             r"'n_words'\. Got a DataFrame without "
                                             r"'n_words' instead\."):
        code_frequencies(small, documents=pd.DataFrame({"doc_id": ["a1"], "group": ["north"]}))
    with pytest.raises(ParameterError, match=r"The 'segments' parameter of code_frequencies must "
                                             r"be a DataFrame or None\. Got \[1, 2\] instead\."):
        code_frequencies(small, segments=[1, 2])  # type: ignore[arg-type]
    documents = pd.DataFrame({"doc_id": ["a1"], "group": ["north"], "n_words": [5]})
    with pytest.raises(ParameterError, match=r"The 'by' parameter of code_frequencies must be a "
                                             r"document attribute .*Got 'coder' instead"):
        code_frequencies(small, by="coder", documents=documents.assign(coder="c1"))


# --------------------------------------------------------------------------------------
# coverage
# --------------------------------------------------------------------------------------


@pytest.fixture
def overlapping() -> pd.DataFrame:
    return make([
        {"doc_id": "d1", "start": 0, "end": 30, "code_id": "leadership.meetings"},
        {"doc_id": "d1", "start": 20, "end": 50, "code_id": "leadership"},
        {"doc_id": "d1", "start": 25, "end": 40, "code_id": "leadership", "coder": "c2"},
        {"doc_id": "d1", "start": 60, "end": 70, "code_id": "leadership"},
        {"doc_id": "d1", "start": 10, "end": 20, "code_id": "partnerships"},
        {"doc_id": "d1", "start": 20, "end": 25, "code_id": "partnerships"},
    ], factors=FACTORS)


DOCS = pd.DataFrame({"doc_id": ["d1", "d2"], "n_chars": [100, 40]})


def test_coverage_merges_overlapping_spans(overlapping: pd.DataFrame) -> None:
    cov = coverage(overlapping, DOCS)
    lead = cell(cov, doc_id="d1", code="leadership")
    # leadership: [20,50) and [25,40) merge to [20,50) = 30 chars, plus [60,70) = 10 -> 40
    assert lead["coded_chars"] == 40
    assert lead["coverage"] == pytest.approx(0.40)
    # partnerships: adjacent [10,20) + [20,25) = 15 chars -> 0.15
    assert cell(cov, doc_id="d1", code="partnerships")["coverage"] == pytest.approx(0.15)
    # d2 has no codings: zeros for every code
    assert cov[cov["doc_id"] == "d2"]["coded_chars"].tolist() == [0, 0, 0]


def test_coverage_at_factor_level(overlapping: pd.DataFrame) -> None:
    cov = coverage(overlapping, DOCS, level="factor")
    # leadership factor: [0,30) + [20,50) + [25,40) -> [0,50) = 50, plus [60,70) -> 60 of 100
    lead = cell(cov, doc_id="d1", factor="leadership")
    assert (lead["coded_chars"], lead["n_chars"], lead["coverage"]) == (60, 100, 0.6)
    assert cell(cov, doc_id="d2", factor="officer_role")["coverage"] == 0.0


def test_coverage_errors_and_zero_length(overlapping: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=r"The 'documents' parameter of coverage must have a "
                                             r"row for every document .*without 'd1' instead"):
        coverage(overlapping, pd.DataFrame({"doc_id": ["x"], "n_chars": [5]}))
    with pytest.raises(ParameterError, match="The 'level' parameter of coverage"):
        coverage(overlapping, DOCS, level="segment")
    empty_doc = pd.DataFrame({"doc_id": ["d1", "d3"], "n_chars": [100, 0]})
    with pytest.warns(RuntimeWarning, match="coverage is undefined"):
        cov = coverage(overlapping, empty_doc)
    assert cov[cov["doc_id"] == "d3"]["coverage"].isna().all()


@st.composite
def spans_in_a_document(draw: st.DrawFn) -> tuple[pd.DataFrame, int]:
    n_chars = draw(st.integers(1, 60))
    n = draw(st.integers(0, 12))
    rows = []
    for _ in range(n):
        start = draw(st.integers(0, n_chars - 1))
        end = draw(st.integers(start + 1, n_chars))
        code = draw(st.sampled_from(FACTORS))
        rows.append({"doc_id": "d", "start": start, "end": end, "code_id": code})
    return make(rows, factors=FACTORS), n_chars


@FAST
@given(spans_in_a_document())
def test_coverage_is_the_share_of_covered_characters(case: tuple[pd.DataFrame, int]) -> None:
    df, n_chars = case
    cov = coverage(df, pd.DataFrame({"doc_id": ["d"], "n_chars": [n_chars]}), level="factor")
    assert cov["coverage"].between(0, 1).all()
    for factor in FACTORS:
        rows = df[df["factor"] == factor]
        covered = {i for s, e in zip(rows["start"], rows["end"], strict=True) for i in range(s, e)}
        assert cell(cov, factor=factor)["coded_chars"] == len(covered)


# --------------------------------------------------------------------------------------
# framework_matrix / framework_table
# --------------------------------------------------------------------------------------

LONG = "Ketua rajin mengingatkan kami setiap bulan supaya setoran tepat waktu."  # 71 chars


@pytest.fixture
def framework() -> pd.DataFrame:
    return make([
        # north x leadership: 3 positive, 1 negative, 1 neutral
        {"doc_id": "north-int-chair", "informant_role": "chair", "code_id": "leadership",
         "valence": "positive", "origin": "auto", "confidence": 0.99,
         "text": "Auto-coded sentence that is long enough to be a moderate quote."},
        {"doc_id": "north-int-chair", "informant_role": "chair", "code_id": "leadership",
         "valence": "positive", "text": LONG, "start": 20, "end": 91},
        {"doc_id": "north-int-sec", "informant_role": "secretary", "code_id": "leadership",
         "valence": "negative", "confidence": 1.0,
         "text": "Kadang ketua terlalu dominan waktu rapat, anggota jadi diam saja."},
        {"doc_id": "north-int-m1", "informant_role": "member", "code_id": "leadership",
         "valence": "positive", "text": "Rapat rutin."},
        {"doc_id": "north-obs-1", "informant_role": "", "code_id": "leadership",
         "valence": "neutral", "text": "Rapat dibuka pukul dua siang di rumah ketua kelompok."},
        # south x leadership: 2 negative
        {"doc_id": "south-int-m1", "group": "south", "informant_role": "member",
         "code_id": "leadership", "valence": "negative",
         "text": "Rapat sering batal karena ketua sibuk di kedai pasar."},
        {"doc_id": "south-int-m2", "group": "south", "informant_role": "member",
         "code_id": "leadership", "valence": "negative",
         "text": "Rapat sering batal karena ketua sibuk di kedai pasar."},  # same text: once
    ], factors=["leadership", "partnerships"])


def test_framework_cells_by_hand(framework: pd.DataFrame) -> None:
    # no informant names: each document is a case (codings_frame's rule for the case column)
    with pytest.warns(RuntimeWarning, match="balance is undefined for 2 cell"):
        matrix = framework_matrix(framework)
    assert len(matrix) == 4  # 2 factors x 2 groups
    assert list(matrix.columns) == ["factor", "group", "cases", "n", "positive", "negative",
                                    "neutral", "balance", "majority", "quotes", "disconfirming"]
    a = cell(matrix, factor="leadership", group="north")
    # north has 4 cases (chair, sec, m1, obs-1), all mention leadership: chair (2 positive)
    # and m1 lean positive, sec negative, obs-1 (only neutral) neither way
    assert a[["cases", "n", "positive", "negative", "neutral"]].tolist() == [4, 4, 2, 1, 1]
    # mean case balance over the 3 cases with a balance: (1 + 1 - 1) / 3
    assert a["balance"] == pytest.approx(1 / 3)
    assert a["majority"] == "positive"
    m = cell(matrix, factor="leadership", group="south")
    assert m[["cases", "n", "negative"]].tolist() == [2, 2, 2] and m["balance"] == -1.0
    empty = cell(matrix, factor="partnerships", group="north")
    assert empty[["cases", "n"]].tolist() == [4, 0] and math.isnan(empty["balance"])
    assert empty["quotes"] == () and empty["disconfirming"] == ()


def test_framework_cells_by_coding(framework: pd.DataFrame) -> None:
    with pytest.warns(RuntimeWarning, match="balance is undefined for 2 row"):
        matrix = framework_matrix(framework, unit="coding")
    assert list(matrix.columns) == ["factor", "group", "n", "positive", "negative", "neutral",
                                    "balance", "majority", "quotes", "disconfirming"]
    a = cell(matrix, factor="leadership", group="north")
    assert a[["n", "positive", "negative", "neutral"]].tolist() == [5, 3, 1, 1]
    # balance = (pos - neg) / (pos + neg) = (3 - 1) / (3 + 1) = 0.5; the neutral coding does
    # not weigh on it (the old framework formula divided by n: (3 - 1) / 5 = 0.4)
    assert a["balance"] == pytest.approx(0.5)
    assert a["majority"] == "positive"
    assert cell(matrix, factor="leadership", group="south")["balance"] == pytest.approx(-1.0)


def test_framework_quotes_are_typical(framework: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        matrix = framework_matrix(framework, quotes=3)
    north = cell(matrix, factor="leadership", group="north")
    # most cases lean positive, so typical quotes are positive codings, one per case: the
    # chair's manual LONG (confidence 1.0) beats its auto coding (0.99, same case: left out);
    # m1's "Rapat rutin." (manual, 1.0, short) comes next
    assert north["quotes"] == (f'"{LONG}" (chair, north-int-chair)',
                               '"Rapat rutin." (member, north-int-m1)')
    # the secretary's negative coding goes against the majority: the disconfirming quote
    assert north["disconfirming"] == (
        '"Kadang ketua terlalu dominan waktu rapat, anggota jadi diam saja." '
        "(secretary, north-int-sec)",)
    # the same text said by two cases appears once; nothing disconfirms it
    south = cell(matrix, factor="leadership", group="south")
    assert south["quotes"] == ('"Rapat sering batal karena ketua sibuk di kedai pasar." '
                               "(member, south-int-m1)",)
    assert south["disconfirming"] == ()


def test_framework_quotes_rank_auto_codings_by_confidence() -> None:
    text = "A sentence the auto-coder found, long enough to be a moderate quote {}."
    df = make([
        {"doc_id": "d1", "code_id": "leadership", "origin": "auto", "confidence": 0.6,
         "valence": "positive", "text": text.format("low")},
        {"doc_id": "d2", "code_id": "leadership", "origin": "auto", "confidence": 0.9,
         "valence": "positive", "text": text.format("high")},
        {"doc_id": "d3", "code_id": "leadership", "origin": "auto", "confidence": 0.6,
         "valence": "positive", "text": "Short."},
    ])
    quotes = framework_matrix(df, quotes=3)["quotes"].iloc[0]
    # one case each (the documents): higher confidence first; among equal confidence,
    # moderate length (the 70-character text) beats "Short." (6 characters)
    assert [q.split('"')[1] for q in quotes] == [text.format("high"), text.format("low"),
                                                 "Short."]


@pytest.mark.filterwarnings("ignore:balance is undefined:RuntimeWarning")  # a neutral-only cell
def test_framework_quote_without_role_and_long_text_cut() -> None:
    df = make([{"doc_id": "obs", "code_id": "leadership", "text": "x " * 400}])
    quote = framework_matrix(df, quotes=1)["quotes"].iloc[0][0]
    assert quote.endswith('..." (obs)')
    assert len(quote) == 300 + len(" (obs)") + 2  # 300 characters of text, quotes, where


def test_framework_table_wide(framework: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        n = framework_table(framework, values="n")
        n_codings = framework_table(framework, values="n", unit="coding")
        summary = framework_table(framework, quotes=1)
        by_coding = framework_table(framework, quotes=1, unit="coding")
    assert n.loc["leadership"].tolist() == [4, 2]  # cases mentioning it
    assert n_codings.loc["leadership"].tolist() == [5, 2]  # codings
    assert list(n.columns) == ["north", "south"]
    against = ('disconfirming: "Kadang ketua terlalu dominan waktu rapat, anggota jadi diam '
               'saja." (secretary, north-int-sec)')
    assert summary.loc["leadership", "north"] == (
        f'4 of 4 cases; 2 positive, 1 negative, 1 neutral\n"{LONG}" (chair, north-int-chair)\n'
        f"{against}")
    assert summary.loc["partnerships", "south"] == "0 of 2 cases"
    assert by_coding.loc["leadership", "north"] == (
        f'n=5 (+3 / -1)\n"{LONG}" (chair, north-int-chair)\n{against}')
    assert by_coding.loc["partnerships", "south"] == ""


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"quotes": -1}, r"The 'quotes' parameter of framework_matrix must be an int in the range "
                     r"\[0, inf\)\. Got -1 instead\."),
    ({"rows": "group"}, r"The 'rows' parameter of framework_matrix"),
    ({"cols": "factor"}, r"The 'cols' parameter of framework_matrix"),
    ({"unit": "word"}, r"The 'unit' parameter of framework_matrix must be one of \{'case', "
                       r"'coding'\}\. Got 'word' instead\."),
    ({"case": "text"}, r"The 'case' parameter of framework_matrix must be a column that names "
                       r"the case, one of \{'informant', 'case', .*Got 'text' instead\."),
])
def test_framework_bad_parameters(framework: pd.DataFrame, kwargs: dict[str, Any],
                                  pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern):
        framework_matrix(framework, **kwargs)


def test_framework_table_names_itself_in_messages(framework: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=r"The 'values' parameter of framework_table must be "
                                             r"one of \{'summary', 'n', .*Got 'mean' instead"):
        framework_table(framework, values="mean")
    with pytest.raises(ParameterError, match=r"The 'rows' parameter of framework_table"):
        framework_table(framework, rows="group")


def test_one_balance_in_every_view(framework: pd.DataFrame) -> None:
    # north x leadership: 3 positive, 1 negative, 1 neutral -> (3 - 1) / (3 + 1) = 0.5 pooled
    # in valence_balance and framework_matrix(unit="coding"); the case views average the
    # same formula per case: chair 1, sec -1, m1 1 (obs-1 has none) -> 1/3 in
    # framework_matrix and thesis_comparison alike
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pooled = [cell(valence_balance(framework), group="north", factor="leadership"),
                  cell(framework_matrix(framework, unit="coding"), group="north",
                       factor="leadership")]
        by_case = [cell(framework_matrix(framework), group="north", factor="leadership"),
                   thesis_comparison(framework, **AB).set_index("factor").loc["leadership"]]
    assert [v["balance"] for v in pooled] == pytest.approx([0.5, 0.5])
    assert [by_case[0]["balance"], by_case[1]["balance_a"]] == pytest.approx([1 / 3, 1 / 3])
    assert pooled[1]["neutral"] == 1 and by_case[0]["neutral"] == 1  # still counted


def test_balance_formula_and_undefined_rows() -> None:
    positive, negative = pd.Series([3, 1, 0, 2, 0]), pd.Series([1, 1, 2, 0, 0])
    with pytest.warns(RuntimeWarning, match="balance is undefined for 1 row"):
        result = analysis.balance(positive, negative)
    # (3-1)/4 = 0.5, 0/2 = 0, -2/2 = -1, 2/2 = 1, 0/0 undefined -> nan
    assert result.tolist()[:4] == [0.5, 0.0, -1.0, 1.0]
    assert math.isnan(result.iloc[4])


# --------------------------------------------------------------------------------------
# cooccurrence
# --------------------------------------------------------------------------------------


@pytest.fixture
def together() -> pd.DataFrame:
    a, b, c = "leadership", "partnerships", "officer_role"
    return make([
        {"doc_id": "d", "start": 0, "end": 10, "code_id": a},   # unit 1: A B (overlap)
        {"doc_id": "d", "start": 5, "end": 15, "code_id": b},
        {"doc_id": "d", "start": 20, "end": 30, "code_id": a},  # unit 2: A
        {"doc_id": "d", "start": 40, "end": 50, "code_id": b},  # unit 3: B C (same span)
        {"doc_id": "d", "start": 40, "end": 50, "code_id": c},
        {"doc_id": "e", "start": 0, "end": 10, "code_id": a},   # unit 4: A C B (a chain)
        {"doc_id": "e", "start": 8, "end": 20, "code_id": c},
        {"doc_id": "e", "start": 18, "end": 30, "code_id": b},
        {"doc_id": "f", "start": 0, "end": 5, "code_id": a},    # unit 5: A
        {"doc_id": "f", "start": 5, "end": 9, "code_id": c},    # unit 6: C ([0,5) [5,9) touch)
    ], factors=FACTORS)


def test_cooccurrence_segments_by_hand(together: pd.DataFrame) -> None:
    co = cooccurrence(together)
    # |A| = units 1 2 4 5 = 4; |B| = 1 3 4 = 3; |C| = 3 4 6 = 3
    # A&B = 1 4 -> 2, jaccard 2 / (4 + 3 - 2) = 0.4
    # A&C = 4 -> 1, jaccard 1 / (4 + 3 - 1) = 1/6
    # B&C = 3 4 -> 2, jaccard 2 / (3 + 3 - 2) = 0.5
    ab = cell(co, a="leadership", b="partnerships")
    assert (ab["count"], ab["n_a"], ab["n_b"]) == (2, 4, 3)
    assert ab["jaccard"] == pytest.approx(0.4)
    assert cell(co, a="leadership", b="officer_role")["jaccard"] == pytest.approx(1 / 6)
    assert cell(co, a="partnerships", b="officer_role")["jaccard"] == pytest.approx(0.5)
    assert cell(co, a="officer_role", b="partnerships")["count"] == 2  # symmetric
    assert cell(co, a="leadership", b="leadership")[["count", "jaccard"]].tolist() == [4, 1.0]
    assert len(co) == 9


def test_cooccurrence_documents_by_hand(together: pd.DataFrame) -> None:
    co = cooccurrence(together, unit="document")
    # d: A B C; e: A B C; f: A C -> |A| = 3, |B| = 2, |C| = 3
    # A&B = 2 -> 2 / (3 + 2 - 2) = 2/3; A&C = 3 -> 1.0; B&C = 2 -> 2 / (2 + 3 - 2) = 2/3
    assert cell(co, a="leadership", b="partnerships")["jaccard"] == pytest.approx(2 / 3)
    assert cell(co, a="leadership", b="officer_role")["jaccard"] == pytest.approx(1.0)
    assert cell(co, a="partnerships", b="officer_role")["jaccard"] == pytest.approx(2 / 3)


def test_cooccurrence_only_present_factors_and_bad_unit() -> None:
    df = make([{"code_id": "leadership"}], factors=FACTORS)
    co = cooccurrence(df)
    assert co[["a", "b", "count"]].astype(object).to_numpy().tolist() == [
        ["leadership", "leadership", 1]]
    with pytest.raises(ParameterError, match=r"The 'unit' parameter of cooccurrence must be one of "
                                         r"\{'segment', 'document'\}\. Got 'turn' instead\."):
        cooccurrence(df, unit="turn")


@FAST
@given(spans_in_a_document())
def test_cooccurrence_properties(case: tuple[pd.DataFrame, int]) -> None:
    df, _ = case
    co = cooccurrence(df)
    assert co["jaccard"].between(0, 1).all()
    assert (co["count"] <= np.minimum(co["n_a"], co["n_b"])).all()


# --------------------------------------------------------------------------------------
# valence_balance
# --------------------------------------------------------------------------------------


def test_valence_balance_by_hand() -> None:
    df = make(
        repeat(3, code_id="leadership", valence="positive")
        + repeat(1, code_id="leadership", valence="negative")
        + repeat(2, code_id="leadership", valence="neutral")
        + repeat(2, group="south", code_id="leadership", valence="neutral")
        + repeat(2, group="south", code_id="partnerships", valence="negative"),
        factors=["leadership", "partnerships"])
    with pytest.warns(RuntimeWarning, match="balance is undefined for 2 row"):
        table = valence_balance(df)
    a = cell(table, group="north", factor="leadership")
    # (3 - 1) / (3 + 1) = 0.5; neutral codings are not in the balance
    assert a[["positive", "negative", "neutral", "n"]].tolist() == [3, 1, 2, 6]
    assert a["balance"] == pytest.approx(0.5)
    assert math.isnan(cell(table, group="south", factor="leadership")["balance"])  # neutral only
    assert cell(table, group="south", factor="partnerships")["balance"] == -1.0
    assert math.isnan(cell(table, group="north", factor="partnerships")["balance"])  # nothing


# --------------------------------------------------------------------------------------
# compare_groups
# --------------------------------------------------------------------------------------


def two_by_two(a: tuple[int, int], b: tuple[int, int]) -> pd.DataFrame:
    """north has a[0] leadership and a[1] partnerships codings, south b[0] and b[1]."""
    rows = (repeat(a[0], code_id="leadership") + repeat(a[1], code_id="partnerships")
            + repeat(b[0], group="south", code_id="leadership")
            + repeat(b[1], group="south", code_id="partnerships"))
    return make(rows, groups=["north", "south"], factors=["leadership", "partnerships"])


def test_compare_groups_8_2_1_5() -> None:
    df = two_by_two((8, 2), (1, 5))
    with pytest.warns(UserWarning, match="numbers this small mean little"):
        result = compare_groups(df, "north", "south", unit="coding")
    lead = cell(result, factor="leadership")
    # table [[8, 2], [1, 5]]: OR = (8 * 5) / (2 * 1) = 20
    # Woolf: SE(log OR) = sqrt(1/8 + 1/2 + 1/1 + 1/5) = sqrt(1.825) = 1.350926
    # log 20 = 2.995732; z = 1.959964; 2.995732 -/+ 2.647767 -> exp: 1.416185, 282.4489
    assert lead["odds_ratio"] == pytest.approx(20.0)
    assert lead["ci_low"] == pytest.approx(1.416185, rel=1e-6)
    assert lead["ci_high"] == pytest.approx(282.4489, rel=1e-6)
    # Fisher: margins 10/6 rows, 9/7 columns, N = 16; P(x) = C(10,x) C(6,9-x) / C(16,9)
    # with C(16,9) = 11440; observed x = 8 has 45*6 = 270; as or less likely: x = 9 (10)
    # and x = 3 (120) -> p = (270 + 10 + 120) / 11440 = 0.034965
    assert lead["p_value"] == pytest.approx(400 / 11440)
    assert lead["p_value"] == pytest.approx(fisher_exact([[8, 2], [1, 5]])[1])
    # rates: shares of each group's codings 8/10 and 1/6
    assert (lead["rate_a"], lead["rate_b"]) == pytest.approx((0.8, 1 / 6))
    assert lead["difference"] == pytest.approx(0.8 - 1 / 6)
    assert (lead["total_a"], lead["total_b"]) == (10, 6)
    # partnerships is the mirror table [[2, 8], [5, 1]]: OR = 2/40 = 0.05, same p
    assert cell(result, factor="partnerships")["odds_ratio"] == pytest.approx(0.05)
    # two equal p-values: BH leaves them unchanged (p * 2 / 2)
    assert result["p_adjusted"].tolist() == pytest.approx([400 / 11440] * 2)
    assert lead["summary"] == ("leadership is coded more often in north "
                               "(OR 20, 95% CI 1.4-282, adjusted p=0.035)")
    assert cell(result, factor="partnerships")["summary"].startswith(
        "partnerships is coded more often in south (OR 0.05, 95% CI")


def test_compare_groups_haldane_anscombe_for_a_zero_cell() -> None:
    df = two_by_two((5, 0), (1, 5))
    with pytest.warns(UserWarning):
        result = compare_groups(df, "north", "south", unit="coding")
    lead = cell(result, factor="leadership")
    # [[5, 0], [1, 5]] has a zero: +0.5 everywhere -> [[5.5, 0.5], [1.5, 5.5]]
    # OR = 5.5 * 5.5 / (0.5 * 1.5) = 30.25 / 0.75 = 40.3333
    # SE = sqrt(1/5.5 + 1/0.5 + 1/1.5 + 1/5.5) = sqrt(3.030303) = 1.740777
    # CI = exp(log 40.3333 -/+ 1.959964 * 1.740777) = 1.330186, 1222.970
    assert lead["odds_ratio"] == pytest.approx(40.333333, rel=1e-6)
    assert lead["ci_low"] == pytest.approx(1.330186, rel=1e-5)
    assert lead["ci_high"] == pytest.approx(1222.970, rel=1e-5)
    # Fisher: C(11,6) = 462; x = 5 has C(5,5) C(6,1) = 6, x = 0 has 1 -> p = 7/462
    assert lead["p_value"] == pytest.approx(7 / 462)
    assert lead["p_value"] == pytest.approx(fisher_exact([[5, 0], [1, 5]])[1])


def test_compare_groups_per_word_totals() -> None:
    df = two_by_two((8, 2), (1, 5))
    documents = pd.DataFrame({"doc_id": ["d", "m"], "group": ["north", "south"],
                              "n_words": [2000, 1000]})
    df["doc_id"] = np.where(df["group"] == "north", "d", "m")
    with pytest.warns(UserWarning):
        result = compare_groups(df, "north", "south", unit="coding", documents=documents)
    lead = cell(result, factor="leadership")
    # totals are words: [[8, 2000 - 8], [1, 1000 - 1]]; rates per 1,000 words 4.0 and 1.0
    assert (lead["total_a"], lead["total_b"]) == (2000, 1000)
    assert (lead["rate_a"], lead["rate_b"]) == pytest.approx((4.0, 1.0))
    assert lead["p_value"] == pytest.approx(fisher_exact([[8, 1992], [1, 999]])[1])
    assert lead["odds_ratio"] == pytest.approx(8 * 999 / (1992 * 1))


def test_compare_groups_bh_matches_statsmodels() -> None:
    rows = []
    counts = {"leadership": (30, 10), "partnerships": (12, 14), "officer_role": (9, 20),
              "capital_growth": (25, 24)}
    for factor, (ca, cb) in counts.items():
        rows += repeat(ca, code_id=factor) + repeat(cb, group="south", code_id=factor)
    df = make(rows, factors=list(counts))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every count is >= 5: no warning
        result = compare_groups(df, "north", "south", unit="coding")
    expected = multipletests(result["p_value"], alpha=0.05, method="fdr_bh")[1]
    np.testing.assert_allclose(result["p_adjusted"], expected)
    assert result["significant"].tolist() == (result["p_adjusted"] < 0.05).tolist()


def test_bh_against_benjamini_hochberg_1995() -> None:
    # The 15 p-values of Benjamini & Hochberg (1995), section 4: at q = 0.05 the procedure
    # rejects the four smallest (p_(4) = 0.0095 <= 4/15 * 0.05, p_(5) = 0.0201 > 5/15 * 0.05).
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
         0.4262, 0.5719, 0.6528, 0.7590, 1.000]
    adjusted = analysis._bh_adjust(p[::-1])[::-1]  # input order does not matter
    assert (adjusted < 0.05).sum() == 4
    # p * 15 / rank: 0.0015, 0.003, 0.0095, 0.0095 * 15/4 = 0.035625
    np.testing.assert_allclose(adjusted[:4], [0.0015, 0.003, 0.0095, 0.035625])
    np.testing.assert_allclose(adjusted, multipletests(p, method="fdr_bh")[1])


@FAST
@given(st.lists(st.floats(0, 1, allow_subnormal=False), min_size=1, max_size=30))
def test_bh_matches_statsmodels_on_random_p(p: list[float]) -> None:
    # subnormal p-values (5e-324) round differently in the two libraries (2e-323, 2.5e-323)
    np.testing.assert_allclose(analysis._bh_adjust(p), multipletests(p, method="fdr_bh")[1])


def test_bh_leaves_undefined_p_values_out() -> None:
    # nan (an undefined test) stays nan and is not counted: BH over [0.01, 0.04] alone gives
    # 0.01 * 2 / 1 = 0.02 and 0.04 * 2 / 2 = 0.04
    adjusted = analysis._bh_adjust([0.04, float("nan"), 0.01])
    assert math.isnan(adjusted[1])
    assert adjusted[[0, 2]].tolist() == pytest.approx([0.04, 0.02])


def test_compare_groups_any_column_and_errors() -> None:
    df = make(repeat(6, code_id="leadership", source_type="interview")
              + repeat(6, code_id="leadership", source_type="observation"))
    result = compare_groups(df, "interview", "observation", by="source_type", unit="coding")
    assert (result.loc[0, "group_a"], result.loc[0, "count_a"]) == ("interview", 6)
    assert "no clear difference between interview and observation" in result.loc[0, "summary"]
    with pytest.raises(ParameterError, match=r"The 'a' parameter of compare_groups must be a "
                                             r"value of the 'group' column.*Got 'west' instead"):
        compare_groups(df, "west", "north")
    with pytest.raises(ParameterError, match=r"The 'b' parameter of compare_groups must be a value "
                                             r"of the 'group' column other than a='north', one of "
                                             r"\{\}\. Got 'north' instead\."):
        compare_groups(df, "north", "north", by="group")
    with pytest.raises(ParameterError, match=r"The 'alpha' parameter of compare_groups must be a "
                                             r"float in the range \(0, 1\)\. Got 1\.5 instead"):
        compare_groups(df, "interview", "observation", by="source_type", alpha=1.5)
    with pytest.raises(ParameterError, match=r"The 'b' parameter of compare_groups .* Got "
                                             r"'document', which has no codings, instead"):
        compare_groups(df, "interview", "document", by="source_type")


def test_compare_groups_skips_factors_coded_in_neither_group() -> None:
    df = two_by_two((6, 6), (6, 6))
    df = make(df.to_dict("records"), factors=["leadership", "partnerships", "officer_role"])
    assert compare_groups(df, "north", "south")["factor"].astype(str).tolist() == ["leadership", "partnerships"]


# --------------------------------------------------------------------------------------
# thesis_comparison
# --------------------------------------------------------------------------------------


def evidence(group: str, factor: str, pos: int = 0, neg: int = 0,
             neu: int = 0) -> list[dict[str, Any]]:
    """Codings of one factor in one group, each said by its own informant (a case of its
    own), so a group's mean case balance equals its pooled balance (pos - neg) / (pos + neg)."""
    says = {"positive": f"{factor} works well in {group}, everyone says so at the meeting",
            "negative": f"{factor} does not work in {group}, members complain about it",
            "neutral": f"{factor} is described in {group} without any judgement at all"}
    counts = {"positive": pos, "negative": neg, "neutral": neu}
    return [{"group": group, "code_id": factor, "valence": v, "informant": f"{group} {v} {i}",
             "text": f"{says[v]} ({i})."} for v, k in counts.items() for i in range(k)]


@pytest.fixture
def thesis() -> pd.DataFrame:
    rows = (
        # leadership: north 4 cases at +1 (2 neutral-only cases have no balance), south 3 at
        # -1: every bootstrap difference is 2 -> interval [2, 2] -> supports
        evidence("north", "leadership", pos=4, neu=2) + evidence("south", "leadership", neg=3)
        # information_clarity: north [1, 1, -1, -1] mean 0 mixed; south [1, 1, 1] working;
        # difference -1; a resample of north is all +1 with probability 1/16 > 2.5%, so the
        # upper bound is 0, not below it -> inconclusive (direction disagrees)
        + evidence("north", "information_clarity", pos=2, neg=2)
        + evidence("south", "information_clarity", pos=3)
        # leader_support: north has 1 case with a balance < min_cases = 2 -> insufficient
        + evidence("north", "leader_support", pos=1, neu=5)
        + evidence("south", "leader_support", neg=4)
        # officer_role: north (3 - 2) / 5 = 0.2 working (inclusive); south (1 - 3) / 4 = -0.5
        + evidence("north", "officer_role", pos=3, neg=2, neu=2)
        + evidence("south", "officer_role", pos=1, neg=3)
        # capital_growth: north [1, -1, -1, -1] = -0.5 lacking; south [-1, -1, -1] lacking;
        # difference 0.5 agrees in direction, but a resample of north is all -1 with
        # probability (3/4)^4 = 0.32, so the lower bound is 0 -> inconclusive
        + evidence("north", "capital_growth", pos=1, neg=3)
        + evidence("south", "capital_growth", neg=3)
        # partnerships: thresholds are inclusive: north 0.2 working, south -0.2 lacking
        + evidence("north", "partnerships", pos=3, neg=2)
        + evidence("south", "partnerships", pos=2, neg=3)
    )
    return make(rows, factors=[*SIX, "stage"])


def test_thesis_verdicts_by_hand(thesis: pd.DataFrame) -> None:
    result = thesis_comparison(thesis, **AB).set_index("factor")
    # "stage" is a category without codings: not in the default factor list
    assert list(result.index) == SIX
    assert result["verdict"].to_dict() == {
        "leadership": "supports", "information_clarity": "inconclusive",
        "leader_support": "insufficient evidence", "officer_role": "inconclusive",
        "capital_growth": "inconclusive", "partnerships": "inconclusive"}
    assert result["state_a"].to_dict() == {
        "leadership": "working", "information_clarity": "mixed",
        "leader_support": "insufficient evidence", "officer_role": "working",
        "capital_growth": "lacking", "partnerships": "working"}
    assert result["state_b"].to_dict() == {
        "leadership": "lacking", "information_clarity": "working", "leader_support": "lacking",
        "officer_role": "lacking", "capital_growth": "lacking", "partnerships": "lacking"}
    assert result[["cases_a", "cases_b"]].loc["leadership"].tolist() == [4, 3]
    assert result.loc["leadership", ["ci_low", "ci_high"]].tolist() == [2.0, 2.0]
    assert result.loc["information_clarity", "ci_high"] == 0.0
    assert result.loc["capital_growth", "ci_low"] == 0.0
    assert result.loc["officer_role", "balance_a"] == pytest.approx(0.2)
    assert result.loc["officer_role", "difference"] == pytest.approx(0.7)  # 0.2 - (-0.5)
    assert result.loc["leader_support", "balance_a"] == pytest.approx(1.0)  # one case
    assert math.isnan(result.loc["leader_support", "ci_low"])
    agrees = result["agrees_with_hypothesis"]
    assert str(agrees.dtype) == "boolean"
    assert agrees.isna().to_dict() == {f: f == "leader_support" for f in SIX}
    assert agrees.dropna().to_dict() == {
        "leadership": True, "information_clarity": False, "officer_role": True,
        "capital_growth": True, "partnerships": True}
    supports = result["supports_hypothesis"]
    assert str(supports.dtype) == "boolean"
    assert supports.dropna().to_dict() == {
        "leadership": True, "information_clarity": False, "officer_role": False,
        "capital_growth": False, "partnerships": False}
    assert (result["group_a"].unique().tolist(), result["group_b"].unique().tolist()) == (
        ["north"], ["south"])


def test_thesis_quotes_are_typical_not_chosen_by_verdict(thesis: pd.DataFrame) -> None:
    result = thesis_comparison(thesis, **AB, quotes=2).set_index("factor")
    # one quote per case, most confident first (all manual: 1.0), then coding_id
    assert result.loc["leadership", "quotes_a"] == (
        '"leadership works well in north, everyone says so at the meeting (0)." '
        "(north positive 0, d)",
        '"leadership works well in north, everyone says so at the meeting (1)." '
        "(north positive 1, d)")
    assert result.loc["leadership", "disconfirming_a"] == ()
    # capital_growth in north: 3 of 4 cases negative -> negative quotes, and the one positive
    # case is shown against them, although the direction agrees with the hypothesis
    assert all("does not work" in q for q in result.loc["capital_growth", "quotes_a"])
    assert result.loc["capital_growth", "disconfirming_a"] == (
        '"capital_growth works well in north, everyone says so at the meeting (0)." '
        "(north positive 0, d)",)
    # a tie (2 cases each way) has no majority: quotes of both valences, nothing disconfirms
    tied = result.loc["information_clarity", "quotes_a"]
    assert len(tied) == 2 and result.loc["information_clarity", "disconfirming_a"] == ()


def test_thesis_parameters(thesis: pd.DataFrame) -> None:
    with pytest.warns(RuntimeWarning, match="balance is undefined for 2 factor x group cell"):
        strict = thesis_comparison(thesis, **AB, working=0.9, lacking=-0.9, min_cases=1,
                                   factors=["leadership", "leader_support", "welfare"])
    strict = strict.set_index("factor")
    assert list(strict.index) == ["leadership", "leader_support", "welfare"]
    # leadership north: 4 cases at 1 -> 1 >= 0.9 -> working; leader_support north: one case
    # at 1, enough with min_cases=1 -> working; south: 4 cases at -1 -> lacking
    assert strict.loc["leadership", "state_a"] == "working"
    assert strict.loc["leader_support", "state_a"] == "working"
    assert strict.loc["leader_support", "state_b"] == "lacking"
    # with one case in north, leaving it out leaves no difference: the direction does not
    # survive that run
    assert strict.loc["leader_support", ["loo_runs", "loo_holds"]].tolist() == [5, 4]
    assert strict.loc["leader_support", "loo_flips"] == ("north positive 0",)
    assert strict.loc["welfare", "verdict"] == "insufficient evidence"  # no codings
    assert strict.loc["welfare", "state_a"] == "insufficient evidence"
    assert math.isnan(strict.loc["welfare", "balance_a"])
    assert strict.loc["welfare", "stability"] == "not assessed: too few cases"
    none = thesis_comparison(thesis, **AB, quotes=0)
    assert none["quotes_a"].map(len).sum() == 0 and none["disconfirming_b"].map(len).sum() == 0


def test_thesis_errors_and_docstring(thesis: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=r"The 'lacking' parameter of thesis_comparison must "
                                             r"be lower than 'working' \(0\.1\)\. Got 0\.1"):
        thesis_comparison(thesis, **AB, working=0.1, lacking=0.1)
    with pytest.raises(ParameterError, match=r"The 'min_cases' parameter .* Got 0 instead"):
        thesis_comparison(thesis, **AB, min_cases=0)
    with pytest.raises(ParameterError, match=r"The 'working' parameter of thesis_comparison must "
                                             r"be a float in the range \[-1, 1\]\. Got 2\.0"):
        thesis_comparison(thesis, **AB, working=2.0)
    with pytest.raises(ParameterError, match=r"The 'b' parameter of thesis_comparison must be a "
                                             r"value of the 'group' column other than "
                                             r"a='north', one of \{'south'\}\. Got 'west'"):
        thesis_comparison(thesis, a="north", b="west")
    doc = thesis_comparison.__doc__ or ""
    for words in ("illustrative corpus", "not field findings", "Each case weighs once",
                  "cluster-bootstrap interval", "only\n      label the level"):
        assert words in doc, words


# --------------------------------------------------------------------------------------
# by= any metadata column: document attributes and missing groups
# --------------------------------------------------------------------------------------


@pytest.fixture
def districts() -> pd.DataFrame:
    """Codings with a document attribute ``district`` (one value per document) and a
    document ``x1`` in no group (its ``group`` is missing)."""
    rows = [
        {"doc_id": "n1", "district": "east", "code_id": "leadership", "valence": "positive"},
        {"doc_id": "n1", "district": "east", "code_id": "leadership", "valence": "negative"},
        {"doc_id": "n2", "district": "west", "code_id": "partnerships", "valence": "positive"},
        {"doc_id": "s1", "group": "south", "district": "east", "code_id": "leadership",
         "valence": "positive"},
        {"doc_id": "x1", "group": "", "district": "west", "code_id": "leadership",
         "valence": "positive"},
    ]
    return make(rows, factors=["leadership", "partnerships"])


def test_metadata_columns_are_the_fixed_ones_plus_the_attributes(districts: pd.DataFrame) -> None:
    assert metadata_columns(districts) == [*analysis.BY_COLUMNS, "district"]
    assert not set(metadata_columns(districts)) & set(analysis.CODING_ONLY)


@pytest.mark.filterwarnings("ignore:balance is undefined:RuntimeWarning")
def test_by_an_attribute_column(districts: pd.DataFrame) -> None:
    freq = code_frequencies(districts, by="district")
    # east: n1 leadership x2 + s1 leadership = 3; west: n2 partnerships, x1 leadership (x1 is
    # in no group but has a district, so it counts here)
    assert freq.set_index(["district", "factor"])["codings"].to_dict() == {
        ("east", "leadership"): 3, ("east", "partnerships"): 0,
        ("west", "leadership"): 1, ("west", "partnerships"): 1}
    table = valence_balance(districts, by="district")
    # east leadership: 2 positive, 1 negative -> (2 - 1) / 3
    assert cell(table, district="east", factor="leadership")["balance"] == pytest.approx(1 / 3)
    matrix = framework_matrix(districts, cols="district", quotes=0)
    assert cell(matrix, district="west", factor="partnerships")["n"] == 1
    wide = framework_table(districts, cols="district", values="n", unit="coding")
    assert list(wide.columns) == ["east", "west"]
    assert wide.loc["leadership"].tolist() == [3, 1]
    # by case (here each document): east leadership is n1 (2 codings) and s1 -> 2 cases
    cases = framework_table(districts, cols="district", values="n")
    assert cases.loc["leadership"].tolist() == [2, 1]


@pytest.mark.filterwarnings("ignore:balance is undefined:RuntimeWarning")
def test_missing_group_takes_part_in_no_group_table(districts: pd.DataFrame) -> None:
    assert districts["group"].isna().sum() == 1  # x1: an empty group became missing
    freq = code_frequencies(districts)
    assert list(freq["group"].cat.categories) == ["north", "south"]
    # north: n1 leadership x2, n2 partnerships; south: s1 leadership; x1 left out
    assert freq["codings"].sum() == 4
    assert cell(freq, group="north", factor="leadership")["codings"] == 2
    assert len(valence_balance(districts)) == 4
    assert set(framework_matrix(districts, quotes=0)["group"]) == {"north", "south"}
    with pytest.warns(UserWarning, match="below min_count"):
        result = compare_groups(districts, "north", "south", unit="coding")
    # totals are the codings of each group, without x1: 3 and 1
    assert (result.loc[0, "total_a"], result.loc[0, "total_b"]) == (3, 1)


def test_coding_columns_are_not_metadata(districts: pd.DataFrame) -> None:
    for column in ("code_id", "text", "valence", "start"):
        with pytest.raises(ParameterError, match=r"The 'by' parameter of code_frequencies must "
                                                 r"be a metadata column of the codings frame, "
                                                 r"one of \{'group', .*'district'\}\. Got "):
            code_frequencies(districts, by=column)
    with pytest.raises(ParameterError, match=r"The 'cols' parameter of framework_table must be a "
                                             r"metadata column .*Got 'factor' instead"):
        framework_table(districts, cols="factor")
    with pytest.raises(ParameterError, match=r"The 'by' parameter of compare_groups must be a "
                                             r"metadata column .*Got 'wave' instead"):
        compare_groups(districts, "east", "west", by="wave")


def test_rates_per_word_by_an_attribute(districts: pd.DataFrame) -> None:
    documents = pd.DataFrame({"doc_id": ["n1", "n2", "s1", "x1", "y1"],
                              "district": ["east", "west", "east", "west", "west"],
                              "n_words": [1000, 500, 1000, 250, 250]})
    freq = code_frequencies(districts, by="district", documents=documents)
    # east: n1 + s1 = 2000 words, 3 leadership codings -> 1.5 per 1,000;
    # west: n2 + x1 + y1 = 1000 words (y1 has no codings but counts), 1 -> 1.0
    assert cell(freq, district="east", factor="leadership")["per_1000_words"] == 1.5
    west = cell(freq, district="west", factor="leadership")
    assert (west["words"], west["per_1000_words"]) == (1000, 1.0)
    result = compare_groups(districts, "east", "west", by="district", min_count=0,
                            unit="coding", documents=documents)
    assert (result.loc[0, "total_a"], result.loc[0, "total_b"]) == (2000, 1000)


def test_rates_read_an_attribute_from_the_codings_when_documents_lack_it(
        districts: pd.DataFrame) -> None:
    documents = pd.DataFrame({"doc_id": ["n1", "n2", "s1", "x1", "y1"],
                              "n_words": [1000, 500, 1000, 250, 250]})
    # y1 has no codings and documents no district: its words cannot be placed
    with pytest.warns(UserWarning, match=r"1 document\(s\) of 'documents' have no codings and "
                                         r"no 'district' column .*'y1'"):
        freq = code_frequencies(districts, by="district", documents=documents)
    assert cell(freq, district="west", factor="leadership")["words"] == 750  # n2 + x1


def test_rates_need_an_attribute_with_one_value_per_document(districts: pd.DataFrame) -> None:
    varying = districts.assign(district=["east", "west", "west", "east", "west"])  # n1 varies
    documents = pd.DataFrame({"doc_id": ["n1"], "n_words": [10]})
    with pytest.raises(ParameterError, match=r"The 'by' parameter of code_frequencies must be a "
                                             r"document attribute \(one value per document.*"
                                             r"Got 'district', which takes more than one value "
                                             r"within document\(s\) 'n1', instead\."):
        code_frequencies(varying, by="district", documents=documents)
    with pytest.raises(ParameterError, match=r"The 'by' parameter of compare_groups must be a "
                                             r"document attribute .*Got 'district', which"):
        compare_groups(varying, "east", "west", by="district", unit="coding",
                       documents=documents)
    # without rates a varying column is fine: it is still metadata of each coding
    assert code_frequencies(varying, by="district")["codings"].sum() == 5


def test_a_and_b_have_no_default(districts: pd.DataFrame) -> None:
    with pytest.raises(TypeError):
        compare_groups(districts)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        thesis_comparison(districts)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        thesis_comparison(districts, "north", "south")  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# More than two groups: pairwise_comparisons and group_differences
# --------------------------------------------------------------------------------------

THREE = {"north": (10, 6, 4), "south": (4, 6, 10), "east": (6, 6, 8)}
"""Codings of leadership, partnerships, officer_role per group: 20 in each group."""


@pytest.fixture
def three() -> pd.DataFrame:
    rows = [row for group, counts in THREE.items()
            for factor, n in zip(FACTORS, counts, strict=True)
            for row in repeat(n, group=group, doc_id=group, code_id=factor)]
    rows += repeat(3, group="", doc_id="x", code_id="leadership")  # in no group: left out
    return make(rows, groups=["north", "south", "east"], factors=FACTORS)


def test_group_differences_3x2_by_hand(three: pd.DataFrame) -> None:
    table = group_differences(three).set_index("factor")
    assert list(table.columns) == [
        "count_north", "count_south", "count_east", "total_north", "total_south", "total_east",
        "rate_north", "rate_south", "rate_east", "chi2", "dof", "p_value", "cramers_v",
        "min_expected", "p_adjusted", "significant"]
    lead = table.loc["leadership"]
    assert lead[["count_north", "count_south", "count_east"]].tolist() == [10, 4, 6]
    assert lead[["total_north", "total_south", "total_east"]].tolist() == [20, 20, 20]
    assert lead[["rate_north", "rate_south", "rate_east"]].tolist() == [0.5, 0.2, 0.3]
    # leadership, table [[10, 10], [4, 16], [6, 14]]: row sums 20, column sums 20 and 40,
    # N = 60 -> expected 20 * 20 / 60 = 6.667 and 20 * 40 / 60 = 13.333 in every row.
    # chi2 = (10/3)^2 / (20/3) + (10/3)^2 / (40/3)     north: 5/3 + 5/6
    #      + (8/3)^2 / (20/3) + (8/3)^2 / (40/3)       south: 16/15 + 8/15
    #      + (2/3)^2 / (20/3) + (2/3)^2 / (40/3)       east:  1/15 + 1/30
    #      = 2.5 + 1.6 + 0.1 = 4.2 with (3 - 1) * (2 - 1) = 2 degrees of freedom, and for 2
    # degrees of freedom P(chi2 > x) = exp(-x / 2): p = exp(-2.1) = 0.122456
    assert lead["chi2"] == pytest.approx(4.2)
    assert lead["dof"] == 2
    assert lead["p_value"] == pytest.approx(math.exp(-2.1))
    assert lead["cramers_v"] == pytest.approx(math.sqrt(4.2 / 60))  # sqrt(chi2 / N)
    assert lead["min_expected"] == pytest.approx(20 / 3)
    reference = chi2_contingency([[10, 10], [4, 16], [6, 14]], correction=False)
    assert (lead["chi2"], lead["p_value"]) == pytest.approx((reference.statistic,
                                                              reference.pvalue))
    # partnerships 6, 6, 6: no difference at all -> chi2 0, p 1
    assert table.loc["partnerships", ["chi2", "p_value"]].tolist() == pytest.approx([0.0, 1.0])
    # officer_role [[4, 16], [10, 10], [8, 12]]: column sums 22, 38, expected 22/3 and 38/3;
    # squared deviations (10/3)^2 + (8/3)^2 + (2/3)^2 = 168/9 in each column ->
    # chi2 = 168/9 * (3/22 + 3/38) = 168/66 + 168/114 = 4.019139; p = exp(-2.009569)
    officer = table.loc["officer_role"]
    assert officer["chi2"] == pytest.approx(168 / 66 + 168 / 114)
    assert officer["p_value"] == pytest.approx(math.exp(-(168 / 66 + 168 / 114) / 2))
    # BH over the three factors: p sorted 0.1225 (leadership), 0.1340 (officer_role), 1:
    # 1 * 3/3 = 1; 0.1340 * 3/2 = 0.2011; 0.1225 * 3/1 = 0.3674, capped by the next: 0.2011
    step = math.exp(-(168 / 66 + 168 / 114) / 2) * 3 / 2
    assert table["p_adjusted"].tolist() == pytest.approx([step, 1.0, step])
    assert not table["significant"].any()


def test_group_differences_of_two_groups_agrees_with_compare_groups(three: pd.DataFrame) -> None:
    two = group_differences(three, groups=["north", "south"]).set_index("factor")
    pair = compare_groups(three, "north", "south", min_count=0, unit="coding").set_index("factor")
    assert two["count_north"].tolist() == pair["count_a"].tolist()
    assert two["total_south"].tolist() == pair["total_b"].tolist()
    assert two["rate_north"].tolist() == pytest.approx(pair["rate_a"].tolist())
    # leadership [[10, 10], [4, 16]]: expected 7 and 13 -> chi2 = 2 * 9/7 + 2 * 9/13 = 3.956,
    # one degree of freedom, no continuity correction
    assert two.loc["leadership", "chi2"] == pytest.approx(18 / 7 + 18 / 13)
    assert two.loc["leadership", "dof"] == 1
    expected = chi2_contingency([[10, 10], [4, 16]], correction=False).pvalue
    assert two.loc["leadership", "p_value"] == pytest.approx(expected)


def test_group_differences_warn_on_small_expected_counts_and_undefined_tests() -> None:
    df = make(repeat(2, code_id="leadership") + repeat(1, group="south", code_id="leadership")
              + repeat(3, group="south", code_id="partnerships"), factors=FACTORS)
    with pytest.warns(UserWarning, match=r"2 factor\(s\) have an expected count below 5"):
        table = group_differences(df)
    assert len(table) == 2  # officer_role is coded in no group: no row
    only = make(repeat(2, code_id="leadership") + repeat(3, group="south", code_id="leadership"))
    with pytest.warns(RuntimeWarning, match="chi-square test is undefined"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = group_differences(only)
    # leadership is every coding of both groups: [[2, 0], [3, 0]] has an empty column
    assert math.isnan(table.loc[0, "p_value"]) and math.isnan(table.loc[0, "p_adjusted"])
    assert not table.loc[0, "significant"]


def test_pairwise_comparisons_adjust_over_every_test(three: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the smallest count is 4: no min_count=4 warning
        result = pairwise_comparisons(three, min_count=4, unit="coding")
    # default groups: every group with codings in category order (x has no group)
    pairs = result[["group_a", "group_b"]].drop_duplicates().to_numpy().tolist()
    assert pairs == [["north", "south"], ["north", "east"], ["south", "east"]]
    assert len(result) == 3 * 3  # every factor is coded in every pair
    single = compare_groups(three, "north", "south", min_count=0, unit="coding")
    assert list(result.columns) == list(single.columns)
    lead = cell(result, group_a="north", group_b="south", factor="leadership")
    # [[10, 10], [4, 16]]: OR = 10 * 16 / (10 * 4) = 4
    assert lead["odds_ratio"] == pytest.approx(4.0)
    assert lead["p_value"] == pytest.approx(fisher_exact([[10, 10], [4, 16]])[1])
    # BH over all 9 rows, not within a pair
    expected = multipletests(result["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(result["p_adjusted"], expected)
    same = result[(result["group_a"] == "north") & (result["group_b"] == "south")]
    np.testing.assert_allclose(same["p_value"], single["p_value"])
    assert (same["p_adjusted"].to_numpy() >= single["p_adjusted"].to_numpy() - 1e-12).all()
    assert result["summary"].str.contains("adjusted p").all()


def test_pairwise_comparisons_groups_in_the_order_given(three: pd.DataFrame) -> None:
    result = pairwise_comparisons(three, groups=["east", "north"], min_count=0)
    assert result[["group_a", "group_b"]].drop_duplicates().to_numpy().tolist() == [
        ["east", "north"]]
    by_district = three.assign(district=three["doc_id"].map(
        {"north": "hill", "south": "coast", "east": "coast", "x": "hill"}))
    # an attribute column as by; x (in no group) has a district and counts here
    result = pairwise_comparisons(by_district, by="district", min_count=0, unit="coding")
    assert result.loc[0, ["group_a", "group_b"]].tolist() == ["coast", "hill"]
    assert result.loc[0, ["total_a", "total_b"]].tolist() == [40, 23]


@pytest.mark.parametrize("groups", [["north"], ["north", "north"], ["north", "west"], "north"])
def test_groups_must_be_two_different_values(three: pd.DataFrame, groups: Any) -> None:
    for func in (pairwise_comparisons, group_differences):
        with pytest.raises(ParameterError, match=rf"The 'groups' parameter of {func.__name__} "
                                                 r"must be a list of at least two different "
                                                 r"values of the 'group' column, from "
                                                 r"\{'north', 'south', 'east'\}, or None\."):
            func(three, groups=groups)


def test_groups_without_codings_are_refused(three: pd.DataFrame) -> None:
    df = three.assign(group=three["group"].cat.add_categories(["west"]))
    with pytest.raises(ParameterError, match=r"The 'groups' parameter of group_differences must "
                                             r"list values of 'group' with codings to compare\. "
                                             r"Got 'west', which has no codings, instead\."):
        group_differences(df, groups=["north", "west"])
    assert len(group_differences(df)) == 3  # the default leaves "west" out
    with pytest.raises(ParameterError, match=r"The 'by' parameter of pairwise_comparisons must "
                                             r"be a column with codings in at least two values"):
        pairwise_comparisons(df[df["group"] == "north"])


# --------------------------------------------------------------------------------------
# Every public function
# --------------------------------------------------------------------------------------

PUBLIC = [
    lambda df: code_frequencies(df),
    lambda df: coverage(df, DOCS),
    lambda df: framework_matrix(df),
    lambda df: framework_table(df),
    lambda df: cooccurrence(df),
    lambda df: valence_balance(df),
    lambda df: compare_groups(df, "north", "south"),
    lambda df: thesis_comparison(df, **AB),
    lambda df: pairwise_comparisons(df),
    lambda df: group_differences(df),
]


@pytest.mark.parametrize("call", PUBLIC)
def test_every_function_validates_its_input(call: Any, small: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="missing column"):
        call(small.drop(columns="valence"))
    with pytest.raises(ParameterError, match="column 'start' has dtype"):
        call(small.assign(start=small["start"].astype("float64")))


def test_all_is_complete() -> None:
    public = {name for name in dir(analysis) if callable(getattr(analysis, name))
              and not name.startswith("_") and getattr(analysis, name).__module__ == analysis.__name__}
    assert public <= set(analysis.__all__)
    assert set(analysis.__all__) <= set(dir(analysis))


def test_docstring_examples_run() -> None:
    result = doctest.testmod(analysis, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8
    assert result.failed == 0


@FAST
@given(st.lists(st.tuples(st.sampled_from(["north", "south"]), st.sampled_from(FACTORS),
                          st.sampled_from(["a", "b", "c"]), st.integers(0, 50)), max_size=25))
def test_frequencies_sum_to_the_number_of_codings(rows: list[tuple[str, str, str, int]]) -> None:
    df = make([{"group": g, "code_id": f, "doc_id": d, "start": s, "end": s + 3}
               for g, f, d, s in rows], groups=["north", "south"], factors=FACTORS)
    freq = code_frequencies(df)
    assert freq["codings"].sum() == len(df)
    assert len(freq) == 2 * len(FACTORS)
    assert (freq["segments"] <= freq["codings"]).all()
    assert (freq["documents"] <= freq["segments"]).all()
