"""The calibration of wave 2: benefits and employment around prison, measured on raw.

DOMAIN.md (MoJ-DWP-HMRC data share, 2013, some figures via secondary sources): of prison leavers,
54% on out-of-work benefits one month after release and 42% two years after, 17% in P45
employment one year after release, about a third in employment the month before sentence;
Justice Data Lab comparison group, 12 months after release: 31% employed and 59% on out-of-work
benefits at some point; and 22% of the out-of-work claims open in December 2012 belonged to people
cautioned or convicted in 2000-2012.

Measured here on the raw tables joined by truth: prison leavers are the journeys of
`raw.prison` released in 2005-2021 (so two years' follow-up ends by 2023; the prison extract
holds receptions from 2011) of people aged 18-64 at release, released to liberty (not while
another journey of theirs still holds them), once per person and release date. A person is
on an out-of-work benefit on a day when a spell of JSA, ESA, IB, IS, SDA or UC searching for
work covers it (`catalog/sources/dwp.py`), in employment when an HMRC spell covers it; "the month
before sentence" is the 30 days before reception, "one month" / "one year" / "two years" after
release are days 30, 365 and 730 after, and "at some point in 12 months" days 1-365. People
cautioned or convicted are those with a PNC offence adjudicated guilty (G, J) or given a caution,
adjudicated in 2000-2012. The generator (`world/sources/dwp.py`) sets the prison-leaver figures
by construction (`how` = "set"); the December 2012 share emerges from the careers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.catalog.sources.dwp import OUT_OF_WORK_BENEFITS, OUT_OF_WORK_UC_REGIMES
from bold_assets.catalog.sources.pnc import CAUTION_DISPOSALS, GUILTY_ADJUDICATIONS

# measure -> (published per cent, "set" / "emerges", description)
PUBLISHED: dict[str, tuple[float, str, str]] = {
    "oow_1_month_after_release": (54.0, "set", "prison leavers on out-of-work benefits one "
                                  "month after release"),
    "oow_2_years_after_release": (42.0, "set", "prison leavers on out-of-work benefits two "
                                  "years after release"),
    "employed_1_year_after_release": (17.0, "set", "prison leavers in P45 / PAYE employment one "
                                      "year after release"),
    "employed_month_before_reception": (round(100 / 3, 1), "set", "prison leavers in "
                                        "employment the month before sentence (about a third)"),
    "employed_within_12_months": (31.0, "set", "JDL: employed at some point in the 12 months "
                                  "after release"),
    "oow_within_12_months": (59.0, "set", "JDL: on out-of-work benefits at some point in the 12 "
                             "months after release"),
    "open_oow_claims_dec_2012_with_record": (22.0, "emerges", "open out-of-work claims at "
                                             "December 2012 of people cautioned or convicted "
                                             "2000-2012"),
}
LEAVER_RELEASES = (np.datetime64("2005-01-01"), np.datetime64("2021-12-31"))
LEAVER_AGES = (18, 65)  # aged 18-64 at release (years of 365.25 days)
CLAIMS_OPEN_ON = np.datetime64("2012-12-31")
RECORD_YEARS = (np.datetime64("2000-01-01"), np.datetime64("2012-12-31"))
_DAY = np.timedelta64(1, "D")


def target(measure: str) -> float:
    """The published per cent of `measure`, as a share."""
    return PUBLISHED[measure][0] / 100


def is_leaver(person: np.ndarray, reception: np.ndarray, release: np.ndarray,
              age_at_release: np.ndarray) -> np.ndarray:
    """Prison journeys in the calibration: released in 2005-2021 aged 18-64, to liberty (not
    while another journey of the same person still holds them), once per person and release
    date (the journey received first)."""
    person = np.asarray(person)
    reception = np.asarray(reception, dtype="datetime64[D]")
    release = np.asarray(release, dtype="datetime64[D]")
    keep = ((release >= LEAVER_RELEASES[0]) & (release <= LEAVER_RELEASES[1])
            & (age_at_release >= LEAVER_AGES[0]) & (age_at_release < LEAVER_AGES[1]))
    j = pd.DataFrame({"person": person, "reception": reception, "release": release,
                      "row": np.arange(len(person))})
    other = j.rename(columns={"reception": "o_reception", "release": "o_release",
                              "row": "o_row"})
    m = j[keep].merge(other, on="person")
    held = ((m["o_reception"] <= m["release"])
            & (m["o_release"].isna() | (m["o_release"] > m["release"])))
    keep[m.loc[held, "row"].to_numpy()] = False
    first = j[keep].sort_values(["person", "release", "reception", "row"]).drop_duplicates(
        ["person", "release"])
    out = np.zeros(len(person), dtype=bool)
    out[first["row"].to_numpy()] = True
    return out


def _person_of(tables: dict[str, pd.DataFrame], source: str) -> pd.Series:
    rp = tables["truth.record_person"]
    return rp[rp["source_dataset"] == source].set_index("record_id")["person_id"]


def nino_person(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """person_id of each NINO held on CIS."""
    cis = tables["raw.dwp_cis"]
    person = _person_of(tables, "dwp_cis").reindex(cis["cis_record_id"]).to_numpy()
    out = pd.Series(person, index=cis["nino"].to_numpy())
    return out[~out.index.duplicated()]


def spells(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(out-of-work benefit spells, employment spells): person_id, start, end (open: far
    future)."""
    ninos = nino_person(tables)
    b = tables["raw.dwp_benefit_spells"]
    oow = b["benefit_type"].isin(OUT_OF_WORK_BENEFITS) | (
        (b["benefit_type"] == "UC") & b["uc_regime"].isin(OUT_OF_WORK_UC_REGIMES))

    def frame(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            "person_id": ninos.reindex(df["nino"]).to_numpy(),
            "start": df["startdate"].to_numpy().astype("datetime64[D]"),
            "end": df["enddate"].fillna(pd.Timestamp("2200-01-01")).to_numpy()
            .astype("datetime64[D]")})

    return frame(b[oow]), frame(tables["raw.hmrc_employments"])


