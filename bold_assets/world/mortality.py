"""Mortality of the synthetic world (wave 3): who dies in 2010-2023, when, and of what.

**Hazards.** Four cause groups, each a rate per person-year by age and sex near England and
Wales's around 2015-2019 (ONS): natural causes (Gompertz-Makeham), suicide (ONS's definition,
ages 10 and over), drug poisoning and other external causes (accidents, assault). Suicides by
drug self-poisoning (`SELF_POISONING_SHARE` of them, X60-X64 / Y10-Y14) count as drug poisoning
too, so the drug-poisoning group generated is ONS's rate less them. Latent needs raise each
cause (`NEEDS`), and so does being under probation supervision (multipliers `M`, solved below).

**No death before the last earlier-wave record.** The generators of waves 0-2 know nothing of
deaths, so a person is alive on every date their earlier-wave rows carry (`last`, from
`earlier_waves.last_records`). The hazard is zero before the day after it (and before 2010,
birth and arrival). Spells of earlier waves open or ending after a death are left as they are.

Jobs, claims, moves and court cases run to 2023 for most adults of working age, so most of their
person-time before about 2020 is "immortal": with the published hazards alone the world would
have a fraction of the deaths. Each cause's hazard is therefore scaled per sex, five-year age
band and year (`k`, at most `K_MAX`; a capped year's shortfall goes to the other years of its
period, 2010-2013 or the calibration window 2014-2023) so that deaths over the person-time lived
are the published rates in expectation (survival within the mortal time counted: few people
carry the hazard, so many would otherwise die "twice"). Where the cap binds (working ages before
about 2017) the world has fewer deaths than published, made up later in the window: deaths of
working-age people rise over the years, a consequence of the constraint, not a trend; and the
few people of working age with no later records die at many times the published rates.

**Probation.** Supervision periods are the probation extract's: referral to termination (open:
to the end of 2023), merged (`earlier_waves.supervision_periods`). While supervised, each
cause's hazard is multiplied by `M` (per cause and sex), solved with `k` in fixed-point rounds
so that in expectation, over the window: suicide rates are `SUICIDE_RATIO` times the general
population's (crude, ages 10 and over, by sex), drug-poisoning rates (suicides by drugs
included) `DRUG_RATIO` times, deaths under supervision `SUPERVISED_DEATH_RATE` a year with
`NATURAL_SHARE` natural (DOMAIN.md, wave 3); the natural and other external multipliers are at
least 1 (the needs of people on probation already give about the published natural deaths, so
the rate comes out at about 0.35%). About a fifth of deaths under supervision are then
self-inflicted, not 35%: with 0.34% a year in all, 35% would be 12 times the general suicide
rate, not 6 (the figures come from different periods and sources).

A death's ICD-10 causes and its registration are drawn in `death_registrations.py`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.labour_market import WORLD_END, YEAR, day_number, day_numbers, rank_within

CAUSES = ("natural", "suicide", "drug_poisoning", "other_external")
NAT, SUI, DRUG, EXT = range(4)
DEATHS_FROM = day_number("2010-01-01")
WINDOW = (day_number("2014-01-01"), WORLD_END)  # calibration: the probation extract's years
SELF_POISONING_SHARE = 0.25  # suicides by drug self-poisoning (X60-X64, Y10-Y14)
SUPERVISED_DEATH_RATE = 0.0034  # ~760 deaths a year among ~224k supervised
NATURAL_SHARE = 0.44
SUICIDE_RATIO = (11.0, 4.0)  # (women, men): supervised vs general population
DRUG_RATIO = (36.0, 11.0)
K_MAX = 60.0
BANDS = 19  # five-year age bands, 90+ last
_YEARS = np.array([day_number(f"{y}-01-01") for y in range(2010, 2025)])
_NY = len(_YEARS) - 1  # 2010-2023; the window is the last ten
# Rates per 100,000 a year by age (nodes, linear between): (women, men).
SUICIDE_PER_100K = (
    ((0, 0), (9.9, 0), (10, 0.3), (15, 3.5), (20, 5), (30, 5.5), (40, 7), (45, 7.5), (50, 7.5),
     (55, 6.5), (60, 5), (70, 4), (110, 4)),
    ((0, 0), (9.9, 0), (10, 0.5), (15, 6), (20, 15), (25, 18), (30, 20), (35, 21), (40, 23),
     (45, 25), (50, 25), (55, 22), (60, 18), (65, 14), (75, 13), (85, 15), (110, 15)),
)  # fmt: skip
DRUG_PER_100K = (
    ((0, 0), (14, 0), (15, 0.5), (20, 2), (25, 4), (30, 6), (35, 8), (40, 10), (45, 11),
     (50, 10), (55, 8), (60, 5), (70, 3), (110, 3)),
    ((0, 0), (14, 0), (15, 1), (20, 6), (25, 12), (30, 18), (35, 22), (40, 25), (45, 26),
     (50, 22), (55, 16), (60, 9), (65, 5), (75, 3), (110, 3)),
)  # fmt: skip
EXTERNAL_PER_100K = (
    ((0, 2.5), (5, 1.5), (15, 4), (20, 5), (30, 4), (50, 5), (65, 8), (75, 20), (85, 80),
     (95, 200), (110, 250)),
    ((0, 3), (5, 2), (15, 10), (20, 18), (30, 16), (50, 15), (65, 16), (75, 30), (85, 90),
     (95, 200), (110, 250)),
)  # fmt: skip
# Latent needs (z-scores) on the log hazard of each cause.
NEEDS: dict[int, dict[str, float]] = {
    NAT: {"physical_health": 0.25, "ill_health": 0.15, "substance_misuse": 0.1},
    SUI: {"mental_health": 0.55, "substance_misuse": 0.3, "ill_health": 0.15},
    DRUG: {"substance_misuse": 0.9, "mental_health": 0.3, "accommodation": 0.2},
    EXT: {"substance_misuse": 0.25, "accommodation": 0.15},
}



# Hazards --------------------------------------------------------------------------------------


def _nodes(table: tuple, age: np.ndarray, male: np.ndarray) -> np.ndarray:
    out = np.empty(len(age))
    for sex in (0, 1):
        xs, ys = zip(*table[sex], strict=True)
        at = male == bool(sex)
        out[at] = np.interp(age[at], xs, ys) / 1e5
    return out


def general_rates(age: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Published death rates a person-year, (n, 4): natural, suicide, drug poisoning less the
    suicides by drugs, other external."""
    natural = np.where(male, 1.0e-4 + 2.5e-5 * np.exp(0.095 * age),
                       0.7e-4 + 1.6e-5 * np.exp(0.095 * age)) + np.where(age < 1, 0.003, 0.0)
    suicide = _nodes(SUICIDE_PER_100K, age, male)
    drug = _nodes(DRUG_PER_100K, age, male)
    accidental = np.maximum(drug - SELF_POISONING_SHARE * suicide, 0.1 * drug)
    return np.stack([natural, suicide, accidental, _nodes(EXTERNAL_PER_100K, age, male)], axis=1)


