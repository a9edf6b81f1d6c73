"""`trace` link plans (`bold_assets.linkage.trace`): people traced one-to-one through a
reference file (wave 3: the spine and NPD pupils to PDS).

The plans of wave 3 and the errors of plans that do not fit are read from the catalogue; the
one-to-one resolution is tested on hand-made scores; the traces themselves run on a small
warehouse built here (no world generator): a population of 1,500, a PDS-shaped reference of
most of them (one row per person and address, NHS numbers), a spine source of 300 of them with
their spine ids (a few split or merged, as a real spine has) and NPD census pupils, each with
typos, missing postcodes and wrong dates of birth, plus the truth.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from bold_assets import pseudonymise as ps
from bold_assets.catalog import CATALOG, Identifiers, LinkPlan, Source
from bold_assets.linkage import justice as J
from bold_assets.linkage import research as R
from bold_assets.linkage import trace as T
from bold_assets.linkage import wave_evaluation as E
from bold_assets.linkage import wave_link as W
from bold_assets.world import identifiers as wid
from bold_assets.world.national_ids import nhs_number, upn
from tests.synthetic_people import people, postcodes

PDS, NPD = CATALOG.get_source("pds"), CATALOG.get_source("npd_census")
KEY = b"test-project-key-not-secret"
SPINE_SOURCE = Source(
    name="t_spine", title="Test spine source", system="test", key="row_id",
    columns={"row_id": "VARCHAR", "forename": "VARCHAR", "surname": "VARCHAR",
             "birth_date": "VARCHAR", "sex": "VARCHAR", "postcode": "VARCHAR",
             "event_date": "DATE"},
    identifiers=Identifiers(forename="forename", surname="surname", dob="birth_date", sex="sex",
                            postcode="postcode"),
    event_date="event_date", coverage=(2015, 2023), wave=0, link_role="criminal")
SPINE_TRACE = T.TracePlan("trace_t_spine", "t_pds_links", PDS, "nhs_number", ("t_spine",))
POP_TRACE = T.TracePlan("trace_t_npd", "t_npd_pds_links", PDS, "nhs_number", (NPD.name,),
                        NPD, "upn")


# Plans ------------------------------------------------------------------------------------------


def test_wave3_trace_plans_are_read():
    spec = W.wave_link_spec(CATALOG, 3)
    assert not spec.into_spine and not spec.links
    spine, pupils = spec.traces
    assert (spine.name, spine.table, spine.reference.name, spine.reference_key) == (
        "trace_spine_pds", "pds_links", "pds", "nhs_number")
    assert spine.of_spine and set(spine.traced) == set(spec.spine_sources) - {"oasys"}
    assert (pupils.population.name, pupils.population_key, pupils.table) == (
        "npd_census", "upn", "npd_pds_links")
    assert not pupils.of_spine and spec.plan_names == ("trace_spine_pds", "trace_npd_pds")


NO_KEY = replace(PDS, name="pds_nokey", case_ids=())  # no attribute table names it, no case id


@pytest.mark.parametrize("sources, message", [
    (("pds",), "names \\(reference source, traced sources"),
    (("pds", "mags", "npd_census"), "not both \\(in the spine: mags; not: npd_census\\)"),
    (("pds", "npd_census", "dwp_cis"), "one population source, not npd_census, dwp_cis"),
    (("pds", "nope"), "unknown source\\(s\\) nope"),
    (("pds_nokey", "mags"), "reference file without a person key"),
    (("mags", "crown"), "must hold identifiers, be outside the spine"),
    (("pds", "pds"), "must hold identifiers, be outside the spine and not be traced"),
    (("pds", "hes_apc"), "hes_apc holds no identifiers to trace"),
])
def test_a_trace_plan_that_does_not_fit_is_named(sources, message):
    catalog = CATALOG.with_sources(NO_KEY).with_waves(replace(
        CATALOG.declared_waves[3], link_plans=(LinkPlan("t", sources, "trace", table="x"),)))
    with pytest.raises(ValueError, match=message) as err:
        W.wave_link_spec(catalog, 3)
    assert "wave 3 link plan 't'" in str(err.value)


def test_trace_tables_must_differ():
    plans = (LinkPlan("a", ("pds", "mags"), "trace", table="x"),
             LinkPlan("b", ("pds", "npd_census"), "trace", table="x"))
    catalog = CATALOG.with_waves(replace(CATALOG.declared_waves[3], link_plans=plans))
    with pytest.raises(ValueError, match="wave 3: link / trace plans write the same table"):
        W.wave_link_spec(catalog, 3)
    plans = (LinkPlan("a", ("pds", "npd_census"), "trace", table="npd_census"),)
    catalog = CATALOG.with_waves(replace(CATALOG.declared_waves[3], link_plans=plans))
    with pytest.raises(ValueError, match="must not be named as a source"):
        W.wave_link_spec(catalog, 3)


# One-to-one -------------------------------------------------------------------------------------


def test_group_scores_take_the_best_pair_either_way_round():
    edges = pd.DataFrame({
        "uid_l": ["t|1", "r|a", "t|2", "t|3", "t|9"],
        "uid_r": ["r|a", "t|2", "r|b", "r|a", "r|a"],
        "match_weight": [5.0, 9.0, 3.0, 4.0, 50.0],
        "match_probability": [0.97, 0.998, 0.9, 0.95, 1.0]})
    traced = pd.Series([10, 10, 11], index=["t|1", "t|2", "t|3"])  # t|9: no group, dropped
    reference = pd.Series(["N1", "N2"], index=["r|a", "r|b"])
    scores = T.group_scores(edges, traced, reference).set_index(["traced", "reference"])
    assert scores.loc[(10, "N1"), ["weight", "weight_sum", "match_probability"]].tolist() == [
        9.0, 14.0, 0.998]
    assert scores.loc[(10, "N1"), "reference_uid"] == "r|a"
    assert scores.loc[(10, "N2"), "weight"] == 3.0 and scores.loc[(11, "N1"), "weight"] == 4.0
    assert len(scores) == 3 and scores.index.get_level_values("traced").dtype == np.int64
    assert T.group_scores(edges.iloc[:0], traced, reference).empty


def test_one_to_one_resolution():
    rows = [  # traced, reference, weight, weight_sum
        ("A", "r1", 10.0, 10.0), ("A", "r2", 5.0, 5.0),  # A's best r1 goes to B: A unlinked
        ("B", "r1", 12.0, 12.0),
        ("C", "r3", 8.0, 8.0), ("D", "r3", 8.0, 8.0),  # a tie: the lower traced id
        ("E", "r4", 7.0, 7.0), ("E", "r5", 7.0, 9.0),  # same best pair: more summed weight
        ("F", "r7", 6.0, 6.0), ("F", "r6", 6.0, 6.0),  # a full tie: the lower reference id
    ]
    scores = pd.DataFrame(rows, columns=["traced", "reference", "weight", "weight_sum"])
    got = T.one_to_one(scores.assign(match_probability=0.99, reference_uid=""))
    assert dict(zip(got["traced"], got["reference"], strict=True)) == {
        "B": "r1", "C": "r3", "E": "r5", "F": "r6"}
    shuffled = T.one_to_one(scores.sample(frac=1, random_state=3).assign(
        match_probability=0.99, reference_uid=""))
    pd.testing.assert_frame_equal(shuffled, got)


def test_collisions_are_the_persons_whose_best_reference_went_to_another():
    rows = [  # traced, reference, weight, weight_sum, match_probability
        (1, "r1", 10.0, 10.0, 0.97), (1, "r2", 5.0, 5.0, 0.6),  # 1's best r1 goes to 2
        (2, "r1", 12.0, 12.0, 0.99),
        (3, "r3", 8.0, 8.0, 0.9), (4, "r3", 8.0, 8.0, 0.8),  # a tie: 4 loses r3 to 3
        (5, "r4", 7.0, 7.0, 0.95),  # nobody else wants r4
    ]
    scores = pd.DataFrame(rows, columns=["traced", "reference", "weight", "weight_sum",
                                         "match_probability"]).assign(reference_uid="")
    got = T.spine_collisions(scores, T.one_to_one(scores))
    # each with the person that took its best reference person, at its own best probability
    assert sorted(map(tuple, got.to_numpy().tolist())) == [(1, 2, 0.97), (4, 3, 0.8)]
    assert T.spine_collisions(scores.iloc[:0], T.one_to_one(scores.iloc[:0])).empty


# A small warehouse --------------------------------------------------------------------------------

N_PEOPLE, N_SPINE, N_PUPILS = 1500, 300, 300


def _persons(rng: np.random.Generator) -> pd.DataFrame:
    n = N_PEOPLE
    who = people(rng, n, "1950-01-01", 62)
    sex, eth, dob, fore, sur = (who[k] for k in ("sex", "ethnic_group", "dob", "forename",
                                                 "surname"))
    pool = postcodes(rng, 500)
    homes = [list(rng.choice(pool, rng.integers(1, 4), replace=False)) for _ in range(n)]
    return pd.DataFrame({"person_id": np.arange(1, n + 1), "sex": sex, "ethnic_group": eth,
                         "imd_decile": rng.integers(1, 11, n), "dob": dob, "forename": fore,
                         "surname": sur, "homes": homes})


def _records(rng: np.random.Generator, persons: pd.DataFrame, per: int) -> pd.DataFrame:
    """1..per records of each person, names and dates of birth with the errors records have."""
    d = persons.loc[persons.index.repeat(rng.integers(1, per + 1, len(persons)))]
    d = d.reset_index(drop=True)
    n = len(d)
    fore, sur = d["forename"].to_numpy(copy=True), d["surname"].to_numpy(copy=True)
    wid._apply(fore, rng.random(n) < 0.06, lambda s: wid._typo(s, rng))
    wid._apply(sur, rng.random(n) < 0.04, lambda s: wid._typo(s, rng))
    dob = pd.to_datetime(d["dob"])
    off = rng.random(n) < 0.04  # a wrong day
    dob = dob.where(~off, dob + pd.to_timedelta(rng.integers(1, 20, n), unit="D"))
    postcode = np.array([h[rng.integers(len(h))] for h in d["homes"]], dtype=object)
    postcode[rng.random(n) < 0.1] = None
    return d.assign(forename=fore, surname=sur, dob=dob, postcode=postcode)


def _build(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(20)
    persons = _persons(rng)
    idx = persons["person_id"].to_numpy()
    for schema in ("raw", "truth", "linkage", "research", "reference"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    # PDS: 95% of the population, one row per person and address, a few more errors
    in_pds = persons[rng.random(len(persons)) < 0.95]
    rows = in_pds.explode("homes").reset_index(drop=True)
    rows = _records(rng, rows.assign(homes=[[h] for h in rows["homes"]]), 1)
    pds = pd.DataFrame({
        "pds_record_id": [f"P{20_000_001 + i}" for i in range(len(rows))],
        "nhs_number": nhs_number(rows["person_id"].to_numpy(), 5),
        "given_name": rows["forename"], "family_name": rows["surname"],
        "date_of_birth": rows["dob"].dt.strftime("%Y%m%d"),
        "gender": rows["sex"].map({"M": "1", "F": "2"}), "postcode": rows["postcode"],
        "address_from_date": dt.date(2010, 1, 1)})
    # the spine source: 300 people (adults), 1-4 records each
    adults = persons[persons["dob"] < dt.date(1995, 1, 1)]
    spine_people = adults.sample(N_SPINE, random_state=1)
    sp = _records(rng, spine_people, 4)
    spine = pd.DataFrame({
        "row_id": [f"S{i:05d}" for i in range(len(sp))], "forename": sp["forename"].str.upper(),
        "surname": sp["surname"].str.upper(), "birth_date": sp["dob"].dt.strftime("%Y-%m-%d"),
        "sex": sp["sex"], "postcode": sp["postcode"], "event_date": dt.date(2020, 1, 1)})
    # spine ids: one per person, but a few records split off and a few people merged
    pid = sp["person_id"].to_numpy() + 100_000
    split = rng.random(len(pid)) < 0.03
    pid[split] = 900_000 + np.flatnonzero(split)
    merge = dict(zip(spine_people["person_id"].iloc[:5] + 100_000,
                     spine_people["person_id"].iloc[5:10] + 100_000, strict=True))
    pid = np.array([merge.get(p, p) for p in pid])
    ids = pd.DataFrame({"source_dataset": "t_spine", "record_id": spine["row_id"],
                        "person_id": pid, "snapshot_date": dt.date(2024, 1, 1)})
    # pupils: born 1998 on, 1-3 census rows each
    young = persons[persons["dob"] >= dt.date(1998, 1, 1)]
    pu = _records(rng, young.sample(min(N_PUPILS, len(young)), random_state=2), 3)
    npd = pd.DataFrame({c: None for c in NPD.columns}, index=pu.index).assign(
        census_record_id=[f"C{i:06d}" for i in range(len(pu))],
        upn=upn(pu["person_id"].to_numpy(), 5), forename=pu["forename"],
        surname=pu["surname"], dob=pu["dob"].dt.strftime("%Y-%m-%d"), gender=pu["sex"],
        postcode=pu["postcode"], census_year=2015, census_date=dt.date(2015, 1, 15))
    truth = pd.concat([
        pd.DataFrame({"source_dataset": "pds", "record_id": pds["pds_record_id"],
                      "person_id": rows["person_id"]}),
        pd.DataFrame({"source_dataset": "t_spine", "record_id": spine["row_id"],
                      "person_id": sp["person_id"]}),
        pd.DataFrame({"source_dataset": NPD.name, "record_id": npd["census_record_id"],
                      "person_id": pu["person_id"]})], ignore_index=True)
    frames = {"raw.pds": pds, "raw.t_spine": spine, "raw.npd_census": npd[list(NPD.columns)],
              "truth.record_person": truth, "linkage.person_ids": ids,
              "truth.persons": persons.drop(columns=["homes", "forename", "surname"]),
              "reference.lsoa": pd.DataFrame({"lsoa_code": ["E01000001"],
                                              "lad_code": ["E09000001"]})}
    for name, frame in frames.items():
        con.register("__f", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM __f")
        con.unregister("__f")
    assert len(idx) == N_PEOPLE
    for src in (PDS, NPD, SPINE_SOURCE):
        J.standardise_source(con, src)


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The small warehouse, both traces run on it, and the research tables."""
    root = tmp_path_factory.mktemp("trace")
    path, models = root / "bold.duckdb", root / "models"
    with duckdb.connect(str(path)) as con:
        _build(con)
        spec = W.WaveLinkSpec(3, (), (), ("t_spine",), (SPINE_TRACE, POP_TRACE))
        summaries = W.link_wave(con, models, spec, seed=3)
        out = {"path": path, "models": models, "spine": summaries[SPINE_TRACE.name],
               "pupils": summaries[POP_TRACE.name]}
        ps.register_hmac(con, KEY)
        for table, sql in (("pds", R.research_source_sql("pds")),
                           (NPD.name, R.research_source_sql(NPD.name)),
                           (POP_TRACE.table, R.trace_research_sql(
                               POP_TRACE.table, NPD, "upn", PDS, "nhs_number")),
                           ("t_wave_link", R.wave_link_sql((), (f"linkage.{SPINE_TRACE.table}",
                                                                ))) ):
            con.execute(f"CREATE OR REPLACE TABLE research.{table} AS {sql}")
    return out


