"""The thin Dagster layer: assets, checks, jobs and schedules per area, over plain modules."""
