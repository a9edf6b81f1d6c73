"""Landed extracts: read `<source>.csv` or `<source>.parquet` from BOLD_LANDING_DIR.

Files are read and validated before any warehouse table is touched, so a bad file leaves the
earlier materialisation intact.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bold_assets.sources import get_source


class LandingError(ValueError):
    """A landed file cannot be used; the first line of the message says which and why."""


def find_landed_file(landing_dir: Path, source: str) -> Path:
    candidates = [landing_dir / f"{source}.{ext}" for ext in ("csv", "parquet")]
    present = [p for p in candidates if p.exists()]
    if not present:
        raise LandingError(
            f"{landing_dir}: no landed file for source {source!r}; expected {source}.csv or "
            f"{source}.parquet (or unset BOLD_LANDING_DIR to generate synthetic data)")
    if len(present) > 1:
        raise LandingError(
            f"{present[0]} and {present[1]}: two files for source {source!r}; keep one of them")
    return present[0]


def read_landed(landing_dir: Path, source: str) -> pd.DataFrame:
    """Read and check one landed extract; raise LandingError naming file, column and rows."""
    path = find_landed_file(landing_dir, source)
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in get_source(source).columns if c not in df.columns]
    if missing:
        raise LandingError(
            f"{path}: missing required column(s) {', '.join(missing)}; the file has "
            f"{', '.join(map(str, df.columns[:20]))}. Rename or add the columns and land again.")
    return df