def needs_multipliers(z: dict[str, np.ndarray]) -> np.ndarray:
    """(n, 4) multipliers of each cause's hazard from latent needs, population mean 1."""
    cols = [np.exp(sum(w * np.asarray(z[k]) for k, w in NEEDS[c].items())) for c in range(4)]
    return np.stack([c / c.mean() for c in cols], axis=1)


def _segments(start: np.ndarray, sup: pd.DataFrame) -> pd.DataFrame:
    """Each person's time from `start` to the end of 2023 cut at new years and supervision
    changes: person, start, end (inclusive day numbers), sup."""
    years = _YEARS
    alive = np.flatnonzero(start <= WORLD_END)
    first = np.searchsorted(years, start[alive], side="right") - 1
    count = len(years) - 1 - first
    person = np.repeat(alive, count)
    y = np.repeat(first, count) + rank_within(person)
    s = np.maximum(years[y], start[person])
    e = years[y + 1] - 1
    if not len(sup):
        return pd.DataFrame({"person": person, "start": s, "end": e, "sup": False})
    has = np.isin(person, sup["person"].to_numpy())
    free = pd.DataFrame({"person": person[~has], "start": s[~has], "end": e[~has]})
    seg = pd.DataFrame({"person": person[has], "s": s[has], "e": e[has]})
    # pieces outside supervision (gaps between periods)
    cut = seg.merge(sup, on="person")
    gaps = sup.assign(gs=sup.groupby("person")["end"].shift(fill_value=-(10**6)) + 1,
                      ge=sup["start"] - 1)
    tail = sup.groupby("person", as_index=False)["end"].max().assign(gs=lambda d: d["end"] + 1,
                                                                     ge=10**6)
    gaps = pd.concat([gaps[["person", "gs", "ge"]], tail[["person", "gs", "ge"]]])
    out = seg.merge(gaps, on="person")
    out = out.assign(start=np.maximum(out["s"], out["gs"]), end=np.minimum(out["e"], out["ge"]))
    out = out[out["start"] <= out["end"]][["person", "start", "end"]]
    cut = cut.assign(start=np.maximum(cut["s"], cut["start"]), end=np.minimum(cut["e"],
                                                                              cut["end"]))
    cut = cut[cut["start"] <= cut["end"]][["person", "start", "end"]]
    seg = pd.concat([free.assign(sup=False), out.assign(sup=False), cut.assign(sup=True)],
                    ignore_index=True)
    order = np.lexsort((seg["start"].to_numpy(), seg["person"].to_numpy()))
    return seg.iloc[order].reset_index(drop=True)


