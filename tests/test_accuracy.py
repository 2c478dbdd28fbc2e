"""Accuracy of the automatic coders, measured honestly: grouped by document and across groups.

All of ana's manual passages (the training files ``data/coding/train*.csv`` and the gold sample
``gold.csv``) are coded by models that never saw their document (:func:`uq.evaluate_coder`):
every vectoriser is fitted inside the training folds, names are masked, and the rules (which
need no training) are scored on the same folds. ``scripts/evaluate_coder.py`` makes the full
table (5 folds by document, nested grid search, 1,000 bootstrap resamples:
``benchmarks/coder_evaluation.md``); to stay fast this test uses **3** folds by document, the
default hyper-parameters (chosen by that script's grid search on the training files, which are
part of these folds: the script's nested figures are the ones to quote) and 200 resamples.
The tables are printed (run ``pytest -s tests/test_accuracy.py``).

The coding-engine issue asked for grouped micro-F1 >= 0.75 for the learned coder. Measured
honestly it is lower: 0.696 by document and 0.634 across groups in the script's nested
evaluation (0.688 and 0.628 here, when last measured). The floors below are what this test measures
minus a margin of 0.02-0.04, and guard against regressions. The corpus is an
ILLUSTRATIVE RECONSTRUCTION: these figures describe the toolkit on it, not a field result.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import uppks_qual as uq
from uppks_qual import learn
from uppks_qual.evaluation import evaluate_autocoder
from uppks_qual.learn import training_files

ROOT = Path(__file__).resolve().parents[1]
CODING = ROOT / "data" / "coding"

#: Floors (measured value minus a margin of 0.02-0.04; see the module docstring).
FLOORS = {
    # (coder, scheme, statistic): floor, on the micro row of the pooled held-out passages
    ("learned", "document", "f1"): 0.66,
    ("learned", "group", "f1"): 0.59,
    ("learned", "document", "joint_f1"): 0.45,
    ("learned", "group", "joint_f1"): 0.30,
    ("learned", "document", "valence_accuracy"): 0.66,
    ("learned", "group", "valence_accuracy"): 0.49,
    ("rules", "document", "f1"): 0.56,
    ("rules", "group", "f1"): 0.56,
}
#: The rules alone on the gold sample (they never train, so no fold is needed).
RULES_GOLD_MICRO_F1 = 0.58


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> uq.Project:
    path = tmp_path_factory.mktemp("accuracy") / "p.uqp"
    proj = uq.Project.create(path, corpus=uq.load_corpus(ROOT / "data/interviews"),
                             codebook=uq.load_codebook(ROOT / "codebook.yaml"))
    proj.autocode(method="rules")
    return proj


@pytest.fixture(scope="module")
def gold(project: uq.Project) -> pd.DataFrame:
    return project.read_codings(CODING / "gold.csv")


@pytest.fixture(scope="module")
def grouped(project: uq.Project) -> pd.DataFrame:
    """The grouped evaluation of the learned coder and the rules (3 folds by document, and
    across groups both ways)."""
    cb = project.codebook
    rules = project.codings(coder="auto")[["doc_id", "start", "end", "code_id", "factor",
                                           "valence"]].astype({"factor": str})
    factors = [c.code_id for c in cb.factors()]
    table = learn.sentence_table(project.segments(), rules, factors)
    passages = project.training_passages([*training_files(CODING), CODING / "gold.csv"])
    coded = learn.labelled_passages(table, passages, cb)
    coders = {"learned": uq.CodeSuggester(codebook=cb, mask=project.masker()),
              "rules": learn.RuleCoder(codebook=cb)}
    result = uq.evaluate_coder(coded, coders, factors=factors, n_splits=3, n_boot=200)
    shown = ["coder", "scheme", "test", "factor", "precision", "recall", "f1", "f1_low",
             "f1_high", "joint_f1", "valence_accuracy", "valence_baseline"]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"\ngrouped evaluation ({len(coded)} passages):\n{result[shown].round(3)}")
    return result


def _micro(table: pd.DataFrame, coder: str, scheme: str) -> pd.Series:
    rows = table[(table["coder"] == coder) & (table["scheme"] == scheme)
                 & (table["test"] == "all") & (table["factor"] == "micro")]
    assert len(rows) == 1
    return rows.iloc[0]


def test_gold_standard_is_held_out_from_training(project: uq.Project,
                                                 gold: pd.DataFrame) -> None:
    spans = set(zip(gold["doc_id"], gold["start"], strict=True))
    for file in training_files(CODING):
        train = project.read_codings(file)
        assert not spans & set(zip(train["doc_id"], train["start"], strict=True)), file.name


def test_rule_based_coder_accuracy_on_the_gold_sample(project: uq.Project,
                                                       gold: pd.DataFrame) -> None:
    factors = [c.code_id for c in project.codebook.factors()]
    table = evaluate_autocoder(gold, project.codings(origin="auto"), factors=factors,
                               factor_of={c.code_id: c.factor for c in project.codebook})
    assert table.loc["micro", "f1"] >= RULES_GOLD_MICRO_F1
    assert (table.drop(index="micro")["tp"] > 0).all()  # finds every factor at least once


def test_every_passage_is_held_out_once_per_scheme(grouped: pd.DataFrame) -> None:
    for coder in ("learned", "rules"):
        for scheme in ("document", "group"):
            micro = _micro(grouped, coder, scheme)
            assert micro["passages"] == 2035 and micro["documents"] == 26
    tests = set(grouped.loc[grouped["scheme"] == "group", "test"])
    assert tests == {"all", "Asoka", "Melati"}


@pytest.mark.parametrize(("key", "floor"), sorted(FLOORS.items()))
def test_grouped_accuracy_floors(grouped: pd.DataFrame, key: tuple[str, str, str],
                                 floor: float) -> None:
    coder, scheme, statistic = key
    micro = _micro(grouped, coder, scheme)
    assert micro[statistic] >= floor, f"{coder} {scheme} {statistic} {micro[statistic]:.3f}"
    assert micro[f"{statistic}_low"] <= micro[statistic] <= micro[f"{statistic}_high"]


def test_the_learned_coder_beats_the_rules_and_the_majority_valence(
        grouped: pd.DataFrame) -> None:
    for scheme in ("document", "group"):
        learned, rules = _micro(grouped, "learned", scheme), _micro(grouped, "rules", scheme)
        assert learned["f1"] > rules["f1"] and learned["joint_f1"] > rules["joint_f1"]
        assert learned["valence_accuracy"] > learned["valence_baseline"] + 0.1
