"""Group comparison with cases as the unit: :func:`compare_groups` (``unit="case"``),
:func:`pairwise_comparisons`, :func:`case_matrix` and the resampling primitives of
:mod:`uppks_qual.analysis._cases`.

Every statistic is checked against a reference: the permutation p against
:func:`scipy.stats.permutation_test` and a value worked by hand; the bootstrap interval against
:func:`scipy.stats.bootstrap` (percentile) and a degenerate case by hand; Fisher's test on cases
against :func:`scipy.stats.fisher_exact`; Benjamini-Hochberg against
:func:`scipy.stats.false_discovery_control`; the GEE columns against statsmodels fitted directly
and, with clusters of one coding, against the odds ratio of the pooled 2x2 table.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import uppks_qual as uq
from uppks_qual import analysis
from uppks_qual.analysis import (
    case_matrix,
    compare_coding_rates,
    compare_groups,
    pairwise_comparisons,
)
from uppks_qual.analysis._cases import bootstrap_interval, permutation_p
from uppks_qual.errors import ParameterError
from uppks_qual.schema import codings_frame

FAST = settings(max_examples=60, deadline=None)
VALENCE = {"+": "positive", "-": "negative", "0": "neutral"}
CASE_COLUMNS = [
    "factor", "group_a", "group_b", "cases_a", "cases_b", "mentioning_a", "mentioning_b",
    "share_a", "share_b", "share_difference", "share_ci_low", "share_ci_high", "share_p",
    "share_p_adjusted", "valenced_a", "valenced_b", "balance_a", "balance_b", "difference",
    "ci_low", "ci_high", "p_value", "exact", "p_adjusted", "significant", "summary"]
GEE_COLUMNS = ["gee_odds_ratio", "gee_ci_low", "gee_ci_high", "gee_p"]


def said(*lines: tuple[str, str, str, str], **attributes: dict[str, Any]) -> pd.DataFrame:
    """A codings frame from ``(group, informant, code, valences)`` lines: one interview coding
    per character of ``valences`` ("+" positive, "-" negative, "0" neutral), each informant in
    a document of its own; ``attributes[informant]`` adds columns to that informant's rows."""
    rows = [{"doc_id": f"doc-{who}", "group": group, "informant": who, "start": 10 * i,
             "end": 10 * i + 5, "code_id": code, "valence": VALENCE[v], "coder": "c1",
             **attributes.get(who, {})}
            for group, who, code, valences in lines for i, v in enumerate(valences)]
    return codings_frame(rows)


def abs_mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.abs(np.mean(x, axis=axis) - np.mean(y, axis=axis))


def scipy_exact_p(x: list[float], y: list[float]) -> float:
    result = stats.permutation_test((x, y), abs_mean_difference, permutation_type="independent",
                                    alternative="greater", n_resamples=np.inf, vectorized=True)
    return float(result.pvalue)


def brute_force_p(x: list[float], y: list[float]) -> float:
    """Share of all splits of the pooled values into len(x) and len(y) whose |mean difference|
    is at least the observed one (written out independently of the package)."""
    pooled = [*x, *y]
    observed = abs(sum(x) / len(x) - sum(y) / len(y))
    splits = list(itertools.combinations(range(len(pooled)), len(x)))
    hits = 0
    for chosen in splits:
        a = [pooled[i] for i in chosen]
        b = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        hits += abs(sum(a) / len(a) - sum(b) / len(b)) >= observed - 1e-9
    return hits / len(splits)


# --------------------------------------------------------------------------------------
# The permutation test
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "y"), [
    ([1.0, 1.0, 0.0], [-1.0, 0.0]),
    ([0.5, 1.0, -1.0, 1.0], [-1.0, -0.5, 0.0, -1.0, 1 / 3]),
    ([1.0, 1.0, 1.0], [1.0, 1.0]),
    ([0.2, 0.7], [0.1, -0.3, 0.9, 0.4, -1.0, 0.0]),
    ([0.3, -0.1, 0.8, 0.5, 0.9, -0.7], [0.0, -0.4, -0.9, 0.2, -0.6, -0.2, 0.1]),
])
def test_exact_permutation_p_equals_scipy(x: list[float], y: list[float]) -> None:
    p, exact = permutation_p(x, y, rng=np.random.default_rng(0))
    assert exact
    assert p == pytest.approx(scipy_exact_p(x, y), rel=1e-12)


