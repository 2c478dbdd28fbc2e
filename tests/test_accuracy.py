"""Accuracy of the automatic coders against the manual gold standard (held out).

The gold standard (``data/coding/gold.csv``) is ana's coding of a seeded random sample of 182
sentences, done from the codebook definitions without looking at the auto-coder. The learned
coder is trained only on the separate training passages (``data/coding/train*.csv``), never on
the gold sample. The tables are printed (run ``pytest -s tests/test_accuracy.py``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import uppks_qual as uq
from uppks_qual.evaluation import evaluate_autocoder
from uppks_qual.learn import training_files

ROOT = Path(__file__).resolve().parents[1]
CODING = ROOT / "data" / "coding"

#: Floors. The coding-engine issue asks for micro-F1 0.75 at factor level: the learned coder
#: (0.753 when written) meets it; the rule-based coder alone (0.596) does not, and its floor
#: guards against regressions only (see README, "Accuracy").
RULES_MICRO_F1 = 0.58
LEARNED_MICRO_F1 = 0.75
LEARNED_VALENCE = 0.70


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> uq.Project:
    path = tmp_path_factory.mktemp("accuracy") / "p.uqp"
    return uq.Project.create(path, corpus=uq.load_corpus(ROOT / "data/interviews"),
                             codebook=uq.load_codebook(ROOT / "codebook.yaml"))


@pytest.fixture(scope="module")
def gold(project: uq.Project) -> pd.DataFrame:
    return project.read_codings(CODING / "gold.csv")


def _evaluate(project: uq.Project, gold: pd.DataFrame, **autocode: object) -> pd.DataFrame:
    project.autocode(**autocode)  # type: ignore[arg-type]
    factors = [c.code_id for c in project.codebook.factors()]
    table = evaluate_autocoder(gold, project.codings(origin="auto"), factors=factors,
                               factor_of={c.code_id: c.factor for c in project.codebook})
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"\nauto-coder {autocode.get('method', 'rules')} vs gold:\n{table.round(3)}")
    return table


def test_gold_standard_is_held_out_from_training(project: uq.Project,
                                                 gold: pd.DataFrame) -> None:
    spans = set(zip(gold["doc_id"], gold["start"], strict=True))
    for file in training_files(CODING):
        train = project.read_codings(file)
        assert not spans & set(zip(train["doc_id"], train["start"], strict=True)), file.name


def test_rule_based_coder_accuracy(project: uq.Project, gold: pd.DataFrame) -> None:
    table = _evaluate(project, gold, method="rules")
    assert set(table.index) == {c.code_id for c in project.codebook.factors()} | {"micro"}
    assert table.loc["micro", "f1"] >= RULES_MICRO_F1
    assert (table.drop(index="micro")["tp"] > 0).all()  # finds every factor at least once


def test_learned_coder_accuracy(project: uq.Project, gold: pd.DataFrame) -> None:
    table = _evaluate(project, gold, method="learned", training=training_files(CODING))
    assert table.loc["micro", "f1"] >= LEARNED_MICRO_F1
    assert table.loc["micro", "valence_accuracy"] >= LEARNED_VALENCE
