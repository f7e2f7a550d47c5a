"""Fixtures for the real-browser tests: a throwaway JupyterLab server and Chromium.

The server runs on 127.0.0.1 on a free port, without token or password, from
temporary settings, runtime, config and workspace directories, and serves a
temporary COPY of notebooks/ (the tests never touch the repository's notebooks).
Chromium is Debian's (/usr/bin/chromium) driven by Python Playwright; no browser
is ever downloaded. Without Chromium or Playwright the tests are skipped with the
reason, except in CI (the environment variable CI is set), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = ROOT / "notebooks"
SCREENSHOTS_DIR = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = Path(os.environ.get("GRADLIB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SERVER_START_SECONDS = 90

# JupyterLab user settings: no news pop-up, and every cell rendered (not only the visible ones),
# so the tests can find each cell's outputs.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # The slideshow selects a slide's first code cell some 450 ms after arriving on it; a test
    # that steps with Shift+Enter would race that move, so it steps from cell to cell only.
    "jupyterlab-rise/plugin.jupyterlab-settings": {"auto_select": "none"},
}


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI must run the browser tests, but {reason}.")
    pytest.skip(reason)


@dataclass
class LabServer:
    url: str
    root: Path  # the temporary copy of notebooks/ that the server serves

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Delete every session (and so its kernel), freeing the CPU for the next notebook."""
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings_dir: Path) -> None:
    for relative, values in LAB_SETTINGS.items():
        path = settings_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def running_lab(base: Path) -> Iterator[LabServer]:
    """JupyterLab serving a copy of notebooks/ in ``base`` (an empty folder), until exit."""
    root = base / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _write_settings(base / "settings")
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "IPYTHONDIR": str(base / "ipython"),
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--allow-root",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={root}",
    ]
    log_path = base / "jupyterlab.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = LabServer(url=f"http://127.0.0.1:{port}", root=root)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at start:\n{log_path.read_text()[-3000:]}")
            try:
                server.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not answer within {SERVER_START_SECONDS} s:\n"
                        f"{log_path.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        try:
            server.shut_down_kernels()
        except (urllib.error.URLError, ConnectionError, OSError):
            pass  # the server is already gone; stopping it below is all that is left
        _stop(process)


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def relaunch(browser):
    """Launch another Chromium like ``browser`` (same executable and flags) with extra
    environment variables: ``relaunch({"FONTCONFIG_FILE": ...})``. Closed after the test."""
    launched = []

    def launch(env: dict[str, str]) -> object:
        launched.append(
            browser.browser_type.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env={**os.environ, **env}
            )
        )
        return launched[-1]

    yield launch
    for other in launched:
        other.close()


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    try:
        with running_lab(tmp_path_factory.mktemp("jupyterlab")) as server:
            yield server
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _skip_or_fail("Python Playwright is not installed (pip install playwright)")
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def screenshots_dir() -> Path:
    SCREENSHOTS_DIR.mkdir(exist_ok=True)
    return SCREENSHOTS_DIR
