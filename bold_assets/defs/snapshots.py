"""Weekly snapshots as Dagster partitions: a refresh is a run for one snapshot date.

`SNAPSHOT_PARTITIONS` is defined once: weeks starting on Monday, from `FIRST_SNAPSHOT` to the
world's end. The partition key is the snapshot date. The wave-0 assets that change per snapshot
(the extracts and the linkage) use it. `bold materialize` runs the partition of the week holding
`BOLD_SNAPSHOT_DATE` (default: the world's end, i.e. the latest snapshot), tagged with that exact
date (`SNAPSHOT_TAG`), so an unpartitioned-looking run still materialises one snapshot.
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


SNAPSHOT_TAG = "bold/snapshot_date"

# A refresh builds on the ids of the snapshot before it: each partitioned linkage asset depends on
# its own previous week, so an asset backfill runs the weeks in order and one that starts in the
# middle of the history shows the week before as missing upstream.
PREVIOUS_SNAPSHOT = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)

SNAPSHOT_NOTE = (
    "\n\nPartitioned by weekly snapshot (Mondays from " + FIRST_SNAPSHOT + "): a materialised "
    "partition is a snapshot this warehouse has taken (`bold materialize` takes the latest, "
    "`bold refresh` or a backfill of the wave's job takes a range, in order); partitions never "
    "taken show as missing, which is not an error. The warehouse holds the latest snapshot "
    "taken; the history is in linkage.person_ids_history and research.person_id_changes.")


def previous_snapshot(key: dg.AssetKey) -> dg.AssetDep:
    """The dependency of `key` on its own previous weekly snapshot."""
    return dg.AssetDep(key, partition_mapping=PREVIOUS_SNAPSHOT)


def require_run_snapshot(context: dg.AssetExecutionContext, held: dt.date) -> None:
    """Fail plainly when the warehouse's extracts (snapshot `held`) are not of the run's weekly
    partition: another run replaced them, and ids recorded now would be filed under the wrong
    week."""
    if not context.has_partition_key:
        return
    week = dt.date.fromisoformat(context.partition_key)
    if not week <= held < week + dt.timedelta(days=7):
        raise dg.Failure(
            f"the warehouse's extracts are of snapshot {held}, but this run is for the week of "
            f"{week}: another run replaced them since. Run the wave's job for partition "
            f"{context.partition_key} (its extracts and linkage together), e.g. `bold refresh "
            f"--from {week} --to {week}`; the ids of {held} are unchanged.")


def default_snapshot_date() -> dt.date:
    """The snapshot of an unpartitioned run: `BOLD_SNAPSHOT_DATE`, else the world's end."""
    return get_settings().snapshot_date or world_end_date()


def snapshot_date_of(context: dg.AssetExecutionContext) -> dt.date:
    """The run's snapshot date: its `SNAPSHOT_TAG`, else its partition key, else the default."""
    tag = context.run.tags.get(SNAPSHOT_TAG)
    if tag:
        return dt.date.fromisoformat(tag)
    if context.has_partition_key:
        return dt.date.fromisoformat(context.partition_key)
    return default_snapshot_date()


def run_partition(job: dg.JobDefinition) -> tuple[str | None, dict[str, str]]:
    """Partition key and tags of a `bold materialize` run of `job`: the week holding the default
    snapshot date (the first week for earlier dates), tagged with the exact date."""
    if job.partitions_def is None:
        return None, {}
    day = default_snapshot_date()
    keys = SNAPSHOT_PARTITIONS.get_partition_keys()
    earlier = [k for k in keys if dt.date.fromisoformat(k) <= day]
    return (earlier[-1] if earlier else keys[0]), {SNAPSHOT_TAG: day.isoformat()}
