"""Tests for the case-level hypothesis test (:func:`thesis_comparison`, :func:`check_hypothesis`,
:func:`hypothesis_sensitivity`) and the quote rule (:func:`framework_matrix`,
:func:`disconfirming`), on small hand-built frames whose answers are worked out in comments."""

from __future__ import annotations

import math
import warnings
from collections import Counter
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import uppks_qual as uq
from uppks_qual.analysis import (
    check_hypothesis,
    disconfirming,
    framework_matrix,
    hypothesis_sensitivity,
    thesis_comparison,
    valence_balance,
)
from uppks_qual.analysis.thesis import SENSITIVITY_COLUMNS, THESIS_COLUMNS
from uppks_qual.errors import ParameterError
from uppks_qual.manifest import Hypothesis
from uppks_qual.schema import codings_frame

AB = {"a": "north", "b": "south"}
# cells without a case with a balance are expected in these small frames
pytestmark = pytest.mark.filterwarnings("ignore:balance is undefined:RuntimeWarning")
FACTORS = ["leadership", "partnerships", "officer_role", "capital_growth"]


def said(group: str, who: str, factor: str, valence: str, n: int = 1,
         **extra: Any) -> list[dict[str, Any]]:
    """``n`` codings of ``factor`` said by informant ``who`` in their own interview."""
    row = {"group": group, "informant": who, "informant_role": "member",
           "doc_id": f"{group}-int-{who.lower()}", "source_type": "interview", "start": 0,
           "end": 10, "code_id": factor, "valence": valence, "coder": "ana"}
    return [{**row, "text": f"{who} on {factor}, {valence} {i}.", **extra} for i in range(n)]


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return codings_frame(rows, groups=["north", "south"], factors=FACTORS)


def base_rows(talk: int = 9) -> list[dict[str, Any]]:
    """Four cases per group (N1-N4 in north, S1-S4 in south).

    leadership   N1 +1 (``talk`` positive codings), N2 0 (1+ 1-), N3 0 (2+ 2-),
                 N4 -0.5 (1+ 3-); S1-S4 0 (1+ 1- each)
    partnerships N1 +1 (2+), N2-N4 +1 (1+ each); S1-S4 -1 (1- each)
    officer_role the mirror: N1-N4 -1; S1-S4 +1
    capital_growth  N1 +1, S1 -1: one case per group
    """
    rows = (said("north", "N1", "leadership", "positive", talk)
            + said("north", "N2", "leadership", "positive")
            + said("north", "N2", "leadership", "negative")
            + said("north", "N3", "leadership", "positive", 2)
            + said("north", "N3", "leadership", "negative", 2)
            + said("north", "N4", "leadership", "positive")
            + said("north", "N4", "leadership", "negative", 3))
    for s in ("S1", "S2", "S3", "S4"):
        rows += said("south", s, "leadership", "positive") + said("south", s, "leadership",
                                                                   "negative")
    rows += said("north", "N1", "partnerships", "positive", 2)
    for n in ("N2", "N3", "N4"):
        rows += said("north", n, "partnerships", "positive")
    for who in ("N1", "N2", "N3", "N4"):
        rows += said("north", who, "officer_role", "negative")
    for who in ("S1", "S2", "S3", "S4"):
        rows += said("south", who, "partnerships", "negative")
        rows += said("south", who, "officer_role", "positive")
    rows += said("north", "N1", "capital_growth", "positive")
    rows += said("south", "S1", "capital_growth", "negative")
    return rows


@pytest.fixture
def cases() -> pd.DataFrame:
    return frame(base_rows())


@pytest.fixture
def result(cases: pd.DataFrame) -> pd.DataFrame:
    return thesis_comparison(cases, **AB, factors=FACTORS).set_index("factor")


# --------------------------------------------------------------------------------------
# thesis_comparison: each case weighs once
# --------------------------------------------------------------------------------------


def test_columns_in_order(cases: pd.DataFrame) -> None:
    table = thesis_comparison(cases, **AB, factors=FACTORS)
    assert list(table.columns) == list(THESIS_COLUMNS) == [
        "factor", "group_a", "group_b", "cases_a", "cases_b", "balance_a", "balance_b",
        "difference", "ci_low", "ci_high", "p_value", "verdict", "state_a", "state_b",
        "agrees_with_hypothesis", "supports_hypothesis", "loo_runs", "loo_holds", "loo_flips",
        "stability", "quotes_a", "quotes_b", "disconfirming_a", "disconfirming_b"]
    assert table["factor"].astype(str).tolist() == FACTORS
    assert str(table["agrees_with_hypothesis"].dtype) == "boolean"


