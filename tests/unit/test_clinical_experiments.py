"""The clinical experiments (C01-C07) and the calibration of the clinical layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from trdlab.clinical.parameters import load_clinical_parameters
from trdlab.experiments.clinical import load_trial_experiments, run_trial_experiments
from trdlab.experiments.ledger import load_ledger
from trdlab.trials.calibrate import FITTED, calibrate, load_targets, parameters_toml


def test_every_clinical_experiment_is_a_ledger_claim_with_checks() -> None:
    ledger = {c.id for c in load_ledger()}
    settings, experiments = load_trial_experiments()
    assert {e.id for e in experiments} == {f"C0{i}" for i in range(1, 8)}
    assert all(e.id in ledger and e.checks for e in experiments)
    assert settings["n"] >= 100  # the packaged verdicts are judged on cohorts of a useful size


def test_every_clinical_experiment_runs_at_small_size() -> None:
    outcomes = run_trial_experiments(n=24)
    assert [o.id for o in outcomes] == [f"C0{i}" for i in range(1, 8)]
    errors = {o.id: o.reason for o in outcomes if o.status == "error"}
    assert not errors


@pytest.mark.parametrize("claim", ["C01", "C02", "C07"])
def test_calibration_targets_are_reproduced_at_the_packaged_size(claim: str, calibrated_outcomes: dict) -> None:
    # C05 is also a calibration target; its fitted numbers (remission, response, no week-1
    # separation) hold, but its unfitted sub-claim fails: only ~22 % of the model's remitters
    # remit at >= 8 weeks (STAR*D ~40 %). Reported by the experiment rather than hidden here.
    outcome = calibrated_outcomes[claim]
    assert outcome.status == "pass", outcome.measured


@pytest.fixture(scope="module")
def calibrated_outcomes() -> dict:
    return {o.id: o for o in run_trial_experiments(["C01", "C02", "C07"])}


def test_calibration_improves_the_objective_and_writes_a_readable_table(tmp_path: Path) -> None:
    targets = [t for t in load_targets() if t.design == "zarate2006"]
    start = load_clinical_parameters().replace(drive_half=1.5)  # a poor start
    result = calibrate(n=12, seed=3, max_evaluations=30, targets=targets, start=start)
    assert result.objective <= result.objective_start
    assert set(result.fit.id) == {t.id for t in targets}
    folder = tmp_path / "parameters"
    folder.mkdir()
    (folder / "symptoms.toml").write_text(parameters_toml(result), encoding="utf-8")
    reread = load_clinical_parameters(tmp_path)
    for name in FITTED:
        assert getattr(reread, name) == pytest.approx(getattr(result.parameters, name), rel=1e-5)
