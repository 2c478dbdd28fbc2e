"""Tests for :mod:`uppks_qual.manifest`: the study manifest read from ``corpus.yaml``."""

from __future__ import annotations

from pathlib import Path

import pytest

from uppks_qual.errors import CorpusError
from uppks_qual.manifest import INFORMANT_ROLES, CoderFiles, Hypothesis, Manifest, read_manifest

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "corpus.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_manifest_holds_the_study() -> None:
    m = read_manifest(ROOT / "data" / "interviews" / "corpus.yaml")
    assert m.groups == {"Asoka": "Durian Daun", "Melati": "Padang Olo"}
    assert m.compare == ("Asoka", "Melati") and m.compare_by == "group"
    assert m.hypothesis is not None
    assert (m.hypothesis.better, m.hypothesis.worse, m.hypothesis.factors) == (
        "Asoka", "Melati", ())
    assert m.coders == ("ana",)
    assert [c.coder for c in m.agreement] == ["budi"]
    assert m.manual[0].codings == str((ROOT / "data/coding/gold.csv").resolve())
    assert m.training == str((ROOT / "data/coding").resolve())
    assert m.provenance is not None and m.provenance.startswith("ILLUSTRATIVE RECONSTRUCTION")
    assert m.interviewer_labels == ("P",)


def test_an_empty_manifest_is_a_study_without_claims(tmp_path: Path) -> None:
    m = read_manifest(write(tmp_path, ""))
    assert (m.title, m.groups, m.compare, m.hypothesis, m.manual) == ("", {}, (), None, ())
    assert m.roles == INFORMANT_ROLES
    assert m.comparison_groups(["b", "a", "b", ""]) == ["b", "a"]


def test_comparison_groups_follow_the_manifest(tmp_path: Path) -> None:
    m = read_manifest(write(tmp_path, "groups: {x: X, y: Y, z: Z}\n"))
    assert m.comparison_groups(["z", "x"]) == ["x", "z"]  # declared order, present ones
    m = read_manifest(write(tmp_path, "groups: {x: X, y: Y}\ncompare: {groups: [y, x]}\n"))
    assert m.comparison_groups(["x", "y"]) == ["y", "x"]


def test_json_round_trip(tmp_path: Path) -> None:
    m = Manifest(title="T", groups={"a": "A"}, compare=("a", "b"),
                 hypothesis=Hypothesis("a", "b", "a beats b", ("f1",)), roles=("r",),
                 manual=(CoderFiles("c1", "/x.csv", None),),
                 agreement=(CoderFiles("c2", None, "/r.csv"),), path="p")
    assert Manifest.from_json(m.to_json()) == m
    bundled = read_manifest(ROOT / "data" / "interviews" / "corpus.yaml")
    assert Manifest.from_json(bundled.to_json()) == bundled


@pytest.mark.parametrize(("text", "line", "message"), [
    ("groups: [a, b]\n", 1, r"`groups` must map each group to its village"),
    ("study: {title: T}\nnmae: x\n", 2, r"unknown key 'nmae' in the manifest"),
    ("groups: {a: A, b: B}\nhypothesis:\n  better: a\n  worse: c\n", 4,
     r"worse 'c' is not a declared group; groups are a, b"),
    ("hypothesis:\n  better: a\n  worse: a\n", 3, r"`better` and `worse` must be two different"),
    ("hypothesis:\n  better: a\n  worse: b\n  factors: some\n", 4, r"`factors` must be `all`"),
    ("compare:\n  groups: [a]\n", 2, r"needs two or more different groups"),
    ("compare:\n  groups: [a, b]\n  bye: group\n", 3, r"unknown key 'bye' in compare"),
    ("coding:\n  manual:\n    - codings: x.csv\n", 3, r"each entry of `coding.manual` needs"),
    ("coding:\n  manual:\n    - coder: c1\n      codes: x.csv\n", 4,
     r"unknown key 'codes' in coding.manual"),
    ("study: [a]\n", 1, r"`study` must be a mapping"),
    ("- a\n- b\n", 1, r"a manifest must be a mapping"),
])
def test_problems_name_the_file_and_line(tmp_path: Path, text: str, line: int,
                                         message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CorpusError, match=message) as info:
        read_manifest(path)
    assert info.value.path == str(path)
    assert info.value.line == line, info.value.message


def test_paths_are_relative_to_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    path = tmp_path / "corpus" / "corpus.yaml"
    path.write_text("coding:\n  training: ../coding\n  manual:\n    - coder: c1\n"
                    "      codings: ../coding/c1.csv\n      read: read.csv\n", encoding="utf-8")
    m = read_manifest(path)
    assert m.training == str((tmp_path / "coding").resolve())
    assert m.manual == (CoderFiles("c1", str((tmp_path / "coding/c1.csv").resolve()),
                                   str((tmp_path / "corpus/read.csv").resolve())),)
