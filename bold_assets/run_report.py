"""What `bold materialize` prints: progress while the run goes, and a closing summary.

On the terminal: one line per step as it starts (`[done/total elapsed] step`), warnings and
errors from the steps, and at the end the tables per schema with row counts, the checks passed /
warned / failed, the linkage F1 line and the command that opens the UI. Dagster's full event log
(DEBUG) goes to a log file and, as always, to the instance the UI reads.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import dagster as dg
import duckdb

# Where progress goes: the terminal, set by the CLI before it sends the steps' own prints (Splink,
# dbt, Dagster's banners) to the log file.
terminal: TextIO | None = None
SUMMARY_SCHEMAS = ("raw", "truth", "reference", "linkage", "research", "dbt_staging",
                   "dbt_intermediate", "marts", "outputs", "evaluation", "discovery")  # fmt: skip


class Progress:
    """What the CLI sets for the run it is about to execute: its steps and its log file. Kept out
    of the run config, so a run re-executed from the UI (with its parent's config) prints
    nothing and writes no file."""

    total_steps: int = 0
    log_file: str = ""


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


class ProgressHandler(logging.Handler):
    """Prints step progress and step warnings / errors; everything else stays in the log file."""

    def __init__(self, total_steps: int, stream: TextIO | None = None) -> None:
        super().__init__(logging.DEBUG)
        self.total = total_steps
        self.done = 0
        self.started = time.monotonic()
        self.stream = stream or terminal or sys.stdout

    def _say(self, text: str) -> None:
        print(f"[{self.done:>3}/{self.total} {_clock(time.monotonic() - self.started)}] {text}",
              file=self.stream, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is not None:
            kind = event.event_type_value
            if kind == "STEP_START":
                self._say(f"running {event.step_key}")
            elif kind in ("STEP_SUCCESS", "STEP_SKIPPED"):
                self.done += 1
            elif kind == "STEP_FAILURE":
                self.done += 1
                error = getattr(event.event_specific_data, "error", None)
                first = (error.message if error else event.message or "").strip().splitlines()
                self._say(f"FAILED {event.step_key}: {first[0] if first else ''}")
            elif kind == "RUN_FAILURE" and not self.done:
                self._say(f"run failed: {(event.message or '').strip()}")
            return
        if record.levelno >= logging.WARNING:
            text = str(meta.get("orig_message") or record.getMessage()).strip().splitlines()
            step = meta.get("step_key") or ""
            self._say(f"{record.levelname.lower()} {step}: {text[0][:240] if text else ''}")


@dg.logger(description="Terminal progress of `bold materialize` and its full DEBUG event log to "
                       "a file; silent in runs the CLI did not start.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("bold", logging.DEBUG)  # unregistered: one per run
    if not Progress.total_steps:
        logger.addHandler(logging.NullHandler())
        return logger
    logger.addHandler(ProgressHandler(Progress.total_steps))
    log_file = Progress.log_file
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    return logger


# Every job's loggers (`definitions.py`): Dagster's console logger and the progress logger.
LOGGERS = {"console": dg.colored_console_logger, "bold": progress_logger}


def check_counts(events: Iterable[Any]) -> dict[str, int]:
    """Checks passed, warned (failed with WARN severity) and failed (ERROR) in a run."""
    counts = {"passed": 0, "warned": 0, "failed": 0}
    for e in events:
        if e.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        data = e.event_specific_data
        if data.passed:
            counts["passed"] += 1
        elif data.severity == dg.AssetCheckSeverity.WARN:
            counts["warned"] += 1
        else:
            counts["failed"] += 1
    return counts


def linkage_engines(events: Iterable[Any]) -> dict[str, int]:
    """Linkage steps of a run per engine (the `linkage_engine` of their materializations)."""
    counts: dict[str, int] = {}
    for e in events:
        if e.event_type_value != "ASSET_MATERIALIZATION":
            continue
        value = e.event_specific_data.materialization.metadata.get("linkage_engine")
        if value is not None:
            counts[value.value] = counts.get(value.value, 0) + 1
    return counts


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, int | None]]]:
    """Tables and views per schema with their row counts; a view's is None (counting its rows
    would run its query over every record: dbt's staging and intermediate models are views)."""
    rows = con.execute("""
        SELECT table_schema, table_name, table_type = 'VIEW' FROM information_schema.tables
        WHERE table_name NOT LIKE '\\_\\_%' ESCAPE '\\'
        ORDER BY table_schema, table_name""").fetchall()
    out: dict[str, list[tuple[str, int | None]]] = {}
    for schema, table, view in rows:
        if schema not in SUMMARY_SCHEMAS:
            continue
        n = None if view else con.execute(
            f'SELECT count(*) FROM "{schema}"."{table}"').fetchall()[0][0]
        out.setdefault(schema, []).append((table, n))
    return out


def f1_line(con: duckdb.DuckDBPyConnection) -> str | None:
    """The linkage F1 at the medium threshold, overall and per source group."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                         "table_schema = 'evaluation' AND table_name = 'linkage_f1'").fetchall()
    if not exists[0][0]:
        return None
    rows = con.execute("""SELECT scope, precision, recall, f1 FROM evaluation.linkage_f1
                          WHERE threshold = 'medium' AND scope_type IN ('overall', 'group')
                          ORDER BY scope_type DESC, scope""").fetchall()
    if not rows:
        return None
    return "linkage F1 at medium threshold: " + ", ".join(
        f"{scope} {f1:.3f} (precision {p:.3f}, recall {r:.3f})" for scope, p, r, f1 in rows)


def wave_f1_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The F1 of each later wave's linkage (`evaluation.wave_<n>_linkage_f1`), one line a wave."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'evaluation' "
        "AND regexp_matches(table_name, '^wave_[0-9]+_linkage_f1$') ORDER BY 1").fetchall()]
    lines = []
    for table in tables:
        rows = con.execute(f"SELECT scope, precision, recall, f1 FROM evaluation.{table} "
                           "WHERE scope NOT LIKE '% all'").fetchall()
        if rows:
            wave = table.removesuffix("_linkage_f1").replace("_", " ")
            lines.append(f"{wave} linkage F1: " + ", ".join(
                f"{scope} {_3(f1)} (precision {_3(p)}, recall {_3(r)})"
                for scope, p, r, f1 in rows))
    return lines


def _3(value: float | None) -> str:
    """A rate to three decimals; `n/a` when undefined (a step that linked nobody)."""
    return "n/a" if value is None or value != value else f"{value:.3f}"


def summary_lines(con: duckdb.DuckDBPyConnection, events: Iterable[Any],
                  elapsed_s: float) -> list[str]:
    lines = [f"bold: done in {_clock(elapsed_s)}. Tables in the warehouse (rows; views not "
             "counted):"]
    for schema, tables in table_counts(con).items():
        shown = ", ".join(f"{t} {n:,}" if n is not None else f"{t} (view)" for t, n in tables)
        lines.append(f"  {schema:<16} {len(tables):>2} tables: {shown}")
    c = check_counts(events)
    lines.append(f"checks this run: {c['passed']} passed, {c['warned']} warned, "
                 f"{c['failed']} failed")
    engines = linkage_engines(events)
    if engines:
        lines.append("linkage engine: " + ", ".join(
            f"{name} ({n} linkage steps)" for name, n in sorted(engines.items())))
    f1 = f1_line(con)
    if f1:
        lines.append(f1)
    lines += wave_f1_lines(con)
    return lines
