"""Link any table: no crash, nothing lost silently, any identifier, blocking from the data."""

from __future__ import annotations

import datetime as dt
import json
import random

import pandas as pd
import pytest

from bold_assets.linkage import shapes as sh
from bold_assets.linkage.blocking import candidate_rules
from bold_assets.linkage.cli import run as cli_run
from bold_assets.linkage.core import dedupe, prepare_input


def _f1(result, shape: sh.Shape, names: list[str]) -> float:
    rid = shape.mapping["record_id"]
    truth = pd.concat([pd.DataFrame({"source_dataset": n, "record_id": t[rid].astype(str),
                                     "pid": t["_pid"].astype(str)})
                       for n, t in zip(names, shape.tables, strict=True)])
    m = result.clusters.to_pandas().merge(truth, on=["source_dataset", "record_id"])

    def pairs(sizes: pd.Series) -> float:
        return float((sizes * (sizes - 1) / 2).sum())

    tp = pairs(m.groupby(["cluster_medium", "pid"]).size())
    if not tp:
        return 0.0
    p, r = tp / pairs(m.groupby("cluster_medium").size()), tp / pairs(m.groupby("pid").size())
    return 2 * p * r / (p + r)


def _row(report: list[dict], role: str) -> dict:
    return next(r for r in report if r["role"] == role)


# Training that does not fall over --------------------------------------------------------------


def test_link_without_duplicates_does_not_crash_and_states_the_prior(tmp_path, capsys):
    """`bold link a.csv --with b.csv` (dedupe each input too) on inputs without duplicates."""
    shape = sh.link_pair(n=240, seed=7)
    left, right = shape.inputs()
    left.to_csv(tmp_path / "a.csv", index=False)
    right.to_csv(tmp_path / "b.csv", index=False)
    (tmp_path / "map.json").write_text(json.dumps(shape.mapping))
    from bold_assets.cli import build_parser

    args = build_parser().parse_args([
        "link", str(tmp_path / "a.csv"), "--with", str(tmp_path / "b.csv"), "--mapping",
        str(tmp_path / "map.json"), "--out", str(tmp_path / "out"), "--explain"])
    assert cli_run(args) == 0
    out = capsys.readouterr().out
    assert "column mapping:" in out and "kept" in out
    # the exact rule finds no pair on either side: the prior falls back, and says so
    for side in ("dedupe_left", "dedupe_right"):
        assert f"training {side}: the exact rule" in out and "falls back" in out, out
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv", dtype=str)
    assert len(clusters) == len(left) + len(right)

    class Result:
        pass

    result = Result()
    result.clusters = __import__("pyarrow").Table.from_pandas(clusters)
    assert _f1(result, shape, ["left", "right"]) > 0.9


# Nothing lost silently ---------------------------------------------------------------------------


def test_pre_1900_dates_and_long_month_names_are_kept():
    shape = sh.historical_register(n=60)
    table = shape.tables[0]
    std, mapping, report = prepare_input(shape.inputs()[0], shape.mapping, "register")
    dob = _row(report, "dob")
    assert dob["given"] == table["date_of_birth"].notna().sum() > 0
    assert dob["nulled"] == 0 and dob["kept"] == dob["given"]
    assert mapping["dob_format"] == "%d %B %Y"  # detected from the data
    got = std.to_pandas().set_index("record_id")["dob_std"]
    want = pd.to_datetime(table.set_index(table["entry_no"].astype(str))["date_of_birth"],
                          format="%d %B %Y").dt.date
    assert (got.dropna() == want.loc[got.dropna().index]).all()
    assert max(d.year for d in got.dropna()) < 1900


def test_timestamps_are_dates():
    shape = sh.emails_towns(n=40)
    table = shape.tables[0]
    assert str(table["dob"].dtype).startswith("datetime64")
    std, _, report = prepare_input(shape.inputs()[0], shape.mapping, "shop")
    assert _row(report, "dob")["nulled"] == 0
    got = std.to_pandas().set_index("record_id")["dob_std"]
    want = table.set_index(table["customer_id"].astype(str))["dob"].dt.date
    assert got.notna().sum() == table["dob"].notna().sum()
    assert (got.dropna() == want.loc[got.dropna().index]).all()


