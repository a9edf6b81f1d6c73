"""Landed extracts: read `<source>.csv` or `<source>.parquet` from BOLD_LANDING_DIR.

Files are read and validated (`bold_assets.quality.extract_validation`) before any warehouse
table is touched, so a bad file leaves the earlier materialisation of its table, and everything
built from it, intact. A LandingError's first line names the file, the column and example rows
and says what to do; tolerable oddities (an extra column) come back as warnings, logged and kept
in `frame.attrs["landing_warnings"]`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from bold_assets.quality.extract_validation import LandedExtract, LandingError, validate_extract
from bold_assets.sources import get_source

__all__ = ["LandingError", "find_landed_file", "read_landed", "validate_landed"]

log = logging.getLogger(__name__)
READABLE = (".csv", ".parquet")


def find_landed_file(landing_dir: Path, source: str) -> Path:
    """The one landed file of `source`; refuse none, two, or an unreadable format."""
    landing_dir = Path(landing_dir)
    table = f"raw.{source}"
    if not landing_dir.is_dir():
        raise LandingError([f"{landing_dir}: BOLD_LANDING_DIR is not a folder; create it and "
                            f"land {source}.csv there, or unset BOLD_LANDING_DIR to generate "
                            "synthetic data"], table)
    files = sorted(p for p in landing_dir.iterdir()
                   if p.is_file() and p.name.split(".")[0].lower() == source)  # fmt: skip
    readable = [p for p in files if p.suffix.lower() in READABLE and p.name.count(".") == 1]
    if len(readable) > 1:
        raise LandingError([f"{readable[0]} and {readable[1].name}: two files for source "
                            f"{source!r}; keep only the one to load and land again"], table)
    if readable:
        return readable[0]
    if files:
        raise LandingError([f"{files[0]}: extracts are read as {source}.csv (UTF-8, "
                            f"comma-separated) or {source}.parquet, not {files[0].name}; convert "
                            "it and land again"], table)
    raise LandingError([f"{landing_dir}: no landed file for source {source!r}; expected "
                        f"{source}.csv or {source}.parquet (or unset BOLD_LANDING_DIR to "
                        "generate synthetic data)"], table)


def validate_landed(landing_dir: Path, source: str) -> LandedExtract:
    """Find and check one landed extract; raise LandingError naming file, column and rows."""
    return validate_extract(find_landed_file(landing_dir, source), get_source(source))


def read_landed(landing_dir: Path, source: str) -> pd.DataFrame:
    """The validated extract as a frame typed like the registry; warnings in `.attrs`."""
    extract = validate_landed(landing_dir, source)
    for warning in extract.warnings:
        log.warning(warning)
    extract.frame.attrs["landing_warnings"] = list(extract.warnings)
    extract.frame.attrs["landed_file"] = str(extract.path)
    return extract.frame