class Mortality:
    """Everyone's mortal person-time in segments (a person's, then the next's) with their
    hazards, solved as the module describes: `k` (cause x sex, age band and year), `m` (cause x
    women, men). `deaths(rng, n)` draws the deaths; `expected` holds the calibration figures the
    solved hazards give in expectation."""

    def __init__(self, ctx: WorldContext, last: np.ndarray, sup: pd.DataFrame) -> None:
        p = ctx.persons
        dob = day_numbers(p["dob"])
        arrival = day_numbers(p["arrival_date"])
        start = np.maximum.reduce([np.full(len(p), DEATHS_FROM), dob,
                                   np.where(arrival <= WORLD_END, arrival, dob)])
        seg = _segments(start, sup)
        person = seg["person"].to_numpy()
        s, e = seg["start"].to_numpy(), seg["end"].to_numpy()
        male = (p["sex"] == "M").to_numpy()[person]
        sex = male.astype(np.int64)
        age = ((s + e) / 2 - dob[person]) / YEAR
        cell = sex * BANDS + np.minimum(age // 5, BANDS - 1).astype(np.int64)
        year = np.searchsorted(_YEARS, s, side="right") - 1
        cy = cell * _NY + year
        rate = general_rates(age, male)
        mstart = np.maximum(s, last[person] + 1)
        mdur = np.maximum(e - mstart + 1, 0) / YEAR
        dur = (e - s + 1) / YEAR
        window = s >= WINDOW[0]
        supervised = seg["sup"].to_numpy()
        base = rate * needs_multipliers(ctx.z)[person]
        size = 2 * BANDS * _NY
        # immortal person-time: published deaths per cell-year, person-years of the window
        imm = dur - mdur
        target_imm = np.stack([np.bincount(cy, imm * rate[:, c], size) for c in range(4)])
        pt_imm = np.bincount(cell[window], imm[window], 2 * BANDS)
        py_imm = np.bincount(sex[window & supervised], imm[window & supervised], 2)
        mortal = mdur > 0
        person, cy, cell, sex, mdur, base, rate, supervised, window, mstart, e = (
            x[mortal] for x in (person, cy, cell, sex, mdur, base, rate, supervised, window,
                                mstart, e))
        first = np.r_[True, person[1:] != person[:-1]]
        ws = window & supervised

        def alive_time(alive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """Published deaths per cell-year, window person-years (all, supervised) over the
            person-time lived in expectation."""
            target = target_imm + np.stack([np.bincount(cy, alive * rate[:, c], size)
                                            for c in range(4)])
            return (target, pt_imm + np.bincount(cell[window], alive[window], 2 * BANDS),
                    py_imm + np.bincount(sex[ws], alive[ws], 2))

        m, k = np.ones((4, 2)), np.ones((4, size))
        for _ in range(6):
            per_k = base * np.where(supervised[:, None], m[:, sex].T, 1.0)
            dth, alive = _expected_deaths(per_k * k[:, cy].T, mdur, first)
            target, pt, py_sup = alive_time(alive)
            got = _cell_deaths(dth, cy, size)
            k = _scales(target, np.where(k > 0, got / np.maximum(k, 1e-300), 0.0))
            dth, alive = _expected_deaths(per_k * k[:, cy].T, mdur, first)
            target, pt, py_sup = alive_time(alive)
            general = _general(_cell_deaths(dth, cy, size), pt)
            es = np.stack([np.bincount(sex[ws], dth[ws, c], 2) for c in range(4)]) / m
            sui_t = np.array(SUICIDE_RATIO) * general["suicide"] * py_sup
            drug_t = np.maximum(np.array(DRUG_RATIO) * general["drug"] * py_sup
                                - SELF_POISONING_SHARE * sui_t, 0.0)
            m[SUI] = np.where(es[SUI] > 0, sui_t / np.maximum(es[SUI], 1e-12), 1.0)
            m[DRUG] = np.where(es[DRUG] > 0, drug_t / np.maximum(es[DRUG], 1e-12), 1.0)
            total = SUPERVISED_DEATH_RATE * py_sup.sum()
            other = total * (1 - NATURAL_SHARE) - sui_t.sum() - drug_t.sum()
            m[EXT] = max(other / max(es[EXT].sum(), 1e-12), 1.0)
            natural = total - sui_t.sum() - drug_t.sum() - m[EXT, 0] * es[EXT].sum()
            m[NAT] = max(natural / max(es[NAT].sum(), 1e-12), 1.0)
        self.k, self.m = k, m
        self.hazard = base * np.where(supervised[:, None], m[:, sex].T, 1.0) * k[:, cy].T
        self.seg = pd.DataFrame({"person": person, "start": mstart, "end": e,
                                 "sup": supervised, "window": window})
        dth, alive = _expected_deaths(self.hazard, mdur, first)
        _, pt, py_sup = alive_time(alive)
        self.expected = _expected(_general(_cell_deaths(dth, cy, size), pt),
                                  np.stack([np.bincount(sex[ws], dth[ws, c], 2)
                                            for c in range(4)]), py_sup)

    def deaths(self, rng: np.random.Generator, n: int) -> pd.DataFrame:
        """One row per death: person_idx, day (day number), cause (index of CAUSES)."""
        exp1 = rng.exponential(1.0, n)
        seg = self.seg
        person = seg["person"].to_numpy()
        total = self.hazard.sum(axis=1)
        dur = (seg["end"].to_numpy() - seg["start"].to_numpy() + 1) / YEAR
        cum = np.cumsum(total * dur)
        first = np.r_[True, person[1:] != person[:-1]]
        offset = np.maximum.accumulate(np.where(first, cum - total * dur, 0.0))
        after = cum - offset
        before = after - total * dur
        hit = (before < exp1[person]) & (after >= exp1[person])
        idx = np.flatnonzero(hit)
        into = (exp1[person[idx]] - before[idx]) / total[idx] * YEAR
        day = np.minimum(seg["start"].to_numpy()[idx] + into.astype(np.int64),
                         seg["end"].to_numpy()[idx])
        h = self.hazard[idx]
        u = rng.random(len(idx))[:, None] * total[idx, None]
        cause = (u > np.cumsum(h, axis=1)).sum(axis=1).clip(0, 3)
        return pd.DataFrame({"person_idx": person[idx], "day": day, "cause": cause,
                             "supervised": seg["sup"].to_numpy()[idx]})


def _expected_deaths(hazard: np.ndarray, years: np.ndarray,
                     first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected deaths of each cause in each segment (rows by person, then time; `first` marks
    a person's first): survival to the segment times the chance of dying in it, shared by
    hazard; and the expected years lived in each segment."""
    total = hazard.sum(axis=1)
    h = total * years
    cum = np.cumsum(h)
    survive = np.exp(-(cum - h - np.maximum.accumulate(np.where(first, cum - h, 0.0))))
    die = survive * -np.expm1(-h)
    some = total > 0
    lived = np.where(some, die / np.where(some, total, 1.0), survive * years)
    return hazard * np.where(some, die / np.where(some, total, 1.0), 0.0)[:, None], lived


def _cell_deaths(deaths: np.ndarray, cy: np.ndarray, size: int) -> np.ndarray:
    return np.stack([np.bincount(cy, deaths[:, c], size) for c in range(4)])


def _scales(target: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Scale of each cause's hazard per cell-year: published / expected deaths, at most K_MAX;
    capped years' shortfall goes to the other years of their period (2010-2013, the window)."""
    k = np.where(expected > 0, np.minimum(target / np.where(expected > 0, expected, 1), K_MAX),
                 1.0)
    shape = (4, 2 * BANDS, _NY)
    k3, t3, e3 = k.reshape(shape), target.reshape(shape), expected.reshape(shape)
    for years in (slice(0, 4), slice(4, _NY)):
        for _ in range(4):
            have = (k3 * e3)[:, :, years].sum(axis=2)
            lift = np.where(have > 0, t3[:, :, years].sum(axis=2) / np.maximum(have, 1e-300),
                            1.0)
            k3[:, :, years] = np.minimum(k3[:, :, years] * lift[:, :, None], K_MAX)
    return k


def _general(deaths: np.ndarray, pt: np.ndarray) -> dict[str, np.ndarray]:
    """Expected general-population figures of the window by sex (women, men): deaths by cause
    (4, 2), person-years (all ages, 10 and over), crude suicide (10+) and drug rates."""
    d = deaths.reshape(4, 2, BANDS, _NY)[..., 4:].sum(axis=3)
    p = pt.reshape(2, BANDS)
    out = {"deaths": d.sum(axis=2), "pt": p.sum(axis=1), "pt10": p[:, 2:].sum(axis=1),
           "suicide_deaths": d[SUI, :, 2:].sum(axis=1)}
    out["drug_deaths"] = out["deaths"][DRUG] + SELF_POISONING_SHARE * out["deaths"][SUI]
    out["suicide"] = out["suicide_deaths"] / out["pt10"]
    out["drug"] = out["drug_deaths"] / out["pt"]
    return out


def _expected(general: dict[str, np.ndarray], sup_deaths: np.ndarray,
              py_sup: np.ndarray) -> dict[str, float]:
    """The calibration's figures as the solved hazards give them in expectation."""
    s_sui = sup_deaths[SUI]
    s_drug = sup_deaths[DRUG] + SELF_POISONING_SHARE * sup_deaths[SUI]
    total = sup_deaths.sum()
    g_sui = general["suicide_deaths"].sum() / general["pt10"].sum()
    g_drug = general["drug_deaths"].sum() / general["pt"].sum()
    out = {
        "supervised_death_rate_pct": 100 * total / py_sup.sum(),
        "supervised_natural_share_pct": 100 * sup_deaths[NAT].sum() / total,
        "supervised_self_inflicted_share_pct": 100 * s_sui.sum() / total,
        "suicide_ratio": s_sui.sum() / py_sup.sum() / g_sui,
        "drug_ratio": s_drug.sum() / py_sup.sum() / g_drug,
        "general_suicide_per_100k": 1e5 * g_sui, "general_drug_per_100k": 1e5 * g_drug,
    }
    for sex, name in ((1, "men"), (0, "women")):
        out[f"suicide_ratio_{name}"] = s_sui[sex] / py_sup[sex] / general["suicide"][sex]
        out[f"drug_ratio_{name}"] = s_drug[sex] / py_sup[sex] / general["drug"][sex]
    return out
