"""Tests for :mod:`uppks_qual.store` through the :class:`~uppks_qual.project.Project` facade.

Creating and opening projects, the SQLite settings (WAL, foreign keys), the stored codebook and
``update_codebook``, the integrity check, and a hypothesis round trip of manual codings through
the store. Tests taking ``project`` or ``engine_url`` run on both engines (SQLite and a
throw-away PostgreSQL server, see ``conftest.py``); the ones about files are SQLite's.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest_project import (
    build_template,
    make_code,
    plain_document,
    real_codebook,
    small_documents,
    table_lines,
    tiny_codebook,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uppks_qual import store
from uppks_qual.errors import SchemaVersionError, StoreError
from uppks_qual.project import Project
from uppks_qual.records import ChangelogEntry, Codebook


def fill(proj: Project) -> None:
    proj.code_quote("asoka-int-a", "Modal kami bertambah", "capital", coder="ana",
                    valence="positive")
    proj.code_quote("melati-int-b", "Ketua jarang datang", "leadership", coder="budi")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("store-template") / "small.uqp", fill)


@pytest.fixture
def project(template: Path, copy_to: Callable[..., Project]) -> Project:
    """A project of the small corpus and the tiny codebook, with two manual codings (on each
    engine)."""
    proj = copy_to(template)
    yield proj
    proj.close()


SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def where(proj: Project) -> str | Path | sa.URL:
    """What opens ``proj`` again: its file, or its database URL (password included)."""
    return proj._store.url or proj.path


def raw_execute(target: str | Path | sa.URL, sql: str, **params: object) -> None:
    """Run ``sql`` on a closed project behind uppks-qual's back (a file or a database)."""
    engine = sa.create_engine(target if not isinstance(target, Path) else f"sqlite:///{target}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def set_meta(target: str | Path | sa.URL, key: str, value: str) -> None:
    raw_execute(target, "UPDATE meta SET value = :value WHERE key = :key", key=key, value=value)


# --------------------------------------------------------------------------- create / open
def test_create_makes_a_file_that_opens_with_the_same_content(project: Project) -> None:
    before = project.dump()
    project.close()
    with Project.open(where(project)) as again:
        assert again.dump() == before
        assert again.documents()["doc_id"].tolist() == [d.doc_id for d in small_documents()]


def test_create_refuses_an_existing_file_and_leaves_it_alone(project: Project) -> None:
    before = project.dump()
    with pytest.raises(StoreError, match=r"already (exists|holds).*overwrite=True") as info:
        Project.create(where(project), codebook=tiny_codebook())
    assert info.value.path == project.location
    assert project.dump() == before


def test_create_refuses_any_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes\n", encoding="utf-8")
    with pytest.raises(StoreError, match="already exists"):
        Project.create(path)
    assert path.read_text(encoding="utf-8") == "my notes\n"


def test_create_overwrite_replaces_the_project(project: Project) -> None:
    path = where(project)
    project.close()
    with Project.create(path, codebook=tiny_codebook(), overwrite=True) as fresh:
        assert fresh.documents().empty
        assert fresh.codings().empty
        assert [c.code_id for c in fresh.codebook] == list(tiny_codebook().ids)


def test_open_missing_file_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such project file"):
        Project.open(tmp_path / "missing.uqp")
    assert not (tmp_path / "missing.uqp").exists()


def test_open_text_file_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    path.write_text("P: Apa kabar?\nI: Baik.\n" * 50, encoding="utf-8")
    with pytest.raises(SchemaVersionError, match=r"interview\.txt: not a uppks-qual project"):
        Project.open(path)


def test_open_sqlite_file_without_meta_table_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (a INTEGER)")
    conn.close()
    with pytest.raises(SchemaVersionError, match="not a uppks-qual project") as info:
        Project.open(path)
    assert isinstance(info.value, StoreError)


def test_open_foreign_sqlite_file_leaves_it_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (a INTEGER)")
    conn.close()
    before = sha(path)
    with pytest.raises(SchemaVersionError):
        Project.open(path)
    assert sha(path) == before


def test_open_sqlite_file_with_another_apps_meta_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('app', 'something-else')")
    conn.close()
    with pytest.raises(SchemaVersionError, match="no app marker"):
        Project.open(path)


def test_open_newer_schema_asks_to_upgrade(project: Project) -> None:
    project.close()
    set_meta(where(project), "schema_version", "99")
    with pytest.raises(SchemaVersionError, match=r"version 99 is newer.*upgrade uppks-qual") as info:
        Project.open(where(project))
    assert info.value.version == 99
    assert str(store.SCHEMA_VERSION) in str(info.value)


def test_open_corrupt_schema_version_is_a_schema_version_error(project: Project) -> None:
    project.close()
    set_meta(where(project), "schema_version", "one")
    with pytest.raises(SchemaVersionError):
        Project.open(where(project))


@SQLITE_ONLY
def test_project_file_uses_wal_and_foreign_keys(project: Project) -> None:
    with project._store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with sqlite3.connect(project.path) as raw:  # WAL is a property of the file itself
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_foreign_keys_are_enforced(project: Project) -> None:
    before = project.dump()
    row = {"doc_id": "no-such-doc", "start": 0, "end": 1, "code_id": "capital", "coder": "ana",
           "origin": "manual", "text": "x", "created": "t", "updated": "t"}
    with pytest.raises(sa.exc.IntegrityError, match=r"(?i)foreign key"), \
            project._store.engine.begin() as conn:
        conn.execute(store.codings.insert().values(row))
    assert project.dump() == before


def test_meta_records_app_and_schema_version(project: Project) -> None:
    with project._store.engine.connect() as conn:
        meta = dict(conn.execute(sa.select(store.meta_table.c.key, store.meta_table.c.value)).all())
    assert meta["app"] == "uppks-qual"
    assert meta["schema_version"] == str(store.SCHEMA_VERSION)
    assert meta["codebook_name"] == "tiny"


# --------------------------------------------------------------------------- codebook
@pytest.mark.parametrize("which", ["tiny", "real"])
def test_stored_codebook_equals_the_loaded_one(engine_url: str | Path, which: str) -> None:
    codebook = tiny_codebook() if which == "tiny" else real_codebook()
    with Project.create(engine_url, codebook=codebook) as proj:
        stored = proj.codebook
        assert [c.code_id for c in stored] == list(codebook.ids)
        assert stored.labels("en") == codebook.labels("en")
        assert stored.labels("id") == codebook.labels("id")
        for got, want in zip(stored, codebook, strict=True):
            assert (got.phrases, got.lemmas, got.positive, got.negative) == (
                want.phrases, want.lemmas, want.positive, want.negative)
            assert [list(map(dict, p)) for p in got.patterns] == [
                list(map(dict, p)) for p in want.patterns]
            assert (got.parent, got.factor, got.kind, got.colour) == (
                want.parent, want.factor, want.kind, want.colour)
        assert stored.codes == codebook.codes
        assert stored.name == codebook.name


def test_stored_codebook_survives_reopening(project: Project) -> None:
    project.close()
    with Project.open(where(project)) as again:
        assert again.codebook.codes == tiny_codebook().codes


@pytest.mark.parametrize("code", real_codebook().codes, ids=lambda c: c.code_id)
def test_code_row_round_trip(code) -> None:
    row = store.code_row(code, 3)
    assert row["position"] == 3
    assert store.code_from_row(row) == code


def edited(*codes) -> Codebook:
    return Codebook(tuple(codes), name="tiny-edited")


def test_update_codebook_adds_and_updates(project: Project) -> None:
    old = list(tiny_codebook())
    relabelled = make_code("capital", label="Growth of capital", lemmas=("modal",),
                           positive=("bertambah",), negative=("macet",))
    new_code = make_code("capital.savings", parent="capital", label="Savings",
                         phrases=("tabungan",))
    report = project.update_codebook(edited(relabelled, *old[1:], new_code))
    assert report == {"added": ["capital.savings"], "updated": ["capital"], "removed": []}
    assert project.codebook["capital"].label_en == "Growth of capital"
    assert project.codebook["capital.savings"].phrases == ("tabungan",)
    assert project.codebook.name == "tiny-edited"
    # the existing coding now reports the new label
    frame = project.codings(code="capital")
    assert frame["code_label"].tolist() == ["Growth of capital"]


def test_update_codebook_with_the_same_codebook_changes_nothing(project: Project) -> None:
    before = project.dump()
    assert project.update_codebook(tiny_codebook()) == {"added": [], "updated": [], "removed": []}
    assert project.dump() == before


def test_update_codebook_refuses_to_remove_used_codes(project: Project) -> None:
    before = project.dump()
    keep = [c for c in tiny_codebook() if c.code_id not in ("capital", "capital.loan")]
    with pytest.raises(StoreError, match=r"capital \(1 manual codings\)") as info:
        project.update_codebook(edited(*keep))
    assert info.value.codes == ["capital"]  # capital.loan has no codings: not listed
    assert project.dump() == before
    assert "capital" in project.codebook


def test_update_codebook_removes_unused_codes(project: Project) -> None:
    keep = [c for c in tiny_codebook() if c.code_id != "stage"]
    report = project.update_codebook(edited(*keep))
    assert report["removed"] == ["stage"]
    assert "stage" not in project.codebook
    assert not any("'stage'" in line for line in table_lines(project.dump(), "codes"))
    assert len(project.codings()) == 2


# --------------------------------------------------------------------------- integrity
def test_integrity_holds_for_manual_and_auto_codings(project: Project) -> None:
    project.code(small_documents()[2].doc_id, 0, 7, "stage", coder="ana")
    project.autocode()
    assert project.check_integrity() == []
    frame = project.codings()
    texts = {d.doc_id: d.text for d in small_documents()}
    assert all(texts[d][s:e] == t for d, s, e, t in
               zip(frame["doc_id"], frame["start"], frame["end"], frame["text"], strict=True))


def test_integrity_check_finds_tampered_text(project: Project) -> None:
    with project._store.engine.begin() as conn:
        conn.execute(store.codings.update().where(store.codings.c.coder == "ana")
                     .values(text="something else"))
    problems = project.check_integrity()
    assert len(problems) == 1
    assert "stored text does not match offsets" in problems[0]


# --------------------------------------------------------------------------- hypothesis
CODERS = ("ana", "budi", "Çitra 🙂")
VALENCES = (None, "positive", "negative", "neutral")
#: Pieces of document text: any character but surrogates, plus emoji with modifiers, flags,
#: combining accents, line breaks and CJK punctuation.
_pieces = st.one_of(st.characters(exclude_categories=("Cs",)),
                    st.sampled_from(["🙂", "👍🏽", "🇮🇩", "é", "e\u0301", "ñ", "\n", " ", "。"]))
_texts = st.lists(_pieces, min_size=1, max_size=30).map("".join)


@st.composite
def corpus_and_codings(draw):
    texts = draw(st.lists(_texts, min_size=1, max_size=3))
    docs = [plain_document(f"d{i}", t) for i, t in enumerate(texts)]
    codes = list(tiny_codebook().ids)
    items = []
    for _ in range(draw(st.integers(1, 10))):
        doc = draw(st.sampled_from(docs))
        start = draw(st.integers(0, len(doc.text) - 1))
        end = draw(st.integers(start + 1, len(doc.text)))
        items.append((doc.doc_id, start, end, draw(st.sampled_from(codes)),
                      draw(st.sampled_from(CODERS)), draw(st.sampled_from(VALENCES))))
    return docs, items


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus_and_codings())
def test_manual_codings_round_trip(case) -> None:
    docs, items = case
    texts = {d.doc_id: d.text for d in docs}
    expected: dict[tuple, tuple] = {}
    with tempfile.TemporaryDirectory() as tmp:
        proj = Project.create(Path(tmp) / "p.uqp", corpus=docs, codebook=tiny_codebook())
        try:
            ids = {}
            for doc_id, start, end, code_id, coder, valence in items:
                key = (doc_id, start, end, code_id, coder)
                coding_id = proj.code(doc_id, start, end, code_id, coder=coder, valence=valence)
                assert ids.setdefault(key, coding_id) == coding_id  # a repeat returns the same id
                expected.setdefault(key, (valence or "neutral", texts[doc_id][start:end]))
            proj.close()
            proj = Project.open(Path(tmp) / "p.uqp")
            frame = proj.codings()
            got = {(r.doc_id, r.start, r.end, r.code_id, r.coder): (r.valence, r.text)
                   for r in frame.itertuples()}
            assert len(frame) == len(expected)
            assert got == expected
            assert set(frame["coding_id"]) == set(ids.values())
            assert (frame["origin"] == "manual").all()
            assert proj.check_integrity() == []
        finally:
            proj.close()


