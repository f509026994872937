"""The JAX/diffrax engine (work in progress, issue 14) against closed forms and SBML Test Suite cases.

Not yet in ``trdlab.engines.ENGINES`` (so the full conformance suite does not run it): compiling
costs ~4 s per SBML case on CPU, and the 1,130 cases would take ~80 min. Here: an even sample of the
suite (every 100th case), a bolus and an infusion against their closed forms, and parameter overrides
that initial assignments read. The expected values come from the cases' own results files and from
the analytic solutions, never from a run of this code.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffrax")

from sbml_suite import discover, run_case  # noqa: E402

import trdlab  # noqa: E402
from trdlab.dosing import Regimen  # noqa: E402
from trdlab.engines import ENGINES  # noqa: E402
from trdlab.engines.base import EngineSettings  # noqa: E402
from trdlab.engines.jax import JaxEngine, engine_for  # noqa: E402
from trdlab.engines.registry import EngineEntry  # noqa: E402

ONE_COMPARTMENT = """
model pk
  compartment central = 2.0
  species A in central
  A = 0
  J0: A -> ; k * A
  k = 0.3
  kd = 0.1
  B in central
  B = 0
  J1: -> B; kd * base
  base = 1
  ib := 3 * k
end
"""


@pytest.fixture(scope="module", autouse=True)
def _registered():
    ENGINES["jax"] = EngineEntry("jax", engine_for)
    yield
    del ENGINES["jax"]


def _sample():
    try:
        cases = discover()
    except FileNotFoundError:
        return [pytest.param(None, id="suite-missing")]
    return [pytest.param(case, id=case.id) for case in cases[::100]]


@pytest.mark.parametrize("case", _sample())
def test_sbml_case_sample(case) -> None:
    if case is None:
        pytest.fail("the SBML semantic suite is missing", pytrace=False)
    outcome = run_case(case, "jax")
    if outcome.status == "unsupported":
        pytest.skip(outcome.reason)
    assert outcome.passed, outcome.reason


def _model():
    import antimony

    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(ONE_COMPARTMENT) >= 0
    return trdlab.Model.from_sbml_string(antimony.getSBMLString("pk"))


def test_bolus_and_infusion_match_closed_forms() -> None:
    model = _model()
    times = np.linspace(0.0, 12.0, 25)
    engine = JaxEngine(EngineSettings(relative_tolerance=1e-10, absolute_tolerance=1e-12))
    k = 0.3 / 2.0  # J0 = k*[A] (a concentration) in amount/time: dA/dt = -(k/V)*A
    bolus = trdlab.simulate(model, Regimen.from_records([dict(time=1.0, amt=5.0, cmt="A")]), times, engine=engine).column("A", species="amount")
    want = np.where(times >= 1.0, 5.0 * np.exp(-k * (times - 1.0)), 0.0)
    np.testing.assert_allclose(bolus, want, rtol=1e-7, atol=1e-10)
    rate, start, stop = 2.0, 2.0, 6.0
    infused = trdlab.simulate(model, Regimen.from_records([dict(time=start, amt=rate * (stop - start), cmt="A", rate=rate)]),
                              times, engine=engine).column("A", species="amount")
    on = np.clip(times, start, stop) - start
    want = rate / k * (1 - np.exp(-k * on)) * np.exp(-k * np.clip(times - stop, 0.0, None))
    np.testing.assert_allclose(infused, want, rtol=1e-7, atol=1e-10)


def test_overrides_and_assignment_rules() -> None:
    model = _model()
    times = np.array([0.0, 4.0])
    engine = JaxEngine()
    result = trdlab.simulate(model, None, times, engine=engine, parameters={"base": 2.0, "k": 0.5})
    np.testing.assert_allclose(result.column("B", species="amount"), [0.0, 0.1 * 2.0 * 4.0], rtol=1e-8)
    np.testing.assert_allclose(result.column("ib"), [1.5, 1.5], rtol=1e-12)
    with pytest.raises(trdlab.ModelError, match="not_a_symbol"):
        trdlab.simulate(model, None, times, engine=engine, parameters={"not_a_symbol": 1.0})
