"""Discovery (Steps B and D): catalogues from the declarations and the data, keyword search,
the source discovery register and the coverage matrix."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from bold_assets import register
from bold_assets.discovery import catalogue, coverage, keywords, sources_register
from bold_assets.sources import SOURCES


@pytest.fixture(scope="module")
def declared() -> pd.DataFrame:
    return catalogue.declared_catalogue(SOURCES.values())


def test_catalogue_has_every_declared_variable_with_a_definition(declared):
    assert len(declared) == sum(len(s.columns) for s in SOURCES.values())
    assert (declared["definition"].str.len() >= 3).all()
    assert set(declared["table_name"]) == set(SOURCES)
    # identifiers are flagged from the declarations
    ids = declared[declared["is_identifier"]]
    assert set(zip(ids["table_name"], ids["variable"], strict=True)) == {
        (s.name, c) for s in SOURCES.values() for c in s.pii_columns}
    # coded columns carry their value set and labels
    disposal = declared.set_index(["table_name", "variable"]).loc[("mags", "disposal_code")]
    assert "IMM_CUST" in disposal["value_set"] and "Immediate custody" in disposal["value_labels"]


def test_a_column_without_definition_fails_loudly():
    src = SOURCES["mags"]
    extra = dataclasses.replace(src, columns={**src.columns, "new_column": "VARCHAR"})
    with pytest.raises(ValueError, match=r"1 declared variables .*: mags\.new_column$"):
        catalogue.declared_catalogue([extra])


def test_every_variable_a_flag_uses_is_found_for_its_factor(declared):
    cands = keywords.candidate_variables(declared)
    reg = register.load_register()
    named = [v for r in reg.itertuples()
             for v in keywords.register_variables(r.candidate_datasets_variables)]
    assert len(named) > 40  # the parser reads the register's variables
    assert keywords.missed_register_variables(reg, cands) == []
    assert set(cands["risk_factor"]) == set(register.factor_ids())  # all 14 factors


def test_a_variable_outside_the_factor_is_reported_missed(declared):
    cands = keywords.candidate_variables(declared)
    reg = register.load_register().copy()
    reg.loc[reg["id"] == "driver_low_income", "candidate_datasets_variables"] = "mags.offence_date"
    assert "driver_low_income: mags.offence_date" in keywords.missed_register_variables(reg, cands)


def test_register_variable_ranges_expand():
    assert keywords.register_variables("oasys.s10_q1-s10_q3, s10_need_level; "
                                       "probation.requirements (MHTR); NPD attainment") == [
        ("oasys", "s10_q1"), ("oasys", "s10_q2"), ("oasys", "s10_q3"),
        ("oasys", "s10_need_level"), ("probation", "requirements")]


def test_search_stems_and_uses_synonyms(declared):
    plural = keywords.search(declared, "drugs")
    singular = keywords.search(declared, "drug")
    assert plural["variable"].tolist() == singular["variable"].tolist()
    hits = keywords.search(declared, "domestic abuse")
    # "harm" / "Family Law Act" are synonyms: found without the words "domestic abuse" in a name
    assert ("family", "case_type") in set(zip(hits["table_name"], hits["variable"], strict=True))
    housing = keywords.search(declared, "accommodation")
    assert {"s3_need_level", "possession_date"} <= set(housing["variable"])
    assert not housing["is_identifier"].any()  # names, DOBs and postcodes are never candidates
    # a name match ranks above a definition match, which ranks above a label match
    assert list(housing["score"]) == sorted(housing["score"], reverse=True)


def test_source_register_is_valid_and_says_what_is_unknown():
    reg = sources_register.load_source_register()
    # every declared dataset (NPD's and PNC's tables share one) has a row
    assert {catalogue.dataset_of(s) for s in SOURCES.values()} <= set(reg["source_id"])
    assert set(reg["wave"]) == {0, 1, 2, 3, 4}
    assert 0 < sources_register.unknown_cells(reg) < reg.size
    bad = reg.copy()
    bad.loc[0, "owner"] = ""
    bad.loc[1, "validates_factors"] = "driver_happiness"
    problems = sources_register.validate_source_register(bad)
    assert any("empty cells" in p for p in problems)
    assert any("driver_happiness" in p for p in problems)


def test_coverage_matrix_turns_proxies_into_validated_measures(declared):
    matrix = coverage.coverage_matrix(register.load_register(),
                                      sources_register.load_source_register(),
                                      keywords.candidate_variables(declared))
    cell = matrix.set_index(["risk_factor", "wave", "source_id"])["coverage"]
    assert cell[("outcome_offending", 0, "mags")] == "validated"
    assert cell[("driver_education", 0, "oasys")] == "proxy"
    assert cell[("driver_education", 1, "npd")] == "validated"
    assert ("driver_education", 0, "npd") not in cell.index  # NPD arrives in wave 1
    # a source validates only when the register uses a validated measure at that wave
    reg_types = register.load_register().set_index(["id", "wave"])["measure_type"]
    validated = matrix[matrix["coverage"] == "validated"]
    assert (reg_types.loc[list(zip(validated["risk_factor"], validated["wave"],
                                    strict=True))] ==
            "validated").all()


def test_measured_catalogue_and_ods_export(raw_warehouse, read_only, tmp_path):
    with read_only(raw_warehouse) as con:
        cat = catalogue.measured_catalogue(con, SOURCES.values())
        mags_rows = con.execute("SELECT count(*) FROM raw.mags").fetchall()[0][0]
    mags = cat[cat["table_name"] == "mags"]
    assert (mags["rows"] == mags_rows).all()
    assert cat["missing_pct"].between(0, 100).all()
    # identifiers: missingness only, no value summary
    assert cat.loc[cat["is_identifier"], "distinct_values"].isna().all()
    assert cat.loc[~cat["is_identifier"] & (cat["variable"] == "disposal_code"),
                   "distinct_values"].iloc[0] > 1
    assert str(mags["first_event_date"].iloc[0]) < str(mags["last_event_date"].iloc[0])
    files = catalogue.export(cat, tmp_path)
    assert len(files) == 1 + cat["dataset"].nunique()
    sheets = pd.read_excel(tmp_path / "oasys_data_catalogue.ods", engine="odf", sheet_name=None)
    assert set(sheets) == {"tables", "oasys"}
    assert len(sheets["oasys"]) == len(SOURCES["oasys"].columns)


def test_bold_discover_prints_the_ranking(capsys, tmp_path, monkeypatch):
    from bold_assets.cli import main

    monkeypatch.setenv("BOLD_WAREHOUSE", str(tmp_path / "none.duckdb"))
    assert main(["discover", "accommodation"]) == 0
    out = capsys.readouterr().out
    assert "s3_need_level" in out and "possession_date" in out
    assert main(["discover", "--factor", "driver_nothing"]) == 2
