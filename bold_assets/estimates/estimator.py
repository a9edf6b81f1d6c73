"""Error-aware prevalence estimates: each need's prevalence per area with a 90% interval that
carries linkage error and proxy (measurement) error. Reads no truth: only what production has.

What is estimated. For a wave and a measure, the prevalence among the wave's people of the need
*as the register's validated measure records it* (the flag of the latest built wave whose
register row is `validated`), had every record been linked without error. The validated measure
records nothing for a person who died before that wave's snapshot (its mart leaves them out:
dbt's deaths rule), so the prevalence is among the wave's people that wave's mart still holds
(`counted`); `persons` stays the cell's people. Where no wave validates the measure, the estimand
is the wave's own flag under perfect linkage, among all the wave's people, and the output says
the proxy error is not corrected (`validated_by_wave` empty).

Method: multiple imputation (Rubin 1987) of the two things production cannot see, in `draws`
Monte Carlo draws; the estimate is the mean over draws, the interval their 5th-95th percentiles.
- Proxy error, by multiple imputation for measurement error (Cole, Chu & Greenland 2006,
  "Multiple-imputation for measurement-error correction", Int J Epidemiol 35:1074-81). The
  validated measure is observed for the people a later wave's linkage could measure: everyone,
  or, when that wave's link plan goes to a file covering the whole population
  (`LinkPlan.covers_population`: PDS, DWP's customer information), the people linked to it.
  For the others (not traced, or dead before the later snapshot) it is imputed from its relation
  to the proxy (the flag of the wave before the validating one) within strata of proxy x age
  band x sex, fitted on the observed people: each draw takes the stratum's rate from its Beta
  posterior (Jeffreys prior: the misclassification model's own uncertainty) and the imputed
  people's values from the binomial (their sampling error).
- Linkage error, by multiple imputation of links (as in Goldstein, Harron & Wade 2012,
  "The analysis of record-linked data using multiple imputation with data value priors",
  Stat Med 31:3481-93): each candidate pair the Splink models scored across two persons of the
  published (medium) clustering, and each pair of spine persons a one-to-one trace found to
  share their best reference person (a trace collision: one NHS number, two persons), is drawn
  as a link with its match probability; the persons it joins are merged (a merged person's
  need: recorded in any part), which moves both the count and the denominator of the cells.
  Persons are not split: the medium clusters are dense (their records joined by many
  high-probability pairs), so a drawn non-link rarely cuts one.
- Links no model scored (outside blocking or below the predict floor) no drawn link can reach.
  For the persons linkage may have built wrongly, as production sees them (`Inputs.uncertain`:
  those on which the three clusterings disagree, those in a trace collision, and those in a
  population file's scope it did not link), the measured values are drawn as a binomial at
  the rate of the cell's drawn measured people (`_cell_draws`: as if each were one draw of the
  cell's population); the others count as measured. Drawing every measured person instead
  gives intervals that are too wide, drawing nobody too narrow (the README's "Measured"
  figures).
Assumptions: the imputed people resemble the measured people of their stratum (missing at random
given proxy, age band and sex); Splink's match probabilities are calibrated; the validated
measure is the reference (its own misses of latent need are beyond what any extract shows).

The naive interval beside it: the wave's flag rate with a 90% Wilson (binomial) interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from bold_assets import register

CONFIDENCE = 0.90
LEVELS = ("lsoa", "lad", "country")
COUNTRY = ("K04000001", "England and Wales")  # ONS code of England and Wales
DRAWS = 200
Z90 = 1.6448536269514722


@dataclass(frozen=True)
class MeasurePlan:
    """How a measure's proxy error is corrected when a wave is published."""

    measure: str
    validated_at: int | None  # the first wave whose register row validates the measure
    reference_wave: int | None  # the latest built wave that validates it (None: none built)
    proxy_wave: int | None  # whose flag predicts it for people it could not measure
    population_source: str | None  # people linked to it are measured (None: everyone is)

    @property
    def corrected(self) -> bool:
        return self.reference_wave is not None

    @property
    def errors_included(self) -> str:
        parts = ["linkage (missed links drawn from Splink match probabilities)"]
        if self.corrected:
            parts.append(f"proxy (validated by wave {self.validated_at}; imputed where "
                         "unmeasured)" if self.population_source else
                         f"proxy (validated by wave {self.validated_at})")
        return "; ".join(parts)

    @property
    def method(self) -> str:
        if self.corrected:
            return (f"multiple imputation: wave-{self.reference_wave} validated measure, "
                    "links drawn from match probabilities")
        if self.validated_at is not None:
            return (f"not corrected for proxy error: wave {self.validated_at} validates this "
                    "measure but its mart is not built for this snapshot")
        return "not corrected for proxy error: no wave validates this measure"


