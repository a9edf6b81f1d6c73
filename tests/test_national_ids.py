"""National identifiers (NINO, NHS number, UPN): standardised and checked, then compared exactly
(and blocked on) by a model whose sources all hold the kind; every other model is unchanged."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from bold_assets.catalog import CATALOG, Identifiers, Source, get_source
from bold_assets.linkage import link_records
from bold_assets.linkage import models as mdl
from bold_assets.linkage.core import LinkageSession
from bold_assets.linkage.justice import PLANS
from bold_assets.linkage.standardise import (
    STD_COLUMNS,
    RecordSpec,
    infer_mapping,
    register_functions,
    standardise_frame,
    standardise_report,
)
from bold_assets.sources import SOURCES

MAPPING = {"record_id": "id", "forename": "fn", "surname": "sn", "dob": "dob",
           "dob_format": "%Y-%m-%d", "nino": "NI_NUMBER", "nhs_number": "nhs", "upn": "upn"}
FORENAMES = ["JOHN", "JAMES", "ROBERT", "MARY", "SARAH", "MOHAMMED", "PIOTR", "EMMA", "DAVID",
             "LISA", "WILLIAM", "KAREN", "ALI", "GRACE", "KWAME", "MEI", "OLIVIA", "TOMASZ"]
SURNAMES = ["SMITH", "JONES", "KHAN", "NOWAK", "BROWN", "TAYLOR", "WILSON", "PATEL", "OKAFOR",
            "EVANS", "THOMAS", "ROBERTS", "CHEN", "MENSAH", "WALKER", "HUGHES", "GREEN", "HALL"]


def _std(column: str, values: list[str | None]) -> pd.DataFrame:
    """Standardise one national id column (the others absent) of a tiny mapped table."""
    df = pd.DataFrame({"id": [f"r{i}" for i in range(len(values))], "fn": "ANN",
                       column: values})
    kind = next(k for k, c in MAPPING.items() if c == column)
    mapping = {"record_id": "id", "forename": "fn", kind: column}
    return standardise_frame(df, mapping=mapping).to_pandas().set_index("record_id")


def nhs_check_digit(nine: str) -> int | None:
    """Modulus 11 check digit of the first nine digits of an NHS number (None: 10, unusable)."""
    check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    return {11: 0, 10: None}.get(check, check)


def _nhs_numbers(n: int, seed: int) -> list[str]:
    r, out = random.Random(seed), []
    while len(out) < n:
        nine = f"{r.randrange(10**8, 10**9)}"
        check = nhs_check_digit(nine)
        if check is not None and len(set(nine)) > 1:
            out.append(f"{nine}{check}")
    return out


def _ninos(n: int, seed: int) -> list[str]:
    """Valid NINOs: prefix letters HMRC issues, six digits, a suffix A-D."""
    r, out = random.Random(seed), []
    while len(out) < n:
        prefix = f"{r.choice('ABCEGHJKLMNOPRSTWXYZ')}{r.choice('ABCEGHJKLMNPRSTWXYZ')}"
        if prefix not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
            out.append(f"{prefix}{r.randrange(10**6):06d}{r.choice('ABCD')}")
    return out


# Standardisation --------------------------------------------------------------------------


def test_nino_normalised_to_its_first_8_characters_and_bad_ones_flagged():
    valid = ["AB123456C", "ab 12 34 56 c", "AB-12-34-56-C", "AB123456", "AB123456 ", "ZY987654D"]
    invalid = ["DA123456A", "AD123456A", "FA123456A", "AO123456A", "BG123456A", "GB123456A",
               "NK123456A", "KN123456A", "NT123456A", "ZZ123456A", "AB12345C", "AB1234567C",
               "AB123456E", "A1234567C", "AB12345X6"]
    temporary = ["TN010180M", "TN123456A"]
    out = _std("NI_NUMBER", [*valid, *invalid, *temporary, None, "  "])
    assert out["nino_std"].iloc[:len(valid)].tolist() == [*["AB123456"] * 5, "ZY987654"]
    assert not out["nino_invalid"].iloc[:len(valid)].any()
    bad = out.iloc[len(valid):len(valid) + len(invalid)]
    assert bad["nino_std"].isna().all() and bad["nino_invalid"].all()
    rest = out.iloc[len(valid) + len(invalid):]  # temporary numbers and blanks: NULL, no flag
    assert rest["nino_std"].isna().all() and not rest["nino_invalid"].any()
    # the other kinds are NULL columns, never flagged
    assert out["nhs_number_std"].isna().all() and out["upn_std"].isna().all()
    assert not out["nhs_number_invalid"].any() and not out["upn_invalid"].any()


def test_nhs_number_check_digit_computed_independently():
    good = _nhs_numbers(30, seed=1)
    wrong = [f"{g[:9]}{(int(g[9]) + 1) % 10}" for g in good[:10]]  # wrong check digit
    r = random.Random(2)
    ten = next(n for n in (f"{r.randrange(10**8, 10**9)}" for _ in range(10000))
               if nhs_check_digit(n) is None)  # check digit would be 10: never issued
    unusable = [f"{ten}{d}" for d in range(10)]
    spaced = f"{good[0][:3]} {good[0][3:6]} {good[0][6:]}"
    short = ["123456789", "12345678901", "94347659A9"]
    placeholders = ["0000000000", "9999999999", "1111111111"]
    values = [*good, spaced, *wrong, *unusable, *short, *placeholders, None]
    out = _std("nhs", values)
    n_ok = len(good) + 1
    assert out["nhs_number_std"].iloc[:n_ok].tolist() == [*good, good[0]]
    assert not out["nhs_number_invalid"].iloc[:n_ok].any()
    bad = out.iloc[n_ok:n_ok + len(wrong) + len(unusable) + len(short)]
    assert bad["nhs_number_std"].isna().all() and bad["nhs_number_invalid"].all()
    rest = out.iloc[n_ok + len(bad):]
    assert rest["nhs_number_std"].isna().all() and not rest["nhs_number_invalid"].any()


def test_upn_a_letter_eleven_digits_and_a_letter_or_digit():
    valid = ["A12345678901B", "a12345678901b", "A123456789012", " Z 98765-432101 9 "]
    invalid = ["112345678901B", "A1234567890B", "A12345678901BC", "A1234567890XB", "AB2345678901B"]
    out = _std("upn", [*valid, *invalid, None, ""])
    assert out["upn_std"].iloc[:4].tolist() == ["A12345678901B", "A12345678901B",
                                                 "A123456789012", "Z987654321019"]
    assert not out["upn_invalid"].iloc[:4].any()
    bad = out.iloc[4:4 + len(invalid)]
    assert bad["upn_std"].isna().all() and bad["upn_invalid"].all()
    assert out["upn_std"].iloc[-2:].isna().all() and not out["upn_invalid"].iloc[-2:].any()


def test_report_counts_every_nulled_national_id_with_its_reason():
    df = pd.DataFrame({"id": ["a", "b", "c", "d", "e"], "fn": "ANN",
                       "NI_NUMBER": ["AB123456C", "ab123456", "TN010180M", "QQ123456A", None]})
    with duckdb.connect() as con:
        con.register("t", df)
        register_functions(con)
        spec = RecordSpec.from_mapping({"record_id": "id", "forename": "fn",
                                        "nino": "NI_NUMBER"})
        row = next(r for r in standardise_report(con, spec, "t") if r["role"] == "nino")
    # upper-casing alone keeps a value; dropping the suffix changes it
    assert (row["given"], row["kept"], row["changed"], row["nulled"]) == (4, 1, 1, 2)
    assert row["why"] == {"temporary number (TN...)": 1, "not a valid nino": 1}


def test_wave0_std_tables_get_null_national_id_columns():
    src = SOURCES["crown"]
    df = pd.DataFrame({c: [None] for c in src.columns})
    df[src.key] = ["T0"]
    out = standardise_frame(df, RecordSpec.from_source(src)).to_pandas()
    assert list(out.columns) == list(STD_COLUMNS)
    for kind in ("nino", "nhs_number", "upn"):
        assert out[f"{kind}_std"].isna().all() and not out[f"{kind}_invalid"].any()


def test_a_table_in_standard_form_keeps_its_national_ids():
    std = _std("NI_NUMBER", ["AB123456C"]).reset_index()
    mapping = infer_mapping(list(std.columns))
    assert mapping["nino"] == "nino_std"
    again = standardise_frame(std, mapping=mapping).to_pandas()
    assert again["nino_std"].tolist() == ["AB123456"]


# Settings ---------------------------------------------------------------------------------


def _source(name: str, national_ids: dict[str, str]) -> Source:
    """A copy of a catalogue source under another name, with its own identifier columns."""
    ident = Identifiers(forename="fn", surname="sn", dob="dob", sex="sex",
                        national_ids=national_ids)
    return replace(get_source("pnc_people"), name=name, key="id", event_date="seen",
                   identifiers=ident, person_filter=None)


@pytest.fixture(scope="module")
def catalog():
    return CATALOG.with_sources(_source("dwp_a", {"nino": "NI"}),
                                _source("hmrc_b", {"nino": "NI", "nhs_number": "NHS"}),
                                _source("other_c", {}))


def _settings(plan: mdl.ModelPlan, catalog, filled: set[str]) -> dict:
    return mdl.settings_for(plan, filled, catalog=catalog).create_settings_dict("duckdb")


FILLED = set(STD_COLUMNS) | {"name_pair"}


def test_every_source_declaring_the_kind_adds_comparison_and_blocking_rule(catalog):
    both = mdl.ModelPlan("link_ab", "link_only", ("dwp_a", "hmrc_b"))
    one = mdl.ModelPlan("link_ac", "link_only", ("dwp_a", "other_c"))
    with_id, without = _settings(both, catalog, FILLED), _settings(one, catalog, FILLED)
    assert mdl.national_id_kinds(both, FILLED, catalog) == ("nino",)  # only one side has NHS
    assert mdl.national_id_kinds(one, FILLED, catalog) == ()
    nino = with_id["comparisons"][-1]
    assert nino["output_column_name"] == "nino"
    assert [lv["sql_condition"] for lv in nino["comparison_levels"]] == [
        '"nino_std_l" IS NULL OR "nino_std_r" IS NULL', '"nino_std_l" = "nino_std_r"', "ELSE"]
    rules = [r["blocking_rule"] for r in with_id["blocking_rules_to_generate_predictions"]]
    assert rules[-1] == 'l."nino_std" = r."nino_std"'
    # everything else is as without the national id
    assert with_id["comparisons"][:-1] == without["comparisons"]
    assert with_id["blocking_rules_to_generate_predictions"][:-1] == \
        without["blocking_rules_to_generate_predictions"]
    assert not any("nino" in json.dumps(c) for c in without["comparisons"])
    # a declared column the records never fill adds nothing
    assert _settings(both, catalog, FILLED - {"nino_std"}) == without
    dedupe = mdl.ModelPlan("dedupe_b", "dedupe_only", ("hmrc_b",))
    assert mdl.national_id_kinds(dedupe, FILLED, catalog) == ("nino", "nhs_number")


def test_wave0_settings_unchanged_even_if_the_columns_were_filled():
    for plan in PLANS:
        text = json.dumps(mdl.settings_for(plan, FILLED).create_settings_dict("duckdb"))
        assert "nino" not in text and "nhs_number" not in text and "upn" not in text
        assert mdl.settings_for(plan, FILLED).create_settings_dict("duckdb") == \
            mdl.settings_for(plan, FILLED - {"nino_std", "nhs_number_std", "upn_std"}
                             ).create_settings_dict("duckdb")


# End to end -------------------------------------------------------------------------------


def _two_sides(n: int, seed: int, missing: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same `n` people on two sides; on the right their names and dates of birth are
    shuffled (another person's surname, forename typos, dates moved) but the NINO is intact
    (another layout: spaced, lower case, suffix dropped). `missing`: share of right-hand NINOs
    left blank."""
    r = random.Random(seed)
    ninos = _ninos(n, seed)
    left, right = [], []
    for i in range(n):
        fn, sn = r.choice(FORENAMES), r.choice(SURNAMES) + r.choice(["", "S", "SON", "LEY"])
        dob = dt.date(1960, 1, 1) + dt.timedelta(days=r.randrange(15000))
        sex = r.choice("MF")
        left.append({"id": f"L{i}", "fn": fn, "sn": sn, "dob": dob.isoformat(), "sex": sex,
                     "NI_NUMBER": ninos[i]})
        if r.random() < 0.4:
            sn = r.choice(SURNAMES)
        if r.random() < 0.3:
            fn = fn[:-1]
        if r.random() < 0.4:
            dob = dob + dt.timedelta(days=r.choice([-400, -40, 33, 365, 800]))
        ni = ninos[i]
        ni = r.choice([ni, ni.lower(), f"{ni[:2]} {ni[2:4]} {ni[4:6]} {ni[6:8]}", ni[:8]])
        right.append({"id": f"R{i}", "fn": fn, "sn": sn, "dob": dob.isoformat(), "sex": sex,
                      "NI_NUMBER": None if r.random() < missing else ni})
    return pd.DataFrame(left), pd.DataFrame(right)


