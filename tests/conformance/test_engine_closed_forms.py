"""Engine conformance, part 1: closed forms and the batched call, on every registered engine.

With the 29 NONMEM dosing scenarios and the SBML semantic cases (the other files of this folder,
also parametrised over ``trdlab.engines.ENGINES``), this is what an engine must pass before it is
used: one-compartment bolus, infusion and first-order absorption against their closed forms; the
batched :meth:`Engine.solve` equal to one simulation per subject, bit for bit; a failing subject
recorded in the batch while the others are solved; recording a subset of observables changes no value.
"""

from __future__ import annotations

import math
from functools import lru_cache

import antimony
import numpy as np
import pytest

import trdlab
from trdlab import Regimen
from trdlab.engines import engine_names, make_engine
from trdlab.simulate import simulate_batch

MODEL = """
model pk
  unit time_unit = 3600 second
  compartment gut = 1, central = 10
  species D in gut = 0, A in central = 0, $B in central = 1
  substanceOnly species D, A
  absorption: D -> A; ka * D
  elimination: A -> ; k * A
  ka = 1.5; k = 0.2
end
"""
TIMES = np.linspace(0.0, 24.0, 49)
ENGINES = pytest.mark.parametrize("engine_name", engine_names())


@lru_cache(maxsize=1)
def model() -> trdlab.Model:
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(MODEL) >= 0, antimony.getLastError()
    return trdlab.Model.from_sbml_string(antimony.getSBMLString("pk"))


@ENGINES
def test_bolus_decays_exponentially(engine_name: str) -> None:
    result = trdlab.simulate(model(), Regimen.from_records([dict(time=0.0, amt=100.0, cmt="A")]), TIMES,
                             engine=make_engine(engine_name))
    np.testing.assert_allclose(result.column("A", species="amount"), 100.0 * np.exp(-0.2 * TIMES), rtol=1e-7)


@ENGINES
def test_infusion_rises_to_its_plateau_then_decays(engine_name: str) -> None:
    rate, duration, k = 10.0, 6.0, 0.2
    result = trdlab.simulate(model(), Regimen.from_records([dict(time=0.0, amt=rate * duration, cmt="A", rate=rate)]),
                             TIMES, engine=make_engine(engine_name))
    during = rate / k * (1 - np.exp(-k * np.minimum(TIMES, duration)))
    expected = np.where(TIMES <= duration, during, rate / k * (1 - math.exp(-k * duration)) * np.exp(-k * (TIMES - duration)))
    np.testing.assert_allclose(result.column("A", species="amount"), expected, rtol=1e-7, atol=1e-10)


@ENGINES
def test_first_order_absorption_is_the_bateman_function(engine_name: str) -> None:
    ka, k, dose = 1.5, 0.2, 100.0
    result = trdlab.simulate(model(), Regimen.from_records([dict(time=0.0, amt=dose, cmt="D")]), TIMES,
                             engine=make_engine(engine_name))
    bateman = dose * ka / (ka - k) * (np.exp(-k * TIMES) - np.exp(-ka * TIMES))
    np.testing.assert_allclose(result.column("A", species="amount"), bateman, rtol=1e-7, atol=1e-10)
    # concentration = amount / volume of the species' compartment
    np.testing.assert_allclose(result.column("A"), result.column("A", species="amount") / 10.0, rtol=1e-15)


@ENGINES
def test_the_batched_call_equals_one_simulation_per_subject_and_records_a_failure(engine_name: str) -> None:
    engine = make_engine(engine_name)
    regimens = [Regimen.from_records([dict(time=0.0, amt=100.0 * (i + 1), cmt="D", ii=8.0, addl=2)]) for i in range(3)]
    regimens.insert(1, Regimen.from_records([dict(time=0.0, amt=5.0, cmt="B", rate=1.0)]))  # B is fixed: cannot be infused
    parameters = [{"k": 0.1 + 0.05 * i} for i in range(4)]
    batch = simulate_batch(model(), regimens, TIMES, engine=engine, parameters=parameters)
    assert isinstance(batch[1], trdlab.DoseError) and "cannot infuse" in str(batch[1])
    for i in (0, 2, 3):
        single = trdlab.simulate(model(), regimens[i], TIMES, engine=engine, parameters=parameters[i])
        assert np.array_equal(batch[i].values, single.values), i
    solution = engine.solve(model(), [], [], TIMES)
    assert solution.values.shape[2] == 0 and solution.errors == ()


@ENGINES
def test_recording_a_subset_changes_no_value(engine_name: str) -> None:
    engine = make_engine(engine_name)
    regimen = Regimen.from_records([dict(time=0.0, amt=100.0, cmt="D"), dict(time=4.0, amt=20.0, cmt="A", rate=5.0)])
    full = trdlab.simulate(model(), regimen, TIMES, engine=engine)
    part = trdlab.simulate(model(), regimen, TIMES, engine=engine, observables=["A", "ka"])
    assert part.columns == ("A", "ka") and set(part.recorded) <= {"A", "D", "central"}
    assert np.array_equal(part.column("A"), full.column("A")) and np.array_equal(part.column("ka"), full.column("ka"))
    with pytest.raises(trdlab.ModelError, match="'nope'.*not in model"):
        trdlab.simulate(model(), regimen, TIMES, engine=engine, observables=["A", "nope"])
