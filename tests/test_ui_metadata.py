"""What the Dagster UI shows: metadata naming no file by this machine's absolute path, one Splink
match weights chart per model, and quiet step output (no Splink notebook notes in the run's log).

The fast tests make their own tiny Splink model; the others read the Dagster instance of the run
that built the pipeline warehouse (conftest `pipeline_dagster_home`, xdist group "pipeline").
"""

from __future__ import annotations

import base64
import re
import tempfile
import warnings
from pathlib import Path

import dagster as dg
import pytest

from bold_assets.defs.paths import PROJECT_DIR
from bold_assets.linkage import charts
from tests.conftest import bold_env

MODEL_KEY = dg.AssetKey(["linkage", "model_parameters"])
CHART_PREFIX = "match_weights_chart_"
DATA_URI = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")  # may hold "/tmp/" by chance


def _tiny_model() -> dict:
    """A saved Splink model (settings dict) with two comparisons and their m / u."""
    import splink.comparison_library as cl
    from splink import SettingsCreator

    mu = {"m_probabilities": [0.9, 0.1], "u_probabilities": [0.01, 0.99]}
    return SettingsCreator(
        link_type="dedupe_only", probability_two_random_records_match=0.01,
        comparisons=[cl.ExactMatch("first_name").configure(**mu),
                     cl.ExactMatch("surname").configure(**mu)],
    ).get_settings("duckdb").as_dict()


def test_splink_chart_prints_nothing_and_names_its_model(tmp_path, capfd):
    model = _tiny_model()
    html = charts.splink_match_weights_html(model, "dedupe_tiny", tmp_path / "tiny.html")
    png = charts.splink_match_weights_png(model, "dedupe_tiny", tmp_path / "tiny.png")
    out = capfd.readouterr()
    assert "IFrame" not in out.out + out.err
    assert "Chart saved" not in out.out + out.err
    assert png.startswith(b"\x89PNG") and (tmp_path / "tiny.png").read_bytes() == png
    assert "dedupe_tiny" in html.read_text(encoding="utf-8")
    spec = charts.splink_match_weights_spec(model, "dedupe_tiny")
    assert spec["title"]["text"].startswith("dedupe_tiny: ")
    assert "mousewheel" not in str(spec).lower()


def test_suite_warnings_are_returned_not_printed(monkeypatch, capfd):
    from bold_assets.quality import runner

    def warn(con, suite):
        for _ in range(2):
            warnings.warn("GX says so", FutureWarning, stacklevel=1)
        return []

    monkeypatch.setattr(runner, "run_suite", warn)
    outcomes, said = runner.run_suite_warned(None, None)
    assert outcomes == [] and said == ["FutureWarning: GX says so"]
    assert "GX says so" not in capfd.readouterr().err


# On the pipeline run ----------------------------------------------------------------------------


def _metadata(instance: dg.DagsterInstance) -> list[tuple[str, str, dg.MetadataValue]]:
    """(asset or check, entry, value) of every materialisation, observation and check
    evaluation of every run in the instance."""
    kinds = {dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.ASSET_OBSERVATION,
             dg.DagsterEventType.ASSET_CHECK_EVALUATION}
    out = []
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id, of_type=kinds):
            data = entry.dagster_event.event_specific_data
            if entry.dagster_event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                where, md = data.asset_check_key.to_user_string(), data.metadata
            else:
                event = getattr(data, "materialization", None) or data.asset_observation
                where, md = event.asset_key.to_user_string(), event.metadata
            out += [(where, k, v) for k, v in md.items()]
    return out


def _machine_paths(warehouse: Path) -> list[str]:
    """Absolute folders of this machine that metadata must not name."""
    home = str(Path.home())
    folders = {str(warehouse.parent), str(warehouse.parent.resolve()), str(PROJECT_DIR), "/tmp/",
               tempfile.gettempdir().rstrip("/") + "/", *([home] if home != "/" else [])}
    return sorted(folders)


@pytest.fixture(scope="module")
def run_metadata(pipeline_dagster_home) -> list[tuple[str, str, dg.MetadataValue]]:
    with bold_env(DAGSTER_HOME=str(pipeline_dagster_home)):
        with dg.DagsterInstance.get() as instance:
            return _metadata(instance)


def test_metadata_names_no_absolute_path_of_this_machine(pipeline_warehouse, run_metadata):
    assert len(run_metadata) > 1000
    folders = _machine_paths(pipeline_warehouse)
    hits: dict[str, list[str]] = {}  # entry name -> where, with the folder named
    for where, name, value in run_metadata:
        text = DATA_URI.sub("", repr(value))  # text, path, url, json, md, tables alike
        hits.setdefault(name, []).extend(f"{where}: {f}" for f in folders if f in text)
    hits = {name: found for name, found in hits.items() if found}
    assert hits == {}, "metadata entries naming a local folder: " + "; ".join(
        f"{name} ({len(found)}, e.g. {found[0]})" for name, found in sorted(hits.items()))


def test_one_splink_chart_per_model(pipeline_dagster_home, run_metadata):
    from bold_assets.linkage.justice import PLANS

    with bold_env(DAGSTER_HOME=str(pipeline_dagster_home)):
        with dg.DagsterInstance.get() as instance:
            md = instance.get_latest_materialization_event(MODEL_KEY).asset_materialization.metadata
    found = {k.removeprefix(CHART_PREFIX): v for k, v in md.items() if k.startswith(CHART_PREFIX)}
    assert sorted(found) == sorted(p.name for p in PLANS)
    for name, value in found.items():
        assert isinstance(value, dg.MarkdownMetadataValue), name
        text = value.value
        assert text.startswith(f"### {name}"), text[:80]
        images = re.findall(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", text)
        assert len(images) == 1 and base64.b64decode(images[0]).startswith(b"\x89PNG"), name
    assert "match_weights" not in md  # the old all-in-one entry
    said = [f"{w} {n}" for w, n, v in run_metadata
            if "mousewheel" in DATA_URI.sub("", repr(v)).lower()]
    assert said == []


def test_run_log_holds_no_splink_notebook_notes(pipeline_dagster_home):
    logs = list((pipeline_dagster_home / "logs").glob("bold-materialize-*.log"))
    assert logs
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert text.count("IFrame") == 0 and "To view in Jupyter" not in text, log.name


def test_ui_audit_finds_undescribed_columns_absolute_paths_and_missing_severity(tmp_path):
    """`python -m bold_assets.ui_audit` counts what the UI would show wrong: here one column
    without a description, one absolute path and one check without its severity word."""
    from bold_assets.ui_audit import audit

    schema = dg.TableSchema(columns=[dg.TableColumn("a", "int", description="A number"),
                                     dg.TableColumn("b", "int")])

    @dg.asset(check_specs=[dg.AssetCheckSpec("plain", asset="t", blocking=True,
                                             description="no word first")])
    def t():
        yield dg.MaterializeResult(metadata={"dagster/column_schema": schema,
                                             "file": dg.MetadataValue.path("/tmp/x/report.png"),
                                             "shown": dg.MetadataValue.path("data/report.png")})
        yield dg.AssetCheckResult(check_name="plain", passed=True)

    defs = dg.Definitions(assets=[t])
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert dg.materialize([t], instance=instance).success
        found = audit(instance, defs)
    assert (found.columns, found.described) == (2, 1)
    assert found.absolute_paths == ["t: file"] and found.without_severity == ["t:plain"]
    assert not found.ok()
