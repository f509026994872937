"""The packaged experiments: every ledger claim with an experiment runs to a verdict, and the
preclinical calibration experiments reproduce the targets their parameters were fitted to."""

from __future__ import annotations

import pytest

from trdlab.experiments.ledger import load_ledger
from trdlab.experiments.loading import load_experiments
from trdlab.experiments.runner import run_experiments


@pytest.fixture(scope="module")
def outcomes():
    return {o.id: o for o in run_experiments()}


def test_every_preclinical_and_magnesium_claim_and_table_1_cell_has_an_experiment() -> None:
    ledger = {c.id for c in load_ledger() if c.section in ("preclinical", "magnesium", "table 1")}
    experiments = {e.id for e in load_experiments()}
    assert ledger <= experiments


def test_every_experiment_runs_to_a_verdict_without_solver_errors(outcomes) -> None:
    errors = {i: o.reason for i, o in outcomes.items() if o.status == "error"}
    assert not errors


def test_preclinical_calibration_experiments_reproduce_their_targets(outcomes) -> None:
    # a calibration experiment that fails means the tables drifted from their calibration
    failed = [i for i, o in outcomes.items() if i.startswith("P") and o.kind == "calibration" and o.status != "pass"]
    assert not failed
