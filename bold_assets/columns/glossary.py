"""The column glossary: what the columns the source declarations do not describe hold, written
from the code that builds each table (`bold_assets.columns.describe` reads it)."""

from __future__ import annotations

from bold_assets.catalog import NATIONAL_ID_KINDS

THRESHOLD_WORDS = {"high": "high (0.95)", "medium": "medium (0.8, the persistent spine)",
                   "low": "low (0.5)"}

# The published outputs (`outputs.<lsoa|lad>_needs_wave_<n>` and their `_history`).
OUTPUT_COLUMNS: dict[str, str] = {
    "geography_level": "lsoa or lad",
    "area_code": "ONS code of the LSOA or LAD",
    "area_name": "name of the area",
    "wave": "linkage wave whose person mart the cell counts",
    "measure": "risk factor register id (driver_* / outcome_*)",
    "count": "people with the need, rounded to 5; null when suppressed or not covered",
    "denominator": "people of the mart resident in the area, rounded to 5; null when suppressed",
    "rate": "count / denominator of the published values; null when either is null",
    "suppressed": "count withheld by disclosure control (below 10, its complement below 10, "
                  "or recoverable by differencing)",
    "coverage": "'covered', or 'not covered': the measure rests on councils' returns and the "
                "LAD's council missed one in the lookback window, so the count is unknown (null, "
                "never 0) and the cell is not suppressed but unpublished",
}

# Column names that mean the same in every table that has them.
COMMON: dict[str, str] = {
    "source_dataset": "Source the record comes from (a declared source name, e.g. mags)",
    "row_id_hash": "The record's id in the research zone: keyed hash (project HMAC) of its "
                   "source's record id, as research.<source>.row_id_hash",
    "lsoa_code": "LSOA (2011 Lower Layer Super Output Area) code",
    "lad_code": "Local authority district code",
    "lad_name": "Local authority district name",
    "imd_decile": "Index of Multiple Deprivation decile of the LSOA (1 = most deprived 10%)",
    "snapshot_date": "The snapshot (as-at date) the row belongs to",
    "measure": "Risk factor register id (driver_* / outcome_*)",
    "name": "Readable name of the risk factor (marts.risk_factor_register)",
    "measure_type": "How the wave measures the factor (register): validated or proxy",
    "threshold": "Linkage threshold name: high (match probability 0.95), medium (0.8, the "
                 "published persistent spine) or low (0.5)",
    "threshold_probability": "Match probability of the threshold",
    "true_positives": "Linked pairs that are true pairs (both records of one true person)",
    "linked_pairs": "Record pairs sharing a cluster (or id)",
    "true_pairs": "Record pairs of one true person (synthetic truth)",
    "precision": "Share of linked pairs that are true pairs",
    "recall": "Share of true pairs that are linked",
    "f1": "Harmonic mean of precision and recall",
    "dimension": "Subgroup dimension (sex, ethnic_group, age_band, imd_quintile, party_role, "
                 "or all)",
    "subgroup": "Value of the dimension ('unknown' when missing; 'all' for the overall row)",
    "records": "Records of the subgroup (a trace: traced people)",
    "false_match_rate": "Share of the subgroup's records whose cluster holds a record of "
                        "another true person",
    "missed_match_rate": "Share of the subgroup's records with a true match whose cluster misses "
                         "one of them",
    "linked_rate": "Share of the subgroup's records linked to any other record",
    "linked_other_source_rate": "Share of the subgroup's records linked to a record of another "
                                "source",
    "step": "Linkage step: the wave's link plan name (a ttp plan's own dedupe: <name>_ids)",
    "scope": "Which record pairs are counted (e.g. <source>-spine, <source> dedupe, "
             "<a>-<b> pairs, people / records of a trace)",
    "wave": "Linkage wave",
    "match_probability": "Splink match probability of the link (0-1)",
    "risk_factor": "Risk factor register id (driver_* / outcome_*)",
    "dataset": "Published dataset (data catalogue) the table belongs to, e.g. npd",
    "table_name": "Declared source table (research.<table_name>)",
    "variable": "Column of the source table",
    "source_id": "Dataset of the source discovery register",
    "estimated_xjs_id": "Estimated person: keyed hash of the persistent spine id "
                        "(linkage.person_ids at the medium threshold); lasts across snapshots",
    "xjs_id_high": "Estimated person at the high threshold (0.95): keyed cluster id of this run",
    "xjs_id_low": "Estimated person at the low threshold (0.5): keyed cluster id of this run",
    "event_date": "The date that places the record in time",
    "sex": "Sex, M or F; null when not recorded or unknown",
    "ethnic_group": "Ethnic group: White, Mixed, Asian, Black or Other; null when unknown",
    "age_at_event": "Age in whole years at the record's event date (from the standardised date "
                    "of birth); null when either is unknown",
    "person_id": "Person id",
    "record_id": "Record id: the key of the record in its raw source table (identifier zone)",
}


def _t(*pairs: tuple[str, str]) -> dict[str, str]:
    return dict(pairs)