def test_mean_case_balances_by_hand(result: pd.DataFrame) -> None:
    lead = result.loc["leadership"]
    # north: (1 + 0 + 0 - 0.5) / 4 = 0.125; south: (0 + 0 + 0 + 0) / 4 = 0
    assert (lead["cases_a"], lead["cases_b"]) == (4, 4)
    assert lead["balance_a"] == pytest.approx(0.125)
    assert lead["balance_b"] == 0.0
    assert lead["difference"] == pytest.approx(0.125)
    assert (lead["state_a"], lead["state_b"]) == ("mixed", "mixed")  # -0.2 < 0.125 < 0.2
    assert bool(lead["agrees_with_hypothesis"]) is True  # direction only: 0.125 > 0


def test_a_talkative_case_weighs_once(cases: pd.DataFrame) -> None:
    # N1 says leadership is good 9 times; said once, the case means are the same, and so are
    # the resamples (same case values, same seed): the whole row is unchanged
    quiet = thesis_comparison(frame(base_rows(talk=1)), **AB, factors=FACTORS, quotes=0)
    loud = thesis_comparison(cases, **AB, factors=FACTORS, quotes=0)
    numbers = ["cases_a", "balance_a", "difference", "ci_low", "ci_high", "p_value", "verdict"]
    pd.testing.assert_frame_equal(loud[numbers], quiet[numbers])
    # pooling the codings would let N1 dominate: north (13 - 6) / (13 + 6) = 0.368 pooled
    pooled = valence_balance(cases).set_index(["group", "factor"])["balance"]
    assert pooled[("north", "leadership")] == pytest.approx(7 / 19)


def test_leave_one_case_out_names_the_case_that_flips_it(result: pd.DataFrame) -> None:
    lead = result.loc["leadership"]
    # dropping N1: north (0 + 0 - 0.5) / 3 = -1/6 < 0 -> reversed; dropping N2 or N3:
    # (1 + 0 - 0.5) / 3 = 1/6 > 0; dropping N4: 1/3 > 0; dropping a south case leaves
    # south at 0 and north at 0.125 -> 7 of 8 runs hold
    assert (lead["loo_runs"], lead["loo_holds"], lead["loo_flips"]) == (8, 7, ("N1",))
    assert lead["stability"] == ("direction holds in 7 of 8 leave-one-case-out runs; "
                                 "removing N1 reverses it")
    assert result.loc["partnerships", "stability"] == (
        "direction holds in all 8 leave-one-case-out runs")


def test_overlapping_cases_are_inconclusive(result: pd.DataFrame) -> None:
    lead = result.loc["leadership"]
    # south is constant (0), so a resampled difference is the mean of 4 draws from north's
    # {1, 0, 0, -0.5}; it is below 0 when there are more than twice as many -0.5 draws as 1
    # draws: 65 + 4 of the 4^4 = 256 draws (27%), far above 2.5%; and above 0 just as
    # often -> the interval contains 0 -> inconclusive
    assert lead["ci_low"] < 0 < lead["ci_high"]
    assert lead["verdict"] == "inconclusive"
    assert bool(lead["supports_hypothesis"]) is False
    # permutation p over the 70 splits of the 8 values {1, -0.5, 0 x 6} into 4 + 4: the
    # difference is (2 * sum_a - 0.5) / 4 with sum_a in {1, 0.5, 0, -0.5}, so |difference|
    # is 0.375 or 0.125 in every split, never below the observed 0.125 -> p = 70 / 70 = 1
    assert lead["p_value"] == 1.0


