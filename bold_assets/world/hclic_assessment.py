"""The initial assessment of each homelessness application (`homelessness.py`) and what the
council records about it: the duty owed, the reason for the loss of the last settled home, the
accommodation at application and the household type (H-CLIC's Main section).

Outcomes that events fix stay (a prison's referral before release is a prevention case, an
application after repossession a relief case); the others are drawn so that each financial year
has DLUHC's 2023-24 shares (`homelessness.OUTCOME_SHARES`), leaning towards relief for people
with high accommodation need. Reasons follow the outcome's shares of 2023-24 (rounded;
`REASON_BY_OUTCOME`), leaning by person: domestic abuse for women with family needs, family or
friends no longer willing for young people, asylum support for recent arrivals, institutions for
care leavers, supported housing for substance misuse. Accommodation follows the reason
(`HOUSED` for prevention and no duty, `HOMELESS` for relief; rough sleeping more for men and
with substance misuse), households the applicant's sex, age and family need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.world.homelessness import OUTCOME_SHARES, segments
from bold_assets.world.housing_people import HousingPeople, choose, table_weights
from bold_assets.world.labour_market import YEAR

# Reason for the loss of the last settled home by initial assessment (base shares).
REASONS = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
REASON_BY_OUTCOME = {
    "1": {"01": .30, "02": .06, "03": .20, "04": .06, "05": .06, "07": .01, "08": .03,
          "09": .03, "10": .05, "11": .02, "12": .18},
    "2": {"01": .09, "02": .02, "03": .30, "04": .14, "05": .09, "07": .03, "08": .03,
          "09": .04, "10": .02, "11": .08, "12": .20},
    "3": {"01": .25, "02": .05, "03": .20, "04": .03, "05": .05, "10": .10, "12": .32},
}  # fmt: skip
# Accommodation at application by reason: still housed (prevention, no duty) or homeless.
ACCOMMODATIONS = ("1", "2", "3", "4", "5", "6", "7", "8", "9")
HOUSED = {
    "01": {"1": .92, "9": .08}, "02": {"2": .92, "9": .08}, "03": {"3": .75, "4": .22, "9": .03},
    "04": {"1": .35, "2": .25, "3": .15, "8": .10, "9": .15},
    "05": {"1": .40, "2": .20, "8": .25, "9": .15}, "06": {"7": 1.0}, "07": {"9": 1.0},
    "08": {"9": .9, "2": .1}, "09": {"1": .4, "2": .3, "3": .2, "9": .1},
    "10": {"1": .6, "2": .3, "8": .1}, "11": {"9": 1.0},
    "12": {"1": .35, "2": .15, "3": .2, "4": .05, "8": .1, "9": .15},
}  # fmt: skip
HOMELESS = {
    "01": {"3": .3, "4": .2, "5": .35, "6": .05, "9": .1},
    "02": {"3": .3, "4": .2, "5": .35, "6": .05, "9": .1},
    "03": {"3": .2, "4": .25, "5": .4, "6": .1, "9": .05},
    "04": {"3": .25, "4": .2, "5": .25, "9": .3}, "05": {"3": .35, "4": .25, "5": .3, "9": .1},
    "06": {"5": .7, "6": .3}, "07": {"5": .4, "9": .6}, "08": {"5": .5, "6": .2, "9": .3},
    "09": {"5": .5, "6": .3, "9": .2}, "10": {"3": .3, "4": .2, "5": .3, "9": .2},
    "11": {"5": .4, "6": .2, "9": .4}, "12": {"3": .2, "4": .2, "5": .35, "6": .1, "9": .15},
}  # fmt: skip
HOUSEHOLDS = ("1", "2", "3", "4", "5", "6")
HOUSEHOLD_BY_SEX = {"M": {"1": .70, "3": .04, "4": .12, "5": .08, "6": .06},
                    "F": {"2": .38, "3": .42, "4": .10, "5": .05, "6": .05}}  # fmt: skip


def assess(hp: HousingPeople, rng: np.random.Generator, c: pd.DataFrame) -> pd.DataFrame:
    """Initial assessment, reason, accommodation and household of every case; the council (LAD
    of the address on the day) and that address row."""
    c = c.sort_values(["day", "person_idx"], kind="stable").reset_index(drop=True)
    p, day = c["person_idx"].to_numpy(), c["day"].to_numpy()
    z = {k: v[p] for k, v in hp.z.items()}
    outcome = c["outcome"].to_numpy(dtype=object).copy()
    codes = tuple(OUTCOME_SHARES)
    for first, last, _ in segments():
        seg = (day >= first) & (day <= last)
        open_ = np.flatnonzero(seg & (outcome == ""))
        if not len(open_):
            continue
        fixed = np.array([(seg & (outcome == k)).sum() for k in codes])
        want = np.maximum(np.array(list(OUTCOME_SHARES.values())) * seg.sum() - fixed, 0.5)
        tilt = np.column_stack([np.ones(len(open_)), np.exp(0.4 * z["accommodation"][open_]),
                                np.exp(-0.3 * z["accommodation"][open_])])
        wts = tilt * want / want.sum()
        for _ in range(8):  # rake: columns to their wanted totals, rows to one
            wts /= wts.sum(axis=1, keepdims=True)
            wts *= (want / want.sum() * len(open_) / wts.sum(axis=0))
        outcome[open_] = np.array(codes, dtype=object)[choose(rng, wts)]
    c["outcome"] = outcome
    age = hp.age(p, day)
    female = ~hp.male[p]
    recent = (hp.born_abroad[p]) & (day - hp.arrival[p] < 2 * YEAR)
    reason = c["reason"].to_numpy(dtype=object).copy()
    todo = np.flatnonzero(reason == "")
    w = table_weights(REASON_BY_OUTCOME, outcome[todo], REASONS)
    mult = {"04": np.where(female, 1.8, 0.25) * np.exp(0.4 * z["family"]),
            "05": np.exp(0.3 * z["family"]),
            "03": np.select([age < 25, age < 40], [2.0, 1.0], 0.5),
            "11": np.where(recent, 25.0, 0.0),
            "07": np.where(hp.looked_after[p] & (age < 25), 4.0, 1.0)
            * np.exp(0.3 * z["mental_health"]),
            "08": np.exp(0.5 * z["substance_misuse"] + 0.3 * z["mental_health"])}
    for code, m in mult.items():
        w[:, REASONS.index(code)] *= m[todo]
    reason[todo] = np.array(REASONS, dtype=object)[choose(rng, w)]
    c["reason"] = reason
    acc = c["accommodation"].to_numpy(dtype=object).copy()
    todo = np.flatnonzero(acc == "")
    homeless = outcome[todo] == "2"
    w = np.where(homeless[:, None], table_weights(HOMELESS, reason[todo], ACCOMMODATIONS),
                 table_weights(HOUSED, reason[todo], ACCOMMODATIONS))
    w[:, ACCOMMODATIONS.index("6")] *= (np.exp(0.5 * z["substance_misuse"])
                                        * np.where(female, 0.6, 1.5))[todo]
    acc[todo] = np.array(ACCOMMODATIONS, dtype=object)[choose(rng, w)]
    c["accommodation"] = acc
    w = table_weights(HOUSEHOLD_BY_SEX, np.where(female, "F", "M"), HOUSEHOLDS)
    fam = np.exp(0.4 * z["family"]) * np.where(age >= 55, 0.2, 1.0)
    fam = fam * np.where(np.isin(reason, ["06", "11"]), 0.2, 1.0)
    w[:, 2] *= fam * np.where(reason == "04", 2.0, 1.0)
    w[:, 3] *= fam
    c["household"] = np.array(HOUSEHOLDS, dtype=object)[choose(rng, w)]
    c["address_row"] = hp.address(p, day)
    c["lad"] = hp.a_lad[c["address_row"].to_numpy()]
    c["earlier"] = c.groupby("person_idx").cumcount().to_numpy() > 0
    return c
