"""What councils do with each homelessness case (`homelessness.py`), as H-CLIC's sections hold
it: the initial assessment, support needs, the prevention and relief duties (56 days each,
Homelessness Reduction Act 2017), main duty decisions, assistance, temporary accommodation and
reviews. Every frame is keyed by `case` (row of the cases frame); days are day numbers, `OPEN`
for an end not reached by the end of the world (NULL in the extract).

Shares follow DLUHC's Statutory homelessness statistics (England, 2023-24, rounded): prevention
duties ending in accommodation secured for 6+ months about half, relief duties about a third,
relief mostly ending when 56 days elapse; main duty owed to most households with children and
to a minority of single adults; households in temporary accommodation 112,000 on 31 December
2023 (about 1.9 per 1,000 people), most with children, a third placed out of their district:
`TA_MEDIAN_YEARS` (the median stay of households owed the main duty) is set so the world's
stock on that day matches per head (calibration_wave4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.housing_people import HousingPeople, choose, sigmoid, table_weights
from bold_assets.world.labour_market import OPEN, WORLD_END

PREVENTION_ENDS = {"1": .52, "2": .24, "3": .08, "4": .05, "5": .07, "6": .01, "7": .03}
RELIEF_ENDS = {"1": .32, "2": .45, "3": .09, "4": .07, "5": .02, "6": .01, "7": .04}
SECURED = {"prevention": {"1": .45, "2": .28, "3": .12, "4": .08, "5": .07},
           "relief": {"1": .35, "2": .30, "3": .12, "4": .15, "5": .08}}  # fmt: skip
DECISIONS = {"family": {"1": .86, "2": .04, "3": .02, "4": .05, "5": .03},
             "vulnerable": {"1": .60, "2": .08, "3": .20, "4": .07, "5": .05},
             "single": {"1": .15, "2": .07, "3": .65, "4": .08, "5": .05},
             "intentional": {"1": .05, "2": .85, "3": .05, "4": .03, "5": .02}}  # fmt: skip
TA_MEDIAN_YEARS = 2.4  # households owed the main duty: median stay in temporary accommodation
TA_TYPES = {"family": {"1": .06, "2": .34, "3": .05, "4": .22, "5": .23, "6": .10},
            "single": {"1": .25, "2": .25, "3": .20, "4": .10, "5": .10, "6": .10},
            "second": {"2": .25, "4": .35, "5": .35, "6": .05}}  # fmt: skip
ACTIVITIES = ("01", "02", "03", "04", "05", "06", "07", "08")
ACTIVITY_BASE = np.array([.10, .22, .12, .08, .12, .10, .10, .16])
SUPPORT_NEEDS = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
MAX_SUPPORT_NEEDS = 4
REVIEW_OUTCOMES = {"1": .7, "2": .2, "3": .1}


def _pick(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(options), dtype=object)
    w = np.array(list(options.values()))
    return keys[rng.choice(len(keys), n, p=w / w.sum())]


def _gamma_days(rng: np.random.Generator, lo: int, scale: float, n: int) -> np.ndarray:
    return lo + rng.gamma(2.0, scale, n).astype(np.int64)


class Duties:
    """Every section of every case (submitted or not), from the cases frame."""

    def __init__(self, hp: HousingPeople, rng: np.random.Generator, cases: pd.DataFrame):
        self.hp, self.rng, self.c = hp, rng, cases
        self.p = cases["person_idx"].to_numpy()
        self.end_of = np.minimum(hp.death[self.p], WORLD_END)  # last day anything can happen
        n = len(cases)
        delay = np.where(rng.random(n) < 0.4, 0, np.minimum(rng.geometric(0.1, n), 60))
        self.assessed = np.minimum(cases["day"].to_numpy() + delay, self.end_of)
        hh = cases["household"].to_numpy()
        z = hp.z
        age = hp.age(self.p, cases["day"].to_numpy())
        self.family = np.isin(hh, ["3", "4"])
        self.vulnerable = ~self.family & ((z["mental_health"][self.p] > 1.0)
                                          | (z["physical_health"][self.p] > 1.0) | (age >= 60)
                                          | (cases["reason"] == "04").to_numpy())

    def _close(self, case: np.ndarray, start: np.ndarray, end: np.ndarray,
               outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ends at death ("4" withdrew or deceased) and open past the end of the world."""
        died = self.hp.death[self.p[case]] < end
        end = np.where(died, np.maximum(self.hp.death[self.p[case]], start), end)
        outcome = np.where(died, "4", outcome)
        open_ = end > WORLD_END
        return np.where(open_, OPEN, end), np.where(open_, None, outcome).astype(object)

    def prevention(self) -> pd.DataFrame:
        rng, c = self.rng, self.c
        case = np.flatnonzero(c["outcome"].to_numpy() == "1")
        n = len(case)
        w = np.tile(np.array(list(PREVENTION_ENDS.values())), (n, 1))
        cause = c["cause"].to_numpy()[case]
        w[:, 1] *= np.select([cause == "prison", np.isin(cause, ["civil", "eviction"])],
                             [6.0, 1.6], 1.0)
        outcome = np.array(list(PREVENTION_ENDS), dtype=object)[choose(rng, w)]
        start = self.assessed[case]
        event = c["event_day"].to_numpy()[case]
        lo = {"1": (14, 25), "2": (7, 20), "3": (20, 20), "4": (10, 20), "5": (56, 3),
              "6": (30, 20), "7": (10, 20)}
        dur = np.zeros(n, dtype=np.int64)
        for k, (a, s) in lo.items():
            rows = outcome == k
            dur[rows] = _gamma_days(rng, a, s, int(rows.sum()))
        end = start + dur
        to_event = (outcome == "2") & (event > start)  # homeless on the day of the event
        end[to_event] = event[to_event]
        end, outcome = self._close(case, start, end, outcome)
        secured = np.where(outcome == "1", _pick(rng, SECURED["prevention"], n), None)
        return pd.DataFrame({"case": case, "start": start, "end": end, "outcome": outcome,
                             "secured": secured})

    def relief(self, prevention: pd.DataFrame) -> pd.DataFrame:
        rng, c = self.rng, self.c
        direct = np.flatnonzero(c["outcome"].to_numpy() == "2")
        moved_on = prevention[(prevention["outcome"] == "2").to_numpy()]
        case = np.r_[direct, moved_on["case"].to_numpy()]
        start = np.r_[self.assessed[direct], moved_on["end"].to_numpy()]
        n = len(case)
        outcome = _pick(rng, RELIEF_ENDS, n)
        spans = {"1": (7, 56), "2": (56, 63), "3": (10, 56), "4": (5, 56), "5": (20, 56),
                 "6": (20, 56), "7": (10, 56)}
        dur = np.zeros(n, dtype=np.int64)
        for k, (a, b) in spans.items():
            rows = outcome == k
            dur[rows] = rng.integers(a, b + 1, int(rows.sum()))
        end, outcome = self._close(case, start, start + dur, outcome)
        secured = np.where(outcome == "1", _pick(rng, SECURED["relief"], n), None)
        return pd.DataFrame({"case": case, "start": start, "end": end, "outcome": outcome,
                             "secured": secured})

    def main_duty(self, relief: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng
        out = relief["outcome"].to_numpy()
        p_decide = np.select([out == "2", out == "5", out == "6"], [0.8, 0.6, 0.9], 0.0)
        r = relief[rng.random(len(relief)) < p_decide]
        case = r["case"].to_numpy()
        day = r["end"].to_numpy() + rng.integers(0, 46, len(r))
        kind = np.where(r["outcome"] == "6", "intentional", np.where(
            self.family[case], "family", np.where(self.vulnerable[case], "vulnerable", "single")))
        decision = np.array(list(DECISIONS["family"]), dtype=object)[choose(
            rng, table_weights(DECISIONS, kind, tuple(DECISIONS["family"])))]
        keep = day <= self.end_of[case]
        return pd.DataFrame({"case": case[keep], "day": day[keep], "decision": decision[keep]})

    def temporary_accommodation(self, relief: pd.DataFrame, duty: pd.DataFrame) -> pd.DataFrame:
        """Placements: interim accommodation from the relief duty, kept on when the main duty is
        owed; some households move once between placements."""
        rng = self.rng
        owed = duty[(duty["decision"] == "1").to_numpy()].drop_duplicates("case")
        decided = duty.drop_duplicates("case").set_index("case")["day"]
        owed_day = pd.Series(owed["day"].to_numpy(), index=owed["case"].to_numpy())
        case = relief["case"].to_numpy()
        p_interim = np.where(self.family[case], 0.75, np.where(self.vulnerable[case], 0.35,
                                                              0.08))
        interim = rng.random(len(case)) < p_interim
        start = relief["start"].to_numpy() + rng.integers(0, 6, len(case))
        rel_end = relief["end"].to_numpy()
        o_day = owed_day.reindex(case).fillna(-1).to_numpy(np.int64)
        d_day = decided.reindex(case).fillna(-1).to_numpy(np.int64)
        later = (o_day >= 0) & ~interim & (rng.random(len(case)) < 0.5)
        start = np.where(later, o_day, start)
        stay = (rng.lognormal(np.log(TA_MEDIAN_YEARS * 365.25), 0.9, len(case))).astype(np.int64)
        end = np.select([o_day >= 0, d_day >= 0, rel_end < OPEN],
                        [o_day + stay, d_day + rng.integers(0, 29, len(case)),
                         rel_end + rng.integers(0, 15, len(case))], OPEN)
        placed = (interim | later) & (start <= self.end_of[case])
        case, start, end = case[placed], start[placed], np.maximum(end[placed], start[placed])
        end = np.where(self.hp.death[self.p[case]] < end, self.hp.death[self.p[case]], end)
        end = np.maximum(end, start)
        # one move for a share of long stays: first placement, then a settled one
        split = (np.minimum(end, WORLD_END) - start > 120) & (rng.random(len(case)) < 0.35)
        at = start + 14 + (rng.random(len(case)) * np.maximum(np.minimum(end, WORLD_END)
                                                                - start - 28, 1)).astype(np.int64)
        kind = np.where(self.family[case], "family", "single")
        first = table_weights(TA_TYPES, kind, tuple(TA_TYPES["family"]))
        types = np.array(list(TA_TYPES["family"]), dtype=object)
        rows = pd.DataFrame({
            "case": np.r_[case, case[split]], "start": np.r_[start, at[split] + 1],
            "end": np.r_[np.where(split, at, end), end[split]],
            "ta_type": np.r_[types[choose(rng, first)],
                             _pick(rng, TA_TYPES["second"], int(split.sum()))]})
        rows["end"] = np.where(rows["end"] > WORLD_END, OPEN, rows["end"])
        lad = self.c["lad"].to_numpy()[rows["case"].to_numpy()]
        london = np.char.startswith(self.hp.lad_codes[lad].astype(str), "E09")
        rows["out_of_area"] = np.where(rng.random(len(rows)) < np.where(london, 0.45, 0.25),
                                       "Y", "N")
        return rows.sort_values(["case", "start"], kind="stable").reset_index(drop=True)

    def assistance(self, prevention: pd.DataFrame, relief: pd.DataFrame) -> pd.DataFrame:
        rng, c, z = self.rng, self.c, self.hp.z
        duty = pd.concat([prevention, relief]).drop_duplicates("case")
        case = duty["case"].to_numpy()
        k = rng.choice(4, len(case), p=[.25, .35, .25, .15])
        case_r = np.repeat(case, k)
        start = np.repeat(duty["start"].to_numpy(), k)
        last = np.minimum(np.minimum(np.repeat(duty["end"].to_numpy(), k), start + 56),
                          self.end_of[case_r])
        day = start + (rng.random(len(case_r)) * (np.maximum(last - start, 0) + 1)).astype(
            np.int64)
        p, reason = self.p[case_r], c["reason"].to_numpy()[case_r]
        w = np.tile(ACTIVITY_BASE, (len(case_r), 1))
        w[:, 0] *= np.where(reason == "03", 4.0, 1.0)
        w[:, 1] *= np.where(reason == "01", 2.0, 1.0)
        w[:, 4] *= np.where(np.isin(reason, ["01", "02"]), 1.5, 1.0)
        w[:, 5:7] *= np.exp(0.4 * z["low_income"][p])[:, None]
        w[:, 3] *= np.exp(0.3 * (z["substance_misuse"][p] + z["mental_health"][p]))
        return pd.DataFrame({"case": case_r, "day": day,
                             "activity": np.array(ACTIVITIES, dtype=object)[choose(rng, w)]})

    def reviews(self, relief: pd.DataFrame, duty: pd.DataFrame) -> pd.DataFrame:
        rng, c = self.rng, self.c
        r = relief[relief["outcome"].isin(["5", "6"]).to_numpy()]
        nd = np.flatnonzero(c["outcome"].to_numpy() == "3")
        case = np.r_[duty["case"].to_numpy(), r["case"].to_numpy(), nd]
        base = np.r_[duty["day"].to_numpy(), r["end"].to_numpy(), self.assessed[nd]]
        # negative decisions most; suitability of the offer after a main duty owed some
        p = np.r_[np.where(duty["decision"] == "1", 0.04, 0.25), np.full(len(r), 0.2),
                  np.full(len(nd), 0.08)]
        asked = rng.random(len(case)) < p
        case, request = case[asked], base[asked] + rng.integers(1, 22, asked.sum())
        keep = request <= self.end_of[case]
        case, request = case[keep], request[keep]
        decided = request + rng.integers(14, 57, len(case))
        pending = decided > self.end_of[case]
        return pd.DataFrame({
            "case": case, "request": request, "decided": np.where(pending, OPEN, decided),
            "outcome": np.where(pending, None, _pick(rng, REVIEW_OUTCOMES, len(case)))})

    def support_needs(self) -> pd.DataFrame:
        """Up to MAX_SUPPORT_NEEDS needs per household owed a duty, from its latent needs, its
        records (offending: a justice record by then; care leaver: looked after, raw.npd_cla)
        and its case."""
        rng, c, hp = self.rng, self.c, self.hp
        case = np.flatnonzero(c["outcome"].isin(["1", "2"]).to_numpy())
        p, day = self.p[case], c["day"].to_numpy()[case]
        z = {k: v[p] for k, v in hp.z.items()}
        age, female = hp.age(p, day), ~hp.male[p]
        reason, acc = c["reason"].to_numpy()[case], c["accommodation"].to_numpy()[case]
        prob = np.column_stack([
            np.where(c["cause"].to_numpy()[case] == "prison", 0.8,
                     np.where(hp.justice_from[p] <= day, 0.16, 0.01)),
            sigmoid(-2.4 + 1.1 * z["mental_health"]),
            sigmoid(-2.5 + 0.9 * z["physical_health"] + 0.03 * (age - 40)),
            sigmoid(-4.8 + 1.3 * z["substance_misuse"]),
            sigmoid(-4.7 + 1.1 * z["substance_misuse"]),
            np.where(reason == "04", 0.85, female * sigmoid(-4.0 + 0.7 * z["family"])),
            np.where(c["earlier"].to_numpy()[case], 0.35, 0.02),
            np.select([acc == "6", acc == "5"], [0.6, 0.06], 0.01),
            np.where((age >= 18) & (age < 26), 0.3, 0.0),
            np.where(hp.looked_after[p] & (age < 25), 0.7, 0.0),
            sigmoid(-4.0 + 0.6 * z["education"]),
            sigmoid(-3.8 + 0.6 * z["employment"])])
        has = rng.random(prob.shape) < prob
        order = np.argsort(np.where(has, rng.random(prob.shape), 2.0), axis=1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(prob.shape[1])[None, :].repeat(len(case), 0), 1)
        has &= rank < MAX_SUPPORT_NEEDS
        row, col = np.nonzero(has)
        return pd.DataFrame({"case": case[row], "day": self.assessed[case[row]],
                             "need": np.array(SUPPORT_NEEDS, dtype=object)[col]})
