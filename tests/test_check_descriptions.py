"""What a newcomer reads in the Dagster UI: every asset check says its severity first, ranges
have both bounds, dbt checks have short readable names, and descriptions and metadata show no
template text or unserializable objects.

Over the whole code location (`bold_assets.definitions.defs`): GX suite checks, leak checks,
linkage and output checks, dbt tests and multi-asset checks alike.
"""

from __future__ import annotations

import re
import warnings

import dagster as dg
import pytest

# Entries the UI never shows (dagster-webui's HIDDEN_METADATA_ENTRY_LABELS): dagster-dbt keeps its
# manifest and translator there for the run, so they cannot be serialised.
HIDDEN_IN_UI = {"dagster_dbt/manifest", "dagster_dbt/dagster_dbt_translator"}
DBT_ID = "dagster_dbt/unique_id"


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from bold_assets.definitions import defs

    return defs


@pytest.fixture(scope="module")
def specs(defs: dg.Definitions) -> list[dg.AssetCheckSpec]:
    graph = defs.resolve_asset_graph()
    return [graph.get_check_spec(k) for k in graph.asset_check_keys]


def _name(spec: dg.AssetCheckSpec) -> str:
    return f"{spec.asset_key.to_user_string()}:{spec.name}"


def test_every_check_says_its_severity_first(specs):
    """README convention: `BLOCKING: ` for a blocking check, `WARN: ` for any other."""
    blocking = [_name(s) for s in specs
                if s.blocking and not (s.description or "").startswith("BLOCKING: ")]
    warning = [_name(s) for s in specs
               if not s.blocking and not (s.description or "").startswith("WARN: ")]
    assert len(specs) > 1000 and any(s.blocking for s in specs)
    assert not blocking, f"{len(blocking)} blocking checks without 'BLOCKING: ': {blocking[:10]}"
    assert not warning, f"{len(warning)} other checks not starting 'WARN: ': {warning[:10]}"


def test_ranges_have_both_bounds_in_words(specs):
    """`between 1 and 9`, `at least 1`: never `in 1 .. ` with a bound left blank."""
    open_ranges = [f"{_name(s)}: {s.description}" for s in specs
                   if " .. " in (s.description or "")]
    assert not open_ranges, open_ranges[:10]
    from bold_assets.quality.build_suites import range_text

    assert range_text("offence_count", 1, None) == "offence_count at least 1"
    assert range_text("age", 0, 120, 0.99) == "age between 0 and 120 (in at least 99% of rows)"
    assert range_text("score", None, 1) == "score at most 1"


def test_dbt_check_names_are_short_and_readable(specs):
    """dbt's generated test names repeat the model and every argument (up to 206 characters),
    which the UI cuts in the middle (`accepted_valu…4__35_49__50_`), and a long one gets a hash.
    A dbt check is named `<test>__<column>`: no model name, no hash, no ellipsis."""
    dbt = [s for s in specs if DBT_ID in (s.metadata or {})]
    assert len(dbt) > 200
    bad = [_name(s) for s in dbt
           if "…" in s.name or len(s.name) > 48 or re.search(r"_[0-9a-f]{6,}$", s.name)
           or s.asset_key.path[-1] in s.name]
    assert not bad, f"{len(bad)} dbt check names not readable: {bad[:10]}"
    by_name = {(s.asset_key.path[-1], s.name): s for s in dbt}
    civil = by_name[("stg_civil", "not_null__row_id_hash")]
    assert civil.description == "BLOCKING: row_id_hash has no nulls (dbt test)"
    assert civil.metadata["dbt_test"] == "not_null_stg_civil_row_id_hash"
    ages = by_name[("person_needs_wave_0", "accepted_values__age_band")]
    assert "under 18, 18-24, 25-34, 35-49, 50+" in ages.description


