"""Small, valid example extracts built from the source registry.

Used by the tests (landing and quality) and handy for showing what a landed file must look like:

    python -m bold_assets.quality.samples mags 20 > mags.csv
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta

import pandas as pd

from bold_assets.catalog import SOURCES, Source, get_source

_FORENAMES = ("JOHN", "MARY", "AHMED", "PRIYA", "DAVID", "CHLOE", "KWAME", "SIOBHAN", "TOMASZ")
_SURNAMES = ("SMITH", "JONES", "KHAN", "PATEL", "WILLIAMS", "OKAFOR", "NOWAK", "EVANS", "BROWN")
_POSTCODES = ("SW1A 1AA", "M1 1AE", "CF10 1EP", "LS1 4AP", "B1 1BB", "NE1 7RU")
_LSOAS = ("E01000001", "E01033742", "W01001234")
_LADS = ("E09000001", "E08000035", "W06000015")


def _value(src: Source, col: str, typ: str, i: int, rng: random.Random, event: date) -> object:
    ids = src.identifiers
    if col == src.key:
        return f"{src.name[:2].upper()}{i:07d}"
    if col in src.case_ids:
        return f"C{i // 2:07d}"
    if col in src.codes:
        values = src.codes[col]
        return values[i % len(values)]
    if col in (ids.forename,):
        return rng.choice(_FORENAMES)
    if col in (ids.surname,):
        return rng.choice(_SURNAMES)
    if col == ids.full_name:
        return f"{rng.choice(_FORENAMES)} {rng.choice(_SURNAMES)}"
    if col == ids.middle_name:
        return None
    if col == ids.dob:
        # born 1960-1999, or earlier when the event is (a person is born before their records)
        year = min(1960 + i % 40, event.year - 1)
        return date(year, 1 + i % 12, 1 + i % 28).strftime(ids.dob_format)
    if col == ids.postcode:
        return _POSTCODES[i % len(_POSTCODES)]
    if col == ids.ethnicity:
        return "W1"
    if col == src.event_date:
        return event
    if col.endswith("lsoa_code") or (src.quality and col in src.quality.lsoa_columns):
        return _LSOAS[i % len(_LSOAS)]
    if col.endswith("lad_code") or (src.quality and col in src.quality.lad_columns):
        return _LADS[i % len(_LADS)]
    if src.quality and col in src.quality.patterns:
        return src.quality.patterns[col][2]
    if typ == "DATE":
        return event + timedelta(days=30)
    if typ == "INTEGER":  # within the declared range, if any
        lo, hi = (src.quality.numeric_ranges.get(col) if src.quality else None) or (None, None)
        lo = 0 if lo is None else int(lo)
        value = {"age_at_offence": 20 + i % 50, "offence_count": 1 + i % 3}.get(col, lo + i % 5)
        return value if hi is None else min(value, int(hi))
    if typ == "BOOLEAN":
        return i % 2 == 0
    if typ == "DOUBLE":
        return float(100 * (i % 7))
    return f"{col[:3].upper()}{i % 10}"


def sample_frame(source: str, n: int = 12, seed: int = 0) -> pd.DataFrame:
    """`n` valid rows of `source`, every column typed as the registry says (dates as `date`)."""
    src = get_source(source)
    rng = random.Random(seed)
    y0, y1 = src.coverage
    rows = []
    for i in range(n):
        event = date(y0 + i % (y1 - y0 + 1), 1 + i % 12, 1 + (i * 7) % 28)
        row = {c: _value(src, c, t, i, rng, event) for c, t in src.columns.items()}
        if src.person_filter and row.get("party_type") == "COMPANY":
            row["party_dob"] = None
        if src.quality:
            _scores(row, src, rng)
        for later, earlier in (src.quality.date_order if src.quality else ()):
            if later == src.event_date:  # a date before the event (death before registration)
                row[earlier] = event - timedelta(days=30)
        if "first_hearing_date" in row and "offence_date" in row:
            row["offence_date"] = event - timedelta(days=20)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(src.columns))
    for c, t in src.columns.items():
        if t == "INTEGER":
            frame[c] = frame[c].astype("Int64")
    return frame


def _scores(row: dict, src: Source, rng: random.Random) -> None:
    """Item scores of the source's scored sections, with need levels that agree with them."""
    for s in src.quality.score_sections:
        for c in s.items:
            row[c] = rng.choice(s.scores)
        if s.need_column and s.thresholds:
            total = sum(row[c] for c in s.items)
            standard, severe = s.thresholds
            row[s.need_column] = 2 if total >= severe else 1 if total >= standard else 0


def main(argv: list[str] | None = None) -> int:
    args = (argv if argv is not None else sys.argv[1:]) or ["mags"]
    name, n = args[0], int(args[1]) if len(args) > 1 else 12
    if name not in SOURCES:
        print(f"unknown source {name!r}; expected one of {', '.join(SOURCES)}", file=sys.stderr)
        return 2
    sample_frame(name, n).to_csv(sys.stdout, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
