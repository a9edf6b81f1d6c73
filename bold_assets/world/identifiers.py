"""Identifiers as each source records them: the true values at the event, then errors and gaps.

Error types follow public generators (MoJ's splink_synthetic_data, pseudopeople): keyboard typos,
nicknames, forename / surname swaps, a surname not updated after marriage, day / month swaps,
years off by one, shifted dates, placeholder dates, stale and mistyped postcodes, missing fields.
Rates differ by subgroup (names recorded from people born abroad or from minority backgrounds
are mistyped and inverted more often; young adults have more missing and stale addresses), so
linkage bias can be measured. Family and civil rates are much higher, and depend on party role.
Each source's `ErrorProfile` lives in its generator module (`world/sources/<x>.py`,
`ERROR_PROFILES`, keyed by source name). National ids (`national_ids.py`) are the person's true
id with missing, mistyped and (NINO) temporary values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bold_assets.world.names import nicknames
from bold_assets.world.national_ids import digit_typo, temporary_nino, true_ids

_KEYBOARD = "qwertyuiop asdfghjkl zxcvbnm".split()
_NEIGHBOURS: dict[str, str] = {}
for _row in _KEYBOARD:
    for _i, _ch in enumerate(_row):
        _NEIGHBOURS[_ch] = _row[max(_i - 1, 0):_i] + _row[_i + 1:_i + 2]
_POSTCODE_LOOKALIKE = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B",
                       "B": "8", "2": "Z", "Z": "2"}
_MONTHS = np.array(["", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                    "NOV", "DEC"], dtype=object)


@dataclass(frozen=True)
class ErrorProfile:
    """Per-record probabilities of each error before subgroup multipliers."""

    typo_forename: float = 0.03
    typo_surname: float = 0.03
    nickname: float = 0.04
    swap_names: float = 0.015
    initial_only: float = 0.0
    stale_surname: float = 0.3  # share of post-marriage records still under the birth surname
    dob_day_month_swap: float = 0.01
    dob_year_off: float = 0.01
    dob_shift: float = 0.01
    dob_placeholder: float = 0.0
    dob_missing: float = 0.01
    sex_missing: float = 0.005
    postcode_missing: float = 0.06
    postcode_typo: float = 0.02
    postcode_stale: float = 0.05
    ethnicity_missing: float = 0.05
    middle_missing: float = 0.3
    name_case: str = "upper"  # upper | title | mixed
    # National ids (`Identifiers.national_ids`), per record at these plain rates: missing, one
    # digit mistyped or two transposed, and (NINO only) DWP's temporary "TN" reference.
    national_id_missing: float = 0.0
    national_id_typo: float = 0.0
    national_id_placeholder: float = 0.0
    # per party role multipliers on the missing-field rates (family and civil)
    role_missing: dict[str, float] = field(default_factory=dict)


def _typo(s: str, rng: np.random.Generator) -> str:
    if len(s) < 3:
        return s
    i = int(rng.integers(1, len(s)))
    op = rng.integers(4)
    ch = s[i].lower()
    if op == 0 and _NEIGHBOURS.get(ch):
        near = _NEIGHBOURS[ch]
        sub = near[rng.integers(len(near))]
        return s[:i] + (sub.upper() if s[i].isupper() else sub) + s[i + 1:]
    if op == 1:
        return s[:i] + s[i + 1:]
    if op == 2:
        return s[:i] + s[i] + s[i:]
    return s[:i - 1] + s[i] + s[i - 1] + s[i + 1:]


def _apply(values: np.ndarray, mask: np.ndarray, fn) -> None:
    for i in np.flatnonzero(mask):
        if values[i] is not None:
            values[i] = fn(values[i])


def _nickname(name: str, rng: np.random.Generator) -> str:
    options = nicknames().get(name)
    return options[rng.integers(len(options))] if options else name


def _case(values: np.ndarray, mode: str, rng: np.random.Generator) -> np.ndarray:
    arr = pa.array(values, type=pa.string())
    if mode == "upper":
        out = pc.utf8_upper(arr)
    elif mode == "title":
        out = pc.utf8_title(arr)
    else:  # mixed: mostly upper or title, some lower case
        pick = pa.array(rng.random(len(values)))
        out = pc.if_else(pc.less(pick, 0.5), pc.utf8_upper(arr),
                         pc.if_else(pc.less(pick, 0.9), pc.utf8_title(arr), pc.utf8_lower(arr)))
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype=object)


def _format_postcode(pc_values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    arr = pa.array(pc_values, type=pa.string())
    pick = pa.array(rng.random(len(pc_values)))
    nospace = pc.replace_substring(arr, " ", "")
    padded = pc.binary_join_element_wise(" ", arr, "  ", "")
    out = pc.if_else(pc.less(pick, 0.75), arr,
                     pc.if_else(pc.less(pick, 0.88), nospace,
                                pc.if_else(pc.less(pick, 0.96), pc.utf8_lower(arr), padded)))
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype=object)


_PAD2 = np.array([f"{i:02d}" for i in range(100)], dtype=object)
_PAD4 = np.array([f"{i:04d}" for i in range(3000)], dtype=object)


def format_dob(y: np.ndarray, m: np.ndarray, d: np.ndarray, fmt: str) -> np.ndarray:
    """Render year / month / day as the source's DOB string; fields < 0 mean missing."""
    ys, ms, ds = _PAD4[np.clip(y, 0, 2999)], _PAD2[np.clip(m, 0, 99)], _PAD2[np.clip(d, 0, 99)]
    if fmt == "%Y-%m-%d":
        out = ys + "-" + ms + "-" + ds
    elif fmt == "%d/%m/%Y":
        out = ds + "/" + ms + "/" + ys
    elif fmt == "%d-%b-%Y":
        out = ds + "-" + _MONTHS[np.clip(m, 0, 12)] + "-" + ys
    else:
        raise ValueError(f"unsupported DOB format {fmt!r}")
    return np.where(y >= 0, out, None)


