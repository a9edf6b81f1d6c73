"""The Dagster UI in a real browser: the global lineage and an asset page load without errors.

Starts `dagster-webserver` (the UI of `dagster dev`, without the daemon) on the code location, with
a built warehouse, and drives Debian's `chromium` headless through Playwright (`executable_path`;
no browser is downloaded). Skipped, saying why, when chromium or playwright is missing; `.ci/run`
installs chromium so CI runs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TEST_PROJECT_KEY

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]  # fmt: skip
REPO = Path(__file__).resolve().parents[1]
# Texts of Dagster's error banners and load failures
ERROR_TEXTS = ("Unexpected GraphQL error", "PythonError", "Something went wrong",
               "Error loading", "could not be loaded", "Failed to load", "Code location error")

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="browser test skipped: no chromium (apt-get install -y chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def webserver(raw_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("ui_dagster_home")
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "BOLD_WAREHOUSE": str(raw_warehouse),
           "BOLD_PROJECT_KEY": TEST_PROJECT_KEY, "PYTHONPATH": str(REPO)}
    exe = Path(sys.executable).with_name("dagster-webserver")
    log = open(home / "webserver.log", "w")
    proc = subprocess.Popen([str(exe), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dagster-webserver did not start: "
                                       + (home / "webserver.log").read_text()[-2000:]) from None
                time.sleep(1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser test skipped: playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _open(browser, url: str, *expect: str) -> str:
    """Open `url`, wait for each text of `expect` to show (the graph is laid out after the page
    loads); fail on a page error, a failed GraphQL call or an error banner. The page's text."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and "/graphql" in r.url else None)  # fmt: skip
    page.goto(url, wait_until="domcontentloaded", timeout=60_000)
    for text in expect:
        page.get_by_text(text, exact=False).first.wait_for(timeout=90_000)
    page.wait_for_load_state("networkidle", timeout=60_000)
    text = page.inner_text("body")
    page.close()
    banners = [t for t in ERROR_TEXTS if t.lower() in text.lower()]
    assert not errors and not banners, f"{url}: {errors} {banners}"
    return text


def test_lineage_and_asset_page_load(webserver, browser):
    groups = ("wave_0", "truth", "reference", "evaluation")
    lineage = _open(browser, f"{webserver}/asset-groups", "Global asset lineage", *groups)
    assert set(groups) <= set(lineage.split())
    asset = _open(browser, f"{webserver}/assets/raw/mags", "Raw extract (identifier zone)",
                  "std_mags")  # wait for its lineage panel, drawn after the page loads
    assert "linkage / std_mags" in asset
    checks = _open(browser, f"{webserver}/assets/research/xjs_link?view=checks", "BLOCKING")
    assert "not_null__xjs_id_high" in checks and "This is a blocking asset check" in checks
