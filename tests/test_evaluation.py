"""Precision/recall/F1 of auto-coding against gold passages, on hand-worked cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from uppks_qual.evaluation import evaluate_autocoder, passage_factors

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
