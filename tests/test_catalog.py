"""The catalogue: every declared source meets the source contract, and a source added to a copy
of the catalogue (wave 1) gets its group, job, schedule and suites from the declarations."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bold_assets.catalog import (
    CATALOG,
    LINK_ROLES,
    NATIONAL_ID_KINDS,
    SOURCES,
    WAVES,
    Catalog,
    Source,
)
from bold_assets.catalog import dbt as catalog_dbt

ROOT = Path(__file__).resolve().parents[1]
STAGING = ROOT / "dbt_project" / "models" / "staging"


def dbt_source_tables() -> set[str]:
    doc = yaml.safe_load((STAGING / "_sources.yml").read_text(encoding="utf-8"))
    research = [s for s in doc["sources"] if s["name"] == "research"]
    return {t["name"] for s in research for t in s["tables"]}


def contract_problems(src: Source, catalog: Catalog, dbt_tables: set[str],
                      staging_dir: Path = STAGING) -> list[str]:
    """What `src` lacks, one line each naming the source and the missing piece."""
    p: list[str] = []
    cols = set(src.columns)
    where = f"bold_assets/catalog/sources/ ({src.name})"
    if src.wave not in catalog.waves:
        p.append(f"{src.name}: wave {src.wave} is not declared in bold_assets/catalog/waves.py")
    for what, col in (("key", src.key), ("event_date", src.event_date),
                      *(("identifier", c) for c in src.identifiers.roles.values()),
                      *(("case id", c) for c in src.case_ids),
                      *(("code list", c) for c in src.codes)):
        if col not in cols:
            p.append(f"{src.name}: {what} column {col!r} is not among its columns")
    for kind, col in src.identifiers.national_ids.items():
        if kind not in NATIONAL_ID_KINDS:
            p.append(f"{src.name}: national id kind {kind!r} is not one of "
                     f"{sorted(NATIONAL_ID_KINDS)}")
        if col not in cols:
            p.append(f"{src.name}: national id column {col!r} is not among its columns")
    if src.link_role not in LINK_ROLES:
        p.append(f"{src.name}: link_role {src.link_role!r} is not one of {sorted(LINK_ROLES)}")
    if src.link_role == "attribute":
        parent = catalog.sources.get(src.parent or "")
        if parent is None:
            p.append(f"{src.name}: attribute table needs parent= a declared source "
                     f"(got {src.parent!r})")
        elif not src.parent_key or src.parent_key not in cols \
                or src.parent_key not in parent.columns:
            p.append(f"{src.name}: attribute table needs parent_key= a column of both "
                     f"{src.name} and {parent.name} (got {src.parent_key!r})")
        if src.has_identifiers:
            p.append(f"{src.name}: attribute table declares personal identifiers")
    elif src.link_role == "coverage":
        if src.has_identifiers:
            p.append(f"{src.name}: a coverage table declares personal identifiers")
    elif src.link_role in LINK_ROLES and not src.has_identifiers:
        p.append(f"{src.name}: link_role {src.link_role!r} needs identifiers to link on")
    q = src.quality
    if q is None:
        p.append(f"{src.name}: no quality profile (quality=QualityProfile(...) in {where})")
    else:
        for role in src.identifiers.roles:
            if role not in q.completeness:
                p.append(f"{src.name}: quality profile lacks a completeness threshold for {role}")
        used = [c for pair in q.date_order for c in pair] + list(q.numeric_ranges)
        used += [*q.lsoa_columns, *q.lad_columns, *q.integer_value_sets()]
        p += [f"{src.name}: quality profile names column {c!r}, which it does not have"
              for c in used if c not in cols]
    undescribed = [c for c in src.columns if not src.descriptions.get(c)]
    if undescribed:
        p.append(f"{src.name}: no description (descriptions= in {where}) for columns "
                 f"{undescribed[:5]}")
    if not (staging_dir / f"stg_{src.name}.sql").exists():
        p.append(f"{src.name}: no staging model dbt_project/models/staging/stg_{src.name}.sql")
    if src.name not in dbt_tables:
        p.append(f"{src.name}: no dbt source entry in models/staging/_sources.yml "
                 f"(run {catalog_dbt.GENERATOR})")
    return p


@pytest.mark.parametrize("name", list(SOURCES))
def test_declared_source_meets_the_contract(name):
    problems = contract_problems(SOURCES[name], CATALOG, dbt_source_tables())
    assert not problems, "source contract broken:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", list(SOURCES))
def test_declared_source_has_its_generator(name):
    src = SOURCES[name]
    if importlib.util.find_spec("bold_assets.world.sources") is None:
        pytest.skip("bold_assets.world.sources (the per-source generators) is not in this tree")
    assert src.generator, f"{name}: no generator= declared"
    assert importlib.util.find_spec(src.generator) is not None, \
        f"{name}: generator module {src.generator} does not exist"
    module = importlib.import_module(src.generator)
    produces = getattr(module, "PRODUCES", ())
    assert name in produces, f"{name}: {src.generator}.PRODUCES {produces} does not list it"
    if src.has_identifiers:  # identifiers as the source records them: its error profile
        from bold_assets.world.records import error_profile

        error_profile(name)


def test_contract_names_the_source_and_the_missing_piece(tmp_path):
    mags = SOURCES["mags"]
    broken = replace(mags, name="ghost", link_role="friend", quality=None,
                     descriptions={}, identifiers=replace(mags.identifiers,
                                                          national_ids={"passport": "nope"}))
    orphan = replace(mags, name="orphan", link_role="attribute", parent="nowhere")
    catalog = CATALOG.with_sources(broken, orphan)
    problems = contract_problems(broken, catalog, {"mags"}, tmp_path)
    text = "\n".join(problems)
    for piece in ("link_role 'friend'", "no quality profile", "stg_ghost.sql",
                  "no dbt source entry", "no description", "national id kind 'passport'",
                  "national id column 'nope'"):
        assert "ghost: " in text and piece in text, (piece, text)
    orphan_text = "\n".join(contract_problems(orphan, catalog, {"orphan"}, STAGING))
    assert "orphan: attribute table needs parent=" in orphan_text
    assert "orphan: attribute table declares personal identifiers" in orphan_text


def test_link_roles_and_waves_derive_from_declarations():
    from bold_assets import sources as legacy
    from bold_assets.linkage.models import justice_plans

    assert WAVES[0].sources == ("mags", "crown", "prison", "probation", "oasys", "family",
                                "civil")
    assert legacy.CRIMINAL_SOURCES == tuple(s for s in WAVES[0].sources
                                            if SOURCES[s].link_role == "criminal")
    assert legacy.WEAK_SOURCES == ("family", "civil")
    assert [s for s in SOURCES if SOURCES[s].weak_identifiers] == ["family", "civil"]
    models = justice_plans(legacy.CRIMINAL_SOURCES, legacy.WEAK_SOURCES)
    assert [(p.name, tuple(p.sources)) for p in WAVES[0].link_plans] == \
        [(m.name, tuple(m.sources)) for m in models]
    # a criminal source of a later wave joins that wave, never wave 0's justice models
    later = replace(SOURCES["mags"], name="later", wave=2)
    copy = CATALOG.with_sources(later)
    assert copy.waves[2].sources == (*WAVES[2].sources, "later")
    assert copy.waves[0] == WAVES[0]
    with pytest.raises(ValueError, match="orphan \\(wave 9\\)"):
        CATALOG.with_sources(replace(later, name="orphan", wave=9))


def test_generated_dbt_files_are_current():
    stale = [str(p) for p, text in catalog_dbt.generated().items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"{stale} differ from the catalogue: run {catalog_dbt.GENERATOR}"


# A source added to a copy of the catalogue ---------------------------------------------------

DUMMY = replace(SOURCES["prison"], name="dummy_w1", title="Dummy wave-1 extract", wave=1,
                link_role="person", generator="bold_assets.world.sources.dummy_w1")
DUMMY_ATTR = Source(
    name="dummy_w1_attr", title="Dummy attribute table", system="test", key="row_id",
    columns={"row_id": "VARCHAR", "journey_id": "VARCHAR", "event": "DATE", "score": "INTEGER"},
    identifiers=replace(SOURCES["prison"].identifiers, forename=None, middle_name=None,
                        surname=None, dob=None, sex=None, postcode=None, ethnicity=None),
    event_date="event", coverage=(2015, 2023), wave=1, link_role="attribute",
    parent="dummy_w1", parent_key="journey_id",
    quality=replace(SOURCES["prison"].quality, completeness={}, date_order=(),
                    numeric_ranges={"score": (0, 10)}),
)


@pytest.fixture(scope="module")
def wave_1_catalog() -> Catalog:
    return CATALOG.with_sources(DUMMY, DUMMY_ATTR)


@pytest.fixture(scope="module")
def wave_1_defs(wave_1_catalog):
    from bold_assets.definitions import build_definitions

    return build_definitions(wave_1_catalog)


def test_wave_1_source_gets_its_group_job_and_schedule(wave_1_defs, wave_1_catalog):
    import dagster as dg

    graph = wave_1_defs.resolve_asset_graph()
    for key in (["raw", "dummy_w1"], ["linkage", "std_dummy_w1"], ["research", "dummy_w1"],
                ["raw", "dummy_w1_attr"], ["research", "dummy_w1_attr"]):
        assert graph.get(dg.AssetKey(key)).group_name == "wave_1", key
    assert not graph.has(dg.AssetKey(["linkage", "std_dummy_w1_attr"]))  # nothing to link on
    assert "no_identifiers" in {c.name for c in
                                graph.get(dg.AssetKey(["research", "dummy_w1"])).check_keys}
    job = wave_1_defs.resolve_job_def("wave_1_job")
    selected = job.asset_layer.executable_asset_keys
    assert dg.AssetKey(["research", "dummy_w1"]) in selected
    assert not any(k.path[0] == "truth" for k in selected)
    assert dg.AssetKey(["raw", "mags"]) not in selected  # wave 0 stays in wave_0_job
    repo = wave_1_defs.get_repository_def()
    schedule = repo.get_schedule_def("wave_1_weekly_refresh")
    assert schedule.job_name == "wave_1_job"
    assert schedule.cron_schedule == wave_1_catalog.waves[1].cron
    # wave 0 is unchanged by the new wave
    assert repo.get_schedule_def("wave_0_weekly_refresh").cron_schedule == WAVES[0].cron
    assert not graph.has(dg.AssetKey(["raw", "dummy_w2"]))
    assert {j.name for j in repo.get_all_jobs() if j.name.startswith("wave_")} == {
        w.job_name for w in wave_1_catalog.active_waves()}


def test_wave_1_source_gets_suites_without_key_error(wave_1_catalog):
    from bold_assets.quality import build_suites as b

    suites = b.build_all(wave_1_catalog)
    for name in ("raw.dummy_w1", "linkage.std_dummy_w1", "research.dummy_w1",
                 "raw.dummy_w1_attr", "research.dummy_w1_attr"):
        checks = {e["meta"]["check_name"] for e in suites[name]["expectations"]}
        assert {"row_count_nonzero", "rows__column_types"} <= checks, name
    assert "between__score" in {e["meta"]["check_name"]
                                for e in suites["raw.dummy_w1_attr"]["expectations"]}
    assert "linkage.std_dummy_w1_attr" not in suites
    # wave 0's suites do not change when a wave-1 source is declared
    base = b.build_all()
    assert all(suites[k] == v for k, v in base.items())


def test_missing_quality_profile_is_named_not_a_key_error():
    from bold_assets.quality import build_suites as b

    bare = replace(DUMMY, name="bare", quality=None)
    with pytest.raises(b.MissingProfile, match="'bare' declares no quality profile"):
        b.build_all(CATALOG.with_sources(bare))
    partial = replace(DUMMY, name="partial", quality=replace(DUMMY.quality, completeness={}))
    with pytest.raises(b.MissingProfile, match="'partial' has a forename identifier"):
        b.build_all(CATALOG.with_sources(partial))


def test_attribute_table_research_sql_hashes_the_parent_key_like_the_parent():
    import duckdb

    from bold_assets import pseudonymise as ps
    from bold_assets.linkage.research import research_source_sql

    key = b"test-key"
    con = duckdb.connect()
    ps.register_hmac(con, key)
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA reference")
    con.execute("CREATE TABLE reference.lsoa (lsoa_code VARCHAR, lad_code VARCHAR)")
    con.execute("CREATE TABLE raw.dummy_w1_attr AS SELECT * FROM (VALUES "
                "('r1', 'J1', DATE '2020-01-01', 3), ('r2', 'J2', DATE '2021-05-01', NULL)) "
                "t(row_id, journey_id, event, score)")
    out = con.sql(research_source_sql("dummy_w1_attr", DUMMY_ATTR)).df()
    assert list(out.columns) == list(DUMMY_ATTR.research_columns)
    assert "journey_id" not in out.columns and len(out) == 2
    assert sorted(out["journey_id_hash"]) == sorted(
        ps.pseudonym("dummy_w1", "journey_id", v, key) for v in ("J1", "J2"))
    assert out["age_at_event"].isna().all()
