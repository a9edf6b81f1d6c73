"""The labour market around custody (wave 2): the careers of `world/labour_market.py` fitted
to the custody periods of the criminal careers and to the MoJ-DWP-HMRC figures on prison leavers.

**Custody.** The custody periods of the criminal careers (every custodial sentence, overlapping
sentences joined) blank every spell from reception to release; a job held at reception ends.

**Calibration (MoJ-DWP-HMRC 2013, DOMAIN.md; measured by `world/calibration_wave2.py` on its
prison leavers: `raw.prison` journeys released to liberty in 2005-2021 aged 18-64).** Set here,
as exact quotas over those journeys (highest propensity plus noise first; every other reception
and release gets the same conditional rates at random):
- a third in a job the month before reception (held up to reception; the others hold no job in
  that month);
- after each adult release a path replaces the career until its last spell ends (760 days at
  least) or the next custody: 54% on an out-of-work benefit on day 30, 59% at some point in days
  1-365, 42% on day 730; 31% employed at some point in days 1-365, 17% on day 365. A release's
  days after the next reception belong to the next release's path, so paths are drawn latest
  first and every person's first release closes the quotas.
Emerging: the share of out-of-work claims open in December 2012 held by people cautioned or
convicted in 2000-2012 (published 22%), from the careers' propensities and justice effects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.calibration_wave2 import LEAVER_AGES, is_leaver, target
from bold_assets.world.context import WorldContext
from bold_assets.world.journeys import custody_journeys
from bold_assets.world.labour_market import (
    OPEN,
    WORLD_END,
    E,
    People,
    U,
    day_numbers,
    merge_intervals,
    person_day_key,
    rank_within,
    subtract_intervals,
    uniform_ints,
)
from bold_assets.world.sources import careers

# Custody periods ------------------------------------------------------------------------------


class Custody:
    """Custody periods (unions of overlapping journeys), releases to and receptions from
    liberty, and how many calibration journeys each stands for."""

    def __init__(self, ctx: WorldContext, people: People) -> None:
        cj = custody_journeys(careers(ctx))
        rec = day_numbers(cj["reception_date"])
        keep = rec <= WORLD_END
        person = cj["person_idx"].to_numpy()[keep].astype(np.int64)
        rec, rel = rec[keep], day_numbers(cj["release_date"])[keep]
        self.person, self.start, self.end = merge_intervals(person, rec, rel)
        n_u = len(self.person)
        same_next = np.r_[self.person[1:] == self.person[:-1], False]
        same_prev = np.r_[False, self.person[1:] == self.person[:-1]]
        self.next_start = np.where(same_next, np.r_[self.start[1:], OPEN], OPEN)
        self.prev_end = np.where(same_prev, np.r_[0, self.end[:-1]], np.iinfo(np.int32).min)
        self.first_release = np.full(people.n, OPEN, dtype=np.int64)
        np.minimum.at(self.first_release, self.person, np.where(self.end < OPEN, self.end, OPEN))
        # the calibration's journeys (raw.prison's prison leavers, `is_leaver`)
        jp = ctx.tables["journey.prison"]
        j_person = jp["person_idx"].to_numpy().astype(np.int64)
        j_rec, j_rel = day_numbers(jp["reception_date"]), day_numbers(jp["release_date"])
        measured = is_leaver(j_person, jp["reception_date"].to_numpy(),
                             jp["release_date"].to_numpy(), people.age(j_person, j_rel))
        self.n_measured = int(measured.sum())
        union_key_start = person_day_key(self.person, self.start)
        union_key_end = person_day_key(self.person, self.end)
        self.release_weight = self._count(union_key_end,
                                          person_day_key(j_person, j_rel)[measured], n_u)
        self.reception_weight = self._count(union_key_start,
                                            person_day_key(j_person, j_rec)[measured], n_u)

    @staticmethod
    def _count(union_keys: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
        """How many of `keys` equal each union key (union keys unique within person)."""
        order = np.argsort(union_keys)
        pos = np.searchsorted(union_keys[order], keys)
        pos = np.minimum(pos, n - 1) if n else pos
        hit = (union_keys[order][pos] == keys) if n else np.zeros(0, bool)
        out = np.zeros(n, dtype=np.int64)
        np.add.at(out, order[pos[hit]], 1)
        return out


def _pick(rng: np.random.Generator, key: np.ndarray, eligible: np.ndarray, weight: np.ndarray,
          quota: float) -> np.ndarray:
    """Exact quota: eligible rows with weight (calibration journeys) are chosen highest key first
    until their weights sum to `quota`; eligible rows without weight are chosen at random at the
    rate this gave among eligible weighted rows."""
    chosen = np.zeros(len(key), dtype=bool)
    pool = np.flatnonzero(eligible & (weight > 0))
    order = pool[np.argsort(-key[pool], kind="stable")]
    cum = np.cumsum(weight[order])
    k = int(np.searchsorted(cum, quota, side="right"))
    if k < len(order) and cum[k] - quota < quota - (cum[k - 1] if k else 0):
        k += 1
    chosen[order[:k]] = True
    total = weight[pool].sum()
    rate = float(cum[k - 1] / total) if k and total else float(quota > 0 and not total)
    others = np.flatnonzero(eligible & (weight == 0))
    chosen[others] = rng.random(len(others)) < min(rate, 1.0)
    return chosen


# Around custody -------------------------------------------------------------------------------


def pre_sentence_jobs(rng: np.random.Generator, people: People, cu: Custody
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Receptions from liberty held in a job the month before (a third of the calibration
    journeys): (chosen per custody period, start day of that job)."""
    lower = np.maximum.reduce([cu.prev_end + 1, people.issue[cu.person],
                               people.sixteen[cu.person]])
    eligible = (cu.start - lower >= 31) & (people.age(cu.person, cu.start) < LEAVER_AGES[1])
    key = -0.8 * people.oow[cu.person] + rng.gumbel(size=len(cu.person))
    chosen = _pick(rng, key, eligible, cu.reception_weight,
                   target("employed_month_before_reception") * cu.n_measured)
    job_start = np.maximum(lower, cu.start - uniform_ints(rng, 31, 540, len(cu.start)))
    return chosen, np.where(chosen, job_start, OPEN)


