"""A source gets what the world needs from its own declaration and generator module: record id
shape (`Source.record_id_shape`), identifier errors (`ERROR_PROFILES` of its generator) and
national ids (`Identifiers.national_ids`), with clear errors when one is missing."""

from __future__ import annotations

import re
import sys
import types
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from bold_assets.catalog import CATALOG, Catalog
from bold_assets.world import identifiers, national_ids, records
from bold_assets.world.generate import make_context
from bold_assets.world.identifiers import ErrorProfile
from bold_assets.world.sources import mags as mags_generator

SEED = 20240601
MAGS = CATALOG.get_source("mags")


def _use(monkeypatch: pytest.MonkeyPatch, *extra) -> Catalog:
    """Make `records` see the catalogue with `extra` sources."""
    catalog = CATALOG.with_sources(*extra)
    monkeypatch.setattr(records, "get_source", catalog.get_source)
    return catalog


@pytest.fixture(scope="module")
def ctx():
    return make_context(3000, SEED)


# Independent checkers of the published formats.
_NINO = re.compile(r"^([A-Z]{2})(\d{6})([A-D])$")


def valid_nino(value: str) -> bool:
    m = _NINO.match(value)
    if not m:
        return False
    first, second = m.group(1)
    return (first not in "DFIQUV" and second not in "DFIQUVO"
            and m.group(1) not in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def valid_nhs_number(value: str) -> bool:
    if not re.fullmatch(r"\d{10}", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 10:
        return False
    return int(value[9]) == (0 if check == 11 else check)


def valid_upn(value: str) -> bool:
    if not re.fullmatch(r"[A-HJ-NP-RT-Z]\d{12}", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[1:], range(2, 14), strict=True))
    return "ABCDEFGHJKLMNPQRTUVWXYZ"[total % 23] == value[0]


def test_shared_tables_are_gone_and_declared_sources_resolve():
    assert not hasattr(records, "ID_SHAPE") and not hasattr(identifiers, "PROFILES")
    for source in CATALOG.sources.values():
        if source.has_identifiers:
            assert isinstance(records.error_profile(source.name), ErrorProfile)
    assert MAGS.record_id_shape == ("D", 100_000_001)


def test_issue_ids_follows_the_declared_shape_and_names_a_missing_one(monkeypatch):
    df = pd.DataFrame({"d": pd.to_datetime(["2020-01-02", "2020-01-01", "2020-01-03"])})
    ids = records.issue_ids(np.random.default_rng(0), df, "d", "mags")
    assert ids["record_id"].tolist() == ["D100000001", "D100000002", "D100000003"]
    assert ids["source_row"].tolist() == [1, 0, 2]

    _use(monkeypatch, replace(MAGS, name="mags_copy", record_id_shape=None))
    with pytest.raises(ValueError, match=r"'mags_copy'.*record_id_shape=\(prefix, "
                                         r"first_number\).*bold_assets/catalog/sources/"):
        records.issue_ids(np.random.default_rng(0), df, "d", "mags_copy")


def test_a_generator_without_error_profiles_gives_a_clear_error(monkeypatch, ctx):
    module = types.ModuleType("fake_generator_without_profiles")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    _use(monkeypatch, replace(MAGS, name="mags_copy", generator=module.__name__))
    with pytest.raises(ValueError, match=r"fake_generator_without_profiles.*'mags_copy'.*"
                                         r"ERROR_PROFILES"):
        records.error_profile("mags_copy")
    recs = pd.DataFrame({"person_idx": [0], "first_hearing_date": pd.to_datetime(["2020-01-01"])})
    with pytest.raises(ValueError, match="ERROR_PROFILES"):
        records.identified(ctx, "mags_copy", recs, np.random.default_rng(0))
    module.ERROR_PROFILES = {"other": ErrorProfile()}  # a profile, but not for this source
    with pytest.raises(ValueError, match="mags_copy"):
        records.error_profile("mags_copy")


@pytest.mark.parametrize(("kind", "valid"), [("nino", valid_nino),
                                             ("nhs_number", valid_nhs_number),
                                             ("upn", valid_upn)])
def test_national_id_makers_give_valid_unique_deterministic_ids(kind, valid):
    idx = np.arange(50_000)
    ids = national_ids.true_ids(kind, idx, SEED)
    assert all(valid(v) for v in ids)
    assert len(set(ids)) == len(ids)
    # a function of the person and the seed alone: the same for any subset, another seed differs
    again = national_ids.true_ids(kind, idx[::-7], SEED)
    assert (again == ids[::-7]).all()
    other = national_ids.true_ids(kind, idx[:1000], SEED + 1)
    assert (other != ids[:1000]).mean() > 0.99
    assert (national_ids.true_ids(kind, idx[:1000], SEED) != national_ids.true_ids(
        "nino" if kind != "nino" else "upn", idx[:1000], SEED)).all()


def test_temporary_ninos_and_typos():
    temp = national_ids.temporary_nino(np.array(["1990-03-04", "2001-12-31"],
                                                dtype="datetime64[D]"), np.array(["M", "F"]))
    assert temp.tolist() == ["TN040390M", "TN311201F"]
    rng = np.random.default_rng(1)
    for value in national_ids.true_ids("nhs_number", np.arange(500), SEED):
        wrong = national_ids.digit_typo(value, rng)
        assert wrong != value and len(wrong) == 10 and not valid_nhs_number(wrong)
    for value in national_ids.true_ids("nino", np.arange(500), SEED):
        wrong = national_ids.digit_typo(value, rng)
        assert wrong != value and wrong[:2] == value[:2] and wrong[-1] == value[-1]


def _one_digit_apart(a: str, b: str) -> bool:
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(a) == len(b) and (len(diff) == 1 or (
        len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]))


