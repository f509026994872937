"""Closed-form PK references: trdlab's simulated amounts against formulas written here.

Every expected value comes from an analytic solution of the linear model in the test
(or, for overlapping steady-state infusions, from summing a long series of single-dose
closed forms with numpy). Time unit: hours; amounts: mg; volumes: L.

Tolerance: relative 1e-6 (the default engine runs CVODE at rtol 1e-8), plus an absolute
floor of 1e-9 of the curve's scale so that values near zero (before a lag, long after a
reset) are compared sensibly.
"""

from __future__ import annotations

import math
from functools import lru_cache

import antimony
import numpy as np
import pytest

import trdlab

RTOL = 1e-6

# One compartment, amount A in a central compartment of volume V, elimination rate k.
V = 10.0
K = 0.2
ONE_COMPARTMENT = f"""
model onecpt
  unit time_unit = 3600 second
  compartment central = {V}
  species A in central = 0
  substanceOnly species A
  k = {K}
  elimination: A -> ; k * A
end
"""

# Oral: first-order absorption from a depot (volume 1 L, so its "concentration" is its amount).
KA = 1.3
ORAL = f"""
model oral
  unit time_unit = 3600 second
  compartment gut = 1
  compartment central = {V}
  species depot in gut = 0
  species A in central = 0
  substanceOnly species depot, A
  ka = {KA}
  k = {K}
  absorption: depot -> A; ka * depot
  elimination: A -> ; k * A
end
"""

# Two compartments with micro-constants k10, k12, k21.
V1, K10, K12, K21 = 5.0, 0.35, 0.6, 0.15
TWO_COMPARTMENT = f"""
model twocpt
  unit time_unit = 3600 second
  compartment central = {V1}
  compartment peripheral = 20
  species A1 in central = 0
  species A2 in peripheral = 0
  substanceOnly species A1, A2
  k10 = {K10}; k12 = {K12}; k21 = {K21}
  elimination: A1 -> ; k10 * A1
  distribution: A1 -> A2; k12 * A1
  redistribution: A2 -> A1; k21 * A2
end
"""


# The same with a non-zero initial amount A0, to tell "reset to the initial state" from "set to zero".
A0 = 5.0
ONE_COMPARTMENT_A0 = ONE_COMPARTMENT.replace("model onecpt", "model onecpt_a0").replace(
    "species A in central = 0", f"species A in central = {A0}"
)


# Oral absorption into two-compartment disposition (the depot's equation is decoupled).
KA2 = 0.9
ORAL_TWO_COMPARTMENT = f"""
model oral_twocpt
  unit time_unit = 3600 second
  compartment gut = 1
  compartment central = 12
  compartment peripheral = 30
  species depot in gut = 0
  species A1 in central = 0
  species A2 in peripheral = 0
  substanceOnly species depot, A1, A2
  ka = {KA2}; k10 = 0.25; k12 = 0.4; k21 = 0.2
  absorption: depot -> A1; ka * depot
  elimination: A1 -> ; k10 * A1
  distribution: A1 -> A2; k12 * A1
  redistribution: A2 -> A1; k21 * A2
end
"""


def _load(text: str, name: str, dosing: tuple[str, ...]) -> trdlab.Model:
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise RuntimeError(antimony.getLastError())
    return trdlab.Model.from_sbml(antimony.getSBMLString(name), dosing=dosing)


@lru_cache(maxsize=None)
def one_compartment() -> trdlab.Model:
    return _load(ONE_COMPARTMENT, "onecpt", ("A",))


@lru_cache(maxsize=None)
def one_compartment_a0() -> trdlab.Model:
    return _load(ONE_COMPARTMENT_A0, "onecpt_a0", ("A",))


@lru_cache(maxsize=None)
def oral() -> trdlab.Model:
    return _load(ORAL, "oral", ("depot", "A"))


@lru_cache(maxsize=None)
def oral_two_compartment() -> trdlab.Model:
    return _load(ORAL_TWO_COMPARTMENT, "oral_twocpt", ("depot", "A1", "A2"))