# Measures of a release (relative days): (kind, first day, last day) a spell must overlap.
_MEASURES: dict[str, tuple[int, int, int]] = {
    "oow_1_month_after_release": (U, 30, 30), "oow_within_12_months": (U, 1, 365),
    "oow_2_years_after_release": (U, 730, 730), "employed_within_12_months": (E, 1, 365),
    "employed_1_year_after_release": (E, 365, 365),
}  # fmt: skip


def _hits(built: pd.DataFrame, person: np.ndarray, rel: np.ndarray) -> dict[str, np.ndarray]:
    """Per release: which measures spells built so far (later paths, jobs before receptions)
    already meet."""
    rel_df = pd.DataFrame({"row": np.arange(len(person)), "person": person, "rel": rel})
    m = rel_df.merge(built, on="person")
    out = {}
    for name, (kind, first, last) in _MEASURES.items():
        hit = ((m["state"] == kind) & (m["start"] <= m["rel"] + last)
               & (m["end"] >= m["rel"] + first)).to_numpy()
        flags = np.zeros(len(person), dtype=bool)
        flags[m["row"].to_numpy()[hit]] = True
        out[name] = flags
    return out


def _path_flags(rng: np.random.Generator, k_oow: np.ndarray, k_emp: np.ndarray,
                h_oow: np.ndarray, h_emp: np.ndarray, w: np.ndarray, given: dict[str, np.ndarray],
                goal: dict[str, float]) -> dict[str, np.ndarray]:
    """Which releases' paths hold an out-of-work claim on day 30 (o1), a first claim later in
    the first year (ob), a job in the first year (e_any), a job on day 365 (e1) and a claim on day
    730 (o2): weighted counts including `given` (already met) reach `goal` per measure."""
    def rest(name: str, flags: np.ndarray) -> float:
        return goal[name] - w[flags | given[name]].sum()

    none = np.zeros(len(w), dtype=bool)
    o1 = _pick(rng, k_oow, h_oow >= 31, w, rest("oow_1_month_after_release", none))
    any_oow = o1 | given["oow_within_12_months"]
    ob = _pick(rng, k_oow, ~any_oow & (h_oow >= 32), w, rest("oow_within_12_months", o1))
    e_ok = np.select([o1, ob], [h_emp >= 90, (h_oow >= 91) & (h_emp >= 60)], h_emp >= 30)
    e_any = _pick(rng, k_emp, e_ok & ~given["employed_within_12_months"], w,
                  rest("employed_within_12_months", none))
    e1 = _pick(rng, k_emp, e_any & (h_emp >= 367), w,
               rest("employed_1_year_after_release", none))
    o2 = _pick(rng, k_oow + 1.0 * o1 - 1.0 * e1, h_oow >= 732, w,
               rest("oow_2_years_after_release", none))
    return {"o1": o1, "ob": ob, "e_any": e_any, "e1": e1, "o2": o2}


