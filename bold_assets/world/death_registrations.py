"""ONS death registrations of the wave-3 world, from the deaths `mortality.Mortality` draws.

Each death gets an underlying cause (ICD-10, four characters) from its cause group
(`death_causes`). The registration follows a few days after a natural death, months after an
external one (inquest; some after the end of 2023); the NHS number is missing for people not on
PDS and a few more (~1.3% in all); up to five causes are mentioned (the underlying first), with
age, sex and the LSOA of residence at death. `truth.deaths` keeps the record id, person, date and
cause group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bold_assets.catalog.sources.ons import CAUSES
from bold_assets.world.context import WorldContext
from bold_assets.world.icd10_codes import DRUG_POISONING_T, INJURY, draw_codes, listed, within
from bold_assets.world.labour_market import sigmoid
from bold_assets.world.mortality import CAUSES as CAUSE_GROUPS
from bold_assets.world.mortality import DRUG, EXT, NAT, SELF_POISONING_SHARE, SUI
from bold_assets.world.patients import Patients, to_dates
from bold_assets.world.records import issue_ids


def death_causes(rng: np.random.Generator, cause: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Underlying cause (ICD-10, four characters) of each death, from its cause group."""
    n = len(cause)
    out = np.empty(n, dtype=object)
    at = np.flatnonzero(cause == NAT)
    out[at] = draw_codes(rng, listed("long_term_physical"), len(at), {
        "C": 0.35, "E": 0.05, "G": 0.04, "I": 0.35, "J": 0.13, "K": 0.05, "N": 0.03})
    at = np.flatnonzero(cause == SUI)
    by_drug = rng.random(len(at)) < SELF_POISONING_SHARE
    self_poison = within("suicide", "drug_poisoning")
    other = listed("suicide", "drug_poisoning")
    hanging = rng.random(len(at)) < 0.6
    codes = np.where(hanging, "X70" + rng.integers(0, 10, len(at)).astype(str).astype(object),
                     draw_codes(rng, other, len(at)))
    out[at] = np.where(by_drug, draw_codes(rng, self_poison, len(at)), codes)
    at = np.flatnonzero(cause == DRUG)
    out[at] = draw_codes(rng, listed("drug_poisoning", "suicide", "assault"), len(at))
    at = np.flatnonzero(cause == EXT)
    cats = listed("external_causes", "suicide", "drug_poisoning")
    cats = cats[cats < "Y10"]
    old = age[at] >= 75
    young = draw_codes(rng, cats, len(at), {"V": 0.3, "W": 0.45, "X": 0.15, "Y": 0.1})
    elderly = draw_codes(rng, cats, len(at), {"V": 0.05, "W": 0.85, "X": 0.07, "Y": 0.03})
    out[at] = np.where(old, elderly, young)
    return out


def death_registrations(ctx: WorldContext, pt: Patients, deaths: pd.DataFrame,
            rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """raw.ons_deaths (registration order) and truth.deaths, from the deaths drawn."""
    p, day, cause = (deaths[c].to_numpy() for c in ("person_idx", "day", "cause"))
    k = len(p)
    age = np.floor(pt.age(p, day)).astype(int)
    underlying = deaths["code"].to_numpy()
    external = cause != NAT
    delay = np.where(external, 30 + rng.lognormal(np.log(120), 0.6, k),
                     1 + rng.gamma(2.0, 2.5, k)).astype(np.int64)
    second = np.select(
        [cause == NAT, cause == SUI, cause == DRUG],
        [draw_codes(rng, listed("long_term_physical"), k),
         np.where(rng.random(k) < 0.5, draw_codes(rng, listed("mood"), k),
                  draw_codes(rng, DRUG_POISONING_T, k)),
         draw_codes(rng, DRUG_POISONING_T, k)],
        draw_codes(rng, INJURY, k))
    second[rng.random(k) < np.where(cause == NAT, 0.4, 0.15)] = None
    third = np.where(rng.random(k) < sigmoid(-1.5 + 1.2 * pt.z["substance_misuse"][p]),
                     draw_codes(rng, listed("substance_use"), k), None)
    fourth = np.where((cause == NAT) & (rng.random(k) < 0.3),
                      draw_codes(rng, listed("long_term_physical"), k), None)
    mentioned = np.stack([underlying, second, third, fourth, np.full(k, None)], axis=1)
    # causes mentioned fill the slots in order
    order = np.argsort(pd.isna(mentioned), axis=1, kind="stable")
    mentioned = np.take_along_axis(mentioned, order, axis=1)
    nhs = np.where(pt.on_pds[p] & (rng.random(k) >= 0.002), pt.nhs[p], None)
    reg = (day + delay).astype("datetime64[D]").astype("datetime64[ns]")
    rows = issue_ids(rng, pd.DataFrame({"person_idx": p, "reg": reg}), "reg", "ons_deaths")
    s = rows["source_row"].to_numpy()
    raw = pd.DataFrame({
        "death_record_id": rows["record_id"].to_numpy(), "nhs_number": nhs[s],
        "reg_date_of_death": to_dates(day[s]), "reg_date": reg[s],
        "s_underlying_cod_icd10": underlying[s],
        **{c: mentioned[s, i] for i, c in enumerate(CAUSES)},
        "dec_sex": np.where(pt.male[p[s]], "1", "2").astype(object), "dec_agec": age[s],
        "dec_lsoa11": pt.lsoa(p[s], day[s]),
    })
    pid = ctx.persons["person_id"].to_numpy()
    truth = pd.DataFrame({"death_record_id": raw["death_record_id"], "person_id": pid[p[s]],
                          "date_of_death": raw["reg_date_of_death"],
                          "cause_group": np.array(CAUSE_GROUPS, dtype=object)[cause[s]]})
    return {"raw.ons_deaths": raw, "truth.deaths": truth}
