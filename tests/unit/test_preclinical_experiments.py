"""The packaged preclinical experiments: every claim P01-P13 is carried and runs to a verdict."""

from __future__ import annotations

import pytest

from trdlab.experiments.ledger import load_ledger
from trdlab.experiments.loading import load_experiments
from trdlab.experiments.runner import run_experiments


@pytest.fixture(scope="module")
def outcomes():
    return {o.id: o for o in run_experiments([f"P{i:02d}" for i in range(1, 14)])}


def test_every_preclinical_claim_has_an_experiment() -> None:
    ledger = {c.id for c in load_ledger() if c.section == "preclinical"}
    experiments = {e.id for e in load_experiments()}
    assert ledger <= experiments


def test_every_experiment_runs_to_a_verdict_without_solver_errors(outcomes) -> None:
    errors = {i: o.reason for i, o in outcomes.items() if o.status == "error"}
    assert not errors


def test_calibration_experiments_reproduce_their_targets(outcomes) -> None:
    # a calibration experiment that fails means the tables drifted from their calibration
    failed = [i for i, o in outcomes.items() if o.kind == "calibration" and o.status != "pass"]
    assert not failed
