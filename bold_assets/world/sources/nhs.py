"""Wave 3 world generator: PDS, HES (admitted patient care, A&E), MHSDS and ONS deaths.

**PDS.** Everyone gets an NHS number (`national_ids.nhs_number`); all but a few are on PDS
(`_on_pds`: more missing among people born abroad, recent arrivals, children and deprived
areas; ~2% of NPD pupils), one row per address held since registration (birth or arrival; the
last four, most recent last), names, date of birth and gender as held at the extract (or at
death), a low error profile. Minority-ethnic and deprived people's records carry more name
variation (`_vary_names`: transliterated forenames, hyphenated surnames) and more often miss
the latest move (the current postcode stale). About 95% of NPD pupils can be traced on name,
date of birth, sex and postcode (calibration_wave3.traceable_pupils), fewer minority-ethnic and
deprived pupils.

**Deaths** (`world/health.py`): 2010-2023, never before a person's last earlier-wave record
(see there). ONS registrations: registration a few days after a natural death, months after an
external one (inquest; some after the end of 2023), the NHS number missing for people not on
PDS and a few more (~1.3% in all), up to five causes mentioned (the underlying first), age, sex
and the LSOA of residence at death. `truth.deaths` keeps the record id, person, date and cause
group.

**Hospital and mental health activity** (only for people on PDS, from arrival or birth to death
or the end of 2023): HES APC spells 2000-2023 of elective, emergency (more with physical, ill
health and substance needs), maternity, mental-health (F20-F48 / F10-F19 primary, specialties
710-715), self-harm (an injury / poisoning S / T primary with X60-X84 secondary) and substance
admissions, a few spells of two episodes; secondary diagnoses of long-term conditions and of the
person's mental-health or substance condition; source of admission 39 in custody (the careers'
custody journeys); one final spell with discharge method 4 for most natural and some external
deaths. A&E attendances 2007-2023: background, one per emergency admission via A&E (disposal
01), self-harm (14 poisoning / 01 laceration), mental-health crises (35) and substance episodes,
and some deaths in the department. MHSDS 2016-2023: referrals by mental-health need (and
substance), from probation orders with a mental health treatment requirement and for each
mental-health admission (its MHS501 inpatient spell); care contacts per referral; one MPI row
per person and provider. No wave-3 record falls after the person's death (open referrals and
spells close at it).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from bold_assets.catalog.icd10 import CodeList
from bold_assets.catalog.sources.nhs import DIAGNOSES
from bold_assets.catalog.sources.ons import CAUSES
from bold_assets.world.context import WorldContext
from bold_assets.world.health import CAUSES as CAUSE_GROUPS
from bold_assets.world.health import (
    DRUG,
    NAT,
    SUI,
    Mortality,
    categories,
    death_causes,
    draw_codes,
    last_records,
    listed,
    record_persons,
    supervision_periods,
    within,
)
from bold_assets.world.identifiers import ErrorProfile, address_at, make_identifiers
from bold_assets.world.journeys import custody_journeys
from bold_assets.world.labour_market import (
    OPEN,
    WORLD_END,
    YEAR,
    day_number,
    day_numbers,
    merge_intervals,
    person_day_key,
    sigmoid,
    uniform_ints,
)
from bold_assets.world.national_ids import nhs_number
from bold_assets.world.records import extract, issue_ids
from bold_assets.world.sources import careers

TRUTH = ("deaths",)  # truth.* tables of its own (beside truth.record_person)
PRODUCES = ("pds", "hes_apc", "hes_ae", "mhsds_mpi", "mhsds_referrals", "mhsds_care_contacts",
            "mhsds_hosp_spells", "ons_deaths")  # fmt: skip
# PDS is well kept: names and dates of birth from birth registration or GP registration.
ERROR_PROFILES: dict[str, ErrorProfile] = {
    "pds": ErrorProfile(
        typo_forename=0.003, typo_surname=0.003, nickname=0.0, swap_names=0.001,
        stale_surname=0.03, dob_day_month_swap=0.0005, dob_year_off=0.0005, dob_shift=0.0005,
        dob_missing=0.0, sex_missing=0.0, postcode_missing=0.015, postcode_typo=0.0,
        postcode_stale=0.0, ethnicity_missing=1.0, middle_missing=0.3, name_case="upper",
    ),
}
HES_FROM, AE_FROM, MHSDS_FROM = (day_number(d) for d in ("2000-01-01", "2007-01-01",
                                                            "2016-01-01"))
ETHNOS_OF = {"W1": "A", "W2": "B", "W3": "C", "W9": "C", "M1": "D", "M2": "E", "M3": "F",
             "M9": "G", "A1": "H", "A2": "J", "A3": "K", "A4": "R", "A9": "L", "B1": "M",
             "B2": "N", "B9": "P", "O1": "S", "O9": "S"}  # fmt: skip
CONDITIONS = ("schizophrenia", "mood", "neurotic", "substance_use")
# Codes outside the declared lists: common elective, emergency, maternity and injury reasons.
ELECTIVE = np.array(["H25", "M17", "M16", "K40", "K80", "N40", "K57", "D12", "Z51", "N20",
                     "M23", "H26"], dtype=object)  # fmt: skip
EMERGENCY = np.array(["J18", "N39", "R10", "R07", "A09", "K35", "L03", "R55", "J06", "S72",
                      "S06", "R51"], dtype=object)  # fmt: skip
MATERNITY = np.array(["O80", "O70", "O34", "O42", "O99", "O48", "O62"], dtype=object)
DRUG_POISONING_T = categories(CodeList("t_drugs", "poisoning by drugs", (("T36", "T50"),)))
WRIST_INJURY = categories(CodeList("s_arm", "injuries to forearm, wrist and hand",
                                   (("S50", "S69"),)))
INJURY = categories(CodeList("injury", "injuries", (("S00", "T14"),)))
PROVIDERS = np.array(["RXT", "RRP", "RV5", "RWK", "RQY", "RXG", "RHA", "RX3", "RXM", "RT1",
                      "RW4", "RWX", "TAF", "RP7", "RMY", "RV3", "RKL", "RJ8", "RNN", "RT5",
                      "RXA", "RYG", "RLY", "RH5", "RX4", "RAT", "TAJ", "RWR"], dtype=object)
_TRANSLITERATION = ((r"OHAMMED", "UHAMMAD"), (r"UHAMMAD", "OHAMMED"), (r"EE", "I"), (r"OO", "U"),
                    (r"PH", "F"), (r"KH", "K"), (r"OU", "U"), (r"IE$", "Y"), (r"Y$", "IE"),
                    (r"AH$", "A"), (r"A$", "AH"), (r"SH", "S"), (r"TH", "T"), (r"DH", "D"),
                    (r"Z", "S"), (r"([AEIOU])", r"\1\1"))  # fmt: skip


def _dates(days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[days > WORLD_END] = np.datetime64("NaT")
    return out


def _pick(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(options), dtype=object)
    w = np.array(list(options.values()))
    return keys[rng.choice(len(keys), n, p=w / w.sum())]


class Patients:
    """Per-person arrays of wave 3 (row i = person_idx i); days are day numbers."""

    def __init__(self, ctx: WorldContext, death: np.ndarray, on_pds: np.ndarray) -> None:
        p = ctx.persons
        self.n = len(p)
        self.dob = day_numbers(p["dob"])
        arrival = day_numbers(p["arrival_date"])
        self.start = np.where(arrival <= WORLD_END, np.maximum(self.dob, arrival), self.dob)
        self.death, self.end, self.on_pds = death, np.minimum(death, WORLD_END), on_pds
        self.male = (p["sex"] == "M").to_numpy()
        self.z = {k: np.asarray(v, dtype=float) for k, v in ctx.z.items()}
        self.ethnos = p["ethnicity_code"].map(ETHNOS_OF).fillna("99").to_numpy(dtype=object)
        self.nhs = nhs_number(np.arange(self.n), ctx.seed)
        self.addresses = ctx.addresses
        lad = pd.Index(ctx.geo["lad"]["lad_code"])
        lsoa_lad = ctx.geo["lsoa"].set_index("lsoa_code")["lad_code"]
        self.lad_of_address = lad.get_indexer(lsoa_lad.reindex(ctx.addresses["lsoa_code"]))
        cj = custody_journeys(careers(ctx))
        cp, cs, ce = merge_intervals(cj["person_idx"].to_numpy(),
                                     day_numbers(cj["reception_date"]),
                                     day_numbers(cj["release_date"]))
        self._custody = (cp, person_day_key(cp, cs), ce)
        self.mh_code = self.sub_code = np.empty(0, dtype=object)  # set by _person_codes

    def z_of(self, weights: dict[str, float], idx: np.ndarray | None = None) -> np.ndarray:
        """exp(sum of weight x latent z), population mean 1 (at `idx` when given)."""
        out = np.exp(sum(w * self.z[k] for k, w in weights.items()))
        out /= out.mean()
        return out if idx is None else out[idx]

    def age(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        return (day - self.dob[person]) / YEAR

    def in_custody(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        cp, key, ce = self._custody
        i = np.searchsorted(key, person_day_key(person, day), side="right") - 1
        ok = i >= 0
        i = np.maximum(i, 0)
        return ok & (cp[i] == person) & (ce[i] >= day) if len(cp) else np.zeros(len(day), bool)

    def address(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Row in ctx.addresses of each person's address on each day."""
        return address_at(self.addresses, person, np.asarray(day).astype("datetime64[D]"))[0]

    def lsoa(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        return self.addresses["lsoa_code"].to_numpy()[self.address(person, day)]

    def events(self, rng: np.random.Generator, weight: np.ndarray,
               curve: Callable[[np.ndarray, np.ndarray], np.ndarray], first: int,
               cap: float) -> tuple[np.ndarray, np.ndarray]:
        """A Poisson process at weight[i] x curve(age, male) a year (curve <= cap) for people on
        PDS from `first` (day number) to death or the end of 2023: (person, day) by thinning."""
        lo = np.maximum(self.start, first)
        hi = np.where(self.on_pds, self.end, lo - 1)
        span = np.maximum(hi - lo + 1, 0)
        count = rng.poisson(weight * cap * span / YEAR)
        person = np.repeat(np.arange(self.n), count)
        day = lo[person] + (rng.random(len(person)) * span[person]).astype(np.int64)
        rate = curve(self.age(person, day), self.male[person])
        keep = rng.random(len(person)) * cap < rate
        return person[keep], day[keep]


# PDS ------------------------------------------------------------------------------------------


def _on_pds(ctx: WorldContext, rng: np.random.Generator) -> np.ndarray:
    p = ctx.persons
    arrival = day_numbers(p["arrival_date"])
    recent = (arrival <= WORLD_END) & (arrival > WORLD_END - 2 * YEAR)
    child = day_numbers(p["dob"]) > WORLD_END - 16 * YEAR
    missing = (0.007 + 0.03 * p["born_abroad"].to_numpy(bool) + 0.15 * recent
               + 0.01 * child + 0.01 * (p["imd_decile"].to_numpy() <= 2))
    return rng.random(len(p)) >= missing


def _transliterate(name: str, u: float) -> str:
    rules = [(a, b) for a, b in _TRANSLITERATION if re.search(a, name)]
    if not rules:
        return name
    a, b = rules[int(u * len(rules))]
    return re.sub(a, b, name, count=1)


def _vary_names(rng: np.random.Generator, ctx: WorldContext, person: np.ndarray,
                forename: np.ndarray, surname: np.ndarray) -> None:
    """Transliterated forenames and hyphenated surnames, more for minority-ethnic and deprived
    people (in place)."""
    p = ctx.persons
    minority = (p["ethnic_group"] != "White").to_numpy()[person]
    deprived = (p["imd_decile"].to_numpy() <= 3)[person]
    k = len(person)
    for i in np.flatnonzero(rng.random(k) < 0.005 + 0.06 * minority + 0.02 * deprived):
        if forename[i]:
            forename[i] = _transliterate(forename[i], rng.random())
    hyphen = np.flatnonzero(rng.random(k) < 0.004 + 0.03 * minority + 0.02 * deprived)
    other = p["birth_surname"].to_numpy(dtype=object)[rng.integers(0, len(p), len(hyphen))]
    surname[hyphen] = [f"{s}-{o.upper()}" if s and "-" not in s else s
                       for s, o in zip(surname[hyphen], other, strict=True)]


def _pds(ctx: WorldContext, pt: Patients, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """One row per person on PDS and address held since registration (the last four)."""
    a = ctx.addresses
    person = a["person_idx"].to_numpy()
    reg = pt.start[person]
    from_day, to_day = day_numbers(a["from_date"]), day_numbers(a["to_date"])
    first_move = np.where(a["seq"].to_numpy() == 1, to_day, OPEN)
    drawn = uniform_ints(rng, reg, np.minimum(np.minimum(first_move, day_number("2009-12-31")),
                                              WORLD_END), len(a))
    since = np.where(a["seq"].to_numpy() == 1, drawn, np.maximum(from_day, reg))
    held = pt.on_pds[person] & (to_day >= reg) & (since <= pt.end[person])
    rows = pd.DataFrame({"person_idx": person, "address_row": np.arange(len(a)),
                         "since": np.minimum(since, pt.end[person])})[held]
    # the latest move not yet on PDS: more often for minority-ethnic and deprived people
    p = ctx.persons
    stale_p = (0.03 + 0.04 * (p["ethnic_group"] != "White").to_numpy()
               + 0.03 * (p["imd_decile"].to_numpy() <= 3))
    rank = rows.groupby("person_idx").cumcount(ascending=False).to_numpy()
    stale = (rng.random(pt.n) < stale_p)[rows["person_idx"].to_numpy()]
    count = rows.groupby("person_idx")["since"].transform("size").to_numpy()
    rows = rows[~(stale & (rank == 0) & (count > 1))]
    rows = rows[rows.groupby("person_idx").cumcount(ascending=False) < 4]
    rows = rows.assign(address_from_date=_dates(rows["since"].to_numpy()))
    rows = issue_ids(rng, rows.drop(columns="since").reset_index(drop=True),
                     "address_from_date", "pds")
    held_now = np.flatnonzero(pt.on_pds)
    now = pd.DataFrame({"person_idx": held_now, "held": _dates(pt.end[held_now])})
    profile = ERROR_PROFILES["pds"]
    ids = make_identifiers(now, ctx.persons.reset_index(drop=True), a, profile, "%Y-%m-%d",
                           rng, "held")
    forename = ids["forename"].to_numpy(dtype=object)
    surname = ids["surname"].to_numpy(dtype=object)
    _vary_names(rng, ctx, held_now, forename, surname)
    slot = np.searchsorted(held_now, rows["person_idx"].to_numpy())
    pcode = pd.Series(a["postcode"].to_numpy(dtype=object)[rows["address_row"].to_numpy()])
    nospace = rng.random(len(rows)) < 0.03
    pcode[nospace] = pcode[nospace].str.replace(" ", "", regex=False)
    deprived = (p["imd_decile"].to_numpy() <= 2)[rows["person_idx"].to_numpy()]
    pcode[rng.random(len(rows)) < profile.postcode_missing * (1 + deprived)] = None
    return extract(ctx, "pds", rows, {
        "pds_record_id": rows["record_id"], "nhs_number": pt.nhs[rows["person_idx"].to_numpy()],
        "given_name": forename[slot], "family_name": surname[slot],
        "date_of_birth": ids["dob"].str.replace("-", "", regex=False).to_numpy(dtype=object)[slot],
        "gender": ids["sex"].map({"M": "1", "F": "2"}).to_numpy(dtype=object)[slot],
        "postcode": pcode.to_numpy(dtype=object), "address_from_date": rows["address_from_date"],
    })


# Deaths ---------------------------------------------------------------------------------------


def _deaths(ctx: WorldContext, pt: Patients, deaths: pd.DataFrame,
            rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """raw.ons_deaths (registration order) and truth.deaths, from the deaths drawn."""
    p, day, cause = (deaths[c].to_numpy() for c in ("person_idx", "day", "cause"))
    k = len(p)
    age = np.floor(pt.age(p, day)).astype(int)
    underlying = deaths["code"].to_numpy()
    external = cause != NAT
    delay = np.where(external, 30 + rng.lognormal(np.log(120), 0.6, k),
                     1 + rng.gamma(2.0, 2.5, k)).astype(np.int64)
    second = np.select(
        [cause == NAT, cause == SUI, cause == DRUG],
        [draw_codes(rng, listed("long_term_physical"), k),
         np.where(rng.random(k) < 0.5, draw_codes(rng, listed("mood"), k),
                  draw_codes(rng, DRUG_POISONING_T, k)),
         draw_codes(rng, DRUG_POISONING_T, k)],
        draw_codes(rng, INJURY, k))
    second[rng.random(k) < np.where(cause == NAT, 0.4, 0.15)] = None
    third = np.where(rng.random(k) < sigmoid(-1.5 + 1.2 * pt.z["substance_misuse"][p]),
                     draw_codes(rng, listed("substance_use"), k), None)
    fourth = np.where((cause == NAT) & (rng.random(k) < 0.3),
                      draw_codes(rng, listed("long_term_physical"), k), None)
    mentioned = np.stack([underlying, second, third, fourth, np.full(k, None)], axis=1)
    # causes mentioned fill the slots in order
    order = np.argsort(pd.isna(mentioned), axis=1, kind="stable")
    mentioned = np.take_along_axis(mentioned, order, axis=1)
    nhs = np.where(pt.on_pds[p] & (rng.random(k) >= 0.002), pt.nhs[p], None)
    reg = (day + delay).astype("datetime64[D]").astype("datetime64[ns]")
    rows = issue_ids(rng, pd.DataFrame({"person_idx": p, "reg": reg}), "reg", "ons_deaths")
    s = rows["source_row"].to_numpy()
    raw = pd.DataFrame({
        "death_record_id": rows["record_id"].to_numpy(), "nhs_number": nhs[s],
        "reg_date_of_death": _dates(day[s]), "reg_date": reg[s],
        "s_underlying_cod_icd10": underlying[s],
        **{c: mentioned[s, i] for i, c in enumerate(CAUSES)},
        "dec_sex": np.where(pt.male[p[s]], "1", "2").astype(object), "dec_agec": age[s],
        "dec_lsoa11": pt.lsoa(p[s], day[s]),
    })
    pid = ctx.persons["person_id"].to_numpy()
    truth = pd.DataFrame({"death_record_id": raw["death_record_id"], "person_id": pid[p[s]],
                          "date_of_death": raw["reg_date_of_death"],
                          "cause_group": np.array(CAUSE_GROUPS, dtype=object)[cause[s]]})
    return {"raw.ons_deaths": raw, "truth.deaths": truth}


# Hospital activity ----------------------------------------------------------------------------


def _person_codes(rng: np.random.Generator, pt: Patients) -> tuple[np.ndarray, np.ndarray]:
    """Each person's mental-health code (F20-F48) and substance code (F10-F19), should one be
    recorded: the same condition every time."""
    psychosis = rng.random(pt.n) < sigmoid(-2.6 + 0.8 * pt.z["mental_health"])
    which = np.where(psychosis, 0, np.where(rng.random(pt.n) < 0.6, 1, 2))
    mh = np.empty(pt.n, dtype=object)
    for j in range(3):
        at = which == j
        mh[at] = draw_codes(rng, listed(CONDITIONS[j]), int(at.sum()))
    sub = draw_codes(rng, listed("substance_use"), pt.n)
    alcohol = rng.random(pt.n) < 0.55
    sub[alcohol] = "F10" + rng.integers(0, 10, int(alcohol.sum())).astype(str).astype(object)
    return mh, sub


def _specialty(diag: np.ndarray, age: np.ndarray, male: np.ndarray) -> np.ndarray:
    first = pd.Series(diag).str[0].fillna("").to_numpy()
    return np.select(
        [age < 16, first == "C", first == "I", first == "J", np.isin(first, ["S", "T", "M"]),
         first == "O", (first == "N") & male, first == "N", np.isin(first, ["K", "D", "H"]),
         first == "Z"],
        ["420", "800", "320", "340", "110", "501", "101", "502", "100", "800"], "300",
    ).astype(object)


_AE_OF_LETTER = {"I": "25", "J": "26", "K": "27", "E": "30", "G": "21", "S": "03", "T": "14",
                 "X": "14", "F": "35", "D": "24"}  # fmt: skip
_AE_BACKGROUND = {"01": 0.14, "03": 0.12, "05": 0.1, "08": 0.06, "12": 0.02, "21": 0.05,
                  "22": 0.03, "23": 0.03, "24": 0.01, "25": 0.07, "26": 0.1, "27": 0.09,
                  "30": 0.03, "38": 0.15}  # fmt: skip
_AE_DISCHARGED = {"02": 0.3, "03": 0.35, "04": 0.04, "07": 0.02, "11": 0.08, "12": 0.05,
                  "13": 0.02, "14": 0.04}  # fmt: skip


def _ae_of(diag: np.ndarray) -> np.ndarray:
    return pd.Series(diag).str[0].map(_AE_OF_LETTER).fillna("38").to_numpy(dtype=object)


def _spells(rng: np.random.Generator, pt: Patients, deaths: pd.DataFrame) -> pd.DataFrame:
    """Every hospital event, one row each: person, admit (day), los (days), kind, admimeth,
    diag1, diag2, admitted (an APC spell), ae_diag / ae_disp (an A&E attendance, if any)."""
    parts: list[pd.DataFrame] = []

    def add(person, day, kind, admimeth, los, diag1, diag2=None, admitted=True, ae_diag=None,
            ae_disp=None) -> None:
        n = len(person)

        def full(v) -> np.ndarray:
            return np.broadcast_to(np.asarray(v, dtype=object), n)

        parts.append(pd.DataFrame({
            "person": person, "admit": day, "los": np.asarray(los, dtype=np.int64) * admitted,
            "kind": kind, "admimeth": full(admimeth), "diag1": full(diag1), "diag2": full(diag2),
            "admitted": admitted, "ae_diag": full(ae_diag), "ae_disp": full(ae_disp)}))

    chronic = listed("long_term_physical")
    letters = {"C": 0.25, "E": 0.12, "G": 0.06, "I": 0.25, "J": 0.17, "K": 0.1, "N": 0.05}
    ones = np.ones(pt.n)
    # elective
    p, d = pt.events(rng, ones, lambda a, m: 0.02 + 0.2 * sigmoid((a - 60) / 10), HES_FROM, 0.22)
    n = len(p)
    add(p, d, "elective", _pick(rng, {"11": 0.5, "12": 0.3, "13": 0.2}, n),
        np.where(rng.random(n) < 0.6, 0, 1 + rng.gamma(1.5, 2, n)),
        np.where(rng.random(n) < 0.45, draw_codes(rng, chronic, n, letters),
                 draw_codes(rng, ELECTIVE, n)))
    # emergency
    w = pt.z_of({"physical_health": 0.35, "ill_health": 0.25, "substance_misuse": 0.15,
                 "mental_health": 0.1})
    p, d = pt.events(rng, w, lambda a, m: np.select(
        [a < 1, a < 16, a < 40, a < 65, a < 80], [0.15, 0.04, 0.04, 0.07, 0.14], 0.3),
        HES_FROM, 0.3)
    n = len(p)
    meth = _pick(rng, {"21": 0.7, "22": 0.15, "24": 0.03, "28": 0.07, "2A": 0.05}, n)
    diag = np.where(rng.random(n) < 0.5, draw_codes(rng, chronic, n, letters),
                    draw_codes(rng, EMERGENCY, n))
    add(p, d, "emergency", meth, rng.gamma(1.0, 3 + np.maximum(pt.age(p, d) - 40, 0) / 8),
        diag, ae_diag=np.where(meth == "21", _ae_of(diag), None), ae_disp="01")
    # maternity
    p, d = pt.events(rng, ones, lambda a, m: np.where(
        m | (a < 15) | (a > 49), 0.0, 0.085 * np.exp(-0.5 * ((a - 30) / 6) ** 2)), HES_FROM, 0.085)
    add(p, d, "maternity", _pick(rng, {"31": 0.7, "32": 0.3}, len(p)), rng.integers(0, 4, len(p)),
        draw_codes(rng, MATERNITY, len(p)))
    # mental health admissions
    w = pt.z_of({"mental_health": 1.3, "substance_misuse": 0.4})
    p, d = pt.events(rng, w, lambda a, m: np.where(a < 12, 0.0, 0.0012), HES_FROM, 0.0012)
    n = len(p)
    meth = _pick(rng, {"21": 0.3, "25": 0.3, "11": 0.15, "28": 0.15, "81": 0.1}, n)
    add(p, d, "mental_health", meth, rng.gamma(0.9, 40, n), pt.mh_code[p],
        ae_diag=np.where(meth == "21", "35", None), ae_disp="01")
    # self-harm: an A&E attendance, half admitted (injury / poisoning primary, X60-X84 secondary)
    w = pt.z_of({"mental_health": 1.0, "substance_misuse": 0.6, "ill_health": 0.3})
    p, d = pt.events(rng, w, lambda a, m: np.where(a < 10, 0.0, np.where(m, 0.0015, 0.002) * (
        1 + 2 * ((a >= 15) & (a < 25))) * np.where(a >= 60, 0.4, 1.0)), HES_FROM, 0.006)
    n = len(p)
    poison = rng.random(n) < 0.8
    self_poison = within("self_harm", "drug_poisoning")  # X60-X64
    admitted = rng.random(n) < 0.5
    add(p, d, "self_harm", "21", rng.integers(0, 3, n),
        np.where(poison, draw_codes(rng, DRUG_POISONING_T, n), draw_codes(rng, WRIST_INJURY, n)),
        np.where(poison, draw_codes(rng, self_poison, n),
                 "X78" + rng.integers(0, 10, n).astype(str).astype(object)),
        admitted=admitted, ae_diag=np.where(poison, "14", "01"),
        ae_disp=np.where(admitted, "01", _pick(rng, {"02": .3, "03": .2, "11": .35, "12": .1,
                                                      "13": .05}, n)))
    # substance episodes: an A&E attendance, half admitted
    p, d = pt.events(rng, pt.z_of({"substance_misuse": 1.4}),
                     lambda a, m: np.where((a >= 16) & (a < 75), 0.0015, 0.0), HES_FROM, 0.0015)
    n = len(p)
    admitted = rng.random(n) < 0.5
    add(p, d, "substance", "21", rng.gamma(1.0, 3, n), pt.sub_code[p], admitted=admitted,
        ae_diag=np.where(rng.random(n) < 0.6, "14", "38"),
        ae_disp=np.where(admitted, "01", _pick(rng, _AE_DISCHARGED, n)))
    # A&E only: background attendances and mental-health crises
    w = pt.z_of({"physical_health": 0.3, "ill_health": 0.2, "substance_misuse": 0.3,
                 "mental_health": 0.2})
    p, d = pt.events(rng, w, lambda a, m: np.select(
        [a < 5, a < 15, a < 30, a < 65, a < 80], [0.35, 0.18, 0.25, 0.16, 0.22], 0.4), AE_FROM, 0.4)
    add(p, d, "ae", None, 0, None, admitted=False,
        ae_diag=_pick(rng, _AE_BACKGROUND, len(p)), ae_disp=_pick(rng, _AE_DISCHARGED, len(p)))
    p, d = pt.events(rng, pt.z_of({"mental_health": 1.3, "substance_misuse": 0.3}),
                     lambda a, m: np.where(a < 12, 0.0, 0.004), AE_FROM, 0.004)
    add(p, d, "crisis", None, 0, None, admitted=False, ae_diag="35",
        ae_disp=_pick(rng, {"11": .5, "02": .2, "03": .1, "12": .1, "13": .1}, len(p)))
    # deaths: most natural and some external ones in hospital, some in A&E
    dp, dd, cause = (deaths[c].to_numpy() for c in ("person_idx", "day", "cause"))
    code = deaths["code"].to_numpy()
    onp = pt.on_pds[dp]
    u = rng.random(len(dp))
    in_hospital = onp & (u < np.array([0.45, 0.05, 0.08, 0.3])[cause])
    in_ae = onp & ~in_hospital & (u > 1 - np.array([0.05, 0.1, 0.15, 0.2])[cause])
    los = np.minimum(rng.gamma(1.0, 7, len(dp)).astype(np.int64), dd - pt.start[dp])
    injury = np.where(cause == DRUG, draw_codes(rng, DRUG_POISONING_T, len(dp)),
                      draw_codes(rng, INJURY, len(dp)))
    primary = np.where(cause == NAT, code, injury)
    ae = np.where(cause == NAT, _ae_of(code), np.where(cause == DRUG, "14", "03"))
    h = np.flatnonzero(in_hospital)
    add(dp[h], dd[h] - los[h], "death", "21", los[h], primary[h],
        np.where(cause[h] == NAT, None, code[h]), ae_diag=ae[h], ae_disp="01")
    a = np.flatnonzero(in_ae)
    add(dp[a], dd[a], "death_ae", None, 0, None, admitted=False, ae_diag=ae[a], ae_disp="10")
    ev = pd.concat(parts, ignore_index=True)
    # nothing after death: the death spell (or the death) ends each dying person's record
    cutoff = pt.death.copy()
    cutoff[dp[h]] = dd[h] - los[h]
    p = ev["person"].to_numpy()
    last_day = ev["admit"].to_numpy() + ev["los"].to_numpy()
    keep = ev["kind"].isin(["death", "death_ae"]).to_numpy() | (last_day < cutoff[p])
    return ev[keep].reset_index(drop=True)


def _diagnoses(rng: np.random.Generator, pt: Patients, sp: pd.DataFrame) -> np.ndarray:
    """(spells, 20) ICD-10 codes: primary, the forced secondary (self-harm, external cause),
    the person's mental-health and substance codes (more often with more need), long-term
    conditions (more with age and physical need)."""
    p, kind = sp["person"].to_numpy(), sp["kind"].to_numpy()
    k = len(sp)
    age = pt.age(p, sp["admit"].to_numpy())
    spell, code = [np.arange(k)], [sp["diag1"].to_numpy(dtype=object)]
    for mask, values in (
        (sp["diag2"].notna().to_numpy(), sp["diag2"].to_numpy(dtype=object)),
        ((kind != "mental_health") & (age >= 5) & (rng.random(k) < sigmoid(
            -4.9 + 1.1 * pt.z["mental_health"][p])), pt.mh_code[p]),
        ((kind != "substance") & (age >= 13) & (rng.random(k) < sigmoid(
            -5.0 + 1.2 * pt.z["substance_misuse"][p])), pt.sub_code[p]),
    ):
        spell.append(np.flatnonzero(mask))
        code.append(values[mask])
    n_chronic = np.minimum(rng.poisson(
        (0.15 + 0.04 * np.maximum(age - 40, 0)) * pt.z_of({"physical_health": 0.3}, p)), 16)
    rep = np.repeat(np.arange(k), n_chronic)
    spell.append(rep)
    code.append(draw_codes(rng, listed("long_term_physical"), len(rep)))
    spell_all, code_all = np.concatenate(spell), np.concatenate(code)
    order = np.argsort(spell_all, kind="stable")
    spell_all, code_all = spell_all[order], code_all[order]
    slot = np.arange(len(spell_all)) - np.searchsorted(spell_all, spell_all)
    keep = slot < len(DIAGNOSES)
    out = np.full((k, len(DIAGNOSES)), None, dtype=object)
    out[spell_all[keep], slot[keep]] = code_all[keep]
    return out


def _apc(rng: np.random.Generator, pt: Patients, ev: pd.DataFrame) -> pd.DataFrame:
    """HES APC episodes of the admitted events (a few spells in two episodes)."""
    sp = ev[ev["admitted"].to_numpy(dtype=bool)].reset_index(drop=True)
    k = len(sp)
    p, kind = sp["person"].to_numpy(), sp["kind"].to_numpy()
    admit, los = sp["admit"].to_numpy(), sp["los"].to_numpy()
    dis = admit + los
    diag = _diagnoses(rng, pt, sp)
    meth = sp["admimeth"].to_numpy(dtype=object)
    custody = pt.in_custody(p, admit)
    age = pt.age(p, admit)
    spef = np.where(kind == "mental_health", np.select(
        [age < 18, custody, age >= 65], ["711", "712", "715"], "710"),
        _specialty(sp["diag1"].to_numpy(dtype=object), age, pt.male[p])).astype(object)
    source = np.where(custody, "39", np.where(meth == "81", _pick(rng, {"49": .7, "51": .3}, k),
                                              _pick(rng, {"19": .9, "29": .02, "49": .02,
                                                          "65": .02, "99": .04}, k)))
    how = np.where(np.isin(kind, ["mental_health", "self_harm", "substance"]),
                   _pick(rng, {"1": .82, "2": .1, "3": .06, "9": .02}, k),
                   _pick(rng, {"1": .95, "2": .03, "9": .02}, k))
    how = np.where(kind == "death", "4", np.where((how == "3") & (kind != "mental_health"), "1",
                                                  how))
    two = (los >= 2) & (rng.random(k) < 0.12)
    split = admit + uniform_ints(rng, 1, np.maximum(los - 1, 1), k)
    s = np.repeat(np.arange(k), 1 + two)
    second = np.r_[False, s[1:] == s[:-1]]
    final = ~two[s] | second
    epistart = np.where(second, split[s], admit[s])
    epiend = np.where(two[s] & ~second, split[s], dis[s])
    keep = epistart <= WORLD_END
    s, final, epistart, epiend = s[keep], final[keep], epistart[keep], epiend[keep]
    open_ = dis[s] > WORLD_END
    eps = pd.DataFrame({"person_idx": p[s], "epistart": _dates(epistart), "s": s})
    eps = issue_ids(rng, eps, "epistart", "hes_apc")
    r = eps["source_row"].to_numpy()
    s, final, open_ = s[r], final[r], open_[r]
    person = p[s]
    sex = np.where(pt.male[person], "1", "2").astype(object)
    sex[rng.random(len(s)) < 0.001] = "9"
    ethnos = pt.ethnos[person].copy()
    u = rng.random(len(s))
    ethnos[u < 0.06] = np.where(u[u < 0.06] < 0.04, "Z", "99")
    return pd.DataFrame({
        "epikey": eps["record_id"].to_numpy(), "nhs_number": pt.nhs[person],
        "admidate": _dates(admit[s]), "disdate": _dates(np.where(final, dis[s], OPEN)),
        "epistart": _dates(epistart[r]), "epiend": _dates(epiend[r]),
        "admimeth": meth[s], "admisorc": source[s],
        "dismeth": np.where(final & ~open_, how[s], "8").astype(object),
        "startage": np.floor(pt.age(person, epistart[r])).astype(int),
        "sex": sex, "ethnos": ethnos, "mainspef": spef[s],
        **{c: diag[s, i] for i, c in enumerate(DIAGNOSES)},
        "lsoa11": pt.lsoa(person, admit[s]),
    })


def _ae(rng: np.random.Generator, pt: Patients, ev: pd.DataFrame) -> pd.DataFrame:
    """HES A&E attendances of the events with an A&E diagnosis, from 2007."""
    a = ev[ev["ae_diag"].notna().to_numpy() & (ev["admit"].to_numpy() >= AE_FROM)]
    p, day = a["person"].to_numpy(), a["admit"].to_numpy()
    rows = issue_ids(rng, pd.DataFrame({"person_idx": p, "arrival": _dates(day)}), "arrival",
                     "hes_ae")
    r = rows["source_row"].to_numpy()
    second = np.where(rng.random(len(a)) < 0.2, _pick(rng, _AE_BACKGROUND, len(a)), None)
    return pd.DataFrame({
        "aekey": rows["record_id"].to_numpy(), "nhs_number": pt.nhs[p[r]],
        "arrivaldate": rows["arrival"].to_numpy(),
        "aeattenddisp": a["ae_disp"].to_numpy(dtype=object)[r],
        "diag_01": a["ae_diag"].to_numpy(dtype=object)[r], "diag_02": second,
        "lsoa11": pt.lsoa(p[r], day[r]),
    })


# Mental Health Services Data Set --------------------------------------------------------------

REFERRAL_RATE = 0.008  # referrals a person-year at mean need (adults)
_REASON_OF_CATEGORY = {"F2": "10", "F3": "05", "F4": "06"}
_METHOD_MH = {"11": "11", "21": "21", "25": "25", "28": "28", "81": "2B"}


def _reasons(rng: np.random.Generator, pt: Patients, p: np.ndarray, day: np.ndarray,
             crisis: np.ndarray) -> np.ndarray:
    k = len(p)
    code = pt.mh_code[p]
    out = pd.Series(code).str[:2].map(_REASON_OF_CATEGORY).to_numpy(dtype=object)
    out[(pd.Series(code).str[:3] == "F31").to_numpy()] = "11"
    out[(pd.Series(code).str[:3] == "F40").to_numpy()] = "08"
    out[pt.z["substance_misuse"][p] > pt.z["mental_health"][p] + 0.5] = "02"
    out[(pt.age(p, day) >= 70) & (rng.random(k) < 0.5)] = "01"
    u = rng.random(k)
    out = np.select([u < 0.08, u < 0.14, u < 0.18, u < 0.22, u < 0.25],
                    ["17", "15", "14", "18", "24"], out).astype(object)
    out[crisis & (rng.random(k) < 0.4)] = "17"
    return out


def _mhsds(ctx: WorldContext, rng: np.random.Generator, pt: Patients,
           ev: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """MHS101 referrals (by need, from MHTR orders, one per mental-health admission), MHS201
    care contacts, MHS501 spells (the admissions) and MHS001 MPI rows."""
    w = pt.z_of({"mental_health": 1.2, "substance_misuse": 0.4, "ill_health": 0.2})
    p1, d1 = pt.events(rng, w, lambda a, m: REFERRAL_RATE * np.select(
        [a < 5, a < 18, a < 65, a < 75], [0.0, 0.8, 1.0, 0.8], 1.2), MHSDS_FROM,
        1.2 * REFERRAL_RATE)
    prob = ctx.tables["raw.probation"]
    pp = record_persons(ctx, "probation")
    mhtr = prob["requirements"].fillna("").str.contains("MHTR").to_numpy() & (pp >= 0)
    p2 = pp[mhtr]
    d2 = day_numbers(prob["referral_date"])[mhtr] + rng.integers(7, 61, len(p2))
    ok = pt.on_pds[p2] & (d2 >= np.maximum(pt.start[p2], MHSDS_FROM)) & (d2 <= pt.end[p2])
    p2, d2 = p2[ok], d2[ok]
    adm = ev[(ev["kind"] == "mental_health").to_numpy() & (ev["admit"].to_numpy() >= MHSDS_FROM)]
    p3, a3 = adm["person"].to_numpy(), adm["admit"].to_numpy()
    d3 = np.maximum(a3 - rng.integers(0, 4, len(p3)), np.maximum(pt.start[p3], MHSDS_FROM))
    p = np.r_[p1, p2, p3]
    day = np.r_[d1, d2, d3]
    k = len(p)
    spell = np.r_[np.full(len(p1) + len(p2), -1), np.arange(len(p3))]
    spell_end = np.where(spell >= 0, (a3 + adm["los"].to_numpy())[np.maximum(spell, 0)], 0)
    disc = np.where(spell >= 0, spell_end + rng.gamma(1.0, 90, k),
                    day + rng.gamma(0.8, 300, k)).astype(np.int64)
    disc = np.where(spell_end > WORLD_END, OPEN, np.minimum(disc, pt.death[p]))
    provider = PROVIDERS[pt.lad_of_address[pt.address(p, day)] % len(PROVIDERS)]
    refs = issue_ids(rng, pd.DataFrame({"person_idx": p, "received": _dates(day)}), "received",
                     "mhsds_referrals")
    r = refs["source_row"].to_numpy()
    ref_id = np.empty(k, dtype=object)
    ref_id[r] = refs["record_id"].to_numpy()
    out = {"raw.mhsds_referrals": pd.DataFrame({
        "servicerequestid": ref_id[r], "nhs_number": pt.nhs[p[r]], "orgidprov": provider[r],
        "referralrequestreceiveddate": refs["received"].to_numpy(),
        "servdischdate": _dates(disc[r]),
        "primreasonreferralmh": _reasons(rng, pt, p, day, spell >= 0)[r]})}
    # care contacts within each referral
    n_contacts = 1 + rng.poisson(4 * np.exp(0.3 * pt.z["mental_health"][p])) + 3 * (spell >= 0)
    c = np.repeat(np.arange(k), n_contacts)
    last = np.minimum(disc, pt.end[p])
    cday = uniform_ints(rng, day[c], last[c], len(c))
    dna = np.clip(0.08 * np.exp(0.4 * pt.z["substance_misuse"] + 0.2 * pt.z["low_income"]),
                  0, 0.4)[p[c]]
    attend = np.where(rng.random(len(c)) < dna, "3", _pick(
        rng, {"5": .86, "6": .03, "7": .01, "2": .06, "4": .04}, len(c))).astype(object)
    contacts = issue_ids(rng, pd.DataFrame({"person_idx": p[c], "on": _dates(cday)}), "on",
                         "mhsds_care_contacts")
    cr = contacts["source_row"].to_numpy()
    out["raw.mhsds_care_contacts"] = pd.DataFrame({
        "carecontid": contacts["record_id"].to_numpy(), "nhs_number": pt.nhs[p[c[cr]]],
        "servicerequestid": ref_id[c[cr]], "carecontdate": contacts["on"].to_numpy(),
        "attendornot": attend[cr]})
    # inpatient spells: the mental-health admissions
    h = np.flatnonzero(spell >= 0)
    spells = issue_ids(rng, pd.DataFrame({"person_idx": p[h], "start": _dates(a3[spell[h]])}),
                       "start", "mhsds_hosp_spells")
    hr = h[spells["source_row"].to_numpy()]
    out["raw.mhsds_hosp_spells"] = pd.DataFrame({
        "hospprovspellid": spells["record_id"].to_numpy(), "nhs_number": pt.nhs[p[hr]],
        "servicerequestid": ref_id[hr], "startdatehospprovspell": spells["start"].to_numpy(),
        "dischdatehospprovspell": _dates(spell_end[hr]),
        "methadmmhhospprovspell": pd.Series(adm["admimeth"].to_numpy()[spell[hr]]).map(
            _METHOD_MH).to_numpy(dtype=object)})
    # one MPI row per person and provider, from the first referral's month
    first = pd.DataFrame({"person": p, "provider": provider, "day": day}).sort_values(
        "day", kind="stable").drop_duplicates(["person", "provider"])
    mp, md = first["person"].to_numpy(), first["day"].to_numpy()
    month = md.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[ns]")
    mpi = issue_ids(rng, pd.DataFrame({"person_idx": mp, "month": month}), "month", "mhsds_mpi")
    mr = mpi["source_row"].to_numpy()
    ethnic = pt.ethnos[mp[mr]].copy()
    ethnic[rng.random(len(mr)) < 0.03] = "Z"
    out["raw.mhsds_mpi"] = pd.DataFrame({
        "mpi_record_id": mpi["record_id"].to_numpy(), "nhs_number": pt.nhs[mp[mr]],
        "orgidprov": first["provider"].to_numpy()[mr], "ethniccategory": ethnic,
        "gender": np.where(pt.male[mp[mr]], "1", "2").astype(object),
        "lsoa2011": pt.lsoa(mp[mr], md[mr]), "recordstartdate": mpi["month"].to_numpy()})
    return out


# The generator --------------------------------------------------------------------------------


def generate(ctx: WorldContext) -> dict[str, pd.DataFrame]:
    """raw.pds (and its truth.record_person rows), raw.hes_apc, raw.hes_ae, raw.mhsds_*,
    raw.ons_deaths and truth.deaths."""
    n = len(ctx.persons)
    mortality = Mortality(ctx, last_records(ctx), supervision_periods(ctx))
    deaths = mortality.deaths(ctx.rng("nhs_mortality"), n)
    death = np.full(n, OPEN, dtype=np.int64)
    death[deaths["person_idx"].to_numpy()] = deaths["day"].to_numpy()
    pt = Patients(ctx, death, _on_pds(ctx, ctx.rng("pds_coverage")))
    drng = ctx.rng("ons_deaths")
    age = pt.age(deaths["person_idx"].to_numpy(), deaths["day"].to_numpy())
    deaths["code"] = death_causes(drng, deaths["cause"].to_numpy(), age)
    out = _pds(ctx, pt, ctx.rng("pds"))
    out.update(_deaths(ctx, pt, deaths, drng))
    hrng = ctx.rng("nhs_hospital")
    pt.mh_code, pt.sub_code = _person_codes(hrng, pt)
    events = _spells(hrng, pt, deaths)
    out["raw.hes_apc"] = _apc(hrng, pt, events)
    out["raw.hes_ae"] = _ae(ctx.rng("nhs_ae"), pt, events)
    out.update(_mhsds(ctx, ctx.rng("nhs_mhsds"), pt, events))
    out["journey.mortality_expected"] = pd.DataFrame(
        {"figure": list(mortality.expected), "expected": list(mortality.expected.values())})
    return out
