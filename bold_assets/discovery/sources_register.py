"""The source discovery register (BOLD Step D): one row per source of every wave.

It lives beside this module (`data/source_discovery_register.csv`) with the facts DOMAIN.md
and the programme's public documents give: owner, legal gateway, refresh cadence, geography,
person identifiers for linkage, known quality and representativeness issues, system of record,
access route, and the risk factors the source can turn from proxy to validated. A fact not found
in those documents reads "unknown (...)": never a guess.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bold_assets.register import factor_ids

SOURCE_REGISTER_PATH = Path(__file__).with_name("data") / "source_discovery_register.csv"
COLUMNS = ("source_id", "wave", "dataset", "owner", "system_of_record", "legal_gateway",
           "refresh_cadence", "geographic_granularity", "coverage", "person_identifiers",
           "known_quality_issues", "representativeness_issues", "access_route",
           "validates_factors", "evidence")  # fmt: skip
NO_FACTORS = "none (proxy measures only)"


def load_source_register(path: Path | str = SOURCE_REGISTER_PATH) -> pd.DataFrame:
    """The register, validated (raises naming the file and the problems)."""
    df = pd.read_csv(path, dtype={"wave": "int64"}, keep_default_na=False)
    problems = validate_source_register(df)
    if problems:
        raise ValueError(f"source discovery register {path} is invalid: " + "; ".join(problems))
    return df


def validates(row: pd.Series) -> list[str]:
    """Risk factor ids a register row can turn from proxy to validated."""
    text = row["validates_factors"]
    return [] if text == NO_FACTORS else [f.strip() for f in text.split(";") if f.strip()]


def validate_source_register(df: pd.DataFrame) -> list[str]:
    problems: list[str] = []
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        return [f"missing columns {missing}"]
    if df["source_id"].duplicated().any():
        dup = sorted(df.loc[df["source_id"].duplicated(), "source_id"])
        problems.append(f"duplicate source ids {dup}")
    empty = [f"{r.source_id}.{c}" for r in df.itertuples() for c in COLUMNS
             if str(getattr(r, c)).strip() == ""]
    if empty:
        problems.append(f"empty cells (write 'unknown (...)' instead): {empty[:8]}")
    known = set(factor_ids())
    bad = sorted({f for _, r in df.iterrows() for f in validates(r)} - known)
    if bad:
        problems.append(f"unknown risk factors {bad}")
    if not df["wave"].between(0, 4).all():
        problems.append("wave outside 0-4")
    return problems


def unknown_cells(df: pd.DataFrame) -> int:
    """How many cells say the fact is unknown."""
    return int(sum(df[c].astype(str).str.startswith("unknown").sum() for c in COLUMNS))
