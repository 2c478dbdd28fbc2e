"""Tests for :mod:`uppks_qual.agreement`: published reference values, then properties.

Reference values are checked to 3 decimals as published; property tests compare against
scikit-learn, statsmodels and the ``krippendorff`` package on random data.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from uppks_qual.agreement import (
    LEVELS,
    CharacterAgreement,
    KappaResult,
    character_agreement,
    cohen_kappa,
    cohen_kappa_ci,
    cohen_kappa_table,
    fleiss_kappa,
    holsti,
    krippendorff_alpha,
    percent_agreement,
)
from uppks_qual.errors import AgreementError, ParameterError, QualError

FAST = settings(max_examples=60, deadline=None)
N = None  # a missing value

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers x 12 units.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
KRIPPENDORFF_2011_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Wikipedia, "Krippendorff's alpha": 3 coders x 15 units.
WIKIPEDIA_ALPHA_DATA = [
    [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
    [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
    [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
]
WIKIPEDIA_ALPHA = {"nominal": 0.691, "interval": 0.811}

# Wikipedia, "Fleiss' kappa": 10 subjects x 5 categories, 14 raters each.
WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# SAS/STAT PROC FREQ "Agreement Study" (skin condition, two dermatologists, 88 patients).
SAS_SKIN = [[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]]


def _expand(table: Any) -> tuple[list[int], list[int]]:
    """Unit-level labels (coder 1, coder 2) behind a contingency table."""
    y1: list[int] = []
    y2: list[int] = []
    for (i, j), count in np.ndenumerate(np.asarray(table)):
        y1 += [i] * int(count)
        y2 += [j] * int(count)
    return y1, y2


def _as_float_matrix(data: list[list[Any]]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float)


def _quiet(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


# --------------------------------------------------------------------------------------
# Published reference values
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_krippendorff_2011_example(level: Any) -> None:
    expected = KRIPPENDORFF_2011_ALPHA[level]
    ours = krippendorff_alpha(KRIPPENDORFF_2011, level=level)
    package = krippendorff.alpha(
        reliability_data=_as_float_matrix(KRIPPENDORFF_2011), level_of_measurement=level
    )
    assert round(ours, 3) == expected
    assert round(package, 3) == expected  # the data are the published ones
    assert ours == pytest.approx(package, abs=1e-12)


@pytest.mark.parametrize("level", sorted(WIKIPEDIA_ALPHA))
def test_wikipedia_krippendorff_example(level: Any) -> None:
    expected = WIKIPEDIA_ALPHA[level]
    package = krippendorff.alpha(
        reliability_data=_as_float_matrix(WIKIPEDIA_ALPHA_DATA), level_of_measurement=level
    )
    assert round(krippendorff_alpha(WIKIPEDIA_ALPHA_DATA, level=level), 3) == expected
    assert round(package, 3) == expected


def test_krippendorff_nan_and_none_are_both_missing() -> None:
    as_nan = _as_float_matrix(KRIPPENDORFF_2011)
    assert krippendorff_alpha(as_nan) == krippendorff_alpha(KRIPPENDORFF_2011)


def test_artstein_poesio_two_by_two() -> None:
    # p_o = 0.70, p_e = 0.4 * 0.3 + 0.6 * 0.7 = 0.54, kappa = 0.16 / 0.46 = 0.3478
    table = [[20, 20], [10, 50]]
    assert round(cohen_kappa_table(table), 3) == 0.348
    assert cohen_kappa_table(table) == pytest.approx(0.16 / 0.46)
    assert cohen_kappa(*_expand(table)) == pytest.approx(cohen_kappa_table(table))


def test_wikipedia_fleiss_example() -> None:
    assert round(fleiss_kappa(WIKIPEDIA_FLEISS), 3) == 0.210


def test_sas_skin_condition_kappa_and_ase() -> None:
    # SAS prints: Simple Kappa 0.3449, ASE 0.0724, 95% limits 0.2030 and 0.4868.
    result = cohen_kappa_ci(*_expand(SAS_SKIN))
    reference = sm_cohens_kappa(np.asarray(SAS_SKIN))
    assert (round(result.kappa, 4), round(result.se, 4)) == (0.3449, 0.0724)
    assert (round(result.ci_low, 4), round(result.ci_high, 4)) == (0.2030, 0.4868)
    assert result.se == pytest.approx(reference.std_kappa, rel=1e-12)
    assert result.ci_low == pytest.approx(reference.kappa_low, rel=1e-9)
    assert result.ci_high == pytest.approx(reference.kappa_upp, rel=1e-9)
    assert result.n == 88


def test_kappa_result_fields() -> None:
    result = cohen_kappa_ci([1, 1, 2, 2], [1, 2, 2, 2])
    assert isinstance(result, KappaResult)
    assert result.observed == pytest.approx(0.75)
    assert result.expected == pytest.approx(0.5 * 0.25 + 0.5 * 0.75)
    assert result.ci_low < result.kappa < result.ci_high
    with pytest.raises(AttributeError):
        result.kappa = 1.0  # type: ignore[misc]


def test_nvivo_coding_comparison_example() -> None:
    # 1000 characters: 50 by both, 150 by one coder only (100 + 50), 800 by neither.
    result = character_agreement(50, 100, 50, 800)
    assert isinstance(result, CharacterAgreement)
    assert result.percent_agreement == pytest.approx(0.85)
    assert result.n == 1000
    # NVivo's own recipe: EF1 = 150 * 100 / 1000, EF2 = 850 * 900 / 1000, K = (TA - EF) / (TU - EF)
    sum_ef = 150 * 100 / 1000 + 850 * 900 / 1000
    assert result.kappa == pytest.approx((850 - sum_ef) / (1000 - sum_ef))
    assert round(result.kappa, 4) == 0.3182


def test_holsti_hand_computed() -> None:
    # Coder 1 made 10 decisions, coder 2 made 12, they agree on 8: CR = 16 / 22.
    assert holsti(8, 10, 12) == pytest.approx(16 / 22)
    assert round(holsti(8, 10, 12), 4) == 0.7273
    assert holsti(10, 10, 10) == 1.0
    assert holsti(0, 5, 7) == 0.0


def test_percent_agreement_drops_missing_pairs() -> None:
    y1 = ["a", "b", None, "a", np.nan]
    y2 = ["a", "a", "b", None, "b"]
    assert percent_agreement(y1, y2) == 0.5


# --------------------------------------------------------------------------------------
# Errors and undefined values
# --------------------------------------------------------------------------------------


def test_bad_level_message() -> None:
    message = (
        r"The 'level' parameter of krippendorff_alpha must be one of "
        r"\{'nominal', 'ordinal', 'interval', 'ratio'\}\. Got 'x' instead\."
    )
    with pytest.raises(ParameterError, match=message) as info:  # a bad option, not bad data
        krippendorff_alpha(KRIPPENDORFF_2011, level="x")  # type: ignore[arg-type]
    assert info.value.parameter == "level"  # type: ignore[attr-defined]
    assert isinstance(info.value, ValueError) and isinstance(info.value, QualError)


def test_bad_weights_message() -> None:
    message = (
        r"The 'weights' parameter of cohen_kappa must be one of \{None, 'linear', 'quadratic'\}"
    )
    with pytest.raises(ParameterError, match=message):  # a bad option, not bad data
        cohen_kappa([1, 2], [1, 2], weights="cubic")  # type: ignore[arg-type]


def test_ordinal_accepts_numeric_strings_only() -> None:
    as_strings = [[None if v is None else str(v) for v in row] for row in KRIPPENDORFF_2011]
    expected = krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal")
    assert krippendorff_alpha(as_strings, level="ordinal") == pytest.approx(expected)
    with pytest.raises(AgreementError, match=r"level='ordinal' needs numbers.*'high'"):
        krippendorff_alpha([["1", "high"], ["1", "2"]], level="ordinal")


@pytest.mark.parametrize("level", ["interval", "ratio"])
def test_metric_levels_reject_labels(level: Any) -> None:
    with pytest.raises(AgreementError, match=f"level='{level}'"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], level=level)  # type: ignore[arg-type]


def test_ratio_rejects_negative_values() -> None:
    with pytest.raises(AgreementError, match=r"numbers >= 0; got -1"):
        krippendorff_alpha([[1, -1], [1, 2]], level="ratio")


@pytest.mark.parametrize(
    ("func", "args", "pattern"),
    [
        (percent_agreement, ([1, 2], [1]), r"2 and 1 labels"),
        (cohen_kappa, ([1, 2, 3], [1, 2]), r"same units"),
        (cohen_kappa, ([1, "a"], [1, "a"]), r"mix strings and numbers"),
        (cohen_kappa_ci, ([1], [1, 2]), r"same units"),
        (cohen_kappa_table, ([[1, 2, 3], [4, 5, 6]],), r"square"),
        (cohen_kappa_table, ([[1, -2], [3, 4]],), r">= 0"),
        (fleiss_kappa, ([[2, 1], [1, 1]],), r"same number"),
        (fleiss_kappa, ([[0.5, 1.5], [1, 1]],), r"whole numbers"),
        (holsti, (5, 3, 10), r"cannot exceed"),
        (holsti, (-1, 3, 10), r"n_agree must be a count"),
        (character_agreement, (1, -1, 0, 0), r"only1 must be a count"),
        (krippendorff_alpha, ([1, 2, 3],), r"2-D coders x units"),
        (krippendorff_alpha, ([[1, 2], [1]],), r"2-D coders x units"),
    ],
)
def test_inconsistent_inputs_raise(func: Callable[..., Any], args: tuple[Any, ...], pattern: str):
    with pytest.raises(AgreementError, match=pattern):
        func(*args)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1])
def test_confidence_out_of_range(confidence: float) -> None:
    with pytest.raises(ParameterError, match=r"The 'confidence' parameter of cohen_kappa_ci must "
                                             r"be a float in the range \(0, 1\)\. Got "):
        cohen_kappa_ci([1, 2], [1, 2], confidence=confidence)


@pytest.mark.parametrize(
    ("func", "args"),
    [
        (percent_agreement, ([], [])),
        (percent_agreement, ([None, 1], [1, np.nan])),
        (cohen_kappa, ([], [])),
        (cohen_kappa, (["a", "a"], ["a", "a"])),
        (cohen_kappa, ([3, 3, None], [3, 3, 4])),
        (cohen_kappa_table, ([[0, 0], [0, 0]],)),
        (cohen_kappa_table, ([[5, 0], [0, 0]],)),
        (fleiss_kappa, ([[3, 0], [3, 0]],)),
        (fleiss_kappa, (np.zeros((0, 3)),)),
        (holsti, (0, 0, 0)),
        (krippendorff_alpha, ([[1, 1], [1, 1]],)),
        (krippendorff_alpha, ([[1, None], [None, 2]],)),
        (krippendorff_alpha, (np.empty((2, 0)),)),
    ],
)
def test_undefined_warns_and_returns_nan(func: Callable[..., float], args: tuple[Any, ...]):
    with pytest.warns(RuntimeWarning, match="undefined"):
        value = func(*args)
    assert isinstance(value, float) and math.isnan(value)


def test_undefined_kappa_ci_is_all_nan() -> None:
    with pytest.warns(RuntimeWarning, match="undefined"):
        result = cohen_kappa_ci(["a", "a"], ["a", "a"])
    assert math.isnan(result.kappa) and math.isnan(result.se) and math.isnan(result.ci_low)
    assert result.n == 2 and result.observed == 1.0


def test_character_agreement_undefined_cases() -> None:
    with pytest.warns(RuntimeWarning, match="undefined"):
        nobody = character_agreement(0, 0, 0, 500)
    assert nobody.percent_agreement == 1.0 and math.isnan(nobody.kappa)
    with pytest.warns(RuntimeWarning, match="undefined"):
        empty = character_agreement(0, 0, 0, 0)
    assert math.isnan(empty.percent_agreement) and math.isnan(empty.kappa)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

labels = st.integers(min_value=0, max_value=4)


@st.composite
def label_pairs(draw: st.DrawFn, missing: bool = False) -> tuple[list[Any], list[Any]]:
    """Two coders' labels for the same units (optionally with missing values)."""
    n = draw(st.integers(min_value=1, max_value=40))
    value = st.one_of(st.none(), labels) if missing else labels
    y1 = draw(st.lists(value, min_size=n, max_size=n))
    y2 = draw(st.lists(value, min_size=n, max_size=n))
    return y1, y2


