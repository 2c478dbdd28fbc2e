"""Schema migrations (Alembic, :mod:`uppks_qual.store.migrate`) and the PostgreSQL engine.

A schema-4 file (the schema before Alembic, built from the frozen
:mod:`uppks_qual.store.schema4` tables and a real project's rows) upgrades in place to the
head revision with a copy of it beside it, keeping every row; an upgrade that fails leaves the
file as it was; a fresh project on either engine is at the head, with the same schema as an
upgraded one. Then what only a server has: a missing database, a database holding other
tables, a project replaced only with ``overwrite``, passwords hidden, the write lock.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest_project import build_template, new_project, small_documents, tiny_codebook

from uppks_qual import store
from uppks_qual.errors import (
    SchemaVersionError,
    StoreBusyError,
    StoreConnectionError,
    StoreError,
)
from uppks_qual.project import Project
from uppks_qual.store import migrate, schema4

SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


def fill(proj: Project) -> None:
    """Manual codings with a memo, automatic codings, a review, a reading."""
    proj.code_quote("asoka-int-a", "Modal kami bertambah", "capital", coder="ana",
                    valence="positive", memo="growth")
    proj.code_quote("melati-int-b", "Ketua jarang datang", "leadership", coder="budi")
    proj.autocode(progress=False)
    sid = int(proj.suggest(1, "top")["suggestion_id"].iloc[0])
    proj.review(sid, coder="rina")
    proj.memo("capital", "a code memo", on="code", author="ana")


@pytest.fixture(scope="module")
def head_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("head") / "head.uqp", fill)


def make_schema4(source: Path, dest: Path) -> None:
    """A schema-4 file at ``dest`` holding ``source``'s rows (the columns schema 4 had)."""
    src = sa.create_engine(f"sqlite:///{source}")
    out = sa.create_engine(f"sqlite:///{dest}")
    try:
        with src.connect() as a, out.begin() as b:
            schema4.metadata.create_all(b)
            for table in schema4.metadata.sorted_tables:
                rows = a.execute(sa.select(*(sa.column(c.name) for c in table.c))
                                 .select_from(sa.table(table.name))).mappings().all()
                if rows:
                    b.execute(table.insert(), [dict(r) for r in rows])
            b.execute(sa.text("UPDATE meta SET value = '4' WHERE key = 'schema_version'"))
            seq = a.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'codings'"))
            b.execute(sa.text("UPDATE sqlite_sequence SET seq = :s WHERE name = 'codings'"),
                      {"s": seq.scalar()})
    finally:
        src.dispose()
        out.dispose()


