"""The dbt models as Dagster assets: the risk factor register seed and the person marts.

Every dbt node is an asset in the group of its wave (`wave_<n>`: a source's declared wave, or
for a model the latest wave among what it reads, see `node_waves`), keyed `[schema, table]`
like the Python assets (`marts/person_needs_wave_0`, `dbt_staging/stg_oasys`); dbt sources
map to the Python-built tables (`research/<source>`, `research/xjs_link`, `reference/lsoa`), so
lineage runs from raw extracts through linkage and pseudonymisation into dbt; dbt tests are
asset checks, named `<test>__<column>` and described in words, severity first
(`readable_manifest`, `dbt_test_description`). Descriptions show no Jinja (`plain_text`).

The register asset is the dbt seed `marts/risk_factor_register`: its definition carries the
register as a table (visible in the UI before any run) and each materialisation repeats it.

dbt writes the DuckDB file from its own process. The step takes the warehouse's inter-process
lock (the one `warehouse.connect` uses) around the dbt invocation without opening a connection
itself, so concurrent runs queue instead of failing on DuckDB's single-writer lock.
"""


import functools
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets
from filelock import FileLock

from bold_assets import register
from bold_assets import warehouse as wh
from bold_assets.defs.dbt_cli import DBT_EXECUTABLE, BoldDbtCliResource
from bold_assets.defs.metadata import column_schema, mask_message
from bold_assets.defs.resources import WarehouseResource

DBT_PROJECT = DbtProject(project_dir=register.DBT_PROJECT_DIR)
REGISTER_KEY = dg.AssetKey(["marts", "risk_factor_register"])
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _PROJECT_FILES:
        p = project_dir / name
        paths = [p] if p.is_file() else (p.rglob("*") if p.exists() else [])
        for f in paths:
            newest = max(newest, f.stat().st_mtime)
    return newest


def prepare_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """Make sure target/manifest.json exists and is newer than every project file.

    `dbt parse` needs no network and no warehouse, so a fresh clone gets its manifest the first
    time the definitions load (`dagster definitions validate`, `dagster dev`, the `bold` CLI), and
    an edited model is re-parsed on the next load (what `prepare_if_dev` does under `dagster dev`;
    not used because it expects `dbt` on PATH and re-parses on every load, runs included).
    Parallel loads parse one at a time.
    """
    manifest = project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(manifest.parent / ".bold_parse.lock"), timeout=600):
        if (not manifest.exists()
                or manifest.stat().st_mtime < _newest_source_mtime(project.project_dir)):
            BoldDbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE).cli(
                ["parse", "--quiet"], target_path=project.target_path).wait()
    return manifest


def register_metadata() -> dict[str, Any]:
    """The register for the UI: a measure-type matrix (factor x wave) and the full table."""
    reg = register.load_register()
    matrix = reg.pivot(index="id", columns="wave", values="measure_type").reindex(
        register.factor_ids())
    matrix.columns = [f"wave {w}" for w in matrix.columns]
    cols = ["id", "wave", "name", "measure_type", "flag_sql", "operational_definition",
            "fallback_proxy_measure", "notes_bias_missingness"]
    table = dg.MetadataValue.table(
        records=[dg.TableRecord({c: (int(v) if c == "wave" else str(v)) for c, v in row.items()})
                 for row in reg[cols].to_dict(orient="records")],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, "int" if c == "wave" else "string")
                                       for c in cols]),
    )
    return {
        "register_rows": len(reg),
        "wave_0_measures": dg.MetadataValue.json(list(register.wave_measures(0, reg))),
        "measure_types_by_wave": dg.MetadataValue.md(matrix.to_markdown()),
        "register": table,
        "evidence": dg.MetadataValue.md(register.load_evidence()[
            ["name", "wave", "kind", "window", "meaning", "pending"]].to_markdown(index=False)),
    }


