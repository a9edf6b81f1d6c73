"""The Dagster code location: built from the catalogue, merged, with one warehouse resource.

One factory per layer (`defs/factories/`) builds the per-source assets of every declared source
(raw, standardised, research) in its wave's group, the linkage of every later wave from its
declared link plans (`wave_linkage`; its evaluation in `defs/evaluation/wave_linkage.py`), the
identifier leak checks and each wave's job and schedule. `defs/wave_0/` holds wave 0's justice
linkage (Data First's models and the spine), the dbt marts and every wave's safe outputs, plus
the cross-wave `evaluation` group. Truth and reference have
groups of their own. The Great Expectations checks come from the suites (`defs/quality.py`).
"""

from __future__ import annotations

import dagster as dg

from bold_assets import run_report
from bold_assets.catalog import CATALOG, Catalog
from bold_assets.defs import discovery, estimates, quality
from bold_assets.defs.evaluation import estimate_coverage, linkage_quality, needs_validity
from bold_assets.defs.evaluation.wave_linkage import build_wave_evaluation
from bold_assets.defs.factories import raw, research, std, waves
from bold_assets.defs.factories.wave_linkage import build_wave_linkage
from bold_assets.defs.lineage import require_producers
from bold_assets.defs.metadata import present
from bold_assets.defs.resources import linkage_engine_resource, warehouse_resource
from bold_assets.defs.wave_0 import linkage, marts, outputs
from bold_assets.defs.wave_0 import research as research_0

WAVE_AREAS = (
    linkage.defs,
    research_0.defs,
    marts.defs,
    outputs.defs,
    estimates.defs,
    linkage_quality.defs,
    needs_validity.defs,
    estimate_coverage.defs,
    discovery.defs,
)


def build_definitions(catalog: Catalog = CATALOG) -> dg.Definitions:
    """The code location for `catalog` (a copy with more sources builds too)."""
    assets = dg.Definitions.merge(
        raw.build_raw(catalog),  # raw extracts (each in its wave group), truth, reference
        std.build_std(catalog),  # linkage/std_<source>
        research.build_research(catalog),  # research/<source>
        build_wave_linkage(catalog),  # waves 1-4: spine, population links, research link file
        build_wave_evaluation(catalog),  # ... and their linkage against truth
        *WAVE_AREAS,
    )
    # layer first in every description; truth and reference in their own groups
    assets = dg.Definitions.merge(
        dg.Definitions(assets=present(assets.assets or [])),
        dg.Definitions(asset_checks=assets.asset_checks, resources=assets.resources),
    )
    return require_producers(dg.Definitions.merge(
        assets,
        # a GX asset check per expectation, for each suite's asset, and the blocking
        # no_identifiers check on every research, marts, outputs and discovery asset
        quality.build_defs(assets),
        waves.build_waves(catalog, assets),  # a job and a schedule per wave
        dg.Definitions(
            resources={"warehouse": warehouse_resource(),
                       "linkage_engine": linkage_engine_resource()},
            executor=dg.in_process_executor,
            loggers=run_report.LOGGERS,  # `bold materialize`'s progress; silent otherwise
        ),
    ))


defs = build_definitions()
