"""`bold`: run the pipeline from the command line.

    bold materialize                      # every asset of wave 0 and its evaluation
    bold materialize --select 'raw/*'     # only the matching assets ("schema/table" globs)
    bold refresh --from 2023-10-02 --to 2023-12-04   # weekly snapshot refreshes (a backfill)
    bold link ...                         # the reusable linkage core (see `bold link --help`)

Runs are recorded in the Dagster instance at DAGSTER_HOME when it is set (as `make run` does),
so `dagster dev` shows them afterwards; otherwise in a temporary instance.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys


def _materialize(args: argparse.Namespace) -> int:
    import dagster as dg

    from bold_assets.definitions import defs
    from bold_assets.settings import get_settings

    job = defs.resolve_job_def(args.job)
    all_keys = sorted(defs.resolve_asset_graph().get_all_asset_keys(), key=lambda k: k.path)
    selection = None
    if args.select:
        patterns = [p.strip() for p in args.select.split(",")]
        selection = [k for k in all_keys
                     if any(fnmatch.fnmatch("/".join(k.path), p) for p in patterns)]
        if not selection:
            print(f"bold: --select {args.select!r} matches no asset; asset keys look like "
                  f"{'/'.join(all_keys[0].path)}", file=sys.stderr)
            return 2
    settings = get_settings()
    print(f"bold: warehouse {settings.warehouse}, population {settings.population}, "
          f"seed {settings.seed}")
    instance = (dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME")
                else dg.DagsterInstance.ephemeral())
    from bold_assets.defs.snapshots import run_partition

    partition_key, tags = run_partition(job)  # partitioned job: the latest (or set) snapshot
    result = job.execute_in_process(instance=instance, asset_selection=selection,
                                    raise_on_error=False, partition_key=partition_key, tags=tags)
    failed = [e for e in result.all_events if e.is_failure or e.event_type_value == "STEP_FAILURE"]
    if not result.success:
        for event in failed[:5]:
            print(f"bold: step {event.step_key} failed", file=sys.stderr)
        return 1
    n = len([e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"])
    print(f"bold: {n} asset materialisations written to {settings.warehouse}")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    from bold_assets.refresh import partition_keys, run_refreshes

    try:
        keys = partition_keys(args.start, args.end)
    except ValueError as exc:
        print(f"bold: {exc}", file=sys.stderr)
        return 2
    print(f"bold: refreshing {len(keys)} weekly snapshots {keys[0]} .. {keys[-1]}")
    results = run_refreshes(keys, full_relink=args.full_relink)
    return 0 if all(r.success for r in results) and len(results) == len(keys) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bold", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mat = sub.add_parser("materialize", help="materialise assets into the warehouse")
    mat.add_argument("--select", help="comma-separated 'schema/table' globs, e.g. 'raw/*'")
    mat.add_argument("--job", default="wave_0_job", help="job to run (default wave_0_job)")
    mat.set_defaults(func=_materialize)
    ref = sub.add_parser("refresh", help="run the weekly snapshot refreshes of a date range")
    ref.add_argument("--from", dest="start", help="first snapshot date (YYYY-MM-DD)")
    ref.add_argument("--to", dest="end", help="last snapshot date (YYYY-MM-DD)")
    ref.add_argument("--full-relink", action="store_true",
                     help="score every pair again instead of only new / changed records")
    ref.set_defaults(func=_refresh)
    from bold_assets.linkage.cli import add_parser as add_link_parser

    add_link_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