def _true_pairs(pairs: pd.DataFrame, n: int) -> pd.DataFrame:
    """Every true pair with its weight (NaN: scored below the floor, not returned)."""
    truth = pd.DataFrame({"record_id_l": [f"L{i}" for i in range(n)],
                          "record_id_r": [f"R{i}" for i in range(n)]})
    return truth.merge(pairs, on=["record_id_l", "record_id_r"], how="left")


def test_nino_raises_the_weight_of_true_pairs_of_mapped_tables():
    left, right = _two_sides(200, seed=4)
    base = {k: v for k, v in MAPPING.items() if k not in ("nhs_number", "upn")} | {"sex": "sex"}
    with_nino = link_records(left, right, base, left_name="a", right_name="b",
                             dedupe_inputs=False, verbose=False)
    no_id = {k: v for k, v in base.items() if k != "nino"} | {"extra": {}}
    without = link_records(left.drop(columns="NI_NUMBER"), right.drop(columns="NI_NUMBER"), no_id,
                           left_name="a", right_name="b", dedupe_inputs=False, verbose=False)
    model = with_nino.models["link_a_b"]
    assert [c["output_column_name"] for c in model["comparisons"]][-1] == "nino"
    assert not any(c["output_column_name"] == "nino" for c in without.models["link_a_b"][
        "comparisons"])
    rows = with_nino.report["standardisation"]["b"]
    assert next(r for r in rows if r["role"] == "nino")["nulled"] == 0
    t_with = _true_pairs(with_nino.pairs.to_pandas(), 200)
    t_without = _true_pairs(without.pairs.to_pandas(), 200)
    found_with = (t_with["match_probability"] >= 0.8).mean()
    found_without = (t_without["match_probability"] >= 0.8).mean()
    assert found_with > 0.95 and found_with > found_without + 0.15, (found_with, found_without)
    both = t_with.merge(t_without, on=["record_id_l", "record_id_r"]).dropna()
    assert (both["match_weight_x"] > both["match_weight_y"]).mean() > 0.95
    pairs = with_nino.pairs.to_pandas()
    false = pairs[pairs["record_id_l"].str[1:] != pairs["record_id_r"].str[1:]]
    assert (false["match_probability"] >= 0.8).sum() <= 2  # and no more false matches


