"""The Dagster UI in a real browser, as `make ui` serves it after `make run`.

Starts `dagster dev` (webserver and daemon) on the code location, with a copy of the pipeline's
warehouse and of the Dagster instance that recorded its `bold materialize` run, and drives
Debian's `chromium` headless through Playwright (`executable_path`; no browser is downloaded).
Skipped, saying why, when chromium or playwright is missing; `.ci/run` installs chromium so CI
runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from bold_assets import backfill
from tests.conftest import TEST_PROJECT_KEY, instance_home

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


# A quick step of the pipeline's run, re-executed from the UI by the test
STEP = "discovery__source_register"


@pytest.fixture(scope="module")
def ui_home(pipeline_warehouse: Path, pipeline_dagster_home: Path,
            tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Copies of the pipeline's warehouse and Dagster instance: the UI's runs must not change
    them for other tests."""
    root = tmp_path_factory.mktemp("ui")
    warehouse, home = root / "bold.duckdb", root / "dagster_home"
    shutil.copy(pipeline_warehouse, warehouse)
    shutil.copytree(pipeline_dagster_home, home)
    (home / "dagster.yaml").unlink()  # its event log is the original's: this one's instead
    instance_home(home)
    return warehouse, home


@pytest.fixture(scope="module")
def webserver(ui_home: tuple[Path, Path]):
    warehouse, home = ui_home
    env = {**os.environ, "DAGSTER_HOME": str(home), "BOLD_WAREHOUSE": str(warehouse),
           "BOLD_PROJECT_KEY": TEST_PROJECT_KEY, "PYTHONPATH": str(REPO)}
    # the copies are thrown away: no graceful shutdown of webserver, daemon and code server
    # (about 10 s)
    with backfill.dagster_dev(home / "dagster_dev.log", env=env, graceful=False) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser test skipped: playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


GRAPHQL_QUIET_S = 0.25  # no GraphQL call in flight for this long: the page has asked all it will


def _open(browser, url: str, *expect: str) -> str:
    """Open `url`, wait for each text of `expect` to show (the graph is laid out after the page
    loads), then until every GraphQL call the page made has answered; fail on a page error, a
    failed GraphQL call or an error banner. The page's text."""
    page = browser.new_page()
    errors: list[str] = []
    pending: set = set()
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("request", lambda r: pending.add(r) if "/graphql" in r.url else None)
    page.on("requestfinished", lambda r: pending.discard(r))
    page.on("requestfailed", lambda r: (pending.discard(r), errors.append(
        f"failed: {r.url} {r.failure}")) if "/graphql" in r.url else None)
    page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and "/graphql" in r.url else None)  # fmt: skip
    page.goto(url, wait_until="domcontentloaded", timeout=60_000)
    for text in expect:
        page.get_by_text(text, exact=False).first.wait_for(timeout=90_000)
    quiet, deadline = 0.0, time.monotonic() + 60
    while quiet < GRAPHQL_QUIET_S and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        quiet = 0.0 if pending else quiet + 0.05
    assert not pending, f"{url}: GraphQL calls unanswered after 60 s: {len(pending)}"
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


def test_columns_described_and_charts_on_their_pages(webserver, browser):
    """Column descriptions from the declarations (raw) and the outputs' own, on the asset pages;
    one Splink chart entry per model, named with the model."""
    from bold_assets import columns

    raw = _open(browser, f"{webserver}/assets/raw/mags", "defendant_surname")
    assert columns.describe("raw", "mags", "defendant_surname") in raw
    output = _open(browser, f"{webserver}/assets/outputs/lad_needs_wave_0", "denominator")
    assert columns.describe("outputs", "lad_needs_wave_0", "rate") in output
    charts = _open(browser, f"{webserver}/assets/linkage/model_parameters",
                   "match_weights_chart_dedupe_mags")
    assert {f"match_weights_chart_{m}" for m in ("dedupe_crown", "link_criminal",
                                                  "link_family_civil")} <= set(charts.split())


def _graphql(url: str, query: str, **variables: object) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


RUNS = """{ runsOrError { ... on Runs { results { runId status jobName runConfigYaml
           repositoryOrigin { repositoryLocationName repositoryName } } } } }"""
REEXECUTE = """mutation($p: ExecutionParams!) { launchPipelineReexecution(executionParams: $p) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""


def test_runs_of_bold_materialize_are_on_the_timeline_and_re_execute(webserver, browser):
    """The run of `bold materialize` carries the code location's origin: the Overview timeline
    shows it, and re-executing one of its steps from the UI (the mutation its "Re-execute"
    sends; the daemon launches the run) works."""
    runs = [r for r in _graphql(webserver, RUNS)["runsOrError"]["results"]
            if r["jobName"] == "all_assets_job"]
    assert runs and all(r["status"] == "SUCCESS" for r in runs), runs
    origins = {(r["repositoryOrigin"]["repositoryLocationName"],
                r["repositoryOrigin"]["repositoryName"]) for r in runs if r["repositoryOrigin"]}
    assert len(origins) == 1 and len(runs) == sum(1 for r in runs if r["repositoryOrigin"])
    [(location, repository)] = origins
    assert location == "bold_assets.definitions"
    timeline = _open(browser, f"{webserver}/overview/activity/timeline", "all_assets_job")
    assert location in timeline
    parent = runs[-1]
    launched = _graphql(webserver, REEXECUTE, p={
        "selector": {"repositoryLocationName": location, "repositoryName": repository,
                     "jobName": "all_assets_job"},
        "runConfigData": parent["runConfigYaml"], "stepKeys": [STEP],
        "executionMetadata": {"parentRunId": parent["runId"], "rootRunId": parent["runId"]}})
    answer = launched["launchPipelineReexecution"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    run_id, status, deadline = answer["run"]["runId"], "", time.monotonic() + 180
    while status not in ("SUCCESS", "FAILURE", "CANCELED") and time.monotonic() < deadline:
        time.sleep(1)
        status = _graphql(webserver, "query($id: ID!) { runOrError(runId: $id) { ... on Run { "
                          "status } } }", id=run_id)["runOrError"]["status"]
    assert status == "SUCCESS", status
