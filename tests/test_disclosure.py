"""Disclosure control on hand-made areas: planted small cells, differencing, rounding, verify."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bold_assets import disclosure as dc

# LAD L1 = LSOAs A, B, C; LAD L2 = LSOAs D, E; LSOA F (in L2) has nobody in it.
AREAS = pd.DataFrame({
    "lsoa_code": ["A", "B", "C", "D", "E", "F"],
    "lsoa_name": ["A1", "B1", "C1", "D1", "E1", "F1"],
    "lad_code": ["L1", "L1", "L1", "L2", "L2", "L2"],
    "lad_name": ["Lad one"] * 3 + ["Lad two"] * 3,
})
# (lsoa, people, flagged with measure m)
PLAN = [("A", 40, 3), ("B", 50, 20), ("C", 60, 30), ("D", 48, 45), ("E", 70, 33)]


def _persons() -> pd.DataFrame:
    rows = []
    lad = dict(zip(AREAS["lsoa_code"], AREAS["lad_code"], strict=True))
    for lsoa, n, k in PLAN:
        rows += [{"lsoa_code": lsoa, "lad_code": lad[lsoa], "m": i < k, "all_zero": False}
                 for i in range(n)]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def protected(tmp_path_factory) -> dc.Protected:
    out = tmp_path_factory.mktemp("acro") / "report"
    return dc.protect(_persons(), AREAS, ["m", "all_zero"], wave=0, report_dir=out)


def _cell(frame: pd.DataFrame, area: str, measure: str = "m") -> pd.Series:
    return frame[(frame["area_code"] == area) & (frame["measure"] == measure)].iloc[0]


def test_planted_small_cell_is_suppressed(protected):
    a = _cell(protected.published, "A")
    assert a["suppressed"] and pd.isna(a["count"]) and pd.isna(a["rate"])
    assert a["denominator"] == 40  # the denominator itself is safe
    assert _cell(protected.cells, "A")["count_primary"]


def test_small_complement_is_suppressed(protected):
    # 45 of 48 flagged: publishing 45 and 48 would reveal the 3 unflagged people
    assert _cell(protected.published, "D")["suppressed"]


def test_cell_recoverable_from_total_is_secondarily_suppressed(protected):
    cells = protected.cells
    # L1 = A + B + C with A suppressed: B (the next smallest) must go too
    b = _cell(cells, "B")
    assert not b["count_primary"] and b["count_secondary"]
    assert not _cell(cells, "C")["count_secondary"]
    pub = protected.published
    assert _cell(pub, "B")["suppressed"] and not _cell(pub, "C")["suppressed"]
    assert _cell(pub, "L1")["count"] == 55  # 53 rounded to 5, still published


def test_empty_and_all_zero_cells_are_suppressed(protected):
    pub = protected.published
    f = _cell(pub, "F")
    assert f["suppressed"] and pd.isna(f["denominator"])
    # F's denominator is suppressed; L2 = D + E + F so one more denominator goes
    assert pd.isna(_cell(pub, "D")["denominator"])
    assert pub[pub["measure"] == "all_zero"]["suppressed"].all()


def test_published_cells_are_rounded_and_safe(protected):
    pub = protected.published
    shown = pub["count"].dropna()
    assert len(shown) > 0 and (shown % 5 == 0).all() and (shown >= 10).all()
    assert _cell(pub, "C")["count"] == 30
    # L2 = D + E + F with D (3 unflagged) and F (empty) hidden: L2 minus E would reveal the
    # 3 unflagged people of D, so E (33) is hidden too
    assert _cell(pub, "E")["suppressed"] and _cell(protected.cells, "E")["count_secondary"]
    assert dc.verify(pub, protected.cells) == []
    assert list(pub.columns) == list(dc.PUBLISHED_COLUMNS)


def test_verify_catches_every_kind_of_violation(protected):
    pub = protected.published.copy()
    i_b = _cell(pub, "B").name
    pub.loc[i_b, ["count", "suppressed"]] = [20, False]  # undo the secondary suppression
    pub.loc[i_b, "rate"] = 0.4
    i_c = _cell(pub, "C").name
    pub.loc[i_c, "count"] = 31  # unrounded
    i_a = _cell(pub, "A").name
    pub.loc[i_a, ["count", "suppressed", "rate"]] = [5, False, 0.125]  # below threshold
    kinds = {(v.kind, v.area_code) for v in dc.verify(pub, protected.cells)}
    assert ("unrounded", "C") in kinds
    assert ("below_threshold", "A") in kinds
    pub.loc[i_a, ["count", "suppressed", "rate"]] = [None, True, None]
    kinds = {(v.kind, v.area_code) for v in dc.verify(pub, protected.cells)}
    assert ("recoverable", "A") in kinds  # A = L1 - B - C again
    # without exact cells the structural check still sees it
    parents = dict(zip(AREAS["lsoa_code"], AREAS["lad_code"], strict=True))
    assert any(v.kind == "recoverable" for v in dc.verify(pub, lsoa_parent=parents))


def test_two_tiny_suppressed_cells_are_not_enough():
    # L1 = A(3) + B(2) + C(50) + D(60): A and B both fail, but their total 5 would be
    # recoverable from L1 - C - D, so C is suppressed as well.
    areas = pd.DataFrame({"lsoa_code": list("ABCD"), "lsoa_name": list("ABCD"),
                          "lad_code": ["L1"] * 4, "lad_name": ["L1"] * 4})
    rows = []
    for lsoa, n, k in [("A", 30, 3), ("B", 30, 2), ("C", 90, 50), ("D", 90, 60)]:
        rows += [{"lsoa_code": lsoa, "lad_code": "L1", "m": i < k} for i in range(n)]
    cells = dc.exact_cells(pd.DataFrame(rows), areas, ["m"])
    cells = cells.assign(count_primary=cells["count"].isin([2, 3]), denominator_primary=False)
    out = dc.secondary_suppress(cells)
    assert out.loc[out["area_code"] == "C", "count_secondary"].item()
    assert not out.loc[out["area_code"] == "D", "count_secondary"].item()


def test_round_half_up():
    got = dc.round_to_base(pd.Series([10, 12, 13, 17, 18, 22, 25]), 5).tolist()
    assert got == [10, 10, 15, 15, 20, 20, 25]


def test_acro_report_is_saved(protected):
    assert protected.acro_dir is not None
    assert (protected.acro_dir / "results.json").exists()
    summary = json.loads((protected.acro_dir / "bold_summary.json").read_text())
    assert summary["violations"] == [] and summary["rules"]["threshold"] == 10
    rep = protected.report
    assert set(rep["measure"]) == {"m", "all_zero"}
    assert (rep["acro_disagreements"] == 0).all()
    m_lsoa = rep[(rep["measure"] == "m") & (rep["geography_level"] == "lsoa")].iloc[0]
    assert m_lsoa["secondary_suppressed"] >= 1 and m_lsoa["acro_threshold_fails"] >= 2


def test_hidden_complements_must_not_be_recoverable(tmp_path):
    """Two cells hidden for small complements (5 and 4 unflagged) hide 9 unflagged people in
    total, which the LAD total and published denominators would reveal: a third cell must go."""
    areas = pd.DataFrame({"lsoa_code": ["G", "H", "I", "J"], "lsoa_name": ["G", "H", "I", "J"],
                          "lad_code": ["L3"] * 4, "lad_name": ["Lad three"] * 4})
    plan = [("G", 30, 25), ("H", 40, 36), ("I", 50, 20), ("J", 60, 30)]
    persons = pd.DataFrame([{"lsoa_code": a, "lad_code": "L3", "m": i < k}
                            for a, n, k in plan for i in range(n)])
    result = dc.protect(persons, areas, ["m"], wave=0, report_dir=tmp_path / "report")
    cells, pub = result.cells, result.published
    assert _cell(cells, "G")["count_primary"] and _cell(cells, "H")["count_primary"]
    assert _cell(cells, "I")["count_secondary"]  # the smallest remaining cell is suppressed
    assert not _cell(pub, "L3")["suppressed"]
    assert dc.verify(pub, cells) == []
    # verify flags the published table if the third cell is put back
    leaked = pub.copy()
    i = (leaked["area_code"] == "I") & (leaked["measure"] == "m")
    leaked.loc[i, ["count", "suppressed"]] = [20, False]
    assert any(v.kind == "recoverable" for v in dc.verify(leaked, cells))


def test_differencing_across_waves_is_suppressed_not_held():
    """A later wave whose flag adds evidence to the earlier one: in LSOA C four more people are
    flagged, so wave 1's published C minus wave 0's (35 - 30) would reveal a group of 4. The
    later wave's C is suppressed (and another cell to protect it), never published at wave 0's
    value; the planted attack finds nothing afterwards, and every other cell is as before."""
    persons = _persons()
    wave0 = dc.protect(persons, AREAS, ["m"], wave=0)
    later = persons.copy()
    b_rows = later.index[(later["lsoa_code"] == "C") & ~later["m"]][:4]
    later.loc[b_rows, "m"] = True
    plain = dc.protect(later, AREAS, ["m"], wave=1)
    attack = dc.verify_differencing(wave0.published, plain.published)
    assert ("lsoa", "C") in {(v.geography_level, v.area_code) for v in attack}
    cells, published, suppressed = dc.protect_across(plain.cells, [wave0.published], wave=1)
    assert suppressed >= 1
    assert dc.verify_differencing(wave0.published, published) == []
    assert dc.verify(published, cells) == []
    c = _cell(published, "C")
    assert c["suppressed"] and pd.isna(c["count"])
    same = published["count"].notna() & plain.published["count"].notna()
    assert (published.loc[same, "count"] == plain.published.loc[same, "count"]).all()
    # nothing to compare with: the table is what protect published
    _, alone, n = dc.protect_across(plain.cells, [], wave=1)
    assert n == 0
    pd.testing.assert_frame_equal(alone, plain.published)


def test_a_lad_hidden_across_waves_takes_two_of_its_lsoas_with_it():
    """Only the LAD moves between waves (LSOAs A, B 21 -> 22 round to 20 both times, the LAD
    72 -> 74 rounds 70 -> 75): hiding the LAD alone would leave it as the sum of its published
    LSOAs, so two of them are hidden too, and the result verifies."""
    def people(a: int, b: int) -> pd.DataFrame:
        rows = []
        for lsoa, lad, n, k in (("A", "L1", 40, a), ("B", "L1", 40, b), ("C", "L1", 60, 30),
                                ("D", "L2", 48, 20), ("E", "L2", 70, 33)):
            rows += [{"lsoa_code": lsoa, "lad_code": lad, "m": i < k} for i in range(n)]
        return pd.DataFrame(rows)

    wave0 = dc.protect(people(21, 21), AREAS, ["m"], wave=0)
    later = dc.protect(people(22, 22), AREAS, ["m"], wave=1)
    assert [v.area_code for v in dc.verify_differencing(wave0.published, later.published)] == [
        "L1"]
    cells, published, _ = dc.protect_across(later.cells, [wave0.published], wave=1)
    assert dc.verify(published, cells) == []
    assert dc.verify_differencing(wave0.published, published) == []
    hidden = set(published.loc[published["suppressed"], "area_code"])
    assert {"L1", "A", "B"} <= hidden
