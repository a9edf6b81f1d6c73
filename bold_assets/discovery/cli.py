"""`bold discover <keyword> [...]`: rank catalogue variables by a keyword (Step B), as
`discovery.candidate_variables` does for the register's factors.

Reads the measured catalogue from the warehouse when it has been materialised
(`discovery.data_catalogue`), else builds the declared one from the source declarations.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from bold_assets.discovery import catalogue, keywords


def load_catalogue(warehouse=None) -> tuple[pd.DataFrame, str]:
    """The catalogue and where it came from."""
    from bold_assets import warehouse as wh
    from bold_assets.sources import SOURCES

    if warehouse is not None and warehouse.exists():
        with wh.connect(warehouse) as con:
            if wh.table_exists(con, "discovery", "data_catalogue"):
                return (con.execute("SELECT * FROM discovery.data_catalogue").df(),
                        f"discovery.data_catalogue in {warehouse}")
    return catalogue.declared_catalogue(SOURCES.values()), "the source declarations"


def _discover(args: argparse.Namespace) -> int:
    from bold_assets.settings import SettingsError, get_settings

    words = list(args.keywords)
    if args.factor:
        if args.factor not in keywords.FACTOR_KEYWORDS:
            print(f"bold: unknown risk factor {args.factor!r}; one of "
                  f"{', '.join(keywords.FACTOR_KEYWORDS)}", file=sys.stderr)
            return 2
        words += keywords.FACTOR_KEYWORDS[args.factor]
    if not words:
        print("bold: give a keyword (e.g. bold discover accommodation) or --factor",
              file=sys.stderr)
        return 2
    try:
        warehouse = get_settings().warehouse
    except SettingsError:
        warehouse = None
    cat, origin = load_catalogue(warehouse)
    hits = keywords.search(cat, *words)
    terms = sorted({t for w in words for t in keywords.expand(w)})
    print(f"{len(hits)} variables match {', '.join(words)} (with {', '.join(terms)}) "
          f"in {cat['table_name'].nunique()} tables, from {origin}")
    shown = hits.head(args.limit)[["score", "dataset", "table_name", "variable",
                                   "matched_terms", "definition"]]
    shown = shown.assign(definition=shown["definition"].str.slice(0, 70))
    if len(shown):
        print(shown.to_string(index=False))
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("discover", help="search the data catalogues for a keyword (Step B)")
    p.add_argument("keywords", nargs="*", help="e.g. accommodation, 'domestic abuse'")
    p.add_argument("--factor", help="use a register factor's keywords, e.g. driver_accommodation")
    p.add_argument("--limit", type=int, default=25, help="rows to print (default 25)")
    p.set_defaults(func=_discover)
