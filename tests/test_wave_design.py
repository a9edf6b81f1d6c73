"""A wave is its declarations: the linkage of every later wave comes from its link plans, a wave
declared outside the project (`tests/dummy_wave`, through `BOLD_CATALOG_EXTENSIONS`) gets every
layer and materialises, and definitions with an asset nobody produces are refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from bold_assets.catalog import CATALOG, LinkPlan, load_catalog
from bold_assets.defs.lineage import missing_producers, require_producers
from bold_assets.linkage import wave_link as W
from tests.conftest import instance_home
from tests.refresh_runs import copy_trained_models

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = "tests.dummy_wave"
POPULATION = 3000


def test_wave_link_spec_reads_every_plan_kind():
    spec = W.wave_link_spec(CATALOG, 1)
    (people,), (pupils,) = spec.into_spine, spec.links
    assert (people.source.name, people.key, people.dedupe_name) == ("pnc_people", "pnc_id",
                                                                    "dedupe_pnc")
    assert (pupils.source.name, pupils.people, pupils.table) == ("npd_census", "pnc_people",
                                                                  "pupil_links")
    assert set(spec.spine_sources) == set(CATALOG.waves[0].sources)
    # a later wave's spine holds the people an earlier wave added
    ext = load_catalog([EXTENSION])
    assert "pnc_people" in W.wave_link_spec(ext, 5).spine_sources


@pytest.mark.parametrize("plans, message", [
    ((LinkPlan("into", ("npd_census",), "into_spine"),), "dedupe_link plan on that source"),
    ((LinkPlan("dd", ("npd_census",), "dedupe_link"),), "belong to no into_spine plan"),
    ((LinkPlan("l", ("npd_census", "dummy"), "link"),), "dummy is not in the spine"),
    ((LinkPlan("t", ("npd_census",), "trace"),), "a trace plan names"),
    ((LinkPlan("t", ("npd_census",), "ttp"),), "a ttp plan names"),
    ((LinkPlan("x", ("npd_census", "pnc_people"), "match"),), "has no linkage for later waves"),
])
def test_a_plan_that_does_not_fit_is_named(plans, message):
    catalog = CATALOG.with_waves(replace(CATALOG.declared_waves[1], link_plans=plans))
    with pytest.raises(ValueError, match=message) as err:
        W.wave_link_spec(catalog, 1)
    assert "wave 1" in str(err.value)


def test_definitions_with_an_unproduced_asset_are_refused():
    from bold_assets.definitions import defs

    assert missing_producers(defs) == {}

    @dg.asset(deps=[dg.AssetKey(["research", "wave_9_link"])])
    def reader() -> None: ...

    broken = dg.Definitions(assets=[reader])
    assert missing_producers(broken) == {"research/wave_9_link": ["reader"]}
    with pytest.raises(ValueError, match="research/wave_9_link \\(read by reader\\)"):
        require_producers(broken)


def test_extension_wave_gets_every_layer_from_its_declarations():
    from bold_assets.definitions import build_definitions

    catalog = load_catalog([EXTENSION])
    graph = build_definitions(catalog).resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for name in ("dummy_people", "dummy_pop"):
        assert {f"raw/{name}", f"linkage/std_{name}", f"research/{name}"} <= keys
    wave = {"linkage/wave_5_person_ids", "linkage/dummy_links", "research/wave_5_link",
            "evaluation/wave_5_linkage_f1", "evaluation/wave_5_match_rates",
            "evaluation/wave_5_subgroup_errors"}
    assert wave <= keys
    # its spine step runs after wave 1's (waves 2-4 add nobody), its blocking check guards 0-4
    spine = graph.get(dg.AssetKey(["linkage", "wave_5_person_ids"]))
    assert dg.AssetKey(["linkage", "wave_1_person_ids"]) in spine.parent_keys
    assert spine.group_name == "wave_5"
    assert "wave_4_ids_unchanged" in {c.name for c in spine.check_keys}


def _project_copy(root: Path) -> Path:
    """The project's code, dbt project and suites copied under `root` (what a team's clone with
    its own extension is): the extension's generated dbt files and suites are written there,
    never into this tree."""
    proj = root / "project"
    ignore = shutil.ignore_patterns("target", "logs", "__pycache__", "*.pyc")
    for name in ("bold_assets", "dbt_project", "expectations"):
        shutil.copytree(ROOT / name, proj / name, ignore=ignore)
    shutil.copytree(ROOT / "tests" / "dummy_wave", proj / "tests" / "dummy_wave", ignore=ignore)
    (proj / "tests" / "__init__.py").write_text("")
    for model in (ROOT / "tests" / "dummy_wave").glob("stg_*.sql"):  # the wave's staging models
        shutil.copy(model, proj / "dbt_project" / "models" / "staging" / model.name)
    return proj


def _run(proj: Path, env: dict[str, str], *args: str) -> str:
    command = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", *args]
    proc = subprocess.run(command, cwd=proj, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{args}: " + proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc.stdout


@pytest.fixture(scope="module")
def dummy_wave_run(tmp_path_factory: pytest.TempPathFactory, refreshed: dict) -> Path:
    """The dummy wave's linkage and everything upstream of it, materialised by
    `bold materialize` in a fresh process whose catalogue holds the extension: the only steps
    besides the declarations are the generators of dbt files and suites. Wave 0's models are
    those the refreshes of tests/refresh_runs.py trained, saved beside the warehouse as a team
    adding a wave has its own (the wave's own linkage is trained in the run)."""
    root = tmp_path_factory.mktemp("dummy_wave")
    proj = _project_copy(root)
    copy_trained_models(refreshed, root)
    env = {**os.environ, "BOLD_CATALOG_EXTENSIONS": EXTENSION,
           "BOLD_WAREHOUSE": str(root / "bold.duckdb"), "BOLD_POPULATION": str(POPULATION),
           "BOLD_SEED": "7", "BOLD_PROJECT_KEY": "test-project-key-not-secret",
           "DAGSTER_HOME": str(root / "dagster_home"), "PYTHONPATH": str(proj)}
    env.pop("BOLD_LANDING_DIR", None)
    instance_home(root / "dagster_home")
    # the wave's linkage, research link file and evaluation; its dbt models are generated and
    # parsed here (the definitions load them) and built by tests/test_dbt.py on a tiny warehouse
    select = ",".join(f"+{k}" for k in (
        "research/wave_5_link", "evaluation/wave_5_linkage_f1", "evaluation/wave_5_match_rates",
        "evaluation/wave_5_subgroup_errors"))
    # the generators of dbt files and suites, then `bold materialize`, in one fresh process
    # (what `python -m bold_assets.catalog.dbt`, `python -m bold_assets.quality.build_suites`
    # and `bold materialize` do one after another; the definitions are first loaded after both)
    steps = ("from bold_assets.catalog import dbt; from bold_assets.quality import build_suites; "
             "from bold_assets import cli; import sys; "
             f"sys.exit(dbt.main([]) or build_suites.main([]) or cli.main(['materialize', "
             f"'--select', {select!r}]))")
    out = _run(proj, env, "-c", steps)
    (root / "stdout.txt").write_text(out)
    return root


def test_dummy_wave_materialises_and_links(dummy_wave_run):
    with duckdb.connect(str(dummy_wave_run / "bold.duckdb"), read_only=True) as con:
        counts = dict(con.execute("SELECT source_dataset, count(*) FROM linkage.person_ids "
                                  "GROUP BY 1").fetchall())
        n_people = con.execute("SELECT count(*) FROM raw.dummy_people").fetchone()[0]
        link_rows = dict(con.execute("SELECT source_dataset, count(*) FROM research.wave_5_link "
                                     "GROUP BY 1").fetchall())
        n_links = con.execute("SELECT count(*) FROM linkage.dummy_links").fetchone()[0]
        f1 = dict(con.execute("SELECT scope, f1 FROM evaluation.wave_5_linkage_f1").fetchall())
        earlier_changed = con.execute("""
            SELECT count(*) FROM linkage.person_ids_history h
            LEFT JOIN linkage.person_ids i USING (source_dataset, record_id, person_id)
            WHERE h.source_dataset NOT IN ('dummy_people') AND i.person_id IS NULL""").fetchone()[0]
    assert counts["dummy_people"] == n_people > 100  # every record in the spine
    assert link_rows["dummy_people"] == n_people
    assert link_rows["dummy_pop"] == n_links > 20
    assert earlier_changed == 0  # earlier waves' ids untouched
    # the linkage is real: the people found in the spine and the population linked to them
    assert f1["dummy_people-spine"] >= 0.9, f1
    assert f1["dummy_pop-dummy_people records"] >= 0.8, f1
    summary = (dummy_wave_run / "stdout.txt").read_text()
    assert "wave 5 linkage F1" in summary
    line = next(x for x in summary.splitlines() if x.startswith("checks this run:"))
    assert line.endswith(" 0 failed"), line  # every check, the wave's blocking ones included