def _con(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _f1(con: duckdb.DuckDBPyConnection, plan: T.TracePlan) -> dict[str, float]:
    if plan.of_spine:
        traced_sql = E.spine_traced_sql(plan.traced)
        links = E.spine_trace_links_sql(f"linkage.{plan.table}")
        label = "spine"
    else:
        groups = W.key_groups_sql(plan.population, plan.population_key)
        traced_sql = E.population_traced_sql(plan.population.name, groups)
        links = E.population_trace_links_sql(f"linkage.{plan.table}", groups)
        label = plan.population.name
    table = E.trace_f1(con, label, "pds", traced_sql, links)
    return dict(zip(table["scope"], table["f1"], strict=True)) | {
        f"{s} precision": p for s, p in zip(table["scope"], table["precision"], strict=True)}


def test_spine_trace_links_spine_persons_one_to_one(traced):
    summary = traced["spine"]
    assert summary["people"] > 250 and summary["people_linked"] > 200
    with _con(traced["path"]) as con:
        links = con.execute(f"SELECT l.*, p.nhs_number FROM linkage.{SPINE_TRACE.table} l "
                            "JOIN raw.pds p ON p.pds_record_id = l.record_id").df()
        f1 = _f1(con, SPINE_TRACE)
        n_pds = dict(con.execute("SELECT nhs_number, count(*) FROM raw.pds GROUP BY 1")
                     .fetchall())
    assert list(links.columns[:4]) == list(W.PUPIL_LINK_COLUMNS)  # a link table's shape
    assert (links["source_dataset"] == "pds").all() and links["record_id"].is_unique
    assert links["match_probability"].between(T.TRACE_THRESHOLD, 1.0).all()
    # one NHS number per spine person, one spine person per NHS number, all its PDS records
    assert (links.groupby("person_id")["nhs_number"].nunique() == 1).all()
    assert (links.groupby("nhs_number")["person_id"].nunique() == 1).all()
    assert all(n == n_pds[k] for k, n in links.groupby("nhs_number").size().items())
    assert f1["spine-pds people"] >= 0.9 and f1["spine-pds people precision"] >= 0.95, f1
    assert f1["spine-pds records"] >= 0.85, f1
    # the spine persons that lost their best PDS person to another: unlinked, the other linked
    with _con(traced["path"]) as con:
        lost = con.execute(f"SELECT * FROM linkage.{W.collisions_table(SPINE_TRACE.table)}").df()
    assert len(lost) == summary["collisions"]
    assert not lost["person_id"].isin(links["person_id"]).any()
    assert lost["other_person_id"].isin(links["person_id"]).all()


def test_population_trace_links_pupils_one_to_one(traced):
    with _con(traced["path"]) as con:
        links = con.execute(f"SELECT * FROM linkage.{POP_TRACE.table}").df()
        keyed = con.execute(f"""
            SELECT n.upn, p.nhs_number FROM linkage.{POP_TRACE.table} l
            JOIN raw.npd_census n ON n.census_record_id = l.record_id
            JOIN raw.pds p ON p.pds_record_id = l.reference_record_id""").df()
        f1 = _f1(con, POP_TRACE)
        n_records = con.execute("SELECT count(*) FROM raw.npd_census").fetchone()[0]
    assert list(links.columns) == list(T.POPULATION_TRACE_COLUMNS)
    assert links["record_id"].is_unique and (links["reference_dataset"] == "pds").all()
    assert n_records / 2 < len(links) <= n_records
    assert (keyed.groupby("upn")["nhs_number"].nunique() == 1).all()
    assert (keyed.groupby("nhs_number")["upn"].nunique() == 1).all()
    assert f1["npd_census-pds people"] >= 0.9, f1
    assert f1["npd_census-pds people precision"] >= 0.95, f1


def test_research_tables_join_the_sources_research_tables(traced):
    with _con(traced["path"]) as con:
        ps.register_hmac(con, KEY)
        research = con.execute(f"SELECT * FROM research.{POP_TRACE.table}").df()
        n_npd, n_pds = con.execute(f"""
            SELECT count(*) FILTER (WHERE upn_hash IN (SELECT upn_hash FROM research.npd_census)),
                   count(*) FILTER (WHERE nhs_number_hash IN
                                    (SELECT nhs_number_hash FROM research.pds))
            FROM research.{POP_TRACE.table}""").fetchone()
        truth = con.execute("""
            SELECT DISTINCT n.upn, p.nhs_number FROM truth.record_person a
            JOIN truth.record_person b ON b.person_id = a.person_id AND b.source_dataset = 'pds'
            JOIN raw.npd_census n ON n.census_record_id = a.record_id
            JOIN raw.pds p ON p.pds_record_id = b.record_id
            WHERE a.source_dataset = 'npd_census'""").df()
        pupils = con.execute(f"SELECT count(DISTINCT n.upn) FROM linkage.{POP_TRACE.table} l "
                             "JOIN raw.npd_census n ON n.census_record_id = l.record_id"
                             ).fetchone()[0]
        # the spine trace in the wave's link file: PDS records as research.pds holds them
        link_rows, joined = con.execute("""
            SELECT count(*), count(*) FILTER (WHERE row_id_hash IN
                                              (SELECT row_id_hash FROM research.pds))
            FROM research.t_wave_link""").fetchone()
        findings = ps.scan_identifiers(con, tables=[("research", POP_TRACE.table),
                                                    ("research", "t_wave_link")], key=KEY)
    assert list(research.columns) == ["upn_hash", "nhs_number_hash", "match_probability"]
    assert len(research) == pupils == n_npd == n_pds > 100  # one row per pupil, both join
    # the NHS number traced is the pupil's own (hashed as research.pds hashes it)
    expected = {(ps.pseudonym("npd_census", "upn", u, KEY), ps.pseudonym("pds", "nhs_number", n,
                                                                          KEY))
                for u, n in zip(truth["upn"], truth["nhs_number"], strict=True)}
    right = sum((u, n) in expected for u, n in zip(research["upn_hash"],
                                                   research["nhs_number_hash"], strict=True))
    assert right >= 0.95 * len(research)
    assert link_rows == joined > 200
    assert findings == []


def test_trace_evaluation_tables(traced):
    spec = W.WaveLinkSpec(3, (), (), ("t_spine",), (SPINE_TRACE, POP_TRACE))
    from bold_assets.defs.evaluation import wave_linkage as EV

    with _con(traced["path"]) as con:
        f1 = EV.f1_table(con, spec)
        rates = EV.trace_rates_table(con, spec)
        errors = EV.subgroup_table(con, spec)
        like = E.spine_subgroup_errors(con, "t_spine", ())
    assert set(f1["step"]) == {SPINE_TRACE.name, POP_TRACE.name} and len(f1) == 6
    # a person the spine split counts once per reference person: recall no lower than per group
    by = f1.set_index("scope")
    assert (by.loc["spine-pds reference people", "recall"]
            >= by.loc["spine-pds people", "recall"]), f1
    overall = rates[rates["dimension"] == "all"].set_index("step")
    assert overall.loc[SPINE_TRACE.name, "people"] == traced["spine"]["people"]
    assert overall.loc[SPINE_TRACE.name, "linked"] == traced["spine"]["people_linked"]
    assert 85 <= overall.loc[POP_TRACE.name, "true_pct"] <= 100
    assert overall.loc[POP_TRACE.name, "linked_pct"] <= overall.loc[POP_TRACE.name, "true_pct"]
    assert {"ethnic_group", "imd_quintile"} <= set(rates["dimension"])
    for _, g in rates[rates["dimension"] != "all"].groupby(["step", "dimension"]):
        assert g["people"].sum() == overall.loc[g["step"].iloc[0], "people"]
    assert list(errors.columns) == ["step", *like.columns]
    assert errors["false_match_rate"].between(0, 0.1).all()


def test_wave3_trace_assets():
    from bold_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"linkage/pds_links", "linkage/npd_pds_links", "research/npd_pds_links",
            "research/wave_3_link", "evaluation/wave_3_linkage_f1",
            "evaluation/wave_3_subgroup_errors", "evaluation/wave_3_trace_rates"} <= keys

    def node(key: str):
        return graph.get(dg.AssetKey(key.split("/")))

    pds_links = node("linkage/pds_links")
    assert {"linkage/wave_1_person_ids", "linkage/std_pds", "linkage/std_mags"} <= {
        k.to_user_string() for k in pds_links.parent_keys}
    assert {c.name for c in pds_links.check_keys} == {"wave_2_ids_unchanged"}
    assert "linkage/std_npd_census" in {k.to_user_string()
                                        for k in node("linkage/npd_pds_links").parent_keys}
    link_file = {k.to_user_string() for k in node("research/wave_3_link").parent_keys}
    assert "linkage/pds_links" in link_file and "linkage/npd_pds_links" not in link_file
    assert {c.name for c in node("research/npd_pds_links").check_keys} == {"no_identifiers"}
    assert node("linkage/pds_links").group_name == "wave_3"


