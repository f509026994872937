"""Drive one engine session through an expanded dosing schedule, and solve a batch that way.

The simulator owns time and dosing: :func:`drive` integrates a :class:`~trdlab.engines.base.Session`
between the schedule's primitive actions and applies each action between segments (values
reported at a time include every action at that time: right-continuous). :func:`solve_with_sessions`
is the batched call for engines that own per-subject sessions (libRoadRunner): a loop over the
subjects, each on a lent session, whose failures are recorded per subject, never raised.
"""

from __future__ import annotations

import time as _clock
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from trdlab.dosing.schedule import Action, Kind, Schedule, carried_rate
from trdlab.dosing.steady_state import steady_state
from trdlab.engines.base import Session, Solution
from trdlab.errors import SimulationError

if TYPE_CHECKING:
    from trdlab.engines.base import Engine
    from trdlab.model.sbml_model import Model

_SIMULTANEOUS = 1e-12


def solve_with_sessions(
    engine: "Engine", model: "Model", schedules: Sequence[Schedule], parameters: Sequence[Mapping[str, float]],
    times: np.ndarray, *, observables: Sequence[str] | None = None, reinitialize: bool = True,
) -> Solution:
    """Simulate each subject on a session lent by ``engine``; values ``[time, observable, subject]``.

    A subject whose simulation raises gets its exception in ``Solution.errors`` and NaN values;
    the others go on. The recorded columns are those of ``observables`` that vary over time
    (all time-varying ones when None); constant ones are in ``Solution.constants``.
    """
    if len(schedules) != len(parameters):
        raise ValueError(f"{len(schedules)} schedules but {len(parameters)} parameter sets; give one of each per subject")
    grid = np.asarray(times, dtype=float)
    recorded: tuple[str, ...] | None = None
    values: np.ndarray | None = None
    constants: list[dict[str, float]] = []
    errors: list[BaseException | None] = []
    limit = engine.settings.wall_limit_s
    for k, (schedule, overrides) in enumerate(zip(schedules, parameters)):
        started = _clock.perf_counter()
        t0 = min(grid[0], schedule.actions[0].time) if schedule.actions else grid[0]
        try:
            with engine.checkout(model, schedule.infusion_targets) as session:
                session.select(observables)
                if recorded is None:
                    recorded = session.recorded
                    values = np.full((grid.size, len(recorded), len(schedules)), np.nan)
                session.start(overrides, t0, reinitialize=reinitialize)
                out = drive(session, schedule.actions, grid, limit, started)
                constants.append(session.constant_values())
        except Exception as exc:  # noqa: BLE001 - one subject's failure is recorded, the batch goes on
            constants.append({})
            errors.append(exc)
            continue
        assert values is not None
        values[:, :, k] = out
        errors.append(None)
    if values is None:  # every subject failed before a session was lent
        recorded = ()
        values = np.full((grid.size, 0, len(schedules)), np.nan)
    assert recorded is not None
    return Solution(recorded, values, tuple(constants), tuple(errors))


def drive(
    session: Session, actions: tuple[Action, ...], grid: np.ndarray, wall_limit: float, started: float
) -> np.ndarray:
    """Integrate ``session`` over ``grid`` applying ``actions``; values ``(time, recorded)``.

    The session must be started; ``started`` (perf_counter) and ``wall_limit`` bound the run.
    """
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
