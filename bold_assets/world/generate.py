"""Assemble the world: reference geography, truth, and the seven raw extracts in source shape."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bold_assets.sources import SOURCES, get_source
from bold_assets.world.geography import make_geography
from bold_assets.world.identifiers import PROFILES, make_identifiers
from bold_assets.world.journeys import civil_cases, criminal_journeys, family_cases
from bold_assets.world.population import make_population

_ESTABLISHMENTS = np.array(["BMI", "LEI", "MRI", "WWI", "PVI", "HMI", "LPI", "BLI", "DMI", "EXI",
                            "NMI", "CFI"], dtype=object)  # fmt: skip
# Record id shape per source: prefix and first number. Ids are issued in event-date order.
_ID_SHAPE = {"mags": ("D", 100_000_001), "crown": ("T", 40_000_001), "prison": ("J", 7_000_001),
             "probation": ("E", 2_500_000_001), "oasys": ("", 4_100_001),
             "family": ("FP", 30_000_001), "civil": ("CP", 60_000_001)}


@dataclass
class World:
    """Every table of the synthetic world, keyed `schema.table`."""

    tables: dict[str, pd.DataFrame]

    def __getitem__(self, key: str) -> pd.DataFrame:
        return self.tables[key]


def _issue_ids(rng, df: pd.DataFrame, date_col: str, source: str) -> pd.DataFrame:
    """Shuffle, then number records in date order (ties at random), as a live system would."""
    df = df.rename_axis("source_row").sample(frac=1.0, random_state=rng.integers(2**31))
    df = df.reset_index()
    order = np.lexsort((rng.random(len(df)), df[date_col].to_numpy().astype("datetime64[D]")))
    df = df.iloc[order].reset_index(drop=True)
    prefix, start = _ID_SHAPE[source]
    df["record_id"] = [f"{prefix}{start + i}" for i in range(len(df))]
    return df


def _case_numbers(case_no: np.ndarray, fmt: str, rng) -> np.ndarray:
    """Stable case numbers: one per distinct case, in a random order."""
    uniq, inverse = np.unique(case_no, return_inverse=True)
    labels = np.array([fmt.format(i) for i in rng.permutation(len(uniq))], dtype=object)
    return labels[inverse]


def _full_names(ids: pd.DataFrame, rng) -> np.ndarray:
    """Civil party names as one string, in the shapes claim forms produce."""
    fn, sn = ids["forename"].fillna(""), ids["surname"].fillna("")
    pick = rng.random(len(ids))
    title = pd.Series(rng.choice(["Mr", "Ms", "Mrs", "Miss"], len(ids)))
    out = (fn + " " + sn).where(pick < 0.55, sn + ", " + fn)
    out = out.where(pick < 0.8, title + " " + fn + " " + sn)
    return out.str.strip(" ,").to_numpy(dtype=object)


def _identified(source: str, records, persons, addresses, rng, role=None) -> pd.DataFrame:
    src = get_source(source)
    ids = make_identifiers(records, persons, addresses, PROFILES[source],
                           src.identifiers.dob_format, rng, src.event_date, role)
    return pd.concat([records.reset_index(drop=True), ids.add_prefix("id_")], axis=1)


def _age(persons: pd.DataFrame, df: pd.DataFrame, date_col: str) -> np.ndarray:
    dob = persons["dob"].to_numpy().astype("datetime64[D]")[df["person_idx"].to_numpy()]
    days = (df[date_col].to_numpy().astype("datetime64[D]") - dob).astype(int)
    return np.floor(days / 365.25).astype(int)


def _shape(source: str, df: pd.DataFrame, cols: dict[str, object]) -> pd.DataFrame:
    """Select and rename into the registry's column order."""
    out = pd.DataFrame({name: cols[name] for name in get_source(source).columns})
    out.index = df.index
    return out


