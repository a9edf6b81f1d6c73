"""The catalogue of sources and waves: every layer is built from these declarations.

One declaration per source (`catalog/sources/<name>.py`: columns, identifiers, codes, quality
profile, wave, link role, generator) and one per wave (`catalog/waves.py`: its sources, link plans
and schedule). Plain Python: no Dagster, no pandas.

`CATALOG` is the project's catalogue; `Catalog.with_sources` / `with_waves` give a copy with more
sources or other wave declarations (the definitions factories take a catalogue as an argument,
so tests can add a source to a copy). Modules named in `BOLD_CATALOG_EXTENSIONS` add their
`DECLARED` sources and `WAVES` declarations to `CATALOG` itself: a team's own source or wave,
declared outside the project, gets every layer the project's sources get.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bold_assets.catalog.model import (
    LINK_PLAN_KINDS,
    LINK_ROLES,
    NATIONAL_ID_KINDS,
    PERSON_ROLES,
    Identifiers,
    LinkPlan,
    QualityProfile,
    ScoreSection,
    Source,
    Wave,
)
from bold_assets.catalog.sources import MODULES
from bold_assets.catalog.waves import DECLARED as DECLARED_WAVES
from bold_assets.catalog.waves import declare_waves
from bold_assets.settings import catalog_extensions


@dataclass(frozen=True)
class Catalog:
    """Sources (catalogue order) and waves (by number)."""

    sources: Mapping[str, Source]
    waves: Mapping[int, Wave]
    declared_waves: tuple[Wave, ...] = DECLARED_WAVES  # as declared, before sources join them

    @classmethod
    def from_sources(cls, sources: Iterable[Source],
                     declared_waves: Iterable[Wave] = DECLARED_WAVES) -> Catalog:
        by_name: dict[str, Source] = {}
        for s in sources:
            if s.name in by_name:
                raise ValueError(f"source {s.name!r} is declared twice in the catalogue")
            by_name[s.name] = s
        declared = tuple(declared_waves)
        return cls(by_name, declare_waves(by_name, declared), declared)

    def with_sources(self, *extra: Source) -> Catalog:
        """A copy with `extra` sources appended (tests; a new source declares its module)."""
        return Catalog.from_sources([*self.sources.values(), *extra], self.declared_waves)

    def with_waves(self, *waves: Wave) -> Catalog:
        """A copy in which `waves` replace the declarations of the same numbers (or add new
        numbers, in order)."""
        by_number = {w.number: w for w in self.declared_waves} | {w.number: w for w in waves}
        return Catalog.from_sources(self.sources.values(),
                                    tuple(by_number[n] for n in sorted(by_number)))

    def get_source(self, name: str) -> Source:
        try:
            return self.sources[name]
        except KeyError:
            raise KeyError(f"unknown source {name!r}; expected one of "
                           f"{', '.join(self.sources)}") from None

    def sources_of_wave(self, number: int) -> tuple[Source, ...]:
        return tuple(s for s in self.sources.values() if s.wave == number)

    def sources_with_role(self, *roles: str, wave: int | None = None) -> tuple[str, ...]:
        """Names of the sources with one of `roles` (of `wave` when given), catalogue order."""
        return tuple(s.name for s in self.sources.values()
                     if s.link_role in roles and (wave is None or s.wave == wave))

    def active_waves(self) -> tuple[Wave, ...]:
        """Waves that have at least one source (only these get assets, jobs and schedules)."""
        return tuple(w for w in self.waves.values() if w.sources)


def load_declared(modules: Iterable[str] = MODULES) -> list[Source]:
    """Every `DECLARED` source of the `catalog/sources/<module>.py` modules, in order."""
    out: list[Source] = []
    for m in modules:
        out.extend(importlib.import_module(f"bold_assets.catalog.sources.{m}").DECLARED)
    return out


def load_catalog(extensions: Iterable[str] = ()) -> Catalog:
    """The project's declarations plus those of each extension module (its `DECLARED` sources,
    and its `WAVES`, which replace the project's declarations of the same numbers)."""
    catalog = Catalog.from_sources(load_declared())
    for name in extensions:
        module = importlib.import_module(name)
        if not hasattr(module, "DECLARED") and not hasattr(module, "WAVES"):
            raise ValueError(f"catalogue extension {name!r} declares neither DECLARED (sources) "
                             "nor WAVES")
        waves, sources = getattr(module, "WAVES", ()), getattr(module, "DECLARED", ())
        if isinstance(waves, Mapping):  # {number: Wave}, as catalog.WAVES is
            waves = tuple(waves.values())
        if isinstance(sources, Mapping):
            sources = tuple(sources.values())
        catalog = catalog.with_waves(*waves).with_sources(*sources)
    return catalog


CATALOG = load_catalog(catalog_extensions())
SOURCES: dict[str, Source] = dict(CATALOG.sources)
WAVES: dict[int, Wave] = dict(CATALOG.waves)
get_source = CATALOG.get_source
sources_of_wave = CATALOG.sources_of_wave

__all__ = [
    "CATALOG", "Catalog", "Identifiers", "LINK_PLAN_KINDS", "LINK_ROLES", "LinkPlan",
    "NATIONAL_ID_KINDS", "PERSON_ROLES",
    "QualityProfile", "SOURCES", "ScoreSection", "Source", "WAVES", "Wave", "get_source",
    "load_catalog", "load_declared", "sources_of_wave",
]
