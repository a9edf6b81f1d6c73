"""TEST FIXTURE ONLY: wave-1-shaped PNC and NPD tables made from a wave-0 world.

The real wave-1 generator (branch npd, `bold_assets.world.sources`) replaces this at merge; it
exists so that the wave-1 linkage (`bold_assets.linkage.wave_link`) can be developed and tested
on tables in the contract's shapes (notes/wave1_contract.md section 3) before the real ones land.
The linkage functions read whatever `Source` they are given, so they run on the real tables
unchanged.

From the world's truth (`truth.persons`, `truth.person_addresses`, `truth.record_person`):
- `raw.pnc_people`: the people with a criminal record (plus a few cautioned-only people), one row
  per name record: the primary name and 0+ aliases under one `pnc_id`; about 2% of people hold a
  second PNC id (a duplicate PNC record).
- `raw.npd_census`: one row per pupil per census for people born from 1 Sep 1985 who were
  educated in England (born abroad: often not), plus twice as many pupils who never touch
  justice (identities drawn from the world's name and date pools). Surnames change for a few
  pupils between censuses; about 1% of pupils get a new UPN.
Identifier errors come from `bold_assets.world.identifiers.make_identifiers`.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from bold_assets.sources import Identifiers, Source
from bold_assets.world.identifiers import ErrorProfile, make_identifiers

NPD_FROM = np.datetime64("1985-09-01")
CRIMINAL = ("mags", "crown", "prison", "probation", "oasys")

PNC_FIXTURE = Source(
    name="pnc_people", title="PNC people (test fixture)", system="PNC", key="name_id",
    case_ids=("pnc_id",),
    columns={"name_id": "VARCHAR", "pnc_id": "VARCHAR", "forename": "VARCHAR",
             "middle_names": "VARCHAR", "surname": "VARCHAR", "date_of_birth": "VARCHAR",
             "sex": "VARCHAR", "ethnic_appearance": "VARCHAR", "alias_flag": "VARCHAR"},
    identifiers=Identifiers(forename="forename", middle_name="middle_names", surname="surname",
                            dob="date_of_birth", dob_format="%d/%m/%Y", sex="sex",
                            ethnicity="ethnic_appearance"),
    event_date=None,  # type: ignore[arg-type]  # a person record has no event date
    coverage=(2000, 2023),
)
NPD_FIXTURE = Source(
    name="npd_census", title="NPD school census (test fixture)", system="NPD", key="census_id",
    columns={"census_id": "VARCHAR", "upn": "VARCHAR", "forename": "VARCHAR",
             "middle_names": "VARCHAR", "surname": "VARCHAR", "dob": "VARCHAR", "sex": "VARCHAR",
             "postcode": "VARCHAR", "ethnicgroupmajor": "VARCHAR", "census_year": "INTEGER",
             "census_date": "DATE"},
    identifiers=Identifiers(forename="forename", middle_name="middle_names", surname="surname",
                            dob="dob", sex="sex", postcode="postcode"),
    event_date="census_date",
    coverage=(2002, 2023),
)

# PNC: fingerprint-verified primary names are good; aliases are whatever people gave.
PNC_PRIMARY = ErrorProfile(typo_forename=0.01, typo_surname=0.01, nickname=0.02,
                           swap_names=0.005, dob_missing=0.0, postcode_missing=1.0,
                           sex_missing=0.0, name_case="upper")
PNC_ALIAS = ErrorProfile(typo_forename=0.1, typo_surname=0.1, nickname=0.3, swap_names=0.05,
                         dob_day_month_swap=0.05, dob_year_off=0.1, dob_shift=0.1,
                         dob_missing=0.0, postcode_missing=1.0, sex_missing=0.0,
                         name_case="upper")
NPD = ErrorProfile(typo_forename=0.01, typo_surname=0.015, nickname=0.02, swap_names=0.003,
                   dob_day_month_swap=0.003, dob_year_off=0.003, dob_shift=0.003,
                   dob_missing=0.0, sex_missing=0.0, postcode_missing=0.02, postcode_typo=0.01,
                   postcode_stale=0.05, stale_surname=0.0, middle_missing=0.2,
                   name_case="title")


def _persons(persons: pd.DataFrame, current_surname: bool) -> pd.DataFrame:
    """truth.persons with what `make_identifiers` needs (the warehouse drops marriage dates):
    PNC records carry the current surname (married: marked as married long ago), NPD records
    the birth surname."""
    p = persons.reset_index(drop=True).copy()
    for col, default in (("middle_name", None), ("born_abroad", False)):
        if col not in p:
            p[col] = default
    p["birth_surname"] = p.get("birth_surname", p["surname"]).fillna(p["surname"])
    p["dob"] = pd.to_datetime(p["dob"])
    married = p["surname"] != p["birth_surname"]
    p["marriage_date"] = np.where(current_surname & married, np.datetime64("1900-01-01"),
                                  np.datetime64("NaT")).astype("datetime64[ns]")
    return p


def _addresses(addresses: pd.DataFrame, person_ids: pd.Series) -> pd.DataFrame:
    idx = pd.Series(np.arange(len(person_ids)), index=person_ids.to_numpy())
    a = addresses[addresses["person_id"].isin(idx.index)].copy()
    a["person_idx"] = idx.loc[a["person_id"]].to_numpy()
    a["from_date"] = pd.to_datetime(a["from_date"])
    return a.sort_values(["person_idx", "seq"]).reset_index(drop=True)


def _identify(person_idx: np.ndarray, events: np.ndarray, persons: pd.DataFrame,
              addresses: pd.DataFrame, profile: ErrorProfile, fmt: str,
              rng: np.random.Generator) -> pd.DataFrame:
    recs = pd.DataFrame({"person_idx": person_idx, "event": events})
    return make_identifiers(recs, persons, addresses, profile, fmt, rng, "event")


def make_wave1_fixture(persons: pd.DataFrame, addresses: pd.DataFrame,
                       record_person: pd.DataFrame, seed: int = 7) -> dict[str, pd.DataFrame]:
    """`raw.pnc_people`, `raw.npd_census`, and their `truth.record_person` and extra
    `truth.persons` rows (the pupils who never touch justice), keyed "schema.table"."""
    rng = np.random.default_rng([seed, 1985])
    pp = _persons(persons, current_surname=True)
    addr = _addresses(addresses, pp["person_id"])
    offenders = set(record_person.loc[record_person["source_dataset"].isin(CRIMINAL),
                                      "person_id"].dropna())
    in_pnc = pp["person_id"].isin(offenders).to_numpy() | (rng.random(len(pp)) < 0.03)
    pnc_idx = np.flatnonzero(in_pnc)

    # PNC: a primary name record and 0+ aliases per person; 2% hold a second PNC id
    n_alias = np.minimum(rng.poisson(0.35, len(pnc_idx)), 4)
    rows_idx = np.repeat(pnc_idx, 1 + n_alias)
    alias = np.ones(len(rows_idx), dtype=bool)
    alias[np.r_[0, np.cumsum(1 + n_alias)[:-1]]] = False
    dup = pnc_idx[rng.random(len(pnc_idx)) < 0.02]
    rows_idx, alias = np.r_[rows_idx, dup], np.r_[alias, np.zeros(len(dup), bool)]
    events = (np.datetime64("2005-01-01")
              + rng.integers(0, 6500, len(rows_idx)).astype("timedelta64[D]"))
    prim = _identify(rows_idx, events, pp, addr, PNC_PRIMARY, "%d/%m/%Y", rng)
    ali = _identify(rows_idx, events, pp, addr, PNC_ALIAS, "%d/%m/%Y", rng)
    ids = prim.mask(pd.Series(alias, index=prim.index), ali, axis=0)
    # a third of aliases use another surname altogether
    other = alias & (rng.random(len(alias)) < 0.33)
    ids.loc[other, "surname"] = pp["surname"].str.upper().to_numpy()[
        rng.integers(0, len(pp), other.sum())]
    years = 1990 + rng.integers(0, 34, len(pnc_idx))
    pnc_of = pd.Series([f"{y}/{n:07d}{chr(65 + n % 26)}" for y, n in
                        zip(years, rng.permutation(len(pnc_idx)) + 100000, strict=True)],
                       index=pnc_idx)
    pnc_ids = pnc_of.loc[rows_idx].to_numpy().astype(object)
    dup_rows = np.arange(len(rows_idx) - len(dup), len(rows_idx))
    pnc_ids[dup_rows] = [f"{2000 + i % 24}/{9000000 + i:07d}Z" for i in range(len(dup))]
    order = rng.permutation(len(rows_idx))
    pnc = pd.DataFrame({
        "name_id": [f"N{1000000 + i}" for i in range(len(rows_idx))],
        "pnc_id": pnc_ids[order], "forename": ids["forename"].to_numpy()[order],
        "middle_names": ids["middle_name"].to_numpy()[order],
        "surname": ids["surname"].to_numpy()[order], "date_of_birth": ids["dob"].to_numpy()[order],
        "sex": ids["sex"].to_numpy()[order],
        "ethnic_appearance": ids["ethnicity"].to_numpy()[order],
        "alias_flag": np.where(alias[order], "Y", "N"),
    })
    pnc_truth = pd.DataFrame({"source_dataset": "pnc_people", "record_id": pnc["name_id"],
                              "person_id": pp["person_id"].to_numpy()[rows_idx[order]]})

    # NPD: offenders born from Sep 1985 educated in England, plus pupils never in justice
    young = pp["dob"].to_numpy() >= NPD_FROM
    p_school = np.where(pp["born_abroad"].to_numpy(dtype=bool), 0.35, 0.92)
    pupil_idx = np.flatnonzero(young & (rng.random(len(pp)) < p_school))
    n_extra = 2 * len(pupil_idx)
    src = np.flatnonzero(young)
    who = rng.choice(src, n_extra)  # forename, middle name and sex of one person
    extra = pd.DataFrame({
        "person_id": [f"NP{i:07d}" for i in range(n_extra)],
        "forename": pp["forename"].to_numpy()[who],
        "middle_name": pp["middle_name"].to_numpy()[who],
        "surname": pp["birth_surname"].to_numpy()[rng.choice(src, n_extra)],
        "sex": pp["sex"].to_numpy()[who],
        "dob": pp["dob"].to_numpy()[rng.choice(src, n_extra)]
        + rng.integers(-200, 200, n_extra).astype("timedelta64[D]"),
        "ethnic_group": pp["ethnic_group"].to_numpy()[rng.choice(src, n_extra)],
        "imd_decile": pp["imd_decile"].to_numpy()[who] if "imd_decile" in pp else 5,
        "born_abroad": False,
    })
    extra["dob"] = np.maximum(extra["dob"].to_numpy(), NPD_FROM)
    extra["ethnicity_code"] = extra["ethnic_group"].str[0] + "1"
    first_pc = addr[addr["seq"] == 1]
    extra_addr = pd.DataFrame({"person_id": extra["person_id"], "seq": 1,
                               "postcode": first_pc["postcode"].to_numpy()[
                                   rng.integers(0, len(first_pc), n_extra)],
                               "lsoa_code": None, "from_date": pd.Timestamp("1900-01-01")})
    np_persons = _persons(pd.concat([pp.drop(columns=["marriage_date"]).iloc[pupil_idx], extra],
                                    ignore_index=True), current_surname=False)
    np_addr = _addresses(pd.concat([addr.drop(columns=["person_idx"]), extra_addr]),
                         np_persons["person_id"])
    n_rows = 1 + np.minimum(rng.poisson(1.5, len(np_persons)), 5)
    row_p = np.repeat(np.arange(len(np_persons)), n_rows)
    birth_year = pd.DatetimeIndex(np_persons["dob"]).year.to_numpy()[row_p]
    lo, hi = np.maximum(2002, birth_year + 5), np.maximum(2002, birth_year + 16)
    census_year = lo + (rng.random(len(row_p)) * (hi - lo + 1)).astype(int)
    census_date = (census_year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + 17
    ids = _identify(row_p, census_date, np_persons, np_addr, NPD, "%Y-%m-%d", rng)
    # pupils' surnames change (a family change) in a later census for 3% of pupils
    changer = rng.random(len(np_persons)) < 0.03
    late = changer[row_p] & (census_year > np.repeat(
        pd.Series(census_year).groupby(row_p).min().to_numpy(), n_rows))
    ids.loc[late, "surname"] = np_persons["surname"].to_numpy()[
        rng.integers(0, len(np_persons), late.sum())]
    upn = np.array([f"{chr(65 + i % 26)}{800000000000 + i * 7919:012d}"
                    for i in rng.permutation(len(np_persons))], dtype=object)[row_p]
    new_upn = rng.random(len(row_p)) < 0.01
    upn[new_upn] = [f"Z{900000000000 + i:012d}" for i in range(new_upn.sum())]
    order = rng.permutation(len(row_p))
    npd = pd.DataFrame({
        "census_id": [f"C{5000000 + i}" for i in range(len(row_p))],
        "upn": upn[order], "forename": ids["forename"].to_numpy()[order],
        "middle_names": ids["middle_name"].to_numpy()[order],
        "surname": ids["surname"].to_numpy()[order], "dob": ids["dob"].to_numpy()[order],
        "sex": ids["sex"].to_numpy()[order], "postcode": ids["postcode"].to_numpy()[order],
        "ethnicgroupmajor": np_persons["ethnic_group"].to_numpy()[row_p][order],
        "census_year": census_year[order].astype("int32"),
        "census_date": census_date[order],
    })
    npd_truth = pd.DataFrame({"source_dataset": "npd_census", "record_id": npd["census_id"],
                              "person_id": np_persons["person_id"].to_numpy()[row_p[order]]})
    keep = [c for c in persons.columns if c in extra.columns]
    return {
        "raw.pnc_people": pnc, "raw.npd_census": npd,
        "truth.record_person": pd.concat([pnc_truth, npd_truth], ignore_index=True),
        "truth.persons": extra[keep],
    }


def write_wave1_fixture(con: duckdb.DuckDBPyConnection, seed: int = 7) -> dict[str, int]:
    """Make the fixture from a warehouse's truth tables and write it there (replacing any
    `raw.pnc_people` / `raw.npd_census` and their truth rows). Returns row counts."""
    persons = con.sql("SELECT * FROM truth.persons WHERE person_id NOT LIKE 'NP%'").df()
    tables = make_wave1_fixture(persons, con.sql("SELECT * FROM truth.person_addresses").df(),
                                con.sql("SELECT * FROM truth.record_person").df(), seed)
    con.execute("DELETE FROM truth.record_person WHERE source_dataset IN "
                "('pnc_people', 'npd_census')")
    con.execute("DELETE FROM truth.persons WHERE person_id LIKE 'NP%'")
    for name in ("raw.pnc_people", "raw.npd_census"):
        con.register("__fx", tables[name])
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM __fx")
        con.unregister("__fx")
    for name in ("truth.record_person", "truth.persons"):
        con.register("__fx", tables[name])
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM __fx")
        con.unregister("__fx")
    return {k: len(v) for k, v in tables.items()}
