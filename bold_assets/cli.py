"""`bold`: run the pipeline from the command line.

    bold materialize                      # every asset of wave 0 and its evaluation
    bold materialize --select 'raw/*'     # only the matching assets ("schema/table" globs)
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
    result = job.execute_in_process(instance=instance, asset_selection=selection,
                                    raise_on_error=False)
    failed = [e for e in result.all_events if e.is_failure or e.event_type_value == "STEP_FAILURE"]
    if not result.success:
        for event in failed[:5]:
            print(f"bold: step {event.step_key} failed", file=sys.stderr)
        return 1
    n = len([e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"])
    print(f"bold: {n} asset materialisations written to {settings.warehouse}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bold", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mat = sub.add_parser("materialize", help="materialise assets into the warehouse")
    mat.add_argument("--select", help="comma-separated 'schema/table' globs, e.g. 'raw/*'")
    mat.add_argument("--job", default="wave_0_job", help="job to run (default wave_0_job)")
    mat.set_defaults(func=_materialize)
    from bold_assets.linkage.cli import add_parser as add_link_parser

    add_link_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
