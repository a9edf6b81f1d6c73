"""Linkage models: which models a run needs, how each is trained, saved and loaded.

MoJ's pattern: dedupe each dataset with its own model, then link across datasets with models over
groups of sources that have similar identifiers, and cluster all edges once. A `ModelPlan` names
one model: the sources it reads and, for a cross-source model, the link groups (records in the same
group are never compared by that model; their pairs come from the dedupe models).

Trained models are Splink JSON files, versioned: `<models_dir>/<plan>/model_v0001.json` plus a
`.meta.json` sidecar (spec version, training time, record counts). A model is reused until a run
asks to retrain or `MODEL_SPEC_VERSION` (bumped when the comparisons change) no longer matches.

A national identifier (NINO, NHS number, UPN) is compared exactly, and blocked on, by a model
whose sources all hold it (`national_id_kinds`); other models are unchanged.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
from splink import Linker, SettingsCreator, block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.internals.exceptions import SplinkException
from splink.internals.splink_dataframe import SplinkDataFrame

from bold_assets.catalog import CATALOG, NATIONAL_ID_KINDS, Catalog
from bold_assets.linkage import comparisons as cmp

if TYPE_CHECKING:
    from bold_assets.linkage.engine import LinkageEngine

logger = logging.getLogger(__name__)

MODEL_SPEC_VERSION = 1
SPLINK_LOG_LEVEL = logging.ERROR  # Splink warns per untrainable level: noise in run logs

LinkType = Literal["dedupe_only", "link_only"]


@dataclass(frozen=True)
class ModelPlan:
    """One Splink model of a linkage run."""

    name: str
    link_type: LinkType
    sources: tuple[str, ...]
    # source_dataset -> link group; link_only models compare records of different groups only.
    groups: dict[str, str] = field(default_factory=dict)
    # Recall of the deterministic rule (exact names and DOB) among matches whose identifiers are
    # all recorded; scaled down by missingness (see `deterministic_recall`).
    deterministic_recall: float = 0.8
    # Weak identifiers (many missing dates of birth): add looser blocking rules.
    weak: bool = False
    # Comparisons whose m probabilities are taken (and held fixed) from the `reference` model:
    # EM on sparse, error-prone records latches onto relatives or namesakes for them.
    borrow: tuple[str, ...] = ()
    reference: str | None = None
    # Any table (`core.dedupe` / `link_records`): further identifiers (standardised column,
    # comparison kind), and blocking rules chosen from the data (`linkage.blocking`); None keeps
    # the wave-0 comparisons and rules. An empty tuple of prediction rules compares all pairs.
    extras: tuple[tuple[str, str], ...] = ()
    prediction_rules: tuple[str, ...] | None = None
    training_rules: tuple[str, ...] = ()

    def group_of(self, source: str) -> str:
        return self.groups.get(source, source)


def justice_plans(
    criminal: tuple[str, ...], weak: tuple[str, ...]
) -> list[ModelPlan]:
    """Data First wave 0: a dedupe model per source, a criminal cross-source model (strong
    identifiers), and a model linking family / civil records to each other and to everything."""
    plans = [ModelPlan(f"dedupe_{s}", "dedupe_only", (s,)) for s in criminal]
    plans.append(ModelPlan("link_criminal", "link_only", tuple(criminal)))
    # Weak sources hold few dates of birth: their DOB and sex agreement rates among matches
    # come from the criminal model, EM estimates the rest.
    borrowed = {"weak": True, "borrow": ("dob", "sex"), "reference": "link_criminal"}
    plans += [ModelPlan(f"dedupe_{s}", "dedupe_only", (s,), **borrowed) for s in weak]
    groups = {s: "criminal" for s in criminal} | {s: s for s in weak}
    plans.append(ModelPlan("link_family_civil", "link_only", (*criminal, *weak), groups,
                           **borrowed))
    return plans


def national_id_kinds(plan: ModelPlan, filled: set[str],
                      catalog: Catalog | None = None) -> tuple[str, ...]:
    """National identifier kinds a model compares: those whose `<kind>_std` its pairs fill and
    that every one of its sources declares in the catalogue (`Identifiers.national_ids`).

    A model of mapped tables (`core.dedupe` / `link_records`: `plan.prediction_rules` set) has
    no catalogue entries: the mapping naming the column on both sides (the column filled in its
    pairs) is enough. A source the catalogue does not know declares nothing.
    """
    kinds = [k for k in NATIONAL_ID_KINDS if cmp.national_id_column(k) in filled]
    if not kinds or plan.prediction_rules is not None:
        return tuple(kinds)
    sources = (catalog or CATALOG).sources
    declared = [sources[s].identifiers.national_ids if s in sources else {}
                for s in plan.sources]
    return tuple(k for k in kinds if declared and all(k in d for d in declared))


def settings_for(plan: ModelPlan, filled: set[str],
                 reference: dict[str, Any] | None = None,
                 prior: float | None = None,
                 catalog: Catalog | None = None) -> SettingsCreator:
    """Splink settings of a model over records whose filled columns are `filled`. `catalog`:
    where the plan's sources declare their national identifiers (default `CATALOG`)."""
    generic = plan.prediction_rules is not None
    comparisons = (cmp.generic_comparisons(filled, plan.extras) if generic
                   else cmp.comparisons_for(filled))
    if reference is not None and plan.borrow:
        borrow_m(comparisons, reference, plan.borrow)
    rules = (list(plan.prediction_rules or ()) if generic
             else cmp.blocking_rules_for(filled, plan.weak))
    # national ids last, so the other comparisons and rules (and match keys) keep their places;
    # a mapped table's blocking rules come from the data (`blocking.candidate_rules`)
    kinds = national_id_kinds(plan, filled, catalog)
    comparisons += [cmp.national_id_comparison(k) for k in kinds]
    if not generic:
        rules += [block_on(cmp.national_id_column(k)) for k in kinds]
    return SettingsCreator(
        link_type=plan.link_type,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        unique_id_column_name="uid",
        source_dataset_column_name="link_group",
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        **({"probability_two_random_records_match": prior} if prior is not None else {}),
    )