def _path_spells(rng: np.random.Generator, f: dict[str, np.ndarray], h_oow: np.ndarray,
                 h_emp: np.ndarray) -> list[tuple[np.ndarray, int, np.ndarray, np.ndarray]]:
    """The spells of paths with flags `f`, as (release row, kind, start, end) in days after
    release: claims end before the next custody (or job before it), jobs before the month
    before the next reception."""
    o1, ob, e_any, e1, o2 = (f[x] for x in ("o1", "ob", "e_any", "e1", "o2"))
    k = len(o1)

    def uni(lo, hi) -> np.ndarray:
        return uniform_ints(rng, lo, hi, k)

    def tail(mean_days: float) -> np.ndarray:
        return rng.exponential(mean_days, k).astype(np.int64)

    c1 = o1 | ob
    j_before_c = ob & e_any & ~e1  # a job, then a claim
    a1 = np.select([o1, j_before_c, ob & e1],
                   [uni(1, np.minimum(21, h_oow - 10)), uni(90, np.minimum(330, h_oow - 1)),
                    uni(31, 220)], uni(31, np.minimum(330, h_oow - 1)))
    long_claim = o2 & ~(o1 & e_any) & ~(ob & e1) & (rng.random(k) < 0.55)
    short_end = np.minimum(a1 + 14 + tail(150), np.where(o2, 700, 729))
    b1 = np.select([o1 & e_any, ob & e1, long_claim],
                   [uni(30, np.minimum(300, h_emp - 45)), a1 + uni(20, 100), 731 + tail(450)],
                   np.maximum(short_end, np.where(o1, 30, a1)))
    j0 = np.select([c1 & ~j_before_c, j_before_c, e1],
                   [b1 + uni(1, 30), uni(1, 40), uni(1, 330)],
                   uni(1, np.minimum(300, h_emp - 15)))
    j1 = np.select([e1 & o2, e1, j_before_c],
                   [uni(366, np.minimum(700, h_emp - 1)), 366 + tail(700),
                    uni(j0 + 14, np.minimum(a1 - 5, h_emp - 1))],
                   uni(j0 + 14, np.minimum(364, h_emp - 1)))
    last = np.maximum(np.where(c1, b1, 0), np.where(e_any, j1, 0))
    c2 = o2 & ~(c1 & (b1 >= 731))
    c2_start = uni(np.maximum(last + 1, 366), 729)
    c2_end = 731 + tail(400)
    j2 = ~o2 & ~(e_any & (j1 >= 366)) & (rng.random(k) < 0.3) & (last < 690)
    j2_start = uni(np.maximum(last + 1, 366), 700)
    j2_end = j2_start + 30 + tail(600)
    out = []
    for mask, kind, s, e in ((c1, U, a1, b1), (c2, U, c2_start, c2_end), (e_any, E, j0, j1),
                             (j2, E, j2_start, j2_end)):
        e = np.minimum(e, (h_oow if kind == U else h_emp) - 1)
        ok = np.flatnonzero(mask & (s <= e))
        out.append((ok, kind, s[ok], e[ok]))
    return out