def test_update_codebook_drops_automatic_codings_of_removed_codes(project: Project) -> None:
    project.autocode()
    auto = project.codings(origin="auto")
    removed = {c for c in auto["code_id"] if c not in set(project.codings(origin="manual")
                                                           ["code_id"])}
    assert removed, "the fixture should have a code coded only automatically"
    keep = [c for c in tiny_codebook() if c.code_id not in removed]
    report = project.update_codebook(edited(*keep))
    assert set(report["removed"]) >= removed
    assert not set(project.codings()["code_id"]) & removed
    assert len(project.codings(origin="manual")) == 2  # manual codings untouched


# --------------------------------------------------------------------------- codebook versions
def versioned(version: str) -> Codebook:
    """The tiny codebook with a change log whose latest version is ``version``."""
    log = (ChangelogEntry("1.0", "2026-01-05", "first"),)
    if version != "1.0":
        log += (ChangelogEntry(version, "2026-02-01", "more cues"),)
    return Codebook(tiny_codebook().codes, name="tiny", changelog=log)


def test_codings_carry_the_codebook_version(project: Project, tmp_path: Path) -> None:
    old = set(project.codings()["coding_id"])
    assert project.codings()["codebook_version"].isna().all()  # the tiny codebook has none
    project.update_codebook(versioned("1.0"))
    assert project.codebook.version == "1.0"
    manual = project.code_quote("asoka-int-a", "Ketua rajin", "leadership", coder="ana")
    project.autocode()
    (tmp_path / "c.csv").write_text("doc_id,quote,code_id\nmelati-int-b,Modal macet,capital\n",
                                    encoding="utf-8")
    project.import_codings(tmp_path / "c.csv", coder="citra")
    project.update_codebook(versioned("1.1"))
    later = project.code_quote("melati-int-b", "Pinjaman belum lunas", "capital.loan", coder="ana")
    frame = project.codings().set_index("coding_id")
    version = frame["codebook_version"]
    assert version[list(old)].isna().all()  # made before the codebook had a version
    assert version[manual] == "1.0" and version[later] == "1.1"
    assert set(version[frame["origin"] == "auto"]) == {"1.0"}
    assert set(version[frame["coder"] == "citra"]) == {"1.0"}
    project.autocode()  # auto-coding again re-codes under the current version
    auto = project.codings(origin="auto")
    assert len(auto) and set(auto["codebook_version"]) == {"1.1"}