def test_permutation_p_worked_by_hand_on_a_frame() -> None:
    # Case balances: north A1 (++) 1, A2 (+) 1, A3 (+-) 0; south B1 (-) -1, B2 (+-) 0, and
    # B3 only neutral (no balance: not in the test). Means 2/3 and -1/2, difference 7/6.
    # Pooled {1, 1, 0, -1, 0}, sum 1: a split giving south the pair of sum s has difference
    # (1 - s) / 3 - s / 2 = 1/3 - 5s/6, at least 7/6 in size when s <= -1 or s >= 9/5.
    # The 10 pairs have sums 2 (1+1), 1 (x4: 1+0), 0 (x2: 1-1, 0+0), -1 (x2: 0-1) ... in full:
    # {1,1}=2, {1,0}x4=1, {1,-1}x2=0, {0,0}=0, {0,-1}x2=-1 -> 1 + 2 = 3 extreme splits: 3/10.
    df = said(("north", "A1", "leadership", "++"), ("north", "A2", "leadership", "+"),
              ("north", "A3", "leadership", "+-"), ("south", "B1", "leadership", "-"),
              ("south", "B2", "leadership", "+-"), ("south", "B3", "leadership", "00"))
    row = compare_groups(df, "north", "south", min_count=0).iloc[0]
    assert (row["valenced_a"], row["valenced_b"]) == (3, 2)
    assert row["balance_a"] == pytest.approx(2 / 3)
    assert row["balance_b"] == pytest.approx(-1 / 2)
    assert row["difference"] == pytest.approx(7 / 6)
    assert row["p_value"] == pytest.approx(3 / 10)
    assert row["exact"]
    assert row["p_value"] == pytest.approx(scipy_exact_p([1, 1, 0], [-1, 0]))


def test_monte_carlo_permutation_p_is_close_to_the_exact_value() -> None:
    rng = np.random.default_rng(42)
    x = rng.normal(0.4, 1, 8).round(2).tolist()
    y = rng.normal(0.0, 1, 8).round(2).tolist()
    # C(16, 8) = 12870 relabellings: more than 9999, so sampled; 20000 enumerates them all
    exact, is_exact = permutation_p(x, y, rng=np.random.default_rng(0), n_resamples=20000)
    sampled, sampled_exact = permutation_p(x, y, rng=np.random.default_rng(0))
    assert is_exact and not sampled_exact
    assert exact == pytest.approx(scipy_exact_p(x, y))
    se = math.sqrt(exact * (1 - exact) / 9999)
    assert abs(sampled - exact) < 4 * se + 1 / 9999


def test_monte_carlo_p_is_never_zero() -> None:
    # 8 vs 8 values with no overlap: only the observed split and its mirror are as extreme
    # (2 of 12870); with 9 resamples p = (1 + hits) / (1 + 9) >= 0.1
    p, exact = permutation_p([1.0] * 8, [0.0] * 8, rng=np.random.default_rng(0), n_resamples=9)
    assert not exact and 0.1 <= p <= 1


values = st.lists(st.sampled_from([-1.0, -0.5, 0.0, 1 / 3, 0.5, 1.0]), min_size=1, max_size=5)


@FAST
@given(values, values, st.integers(1, 300))
def test_permutation_p_properties(x: list[float], y: list[float], n_resamples: int) -> None:
    p, exact = permutation_p(x, y, rng=np.random.default_rng(0), n_resamples=n_resamples)
    assert 0 < p <= 1
    assert exact == (math.comb(len(x) + len(y), len(x)) <= n_resamples)
    if exact:
        assert p == pytest.approx(brute_force_p(x, y))
    else:
        assert p >= 1 / (1 + n_resamples)
    full, _ = permutation_p(x, y, rng=np.random.default_rng(0), n_resamples=10**6)
    assert full == pytest.approx(brute_force_p(x, y))


