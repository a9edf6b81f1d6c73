"""ICD-10 code lists, declared once: the wave-3 generator draws diagnoses and causes of death
from them and the register's flags read them (dbt macro `icd10_in`, generated into
`macros/catalog.sql` by `python -m bold_assets.catalog.dbt`).

A list is a set of ranges of three-character ICD-10 categories (`F10`-`F19`); a four-character
code (`F102`, as HES `DIAG_4_nn` holds them, or `F10.2`) is in the list when its category is. The
definitions are ONS's (DOMAIN.md, wave 3) where ONS has one; `long_term_physical` is the
project's own list of common long-term physical conditions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeList:
    """A named ICD-10 code list: inclusive ranges of three-character categories."""

    name: str
    meaning: str
    ranges: tuple[tuple[str, str], ...]

    def contains(self, code: str | None) -> bool:
        """Whether `code` (three or four characters, dots ignored) is in the list."""
        if not code:
            return False
        category = code.replace(".", "").strip().upper()[:3]
        return any(lo <= category <= hi for lo, hi in self.ranges)

    def sql(self, column: str) -> str:
        """A boolean SQL expression: `column`'s category is in the list (NULL reads false)."""
        cat = f"upper(substr(replace(coalesce({column}, ''), '.', ''), 1, 3))"
        return "(" + " or ".join(f"{cat} between '{lo}' and '{hi}'"
                                 for lo, hi in self.ranges) + ")"


def _lists(*lists: CodeList) -> dict[str, CodeList]:
    return {c.name: c for c in lists}


CODE_LISTS: dict[str, CodeList] = _lists(
    CodeList("substance_use", "mental and behavioural disorders due to psychoactive substance "
             "use (F10-F19)", (("F10", "F19"),)),
    CodeList("mental_health", "other mental disorders: schizophrenia, mood, neurotic and "
             "stress-related (F20-F48)", (("F20", "F48"),)),
    CodeList("schizophrenia", "schizophrenia, schizotypal and delusional disorders (F20-F29)",
             (("F20", "F29"),)),
    CodeList("mood", "mood (affective) disorders (F30-F39)", (("F30", "F39"),)),
    CodeList("neurotic", "neurotic, stress-related and somatoform disorders (F40-F48)",
             (("F40", "F48"),)),
    CodeList("self_harm", "intentional self-harm (X60-X84)", (("X60", "X84"),)),
    CodeList("undetermined_intent", "events of undetermined intent (Y10-Y34)",
             (("Y10", "Y34"),)),
    CodeList("suicide", "ONS suicide: intentional self-harm and events of undetermined intent "
             "(X60-X84, Y10-Y34; ages 10 and over)", (("X60", "X84"), ("Y10", "Y34"))),
    CodeList("drug_poisoning", "ONS drug poisoning: accidental, intentional, assault and "
             "undetermined-intent poisoning by drugs (X40-X44, X60-X64, X85, Y10-Y14)",
             (("X40", "X44"), ("X60", "X64"), ("X85", "X85"), ("Y10", "Y14"))),
    CodeList("assault", "assault (X85-Y09)", (("X85", "Y09"),)),
    CodeList("external_causes", "external causes of morbidity and mortality (V01-Y98): every "
             "cause of death that is not natural", (("V01", "Y98"),)),
    CodeList("long_term_physical", "common long-term physical conditions: diabetes, chronic "
             "heart, cerebrovascular, chronic lower respiratory and liver disease, cancer, "
             "epilepsy, chronic kidney disease", (
                 ("C00", "C97"), ("E10", "E14"), ("G40", "G41"), ("I20", "I25"),
                 ("I50", "I50"), ("I60", "I69"), ("J40", "J47"), ("K70", "K77"),
                 ("N18", "N18"))),
)


def code_list(name: str) -> CodeList:
    try:
        return CODE_LISTS[name]
    except KeyError:
        raise KeyError(f"unknown ICD-10 code list {name!r}; declared: "
                       f"{', '.join(CODE_LISTS)} (bold_assets/catalog/icd10.py)") from None