# Table glossary: a pattern over `schema.table` -> column -> meaning (from each table's builder).
TABLES: list[tuple[str, dict[str, str]]] = [
    # raw
    (r"raw\.extract_snapshot", _t(
        ("snapshot_date", "The snapshot the raw tables hold (bold_assets.world.snapshots)"),
        ("landed", "True when the raw tables were landed from delivered files, false when "
                   "generated"))),
    # linkage (bold_assets.linkage: core, incremental, spine, spine_tables, wave_link, trace, ttp)
    (r"linkage\.model_parameters", _t(
        ("model", "Linkage model (link plan) name, e.g. dedupe_mags, link_criminal"),
        ("version", "Saved model version (models/<model>/model_v<version>.json)"),
        ("comparison", "Splink comparison (output column name), e.g. name, dob, postcode"),
        ("level", "Index of the comparison level within its comparison"),
        ("label", "What the comparison level means (its chart label or SQL condition)"),
        ("m_probability", "m: probability of the level among true matches"),
        ("u_probability", "u: probability of the level among non-matches"),
        ("match_weight", "log2(m / u): the evidence the level adds"),
        ("tf_adjusted", "Whether the level is adjusted for term frequency"))),
    (r"linkage\.std_fingerprints", _t(
        ("source_dataset", "Source of the raw row"),
        ("record_id", "Its record id (the source's key)"),
        ("fingerprint", "md5 of the raw row's values when it was last standardised: a refresh "
                        "standardises again only the rows whose fingerprint changed"),
        ("version", "md5 of the standardising SQL and the postcode lookup it used: any change "
                    "standardises every row again"))),
    (r"linkage\.model_versions", _t(
        ("model", "Linkage model (link plan) name"),
        ("version", "The model version prediction must use"),
        ("path", "File of that version"),
        ("recorded_at", "When linkage/model_parameters recorded it (UTC, ISO 8601)"))),
    (r"linkage\.pairwise_predictions", _t(
        ("model", "Model that scored the pair (a dedupe or cross-source model)"),
        ("source_dataset_l", "Source of the left record"),
        ("record_id_l", "Record id of the left record"),
        ("source_dataset_r", "Source of the right record"),
        ("record_id_r", "Record id of the right record"),
        ("match_weight", "Splink match weight of the pair (log2 Bayes factor)"),
        ("match_probability", "Splink match probability of the pair (pairs below 0.05 dropped)"),
        ("match_key", "Index of the blocking rule that generated the pair ('key' for records "
                      "sharing the source's person key)"))),
    (r"linkage\.person_clusters", _t(
        ("cluster_high", "Cluster id at match probability 0.95 (high)"),
        ("cluster_medium", "Cluster id at match probability 0.8 (medium: the spine's clusters)"),
        ("cluster_low", "Cluster id at match probability 0.5 (low)"))),
    (r"linkage\.scored_records", _t(
        ("fingerprint", "md5 of the record's standardised identifiers when its pairs were "
                        "scored (a changed record is scored again)"),
        ("models", "Model versions that scored it (model:version, comma separated)"))),
    (r"linkage\.person_ids|linkage\.wave_\d+_person_ids", _t(
        ("person_id", "Persistent spine person id of the record (issued in sequence, never "
                      "reused; identifier zone only)"),
        ("snapshot_date", "Snapshot the ids were carried to"))),
    (r"linkage\.person_ids_history", _t(
        ("person_id", "Spine person id of the record at that snapshot"),
        ("snapshot_date", "Snapshot of the ids"))),
    (r"(linkage|research)\.person_id_changes", _t(
        ("snapshot_date", "Snapshot at which the change happened"),
        ("old_id", "The id before (null for kinds new and join)"),
        ("new_id", "The id after (null for kind retired)"),
        ("kind", "new (a new person), merge (old id retired into a living one), split (records "
                 "moved to a new id), move (records moved between two living ids), retired (an "
                 "id's records are gone), join (a later wave's records joined a spine person)"),
        ("n_records", "Records the change moved"))),
    (r"linkage\.\w+_ids", _t(
        ("ttp_id", "The trusted third party's person id: the smallest record uid "
                   "(source|record_id) of its cluster; a per-run label"))),
    (r"linkage\.\w+_links", _t(
        ("person_id", "Spine person (linkage.person_ids) the record is linked or traced to"),
        ("record_id", "Record id of the linked record in its raw source table"),
        ("reference_dataset", "Reference source the record was traced to (e.g. pds)"),
        ("reference_record_id", "Reference record the traced person matched best"),
        ("match_probability", "Match probability of the best pair behind the link"))),
    (r"linkage\.\w+_collisions", _t(
        ("person_id", "Spine person whose best reference person went to another spine person "
                      "(the one-to-one trace left it unlinked)"),
        ("other_person_id", "The spine person that took that reference person"),
        ("match_probability", "Match probability of the first person's best pair with that "
                              "reference person"))),
    # research link files and research-zone tables of the linkage
    (r"research\.mags_crown_journey", _t(
        ("mc_case_id", "Keyed hash of the magistrates' case_id (as research.mags.case_id_hash)"),
        ("mc_defendant_id", "Keyed hash of the magistrates' defendant_id (research.mags "
                            "row_id_hash)"),
        ("cc_defendant_on_case_id", "Keyed hash of the Crown Court defendant_on_case_id it "
                                    "reached (research.crown row_id_hash)"),
        ("estimated_match_score", "Person link probability x offence agreement x closeness in "
                                  "time; journeys matched one to one, best score first"))),
    (r"research\.\w+_ids", _t(
        ("ttp_id_hash", "Keyed hash of the trusted third party's person id (linkage.<table>): "
                        "counts repeat presentations across councils and periods"))),
    (r"research\.\w+_links", _t(
        ("match_probability", "Match probability of the trace (best pair of the traced "
                              "person)"))),
    # evaluation (bold_assets.linkage.evaluation, wave_evaluation; defs/evaluation)
    (r"evaluation\.linkage_f1", _t(
        ("scope_type", "overall, group (criminal; family_civil: pairs involving a family or "
                       "civil record), source, or source_pair"),
        ("scope", "The scope's sources: all, criminal, family_civil, a source, or "
                  "<source>-<source>"))),
    (r"evaluation\.linkage_threshold_curve", _t(
        ("threshold_probability", "Scored pairs at this match probability or above are linked "
                                  "(before clustering)"),
        ("linked_pairs", "Scored pairs at or above the threshold"),
        ("true_pairs", "All true pairs"))),
    (r"evaluation\.mags_crown_journey_accuracy", _t(
        ("journeys_found", "Rows of research.mags_crown_journey"),
        ("true_journeys", "Rows of truth.mags_crown_journey"),
        ("correct", "Journeys found that are true ones"),
        ("precision", "correct / journeys_found"),
        ("recall", "correct / true_journeys"))),
    (r"outputs\.needs_estimates_wave_\d+", _t(
        ("geography_level", "lsoa, lad or country (England and Wales)"),
        ("area_code", "ONS code of the LSOA, LAD or K04000001 (England and Wales)"),
        ("area_name", "name of the area"),
        ("wave", "linkage wave whose person mart the row counts"),
        ("measure", "risk factor register id (driver_* / outcome_*)"),
        ("estimate", "estimated prevalence of the need (the register's validated measure under "
                     "perfect linkage, or the flag where no wave validates it); a count rounded "
                     "to 5 over the published denominator; null when suppressed"),
        ("lower", "lower bound of the 90% interval (linkage, proxy and sampling error): its "
                  "count rounded to 5 over the published denominator, at least 5 people below "
                  "the estimate's"),
        ("upper", "upper bound of the 90% interval: its count rounded to 5 over the published "
                  "denominator, at least 5 people above the estimate's"),
        ("naive_rate", "the published flag rate (count / denominator of the outputs)"),
        ("naive_lower", "lower bound of the naive 90% Wilson interval of the published rate "
                        "(sampling error only)"),
        ("naive_upper", "upper bound of the naive 90% Wilson interval of the published rate"),
        ("denominator", "people of the area, rounded to 5 (the outputs' denominator)"),
        ("validated_by_wave", "the wave whose validated measure the estimate targets; null when "
                              "no built wave validates the measure (proxy error not corrected)"),
        ("method", "how the estimate was made (bold_assets.estimates.estimator)"),
        ("errors_included", "the errors the interval carries"),
        ("suppressed", "withheld by disclosure control with its cell (the cell's count "
                       "suppressed or not covered, fewer than 10 people implied by a bound, or "
                       "recoverable from its LAD's and neighbours')"))),
    (r"evaluation\.estimate_coverage", _t(
        ("geography_level", "lad or country (England and Wales)"),
        ("area_code", "ONS code of the LAD, or K04000001 (England and Wales)"),
        ("validated_by_wave", "the wave whose validated measure the estimate targets"),
        ("estimate", "the published estimate"),
        ("lower", "the published lower bound (90%)"),
        ("upper", "the published upper bound (90%)"),
        ("naive_rate", "the published flag rate"),
        ("naive_lower", "the naive interval's lower bound"),
        ("naive_upper", "the naive interval's upper bound"),
        ("pool", "'validated': a wave validates the measure (truth: the validated measure under "
                 "perfect linkage); 'not validated': none does (truth: the latent need)"),
        ("truth", "true prevalence among the true people of the cell"),
        ("true_people", "true people of the cell (under perfect linkage)"),
        ("exact_lower", "the estimator's lower bound, before rounding (not published)"),
        ("exact_upper", "the estimator's upper bound, before rounding (not published)"),
        ("covered", "the published 90% interval contains the truth"),
        ("exact_covered", "the exact (unrounded) 90% interval contains the truth"),
        ("naive_covered", "the naive binomial interval contains the truth"),
        ("width", "upper - lower"),
        ("naive_width", "naive_upper - naive_lower"))),
    (r"evaluation\.estimate_coverage_summary", _t(
        ("pool", "'validated' or 'not validated' (see evaluation.estimate_coverage)"),
        ("cells", "published LAD rows"),
        ("measures", "measures among them"),
        ("coverage", "share of the rows whose published 90% interval contains the truth"),
        ("exact_coverage", "share whose exact 90% interval (before the bounds are rounded "
                           "for disclosure control) contains the truth"),
        ("naive_coverage", "share whose naive binomial interval contains the truth"),
        ("mean_width", "mean width of the published 90% intervals"),
        ("mean_exact_width", "mean width of the exact (unrounded) 90% intervals"),
        ("mean_naive_width", "mean width of the naive intervals"),
        ("mean_error", "mean of estimate - truth"),
        ("mean_naive_error", "mean of naive rate - truth"))),
    (r"evaluation\.needs_validity_wave_\d+", _t(
        ("persons", "Estimated persons (medium threshold) with a true person"),
        ("flag_prevalence", "Share of those persons flagged"),
        ("true_prevalence", "Share with the latent (true) driver or outcome"),
        ("tp", "Flagged and truly with it"), ("fp", "Flagged, truly without it"),
        ("fn", "Not flagged, truly with it"), ("tn", "Not flagged, truly without it"),
        ("sensitivity", "tp / (tp + fn): share of those truly with it that are flagged"),
        ("specificity", "tn / (tn + fp): share of those truly without it not flagged"),
        ("ppv", "tp / (tp + fp): share of the flagged truly with it"),
        ("assessed_persons", "Of those persons, the ones with an OASys assessment in the "
                             "lookback window"),
        ("sensitivity_assessed", "Sensitivity among assessed persons"),
        ("specificity_assessed", "Specificity among assessed persons"),
        ("ppv_assessed", "PPV among assessed persons"))),
    (r"evaluation\.prevalence_by_imd_wave_\d+", _t(
        ("persons", "Estimated persons (medium threshold) of the decile"),
        ("flag_prevalence", "Share of them flagged"),
        ("true_prevalence", "Share with the latent (true) driver or outcome"))),
    (r"evaluation\.linkage_sensitivity_(lad|subgroup)_wave_\d+", _t(
        ("subgroup_type", "sex, ethnic_group, age_band or imd_quintile"),
        ("subgroup", "Value of the subgroup"))),
    (r"evaluation\.wave_\d+_match_rates", _t(
        ("ethnic_group", "True ethnic group of the people ('all': every group)"),
        ("people", "People of the spine source born late enough to be in the population "
                   "source"),
        ("matched", "Of them, people with a population record linked to them"),
        ("truly_in_source", "Of them, people who truly have a population record"),
        ("match_rate_pct", "matched / people, percent"),
        ("true_rate_pct", "truly_in_source / people, percent"))),
    (r"evaluation\.wave_\d+_trace_rates", _t(
        ("people", "Traced people (a spine person, or a population source's key group)"),
        ("truly_in_reference", "Traced people whose true person has a reference record"),
        ("linked", "Traced people linked to a reference person"),
        ("linked_right", "Linked to their own true person's reference records"),
        ("linked_wrong", "Linked to another person's reference records"),
        ("missed", "Truly in the reference, not linked to it rightly"),
        ("linked_pct", "linked / people, percent"),
        ("linked_right_pct", "linked_right / people, percent"),
        ("true_pct", "truly_in_reference / people, percent"))),
    # discovery (bold_assets.discovery)
    (r"discovery\.data_catalogue", _t(
        ("position", "Position of the variable in its table (1 = first column)"),
        ("data_type", "Declared DuckDB type"),
        ("definition", "What the variable means (the source declaration)"),
        ("value_set", "Declared codes, ' | ' separated"),
        ("value_labels", "Labels of the codes (code = label; ...)"),
        ("is_identifier", "Personal identifier: never leaves the identifier zone, never "
                          "summarised beyond missingness"),
        ("wave", "Linkage wave of the table"),
        ("system", "Source system (e.g. Libra, OASys)"),
        ("declared_coverage", "Declared first-last year of event dates"),
        ("rows", "Rows of raw.<table_name>"),
        ("missing_pct", "Percent of rows where the variable is null"),
        ("distinct_values", "Approximate distinct values (null for identifiers)"),
        ("first_event_date", "Earliest event date of the table"),
        ("last_event_date", "Latest event date of the table"))),
    (r"discovery\.candidate_variables", _t(
        ("matched_terms", "Keywords (or synonyms) of the factor the variable matched"),
        ("score", "Match score: weighted keyword hits over name, definition and value labels"))),
    (r"discovery\.source_register", _t(
        ("wave", "Linkage wave the source joins"),
        ("dataset", "Dataset name"), ("owner", "Data owner"),
        ("system_of_record", "System the data is held in"),
        ("legal_gateway", "Legal basis for sharing"),
        ("refresh_cadence", "How often the data is refreshed"),
        ("geographic_granularity", "Finest geography held"),
        ("coverage", "Who and when it covers"),
        ("person_identifiers", "Identifiers available for linkage"),
        ("known_quality_issues", "Known quality issues"),
        ("representativeness_issues", "Who is missing or over-represented"),
        ("access_route", "How researchers get access"),
        ("validates_factors", "Register ids the source can turn from proxy to validated "
                              "(';' separated)"),
        ("evidence", "Documents the facts come from ('unknown (...)' where none says)"))),
    (r"discovery\.coverage_matrix", _t(
        ("wave", "Linkage wave"),
        ("coverage", "validated (the source validates the factor and the register validates it "
                     "at that wave) or proxy"),
        ("register_measure_type", "Measure type of the register row (factor, wave)"),
        ("candidate_variables", "Variables keyword discovery found for the factor in the "
                                "source"),
        ("submission_coverage", "Share of council-periods whose return arrived (sources resting "
                                "on returns; null otherwise)"),
        ("coverage_note", "How many returns are missing, or why the share is unknown"))),
    # truth (bold_assets.world): synthetic ground truth, evaluation only
    (r"truth\.persons", _t(
        ("forename", "True forename"), ("middle_name", "True middle name"),
        ("surname", "True surname"), ("birth_surname", "Surname at birth"),
        ("sex", "True sex, M or F"), ("dob", "True date of birth"),
        ("ethnic_group", "True ethnic group (White, Mixed, Asian, Black, Other)"),
        ("ethnicity_code", "True ONS 18+1 ethnicity code"),
        ("born_abroad", "Born outside the UK"),
        ("arrival_date", "Date of arrival in the UK (born abroad only)"),
        ("educated_in_england", "First address in England and born in the UK or arrived by "
                                "age 5"),
        ("lsoa_code", "LSOA of the latest address"), ("postcode", "Postcode of the latest "
                                                                  "address"),
        ("lad_code", "LAD of the latest address"),
        ("imd_decile", "IMD decile of the latest address's LSOA"))),
    (r"truth\.person_addresses", _t(
        ("seq", "Order of the address in the person's history (1 = first)"),
        ("from_date", "First day at the address"),
        ("to_date", "Last day at the address (null: current)"))),
    (r"truth\.record_person", _t(
        ("record_id", "Record id in raw.<source_dataset>"),
        ("person_id", "True person the record belongs to"))),
    (r"truth\.deaths", _t(
        ("death_record_id", "Record id in raw.ons_deaths"),
        ("date_of_death", "Date of death"),
        ("cause_group", "natural, suicide, drug_poisoning or other_external"))),
    (r"truth\.homelessness_cases", _t(
        ("case_ref", "Case reference (raw.hclic_people)"),
        ("la_code", "Council (LAD) the case presented to"),
        ("reporting_quarter", "Quarter of the case (YYYYQn)"),
        ("date_of_application", "Date of application"),
        ("cause", "What led to the application: prison (release without accommodation), civil "
                  "(possession claim), family, eviction, latent (latent need)"),
        ("submitted", "Y when the council's return for the quarter arrived (the case is in "
                      "H-CLIC), N when not"))),
    (r"truth\.prison_release_housing", _t(
        ("journey_id", "Custodial journey of the release"),
        ("release_date", "Release date (from April 2018)"),
        ("no_accommodation", "Released with nowhere to live"))),
    (r"truth\.mags_crown_journey", _t(
        ("defendant_id", "Magistrates' record (raw.mags defendant_id)"),
        ("defendant_on_case_id", "The Crown Court record it truly led to (raw.crown)"))),
    (r"truth\.\w+", _t(
        ("person_id", "True person id of the synthetic world (P + 8 digits)"),
        ("lsoa_code", "LSOA of the address"), ("postcode", "Postcode of the address"))),
    # reference geography
    (r"reference\.\w+|dbt_staging\.stg_lsoa", _t(
        ("lsoa_name", "LSOA name"), ("country", "England or Wales"),
        ("postcode", "Postcode (reference lookup to its LSOA)"))),
    # marts (dbt)
    (r"marts\.risk_factor_register", _t(
        ("id", "Register id: driver_<name> / outcome_<name>, the flag column of the person marts "
               "and the measure of the outputs"),
        ("kind", "driver or outcome"), ("name", "Readable name"),
        ("wave", "Linkage wave the row applies to"),
        ("operational_definition", "How the wave operationalises the factor"),
        ("preferred_measure", "The measure one would want"),
        ("fallback_proxy_measure", "The proxy used without it"),
        ("candidate_datasets_variables", "Candidate datasets and variables (table.variable)"),
        ("measure_type", "validated, proxy or none (no flag column)"),
        ("wave_data", "The data the wave holds"),
        ("notes_bias_missingness", "Notes on bias and missingness"),
        ("flag_sql", "Boolean SQL over the declared evidence that makes the flag; empty: the "
                     "nearest earlier wave's"))),
    (r"marts\.needs_estimates_exact_wave_\d+", _t(
        ("geography_level", "lsoa, lad or country (England and Wales)"),
        ("area_code", "ONS code of the LSOA, LAD or K04000001 (England and Wales)"),
        ("measure", "risk factor register id (driver_* / outcome_*)"),
        ("persons", "the wave's people of the area (exact)"),
        ("estimate", "the estimator's prevalence, before rounding and suppression (inside the "
                     "warehouse only: outputs.needs_estimates_wave_<n> is what is published)"),
        ("lower", "the estimator's 90% lower bound, before rounding"),
        ("upper", "the estimator's 90% upper bound, before rounding"),
        ("validated_by_wave", "the wave whose validated measure the estimate targets"))),
    (r"marts\.area_coverage_wave_\d+", _t(
        ("lad_code", "LAD (of stg_lsoa), whose council submits the return"),
        ("measure", "Register id resting on the return (var council_coverage)"),
        ("coverage_source", "Staging model of the returns (which councils submitted)"),
        ("quarters_expected", "Full quarters of the return in the lookback window before the "
                              "snapshot"),
        ("quarters_submitted", "Of them, the quarters the LAD's council submitted"),
        ("covered", "Every expected quarter submitted: a zero is a zero, not missing data"),
        ("snapshot_date", "As-at date (var snapshot_date)"))),
    (r"marts\.person_needs_wave_\d+", _t(
        ("estimated_xjs_id", "Estimated person at this row's link_threshold: the keyed "
                             "persistent spine id at medium, the keyed cluster id of the run at "
                             "high and low"),
        ("link_threshold", "Linkage threshold that grouped records into this person (high, "
                           "medium, low; medium is published)"),
        ("snapshot_date", "As-at date of the flags (var snapshot_date)"),
        ("n_records", "The person's records dated before the snapshot"),
        ("n_sources", "Distinct sources of those records"),
        ("first_event_date", "Earliest event date of those records"),
        ("last_event_date", "Latest event date of those records"),
        ("sex", "Most frequent recorded sex (ties: the latest)"),
        ("ethnic_group", "Most frequent recorded ethnic group (ties: the latest)"),
        ("age_at_snapshot", "Age at the snapshot, from the age at the latest record with one "
                            "(records of one date: the highest source and row hash)"),
        ("age_band", "under 18, 18-24, 25-34, 35-49 or 50+ (from age_at_snapshot)"),
        ("lsoa_code", "LSOA of residence at the latest record with a known one (records of "
                      "one date: the highest source and row hash)"),
        ("lad_code", "LAD of that LSOA"), ("imd_decile", "IMD decile of that LSOA"))),
    # dbt intermediate
    (r"dbt_intermediate\.int_\w+", _t(
        ("wave", "Wave of the record's source"),
        ("event_date", "The record's event date (stg_<source>.event_date)"),
        ("is_attribute", "Row of an attribute table, reaching its person through its parent "
                         "source's record with the same hashed key"),
        ("sex", "Sex, M or F (stg_<source>)"), ("ethnic_group", "Ethnic group (stg_<source>)"),
        ("signal", "Name of the declared evidence signal (var evidence_signals)"),
        ("signal_date", "Date the signal counts on (its window ends at the snapshot)"),
        ("assessment_date", "Date the OASys assessment was completed"),
        ("setting", "custody or community"))),
]

