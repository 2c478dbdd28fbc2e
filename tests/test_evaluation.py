"""Precision/recall/F1 of auto-coding against gold passages, and cross-validated by document and
across groups (:func:`evaluate_coder`), on hand-worked cases."""

from __future__ import annotations

import math
from typing import ClassVar

import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from uppks_qual.errors import ParameterError
from uppks_qual.evaluation import coder_f1, evaluate_autocoder, evaluate_coder, passage_factors
from uppks_qual.learn import RuleCoder

GOLD = pd.DataFrame([
    # passage, doc, start, end, code, valence
    ("P1", "d", 0, 10, "leadership.meetings", "positive"),
    ("P1", "d", 0, 10, "capital_growth", "negative"),
    ("P2", "d", 10, 20, "leadership", "negative"),
    ("P3", "d", 20, 30, "", ""),          # read, no code
    ("P4", "e", 0, 10, "partnerships", "neutral"),
], columns=["passage_id", "doc_id", "start", "end", "code_id", "valence"])


def auto(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["doc_id", "start", "end", "factor", "valence"])


def test_passage_factors_keeps_uncoded_passages() -> None:
    got = passage_factors(GOLD)
    assert got == {"P1": {"leadership": "positive", "capital_growth": "negative"},
                   "P2": {"leadership": "negative"}, "P3": {}, "P4": {"partnerships": "neutral"}}


def test_scores_worked_by_hand() -> None:
    predicted = auto(
        ("d", 0, 10, "leadership", "positive"),   # P1 leadership: TP, valence right
        ("d", 12, 20, "leadership", "positive"),  # P2 leadership: TP (overlap 8 >= 4), wrong
        ("d", 20, 30, "capital_growth", "negative"),  # P3: FP capital_growth
        ("e", 50, 60, "partnerships", "neutral"),  # no overlap with P4: nothing
    )
    table = evaluate_autocoder(GOLD, predicted, factors=["leadership", "capital_growth",
                                                         "partnerships"])
    # leadership: gold {P1, P2}, predicted {P1, P2}: P = R = F1 = 1; valence 1 of 2
    assert table.loc["leadership", ["precision", "recall", "f1"]].tolist() == [1.0, 1.0, 1.0]
    assert table.loc["leadership", "valence_accuracy"] == 0.5
    # capital_growth: gold {P1}, predicted {P3}: tp 0 -> P 0, R 0, F1 0
    assert table.loc["capital_growth", ["tp", "precision", "recall"]].tolist() == [0, 0.0, 0.0]
    # partnerships: gold {P4}, predicted {}: precision undefined, recall 0
    assert math.isnan(table.loc["partnerships", "precision"])
    assert table.loc["partnerships", "recall"] == 0.0
    # micro: gold 4, predicted 3, tp 2 -> P 2/3, R 1/2, F1 2*2/(4+3)
    micro = table.loc["micro"]
    assert (micro["gold"], micro["predicted"], micro["tp"]) == (4, 3, 2)
    assert micro["precision"] == pytest.approx(2 / 3)
    assert micro["recall"] == pytest.approx(0.5)
    assert micro["f1"] == pytest.approx(4 / 7)
    assert micro["valence_accuracy"] == pytest.approx(0.5)


def test_small_overlap_does_not_count() -> None:
    # 3 characters of a 10-character passage and a 10-character coding: less than half
    table = evaluate_autocoder(GOLD, auto(("d", 17, 27, "leadership", "negative")),
                               factors=["leadership"])
    assert table.loc["leadership", "tp"] == 0


def test_factor_comes_from_the_codebook_tree_not_the_id() -> None:
    # a child code whose id does not start with its factor's id
    gold = GOLD.assign(code_id=GOLD["code_id"].replace({"leadership.meetings": "meetings"}))
    assert "meetings" in passage_factors(gold)["P1"]          # without the tree: wrong factor
    got = passage_factors(gold, factor_of={"meetings": "leadership"})
    assert got["P1"] == {"leadership": "positive", "capital_growth": "negative"}