def test_degenerate_intervals_support_and_contradict(result: pd.DataFrame) -> None:
    part = result.loc["partnerships"]
    # every north case at +1, every south case at -1: every resample differs by exactly 2
    assert part[["balance_a", "balance_b", "difference", "ci_low", "ci_high"]].tolist() == [
        1.0, -1.0, 2.0, 2.0, 2.0]
    assert part["verdict"] == "supports" and bool(part["supports_hypothesis"]) is True
    assert (part["state_a"], part["state_b"]) == ("working", "lacking")
    # exact permutation: only the observed split and its mirror of the C(8, 4) = 70 reach 2
    assert part["p_value"] == pytest.approx(2 / 70)
    mirror = result.loc["officer_role"]
    assert mirror[["difference", "ci_low", "ci_high"]].tolist() == [-2.0, -2.0, -2.0]
    assert mirror["verdict"] == "contradicts"
    assert bool(mirror["agrees_with_hypothesis"]) is False
    assert bool(mirror["supports_hypothesis"]) is False


def test_too_few_cases_is_insufficient_evidence(cases: pd.DataFrame,
                                                result: pd.DataFrame) -> None:
    cap = result.loc["capital_growth"]
    # one case per group < min_cases = 2
    assert cap["verdict"] == "insufficient evidence"
    assert (cap["state_a"], cap["state_b"]) == ("insufficient evidence",) * 2
    assert math.isnan(cap["ci_low"]) and math.isnan(cap["p_value"])
    assert pd.isna(cap["agrees_with_hypothesis"]) and pd.isna(cap["supports_hypothesis"])
    assert (cap["loo_runs"], cap["loo_flips"], cap["stability"]) == (
        0, (), "not assessed: too few cases")
    # min_cases=1: +1 against -1 gives [2, 2] -> supports, but removing either case leaves
    # no difference at all: the verdict rests on two people
    one = thesis_comparison(cases, **AB, factors=["capital_growth"], min_cases=1).iloc[0]
    assert (one["verdict"], one["ci_low"], one["ci_high"]) == ("supports", 2.0, 2.0)
    assert (one["loo_runs"], one["loo_holds"], one["loo_flips"]) == (2, 0, ("N1", "S1"))
    assert one["stability"] == ("direction holds in 0 of 2 leave-one-case-out runs; removing "
                                "N1 or S1 reverses or cancels it")
    # min_cases=5: no factor has 5 cases in both groups
    strict = thesis_comparison(cases, **AB, factors=FACTORS, min_cases=5)
    assert set(strict["verdict"]) == {"insufficient evidence"}


def test_a_case_is_a_person_or_a_document() -> None:
    # two people in one north interview: as persons, north has 3 cases [1, 1, -1]; as
    # documents 2: the shared interview (1 + 1 positive, 1 negative = 1/3) and n3 (1)
    rows = (said("north", "N1", "leadership", "positive", doc_id="n-12")
            + said("north", "N2", "leadership", "positive", doc_id="n-12")
            + said("north", "N2", "leadership", "negative", doc_id="n-12")
            + said("north", "N3", "leadership", "positive")
            + said("south", "S1", "leadership", "negative")
            + said("south", "S2", "leadership", "negative"))
    df = frame(rows)
    persons = thesis_comparison(df, **AB, factors=["leadership"]).iloc[0]
    documents = thesis_comparison(df, **AB, factors=["leadership"], case="doc_id").iloc[0]
    assert persons["cases_a"] == 3 and persons["balance_a"] == pytest.approx((1 + 0 + 1) / 3)
    assert documents["cases_a"] == 2 and documents["balance_a"] == pytest.approx((1 / 3 + 1) / 2)


def test_results_repeat_and_do_not_depend_on_other_factors(cases: pd.DataFrame) -> None:
    whole = thesis_comparison(cases, **AB, factors=FACTORS, quotes=0).set_index("factor")
    alone = thesis_comparison(cases, **AB, factors=["leadership"], quotes=0).iloc[0]
    assert whole.loc["leadership", ["ci_low", "ci_high", "p_value"]].tolist() == \
        alone[["ci_low", "ci_high", "p_value"]].tolist()
    other = thesis_comparison(cases, **AB, factors=["leadership"], seed=7, n_resamples=199,
                              quotes=0).iloc[0]
    assert other["verdict"] == "inconclusive"  # the reasoning above holds for any seed


def test_higher_confidence_widens_the_interval(cases: pd.DataFrame) -> None:
    lows = [thesis_comparison(cases, **AB, factors=["leadership"], confidence=c,
                              quotes=0).iloc[0][["ci_low", "ci_high"]].tolist()
            for c in (0.8, 0.95, 0.99)]
    assert lows[0][0] >= lows[1][0] >= lows[2][0]
    assert lows[0][1] <= lows[1][1] <= lows[2][1]