# Columns the staging models derive (dbt_project/models/staging/stg_<source>.sql): `model.column`.
STAGING: dict[str, str] = {
    "stg_mags.convicted": "Disposal is a conviction (not NOT_GUILTY nor SENT_CC, sent to the "
                          "Crown Court, whose verdict counts instead)",
    "stg_crown.convicted": "Sentenced (sentence_type not null and not ACQUITTED)",
    "stg_probation.has_mhtr": "Requirements include a mental health treatment requirement (MHTR)",
    "stg_probation.has_drr": "Requirements include a drug rehabilitation requirement (DRR)",
    "stg_probation.has_atr": "Requirements include an alcohol treatment requirement (ATR)",
    "stg_civil.is_person": "The party is a person (party_type PERSON); companies have no person "
                           "link",
    "stg_pnc_people.is_alias": "An alias name (alias_flag Y) of the PNC person",
    "stg_pnc_offences.is_primary_offence": "The primary offence of its case",
    "stg_pnc_offences.convicted": "Adjudicated guilty (G, J)",
    "stg_pnc_offences.cautioned": "Dealt with by a caution (CAUT, YCAU)",
    "stg_pnc_offences.proven": "Convicted or cautioned",
    "stg_pnc_offences.custodial": "Custodial disposal (CUST)",
    "stg_npd_census.ever_fsm": "Ever eligible for free school meals (everfsm_all = 1)",
    "stg_npd_census.sen_provision": "Has SEN provision (senprovision A, P, S, K or E)",
    "stg_npd_census.sen_semh": "Primary SEN type social, emotional and mental health (SEMH, "
                               "BESD)",
    "stg_npd_ks2.ks2_expected_em": "Expected standard in reading and maths (from 2016), level 4+ "
                                   "in English and maths before",
    "stg_npd_ks4.ks4_level2_em": "Level 2 (grades 9-4 / A*-C) in English and maths",
    "stg_npd_exclusions.permanent": "Permanent exclusion (PERM)",
    "stg_npd_exclusions.fixed_period": "Fixed-period exclusion or suspension (FIXD, SUSP)",
    "stg_npd_absence.persistent_absentee": "Persistently absent that year (at the year's "
                                           "threshold)",
    "stg_dwp_benefit_spells.active_until": "Last day the spell counts: its end, or the day "
                                           "before the snapshot when open or ending later",
    "stg_dwp_benefit_spells.out_of_work": "Out-of-work benefit: JSA, ESA, IB, IS, SDA, or UC in "
                                          "the searching-for-work regime",
    "stg_dwp_benefit_spells.inactive": "Out of the labour market: ESA, IB, SDA, IS, or UC with "
                                       "no work requirement (NWR, PWR, PFW)",
    "stg_dwp_benefit_spells.income_related": "Means-tested support: JSA, ESA, IS, PC or UC",
    "stg_dwp_benefit_spells.uc_in_work": "Universal Credit while in work (WFI, WNR regimes)",
    "stg_hmrc_employments.active_until": "Last day the spell counts: its end, or the day before "
                                         "the snapshot when ongoing or ending later",
    "stg_hmrc_employments.annualised_pay": "taxable_pay annualised over the spell's days to "
                                           "active_until; null for spells under 30 days",
    "stg_hes_apc.emergency_admission": "Emergency admission (admission method 2x)",
    "stg_hes_apc.died_in_hospital": "Discharge method 4 (died)",
    "stg_hes_apc.mental_illness_specialty": "Main specialty 710, 711, 712 or 715 (mental "
                                            "illness)",
    "stg_hes_apc.primary_diagnosis": "Primary diagnosis (diag_4_01)",
    "stg_hes_apc.diag_mental_health": "Any diagnosis in ICD-10 list mental_health (F20-F48)",
    "stg_hes_apc.diag_substance_use": "Any diagnosis in ICD-10 list substance_use (F10-F19)",
    "stg_hes_apc.diag_self_harm": "Any diagnosis in ICD-10 list self_harm (X60-X84)",
    "stg_hes_apc.diag_drug_poisoning": "Any diagnosis in ICD-10 list drug_poisoning (ONS)",
    "stg_hes_apc.diag_long_term_physical": "Any diagnosis in ICD-10 list long_term_physical",
    "stg_hes_ae.admitted": "Attendance disposal 01 (admitted)",
    "stg_hes_ae.poisoning": "A&E diagnosis 14 (poisoning, including overdose) in either position",
    "stg_hes_ae.psychiatric": "A&E diagnosis 35 (psychiatric condition) in either position",
    "stg_mhsds_referrals.active_until": "Last day the referral counts: its discharge, or the day "
                                        "before the snapshot when open or discharged later",
    "stg_mhsds_referrals.reason_group": "substance_use (02), self_harm (15), organic (01), "
                                        "mental_health (any other), unknown (missing)",
    "stg_mhsds_referrals.reason_substance_use": "Primary reason 02 (drug and alcohol "
                                                "difficulties)",
    "stg_mhsds_referrals.reason_self_harm": "Primary reason 15 (self harm behaviours)",
    "stg_mhsds_referrals.reason_mental_health": "Primary reason other than 01 and 02",
    "stg_mhsds_care_contacts.attended": "Patient seen (attendance 5 on time, 6 late)",
    "stg_mhsds_hosp_spells.active_until": "Last day the spell counts: its discharge, or the day "
                                          "before the snapshot when still in or discharged later",
    "stg_mhsds_hosp_spells.emergency_admission": "Admission method 2x (emergency)",
    "stg_ons_deaths.underlying_cause": "Underlying cause of death, ICD-10 (null when blank)",
    "stg_ons_deaths.cause_suicide": "Suicide (X60-X84, Y10-Y34; aged 10 or over)",
    "stg_ons_deaths.cause_drug_poisoning": "Drug poisoning (X40-X44, X60-X64, X85, Y10-Y14)",
    "stg_ons_deaths.cause_other_external": "Other external cause (V01-Y98, not suicide nor drug "
                                           "poisoning)",
    "stg_ons_deaths.cause_natural": "Natural cause (a recorded cause that is not external)",
    "stg_ons_deaths.cause_group": "suicide, drug_poisoning, other_external, natural or unknown",
    "stg_hclic_main.duty_owed": "prevention (1), relief (2), none (3), unknown",
    "stg_hclic_main.prevention_duty_owed": "Threatened with homelessness within 56 days: "
                                           "prevention duty (assessment outcome 1)",
    "stg_hclic_main.relief_duty_owed": "Homeless: relief duty (assessment outcome 2)",
    "stg_hclic_main.reason_group": "Reason for loss of the last settled home: tenancy_end, "
                                   "family_or_friends, violence_or_abuse, left_institution, "
                                   "other, unknown",
    "stg_hclic_main.reason_domestic_abuse": "Reason 04 (domestic abuse)",
    "stg_hclic_main.reason_left_prison": "Reason 06 (left prison)",
    "stg_hclic_main.rough_sleeping_at_application": "Sleeping rough at application (6)",
    "stg_hclic_main.no_fixed_abode_at_application": "No fixed abode or sleeping rough at "
                                                    "application (5, 6)",
    "stg_hclic_support_needs.need_group": "offending, mental_health, physical_health, "
                                          "substance_misuse, domestic_abuse, "
                                          "homelessness_history, young_or_care_leaver, "
                                          "learning_disability, ete, unknown",
    "stg_hclic_support_needs.need_offending": "Support need 01 (history of offending)",
    "stg_hclic_support_needs.need_mental_health": "Support need 02 (mental health)",
    "stg_hclic_support_needs.need_physical_health": "Support need 03 (physical ill health or "
                                                    "disability)",
    "stg_hclic_support_needs.need_substance_misuse": "Support need 04 or 05 (drug or alcohol "
                                                     "dependency)",
    "stg_hclic_support_needs.need_domestic_abuse": "Support need 06 (at risk of or experienced "
                                                   "domestic abuse)",
    "stg_hclic_support_needs.need_rough_sleeping": "Support need 08 (history of rough "
                                                   "sleeping)",
    "stg_hclic_prevention.duty_open": "No end date in the return",
    "stg_hclic_prevention.outcome_group": "secured_accommodation, became_homeless, "
                                          "contact_lost, withdrew, duty_ended, open",
    "stg_hclic_prevention.secured_accommodation": "Accommodation secured for 6 months or more "
                                                  "(outcome 1)",
    "stg_hclic_prevention.became_homeless": "Became homeless: relief duty owed (outcome 2)",
    "stg_hclic_relief.duty_open": "No end date in the return",
    "stg_hclic_relief.outcome_group": "secured_accommodation, duty_ended_56_days, "
                                      "contact_lost, withdrew, refused_or_ineligible, open",
    "stg_hclic_relief.secured_accommodation": "Accommodation secured for 6 months or more "
                                              "(outcome 1)",
    "stg_hclic_main_duty.decision_group": "main_duty, intentionally_homeless, "
                                          "not_priority_need, not_homeless, ineligible, unknown",
    "stg_hclic_main_duty.main_duty_owed": "Main duty owed (decision 1): eligible, homeless, in "
                                          "priority need, not intentionally homeless",
    "stg_hclic_main_duty.found_homeless": "Found homeless (decision 1, 2 or 3)",
    "stg_hclic_assistance.activity_group": "mediation, accommodation, financial, other, unknown",
    "stg_hclic_temp_accommodation.active_until": "Last day the placement counts: its end, or the "
                                                 "day before the snapshot (null when it begins "
                                                 "on or after it)",
    "stg_hclic_temp_accommodation.in_ta_at_snapshot": "Placed before the snapshot and not ended "
                                                      "before it",
    "stg_hclic_temp_accommodation.ta_type_group": "bed_and_breakfast, nightly_paid, hostel, "
                                                  "leased, social_stock, other, unknown",
    "stg_hclic_temp_accommodation.bed_and_breakfast": "Bed and breakfast placement (type 1)",
    "stg_hclic_temp_accommodation.out_of_area": "Placed outside the council's area (Y)",
    "stg_hclic_reviews.pending": "No review decision in the return",
    "stg_hclic_reviews.overturned": "Decision overturned on review (outcome 2)",
    "stg_hclic_submissions.quarter_end_date": "Last day of the quarter",
    "stg_hclic_submissions.submitted": "The council's return for the quarter arrived (Y)",
    "stg_hclic_submissions.lad_code": "LAD of the council (la_code when not otherwise known)",
    "stg_hclic_main.event_date": "When the duty was found owed: date_of_assessment (of the "
                                 "application when missing)",
    "stg_hes_apc.event_date": "Admission date (admidate; the episode start when missing)",
    "stg_pnc_offences.event_date": "Adjudication date (the offence start when missing)",
    "stg_hclic_submissions.event_date": "First day of the quarter (quarter_start_date, else from "
                                        "reporting_quarter)",
    "stg_hclic_submissions.quarter_start_date": "First day of the quarter (from "
                                                "reporting_quarter when missing)",
    "stg_npd_census.ethnic_group": "Ethnic group (White, Mixed, Asian, Black, Other) from "
                                   "ethnicgroupmajor",
    "stg_npd_census.lsoa_code": "LSOA of residence (from the standardised postcode, else the "
                                "census's llsoa)",
    "stg_la_tenancies.live": "No end date at the extract",
    "stg_la_tenancies.end_group": "eviction, abandoned, tenant_notice, move_within_stock, death, "
                                  "other, live, unknown",
    "stg_la_tenancies.evicted": "Evicted (EVR rent arrears, EVA anti-social behaviour)",
    "stg_la_tenancies.evicted_rent_arrears": "Evicted for rent arrears (EVR)",
    "stg_la_tenancies.evicted_asb": "Evicted for anti-social behaviour (EVA)",
    "stg_la_tenancies.abandoned": "Tenancy abandoned (ABN)",
    "stg_la_tenancies.lost_tenancy": "Council home lost: evicted or abandoned",
}

