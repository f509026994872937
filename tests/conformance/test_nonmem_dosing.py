"""NONMEM dosing semantics: all 29 scenarios of mrgsolve/nmtests ``1001`` against NONMEM's output.

Criterion (issue 2): max relative error < 1e-4 at every record where CP > 1e-6.
NONMEM printed CP with 5 significant digits, i.e. up to 5e-5 relative rounding.
"""

from __future__ import annotations

import pytest

from nmtests_suite import load_scenarios, max_relative_error, simulate_scenario

SCENARIOS = load_scenarios()


def test_all_29_scenarios_present() -> None:
    assert [s.id for s in SCENARIOS] == list(range(1, 30))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: f"{s.id:02d}-{s.description}")
def test_scenario(scenario) -> None:
    simulated = simulate_scenario(scenario)
    error = max_relative_error(simulated, scenario.expected)
    assert error < 1e-4, f"scenario {scenario.id} ({scenario.description}): max relative error {error:.3g}"
