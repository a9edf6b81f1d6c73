"""Record linkage: standardisation, Splink models, clustering and evaluation (no Dagster here).

Public entry points: `dedupe`, `link_records` (see `bold_assets.linkage.core`), `THRESHOLDS`.
"""

from bold_assets.linkage.core import THRESHOLDS, LinkageResult, dedupe, link_records

__all__ = ["THRESHOLDS", "LinkageResult", "dedupe", "link_records"]
