"""The risk factor register seed: complete, consistent, and what wave 0 can measure."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bold_assets import register
from bold_assets.catalog import CATALOG


def test_register_has_every_factor_for_every_wave():
    df = register.load_register()
    assert len(df) == 70
    waves = df.groupby("id")["wave"].apply(lambda s: tuple(sorted(s)))
    assert len(waves) == 14 and all(w == (0, 1, 2, 3, 4) for w in waves)
    assert set(df["kind"]) == {"driver", "outcome"}
    assert (df["kind"] == "driver").sum() == 8 * 5


def test_wave_0_measures_every_factor_and_later_waves_only_improve():
    df = register.load_register()
    assert register.wave_measures(0, df) == register.factor_ids()
    rank = {"none": 0, "proxy": 1, "validated": 2}
    for fid, grp in df.sort_values("wave").groupby("id"):
        ranks = grp["measure_type"].map(rank).tolist()
        assert ranks == sorted(ranks), f"{fid} measure type gets worse in a later wave"
    assert register.measure_types(0, df)["outcome_offending"] == "validated"


def test_validation_reports_a_broken_register():
    df = register.load_register()
    broken = pd.concat([df.iloc[1:], df.iloc[[2]]])
    problems = register.validate_register(broken)
    assert any("duplicate" in p for p in problems) and any("missing" in p for p in problems)
    bad = df.assign(measure_type=df["measure_type"].replace({"proxy": "maybe"}))
    assert register.validate_register(bad)


def test_load_refuses_an_invalid_file(tmp_path):
    df = register.load_register()
    path = tmp_path / "reg.csv"
    df[df["wave"] != 3].to_csv(path, index=False)
    with pytest.raises(ValueError, match="invalid"):
        register.load_register(path)


def test_every_measured_row_of_an_evidence_wave_has_a_definition_that_compiles():
    """Each validated / proxy row of a wave with declared evidence (0 and 1) has a flag_sql that
    DuckDB binds over that wave's evidence (boolean columns) and that yields a boolean, never
    null; wave 1 uses the evidence it was written for."""
    import duckdb
    import numpy as np

    reg, ev = register.load_register(), register.load_evidence()
    active = {w.number for w in CATALOG.active_waves()}
    assert 0 in register.evidence_waves(ev) and set(register.evidence_waves(ev)) <= active
    rng = np.random.default_rng(0)
    con = duckdb.connect()
    for wave in register.evidence_waves(ev):
        names = register.evidence_names(wave, ev)
        frame = pd.DataFrame({n: rng.random(64) < 0.5 for n in names})
        con.register("evidence", frame)
        defs = register.flag_definitions(wave, reg)
        assert tuple(defs) == register.wave_measures(wave, reg)
        for fid, sql in defs.items():
            rel = con.sql(f"SELECT ({sql}) AS {fid} FROM evidence")
            assert [str(t) for t in rel.types] == ["BOOLEAN"], (fid, wave)
            assert rel.df()[fid].notna().all()
        con.unregister("evidence")
    w1 = register.flag_definitions(1, reg)
    assert "sig_npd_sen_semh" in register.flag_sql_names(w1["driver_mental_health"])
    assert "sig_pnc_proven_offence" in register.flag_sql_names(w1["outcome_offending"])


def test_validation_reports_broken_flag_definitions():
    df = register.load_register()
    w0 = (df["wave"] == 0) & (df["id"] == "driver_family")
    w1 = (df["wave"] == 1) & (df["id"] == "driver_family")
    bad = df.copy()
    bad.loc[w0, "flag_sql"] = "need_s6 or sig_npd_cin"  # wave-1 evidence in a wave-0 row
    problems = register.validate_register(bad)
    assert any("driver_family wave 0" in p and "sig_npd_cin" in p for p in problems)
    bad = df.copy()
    bad.loc[w0 | w1, "flag_sql"] = ""  # nothing to inherit from
    problems = register.validate_register(bad)
    assert any("driver_family wave 0: measure_type proxy but no flag_sql" in p for p in problems)
    assert any("driver_family wave 1: measure_type proxy but no flag_sql" in p for p in problems)
    bad = df.copy()
    bad.loc[w0, ["measure_type", "flag_sql"]] = ["none", "need_s6"]
    assert any("measure type" in p or "measure_type none" in p
               for p in register.validate_register(bad))
    bad.loc[w0, ["measure_type", "flag_sql"]] = ["proxy", "need_s6; drop table x"]
    assert any("one boolean expression" in p for p in register.validate_register(bad))


def test_evidence_is_declared_once_with_its_sql_or_what_it_waits_for():
    ev = register.load_evidence()
    assert ev["name"].is_unique
    sig = ev[ev["kind"] == "signal"]
    active = {w.number for w in CATALOG.active_waves()}
    # the active waves' signals have SQL (int_signals_wave_<n> is generated from it)
    assert sig.loc[sig["wave"].isin(active), "pending"].eq("").all()
    assert set(sig["wave"]) <= active
    used = {n for w in active for s in register.flag_definitions(w).values()
            for n in register.flag_sql_names(s)}
    assert used <= set(ev["name"])
    twice = pd.concat([ev, ev.iloc[[0]]], ignore_index=True)
    assert any("declared twice" in p for p in register.validate_evidence(twice))


def test_a_row_without_flag_sql_inherits_the_nearest_earlier_definition():
    """A measured row with an empty flag_sql keeps the nearest earlier wave's definition of its
    factor; a measured row with none to inherit is an error naming the row."""
    df = register.load_register()
    row = {(i, w): k for k, (i, w) in enumerate(zip(df["id"], df["wave"], strict=True))}
    sql = df["flag_sql"].tolist()
    # the wave-1 rows that only repeated wave 0's definition are empty and inherit it
    repeated = [i for i in register.factor_ids()
                if sql[row[i, 1]] and sql[row[i, 1]] == sql[row[i, 0]]]
    assert not repeated
    w1 = register.flag_sources(1, df)
    assert w1["driver_physical_health"] == ("need_s13", 0)
    assert w1["driver_mental_health"] == (sql[row["driver_mental_health", 1]], 1)
    assert register.flag_definitions(1, df)["outcome_homelessness"] == sql[
        row["outcome_homelessness", 0]]
    # the nearest earlier definition: wave 2 takes wave 1's, not wave 0's
    assert register.flag_sources(2, df)["driver_family"] == (sql[row["driver_family", 1]], 1)
    # a row of its own replaces the inherited one
    own = df.copy()
    own.loc[(own["id"] == "driver_accommodation") & (own["wave"] == 1), "flag_sql"] = "severe_s3"
    assert register.flag_sources(1, own)["driver_accommodation"] == ("severe_s3", 1)
    assert register.flag_sources(2, own)["driver_accommodation"] == ("severe_s3", 1)
    # nothing earlier to inherit: an error naming the row, and no definition
    orphan = df.copy()
    orphan.loc[(orphan["id"] == "driver_family") & (orphan["wave"] == 0), "flag_sql"] = ""
    assert register.validate_register(orphan) == [
        "driver_family wave 0: measure_type proxy but no flag_sql (nor an earlier wave's to "
        "inherit)"]
    assert "driver_family" not in register.flag_definitions(0, orphan)
    assert register.flag_sources(1, orphan)["driver_family"] == (sql[row["driver_family", 1]], 1)


HEALTH = ("driver_mental_health", "driver_physical_health", "driver_substance_misuse",
          "outcome_ill_health")


def test_wave_3_validates_health_factors_over_the_earlier_proxies():
    """Wave 3's rows for the health factors are validated and write their own flag_sql over
    wave-3 evidence (hospital, mental health services) combined with every piece of evidence
    of the definition they replace (the earlier proxies still count); every other wave-3 row
    inherits. Their candidate variables name the extracts' own fields."""
    reg, ev = register.load_register(), register.load_evidence()
    wave_3 = set(ev.loc[ev["wave"] == 3, "name"])
    w2, w3 = register.flag_sources(2, reg), register.flag_sources(3, reg)
    types = register.measure_types(3, reg)
    for fid in HEALTH:
        sql, written_in = w3[fid]
        names = set(register.flag_sql_names(sql))
        assert written_in == 3 and types[fid] == "validated", fid
        assert names & wave_3, fid
        assert set(register.flag_sql_names(w2[fid][0])) <= names, fid
    assert {fid: w for fid, (_, w) in w3.items() if fid not in HEALTH and w == 3} == {}
    rows = reg[(reg["wave"] == 3)].set_index("id")
    assert "DIAG_4_01" in rows.loc["driver_mental_health", "candidate_datasets_variables"]
    assert "MHS101Referral" in rows.loc["driver_substance_misuse", "candidate_datasets_variables"]
    assert "ONS deaths" in rows.loc["outcome_ill_health", "candidate_datasets_variables"]
    for fid in HEALTH:
        notes = rows.loc[fid, "notes_bias_missingness"]
        assert "HES only sees people who use hospitals" in notes and "Trace misses" in notes