# --------------------------------------------------------------------------------------
# check_hypothesis
# --------------------------------------------------------------------------------------


def test_check_hypothesis_reads_groups_and_factors(cases: pd.DataFrame) -> None:
    claim = Hypothesis(better="north", worse="south", statement="North does better.",
                       factors=("partnerships",))
    table = check_hypothesis(cases, claim, quotes=0)
    assert table["factor"].astype(str).tolist() == ["partnerships"]
    assert table["verdict"].tolist() == ["supports"]
    # factors "all" (an empty tuple) -> factors_all
    every = Hypothesis(better="south", worse="north")
    flipped = check_hypothesis(cases, every, factors_all=FACTORS, quotes=0).set_index("factor")
    assert flipped.loc["officer_role", "verdict"] == "supports"  # south better: +1 vs -1
    assert flipped.loc["partnerships", "verdict"] == "contradicts"
    pd.testing.assert_frame_equal(
        check_hypothesis(cases, every, factors_all=FACTORS),
        thesis_comparison(cases, a="south", b="north", factors=FACTORS))


def test_check_hypothesis_errors(cases: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=r"The 'hypothesis' parameter of check_hypothesis "
                                             r"must be a uppks_qual\.manifest\.Hypothesis\. "
                                             r"Got \('north', 'south'\) instead\."):
        check_hypothesis(cases, ("north", "south"))  # type: ignore[arg-type]
    claim = Hypothesis(better="north", worse="south")
    with pytest.raises(ParameterError, match=r"The options of check_hypothesis .*come from "
                                             r"the hypothesis\. Got 'a', 'factors' instead"):
        check_hypothesis(cases, claim, a="south", factors=["leadership"])
    with pytest.raises(ParameterError, match=r"The 'confidence' parameter of thesis_comparison"):
        check_hypothesis(cases, claim, confidence=95)


# --------------------------------------------------------------------------------------
# hypothesis_sensitivity
# --------------------------------------------------------------------------------------


def test_sensitivity_grid_by_hand(cases: pd.DataFrame) -> None:
    grid = hypothesis_sensitivity(cases, **AB, factors=FACTORS)
    # 4 factors x 2 kinds of case x 3 min_valenced x 3 confidence levels
    assert grid.shape == (4 * 2 * 3 * 3, 8)
    assert list(grid.columns) == list(SENSITIVITY_COLUMNS)
    # every informant has an interview of their own here: persons and documents agree
    by = grid.set_index(["factor", "case", "min_valenced", "confidence"])["verdict"]
    assert by.xs("informant", level="case").equals(by.xs("doc_id", level="case"))
    part = grid[grid["factor"] == "partnerships"].set_index(
        ["case", "min_valenced", "confidence"])
    # partnerships at min_valenced=1: [2, 2] at every level -> supports; at 2, only N1 has
    # two valenced codings and no south case has -> insufficient evidence
    assert set(part.xs(1, level="min_valenced")["verdict"]) == {"supports"}
    assert set(part.xs(1, level="min_valenced")["ci_low"]) == {2.0}
    assert set(part.xs(2, level="min_valenced")["verdict"]) == {"insufficient evidence"}
    lead = grid[grid["factor"] == "leadership"].set_index(["case", "min_valenced", "confidence"])
    # leadership: every case has >= 2 valenced codings (N2 and S1-S4 exactly 2) -> the same
    # cases at 1 and 2; at 3 only N1, N3, N4 in north and none in south remain
    assert set(lead.xs(2, level="min_valenced")["verdict"]) == {"inconclusive"}
    assert set(lead.xs(3, level="min_valenced")["verdict"]) == {"insufficient evidence"}


