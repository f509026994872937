"""`simulate`: the one entry point from a model, a regimen and output times to a `Result`.

The simulator owns time and dosing: it expands the regimen into primitive actions
(:mod:`trdlab.dosing.schedule`), integrates between them with the engine, and applies
each action between segments. Values reported at a time include every action at that
time (right-continuous), so an output at a bolus time shows the post-dose state.
"""

from __future__ import annotations

import math
import time as _clock
from typing import Mapping, Sequence

import numpy as np

from trdlab import __version__
from trdlab.dosing.regimen import Regimen
from trdlab.dosing.schedule import Action, Kind, carried_rate, expand
from trdlab.dosing.steady_state import steady_state
from trdlab.engines.base import Engine, Session
from trdlab.engines.roadrunner import RoadRunnerEngine
from trdlab.errors import ModelError, SimulationError
from trdlab.model.sbml_model import Model
from trdlab.result import Result

_SIMULTANEOUS = 1e-12
_DEFAULT_ENGINE = RoadRunnerEngine()  # settings only, plus its own thread-safe session pool


def default_engine() -> RoadRunnerEngine:
    """The default engine: libRoadRunner with default settings, one per process.

    Safe to share between threads: its compiled sessions are lent to one simulation at a time
    (:meth:`RoadRunnerEngine.checkout`), so concurrent calls never share a RoadRunner instance.
    """
    return _DEFAULT_ENGINE


def simulate(
    model: Model,
    regimen: Regimen | None,
    times: Sequence[float] | np.ndarray,
    *,
    engine: Engine | None = None,
    parameters: Mapping[str, float] | None = None,
    reinitialize: bool = True,
) -> Result:
    """Simulate ``model`` under ``regimen`` and report every observable at ``times``.

    Args:
        model: the SBML model.
        regimen: dose event table (NONMEM semantics) or ``None`` for no doses.
        times: strictly increasing output times in the model's time unit.
        engine: the backend (default: libRoadRunner, see :func:`default_engine`).
        parameters: overrides of initial values of parameters, compartments or species
            (species: initial amount), by id.
        reinitialize: when False, overrides of parameters that the initial conditions depend
            on are applied as current values at the start and the initial state stays the
            model's default one (much faster for large models; meant for runs that begin with
            a run-in to the overridden steady state, such as virtual trials).

    Returns:
        A :class:`Result`; nothing passed in is modified.

    Raises:
        ValueError subclasses for bad input; :class:`SimulationError` when the solver fails
        or a step or wall-clock limit is exceeded.
    """
    started = _clock.perf_counter()
    grid = _check_times(times)
    overrides = _check_parameters(parameters)
    engine = engine or default_engine()
    schedule = expand(regimen, model.resolve_cmt)
    t0 = min(grid[0], schedule.actions[0].time) if schedule.actions else grid[0]
    with engine.checkout(model, schedule.infusion_targets) as session:
        session.start(overrides, t0, reinitialize=reinitialize)
        values = _drive(session, schedule.actions, grid, engine.settings.wall_limit_s, started)
        constants = session.constant_values()
        recorded = session.recorded
    manifest = {
        "trdlab_version": __version__,
        "model": model.name,
        "sbml_sha256": model.sha256,
        "time_unit": model.time_unit,
        "parameters": dict(overrides),
        "regimen": regimen.to_records() if regimen is not None else [],
        "engine": engine.describe(),
        "seed": None,
        "n_times": int(grid.size),
        "wall_time_s": _clock.perf_counter() - started,
    }
    return Result(
        times=grid,
        recorded=recorded,
        values=values,
        constants=tuple(constants.items()),
        columns=model.species_ids + model.compartments + model.parameters,
        species_compartments=tuple((s.id, s.compartment) for s in model.species),
        units=model.units,
        manifest=manifest,
    )


