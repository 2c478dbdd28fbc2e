"""Tests for :mod:`uppks_qual.learn`: what the learned auto-coder of the main job codes.

The model decides only the six factors; the rule coder's codings of the other top-level codes
(structural and rival explanations) pass through unchanged, and ``other`` (no cues) is never
applied automatically. One project of the bundled corpus is coded per module, as
``uppks-qual reproduce`` codes it (``method="learned"`` with the training passages).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from conftest_project import ROOT, real_codebook, real_corpus

from uppks_qual.learn import training_files
from uppks_qual.project import Project

RIVALS = {f"rival_explanations.{x}" for x in ("crisis_1998", "debt_cancellation_rumour",
                                               "joint_liability", "remittances")}
KEY = ["doc_id", "start", "end", "code_id", "valence"]


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The bundled corpus and codebook, auto-coded as the main job does (learned, then the
    rules alone as a second automatic coder ``rules`` to compare with)."""
    path = tmp_path_factory.mktemp("learn") / "p.uqp"
    proj = Project.create(path, corpus=real_corpus(), codebook=real_codebook())
    proj.autocode(method="learned", training=training_files(ROOT / "data" / "coding"))
    proj.autocode(method="rules", coder="rules")
    yield proj
    proj.close()


def _non_factor(frame: pd.DataFrame, codebook) -> pd.DataFrame:
    keep = frame["code_id"].map(lambda c: codebook[c].kind != "factor")
    return frame.loc[keep, KEY].astype({"valence": str}).sort_values(KEY).reset_index(drop=True)


def test_the_main_job_auto_applies_rival_and_structural_codes(learned: Project) -> None:
    evidence = learned.evidence(coders=["auto"], kind="all")
    kinds = {learned.codebook[c].kind for c in evidence["code_id"]}
    assert kinds == {"factor", "structural", "rival"}  # never "other": it has no cues
    rivals = evidence[evidence["factor"] == "rival_explanations"]
    assert set(rivals["code_id"]) == RIVALS
    for code_id in RIVALS - {"rival_explanations.joint_liability"}:  # rivals cut both ways
        assert set(rivals.loc[rivals["code_id"] == code_id, "group"]) == {"Asoka", "Melati"}
    assert set(rivals["kind"]) <= {"turn", "paragraph"}  # no researcher's notes or questions
    factors = learned.evidence(coders=["auto"])  # the comparison's subject is unchanged
    assert set(factors["factor"]) == {c.code_id for c in learned.codebook.factors()}
    version = learned.codebook.version
    assert version is not None
    assert set(learned.codings(coder="auto")["codebook_version"]) == {version}


def test_learned_codings_of_non_factor_codes_are_the_rules_codings(learned: Project) -> None:
    cb = learned.codebook
    auto, rules = learned.codings(coder="auto"), learned.codings(coder="rules")
    pd.testing.assert_frame_equal(_non_factor(auto, cb), _non_factor(rules, cb))
    assert len(_non_factor(auto, cb)) > 0


def test_interviewer_turns_are_not_auto_coded(learned: Project) -> None:
    auto = learned.codings(coder="auto")
    assert len(auto) and not (auto["speaker"] == "P").any()
