"""The throw-away PostgreSQL server used by the store and project tests (``tests/pgserver.py``).

Skipped when PostgreSQL or psycopg is missing, unless ``UPPKS_QUAL_REQUIRE_PG=1`` (CI), which
makes a missing server an error instead.
"""

from __future__ import annotations

import multiprocessing
import os
import pwd
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pgserver
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

ROWS_PER_WORKER = 50


@pytest.fixture(scope="module")
def server() -> Iterator[pgserver.Server]:
    """One cluster for this module (started in well under a second; stopped after the module)."""
    reason = pgserver.reason_to_skip()
    if reason:
        pytest.skip(reason)
    srv = pgserver.start_server()
    yield srv
    srv.stop()


@pytest.fixture
def two_databases(server: pgserver.Server) -> Iterator[tuple[sa.Engine, sa.Engine]]:
    """Two fresh databases ``iso_a`` and ``iso_b`` as SQLAlchemy engines; dropped afterwards."""
    engines = [sa.create_engine(server.create_database(name)) for name in ("iso_a", "iso_b")]
    yield engines[0], engines[1]
    for engine, name in zip(engines, ("iso_a", "iso_b"), strict=True):
        engine.dispose()
        server.drop_database(name)


def _table_rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text("SELECT id, v FROM t ORDER BY id"))]


def test_sqlalchemy_round_trip(server: pgserver.Server) -> None:
    url = server.create_database("round_trip")
    engine = sa.create_engine(url)
    try:
        assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL)"))
            conn.execute(sa.text("INSERT INTO t (v) VALUES (:v)"),
                         [{"v": "kelompok"}, {"v": "anggota 'ñ' ✓"}])
        assert _table_rows(engine) == [(1, "kelompok"), (2, "anggota 'ñ' ✓")]
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW server_encoding")).scalar_one() == "UTF8"
    finally:
        engine.dispose()
        server.drop_database("round_trip")


def test_databases_are_isolated(two_databases: tuple[sa.Engine, sa.Engine]) -> None:
    engine_a, engine_b = two_databases
    with engine_a.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id int PRIMARY KEY, v text)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1, 'a only')"))
    assert not sa.inspect(engine_b).has_table("t")
    with engine_b.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id int PRIMARY KEY, v text)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1, 'b only'), (2, 'b again')"))
    assert _table_rows(engine_a) == [(1, "a only")]
    assert _table_rows(engine_b) == [(1, "b only"), (2, "b again")]


def test_create_and_drop_database(server: pgserver.Server) -> None:
    url = server.create_database("short_lived")
    assert "short_lived" in server.databases()
    engine = sa.create_engine(url, poolclass=NullPool)
    conn = engine.connect()
    try:
        server.drop_database("short_lived")  # WITH (FORCE): closes our open connection
        assert "short_lived" not in server.databases()
        with pytest.raises(sa.exc.DBAPIError):
            conn.execute(sa.text("SELECT 1"))
    finally:
        conn.close()
        engine.dispose()
    server.drop_database("short_lived")  # dropping a missing database is not an error


@pytest.mark.parametrize("name", ["Upper", "x; DROP DATABASE postgres", "1abc", "", "a" * 64])
def test_database_names_that_need_quoting_are_refused(server: pgserver.Server, name: str) -> None:
    with pytest.raises(ValueError, match="database name must match"):
        server.create_database(name)


def _worker(url: str, tag: str, barrier: Any, results: Any) -> None:
    """Connect, wait for the other worker, count live sessions, insert rows, wait again."""
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        conn.commit()
        barrier.wait(timeout=120)
        seen = conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend'")).scalar_one()
        conn.execute(sa.text("INSERT INTO t (tag) VALUES (:tag)"),
                     [{"tag": tag}] * ROWS_PER_WORKER)
        conn.commit()
        barrier.wait(timeout=120)
    engine.dispose()
    results.put((tag, pid, seen))


def test_concurrent_connections_from_two_processes(server: pgserver.Server) -> None:
    url = server.create_database("concurrent")
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (id serial PRIMARY KEY, tag text NOT NULL)"))
        ctx = multiprocessing.get_context("spawn")  # no libpq sockets inherited through fork
        barrier, results = ctx.Barrier(2), ctx.Queue()
        workers = [ctx.Process(target=_worker, args=(url, tag, barrier, results))
                   for tag in ("w1", "w2")]
        for proc in workers:
            proc.start()
        for proc in workers:
            proc.join(timeout=300)
        assert [proc.exitcode for proc in workers] == [0, 0]
        reports = sorted(results.get(timeout=10) for _ in workers)
        assert [tag for tag, _, _ in reports] == ["w1", "w2"]
        assert reports[0][1] != reports[1][1]  # two server backends
        assert all(seen >= 2 for _, _, seen in reports)  # both connected at the same time
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT tag, count(*) FROM t GROUP BY tag")).all()
        counts: dict[str, int] = dict(rows)
        assert counts == {"w1": ROWS_PER_WORKER, "w2": ROWS_PER_WORKER}
    finally:
        engine.dispose()
        server.drop_database("concurrent")