_VAR = re.compile(r"\{\{\s*var\(\s*['\"](\w+)['\"]\s*\)\s*\}\}|var\(\s*['\"](\w+)['\"]\s*\)")
# dagster-dbt's keys of a materialisation or test result -> what the UI shows
_DBT_EVENT_KEYS = {"Execution Duration": "dbt_execution_seconds", "unique_id": "dbt_unique_id",
                   "invocation_id": "dbt_invocation_id", "status": "dbt_status"}


@functools.cache
def dbt_vars() -> dict[str, Any]:
    """The vars of dbt_project.yml (their defaults), read once."""
    return register.dbt_project_vars()


def plain_text(text: str) -> str:
    """A dbt description as the UI shows it, without Jinja: `var('snapshot_date')` -> the
    snapshot date with its default, any other var -> `<name>` in dbt_project.yml, `{{ x }}` -> x
    (a `ref('model')` -> model)."""
    def var(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        default = dbt_vars().get(name)
        if name == "snapshot_date":
            return (f"the snapshot date ({default} unless the run config sets snapshot_date)"
                    if default else "the snapshot date (run config snapshot_date)")
        return f"`{name}` in dbt_project.yml"

    text = _VAR.sub(var, text)
    return re.sub(r"\{\{\s*(.*?)\s*\}\}", lambda m: _ref(m.group(1)), text)


def dbt_event_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """dagster-dbt's metadata of a model's or test's result with keys a reader understands
    (`Execution Duration` -> `dbt_execution_seconds`, `status` -> `dbt_status`, ...)."""
    out = {}
    for k, v in metadata.items():
        if k == "Execution Duration":
            v = dg.MetadataValue.float(round(float(getattr(v, "value", v)), 3))
        out[_DBT_EVENT_KEYS.get(k, k)] = v
    return out


# What the project's own generic tests assert (their macros: dbt_project/macros/*_tests.sql,
# coverage.sql, deaths.sql); `{wave}` is the test's argument.
_OWN_TESTS = {
    "register_flags_not_null": "every flag of wave {wave}'s register measures is true or false, "
                               "never null",
    "has_every_register_measure": "every factor the register says wave {wave} measures is a "
                                  "flag column",
    "person_needs_spine_is_whole": "every linked person with a record of waves 0-{wave} before "
                                   "the snapshot date has one row per linkage threshold (none "
                                   "for those the deaths rule takes out)",
    "person_needs_has_no_deaths_before_snapshot": "no person has a linked death dated before "
                                                  "the snapshot date",
    "signals_are_declared_evidence": "every signal is evidence declared for wave {wave} in "
                                     "dbt_project.yml",
    "area_coverage_one_row_per_lad_and_measure": "one row per LAD and covered measure, no "
                                                 "other rows",
    "area_coverage_covered_is_every_quarter": "covered is true exactly when the council sent "
                                              "every expected quarterly return",
}


def _columns(expression: str) -> list[str]:
    """The column names of a test's column (an expression such as `a || '|' || b`)."""
    return re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"'[^']*'", "", expression))


def _ref(text: str) -> str:
    """`ref('stg_lsoa')` -> `stg_lsoa`."""
    return re.sub(r"ref\(\s*['\"]([^'\"]+)['\"]\s*\)", r"\1", str(text))


def dbt_check_name(test: Mapping[str, Any]) -> str:
    """The check name of a dbt test: `<test>__<column>` (`not_null__row_id_hash`,
    `unique__lad_code__measure`), the test alone when it has no column, a singular test's own
    name. dbt's generated names repeat the model and every argument (up to 206 characters here),
    which the UI cuts in the middle; the model is the asset and the arguments are in the
    description."""
    meta = test.get("test_metadata") or {}
    if not meta.get("name"):
        return test["name"]
    column = (meta.get("kwargs") or {}).get("column_name") or test.get("column_name")
    return "__".join([meta["name"], *(_columns(column) if column else [])])