def test_us_format_detected_and_read_right():
    shape = sh.us_format(n=150)
    table = shape.tables[0]
    std, mapping, report = prepare_input(shape.inputs()[0], shape.mapping, "us")
    assert mapping["dob_format"] == "%m/%d/%Y"
    assert _row(report, "dob")["nulled"] == 0
    got = std.to_pandas().set_index("record_id")["dob_std"]
    want = pd.to_datetime(table.set_index("id")["birth_date"], format="%m/%d/%Y").dt.date
    assert (got.dropna() == want.loc[got.dropna().index]).all()
    assert got.notna().sum() == table["birth_date"].notna().sum()


def test_ambiguous_dates_refused_until_the_format_is_given():
    rows = pd.DataFrame({"id": range(6), "name": ["Ann Lee"] * 6,
                         "dob": ["01/02/1980", "03/04/1981", "05/06/1982", "07/08/1983",
                                 "09/10/1984", "11/12/1985"]})
    mapping = {"record_id": "id", "full_name": "name", "dob": "dob"}
    with pytest.raises(ValueError, match="dob_format"):
        prepare_input(rows, mapping, "t")
    std, _, _ = prepare_input(rows, {**mapping, "dob_format": "%m/%d/%Y"}, "t")
    assert std.column("dob_std").to_pylist()[0] == dt.date(1980, 1, 2)


def test_non_uk_postcodes_take_part_as_text_and_uk_ones_are_enriched():
    rows = pd.DataFrame({"id": [1, 2, 3, 4], "surname": ["Lee"] * 4,
                         "pc": ["2000", "10115", "sw1a1aa", "NFA"]})
    std, _, report = prepare_input(rows, {"record_id": "id", "surname": "surname",
                                          "postcode": "pc"}, "t")
    out = std.to_pandas().set_index("record_id")
    assert list(out["postcode_text"].fillna("-")) == ["2000", "10115", "SW1A1AA", "-"]
    assert out.loc["3", "postcode_district"] == "SW1A" and out.loc["3", "postcode_sector"] == \
        "SW1A 1"
    kept = _row(report, "postcode")
    assert (kept["given"], kept["kept"], kept["nulled"]) == (4, 3, 1)
    uk = _row(report, "postcode (UK parse: district, sector)")
    assert uk["why"]["not a UK postcode: compared as text only"] == 2


def test_counts_add_up_and_strict_fails_on_heavy_loss():
    rows = pd.DataFrame({"id": range(5), "first": ["Ann", "UNKNOWN", "bob", None, "Mr J"],
                         "last": ["Lee", "Lee", "O'Neil", "Lee", "Lee"],
                         "dob": ["1980-01-02", "garbage", "1900-01-01", "2190-01-01", None]})
    mapping = {"record_id": "id", "forename": "first", "surname": "last", "dob": "dob",
               "dob_format": "%Y-%m-%d"}
    _, _, report = prepare_input(rows, mapping, "t")
    for r in report:
        assert r["kept"] + r["changed"] + r["nulled"] == r["given"], r
        assert sum(r["why"].values()) == r["nulled"], r
    fn = _row(report, "forename")
    # Mr J -> J (changed), UNKNOWN -> NULL
    assert (fn["given"], fn["kept"], fn["changed"], fn["nulled"]) == (4, 2, 1, 1)
    assert _row(report, "surname")["changed"] == 1  # O'Neil -> ONEIL
    dob = _row(report, "dob")
    assert dob["why"] == {"unreadable (no format fits)": 1, "placeholder (1900-01-01)": 1,
                          "after the event date / latest plausible date": 1}
    with pytest.raises(ValueError, match="column dob .*3 of 4"):
        prepare_input(rows, mapping, "t", strict=0.5)


# Any identifier -------------------------------------------------------------------------------


