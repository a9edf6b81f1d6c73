"""Weekly snapshots as Dagster partitions: a refresh is a run for one snapshot date.

`SNAPSHOT_PARTITIONS` is defined once: weeks starting on Monday, from `FIRST_SNAPSHOT` to the
world's end. The partition key is the snapshot date. The wave-0 assets that change per snapshot
(the extracts and the linkage) use it; a run without a partition (`bold materialize`) takes
`BOLD_SNAPSHOT_DATE`, or the world's end.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from bold_assets.settings import get_settings
from bold_assets.world.snapshots import world_end_date

FIRST_SNAPSHOT = "2023-01-02"  # a Monday: a year of weekly snapshots before the world's end

SNAPSHOT_PARTITIONS = dg.WeeklyPartitionsDefinition(
    start_date=FIRST_SNAPSHOT,
    end_date=(world_end_date() + dt.timedelta(days=1)).isoformat(),
    day_offset=1,  # Monday
    timezone="Europe/London",
)


def default_snapshot_date() -> dt.date:
    """The snapshot of an unpartitioned run: `BOLD_SNAPSHOT_DATE`, else the world's end."""
    return get_settings().snapshot_date or world_end_date()


def snapshot_date_of(context: dg.AssetExecutionContext) -> dt.date:
    """The run's snapshot date: its partition key, or the default snapshot."""
    if context.has_partition_key:
        return dt.date.fromisoformat(context.partition_key)
    return default_snapshot_date()