def test_dbt_test_results_carry_the_check_names():
    """dagster-dbt names a test's result from the manifest the assets carry: the same names as
    the checks, or a run's results would not be its checks'."""
    from dagster_dbt.asset_utils import (
        get_asset_check_key_for_test,
        get_manifest_and_translator_from_dbt_assets,
    )

    from bold_assets.defs.wave_0 import marts

    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([marts.wave_0_dbt])
    checks = {s.metadata[DBT_ID]: s.key for s in marts.wave_0_dbt.check_specs}
    assert len(checks) > 200
    for uid, key in checks.items():
        assert get_asset_check_key_for_test(manifest, translator, uid, project=None) == key


def test_dbt_result_metadata_names_its_units():
    from bold_assets.defs.wave_0.marts import dbt_event_metadata

    md = dbt_event_metadata({"Execution Duration": dg.MetadataValue.float(0.448711),
                             "status": "success", "unique_id": "model.bold.x"})
    assert md == {"dbt_execution_seconds": dg.MetadataValue.float(0.449),
                  "dbt_status": "success", "dbt_unique_id": "model.bold.x"}


def test_descriptions_show_no_template_text(defs):
    """dbt descriptions rendered: `var('snapshot_date')` is the snapshot date, not Jinja."""
    from bold_assets.defs.wave_0.marts import plain_text

    assert plain_text("as at {{ var('snapshot_date') }} from {{ ref('stg_lsoa') }}") == (
        "as at the snapshot date (2024-01-01 unless the run config sets snapshot_date) from "
        "stg_lsoa")
    graph = defs.resolve_asset_graph()
    texts = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        texts[key.to_user_string()] = node.description or ""
        schema = node.metadata.get("dagster/column_schema")
        for c in getattr(schema, "columns", None) or []:
            texts[f"{key.to_user_string()}.{c.name}"] = c.description or ""
    jinja = sorted(k for k, t in texts.items() if "{{" in t or "var('" in t)
    assert not jinja, f"descriptions with template text: {jinja[:10]}"
    needs = texts["marts/person_needs_wave_1"]
    assert "as at the snapshot date (" in needs


def test_no_metadata_entry_is_unserializable(defs):
    """What the UI receives (the repository snapshot): no `[DbtProject] (unserializable)`."""
    from dagster._core.remote_representation.external_data import RepositorySnap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = RepositorySnap.from_def(defs.get_repository_def())
    bad = sorted({f"{n.asset_key.to_user_string()}: {k}" for n in snap.asset_nodes
                  for k, v in n.metadata.items()
                  if k not in HIDDEN_IN_UI and "unserializable" in repr(v)})
    assert not bad, f"{len(bad)} unserializable metadata entries: {bad[:10]}"


def test_dbt_warnings_are_read_from_the_invocation_folder(tmp_path):
    """dbt's warn-level log lines and warned tests reach the step's log (`dbt_warnings`), each
    once; debug and info lines do not."""
    import json

    from bold_assets.defs.wave_0.marts import dbt_warnings

    lines = [{"info": {"level": "debug", "msg": "running dbt"}},
             {"info": {"level": "warn", "msg": "[WARNING]: Deprecated   functionality"}},
             {"info": {"level": "warn", "msg": "[WARNING]: Deprecated functionality"}},
             {"info": {"level": "info", "msg": "1 of 2 PASS"}},
             {"info": {"level": "warn", "name": "LogTestResult", "msg": "WARN 3 test.bold.b"}},
             {"info": {"level": "warn", "name": "RunResultWarning", "msg": "Warning in b"}}]
    (tmp_path / "dbt.log").write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [
        {"unique_id": "test.bold.a", "status": "pass"},
        {"unique_id": "test.bold.b", "status": "warn", "message": "Got 3 results"}]}))
    assert dbt_warnings(tmp_path) == ["[WARNING]: Deprecated functionality",
                                      "test.bold.b: Got 3 results"]
    assert dbt_warnings(tmp_path / "missing") == []