# --------------------------------------------------------------------------------------
# The bootstrap interval
# --------------------------------------------------------------------------------------


def test_bootstrap_interval_matches_scipy_percentile() -> None:
    x = [1.0, 0.5, 1.0, -1.0, 0.0, 1.0, 1 / 3, 1.0, -0.5, 1.0, 0.8, 0.0]
    y = [-1.0, 0.0, -0.5, 1.0, -1.0, -1.0, 0.2, -0.6, 0.0, -1.0]
    ours = bootstrap_interval(x, y, rng=np.random.default_rng(0), n_resamples=9999)
    reference = stats.bootstrap(
        (x, y), lambda a, b, axis=-1: np.mean(a, axis=axis) - np.mean(b, axis=axis),
        method="percentile", n_resamples=9999, confidence_level=0.95,
        rng=np.random.default_rng(1)).confidence_interval
    # two Monte-Carlo estimates of the same quantiles: the difference has sd 0.33, and a
    # 2.5% quantile from 9999 resamples has a Monte-Carlo error of about 0.01
    assert ours[0] == pytest.approx(reference.low, abs=0.04)
    assert ours[1] == pytest.approx(reference.high, abs=0.04)


def test_bootstrap_interval_degenerate_cases_by_hand() -> None:
    rng = np.random.default_rng(0)
    # every case of a says 1, every case of b 0: every resample differs by exactly 1
    assert bootstrap_interval([1.0, 1.0, 1.0], [0.0, 0.0], rng=rng) == (1.0, 1.0)
    # a = [0, 1]: resampled means 0, 0.5, 1 with chances 1/4, 1/2, 1/4; b = [0] always:
    # the 2.5% and 97.5% quantiles of the differences are 0 and 1
    assert bootstrap_interval([0.0, 1.0], [0.0], rng=rng) == (0.0, 1.0)
    assert all(math.isnan(v) for v in bootstrap_interval([], [1.0], rng=rng))


# --------------------------------------------------------------------------------------
# compare_groups, unit="case"
# --------------------------------------------------------------------------------------


@pytest.fixture
def study() -> pd.DataFrame:
    """Two groups of informants, three factors; A3 and B4 never mention partnerships, and
    officer_role is only neutral in south."""
    return said(
        ("north", "A1", "leadership", "+++-"), ("north", "A1", "partnerships", "+"),
        ("north", "A2", "leadership", "+"), ("north", "A2", "partnerships", "+-"),
        ("north", "A3", "leadership", "+-0"), ("north", "A3", "officer_role", "-"),
        ("north", "A4", "leadership", "++"), ("north", "A4", "partnerships", "-"),
        ("north", "A5", "officer_role", "+"),
        ("south", "B1", "leadership", "--"), ("south", "B1", "partnerships", "+"),
        ("south", "B2", "leadership", "-+"), ("south", "B2", "officer_role", "0"),
        ("south", "B3", "leadership", "-"), ("south", "B3", "partnerships", "--+"),
        ("south", "B4", "leadership", "0"), ("south", "B4", "officer_role", "00"),
    )


def test_columns_and_counts(study: pd.DataFrame) -> None:
    result = compare_groups(study, "north", "south", min_count=0)
    assert list(result.columns) == CASE_COLUMNS
    lead = result.set_index("factor").loc["leadership"]
    # north has 5 cases (A5 never mentions leadership), south 4; balances north A1 0.5,
    # A2 1, A3 0, A4 1 -> mean 0.625; south B1 -1, B2 0, B3 -1 (B4 only neutral) -> -2/3
    assert lead[["cases_a", "cases_b", "mentioning_a", "mentioning_b"]].tolist() == [5, 4, 4, 4]
    assert lead[["valenced_a", "valenced_b"]].tolist() == [4, 3]
    assert lead["share_a"] == pytest.approx(4 / 5) and lead["share_b"] == pytest.approx(1.0)
    assert lead["balance_a"] == pytest.approx(0.625)
    assert lead["balance_b"] == pytest.approx(-2 / 3)
    assert lead["difference"] == pytest.approx(0.625 + 2 / 3)
    assert lead["p_value"] == pytest.approx(scipy_exact_p([0.5, 1, 0, 1], [-1, 0, -1]))
    assert lead["summary"].startswith("leadership: mean case balance +0.62 in north vs -0.67 "
                                      "in south (difference +1.29, 95% CI ")
    assert lead["summary"].endswith("; 4 of 5 vs 4 of 4 cases mention it")
    assert result["factor"].astype(str).tolist() == ["leadership", "partnerships",
                                                     "officer_role"]