def test_sensitivity_matches_the_single_run(cases: pd.DataFrame) -> None:
    grid = hypothesis_sensitivity(cases, **AB, factors=FACTORS, n_resamples=999)
    single = thesis_comparison(cases, **AB, factors=FACTORS, n_resamples=999,
                               quotes=0).set_index("factor")
    row = grid[(grid["confidence"] == 0.95) & (grid["min_valenced"] == 1)
               & (grid["case"] == "informant")].set_index("factor")
    cols = ["difference", "ci_low", "ci_high", "verdict"]
    pd.testing.assert_frame_equal(row[cols], single[cols], check_names=False)
    # the same resamples at every level: the intervals are nested
    lead = grid[(grid["factor"] == "leadership") & (grid["case"] == "informant")
                & (grid["min_valenced"] == 1)].sort_values("confidence")
    assert lead["ci_low"].is_monotonic_decreasing and lead["ci_high"].is_monotonic_increasing


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"confidences": (0.9, 1.5)}, r"The 'confidences' parameter of hypothesis_sensitivity must "
                                  r"be a float in the range \(0, 1\)\. Got 1\.5 instead\."),
    ({"min_valenced": (0,)}, r"The 'min_valenced' parameter .* \[1, inf\)\. Got 0 instead"),
    ({"cases": "doc_id"}, r"The 'cases' parameter of hypothesis_sensitivity must be a list or "
                          r"tuple\. Got 'doc_id' instead\."),
    ({"cases": ("informant", "who")}, r"The 'case' parameter of hypothesis_sensitivity must be "
                                      r"a column that names the case.*Got 'who' instead"),
    ({"n_resamples": 0}, r"The 'n_resamples' parameter of hypothesis_sensitivity"),
    ({"b": "north"}, r"The 'b' parameter of hypothesis_sensitivity"),
])
def test_sensitivity_errors(cases: pd.DataFrame, kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern):
        hypothesis_sensitivity(cases, **{**AB, **kwargs})


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"confidence": 1.0}, r"The 'confidence' parameter of thesis_comparison must be a float in "
                          r"the range \(0, 1\)\. Got 1\.0 instead\."),
    ({"n_resamples": 0}, r"The 'n_resamples' parameter of thesis_comparison must be an int in "
                         r"the range \[1, inf\)\. Got 0 instead\."),
    ({"seed": -1}, r"The 'seed' parameter of thesis_comparison"),
    ({"min_cases": 0}, r"The 'min_cases' parameter of thesis_comparison"),
    ({"quotes": -1}, r"The 'quotes' parameter of thesis_comparison"),
    ({"case": "who"}, r"The 'case' parameter of thesis_comparison must be a column that names "
                      r"the case, one of \{'informant', 'case', 'speaker', 'group', .*\}\. "
                      r"Got 'who' instead\."),
    ({"working": 0.1, "lacking": 0.3}, r"The 'lacking' parameter of thesis_comparison must be "
                                       r"lower than 'working'"),
])
def test_thesis_errors(cases: pd.DataFrame, kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern):
        thesis_comparison(cases, **AB, **kwargs)


@pytest.mark.parametrize("call", [
    lambda df: check_hypothesis(df, Hypothesis(better="north", worse="south")),
    lambda df: hypothesis_sensitivity(df, **AB),
    lambda df: disconfirming(df, "leadership", "north"),
])
def test_every_new_function_validates_its_input(call: Any, cases: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="missing column"):
        call(cases.drop(columns="valence"))


def test_exported() -> None:
    for name in ("check_hypothesis", "hypothesis_sensitivity", "disconfirming"):
        assert name in uq.__all__ and name in uq.analysis.__all__
        assert getattr(uq, name) is getattr(uq.analysis, name)
        assert getattr(uq, name).__module__ == "uppks_qual.analysis"


# --------------------------------------------------------------------------------------
# Quotes: typical and disconfirming
# --------------------------------------------------------------------------------------

LONGISH = "Ibu ketua selalu datang ke rapat dan mengingatkan setoran kami. {}"  # 66 chars + 1


