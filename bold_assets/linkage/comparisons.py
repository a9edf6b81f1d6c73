"""Splink comparisons and blocking rules over the standard identifier form.

One set of comparisons serves every model; a model drops the comparisons whose columns its records
never fill (civil records have no sex, a local extract may have no postcode), so a new source needs
configuration, not Splink code.

Names: exact (term-frequency adjusted) / diminutive (nickname lookup) / Jaro-Winkler / first and
middle name used the other way round / forename and surname swapped / phonetic.
Date of birth: exact / day and month swapped / one character keyed wrong / +-1 year / within 60 days
/ same year and month. Postcode: full (term-frequency adjusted) / sector / district. Sex: exact.
National identifiers (NINO, NHS number, UPN): exact, in a model whose sources all hold the kind
(`models.national_id_kinds`), which also blocks on it.
"""

from __future__ import annotations

from typing import Any

from splink import block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from bold_assets.catalog import NATIONAL_ID_KINDS

JW = "jaro_winkler_similarity"
NAME_TF_WEIGHT = 0.5

# Columns each comparison needs; a comparison is used when its first column holds values.
COMPARISON_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("surname_std", "forename1_std", "forename2_std", "forename1_keys", "forename1_dm",
             "surname_dm", "name_pair"),
    "dob": ("dob_std", "dob_year", "dob_month", "dob_day", "dob_year_month"),
    "postcode": ("postcode_std", "postcode_sector", "postcode_district"),
    "sex": ("sex",),
}  # fmt: skip


