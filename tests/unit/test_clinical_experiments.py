"""The clinical experiments (C01-C07, virtual trials) and the calibration of the clinical layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from trdlab.clinical.parameters import clinical_rows, load_clinical_parameters
from trdlab.experiments.ledger import load_ledger
from trdlab.experiments.loading import load_experiments
from trdlab.experiments.runner import run_experiments
from trdlab.trials.calibrate import calibrate, fitted_transforms, load_targets, parameters_toml

CLINICAL = [f"C0{i}" for i in range(1, 8)]
TRIALS = [*CLINICAL, "C08", "D01"]  # the bio-signature study and the drug-development adjunct trial are cohort experiments too


def _clinical():
    return [e for e in load_experiments() if e.cohorts]


def test_every_clinical_experiment_is_a_ledger_claim_with_checks() -> None:
    ledger = {c.id for c in load_ledger()}
    experiments = _clinical()
    assert {e.id for e in experiments} == set(TRIALS)
    assert all(e.id in ledger and e.checks for e in experiments)
    # the packaged verdicts are judged on cohorts of a useful size
    assert min(c.n for e in experiments for c in e.cohorts) >= 100


def test_every_clinical_experiment_runs_at_small_size() -> None:
    outcomes = run_experiments(TRIALS, trial_n=24)
    assert [o.id for o in outcomes] == TRIALS
    errors = {o.id: o.reason for o in outcomes if o.status == "error"}
    assert not errors


def test_c03_compares_the_same_virtual_patients_in_two_cohorts() -> None:
    (c03,) = [e for e in _clinical() if e.id == "C03"]
    first, second = c03.cohorts
    assert (first.population, first.n, first.seed) == (second.population, second.n, second.seed)
    assert c03.checks[0].subgroup is not None and c03.checks[0].subgroup.cohort == first.name


def test_only_targets_with_weight_name_the_checks_the_clinical_rows_were_fitted_to() -> None:
    weighted = {t.check for t in load_targets() if t.weight > 0}
    unweighted = {t.check for t in load_targets() if t.weight == 0}
    assert unweighted and not (weighted & unweighted)  # C04's targets carry no weight
    for name in fitted_transforms():
        assert set(clinical_rows()[name].fitted_to) == weighted, name
    kinds = {e.id: e.kind for e in _clinical()}
    assert kinds["C04"] == "validation" and kinds["C01"] == "calibration"


@pytest.fixture(scope="module")
def calibrated_outcomes() -> dict:
    fitted = sorted({t.check.split(".")[0] for t in load_targets() if t.weight > 0})
    return {o.id: o for o in run_experiments(fitted)}


KNOWN_MISSES = {
    "C01.response_1d": (0.40, 0.49),
}
"""Calibration checks the fit reaches only at the edge of their bound, with the range the miss must
stay in (strict, like an xfail: if one starts to pass, or misses by more, this list is stale).
C01's day-1 response: ~0.50 in the calibration cohorts, 0.45 at the experiments' seed, published
0.71 (bound 0.49-0.93); weighting it 3x does not move the fit (the experiment's discrepancy says why)."""


def test_every_fitted_clinical_check_is_reproduced_at_the_packaged_size(calibrated_outcomes: dict) -> None:
    # a calibration check that fails means the clinical table drifted from its fit; unfitted
    # checks of the same experiments (C05's late remitters) are validation and may fail
    assert all(o.status != "error" for o in calibrated_outcomes.values())
    misses = {f"{o.id}.{c.id}": c.value for o in calibrated_outcomes.values() for c in o.checks
              if c.kind == "calibration" and not c.passed}
    assert set(misses) == set(KNOWN_MISSES), misses
    for check, (low, high) in KNOWN_MISSES.items():
        assert low <= misses[check] <= high, (check, misses[check])
    assert all(calibrated_outcomes[c.split(".")[0]].reason for c in KNOWN_MISSES)  # each says why


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
    rows = clinical_rows(tmp_path)
    for name in fitted_transforms():
        assert getattr(reread, name) == pytest.approx(getattr(result.parameters, name), rel=1e-5)
        assert set(rows[name].fitted_to) == {t.check for t in targets if t.weight > 0}
    assert rows["drive_hill"].assumed == clinical_rows()["drive_hill"].assumed  # untouched rows stay as written