def test_cluster_is_private_and_not_durable(server: pgserver.Server) -> None:
    """Own data directory and socket, no TCP listener, fsync off; never the system cluster."""
    settings = dict(
        line.split("|") for line in server.psql(
            "SELECT name, setting FROM pg_settings WHERE name IN ('data_directory', "
            "'unix_socket_directories', 'listen_addresses', 'port', 'fsync', "
            "'synchronous_commit', 'full_page_writes')").splitlines())
    assert settings == {
        "data_directory": str(server.data_dir), "unix_socket_directories": str(server.socket_dir),
        "listen_addresses": "", "port": str(server.port), "fsync": "off",
        "synchronous_commit": "off", "full_page_writes": "off"}
    assert (server.socket_dir / f".s.PGSQL.{server.port}").is_socket()
    assert server.root.is_relative_to(Path(tempfile.gettempdir()).resolve())


def test_server_process_runs_unprivileged(server: pgserver.Server) -> None:
    postmaster_pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    status = Path(f"/proc/{postmaster_pid}/status").read_text()
    uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    assert uid != 0
    assert pwd.getpwuid(uid).pw_name == server.user
    assert server.data_dir.stat().st_uid == uid


def test_stop_removes_directory_and_server(server: pgserver.Server) -> None:
    other = pgserver.start_server()
    assert other.root != server.root and other.port != server.port
    other.create_database("doomed")
    engine = sa.create_engine(other.url("doomed"), poolclass=NullPool)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_database()")).scalar_one() == "doomed"
    pid = int((other.data_dir / "postmaster.pid").read_text().split()[0])
    other.stop()
    assert not other.root.exists() and not other.running
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    with pytest.raises(sa.exc.OperationalError):
        engine.connect()
    engine.dispose()
    other.stop()  # a second stop is a no-op
    assert server.psql("SELECT 1") == "1"  # the module's server is untouched


def test_failed_start_leaves_nothing_behind(server: pgserver.Server, tmp_path: Path) -> None:
    too_deep = tmp_path / ("d" * 100)
    too_deep.mkdir()
    with pytest.raises(pgserver.PgServerError, match=r"socket path .* longer than"):
        pgserver.start_server(too_deep)
    assert list(too_deep.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to another user")
def test_unreachable_base_dir_is_reported(server: pgserver.Server, tmp_path: Path) -> None:
    tmp_path.chmod(0o700)  # pytest's base temp is root-only, so 'postgres' cannot enter
    with pytest.raises(pgserver.PgServerError, match="'postgres' cannot write"):
        pgserver.start_server(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_find_bin_dir_takes_highest_complete_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pgserver.BIN_ENV, raising=False)
    for version, tools in [("9.6", "initdb pg_ctl psql"), ("13", "initdb pg_ctl psql"),
                           ("15", "initdb psql"), ("notaversion", "")]:
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        for tool in tools.split():
            (bin_dir / tool).touch(mode=0o755)
    assert pgserver.find_bin_dir(str(tmp_path / "*" / "bin")) == tmp_path / "13" / "bin"
    assert pgserver.find_bin_dir(str(tmp_path / "none" / "*")) is None


@pytest.mark.parametrize(("require", "raises"), [("1", True), ("0", False), ("", False)])
def test_missing_server_skips_unless_required(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require: str, raises: bool) -> None:
    monkeypatch.setenv(pgserver.BIN_ENV, str(tmp_path / "no-such-bin"))
    monkeypatch.setenv(pgserver.REQUIRE_ENV, require)
    assert "binaries not found" in (pgserver.available() or "")
    if raises:
        with pytest.raises(pgserver.PgServerError, match="UPPKS_QUAL_REQUIRE_PG=1 but"):
            pgserver.reason_to_skip()
    else:
        assert "binaries not found" in (pgserver.reason_to_skip() or "")
    with pytest.raises(pgserver.PgServerError, match="binaries not found"):
        pgserver.start_server(tmp_path)
