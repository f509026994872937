"""Integration segments after a dose: no CVODE "t + h = t" late in a run, no dependence on the clock.

A dose splits the run into segments; CVODE restarts at each one with steps sized to the new
state. After a bolus into a fast-absorbing depot those steps are far below the spacing of
doubles at t = 2160 h (the end of the trials' 90-day run-in: 4.5e-13 h), and on the absolute
clock CVODE warned "t + h = t" (on stdout, from SUNDIALS itself). The engine integrates an
autonomous model's segments from a local time 0; a model that reads ``time`` keeps the clock.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import tempfile
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import antimony
import numpy as np
import roadrunner

import trdlab
from trdlab import Regimen
from trdlab.engines.roadrunner import uses_time

T = TypeVar("T")

RUN_IN = 2160.0  # h: trdlab.trials.run.RUN_IN_DAYS * 24, where the issue saw the warnings
KA = 1e6  # /h: absorption over in microseconds; CVODE's first steps after the bolus are < 1e-12 h
K = 0.1  # /h
DOSE = 100.0
WARNING = "t + h = t"

LATE_BOLUS = f"""
model late_bolus
  unit time_unit = 3600 second
  compartment gut = 1, central = 1
  species D in gut = 0, A in central = 0
  substanceOnly species D, A
  absorption: D -> A; ka * D
  elimination: A -> ; k * A
  ka = {KA}; k = {K}
end
"""

CLOCK = """
model clock
  unit time_unit = 3600 second
  compartment central = 1
  species A in central = 0
  substanceOnly species A
  A' = time
end
"""


@lru_cache(maxsize=None)
def model(text: str, name: str, dosing: tuple[str, ...]) -> trdlab.Model:
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise RuntimeError(antimony.getLastError())
    return trdlab.Model.from_sbml(antimony.getSBMLString(name), dosing=dosing)


def late_bolus() -> trdlab.Model:
    return model(LATE_BOLUS, "late_bolus", ("D",))


def console_output(run: Callable[[], T]) -> tuple[T, str]:
    """Run ``run()`` with file descriptors 1 and 2 sent to a temporary file; return its text.

    SUNDIALS writes CVODE warnings with C stdio to stdout, below Python's sys.stdout, so they
    are caught at the descriptor level (and C buffers flushed before the descriptors return).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            value = run()
        finally:
            ctypes.CDLL(None).fflush(None)
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        sink.seek(0)
        return value, sink.read().decode(errors="replace")


def bolus_at(t_dose: float) -> trdlab.Result:
    times = sorted({0.0, t_dose, t_dose + 1.0, t_dose + 24.0})
    regimen = Regimen.from_records([dict(time=t_dose, amt=DOSE, cmt="D")])
    return trdlab.simulate(late_bolus(), regimen, times)


def bateman(hours: float) -> float:
    """Amount in the central compartment ``hours`` after the oral bolus (Bateman equation)."""
    return DOSE * KA / (KA - K) * (math.exp(-K * hours) - math.exp(-KA * hours))


def test_the_capture_sees_cvode_warnings_on_the_absolute_clock() -> None:
    # Harness check, and the cause: the same restart at t = 2160 h on libRoadRunner's absolute
    # clock makes CVODE warn. If this fails, the capture below no longer sees SUNDIALS output.
    settings = trdlab.EngineSettings()
    rr = roadrunner.RoadRunner(late_bolus().sbml)
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", settings.relative_tolerance)
    integrator.setValue("absolute_tolerance", settings.absolute_tolerance)
    rr.model.setTime(RUN_IN)
    rr.setValue("D", DOSE)
    _, text = console_output(lambda: rr.simulate(times=[RUN_IN, RUN_IN + 1.0, RUN_IN + 24.0]))
    assert WARNING in text


def test_a_bolus_at_the_end_of_the_run_in_prints_no_cvode_warning() -> None:
    _, text = console_output(lambda: bolus_at(RUN_IN))
    assert WARNING not in text, text[:500]


def test_a_late_bolus_gives_the_same_course_as_one_at_time_zero() -> None:
    early = bolus_at(0.0).column("A", species="amount")
    late = bolus_at(RUN_IN).column("A", species="amount")[1:]
    np.testing.assert_allclose(late, early, rtol=1e-12, atol=1e-12)
    expected = [0.0, bateman(1.0), bateman(24.0)]
    np.testing.assert_allclose(late, expected, rtol=1e-6, atol=1e-9)


def test_a_model_that_reads_time_keeps_the_absolute_clock() -> None:
    clock = model(CLOCK, "clock", ("A",))
    assert uses_time(clock.sbml) and not uses_time(late_bolus().sbml)
    regimen = Regimen.from_records([dict(time=10.0, amt=DOSE, cmt="A")])
    result = trdlab.simulate(clock, regimen, [0.0, 10.0, 20.0])
    # A' = t: A(10) = 50, + 100 dosed, A(20) = 150 + (20^2 - 10^2) / 2
    np.testing.assert_allclose(result.column("A", species="amount"), [0.0, 150.0, 300.0], rtol=1e-8)
