"""libRoadRunner (CVODE, LLVM JIT) implementation of the engine interface.

Zero-order inputs are added to a copy of the SBML as one parameter and one
reaction per infused species (``trdlab_input_<id>``), and only for species a
regimen actually infuses, so a model without infusions is simulated exactly as
written. Each engine owns a :class:`~trdlab.engines.pool.SessionPool` of compiled instances
per (SBML sha256, infused species); :meth:`RoadRunnerEngine.checkout` lends one to a single
caller at a time, so threads sharing an engine never share a RoadRunner instance.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Mapping, Sequence

import libsbml
import numpy as np
import roadrunner

from trdlab.dosing.schedule import Schedule
from trdlab.engines.base import EngineSettings, Solution
from trdlab.engines.drive import solve_with_sessions
from trdlab.engines.pool import SessionPool
from trdlab.errors import DoseError, ModelError, SimulationError
from trdlab.model.sbml_model import Model

INPUT_PREFIX = "trdlab_input_"
_CACHE_SIZE = 16
_PROCESS_ENGINES: dict[EngineSettings, "RoadRunnerEngine"] = {}


def engine_for(settings: EngineSettings) -> "RoadRunnerEngine":
    """This process's engine with ``settings`` (one per settings): what an engine unpickles to.

    An engine sent to a worker process (a task argument) arrives as that worker's own engine for
    the same settings, with its pool of compiled sessions: each worker compiles a model once for
    the whole pool's life, not once per task.
    """
    if settings not in _PROCESS_ENGINES:
        _PROCESS_ENGINES[settings] = RoadRunnerEngine(settings)
    return _PROCESS_ENGINES[settings]


class RoadRunnerEngine:
    """The default engine: libRoadRunner with CVODE.

    Args:
        settings: tolerances and limits; see :class:`EngineSettings`.
    """

    name = "libroadrunner"

    def __init__(self, settings: EngineSettings | None = None) -> None:
        # libRoadRunner's own notices (e.g. deprecations) are not for the user; failures still
        # raise. SUNDIALS prints CVODE warnings itself (to stdout), whatever this level.
        roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
        self.settings = settings or EngineSettings()
        self._pool: SessionPool[RoadRunnerSession] = SessionPool(_CACHE_SIZE)

    def __reduce__(self) -> tuple[object, tuple[EngineSettings]]:
        return engine_for, (self.settings,)

    @property
    def version(self) -> str:
        return roadrunner.__version__

    def describe(self) -> dict[str, object]:
        """Name, version and settings, for result manifests."""
        s = self.settings
        return {
            "name": self.name,
            "version": self.version,
            "integrator": "cvode",
            "relative_tolerance": s.relative_tolerance,
            "absolute_tolerance": s.absolute_tolerance,
            "max_steps": s.max_steps,
            "wall_limit_s": s.wall_limit_s,
            "stiff": s.stiff,
        }

    def session(self, model: Model, infusion_targets: Sequence[str]) -> RoadRunnerSession:
        """A newly compiled session, owned by the caller (never pooled, never shared)."""
        targets = tuple(sorted(set(infusion_targets)))
        sbml = model.sbml if not targets else with_inputs(model, targets)
        return RoadRunnerSession(sbml, model, targets, self.settings)

    def checkout(
        self, model: Model, infusion_targets: Sequence[str]
    ) -> AbstractContextManager[RoadRunnerSession]:
        """Borrow a compiled session from this engine's pool for one simulation.

        ``with engine.checkout(model, targets) as session:`` -- the session is this caller's
        alone until the block ends, then it goes back to the pool for the next caller.
        """
        targets = tuple(sorted(set(infusion_targets)))
        return self._pool.lend((model.sha256, targets), lambda: self.session(model, targets))

    def solve(
        self, model: Model, schedules: Sequence[Schedule], parameters: Sequence[Mapping[str, float]],
        times: np.ndarray, *, observables: Sequence[str] | None = None, reinitialize: bool = True,
    ) -> Solution:
        """The batched call: a loop over the subjects, each on a session lent from the pool."""
        return solve_with_sessions(self, model, schedules, parameters, times, observables=observables,
                                   reinitialize=reinitialize)


def with_inputs(model: Model, targets: Sequence[str]) -> str:
    """Return the model's SBML with a zero-order input reaction into each target species."""
    document = libsbml.readSBMLFromString(model.sbml)
    sbml_model = document.getModel()
    for species_id in targets:
        info = model.species_info(species_id)
        if info.boundary or info.constant or info.ruled:
            raise DoseError(
                f"cannot infuse into species {species_id!r} of model {model.name!r}: it is "
                "fixed by a boundary condition, constant flag or rule; dose a species that "
                "reactions change"
            )
        parameter = sbml_model.createParameter()
        parameter.setId(INPUT_PREFIX + species_id)
        parameter.setValue(0.0)
        parameter.setConstant(False)
        reaction = sbml_model.createReaction()
        reaction.setId(INPUT_PREFIX + "reaction_" + species_id)
        reaction.setReversible(False)
        if document.getLevel() == 3 and document.getVersion() == 1:
            reaction.setFast(False)
        product = reaction.createProduct()
        product.setSpecies(species_id)
        product.setStoichiometry(1.0)
        if document.getLevel() == 3:
            product.setConstant(True)
        law = reaction.createKineticLaw()
        law.setMath(libsbml.parseL3Formula(INPUT_PREFIX + species_id))
    return libsbml.writeSBMLToString(document)