def test_deaths_rule_is_declared_once_and_stated_in_the_register():
    """The deaths rule is one dbt var (wave 3: ONS deaths by date of death), its model a staging
    model with that column; every register row of a wave under it (and the module docstring)
    states it: the date of death decides, late registrations count once in the extract, ids are
    never reused."""
    rule = register.deaths_rule()
    assert rule == {"wave": 3, "model": "stg_ons_deaths", "date": "date_of_death"}
    model = register.DBT_PROJECT_DIR / "models" / "staging" / f"{rule['model']}.sql"
    assert f"as {rule['date']}," in model.read_text()
    assert rule["wave"] in {w.number for w in CATALOG.active_waves()}
    reg = register.load_register()
    for fid, wave, notes in zip(reg["id"], reg["wave"], reg["notes_bias_missingness"],
                                strict=True):
        stated = "Deaths rule (from wave 3" in notes
        assert stated == (wave >= rule["wave"]), (fid, wave)
        if stated:
            for words in ("registered after the snapshot but dated before it",
                          "once the registration is in the extract", "never reused"):
                assert words in notes, (fid, wave, words)
    doc = register.__doc__
    for words in ("deaths rule", "never reused", "registration is in the extract"):
        assert words in doc, words


HOUSING = ("driver_accommodation", "outcome_homelessness")
# Wave-4 rows that add H-CLIC support needs (recorded by the council's assessing officer) to
# their earlier definition: the health drivers and the family driver (domestic abuse).
SUPPORT_NEEDS = {"driver_mental_health": "sig_hclic_support_mental_health",
                 "driver_physical_health": "sig_hclic_support_physical_health",
                 "driver_substance_misuse": "sig_hclic_support_substance_misuse",
                 "driver_family": "sig_hclic_domestic_abuse"}


