"""Each wave's person mart under perfect linkage: the evaluation's truth for the estimates.

Evaluation only (it reads `truth.*`). The register's flags are computed by the same dbt SQL as
the production marts (`marts.person_needs_wave_<n>`), compiled by dbt, with one change: every
wave's link file (`stg_<link>`, research record -> estimated person) is replaced by a truth link
file holding *every* record of the same sources with its true person as the person key. So a
true person's flag is what the register's definition gives on all of their records, linked
without error: the reference the intervals are checked against.

Linkage is perfect within each link plan's scope: a file a plan links to PNC people (NPD
pupils, DWP's customer information) gives its evidence to PNC people only, as in production;
the people the programme's data shares do not reach are a limit of scope the register states,
not a linkage error. The people of a wave are the true persons with a record in a source that
makes people of the spine (wave 0's sources, and the sources of `into_spine` plans) up to that
wave, as production's marts hold the spine's people only; the other sources' records only add
evidence to them.
The compiled SQL uses the dbt project's default `lookback_years` and the snapshot date given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from bold_assets.catalog import WAVES
from bold_assets.estimates.reading import research_links

# (models to compile, dbt vars) -> {model name: compiled SQL}
Compiler = Callable[[list[str], dict], dict[str, str]]


def spine_sources(up_to_wave: int) -> set[str]:
    """The sources whose records make people of the spine, in waves <= `up_to_wave`."""
    out: set[str] = set()
    for n, wave in WAVES.items():
        if n > up_to_wave:
            continue
        for plan in wave.link_plans:
            if n == 0 or plan.kind == "into_spine":
                out.update(plan.sources)
    return out


def plan_scope(wave: int, source: str) -> list[str] | None:
    """The spine sources whose people the wave's plan links `source`'s records to (None: a
    spine source, all its records are people of the spine)."""
    spine = spine_sources(wave)
    if source in spine:
        return None
    plan = next(p for p in WAVES[wave].link_plans if source in p.sources)
    return sorted(x for x in plan.sources if x in spine)


def dbt_compiler(warehouse_file: Path | str) -> Compiler:
    """Compile models with the project's dbt (`dbt compile` in a subprocess: in process, dbt
    would keep the warehouse open), under the warehouse writer lock (no connection may be open:
    dbt may open the file)."""

    def compile_models(models: list[str], dbt_vars: dict) -> dict[str, str]:
        from bold_assets import warehouse as wh
        from bold_assets.defs.wave_0.marts import DBT_EXECUTABLE, DBT_PROJECT, _dbt_env

        project = Path(DBT_PROJECT.project_dir)
        with tempfile.TemporaryDirectory(prefix="bold_truth_dbt_") as tmp:
            parsed = project / DBT_PROJECT.target_path / "partial_parse.msgpack"
            if parsed.exists():  # dbt parses only what changed since the last run
                shutil.copy(parsed, tmp)
            with wh.lock(warehouse_file) as path, _dbt_env(path):
                done = subprocess.run([
                    DBT_EXECUTABLE, "compile", "--quiet", "--no-populate-cache",
                    "--exclude", "resource_type:test", "--select", " ".join(models),
                    "--vars", json.dumps(dbt_vars), "--project-dir", str(project),
                    "--profiles-dir", str(project), "--target-path", tmp],
                    capture_output=True, text=True, env=dict(os.environ))
            if done.returncode:
                raise RuntimeError(f"dbt compile failed: {done.stdout[-2000:]}")
            compiled = {p.stem: p.read_text() for p in Path(tmp, "compiled").rglob("*.sql")
                        if p.stem in models}
        missing = sorted(set(models) - set(compiled))
        if missing:
            raise RuntimeError(f"dbt compiled no SQL for {missing}")
        return compiled

    return compile_models


def compiled_by_a_build(models: list[str], snapshot_date: str) -> dict[str, str] | None:
    """The models' SQL as a `dbt build` of the Dagster dbt asset compiled it (its run target's
    `run_results.json`), from the newest build that compiled them all for `snapshot_date` after
    the project's files last changed; None when there is none (then compile)."""
    from bold_assets.defs.wave_0.marts import DBT_PROJECT, _newest_source_mtime, dbt_vars

    project = Path(DBT_PROJECT.project_dir)
    changed = _newest_source_mtime(project)
    runs = sorted((project / DBT_PROJECT.target_path).glob("wave_0_dbt-*/run_results.json"),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for path in runs:
        if path.stat().st_mtime < changed:
            break
        try:
            results = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        given = (results.get("args") or {}).get("vars") or {}
        if isinstance(given, str):
            continue
        if str(given.get("snapshot_date") or dbt_vars().get("snapshot_date")) != snapshot_date:
            continue
        if given.get("lookback_years"):
            continue  # a build with another window: not the default the evaluation assumes
        compiled = {r["unique_id"].split(".")[-1]: r.get("compiled_code")
                    for r in results.get("results", [])
                    if r.get("unique_id", "").startswith("model.")}
        if all(compiled.get(m) for m in models):
            return {m: compiled[m] for m in models}
    return None


def _replace(sql: str, schema: str, name: str, by: str) -> str:
    """`sql` reading `by` where dbt compiled the relation `"<db>"."<schema>"."<name>"`."""
    pattern = re.compile(rf'"[^"]+"\."{schema}"\."{name}"')
    if not pattern.search(sql):
        raise RuntimeError(f"compiled SQL does not read {schema}.{name}: the dbt project changed")
    return pattern.sub(by, sql)


def _on_connection(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """dbt names the warehouse by its file (`"bold"."marts"...`); the connection may have it
    attached under another name (the warehouse resource's)."""
    db = con.execute("SELECT current_database()").fetchone()[0]
    return re.sub(r'"[^"]+"\.("(?:dbt_\w+|marts|raw|research|reference|linkage|truth)"\.)',
                  rf'"{db}".\1', sql)


def models_to_compile(waves: list[int]) -> list[str]:
    """The dbt models `truth_marts` needs compiled for `waves`."""
    return ([f"int_record_links_wave_{w}" for w in research_links() if w <= max(waves)]
            + [f"person_needs_wave_{w}" for w in waves])


def truth_marts(con: duckdb.DuckDBPyConnection, waves: list[int], record_people: pd.DataFrame,
                compiled: dict[str, str]) -> dict[int, pd.DataFrame]:
    """Per wave: its mart at perfect linkage (medium threshold; the true `person_id` in place of
    `estimated_xjs_id`), restricted to the wave's spine people.

    `record_people`: (source_dataset, row_id_hash, person_id) of every record with a true person;
    `compiled`: the SQL of `models_to_compile(waves)` (compile first: dbt opens the warehouse).
    """
    links = research_links()
    top = max(waves)
    con.register("_truth_record_people", record_people)
    out = {}
    try:
        for w, link in links.items():
            if w > top:
                continue
            # every record of the sources in the wave's link file, with its true person, for
            # the people its link plan links (a file linked to PNC people: theirs only)
            sources = [r[0] for r in con.execute(
                f"SELECT DISTINCT source_dataset FROM research.{link}").fetchall()]
            parts = []
            for source in sources:
                scope = plan_scope(w, source)
                where = f"r.source_dataset = '{source}'"
                if scope:
                    names = ", ".join(f"'{x}'" for x in scope)
                    where += (" AND r.person_id IN (SELECT person_id FROM _truth_record_people "
                              f"WHERE source_dataset IN ({names}))")
                parts.append(f"""SELECT r.source_dataset, r.row_id_hash,
                    r.person_id AS estimated_xjs_id, NULL::VARCHAR AS xjs_id_high,
                    NULL::VARCHAR AS xjs_id_low FROM _truth_record_people AS r WHERE {where}""")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _truth_link_{w} AS "
                        + " UNION ALL ".join(parts))
            sql = _replace(compiled[f"int_record_links_wave_{w}"], "dbt_staging", f"stg_{link}",
                           f"_truth_link_{w}")
            con.execute(f"CREATE OR REPLACE TEMP VIEW _truth_record_links_{w} AS "
                        f"{_on_connection(con, sql)}")
        for w in waves:
            sql = compiled[f"person_needs_wave_{w}"]
            for v in links:
                if v <= w:
                    sql = _replace(sql, "dbt_intermediate", f"int_record_links_wave_{v}",
                                   f"_truth_record_links_{v}")
            sql = _on_connection(con, sql)
            people = sorted(spine_sources(w))
            frame = con.execute(f"""
                SELECT m.* FROM ({sql}) AS m
                WHERE m.link_threshold = 'medium' AND m.estimated_xjs_id IN (
                    SELECT person_id FROM _truth_record_people
                    WHERE source_dataset IN ({", ".join(f"'{s}'" for s in people)}))
            """).df()
            out[w] = frame.rename(columns={"estimated_xjs_id": "person_id"})
    finally:
        con.unregister("_truth_record_people")
    return out