def test_trace_assets_materialise(traced, tmp_path):
    """The Dagster assets of the two traces and the population trace's research table (with
    its leak check), on a copy of the warehouse: the saved models are reused, the links are
    the same."""
    from bold_assets.defs.factories import wave_linkage as F
    from bold_assets.defs.factories.leaks import leak_check
    from bold_assets.defs.resources import LinkageEngineResource, WarehouseResource
    from bold_assets.defs.snapshots import SNAPSHOT_PARTITIONS
    from tests.conftest import bold_env

    path = tmp_path / "bold.duckdb"
    shutil.copy(traced["path"], path)
    shutil.copytree(traced["models"], tmp_path / "models")
    wave, spine = CATALOG.waves[3], dg.AssetKey(["linkage", "person_ids"])
    links = [F.trace_asset(wave, t, spine) for t in (SPINE_TRACE, POP_TRACE)]
    research = F.research_trace_asset(wave, POP_TRACE)
    resources = {"warehouse": WarehouseResource(path=str(path)),
                 "linkage_engine": LinkageEngineResource(engine="duckdb")}
    with bold_env(BOLD_WAREHOUSE=str(path), BOLD_PROJECT_KEY=KEY.decode(), BOLD_SEED="3"):
        linked = dg.materialize(links, resources=resources,
                                partition_key=SNAPSHOT_PARTITIONS.get_last_partition_key())
        assert linked.success
        run = dg.materialize([research, leak_check(F.research_trace_key(POP_TRACE))],
                             resources=resources)
        assert run.success
    checks = run.get_asset_check_evaluations()
    assert [c.passed for c in checks] == [True]
    meta = linked.asset_materializations_for_node(links[0].op.name)[0].metadata
    assert meta["people_linked"].value == traced["spine"]["people_linked"]
    assert meta["linkage_engine"].value == "duckdb"
    with _con(traced["path"]) as a, _con(path) as b:
        for table in (SPINE_TRACE.table, POP_TRACE.table):
            sql = f"SELECT * FROM linkage.{table} ORDER BY ALL"
            pd.testing.assert_frame_equal(a.execute(sql).df(), b.execute(sql).df())
        sql = f"SELECT * FROM research.{POP_TRACE.table} ORDER BY ALL"
        pd.testing.assert_frame_equal(a.execute(sql).df(), b.execute(sql).df())
