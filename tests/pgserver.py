"""A throw-away PostgreSQL server for the tests (stdlib only; imported, not a conftest plugin).

:func:`start_server` runs Debian's ``initdb`` and ``pg_ctl`` (``postgresql`` package, highest
version under ``/usr/lib/postgresql/*/bin``) on a fresh cluster in a temporary directory, with
durability switched off and a Unix socket inside that directory (no TCP, so the system cluster on
port 5432, if any, is never touched). As root the cluster runs as the unprivileged ``postgres``
user (``runuser``); otherwise as the current user. :meth:`Server.stop` stops it with
``pg_ctl stop -m immediate`` and removes the directory.

:func:`available` says why a server cannot be started (or ``None``); :func:`reason_to_skip` does
the same but raises :class:`PgServerError` when ``UPPKS_QUAL_REQUIRE_PG=1`` (CI), so a missing
PostgreSQL fails the run instead of silently skipping half the suite.

Example (a pytest fixture)::

    reason = pgserver.reason_to_skip()
    if reason:
        pytest.skip(reason)
    server = pgserver.start_server()
    server.create_database("t1")
    engine = sqlalchemy.create_engine(server.url("t1"))
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import importlib.util
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: Environment variable that turns "PostgreSQL unavailable" into a hard error (set by CI).
REQUIRE_ENV = "UPPKS_QUAL_REQUIRE_PG"
#: Environment variable naming a ``bin`` directory to use instead of the Debian layout.
BIN_ENV = "UPPKS_QUAL_PG_BIN"
#: Where Debian's ``postgresql-<version>`` packages put the server binaries.
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
#: The unprivileged user the cluster runs as when the tests run as root.
SYSTEM_USER = "postgres"

_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SOCKET_PATH_MAX = 107  # sun_path is 108 bytes on Linux, including the NUL
_SERVER_OPTIONS = (
    "-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    " -c listen_addresses='' -c max_connections=100 -c unix_socket_permissions=0700"
)


class PgServerError(RuntimeError):
    """The throw-away PostgreSQL server could not be found, started or used."""


def find_bin_dir(pattern: str = DEBIAN_BIN_GLOB) -> Path | None:
    """The ``bin`` directory of the highest installed PostgreSQL, or ``None``.

    ``$UPPKS_QUAL_PG_BIN`` wins when set; otherwise the match of ``pattern`` (Debian's
    ``/usr/lib/postgresql/<version>/bin``) with the highest numeric version that has
    ``initdb``, ``pg_ctl`` and ``psql``.
    """
    override = os.environ.get(BIN_ENV)
    candidates = [override] if override else glob.glob(pattern)

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit()) or (0,)

    for path in sorted(candidates, key=version, reverse=True):
        bin_dir = Path(path)
        if all(os.access(bin_dir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "psql")):
            return bin_dir
    return None


def available() -> str | None:
    """Why a server cannot be started here, or ``None`` when it can.

    Checks the server binaries, the ``postgres`` user and ``runuser`` when running as root, and
    the ``psycopg`` driver that :meth:`Server.url` names.
    """
    if find_bin_dir() is None:
        return ("PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb; "
                "install Debian's 'postgresql' package or set UPPKS_QUAL_PG_BIN)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return f"running as root but there is no {SYSTEM_USER!r} user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root but 'runuser' is not installed"
    if importlib.util.find_spec("psycopg") is None:
        return "the psycopg driver is not installed (pip install 'psycopg[binary]')"
    return None


def required() -> bool:
    """Whether ``UPPKS_QUAL_REQUIRE_PG`` asks for a hard error instead of a skip."""
    return os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0", "false", "no")


def reason_to_skip() -> str | None:
    """:func:`available`, but raise :class:`PgServerError` when the server is required.

    Raises
    ------
    PgServerError
        When PostgreSQL is unavailable and ``UPPKS_QUAL_REQUIRE_PG=1``.
    """
    reason = available()
    if reason and required():
        raise PgServerError(f"{REQUIRE_ENV}=1 but {reason}")
    return reason


def _free_port() -> int:
    """A port number no local TCP listener uses (only names the socket file; no TCP is opened)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running throw-away cluster; see :func:`start_server`.

    Attributes
    ----------
    root : Path
        The temporary directory holding everything (removed by :meth:`stop`).
    bin_dir : Path
        The PostgreSQL ``bin`` directory used.
    user : str
        The database superuser (the OS user the cluster runs as).
    port : int
        The port number (names the socket file; no TCP listener).
    """

    root: Path
    bin_dir: Path
    user: str
    port: int
    _as_user: list[str] = field(default_factory=list, repr=False)
    _running: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        """The directory holding the Unix socket (``.s.PGSQL.<port>``)."""
        return self.root / "s"

    @property
    def log_file(self) -> Path:
        """The server log."""
        return self.root / "server.log"

    @property
    def running(self) -> bool:
        """Whether :meth:`stop` has not been called yet."""
        return self._running

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL of database ``dbname`` (psycopg 3 over the Unix socket)."""
        return (f"postgresql+psycopg://{self.user}@/{_check_name(dbname)}"
                f"?host={self.socket_dir}&port={self.port}")

    def psql(self, sql: str, *, dbname: str = "postgres") -> str:
        """Run ``sql`` with ``psql`` as the superuser and return its unaligned output."""
        args = [str(self.bin_dir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", str(self.socket_dir), "-p", str(self.port), "-U", self.user,
                "-d", dbname, "-c", sql]
        return _run(args, what=f"psql {sql!r}").stdout.strip()

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` and return its :meth:`url`."""
        self.psql(f"CREATE DATABASE {_check_name(name)}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` (closing its connections); no error if it does not exist."""
        self.psql(f"DROP DATABASE IF EXISTS {_check_name(name)} WITH (FORCE)")

    def databases(self) -> list[str]:
        """The names of the non-template databases."""
        out = self.psql("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1")
        return out.splitlines()

    def stop(self) -> None:
        """Stop the server (``-m immediate``) and remove :attr:`root`; safe to call twice."""
        self._running = False
        atexit.unregister(self.stop)
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(PgServerError):
                _run([*self._as_user, str(self.bin_dir / "pg_ctl"), "stop", "-m", "immediate",
                      "-w", "-D", str(self.data_dir)], what="pg_ctl stop", cwd=self.root)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(base_dir: Path | str | None = None) -> Server:
    """Create and start a throw-away cluster in a new directory under ``base_dir``.

    Parameters
    ----------
    base_dir : Path or str, optional
        Where to create the cluster directory; the system temp directory by default. Running as
        root, the ``postgres`` user must be able to reach it (pytest's ``tmp_path_factory``
        directories are ``0700`` root-owned, so keep the default there), and the socket path
        must stay under 107 bytes.

    Returns
    -------
    Server
        Running; call :meth:`Server.stop` (also registered with :mod:`atexit`).

    Raises
    ------
    PgServerError
        When PostgreSQL is unavailable or ``initdb``/``pg_ctl`` fail (with the log's tail).
    """
    reason = available()
    if reason:
        raise PgServerError(reason)
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="uppks-pg-", dir=base_dir)).resolve()
    as_root = os.geteuid() == 0
    user = SYSTEM_USER if as_root else pwd.getpwuid(os.geteuid()).pw_name
    server = Server(root=root, bin_dir=bin_dir, user=user, port=_free_port(),
                    _as_user=["runuser", "-u", SYSTEM_USER, "--"] if as_root else [])
    try:
        _prepare_dirs(server, as_root=as_root)
        _initdb(server)
        _pg_ctl_start(server)
    except BaseException:
        server.stop()
        raise
    atexit.register(server.stop)
    return server


def _prepare_dirs(server: Server, *, as_root: bool) -> None:
    server.socket_dir.mkdir(mode=0o700)
    socket_path = server.socket_dir / f".s.PGSQL.{server.port}"
    if len(os.fsencode(socket_path)) > _SOCKET_PATH_MAX:
        raise PgServerError(f"socket path {socket_path} is longer than {_SOCKET_PATH_MAX} "
                            "bytes; pass a shorter base_dir")
    if as_root:
        entry = pwd.getpwnam(SYSTEM_USER)
        for path in (server.root, server.socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        probe = subprocess.run([*server._as_user, "test", "-w", str(server.root)], check=False)
        if probe.returncode != 0:
            raise PgServerError(f"user {SYSTEM_USER!r} cannot write {server.root}: a parent "
                                "directory is not searchable by it; use another base_dir")


def _initdb(server: Server) -> None:
    _run([*server._as_user, str(server.bin_dir / "initdb"), "-D", str(server.data_dir),
          "-U", server.user, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
         what="initdb", cwd=server.root)


def _pg_ctl_start(server: Server) -> None:
    # pg_ctl hands -o to "sh -c exec postgres ...": quote the path for the shell.
    options = f"{_SERVER_OPTIONS} -k {shlex.quote(str(server.socket_dir))} -p {server.port}"
    try:
        _run([*server._as_user, str(server.bin_dir / "pg_ctl"), "start", "-w", "-t", "60",
              "-D", str(server.data_dir), "-l", str(server.log_file), "-o", options],
             what="pg_ctl start", cwd=server.root)
    except PgServerError as exc:
        log = server.log_file
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise PgServerError(f"{exc}\n--- {server.log_file} (tail) ---\n{tail}") from None
    server._running = True


def _run(args: list[str], *, what: str,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    for var in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSERVICE", "PGDATA"):
        env.pop(var, None)
    done = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, check=False)
    if done.returncode != 0:
        raise PgServerError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done


def _check_name(name: str) -> str:
    if not _DB_NAME.fullmatch(name):
        raise ValueError(f"database name must match {_DB_NAME.pattern} (no quoting needed); "
                         f"got {name!r}")
    return name
