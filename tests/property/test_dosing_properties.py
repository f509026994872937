"""Properties of dosing a linear PK model, over random valid regimens (hypothesis).

The model is linear (first-order absorption, two-compartment disposition) and autonomous
with a zero initial state, so simulated amounts must be linear in the doses (scaling,
superposition), invariant under a shift of regimen and output times together,
non-negative, and reproducible bit for bit.
"""

from __future__ import annotations

from functools import lru_cache

import antimony
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import trdlab

LINEAR_PK = """
model linear_pk
  unit time_unit = 3600 second
  compartment gut = 1
  compartment central = 12
  compartment peripheral = 30
  species depot in gut = 0
  species A1 in central = 0
  species A2 in peripheral = 0
  substanceOnly species depot, A1, A2
  ka = 0.9; k10 = 0.25; k12 = 0.4; k21 = 0.2
  absorption: depot -> A1; ka * depot
  elimination: A1 -> ; k10 * A1
  distribution: A1 -> A2; k12 * A1
  redistribution: A2 -> A1; k21 * A2
end
"""
SPECIES = ("depot", "A1", "A2")
TIMES = np.linspace(0.0, 60.0, 61)
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None)


@lru_cache(maxsize=None)
def linear_model() -> trdlab.Model:
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(LINEAR_PK) < 0:
        raise RuntimeError(antimony.getLastError())
    return trdlab.Model.from_sbml(antimony.getSBMLString("linear_pk"), dosing=("depot", "A1"))


def eighths(low: float, high: float) -> st.SearchStrategy[float]:
    """Times on a 1/8 h grid: exact in binary, so that a shifted dose time and a shifted output
    time that coincide stay equal (arbitrary floats can land a bolus an ulp either side of an
    output time, which changes the output by the whole dose)."""
    return st.integers(round(low * 8), round(high * 8)).map(lambda n: n / 8)


@st.composite
def dose_records(draw: st.DrawFn) -> dict[str, object]:
    """One valid EVID 1 record: bolus, infusion by rate or by duration; optional addl, lag, f."""
    record: dict[str, object] = {
        "time": draw(eighths(0.0, 40.0)),
        "amt": draw(st.floats(0.5, 200.0, allow_nan=False)),
        "cmt": draw(st.sampled_from([1, 2, "A1"])),
        "lag": draw(st.sampled_from([0.0, 0.0, 0.75, 2.0])),
        "f": draw(st.sampled_from([1.0, 1.0, 0.5, 0.83])),
    }
    kind = draw(st.sampled_from(["bolus", "rate", "dur"]))
    if kind == "rate":
        record["rate"] = draw(st.floats(5.0, 100.0, allow_nan=False))
    elif kind == "dur":
        record["dur"] = draw(eighths(0.25, 10.0))
    addl = draw(st.integers(0, 3))
    if addl:
        record["addl"] = addl
        record["ii"] = draw(eighths(3.0, 12.0))
    return record


def regimens(max_size: int = 4) -> st.SearchStrategy[trdlab.Regimen]:
    return st.lists(dose_records(), min_size=1, max_size=max_size).map(
        lambda records: trdlab.Regimen.from_records(sorted(records, key=lambda r: r["time"]))
    )


def amounts(regimen: trdlab.Regimen, times: np.ndarray = TIMES) -> np.ndarray:
    frame = trdlab.simulate(linear_model(), regimen, times).to_frame(species="amount")
    return frame[list(SPECIES)].to_numpy()


def scaled(regimen: trdlab.Regimen, factor: float) -> trdlab.Regimen:
    """Every amount times ``factor``; infusion rates too, so that infusion durations are unchanged."""
    frame = regimen.to_frame()
    frame["amt"] = frame["amt"] * factor
    frame["rate"] = frame["rate"] * factor
    return trdlab.Regimen.from_frame(frame)


def assert_same_curve(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-6) -> None:
    """Relative agreement, with an absolute floor of 1e-8 of the largest amount (solver noise near 0)."""
    atol = 1e-8 * max(float(np.max(np.abs(expected))), 1e-12)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


@PROPERTY_SETTINGS
@given(regimen=regimens())
def test_doubling_every_dose_doubles_every_amount(regimen: trdlab.Regimen) -> None:
    assert_same_curve(amounts(scaled(regimen, 2.0)), 2.0 * amounts(regimen))


@PROPERTY_SETTINGS
@given(first=regimens(max_size=2), second=regimens(max_size=2))
def test_merged_regimen_is_sum_of_separate_simulations(first: trdlab.Regimen, second: trdlab.Regimen) -> None:
    assert_same_curve(amounts(first + second), amounts(first) + amounts(second))


@PROPERTY_SETTINGS
@given(regimen=regimens(), delta=eighths(0.125, 100.0))
def test_shifting_regimen_and_times_together_leaves_amounts_unchanged(
    regimen: trdlab.Regimen, delta: float
) -> None:
    assert_same_curve(amounts(regimen.shifted(delta), TIMES + delta), amounts(regimen))


@PROPERTY_SETTINGS
@given(regimen=regimens())
def test_amounts_stay_non_negative(regimen: trdlab.Regimen) -> None:
    values = amounts(regimen)
    total_dose = sum(e.amt * e.f * (e.addl + 1) for e in regimen.events)
    # CVODE may overshoot below zero by a rounding-level amount, never by more
    assert float(values.min()) >= -1e-9 * total_dose


@PROPERTY_SETTINGS
@given(regimen=regimens(), ss=st.sampled_from([0, 1, 2]))
def test_same_inputs_give_bit_identical_results(regimen: trdlab.Regimen, ss: int) -> None:
    # also with a steady-state record in front (exercises the Newton iteration's reuse of the session)
    if ss:
        lead = trdlab.Regimen.from_records([dict(time=0.0, amt=50.0, cmt=1, ii=12.0, ss=ss)])
        regimen = lead + regimen.shifted(0.1)
    first = trdlab.simulate(linear_model(), regimen, TIMES)
    second = trdlab.simulate(linear_model(), regimen, TIMES)
    assert np.array_equal(first.values, second.values)
    assert first.recorded == second.recorded
    assert first.to_frame(species="amount").equals(second.to_frame(species="amount"))