def generate_world(population: int, seed: int) -> World:
    """Generate every table for `population` persons; the same inputs give identical tables."""
    if population < 200:
        raise ValueError(f"BOLD_POPULATION={population} is too small; use at least 200")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(16)]
    geo = make_geography(population, streams[0])
    persons, addresses, z = make_population(population, geo, streams[1])
    crim = criminal_journeys(persons, z, streams[2])
    family = family_cases(persons, z, streams[3])
    civil = civil_cases(persons, z, streams[4])
    pid = persons["person_id"].to_numpy()
    lad_of_lsoa = geo["lsoa"].set_index("lsoa_code")["lad_code"]
    raw: dict[str, pd.DataFrame] = {}
    record_person = []

    def finish(source: str, df: pd.DataFrame, cols: dict[str, object]) -> None:
        raw[source] = _shape(source, df, cols)
        person = np.where(df["person_idx"].to_numpy() >= 0,
                          pid[np.maximum(df["person_idx"].to_numpy(), 0)], None)
        record_person.append(pd.DataFrame({"source_dataset": source,
                                           "record_id": df["record_id"].to_numpy(),
                                           "person_id": person}))

    rng = streams[5]
    m = _identified("mags", _issue_ids(rng, crim["mags"], "first_hearing_date", "mags"),
                    persons, addresses, rng)
    m["case_id"] = _case_numbers(m.index.to_numpy(), "C{:08d}", rng)
    finish("mags", m, {
        "defendant_id": m["record_id"], "case_id": m["case_id"],
        "defendant_forename": m["id_forename"], "defendant_surname": m["id_surname"],
        "defendant_dob": m["id_dob"], "gender": m["id_sex"].fillna("U"),
        "ethnicity": m["id_ethnicity"], "defendant_postcode": m["id_postcode"],
        "offence_date": m["offence_date"],
        "age_at_offence": _age(persons, m, "offence_date"),
        "first_hearing_date": m["first_hearing_date"],
        "principal_offence_code": m["principal_offence_code"], "offence_count": m["offence_count"],
        "disposal_code": m["disposal_code"], "disposal_date": m["disposal_date"],
        "court_lad_code": lad_of_lsoa.loc[m["id_lsoa_code"]].to_numpy(),
    })

    rng = streams[6]
    c = _identified("crown", _issue_ids(rng, crim["crown"], "receipt_date", "crown"),
                    persons, addresses, rng)
    finish("crown", c, {
        "defendant_on_case_id": c["record_id"],
        "case_number": _case_numbers(c.index.to_numpy(), "T2{:07d}", rng),
        "forenames": c["id_forename"], "surname": c["id_surname"],
        "date_of_birth": c["id_dob"],
        "sex": c["id_sex"].map({"M": "Male", "F": "Female"}),
        "self_defined_ethnicity": c["id_ethnicity"], "postcode": c["id_postcode"],
        "receipt_date": c["receipt_date"], "offence_code": c["offence_code"],
        "trial_type": c["trial_type"], "verdict_date": c["verdict_date"],
        "sentence_type": c["sentence_type"], "sentence_date": c["sentence_date"],
        "appeal": c["appeal"],
    })

    rng = streams[7]
    p = _identified("prison", _issue_ids(rng, crim["prison"], "reception_date", "prison"),
                    persons, addresses, rng)
    finish("prison", p, {
        "journey_id": p["record_id"],
        "booking_no": _case_numbers(p.index.to_numpy(), "B{:06d}", rng),
        "first_name": p["id_forename"], "middle_name": p["id_middle_name"],
        "last_name": p["id_surname"], "birth_date": p["id_dob"], "gender_code": p["id_sex"],
        "ethnic_code": p["id_ethnicity"], "postcode_on_reception": p["id_postcode"],
        "reception_date": p["reception_date"], "release_date": p["release_date"],
        "establishment_code": rng.choice(_ESTABLISHMENTS, len(p)),
        "main_offence_code": p["main_offence_code"], "sentence_days": p["sentence_days"],
    })

    rng = streams[8]
    e = _identified("probation", _issue_ids(rng, crim["probation"], "referral_date", "probation"),
                    persons, addresses, rng)
    lsoa = e["id_lsoa_code"].where(rng.random(len(e)) >= 0.05, None)
    finish("probation", e, {
        "event_id": e["record_id"], "forename": e["id_forename"],
        "second_forename": e["id_middle_name"], "surname": e["id_surname"],
        "date_of_birth": e["id_dob"], "gender": e["id_sex"], "ethnicity": e["id_ethnicity"],
        "postcode": e["id_postcode"], "lsoa_code": lsoa, "referral_date": e["referral_date"],
        "event_type": e["event_type"], "requirements": e["requirements"],
        "termination_date": e["termination_date"],
    })

    rng = streams[9]
    o = _identified("oasys", _issue_ids(rng, crim["oasys"], "assessment_date", "oasys"),
                    persons, addresses, rng)
    cols = {
        "assessment_pk": o["record_id"], "forename_1": o["id_forename"],
        "forename_2": o["id_middle_name"], "family_name": o["id_surname"],
        "date_of_birth": o["id_dob"], "gender": o["id_sex"].map({"M": "1", "F": "2"}),
        "ethnic_category": o["id_ethnicity"], "postcode": o["id_postcode"],
    }
    cols.update({col: o[col] for col in SOURCES["oasys"].columns if col not in cols})
    finish("oasys", o, cols)

    rng = streams[10]
    f = _issue_ids(rng, family, "issue_date", "family")
    f = _identified("family", f, persons, addresses, rng, role=f["party_role"].to_numpy())
    finish("family", f, {
        "party_id": f["record_id"],
        "case_number": _case_numbers(f["case_no"].to_numpy(), "FM{:07d}", rng),
        "case_type": f["case_type"], "issue_date": f["issue_date"],
        "party_role": f["party_role"], "party_forename": f["id_forename"],
        "party_surname": f["id_surname"], "party_dob": f["id_dob"], "party_sex": f["id_sex"],
        "party_postcode": f["id_postcode"], "harm_alleged": f["harm_alleged"],
        "children_involved": f["children_involved"], "fee_exemption": f["fee_exemption"],
        "legal_representation": f["legal_representation"],
    })

    rng = streams[11]
    v = _issue_ids(rng, civil, "claim_date", "civil")
    person_rows = np.flatnonzero(v["person_idx"].to_numpy() >= 0)
    ids = _identified("civil", v.iloc[person_rows], persons, addresses, rng,
                      role=v["party_role"].to_numpy()[person_rows])
    name = v["company_name"].to_numpy(dtype=object).copy()
    name[person_rows] = _full_names(ids.filter(like="id_").rename(columns=lambda c: c[3:]), rng)
    dob = np.full(len(v), None, dtype=object)
    dob[person_rows] = ids["id_dob"].to_numpy()
    postcode = np.full(len(v), None, dtype=object)
    postcode[person_rows] = ids["id_postcode"].to_numpy()
    finish("civil", v, {
        "party_id": v["record_id"],
        "claim_number": _case_numbers(v["case_no"].to_numpy(), "PC{:07d}", rng),
        "claim_type": v["claim_type"], "party_role": v["party_role"],
        "party_type": v["party_type"], "party_name": name, "party_dob": dob,
        "address_postcode": postcode, "claim_date": v["claim_date"],
        "arrears_amount": v["arrears_amount"], "order_type": v["order_type"],
        "order_date": v["order_date"], "warrant_date": v["warrant_date"],
        "possession_date": v["possession_date"],
    })

    mags_id = pd.Series(m["record_id"].to_numpy(), index=m["source_row"].to_numpy())
    journey = pd.DataFrame({"defendant_id": mags_id.loc[c["mags_row"]].to_numpy(),
                            "defendant_on_case_id": c["record_id"].to_numpy()})
    truth_persons = persons.drop(columns=["marriage_date", "name_background"])
    addresses = addresses.assign(person_id=pid[addresses["person_idx"].to_numpy()])
    tables = {f"raw.{k}": v for k, v in raw.items()}
    tables.update({
        "truth.persons": truth_persons,
        "truth.record_person": pd.concat(record_person, ignore_index=True),
        "truth.mags_crown_journey": journey,
        "truth.person_addresses": addresses[["person_id", "seq", "lsoa_code", "postcode",
                                             "from_date", "to_date"]],
        "reference.lad": geo["lad"],
        "reference.lsoa": geo["lsoa"],
        "reference.postcodes": geo["postcodes"],
    })
    return World(tables)
