"""Issue 12: the faster disclosure control and evaluation publish exactly what they did before.

- the published tables (`outputs.*`) of the small pipeline run against checksums stored by the
  code before the change (tests/outputs_snapshot.py says how to regenerate them);
- ACRO's checks with the per-cell suppression against ACRO's own suppress mitigation;
- secondary suppression and the relation checks of `verify` against the cell-by-cell
  reference implementations they replaced, on random areas and tampered tables;
- the one-query F1 scopes against counting each scope on its own.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from bold_assets import disclosure as dc
from tests.outputs_snapshot import (
    ADDED_COLUMNS,
    SNAPSHOT,
    added_columns,
    is_wave_0,
    outputs_checksums,
)


def test_published_outputs_match_snapshot(pipeline_warehouse, read_only):
    stored = json.loads(SNAPSHOT.read_text())
    columns = {t: [c for c, _ in v["columns"]] for t, v in stored.items()}
    with read_only(pipeline_warehouse) as con:
        now = outputs_checksums(con, columns)
        added = {t: added_columns(con, t, cols) for t, cols in columns.items() if t in now}
    # the stored tables (wave 0's) are all still published, byte for byte on their stored
    # columns; a later wave's tables (outputs.*_wave_1, built by the same factory) may be
    # published beside them
    assert set(stored) <= set(now)
    assert all(is_wave_0(t) for t in stored)
    for table, expected in stored.items():
        assert now[table] == expected, f"outputs.{table} changed"
        kept, extra = added[table]
        assert kept == columns[table], f"outputs.{table}: stored columns reordered"
        # a column added since holds its declared type and wave 0's one value in every row
        for name, (typ, values) in extra.items():
            assert name in ADDED_COLUMNS, f"outputs.{table}.{name} is neither stored nor declared"
            assert (typ, values) == (ADDED_COLUMNS[name][0], [ADDED_COLUMNS[name][1]]), (
                f"outputs.{table}.{name}: {typ} {values}")


# Random areas and persons --------------------------------------------------------------------


def _world(rng: np.random.Generator, n: int, n_lsoa: int, per_lad: int, measures: int = 3):
    lsoa = [f"E01{i:06d}" for i in range(n_lsoa)]
    lad = [f"E06{i // per_lad:06d}" for i in range(n_lsoa)]
    areas = pd.DataFrame({"lsoa_code": lsoa, "lsoa_name": lsoa, "lad_code": lad,
                          "lad_name": lad})
    idx = rng.choice(n_lsoa, n, p=rng.dirichlet(np.ones(n_lsoa)))
    persons = pd.DataFrame({"lsoa_code": np.array(lsoa)[idx], "lad_code": np.array(lad)[idx]})
    names = [f"m{j}" for j in range(measures)]
    for j, m in enumerate(names):
        persons[m] = rng.random(n) < 0.02 + 0.2 * j
    return persons, areas, names


def _same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same labels and values; ACRO's mitigation leaves its labels categorical, which is a dtype
    of the frame only (results.json and our cell map read the labels)."""
    plain = [want.index.astype(object), want.columns.astype(want.columns.categories.dtype)
             if isinstance(want.columns, pd.CategoricalIndex) else want.columns]
    want = want.set_axis(plain[0], axis=0).set_axis(plain[1], axis=1)
    pd.testing.assert_frame_equal(got, want, check_names=True)


def test_acro_checks_with_per_cell_suppression_match_acro_mitigation():
    from acro import ACRO

    persons, _, names = _world(np.random.default_rng(3), 2500, 40, 6)
    mine = dc._acro_session()
    ref = ACRO(suppress=True)
    for level in ("lsoa_code", "lad_code"):
        area = persons[level].astype(str)
        for m in names:
            flag = persons[m].astype(int).rename(m)
            got = dc._crosstab(mine, area, flag)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = ref.crosstab(area, flag)
            _same_table(got, want)
            a = mine.results.get(mine.results.get_keys()[-1])
            b = ref.results.get(ref.results.get_keys()[-1])
            for attr in ("status", "summary", "sdc", "exception", "properties", "comments"):
                assert getattr(a, attr) == getattr(b, attr), attr
            pd.testing.assert_frame_equal(a.outcome, b.outcome)
            _same_table(a.output[0], b.output[0])
    assert mine.config["suppress"] is True


def _acro_record(report_dir) -> tuple[dict, dict[str, str]]:
    """ACRO's results.json but for timestamps, and its output files."""
    results = json.loads((report_dir / "results.json").read_text())
    for rec in results["results"].values():
        rec.pop("timestamp")
    files = {p.name: p.read_text() for p in sorted(report_dir.rglob("*.csv"))}
    return results, files