def borrow_m(comparisons: list[dict[str, Any]], reference: dict[str, Any],
             names: tuple[str, ...]) -> None:
    """Copy (and fix) the m probabilities of the named comparisons from a reference model,
    level by level (matched on the level's label)."""
    ref = {c["output_column_name"]: {lv.get("label_for_charts"): lv.get("m_probability")
                                     for lv in c["comparison_levels"]}
           for c in reference["comparisons"]}
    for comparison in comparisons:
        levels = ref.get(comparison["output_column_name"])
        if comparison["output_column_name"] not in names or not levels:
            continue
        for level in comparison["comparison_levels"]:
            m = levels.get(level.get("label_for_charts"))
            if not level.get("is_null_level") and isinstance(m, float | int) and m > 0:
                level["m_probability"] = float(m)
                level["fix_m_probability"] = True


def train(
    sdf: SplinkDataFrame,
    plan: ModelPlan,
    pair_completeness: dict[str, float],
    *,
    seed: int = 1,
    u_max_pairs: float = 2e6,
    em_max_pairs: float | None = 2e6,
    reference: dict[str, Any] | None = None,
    possible_pairs: float | None = None,
    notes: list[str] | None = None,
    catalog: Catalog | None = None,
    engine: LinkageEngine | None = None,
    counted_on: tuple[duckdb.DuckDBPyConnection, str] | None = None,
) -> dict[str, Any]:
    """Estimate a model's parameters on `sdf` (the input registered on a Splink API); returns
    Splink JSON in DuckDB's dialect, whichever engine trained it.

    `pair_completeness`: share of compared pairs in which both records hold each column.
    `reference`: the trained model named by `plan.reference` (for `plan.borrow`).
    `possible_pairs`: pairs the model could compare (for the prior's fallback).
    `notes`: receives a line for every estimate that could not be made and what replaced it.
    `catalog`: where the plan's sources declare their national identifiers (`settings_for`).
    `engine`: the `linkage.engine` Splink runs on (default DuckDB); `counted_on`: the same
    input as a DuckDB table, where the exact rule's pairs are counted (default `sdf`'s own).
    """
    from bold_assets.linkage.engine import DuckDBEngine

    engine = engine or DuckDBEngine()  # before the `Linker` below: `before` is in its dialect
    notes = notes if notes is not None else []
    filled = {c for c, share in pair_completeness.items() if share > 0}
    rule_cols = cmp.deterministic_columns(filled)
    recall = deterministic_recall(pair_completeness, rule_cols, plan)
    # the exact rule's pairs are counted once; the prior at the first recall seeds EM, the
    # prior at the recall the trained model implies is the model's
    exact = ExactRuleCount.of(sdf, plan.link_type, rule_cols, possible_pairs, counted_on)
    prior = exact.prior(recall, possible_pairs, notes, plan.name)
    # settings built here from the columns the table holds: validating them again (it reads
    # every SQL condition) only costs time on the small tables of `core.dedupe`
    linker = Linker(sdf, engine.settings(settings_for(plan, filled, reference, prior, catalog)),
                    log_level=SPLINK_LOG_LEVEL,
                    validate_settings=plan.prediction_rules is None)
    if plan.prediction_rules is None:
        linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    else:  # any table: one pass over the sample (the chunked probe costs more than it saves)
        linker.training.estimate_u_using_random_sampling(
            max_pairs=u_max_pairs, seed=seed, min_count_per_level=None, num_chunks=1)
    blocks: list[Any] = (list(plan.training_rules) if plan.prediction_rules is not None
                         else cmp.training_blocks(filled))
    for block in blocks:
        before = linker.misc.save_model_to_json()
        sql = block if isinstance(block, str) else \
            block.get_blocking_rule("duckdb").blocking_rule_sql
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                engine.rule(block), estimate_without_term_frequencies=True,
                max_pairs=em_max_pairs
            )
        except (ValueError, ArithmeticError, SplinkException) as exc:
            # EM can collapse on small or sparse inputs (an m probability underflows), or find
            # no pairs. Drop this session's estimates (the failed session may have half-updated
            # the linker) and carry on with the others.
            reason = " ".join(str(exc).split())[:200]
            note = f"{plan.name}: EM blocked on {sql} could not run ({reason}); skipped"
            logger.warning(note)
            notes.append(note)
            linker = Linker(sdf, before, log_level=SPLINK_LOG_LEVEL)  # in the engine's SQL
    if not blocks:
        notes.append(f"{plan.name}: no EM block fits these columns; m probabilities keep "
                     "their defaults")
    # Re-estimate the prior with the recall the trained model implies for the exact rule: a
    # match passes it when both records hold its columns and each agrees exactly.
    model = engine.canonical(linker.misc.save_model_to_json())
    implied = implied_recall(model, pair_completeness, rule_cols)
    if implied is not None:
        model["probability_two_random_records_match"] = exact.prior(
            implied, possible_pairs, notes, plan.name)
    if plan.prediction_rules is not None:
        correct_u_for_matches(model)
        floor_disagreement(model, CHANGEABLE_ELSE_M)
    return regularise_levels(model)