def test_a_source_declaring_a_nino_gets_true_ninos_with_declared_errors(monkeypatch, ctx):
    dwp = replace(MAGS, name="dwp_test", wave=2, record_id_shape=("B", 1),
                  identifiers=replace(MAGS.identifiers, national_ids={"nino": "NINO"}))
    _use(monkeypatch, dwp)
    profile = replace(mags_generator.ERROR_PROFILES["mags"], national_id_missing=0.1,
                      national_id_typo=0.05, national_id_placeholder=0.08)
    monkeypatch.setitem(mags_generator.ERROR_PROFILES, "dwp_test", profile)

    persons = ctx.persons
    adults = np.flatnonzero(persons["dob"].to_numpy() < np.datetime64("2000-01-01"))
    n = 6000
    recs = pd.DataFrame({
        "person_idx": np.random.default_rng(3).choice(adults, n),
        "first_hearing_date": np.full(n, np.datetime64("2020-06-01", "ns"))})
    out = records.identified(ctx, "dwp_test", recs, np.random.default_rng(4))
    plain = records.identified(ctx, "mags", recs, np.random.default_rng(4))
    # the national id draws from its own stream: every other column is as without it
    pd.testing.assert_frame_equal(out.drop(columns="id_nino"), plain)

    got = out["id_nino"].to_numpy()
    p = recs["person_idx"].to_numpy()
    true = national_ids.nino(p, SEED)
    dob = [date.fromisoformat(str(d)[:10]) for d in persons["dob"].to_numpy()[p]]
    temp = np.array([f"TN{d:%d%m%y}{s}" for d, s in zip(dob, persons["sex"].to_numpy()[p],
                                                        strict=True)], dtype=object)
    missing = pd.isna(got)
    exact = ~missing & (got == true)
    placeholder = ~missing & (got == temp)
    typo = ~missing & ~exact & ~placeholder
    assert all(_one_digit_apart(a, b) for a, b in zip(got[typo], true[typo], strict=True))
    assert all(valid_nino(v) for v in got[exact])
    assert abs(missing.mean() - 0.1) < 0.015
    assert abs(placeholder.mean() - 0.9 * 0.08) < 0.015
    assert abs(typo.mean() - 0.9 * 0.92 * 0.05) < 0.012
    assert abs(exact.mean() - 0.9 * 0.92 * 0.95) < 0.02
    # the same person holds the same NINO in every record (and source) without errors
    clean = replace(profile, national_id_missing=0.0, national_id_typo=0.0,
                    national_id_placeholder=0.0)
    monkeypatch.setitem(mags_generator.ERROR_PROFILES, "dwp_test", clean)
    again = records.identified(ctx, "dwp_test", recs, np.random.default_rng(9))
    assert (again["id_nino"].to_numpy() == true).all()


def test_undeclared_national_ids_add_no_column(ctx):
    recs = pd.DataFrame({"person_idx": [0, 1],
                         "first_hearing_date": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    out = records.identified(ctx, "mags", recs, np.random.default_rng(0))
    assert not any(c in out for c in ("id_nino", "id_nhs_number", "id_upn"))


@pytest.mark.parametrize("source", list(CATALOG.sources.values()), ids=lambda s: s.name)
def test_generated_tables_in_declared_shapes_and_codes(world_tables, source):
    """Every declared source's generated table: its columns in order, a unique key in its
    declared shape (where it declares one), dates as dates and codes from its code lists."""
    df = world_tables[f"raw.{source.name}"]
    assert len(df) > 0
    assert list(df.columns) == list(source.columns)
    assert df[source.key].is_unique and df[source.key].notna().all()
    if source.record_id_shape:
        prefix, first = source.record_id_shape
        ids = df[source.key].astype(str)
        assert ids.str.startswith(prefix).all()
        assert ids.str[len(prefix):].astype(int).min() == first
    for col in source.date_columns:
        assert pd.api.types.is_datetime64_any_dtype(df[col]), col
    for col, codes in source.codes.items():
        bad = set(df[col].dropna().astype(str)) - set(codes)
        assert not bad, f"{source.name}.{col}: {sorted(bad)[:5]}"
