"""Keyword discovery over the data catalogues (BOLD Step B): which variables could measure a risk
factor. Words are stemmed (Snowball, English) and expanded with domain synonyms, then matched
against each variable's name, definition and value labels; a match in the name counts most.

    search(catalogue, "accommodation")       # one keyword, ranked variables
    candidate_variables(catalogue)           # every driver and outcome of the register
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd
import snowballstemmer

# Keywords per register id: the list plus what each register row implies.
FACTOR_KEYWORDS: dict[str, tuple[str, ...]] = {
    "driver_mental_health": ("mental health", "depression", "emotional", "well-being",
                             "psychiatric", "self-harm", "SEMH"),
    "driver_physical_health": ("physical health", "health", "disability", "nutrition",
                               "physical activity"),
    "driver_low_income": ("income", "benefit", "poverty", "free school meals", "finance", "debt",
                          "fee exemption"),
    "driver_substance_misuse": ("drug", "alcohol", "substance misuse", "dependency"),
    "driver_employment": ("employment", "unemployment", "training", "earnings"),
    "driver_education": ("education", "school", "attainment", "exclusion", "absence",
                         "special educational needs"),
    "driver_accommodation": ("accommodation", "rent", "possession", "homeless", "tenancy"),
    "driver_family": ("family", "relationships", "domestic abuse", "children", "divorce"),
    "outcome_offending": ("offence", "conviction", "sentence", "custody", "disposal", "caution",
                          "probation", "prison"),
    "outcome_ill_health": ("health", "death", "mortality", "hospital", "emotional",
                           "mental health"),
    "outcome_in_work_poverty": ("income", "earnings", "poverty", "rent", "benefit", "employment",
                                "fee exemption", "arrears"),
    "outcome_inactivity": ("employment", "unemployment", "inactivity", "benefit", "training"),
    "outcome_homelessness": ("homeless", "accommodation", "possession", "eviction", "rent",
                             "temporary accommodation"),
    "outcome_poor_child_outcomes": ("children", "child", "child in need", "looked after",
                                    "attainment", "exclusion", "absence", "public law"),
}
# Words that mean the same thing in administrative data; matched at half the weight.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "accommodation": ("housing", "address", "tenancy", "tenant", "landlord", "homeless",
                      "dwelling", "property", "possession", "eviction", "rent arrears"),
    "employment": ("employability", "work", "job", "occupation", "employer", "P45", "PAYE"),
    "unemployment": ("out of work", "jobseeker", "JSA", "claimant"),
    "benefit": ("universal credit", "allowance", "JSA", "ESA", "welfare", "help with fees"),
    "drug": ("substance", "narcotic", "DRR", "drug rehabilitation"),
    "alcohol": ("drink", "ATR", "alcohol treatment"),
    "depression": ("mental health", "emotional", "well-being", "mood", "SEMH", "MHTR"),
    "mental health": ("MHTR", "emotional", "psychiatric", "SEMH"),
    "domestic abuse": ("domestic violence", "harm", "Family Law Act", "non-molestation"),
    "children": ("child", "pupil", "minor", "looked after", "in need"),
    "rent": ("arrears", "landlord", "tenancy"),
    "possession": ("eviction", "warrant", "repossession", "bailiff"),
    "income": ("pay", "money", "financial", "finance", "wage"),
    "education": ("educational", "school", "pupil", "key stage", "qualification"),
    "exclusion": ("excluded", "suspension", "permanent exclusion"),
    "absence": ("absent", "attendance", "sessions missed", "truancy"),
    "offence": ("offending", "crime", "criminal", "charge"),
    "conviction": ("convicted", "guilty", "verdict", "proven"),
    "custody": ("custodial", "imprisonment", "prison"),
    "free school meals": ("FSM",),
    "special educational needs": ("SEN", "EHC plan", "SEN support"),
    "children in need": ("CIN",), "child in need": ("CIN",),
    "looked after": ("CLA", "in care", "care"),
    "health": ("illness", "disability", "medical"),
    "relationships": ("partner", "marital", "marriage"),
}
FIELD_WEIGHTS = {"variable": 3.0, "definition": 2.0, "value_labels": 1.0}
SYNONYM_WEIGHT = 0.5
# A candidate needs more than one weak hit (a keyword in a label alone scores 1.0, e.g.
# "possession" in "Possession of weapons").
MIN_CANDIDATE_SCORE = 1.5
_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=20_000)
def stems(text: str) -> tuple[str, ...]:
    """Stemmed words of a text; snake_case names split into words."""
    return tuple(_STEMMER.stemWords(_WORD.findall(str(text).lower())))


def expand(keyword: str) -> dict[str, float]:
    """A keyword and its synonyms (looked up by stem: "drugs" finds those of "drug"), each with
    the weight of a match on it."""
    terms = {keyword: 1.0}
    for syn in _SYNONYMS_BY_STEM.get(stems(keyword), ()):
        terms.setdefault(syn, SYNONYM_WEIGHT)
    return terms


_SYNONYMS_BY_STEM = {stems(k): v for k, v in SYNONYMS.items()}


def _score_rows(catalogue: pd.DataFrame, terms: dict[str, float]) -> pd.DataFrame:
    fields = {f: [set(stems(v)) for v in catalogue[f].fillna("")] for f in FIELD_WEIGHTS}
    term_stems = {t: set(stems(t)) for t in terms}
    scores, matched = [], []
    for i in range(len(catalogue)):
        total, hits = 0.0, []
        for term, weight in terms.items():
            want = term_stems[term]
            best = max((FIELD_WEIGHTS[f] for f in FIELD_WEIGHTS if want and want <= fields[f][i]),
                       default=0.0)
            if best:
                total += best * weight
                hits.append(term)
        scores.append(round(total, 2))
        matched.append("; ".join(sorted(hits)))
    return catalogue.assign(matched_terms=matched, score=scores)


def search(catalogue: pd.DataFrame, *keywords: str, include_identifiers: bool = False
           ) -> pd.DataFrame:
    """Variables matching any of `keywords` (with synonyms), best first."""
    terms: dict[str, float] = {}
    for k in keywords:
        for term, weight in expand(k).items():
            terms[term] = max(weight, terms.get(term, 0.0))
    rows = catalogue if include_identifiers else catalogue[~catalogue["is_identifier"]]
    scored = _score_rows(rows.reset_index(drop=True), terms)
    hits = scored[scored["score"] > 0]
    return hits.sort_values(["score", "dataset", "table_name", "position"],
                            ascending=[False, True, True, True]).reset_index(drop=True)


def candidate_variables(catalogue: pd.DataFrame,
                        keywords: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """`discovery.candidate_variables`: (risk_factor, dataset, table, variable, matched_terms,
    score), every factor's keywords searched over every catalogue."""
    parts = []
    for factor, words in (keywords or FACTOR_KEYWORDS).items():
        hits = search(catalogue, *words)
        hits = hits[hits["score"] >= MIN_CANDIDATE_SCORE]
        parts.append(pd.DataFrame({
            "risk_factor": factor, "dataset": hits["dataset"], "table_name": hits["table_name"],
            "variable": hits["variable"], "matched_terms": hits["matched_terms"],
            "score": hits["score"]}))
    return pd.concat(parts, ignore_index=True)