def test_lean_acro_records_what_acro_records(tmp_path):
    """The lean path (categorical axes, one count table per table, log text on demand) against
    ACRO run as before, on random areas (some empty) and flags present in every person, in
    none, or in some: the same tables, verdicts, results and files, and ACRO left as it was."""
    import acro.acro_tables
    import acro.utils

    model, pretty = acro.acro_tables.TableModelDetails, acro.utils.prettify_table_string
    persons, areas, names = _world(np.random.default_rng(5), 1500, 30, 5, measures=2)
    empty = areas.iloc[[0]].assign(lsoa_code="E01999999", lsoa_name="E01999999")
    areas = pd.concat([areas, empty], ignore_index=True)  # an LSOA with nobody in it
    persons = persons.assign(nobody=False, everybody=True)
    names = [*names, "nobody", "everybody"]
    runs = {lean: dc.protect(persons, areas, names, wave=0, report_dir=tmp_path / str(lean),
                             lean=lean) for lean in (False, True)}
    for attr in ("published", "cells", "report"):
        pd.testing.assert_frame_equal(getattr(runs[True], attr), getattr(runs[False], attr))
    lean, before = _acro_record(tmp_path / "True"), _acro_record(tmp_path / "False")
    assert lean == before
    tables = [f for f in lean[1] if f.startswith("output_")]
    assert len(tables) == 2 * (len(names) + 1)  # every table checked and saved
    outcomes = [r["outcome"] for r in lean[0]["results"].values()]
    assert any("MinimumThresholdCheck" in json.dumps(o) for o in outcomes)  # verdicts recorded
    assert acro.acro_tables.TableModelDetails is model
    assert acro.utils.prettify_table_string is pretty


# Reference implementations (the cell-by-cell code these replaced) ----------------------------

RULES = dc.Rules()


def _secondary_reference(cells: pd.DataFrame, rules: dc.Rules = RULES) -> pd.DataFrame:
    cells = cells.reset_index(drop=True)
    for value in ("count", "denominator"):
        primary = cells[f"{value}_primary"].to_numpy()
        secondary = np.zeros(len(cells), dtype=bool)
        lsoa = cells[cells["geography_level"] == "lsoa"]
        lad = cells[cells["geography_level"] == "lad"]
        lad_index = {(a, m): i for i, a, m in zip(lad.index, lad["area_code"], lad["measure"],
                                                   strict=True)}
        for (parent, measure), grp in lsoa.groupby(["parent_code", "measure"], sort=False):
            p = lad_index.get((parent, measure))
            if p is None or primary[p]:
                continue
            order = grp.sort_values([value, "area_code"]).index.to_numpy()
            vals = cells.loc[order, value].to_numpy()
            comps = (cells.loc[order, "denominator"].to_numpy() - vals if value == "count"
                     else np.full(len(vals), rules.threshold))
            hidden = primary[order] | secondary[order]
            while hidden.any():
                n_hidden, total = hidden.sum(), vals[hidden].sum()
                if (n_hidden >= 2 and total >= rules.threshold
                        and comps[hidden].sum() >= rules.threshold):
                    break
                if hidden.all():
                    secondary[p] = True
                    break
                nxt = np.flatnonzero(~hidden)[0]
                hidden[nxt] = True
                secondary[order[nxt]] = True
        cells[f"{value}_secondary"] = secondary
    return cells


def _relations_reference(pub: pd.DataFrame, cells: pd.DataFrame | None,
                         rules: dc.Rules = RULES) -> list[tuple]:
    """The recoverable-cell violations, relation by relation."""
    out = []
    key = ["geography_level", "area_code", "measure"]
    pub = pub.reset_index(drop=True)
    exact = pub[key].merge(cells[key + ["count", "denominator", "parent_code"]], on=key,
                           how="left").rename(columns={"count": "count_exact",
                                                       "denominator": "denominator_exact"})
    pub = pub.assign(parent_code=exact["parent_code"].where(pub["geography_level"] == "lsoa"))
    lad = pub[pub["geography_level"] == "lad"].set_index(["area_code", "measure"])
    lsoa = pub[pub["geography_level"] == "lsoa"]
    ex = exact.set_index(key)
    for value in ("count", "denominator"):
        for (par, measure), grp in lsoa.groupby(["parent_code", "measure"]):
            if (par, measure) not in lad.index:
                continue
            total_hidden = pd.isna(lad.loc[(par, measure), value])
            hidden = grp[grp[value].isna()]
            if len(hidden) + int(total_hidden) == 1:
                rows = [("lad", par, measure)] if total_hidden else [
                    ("lsoa", a, measure) for a in hidden["area_code"]]
                out += [("recoverable", *r) for r in rows]
            elif not total_hidden and len(hidden):
                rows = ex.loc[[("lsoa", a, measure) for a in hidden["area_code"]]]
                tot = rows[f"{value}_exact"].fillna(0).sum()
                comp = ((rows["denominator_exact"] - rows["count_exact"]).fillna(0).sum()
                        if value == "count" else rules.threshold)
                if tot < rules.threshold or comp < rules.threshold:
                    out += [("recoverable", "lsoa", a, measure) for a in hidden["area_code"]]
    return out


