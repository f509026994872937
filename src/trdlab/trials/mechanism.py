"""The mechanistic part of a virtual trial: one human-model simulation per subject.

A subject's plan is data (overrides, regimen, output times); :func:`simulate_plans` runs the
plans in chunks on :func:`trdlab.parallel.run_tasks` and returns one trajectory per plan.
A subject whose simulation fails gets ``error`` set and no values: it is recorded, and the
batch goes on.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trdlab.dosing.regimen import Regimen
from trdlab.engines.base import Engine
from trdlab.errors import TrdlabError
from trdlab.result import Result
from trdlab.parallel import Runner, Workers, run_tasks

OBSERVABLES_FILE = Path(__file__).resolve().parents[1] / "library" / "clinical" / "observables.toml"


@dataclass(frozen=True)
class TrialObservables:
    """What a trial reads from the human model (``library/clinical/observables.toml``)."""

    synaptic_efficacy: tuple[str, ...]
    dissociation: str
    biomarkers: tuple[str, ...]

    @property
    def recorded(self) -> tuple[str, ...]:
        """Every observable simulated and kept per subject: inputs first, then the biomarkers, then
        the observables the biomarker library's measurement models read (``library/biomarkers.toml``)."""
        from trdlab.biomarkers.definitions import load_library

        read = [name for marker in load_library().biomarkers.values() for name in marker.observables]
        return tuple(dict.fromkeys((*self.synaptic_efficacy, self.dissociation, *self.biomarkers, *read)))


def load_trial_observables(path: Path = OBSERVABLES_FILE) -> TrialObservables:
    """Read the trial observables table."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        return TrialObservables(tuple(data["synaptic_efficacy"]), str(data["dissociation"]), tuple(data["biomarkers"]))
    except (KeyError, TypeError) as exc:
        raise TrdlabError(f"{path}: needs synaptic_efficacy (list), dissociation (id) and biomarkers (list): {exc}") from None


TRIAL_OBSERVABLES = load_trial_observables()
OBSERVABLES: tuple[str, ...] = TRIAL_OBSERVABLES.recorded
"""Observables a trial records per subject (symptom inputs and biomarkers), from the clinical library."""


@dataclass(frozen=True)
class SubjectPlan:
    """What to simulate for one subject: parameter overrides, doses and output times (hours)."""

    subject: int
    overrides: tuple[tuple[str, float], ...]
    regimen: Regimen
    times: tuple[float, ...]
    compounds: tuple[str, ...] = ()
    """Catalogue compounds whose PK the build generates (composed into the human model)."""


@dataclass(frozen=True)
class Trajectory:
    """One subject's observables at the plan's times (``values`` is None when it failed)."""

    subject: int
    values: dict[str, np.ndarray] | None
    error: str | None = None


_MODELS: dict[tuple[str, ...], object] = {}


def _human_model(compounds: tuple[str, ...] = ()) -> object:
    """The human model (with the generated compounds a design doses), built once per process."""
    if compounds not in _MODELS:
        from trdlab.model.build import build_model

        _MODELS[compounds] = build_model("human", compounds=compounds)
    return _MODELS[compounds]


def simulate_plan(plan: SubjectPlan, observables: Sequence[str] = OBSERVABLES, engine: Engine | None = None) -> Trajectory:
    """Simulate one plan; trdlab errors and solver failures become ``Trajectory.error``."""
    return simulate_batch_of_plans([plan], observables, engine)[0]


def simulate_batch_of_plans(plans: Sequence[SubjectPlan], observables: Sequence[str] = OBSERVABLES,
                            engine: Engine | None = None) -> list[Trajectory]:
    """Simulate plans through the engine's batched call, recording only ``observables``.

    Plans that share their compounds and output times form one batch; a failing subject becomes a
    :class:`Trajectory` with ``error`` set, and the others go on.
    """
    from trdlab.simulate import simulate_batch

    groups: dict[tuple[tuple[str, ...], tuple[float, ...]], list[int]] = {}
    for index, plan in enumerate(plans):
        groups.setdefault((plan.compounds, plan.times), []).append(index)
    out: list[Trajectory | None] = [None] * len(plans)
    for (compounds, times), members in groups.items():
        batch = [plans[i] for i in members]
        try:
            results = simulate_batch(_human_model(compounds), [p.regimen for p in batch], np.asarray(times),
                                     parameters=[dict(p.overrides) for p in batch], reinitialize=False,
                                     observables=observables, engine=engine)
        except (TrdlabError, RuntimeError, ValueError) as exc:
            results = [exc] * len(batch)
        for i, plan, result in zip(members, batch, results):
            out[i] = _trajectory(plan, result, observables)
    return [t for t in out if t is not None]


def _trajectory(plan: SubjectPlan, result: object, observables: Sequence[str]) -> Trajectory:
    if isinstance(result, BaseException):
        return Trajectory(plan.subject, None, f"{type(result).__name__}: {result}")
    assert isinstance(result, Result)
    values = {name: np.array(result.column(name), dtype=float, copy=True) for name in observables}
    if not all(np.all(np.isfinite(v)) for v in values.values()):
        return Trajectory(plan.subject, None, "SimulationError: non-finite values in the trajectory")
    return Trajectory(plan.subject, values)


def _simulate_chunk(task: tuple[Sequence[SubjectPlan], Engine | None]) -> list[Trajectory]:
    plans, engine = task
    return simulate_batch_of_plans(plans, OBSERVABLES, engine)


def simulate_plans(
    plans: Sequence[SubjectPlan],
    *,
    workers: Workers = 1,
    scheduler: str | None = None,
    chunk_size: int = 25,
    progress: Callable[[int, int], None] | None = None,
    runner: Runner | None = None,
    engine: Engine | None = None,
) -> list[Trajectory]:
    """Simulate every plan (chunked over processes or a Dask cluster), in plan order.

    ``runner``: an open back-end to reuse (else one is opened from ``workers`` / ``scheduler``);
    ``engine``: the simulation backend, sent with each chunk (default: libRoadRunner).
    """
    if runner is not None and runner.scheduler is None and runner.workers > 1:
        # at least four chunks per local worker, so that small cohorts keep every core busy too
        chunk_size = max(1, min(chunk_size, -(-len(plans) // (4 * runner.workers))))
    chunks = [(list(plans[i : i + chunk_size]), engine) for i in range(0, len(plans), chunk_size)]

    def tick(finished: int, total: int) -> None:
        if progress:
            progress(min(finished * chunk_size, len(plans)), len(plans))

    nested = run_tasks(_simulate_chunk, chunks, workers=workers, scheduler=scheduler, progress=tick, runner=runner)
    return [trajectory for chunk in nested for trajectory in chunk]