def test_wave_4_validates_housing_over_council_records_and_the_earlier_proxies():
    """Wave 4's accommodation and homelessness rows are validated, written over H-CLIC and
    council housing evidence and every piece of evidence of the definition they replace; the
    rows that take an H-CLIC support need add it to their earlier definition; every other row
    inherits. Their notes say what H-CLIC cannot see."""
    reg, ev = register.load_register(), register.load_evidence()
    wave_4 = set(ev.loc[ev["wave"] == 4, "name"])
    w3, w4 = register.flag_sources(3, reg), register.flag_sources(4, reg)
    types = register.measure_types(4, reg)
    assert {fid for fid, (_, w) in w4.items() if w == 4} == {*HOUSING, *SUPPORT_NEEDS}
    for fid in HOUSING:
        names = set(register.flag_sql_names(w4[fid][0]))
        assert types[fid] == "validated" and names & wave_4, fid
        assert set(register.flag_sql_names(w3[fid][0])) <= names, fid
    for fid, sig in SUPPORT_NEEDS.items():
        names = register.flag_sql_names(w4[fid][0])
        assert names == register.flag_sql_names(w3[fid][0]) + [sig], fid
        assert types[fid] == register.measure_types(3, reg)[fid], fid
    # the prevention duty (threatened) is the driver; the outcome needs homelessness
    assert "sig_hclic_prevention" in register.flag_sql_names(w4["driver_accommodation"][0])
    assert "sig_hclic_prevention" not in register.flag_sql_names(w4["outcome_homelessness"][0])
    # every wave-4 signal is used by a wave-4 row
    used = {n for sql, _ in w4.values() for n in register.flag_sql_names(sql)}
    assert wave_4 - used == {"sig_council_traced"}  # the link itself, not a need
    rows = reg[reg["wave"] == 4].set_index("id")
    for fid in HOUSING:
        notes = rows.loc[fid, "notes_bias_missingness"]
        for words in ("April 2018", "Councils that do not submit", "Trace misses",
                      "lead applicant", "housing associations"):
            assert words in notes, (fid, words)
        assert "H-CLIC" in rows.loc[fid, "candidate_datasets_variables"], fid


