"""Hospital activity of the wave-3 world: HES admitted patient care and A&E.

Only people on PDS, from arrival or birth to death or the end of 2023. HES APC spells 2000-2023
of elective, emergency (more with physical, ill health and substance needs), maternity,
mental-health (F20-F48 / F10-F19 primary, specialties 710-715), self-harm (an injury / poisoning
S / T primary with X60-X84 secondary) and substance admissions, a few spells of two episodes;
secondary diagnoses of long-term conditions and of the person's mental-health or substance
condition (`person_codes`); source of admission 39 in custody (the careers' custody journeys);
one final spell with discharge method 4 for most natural and some external deaths. A&E
attendances 2007-2023: background, one per emergency admission via A&E (disposal 01), self-harm
(14 poisoning / 01 laceration), mental-health crises (35) and substance episodes, and some deaths
in the department. No record falls after the person's death.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.catalog.icd10 import CodeList
from bold_assets.catalog.sources.nhs import DIAGNOSES
from bold_assets.world.icd10_codes import (
    DRUG_POISONING_T,
    INJURY,
    categories,
    draw_codes,
    listed,
    within,
)
from bold_assets.world.labour_market import OPEN, WORLD_END, day_number, sigmoid, uniform_ints
from bold_assets.world.mortality import DRUG, NAT
from bold_assets.world.patients import Patients, pick, to_dates
from bold_assets.world.records import issue_ids

HES_FROM = day_number("2000-01-01")
AE_FROM = day_number("2007-01-01")

CONDITIONS = ("schizophrenia", "mood", "neurotic", "substance_use")
# Codes outside the declared lists: common elective, emergency, maternity and injury reasons.
ELECTIVE = np.array(["H25", "M17", "M16", "K40", "K80", "N40", "K57", "D12", "Z51", "N20",
                     "M23", "H26"], dtype=object)  # fmt: skip
EMERGENCY = np.array(["J18", "N39", "R10", "R07", "A09", "K35", "L03", "R55", "J06", "S72",
                      "S06", "R51"], dtype=object)  # fmt: skip
MATERNITY = np.array(["O80", "O70", "O34", "O42", "O99", "O48", "O62"], dtype=object)
WRIST_INJURY = categories(CodeList("s_arm", "injuries to forearm, wrist and hand",
                                   (("S50", "S69"),)))


def person_codes(rng: np.random.Generator, pt: Patients) -> tuple[np.ndarray, np.ndarray]:
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


def hospital_events(rng: np.random.Generator, pt: Patients, deaths: pd.DataFrame) -> pd.DataFrame:
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
    add(p, d, "elective", pick(rng, {"11": 0.5, "12": 0.3, "13": 0.2}, n),
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
    meth = pick(rng, {"21": 0.7, "22": 0.15, "24": 0.03, "28": 0.07, "2A": 0.05}, n)
    diag = np.where(rng.random(n) < 0.5, draw_codes(rng, chronic, n, letters),
                    draw_codes(rng, EMERGENCY, n))
    add(p, d, "emergency", meth, rng.gamma(1.0, 3 + np.maximum(pt.age(p, d) - 40, 0) / 8),
        diag, ae_diag=np.where(meth == "21", _ae_of(diag), None), ae_disp="01")
    # maternity
    p, d = pt.events(rng, ones, lambda a, m: np.where(
        m | (a < 15) | (a > 49), 0.0, 0.085 * np.exp(-0.5 * ((a - 30) / 6) ** 2)), HES_FROM, 0.085)
    add(p, d, "maternity", pick(rng, {"31": 0.7, "32": 0.3}, len(p)), rng.integers(0, 4, len(p)),
        draw_codes(rng, MATERNITY, len(p)))
    # mental health admissions
    w = pt.z_of({"mental_health": 1.3, "substance_misuse": 0.4})
    p, d = pt.events(rng, w, lambda a, m: np.where(a < 12, 0.0, 0.0012), HES_FROM, 0.0012)
    n = len(p)
    meth = pick(rng, {"21": 0.3, "25": 0.3, "11": 0.15, "28": 0.15, "81": 0.1}, n)
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
        ae_disp=np.where(admitted, "01", pick(rng, {"02": .3, "03": .2, "11": .35, "12": .1,
                                                      "13": .05}, n)))
    # substance episodes: an A&E attendance, half admitted
    p, d = pt.events(rng, pt.z_of({"substance_misuse": 1.4}),
                     lambda a, m: np.where((a >= 16) & (a < 75), 0.0015, 0.0), HES_FROM, 0.0015)
    n = len(p)
    admitted = rng.random(n) < 0.5
    add(p, d, "substance", "21", rng.gamma(1.0, 3, n), pt.sub_code[p], admitted=admitted,
        ae_diag=np.where(rng.random(n) < 0.6, "14", "38"),
        ae_disp=np.where(admitted, "01", pick(rng, _AE_DISCHARGED, n)))
    # A&E only: background attendances and mental-health crises
    w = pt.z_of({"physical_health": 0.3, "ill_health": 0.2, "substance_misuse": 0.3,
                 "mental_health": 0.2})
    p, d = pt.events(rng, w, lambda a, m: np.select(
        [a < 5, a < 15, a < 30, a < 65, a < 80], [0.35, 0.18, 0.25, 0.16, 0.22], 0.4), AE_FROM, 0.4)
    add(p, d, "ae", None, 0, None, admitted=False,
        ae_diag=pick(rng, _AE_BACKGROUND, len(p)), ae_disp=pick(rng, _AE_DISCHARGED, len(p)))
    p, d = pt.events(rng, pt.z_of({"mental_health": 1.3, "substance_misuse": 0.3}),
                     lambda a, m: np.where(a < 12, 0.0, 0.004), AE_FROM, 0.004)
    add(p, d, "crisis", None, 0, None, admitted=False, ae_diag="35",
        ae_disp=pick(rng, {"11": .5, "02": .2, "03": .1, "12": .1, "13": .1}, len(p)))
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


def hes_apc(rng: np.random.Generator, pt: Patients, ev: pd.DataFrame) -> pd.DataFrame:
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
    source = np.where(custody, "39", np.where(meth == "81", pick(rng, {"49": .7, "51": .3}, k),
                                              pick(rng, {"19": .9, "29": .02, "49": .02,
                                                          "65": .02, "99": .04}, k)))
    how = np.where(np.isin(kind, ["mental_health", "self_harm", "substance"]),
                   pick(rng, {"1": .82, "2": .1, "3": .06, "9": .02}, k),
                   pick(rng, {"1": .95, "2": .03, "9": .02}, k))
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
    eps = pd.DataFrame({"person_idx": p[s], "epistart": to_dates(epistart), "s": s})
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
        "admidate": to_dates(admit[s]), "disdate": to_dates(np.where(final, dis[s], OPEN)),
        "epistart": to_dates(epistart[r]), "epiend": to_dates(epiend[r]),
        "admimeth": meth[s], "admisorc": source[s],
        "dismeth": np.where(final & ~open_, how[s], "8").astype(object),
        "startage": np.floor(pt.age(person, epistart[r])).astype(int),
        "sex": sex, "ethnos": ethnos, "mainspef": spef[s],
        **{c: diag[s, i] for i, c in enumerate(DIAGNOSES)},
        "lsoa11": pt.lsoa(person, admit[s]),
    })


def hes_ae(rng: np.random.Generator, pt: Patients, ev: pd.DataFrame) -> pd.DataFrame:
    """HES A&E attendances of the events with an A&E diagnosis, from 2007."""
    a = ev[ev["ae_diag"].notna().to_numpy() & (ev["admit"].to_numpy() >= AE_FROM)]
    p, day = a["person"].to_numpy(), a["admit"].to_numpy()
    rows = issue_ids(rng, pd.DataFrame({"person_idx": p, "arrival": to_dates(day)}), "arrival",
                     "hes_ae")
    r = rows["source_row"].to_numpy()
    second = np.where(rng.random(len(a)) < 0.2, pick(rng, _AE_BACKGROUND, len(a)), None)
    return pd.DataFrame({
        "aekey": rows["record_id"].to_numpy(), "nhs_number": pt.nhs[p[r]],
        "arrivaldate": rows["arrival"].to_numpy(),
        "aeattenddisp": a["ae_disp"].to_numpy(dtype=object)[r],
        "diag_01": a["ae_diag"].to_numpy(dtype=object)[r], "diag_02": second,
        "lsoa11": pt.lsoa(p[r], day[r]),
    })