def correct_u_for_matches(model: dict[str, Any]) -> dict[str, Any]:
    """Take the true matches out of the u estimates.

    u is estimated on random pairs, which on a small table with many duplicates include true
    matches (a share of about the prior p): observed u = (1 - p) u + p m. The agreement levels of
    a combined comparison (exact forename and surname) have a true u far below p, so the
    contamination cuts their weight by several bits. Solved for u, floored at a hundredth of the
    observed value.
    """
    p = model.get("probability_two_random_records_match")
    if not isinstance(p, float | int) or not 0 < p < 0.5:
        return model
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or not isinstance(m, float | int) \
                    or not isinstance(u, float | int) or u <= 0:
                continue
            level["u_probability"] = max((u - p * m) / (1 - p), u / 100)
    return model


# Any table: the smallest share of matches that disagree outright on an identifier that changes
# over a life (an address, a postcode, a town, an email, ...). EM on correlated address columns
# otherwise learns that no match ever moves, and a move vetoes the match.
CHANGEABLE_ELSE_M = 0.1
_FIXED_COMPARISONS = ("name", "dob", "sex", *NATIONAL_ID_KINDS)  # national ids never change


def floor_disagreement(model: dict[str, Any], floor: float) -> dict[str, Any]:
    """Floor the m of the "all other" level of every comparison but names, DOB and sex."""
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] in _FIXED_COMPARISONS:
            continue
        last = comparison["comparison_levels"][-1]
        m = last.get("m_probability")
        if last.get("sql_condition") == "ELSE" and isinstance(m, float | int):
            last["m_probability"] = max(float(m), floor)
    return model


