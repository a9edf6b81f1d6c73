"""Great Expectations suites as Dagster asset checks, one check per expectation.

For every suite in `expectations/` whose table is an asset of the code location, one
`multi_asset_check` runs the suite (GX 1.x, `bold_assets.quality.runner`) and reports one
AssetCheckResult per expectation, with its unexpected count and example values. Expectations
marked `meta.critical` are blocking checks with ERROR severity: when one fails, the check step
fails with a message saying what is wrong and what to do, and downstream assets do not
materialise. The rest are warnings (WARN severity); the run goes on and the UI shows them.

Each check can execute on its own (from the asset's Checks tab, without rematerialising it): the
multi-asset check is subsettable and runs only the expectations selected. Example values and
observed values from identifier-zone tables are masked before they reach Dagster. A cross-table
expectation whose other table is not in the warehouse (outside the run's selection) is reported as
not run, with a WARN that names the missing table, and never blocks.

The blocking `no_identifiers` check (`defs/factories/leaks.py`) of a research, marts, outputs or
discovery asset with a suite runs in the same step (`build_defs`), so the table is opened by one
step, not two; the assets without a suite get it as a step of its own.

Checks are built from the asset keys present, so a suite whose table has no asset yet (another
area still in progress) simply has no checks. Cross-table SQL checks also depend on the tables
they read, when those are not downstream of the checked table, so they run after them.
"""


import re
from collections.abc import Collection
from dataclasses import replace

import dagster as dg

from bold_assets import warehouse as wh
from bold_assets.defs.factories import leaks
from bold_assets.defs.metadata import (
    IDENTIFIER_ZONE,
    is_identifier_column,
    mask_examples,
    mask_message,
    masked,
)
from bold_assets.defs.paths import path_value
from bold_assets.defs.resources import WarehouseResource
from bold_assets.quality.suites import SUITES_DIR, Expectation, Suite, load_suites

_TABLE_REF = re.compile(r"\b(raw|truth|reference|linkage|research|marts|outputs)\.([a-z_0-9]+)\b")


def referenced_keys(suite: Suite) -> set[dg.AssetKey]:
    """Other tables that the suite's SQL expectations read."""
    keys: set[dg.AssetKey] = set()
    for e in suite.expectations:
        query = e.kwargs.get("unexpected_rows_query")
        if query:
            keys.update(dg.AssetKey([s, t]) for s, t in _TABLE_REF.findall(query))
    keys.discard(dg.AssetKey(suite.asset_key_path))
    return keys


def _query_tables(expectation) -> set[tuple[str, str]]:
    query = expectation.kwargs.get("unexpected_rows_query") or ""
    return set(_TABLE_REF.findall(query))


def without_identifiers(outcome, suite: Suite):
    """The outcome with example and observed values masked when the table is identifier zone."""
    if suite.schema not in IDENTIFIER_ZONE:
        return outcome
    column = outcome.expectation.column
    observed = outcome.observed_value
    if observed is not None and column and is_identifier_column(suite.schema, column):
        observed = masked(observed)
    return replace(outcome, examples=mask_examples(outcome.examples, suite.schema, column),
                   observed_value=observed)


def check_description(e: Expectation) -> str:
    """The check's description, its severity first (`BLOCKING: ` or `WARN: `, as every check of
    the code location), so check lists show it."""
    return f"{'BLOCKING' if e.critical else 'WARN'}: {e.summary()}"


def _metadata(outcome, suite: Suite) -> dict[str, object]:
    e = outcome.expectation
    md: dict[str, object] = {
        "critical": e.critical,
        "expectation_type": e.type,
        "expectation": dg.MetadataValue.json(e.kwargs),
        "suite": path_value(SUITES_DIR / f"{suite.name}.json"),
    }
    if e.column:
        md["column"] = e.column
    for name in ("unexpected_count", "unexpected_percent", "element_count"):
        value = getattr(outcome, name)
        if value is not None:
            md[name] = value
    if outcome.examples:
        md["examples"] = dg.MetadataValue.json(outcome.examples)
    if outcome.observed_value is not None:
        md["observed_value"] = dg.MetadataValue.text(str(outcome.observed_value))
    if outcome.error:
        md["error"] = dg.MetadataValue.text(outcome.error)
    return md


def critical_failure_message(suite: Suite, failed: list) -> str:
    """First line: what failed and what to do; then one line per failed critical check."""
    key = "/".join(suite.asset_key_path)
    head = (f"{suite.name} failed {len(failed)} critical quality check(s) "
            f"({', '.join(o.check_name for o in failed[:4])}{', ...' if len(failed) > 4 else ''})"
            f", so assets downstream of {key} were not built: fix the data (or the asset that "
            f"builds {suite.name}) and rematerialise {key}.")  # fmt: skip
    lines = [f"- {o.check_name}: {o.message()[:400]}" for o in failed]
    return "\n".join([head, *lines, f"Suite: expectations/{suite.name}.json"])


