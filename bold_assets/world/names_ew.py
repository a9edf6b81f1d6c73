"""Names of people of white British background, drawn from published frequencies for England and
Wales (sources, licences and what is modelled: `world/data/README.md`).

Forenames follow fashion: each birth cohort draws from the ONS list of its nearest listed year
(1904, 1914, ..., 1994, 2004, 2014, 2023), with a rank-frequency curve whose top name holds the
share published for that time and whose listed names hold the published share of a top list; the
rest of the cohort has names from the other years' lists, nearer years more likely. Surnames are
the 500 most common of England and Wales with their published shares, then a made-up long tail
of English place-name compounds that continues the curve from the 500th name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from importlib import resources

import numpy as np
import pandas as pd

# Top forename's share of its sex and cohort, by listed year: published where named in
# data/README.md (1900, 2008, 2014, 2023; John 4.9% of men in 2013), interpolated between, capped
# at 6% for the cohorts alive today.
TOP_FORENAME_SHARE = {  # year: (boys, girls)
    1904: (0.060, 0.047), 1914: (0.060, 0.045), 1924: (0.060, 0.045), 1934: (0.055, 0.040),
    1944: (0.050, 0.035), 1954: (0.045, 0.032), 1964: (0.040, 0.030), 1974: (0.035, 0.027),
    1984: (0.030, 0.025), 1994: (0.026, 0.020), 2004: (0.022, 0.016), 2014: (0.019, 0.016),
    2023: (0.015, 0.010)}
# Share of a cohort holding one of its year's listed names: top 100 about 55% of boys and 45% of
# girls (1905, 2008); a top 20 about 25% and 18%.
LISTED_SHARE = {95: (0.55, 0.45), 20: (0.25, 0.18)}
COHORT_DECAY_YEARS = 20.0  # a name listed this many years from a cohort is e^-1 as likely
# White British people as a share of everyone: the published surname shares are of everyone.
WHITE_BRITISH_SHARE = 0.80

# Elements of English place names, which most rare English surnames come from.
FIRST_ELEMENTS = (
    "Ack Ald Alder Ap Ash Ask Ather Aver Bad Bag Bar Barn Bas Bed Bel Ben Ber Bick Bil Bird Birk "
    "Black Blan Bol Bos Brad Bram Bran Bre Brin Brom Brook Brough Buck Bur Bux Cal Cam Can Car "
    "Carl Cat Chad Chat Ched Chil Chis Clap Clay Clif Cock Cold Col Cop Cot Cran Craw Crom Cros "
    "Dal Dar Deb Ded Den Dod Dor Dray Dun Dur Ead Eas Eb Ed Eg El Elm Ever Fair Far Fel Fen Fern "
    "Fox Frod Gar Gat Glad Glen Gold Good Gos Gran Gras Green Grim Had Hal Ham Han Har Hart Has "
    "Hat Haw Hay Haz Heath Hed Hep Hes Hol Hor Horn Hud Hun Ick Ing Kel Ken Kes Kil King Kir "
    "Knap Lad Lam Lang Lav Lax Led Ley Lin Lit Lock Long Lud Lyn Mab Mal Man Mar Mel Mer Mid "
    "Mil Mor Nap Ned Neth New Nor Nut Oak Ock Old Ong Orm Os Ot Ox Pad Pem Pen Pick Pil Pit "
    "Pol Pres Pud Rad Ram Rav Raw Red Rid Ring Roch Rod Rom Ros Row Rud Rush Ryl Sal Sand Sax "
    "Scar Sed Shel Sher Ship Shir Sid Skel Slat Small Snel Som Spal Spring Stain Stan Stap Star "
    "Stock Stow Strat Sud Sun Sut Swin Tad Tam Tat Ted Thorn Thur Tid Tod Tor Tun Up Ush Wad "
    "Wake Wal War Wat Wav Wed Wel Wen Wes West Wet Whit Wick Wig Wil Win Wit Wol Wood Wool Wor "
    "Wrax Wyn Yar Yate Yeo").split()
LINKING_ELEMENTS = ("", "en", "ing", "er", "le", "s")
LAST_ELEMENTS = (
    "bank beck borough bourne bridge brook burn bury by cliffe combe cote croft dale den don "
    "down field fold ford gate grave ham hampton hay hill hope house hurst land lee ley low "
    "mere moor more ridge shaw side stead stock stone thorpe ton wall ward well wick wood worth "
    "wright").split()


def _data(name: str):
    return resources.files("bold_assets.world") / "data" / name


def _exponent(too_small: Callable[[float], bool]) -> float:
    """The exponent s in [0, 8] of a rank curve (r^-s) at which `too_small(s)` turns false,
    by bisection; 0 when it is false already (no curve flatter than uniform)."""
    lo, hi = 0.0, 8.0
    for _ in range(60):
        s = (lo + hi) / 2
        lo, hi = (s, hi) if too_small(s) else (lo, s)
    return lo


def rank_shares(n: int, top: float, total: float = 1.0) -> np.ndarray:
    """Shares of ranks 1..n, proportional to r^-s, adding to `total`, the first `top` (as near
    as s >= 0 allows: a list can be no flatter than uniform)."""
    ranks = np.arange(1, n + 1, dtype=float)
    s = _exponent(lambda s: total / (ranks ** -s).sum() < top)  # rank 1's weight is 1
    w = ranks ** -s
    return w / w.sum() * total


def continue_curve(last: float, n_before: int, n_tail: int, mass: float) -> np.ndarray:
    """Shares of the `n_tail` names after the `n_before` listed ones: the curve continues from
    the last listed share (`last * (rank / n_before)^-s`) with s >= 0 set so the tail holds
    `mass`; a tail too short to hold it at `last` each shares it equally."""
    if n_tail * last <= mass:
        return np.full(n_tail, mass / n_tail)
    ranks = (n_before + np.arange(1, n_tail + 1)) / n_before
    tail = last * ranks ** -_exponent(lambda s: (last * ranks ** -s).sum() > mass)
    return tail / tail.sum() * mass


@lru_cache(maxsize=1)
def _forename_rows() -> dict[tuple[str, str], tuple[str, ...]]:
    rows = {}
    for line in _data("forenames_ew.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            sex, year, *names = line.split()
            rows[(sex, year)] = tuple(names)
    return rows


def forename_lists() -> dict[tuple[str, int], tuple[str, ...]]:
    """(sex, year) -> the year's listed forenames in rank order."""
    return {(sex, int(y)): names for (sex, y), names in _forename_rows().items() if y != "any"}