def readable_manifest(path: Path) -> dict[str, Any]:
    """The dbt manifest with each test named by `dbt_check_name` (its check name in Dagster).
    dagster-dbt names a check, and the result of a run's test, from the manifest's node name,
    so both follow; dbt still selects tests by their unique id and fqn, which stay. A name taken
    twice on one node keeps dbt's."""
    manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    taken: set[tuple[str, str]] = set()
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "test":
            continue
        attached = node.get("attached_node") or ",".join(node["depends_on"]["nodes"])
        name = dbt_check_name(node)
        if (attached, name) in taken:
            name = node["name"]
        taken.add((attached, name))
        node["name"] = name
    return manifest


def dbt_test_description(test: Mapping[str, Any]) -> str:
    """What a dbt test asserts, in words, its severity first (`BLOCKING: ` when it fails the
    build, as dbt's default `error`, `WARN: ` for `severity: warn`); its own description when it
    has one."""
    severity = (test.get("config", {}).get("severity") or "ERROR").upper()
    head = "BLOCKING: " if severity == "ERROR" else "WARN: "
    own = (test.get("description") or "").strip()
    if own:
        return head + plain_text(own)
    meta = test.get("test_metadata") or {}
    kwargs = {k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model"}
    column = kwargs.pop("column_name", None) or test.get("column_name")
    cols = _columns(column) if column else []
    col = cols[0] if len(cols) == 1 else "(" + ", ".join(cols) + ")"
    kind = meta.get("name")
    if not kind:  # singular: its SQL's leading comment says what it checks
        lines = (test.get("raw_code") or "").strip().splitlines()
        said = " ".join(ln.lstrip("- ").strip() for ln in lines if ln.startswith("--"))
        path = test.get("original_file_path", "")
        return (f"{head}{said or test['name'].replace('_', ' ')} (dbt test "
                f"dbt_project/{path}: a row it returns is a failure)")
    if kind == "not_null":
        what = f"{col} has no nulls"
    elif kind == "unique":
        what = f"{col} is unique" if len(cols) == 1 else f"{col} together are unique"
    elif kind == "accepted_values":
        values = ", ".join(map(str, kwargs.pop("values", [])))
        kwargs.pop("quote", None)
        what = f"{col} only takes the values {values}"
    elif kind == "relationships":
        what = f"every {col} is found in {_ref(kwargs.pop('to', ''))}.{kwargs.pop('field', col)}"
    elif kind in _OWN_TESTS:
        what = _OWN_TESTS[kind].format(**kwargs)
        kwargs = {}
    else:
        what = kind.replace("_", " ") + (f" ({col})" if cols else "")
    extra = "".join(f"; {k} {_ref(v)}" for k, v in kwargs.items())
    return f"{head}{what}{extra} (dbt test)"


def source_wave(source_name: str, table: str) -> int:
    """The wave of a dbt source table: a research table's catalogue source, a link table's
    wave (`catalog.dbt.wave_links`, from the wave declarations); reference data belongs to
    wave 0."""
    from bold_assets.catalog import CATALOG
    from bold_assets.catalog.dbt import wave_links

    if source_name == "research":
        if table in CATALOG.sources:
            return CATALOG.sources[table].wave
        links = {w["link"]: int(w["wave"]) for w in wave_links()}
        if table in links:
            return links[table]
        raise KeyError(f"dbt source research.{table} is neither a catalogue source nor a wave's "
                       "link table (Wave.link_table in bold_assets/catalog/waves.py)")
    return 0


def node_waves(manifest: Mapping[str, Any]) -> dict[str, int]:
    """unique_id -> wave of every dbt node and source: a source's declared wave, and for a model
    or seed the latest wave among what it reads (so a wave's models fall in its group, and what
    wave 0 reads stays in wave 0)."""
    waves = {uid: source_wave(s["source_name"], s["name"])
             for uid, s in manifest.get("sources", {}).items()}
    nodes = manifest.get("nodes", {})

    def wave_of(uid: str) -> int:
        if uid not in waves:
            parents = nodes.get(uid, {}).get("depends_on", {}).get("nodes", [])
            waves[uid] = max((wave_of(p) for p in parents), default=0)
        return waves[uid]

    for uid in nodes:
        wave_of(uid)
    return waves


class BoldDbtTranslator(DagsterDbtTranslator):
    """dbt node -> asset key `[schema, table]`, group `wave_<n>` of its wave (`node_waves`);
    sources -> Python assets."""

    _waves: dict[str, int] | None = None

    def _wave(self, dbt_resource_props: Mapping[str, Any]) -> int:
        if BoldDbtTranslator._waves is None:
            manifest = json.loads(Path(DBT_PROJECT.manifest_path).read_text(encoding="utf-8"))
            BoldDbtTranslator._waves = node_waves(manifest)
        uid = dbt_resource_props["unique_id"]
        if uid not in BoldDbtTranslator._waves:  # a manifest other than the project's
            BoldDbtTranslator._waves[uid] = max(
                (BoldDbtTranslator._waves.get(p, 0)
                 for p in dbt_resource_props.get("depends_on", {}).get("nodes", [])), default=0)
        return BoldDbtTranslator._waves[uid]

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        table = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([dbt_resource_props["schema"], table])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return f"wave_{self._wave(dbt_resource_props)}"

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The node's dbt description (`plain_text`: no Jinja); never its raw SQL (dagster-dbt's
        fallback)."""
        text = (dbt_resource_props.get("description") or "").strip()
        if text:
            return plain_text(text)
        kind = dbt_resource_props["resource_type"]
        materialized = dbt_resource_props.get("config", {}).get("materialized", "")
        path = dbt_resource_props.get("original_file_path", "")
        return (f"dbt {kind} {dbt_resource_props['name']} ({materialized}); its SQL is "
                f"dbt_project/{path}.").replace(" ()", "")

    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any],
                             unique_id: str, project: DbtProject | None
                             ) -> dg.AssetCheckSpec | None:
        """dagster-dbt's spec (named by the manifest: `readable_manifest`) described in words,
        with dbt's own test name as `dbt_test` (test.<project>.<name>.<hash>)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return spec._replace(description=dbt_test_description(manifest["nodes"][unique_id]),
                             metadata={**spec.metadata, "dbt_test": unique_id.split(".")[2]})

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        schema = metadata.get("dagster/column_schema")
        if isinstance(schema, dg.TableSchema):  # column descriptions without Jinja too
            metadata["dagster/column_schema"] = dg.TableSchema(columns=[
                dg.TableColumn(c.name, c.type, plain_text(c.description or "") or None,
                               constraints=c.constraints, tags=c.tags)
                for c in schema.columns])
        if (dbt_resource_props["resource_type"] == "seed"
                and dbt_resource_props["name"] == "risk_factor_register"):
            metadata.update(register_metadata())
        return metadata


