"""File paths as the UI shows them: never a machine's absolute path.

Metadata is read by everyone with access to the Dagster instance, on other machines too, so a
file is named relative to the project (`expectations/raw.mags.json`) when it lies inside it, and
otherwise relative to the warehouse's folder, where the pipeline writes its models and reports
(`<warehouse folder>/reports/linkage/mags_dedupe.html`).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

PROJECT_DIR = Path(__file__).resolve().parents[2]
WAREHOUSE_FOLDER = "<warehouse folder>"


def shown_path(path: Path | str) -> str:
    """`path` relative to the warehouse's folder as `<warehouse folder>/...` (where the pipeline
    writes its models and reports, wherever the warehouse is), else relative to the project; a
    path in neither keeps only its file name."""
    from bold_assets.settings import get_settings

    p = Path(path).resolve()
    data_dir = get_settings().data_dir.resolve()
    if p.is_relative_to(data_dir):
        return f"{WAREHOUSE_FOLDER}/{p.relative_to(data_dir).as_posix()}"
    if p.is_relative_to(PROJECT_DIR):
        return p.relative_to(PROJECT_DIR).as_posix()
    return p.name


def path_value(path: Path | str) -> dg.MetadataValue:
    """A file as a metadata value (`shown_path`)."""
    return dg.MetadataValue.path(shown_path(path))
