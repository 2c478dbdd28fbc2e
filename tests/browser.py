"""A real browser and a real Jupyter server for the tests (imported, not a conftest plugin).

:func:`chromium` finds Debian's Chromium (package ``chromium``, installed by
``scripts/system_for_tests.sh``; ``UPPKS_QUAL_CHROMIUM`` names another binary). Playwright
drives it with ``executable_path``: Playwright's own browser download is never used (it is
not reachable here, and the tests must not depend on it). :func:`reason_to_skip` says why
the browser tests cannot run, or raises :class:`BrowserError` when
``UPPKS_QUAL_REQUIRE_BROWSER=1`` (CI), so a missing browser fails the run instead of
skipping it.

:class:`JupyterServer` starts JupyterLab (``app="lab"``) or Notebook 7 (``app="notebook"``)
on a free localhost port with a token, settings and workspaces in a temporary folder (so no
user setting or earlier session leaks in, and the "Jupyter news" prompt is off), and stops
it, with its kernels, on exit.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

#: Environment variable that turns "no browser" into a hard error (set by CI).
REQUIRE_ENV = "UPPKS_QUAL_REQUIRE_BROWSER"
#: Environment variable naming a Chromium binary to use instead of Debian's.
CHROMIUM_ENV = "UPPKS_QUAL_CHROMIUM"
#: Flags for a headless Chromium on a machine with no network but localhost: no sandbox (the
#: tests may run as root), no GPU, and none of the background connections (updates, sync,
#: QUIC) a closed network refuses.
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage")


class BrowserError(RuntimeError):
    """The browser or the Jupyter server could not be found or started."""


def chromium() -> str | None:
    """Path of the Chromium binary to drive, or None."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named if Path(named).is_file() else None
    for candidate in ("chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def available() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if importlib.util.find_spec("jupyterlab") is None:
        return "jupyterlab is not installed (pip install -e '.[test]')"
    if chromium() is None:
        return ("Debian's chromium is not installed (sh scripts/system_for_tests.sh, or set "
                f"{CHROMIUM_ENV})")
    return None


def reason_to_skip() -> str | None:
    """:func:`available`, but a :class:`BrowserError` when ``UPPKS_QUAL_REQUIRE_BROWSER=1``."""
    reason = available()
    if reason and os.environ.get(REQUIRE_ENV) == "1":
        raise BrowserError(f"{REQUIRE_ENV}=1 but the browser tests cannot run: {reason}")
    return reason


def launch(playwright: Any, folder: Path) -> Any:
    """A headless Chromium (Debian's) driven by ``playwright``, with a fresh profile in
    ``folder``; returns a Playwright ``BrowserContext``."""
    folder.mkdir(parents=True, exist_ok=True)
    return playwright.chromium.launch_persistent_context(
        str(folder), executable_path=chromium(), headless=True, args=list(CHROMIUM_ARGS),
        viewport={"width": 1400, "height": 1000})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: The Jupyter front ends: the module to run, its settings class, and the address of a
#: notebook under it.
APPS = {"lab": ("jupyterlab", "LabApp", "lab/tree/{}"),
        "notebook": ("notebook", "JupyterNotebookApp", "notebooks/{}")}


class JupyterServer:
    """JupyterLab or Notebook 7 serving ``root`` on localhost, for a ``with`` block.

    Examples
    --------
    >>> with JupyterServer(tmp_path, app="lab") as server:      # doctest: +SKIP
    ...     page.goto(server.notebook_url("work.ipynb"))
    """

    def __init__(self, root: Path, *, app: str = "lab", timeout: float = 120.0) -> None:
        self.app = app
        self.module, self.settings_class, self.notebook_path = APPS[app]
        self.root = root
        self.timeout = timeout
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.home = root.parent / f"{root.name}-jupyter"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.home / "server.log"

    def url(self, path: str = "lab") -> str:
        """The address of ``path`` on the server, with the token."""
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def notebook_url(self, name: str) -> str:
        """The address of notebook ``name`` (in ``root``) in this front end."""
        return self.url(self.notebook_path.format(name))

    def kernels_idle(self) -> bool:
        """Whether a kernel runs and every kernel is idle (the server's REST API). A kernel
        still starting can make the server answer 500 (jupyter_server lists it before its
        ``last_activity`` is set): that is "not yet"."""
        try:
            with urllib.request.urlopen(self.url("api/kernels"), timeout=5) as answer:
                kernels = json.loads(answer.read())
        except OSError:                 # urllib's HTTPError and URLError included
            return False
        return bool(kernels) and all(k.get("execution_state") == "idle" for k in kernels)

    def __enter__(self) -> JupyterServer:
        settings = self.home / "settings"
        notification = settings / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True, exist_ok=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(self.home / "config"),
               "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
               "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
               "PYTHONUNBUFFERED": "1"}
        cls = self.settings_class
        command = [sys.executable, "-m", self.module, "--no-browser", "--allow-root",
                   f"--port={self.port}", "--ip=127.0.0.1", "--port-retries=0",
                   f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={self.root}",
                   f"--{cls}.user_settings_dir={settings}",
                   f"--{cls}.workspaces_dir={self.home / 'workspaces'}"]
        if self.app == "lab":
            command += ["--LabApp.news_url=None",
                        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"jupyter {self.app} exited with {self.process.returncode}:\n"
                                   f"{self.log.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(self.url("api/status"), timeout=5) as answer:
                if answer.status == 200:
                    return self
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise BrowserError(f"jupyter {self.app} did not answer within {self.timeout:.0f} s:\n"
                           f"{self.log.read_text(errors='replace')[-3000:]}")

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


def write_notebook(path: Path, cells: list[str]) -> Path:
    """A notebook of code ``cells`` with the ``python3`` kernel named (no kernel dialog)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def run_all_cells(page: Any, server: JupyterServer, timeout: float = 180.0) -> None:
    """Run every cell of the notebook shown, from the front end's Run menu, once its kernel
    has started."""
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while not server.kernels_idle():
        if time.monotonic() > deadline:
            raise BrowserError(f"no idle kernel after {timeout:.0f} s")
        time.sleep(0.3)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_text("Run All Cells", exact=True).click()