@st.composite
def reliability_matrices(draw: st.DrawFn, low: int = 1) -> list[list[int | None]]:
    """Coders x units with missing values (about one in four)."""
    coders = draw(st.integers(min_value=2, max_value=5))
    units = draw(st.integers(min_value=1, max_value=12))
    value = st.one_of(labels.map(lambda v: v + low), labels.map(lambda v: v + low), st.none())
    return [draw(st.lists(value, min_size=units, max_size=units)) for _ in range(coders)]


def _defined_pairs(y1: list[Any], y2: list[Any]) -> tuple[list[Any], list[Any]]:
    kept = [(a, b) for a, b in zip(y1, y2, strict=True) if a is not None and b is not None]
    a_kept, b_kept = [a for a, _ in kept], [b for _, b in kept]
    assume(len(set(a_kept) | set(b_kept)) >= 2)
    return a_kept, b_kept


@FAST
@given(pair=label_pairs(missing=True), weights=st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_kappa_matches_sklearn(pair: tuple[list[Any], list[Any]], weights: Any) -> None:
    a, b = _defined_pairs(*pair)
    expected = cohen_kappa_score(a, b, weights=weights)
    result = cohen_kappa(*pair, weights=weights)
    assert type(result) is float
    assert result == pytest.approx(expected, abs=1e-12)


@FAST
@given(pair=label_pairs(missing=True), weights=st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_kappa_is_symmetric(pair: tuple[list[Any], list[Any]], weights: Any) -> None:
    _defined_pairs(*pair)
    y1, y2 = pair
    assert cohen_kappa(y1, y2, weights=weights) == pytest.approx(
        cohen_kappa(y2, y1, weights=weights), abs=1e-12
    )


@FAST
@given(pair=label_pairs())
def test_kappa_from_table_matches_labels_and_statsmodels(pair: tuple[list[int], list[int]]):
    y1, y2 = _defined_pairs(*pair)
    table = np.zeros((5, 5))
    np.add.at(table, (y1, y2), 1)
    used = np.flatnonzero(table.sum(axis=0) + table.sum(axis=1))
    table = table[np.ix_(used, used)]
    result = cohen_kappa_ci(y1, y2)
    reference = _quiet(sm_cohens_kappa, table)
    assert cohen_kappa_table(table) == pytest.approx(cohen_kappa(y1, y2), abs=1e-12)
    assert result.kappa == pytest.approx(reference.kappa, abs=1e-12)
    if math.isnan(reference.std_kappa):  # exact variance 0 rounded below 0: statsmodels gives nan
        assert result.se == pytest.approx(0.0, abs=1e-7)
        return
    # the variance is exact to ~1e-16; its square root magnifies that to ~1e-8 near zero
    assert result.se == pytest.approx(reference.std_kappa, abs=1e-7)
    assert result.ci_low == pytest.approx(reference.kappa_low, abs=1e-7)
    assert result.ci_high == pytest.approx(reference.kappa_upp, abs=1e-7)
    narrow = cohen_kappa_ci(y1, y2, confidence=0.9)
    assert narrow.ci_high - narrow.ci_low == pytest.approx(2 * 1.6448536269514722 * result.se)


@FAST
@given(pair=label_pairs(missing=True))
def test_percent_agreement_is_a_share(pair: tuple[list[Any], list[Any]]) -> None:
    value = _quiet(percent_agreement, *pair)
    assert math.isnan(value) or 0.0 <= value <= 1.0
    assert _quiet(percent_agreement, pair[1], pair[0]) == pytest.approx(value, nan_ok=True)


@FAST
@given(
    y=st.lists(labels, min_size=2, max_size=30).filter(lambda y: len(set(y)) >= 2),
    coders=st.integers(min_value=2, max_value=4),
)
def test_perfect_agreement_gives_one(y: list[int], coders: int) -> None:
    assert percent_agreement(y, y) == 1.0
    for weights in (None, "linear", "quadratic"):
        assert cohen_kappa(y, y, weights=weights) == pytest.approx(1.0)  # type: ignore[arg-type]
    assert cohen_kappa_ci(y, y).kappa == pytest.approx(1.0)
    for level in LEVELS:
        assert krippendorff_alpha([y] * coders, level=level) == pytest.approx(1.0)  # type: ignore[arg-type]


@FAST
@given(data=reliability_matrices(), level=st.sampled_from(LEVELS))
def test_krippendorff_alpha_matches_package(data: list[list[int | None]], level: Any) -> None:
    ours = _quiet(krippendorff_alpha, data, level=level)
    assume(not math.isnan(ours))
    reference = krippendorff.alpha(
        reliability_data=_as_float_matrix(data), level_of_measurement=level
    )
    assert ours == pytest.approx(reference, rel=1e-9, abs=1e-9)


@FAST
@given(data=reliability_matrices(), level=st.sampled_from(LEVELS))
def test_krippendorff_alpha_ignores_coder_order(data: list[list[int | None]], level: Any) -> None:
    ours = _quiet(krippendorff_alpha, data, level=level)
    reversed_ = _quiet(krippendorff_alpha, data[::-1], level=level)
    assert ours == pytest.approx(reversed_, rel=1e-9, abs=1e-12, nan_ok=True)


@FAST
@given(data=reliability_matrices())
def test_nominal_alpha_only_sees_labels(data: list[list[int | None]]) -> None:
    names = ["ibu", "bapak", "kader", "ketua", "anggota", "tamu"]
    relabelled = [[None if v is None else names[v - 1] for v in row] for row in data]
    ours = _quiet(krippendorff_alpha, data)
    assert _quiet(krippendorff_alpha, relabelled) == pytest.approx(ours, nan_ok=True)


@FAST
@given(
    ratings=st.integers(min_value=2, max_value=5).flatmap(
        lambda raters: st.lists(
            st.lists(labels, min_size=raters, max_size=raters), min_size=1, max_size=15
        )
    )
)
def test_fleiss_kappa_agrees_with_alpha_on_complete_data(ratings: list[list[int]]) -> None:
    # Without missing values, 1 - alpha = (1 - kappa_Fleiss) * (nN - 1) / (nN).
    table = np.zeros((len(ratings), 5), dtype=int)
    for subject, row in enumerate(ratings):
        np.add.at(table[subject], row, 1)
    assume(np.count_nonzero(table.sum(axis=0)) >= 2)
    n_values = table.sum()
    alpha = krippendorff_alpha(np.asarray(ratings).T)
    kappa = fleiss_kappa(table)
    assert 1 - alpha == pytest.approx((1 - kappa) * (n_values - 1) / n_values, abs=1e-9)


@FAST
@given(counts=st.tuples(*[st.integers(min_value=0, max_value=30)] * 4))
def test_character_agreement_is_kappa_of_characters(counts: tuple[int, int, int, int]) -> None:
    both, only1, only2, neither = counts
    y1 = [1] * both + [1] * only1 + [0] * only2 + [0] * neither
    y2 = [1] * both + [0] * only1 + [1] * only2 + [0] * neither
    result = _quiet(character_agreement, *counts)
    assert result.percent_agreement == pytest.approx(_quiet(percent_agreement, y1, y2), nan_ok=True)
    assert result.kappa == pytest.approx(_quiet(cohen_kappa, y1, y2), nan_ok=True)


@FAST
@given(pair=label_pairs())
def test_holsti_equals_percent_agreement_on_shared_units(pair: tuple[list[int], list[int]]):
    y1, y2 = pair
    agree = sum(a == b for a, b in zip(y1, y2, strict=True))
    assert holsti(agree, len(y1), len(y2)) == pytest.approx(percent_agreement(y1, y2))