_RANGE = re.compile(r"^([a-z0-9]+_q)(\d+)-\1(\d+)$")


def register_variables(text: str) -> list[tuple[str, str]]:
    """(table, variable) pairs named in a register row's `candidate_datasets_variables`, e.g.
    "oasys.s10_q1-s10_q3, s10_need_level; probation.requirements (MHTR)". Free text that
    names no `table.variable` (e.g. "NPD attainment") is skipped."""
    out: list[tuple[str, str]] = []
    for part in text.split(";"):
        table = None
        for item in part.split(","):
            item = re.sub(r"\(.*?\)", "", item).strip()
            if "." in item:
                table, item = item.split(".", 1)
            if table is None or not re.fullmatch(r"[a-z0-9_\-]+", item):
                continue
            m = _RANGE.match(item)
            if m:
                out += [(table, f"{m.group(1)}{i}")
                        for i in range(int(m.group(2)), int(m.group(3)) + 1)]
            else:
                out.append((table, item))
    return out


def missed_register_variables(register: pd.DataFrame, candidates: pd.DataFrame) -> list[str]:
    """"factor: table.variable" for each variable a register row names that discovery did not
    find for that factor (empty when Step B finds everything the flags use)."""
    found = set(zip(candidates["risk_factor"], candidates["table_name"], candidates["variable"],
                    strict=True))
    missed = []
    for row in register.itertuples():
        for table, variable in register_variables(row.candidate_datasets_variables):
            if (row.id, table, variable) not in found:
                missed.append(f"{row.id}: {table}.{variable}")
    return sorted(set(missed))
