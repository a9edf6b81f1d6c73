"""Drawing ICD-10 codes for the wave-3 world: the three-character categories of the code lists
declared in `catalog/icd10.py`, and four-character codes drawn from them (uniformly or by first
letter). Also the injury and drug-poisoning (T36-T50) categories that hospital episodes and death
registrations share."""

from __future__ import annotations

import numpy as np

from bold_assets.catalog.icd10 import CODE_LISTS, CodeList


def categories(code_list: CodeList) -> np.ndarray:
    """Every three-character category in a code list's ranges (e.g. F10 ... F19)."""
    out: set[str] = set()
    for lo, hi in code_list.ranges:
        for letter in range(ord(lo[0]), ord(hi[0]) + 1):
            first = int(lo[1:]) if chr(letter) == lo[0] else 0
            last = int(hi[1:]) if chr(letter) == hi[0] else 99
            out.update(f"{chr(letter)}{i:02d}" for i in range(first, last + 1))
    return np.array(sorted(out), dtype=object)


def listed(name: str, *without: str) -> np.ndarray:
    """Categories of CODE_LISTS[name] in none of the lists `without`."""
    cats = categories(CODE_LISTS[name])
    drop = np.array([any(CODE_LISTS[w].contains(c) for w in without) for c in cats], dtype=bool)
    return cats[~drop]


def within(name: str, other: str) -> np.ndarray:
    """Categories of CODE_LISTS[name] also in CODE_LISTS[other]."""
    cats = categories(CODE_LISTS[name])
    return cats[np.array([CODE_LISTS[other].contains(c) for c in cats], dtype=bool)]


def draw_codes(rng: np.random.Generator, cats: np.ndarray, n: int,
               letter_weights: dict[str, float] | None = None) -> np.ndarray:
    """`n` four-character ICD-10 codes (category + a digit) from `cats`: uniform, or by first
    letter with `letter_weights` (uniform within a letter)."""
    if letter_weights is None:
        pick = rng.integers(0, len(cats), n)
    else:
        letters = np.array([c[0] for c in cats])
        keys = [k for k in letter_weights if (letters == k).any()]
        w = np.array([letter_weights[k] for k in keys])
        which = rng.choice(len(keys), n, p=w / w.sum())
        pick = np.empty(n, dtype=np.int64)
        for j, key in enumerate(keys):
            members = np.flatnonzero(letters == key)
            at = np.flatnonzero(which == j)
            pick[at] = members[rng.integers(0, len(members), len(at))]
    digits = rng.integers(0, 10, n).astype(str).astype(object)
    return cats[pick] + digits



DRUG_POISONING_T = categories(CodeList("t_drugs", "poisoning by drugs", (("T36", "T50"),)))
INJURY = categories(CodeList("injury", "injuries", (("S00", "T14"),)))