def address_at(addresses: pd.DataFrame, person_idx: np.ndarray, dates: np.ndarray):
    """Index into `addresses` of each person's address on each date, and of the one before."""
    big = np.int64(1 << 20)
    addr_key = addresses["person_idx"].to_numpy() * big + addresses["from_date"].to_numpy(
    ).astype("datetime64[D]").astype(np.int64) + 100_000
    rec_key = person_idx * big + dates.astype("datetime64[D]").astype(np.int64) + 100_000
    idx = np.searchsorted(addr_key, rec_key, side="right") - 1
    seq = addresses["seq"].to_numpy()[idx]
    prev = np.where(seq > 1, idx - 1, idx)
    return idx, prev


def make_identifiers(
    records: pd.DataFrame,
    persons: pd.DataFrame,
    addresses: pd.DataFrame,
    profile: ErrorProfile,
    dob_format: str,
    rng: np.random.Generator,
    event_col: str,
    role: np.ndarray | None = None,
    *,
    national_ids: Iterable[str] = (),
    seed: int | None = None,
    id_rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Identifier columns (forename, middle, surname, dob, sex, postcode, ethnicity) per record,
    plus one column per kind in `national_ids` (NATIONAL_ID_KINDS): the person's true id of
    world `seed`, with errors drawn from `id_rng` (default: `rng`, after every other draw)."""
    p = records["person_idx"].to_numpy()
    k = len(p)
    event = records[event_col].to_numpy().astype("datetime64[D]")
    per = persons.iloc[p]
    age = (event - per["dob"].to_numpy().astype("datetime64[D]")).astype(int) / 365.25
    young = age < 25
    minority = (per["ethnic_group"] != "White").to_numpy()
    abroad = per["born_abroad"].to_numpy()
    male = (per["sex"] == "M").to_numpy()
    name_mult = 1 + 0.8 * minority + 1.0 * abroad
    dob_mult = 1 + 0.5 * young + 0.5 * abroad
    miss_mult = (1 + 0.4 * male + 0.5 * young) * (
        pd.Series(role).map(profile.role_missing).fillna(1.0).to_numpy()
        if role is not None and profile.role_missing else 1.0)

    def hit(rate: float, mult=1.0) -> np.ndarray:
        return rng.random(k) < np.minimum(rate * mult, 0.97)

    forename = per["forename"].to_numpy(dtype=object).copy()
    middle = per["middle_name"].to_numpy(dtype=object).copy()
    married = per["marriage_date"].to_numpy().astype("datetime64[D]")
    after_marriage = ~np.isnat(married) & (event >= married)
    surname = np.where(after_marriage & ~hit(profile.stale_surname), per["surname"],
                       per["birth_surname"]).astype(object)

    _apply(forename, hit(profile.nickname), lambda s: _nickname(s, rng))
    _apply(forename, hit(profile.typo_forename, name_mult), lambda s: _typo(s, rng))
    _apply(surname, hit(profile.typo_surname, name_mult), lambda s: _typo(s, rng))
    swap = hit(profile.swap_names, name_mult)
    forename[swap], surname[swap] = surname[swap], forename[swap].copy()
    _apply(forename, hit(profile.initial_only, miss_mult), lambda s: s[0])
    middle[hit(profile.middle_missing)] = None

    dob = pd.DatetimeIndex(per["dob"].to_numpy())
    y, m, d = dob.year.to_numpy().copy(), dob.month.to_numpy().copy(), dob.day.to_numpy().copy()
    shift = hit(profile.dob_shift, dob_mult)
    shifted = pd.DatetimeIndex(per["dob"].to_numpy()[shift]
                               + rng.integers(-50, 51, shift.sum()).astype("timedelta64[D]"))
    y[shift], m[shift], d[shift] = shifted.year, shifted.month, shifted.day
    y = y + np.where(hit(profile.dob_year_off, dob_mult), rng.choice([-1, 1], k), 0)
    swap_dm = hit(profile.dob_day_month_swap, dob_mult)
    if dob_format == "%d-%b-%Y":  # a month name cannot hold a day above 12
        swap_dm &= d <= 12
    m, d = np.where(swap_dm, d, m), np.where(swap_dm, m, d)
    placeholder = hit(profile.dob_placeholder)
    y[placeholder], m[placeholder], d[placeholder] = 1900, 1, 1
    y[hit(profile.dob_missing, miss_mult)] = -1
    dob_str = format_dob(y, m, d, dob_format)

    idx, prev = address_at(addresses, p, event)
    postcode = addresses["postcode"].to_numpy()[np.where(hit(profile.postcode_stale, miss_mult),
                                                         prev, idx)].astype(object)
    _apply(postcode, hit(profile.postcode_typo), lambda s: _postcode_typo(s, rng))
    postcode[hit(profile.postcode_missing, miss_mult)] = None

    sex = per["sex"].to_numpy(dtype=object).copy()
    wrong_sex = hit(0.002)
    sex[wrong_sex] = np.where(sex[wrong_sex] == "M", "F", "M")
    sex[hit(profile.sex_missing, miss_mult)] = None
    ethnicity = per["ethnicity_code"].to_numpy(dtype=object).copy()
    ethnicity[hit(profile.ethnicity_missing)] = None

    out = pd.DataFrame({
        "forename": _case(forename, profile.name_case, rng),
        "middle_name": _case(middle, profile.name_case, rng),
        "surname": _case(surname, profile.name_case, rng),
        "dob": dob_str, "sex": sex, "postcode": _format_postcode(postcode, rng),
        "ethnicity": ethnicity,
        "lsoa_code": addresses["lsoa_code"].to_numpy()[idx],
        "true_postcode": addresses["postcode"].to_numpy()[idx],
        "age": np.floor(age).astype(int),
    })
    for kind in national_ids:
        if seed is None:
            raise ValueError("make_identifiers needs the world seed for national ids")
        out[kind] = _national_ids(kind, p, per, profile, seed,
                                  rng if id_rng is None else id_rng)
    return out


def _national_ids(kind: str, p: np.ndarray, per: pd.DataFrame, profile: ErrorProfile,
                  seed: int, rng: np.random.Generator) -> np.ndarray:
    """The true `kind` id of each record's person, with the profile's national id errors."""
    values = true_ids(kind, p, seed)
    typo, placeholder, missing = rng.random((3, len(p)))
    _apply(values, typo < profile.national_id_typo, lambda s: digit_typo(s, rng))
    if kind == "nino":
        temp = placeholder < profile.national_id_placeholder
        values[temp] = temporary_nino(per["dob"].to_numpy()[temp], per["sex"].to_numpy()[temp])
    values[missing < profile.national_id_missing] = None
    return values


def _postcode_typo(pc: str, rng: np.random.Generator) -> str:
    chars = list(pc)
    spots = [i for i, c in enumerate(chars) if c in _POSTCODE_LOOKALIKE or c.isdigit()]
    if not spots:
        return pc
    i = spots[rng.integers(len(spots))]
    chars[i] = _POSTCODE_LOOKALIKE.get(chars[i], str((int(chars[i]) + 1) % 10)
                                       if chars[i].isdigit() else chars[i])
    return "".join(chars)
