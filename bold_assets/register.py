"""The risk factor register: one row per driver / outcome per linkage wave.

The register lives as a dbt seed (`dbt_project/seeds/risk_factor_register.csv`) so the dbt models,
the Dagster register asset, the disclosure-controlled outputs and the evaluation all read the same
rows. A row says, for one wave, how the factor is operationalised, its preferred and fallback
measures, the candidate datasets and variables, the measure type the wave can use (validated,
proxy or none) and notes on bias and missingness. Register ids (e.g. `driver_low_income`) are the
flag columns of `marts.person_needs_wave_<n>` and the `measure` values of the outputs.

The register drives the flags: a measured row (validated or proxy) carries `flag_sql`, a boolean
SQL expression over named evidence (e.g. `need_s10 or sig_mhtr`), and the dbt macro
`person_needs(wave)` generates each flag column of the wave's mart from its row, with a comment
naming the row. A measured row with an empty `flag_sql` keeps the nearest earlier wave's
definition of its factor (`flag_definitions`; the mart's comment says "inherited from wave <k>"),
so a wave that changes one flag writes one row; a measured row with no definition of its own or
earlier is an error. The evidence is declared once, in `dbt_project/dbt_project.yml`: the
assessments of `evidence_assessments` (the latest in the lookback window: for OASys,
`need_s<N>` / `severe_s<N>` for each section of `oasys_sections`), and the signals of
`evidence_signals` (name, wave, window, meaning and the SQL that derives each from a staging
model into `int_signals_wave_<n>`; `from: []` while its SQL is pending). ICD-10 conditions
(wave 3) are flags of the staging models over the code lists of `bold_assets/catalog/icd10.py`
(the dbt macro `icd10_in`, generated from them), never ranges written in SQL.

The deaths rule, declared once as the dbt var `deaths` ({wave, model, date}: wave 3,
`stg_ons_deaths`, `date_of_death`; `deaths_rule()`): from that wave on, persons who died before a
snapshot leave that snapshot's denominators and counts. A person (at each linkage threshold) with
a linked death record dated before the snapshot date is not in the wave's mart
(`macros/deaths.sql`, applied by `person_needs`), and the outputs count the marts' people per
area. The date of death decides, not the registration date: a death registered after the
snapshot but dated before it counts only once the registration is in the extract (until then the
person stays in). Death records reach persons like any other attribute row (ONS deaths through
the PDS record with the same hashed NHS number), so deaths without an NHS number, and people not
traced to PDS, take nobody out. The ids of the dead are never reused: the spine never reuses ids.
Every register row of a wave under the rule says so in its notes on bias and missingness.

No data is not zero: the council coverage rule, declared once as the dbt var `council_coverage`
({wave, model, measures}: wave 4, `stg_hclic_submissions`, driver_accommodation and
outcome_homelessness; `council_coverage_rule()`, which checks the measures are register ids).
From that wave on those measures rest on H-CLIC, a quarterly return some councils miss: a
council-quarter without a return is no data, never zero cases. Each such wave gets
`marts.area_coverage_wave_<n>` (`dbt_project/macros/coverage.sql`: per LAD and measure, the
quarters of the lookback window expected and submitted; covered only when every one arrived) and
its person mart the column `council_covered` (the person's LAD covered; null when unknown), so
the outputs can tell an area's zero from no data. The register rows of those measures from that
wave on say so in their notes on bias and missingness.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from pathlib import Path

import pandas as pd
import yaml

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
REGISTER_PATH = DBT_PROJECT_DIR / "seeds" / "risk_factor_register.csv"
DBT_PROJECT_FILE = DBT_PROJECT_DIR / "dbt_project.yml"

DRIVERS = ("mental_health", "physical_health", "low_income", "substance_misuse", "employment",
           "education", "accommodation", "family")  # fmt: skip
OUTCOMES = ("offending", "ill_health", "in_work_poverty", "inactivity", "homelessness",
            "poor_child_outcomes")  # fmt: skip
WAVES = (0, 1, 2, 3, 4)
MEASURE_TYPES = ("validated", "proxy", "none")
COLUMNS = ("id", "kind", "name", "wave", "operational_definition", "preferred_measure",
           "fallback_proxy_measure", "candidate_datasets_variables", "measure_type",
           "wave_data", "notes_bias_missingness", "flag_sql")  # fmt: skip
EVIDENCE_WINDOWS = ("lookback", "ever")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def factor_ids() -> tuple[str, ...]:
    """All 14 register ids, drivers first, in register order."""
    return tuple(f"driver_{d}" for d in DRIVERS) + tuple(f"outcome_{o}" for o in OUTCOMES)


def dbt_project_vars(project_file: Path | str = DBT_PROJECT_FILE) -> dict:
    """The `vars` of dbt_project.yml (a copy: parsed once per version of the file, because the
    register's validation asks for them once per flag definition)."""
    path = Path(project_file).resolve()
    return copy.deepcopy(_parsed_vars(path, path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _parsed_vars(path: Path, mtime_ns: int) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)["vars"]


def deaths_rule(project_file: Path | str = DBT_PROJECT_FILE) -> dict | None:
    """The deaths rule (dbt var `deaths`): {wave, model, date}, or None when not declared."""
    rule = dbt_project_vars(project_file).get("deaths")
    if rule is None:
        return None
    missing = [k for k in ("wave", "model", "date") if not rule.get(k) and rule.get(k) != 0]
    if missing:
        raise ValueError(f"var deaths in {project_file} lacks {missing}")
    return {"wave": int(rule["wave"]), "model": str(rule["model"]), "date": str(rule["date"])}


def council_coverage_rule(project_file: Path | str = DBT_PROJECT_FILE) -> dict | None:
    """The council coverage rule (dbt var `council_coverage`): {wave, model, start, measures}, or
    None when not declared. From `wave` on, the `measures` (register ids, a tuple) rest on a
    return that some councils miss; `model` (a row per council and quarter) says which arrived,
    since `start` (the collection's first day, a date)."""
    rule = dbt_project_vars(project_file).get("council_coverage")
    if rule is None:
        return None
    missing = [k for k in ("wave", "model", "start", "measures")
               if not rule.get(k) and rule.get(k) != 0]
    if missing:
        raise ValueError(f"var council_coverage in {project_file} lacks {missing}")
    measures = tuple(str(m) for m in rule["measures"])
    problems = []
    unknown = [m for m in measures if m not in factor_ids()]
    if unknown:
        problems.append(f"measures {unknown} are not register ids")
    if len(set(measures)) != len(measures):
        problems.append(f"measures {list(measures)} repeat one")
    if int(rule["wave"]) not in WAVES:
        problems.append(f"wave {rule['wave']} is not one of {WAVES}")
    try:
        start = dt.date.fromisoformat(str(rule["start"]))
    except ValueError:
        problems.append(f"start {rule['start']!r} is not a date (YYYY-MM-DD)")
    if problems:
        raise ValueError(f"var council_coverage in {project_file}: " + "; ".join(problems))
    return {"wave": int(rule["wave"]), "model": str(rule["model"]), "start": start,
            "measures": measures}


def load_evidence(project_file: Path | str = DBT_PROJECT_FILE) -> pd.DataFrame:
    """Declared evidence, one row per name: name, wave (first wave it exists), kind (`signal`,
    or the name of the assessment it comes from, e.g. `oasys`), window, meaning, pending (what
    its SQL waits for; "" when written), sql (the `from` entries of a signal; the section and
    thresholds of an assessment's need)."""
    cfg = dbt_project_vars(project_file)
    rows = []
    for a in cfg["evidence_assessments"]:
        for s in cfg[a["sections"]]:
            for level, prefix in (("standard", "need"), ("severe", "severe")):
                rows.append({
                    "name": f"{prefix}_s{s['section']}", "wave": int(a["wave"]),
                    "kind": a["name"], "window": "latest_assessment",
                    "meaning": f"{a['meaning']} has section {s['section']} ({s['name']}) item "
                               f"sum >= {s[level]}",
                    "pending": "", "sql": [dict(s, level=level)]})
    for s in cfg["evidence_signals"]:
        rows.append({"name": s["name"], "wave": int(s["wave"]), "kind": "signal",
                     "window": s["window"], "meaning": s["meaning"],
                     "pending": "" if s["from"] else s.get("pending", "not written"),
                     "sql": list(s["from"])})
    ev = pd.DataFrame(rows)
    problems = validate_evidence(ev)
    if problems:
        raise ValueError(f"evidence declared in {project_file} is invalid: " + "; ".join(problems))
    return ev


def validate_evidence(ev: pd.DataFrame) -> list[str]:
    """Problems with declared evidence (empty when it is whole)."""
    problems = []
    dup = sorted(ev.loc[ev["name"].duplicated(), "name"])
    if dup:
        problems.append(f"evidence declared twice: {dup}")
    bad = sorted(n for n in ev["name"] if not re.fullmatch(r"(sig|need_s|severe_s)[a-z0-9_]+", n))
    if bad:
        problems.append(f"evidence names must start sig_, need_s or severe_s: {bad}")
    sig = ev[ev["kind"] == "signal"]
    wrong = sorted(sig.loc[~sig["window"].isin(EVIDENCE_WINDOWS), "name"])
    if wrong:
        problems.append(f"evidence with a window other than {EVIDENCE_WINDOWS}: {wrong}")
    for name, parts in zip(sig["name"], sig["sql"], strict=True):
        for part in parts:
            if not part.get("model") or not part.get("date"):
                problems.append(f"evidence {name}: every `from` entry needs a model and a date")
    return problems


def evidence_names(wave: int, evidence: pd.DataFrame | None = None) -> tuple[str, ...]:
    """Evidence a flag of `wave` may use (declared for that wave or an earlier one)."""
    ev = load_evidence() if evidence is None else evidence
    return tuple(ev.loc[ev["wave"] <= wave, "name"])


def evidence_waves(evidence: pd.DataFrame | None = None) -> tuple[int, ...]:
    """Waves that declare evidence of their own."""
    ev = load_evidence() if evidence is None else evidence
    return tuple(sorted(int(w) for w in ev["wave"].unique()))


def flag_sql_keywords(project_file: Path | str = DBT_PROJECT_FILE) -> frozenset[str]:
    """Words a flag_sql may use besides evidence names (var flag_sql_keywords)."""
    cfg = dbt_project_vars(project_file)
    return frozenset(str(w).lower() for w in cfg["flag_sql_keywords"])


def flag_sql_names(flag_sql: str) -> list[str]:
    """The evidence names a flag definition uses (identifiers other than its keywords)."""
    keywords = flag_sql_keywords()
    return [n for n in _IDENT.findall(flag_sql) if n.lower() not in keywords]


def _flag_sql(value: object) -> str:
    return "" if pd.isna(value) else str(value).strip()


def _written(reg: pd.DataFrame) -> dict[str, dict[int, str]]:
    """Register id -> wave -> flag_sql of the measured rows that write one."""
    out: dict[str, dict[int, str]] = {}
    for fid, wave, mtype, sql in zip(reg["id"], reg["wave"], reg["measure_type"], reg["flag_sql"],
                                     strict=True):
        if mtype != "none" and _flag_sql(sql):
            out.setdefault(fid, {})[int(wave)] = _flag_sql(sql)
    return out


def flag_sources(wave: int, register: pd.DataFrame | None = None) -> dict[str, tuple[str, int]]:
    """Register id -> (flag_sql, the wave whose row writes it) for the rows `wave` measures, in
    register order: a row without flag_sql keeps the nearest earlier wave's definition. Rows
    with none to inherit are left out (`validate_flag_sql` reports them)."""
    reg = load_register() if register is None else register
    written = _written(reg[reg["wave"] <= wave])
    rows = reg[(reg["wave"] == wave) & (reg["measure_type"] != "none")]
    out = {}
    for fid in rows["id"]:
        if written.get(fid):
            source = max(written[fid])
            out[fid] = (written[fid][source], source)
    return out


def flag_definitions(wave: int, register: pd.DataFrame | None = None) -> dict[str, str]:
    """Register id -> flag_sql for the rows `wave` measures, in register order, inherited from
    the nearest earlier wave where the row has none (see `flag_sources`)."""
    return {fid: sql for fid, (sql, _) in flag_sources(wave, register).items()}


def load_register(path: Path | str = REGISTER_PATH) -> pd.DataFrame:
    """The register as a frame, validated: every factor once per wave, known measure types."""
    df = pd.read_csv(path, dtype={"wave": "int64"}, keep_default_na=False)
    problems = validate_register(df)
    if problems:
        raise ValueError(f"risk factor register {path} is invalid: " + "; ".join(problems))
    return df


def validate_register(df: pd.DataFrame, evidence: pd.DataFrame | None = None) -> list[str]:
    """Problems with a register frame (empty when it is whole), flag definitions included."""
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
    return problems + validate_flag_sql(df, load_evidence() if evidence is None else evidence)


def validate_flag_sql(df: pd.DataFrame, evidence: pd.DataFrame) -> list[str]:
    """flag_sql: none for measure type none; for every measured row its own or one to inherit
    from an earlier wave's row; only evidence declared for the row's wave or earlier; one line
    of plain SQL."""
    problems = []
    written = _written(df)
    for fid, wave, mtype, sql in zip(df["id"], df["wave"], df["measure_type"], df["flag_sql"],
                                     strict=True):
        row = f"{fid} wave {wave}"
        sql = _flag_sql(sql)
        if mtype == "none":
            if sql:
                problems.append(f"{row}: measure_type none but a flag_sql")
            continue
        if not sql:
            if not any(w < wave for w in written.get(fid, {})):
                problems.append(f"{row}: measure_type {mtype} but no flag_sql (nor an earlier "
                                "wave's to inherit)")
            continue
        if re.search(r"[;\n]|--|/\*", sql):
            problems.append(f"{row}: flag_sql must be one boolean expression on one line")
        unknown = sorted(set(flag_sql_names(sql)) - set(evidence_names(int(wave), evidence)))
        if unknown:
            problems.append(f"{row}: flag_sql uses undeclared evidence {unknown}")
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