# Name patterns: (regular expression over the column, meaning; {1}, {2}... its groups).
PATTERNS: list[tuple[str, str]] = [
    (r"measure_type_wave_(\d+)", "Register measure type of the factor in wave {1}"),
    (r"persons_wave_(\d+)", "Estimated persons of wave {1}'s mart (medium threshold) with a "
                             "true person"),
    (r"(sensitivity|specificity|ppv)_wave_(\d+)",
     "{1} of the wave-{2} flag against the synthetic truth (over its own estimated persons)"),
    (r"(sensitivity|specificity|ppv|persons)_on_wave_(\d+)_persons_wave_(\d+)",
     "{1} of the wave-{3} flag over the persons of wave {2}'s mart only (like for like)"),
    (r"(sensitivity|specificity|ppv|persons)_on_wave_(\d+)_persons",
     "{1} over the persons of wave {2}'s mart only (like for like)"),
    (r"(sensitivity|specificity|ppv)_change_wave_(\d+)",
     "{1} in wave {2} minus in the first wave"),
    (r"persons_(high|medium|low)", "Persons at the {1} linkage threshold"),
    (r"prevalence_(high|medium|low)", "Share flagged with persons clustered at the {1} "
                                      "threshold"),
    (r"diff_(high|low)", "prevalence_{1} minus prevalence_medium"),
    (r"cluster_(\w+)", "Cluster id at the {1} threshold"),
    (r"(\w+)_hash", "Keyed hash (project HMAC) of {1}, as the research tables of its source "
                    "hold it: never in the clear, joins them"),
]