def quote_rows() -> list[dict[str, Any]]:
    """One north cell (leadership) with cases A-E leaning positive and F negative.

    A: three positive codings: auto 0.7, auto 0.9, manual (counts as 1.0) -> the manual one
    D: observation note, manual; E: document note, manual (both 1.0, after interview speech)
    B: auto 0.95; C: auto 0.8; F: negative, auto 0.6
    """
    base = {"group": "north", "code_id": "leadership", "start": 0, "end": 10, "coder": "auto",
            "origin": "auto", "informant_role": "member", "source_type": "interview"}
    return [
        {**base, "informant": "A", "doc_id": "int-a", "valence": "positive",
         "confidence": 0.7, "text": LONGISH.format("a1")},
        {**base, "informant": "A", "doc_id": "int-a", "valence": "positive",
         "confidence": 0.9, "text": LONGISH.format("a2")},
        {**base, "informant": "A", "doc_id": "int-a", "valence": "positive", "origin": "manual",
         "coder": "ana", "text": LONGISH.format("a3")},
        {**base, "informant": "B", "doc_id": "int-b", "valence": "positive",
         "confidence": 0.95, "text": LONGISH.format("b")},
        {**base, "informant": "C", "doc_id": "int-c", "valence": "positive",
         "confidence": 0.8, "text": LONGISH.format("c")},
        {**base, "informant": "Peneliti", "informant_role": "researcher", "doc_id": "obs-d",
         "source_type": "observation", "valence": "positive", "origin": "manual",
         "coder": "ana", "text": LONGISH.format("d")},
        {**base, "informant": "Peneliti", "informant_role": "researcher", "doc_id": "doc-e",
         "source_type": "document", "valence": "positive", "origin": "manual", "coder": "ana",
         "text": LONGISH.format("e")},
        {**base, "informant": "F", "doc_id": "int-f", "valence": "negative",
         "confidence": 0.6, "text": "Ketua jarang datang, rapat sering batal tanpa kabar."},
    ]


def texts(quotes: tuple[str, ...]) -> list[str]:
    return [q.split('"')[1] for q in quotes]


def test_typical_quotes_one_per_case_most_confident_first() -> None:
    df = codings_frame(quote_rows())
    row = framework_matrix(df, quotes=10).iloc[0]
    # cases: A, B, C, F (persons) and obs-d, doc-e (documents); 6 cases, 5 lean positive
    assert row[["cases", "n", "positive", "negative"]].tolist() == [6, 6, 5, 1]
    assert row["majority"] == "positive"
    assert texts(row["quotes"]) == [LONGISH.format(x) for x in ("a3", "d", "e", "b", "c")]
    assert row["quotes"][0] == f'"{LONGISH.format("a3")}" (A, member, int-a)'
    assert row["quotes"][1] == f'"{LONGISH.format("d")}" (Peneliti, researcher, obs-d)'
    assert row["disconfirming"] == (
        '"Ketua jarang datang, rapat sering batal tanpa kabar." (F, member, int-f)',)
    assert len(framework_matrix(df, quotes=2).iloc[0]["quotes"]) == 2


def test_majority_is_by_cases_not_codings() -> None:
    # A and B say one good thing each; C complains five times: 2 cases of 3 lean positive
    rows = (said("north", "A", "leadership", "positive")
            + said("north", "B", "leadership", "positive")
            + said("north", "C", "leadership", "negative", 5))
    df = frame(rows)
    by_case = framework_matrix(df, quotes=2)
    by_coding = framework_matrix(df, quotes=2, unit="coding")
    lead = by_case[(by_case["factor"] == "leadership") & (by_case["group"] == "north")].iloc[0]
    assert lead["majority"] == "positive"
    assert texts(lead["quotes"]) == ["A on leadership, positive 0.", "B on leadership, positive 0."]
    # one disconfirming quote per case: C's best (lowest coding_id) of its five
    assert texts(lead["disconfirming"]) == ["C on leadership, negative 0."]
    coded = by_coding[(by_coding["factor"] == "leadership")
                      & (by_coding["group"] == "north")].iloc[0]
    assert coded["majority"] == "negative"  # 5 codings against 2
    assert coded["quotes"] == lead["quotes"]  # the quote rule is the same in both units
    # disconfirming() lists every disconfirming coding, all five of C's
    every = disconfirming(df, "leadership", "north")
    assert len(every) == 5 and set(every["informant"]) == {"C"}
    assert list(every.columns[:6]) == ["informant", "informant_role", "doc_id", "valence",
                                       "text", "coding_id"]
    assert every["coding_id"].tolist() == sorted(every["coding_id"])  # all tie: by id


def test_code_level_cells_exclude_parent_only_codings() -> None:
    rows = (said("north", "P", "leadership", "positive")  # the parent code only
            + said("north", "Q", "leadership.meetings", "positive"))
    df = frame(rows)
    codes = framework_matrix(df, rows="code", quotes=2).set_index(["code", "group"])
    child = codes.loc[("leadership.meetings", "north")]
    assert texts(child["quotes"]) == ["Q on leadership.meetings, positive 0."]
    assert child[["cases", "n"]].tolist() == [2, 1]  # P is a case of north, not of this code
    assert texts(codes.loc[("leadership", "north"), "quotes"]) == [
        "P on leadership, positive 0."]
    factor = framework_matrix(df, quotes=2).set_index(["factor", "group"])
    assert len(factor.loc[("leadership", "north"), "quotes"]) == 2  # any code of the factor
    assert disconfirming(df, "leadership.meetings", "north", level="code").empty


