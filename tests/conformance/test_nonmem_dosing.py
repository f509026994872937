"""NONMEM dosing semantics: all 29 scenarios of mrgsolve/nmtests ``1001`` against NONMEM's output.

Criterion, at EVERY record (3,837; none skipped): relative error < 1e-4 where NONMEM's CP is
non-zero (CP is printed with 5 significant digits, i.e. up to 5e-5 relative rounding), and
absolute error < 0.5e-4 where NONMEM printed 0 (72 records: before the dose reaches the central
compartment, during lag times, right after EVID 3 resets; half a unit of the finest printed
decimal, see ``nmtests_suite.ZERO_ABSOLUTE_TOLERANCE``).
"""

from __future__ import annotations

import numpy as np
import pytest

from trdlab.engines import engine_names
from nmtests_suite import load_scenarios, record_matches, simulate_scenario, worst_mismatch

SCENARIOS = load_scenarios()


def test_all_29_scenarios_and_every_record_present() -> None:
    assert [s.id for s in SCENARIOS] == list(range(1, 30))
    assert sum(len(s.expected) for s in SCENARIOS) == 3837
    assert sum(int((s.expected == 0).sum()) for s in SCENARIOS) == 72  # compared absolutely


def test_record_criterion_catches_a_miss_at_a_zero_and_a_non_zero_record() -> None:
    expected = np.array([0.0, 0.0, 8.4315, 15152.0])
    assert record_matches(expected, expected).all()
    assert record_matches(np.array([4e-5, -4e-5, 8.4315 * (1 + 9e-5), 15152 * (1 - 9e-5)]), expected).all()
    assert not record_matches(np.array([1e-4, 0.0, 8.4315, 15152.0]), expected)[0]  # non-zero where NONMEM is 0
    assert not record_matches(np.array([0.0, 0.0, 8.4315 * (1 + 2e-4), 15152.0]), expected)[2]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: f"{s.id:02d}-{s.description}")
@pytest.mark.parametrize("engine", engine_names())
def test_scenario(engine, scenario) -> None:
    simulated = simulate_scenario(scenario, engine)
    problem = worst_mismatch(simulated, scenario.expected)
    assert not problem, f"scenario {scenario.id} ({scenario.description}): {problem}"