# linkage.std_<source>: the standard identifier form (linkage/standardise.py), column ->
# (meaning, the identifier role it comes from).
STD_COLUMNS: dict[str, tuple[str, str]] = {
    "source_dataset": ("Source of the record", ""),
    "record_id": ("Record id: the source's key", "key"),
    "forename1_std": ("First forename, standardised: upper-case A-Z words, titles, "
                      "punctuation and placeholders removed", "forename"),
    "forename2_std": ("Second forename, standardised", "middle_name"),
    "surname_std": ("Surname, standardised", "surname"),
    "surname_dm": ("Phonetic key (Metaphone) of the surname", "surname"),
    "forename1_dm": ("Phonetic key (Metaphone) of the first forename", "forename"),
    "forename1_keys": ("The first forename plus the full names it is a diminutive of "
                       "(linkage/data/nicknames.csv)", "forename"),
    "dob_std": ("Date of birth; null when impossible, implausible or unreadable", "dob"),
    "dob_year": ("Year of birth", "dob"), "dob_month": ("Month of birth", "dob"),
    "dob_day": ("Day of birth", "dob"), "dob_year_month": ("Year and month of birth", "dob"),
    "dob_invalid": ("A date of birth was given but is impossible, implausible or unreadable",
                    "dob"),
    "sex": ("Sex, M / F / null, from the source's codes", "sex"),
    "postcode_std": ("Postcode, standardised ('AB1 2CD')", "postcode"),
    "postcode_district": ("Postcode district ('AB1')", "postcode"),
    "postcode_sector": ("Postcode sector ('AB1 2')", "postcode"),
    "postcode_invalid": ("A postcode was given but is malformed", "postcode"),
    "event_date": ("The record's event date", "event_date"),
    "lsoa_code": ("LSOA of the standardised postcode (reference.postcodes)", "postcode"),
}
for _kind, _what in NATIONAL_ID_KINDS.items():
    STD_COLUMNS[f"{_kind}_std"] = (f"{_what}; upper case, spaces and dashes removed, checked",
                                   _kind)
    STD_COLUMNS[f"{_kind}_invalid"] = (f"{_kind}_std is null because the value given is "
                                       "malformed", _kind)


