"""Small shared fixtures: a corpus folder with a manifest, a small codebook, the real corpus,
and the two engines a project can live on (``engine``, ``new_target``, ``engine_url``,
``copy_to``; a throw-away PostgreSQL server, ``pg_server``)."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pgserver
import pytest

if TYPE_CHECKING:
    from uppks_qual.corpus import Corpus
    from uppks_qual.project import Project

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


# --------------------------------------------------------------------------- both engines
#: The engines a project can live on; tests parametrised with :func:`engine` run on each.
ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.Server]:
    """A throw-away PostgreSQL cluster for the whole session (skipped when PostgreSQL is not
    installed, a hard error with ``UPPKS_QUAL_REQUIRE_PG=1``; see ``tests/pgserver.py``)."""
    reason = pgserver.reason_to_skip()
    if reason:
        pytest.skip(reason)
    server = pgserver.start_server()
    yield server
    server.stop()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgresql"``: the test runs once on each engine."""
    return str(request.param)


_names = itertools.count()


@pytest.fixture
def new_target(engine: str, tmp_path: Path,
               request: pytest.FixtureRequest) -> Iterator[Callable[[str], str | Path]]:
    """A factory of new project targets on the test's engine: ``new_target("p")`` is
    ``tmp_path / "p.uqp"`` on SQLite, the URL of a new empty database on PostgreSQL (dropped
    after the test)."""
    if engine == "sqlite":
        yield lambda name="p": tmp_path / f"{name}.uqp"
        return
    server: pgserver.Server = request.getfixturevalue("pg_server")
    made: list[str] = []

    def make(name: str = "p") -> str:
        database = f"t{os.getpid()}_{next(_names)}_{re.sub(r'[^a-z0-9_]', '_', name.lower())}"
        made.append(database[:63])
        return server.create_database(database[:63])

    yield make
    for database in made:
        server.drop_database(database)


@pytest.fixture
def engine_url(new_target: Callable[[str], str | Path]) -> str | Path:
    """Where a new project goes on the test's engine (a file path, or an empty database's
    URL)."""
    return new_target("p")


@pytest.fixture
def copy_to(new_target: Callable[[str], str | Path]) -> Callable[..., Project]:
    """``copy_to(template)`` opens a copy of the closed project file ``template`` on the
    test's engine: the file copied (SQLite), or every row copied into a new database
    (PostgreSQL, :meth:`Store.create_from`)."""
    from conftest_project import copy_project

    from uppks_qual.project import Project
    from uppks_qual.store import Store

    def copy(template: Path, name: str = "p") -> Project:
        target = new_target(name)
        if isinstance(target, Path):
            return copy_project(template, target)
        source = Store.open(template)
        try:
            Store.create_from(source, target).close()
        finally:
            source.close()
        return Project.open(target)

    return copy