@lru_cache(maxsize=None)
def two_compartment() -> trdlab.Model:
    return _load(TWO_COMPARTMENT, "twocpt", ("A1", "A2"))


def regimen(*records: dict) -> trdlab.Regimen:
    return trdlab.Regimen.from_records(records)


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float = RTOL) -> None:
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    atol = 1e-9 * max(float(np.max(np.abs(expected))), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# -- single-dose closed forms (concentration in the central compartment) -------------------
def bolus_conc(t: np.ndarray, dose: float, t_dose: float = 0.0) -> np.ndarray:
    """C(t) = D/V * exp(-k (t - t_dose)) for t >= t_dose, else 0."""
    dt = np.asarray(t, dtype=float) - t_dose
    return np.where(dt >= 0, dose / V * np.exp(-K * np.clip(dt, 0, None)), 0.0)


def bateman(t: np.ndarray, dose: float, f: float = 1.0, lag: float = 0.0) -> np.ndarray:
    """C(t) = F D ka / (V (ka - k)) * (exp(-k s) - exp(-ka s)), s = t - lag >= 0, else 0."""
    s = np.clip(np.asarray(t, dtype=float) - lag, 0, None)
    return f * dose * KA / (V * (KA - K)) * (np.exp(-K * s) - np.exp(-KA * s))


def infusion_conc(t: np.ndarray, rate: float, duration: float, start: float = 0.0) -> np.ndarray:
    """Zero-order input R over [start, start + T]:

    during: C = R/(k V) (1 - exp(-k s));  after: C = R/(k V) (1 - exp(-k T)) exp(-k (s - T)),
    with s = t - start; 0 before the start.
    """
    s = np.asarray(t, dtype=float) - start
    during = rate / (K * V) * (1 - np.exp(-K * np.clip(s, 0, None)))
    after = rate / (K * V) * (1 - np.exp(-K * duration)) * np.exp(-K * (s - duration))
    return np.where(s <= 0, 0.0, np.where(s <= duration, during, after))


# -- one-compartment IV bolus ---------------------------------------------------------------
def test_iv_bolus_one_compartment_is_monoexponential() -> None:
    dose = 100.0
    times = np.linspace(0, 48, 97)
    result = trdlab.simulate(one_compartment(), regimen(dict(time=0, amt=dose)), times)
    assert_close(result.column("A"), bolus_conc(times, dose))


def test_iv_bolus_after_time_zero_starts_at_its_record_time() -> None:
    dose, t_dose = 50.0, 3.5
    times = np.linspace(0, 30, 61)
    result = trdlab.simulate(one_compartment(), regimen(dict(time=t_dose, amt=dose)), times)
    assert_close(result.column("A"), bolus_conc(times, dose, t_dose))


# -- oral first-order absorption (Bateman) --------------------------------------------------
def test_oral_absorption_follows_bateman_function() -> None:
    dose = 200.0
    times = np.linspace(0, 36, 145)
    result = trdlab.simulate(oral(), regimen(dict(time=0, amt=dose, cmt=1)), times)
    assert_close(result.column("A"), bateman(times, dose))
    # depot: D exp(-ka t) (gut volume 1 L)
    assert_close(result.column("depot"), dose * np.exp(-KA * times))


def test_oral_absorption_with_lag_and_bioavailability_is_shifted_and_scaled_bateman() -> None:
    dose, f, lag = 200.0, 0.65, 1.25
    times = np.linspace(0, 36, 145)
    result = trdlab.simulate(oral(), regimen(dict(time=0, amt=dose, cmt=1, lag=lag, f=f)), times)
    expected = bateman(times, dose, f=f, lag=lag)
    assert_close(result.column("A"), expected)
    assert np.all(result.column("A")[times < lag] == 0.0)
    # the depot receives F*D at the lagged time, not before
    assert_close(result.column("depot"), np.where(times >= lag, f * dose * np.exp(-KA * (times - lag)), 0.0))


# -- zero-order infusion --------------------------------------------------------------------
def test_infusion_given_by_rate_during_and_after() -> None:
    amt, rate = 120.0, 15.0  # duration = amt / rate = 8 h
    times = np.linspace(0, 30, 121)
    result = trdlab.simulate(one_compartment(), regimen(dict(time=0, amt=amt, rate=rate)), times)
    assert_close(result.column("A"), infusion_conc(times, rate, amt / rate))


def test_infusion_given_by_duration_during_and_after() -> None:
    amt, dur = 120.0, 5.0  # rate = amt / dur = 24 mg/h
    times = np.linspace(0, 30, 121)
    result = trdlab.simulate(one_compartment(), regimen(dict(time=2, amt=amt, dur=dur)), times)
    assert_close(result.column("A"), infusion_conc(times, amt / dur, dur, start=2.0))


def test_bioavailability_with_rate_given_changes_the_infusion_duration() -> None:
    # NONMEM: rate fixed, duration = F * amt / rate (here 0.5 * 120 / 15 = 4 h, not 8 h)
    amt, rate, f = 120.0, 15.0, 0.5
    times = np.linspace(0, 30, 121)
    result = trdlab.simulate(one_compartment(), regimen(dict(time=0, amt=amt, rate=rate, f=f)), times)
    assert_close(result.column("A"), infusion_conc(times, rate, f * amt / rate))


def test_bioavailability_with_duration_given_changes_the_infusion_rate() -> None:
    # NONMEM: duration fixed, rate = F * amt / dur (here 0.5 * 120 / 5 = 12 mg/h over 5 h)
    amt, dur, f = 120.0, 5.0, 0.5
    times = np.linspace(0, 30, 121)
    result = trdlab.simulate(one_compartment(), regimen(dict(time=0, amt=amt, dur=dur, f=f)), times)
    assert_close(result.column("A"), infusion_conc(times, f * amt / dur, dur))


@pytest.mark.parametrize("start", [float(t) for t in np.arange(0.0, 12.5, 0.5)])
def test_depot_infusion_matches_closed_form_whatever_its_start_time(start: float) -> None:
    # zero-order input R into the depot over [start, start + T]:
    # depot = R/ka (1 - e^{-ka s}) during (s = t - start), then depot(T) e^{-ka (s - T)}
    amt, rate = 1.0, 5.0
    duration = amt / rate
    times = start + np.array([0.1, duration, 1.0, 3.0])
    result = trdlab.simulate(oral_two_compartment(), regimen(dict(time=start, amt=amt, rate=rate, cmt=1)), times)
    s = times - start
    during = rate / KA2 * (1 - np.exp(-KA2 * np.minimum(s, duration)))
    expected = during * np.exp(-KA2 * np.clip(s - duration, 0, None))
    assert_close(result.column("depot", species="amount"), expected)


# -- multiple dosing --------------------------------------------------------------------------
def test_addl_bolus_doses_superpose() -> None:
    dose, tau, addl = 40.0, 6.0, 4  # doses at 0, 6, 12, 18, 24
    times = np.linspace(0, 48, 193)
    result = trdlab.simulate(one_compartment(), regimen(dict(time=0, amt=dose, ii=tau, addl=addl)), times)
    expected = sum(bolus_conc(times, dose, j * tau) for j in range(addl + 1))
    assert_close(result.column("A"), expected)


def test_addl_oral_doses_with_lag_superpose_bateman_functions() -> None:
    dose, tau, addl, lag, f = 80.0, 8.0, 3, 0.5, 0.8
    times = np.linspace(0, 48, 193)
    result = trdlab.simulate(
        oral(), regimen(dict(time=1, amt=dose, cmt=1, ii=tau, addl=addl, lag=lag, f=f)), times
    )
    expected = sum(bateman(times, dose, f=f, lag=1 + lag + j * tau) for j in range(addl + 1))
    assert_close(result.column("A"), expected)


def test_addl_infusions_superpose() -> None:
    amt, rate, tau, addl = 60.0, 20.0, 12.0, 2  # 3 h infusions at 0, 12, 24
    times = np.linspace(0, 48, 97)
    result = trdlab.simulate(one_compartment(), regimen(dict(time=0, amt=amt, rate=rate, ii=tau, addl=addl)), times)
    expected = sum(infusion_conc(times, rate, amt / rate, start=j * tau) for j in range(addl + 1))
    assert_close(result.column("A"), expected)


def test_accumulation_ratio_relates_steady_state_peak_and_trough_to_first_dose() -> None:
    # R = 1 / (1 - exp(-k tau)); after n doses the peak is D/V (1 - e^{-n k tau}) / (1 - e^{-k tau});
    # with n = 40 and k tau = 2.4 the remainder e^{-96} is far below the tolerance.
    dose, tau, n = 100.0, 12.0, 40
    ratio = 1 / (1 - math.exp(-K * tau))
    last = (n - 1) * tau
    times = np.array([0.0, tau - 1e-9, last, last + tau])  # first peak, first trough, ss peak, ss trough
    reg = regimen(dict(time=0, amt=dose, ii=tau, addl=n - 1))
    result = trdlab.simulate(one_compartment(), reg, times).column("A")
    first_peak = dose / V
    first_trough = dose / V * math.exp(-K * tau)
    assert result[0] == pytest.approx(first_peak, rel=RTOL)
    assert result[1] == pytest.approx(first_trough, rel=RTOL)
    assert result[2] / result[0] == pytest.approx(ratio, rel=RTOL)
    assert result[3] / first_trough == pytest.approx(ratio, rel=RTOL)


def test_ss1_bolus_is_at_closed_form_steady_state_at_the_record_time() -> None:
    # Steady-state trough (pre-dose) = D/V e^{-k tau} / (1 - e^{-k tau}); the record's own dose
    # is then given, so the (right-continuous) value at the record time is trough + D/V and
    # the value one interval later (no further doses) is the trough again.
    dose, tau, t_rec = 100.0, 12.0, 5.0
    trough = dose / V * math.exp(-K * tau) / (1 - math.exp(-K * tau))
    times = np.array([t_rec, t_rec + 3.0, t_rec + tau])
    result = trdlab.simulate(one_compartment(), regimen(dict(time=t_rec, amt=dose, ii=tau, ss=1)), times)
    peak = trough + dose / V
    assert_close(result.column("A"), [peak, peak * math.exp(-K * 3.0), trough])


def test_ss1_bolus_with_addl_repeats_the_steady_state_profile() -> None:
    dose, tau, t_rec = 100.0, 12.0, 0.0
    peak = dose / V / (1 - math.exp(-K * tau))  # steady-state post-dose value
    offsets = np.array([0.0, 2.0, 7.5, 11.0])
    times = np.concatenate([offsets + j * tau for j in range(3)])
    result = trdlab.simulate(one_compartment(), regimen(dict(time=t_rec, amt=dose, ii=tau, addl=2, ss=1)), times)
    assert_close(result.column("A"), np.tile(peak * np.exp(-K * offsets), 3))


def test_ss1_oral_bolus_with_lag_matches_infinite_bateman_sum() -> None:
    # Steady state of doses at t_rec + lag - j tau, j = 0, 1, 2, ...: sum of Bateman functions.
    dose, tau, lag, f, t_rec = 100.0, 12.0, 2.0, 0.7, 24.0
    times = t_rec + np.linspace(0, 2 * tau, 49)
    result = trdlab.simulate(
        oral(), regimen(dict(time=t_rec, amt=dose, cmt=1, ii=tau, lag=lag, f=f, ss=1)), times
    )
    expected = sum(bateman(times, dose, f=f, lag=t_rec + lag - j * tau) for j in range(200))
    assert_close(result.column("A"), expected)


def test_ss1_resets_the_earlier_state() -> None:
    dose0, dose, tau, t_rec = 500.0, 100.0, 12.0, 10.0
    times = np.array([5.0, t_rec, t_rec + 4.0])
    reg = regimen(dict(time=0, amt=dose0), dict(time=t_rec, amt=dose, ii=tau, ss=1))
    result = trdlab.simulate(one_compartment(), reg, times).column("A")
    peak = dose / V / (1 - math.exp(-K * tau))
    assert_close(result, [bolus_conc(5.0, dose0), peak, peak * math.exp(-K * 4.0)])


def _ss_infusion_series(t: np.ndarray, rate: float, duration: float, tau: float, t_rec: float) -> np.ndarray:
    """Steady state by superposition: infusions of ``rate`` over ``duration`` starting at
    t_rec - j tau, j = 0 .. 4999 (k tau = 0.8, so the omitted tail is e^{-4000})."""
    return sum(infusion_conc(t, rate, duration, start=t_rec - j * tau) for j in range(5000))


def test_ss1_infusion_longer_than_ii_matches_series_of_overlapping_infusions() -> None:
    # amt 100 at rate 10 -> 10 h infusions every 4 h: 2 or 3 infusions overlap at any time.
    amt, rate, tau, t_rec = 100.0, 10.0, 4.0, 20.0
    duration = amt / rate
    times = t_rec + np.array([0.0, 1.0, 2.5, 4.0, 6.0, 9.99, 10.0, 12.0, 20.0, 30.0])
    result = trdlab.simulate(
        one_compartment(), regimen(dict(time=t_rec, amt=amt, rate=rate, ii=tau, ss=1)), times
    )
    assert_close(result.column("A"), _ss_infusion_series(times, rate, duration, tau, t_rec))


def test_ss1_infusion_by_duration_with_bioavailability_matches_series() -> None:
    # dur given: rate = F amt / dur = 0.8 * 90 / 9 = 8 mg/h over 9 h, every 4 h
    amt, dur, f, tau, t_rec = 90.0, 9.0, 0.8, 4.0, 0.0
    times = t_rec + np.linspace(0, 24, 49)
    result = trdlab.simulate(
        one_compartment(), regimen(dict(time=t_rec, amt=amt, dur=dur, f=f, ii=tau, ss=1)), times
    )
    assert_close(result.column("A"), _ss_infusion_series(times, f * amt / dur, dur, tau, t_rec))


def test_ss1_constant_infusion_is_at_r_over_cl_and_stops_at_the_record() -> None:
    # amt=0, rate>0, ii=0, ss=1: steady state of a constant infusion, C = R / (k V), ending at the
    # record time (NONMEM), so afterwards C = R/(k V) e^{-k (t - t_rec)}.
    rate, t_rec = 7.0, 3.0
    times = t_rec + np.array([0.0, 1.0, 5.0])
    result = trdlab.simulate(one_compartment(), regimen(dict(time=t_rec, amt=0, rate=rate, ss=1)), times)
    assert_close(result.column("A"), rate / (K * V) * np.exp(-K * (times - t_rec)))


def test_ss2_adds_the_steady_state_to_the_existing_state() -> None:
    # C(t) = D0/V e^{-k t} + [D/V / (1 - e^{-k tau})] e^{-k (t - t_rec)} for t >= t_rec
    dose0, dose, tau, t_rec = 300.0, 100.0, 12.0, 30.0
    times = np.linspace(0, 60, 121)
    reg = regimen(dict(time=0, amt=dose0), dict(time=t_rec, amt=dose, ii=tau, ss=2))
    result = trdlab.simulate(one_compartment(), reg, times)
    steady = np.where(times >= t_rec, dose / V / (1 - math.exp(-K * tau)) * np.exp(-K * (times - t_rec)), 0.0)
    assert_close(result.column("A"), bolus_conc(times, dose0) + steady)


# -- two-compartment IV bolus ---------------------------------------------------------------
def test_two_compartment_bolus_is_biexponential_with_macro_constants() -> None:
    # alpha, beta: roots of s^2 - (k10 + k12 + k21) s + k10 k21 = 0
    # A1(t) = D [(alpha - k21) e^{-alpha t} + (k21 - beta) e^{-beta t}] / (alpha - beta)
    # A2(t) = D k12 (e^{-beta t} - e^{-alpha t}) / (alpha - beta)
    dose = 250.0
    total = K10 + K12 + K21
    root = math.sqrt(total**2 - 4 * K10 * K21)
    alpha, beta = (total + root) / 2, (total - root) / 2
    times = np.linspace(0, 72, 289)
    result = trdlab.simulate(two_compartment(), regimen(dict(time=0, amt=dose)), times)
    a1 = dose * ((alpha - K21) * np.exp(-alpha * times) + (K21 - beta) * np.exp(-beta * times)) / (alpha - beta)
    a2 = dose * K12 * (np.exp(-beta * times) - np.exp(-alpha * times)) / (alpha - beta)
    assert_close(result.column("A1", species="amount"), a1)
    assert_close(result.column("A2", species="amount"), a2)
    assert_close(result.column("A1"), a1 / V1)


# -- EVID 3 and 4 ---------------------------------------------------------------------------
def test_evid3_resets_to_the_initial_state_and_cancels_pending_doses() -> None:
    # Before the reset: (A0 + sum of doses) decaying; after it at t_r: A0 e^{-k (t - t_r)}, the
    # additional doses at 24 and 36 never given (a reset cancels pending doses, as in NONMEM).
    dose, tau, t_r = 100.0, 12.0, 18.0
    times = np.linspace(0, 48, 97)
    reg = regimen(dict(time=0, amt=dose, ii=tau, addl=3), dict(time=t_r, evid=3))
    result = trdlab.simulate(one_compartment_a0(), reg, times).column("A", species="amount")
    before = A0 * np.exp(-K * times) + dose * (np.exp(-K * times) + np.where(times >= tau, np.exp(-K * (times - tau)), 0))
    after = A0 * np.exp(-K * (times - t_r))
    assert_close(result, np.where(times < t_r, before, after))


def test_evid3_stops_a_running_infusion() -> None:
    amt, rate, t_r = 100.0, 10.0, 4.0  # the 10 h infusion is cut off at 4 h
    times = np.linspace(0, 24, 49)
    reg = regimen(dict(time=0, amt=amt, rate=rate), dict(time=t_r, evid=3))
    result = trdlab.simulate(one_compartment(), reg, times).column("A")
    assert_close(result, np.where(times < t_r, infusion_conc(times, rate, amt / rate), 0.0))


def test_evid4_resets_then_doses() -> None:
    # after the EVID 4 record at t_r: (A0 + D2) e^{-k (t - t_r)}
    dose1, dose2, t_r = 100.0, 40.0, 10.0
    times = np.linspace(0, 30, 61)
    reg = regimen(dict(time=0, amt=dose1), dict(time=t_r, amt=dose2, evid=4))
    result = trdlab.simulate(one_compartment_a0(), reg, times).column("A", species="amount")
    before = (A0 + dose1) * np.exp(-K * times)
    after = (A0 + dose2) * np.exp(-K * (times - t_r))
    assert_close(result, np.where(times < t_r, before, after))


def test_evid4_infusion_after_reset_starts_from_initial_state() -> None:
    dose1, amt, dur, t_r = 100.0, 30.0, 3.0, 6.0
    times = np.linspace(0, 24, 97)
    reg = regimen(dict(time=0, amt=dose1), dict(time=t_r, amt=amt, dur=dur, evid=4))
    result = trdlab.simulate(one_compartment(), reg, times).column("A")
    expected = np.where(times < t_r, bolus_conc(times, dose1), infusion_conc(times, amt / dur, dur, start=t_r))
    assert_close(result, expected)