@pytest.fixture
def schema4_file(head_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "old.uqp"
    make_schema4(head_file, path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def iterdump(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def frames(proj: Project) -> dict[str, pd.DataFrame]:
    return {"codings": proj.codings(), "documents": proj.documents(), "memos": proj.memos(),
            "reviews": proj.reviews(), "readings": proj.readings(),
            "coders": proj.coders()[["coder", "kind"]]}


def schema(conn: sa.Connection) -> dict[str, Any]:
    """Tables, columns, indexes and named checks: what two ways to a schema must agree on."""
    inspector = sa.inspect(conn)
    out = {}
    for name in sorted(inspector.get_table_names()):
        columns = sorted((c["name"], str(c["type"]), c["nullable"])
                         for c in inspector.get_columns(name))
        indexes = sorted((str(i["name"]), tuple(i["column_names"]), bool(i["unique"]))
                         for i in inspector.get_indexes(name))
        uniques = sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(name))
        out[name] = (columns, indexes, uniques)
    return out


# --------------------------------------------------------------------------- revisions
def test_head_revision_is_the_head_of_the_scripts() -> None:
    assert migrate.head() == store.HEAD_REVISION
    assert store.tables.REVISION_SCHEMA[store.HEAD_REVISION] == store.SCHEMA_VERSION


def test_a_fresh_project_is_at_the_head(engine_url: str | Path) -> None:
    with new_project(engine_url) as proj:
        assert proj._store.revision() == store.HEAD_REVISION
        assert proj.get_meta("schema_version") == str(store.SCHEMA_VERSION) == "5"
        assert proj.coders().columns.tolist() == ["coder", "kind", "role"]


# --------------------------------------------------------------------------- schema 4 files
def test_a_schema_4_file_upgrades_with_a_backup_keeping_every_row(
        head_file: Path, schema4_file: Path) -> None:
    with Project.open(head_file) as proj:
        before = frames(proj)
    assert store.check_version(schema4_file) == 4
    old_sha = sha(schema4_file)
    with pytest.warns(UserWarning, match=r"schema version 4 to 5.*old\.uqp\.bak-schema4"):
        proj = Project.open(schema4_file)
    with proj:
        backup = schema4_file.with_name("old.uqp.bak-schema4")
        assert sha(backup) == old_sha and store.check_version(backup) == 4
        for name, frame in frames(proj).items():
            pd.testing.assert_frame_equal(frame, before[name], obj=name)
        assert proj._store.revision() == store.HEAD_REVISION
        assert set(proj.coders()["role"]) == {"coder"}
        assert proj.check_integrity() == []
        # ids are still never reused, and a new coding records the newest codebook version
        top = int(before["codings"]["coding_id"].max())
        assert proj.code("melati-obs-c", 0, 7, "stage", coder="ana") > top
    with Project.open(schema4_file) as again:  # opened again: nothing more to do, no backup
        assert again._store.revision() == store.HEAD_REVISION
    assert sorted(p.name for p in schema4_file.parent.glob("old.uqp.bak*")) == [
        "old.uqp.bak-schema4"]


def test_an_upgraded_file_has_the_schema_of_a_new_one(schema4_file: Path, tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="upgraded"):
        Project.open(schema4_file).close()
    Project.create(tmp_path / "new.uqp").close()
    got, want = (sa.create_engine(f"sqlite:///{p}") for p in (schema4_file, tmp_path / "new.uqp"))
    try:
        with got.connect() as a, want.connect() as b:
            assert schema(a) == schema(b)
            sql = a.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'one_coding'"))
            assert "WHERE removed IS NULL" in sql.scalar()
    finally:
        got.dispose()
        want.dispose()


def test_a_removed_coding_can_be_made_again(schema4_file: Path) -> None:
    with pytest.warns(UserWarning, match="upgraded"):
        proj = Project.open(schema4_file)
    with proj:
        cid = proj.code_quote("asoka-int-a", "Modal kami bertambah", "capital", coder="ana",
                              valence="positive")
        with proj._store.engine.begin() as conn:  # what the next step's uncode will do
            conn.execute(store.codings.update().where(store.codings.c.coding_id == cid)
                         .values(removed="2026-01-01T00:00:00+00:00", removed_by="ana"))
        assert cid not in set(proj.codings()["coding_id"])
        again = proj.code_quote("asoka-int-a", "Modal kami bertambah", "capital", coder="ana")
        assert again != cid and again in set(proj.codings()["coding_id"])


def test_a_failing_upgrade_leaves_the_file_as_it_was(
        schema4_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dump = iterdump(schema4_file)
    upgrade = migrate.upgrade

    def half_done(conn: sa.Connection, revision: str = "head") -> None:
        upgrade(conn, revision)
        raise StoreError("disk trouble")

    monkeypatch.setattr(migrate, "upgrade", half_done)
    with pytest.raises(StoreError, match="disk trouble"):
        Project.open(schema4_file)
    assert iterdump(schema4_file) == dump
    assert store.check_version(schema4_file) == 4
    assert list(schema4_file.parent.glob("*.bak*")) == []  # the copy goes with the attempt


def test_a_revision_newer_than_the_library_is_refused(engine_url: str | Path) -> None:
    new_project(engine_url).close()
    raw_execute(engine_url, "UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaVersionError, match=r"newer than this uppks-qual.*pip install -U"):
        Project.open(engine_url)


def raw_execute(target: str | Path, sql: str) -> None:
    engine = sa.create_engine(target if not isinstance(target, Path) else f"sqlite:///{target}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- PostgreSQL
@POSTGRES_ONLY
def test_migrating_an_empty_database_gives_the_schema_of_a_new_project(
        new_target: Callable[[str], str]) -> None:
    migrated, fresh = new_target("migrated"), new_target("fresh")
    Project.create(fresh).close()
    engine = sa.create_engine(migrated)
    other = sa.create_engine(fresh)
    try:
        with engine.begin() as conn:
            migrate.upgrade(conn)
        with engine.connect() as a, other.connect() as b:
            assert schema(a) == schema(b)
    finally:
        engine.dispose()
        other.dispose()


@POSTGRES_ONLY
def test_the_server_path_end_to_end(engine_url: str) -> None:
    url = engine_url.replace("postgresql+psycopg://", "postgresql://")  # the same driver
    with new_project(url) as proj:
        assert proj.name == proj.path.name == sa.make_url(url).database
        first = proj.code_quote("asoka-int-a", "Modal kami bertambah", "capital", coder="ana")
        assert proj.code_quote("asoka-int-a", "Modal kami bertambah", "capital",
                               coder="ana") == first
        counts = proj.autocode(progress=False)
        assert counts["codings"] == len(proj.codings(origin="auto")) > 0
        auto_ids = set(proj.codings(origin="auto")["coding_id"])
        proj.autocode(progress=False)  # replaced: same codings, new ids
        assert not auto_ids & set(proj.codings(origin="auto")["coding_id"])
        proj.uncode(first)
        assert first not in set(proj.codings()["coding_id"])
        proj.ensure_writable()
        before = proj.dump()
        proj.ensure_writable()  # a probe write, rolled back
        assert proj.dump() == before
    with Project.open(url) as again:
        assert len(again.codings(origin="auto")) == counts["codings"]


def test_a_missing_database_is_a_connection_error(pg_server: Any) -> None:
    url = pg_server.url("no_such_database")
    for action in (Project.open, Project.create):
        with pytest.raises(StoreConnectionError, match=r"does not exist.*createdb") as info:
            action(url)
        assert "/no_such_database?" in info.value.path
        assert isinstance(info.value, StoreError)


@POSTGRES_ONLY
def test_a_database_with_other_tables_is_never_touched(engine_url: str, pg_server: Any) -> None:
    database = sa.make_url(engine_url).database
    pg_server.psql("CREATE TABLE invoices (n int); INSERT INTO invoices VALUES (7)",
                   dbname=database)
    for overwrite in (False, True):
        with pytest.raises(StoreError, match=r"not a uppks-qual project \(invoices\)"):
            Project.create(engine_url, codebook=tiny_codebook(), overwrite=overwrite)
    with pytest.raises(SchemaVersionError, match="holds no uppks-qual project"):
        Project.open(engine_url)
    assert pg_server.psql("SELECT string_agg(tablename, ',') FROM pg_tables "
                          "WHERE schemaname = 'public'", dbname=database) == "invoices"
    assert pg_server.psql("SELECT n FROM invoices", dbname=database) == "7"


@POSTGRES_ONLY
def test_a_project_is_replaced_only_with_overwrite(engine_url: str) -> None:
    with new_project(engine_url) as proj:
        proj.code("asoka-int-a", 0, 5, "capital", coder="ana")
        before = proj.dump()
    with pytest.raises(StoreError, match="already holds a uppks-qual project"):
        Project.create(engine_url)
    with Project.open(engine_url) as proj:
        assert proj.dump() == before
    with Project.create(engine_url, codebook=tiny_codebook(), overwrite=True) as fresh:
        assert fresh.codings().empty and fresh.documents().empty


@POSTGRES_ONLY
def test_a_copy_keeps_ids_and_never_reuses_them(head_file: Path, copy_to: Callable) -> None:
    with Project.open(head_file) as proj:
        want = proj.codings()
        top = store.Store._counter  # the source's counter, read the same way
        with proj._store._read() as conn:
            last = top(conn, "codings", "coding_id")
    with copy_to(head_file) as copy:
        pd.testing.assert_frame_equal(copy.codings(), want)
        new = copy.code("melati-obs-c", 0, 7, "stage", coder="ana")
        assert new > last


def test_urls_are_checked_and_passwords_hidden() -> None:
    with pytest.raises(StoreError, match="unsupported database URL scheme 'mysql'"):
        Project.open("mysql://u:pw@host/db")
    with pytest.raises(StoreError, match="names no database"):
        Project.open("postgresql+psycopg://u:pw@localhost:1/")
    with pytest.raises(StoreConnectionError, match="cannot reach the database server") as info:
        Project.open("postgresql+psycopg://coder:s3cret-pw@127.0.0.1:1/team")
    assert "s3cret-pw" not in str(info.value) and "coder:***@" in str(info.value)


@POSTGRES_ONLY
def test_a_held_write_lock_is_a_busy_error_naming_the_project(
        engine_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.1)
    monkeypatch.setattr(store, "WRITE_ATTEMPTS", 2)
    monkeypatch.setattr(store, "RETRY_PAUSE", 0.01)
    with new_project(engine_url) as proj:
        before = proj.dump()
        other = sa.create_engine(engine_url)
        try:
            with other.begin() as conn:  # another writer holding the project's lock
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    store.postgres.LOCK_KEY)))
                with pytest.raises(StoreBusyError, match=r"held its lock.*2 attempts") as info:
                    proj.code("asoka-int-a", 0, 5, "capital", coder="ana")
                assert info.value.path == proj.location and info.value.sqlstate == "55P03"
                assert proj._store.lock_retries == 1
                assert len(proj.codings()) == 0  # reads are not blocked
        finally:
            other.dispose()
        assert proj.dump() == before
        assert proj.code("asoka-int-a", 0, 5, "capital", coder="ana") > 0


@POSTGRES_ONLY
def test_documents_round_trip_unicode(engine_url: str) -> None:
    with new_project(engine_url) as proj:
        for doc in small_documents():
            assert proj.document(doc.doc_id).text == doc.text
