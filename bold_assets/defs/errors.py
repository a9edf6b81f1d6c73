"""Legible failures: domain errors become a dg.Failure whose first line is what is wrong and
what to do, instead of Dagster's "Error occurred while executing op ..." wrapper.

    with legible_errors("raw.mags"):
        frame = landing.read_landed(landing_dir, "mags")
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from bold_assets.quality.extract_validation import LandingError
from bold_assets.warehouse import WarehouseBusy


def explain(exc: BaseException, table: str | None = None) -> str | None:
    """A one-line diagnosis with a remedy for the errors the pipeline knows; None otherwise."""
    what = f"{table}: " if table else ""
    if isinstance(exc, LandingError):
        return str(exc)
    if isinstance(exc, WarehouseBusy):
        return f"{what}{exc}"
    text = str(exc)
    if isinstance(exc, duckdb.IOException) and "Could not set lock" in text:
        return (f"{what}the warehouse file is open in another program (a DuckDB shell or "
                "notebook holding it outside bold's lock); close it and re-execute. "
                + text.splitlines()[0])
    if isinstance(exc, duckdb.CatalogException) and "does not exist" in text:
        key = table.replace(".", "/") if table else "<asset>"
        return (f"{what}{text.splitlines()[0].removeprefix('Catalog Error: ')}; materialise the "
                f"upstream assets first (select them with it: `bold materialize --select "
                f"'+{key}'`, or in the UI 'Materialize' with upstream) and re-execute")
    return None


@contextmanager
def legible_errors(table: str | None = None) -> Iterator[None]:
    try:
        yield
    except (LandingError, WarehouseBusy, duckdb.Error) as exc:
        message = explain(exc, table)
        if message is None:
            raise
        metadata = {}
        if isinstance(exc, LandingError):
            metadata["problems"] = dg.MetadataValue.md("\n".join(f"- {p}" for p in exc.problems))
        raise dg.Failure(description=message, metadata=metadata) from exc
