"""National identifiers of the world's people: the true NINO, NHS number and UPN of each person,
and the errors records of them carry.

A person's true id is a keyed permutation of their `person_idx` (row of truth.persons), keyed by
the world seed and the id kind (`context.stream_seed(seed, "national_id.<kind>")`): the same
person always gets the same id, no two people share one, and no random stream of the world is
touched. Formats:

- NINO (HMRC National Insurance Manual NIM39110): two prefix letters, neither D, F, I, Q, U or V,
  the second not O, the pair not BG, GB, KN, NK, NT, TN or ZZ; six digits; a suffix A-D.
  DWP's temporary references are "TN" + date of birth (DDMMYY) + M / F.
- NHS number (NHS Data Dictionary, "NHS NUMBER"): ten digits, the tenth a modulus-11 check
  digit over the first nine (weights 10 to 2; 11 - remainder, 11 -> 0, 10 never issued).
  Bodies are drawn from the England and Wales range 400 000 000 - 499 999 999.
- UPN (DfE, "Unique pupil numbers (UPNs): guidance"): a check letter, then LA number (3 digits),
  establishment (4), year of issue (2) and serial (3); the check letter indexes
  ABCDEFGHJKLMNPQRTUVWXYZ by the sum of the twelve digits weighted 2 to 13, modulo 23.
"""

from __future__ import annotations

import string
from collections.abc import Callable

import numpy as np

from bold_assets.world.context import stream_seed

_NOT_LETTERS = set("DFIQUV")
_NOT_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
NINO_PREFIXES = np.array(
    [a + b for a in string.ascii_uppercase for b in string.ascii_uppercase
     if a not in _NOT_LETTERS and b not in _NOT_LETTERS | {"O"} and a + b not in _NOT_PREFIXES],
    dtype=object)
UPN_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"), dtype=object)
_ROUNDS = 4
_U64 = np.uint64


def _mix(x: np.ndarray, key: np.uint64) -> np.ndarray:
    """splitmix64's finaliser of `x + key` (uint64, wrapping)."""
    z = x + key
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def _keys(seed: int, kind: str) -> np.ndarray:
    return stream_seed(seed, f"national_id.{kind}").generate_state(_ROUNDS + 1, np.uint64)


def permute(x: np.ndarray, n: int, keys: np.ndarray) -> np.ndarray:
    """A keyed permutation of range(n) applied to `x` (a Feistel network on the smallest
    even-bit domain holding n, cycle-walking back into range(n))."""
    x = np.asarray(x, dtype=np.int64)
    if len(x) and (x.min() < 0 or x.max() >= n):
        raise ValueError(f"person_idx outside 0..{n - 1}")
    half = _U64(max(1, ((n - 1).bit_length() + 1) // 2))
    mask = (_U64(1) << half) - _U64(1)

    def once(v: np.ndarray) -> np.ndarray:
        left, right = v >> half, v & mask
        for key in keys[:_ROUNDS]:
            left, right = right, left ^ (_mix(right, key) & mask)
        return (left << half) | right

    y = once(x.astype(np.uint64))
    while (out := y >= _U64(n)).any():
        y[out] = once(y[out])
    return y.astype(np.int64)


def _padded(numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(np.asarray(numbers, dtype=np.int64).astype(str), width)


def nino(person_idx: np.ndarray, seed: int) -> np.ndarray:
    """Each person's true National Insurance number, e.g. `AB123456C`."""
    u = permute(person_idx, len(NINO_PREFIXES) * 1_000_000, keys := _keys(seed, "nino"))
    suffix = np.array(list("ABCD"))[_mix(u.astype(np.uint64), keys[-1]) % _U64(4)]
    body = np.char.add(NINO_PREFIXES[u // 1_000_000].astype(str), _padded(u % 1_000_000, 6))
    return np.char.add(body, suffix).astype(object)


def nhs_check_digit(body: np.ndarray) -> np.ndarray:
    """Modulus-11 check digit of nine-digit bodies (10: the body is never issued)."""
    digits = np.asarray(body, dtype=np.int64)[:, None] // 10 ** np.arange(8, -1, -1) % 10
    return (11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11) % 11


def nhs_number(person_idx: np.ndarray, seed: int) -> np.ndarray:
    """Each person's true NHS number: ten digits, no spaces, e.g. `4010232137`. Every
    eight-digit start has at least nine last digits giving a valid check digit: the u-th number
    is start u // 9 with its (u % 9)-th valid ninth digit."""
    u = permute(person_idx, 10_000_000 * 9, _keys(seed, "nhs_number"))
    start = 40_000_000 + u // 9
    candidates = start[:, None] * 10 + np.arange(10)
    valid = nhs_check_digit(candidates.ravel()).reshape(-1, 10) != 10
    pick = np.argmax(valid & (np.cumsum(valid, axis=1) == (u % 9 + 1)[:, None]), axis=1)
    body = candidates[np.arange(len(u)), pick]
    return np.char.add(_padded(body, 9), nhs_check_digit(body).astype(str)).astype(object)


def upn_check_letter(body: np.ndarray) -> np.ndarray:
    """DfE's check letter of twelve-digit UPN bodies."""
    digits = np.asarray(body, dtype=np.int64)[:, None] // 10 ** np.arange(11, -1, -1) % 10
    return UPN_LETTERS[(digits * np.arange(2, 14)).sum(axis=1) % 23]


def upn(person_idx: np.ndarray, seed: int) -> np.ndarray:
    """Each person's true (permanent) UPN, LA numbers 201-999, e.g. `H801200001001`."""
    body = 201_000_000_000 + permute(person_idx, 799_000_000_000, _keys(seed, "upn"))
    return np.char.add(upn_check_letter(body).astype(str), _padded(body, 12)).astype(object)


MAKERS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "nino": nino, "nhs_number": nhs_number, "upn": upn}


def true_ids(kind: str, person_idx: np.ndarray, seed: int) -> np.ndarray:
    """The true `kind` id (a key of MAKERS) of each person in `person_idx`, world `seed`."""
    if kind not in MAKERS:
        raise ValueError(f"no maker for national id kind {kind!r}; expected one of "
                         f"{', '.join(MAKERS)}")
    return MAKERS[kind](person_idx, seed)


def temporary_nino(dob: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """DWP's temporary reference: "TN" + date of birth as DDMMYY + M / F."""
    days = np.asarray(dob, dtype="datetime64[D]")
    ddmmyy = np.array([d.item().strftime("%d%m%y") for d in days], dtype=object)
    return "TN" + ddmmyy + np.asarray(sex, dtype=object)


def digit_typo(value: str, rng: np.random.Generator) -> str:
    """`value` with one digit mistyped or two adjacent different digits transposed."""
    spots = [i for i, c in enumerate(value) if c.isdigit()]
    pairs = [i for i in spots if i + 1 in spots and value[i] != value[i + 1]]
    if pairs and rng.random() < 0.5:
        i = pairs[rng.integers(len(pairs))]
        return value[:i] + value[i + 1] + value[i] + value[i + 2:]
    i = spots[rng.integers(len(spots))]
    digit = str((int(value[i]) + int(rng.integers(1, 10))) % 10)
    return value[:i] + digit + value[i + 1:]
