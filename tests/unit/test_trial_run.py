"""Running virtual trials end to end on the real human model (small n)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trdlab.dosing.regimen import Regimen
from trdlab.errors import OutputError, TrialError
from trdlab.trials.mechanism import SubjectPlan, simulate_plan
from trdlab.trials.output import write_trial
from trdlab.trials.run import run_trial


@pytest.fixture(scope="module")
def zarate() -> object:
    return run_trial("zarate2006", n=6, seed=11)


def test_same_seed_same_trial_bit_for_bit(zarate: object) -> None:
    again = run_trial("zarate2006", n=6, seed=11)
    pd.testing.assert_frame_equal(zarate.subjects, again.subjects)
    other = run_trial("zarate2006", n=6, seed=12)
    assert not zarate.subjects["total"].equals(other.subjects["total"])


def test_subject_table_has_one_row_per_subject_period_and_visit(zarate: object) -> None:
    table = zarate.subjects
    visits = 1 + len(zarate.design.visits)  # baseline + the design's visits
    assert len(table) == 6 * 2 * visits
    for column in ["subject", "arm", "period", "visit", "total", "change", "pct_change", "response", "remission",
                   "bdnf_genotype", "baseline_severity", "cadss", "spine_density_pfc", "item_suicide"]:
        assert column in table.columns
    # crossover: every subject gets both arms, one per period
    assert (table.groupby("subject").arm.nunique() == 2).all()
    rows = table[table.visit != "baseline"].dropna(subset=["total"])
    np.testing.assert_allclose(rows.change, rows.total - rows.baseline)
    np.testing.assert_allclose(rows["pct_change"], -rows.change / rows.baseline)
    item_columns = [c for c in table.columns if c.startswith("item_")]
    np.testing.assert_allclose(rows[item_columns].sum(axis=1), rows.total)


def test_dissociation_peaks_at_the_end_of_the_ketamine_infusion(zarate: object) -> None:
    table = zarate.subjects
    ketamine = table[table.arm == "ketamine"].groupby("visit").cadss.mean()
    assert ketamine["40 min"] > 5 * max(ketamine["1 d"], 0.1)
    assert table[table.arm == "saline"].cadss.max() < 1e-6  # only washout traces of period-1 ketamine


def test_summary_has_the_documented_schema(zarate: object) -> None:
    summary = zarate.summary
    visit = summary["arms"]["ketamine"]["visits"]["1 d"]
    assert set(visit) >= {"n", "mean", "sd", "mean_change", "pct_change", "response_rate", "remission_rate"}
    contrast = summary["contrasts"][0]
    assert contrast["treatment"] == "ketamine" and contrast["control"] == "saline"
    assert set(contrast["effect_size_d"]) == {"estimate", "ci_low", "ci_high"}


def test_trial_folder_is_written_whole_and_never_over_an_existing_one(zarate: object, tmp_path: Path) -> None:
    out = write_trial(zarate, tmp_path / "trial")
    assert {p.name for p in out.iterdir()} >= {"subjects.parquet", "summary.json", "manifest.json", "trajectory.png"}
    assert len(pd.read_parquet(out / "subjects.parquet")) == len(zarate.subjects)
    assert json.loads((out / "summary.json").read_text())["arms"]
    with pytest.raises(OutputError):
        write_trial(zarate, out)


@pytest.mark.parametrize("seed", ["1", 1.5, True])
def test_a_seed_that_is_not_an_integer_is_refused(seed: object) -> None:
    with pytest.raises(TrialError, match="seed"):
        run_trial("zarate2006", n=2, seed=seed)  # type: ignore[arg-type]


def test_a_failing_subject_is_recorded_not_fatal() -> None:
    plan = SubjectPlan(0, (("no_such_parameter", 1.0),), Regimen(), (0.0, 1.0))
    trajectory = simulate_plan(plan)
    assert trajectory.values is None and "no_such_parameter" in trajectory.error
