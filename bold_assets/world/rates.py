"""Annual justice volumes per head of the general population, the targets the world follows.

One row per source: records (or cases) per 100,000 people per year in England and Wales, the
unit counted, the extract's years, and where the figure comes from. All figures are rounded,
order-of-magnitude values from the published series named (population of England and Wales
about 59-60 million, years before the pandemic); none is a precise citation of one table.
`measure.volumes_per_100k` measures a world against this table, and tests/test_world.py holds it
within `VOLUME_TOLERANCE`.

| source    | /100k/yr | unit                     | basis (approximate)                          |
|-----------|----------|--------------------------|----------------------------------------------|
| mags      | 2,000    | defendant records        | MoJ Criminal Justice Statistics: ~1.2-1.4m    |
|           |          |                          | defendants proceeded against a year           |
| crown     | 150      | defendant-on-case rows   | MoJ Criminal Justice / Criminal Court         |
|           |          |                          | Statistics: ~80-100k Crown Court defendants   |
| prison    | 100      | receptions on sentence   | MoJ Offender Management Statistics: ~55-65k   |
|           |          |                          | first receptions on sentence a year           |
| probation | 300      | supervision starts       | Offender Management Statistics: court orders  |
|           |          |                          | and licences starting ~150-200k a year        |
| oasys     | 350      | assessments              | approximate: OASys at most probation starts   |
|           |          |                          | and longer custody, plus reviews (no series   |
|           |          |                          | verified)                                     |
| family    | 400      | cases (two parties each) | Family Court Statistics Quarterly: ~250k new  |
|           |          |                          | cases a year incl. divorce                    |
| civil     | 200      | possession claims        | Mortgage and Landlord Possession Statistics:  |
|           |          |                          | ~100-130k claims a year (2015-2019)           |

Offending by sex and age follows the same statistics: about 85% of defendants male, rates per
head highest at ages 18-30 (`AGE_CRIME`). The cohort figures of the ONS May 2022 linked
MoJ-DfE analysis (born from September 1985, by age 23: about 1.5% a custodial sentence, 12.2% a
non-custodial sentence or caution; males 92.6% and 68.6% of them) are the order of magnitude
the criminal careers aim at; cautions are not court data (PNC adds them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Volume:
    per_100k: float  # per 100,000 people (all ages) per year
    unit: str  # what is counted: "records" (rows of the extract) or "cases" (distinct cases)
    start: str  # the extract's period (inclusive), over which the volume is averaged
    end: str
    basis: str

    @property
    def years(self) -> float:
        return float((np.datetime64(self.end) - np.datetime64(self.start)).astype(int) + 1) / 365.25


VOLUMES: dict[str, Volume] = {
    "mags": Volume(2000, "records", "2011-01-01", "2023-12-31",
                   "MoJ Criminal Justice Statistics (approx.)"),
    "crown": Volume(150, "records", "2013-01-01", "2023-12-31",
                    "MoJ Criminal Justice Statistics (approx.)"),
    "prison": Volume(100, "records", "2011-01-01", "2021-12-31",
                     "MoJ Offender Management Statistics (approx.)"),
    "probation": Volume(300, "records", "2014-01-01", "2023-12-31",
                        "MoJ Offender Management Statistics (approx.)"),
    "oasys": Volume(350, "records", "2013-01-01", "2023-12-31",
                    "order of magnitude only, not verified"),
    "family": Volume(400, "cases", "2011-01-01", "2023-03-31",
                     "Family Court Statistics Quarterly (approx.)"),
    "civil": Volume(200, "cases", "2012-01-01", "2022-01-31",
                    "Mortgage and Landlord Possession Statistics (approx.)"),
}
VOLUME_TOLERANCE = 0.35  # measured / target within 1 +- this (figures are order of magnitude)

MALE_SHARE_OF_DEFENDANTS = 0.85
# Relative magistrates' case rate per head by single year of age (index = age 0..110):
# none before 10, rising through the teens, highest 18-30, then falling by half every ~10 years.
_AGES = np.arange(111)
AGE_CRIME = np.where(
    _AGES < 10, 0.0,
    np.where(_AGES < 18, np.clip((_AGES - 9) / 9, 0, 1) ** 1.5,
             np.where(_AGES <= 30, 1.0, np.exp(-(_AGES - 30) / 14.0))))
# Family cases (index party) and possession claims (defendants): adults, most at 25-45 / 25-55.
AGE_FAMILY = np.where(_AGES < 18, 0.0, np.exp(-0.5 * ((_AGES - 35) / 10.0) ** 2))
AGE_CIVIL = np.where(_AGES < 18, 0.0, np.exp(-0.5 * ((_AGES - 40) / 14.0) ** 2))
