"""The JAX/diffrax engine: one jitted segment integrator per compiled model, behind the Session protocol.

The simulator's segment driver (:func:`trdlab.engines.drive.drive`) applies doses between segments,
exactly as for libRoadRunner; each segment is one ``diffrax.diffeqsolve`` on a segment-local clock
(the model reads ``t = t_start + tau``), so the compiled function is the same for every segment
and every parameter set. Solver: Kvaerno5 (an L-stable ESDIRK of order 5 with an embedded order-4
error estimate) with a PID step-size controller at the engine's tolerances; implicit because the
trdlab models are stiff (time scales from minutes, receptor binding and PK distribution, to weeks,
synaptic remodelling and HPA adaptation). float64 throughout.
"""

from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Iterator
from typing import Any, Mapping, Sequence

import jax

jax.config.update("jax_enable_x64", True)

import diffrax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from trdlab.dosing.schedule import Schedule  # noqa: E402
from trdlab.engines.base import EngineSettings, Solution  # noqa: E402
from trdlab.engines.drive import solve_with_sessions  # noqa: E402
from trdlab.engines.jax.codegen import JaxModel  # noqa: E402
from trdlab.errors import ModelError, SimulationError  # noqa: E402
from trdlab.model.sbml_model import Model  # noqa: E402

_PROCESS_ENGINES: dict[EngineSettings, "JaxEngine"] = {}


def engine_for(settings: EngineSettings) -> "JaxEngine":
    """This process's JAX engine with ``settings`` (what an engine unpickles to)."""
    if settings not in _PROCESS_ENGINES:
        _PROCESS_ENGINES[settings] = JaxEngine(settings)
    return _PROCESS_ENGINES[settings]


class JaxEngine:
    """JAX + diffrax (Kvaerno5, PID controller); compiled models are cached per (SBML, inputs)."""

    name = "jax"

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def __reduce__(self) -> tuple[object, tuple[EngineSettings]]:
        return engine_for, (self.settings,)

    def describe(self) -> dict[str, object]:
        s = self.settings
        return {"name": self.name, "version": f"jax {jax.__version__}, diffrax {diffrax.__version__}",
                "integrator": "kvaerno5+pid", "relative_tolerance": s.relative_tolerance,
                "absolute_tolerance": s.absolute_tolerance, "max_steps": s.max_steps,
                "wall_limit_s": s.wall_limit_s, "stiff": True}

    def _compile(self, model: Model, targets: tuple[str, ...]) -> "_Compiled":
        key = (model.sha256, targets)
        if key not in self._compiled:
            self._compiled[key] = _Compiled(model, targets, self.settings)
        return self._compiled[key]

    def session(self, model: Model, infusion_targets: Sequence[str]) -> "JaxSession":
        targets = tuple(sorted(set(infusion_targets)))
        for sid in targets:
            info = model.species_info(sid)
            if info.boundary or info.constant or info.ruled:
                raise ModelError(f"cannot infuse into species {sid!r} of model {model.name!r}: it is fixed by a "
                                 "boundary condition, constant flag or rule; dose a species that reactions change")
        return JaxSession(self._compile(model, targets))

    @contextmanager
    def checkout(self, model: Model, infusion_targets: Sequence[str]) -> Iterator["JaxSession"]:
        yield self.session(model, infusion_targets)

    def solve(
        self, model: Model, schedules: Sequence[Schedule], parameters: Sequence[Mapping[str, float]],
        times: np.ndarray, *, observables: Sequence[str] | None = None, reinitialize: bool = True,
    ) -> Solution:
        return solve_with_sessions(self, model, schedules, parameters, times, observables=observables,
                                   reinitialize=reinitialize)


class _Compiled:
    """One model's jitted functions: initial state and one integration segment."""

    def __init__(self, model: Model, targets: tuple[str, ...], settings: EngineSettings) -> None:
        ruled_params = {p for p in model.parameters if p not in model.constant_parameters}
        variable_compartments = [c for c in model.compartments if c not in model.constant_compartments]
        self.all_recorded = tuple(list(model.species_ids) + variable_compartments + [p for p in model.parameters if p in ruled_params])
        self.jm = JaxModel(model.sbml, targets, self.all_recorded)
        self.model = model
        self.targets = targets
        self.settings = settings
        jm = self.jm
        self.initial = jax.jit(jm.initial)
        term = diffrax.ODETerm(lambda tau, y, args: jm.rhs(args[0] + tau, y, args[1], args[2]))
        solver = diffrax.Kvaerno5()
        controller = diffrax.PIDController(rtol=settings.relative_tolerance, atol=settings.absolute_tolerance)

        def segment(y0: Any, p: Any, u: Any, t_start: Any, duration: Any, ts: Any) -> tuple[Any, Any, Any]:
            sol = diffrax.diffeqsolve(
                term, solver, 0.0, duration, None, y0, args=(t_start, p, u),
                saveat=diffrax.SaveAt(ts=jnp.clip(ts - t_start, 0.0, duration), t1=True),
                stepsize_controller=controller, max_steps=settings.max_steps, throw=False,
            )
            ys = sol.ys
            return ys[:-1], ys[-1], sol.result == diffrax.RESULTS.successful

        self.segment = jax.jit(segment)
        self.observe = jax.jit(jax.vmap(jm.observe, in_axes=(0, 0, None)))


