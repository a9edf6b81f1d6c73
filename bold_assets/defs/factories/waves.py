"""A job and a schedule per wave, from its `Wave` declaration (catalogue), for every wave that
has assets; plus `evaluation_job` and `all_assets_job`.

Wave jobs are production: the wave's assets and the reference geography, never the synthetic
truth. `evaluation_job` scores the latest wave tables against truth (groups `evaluation` and
`truth`); `all_assets_job` runs everything, as `bold materialize` does by default.

Schedules start stopped, so nothing runs until an engineer turns them on in the UI. A wave whose
assets are partitioned by snapshot (`defs/snapshots.py`) gets a partitioned job, and its schedule
launches the refresh of the week's snapshot at the wave's cron time
(`build_schedule_from_partitioned_job`); other waves run on the wave's cron.
"""

from __future__ import annotations

import dagster as dg

from bold_assets.catalog import Catalog, Wave
from bold_assets.settings import SettingsError, wave_cron

TIMEZONE = "Europe/London"


def _groups(defs: dg.Definitions, partitioned_only: bool = False) -> set[str]:
    groups: set[str] = set()
    for asset_def in defs.assets or []:
        if isinstance(asset_def, dg.AssetsDefinition) and (
                not partitioned_only or asset_def.partitions_def is not None):
            groups.update(asset_def.group_names_by_key.values())
    return groups


def wave_job_name(wave: str) -> str:
    return f"{wave}_job"


def weekly_cron_parts(cron: str) -> dict[str, int]:
    """`minute hour * * weekday` -> build_schedule_from_partitioned_job's keyword arguments."""
    parts = cron.split()
    if len(parts) != 5 or parts[2:4] != ["*", "*"] or not all(
            p.isdigit() for p in (parts[0], parts[1], parts[4])):
        raise ValueError(f"wave cron {cron!r} must be weekly: 'minute hour * * weekday'")
    return {"minute_of_hour": int(parts[0]), "hour_of_day": int(parts[1]),
            "day_of_week": int(parts[4])}


def wave_schedule(wave: Wave, job: dg.UnresolvedAssetJobDefinition, partitioned: bool):
    """The wave's schedule at its cron (`BOLD_WAVE_<n>_CRON` overrides the declared one)."""
    cron = wave_cron(wave.number, wave.cron)
    if partitioned:  # the weekly tick refreshes the week's snapshot
        try:
            parts = weekly_cron_parts(cron)
        except ValueError as err:
            if cron == wave.cron:
                raise
            raise SettingsError(f"BOLD_WAVE_{wave.number}_CRON: {err}") from None
        return dg.build_schedule_from_partitioned_job(
            job, name=wave.schedule_name, **parts,
            default_status=dg.DefaultScheduleStatus.STOPPED)
    return dg.ScheduleDefinition(
        name=wave.schedule_name, job=job, cron_schedule=cron,
        execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.STOPPED)


def build_waves(catalog: Catalog, area_defs: dg.Definitions) -> dg.Definitions:
    """One job and one schedule per declared wave whose group has assets in `area_defs`."""
    present = _groups(area_defs)
    partitioned = _groups(area_defs, partitioned_only=True)
    jobs, schedules = [], []
    for wave in catalog.waves.values():
        if wave.group not in present:
            continue
        job = dg.define_asset_job(
            wave.job_name,
            selection=dg.AssetSelection.groups(wave.group, *({"reference"} & present)),
            description=f"Materialise linkage wave {wave.number}: {wave.title} (production: no "
            "truth, no evaluation).",
        )
        jobs.append(job)
        schedules.append(wave_schedule(wave, job, wave.group in partitioned))
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