def test_catalogue_plan_trains_with_nino_missing_for_some_pairs(catalog, monkeypatch):
    left, right = _two_sides(150, seed=8, missing=0.3)
    a, b = catalog.get_source("dwp_a"), catalog.get_source("hmrc_b")
    left = left.rename(columns={"NI_NUMBER": "NI"}).assign(seen="2020-01-01")
    right = right.rename(columns={"NI_NUMBER": "NI"}).assign(seen="2020-01-01", NHS=None)
    std = [standardise_frame(left, RecordSpec.from_source(a)),
           standardise_frame(right, RecordSpec.from_source(b))]
    plan = mdl.ModelPlan("link_ab", "link_only", ("dwp_a", "hmrc_b"))

    def run() -> tuple[dict, pd.DataFrame]:
        with LinkageSession(std) as session:
            model = session.train(plan, u_max_pairs=2e5)
            pairs = session.fetch(session.predict(plan, model)).to_pandas()
        return model, _true_pairs(pairs, 150)

    plain_model, plain = run()  # the project's catalogue: these sources are unknown there
    monkeypatch.setattr(mdl, "CATALOG", catalog)
    model, with_nino = run()
    assert [c["output_column_name"] for c in plain_model["comparisons"]] == \
        [c["output_column_name"] for c in model["comparisons"]][:-1]
    levels = model["comparisons"][-1]["comparison_levels"]
    exact = levels[1]
    assert exact["m_probability"] > 0.5 and exact["m_probability"] / exact["u_probability"] > 100
    assert any("nino_std" in r["blocking_rule"]
               for r in model["blocking_rules_to_generate_predictions"])
    # pairs whose NINO is missing score as without it; the others gain
    gained = (with_nino["match_probability"].fillna(0) >= 0.8).mean()
    before = (plain["match_probability"].fillna(0) >= 0.8).mean()
    assert gained > before + 0.2, (gained, before)


def test_cli_mapping_accepts_national_ids(tmp_path, capsys):
    from bold_assets.cli import build_parser
    from bold_assets.linkage.cli import run as cli_run

    left, right = _two_sides(120, seed=6)
    left.to_csv(tmp_path / "l.csv", index=False)
    right.to_csv(tmp_path / "r.csv", index=False)
    mapping = {"record_id": "id", "forename": "fn", "surname": "sn", "dob": "dob",
               "nino": "NI_NUMBER"}
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    args = build_parser().parse_args([
        "link", str(tmp_path / "l.csv"), "--with", str(tmp_path / "r.csv"), "--mapping",
        str(tmp_path / "map.json"), "--no-dedupe", "--explain", "--out", str(tmp_path / "out"),
        "--models", str(tmp_path / "m")])
    assert cli_run(args) == 0
    out = capsys.readouterr().out
    assert "nino: NI_NUMBER" in out and "NI_NUMBER (nino): 120 given" in out
    saved = mdl.load_latest(tmp_path / "m", "link_left_right")
    assert saved is not None
    assert saved[0]["comparisons"][-1]["output_column_name"] == "nino"
