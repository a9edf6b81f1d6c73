"""Small synthetic populations for linkage unit tests (tests/test_trace.py, tests/test_ttp.py):
names drawn from the world's pools by ethnic background, dates of birth and postcodes."""

from __future__ import annotations

import numpy as np

from bold_assets.world import names as wn

ETHNIC = np.array(["White", "Asian", "Black", "Mixed", "Other"])
ETHNIC_SHARES = [0.75, 0.1, 0.06, 0.05, 0.04]


def postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` postcode-shaped strings from eight areas."""
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    areas = np.array(["LS", "M", "B", "S", "NE", "BS", "L", "CF"])
    return np.array([f"{rng.choice(areas)}{rng.integers(1, 30)} {rng.integers(1, 10)}"
                     f"{''.join(rng.choice(letters, 2))}" for _ in range(n)], dtype=object)


def people(rng: np.random.Generator, n: int, born_from: str, born_years: int
           ) -> dict[str, np.ndarray]:
    """Sex, ethnic group, forename, surname and date of birth (born in `born_years` years from
    `born_from`) of `n` people."""
    eth = rng.choice(ETHNIC, n, p=ETHNIC_SHARES)
    sex = rng.choice(["M", "F"], n)
    days = rng.integers(0, born_years * 365, n)
    born = np.datetime64(born_from) + days.astype("timedelta64[D]")
    birth_year = born.astype("datetime64[Y]").astype(int) + 1970
    fore, sur = np.empty(n, dtype=object), np.empty(n, dtype=object)
    for i in range(n):
        shares = wn.BACKGROUND_BY_ETHNIC_GROUP[eth[i]]
        bg = rng.choice(list(shares), p=list(shares.values()))
        fore[i] = wn.forename_pool(bg, sex[i], birth_year[i]).draw(rng, 1)[0]
        sur[i] = wn.surname_pools()[bg].draw(rng, 1)[0]
    dob = born.astype(object)
    return {"sex": sex, "ethnic_group": eth, "forename": fore, "surname": sur, "dob": dob}