def undated_forenames(sex: str) -> tuple[str, ...]:
    """More forenames of England and Wales, of no particular year."""
    return _forename_rows().get((sex, "any"), ())


def listed_years() -> np.ndarray:
    return np.array(sorted({y for _, y in forename_lists()}))


def cohort_years(birth_year: np.ndarray) -> np.ndarray:
    """The listed year nearest each birth year."""
    years = listed_years()
    return years[np.abs(np.asarray(birth_year)[:, None] - years[None, :]).argmin(axis=1)]


@cache
def forename_shares(sex: str, year: int) -> pd.Series:
    """name -> share of the cohort of `year` (sex `sex`): the year's list on its rank curve,
    then the other names of that sex, most likely first (listed in nearer years, higher), on
    the curve continued (`continue_curve`)."""
    lists = forename_lists()
    listed = lists[(sex, year)]
    column = 0 if sex == "M" else 1
    listed_share = LISTED_SHARE[95 if len(listed) > 20 else 20][column]
    shares = rank_shares(len(listed), TOP_FORENAME_SHARE[year][column], listed_share)
    affinity: dict[str, float] = {}
    for (s, y), names in lists.items():
        if s == sex and y != year:
            closeness = np.exp(-abs(y - year) / COHORT_DECAY_YEARS)
            for rank, name in enumerate(names, start=1):
                affinity[name] = affinity.get(name, 0.0) + closeness / rank
    for rank, name in enumerate(undated_forenames(sex), start=1):
        affinity[name] = affinity.get(name, 0.0) + 1e-3 / rank
    tail = sorted(set(affinity) - set(listed), key=lambda n: (-affinity[n], n))
    return pd.concat([
        pd.Series(shares, index=list(listed)),
        pd.Series(continue_curve(shares[-1], len(listed), len(tail), 1 - listed_share),
                  index=tail)])


@lru_cache(maxsize=1)
def listed_surnames() -> pd.Series:
    """The 500 most common surnames of England and Wales -> share of everyone (0-1)."""
    df = pd.read_csv(_data("surnames_ew.csv"), keep_default_na=False)
    return df.set_index("name")["percent"] / 100


@lru_cache(maxsize=1)
def made_up_surnames() -> tuple[str, ...]:
    """English place-name compounds (`Ash` + `en` + `ford`), in a fixed shuffled order."""
    listed = {n.lower() for n in listed_surnames().index}
    names = sorted({f"{a}{link}{b}" for a in FIRST_ELEMENTS for link in LINKING_ELEMENTS
                    for b in LAST_ELEMENTS if not (link and link[-1] == b[0])}, key=str.lower)
    names = [n for n in names if n.lower() not in listed]
    order = np.random.default_rng(0).permutation(len(names))
    return tuple(names[i] for i in order)


@lru_cache(maxsize=1)
def surname_shares(exclude: frozenset[str] = frozenset()) -> pd.Series:
    """name -> share of white British people: the listed surnames (less `exclude`, the names
    drawn for other backgrounds) at their published share of everyone over
    WHITE_BRITISH_SHARE, then the made-up tail on the curve continued (`continue_curve`)."""
    listed = listed_surnames().drop(index=list(exclude & set(listed_surnames().index)))
    listed = listed / WHITE_BRITISH_SHARE
    tail_names = made_up_surnames()
    tail = continue_curve(listed.min(), len(listed), len(tail_names), 1 - listed.sum())
    return pd.concat([listed, pd.Series(tail, index=list(tail_names))])
