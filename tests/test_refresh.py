"""Snapshot refreshes: ids that last, recorded model versions, the spine, differencing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from bold_assets import disclosure
from bold_assets.linkage import spine
from bold_assets.world import generate_world
from bold_assets.world.snapshots import snapshot_tables
from tests.conftest import TEST_PROJECT_KEY, TEST_SEED, bold_env
from tests.refresh_runs import FIRST, LINKAGE, POPULATION, SECOND, _ids


def _run(warehouse: Path, snapshot: str, select: str = LINKAGE, **env: str | None) -> int:
    from bold_assets.cli import main

    with bold_env(BOLD_WAREHOUSE=str(warehouse), BOLD_POPULATION=str(POPULATION),
                  BOLD_SEED=str(TEST_SEED), BOLD_PROJECT_KEY=TEST_PROJECT_KEY,
                  BOLD_SNAPSHOT_DATE=snapshot, BOLD_LANDING_DIR=None, DAGSTER_HOME=None, **env):
        return main(["materialize", "--select", select])



def test_snapshot_is_earlier_records_plus_new_and_corrected():
    world = generate_world(600, TEST_SEED)
    early = snapshot_tables(world.tables, "2022-06-01", TEST_SEED)
    late = snapshot_tables(world.tables, "2023-06-01", TEST_SEED)
    again = snapshot_tables(world.tables, "2022-06-01", TEST_SEED)
    for source in ("mags", "probation"):
        key = "defendant_id" if source == "mags" else "event_id"
        e, lt = early[f"raw.{source}"], late[f"raw.{source}"]
        assert set(e[key]) < set(lt[key])  # new records arrive, none vanish
        pd.testing.assert_frame_equal(e, again[f"raw.{source}"])  # same seed, same snapshot
    assert set(early["truth.record_person"]["record_id"]) < set(
        late["truth.record_person"]["record_id"])
    full = snapshot_tables(world.tables, "2030-01-01", TEST_SEED)
    pd.testing.assert_frame_equal(full["raw.mags"], world["raw.mags"])  # all corrected


def test_unchanged_extracts_give_identical_ids(refreshed):
    pd.testing.assert_frame_equal(refreshed["first"], refreshed["again"])
    with duckdb.connect(str(refreshed["path"]), read_only=True) as con:
        kinds = con.execute("SELECT kind, count(*) FROM linkage.person_id_changes WHERE "
                            "snapshot_date = ? GROUP BY 1", [dt.date.fromisoformat(FIRST)]
                            ).fetchall()
    assert dict(kinds).keys() == {"new"}  # the second run of the snapshot changed nothing


def test_refresh_keeps_known_ids_and_scores_only_changes(refreshed):
    with duckdb.connect(str(refreshed["path"]), read_only=True) as con:
        second = _ids(con, SECOND)
        research = con.execute("SELECT * FROM research.person_id_changes LIMIT 5").df()
    both = refreshed["first"].merge(second, on=["source_dataset", "record_id"])
    assert len(both) == len(refreshed["first"])  # every earlier record is still there
    assert (both["person_id_x"] == both["person_id_y"]).mean() > 0.99
    assert len(second) > len(both)
    # research sees keyed ids only
    assert research["new_id"].str.fullmatch("[0-9a-f]{64}").all()


def test_incremental_clusters_equal_a_full_clustering(refreshed):
    from bold_assets.linkage import incremental as inc
    from bold_assets.linkage import justice as J

    with duckdb.connect(str(refreshed["path"]), read_only=True) as con:
        records = J.read_std(con)
        pairs = con.sql("SELECT * FROM linkage.pairwise_predictions").to_arrow_table()
        kept = con.execute("SELECT * FROM linkage.person_clusters ORDER BY ALL").df()
        mode = con.execute("SELECT count(*) FROM linkage.recluster_records").fetchall()[0][0]
    full = inc.cluster(records, pairs).clusters.to_pandas()
    full = full.sort_values(list(full.columns)).reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, full)  # the refresh re-clustered only touched parts
    assert mode == 0  # nothing left to revisit
    # the refresh really was partial: some clusters were carried over unchanged
    prev = refreshed["clusters_first"]
    assert len(prev.merge(kept, on=list(kept.columns))) > 0.5 * len(prev)
    # a previous clustering that does not fit the pairs is not trusted
    bogus = pa.Table.from_pandas(kept.assign(cluster_low=kept["source_dataset"]),
                                 preserve_index=False)
    redo = inc.cluster(records, pairs, bogus, pa.table({"source_dataset": ["mags"],
                                                        "record_id": ["none"]}))
    assert redo.mode == "full"


def test_merge_and_split_are_recorded():
    prev = pd.DataFrame({"source_dataset": "s", "record_id": list("abcdefg"),
                         "person_id": [1, 1, 2, 3, 3, 3, 4]})
    # a+b (id 1) merge with c (id 2); d,e,f (id 3) split into d,e and f; g (id 4) unchanged; h new
    clusters = pd.DataFrame({"source_dataset": "s", "record_id": list("abcdefgh"),
                             "cluster_medium": [10, 10, 10, 20, 20, 30, 40, 50]})
    up = spine.assign_ids(clusters, prev, next_id=5, snapshot_date="2023-12-04")
    pid = dict(zip(up.ids["record_id"], up.ids["person_id"], strict=True))
    assert pid["a"] == pid["b"] == pid["c"] == 1  # the id with most records survives
    assert pid["d"] == pid["e"] == 3 and pid["f"] == 5  # the larger part keeps the id
    assert pid["g"] == 4 and pid["h"] == 6
    ch = {(r.old_id if pd.notna(r.old_id) else None, r.new_id, r.kind, r.n_records)
          for r in up.changes.itertuples()}
    assert ch == {(2, 1, "merge", 1), (3, 5, "split", 1), (None, 6, "new", 1)}
    assert up.next_id == 7
    again = spine.assign_ids(clusters.assign(cluster_medium=clusters["cluster_medium"] * 7),
                             up.ids, next_id=up.next_id)
    pd.testing.assert_frame_equal(again.ids, up.ids)  # cluster labels do not matter
    assert again.changes.empty


def test_refresh_uses_recorded_model_version_and_never_trains(refreshed, tmp_path):
    path = tmp_path / "bold.duckdb"
    shutil.copy(refreshed["path"], path)
    shutil.copytree(refreshed["path"].parent / "models", tmp_path / "models")
    models = tmp_path / "models" / "dedupe_mags"
    # a newer model appears on disk: the refresh must still use the recorded version 1
    newer = json.loads((models / "model_v0001.json").read_text())
    newer["probability_two_random_records_match"] = 0.5
    (models / "model_v0002.json").write_text(json.dumps(newer))
    meta = json.loads((models / "model_v0001.meta.json").read_text()) | {"version": 2}
    (models / "model_v0002.meta.json").write_text(json.dumps(meta))
    with duckdb.connect(str(path), read_only=True) as con:
        before = con.execute("SELECT * FROM linkage.pairwise_predictions ORDER BY ALL").df()
    files = sorted(p.name for p in (tmp_path / "models").rglob("*.json"))
    assert _run(path, SECOND, "linkage/pairwise_predictions") == 0
    with duckdb.connect(str(path), read_only=True) as con:
        after = con.execute("SELECT * FROM linkage.pairwise_predictions ORDER BY ALL").df()
        con.close()
    pd.testing.assert_frame_equal(before, after)  # same snapshot, same recorded model
    assert sorted(p.name for p in (tmp_path / "models").rglob("*.json")) == files  # no training
    # no recorded model: prediction fails plainly instead of training
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE linkage.model_versions")
    assert _run(path, SECOND, "linkage/pairwise_predictions") == 1
    assert sorted(p.name for p in (tmp_path / "models").rglob("*.json")) == files


def test_test_source_links_into_spine_without_renumbering(refreshed, tmp_path):
    from bold_assets.linkage import justice as J
    from bold_assets.linkage import spine_tables

    path = tmp_path / "bold.duckdb"
    shutil.copy(refreshed["path"], path)
    model_path = refreshed["path"].parent / "models" / "link_criminal" / "model_v0001.json"
    model = json.loads(model_path.read_text())
    with duckdb.connect(str(path)) as con:
        before = con.execute("SELECT * FROM linkage.person_ids ORDER BY ALL").df()
        # the test source: 150 people already in the spine (mags records re-keyed), plus 20
        # people nobody has seen (names shuffled and marked, another date of birth)
        std = J.read_std(con, ("mags",)).to_pandas().sample(170, random_state=3)
        std = std.reset_index(drop=True)
        assert len(std) == 170
        known_ids = before.set_index(["source_dataset", "record_id"])["person_id"]
        expected = [known_ids[("mags", r)] for r in std["record_id"][:150]]
        std["source_dataset"] = "test_source"
        std["record_id"] = [f"T{i:05d}" for i in range(len(std))]
        unseen = [f"ZZ{chr(65 + i)}QX" for i in range(20)]
        for col in ("forename1_std", "forename1_dm", "surname_std", "surname_dm"):
            std.loc[150:, col] = [f"{u}{col[0]}" for u in unseen]
        std["forename1_keys"] = std["forename1_keys"].astype(object)
        std.loc[150:, "forename1_keys"] = pd.Series([None] * 20, index=range(150, 170))
        for col in ("forename2_std", "postcode_std", "postcode_district", "postcode_sector",
                    "lsoa_code", "dob_std", "dob_year", "dob_month", "dob_day",
                    "dob_year_month"):
            std.loc[150:, col] = None
        update = spine_tables.add_source(con, std, model, spine_sources=("mags", "crown",
                                                                          "prison", "probation"))
        after = con.execute("SELECT * FROM linkage.person_ids ORDER BY ALL").df()
    kept = after.merge(before, on=["source_dataset", "record_id"], suffixes=("", "_before"))
    assert len(kept) == len(before)
    assert (kept["person_id"] == kept["person_id_before"]).all()  # nobody renumbered
    got = update.ids.set_index("record_id")["person_id"]
    hits = sum(got[f"T{i:05d}"] == expected[i] for i in range(150))
    assert hits >= 140  # the known people take their existing ids
    assert (got[[f"T{i:05d}" for i in range(150, 170)]] > before["person_id"].max()).all()
    assert len(after) == len(before) + 170


def _published(values: dict[str, float | None]) -> pd.DataFrame:
    rows = []
    for area, count in values.items():
        rows.append({"geography_level": "lsoa", "area_code": area, "area_name": area, "wave": 0,
                     "measure": "m", "count": count, "denominator": 100,
                     "rate": None if count is None else count / 100,
                     "suppressed": count is None})
    out = pd.DataFrame(rows)
    out["count"] = out["count"].astype("Int64")
    out["denominator"] = out["denominator"].astype("Int64")
    return out


def test_differencing_check_catches_a_planted_cell():
    previous = _published({"A": 20, "B": 40, "C": None, "D": 30})
    # B grew by 5 people: the difference of two published values is a cell below 10
    current = _published({"A": 20, "B": 45, "C": None, "D": 50})
    found = disclosure.verify_differencing(previous, current)
    assert [(v.area_code, v.kind) for v in found] == [("B", "differencing")]
    protected, held = disclosure.protect_differencing(previous, current)
    assert held == 1
    assert disclosure.verify_differencing(previous, protected) == []
    assert protected.set_index("area_code").loc["B", "count"] == 40  # held back
    assert protected.set_index("area_code").loc["D", "count"] == 50  # big changes published
    assert disclosure.verify(protected) == []


def test_weekly_schedule_launches_the_refresh_of_its_week():
    import dagster as dg

    from bold_assets.definitions import defs

    schedule = defs.resolve_schedule_def("wave_0_weekly_refresh")
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2023, 11, 13, 3, 0))
    requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2023-11-06"]
