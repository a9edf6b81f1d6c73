"""Placeholder: this area's assets arrive with their issue."""

import dagster as dg

defs = dg.Definitions()
