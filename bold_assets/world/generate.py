"""Assemble the world: reference geography, a general population, and each source's extract
from its own generator module (`world/sources/<name>.py`), run wave by wave."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType

import pandas as pd

from bold_assets.world.context import WorldContext
from bold_assets.world.geography import make_geography
from bold_assets.world.population import make_population

# Generator modules of wave 0, in the order they run (crown reads the magistrates' records,
# OASys the prison and probation journeys). With a catalogue, `generator_modules` reads the
# declared `Source.generator` of every wave instead.
WAVE_0_GENERATORS = tuple(f"bold_assets.world.sources.{name}" for name in
                          ("mags", "crown", "prison", "probation", "oasys", "family", "civil"))
KEPT_SCHEMAS = ("raw", "truth", "reference")  # "journey.*" frames stay inside the generators
REFERENCE_TABLES = ("lad", "lsoa", "postcodes")  # the geography, published as reference.*


@dataclass
class World:
    """Every table of the synthetic world, keyed `schema.table`."""

    tables: dict[str, pd.DataFrame]

    def __getitem__(self, key: str) -> pd.DataFrame:
        return self.tables[key]


def generator_modules(up_to_wave: int | None = None) -> tuple[str, ...]:
    """Dotted generator modules, wave by wave, each once (catalogue order when there is one);
    only those of waves up to `up_to_wave` when given."""
    try:
        from bold_assets.catalog import WAVES, sources_of_wave  # type: ignore[import-not-found]
    except ImportError:
        return WAVE_0_GENERATORS
    modules: list[str] = []
    for wave in sorted(WAVES):
        if up_to_wave is not None and wave > up_to_wave:
            break
        for source in sources_of_wave(wave):
            if source.generator not in modules:
                modules.append(source.generator)
    return tuple(modules)


def _geography(population: int, seed: int) -> tuple[WorldContext, dict[str, pd.DataFrame]]:
    if population < 200:
        raise ValueError(f"BOLD_POPULATION={population} is too small; use at least 200")
    base = WorldContext(seed=seed, persons=pd.DataFrame(), addresses=pd.DataFrame(), z={},
                        geo={})
    return base, make_geography(population, base.rng("geography"))


def make_context(population: int, seed: int) -> WorldContext:
    """The geography and people of the world, before any source is generated."""
    base, geo = _geography(population, seed)
    persons, addresses, z = make_population(population, geo, base.rng("population"))
    return WorldContext(seed=seed, persons=persons, addresses=addresses, z=z, geo=geo)


def reference_tables(population: int, seed: int) -> dict[str, pd.DataFrame]:
    """The world's reference geography alone (the same tables `generate_world` gives), for
    landed extracts, which need no synthetic people."""
    return _reference(_geography(population, seed)[1])


def _reference(geo: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {f"reference.{t}": geo[t] for t in REFERENCE_TABLES}


def run_generators(ctx: WorldContext, modules: Iterable[str | ModuleType]) -> None:
    """Run each generator (dotted module name, or a module) on `ctx`, adding its frames to
    ctx.tables (truth.record_person rows are appended; a generator may not replace another's
    table)."""
    for module in modules:
        if isinstance(module, str):
            module = importlib.import_module(module)
        dotted = getattr(module, "__name__", repr(module))
        for key, frame in module.generate(ctx).items():
            if key == "truth.record_person" and key in ctx.tables:
                frame = pd.concat([ctx.tables[key], frame], ignore_index=True)
            elif key in ctx.tables:
                raise ValueError(f"{dotted} returned {key}, which another generator made")
            ctx.tables[key] = frame


def generate_world(population: int, seed: int, up_to_wave: int | None = None) -> World:
    """Generate every table for `population` persons; the same inputs give identical tables.

    With `up_to_wave`, only the sources of waves up to it are generated (a wave's job needs no
    later wave's extracts). Each generator draws from its own named random streams and later
    waves run after earlier ones, so those sources' tables are the same as in the whole world;
    truth.record_person then holds only their records."""
    ctx = make_context(population, seed)
    run_generators(ctx, generator_modules(up_to_wave))
    return world_from(ctx)


def world_from(ctx: WorldContext) -> World:
    """The world's tables once the generators have run on `ctx`: extracts, reference and
    truth (the working tables, e.g. journeys, left out)."""
    pid = ctx.persons["person_id"].to_numpy()
    addresses = ctx.addresses.assign(person_id=pid[ctx.addresses["person_idx"].to_numpy()])
    tables = {k: v for k, v in ctx.tables.items() if k.split(".")[0] in KEPT_SCHEMAS}
    tables.update({
        "truth.persons": ctx.persons.drop(columns=["marriage_date", "name_background"]),
        "truth.person_addresses": addresses[["person_id", "seq", "lsoa_code", "postcode",
                                             "from_date", "to_date"]],
        **_reference(ctx.geo),
    })
    return World(tables)


def calibration_worlds(argv: list[str] | None, description: str, wave: int
                       ) -> tuple[argparse.Namespace, Iterator[dict[str, pd.DataFrame]]]:
    """A calibration module's command line (`--population N --seeds S ...`, defaults from the
    settings) and the tables (with `truth.persons`) of one world per seed, up to `wave`, made
    one at a time so that only one is in memory."""
    from bold_assets.settings import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--population", type=int, default=settings.population)
    parser.add_argument("--seeds", type=int, nargs="+", default=[settings.seed])
    args = parser.parse_args(argv)

    def worlds() -> Iterator[dict[str, pd.DataFrame]]:
        for seed in args.seeds:
            ctx = make_context(args.population, seed)
            run_generators(ctx, generator_modules(wave))
            yield {**ctx.tables, "truth.persons": ctx.persons}
            del ctx

    return args, worlds()
