"""`simulate`: the one entry point from a model, a regimen and output times to a `Result`.

The simulator owns time and dosing: it expands the regimen into primitive actions
(:mod:`trdlab.dosing.schedule`) and hands the schedule to the engine's batched call
(:meth:`~trdlab.engines.base.Engine.solve`; libRoadRunner drives a session segment by segment,
:mod:`trdlab.engines.drive`). Values reported at a time include every action at that time
(right-continuous), so an output at a bolus time shows the post-dose state.
:func:`simulate_batch` is the same for many subjects at once (virtual trials): one result or
one recorded error per subject.
"""

from __future__ import annotations

import math
import time as _clock
from typing import Mapping, Sequence

import numpy as np

from trdlab import __version__
from trdlab.dosing.regimen import Regimen
from trdlab.dosing.schedule import expand
from trdlab.engines.base import Engine, Solution
from trdlab.engines.roadrunner import RoadRunnerEngine, engine_for
from trdlab.engines.base import EngineSettings
from trdlab.errors import ModelError
from trdlab.model.sbml_model import Model
from trdlab.result import Result


def default_engine() -> RoadRunnerEngine:
    """The default engine: libRoadRunner with default settings, one per process.

    Safe to share between threads: its compiled sessions are lent to one simulation at a time
    (:meth:`RoadRunnerEngine.checkout`), so concurrent calls never share a RoadRunner instance.
    """
    return engine_for(EngineSettings())


def simulate(
    model: Model,
    regimen: Regimen | None,
    times: Sequence[float] | np.ndarray,
    *,
    engine: Engine | None = None,
    parameters: Mapping[str, float] | None = None,
    reinitialize: bool = True,
    observables: Sequence[str] | None = None,
) -> Result:
    """Simulate ``model`` under ``regimen`` and report its observables at ``times``.

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
        observables: the ids to report (default: every species, compartment and parameter).
            Only these are recorded (with the compartments of the species among them, for
            concentrations), which is faster for a large model read at a few observables.

    Returns:
        A :class:`Result`; nothing passed in is modified.

    Raises:
        ValueError subclasses for bad input; :class:`SimulationError` when the solver fails
        or a step or wall-clock limit is exceeded.
    """
    outcome = simulate_batch(model, [regimen], times, engine=engine, parameters=[parameters or {}],
                             reinitialize=reinitialize, observables=observables)[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def simulate_batch(
    model: Model,
    regimens: Sequence[Regimen | None],
    times: Sequence[float] | np.ndarray,
    *,
    engine: Engine | None = None,
    parameters: Sequence[Mapping[str, float]] | None = None,
    reinitialize: bool = True,
    observables: Sequence[str] | None = None,
) -> list[Result | BaseException]:
    """:func:`simulate` for many subjects on one grid: subject ``k`` gets ``regimens[k]`` and ``parameters[k]``.

    Every subject goes through one batched engine call (:meth:`Engine.solve`). A subject whose
    simulation fails is returned as its exception (recorded, not raised); bad input (times,
    parameter values, observable ids, regimens) raises before anything is simulated.
    """
    started = _clock.perf_counter()
    grid = _check_times(times)
    sets = [{} for _ in regimens] if parameters is None else list(parameters)
    if len(sets) != len(regimens):
        raise ValueError(f"{len(regimens)} regimens but {len(sets)} parameter sets; give one parameter mapping per regimen")
    overrides = [_check_parameters(p) for p in sets]
    wanted, columns = _check_observables(model, observables)
    engine = engine or default_engine()
    schedules = [expand(regimen, model.resolve_cmt) for regimen in regimens]
    solution = engine.solve(model, schedules, overrides, grid, observables=wanted, reinitialize=reinitialize)
    elapsed = (_clock.perf_counter() - started) / max(1, len(regimens))
    return [_result(model, solution, k, grid, columns, regimens[k], overrides[k], engine, elapsed)
            for k in range(len(regimens))]


def _result(model: Model, solution: Solution, k: int, grid: np.ndarray, columns: tuple[str, ...],
            regimen: Regimen | None, overrides: dict[str, float], engine: Engine, elapsed: float) -> Result | BaseException:
    error = solution.errors[k]
    if error is not None:
        return error
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
        "wall_time_s": elapsed,
    }
    wanted = set(columns)
    return Result(
        times=grid,
        recorded=solution.recorded,
        values=solution.values[:, :, k],
        constants=tuple(solution.constants[k].items()),
        columns=columns,
        species_compartments=tuple((s.id, s.compartment) for s in model.species if s.id in wanted),
        units=model.units,
        manifest=manifest,
    )


def _check_observables(model: Model, observables: Sequence[str] | None) -> tuple[list[str] | None, tuple[str, ...]]:
    """The ids to record (with the compartments of requested species) and the result's columns."""
    everything = model.species_ids + model.compartments + model.parameters
    if observables is None:
        return None, everything
    if isinstance(observables, str):
        raise ModelError(f"observables={observables!r} must be a list of ids, not one string; e.g. [{observables!r}]")
    known = set(everything)
    unknown = [name for name in observables if name not in known]
    if unknown:
        raise ModelError(f"observables: {', '.join(map(repr, unknown))} not in model {model.name!r}; use species, "
                         "compartment or parameter ids (`trdlab build` writes the SBML)")
    columns = tuple(dict.fromkeys(observables))
    compartments = {s.id: s.compartment for s in model.species}
    wanted = list(dict.fromkeys([*columns, *(compartments[n] for n in columns if n in compartments)]))
    return wanted, columns


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