def test_tied_or_neutral_majority_has_nothing_to_disconfirm() -> None:
    tied = frame(said("north", "A", "leadership", "positive")
                 + said("north", "B", "leadership", "negative"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        row = framework_matrix(tied, quotes=2).iloc[0]
    assert row["majority"] is None and len(row["quotes"]) == 2 and row["disconfirming"] == ()
    assert disconfirming(tied, "leadership", "north").empty
    neutral = frame(said("north", "A", "leadership", "neutral")
                    + said("north", "B", "leadership", "neutral")
                    + said("north", "C", "leadership", "positive"))
    row = framework_matrix(neutral, quotes=2).iloc[0]
    assert row["majority"] == "neutral" and row["disconfirming"] == ()
    assert texts(row["quotes"]) == ["A on leadership, neutral 0.", "B on leadership, neutral 0."]


def test_disconfirming_errors(cases: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=r"The 'code' parameter of disconfirming must be a "
                                             r"factor of the codings frame, one of "
                                             r"\{'leadership', .*\}\. Got 'welfare' instead\."):
        disconfirming(cases, "welfare", "north")
    with pytest.raises(ParameterError, match=r"The 'group' parameter of disconfirming must be a "
                                             r"value of the 'group' column.*Got 'west' instead"):
        disconfirming(cases, "leadership", "west")
    with pytest.raises(ParameterError, match=r"The 'level' parameter of disconfirming"):
        disconfirming(cases, "leadership", "north", level="segment")
    with pytest.raises(ParameterError, match=r"The 'by' parameter of disconfirming"):
        disconfirming(cases, "leadership", "north", by="text")


CASES = ["A", "B", "C", "D"]
VALENCE = ["positive", "negative", "neutral"]


def lean(valences: list[str]) -> str:
    """Worked out independently of the package: more positive -> positive, etc."""
    pos, neg = valences.count("positive"), valences.count("negative")
    return "positive" if pos > neg else "negative" if neg > pos else "neutral"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CASES), st.sampled_from(VALENCE),
                          st.integers(0, 3)), min_size=1, max_size=12))
def test_a_disconfirming_quote_appears_whenever_one_exists(
        drawn: list[tuple[str, str, int]]) -> None:
    rows = [{"group": "north", "informant": who, "doc_id": f"int-{who}", "start": i,
             "end": i + 1, "code_id": "leadership", "valence": v,
             "text": f"passage {k} of {who}"} for i, (who, v, k) in enumerate(drawn)]
    df = codings_frame(rows)
    by_case: dict[str, list[str]] = {}
    for who, v, _ in drawn:
        by_case.setdefault(who, []).append(v)
    counts = Counter(lean(v) for v in by_case.values()).most_common()
    top = [v for v, c in counts if c == counts[0][1]]
    majority = top[0] if len(top) == 1 else None
    against = {"positive": "negative", "negative": "positive"}.get(majority or "")
    expected = [(who, k) for who, v, k in drawn if v == against]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        row = framework_matrix(df, quotes=1).iloc[0]
    assert row["majority"] == majority
    assert len(row["disconfirming"]) == (1 if expected else 0)
    if expected:
        assert texts(row["disconfirming"])[0] in {f"passage {k} of {w}" for w, k in expected}
    every = disconfirming(df, "leadership", "north")
    assert len(every) == len(expected)
    assert set(every["valence"]) <= {against}
    # typical quotes: at most one per case, of the majority valence when there is one
    quoted = framework_matrix(df, quotes=4).iloc[0]["quotes"]
    speakers = [q.rsplit("(", 1)[1] for q in quoted]
    assert len(speakers) == len(set(speakers))
    if majority is not None:
        # codings of the majority valence; all of them when there is none (a neutral majority
        # of cases that balance, without a neutral coding)
        allowed = {f"passage {k} of {w}" for w, v, k in drawn if v == majority} or {
            f"passage {k} of {w}" for w, _, k in drawn}
        assert set(texts(quoted)) <= allowed