@pytest.mark.parametrize("seed", range(12))
def test_secondary_suppression_and_verify_match_reference(seed):
    rng = np.random.default_rng(seed)
    persons, areas, names = _world(rng, int(rng.integers(200, 3000)), int(rng.integers(4, 40)),
                                   int(rng.integers(1, 9)))
    cells = dc.exact_cells(persons, areas, names)
    for v in ("count", "denominator"):  # primary flags: small cells plus random extra ones
        cells[f"{v}_primary"] = (cells[v] < 10) | (rng.random(len(cells)) < 0.25 * rng.random())
    cells["acro_agrees"] = True
    got = dc.secondary_suppress(cells.copy())
    pd.testing.assert_frame_equal(got, _secondary_reference(cells.copy()))
    published = dc.publish(got, wave=0)
    for rate in (0.0, 0.05, 0.15, 0.3):  # tamper: hide or reveal cells at random
        pub = published.copy()
        hide = rng.random(len(pub)) < rate
        pub.loc[hide, ["count", "rate"]] = np.nan
        pub.loc[rng.random(len(pub)) < rate / 2, "denominator"] = np.nan
        pub.loc[rng.random(len(pub)) < rate / 3, "count"] = 5
        pub["count"] = pub["count"].astype("Int64")
        pub["denominator"] = pub["denominator"].astype("Int64")
        mine = [(v.kind, v.geography_level, v.area_code, v.measure)
                for v in dc.verify(pub, got) if v.kind == "recoverable"]
        assert mine == _relations_reference(pub, got)


# Evaluation ------------------------------------------------------------------------------------


def test_f1_scopes_in_one_query_equal_scope_by_scope(pipeline_warehouse, read_only):
    from bold_assets.linkage import evaluation as ev
    from bold_assets.sources import CRIMINAL_SOURCES, SOURCE_NAMES, WEAK_SOURCES

    with read_only(pipeline_warehouse) as con:
        table = ev.f1_table(con, "linkage.person_clusters", "truth.record_person",
                            CRIMINAL_SOURCES, WEAK_SOURCES, thresholds=("medium",))
        base = ev.labelled_sql("linkage.person_clusters", "truth.record_person", "medium")
        got = {r.scope: (r.true_positives, r.linked_pairs, r.true_pairs)
               for r in table.itertuples()}
        assert got["all"] == ev._scope_counts(con, base, SOURCE_NAMES, SOURCE_NAMES)
        assert got["criminal"] == ev._scope_counts(con, base, CRIMINAL_SOURCES,
                                                   CRIMINAL_SOURCES)
        clustered = (*CRIMINAL_SOURCES, *WEAK_SOURCES)  # wave 0's: linkage.person_clusters
        clustered = tuple(s for s in SOURCE_NAMES if s in clustered)
        for s in clustered:
            assert got[s] == ev._scope_counts(con, base, [s], [s])
        pairs = [(s, t) for i, s in enumerate(clustered) for t in clustered[i + 1:]]
        for s, t in pairs:
            assert got[f"{s}-{t}"] == ev._scope_counts(con, base, [s], [t])
        assert got["all"][1] > 0  # something was linked


def test_protect_matches_reference_path_on_pipeline_mart(pipeline_warehouse, read_only,
                                                         monkeypatch):
    """The whole safe-outputs computation on the pipeline's mart, against the path before:
    ACRO's own suppress mitigation and cell-by-cell secondary suppression. Independent of what
    the linkage upstream produced, unlike the checksum snapshot."""
    from acro import ACRO

    from bold_assets.defs.wave_0.outputs import RULES, WAVE, read_inputs

    with read_only(pipeline_warehouse) as con:
        persons, areas, measures = read_inputs(con)
    new = dc.protect(persons, areas, measures, wave=WAVE, rules=RULES)

    quiet = dc._acro_session

    def reference_session():
        quiet()  # ACRO's logging quietened as the module does
        return ACRO(suppress=True)

    def reference_crosstab(acro, index, columns, lean):
        assert not lean
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return acro.crosstab(index, columns)

    monkeypatch.setattr(dc, "_acro_session", reference_session)
    monkeypatch.setattr(dc, "_crosstab", reference_crosstab)
    monkeypatch.setattr(dc, "secondary_suppress", _secondary_reference)
    old = dc.protect(persons, areas, measures, wave=WAVE, rules=RULES, lean=False)
    pd.testing.assert_frame_equal(new.published, old.published)
    pd.testing.assert_frame_equal(new.cells, old.cells)
    pd.testing.assert_frame_equal(new.report, old.report)
    assert new.published["suppressed"].any() and (~new.published["suppressed"]).any()


def test_lean_acro_puts_acro_back_when_it_raises():
    import acro.acro_tables
    import acro.utils

    names = (acro.acro_tables.TableModelDetails, acro.utils.prettify_table_string)
    rows = pd.get_option("display.max_rows")
    with pytest.raises(RuntimeError), dc._lean_acro():
        assert acro.acro_tables.TableModelDetails is not names[0]
        raise RuntimeError("ACRO failed")
    assert (acro.acro_tables.TableModelDetails, acro.utils.prettify_table_string) == names
    assert pd.get_option("display.max_rows") == rows