class RoadRunnerSession:
    """A compiled RoadRunner instance with the session protocol."""

    def __init__(
        self, sbml: str, model: Model, targets: tuple[str, ...], settings: EngineSettings
    ) -> None:
        # No per-model Python attributes on the RoadRunner class: a model symbol named like a
        # method (e.g. a parameter ``reset``) would shadow it, and deleting those attributes
        # on the next load deletes the method itself. The session uses getValue/setValue only.
        roadrunner.Config.setValue(roadrunner.Config.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES, True)
        try:
            self._rr = roadrunner.RoadRunner(sbml)
            roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)  # a new instance may reset the level
        except RuntimeError as exc:
            raise ModelError(f"libRoadRunner cannot load model {model.name!r}: {exc}") from exc
        self._configure(settings)
        self._species = model.species_ids
        self._species_index = {sid: i for i, sid in enumerate(self._species)}
        self._input_ids = {sid: INPUT_PREFIX + sid for sid in targets}
        rr_model = self._rr.model
        floating = set(rr_model.getFloatingSpeciesIds())
        self.state_species = tuple(
            s.id for s in model.species if s.id in floating and not s.ruled
        )
        constant_compartments = model.constant_compartments
        variable_compartments = [c for c in model.compartments if c not in constant_compartments]
        variable_parameters = [p for p in model.parameters if p not in model.constant_parameters]
        self._constants = [c for c in model.compartments if c in constant_compartments] + [
            p for p in model.parameters if p in model.constant_parameters
        ]
        self._all_recorded = tuple(list(self._species) + variable_compartments + variable_parameters)
        self._all_constants = tuple(self._constants)
        self.recorded = self._all_recorded
        self._rr.timeCourseSelections = ["time", *self.recorded]
        self._defaults: dict[str, float] = {}
        self._dirty: set[str] = set()
        self._time = 0.0
        self._settings = settings
        self._state_set = frozenset(self.state_species)
        self._species_overrides: dict[str, float] = {}
        self._init_sensitive = _initial_condition_symbols(sbml)
        self._uses_time = uses_time(sbml)
        ruled = _ruled(sbml)  # parse once (it was re-parsed per parameter: ~4 s for the human model)
        self._settable = frozenset(self._species) | frozenset(model.compartments) | frozenset(
            p for p in model.parameters if p not in ruled
        )

    def _configure(self, settings: EngineSettings) -> None:
        integrator = self._integrator = self._rr.getIntegrator()
        integrator.setValue("relative_tolerance", settings.relative_tolerance)
        integrator.setValue("absolute_tolerance", settings.absolute_tolerance)
        integrator.setValue("maximum_num_steps", settings.max_steps)
        integrator.setValue("stiff", settings.stiff)
        integrator.setValue("variable_step_size", False)

    def select(self, observables: Sequence[str] | None) -> None:
        if observables is None:
            recorded, constants = self._all_recorded, list(self._all_constants)
        else:
            wanted = set(observables)
            recorded = tuple(n for n in self._all_recorded if n in wanted)
            constants = [n for n in self._all_constants if n in wanted]
        self._constants = constants
        if recorded != self.recorded:
            self.recorded = recorded
            self._rr.timeCourseSelections = ["time", *recorded]

    # -- state ---------------------------------------------------------------------------
    def start(self, parameters: Mapping[str, float], t0: float, *, reinitialize: bool = True) -> None:
        """Reset with overrides.

        An override is applied as the current value right after the reset (microseconds),
        unless the model's initial conditions depend on it (an initial assignment reads it,
        or it is the volume of a compartment whose species start from a concentration): then
        it is set as the initial value and libRoadRunner regenerates the model (~35 ms for a
        small model, ~0.8 s for the full human model). With ``reinitialize=False`` every
        override takes the fast path: the initial state stays the default one (use it when a
        run-in brings the state to the subject's steady state anyway).
        """
        rr = self._rr
        slow = {name: value for name, value in parameters.items()
                if reinitialize and name in self._init_sensitive}
        changed = False
        for name in self._dirty - set(slow):
            rr.setValue(f"init({name})", self._defaults[name])
            changed = True
        for name, value in slow.items():
            if name not in self._defaults:
                self._defaults[name] = rr.getValue(f"init({name})")
            rr.setValue(f"init({name})", float(value))
            changed = True
        self._dirty = set(slow)
        if changed:  # libRoadRunner regenerated the model: restore selections and settings
            rr.timeCourseSelections = ["time", *self.recorded]
            self._configure(self._settings)
        rr.resetAll()
        self._species_overrides = {n: float(v) for n, v in parameters.items() if n in self._state_set}
        for name, value in parameters.items():
            if name in slow:
                continue
            if name not in self._settable:
                raise ModelError(
                    f"parameter override {name!r} is not a constant parameter, compartment or species "
                    "of the model; check the id (`trdlab build` writes the model's SBML)"
                )
            rr.setValue(name, float(value))
        for input_id in self._input_ids.values():
            rr.setValue(input_id, 0.0)
        self._time = float(t0)
        if t0 != 0.0:
            rr.model.setTime(float(t0))

    def reset_state(self) -> None:
        self.set_amounts(self.initial_amounts())
        for input_id in self._input_ids.values():
            self._rr.setValue(input_id, 0.0)

    def amounts(self) -> np.ndarray:
        return np.array([self._rr.getValue(sid) for sid in self.state_species], dtype=float)

    def set_amounts(self, amounts: np.ndarray) -> None:
        for sid, value in zip(self.state_species, amounts):
            self._rr.setValue(sid, float(value))

    def initial_amounts(self) -> np.ndarray:
        overrides = self._species_overrides
        return np.array(
            [overrides[sid] if sid in overrides else self._rr.getValue(f"init({sid})") for sid in self.state_species],
            dtype=float,
        )

    def set_time(self, t: float) -> None:
        self._time = float(t)

    def add_amount(self, species_id: str, amount: float) -> None:
        self._rr.setValue(species_id, self._rr.getValue(species_id) + float(amount))

    def set_input_rate(self, species_id: str, rate: float) -> None:
        self._rr.setValue(self._input_ids[species_id], float(rate))

    def constant_values(self) -> dict[str, float]:
        return {name: self._rr.getValue(name) for name in self._constants}

    # -- integration ---------------------------------------------------------------------
    def advance(self, out_times: np.ndarray, t_end: float) -> np.ndarray:
        now = self._time
        n_out = len(out_times)
        if n_out == 0 and t_end <= now:
            return np.empty((0, len(self.recorded)))
        if n_out and out_times[0] <= now:
            grid = list(out_times)
            first = 0
        else:
            grid = [now, *out_times]
            first = 1
        if t_end > grid[-1]:
            grid.append(t_end)
        if len(grid) == 1:
            values = np.array([[self._rr.getValue(name) for name in self.recorded]])
            return values
        if not self._uses_time:
            # Segment-local clock: a segment starts at a discontinuity (dose, rate change), where
            # CVODE restarts with steps sized to the new state (down to ~1e-18 h when a bolus feeds
            # an empty compartment), which are below the spacing of doubles at t = 2160 h (4.5e-13):
            # "t + h = t". An autonomous model's solution does not depend on the clock, so count
            # from 0 at the segment start, where every step CVODE chooses is representable.
            grid = [t - now for t in grid]
            self._rr.model.setTime(0.0)
        try:
            table = self._rr.simulate(times=grid)
        except RuntimeError as exc:
            raise SimulationError(
                f"CVODE failed between t={now:g} and t={t_end:g}: {str(exc).strip().splitlines()[0]}; "
                "loosen the tolerances, raise max_steps, or check the parameters"
            ) from exc
        self._time = max(t_end, out_times[-1]) if n_out else t_end
        return np.asarray(table)[first : first + n_out, 1:]