def _drive(
    session: Session, actions: tuple[Action, ...], grid: np.ndarray, wall_limit: float, started: float
) -> np.ndarray:
    out = np.empty((grid.size, len(session.recorded)))
    filled = 0
    rates: dict[str, float] = {}
    running: dict[str, int] = {}
    cancelled_before = -1
    index = 0
    while index < len(actions) and actions[index].time <= grid[-1]:
        when = actions[index].time
        stop = int(np.searchsorted(grid, when, side="left"))
        out[filled:stop] = session.advance(grid[filled:stop], when)
        filled = stop
        if _clock.perf_counter() - started > wall_limit:
            raise SimulationError(
                f"simulation exceeded its wall-clock limit of {wall_limit:g} s at t={when:g}; "
                "raise EngineSettings.wall_limit_s or simplify the regimen"
            )
        # actions closer than the solver can resolve (e.g. lag + k*ii vs an infusion's end) are simultaneous
        while index < len(actions) and actions[index].time - when <= _SIMULTANEOUS * max(1.0, abs(when)):
            action = actions[index]
            index += 1
            if action.record < cancelled_before:
                continue
            if action.kind is Kind.RESET:
                cancelled_before = action.record
                _reset(session, rates, running)
            elif action.kind is Kind.STEADY_STATE:
                cancelled_before = _apply_steady_state(session, action, rates, running, cancelled_before)
            elif action.kind is Kind.BOLUS:
                session.add_amount(action.species, action.value)
            else:
                _change_rate(session, action, rates, running)
    if filled < grid.size:
        out[filled:] = session.advance(grid[filled:], grid[-1])
    return out


def _reset(session: Session, rates: dict[str, float], running: dict[str, int]) -> None:
    session.reset_state()
    rates.clear()
    running.clear()


def _change_rate(session: Session, action: Action, rates: dict[str, float], running: dict[str, int]) -> None:
    species = action.species
    step = 1 if action.kind is Kind.INFUSION_ON else -1
    running[species] = running.get(species, 0) + step
    rates[species] = rates.get(species, 0.0) + step * action.value
    if running[species] <= 0:
        running[species] = 0
        rates[species] = 0.0
    session.set_input_rate(species, rates[species])


def _apply_steady_state(
    session: Session, action: Action, rates: dict[str, float], running: dict[str, int], cancelled_before: int
) -> int:
    """Put the system at the record's steady state (SS=1 replaces, SS=2 adds to the current state)."""
    event = action.event
    assert event is not None
    current = session.amounts()
    initial = session.initial_amounts()
    for species in rates:
        session.set_input_rate(species, 0.0)
    state = steady_state(session, event, action.species, initial, action.time)
    session.set_time(action.time)
    if event.is_infusion:
        session.set_input_rate(action.species, 0.0)
    if event.ss == 1:
        rates.clear()
        running.clear()
        session.set_amounts(state)
        cancelled_before = action.record
    else:
        session.set_amounts(current + state - initial)
    carried = carried_rate(event)
    if carried:
        rates[action.species] = rates.get(action.species, 0.0) + carried
        running[action.species] = running.get(action.species, 0) + round(carried / event.infusion()[0])
    for species, rate in rates.items():
        session.set_input_rate(species, rate)
    return cancelled_before


def _check_times(times: Sequence[float] | np.ndarray) -> np.ndarray:
    try:
        grid = np.asarray(times, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("times must be a sequence of numbers (model time unit)") from None
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"times must be a non-empty 1-D sequence, got shape {grid.shape}")
    if not np.all(np.isfinite(grid)):
        raise ValueError("times contains NaN or infinity; give finite output times")
    if grid.size > 1 and not np.all(np.diff(grid) > 0):
        bad = int(np.argmax(np.diff(grid) <= 0)) + 1
        raise ValueError(
            f"times must be strictly increasing: times[{bad}]={grid[bad]:g} follows {grid[bad - 1]:g}; "
            "sort the times and drop duplicates"
        )
    return grid


def _check_parameters(parameters: Mapping[str, float] | None) -> dict[str, float]:
    if parameters is None:
        return {}
    checked: dict[str, float] = {}
    for name, value in parameters.items():
        if not isinstance(name, str):
            raise ModelError(f"parameter name {name!r} is not a string; use the model's ids")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ModelError(f"parameter {name!r}={value!r} is not a number; give a value in model units") from None
        if not math.isfinite(number):
            raise ModelError(f"parameter {name!r}={value!r} is not finite; give a finite value")
        checked[name] = number
    return checked
