"""A job and a schedule per linkage wave, built from the asset groups that exist.

Wave jobs are production: the wave's assets and the reference geography, never the synthetic
truth. `evaluation_job` scores the latest wave tables against truth (groups `evaluation` and
`truth`); `all_assets_job` runs everything, as `bold materialize` does by default.

Wave refreshes run weekly, as MoJ's linking pipeline does; schedules start stopped so that
nothing runs until an engineer turns them on in the UI. A wave whose assets are partitioned by
snapshot (`defs/snapshots.py`) gets a partitioned job, and its schedule launches the refresh of
the week's snapshot (`build_schedule_from_partitioned_job`).
"""

from __future__ import annotations

import dagster as dg

WAVES = ("wave_0", "wave_1", "wave_2", "wave_3", "wave_4")
WAVE_CRON = {
    "wave_0": "0 3 * * 1",  # Mondays 03:00
    "wave_1": "0 3 * * 2",
    "wave_2": "0 3 * * 3",
    "wave_3": "0 3 * * 4",
    "wave_4": "0 3 * * 5",
}


def _groups(defs: dg.Definitions) -> set[str]:
    groups: set[str] = set()
    for asset_def in defs.assets or []:
        if isinstance(asset_def, dg.AssetsDefinition):
            groups.update(asset_def.group_names_by_key.values())
    return groups


def _partitioned_groups(defs: dg.Definitions) -> set[str]:
    groups: set[str] = set()
    for asset_def in defs.assets or []:
        if isinstance(asset_def, dg.AssetsDefinition) and asset_def.partitions_def is not None:
            groups.update(asset_def.group_names_by_key.values())
    return groups


def wave_job_name(wave: str) -> str:
    return f"{wave}_job"


def build_defs(area_defs: dg.Definitions) -> dg.Definitions:
    """One job per wave that has assets (plus the cross-wave evaluation), one schedule per job."""
    present = _groups(area_defs)
    partitioned = _partitioned_groups(area_defs)
    jobs, schedules = [], []
    for wave in WAVES:
        if wave not in present:
            continue
        selection = dg.AssetSelection.groups(wave, *({"reference"} & present))
        job = dg.define_asset_job(
            wave_job_name(wave),
            selection=selection,
            description=f"Materialise linkage {wave.replace('_', ' ')} (production: no truth, "
            "no evaluation).",
        )
        jobs.append(job)
        if wave in partitioned:  # the weekly tick refreshes the week's snapshot
            schedules.append(dg.build_schedule_from_partitioned_job(
                job, name=f"{wave}_weekly_refresh", hour_of_day=3,
                default_status=dg.DefaultScheduleStatus.STOPPED))
            continue
        schedules.append(
            dg.ScheduleDefinition(
                name=f"{wave}_weekly_refresh",
                job=job,
                cron_schedule=WAVE_CRON[wave],
                execution_timezone="Europe/London",
                default_status=dg.DefaultScheduleStatus.STOPPED,
            )
        )
    if "evaluation" in present:
        jobs.append(dg.define_asset_job(
            "evaluation_job", selection=dg.AssetSelection.groups(
                "evaluation", *({"truth"} & present)),
            description="Score the latest wave tables against the synthetic truth."))
    jobs.append(dg.define_asset_job(
        "all_assets_job", selection=dg.AssetSelection.all(),
        description="Every asset: the waves, the synthetic truth and the evaluation (what "
        "`bold materialize` runs)."))
    return dg.Definitions(jobs=jobs, schedules=schedules)
