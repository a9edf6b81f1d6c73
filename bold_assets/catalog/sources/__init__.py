"""One module per source (or per family of tables), each exposing `DECLARED: tuple[Source, ...]`.

`MODULES` lists them in catalogue order: the order of the raw tables, the research tables and
the source lists that dbt and the suites are built from. A new source adds its module here.
"""

from __future__ import annotations

MODULES: tuple[str, ...] = ("mags", "crown", "prison", "probation", "oasys", "family", "civil",
                            "pnc", "npd", "dwp", "nhs", "ons", "hclic", "housing")
