"""`ttp` link plans (`bold_assets.linkage.ttp`): linkage through a trusted third party (wave 4:
councils' H-CLIC cases and tenancies given one id across councils and quarters, then the spine's
persons traced one-to-one to those ids).

The plan of wave 4 and the errors of plans that do not fit are read from the catalogue; both
steps run on a small warehouse built here (no world generator): a population of 900, 450 of whom
present to two councils (1-4 H-CLIC cases and tenancies each, across councils and quarters, with
typos, wrong days of birth, missing postcodes and NINOs held on about half the records), a pair
of namesakes (same name and council, different dates of birth, no NINO), and a spine source of
300 people (200 of them council people) with their spine ids, plus the truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from bold_assets import pseudonymise as ps
from bold_assets.catalog import CATALOG, Identifiers, LinkPlan, Source
from bold_assets.linkage import justice as J
from bold_assets.linkage import research as R
from bold_assets.linkage import ttp as TTP
from bold_assets.linkage import wave_evaluation as E
from bold_assets.linkage import wave_link as W
from bold_assets.world import identifiers as wid
from bold_assets.world.national_ids import nino
from tests.synthetic_people import people, postcodes

HCLIC, LA = CATALOG.get_source("hclic_people"), CATALOG.get_source("la_tenancies")
KEY = b"test-project-key-not-secret"
SPINE_SOURCE = Source(
    name="t_spine", title="Test spine source", system="test", key="row_id",
    columns={"row_id": "VARCHAR", "forename": "VARCHAR", "surname": "VARCHAR",
             "birth_date": "VARCHAR", "sex": "VARCHAR", "postcode": "VARCHAR",
             "event_date": "DATE"},
    identifiers=Identifiers(forename="forename", surname="surname", dob="birth_date", sex="sex",
                            postcode="postcode"),
    event_date="event_date", coverage=(2015, 2023), wave=0, link_role="criminal")
PLAN = TTP.TtpPlan("ttp_t", "t_council_links", (HCLIC, LA), ("case_ref", "tenant_ref"),
                   ("t_spine",))
SPEC = W.WaveLinkSpec(4, (), (), ("t_spine",), (), (PLAN,))


# Plans ------------------------------------------------------------------------------------------


def test_wave4_ttp_plan_is_read():
    spec = W.wave_link_spec(CATALOG, 4)
    assert not spec.into_spine and not spec.links and not spec.traces
    (plan,) = spec.ttps
    assert (plan.name, plan.table, plan.ids_table) == ("ttp_councils", "council_links",
                                                       "ttp_councils_ids")
    assert plan.council_names == ("hclic_people", "la_tenancies")
    assert plan.council_keys == ("case_ref", "tenant_ref")  # H-CLIC's attribute tables' key
    assert set(plan.traced) == set(spec.spine_sources) - {"oasys"}
    assert spec.plan_names == ("ttp_councils",)
    assert spec.link_file_tables == ("council_links",)
    assert spec.link_file_sources == ("hclic_people", "la_tenancies")


NO_KEY = replace(HCLIC, name="hclic_nokey", case_ids=())  # no attribute table names it


@pytest.mark.parametrize("sources, table, message", [
    (("hclic_people", "la_tenancies"), "x", "names the sources the trusted third party links"),
    (("mags", "crown"), "x", "names the sources the trusted third party links"),
    (("hclic_people", "nope", "mags"), "x", "unknown source\\(s\\) nope"),
    (("hclic_people", "hclic_people", "mags"), "x", "a source is named twice"),
    (("hclic_people", "hclic_main", "mags"), "x", "hclic_main hold\\(s\\) no identifiers"),
    (("hclic_nokey", "mags"), "x", "council source without a person key"),
    (("hclic_people", "mags"), "t_ids", "must differ from each other"),
    (("hclic_people", "mags"), "hclic_people", "from every source's name"),
])
def test_a_ttp_plan_that_does_not_fit_is_named(sources, table, message):
    catalog = CATALOG.with_sources(NO_KEY).with_waves(replace(
        CATALOG.declared_waves[4], link_plans=(LinkPlan("t", sources, "ttp", table=table),)))
    with pytest.raises(ValueError, match=message) as err:
        W.wave_link_spec(catalog, 4)
    assert "wave 4 link plan 't'" in str(err.value)


def test_ttp_tables_must_differ_from_other_plans():
    plans = (LinkPlan("a", ("hclic_people", "mags"), "ttp", table="x"),
             LinkPlan("b", ("la_tenancies", "mags"), "ttp", table="a_ids"))
    catalog = CATALOG.with_waves(replace(CATALOG.declared_waves[4], link_plans=plans))
    with pytest.raises(ValueError, match="write the same table\\(s\\) a_ids"):
        W.wave_link_spec(catalog, 4)


# A small warehouse --------------------------------------------------------------------------------

N_PEOPLE, N_COUNCIL, N_SPINE = 900, 450, 300
LAS = ("E09000001", "E09000002")
NAMESAKES = (N_PEOPLE + 1, N_PEOPLE + 2)  # person ids of the namesake pair


def _persons(rng: np.random.Generator) -> pd.DataFrame:
    n = N_PEOPLE
    who = people(rng, n, "1955-01-01", 45)
    sex, eth, dob, fore, sur = (who[k] for k in ("sex", "ethnic_group", "dob", "forename",
                                                 "surname"))
    pool = postcodes(rng, 400)
    persons = pd.DataFrame({
        "person_id": np.arange(1, n + 1), "sex": sex, "ethnic_group": eth,
        "imd_decile": rng.integers(1, 11, n), "dob": dob, "forename": fore, "surname": sur,
        "homes": [list(rng.choice(pool, rng.integers(1, 4), replace=False)) for _ in range(n)],
        "la": rng.choice(LAS, n)})
    # namesakes: same name, sex and council, born years apart
    twins = pd.DataFrame({
        "person_id": NAMESAKES, "sex": "M", "ethnic_group": "White", "imd_decile": 2,
        "dob": [dt.date(1975, 2, 11), dt.date(1988, 9, 30)], "forename": "JAMES",
        "surname": "SMITH", "homes": [[pool[0], pool[1]], [pool[2], pool[3]]], "la": LAS[0]})
    out = pd.concat([persons, twins], ignore_index=True)
    return out.assign(nino=nino(out["person_id"].to_numpy(), 11))


def _noisy(rng: np.random.Generator, d: pd.DataFrame, missing_postcode: float) -> pd.DataFrame:
    """Names and dates of birth with the errors records have; a postcode of the person's."""
    n = len(d)
    fore, sur = d["forename"].to_numpy(copy=True), d["surname"].to_numpy(copy=True)
    wid._apply(fore, rng.random(n) < 0.06, lambda s: wid._typo(s, rng))
    wid._apply(sur, rng.random(n) < 0.04, lambda s: wid._typo(s, rng))
    dob = pd.to_datetime(d["dob"])
    off = rng.random(n) < 0.03  # a wrong day
    dob = dob.where(~off, dob + pd.to_timedelta(rng.integers(1, 20, n), unit="D"))
    postcode = np.array([h[rng.integers(len(h))] for h in d["homes"]], dtype=object)
    postcode[rng.random(n) < missing_postcode] = None
    return d.assign(forename=fore, surname=sur, dob=dob, postcode=postcode)