def suite_check(suite: Suite, deps: set[dg.AssetKey],
                leak: bool = False) -> dg.AssetChecksDefinition:
    """One multi-asset check that runs `suite` and reports each expectation as a check; with
    `leak`, the asset's blocking `no_identifiers` check too (`defs/factories/leaks.py`)."""
    key = dg.AssetKey(suite.asset_key_path)
    specs = [
        dg.AssetCheckSpec(
            name=e.check_name, asset=key, description=check_description(e), blocking=e.critical,
            additional_deps=sorted(deps, key=lambda k: k.path),
            metadata={"critical": e.critical, "expectation_type": e.type},
        )
        for e in suite.expectations
    ]  # fmt: skip
    if leak:
        specs.append(leaks.leak_spec(key))

    @dg.multi_asset_check(
        specs=specs, name=f"gx_{suite.schema}__{suite.table}", can_subset=True,
        description=f"Great Expectations suite expectations/{suite.name}.json",
    )  # fmt: skip
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        from bold_assets.quality.runner import failures, run_suite_warned, warm_up

        warm_up()  # import GX before taking the warehouse lock, so other runs wait less
        selected = {k.name for k in context.selected_asset_check_keys}
        if leak and leaks.NAME in selected:
            yield leaks.leak_result(warehouse, key)
        chosen = [e for e in suite.expectations if e.check_name in selected]
        with warehouse.connect() as con:
            missing = {e.check_name: sorted(f"{s}.{t}" for s, t in _query_tables(e)
                                            if not wh.table_exists(con, s, t))
                       for e in chosen}  # fmt: skip
            runnable = tuple(e for e in chosen if not missing[e.check_name])
            outcomes, said = (run_suite_warned(con, replace(suite, expectations=runnable))
                              if runnable else ([], []))
        for warning in said:  # on the step, not lost in the run's output (quoted values masked)
            context.log.warning(f"{suite.name}: Great Expectations warned: "
                                f"{mask_message(warning)}")
        outcomes = [without_identifiers(o, suite) for o in outcomes]
        for e in chosen:
            if missing[e.check_name]:
                tables = ", ".join(missing[e.check_name])
                assets = ", ".join(t.replace(".", "/") for t in missing[e.check_name])
                are = "are" if len(missing[e.check_name]) > 1 else "is"
                text = (f"not run: {e.check_name} reads {tables}, which {are} not in the "
                        f"warehouse (outside this run's selection); materialise {assets} and "
                        "execute this check again")  # fmt: skip
                context.log.warning(f"{suite.name}: {text}")
                yield dg.AssetCheckResult(
                    asset_key=key, check_name=e.check_name, passed=False,
                    severity=dg.AssetCheckSeverity.WARN, description=text,
                    metadata={"not_run": True, "missing_tables": dg.MetadataValue.json(
                        missing[e.check_name])})
        for o in outcomes:
            yield dg.AssetCheckResult(
                asset_key=key, check_name=o.check_name, passed=o.success,
                severity=dg.AssetCheckSeverity.ERROR if o.critical else dg.AssetCheckSeverity.WARN,
                metadata=_metadata(o, suite), description=o.message()[:1000],
            )  # fmt: skip
        failed = failures(outcomes, critical_only=True)
        warned = [o for o in failures(outcomes) if not o.critical]
        context.log.info(f"{suite.name}: {len(outcomes)} expectations, {len(failed)} critical "
                         f"and {len(warned)} warning failures")  # fmt: skip
        for o in warned:
            context.log.warning(f"{suite.name}: {o.message()[:300]}")
        if failed:
            raise dg.Failure(description=critical_failure_message(suite, failed))

    return _check


def asset_parents(area_defs: dg.Definitions) -> dict[dg.AssetKey, set[dg.AssetKey]]:
    """Each asset key of `area_defs` with the keys it depends on (no resources needed)."""
    parents: dict[dg.AssetKey, set[dg.AssetKey]] = {}
    for a in area_defs.assets or []:
        if isinstance(a, dg.AssetsDefinition):
            for k, deps in a.asset_deps.items():
                parents.setdefault(k, set()).update(deps)
        elif isinstance(a, dg.AssetSpec):
            parents.setdefault(a.key, set()).update(d.asset_key for d in a.deps)
    return parents


def _ancestors(parents: dict[dg.AssetKey, set[dg.AssetKey]], key: dg.AssetKey) -> set:
    seen: set[dg.AssetKey] = set()
    todo = list(parents.get(key, ()))
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(parents.get(k, ()))
    return seen


def build_checks(area_defs: dg.Definitions,
                 leak_keys: Collection[dg.AssetKey] = ()) -> list[dg.AssetChecksDefinition]:
    """Checks for every suite whose table is an asset of `area_defs` (with the leak check in
    the same step for the assets among `leak_keys`)."""
    parents = asset_parents(area_defs)
    checks = []
    for suite in load_suites().values():
        key = dg.AssetKey(suite.asset_key_path)
        if key not in parents:
            continue
        # Read tables become deps unless they are built from this one (that would be a cycle).
        deps = {k for k in referenced_keys(suite) & set(parents)
                if key not in _ancestors(parents, k)}  # fmt: skip
        checks.append(suite_check(suite, deps, leak=key in leak_keys))
    return checks


def build_defs(area_defs: dg.Definitions) -> dg.Definitions:
    """The suites' checks and every leak check (`defs/factories/leaks.py`): in the suite's step
    where the asset has a suite, in a step of its own where it has none."""
    keys = set(leaks.leak_keys(area_defs))
    checks = build_checks(area_defs, keys)
    in_suites = {k.asset_key for c in checks for k in c.check_keys if k.name == leaks.NAME}
    alone = leaks.leak_checks_for(sorted(keys - in_suites, key=lambda k: k.path))
    return dg.Definitions(asset_checks=[*checks, *(alone.asset_checks or [])])