def test_stored_codebook_keeps_changelog_and_rules(engine_url: str | Path) -> None:
    codebook = real_codebook()
    Project.create(engine_url, codebook=codebook).close()
    with Project.open(engine_url) as again:
        stored = again.codebook
        assert stored.version == codebook.version is not None
        assert stored.changelog == codebook.changelog
        assert stored.rules == codebook.rules and set(stored.rules) == {"valence", "unit"}
        assert again.get_meta("codebook_version") == codebook.version
        again.update_codebook(tiny_codebook())  # a codebook without a change log
        assert again.codebook.version is None and again.codebook.rules == {}
        assert again.get_meta("codebook_version") is None


@SQLITE_ONLY
def test_a_version_2_file_gets_the_codebook_version_column(project: Project) -> None:
    path = project.path
    project.close()
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE codings DROP COLUMN codebook_version")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.close()
    assert store.check_version(path) == 2
    with pytest.warns(UserWarning, match=r"upgraded the project from schema version 2 to 5"), \
            Project.open(path) as again:
        assert again.get_meta("schema_version") == str(store.SCHEMA_VERSION) == "5"
        frame = again.codings()
        assert len(frame) == 2 and frame["codebook_version"].isna().all()  # kept, unknown
        again.update_codebook(versioned("1.1"))
        new = again.code_quote("melati-int-b", "Modal macet", "capital", coder="ana")
        assert again.codings().set_index("coding_id").loc[new, "codebook_version"] == "1.1"
        assert again.check_integrity() == []
    with sqlite3.connect(path) as conn:  # the column is nullable, as in a new file
        columns = {row[1]: row for row in conn.execute("PRAGMA table_info(codings)")}
    conn.close()
    assert columns["codebook_version"][3] == 0  # notnull flag