def uses_time(sbml: str) -> bool:
    """Whether the model's maths reads the clock (SBML csymbol ``time`` or ``delay``).

    Only such a model must be integrated on the absolute clock; any other one is autonomous
    and each segment is integrated from a local time 0.
    """
    return any(f"http://www.sbml.org/sbml/symbols/{symbol}" in sbml for symbol in ("time", "delay"))


def _ruled(sbml: str) -> set[str]:
    sbml_model = libsbml.readSBMLFromString(sbml).getModel()
    return {sbml_model.getRule(i).getVariable() for i in range(sbml_model.getNumRules())}


def _initial_condition_symbols(sbml: str) -> set[str]:
    """Ids whose value changes the model's initial state beyond themselves.

    The symbols read by initial assignments (through assignment rules, transitively) and
    the compartments of species that start from an initial concentration.
    """
    sbml_model = libsbml.readSBMLFromString(sbml).getModel()
    rules = {
        sbml_model.getRule(i).getVariable(): sbml_model.getRule(i)
        for i in range(sbml_model.getNumRules())
        if sbml_model.getRule(i).isAssignment()
    }
    pending = [
        sbml_model.getInitialAssignment(i).getMath() for i in range(sbml_model.getNumInitialAssignments())
    ]
    symbols: set[str] = set()
    while pending:
        math = pending.pop()
        if math is None:
            continue
        if math.isName():
            name = math.getName()
            if name not in symbols:
                symbols.add(name)
                if name in rules:
                    pending.append(rules[name].getMath())
        pending.extend(math.getChild(j) for j in range(math.getNumChildren()))
    assigned = {sbml_model.getInitialAssignment(i).getSymbol() for i in range(sbml_model.getNumInitialAssignments())}
    for species in sbml_model.getListOfSpecies():
        from_concentration = species.isSetInitialConcentration() and species.getInitialConcentration() != 0
        if from_concentration or (species.getId() in assigned and not species.getHasOnlySubstanceUnits()):
            symbols.add(species.getCompartment())
    return symbols
