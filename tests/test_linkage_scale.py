"""Linkage that holds at scale: priors that follow the population size, and every pair of sources
compared by exactly one model."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pandas as pd
import pytest

from bold_assets.linkage import dedupe
from bold_assets.linkage import justice as J
from bold_assets.sources import WAVE_0_SOURCES

MAPPING = {"record_id": "ref", "forename": "fn", "surname": "sn", "dob": "dob",
           "dob_format": "%Y-%m-%d", "postcode": "pc"}
COMMON = ("JOHN", "SMITH")
COMMON_SHARE = 0.3


def _word(r: random.Random, n: int) -> str:
    return "".join(r.choice("ABCDEFGHIJKLMNOPRSTUVWY") for _ in range(n))


def _records(n_people: int, seed: int) -> pd.DataFrame:
    """Two clean records per person; COMMON_SHARE of people are John Smith, the rest have names
    of their own; dates of birth and postcodes are (nearly) unique."""
    r = random.Random(seed)
    rows = []
    for i in range(n_people):
        if r.random() < COMMON_SHARE:
            fn, sn = COMMON
        else:
            fn, sn = _word(r, 6), _word(r, 8)
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=r.randrange(20000))
        pc = f"{r.choice(['SW', 'M', 'LS', 'B'])}{r.randrange(1, 30)} " \
             f"{r.randrange(1, 9)}{r.choice('ABDEFGHJ')}{r.choice('ABDEFGHJ')}"
        for j in range(2):
            rows.append({"ref": f"{i}-{j}", "pid": i, "fn": fn, "sn": sn,
                         "dob": dob.isoformat(), "pc": pc})
    return pd.DataFrame(rows)


def test_prior_falls_as_the_population_grows():
    """The prior match probability follows the number of candidate pairs: four times the people
    (with the same records per person) gives about a quarter of the prior."""
    priors = {}
    for n in (150, 600):
        res = dedupe(_records(n, seed=n).drop(columns="pid"), MAPPING)
        priors[n] = res.models["dedupe_input"]["probability_two_random_records_match"]
    ratio = priors[600] / priors[150]
    assert 0.15 < ratio < 0.45, priors


@pytest.mark.parametrize("plans", [J.PLANS], ids=["wave_0"])
def test_every_pair_of_sources_is_compared_by_exactly_one_model(plans):
    """No source pair is left unlinked, none is scored twice (two models' edges would count
    twice in clustering and in the scored pairs)."""
    for s, t in itertools.combinations_with_replacement(WAVE_0_SOURCES, 2):
        comparing = [p.name for p in plans if s in p.sources and t in p.sources and (
            (p.link_type == "dedupe_only" and s == t)
            or (p.link_type == "link_only" and p.group_of(s) != p.group_of(t)))]
        assert len(comparing) == 1, (s, t, comparing)
