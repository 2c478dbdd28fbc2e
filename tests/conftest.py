"""Small shared fixtures: a corpus folder with a manifest, a small codebook, the real corpus."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from uppks_qual.corpus import Corpus

ROOT = Path(__file__).resolve().parents[1]
REAL_CORPUS = ROOT / "data" / "interviews"

MANIFEST_YAML = "groups:\n  Asoka: Durian Daun\n  Melati: Padang Olo\n"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """An empty corpus folder with a ``corpus.yaml`` manifest (Asoka, Melati)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "corpus.yaml").write_text(MANIFEST_YAML, encoding="utf-8")
    return folder


#: A valid three-level codebook used by the codebook tests (line numbers matter).
SMALL_CODEBOOK = """\
name: small
codes:
  - id: leadership
    kind: factor
    label: {en: Leadership, id: Kepemimpinan}
    colour: "#E69F00"
    examples: ["Ketua rajin.", "Rapat sering batal."]
    cues:
      phrases: [ketua, pengurus]
      lemmas: [memimpin]
    positive: [rajin]
    negative: [batal]
  - id: leadership.meetings
    parent: leadership
    label: {en: Meetings, id: Rapat}
    cues:
      phrases: [rapat]
  - id: leadership.meetings.minutes
    parent: leadership.meetings
    label: Notulen
  - id: stage
    kind: structural
    label: {en: Stage, id: Tahap}
    colour: "#999999"
  - id: stage.formation
    parent: stage
    label: {en: Formation, id: Pembentukan}
    colour: "#123abc"
"""


@pytest.fixture
def small_codebook_yaml() -> str:
    """YAML text of a small valid codebook (see :data:`SMALL_CODEBOOK`)."""
    return SMALL_CODEBOOK


@pytest.fixture(scope="session")
def real_corpus() -> Corpus:
    """The bundled illustrative corpus, loaded (and segmented) once per test session."""
    from uppks_qual.corpus import load_corpus

    corpus = load_corpus(REAL_CORPUS)
    corpus.segments  # noqa: B018 - build the segment frame once for every test
    return corpus