def test_council_coverage_rule_is_declared_once_and_checked(tmp_path):
    """The council coverage rule is one dbt var (wave 4: H-CLIC returns, the housing measures),
    its model a staging model with the columns macros/coverage.sql reads; its measures must be
    register ids; the register rows of those measures from its wave on (and the module
    docstring) state it."""
    import yaml

    rule = register.council_coverage_rule()
    assert rule == {"wave": 4, "model": "stg_hclic_submissions", "start": dt.date(2018, 4, 1),
                    "measures": HOUSING}
    model = (register.DBT_PROJECT_DIR / "models" / "staging" / f"{rule['model']}.sql").read_text()
    for col in ("la_code,", "as quarter_start_date,", "as submitted,"):
        assert col in model, col
    assert rule["wave"] in {w.number for w in CATALOG.active_waves()}
    reg = register.load_register()
    for fid, wave, notes in zip(reg["id"], reg["wave"], reg["notes_bias_missingness"],
                                strict=True):
        stated = "council_covered" in notes and "Councils that do not submit" in notes
        assert stated == (fid in rule["measures"] and wave >= rule["wave"]), (fid, wave)
    for words in ("council coverage rule", "council_covered", "no data, never zero"):
        assert words in register.__doc__, words
    cfg = yaml.safe_load(register.DBT_PROJECT_FILE.read_text())

    def with_rule(value) -> str:
        path = tmp_path / f"dbt_project_{len(list(tmp_path.iterdir()))}.yml"
        cfg["vars"]["council_coverage"] = value
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        return str(path)

    with pytest.raises(ValueError, match=r"measures \['driver_housing'\] are not register ids"):
        register.council_coverage_rule(with_rule(
            {"wave": 4, "model": "stg_hclic_submissions", "start": "2018-04-01",
             "measures": ["driver_accommodation", "driver_housing"]}))
    with pytest.raises(ValueError, match=r"lacks \['measures'\]"):
        register.council_coverage_rule(with_rule(
            {"wave": 4, "model": "stg_hclic_submissions", "start": "2018-04-01"}))
    with pytest.raises(ValueError, match=r"lacks \['start'\]"):
        register.council_coverage_rule(with_rule(
            {"wave": 4, "model": "stg_hclic_submissions", "measures": list(HOUSING)}))
    with pytest.raises(ValueError, match="start 'April 2018' is not a date"):
        register.council_coverage_rule(with_rule(
            {"wave": 4, "model": "stg_hclic_submissions", "start": "April 2018",
             "measures": list(HOUSING)}))
    with pytest.raises(ValueError, match="wave 7 is not one of"):
        register.council_coverage_rule(with_rule(
            {"wave": 7, "model": "stg_hclic_submissions", "start": "2018-04-01",
             "measures": list(HOUSING)}))
    cfg["vars"].pop("council_coverage")
    path = tmp_path / "none.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert register.council_coverage_rule(path) is None
