"""The fast suite runner (issue 12) gives the outcomes the old one gave, failures included.

The old path (`tests/quality_reference.py`) fed GX every column through `Batch.validate`; the new
one feeds it the columns the expectations read (schema expectations on the empty table) with
dates at nanosecond resolution, through one Validator. Both run here on small raw tables with
failures planted in every kind of expectation, and every field of every outcome must agree.
"""

import pytest

from bold_assets.quality.runner import columns_read, run_suite
from bold_assets.quality.suites import Expectation, get_suite
from bold_assets.sources import SOURCES
from tests.quality_reference import run_suite_reference
from tests.test_quality import _sample_db

FIELDS = ("check_name", "success", "unexpected_count", "unexpected_percent", "element_count",
          "examples", "observed_value", "error")  # fmt: skip

PLANTED = (
    # key duplicates, bad codes, missing and malformed values, dates out of range both ways
    "UPDATE raw.mags SET defendant_id = 'MA0000001' "
    "WHERE defendant_id IN ('MA0000002', 'MA0000005')",
    "UPDATE raw.mags SET gender = 'X' WHERE defendant_id = 'MA0000003'",
    "UPDATE raw.mags SET defendant_postcode = 'not a postcode' WHERE defendant_id <= 'MA0000012'",
    "UPDATE raw.mags SET defendant_dob = '31/12/1990' WHERE defendant_id <= 'MA0000008'",
    "UPDATE raw.mags SET defendant_dob = '1980-01-01' WHERE defendant_id > 'MA0000012'",
    "UPDATE raw.mags SET first_hearing_date = DATE '2030-01-01' WHERE defendant_id = 'MA0000004'",
    "UPDATE raw.mags SET first_hearing_date = DATE '2001-02-03' WHERE defendant_id = 'MA0000006'",
    "UPDATE raw.mags SET disposal_date = DATE '2000-01-01' WHERE defendant_id = 'MA0000007'",
    "UPDATE raw.mags SET age_at_offence = 7 WHERE defendant_id = 'MA0000009'",
    "UPDATE raw.mags SET case_id = NULL WHERE defendant_id = 'MA0000010'",
    # a date beyond pandas' nanosecond range stays at DuckDB's resolution
    "UPDATE raw.prison SET reception_date = DATE '2999-01-01' WHERE journey_id = "
    "(SELECT min(journey_id) FROM raw.prison)",
    "UPDATE raw.prison SET gender_code = NULL",
    # a column the suite does not expect, and one it expects gone
    "ALTER TABLE raw.crown ADD COLUMN surprise INTEGER",
    "ALTER TABLE raw.family DROP COLUMN issue_date",
    # companies lose their names (allowed), people lose theirs (row_condition counts them)
    "UPDATE raw.civil SET party_name = NULL "
    "WHERE party_id <= (SELECT min(party_id) || 'Z' FROM raw.civil)",
)  # fmt: skip


@pytest.fixture(scope="module")
def planted_db():
    con = _sample_db()
    for sql in PLANTED:
        con.execute(sql)
    yield con
    con.close()


def _rows(outcomes) -> list[tuple]:
    return [tuple(getattr(o, f) for f in FIELDS) for o in outcomes]


def test_fast_runner_gives_the_old_outcomes_with_failures_planted(planted_db):
    failed_kinds: set[str] = set()
    for s in SOURCES:
        suite = get_suite(f"raw.{s}")
        new = run_suite(planted_db, suite)
        old = run_suite_reference(planted_db, suite)
        assert _rows(new) == _rows(old), s
        failed_kinds |= {o.expectation.type for o in new if not o.success}
    # the comparison covered failures of every kind GX evaluates here
    assert {"expect_column_values_to_be_unique", "expect_column_values_to_be_in_set",
            "expect_column_values_to_match_regex", "expect_column_values_to_be_between",
            "expect_column_values_to_match_strftime_format",
            "expect_column_values_to_not_be_null", "expect_table_columns_to_match_set",
            "expect_column_pair_values_a_to_be_greater_than_b"} <= failed_kinds  # fmt: skip


def test_failures_carry_counts_and_examples(planted_db):
    out = {o.check_name: o for o in run_suite(planted_db, get_suite("raw.mags"))}
    assert out["unique__defendant_id"].unexpected_count == 3
    assert out["unique__defendant_id"].examples == ["MA0000001"] * 3
    between = out["between__first_hearing_date"]
    assert between.unexpected_count == 2 and not between.success
    assert sorted(between.examples) == ["2001-02-03T00:00:00", "2030-01-01T00:00:00"]
    prison = {o.check_name: o for o in run_suite(planted_db, get_suite("raw.prison"))}
    assert prison["between__reception_date"].examples == ["2999-01-01T00:00:00"]
    family = {o.check_name: o for o in run_suite(planted_db, get_suite("raw.family"))}
    assert "issue_date" in (family["not_null__issue_date"].error or "")


def test_columns_read_names_every_column_an_expectation_reads():
    civil = get_suite("raw.civil")
    read = columns_read([e for e in civil.expectations])
    assert {"party_name", "party_type", "order_date", "claim_date"} <= read  # row_condition too
    pandas_query = Expectation("expect_column_values_to_not_be_null",
                               {"column": "a", "row_condition": 'b == "x"'}, {})
    assert columns_read([pandas_query]) is None  # unreadable condition: every column
    unknown = Expectation("expect_column_pair_cramers_phi_value_to_be_less_than",
                          {"column_x": "a", "column_y": "b"}, {})
    assert columns_read([unknown]) is None
    schema = Expectation("expect_table_columns_to_match_set", {"column_set": ["a"]}, {})
    assert columns_read([schema]) == set()


def test_the_comparison_covers_categorical_text_columns(planted_db):
    """Low-cardinality text columns reach GX as categoricals; the outcome test above runs them."""
    from bold_assets.quality.runner import _categorical_columns, column_types

    suite = get_suite("raw.mags")
    exps = list(suite.expectations)
    cats = _categorical_columns(planted_db, suite, exps, column_types(planted_db, "raw", "mags"))
    assert {"gender", "defendant_postcode", "defendant_dob"} <= cats  # in_set, regex, strftime
    assert "defendant_id" not in cats  # unique per row: too many values to gain
    civil = get_suite("raw.civil")
    cats = _categorical_columns(planted_db, civil, list(civil.expectations),
                                column_types(planted_db, "raw", "civil"))
    assert "party_type" not in cats  # read by a row_condition
    unknown = Expectation("expect_column_pair_cramers_phi_value_to_be_less_than",
                          {"column_x": "gender", "column_y": "ethnicity"}, {})
    assert _categorical_columns(planted_db, suite, [*exps, unknown],
                                column_types(planted_db, "raw", "mags")) == frozenset()