# Assumed number of true pairs when the exact rule finds none (an input without duplicates, or
# one side of a link-only job): half a pair, divided by the rule's recall.
NO_PAIRS_ASSUMED = 0.5


@dataclass(frozen=True)
class ExactRuleCount:
    """Pairs the exact rule finds among all possible pairs (Splink's count, made once), and the
    prior they give at a stated recall: Splink's direct estimate
    (`estimate_probability_two_random_records_match`), computed the same way."""

    cols: tuple[str, ...]
    observed: float
    total: float

    @classmethod
    def of(cls, sdf: SplinkDataFrame, link_type: str, cols: list[str],
           possible_pairs: float | None = None,
           counted_on: tuple[duckdb.DuckDBPyConnection, str] | None = None) -> ExactRuleCount:
        """The count on a registered input; given the possible pairs (exact) and the input as
        a DuckDB table (`counted_on`, or `sdf` itself on DuckDB), the rule's pairs are counted
        by a GROUP BY (`blocking.count_rule`: the same number, without Splink's join), else by
        Splink's blocking analysis (on the input's engine)."""
        if counted_on is None and hasattr(sdf.db_api, "duckdb_con"):
            counted_on = (sdf.db_api.duckdb_con, sdf.physical_name)
        if possible_pairs is not None and counted_on is not None:
            from bold_assets.linkage.blocking import count_rule

            observed = count_rule(*counted_on, link_type, tuple(cols))
            return cls(tuple(cols), observed, int(possible_pairs))
        summary = count_comparisons_from_blocking_rules(
            sdf, blocking_rules=[block_on(*cols)], link_type=link_type,
            unique_id_column_name="uid", source_dataset_column_name="link_group",
            record_sample_proportion=1.0)[-1]
        return cls(tuple(cols), summary["cumulative_comparison_count"],
                   summary["total_possible_comparison_count"])

    def prior(self, recall: float, possible_pairs: float | None, notes: list[str],
              name: str) -> float:
        """The prior at `recall`; when the rule finds more pairs than the recall allows, recall
        1; when it finds none (the estimate would be 0 and every score log(0)), a fallback of
        `NO_PAIRS_ASSUMED` pairs over the recall. Each departure is noted."""
        cols = ", ".join(self.cols)
        if self.observed > self.total * recall:
            notes.append(f"{name}: the exact rule on {cols} finds more pairs than recall "
                         f"{recall:.2f} allows (recall must be at least "
                         f"{self.observed / self.total:,.2f}); recall 1 used")
            recall = 1.0
        p = self.observed / recall / self.total if self.total else 0.0
        if 0 < p < 1:
            return p
        total = max(possible_pairs or 1.0, 1.0)
        fallback = min(NO_PAIRS_ASSUMED / recall / total, 0.5)
        notes.append(
            f"{name}: the exact rule on {cols} gives a prior of {p} (no pair found: no "
            f"duplicates, or one side of a link); it falls back to {fallback:.3g} "
            f"({NO_PAIRS_ASSUMED} pair assumed at recall {recall:.2f} among {total:,.0f} "
            "possible pairs)")
        logger.warning(notes[-1])
        return fallback


# comparison whose first non-null level is exact agreement on a column of the exact rule
_EXACT_LEVEL_OF = {"forename1_std": "name", "surname_std": "name", "dob_std": "dob",
                   "postcode_std": "postcode"}


def implied_recall(model: dict[str, Any], pair_completeness: dict[str, float],
                   cols: list[str]) -> float | None:
    """Recall of the exact rule on `cols` implied by the trained m probabilities."""
    exact_m = {}
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        m = levels[0].get("m_probability") if levels else None
        if isinstance(m, float | int) and m > 0:
            exact_m[comparison["output_column_name"]] = float(m)
    recall = 1.0
    for comp in dict.fromkeys(_EXACT_LEVEL_OF.get(c) for c in cols):
        if comp not in exact_m:
            return None
        recall *= exact_m[comp]
    for c in cols:
        recall *= pair_completeness.get(c, 0.0)
    return min(max(recall, 0.01), 0.95)