def _namesakes(n: int, seed: int) -> pd.DataFrame:
    """Few names, no date of birth: people told apart only by an NI number (one typo in 20)."""
    r = random.Random(seed)
    rows = []
    for pid in range(n):
        fn, sn = r.choice(sh.FORENAMES[:6]), r.choice(("SMITH", "JONES", "KHAN"))
        ni = f"QQ{r.randint(100000, 999999)}C"
        for j in range(r.randint(1, 3)):
            typo = r.random() < 0.05
            rows.append({"ref": f"{pid}-{j}", "forename": fn, "surname": sn,
                         "ni_number": ni[:-2] + "9C" if typo else ni, "_pid": pid})
    return pd.DataFrame(rows)


def test_an_extra_identifier_changes_the_result():
    table = _namesakes(120, seed=5)
    shape = sh.Shape("namesakes", [table], {"record_id": "ref", "forename": "forename",
                                            "surname": "surname"}, "dedupe_only")
    guessed = dedupe(shape.inputs()[0], shape.mapping, verbose=False)
    assert guessed.report["mapping"]["input"]["extra"] == {"ni_number": "id"}
    without = dedupe(shape.inputs()[0], {**shape.mapping, "extra": {}}, verbose=False)
    assert _f1(guessed, shape, ["input"]) > 0.95
    assert _f1(without, shape, ["input"]) < 0.5


# Blocking from the data -----------------------------------------------------------------------


def _blocked_share(std, table: pd.DataFrame, rules: list[str]) -> float:
    """Share of true pairs that at least one of `rules` (Splink SQL on l / r) compares."""
    import duckdb

    truth = table.merge(table, on="_pid")
    truth = truth[truth.rec_id_x < truth.rec_id_y][["rec_id_x", "rec_id_y"]]
    cond = " OR ".join(f"({r})" for r in rules)
    with duckdb.connect() as con:
        con.register("std", std)
        con.register("truth", truth)
        hit, n = con.execute(f"""
            SELECT count(*) FILTER (WHERE coalesce({cond}, false)), count(*)
            FROM truth t JOIN std l ON l.record_id = t.rec_id_x
            JOIN std r ON r.record_id = t.rec_id_y""").fetchall()[0]
    return hit / n


def test_blocking_without_dob_finds_true_pairs():
    from bold_assets.linkage.comparisons import blocking_rules_for

    shape = sh.no_dob(n=450, seed=9)
    table = shape.tables[0]
    result = dedupe(shape.inputs()[0], shape.mapping, verbose=False)
    chosen = result.report["blocking"]["dedupe_input"]
    assert chosen["rules"] and not chosen["all_pairs"]
    assert not any("dob" in rule for rule in chosen["rules"])
    assert 0 < chosen["comparisons"] <= 1e6
    std = prepare_input(shape.inputs()[0], shape.mapping, "input")[0]
    # a small table: the report states the sum of the chosen rules' own counts, which bounds
    # the pairs they make together (Splink's count)
    assert not chosen["comparisons_exact"]
    assert chosen["comparisons"] == sum(chosen["counts"][r] for r in chosen["rules"])
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    together = count_comparisons_from_blocking_rules(
        DuckDBAPI().register(std.to_pandas()), blocking_rules=chosen["rules"],
        link_type="dedupe_only", unique_id_column_name="record_id",
        record_sample_proportion=1.0)[-1]["cumulative_comparison_count"]
    assert 0 < together <= chosen["comparisons"]
    share = _blocked_share(std, table, chosen["rules"])
    assert share > 0.95, share
    # the wave-0 rules (they assume a date of birth) compare far fewer of the true pairs
    filled = {c for c in std.column_names if std.column(c).null_count < len(std)}
    old = [r if isinstance(r, str) else r.get_blocking_rule("duckdb").blocking_rule_sql
           for r in blocking_rules_for(filled)]
    assert _blocked_share(std, table, old) < share - 0.1
    assert _f1(result, shape, ["input"]) > 0.85