def leavers(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The calibration's prison journeys: person_id, reception, release."""
    prison = tables["raw.prison"]
    dob = tables["truth.persons"].set_index("person_id")["dob"]
    person = _person_of(tables, "prison").reindex(prison["journey_id"]).to_numpy()
    reception = prison["reception_date"].to_numpy().astype("datetime64[D]")
    release = prison["release_date"].to_numpy().astype("datetime64[D]")
    age = (release - dob.reindex(person).to_numpy().astype("datetime64[D]")).astype(
        "timedelta64[D]").astype(float) / 365.25
    keep = is_leaver(person, reception, release, age)
    return pd.DataFrame({"person_id": person[keep], "reception": reception[keep],
                         "release": release[keep]}).reset_index(drop=True)


def in_spell(journeys: pd.DataFrame, spell: pd.DataFrame, anchor: str, first: int,
             last: int) -> np.ndarray:
    """Per journey: does a spell overlap days `first`..`last` counted from `anchor`?"""
    j = journeys.assign(row=np.arange(len(journeys)))
    m = j.merge(spell, on="person_id")
    lo = m[anchor].to_numpy() + first * _DAY
    hi = m[anchor].to_numpy() + last * _DAY
    hit = (m["start"].to_numpy() <= hi) & (m["end"].to_numpy() >= lo)
    out = np.zeros(len(journeys), dtype=bool)
    out[m["row"].to_numpy()[hit]] = True
    return out


def leaver_rates(tables: dict[str, pd.DataFrame]) -> dict[str, tuple[int, float]]:
    """measure -> (journeys, per cent) for the prison-leaver measures."""
    j = leavers(tables)
    oow, emp = spells(tables)
    flags = {
        "oow_1_month_after_release": in_spell(j, oow, "release", 30, 30),
        "oow_2_years_after_release": in_spell(j, oow, "release", 730, 730),
        "employed_1_year_after_release": in_spell(j, emp, "release", 365, 365),
        "employed_month_before_reception": in_spell(j, emp, "reception", -30, -1),
        "employed_within_12_months": in_spell(j, emp, "release", 1, 365),
        "oow_within_12_months": in_spell(j, oow, "release", 1, 365),
    }
    return {k: (len(j), 100 * float(v.mean()) if len(j) else np.nan) for k, v in flags.items()}


def record_people(tables: dict[str, pd.DataFrame]) -> pd.Index:
    """person_ids cautioned or convicted (PNC, adjudicated 2000-2012)."""
    off = tables["raw.pnc_offences"]
    date = off["adjudication_date"].to_numpy().astype("datetime64[D]")
    counted = (off["adjudication_code"].isin(GUILTY_ADJUDICATIONS)
               | off["disposal_code"].isin(CAUTION_DISPOSALS)).to_numpy()
    counted &= (date >= RECORD_YEARS[0]) & (date <= RECORD_YEARS[1])
    people = tables["raw.pnc_people"]
    pnc_person = pd.Series(_person_of(tables, "pnc_people").reindex(people["name_id"])
                           .to_numpy(), index=people["pnc_id"].to_numpy())
    pnc_person = pnc_person[~pnc_person.index.duplicated()]
    return pd.Index(pnc_person.reindex(off.loc[counted, "pnc_id"]).dropna().unique())


def open_claims_with_record(tables: dict[str, pd.DataFrame]) -> tuple[int, float]:
    """(open out-of-work claims at December 2012, per cent held by people with a record)."""
    oow, _ = spells(tables)
    open_ = oow[(oow["start"] <= CLAIMS_OPEN_ON) & (oow["end"] >= CLAIMS_OPEN_ON)]
    share = open_["person_id"].isin(record_people(tables)).mean() if len(open_) else np.nan
    return len(open_), 100 * float(share)


def calibration_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Measured vs published per cent. Columns: measure, published_pct, measured_pct,
    difference_points, how ("set" by the generator or "emerges")."""
    measured = {k: v[1] for k, v in leaver_rates(tables).items()}
    measured["open_oow_claims_dec_2012_with_record"] = open_claims_with_record(tables)[1]
    rows = []
    for measure, (published, how, _) in PUBLISHED.items():
        value = round(measured[measure], 1)
        rows.append({"measure": measure, "published_pct": published, "measured_pct": value,
                     "difference_points": round(value - published, 1), "how": how})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """`python -m bold_assets.world.calibration_wave2 [population] [seed]`: print the table for
    the world the settings (or the arguments) describe."""
    import sys

    from bold_assets.settings import get_settings
    from bold_assets.world.generate import generate_world

    args = sys.argv[1:] if argv is None else argv
    settings = get_settings()
    population = int(args[0]) if args else settings.population
    seed = int(args[1]) if len(args) > 1 else settings.seed
    tables = generate_world(population, seed, up_to_wave=2).tables
    n_leavers = leaver_rates(tables)["oow_1_month_after_release"][0]
    n_claims = open_claims_with_record(tables)[0]
    print(f"Wave 2 calibration (MoJ-DWP-HMRC 2013), population {population:,}, seed {seed}: "
          f"{n_leavers:,} prison-leaver journeys, {n_claims:,} open out-of-work claims at "
          "December 2012")
    print(calibration_table(tables).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