@contextmanager
def _dbt_env(path: Path) -> Iterator[None]:
    """Environment of the dbt subprocess only (copied when it starts): BOLD_WAREHOUSE, and
    `buildable` indirect selection. A wave's job selects only its own models; dbt's default
    (eager) would also run a later wave's tests that have one parent in the selection (a mart's
    relationship to `stg_lsoa`, its register tests), and fail on a warehouse without that wave.
    Buildable runs a test only when all its parents are selected or upstream of the selection."""
    env = {"BOLD_WAREHOUSE": str(path), "DBT_INDIRECT_SELECTION": "buildable"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _table_metadata(con, key: dg.AssetKey) -> dict[str, Any]:
    schema, table = key.path
    if not wh.table_exists(con, schema, table):
        return {}
    n = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
    md: dict[str, Any] = {"dagster/row_count": n,
                          "dagster/column_schema": column_schema(con, f"{schema}.{table}")}
    wave = re.fullmatch(r"person_needs_wave_(\d+)", table)
    if wave:
        flags = ", ".join(f"avg({m}::int) AS {m}"
                          for m in register.wave_measures(int(wave.group(1))))
        prev = con.execute(f'SELECT link_threshold, {flags} FROM "{schema}"."{table}" '
                           "GROUP BY link_threshold ORDER BY link_threshold").df()
        prev = prev.set_index("link_threshold").T
        prev.columns = [f"share of persons flagged ({t})" for t in prev.columns]
        md["prevalence"] = dg.MetadataValue.md(prev.round(3).to_markdown())
    return md


# Tests named for the UI (`readable_manifest`); read once, when the definitions load.
MANIFEST = readable_manifest(prepare_manifest())


class DbtBuildConfig(dg.Config):
    """Run config: the as-at date and lookback of the person marts (dbt vars); blank = the
    defaults in dbt_project.yml."""

    snapshot_date: str = ""
    lookback_years: int = 0


def prune_run_targets(target: Path, prefix: str, keep: int = 5) -> None:
    """Remove all but the `keep` latest run folders dagster-dbt made under `target` (one per
    invocation, ~5 MB each: a weekly schedule and every test run would otherwise pile them up)."""
    runs = sorted((p for p in target.glob(f"{prefix}*") if p.is_dir()),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def dbt_warnings(target_dir: Path) -> list[str]:
    """dbt's warnings in an invocation's folder: the warn-level lines of its JSON log
    (deprecations, config warnings) and the tests whose result was `warn`, each once."""
    said: list[str] = []
    log = target_dir / "dbt.log"
    for line in log.read_text().splitlines() if log.exists() else []:
        try:
            info = json.loads(line).get("info", {})
        except ValueError:
            continue
        # a test's own result lines are said once below, from run_results.json
        if (info.get("level") == "warn" and info.get("msg")
                and not str(info.get("name", "")).startswith(("LogTestResult", "RunResult"))):
            said.append(" ".join(str(info["msg"]).split()))
    results = target_dir / "run_results.json"
    if results.exists():
        said += [f"{r['unique_id']}: {r.get('message') or 'warned'}"
                 for r in json.loads(results.read_text()).get("results", [])
                 if r.get("status") == "warn"]
    return list(dict.fromkeys(said))


# No `project=`: dagster-dbt would put the DbtProject in every asset's metadata, which the UI
# shows as "[DbtProject] (unserializable)"; it serves code references (not used), and the dbt
# resource's project_dir is the same project.
@dbt_assets(manifest=MANIFEST, dagster_dbt_translator=BoldDbtTranslator(), name="wave_0_dbt")
def wave_0_dbt(context: dg.AssetExecutionContext, dbt: BoldDbtCliResource,
               warehouse: WarehouseResource, config: DbtBuildConfig):
    """`dbt build` of the selected models, seeds and tests, under the warehouse writer lock."""
    args = ["build"]
    dbt_vars = {k: v for k, v in (("snapshot_date", config.snapshot_date),
                                  ("lookback_years", config.lookback_years)) if v}
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    events = []
    with wh.lock(warehouse.file) as path:  # the writer lock, no connection: dbt writes
        with _dbt_env(path):
            invocation = dbt.cli(args, context=context, raise_on_error=False)
        events = list(invocation.stream())
        ok = invocation.is_successful()
    for warning in dbt_warnings(Path(invocation.target_path)):  # on the step, not lost in a log
        context.log.warning(f"dbt: {mask_message(warning)}")
    prune_run_targets(Path(DBT_PROJECT.project_dir) / DBT_PROJECT.target_path, "wave_0_dbt-")
    # Enrich the materialisations once dbt has released the file.
    with warehouse.connect() as con:
        for event in events:
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                extra = ({**register_metadata(), "dagster/column_schema":
                          column_schema(con, "marts.risk_factor_register")}
                         if key == REGISTER_KEY else _table_metadata(con, key))
                event = event.with_metadata({**dbt_event_metadata(event.metadata), **extra})
            elif isinstance(event, dg.AssetCheckResult):
                event = event.with_metadata(dbt_event_metadata(event.metadata))
            yield event
    if not ok:
        raise invocation.get_error() or dg.Failure("dbt build failed")


defs = dg.Definitions(
    assets=[wave_0_dbt],
    resources={"dbt": BoldDbtCliResource(project_dir=DBT_PROJECT,
                                           dbt_executable=DBT_EXECUTABLE)},
)