def deterministic_recall(pair_completeness: dict[str, float], cols: list[str],
                         plan: ModelPlan) -> float:
    """Share of true matches the exact rule on `cols` finds: both records must hold every
    column, and then agree exactly (`plan.deterministic_recall`)."""
    recall = plan.deterministic_recall
    for c in cols:
        recall *= pair_completeness.get(c, 0.0)
    return min(max(recall, 0.02), 0.95)


M_FLOOR = 1e-3  # smallest m probability kept: no single level may veto a match outright


def regularise_levels(model: dict[str, Any]) -> dict[str, Any]:
    """Make every level's weight finite and moderate.

    Levels EM could not estimate (too few pairs in a small source) are left by Splink at None or
    'level not observed' (read as 1e-6, an extreme weight): they get a neutral weight. EM also
    drives the m of rare levels towards 0 (weights of -50 and below), which would let a single
    disagreement veto a pair whatever else agrees: m is floored at `M_FLOOR`.
    """
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            m_ok = isinstance(m, float | int) and m > 0
            u_ok = isinstance(u, float | int) and u > 0
            if not u_ok:
                level["u_probability"] = u = 1e-4
            if not m_ok:
                level["m_probability"] = u  # Bayes factor 1: the level says nothing
            else:
                level["m_probability"] = max(m, M_FLOOR)
    return model


# Save / load ---------------------------------------------------------------------------------

_VERSION_RE = re.compile(r"^model_v(\d{4,})\.json$")


def model_dir(models_dir: Path, plan_name: str) -> Path:
    return Path(models_dir) / plan_name


def _versions(models_dir: Path, plan_name: str) -> list[tuple[int, Path]]:
    folder = model_dir(models_dir, plan_name)
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        m = _VERSION_RE.match(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found)


def save_model(
    models_dir: Path, plan: ModelPlan, model: dict[str, Any], meta: dict[str, Any]
) -> Path:
    """Write the next version of a model; returns its path."""
    versions = _versions(models_dir, plan.name)
    version = versions[-1][0] + 1 if versions else 1
    folder = model_dir(models_dir, plan.name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"model_v{version:04d}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(model, indent=2))
    full_meta = {
        "plan": plan.name,
        "version": version,
        "spec_version": MODEL_SPEC_VERSION,
        "link_type": plan.link_type,
        "sources": list(plan.sources),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **meta,
    }
    path.with_name(path.stem + ".meta.json").write_text(json.dumps(full_meta, indent=2))
    tmp.replace(path)
    return path


def load_latest(models_dir: Path, plan_name: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The newest saved model of the current spec version, with its metadata; None if none."""
    for _, path in reversed(_versions(models_dir, plan_name)):
        meta_path = path.with_name(path.stem + ".meta.json")
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("spec_version") != MODEL_SPEC_VERSION:
                continue
            return json.loads(path.read_text()), meta | {"path": str(path)}
        except (OSError, json.JSONDecodeError):
            continue
    return None


def parameter_rows(plan_name: str, model: dict[str, Any]) -> list[dict[str, Any]]:
    """m, u and match weight of every comparison level (UI, `linkage.model_parameters`)."""
    import math

    rows = []
    for comparison in model["comparisons"]:
        for i, level in enumerate(comparison["comparison_levels"]):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if isinstance(m, float | int) and isinstance(
                u, float | int) and m > 0 and u > 0 else None  # fmt: skip
            rows.append({
                "model": plan_name,
                "comparison": comparison["output_column_name"],
                "level": i,
                "label": level.get("label_for_charts", level["sql_condition"]),
                "m_probability": m,
                "u_probability": u,
                "match_weight": weight,
                "tf_adjusted": bool(level.get("tf_adjustment_column")),
            })
    return rows


def prior_match_weight(model: dict[str, Any]) -> float:
    import math

    p = model["probability_two_random_records_match"]
    return math.log2(p / (1 - p))
