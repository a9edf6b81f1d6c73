"""The risk factor register: one row per driver / outcome per linkage wave.

The register lives as a dbt seed (`dbt_project/seeds/risk_factor_register.csv`) so the dbt models,
the Dagster register asset, the disclosure-controlled outputs and the evaluation all read the same
rows. A row says, for one wave, how the factor is operationalised, its preferred and fallback
measures, the candidate datasets and variables, the measure type the wave can use (validated,
proxy or none) and notes on bias and missingness. Register ids (e.g. `driver_low_income`) are the
flag columns of `marts.person_needs_wave_<n>` and the `measure` values of the outputs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
REGISTER_PATH = DBT_PROJECT_DIR / "seeds" / "risk_factor_register.csv"

DRIVERS = ("mental_health", "physical_health", "low_income", "substance_misuse", "employment",
           "education", "accommodation", "family")  # fmt: skip
OUTCOMES = ("offending", "ill_health", "in_work_poverty", "inactivity", "homelessness",
            "poor_child_outcomes")  # fmt: skip
WAVES = (0, 1, 2, 3, 4)
MEASURE_TYPES = ("validated", "proxy", "none")
COLUMNS = ("id", "kind", "name", "wave", "operational_definition", "preferred_measure",
           "fallback_proxy_measure", "candidate_datasets_variables", "measure_type",
           "wave_data", "notes_bias_missingness")  # fmt: skip


def factor_ids() -> tuple[str, ...]:
    """All 14 register ids, drivers first, in register order."""
    return tuple(f"driver_{d}" for d in DRIVERS) + tuple(f"outcome_{o}" for o in OUTCOMES)


def load_register(path: Path | str = REGISTER_PATH) -> pd.DataFrame:
    """The register as a frame, validated: every factor once per wave, known measure types."""
    df = pd.read_csv(path, dtype={"wave": "int64"}, keep_default_na=False)
    problems = validate_register(df)
    if problems:
        raise ValueError(f"risk factor register {path} is invalid: " + "; ".join(problems))
    return df


def validate_register(df: pd.DataFrame) -> list[str]:
    """Problems with a register frame (empty when it is whole)."""
    problems: list[str] = []
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        return [f"missing columns {missing}"]
    expected = {(i, w) for i in factor_ids() for w in WAVES}
    seen = list(zip(df["id"], df["wave"], strict=True))
    if len(seen) != len(set(seen)):
        problems.append("duplicate (id, wave) rows")
    if set(seen) != expected:
        lost = sorted(expected - set(seen))[:5]
        extra = sorted(set(seen) - expected)[:5]
        problems.append(f"rows missing {lost} / unexpected {extra}")
    bad_type = sorted(set(df["measure_type"]) - set(MEASURE_TYPES))
    if bad_type:
        problems.append(f"unknown measure types {bad_type}")
    kinds = df["id"].str.split("_").str[0]
    if not (kinds == df["kind"]).all():
        problems.append("kind does not match the id prefix")
    for col in ("operational_definition", "preferred_measure", "fallback_proxy_measure",
                "notes_bias_missingness"):
        if (df[col].str.strip() == "").any():
            problems.append(f"empty {col}")
    return problems


def wave_measures(wave: int, register: pd.DataFrame | None = None) -> tuple[str, ...]:
    """Register ids that `wave` can measure (measure type validated or proxy)."""
    reg = load_register() if register is None else register
    rows = reg[(reg["wave"] == wave) & (reg["measure_type"] != "none")]
    order = {f: i for i, f in enumerate(factor_ids())}
    return tuple(sorted(rows["id"], key=order.__getitem__))


def measure_types(wave: int, register: pd.DataFrame | None = None) -> dict[str, str]:
    """Register id -> measure type for one wave."""
    reg = load_register() if register is None else register
    rows = reg[reg["wave"] == wave]
    return dict(zip(rows["id"], rows["measure_type"], strict=True))


def measure_names(register: pd.DataFrame | None = None) -> dict[str, str]:
    """Register id -> readable name."""
    reg = load_register() if register is None else register
    return dict(zip(reg["id"], reg["name"], strict=False))