# --------------------------------------------------------------------------- evaluate_coder
class Recorder(BaseEstimator):
    """A coder that suggests ``answer`` (positive) everywhere, and records the documents it
    trained on and those it coded."""

    seen: ClassVar[list[tuple[set[str], set[str]]]] = []

    def __init__(self, answer: str = "f") -> None:
        self.answer = answer

    def fit(self, X: pd.DataFrame, y: object = None) -> Recorder:
        self.trained_ = set(X["doc_id"])
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        Recorder.seen.append((self.trained_, set(X["doc_id"])))
        return pd.DataFrame({"row": range(len(X)), "factor": self.answer,
                             "valence": "positive"})


def passages(n_docs: int = 6) -> pd.DataFrame:
    """Two passages per document; documents alternate between groups x and y; the first
    passage of each document is coded f (positive in x, negative in y)."""
    rows = []
    for d in range(n_docs):
        group = "xy"[d % 2]
        rows.append((f"d{d}", group, {"f": "positive" if group == "x" else "negative"},
                     "f f=positive"))
        rows.append((f"d{d}", group, {}, ""))
    return pd.DataFrame(rows, columns=["doc_id", "group", "codes", "rules"]).assign(text="s")


def _micro(table: pd.DataFrame, scheme: str, test: str = "all") -> pd.Series:
    return table[(table["scheme"] == scheme) & (table["test"] == test)
                 & (table["factor"] == "micro")].iloc[0]


def test_no_test_document_is_in_its_training_fold() -> None:
    Recorder.seen = []
    evaluate_coder(passages(), {"r": Recorder()}, n_splits=3, n_boot=0)
    assert len(Recorder.seen) == 3 + 2  # three folds by document, two groups
    for trained, tested in Recorder.seen:
        assert tested and not trained & tested
    by_group = Recorder.seen[3:]
    assert {frozenset(t) for _, t in by_group} == {frozenset({"d0", "d2", "d4"}),
                                                   frozenset({"d1", "d3", "d5"})}


def test_scores_and_the_majority_baseline_worked_by_hand() -> None:
    table = evaluate_coder(passages(), {"r": Recorder()}, n_boot=0, n_splits=3)
    doc = _micro(table, "document")
    # every passage predicted f positive: gold 6, predicted 12, tp 6; valence right in x (3)
    assert (doc["gold"], doc["predicted"], doc["tp"]) == (6, 12, 6)
    assert doc["precision"] == 0.5 and doc["recall"] == 1.0
    assert doc["f1"] == pytest.approx(2 * 6 / 18)
    assert doc["joint_f1"] == pytest.approx(2 * 3 / 18)
    assert doc["valence_accuracy"] == 0.5
    # across groups the training group's valence is always the wrong one: baseline 0
    assert _micro(table, "group")["valence_baseline"] == 0.0
    assert _micro(table, "group", "x")["valence_accuracy"] == 1.0
    assert _micro(table, "group", "y")["valence_accuracy"] == 0.0
    assert math.isnan(doc["f1_low"])  # no bootstrap asked for


def test_intervals_resample_documents_and_contain_the_estimate() -> None:
    table = evaluate_coder(passages(10), {"rules": RuleCoder()}, n_boot=300, n_splits=5,
                           schemes=("document",))
    micro = _micro(table, "document")
    assert micro["documents"] == 10 and micro["passages"] == 20
    for name in ("precision", "recall", "f1", "joint_f1", "valence_accuracy"):
        assert micro[f"{name}_low"] <= micro[name] <= micro[f"{name}_high"]
    assert micro["valence_accuracy_low"] < micro["valence_accuracy_high"]  # x right, y wrong
    again = evaluate_coder(passages(10), {"rules": RuleCoder()}, n_boot=300, n_splits=5,
                           schemes=("document",))
    pd.testing.assert_frame_equal(table, again)  # seeded


def test_coder_f1_is_the_micro_f1_of_presence() -> None:
    X = passages(2)
    assert coder_f1(Recorder().fit(X), X) == pytest.approx(2 * 2 / (2 + 4))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"schemes": ("speaker",)}, "schemes"),
    ({"n_boot": -1}, "n_boot"),
    ({"group": "village"}, "village"),
])
def test_bad_options_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        evaluate_coder(passages(), {"r": Recorder()}, **kwargs)


def test_across_groups_needs_two_groups() -> None:
    with pytest.raises(ParameterError, match="two or more"):
        evaluate_coder(passages().assign(group="x"), {"r": Recorder()}, n_boot=0)
