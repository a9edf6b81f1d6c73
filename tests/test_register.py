"""The risk factor register seed: complete, consistent, and what wave 0 can measure."""

from __future__ import annotations

import pandas as pd
import pytest

from bold_assets import register


def test_register_has_every_factor_for_every_wave():
    df = register.load_register()
    assert len(df) == 70
    waves = df.groupby("id")["wave"].apply(lambda s: tuple(sorted(s)))
    assert len(waves) == 14 and all(w == (0, 1, 2, 3, 4) for w in waves)
    assert set(df["kind"]) == {"driver", "outcome"}
    assert (df["kind"] == "driver").sum() == 8 * 5


def test_wave_0_measures_every_factor_and_later_waves_only_improve():
    df = register.load_register()
    assert register.wave_measures(0, df) == register.factor_ids()
    rank = {"none": 0, "proxy": 1, "validated": 2}
    for fid, grp in df.sort_values("wave").groupby("id"):
        ranks = grp["measure_type"].map(rank).tolist()
        assert ranks == sorted(ranks), f"{fid} measure type gets worse in a later wave"
    assert register.measure_types(0, df)["outcome_offending"] == "validated"


def test_validation_reports_a_broken_register():
    df = register.load_register()
    broken = pd.concat([df.iloc[1:], df.iloc[[2]]])
    problems = register.validate_register(broken)
    assert any("duplicate" in p for p in problems) and any("missing" in p for p in problems)
    bad = df.assign(measure_type=df["measure_type"].replace({"proxy": "maybe"}))
    assert register.validate_register(bad)


def test_load_refuses_an_invalid_file(tmp_path):
    df = register.load_register()
    path = tmp_path / "reg.csv"
    df[df["wave"] != 3].to_csv(path, index=False)
    with pytest.raises(ValueError, match="invalid"):
        register.load_register(path)
