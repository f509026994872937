"""Steady state under repeated dosing (NONMEM ``SS=1``/``SS=2``), for any model.

The periodic steady state is the fixed point ``x* = Phi(x*)`` of the map ``Phi`` that
takes the pre-dose state through one dosing interval (bolus at its start, or the
overlapping infusions of earlier doses when ``dur > ii``). ``Phi`` is evaluated with
the engine, so the method holds for nonlinear models too; ``x* - Phi(x*) = 0`` is solved
with :func:`scipy.optimize.root` (MINPACK's hybrid Powell method: a finite-difference
Jacobian, then Broyden updates; exact in one Newton step for linear models), in amounts
scaled by the largest amount after one interval, and accepted when
``max|Phi(x*) - x*| <= 1e-10 max|Phi(x*)|``. The state at the record time is then read at the
phase the lag time puts it at.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from trdlab.dosing.regimen import DoseEvent
from trdlab.engines.base import Session
from trdlab.errors import SimulationError

CONSTANT_INFUSION_PERIOD = 24.0
"""Period (model time units) used to solve a constant infusion's steady state."""

_RTOL = 1e-10
"""Accepted residual of the fixed point, relative to the largest amount."""
_XTOL = 1e-10
"""Relative step size at which ``scipy.optimize.root`` stops."""
_EPS = 1e-6
"""Squared relative finite-difference step (1e-3): well above the engine's integration error."""


def _profile(event: DoseEvent) -> tuple[float, list[tuple[float, float, float]]]:
    """(period, [(start, end, input rate)]) of the rate input over one interval."""
    if event.is_constant_infusion:
        return CONSTANT_INFUSION_PERIOD, [(0.0, CONSTANT_INFUSION_PERIOD, event.rate)]
    if not event.is_infusion:
        return event.ii, [(0.0, event.ii, 0.0)]
    rate, duration = event.infusion()
    full = math.floor(duration / event.ii + 1e-12)
    rest = duration - full * event.ii
    if rest <= 1e-12 * event.ii:
        return event.ii, [(0.0, event.ii, full * rate)]
    return event.ii, [(0.0, rest, (full + 1) * rate), (rest, event.ii, full * rate)]


def steady_state(
    session: Session, event: DoseEvent, species: str, start: np.ndarray, t_record: float
) -> np.ndarray:
    """Amounts at ``t_record`` when the record's dosing has reached steady state.

    Args:
        session: the engine session (its time and input rates are changed; the caller restores them).
        event: the ``ss`` record.
        species: the species the record doses.
        start: amounts to start the iteration from (the reset state).
        t_record: the record time.
    """
    period, segments = _profile(event)
    infused = event.is_infusion
    bolus = 0.0 if infused else event.amt * event.f
    lag = 0.0 if event.is_constant_infusion else event.lag
    t_dose = t_record + lag - period  # time of the previous dose, pre-dose state = x*

    def run(x: np.ndarray, until: float) -> np.ndarray:
        session.set_time(t_dose)
        session.set_amounts(x)
        if bolus:
            session.add_amount(species, bolus)
        for begin, end, rate in segments:
            if begin >= until:
                break
            if infused:
                session.set_input_rate(species, rate)
            session.advance(np.empty(0), t_dose + min(end, until))
        return session.amounts()

    def phi(x: np.ndarray) -> np.ndarray:
        return run(x, period)

    x0 = np.asarray(start, dtype=float)
    scale = max(float(np.max(np.abs(phi(x0)), initial=0.0)), 1.0)  # unit of the solve: amounts ~ 1

    def residual(y: np.ndarray) -> np.ndarray:
        return phi(np.maximum(y, 0.0) * scale) / scale - y  # amounts stay non-negative

    solution = optimize.root(residual, x0 / scale, method="hybr", options={"xtol": _XTOL, "eps": _EPS})
    x = np.maximum(solution.x, 0.0) * scale
    fx = phi(x)
    if float(np.max(np.abs(fx - x), initial=0.0)) > _RTOL * max(float(np.max(np.abs(fx), initial=0.0)), 1e-300):
        raise SimulationError(
            f"steady state of the ss={event.ss} record at t={t_record:g} did not converge "
            f"({solution.message.strip()}); check that the model has a periodic steady state "
            "(e.g. that the drug is eliminated)"
        )
    if lag == 0.0:
        return fx
    return run(fx, period - lag)