DISCLOSURE_REPORT: dict[str, str] = {
    "acro_output": "ACRO's id of the table it checked (null when no area is covered)",
    "geography_level": "lsoa or lad",
    "measure": "Risk factor register id of the table",
    "acro_status": "ACRO's verdict: pass, review, fail, or 'not covered'",
    "acro_threshold_fails": "Cells ACRO's minimum threshold check failed",
    "acro_zero_cells": "Zero cells ACRO found",
    "acro_summary": "ACRO's summary of its checks (500 characters at most)",
    "cells": "Cells of the table",
    "primary_suppressed": "Cells suppressed by the primary rules (ACRO and plain code)",
    "secondary_suppressed": "Cells suppressed so no primary one can be recovered by "
                            "differencing (LAD = sum of its LSOAs)",
    "published": "Cells published with a value",
    "denominator_primary": "Denominators suppressed by the primary rules",
    "denominator_secondary": "Denominators suppressed by secondary suppression",
    "acro_disagreements": "Cells where ACRO and the plain-code rules disagree",
    "not_covered": "Cells not covered (the council missed a return): no value published",
    "acro_denominator_output": "ACRO's id of the denominator table of the level",
    "acro_denominator_status": "ACRO's verdict on the denominator table",
    "wave": "Linkage wave of the outputs",
}