def test_candidate_rules_use_what_the_table_fills():
    rules = [sql for _, sql in candidate_rules({"forename1_std", "surname_std", "x_email"},
                                               (("x_email", "email"),))]
    assert 'l."x_email" = r."x_email"' in rules
    assert not any("dob" in r or "postcode" in r for r in rules)


def test_ids_and_further_columns_guessed_and_explained():
    import duckdb

    from bold_assets.linkage.mapping import explain, infer_full_mapping

    table = pd.DataFrame({
        "rec_id": ["a", "b"], "given_name": ["Ann", "Bo"], "surname": ["Lee", "Ng"],
        "date_of_birth": ["19800102", "19811231"], "soc_sec_id": ["123", "456"],
        "contact": ["ann@example.com", "bo@example.com"], "suburb": ["Ely", "York"],
        "address_1": ["1 High St", "2 Mill Rd"], "street_number": ["1", "2"], "notes": ["", ""]})
    with duckdb.connect() as con:
        con.register("t", table)
        mapping = infer_full_mapping(con, "t", None)
    assert mapping["record_id"] == "rec_id" and mapping["dob"] == "date_of_birth"
    assert mapping["extra"] == {"soc_sec_id": "id", "contact": "email", "suburb": "name",
                                "address_1": "address", "street_number": "exact"}
    text = explain(mapping, list(table.columns))
    assert "extra contact: compared as email" in text and "not used: notes" in text


def test_records_with_no_date_of_birth_get_candidate_pairs_on_their_name():
    """A record with no date of birth, whatever its address: every wave-0 model blocks it on
    the exact name against every record; two records that both have a date of birth are left to
    the other rules (which need the same date, or the same area, with the name)."""
    import duckdb

    from bold_assets.linkage.comparisons import blocking_rules_for

    filled = {"forename1_std", "surname_std", "dob_std", "dob_year", "postcode_std",
              "postcode_district", "forename1_dm", "surname_dm", "dob_year_month"}
    for weak in (False, True):
        rule = [r for r in blocking_rules_for(filled, weak=weak) if isinstance(r, str)
                and "IS NULL" in r]
        assert len(rule) == 1, rule
    people = pd.DataFrame({
        "id": [1, 2, 3, 4],
        "forename1_std": ["ADA", "ADA", "ADA", "ADA"],
        "surname_std": ["FOXCOMBE", "FOXCOMBE", "FOXCOMBE", "FOXCOMBE"],
        "dob_std": [None, "1980-01-02", "1971-05-06", None],
        "postcode_std": [None, "LS1 1AA", None, "M1 1AA"]})
    with duckdb.connect() as con:
        con.register("t", people)
        pairs = con.execute(f"SELECT l.id, r.id FROM t l JOIN t r ON l.id < r.id "
                            f"AND {rule[0]} ORDER BY ALL").fetchall()
    assert pairs == [(1, 2), (1, 3), (1, 4), (2, 4), (3, 4)]  # not (2, 3): both have a date


def test_a_register_of_earlier_births_widens_the_plausible_range():
    """Most dates of birth before 1800 (a historical register): the range starts at the
    column's earliest year instead of nulling them, and the report says so; an explicit
    `dob_range` is kept."""
    people = pd.DataFrame({
        "id": range(6), "first": ["ann", "bob", "cat", "dan", "eve", "fay"],
        "last": ["smith"] * 6,
        "dob": ["1750-01-02", "1760-03-04", "1771-05-06", "1790-01-01", "1820-01-01",
                "1899-12-31"]})
    mapping = {"record_id": "id", "forename": "first", "surname": "last", "dob": "dob"}
    std, _, report = prepare_input(people, mapping, "register")
    dob = next(r for r in report if r["role"] == "dob")
    assert std.column("dob_std").null_count == 0 and dob["nulled"] == 0
    assert "4 of 6" in dob["note"] and "1750-01-01" in dob["note"]
    _, _, report = prepare_input(people, {**mapping, "dob_range": ["1800-01-01", None]},
                                 "register")
    assert next(r for r in report if r["role"] == "dob")["nulled"] == 4
