"""Servers that tests start themselves, on loopback: PostgreSQL, and JupyterLab with nbgrader.

Both are optional on a maintainer's machine and required in CI (README, "Tests that start
servers"): where one cannot start, :func:`unavailable` skips the test outside CI and fails
it, with the reason, when ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from glob import glob
from pathlib import Path

import pytest
import sqlalchemy

STARTUP_SECONDS = 60


def unavailable(what: str, why: str):
    """Fail (in CI) or skip (elsewhere) the calling test because ``what`` cannot run here."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} could not start: {why}", pytrace=False)
    pytest.skip(f"{what} is optional outside CI (README, 'Tests that start servers'): {why}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------- PostgreSQL


def postgres_program(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, or in Debian's versioned folder (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    return candidates[-1] if candidates else None


def as_server_user() -> list[str]:
    """A command prefix that drops root to ``nobody``: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--reset-env"]


class PostgresServer:
    """A throwaway PostgreSQL cluster in a temporary folder, on a free loopback port, with a password."""

    user = "grader"

    def __init__(self):
        self.initdb, self.pg_ctl = postgres_program("initdb"), postgres_program("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql)")
        self.password = secrets.token_hex(8)
        self.port = free_port()
        # Not under pytest's tmp_path: the server user must be able to reach its folder.
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-postgres-"))
        self.data = self.folder / "data"

    def url(self, database: str, password: str | None = None) -> str:
        return f"postgresql://{self.user}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        done = subprocess.run([*as_server_user(), *command], capture_output=True, text=True, timeout=STARTUP_SECONDS)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed: {(done.stdout + done.stderr).strip()[-800:]}")

    def start(self) -> None:
        password_file = self.folder / "password"
        password_file.write_text(self.password)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for path in (self.folder, password_file):
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        self._run(self.initdb, "-D", str(self.data), "-U", self.user, f"--pwfile={password_file}",
                  "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync")  # fmt: skip
        # fsync off: the cluster is thrown away with the test.
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run(
            self.pg_ctl, "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-o", options, "start"
        )

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        engine = sqlalchemy.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        if self.data.is_dir():
            subprocess.run([*as_server_user(), self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=STARTUP_SECONDS)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres_server():
    """A running :class:`PostgresServer`, or the test is skipped/failed (see :func:`unavailable`)."""
    try:
        server = PostgresServer()
    except RuntimeError as exc:
        unavailable("PostgreSQL", str(exc))
    try:
        try:
            server.start()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            unavailable("PostgreSQL", str(exc))
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------- JupyterLab

# Settings a fresh student machine would reasonably have, fixed so the page is predictable:
# every cell rendered (no windowing: the test reads cells far down the notebook), and no
# news or update check (the machine is offline; those pop-ups would cover the page).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def wait_for_http(url: str, process: subprocess.Popen, log: Path, seconds: float = STARTUP_SECONDS) -> None:
    """Return once ``url`` answers; RuntimeError with the server's last words if it exits or never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()[-800:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"no answer from {url} within {seconds:g} s: {log.read_text()[-800:]}")


# The repository's Jupyter configuration, which turns nbgrader's extensions on (as `make lab` does).
JUPYTER_CONFIG = Path(__file__).resolve().parents[1] / "jupyter_config"


class JupyterLab:
    """``jupyter lab`` serving ``root`` on a free loopback port, with a token and its own settings."""

    def __init__(self, root: Path, scratch: Path):
        self.root, self.scratch = root, scratch
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.log = scratch / "jupyter-lab.log"
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?token={self.token}"

    def start(self) -> None:
        settings = self.scratch / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))
        jupyter = Path(sys.executable).parent / "jupyter"
        command = [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.root}", f"--LabApp.user_settings_dir={settings}",
                   f"--LabApp.workspaces_dir={self.scratch / 'lab-workspaces'}"]  # fmt: skip
        if os.geteuid() == 0:
            command.append("--allow-root")
        env = os.environ | {
            "PATH": f"{jupyter.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "JUPYTER_CONFIG_PATH": str(JUPYTER_CONFIG),
        }
        with open(self.log, "w") as log:
            # From the course root, as an instructor or student starts it: formgrader reads nbgrader_config.py there.
            self.process = subprocess.Popen(command, cwd=self.root, stdout=log, stderr=subprocess.STDOUT, env=env)
        wait_for_http(self.url("api/status"), self.process, self.log)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def jupyter_lab(root: Path, scratch: Path):
    """A running :class:`JupyterLab`; the test fails with the server's log if it cannot start."""
    lab = JupyterLab(root, scratch)
    try:
        try:
            lab.start()
        except (RuntimeError, OSError) as exc:
            pytest.fail(f"JupyterLab could not start: {exc}", pytrace=False)
        yield lab
    finally:
        lab.stop()


# Chromium on a machine with no network and no display: no sandbox (CI runs as root), no GPU,
# and none of the background connections that an offline machine refuses.
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def chromium_executable() -> str | None:
    """Debian's Chromium (``apt-get install chromium``), or the one ``CHROMIUM`` names."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def chromium():
    """A headless Chromium driven by Playwright, or the test is skipped/failed (see :func:`unavailable`)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        unavailable("Chromium", f"Playwright is not installed ({exc}); pip install -e '.[dev]'")
    executable = chromium_executable()
    if not executable:
        unavailable("Chromium", "no chromium on PATH (Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        except Error as exc:
            unavailable("Chromium", f"{executable} did not start: {str(exc).splitlines()[0]}")
        try:
            yield browser
        finally:
            browser.close()