def test_fisher_on_cases_matches_scipy(study: pd.DataFrame) -> None:
    result = compare_groups(study, "north", "south", min_count=0).set_index("factor")
    for factor, row in result.iterrows():
        table = [[row["mentioning_a"], row["cases_a"] - row["mentioning_a"]],
                 [row["mentioning_b"], row["cases_b"] - row["mentioning_b"]]]
        assert row["share_p"] == pytest.approx(stats.fisher_exact(table)[1]), factor
    # partnerships: 3 of 5 in north, 2 of 4 in south
    assert result.loc["partnerships", ["mentioning_a", "mentioning_b"]].tolist() == [3, 2]


def test_bh_matches_scipy_false_discovery_control(study: pd.DataFrame) -> None:
    result = compare_groups(study, "north", "south", min_count=0)
    np.testing.assert_allclose(result["share_p_adjusted"],
                               stats.false_discovery_control(result["share_p"], method="bh"))
    # officer_role has no valenced case in south: its p is nan and left out of BH
    defined = result["p_value"].notna()
    assert defined.tolist() == [True, True, False]
    np.testing.assert_allclose(result.loc[defined, "p_adjusted"],
                               stats.false_discovery_control(result.loc[defined, "p_value"]))
    assert result["significant"].tolist() == (result["p_adjusted"] < 0.05).tolist()