def _first_population_source(wave: int) -> str | None:
    from bold_assets.catalog import WAVES

    for plan in WAVES[wave].link_plans if wave in WAVES else ():
        if plan.covers_population:
            return plan.sources[0]
    return None


def measure_plans(wave: int, built: Iterable[int], reg: pd.DataFrame | None = None
                  ) -> dict[str, MeasurePlan]:
    """Per measure of `wave`: its plan, given the waves whose marts are built (same snapshot)."""
    reg = register.load_register() if reg is None else reg
    built = sorted(set(built))
    types = {w: register.measure_types(w, reg) for w in register.WAVES}
    plans = {}
    for m in register.wave_measures(wave, reg):
        validating = [w for w in register.WAVES if types[w].get(m) == "validated"]
        first = min(validating) if validating else None
        refs = [w for w in built if w in validating]
        reference = max(refs) if refs else None
        proxy = None
        if reference is not None and first and first - 1 in built:
            proxy = first - 1
        source = _first_population_source(first) if first else None
        plans[m] = MeasurePlan(m, first, reference, proxy, source)
    return plans


@dataclass
class Inputs:
    """What the estimator reads (all from production tables).

    persons: the wave's mart at the published threshold (estimated_xjs_id, lsoa_code, lad_code,
      age_band, sex and the flags), one row per person;
    flags: per built wave, its mart's flags indexed by estimated_xjs_id (the reference and proxy);
    linked: per population file, the ids of the persons linked to it;
    in_scope: per population file, the ids of the persons its link plan tries to link (holding a
      record of the plan's other sources);
    pairs: candidate pairs across two persons (id_l, id_r, match_probability);
    uncertain: the persons whose measured values are drawn (`_cell_draws`): those linkage may
      have built wrongly (`reading.read_inputs`); None: every measured person.
    """

    persons: pd.DataFrame
    flags: Mapping[int, pd.DataFrame] = field(default_factory=dict)
    linked: Mapping[str, set] = field(default_factory=dict)
    in_scope: Mapping[str, set] = field(default_factory=dict)
    pairs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["id_l", "id_r", "match_probability"]))
    uncertain: frozenset | None = None