class JaxSession:
    """The Session protocol on a compiled JAX model (one subject)."""

    def __init__(self, compiled: _Compiled) -> None:
        self._c = compiled
        jm = compiled.jm
        self.state_species = jm.state_species
        self._all = compiled.all_recorded
        self.recorded = self._all
        self._columns = np.arange(len(self._all))
        self._constants: list[str] = []
        self._all_constants = [c for c in compiled.model.compartments if c in compiled.model.constant_compartments] + [
            p for p in compiled.model.parameters if p in compiled.model.constant_parameters]
        self._symbols = jm.symbols
        self._symbol_index = {s: i for i, s in enumerate(self._symbols)}
        self._settable = set(compiled.model.species_ids) | set(compiled.model.compartments) | {
            p for p in compiled.model.parameters if p not in jm.assigned}
        self._n_species = len(jm.state_species)
        self._u = np.zeros(len(compiled.targets))
        self._time = 0.0

    def select(self, observables: Sequence[str] | None) -> None:
        if observables is None:
            self.recorded = self._all
            self._constants = list(self._all_constants)
        else:
            wanted = set(observables)
            self.recorded = tuple(n for n in self._all if n in wanted)
            self._constants = [n for n in self._all_constants if n in wanted]
        self._columns = np.array([self._all.index(n) for n in self.recorded], dtype=int)

    def start(self, parameters: Mapping[str, float], t0: float, *, reinitialize: bool = True) -> None:
        for name in parameters:
            if name not in self._settable:
                raise ModelError(
                    f"parameter override {name!r} is not a constant parameter, compartment or species "
                    "of the model; check the id (`trdlab build` writes the model's SBML)")
        n = len(self._symbols)
        values, mask = np.zeros(n), np.zeros(n, dtype=bool)
        for name, value in parameters.items():
            values[self._symbol_index[name]], mask[self._symbol_index[name]] = float(value), True
        jm = self._c.jm
        if reinitialize:
            p, y = self._c.initial(float(t0), values, mask)
            p, y = np.array(p), np.array(y)
            self._y0 = y.copy()
        else:
            p, y = (np.array(a) for a in self._c.initial(float(t0), np.zeros(n), np.zeros(n, dtype=bool)))
            for name, value in parameters.items():
                if jm.is_constant(name):
                    p[jm.constant_index(name)] = float(value)
                elif name in jm.state:
                    y[jm.state_index(name)] = float(value)
            self._y0 = y.copy()
        self._p, self._y = p, y
        self._u = np.zeros(len(self._c.targets))
        self._time = float(t0)

    def reset_state(self) -> None:
        self.set_amounts(self.initial_amounts())
        self._u[:] = 0.0

    def amounts(self) -> np.ndarray:
        return self._y[: self._n_species].copy()

    def set_amounts(self, amounts: np.ndarray) -> None:
        self._y = self._y.copy()
        self._y[: self._n_species] = amounts

    def initial_amounts(self) -> np.ndarray:
        return self._y0[: self._n_species].copy()

    def set_time(self, t: float) -> None:
        self._time = float(t)

    def add_amount(self, species_id: str, amount: float) -> None:
        self._y = self._y.copy()
        self._y[self._c.jm.state_index(species_id)] += float(amount)

    def set_input_rate(self, species_id: str, rate: float) -> None:
        self._u[self._c.targets.index(species_id)] = float(rate)

    def constant_values(self) -> dict[str, float]:
        jm = self._c.jm
        return {n: float(self._p[jm.constant_index(n)]) for n in self._constants if jm.is_constant(n)}

    def _observe(self, states: np.ndarray, times: np.ndarray) -> np.ndarray:
        if states.shape[0] == 0:
            return np.empty((0, len(self.recorded)))
        full = np.asarray(self._c.observe(jnp.asarray(times), jnp.asarray(states), jnp.asarray(self._p)))
        return full[:, self._columns]

    def advance(self, out_times: np.ndarray, t_end: float) -> np.ndarray:
        now = self._time
        out_times = np.asarray(out_times, dtype=float)
        end = max(float(t_end), float(out_times[-1]) if out_times.size else float(t_end))
        if end <= now:
            states = np.repeat(self._y[None, :], out_times.size, axis=0)
            return self._observe(states, out_times)
        size = 1 << max(0, int(np.ceil(np.log2(max(1, out_times.size)))))  # pad: one compile per power of 2
        padded = np.full(size, end)
        padded[: out_times.size] = out_times
        ys, y_end, ok = self._c.segment(jnp.asarray(self._y), jnp.asarray(self._p), jnp.asarray(self._u),
                                        now, end - now, jnp.asarray(padded))
        y_end = np.array(y_end)
        if not bool(ok) or not np.all(np.isfinite(y_end)):
            raise SimulationError(
                f"the jax engine (Kvaerno5) failed between t={now:g} and t={end:g} (max steps or a non-finite "
                "state); loosen the tolerances, raise max_steps, or check the parameters")
        states = np.array(ys)[: out_times.size]
        at_now = out_times <= now
        if at_now.any():
            states[at_now] = self._y
        self._y = y_end
        self._time = end
        return self._observe(states, out_times)