def _council_records(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    """1-4 presentations each: an H-CLIC case or a tenancy, mostly with the home council,
    in any quarter; about half hold the NINO (none of the namesakes')."""
    d = people.loc[people.index.repeat(rng.integers(1, 5, len(people)))].reset_index(drop=True)
    n = len(d)
    d["hclic"] = rng.random(n) < 0.65
    other = np.where(d["la"] == LAS[0], LAS[1], LAS[0])
    d["la"] = np.where(rng.random(n) < 0.7, d["la"], other)
    d["quarter"] = [f"{y}Q{q}" for y, q in zip(rng.integers(2019, 2024, n),
                                                rng.integers(1, 5, n), strict=True)]
    held = (rng.random(n) < 0.5) & ~d["person_id"].isin(NAMESAKES)
    d["nino"] = d["nino"].where(held, None)
    return _noisy(rng, d, 0.25)


def _build(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(4)
    persons = _persons(rng)
    for schema in ("raw", "truth", "linkage", "research", "reference"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    council_people = pd.concat([persons.iloc[:N_COUNCIL], persons.iloc[-2:]])
    rec = _council_records(rng, council_people)
    h, t = rec[rec["hclic"]].reset_index(drop=True), rec[~rec["hclic"]].reset_index(drop=True)
    hclic = pd.DataFrame({
        "person_ref": [f"HP{1_000_001 + i}" for i in range(len(h))],
        "case_ref": [f"{la}-{100_001 + i}" for i, la in enumerate(h["la"])],
        "la_code": h["la"], "reporting_quarter": h["quarter"],
        "date_of_application": dt.date(2022, 1, 1), "first_name": h["forename"],
        "last_name": h["surname"], "dob": h["dob"].dt.strftime("%d/%m/%Y"),
        "sex": h["sex"].map({"M": "1", "F": "2"}), "nino": h["nino"],
        "last_settled_postcode": h["postcode"], "ethnicity": "X"})
    tenancies = pd.DataFrame({c: None for c in LA.columns}, index=t.index).assign(
        tenancy_ref=[f"T{5_000_001 + i}" for i in range(len(t))],
        # the council's tenant reference, the same across the tenant's tenancies with it
        tenant_ref=t["la"] + "-TR" + t["person_id"].astype(str).str.zfill(6),
        la_code=t["la"], tenant_first_name=t["forename"], tenant_surname=t["surname"],
        tenant_dob=t["dob"].dt.strftime("%Y-%m-%d"), tenant_sex=t["sex"], ni_number=t["nino"],
        property_postcode=t["postcode"], tenancy_start_date=dt.date(2020, 4, 1))
    # the spine: 200 council people and 100 others (one namesake among them), 1-3 records each
    spine_people = pd.concat([persons.iloc[:200], persons.iloc[N_COUNCIL:N_COUNCIL + 99],
                              persons.iloc[[-2]]])
    sp = _noisy(rng, spine_people.loc[spine_people.index.repeat(
        rng.integers(1, 4, len(spine_people)))].reset_index(drop=True), 0.1)
    spine = pd.DataFrame({
        "row_id": [f"S{i:05d}" for i in range(len(sp))], "forename": sp["forename"].str.upper(),
        "surname": sp["surname"].str.upper(), "birth_date": sp["dob"].dt.strftime("%Y-%m-%d"),
        "sex": sp["sex"], "postcode": sp["postcode"], "event_date": dt.date(2020, 1, 1)})
    ids = pd.DataFrame({"source_dataset": "t_spine", "record_id": spine["row_id"],
                        "person_id": sp["person_id"] + 100_000,
                        "snapshot_date": dt.date(2024, 1, 1)})
    truth = pd.concat([
        pd.DataFrame({"source_dataset": HCLIC.name, "record_id": hclic["person_ref"],
                      "person_id": h["person_id"]}),
        pd.DataFrame({"source_dataset": LA.name, "record_id": tenancies["tenancy_ref"],
                      "person_id": t["person_id"]}),
        pd.DataFrame({"source_dataset": "t_spine", "record_id": spine["row_id"],
                      "person_id": sp["person_id"]})], ignore_index=True)
    frames = {"raw.hclic_people": hclic, "raw.la_tenancies": tenancies[list(LA.columns)],
              "raw.t_spine": spine, "truth.record_person": truth, "linkage.person_ids": ids,
              "truth.persons": persons[["person_id", "sex", "ethnic_group", "imd_decile", "dob"]],
              "reference.lsoa": pd.DataFrame({"lsoa_code": ["E01000001"],
                                              "lad_code": ["E09000001"]})}
    for name, frame in frames.items():
        con.register("__f", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM __f")
        con.unregister("__f")
    J.standardise_source(con, SPINE_SOURCE)  # link_wave standardises the council sources


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The small warehouse, the ttp plan run on it (`link_wave`), and the research tables."""
    root = tmp_path_factory.mktemp("ttp")
    path, models = root / "bold.duckdb", root / "models"
    with duckdb.connect(str(path)) as con:
        _build(con)
        summary = W.link_wave(con, models, SPEC, seed=3)[PLAN.name]
        ps.register_hmac(con, KEY)
        for table, sql in ((HCLIC.name, R.research_source_sql(HCLIC.name)),
                           (LA.name, R.research_source_sql(LA.name)),
                           (PLAN.ids_table, R.ttp_ids_research_sql(PLAN.ids_table)),
                           ("t_wave_link", R.wave_link_sql(
                               (), tuple(f"linkage.{t}" for t in SPEC.link_file_tables)))):
            con.execute(f"CREATE OR REPLACE TABLE research.{table} AS {sql}")
    return {"path": path, "models": models, "summary": summary}


def _con(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _ids(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every council record's ttp id, true person and council."""
    return con.execute(f"""
        SELECT i.*, t.person_id, coalesce(h.la_code, l.la_code) AS la_code
        FROM linkage.{PLAN.ids_table} i
        JOIN truth.record_person t USING (source_dataset, record_id)
        LEFT JOIN raw.hclic_people h ON i.source_dataset = 'hclic_people'
                                    AND h.person_ref = i.record_id
        LEFT JOIN raw.la_tenancies l ON i.source_dataset = 'la_tenancies'
                                    AND l.tenancy_ref = i.record_id""").df()


def test_ttp_ids_group_repeat_presentations_across_councils(linked):
    with _con(linked["path"]) as con:
        ids = _ids(con)
        f1 = E.ttp_f1(con, PLAN.name, PLAN.council_names, f"linkage.{PLAN.ids_table}")
        n_records = con.execute("SELECT (SELECT count(*) FROM raw.hclic_people) + "
                                "(SELECT count(*) FROM raw.la_tenancies)").fetchone()[0]
    assert list(ids.columns[:3]) == list(TTP.IDS_COLUMNS)
    assert len(ids) == n_records == linked["summary"]["council_records"]  # every record
    assert ids["record_id"].is_unique and ids["ttp_id"].notna().all()
    # an id is its cluster's smallest record uid (deterministic from the data)
    uid = ids["source_dataset"] + "|" + ids["record_id"]
    assert (uid.groupby(ids["ttp_id"]).min() == uid.groupby(ids["ttp_id"]).min().index).all()
    # people presenting to both councils: their records share one id
    both = ids.groupby("person_id").filter(lambda g: g["la_code"].nunique() > 1)
    whole = both.groupby("person_id")["ttp_id"].nunique() == 1
    assert len(whole) > 80 and whole.mean() >= 0.9, whole.mean()
    by = f1.set_index("scope")
    assert list(by.index) == ["ttp_t pairs", "hclic_people-la_tenancies pairs", "ttp_t persons",
                              "ttp_t pairs across councils", "ttp_t pairs across quarters"]
    assert by.loc["ttp_t pairs across councils", "f1"] >= 0.9, f1
    assert by.loc["ttp_t pairs", "f1"] >= 0.95 and by.loc["ttp_t pairs", "precision"] >= 0.97, f1
    assert by.loc["hclic_people-la_tenancies pairs", "f1"] >= 0.93, f1
    assert by.loc["ttp_t persons", "f1"] >= 0.9, f1


def test_ttp_ids_keep_namesakes_apart_and_last_across_runs(linked, tmp_path):
    with _con(linked["path"]) as con:
        ids = _ids(con)
    twins = ids[ids["person_id"].isin(NAMESAKES)]
    assert twins["person_id"].nunique() == 2
    assert (twins.groupby("ttp_id")["person_id"].nunique() == 1).all()
    # a second run (saved model) gives every record the same id
    path = tmp_path / "copy.duckdb"
    path.write_bytes(Path(linked["path"]).read_bytes())
    with duckdb.connect(str(path)) as con:
        TTP.assign_ttp_ids(con, PLAN, linked["models"], seed=3)
        again = con.execute(f"SELECT * FROM linkage.{PLAN.ids_table} ORDER BY ALL").df()
    pd.testing.assert_frame_equal(again, ids[list(TTP.IDS_COLUMNS)].sort_values(
        list(TTP.IDS_COLUMNS)).reset_index(drop=True))


def test_spine_is_traced_one_to_one_to_ttp_persons(linked):
    summary = linked["summary"]
    assert summary["people"] == N_SPINE and 150 <= summary["people_linked"] <= 210
    with _con(linked["path"]) as con:
        links = con.execute(f"SELECT l.*, i.ttp_id FROM linkage.{PLAN.table} l JOIN "
                            f"linkage.{PLAN.ids_table} i USING (source_dataset, record_id)").df()
        n_ids = con.execute(f"SELECT ttp_id, count(*) FROM linkage.{PLAN.ids_table} "
                            "GROUP BY 1").df().set_index("ttp_id").iloc[:, 0]
        f1 = E.trace_f1(con, "spine", PLAN.council_names, E.spine_traced_sql(PLAN.traced),
                        E.spine_trace_links_sql(f"linkage.{PLAN.table}"), PLAN.name)
        twins = con.execute(f"""
            SELECT DISTINCT t.person_id FROM linkage.{PLAN.table} l
            JOIN truth.record_person t USING (source_dataset, record_id)
            WHERE l.person_id = {NAMESAKES[0] + 100_000}""").fetchall()
    assert list(links.columns[:4]) == list(W.PUPIL_LINK_COLUMNS)  # a link table's shape
    assert set(links["source_dataset"]) == set(PLAN.council_names) and links["record_id"].is_unique
    assert links["match_probability"].between(TTP.SPINE_THRESHOLD, 1.0).all()
    # one ttp id per spine person, one spine person per ttp id, with all its council records
    assert (links.groupby("person_id")["ttp_id"].nunique() == 1).all()
    assert (links.groupby("ttp_id")["person_id"].nunique() == 1).all()
    assert all(n == n_ids[k] for k, n in links.groupby("ttp_id").size().items())
    assert len(links) == summary["council_records_linked"]
    by = f1.set_index("scope")
    assert by.loc["spine-ttp_t people", "f1"] >= 0.93, f1
    assert by.loc["spine-ttp_t people", "precision"] >= 0.97, f1
    assert twins == [(NAMESAKES[0],)]  # the namesake in the spine takes his own records


def test_research_tables_hold_keyed_hashes_only(linked):
    with _con(linked["path"]) as con:
        ps.register_hmac(con, KEY)
        research = con.execute(f"SELECT * FROM research.{PLAN.ids_table}").df()
        joined = con.execute(f"""
            SELECT count(*) FROM research.{PLAN.ids_table} r
            WHERE row_id_hash IN (SELECT row_id_hash FROM research.hclic_people
                                  UNION ALL SELECT row_id_hash FROM research.la_tenancies)
        """).fetchone()[0]
        n_ids = con.execute(f"SELECT count(DISTINCT ttp_id) FROM linkage.{PLAN.ids_table}"
                            ).fetchone()[0]
        link_rows, linked_rows = con.execute(f"""
            SELECT (SELECT count(*) FROM research.t_wave_link),
                   (SELECT count(*) FROM linkage.{PLAN.table})""").fetchone()
        findings = ps.scan_identifiers(con, tables=[("research", PLAN.ids_table),
                                                    ("research", "t_wave_link")], key=KEY)
    assert list(research.columns) == ["source_dataset", "row_id_hash", "ttp_id_hash"]
    assert len(research) == joined == linked["summary"]["council_records"]
    assert research["ttp_id_hash"].nunique() == n_ids
    assert research["ttp_id_hash"].str.fullmatch("[0-9a-f]{64}").all()
    assert link_rows == linked_rows > 200  # council records in the wave's link file
    assert findings == []


def test_ttp_evaluation_tables(linked):
    from bold_assets.defs.evaluation import wave_linkage as EV

    with _con(linked["path"]) as con:
        f1 = EV.f1_table(con, SPEC)
        rates = EV.trace_rates_table(con, SPEC)
        errors = EV.subgroup_table(con, SPEC)
    assert set(f1["step"]) == {PLAN.ids_table, PLAN.name} and len(f1) == 8
    assert set(f1.loc[f1["step"] == PLAN.name, "scope"]) == {
        "spine-ttp_t people", "spine-ttp_t records", "spine-ttp_t reference people"}
    overall = rates[rates["dimension"] == "all"].set_index("step")
    assert overall.loc[PLAN.name, "people"] == N_SPINE
    assert overall.loc[PLAN.name, "linked"] == linked["summary"]["people_linked"]
    assert 60 <= overall.loc[PLAN.name, "true_pct"] <= 70  # 200 of 300 (and a namesake)
    assert set(errors["step"]) == {PLAN.ids_table, PLAN.name}
    assert errors["false_match_rate"].between(0, 0.1).all()
