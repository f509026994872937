"""Counting outcomes: passes split by what they are evidence of.

A pass of an experiment whose every check was fitted to (calibration) shows the fit worked; a
pass with at least one validation check is evidence the model predicts what it was not fitted to.
The summary therefore counts validation passes separately, and counts checks too: an experiment
can mix fitted and unfitted checks (``kind`` of each check, derived from the parameter tables).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from trdlab.experiments.runner import ExperimentOutcome


@dataclass(frozen=True)
class Tally:
    """Counts of experiments by status and of checks by kind and verdict."""

    passed: int
    passed_validation: int
    passed_calibration_only: int
    failed: int
    predictions: int
    errors: int
    validation_checks_passed: int
    validation_checks: int
    calibration_checks_passed: int
    calibration_checks: int

    def text(self) -> str:
        """One line for the CLI and the report."""
        return (f"{self.passed} pass ({self.passed_validation} with validation checks, {self.passed_calibration_only} "
                f"calibration only), {self.failed} fail, {self.predictions} prediction, {self.errors} error; checks: "
                f"validation {self.validation_checks_passed}/{self.validation_checks} pass, calibration "
                f"{self.calibration_checks_passed}/{self.calibration_checks} pass")

    def record(self) -> dict[str, int]:
        """JSON-ready counts."""
        return dict(self.__dict__)


def tally(outcomes: Iterable[ExperimentOutcome]) -> Tally:
    """Count ``outcomes`` (predictions' checks are not judged and not counted as checks)."""
    outcomes = list(outcomes)
    judged = [c for o in outcomes if o.status in ("pass", "fail") for c in o.checks]
    passed = [o for o in outcomes if o.status == "pass"]
    return Tally(
        passed=len(passed),
        passed_validation=sum(o.validation_passed for o in passed),
        passed_calibration_only=sum(not o.validation_passed for o in passed),
        failed=sum(o.status == "fail" for o in outcomes),
        predictions=sum(o.status == "prediction" for o in outcomes),
        errors=sum(o.status == "error" for o in outcomes),
        validation_checks_passed=sum(bool(c.passed) for c in judged if c.kind == "validation"),
        validation_checks=sum(c.kind == "validation" for c in judged),
        calibration_checks_passed=sum(bool(c.passed) for c in judged if c.kind == "calibration"),
        calibration_checks=sum(c.kind == "calibration" for c in judged),
    )
