"""`bold link`: the reusable linkage core from the command line.

    bold link people.csv --mapping mapping.yaml --out linked/        # dedupe one table
    bold link a.parquet --with b.csv --out linked/                   # link two (and dedupe each)
    bold link new.csv --models models/ --out linked/                 # reuse saved models
    bold link people.csv --out linked/ --explain                     # say what was inferred

Input: CSV or parquet, in the standard identifier form or with a column mapping (JSON or YAML,
keys as `RecordSpec.from_mapping`: record_id, forename, middle_name, surname or full_name, dob,
dob_format, sex, sex_codes, postcode, event_date, and national identifiers: nino, nhs_number, upn,
e.g. `nino: NI_NUMBER`, checked and standardised, then compared exactly and blocked on when both
inputs hold them). Without a mapping, common column names are recognised; further columns
(email, town, address, id numbers) are compared by the kind given under `extra` ({column:
exact|name|date|postcode|email|id|address|text}) or guessed from their names and values. The
standardisation report (per column: values kept, changed, nulled and why) is always printed;
--explain adds the mapping used, the blocking rules chosen from the data (with their comparison
counts) and every training step that could not run. Writes `clusters.<fmt>` (source_dataset,
record_id, cluster_high, cluster_medium, cluster_low) and `pairs.<fmt>` (scored pairs) to --out;
trained models go to --models (versioned Splink JSON) when given, and are reused from there on the
next run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bold_assets.linkage.engine import LinkageEngine

HELP = "dedupe a table of person records, or link it to another (Splink)"


def _read_mapping(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    text = Path(path).read_text()
    if path.endswith((".yaml", ".yml")):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a column mapping is an object of role -> column")
    return data


def _thresholds(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    out = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        out[name.strip()] = float(value)
    return out


def _write(table: Any, path: Path) -> None:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.register("t", table)
        fmt = "PARQUET" if path.suffix == ".parquet" else "CSV, HEADER"
        con.execute(f"COPY t TO '{path}' (FORMAT {fmt})")


def _print_report(report: dict[str, Any], explain: bool, paths: dict[str, Any]) -> None:
    from bold_assets.linkage.core import format_run_report
    from bold_assets.linkage.mapping import explain as explain_mapping
    from bold_assets.linkage.standardise import format_report

    if explain:
        for name, mapping in report.get("mapping", {}).items():
            cols = [c for c in _columns(paths.get(name))]
            print(f"{name}: " + explain_mapping(mapping, cols))
        print(format_run_report(report))
    else:
        for name, rows in report.get("standardisation", {}).items():
            print(format_report(rows, name))


def _columns(path: Any) -> list[str]:
    if not path:
        return []
    from bold_assets.linkage.core import read_table

    return list(read_table(path).column_names)


def _engine(args: argparse.Namespace) -> LinkageEngine:
    """The engine `--engine` / `--spark-master` name, over the `BOLD_*` settings."""
    from dataclasses import replace

    from bold_assets.linkage import engine
    from bold_assets.settings import engine_settings

    # Spark's hand-over files (identifiers): BOLD_SPARK_WORK_DIR, else beside the output
    settings = engine_settings(default_work_dir=Path(args.out).resolve() / ".spark")
    settings = replace(settings, **{k: v for k, v in (("name", args.engine),
                                                      ("spark_master", args.spark_master)) if v})
    engine.check_engine(settings)
    return engine.make_engine(settings)


def run(args: argparse.Namespace) -> int:
    from bold_assets.linkage import core, engine
    from bold_assets.linkage import models as mdl

    mapping = _read_mapping(args.mapping)
    if args.other_mapping == "auto" and args.with_:
        from bold_assets.linkage.standardise import infer_mapping

        other_mapping = infer_mapping(core.read_table(args.with_).column_names)
    else:
        other_mapping = _read_mapping(args.other_mapping)
    if args.with_ and args.name == args.other_name:
        print("bold link: --name and --other-name must differ", file=sys.stderr)
        return 2
    names = ([f"dedupe_{args.name}", f"dedupe_{args.other_name}",
              f"link_{args.name}_{args.other_name}"] if args.with_ else [f"dedupe_{args.name}"])
    saved: dict[str, dict[str, Any]] = {}
    if args.models:
        for n in names:
            found = mdl.load_latest(Path(args.models), n)
            if found is not None:
                saved[n] = found[0]
    kwargs = {"models": saved, "thresholds": _thresholds(args.thresholds),
              "strict": args.strict, "budget": args.budget, "verbose": False}
    try:
        chosen = _engine(args)
        with engine.use(chosen):
            if args.with_:
                result = core.link_records(args.input, args.with_, mapping, other_mapping,
                                           left_name=args.name, right_name=args.other_name,
                                           dedupe_inputs=not args.no_dedupe, **kwargs)
            else:
                result = core.dedupe(args.input, mapping, source_dataset=args.name, **kwargs)
    except (ValueError, FileNotFoundError, engine.EngineUnavailable) as exc:
        print(f"bold link: {exc}", file=sys.stderr)
        return 2
    _print_report(result.report, args.explain, {args.name: args.input,
                                                args.other_name: args.with_})
    out = Path(args.out)
    _write(result.clusters, out / f"clusters.{args.format}")
    _write(result.pairs, out / f"pairs.{args.format}")
    if args.models:
        for n, model in result.models.items():
            if n not in saved:
                plan = mdl.ModelPlan(n, model["link_type"], ())
                path = mdl.save_model(Path(args.models), plan, model, {"cli": True})
                print(f"bold link: trained {n} -> {path}")
            else:
                print(f"bold link: reused saved model {n}")
    clusters = result.clusters.to_pandas()
    print(f"bold link: {len(clusters)} records, {result.pairs.num_rows} scored pairs "
          f"(engine {chosen.name})")
    for level, p in result.thresholds.items():
        col = f"cluster_{level}"
        print(f"  {level:>6} (p >= {p}): {clusters[col].nunique()} persons")
    print(f"bold link: wrote {out / f'clusters.{args.format}'} and "
          f"{out / f'pairs.{args.format}'}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `link` subcommand to the `bold` CLI."""
    p = sub.add_parser("link", help=HELP, description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="CSV or parquet file of person records")
    p.add_argument("--with", dest="with_", metavar="OTHER",
                   help="a second file to link the first to (both are also deduplicated)")
    p.add_argument("--mapping", help="column mapping of INPUT (JSON or YAML)")
    p.add_argument("--other-mapping",
                   help="column mapping of OTHER (default: --mapping; 'auto': recognise "
                   "common column names)")
    p.add_argument("--name", default="left", help="source_dataset name of INPUT")
    p.add_argument("--other-name", default="right", help="source_dataset name of OTHER")
    p.add_argument("--out", required=True, help="folder for clusters and pairs")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--models", help="folder of saved models: reused if present, else saved")
    p.add_argument("--thresholds", help="e.g. high=0.95,medium=0.8,low=0.5")
    p.add_argument("--explain", action="store_true",
                   help="print the mapping used (guessed parts included), the blocking rules "
                   "chosen and their comparison counts, and training notes")
    p.add_argument("--strict", type=float, metavar="SHARE",
                   help="fail if standardisation would null more than SHARE (0-1) of a column")
    p.add_argument("--budget", type=float,
                   help="comparisons the chosen blocking rules may make (default: 200 per "
                   "record, at least a million)")
    p.add_argument("--no-dedupe", action="store_true",
                   help="with --with: link only, do not also dedupe each input")
    p.add_argument("--engine", choices=("duckdb", "spark"),
                   help="where Splink runs (default BOLD_LINKAGE_ENGINE, else duckdb); spark "
                   "needs pip install -e '.[spark]' and Java 17")
    p.add_argument("--spark-master", help="with --engine spark: local[n], spark://host:port, "
                   "... (default BOLD_SPARK_MASTER, else local[*]); Spark's hand-over files go "
                   "to BOLD_SPARK_WORK_DIR, else OUT/.spark, removed at the end")
    p.set_defaults(func=run)
    return p
