"""`bold`: run the pipeline from the command line.

    bold materialize                      # every asset of wave 0 and its evaluation
    bold materialize --select 'raw/*'     # only the matching assets ("schema/table" globs)
    bold materialize --select '+research/xjs_link'   # an asset and everything upstream of it
    bold refresh --from 2023-10-02 --to 2023-12-04   # weekly snapshot refreshes: a backfill
    bold link ...                         # the reusable linkage core (see `bold link --help`)
    bold discover accommodation           # catalogue variables matching a keyword (Step B)

Runs are recorded in the Dagster instance at DAGSTER_HOME when it is set (as `make run` does),
so `dagster dev` shows them afterwards; otherwise in a temporary instance.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bold_assets.settings import Settings


def _fail(message: str, code: int = 2) -> int:
    print(f"bold: {message}", file=sys.stderr)
    return code


def resolve_selection(select: str, graph) -> list:
    """Asset keys of a --select value: comma-separated "schema/table" globs, each optionally
    prefixed with `+` (the asset and everything upstream of it), or Dagster's selection syntax
    (`+key:"research/xjs_link"`, `group:wave_0`)."""
    import dagster as dg

    all_keys = sorted(graph.get_all_asset_keys(), key=lambda k: k.path)
    if any(w in select for w in ("key:", "group:", "kind:", "tag:", "owner:")):
        return sorted(dg.AssetSelection.from_string(select).resolve(graph), key=lambda k: k.path)
    chosen: set = set()
    for pattern in (p.strip() for p in select.split(",") if p.strip()):
        upstream = pattern.startswith("+")
        pattern = pattern.lstrip("+")
        matched = [k for k in all_keys if fnmatch.fnmatch("/".join(k.path), pattern)]
        chosen.update(matched)
        if upstream and matched:
            chosen.update(dg.AssetSelection.assets(*matched).upstream().resolve(graph))
    if chosen:  # assets made together (a wave's safe outputs and their report) go together
        chosen.update(dg.AssetSelection.assets(*chosen).required_multi_asset_neighbors()
                      .resolve(graph))
    return sorted(chosen, key=lambda k: k.path)


def missing_upstream(selection: list, graph, warehouse) -> list[str]:
    """"<asset> needs <parent>" for every parent outside the selection whose table is not in the
    warehouse (a run would fail on it)."""
    from bold_assets import warehouse as wh

    chosen = set(selection)
    parents = sorted({(k, p) for k in chosen for p in graph.get(k).parent_keys
                      if p not in chosen}, key=lambda kp: (kp[0].path, kp[1].path))
    if not parents:
        return []
    if not warehouse.exists():
        present: set = set()
    else:
        with wh.connect(warehouse) as con:
            present = {tuple(r) for r in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
    return [f"{'/'.join(k.path)} needs {'/'.join(p.path)}" for k, p in parents
            if tuple(p.path[-2:]) not in present]


def _engine_problem(settings: Settings) -> str | None:
    """Why the linkage engine cannot run here (a missing pyspark or Java), before any run."""
    from bold_assets.linkage.engine import EngineUnavailable, check_engine

    try:
        check_engine(settings.engine)
    except EngineUnavailable as exc:
        return str(exc)
    return None


def _materialize(args: argparse.Namespace) -> int:
    import time

    from bold_assets.settings import SettingsError, get_settings

    try:  # settings first: nothing starts on a bad value
        settings = get_settings()
    except SettingsError as exc:
        return _fail(str(exc))
    if (problem := _engine_problem(settings)) is not None:
        return _fail(problem)

    import dagster as dg

    from bold_assets import run_report
    from bold_assets import warehouse as wh
    from bold_assets.definitions import defs
    from bold_assets.defs.snapshots import run_partition
    from bold_assets.instance import wait_for_runs_in_progress
    from bold_assets.run_origin import runs_with_origin

    try:
        job = defs.resolve_job_def(args.job)
    except Exception:
        names = sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__"))
        return _fail(f"--job {args.job!r} is not a job; jobs: {', '.join(names)}")
    graph = defs.resolve_asset_graph()
    job_keys = set(job.asset_layer.executable_asset_keys)
    selection = None
    if args.select:
        try:
            selection = resolve_selection(args.select, graph)
        except Exception as exc:  # a malformed Dagster selection string
            return _fail(f"--select {args.select!r}: {str(exc).splitlines()[0]}")
        if not selection:
            example = "/".join(min(job_keys, key=lambda k: k.path).path)
            return _fail(f"--select {args.select!r} matches no asset; asset keys look like "
                         f"{example}, e.g. --select 'raw/*' or --select '+research/xjs_link'")
        outside = [k for k in selection if k not in job_keys]
        if outside:
            return _fail(f"{', '.join('/'.join(k.path) for k in outside)} not in job "
                         f"{args.job}; use --job all_assets_job")
    missing = missing_upstream(selection or sorted(job_keys, key=lambda k: k.path), graph,
                               settings.warehouse)
    if missing:
        return _fail("the selection lacks upstream assets that are not in the warehouse "
                     f"{settings.warehouse}:\n  " + "\n  ".join(missing)
                     + f"\nselect them too, or everything upstream: --select "
                     f"'+{args.select or ''}'")
    subset = job.get_subset(asset_selection=set(selection)) if selection else job
    total = len(subset.graph.node_dict)
    log_dir = (Path(os.environ["DAGSTER_HOME"]) / "logs" if os.environ.get("DAGSTER_HOME")
               else settings.data_dir / "logs")
    log_file = log_dir / f"bold-materialize-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    print(f"bold: {args.job}, {len(selection) if selection else len(job_keys)} assets in "
          f"{total} steps; warehouse {settings.warehouse}, population {settings.population:,}, "
          f"seed {settings.seed}; linkage engine {settings.engine.describe()}")
    print(f"bold: Dagster's full event log: {log_file}")
    instance = (dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME")
                else dg.DagsterInstance.ephemeral())
    wait_for_runs_in_progress(instance)  # one run writes the warehouse at a time
    started = time.monotonic()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    run_report.terminal = sys.stdout
    run_report.Progress.total_steps, run_report.Progress.log_file = total, str(log_file)
    # what steps print themselves (Splink's chart notes, dbt's output, Dagster's banners) goes to
    # the log file; the terminal gets the progress lines
    try:
        with open(log_file, "a") as out, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(out):
            # a partitioned job runs the snapshot of BOLD_SNAPSHOT_DATE (default: the latest)
            partition_key, tags = run_partition(job)
            # created with the code location's origin: on the UI's timeline, re-executable there
            with runs_with_origin(instance, job.name):
                result = job.execute_in_process(  # the progress logger, set up above
                    instance=instance, asset_selection=selection, raise_on_error=False,
                    partition_key=partition_key, tags=tags, run_config={"loggers": {"bold": {}}})
    finally:
        run_report.Progress.total_steps, run_report.Progress.log_file = 0, ""
        run_report.terminal = None
    events = result.all_events
    if not result.success:
        failed = [e for e in events if e.event_type_value == "STEP_FAILURE"]
        for e in failed[:5]:
            error = getattr(e.event_specific_data, "error", None)
            text = (error.message if error else e.message or "").strip()
            print(f"bold: step {e.step_key} failed: {text}", file=sys.stderr)
        if not failed:
            print(f"bold: run {result.run_id} failed; see {log_file}", file=sys.stderr)
        print(f"bold: full log {log_file}; earlier tables are unchanged", file=sys.stderr)
        return 1
    with wh.connect(settings.warehouse) as con:
        lines = run_report.summary_lines(con, events, time.monotonic() - started)
    print("\n".join(lines))
    home = os.environ.get("DAGSTER_HOME")
    if home:
        print(f"Open the Dagster UI on this warehouse: make ui  (= DAGSTER_HOME={home} "
              "dagster dev -w workspace.yaml), then http://127.0.0.1:3000")
    else:
        print("This run used a temporary Dagster instance; set DAGSTER_HOME (as `make run` does)"
              " to keep runs for the UI: make ui, then http://127.0.0.1:3000")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from bold_assets.refresh import full_relink_config, job_asset_keys, partition_keys, refresh
    from bold_assets.settings import SettingsError, get_settings

    try:  # settings first: nothing starts on a bad value
        settings = get_settings()
        keys = partition_keys(args.start, args.end)
    except (SettingsError, ValueError) as exc:
        return _fail(str(exc))
    if (problem := _engine_problem(settings)) is not None:
        return _fail(problem)
    if not os.environ.get("DAGSTER_HOME") and not args.url:
        return _fail("bold refresh launches a Dagster backfill, which lives in a Dagster "
                     "instance: set DAGSTER_HOME (make run uses .dagster_home), or give --url "
                     "of a running webserver")
    from bold_assets.definitions import defs

    waves = sorted(j.name for j in defs.resolve_all_job_defs() if j.name.startswith("wave_"))
    if args.job not in waves:
        return _fail(f"--job {args.job!r} is not a wave's job; jobs: {', '.join(waves)}")
    if args.full_relink and full_relink_config(job_asset_keys(args.job)) is None:
        return _fail(f"--full-relink scores wave 0's pairs again; {args.job} has no scoring step "
                     "(its links are made again on every run)")
    selection = None
    if args.select:
        try:
            selection = job_asset_keys(args.job, args.select)
        except Exception as exc:  # a malformed Dagster selection string
            return _fail(f"--select {args.select!r}: {str(exc).splitlines()[0]}")
        if not selection:
            return _fail(f"--select {args.select!r} matches no asset of {args.job}")
    print(f"bold: refreshing {len(keys)} weekly snapshots {keys[0]} .. {keys[-1]}")
    from bold_assets.backfill import BackfillError

    try:
        result = refresh(keys, job_name=args.job, asset_keys=selection,
                         full_relink=args.full_relink, url=args.url)
    except (BackfillError, TimeoutError) as exc:
        return _fail(f"the backfill could not run: {exc}", code=1)
    return 0 if result.success and len(result.runs) == len(keys) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bold", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mat = sub.add_parser("materialize", help="materialise assets into the warehouse")
    mat.add_argument("--select", help="comma-separated 'schema/table' globs, e.g. 'raw/*'; "
                     "prefix '+' for everything upstream too, e.g. '+research/xjs_link'; or "
                     "Dagster's selection syntax, e.g. '+key:\"research/xjs_link\"'")
    mat.add_argument("--job", default="all_assets_job",
                     help="job to run (default all_assets_job: every wave, truth and the "
                     "evaluation; wave_0_job is the production wave without truth)")
    mat.set_defaults(func=_materialize)
    ref = sub.add_parser("refresh", help="run the weekly snapshot refreshes of a date range")
    ref.add_argument("--from", dest="start", help="first snapshot date (YYYY-MM-DD)")
    ref.add_argument("--to", dest="end", help="last snapshot date (YYYY-MM-DD)")
    ref.add_argument("--full-relink", action="store_true",
                     help="score every pair again instead of only new / changed records")
    ref.add_argument("--job", default="wave_0_job",
                     help="the wave's job to refresh (default wave_0_job; wave_<n>_job for a "
                     "later wave, on a warehouse holding the waves before it)")
    ref.add_argument("--select", help="only these assets of the job (as for materialize; "
                     "assets outside the job, e.g. truth/*, are left out)")
    ref.add_argument("--url", help="a running Dagster webserver on the same DAGSTER_HOME "
                     "(e.g. http://127.0.0.1:3000 of `make ui`); default: start `dagster dev` "
                     "for the backfill and stop it at the end")
    ref.set_defaults(func=_refresh)
    from bold_assets.discovery.cli import add_parser as add_discover_parser
    from bold_assets.linkage.cli import add_parser as add_link_parser

    add_link_parser(sub)
    add_discover_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if os.environ.get("DAGSTER_HOME"):  # the project's instance: one run at a time
        from bold_assets.instance import ensure_instance_config

        warning = ensure_instance_config(os.environ["DAGSTER_HOME"])
        if warning:
            print(f"bold: {warning}", file=sys.stderr)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
