"""Evaluation of the wave-0 flags: validity arithmetic, modal true person, sensitivity pack."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from bold_assets.defs.evaluation import needs_validity as nv


def test_flag_validity_counts_and_rates():
    # 10 people: flag true for 4 (3 truly in need), truth true for 5
    flag = [True, True, True, True, False, False, False, False, False, False]
    truth = [True, True, True, False, True, True, False, False, False, False]
    joined = pd.DataFrame({"driver_low_income": flag, "truth_driver_low_income": truth,
                           "has_oasys_assessment": [True] * 5 + [False] * 5})
    row = nv.flag_validity(joined, ("driver_low_income",)).iloc[0]
    assert (row["tp"], row["fp"], row["fn"], row["tn"]) == (3, 1, 2, 4)
    assert row["sensitivity"] == 0.6 and row["specificity"] == 0.8 and row["ppv"] == 0.75
    assert row["sensitivity_assessed"] == 0.75  # first five: tp 3, fn 1
    assert row["measure_type"] == "proxy" and row["name"] == "Low income"


def test_estimated_person_gets_its_modal_true_person(monkeypatch):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA research; CREATE SCHEMA linkage; CREATE SCHEMA truth")
    # cluster A: records r1, r2 of P1 and r3 of P2 -> P1 (purity 2/3); cluster B: r4 of P2
    con.execute("""CREATE TABLE linkage.person_clusters AS SELECT * FROM (VALUES
        ('mags', 'r1'), ('mags', 'r2'), ('oasys', 'r3'), ('civil', 'r4'))
        t(source_dataset, record_id)""")
    con.execute("""CREATE TABLE truth.record_person AS SELECT * FROM (VALUES
        ('mags', 'r1', 'P1'), ('mags', 'r2', 'P1'), ('oasys', 'r3', 'P2'), ('civil', 'r4', 'P2'))
        t(source_dataset, record_id, person_id)""")
    con.execute("""CREATE TABLE research.xjs_link AS SELECT * FROM (VALUES
        ('mags', 'h-r1', 'A'), ('mags', 'h-r2', 'A'), ('oasys', 'h-r3', 'A'),
        ('civil', 'h-r4', 'B')) t(source_dataset, row_id_hash, estimated_xjs_id)""")

    def fake_hashes(c):
        rec = c.execute("SELECT source_dataset, record_id FROM linkage.person_clusters").df()
        return rec.assign(row_id_hash="h-" + rec["record_id"])

    monkeypatch.setattr(nv, "record_hashes", fake_hashes)
    got = nv.estimated_person_truth(con).set_index("estimated_xjs_id")
    assert got.loc["A", "person_id"] == "P1" and got.loc["A", "purity"] == pytest.approx(2 / 3)
    assert got.loc["B", "person_id"] == "P2" and got.loc["B", "purity"] == 1


def test_sensitivity_table_differences_from_medium():
    prev = pd.DataFrame({
        "grp": ["L1"] * 3, "measure": ["outcome_offending"] * 3,
        "threshold": ["medium", "high", "low"], "persons": [100, 110, 90],
        "prevalence": [0.50, 0.45, 0.56]})
    row = nv.sensitivity_table(prev).iloc[0]
    assert row["diff_high"] == pytest.approx(-0.05) and row["diff_low"] == pytest.approx(0.06)
    assert row["persons_high"] == 110