def _lvl(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(col: str) -> dict[str, Any]:
    return _lvl(f'"{col}_l" IS NULL OR "{col}_r" IS NULL', f"{col} is NULL", is_null_level=True)


# A forename "close" to another: diminutive, small typo, initial, first / middle transposed.
_FORENAME_CLOSE = (
    "list_has_any(forename1_keys_l, forename1_keys_r) "
    f"OR {JW}(forename1_std_l, forename1_std_r) >= 0.9 "
    "OR forename1_std_l = forename2_std_r OR forename2_std_l = forename1_std_r"
)
_FORENAME_WEAK = (
    "((length(forename1_std_l) = 1 OR length(forename1_std_r) = 1) "
    "AND left(forename1_std_l, 1) = left(forename1_std_r, 1)) "
    f"OR forename1_dm_l = forename1_dm_r OR {JW}(forename1_std_l, forename1_std_r) >= 0.8"
)
_SURNAME_CLOSE = (
    f"{JW}(surname_std_l, surname_std_r) >= 0.9 OR surname_dm_l = surname_dm_r"
)


def name_comparison() -> dict[str, Any]:
    """Forename and surname together, so that agreement on a common name pair (and a swapped
    pair) is term-frequency adjusted as a pair, and relatives (same surname, other forename) or
    a changed surname (same forename, other surname) get their own weights."""
    return {
        "output_column_name": "name",
        "comparison_description": "Forename and surname",
        "comparison_levels": [
            _lvl("(forename1_std_l IS NULL OR forename1_std_r IS NULL) AND "
                 "(surname_std_l IS NULL OR surname_std_r IS NULL)", "Names missing",
                 is_null_level=True),
            _lvl("name_pair_l = name_pair_r", "Exact forename and surname (or the two swapped)",
                 tf_adjustment_column="name_pair", tf_adjustment_weight=NAME_TF_WEIGHT),
            _lvl(f"surname_std_l = surname_std_r AND ({_FORENAME_CLOSE})",
                 "Exact surname, forename diminutive / typo / middle name",
                 tf_adjustment_column="surname_std", tf_adjustment_weight=0.5),
            _lvl(f"forename1_std_l = forename1_std_r AND ({_SURNAME_CLOSE})",
                 "Exact forename, surname typo / phonetic",
                 tf_adjustment_column="forename1_std", tf_adjustment_weight=0.5),
            _lvl(f"({_FORENAME_CLOSE}) AND ({_SURNAME_CLOSE})",
                 "Forename and surname both close"),
            _lvl(f"surname_std_l = surname_std_r AND ({_FORENAME_WEAK})",
                 "Exact surname, forename initial / phonetic",
                 tf_adjustment_column="surname_std", tf_adjustment_weight=1.0),
            _lvl("surname_std_l = surname_std_r", "Exact surname, forename differs",
                 tf_adjustment_column="surname_std", tf_adjustment_weight=1.0),
            _lvl("forename1_std_l = forename1_std_r", "Exact forename, surname differs",
                 tf_adjustment_column="forename1_std", tf_adjustment_weight=1.0),
            _lvl(_FORENAME_CLOSE, "Forename close, surname differs"),
            {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
        ],
    }


def dob_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "dob",
        "comparison_description": "Date of birth",
        "comparison_levels": [
            _null("dob_std"),
            _lvl("dob_std_l = dob_std_r", "Exact match"),
            _lvl("dob_year_l = dob_year_r AND dob_month_l = dob_day_r "
                 "AND dob_day_l = dob_month_r", "Day and month swapped"),
            _lvl("levenshtein(strftime(dob_std_l, '%Y%m%d'), strftime(dob_std_r, '%Y%m%d')) <= 1",
                 "One digit different"),
            _lvl("dob_month_l = dob_month_r AND dob_day_l = dob_day_r "
                 "AND abs(dob_year_l - dob_year_r) <= 1", "Same day and month, +-1 year"),
            _lvl("abs(date_diff('day', dob_std_l, dob_std_r)) <= 60", "Within 60 days"),
            _lvl("dob_year_month_l = dob_year_month_r OR (dob_year_l = dob_year_r AND "
                 "((dob_month_l = 1 AND dob_day_l = 1) OR (dob_month_r = 1 AND dob_day_r = 1)))",
                 "Same year and month, or same year and one is 1 January"),
            {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
        ],
    }


def postcode_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "postcode",
        "comparison_description": "Postcode",
        "comparison_levels": [
            _null("postcode_std"),
            _lvl("postcode_std_l = postcode_std_r", "Exact match on full postcode",
                 tf_adjustment_column="postcode_std", tf_adjustment_weight=1.0),
            _lvl("postcode_sector_l = postcode_sector_r", "Same sector"),
            _lvl("postcode_district_l = postcode_district_r", "Same district"),
            {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
        ],
    }


def sex_comparison() -> dict[str, Any]:
    return {
        "output_column_name": "sex",
        "comparison_description": "Sex",
        "comparison_levels": [
            _null("sex"),
            _lvl("sex_l = sex_r", "Exact match"),
            {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
        ],
    }


def national_id_column(kind: str) -> str:
    """The standardised column of a national identifier kind (`NATIONAL_ID_KINDS`)."""
    return f"{kind}_std"


def national_id_comparison(kind: str) -> dict[str, Any]:
    """Exact agreement on a national identifier: missing on either side / same / different.
    No term-frequency adjustment: a valid number belongs to one person."""
    col = national_id_column(kind)
    return {
        "output_column_name": kind,
        "comparison_description": NATIONAL_ID_KINDS[kind],
        "comparison_levels": [
            _null(col),
            _lvl(f'"{col}_l" = "{col}_r"', "Exact match"),
            {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
        ],
    }


_BUILDERS = {
    "name": name_comparison,
    "dob": dob_comparison,
    "postcode": postcode_comparison,
    "sex": sex_comparison,
}


def comparisons_for(filled: set[str]) -> list[dict[str, Any]]:
    """The comparisons usable on records whose filled (non-null somewhere) columns are `filled`."""
    return [build() for name, build in _BUILDERS.items() if COMPARISON_COLUMNS[name][0] in filled]


def blocking_rules_for(filled: set[str], weak: bool = False) -> list[BlockingRuleCreator | str]:
    """Candidate pairs for prediction: any one rule admits a pair.

    Each rule survives a different combination of errors: a wrong date of birth, a changed
    surname or postcode, typos in both names, swapped names. A record with no date of birth is
    compared with every record of its name: the other rules reach it only at the same address, so
    without this rule a person whose record lacks a date of birth and shows another address is
    split (most of the spine's split persons were: benchmarks/bench_split_diagnosis.py).
    `weak` adds rules for records that often lack a date of birth (family, civil): same address
    and surname, or same address and forename.
    """
    # Every rule keeps blocks small at a million records: exact names alone, or a phonetic
    # surname with the birth year, would compare every pair of common names (hundreds of
    # millions of pairs), so names are always paired with a date or an area, or kept to the
    # records that have no date of birth.
    rules: list[BlockingRuleCreator | str] = []
    if "dob_std" in filled:
        rules.append(block_on("dob_std"))
    if {"forename1_std", "surname_std", "dob_year"} <= filled:
        rules.append(block_on("forename1_std", "surname_std", "dob_year"))
        rules.append("l.forename1_std = r.surname_std AND l.surname_std = r.forename1_std "
                     "AND l.dob_year = r.dob_year")
    if {"forename1_std", "surname_std", "dob_month", "dob_day"} <= filled:  # year keyed wrong
        rules.append(block_on("forename1_std", "surname_std", "dob_month", "dob_day"))
    if {"forename1_std", "surname_std", "postcode_district"} <= filled:
        rules.append(block_on("forename1_std", "surname_std", "postcode_district"))
        rules.append("l.forename1_std = r.surname_std AND l.surname_std = r.forename1_std "
                     "AND l.postcode_district = r.postcode_district")
    if {"surname_dm", "dob_year_month"} <= filled:
        rules.append(block_on("surname_dm", "dob_year_month"))
    if {"forename1_dm", "dob_year_month"} <= filled:
        rules.append(block_on("forename1_dm", "dob_year_month"))
    if {"postcode_std", "forename1_dm"} <= filled:
        rules.append(block_on("postcode_std", "forename1_dm"))
    if not rules and {"forename1_std", "surname_std"} <= filled:
        rules.append(block_on("forename1_std", "surname_std"))  # names are all there is
    if weak and {"postcode_std", "surname_std"} <= filled:
        rules.append(block_on("surname_std", "postcode_std"))
    if weak and {"postcode_std", "forename1_std"} <= filled:
        rules.append(block_on("forename1_std", "postcode_std"))
        # an initial for a forename and a mistyped surname, at the same address
        rules.append(block_on("substr(forename1_std, 1, 1)", "postcode_std"))
    # a record missing the anchor the rules above pair names with (its date of birth; for the
    # weak models of tables with no date of birth, its address) against any record of its name:
    # the name's rarity (term frequencies) decides the match
    anchor = ("dob_std" if "dob_std" in filled else
              "postcode_std" if weak and "postcode_std" in filled else None)
    if anchor and rules and {"forename1_std", "surname_std"} <= filled:
        rules.append("l.forename1_std = r.forename1_std AND l.surname_std = r.surname_std "
                     f"AND (l.{anchor} IS NULL OR r.{anchor} IS NULL)")
    if not rules:
        raise ValueError("no blocking rule fits these records: they need a date of birth or "
                         "both forename and surname")
    return rules


def training_blocks(filled: set[str]) -> list[BlockingRuleCreator]:
    """Blocks for expectation maximisation: each leaves some comparisons free to estimate."""
    blocks: list[BlockingRuleCreator] = []
    if "dob_std" in filled:
        blocks.append(block_on("dob_std"))
    if {"forename1_std", "surname_std"} <= filled:
        blocks.append(block_on("forename1_std", "surname_std"))
    if "postcode_std" in filled and "dob_year" in filled:
        blocks.append(block_on("postcode_std", "dob_year"))
    return blocks


def deterministic_columns(filled: set[str]) -> list[str]:
    """Columns of a near-certain exact rule, used to estimate the prior match probability."""
    cols = [c for c in ("forename1_std", "surname_std", "dob_std") if c in filled]
    if len(cols) < 3:
        cols = [c for c in ("forename1_std", "surname_std", "dob_std", "postcode_std")
                if c in filled][:3]
    return cols


# Any table (`linkage.mapping`): postal codes as text, and further identifiers by kind ------------


def postcode_text_comparison() -> dict[str, Any]:
    """Postal code of any country: the UK parse (sector, district) where there is one, the code
    as text otherwise, so a code that is not UK-shaped still counts."""
    return {
        "output_column_name": "postcode",
        "comparison_description": "Postal code (any country)",
        "comparison_levels": [
            _null("postcode_text"),
            _lvl("postcode_text_l = postcode_text_r", "Exact match on the code",
                 tf_adjustment_column="postcode_text", tf_adjustment_weight=1.0),
            _lvl("postcode_sector_l = postcode_sector_r", "Same UK sector"),
            _lvl("postcode_district_l = postcode_district_r", "Same UK district"),
            _lvl(f"{JW}(postcode_text_l, postcode_text_r) >= 0.9", "Code close (one character)"),
            {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
        ],
    }


def extra_comparison(col: str, kind: str) -> dict[str, Any]:
    """Comparison of a further identifier column (standardised as `col`) by its kind."""
    c = f'"{col}'
    eq = f'{c}_l" = {c}_r"'
    jw = f'{JW}({c}_l", {c}_r")'
    tf = {"tf_adjustment_column": col, "tf_adjustment_weight": 1.0}
    levels: list[dict[str, Any]] = [_null(col)]
    if kind == "exact":
        levels.append(_lvl(eq, "Exact match", **tf))
    elif kind in ("name", "address"):
        levels += [_lvl(eq, "Exact match", **tf), _lvl(f"{jw} >= 0.92", "Jaro-Winkler >= 0.92"),
                   _lvl(f"{jw} >= 0.8", "Jaro-Winkler >= 0.8")]
    elif kind == "date":
        levels += [_lvl(eq, "Exact match"),
                   _lvl(f"levenshtein(strftime({c}_l\", '%Y%m%d'), strftime({c}_r\", '%Y%m%d'))"
                        " <= 1", "One digit different"),
                   _lvl(f'abs(date_diff(\'day\', {c}_l", {c}_r")) <= 365', "Within a year")]
    elif kind == "email":
        levels += [_lvl(eq, "Exact match", **tf),
                   _lvl(f"split_part({c}_l\", '@', 1) = split_part({c}_r\", '@', 1)",
                        "Same local part"),
                   _lvl(f"{jw} >= 0.9", "Jaro-Winkler >= 0.9")]
    elif kind == "id":
        dl = f'damerau_levenshtein({c}_l", {c}_r")'
        levels += [_lvl(eq, "Exact match"), _lvl(f"{dl} <= 1", "One edit"),
                   _lvl(f"{dl} <= 2", "Two edits")]
    else:  # postcode, text
        levels += [_lvl(eq, "Exact match", **tf), _lvl(f"{jw} >= 0.9", "Jaro-Winkler >= 0.9")]
    levels.append({"sql_condition": "ELSE", "label_for_charts": "All other comparisons"})
    return {"output_column_name": col, "comparison_description": f"{col} ({kind})",
            "comparison_levels": levels}


def generic_comparisons(filled: set[str], extras: tuple[tuple[str, str], ...]
                        ) -> list[dict[str, Any]]:
    """Comparisons of a table mapped by `linkage.mapping`: the person identifiers it fills, the
    postal code as text, and each further (standardised) column by its kind."""
    out = [build() for name, build in _BUILDERS.items()
           if name != "postcode" and COMPARISON_COLUMNS[name][0] in filled]
    if "postcode_text" in filled:
        out.append(postcode_text_comparison())
    elif "postcode_std" in filled:
        out.append(postcode_comparison())
    out += [extra_comparison(col, kind) for col, kind in extras if col in filled]
    return out
