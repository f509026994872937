"""Readouts: pure functions from the arms' simulated results to the number a check tests.

For a check on observable ``y`` (species read as concentrations) the ratio is
``r(t) = y_arm(t) / y_reference(t)``, each arm's time course interpolated linearly to the readout
times. At a time point the readout is ``r(at)``; over a window ``[a, b]`` it is ``stat`` of ``r`` at
``a``, ``b`` and every output time between them, where ``mean`` is the time average
``(1 / (b - a)) * integral_a^b r(t) dt`` (trapezoidal rule). A zero reference gives ``r = 1``
when the arm is zero too (nothing changed) and ``inf`` otherwise. The effect is ``r - 1``;
``greater_than_arm`` / ``less_than_arm`` read the effect difference
``effect(arm vs reference) - effect(other_arm vs other_reference)``. Thresholds
(:func:`passes`) allow 1e-12 for binary rounding, so a ratio of 0.9 counts as "down by 10 %".
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from trdlab.experiments.spec import COMPARISONS, Check
from trdlab.result import Result

_ROUNDING = 1e-12  # a ratio of 0.9 is "down by 10 %" although 1 - 0.9 < 0.1 in binary floating point


def ratio_series(results: Mapping[str, Result], observable: str, arm: str, reference: str,
                 times: np.ndarray) -> np.ndarray:
    """``y_arm / y_reference`` of ``observable`` at ``times`` (0/0 -> 1, x/0 -> inf)."""
    values = {}
    for name in (arm, reference):
        result = results[name]
        values[name] = np.interp(times, result.times, result.column(observable))
    top, bottom = values[arm], values[reference]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = top / bottom
    both_zero = (top == 0) & (bottom == 0)
    return np.where(both_zero, 1.0, np.where(bottom == 0, np.copysign(np.inf, top), out))


def ratio(results: Mapping[str, Result], check: Check, *, arm: str | None = None,
          reference: str | None = None) -> float:
    """The check's ratio (at its time, or its window statistic) for ``arm`` vs ``reference``."""
    arm, reference = arm or check.arm, reference or check.reference
    first, last = check.span_h
    if check.window is None:
        return float(ratio_series(results, check.observable, arm, reference, np.array([first]))[0])
    grid = results[arm].times
    times = np.unique(np.concatenate(([first, last], grid[(grid > first) & (grid < last)])))
    series = ratio_series(results, check.observable, arm, reference, times)
    if check.stat == "max":
        return float(np.max(series))
    if check.stat == "min":
        return float(np.min(series))
    return float(np.trapezoid(series, times) / (last - first))


def effect(results: Mapping[str, Result], check: Check, *, arm: str | None = None,
           reference: str | None = None) -> float:
    """``ratio - 1``: the relative change of ``arm`` against ``reference``."""
    return ratio(results, check, arm=arm, reference=reference) - 1.0


def biomarker_ratio(results: Mapping[str, Result], check: Check) -> float:
    """Noise-free reading of ``check.biomarker`` in the arm over that in the reference, at ``check.sample``."""
    from trdlab.biomarkers.definitions import load_library
    from trdlab.biomarkers.measure import expected
    from trdlab.biomarkers.timing import sampling_time

    library = load_library()
    assert check.biomarker is not None and check.sample is not None
    marker = library.get(check.biomarker)
    time = sampling_time(check.sample, library.clock)
    readings = []
    for name in (check.arm, check.reference):
        result = results[name]
        # the pre-treatment state is the arm's value at time 0 (arms may start earlier, e.g. a diet)
        grid = result.times[result.times >= 0.0]
        start = result.times.size - grid.size
        values = {o: np.asarray(result.column(o), float)[None, start:] for o in marker.observables}
        readings.append(float(expected(marker, values, grid, time, library=library)[0]))
    top, bottom = readings
    return top / bottom if bottom else (1.0 if top == 0 else float("inf"))


def readout(results: Mapping[str, Result], check: Check) -> float:
    """The number the check is judged on: the ratio, or for comparisons the effect difference."""
    if check.biomarker is not None:
        return biomarker_ratio(results, check)
    if check.expect in COMPARISONS:
        other = effect(results, check, arm=check.other_arm, reference=check.other_reference)
        return effect(results, check) - other
    return ratio(results, check)


def passes(check: Check, value: float) -> bool | None:
    """Whether ``value`` (from :func:`readout`) meets the expectation; ``None`` without one."""
    if check.expect is None:
        return None
    if check.expect == "up":
        return bool(value - 1.0 >= check.min_effect - _ROUNDING)
    if check.expect == "down":
        return bool(1.0 - value >= check.min_effect - _ROUNDING)
    if check.expect == "unchanged":
        return bool(abs(value - 1.0) < check.max_change)
    if check.expect == "between":
        assert check.low is not None and check.high is not None
        return bool(check.low <= value <= check.high)
    if check.expect == "greater_than_arm":
        return bool(value >= check.min_effect - _ROUNDING)
    return bool(value <= -check.min_effect + _ROUNDING)
