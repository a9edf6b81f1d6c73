"""Coverage matrix: risk factor x wave x source, and whether the source gives a validated
measure or a proxy at that wave.

A source counts from its own wave on. It is `validated` for a factor when the discovery register
says it can validate it and the risk factor register uses a validated measure at that wave;
`proxy` when keyword discovery found candidate variables for the factor in it (declared sources)
or the register names it as able to validate a factor the wave still measures by proxy.
"""

from __future__ import annotations

import pandas as pd

from bold_assets.discovery.sources_register import validates


def coverage_matrix(register: pd.DataFrame, source_register: pd.DataFrame,
                    candidates: pd.DataFrame) -> pd.DataFrame:
    """(risk_factor, wave, source_id, coverage, register_measure_type, candidate_variables)."""
    found = candidates.groupby(["risk_factor", "dataset"]).size().to_dict()
    measure = {(r.id, int(r.wave)): r.measure_type for r in register.itertuples()}
    rows = []
    for factor, wave in sorted(measure):
        for src in source_register.itertuples():
            if src.wave > wave:
                continue
            n = int(found.get((factor, src.source_id), 0))
            can_validate = factor in validates(pd.Series(src._asdict()))
            if can_validate and measure[(factor, wave)] == "validated":
                kind = "validated"
            elif n or can_validate:
                kind = "proxy"
            else:
                continue
            rows.append({"risk_factor": factor, "wave": wave, "source_id": src.source_id,
                         "coverage": kind, "register_measure_type": measure[(factor, wave)],
                         "candidate_variables": n})
    return pd.DataFrame(rows, columns=["risk_factor", "wave", "source_id", "coverage",
                                       "register_measure_type", "candidate_variables"])


def pivot(matrix: pd.DataFrame) -> pd.DataFrame:
    """Factor x wave: the sources that validate it, else the proxies (for the UI)."""
    def cell(g: pd.DataFrame) -> str:
        val = sorted(g.loc[g["coverage"] == "validated", "source_id"])
        prox = sorted(g.loc[g["coverage"] == "proxy", "source_id"])
        return ("validated: " + ", ".join(val)) if val else ("proxy: " + ", ".join(prox))
    return (matrix.groupby(["risk_factor", "wave"]).apply(cell, include_groups=False)
            .unstack("wave").fillna("none"))
