"""Raw extracts, the synthetic truth and the reference geography: one multi-asset.

Generating the synthetic world is a single pass, and with `BOLD_LANDING_DIR` set the raw tables
are read from landed files instead (all files are read and validated before any table is
replaced). Truth exists only for generated data. Each raw table sits in its wave's group;
truth and reference in groups of their own.
"""

import importlib

import dagster as dg

from bold_assets import landing
from bold_assets.catalog import Catalog
from bold_assets.defs.errors import legible_errors
from bold_assets.defs.factories.keys import raw_key
from bold_assets.defs.metadata import table_metadata
from bold_assets.defs.resources import WarehouseResource
from bold_assets.defs.snapshots import SNAPSHOT_PARTITIONS, snapshot_date_of
from bold_assets.settings import get_settings
from bold_assets.world import generate_world
from bold_assets.world.generate import REFERENCE_TABLES, reference_tables
from bold_assets.world.snapshots import snapshot_tables, write_snapshot_date
from bold_assets.world.store import write_frame

# Truth every world has; a generator adds its own (`TRUTH` in its module, e.g. truth.deaths).
BASE_TRUTH_TABLES = ("persons", "record_person", "person_addresses")


def truth_tables(catalog: Catalog) -> tuple[str, ...]:
    """The `truth.*` tables of the catalogue's world: the base ones, then each generator's
    declared `TRUTH` (catalogue order)."""
    extra: list[str] = []
    for module in dict.fromkeys(s.generator for s in catalog.sources.values() if s.generator):
        try:
            extra += getattr(importlib.import_module(module), "TRUTH", ())
        except ModuleNotFoundError as err:  # a declaration ahead of its generator: no truth
            if err.name != module:  # yet (generating it names the missing module)
                raise
    return tuple(dict.fromkeys((*BASE_TRUTH_TABLES, *extra)))


def raw_specs(catalog: Catalog) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(raw_key(s.name), description=f"{s.title} extract ({s.system}), as landed.",
                     group_name=catalog.waves[s.wave].group, kinds={"duckdb"},
                     metadata={"source_system": s.system, "record_key": s.key})
        for s in catalog.sources.values()
    ]


def truth_specs(tables: tuple[str, ...]) -> list[dg.AssetSpec]:
    return [dg.AssetSpec(["truth", t], group_name="truth", kinds={"duckdb"}, skippable=True,
                         description="Synthetic ground truth; read only by the evaluation group.")
            for t in tables]
REFERENCE_SPECS = [
    dg.AssetSpec(["reference", t], group_name="reference", kinds={"duckdb"},
                 description="Geography: LSOA -> LAD with IMD deciles, and postcodes.")
    for t in REFERENCE_TABLES
]


def waves_needed(catalog: Catalog, selected: set[str]) -> int | None:
    """The last wave whose sources the selection needs generated: the latest wave of a selected
    raw table, or every wave (None) when truth is selected (it covers every source)."""
    if any(k.startswith("truth/") for k in selected):
        return None
    waves = [s.wave for s in catalog.sources.values() if f"raw/{s.name}" in selected]
    return max(waves, default=min(s.wave for s in catalog.sources.values()))


def build_raw(catalog: Catalog) -> dg.Definitions:
    """The `synthetic_world` multi-asset writing every declared source's raw table."""
    names = tuple(catalog.sources)
    truth = truth_tables(catalog)

    @dg.multi_asset(specs=raw_specs(catalog) + truth_specs(truth) + REFERENCE_SPECS,
                    can_subset=True, name="synthetic_world", partitions_def=SNAPSHOT_PARTITIONS)
    def synthetic_world(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Generate (or land) the declared extracts, with truth and reference geography."""
        settings = get_settings()
        selected = {"/".join(k.path) for k in context.selected_asset_keys}
        snapshot = snapshot_date_of(context)
        if settings.landing_dir is None:
            world = generate_world(settings.population, settings.seed,
                                   waves_needed(catalog, selected))
            tables = {k.replace(".", "/"): v
                      for k, v in snapshot_tables(world.tables, snapshot, settings.seed).items()}
        else:
            # Landed extracts need no synthetic people: only the reference geography is made.
            # Every selected landed file is read and checked before anything is replaced.
            tables = {k.replace(".", "/"): v
                      for k, v in reference_tables(settings.population, settings.seed).items()}
            for s in names:
                if f"raw/{s}" in selected:
                    with legible_errors(f"raw.{s}"):
                        frame = landing.read_landed(settings.landing_dir, s)
                    for warning in frame.attrs.get("landing_warnings", []):
                        context.log.warning(f"raw.{s}: {warning}")
                    tables[f"raw/{s}"] = frame
                    context.log.info(f"raw.{s}: read from {settings.landing_dir}")
            selected -= {f"truth/{t}" for t in truth}
        with warehouse.connect() as con:
            if settings.landing_dir is not None:
                # Synthetic truth does not describe landed extracts: remove it, so evaluation is
                # skipped (or fails plainly) instead of scoring landed data against another world.
                for t in truth:
                    con.execute(f"DROP TABLE IF EXISTS truth.{t}")
                context.log.info("Landed extracts: truth is not materialised (no ground truth).")
            write_snapshot_date(con, snapshot, landed=settings.landing_dir is not None)
            for key in sorted(selected):
                write_frame(con, key.replace("/", "."), tables[key])
                yield dg.MaterializeResult(
                    asset_key=dg.AssetKey(key.split("/")),
                    metadata={**table_metadata(con, key.replace("/", ".")),
                              "population": settings.population, "seed": settings.seed,
                              "snapshot_date": snapshot.isoformat(),
                              # where the rows came from, in words a newcomer reads
                              "extract_from": ("files landed from BOLD_LANDING_DIR"
                                               if settings.landing_dir is not None
                                               and key.startswith("raw/")
                                               else "the synthetic world (population, seed)")})

    return dg.Definitions(assets=[synthetic_world])