def post_release_paths(rng: np.random.Generator, people: People, cu: Custody,
                       forced: np.ndarray, forced_start: np.ndarray
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each adult release's path until its last spell ends (two years at least) or the next
    custody: out-of-work claims (kind U) and jobs (E) meeting the published rates exactly on the
    calibration journeys. Returns (spells, windows where paths replace the career).

    A release's measure days after the next reception are met (or not) by the next release's
    path, so paths are drawn latest first: releases followed by another, in rounds from the
    last, each at the published rates; then every person's first release, whose quotas make
    the totals exact."""
    person, rel = cu.person, cu.end
    age = people.age(person, rel)
    has_path = (rel < WORLD_END) & (age >= LEAVER_AGES[0]) & (age < LEAVER_AGES[1])
    next_forced = np.r_[forced[1:], False] & (cu.next_start < OPEN)
    next_job = np.where(next_forced, np.r_[forced_start[1:], OPEN], OPEN)
    h_oow = np.where(next_forced, next_job, cu.next_start) - rel
    h_emp = np.where(next_forced, next_job, cu.next_start - 30) - rel
    k_oow = people.oow[person] + rng.gumbel(size=len(person))
    k_emp = -0.8 * people.oow[person] + rng.gumbel(size=len(person))
    rank = rank_within(person)
    _, count = np.unique(person, return_counts=True)
    depth = np.repeat(count, count) - 1 - rank
    later = [np.flatnonzero(has_path & (rank >= 1) & (depth == d))
             for d in range(int(depth.max(initial=0)) + 1)]
    rounds = [r for r in later if len(r)] + [np.flatnonzero(has_path & (rank == 0))]
    built = [pd.DataFrame({"person": cu.person[forced], "state": E,
                           "start": forced_start[forced], "end": cu.start[forced] - 1})]
    done = dict.fromkeys(_MEASURES, 0.0)
    for i, idx in enumerate(rounds):
        w = cu.release_weight[idx]
        given = _hits(pd.concat(built, ignore_index=True), person[idx], rel[idx])
        if i < len(rounds) - 1:
            goal = {name: target(name) * w.sum() for name in _MEASURES}
        else:
            goal = {name: target(name) * cu.n_measured - done[name] for name in _MEASURES}
        f = _path_flags(rng, k_oow[idx], k_emp[idx], h_oow[idx], h_emp[idx], w, given, goal)
        met = {"oow_1_month_after_release": f["o1"], "oow_within_12_months": f["o1"] | f["ob"],
               "oow_2_years_after_release": f["o2"], "employed_within_12_months": f["e_any"],
               "employed_1_year_after_release": f["e1"]}
        for name in _MEASURES:
            done[name] += w[met[name] | given[name]].sum()
        for rows, kind, s, e in _path_spells(rng, f, h_oow[idx], h_emp[idx]):
            at = idx[rows]
            built.append(pd.DataFrame({"release": at, "person": person[at], "state": kind,
                                       "start": rel[at] + s, "end": rel[at] + e}))
    spells = pd.concat(built[1:], ignore_index=True)
    window_end = rel + 760
    np.maximum.at(window_end, spells["release"].to_numpy(), spells["end"].to_numpy())
    window_end = np.minimum(window_end, cu.next_start - 1)
    windows = pd.DataFrame({"person": person[has_path], "start": rel[has_path] + 1,
                            "end": window_end[has_path]})
    return spells.drop(columns="release"), windows


# Composition ----------------------------------------------------------------------------------


def _drop_after_custody(cu: Custody, person: np.ndarray, orig_start: np.ndarray,
                        piece_start: np.ndarray) -> np.ndarray:
    """Pieces of a job after a custody period that began during the job (the job ended at
    reception): True where the piece is kept."""
    starts = np.sort(person_day_key(cu.person, cu.start))
    before = np.searchsorted(starts, person_day_key(person, orig_start), side="right")
    upto = np.searchsorted(starts, person_day_key(person, piece_start), side="right")
    return upto == before


def labour_spells(people: People, cu: Custody, base: pd.DataFrame, forced: np.ndarray,
                  forced_start: np.ndarray, path: pd.DataFrame, windows: pd.DataFrame
                  ) -> pd.DataFrame:
    """Jobs (E) and claims (U, S, L), in order of precedence: custody (nothing); the job held
    up to a reception, or no job in the month before it; the paths after releases; the career.
    A job cut by a reception does not resume after release."""
    custody = (cu.person, cu.start, cu.end)
    job_p, job_s, job_e = cu.person[forced], forced_start[forced], cu.start[forced] - 1
    month_p, month_s = cu.person[~forced], cu.start[~forced] - 30
    month_e = cu.start[~forced] - 1
    base = base.assign(orig=base["start"])
    # claims end at state pension age
    claim = base["state"].to_numpy() != E
    base["end"] = np.where(claim, np.minimum(base["end"], people.pension[base["person"]] - 1),
                           base["end"])
    base = base[base["start"] <= base["end"]]
    cuts = [custody, (job_p, job_s, job_e),
            tuple(windows[c].to_numpy() for c in ("person", "start", "end"))]
    path = path.assign(orig=path["start"])
    frames = []
    for frame, extra in ((base, cuts), (path, [custody, (job_p, job_s, job_e)])):
        for is_job in (True, False):
            f = frame[(frame["state"] == E) == is_job]
            cp, cs, ce = (np.concatenate(x) for x in zip(*extra, strict=True))
            if is_job:
                cp, cs, ce = np.r_[cp, month_p], np.r_[cs, month_s], np.r_[ce, month_e]
            row, s, e = subtract_intervals(f["person"].to_numpy(), f["start"].to_numpy(),
                                           f["end"].to_numpy(), cp, cs, ce)
            piece = f.iloc[row].assign(start=s, end=e)
            if is_job:
                piece = piece[_drop_after_custody(cu, piece["person"].to_numpy(),
                                                  piece["orig"].to_numpy(), s)]
            frames.append(piece)
    frames.append(pd.DataFrame({"person": job_p, "state": E, "start": job_s, "end": job_e,
                                "orig": job_s}))
    out = pd.concat(frames, ignore_index=True).drop(columns="orig")
    return out.sort_values(["person", "start"], kind="stable").reset_index(drop=True)
