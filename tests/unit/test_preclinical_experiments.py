"""The packaged experiments: every ledger claim with an experiment runs to a verdict, and the
preclinical calibration experiments reproduce the targets their parameters were fitted to."""

from __future__ import annotations

import pytest

from trdlab.experiments.ledger import load_ledger
from trdlab.experiments.loading import load_experiments
from trdlab.experiments.runner import run_experiments


@pytest.fixture(scope="module")
def outcomes():
    # the simulated experiments (mechanism and PK); the virtual trials are tested in test_clinical_experiments
    return {o.id: o for o in run_experiments([e.id for e in load_experiments() if not e.cohorts])}


def test_every_preclinical_and_magnesium_claim_and_table_1_cell_has_an_experiment() -> None:
    ledger = {c.id for c in load_ledger() if c.section in ("preclinical", "magnesium", "table 1")}
    experiments = {e.id for e in load_experiments()}
    assert ledger <= experiments


def test_every_experiment_runs_to_a_verdict_without_solver_errors(outcomes) -> None:
    errors = {i: o.reason for i, o in outcomes.items() if o.status == "error"}
    assert not errors


def test_every_calibration_check_reproduces_its_target(outcomes) -> None:
    # a calibration check (a parameter row names it in fitted_to) that fails means the tables
    # drifted from their calibration: P, M and Table 1 experiments alike
    failed = {i: [c.label for c in o.checks if c.kind == "calibration" and not c.passed]
              for i, o in outcomes.items() if o.status != "prediction"}
    assert not {i: labels for i, labels in failed.items() if labels}


def test_the_pharmacokinetic_verification_matches_the_literature(outcomes) -> None:
    verification = {i: o for i, o in outcomes.items() if o.experiment is not None and o.experiment.verification}
    assert len(verification) >= 3
    assert all(o.status == "pass" for o in verification.values()), {i: o.measured for i, o in verification.items()}


def test_the_readme_status_of_the_mechanistic_claims_is_what_the_run_gives(outcomes) -> None:
    import re
    from pathlib import Path

    text = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    counts = re.search(r"Mechanism \(rat/mouse\): (\d+) pass: (\d+) validation, (\d+) with calibration checks", text)
    failing = re.search(r"Failing \(mechanism\): ([A-Z0-9, ]+?), each", text)
    assert counts and failing, "README: keep the status sentences 'Mechanism (rat/mouse): ...' and 'Failing (mechanism): ...'"
    development = {c.id for c in load_ledger() if c.section == "drug development"}
    claims = {i: o for i, o in outcomes.items()
              if o.experiment is not None and not o.experiment.verification and i not in development
              and o.experiment.species != "human"}
    passed = [o for o in claims.values() if o.status == "pass"]
    assert int(counts.group(1)) == len(passed)
    assert int(counts.group(2)) == sum(o.kind == "validation" for o in passed)
    assert int(counts.group(3)) == sum(o.kind == "calibration" for o in passed)
    assert set(failing.group(1).replace(" ", "").split(",")) == {i for i, o in claims.items() if o.status == "fail"}


def test_the_readme_status_of_the_biosignature_claims_on_the_human_model_is_what_the_run_gives(outcomes) -> None:
    import re
    from pathlib import Path

    text = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"Bio-signatures \(human model\): ([^.]+)\.", text)
    assert found, "README: keep the status sentence 'Bio-signatures (human model): C08 ..., C09 ..., C10 ....'"
    stated = dict(item.strip().split(" ") for item in found.group(1).split(","))
    simulated = {i: o.status for i, o in outcomes.items()
                 if o.experiment is not None and o.experiment.species == "human" and not o.experiment.verification
                 and i.startswith("C")}
    assert {i: s for i, s in stated.items() if i in simulated} == simulated


def test_the_readme_status_of_the_drug_development_claims_is_what_the_run_gives(outcomes) -> None:
    import re
    from pathlib import Path

    text = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"Drug development \(rat\): ([^.]+)\.", text)
    assert found, "README: keep the status sentence 'Drug development (rat): D02 fail, D03 fail.'"
    stated = dict(item.strip().split(" ") for item in found.group(1).split(","))
    development = {c.id for c in load_ledger() if c.section == "drug development"}
    assert stated == {i: o.status for i, o in outcomes.items() if i in development}