def test_no_valenced_case_gives_nan_without_warnings(study: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare_groups(study, "north", "south", min_count=0)
    officer = result.set_index("factor").loc["officer_role"]
    assert officer["valenced_b"] == 0 and officer["mentioning_b"] == 2
    for column in ("balance_b", "difference", "ci_low", "ci_high", "p_value", "p_adjusted"):
        assert math.isnan(officer[column]), column
    assert officer["balance_a"] == pytest.approx(0.0)  # A3 -1, A5 +1
    assert not officer["exact"] and not officer["significant"]
    assert "no case in south has a positive or negative coding" in officer["summary"]


def test_min_count_warns_once_about_thin_balances(study: pd.DataFrame) -> None:
    with pytest.warns(UserWarning, match=r"mean case balance\(s\) rest on fewer than "
                                         r"min_count=3 cases .*officer_role in south: 0") as seen:
        compare_groups(study, "north", "south", min_count=3)
    assert len([w for w in seen if issubclass(w.category, UserWarning)]) == 1


def test_a_talkative_case_weighs_as_much_as_a_quiet_one() -> None:
    def frame(times: int) -> pd.DataFrame:
        return said(("north", "A1", "leadership", "+" * times),
                    ("north", "A2", "leadership", "-"), ("north", "A3", "leadership", "+-"),
                    ("south", "B1", "leadership", "-"), ("south", "B2", "leadership", "--"),
                    ("south", "B3", "leadership", "+"))

    once = compare_groups(frame(1), "north", "south", min_count=0)
    fifty = compare_groups(frame(50), "north", "south", min_count=0)
    pd.testing.assert_frame_equal(once, fifty)
    # the coding-level table does see the 50 codings
    rates = compare_coding_rates(frame(50), "north", "south", min_count=0)
    assert rates.loc[0, "count_a"] == 50 + 1 + 2


def test_unit_coding_is_compare_coding_rates(study: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        via_unit = compare_groups(study, "north", "south", unit="coding")
        direct = compare_coding_rates(study, "north", "south")
        pairwise = pairwise_comparisons(study, unit="coding")
    pd.testing.assert_frame_equal(via_unit, direct)
    pd.testing.assert_frame_equal(pairwise, direct)  # two groups: one pair, the same table


def test_seeds_are_reproducible(study: pd.DataFrame) -> None:
    first = compare_groups(study, "north", "south", min_count=0, seed=7)
    again = compare_groups(study, "north", "south", min_count=0, seed=7)
    pd.testing.assert_frame_equal(first, again)
    # another seed draws other resamples: with 49 of them the interval bounds move
    bounds = ["share_ci_low", "share_ci_high", "ci_low", "ci_high"]
    few = [compare_groups(study, "north", "south", min_count=0, n_resamples=49, seed=seed)
           for seed in (7, 8)]
    assert not few[0][bounds].equals(few[1][bounds])
    # Monte-Carlo p-values too: 3 relabellings at most enumerated, so sampled
    mc = compare_groups(study, "north", "south", min_count=0, n_resamples=3, seed=7)
    assert not mc["exact"].any()
    pd.testing.assert_frame_equal(
        mc, compare_groups(study, "north", "south", min_count=0, n_resamples=3, seed=7))


def test_case_can_be_a_document_or_an_attribute() -> None:
    # two informants share the document of north, so by document north has 1 case
    df = said(("north", "A1", "leadership", "+"), ("north", "A2", "leadership", "+"),
              ("south", "B1", "leadership", "-"), ("south", "B2", "leadership", "-+"),
              A1={"doc_id": "n", "household": "h1"}, A2={"doc_id": "n", "household": "h1"},
              B1={"doc_id": "s1", "household": "h2"}, B2={"doc_id": "s2", "household": "h3"})
    by_doc = compare_groups(df, "north", "south", case="doc_id", min_count=0).iloc[0]
    assert (by_doc["cases_a"], by_doc["cases_b"]) == (1, 2)
    # s1 -1, s2 0 -> -0.5
    assert by_doc["balance_b"] == pytest.approx(-0.5)
    by_household = compare_groups(df, "north", "south", case="household", min_count=0)
    assert by_household.loc[0, ["cases_a", "cases_b"]].tolist() == [1, 2]


def test_parameter_errors(study: pd.DataFrame) -> None:
    def call(**kwargs: Any) -> pd.DataFrame:
        return compare_groups(study, "north", "south", **kwargs)

    bad = [
        ({"unit": "word"}, r"The 'unit' parameter of compare_groups must be one of "
                           r"\{'case', 'coding'\}\. Got 'word' instead\."),
        ({"case": "person"}, r"The 'case' parameter of compare_groups must be 'informant' .*"
                             r"one of \{'informant', 'case', 'group', .*\}\. Got 'person'"),
        ({"case": "group"}, r"The 'case' parameter of compare_groups must be a column other "
                            r"than by='group'"),
        ({"confidence": 1.0}, r"The 'confidence' parameter of compare_groups must be a float "
                              r"in the range \(0, 1\)\. Got 1\.0 instead\."),
        ({"n_resamples": 0}, r"The 'n_resamples' parameter .* an int in the range \[1, inf\)"),
        ({"seed": -1}, r"The 'seed' parameter of compare_groups must be an int in the range "
                       r"\[0, inf\) or None\. Got -1 instead\."),
        ({"model": "glm"}, r"The 'model' parameter of compare_groups must be one of "
                           r"\{'gee'\} or None\. Got 'glm' instead\."),
        ({"documents": pd.DataFrame({"doc_id": ["d"], "n_words": [1]})},
         r"The 'documents' parameter of compare_groups must be None with unit='case'"),
        ({"unit": "coding", "model": "gee"},
         r"The 'model' parameter of compare_groups must be None with unit='coding'"),
    ]
    for kwargs, message in bad:
        with pytest.raises(ParameterError, match=message):
            call(**kwargs)
    with pytest.raises(ParameterError, match=r"The 'b' parameter of compare_groups must be a "
                                             r"value of the 'group' column other than"):
        compare_groups(study, "north", "north")
    no_case = study.assign(village="")
    with pytest.raises(ParameterError, match=r"The 'a' parameter of compare_groups must be a "
                                             r"value of 'group' with cases to compare\. Got "
                                             r"'north', which has no codings with a value of "
                                             r"'village', instead\."):
        compare_groups(no_case, "north", "south", case="village")


# --------------------------------------------------------------------------------------
# GEE
# --------------------------------------------------------------------------------------


def test_gee_matches_statsmodels_fitted_directly(study: pd.DataFrame) -> None:
    result = compare_groups(study, "north", "south", model="gee", min_count=0)
    assert list(result.columns) == CASE_COLUMNS + GEE_COLUMNS
    lead = result.set_index("factor").loc["leadership"]
    coded = study[(study["factor"] == "leadership")
                  & study["valence"].isin(["positive", "negative"])]
    data = pd.DataFrame({"y": (coded["valence"] == "positive").astype(int).to_numpy(),
                         "north": (coded["group"] == "north").astype(int).to_numpy(),
                         "case": coded["case"].astype(str).to_numpy()})
    fit = smf.gee("y ~ north", groups="case", data=data, family=sm.families.Binomial(),
                  cov_struct=sm.cov_struct.Exchangeable()).fit()
    assert lead["gee_odds_ratio"] == pytest.approx(math.exp(fit.params["north"]), rel=1e-6)
    low, high = fit.conf_int(alpha=0.05).loc["north"]
    assert lead["gee_ci_low"] == pytest.approx(math.exp(low), rel=1e-6)
    assert lead["gee_ci_high"] == pytest.approx(math.exp(high), rel=1e-6)
    assert lead["gee_p"] == pytest.approx(fit.pvalues["north"], rel=1e-6)
    # partnerships: north A1 +, A2 +-, A4 -; south B1 +, B3 --+: both valences in both groups
    assert math.isfinite(result.set_index("factor").loc["partnerships", "gee_odds_ratio"])
    # officer_role has no valenced coding in south: nan
    assert math.isnan(result.set_index("factor").loc["officer_role", "gee_odds_ratio"])


def test_gee_with_one_coding_per_case_is_the_pooled_odds_ratio() -> None:
    # every case says one valenced thing: north 4 positive, 2 negative; south 2 positive,
    # 5 negative. Clusters of one: the exchangeable GEE is the independence model, a
    # logistic regression on one binary covariate, whose coefficient is the log odds ratio
    # of the 2x2 table: log((4 * 5) / (2 * 2)) = log 5
    lines = [("north", f"A{i}", "leadership", v) for i, v in enumerate("++++--")]
    lines += [("south", f"B{i}", "leadership", v) for i, v in enumerate("++-----")]
    result = compare_groups(said(*lines), "north", "south", model="gee", min_count=0)
    assert result.loc[0, "gee_odds_ratio"] == pytest.approx(5.0, rel=1e-6)
    y = np.array([1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0])
    x = np.array([1] * 6 + [0] * 7)
    independent = sm.GEE(y, sm.add_constant(x), groups=np.arange(13),
                         family=sm.families.Binomial(),
                         cov_struct=sm.cov_struct.Independence()).fit()
    assert math.log(result.loc[0, "gee_odds_ratio"]) == pytest.approx(independent.params[1])
    assert result.loc[0, "gee_p"] == pytest.approx(independent.pvalues[1], rel=1e-6)


def test_gee_is_nan_under_separation() -> None:
    # every valenced coding of north is positive: the odds ratio is infinite
    df = said(("north", "A1", "leadership", "++"), ("north", "A2", "leadership", "+"),
              ("south", "B1", "leadership", "+-"), ("south", "B2", "leadership", "-"))
    result = compare_groups(df, "north", "south", model="gee", min_count=0)
    assert result[GEE_COLUMNS].isna().all(axis=None)


# --------------------------------------------------------------------------------------
# pairwise_comparisons, unit="case"
# --------------------------------------------------------------------------------------


def test_pairwise_adjusts_over_every_pair_and_key(study: pd.DataFrame) -> None:
    three = pd.concat([study, said(("east", "C1", "leadership", "+-"),
                                   ("east", "C2", "leadership", "-"),
                                   ("east", "C3", "partnerships", "+"))])
    three = codings_frame(three.drop(columns="coding_id"))
    result = pairwise_comparisons(three, groups=["north", "south", "east"], min_count=0)
    assert list(result.columns) == CASE_COLUMNS
    pairs = result[["group_a", "group_b"]].drop_duplicates().to_numpy().tolist()
    assert pairs == [["north", "south"], ["north", "east"], ["south", "east"]]
    defined = result["p_value"].notna()
    np.testing.assert_allclose(result.loc[defined, "p_adjusted"],
                               stats.false_discovery_control(result.loc[defined, "p_value"]))
    np.testing.assert_allclose(result["share_p_adjusted"],
                               stats.false_discovery_control(result["share_p"]))
    # the unadjusted statistics of a pair are those of compare_groups on that pair
    single = compare_groups(three, "north", "south", min_count=0)
    same = result[(result["group_a"] == "north") & (result["group_b"] == "south")]
    np.testing.assert_allclose(same["p_value"], single["p_value"])  # exact: no randomness
    np.testing.assert_allclose(same["share_p"], single["share_p"])
    with pytest.raises(ParameterError, match=r"The 'documents' parameter of "
                                             r"pairwise_comparisons must be None"):
        pairwise_comparisons(three, documents=pd.DataFrame({"doc_id": [], "n_words": []}))


# --------------------------------------------------------------------------------------
# case_matrix
# --------------------------------------------------------------------------------------


def test_case_matrix_one_row_per_case_and_factor() -> None:
    df = said(("north", "A1", "leadership", "++-"), ("north", "A1", "partnerships", "0"),
              ("south", "B1", "leadership", "-"),
              A1={"informant_role": "chair", "household": "h1", "mood": "x"},
              B1={"informant_role": "member", "household": "h2", "mood": "y"})
    # A1 also speaks in a second document, in another mood: doc_id joined, mood left out
    extra = said(("north", "A1", "leadership", "+"),
                 A1={"doc_id": "doc-A1b", "informant_role": "chair", "household": "h1",
                     "mood": "z"})
    both = codings_frame(pd.concat([df, extra]).drop(columns="coding_id"))
    m = case_matrix(both)
    assert list(m.columns) == ["case", "group", "factor", "present", "positive", "negative",
                               "neutral", "codings", "balance", "informant_role",
                               "source_type", "doc_id", "household"]
    assert len(m) == 2 * 2  # two cases x two factors
    a1 = m[(m["case"] == "A1") & (m["factor"] == "leadership")].iloc[0]
    # A1: "++-" in one document and "+" in the other: 3 positive, 1 negative -> 2/4 = 0.5
    assert a1[["positive", "negative", "codings"]].tolist() == [3, 1, 4]
    assert a1["balance"] == pytest.approx(0.5)
    assert a1["doc_id"] == "doc-A1, doc-A1b"
    assert (a1["informant_role"], a1["household"]) == ("chair", "h1")
    b1 = m[(m["case"] == "B1") & (m["factor"] == "partnerships")].iloc[0]
    assert not b1["present"] and math.isnan(b1["balance"])
    by_doc = case_matrix(both, case="doc_id")
    assert "doc_id" not in by_doc.columns[3:] and set(by_doc["case"]) == {
        "doc-A1", "doc-A1b", "doc-B1"}
    with pytest.raises(ParameterError, match=r"The 'case' parameter of case_matrix"):
        case_matrix(both, case="nobody")
    with pytest.raises(ParameterError, match=r"The 'level' parameter of case_matrix"):
        case_matrix(both, level="word")


def test_public_names() -> None:
    for name in ("case_matrix", "compare_coding_rates"):
        assert name in uq.__all__ and name in analysis.__all__
        assert getattr(uq, name) is getattr(analysis, name)
        assert getattr(analysis, name).__module__ == "uppks_qual.analysis"