def link_draws(ids: pd.Index, pairs: pd.DataFrame, draws: int, rng: np.random.Generator
               ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per draw: (members, reps): person positions merged into their component's representative
    (the smallest position) by the links drawn from the pairs' match probabilities."""
    pos_l = ids.get_indexer(pairs["id_l"])
    pos_r = ids.get_indexer(pairs["id_r"])
    keep = (pos_l >= 0) & (pos_r >= 0) & (pos_l != pos_r)
    pos_l, pos_r = pos_l[keep], pos_r[keep]
    prob = pairs["match_probability"].to_numpy(float)[keep]
    if not len(prob):
        return [(np.empty(0, int), np.empty(0, int))] * draws
    nodes, inverse = np.unique(np.concatenate([pos_l, pos_r]), return_inverse=True)
    a, b = inverse[: len(pos_l)], inverse[len(pos_l):]
    out = []
    for _ in range(draws):
        drawn = rng.random(len(prob)) < prob
        graph = coo_matrix((np.ones(drawn.sum()), (a[drawn], b[drawn])),
                           shape=(len(nodes), len(nodes)))
        _, label = connected_components(graph, directed=False)
        rep = pd.Series(nodes).groupby(label).transform("min").to_numpy()
        merged = rep != nodes
        out.append((nodes[merged], rep[merged]))
    return out


def _strata(persons: pd.DataFrame, proxy: pd.Series) -> pd.Series:
    return (proxy.astype(int).astype(str) + "|" + persons["age_band"].fillna("?").astype(str)
            + "|" + persons["sex"].fillna("?").astype(str))


def wilson(p: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z2 = Z90 * Z90
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = Z90 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _cells(persons: pd.DataFrame) -> dict[str, tuple[np.ndarray, pd.Index]]:
    """Per level: each person's cell position and the cells' codes."""
    codes = {"lsoa": persons["lsoa_code"], "lad": persons["lad_code"],
             "country": pd.Series(COUNTRY[0], index=persons.index)}
    out = {}
    for level in LEVELS:
        cells = pd.Index(sorted(codes[level].unique()))
        out[level] = (cells.get_indexer(codes[level]), cells)
    return out


@dataclass
class _Values:
    """A measure's person values: `point` (the validated measure where measured; where not, its
    stratum's posterior mean), `measured`, the unmeasured people's `strata` and per stratum the
    drawn rates (strata x draws)."""

    point: np.ndarray
    measured: np.ndarray
    strata: pd.Series
    rates: np.ndarray


def _person_values(plan: MeasurePlan, inputs: Inputs, rng: np.random.Generator,
                   draws: int) -> _Values:
    persons = inputs.persons
    flag = persons[plan.measure].astype(bool).to_numpy().astype(float)
    if not plan.corrected:
        return _Values(flag, np.ones(len(persons), bool), pd.Series(dtype=str),
                       np.empty((0, draws)))
    ids = persons["estimated_xjs_id"]
    ref = inputs.flags[plan.reference_wave][plan.measure].reindex(ids).astype(float).to_numpy()
    measured = ~np.isnan(ref)  # not in the later mart: dead before its snapshot
    if plan.population_source:  # in the plan's scope and not linked to its file: unmeasured
        in_scope = ids.isin(inputs.in_scope.get(plan.population_source, set())).to_numpy()
        linked = ids.isin(inputs.linked.get(plan.population_source, set())).to_numpy()
        measured &= linked | ~in_scope
    proxy = (inputs.flags[plan.proxy_wave][plan.measure].reindex(ids).astype(float).fillna(0)
             .to_numpy() if plan.proxy_wave is not None else flag)
    strata = pd.Series(_strata(persons, pd.Series(proxy, index=persons.index)).to_numpy())
    fit = pd.DataFrame({"s": strata[measured], "r": ref[measured]}).groupby("s")["r"].agg(
        ["sum", "count"])
    # a stratum with nobody measured keeps its people's own values (the later wave's flag, or
    # the wave's own for the dead): nothing says what the file would have shown for them
    own = np.where(np.isnan(ref), flag, ref)
    measured |= ~strata.isin(fit.index).to_numpy()
    levels = pd.Index(sorted(strata[~measured].unique()))
    fit = fit.reindex(levels)
    a = fit["sum"].to_numpy() + 0.5  # Jeffreys prior
    b = fit["count"].to_numpy() - fit["sum"].to_numpy() + 0.5
    point = np.where(measured, own, 0.0)
    point[~measured] = (a / (a + b))[levels.get_indexer(strata[~measured])]
    return _Values(point, measured, strata.where(~measured),
                   rng.beta(a[:, None], b[:, None], size=(len(levels), draws)))


def _cell_draws(v: _Values, cell: np.ndarray, cells: int, rng: np.random.Generator,
                draws: int, sampled: np.ndarray) -> np.ndarray:
    """Per cell and draw: the number of people with the need among the cell's people (measured
    `sampled` ones as a binomial draw at their rate: sampling error; the other measured ones as
    measured; unmeasured ones imputed)."""
    m, fixed, unmeasured = v.measured & sampled, v.measured & ~sampled, ~v.measured
    n_measured = np.bincount(cell[m], minlength=cells)
    seen = np.bincount(cell[m], weights=v.point[m], minlength=cells)
    rate = np.divide(seen, n_measured, out=np.zeros(cells), where=n_measured > 0)
    out = rng.binomial(n_measured[:, None], np.clip(rate, 0, 1)[:, None],
                       size=(cells, draws)).astype(float)
    out += np.bincount(cell[fixed], weights=v.point[fixed], minlength=cells)[:, None]
    if unmeasured.any():
        key = pd.DataFrame({"cell": cell[unmeasured], "s": v.strata[unmeasured].to_numpy()})
        counts = key.groupby(["cell", "s"]).size().unstack(fill_value=0)
        rates = v.rates[pd.Index(sorted(v.strata.dropna().unique())).get_indexer(counts.columns)]
        out[counts.index.to_numpy()] += rng.binomial(counts.to_numpy()[:, :, None],
                                                     rates[None, :, :]).sum(axis=1)
    return out


def counted(plan: MeasurePlan, inputs: Inputs) -> np.ndarray | None:
    """Whom the measure's prevalence is over: for a measure a later wave validates, the wave's
    people that wave's mart holds (it leaves out those who died before its snapshot, for whom the
    validated measure records nothing); None: all the wave's people."""
    if not plan.corrected:
        return None
    held = inputs.persons["estimated_xjs_id"].isin(inputs.flags[plan.reference_wave].index)
    return None if held.all() else held.to_numpy()


@dataclass
class _Population:
    """The people a group of measures is estimated over: their inputs, cells (positions in the
    cells of all the wave's people) and one set of link draws."""

    inputs: Inputs
    cells: dict[str, np.ndarray]
    merges: list[_Merge]
    sampled: np.ndarray


def _population(inputs: Inputs, keep: np.ndarray | None, cells: Mapping[str, tuple],
                rng: np.random.Generator, draws: int) -> _Population:
    persons = inputs.persons if keep is None else inputs.persons[keep].reset_index(drop=True)
    sampled = (np.ones(len(persons), bool) if inputs.uncertain is None
               else persons["estimated_xjs_id"].isin(inputs.uncertain).to_numpy())
    merges = [_Merge(member, rep) for member, rep in
              link_draws(pd.Index(persons["estimated_xjs_id"]), inputs.pairs, draws, rng)]
    return _Population(replace(inputs, persons=persons),
                       {lvl: c if keep is None else c[keep] for lvl, (c, _) in cells.items()},
                       merges, sampled)


def estimate(inputs: Inputs, plans: Mapping[str, MeasurePlan], draws: int = DRAWS,
             seed: int = 0) -> pd.DataFrame:
    """Per level, area and measure: estimate, lower, upper (90%) over the measure's `counted`
    people, the naive flag rate and its Wilson interval, the cell's persons, method and errors
    included. A cell with nobody counted has no estimate (NaN)."""
    rng = np.random.default_rng(seed)
    persons = inputs.persons.dropna(subset=["lsoa_code", "lad_code"]).reset_index(drop=True)
    inputs = replace(inputs, persons=persons)
    cells = _cells(persons)
    populations: dict[int | None, _Population] = {}
    rows = []
    for m, plan in plans.items():
        keep = counted(plan, inputs)
        key = None if keep is None else plan.reference_wave
        if key not in populations:
            populations[key] = _population(inputs, keep, cells, rng, draws)
        pop = populations[key]
        v = _person_values(plan, pop.inputs, rng, draws)
        flag = persons[m].astype(bool).to_numpy().astype(float)
        for level, (all_cells, codes) in cells.items():
            cell = pop.cells[level]
            n = np.bincount(cell, minlength=len(codes)).astype(float)
            base = np.bincount(cell, weights=v.point, minlength=len(codes))
            shift = np.column_stack([mg.shift(v.point, cell, n, base) for mg in pop.merges])
            with np.errstate(invalid="ignore", divide="ignore"):
                theta = np.clip(_cell_draws(v, cell, len(codes), rng, draws, pop.sampled)
                                / n[:, None] + shift, 0, 1)
            theta[n == 0] = np.nan
            everyone = np.bincount(all_cells, minlength=len(codes)).astype(float)
            naive = np.bincount(all_cells, weights=flag, minlength=len(codes)) / everyone
            naive_lo, naive_hi = wilson(naive, everyone)
            lo, hi = np.quantile(theta, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2], axis=1)
            rows.append(pd.DataFrame({
                "geography_level": level, "area_code": codes, "measure": m,
                "persons": everyone.astype(int), "estimate": theta.mean(axis=1), "lower": lo,
                "upper": hi, "naive_rate": naive, "naive_lower": naive_lo,
                "naive_upper": naive_hi,
                "validated_by_wave": plan.reference_wave if plan.corrected else None,
                "method": plan.method, "errors_included": plan.errors_included}))
    out = pd.concat(rows, ignore_index=True)
    out["validated_by_wave"] = out["validated_by_wave"].astype("Int64")
    return out


class _Merge:
    """One draw's merges: `member` persons join their component's representative `rep`."""

    def __init__(self, member: np.ndarray, rep: np.ndarray):
        self.member = member
        self.reps, self.group = np.unique(rep, return_inverse=True)

    def shift(self, values: np.ndarray, cell: np.ndarray, n: np.ndarray,
              base: np.ndarray) -> np.ndarray:
        """Change of each cell's prevalence (`base`: its people with the need, `n`: its people)
        when the merges happen: a merged person counts once, in its representative's cell, with
        the need if any part has it."""
        if not len(self.member):
            return np.zeros(len(n))
        none = 1 - values[self.reps]
        np.multiply.at(none, self.group, 1 - values[self.member])
        ds = np.bincount(cell[self.reps], weights=(1 - none) - values[self.reps],
                         minlength=len(n))
        ds -= np.bincount(cell[self.member], weights=values[self.member], minlength=len(n))
        dn = -np.bincount(cell[self.member], minlength=len(n))
        after = np.divide(base + ds, n + dn, out=np.zeros(len(n)), where=n + dn > 0)
        before = np.divide(base, n, out=np.zeros(len(n)), where=n > 0)
        return after - before
