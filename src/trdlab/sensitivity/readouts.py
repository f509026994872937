"""Evaluators: a matrix of log-factors (one row per sample, one column per range) -> one readout per row.

Each evaluator is a frozen dataclass (data, picklable: it travels to the runner's workers, which
build and cache their own models) whose call simulates every row through the batched engine call:

- :class:`ProtocolReadout`: one observable at one time after a named protocol (``OBS@TIME``);
- :class:`CheckReadout`: the value an experiment's check is judged on (e.g. P03's spine ratio,
  ketamine vs vehicle at 24 h), every arm under the row's parameters;
- :class:`TrialReadout`: a virtual-trial rate (response at a visit in an arm) with common random
  numbers: the same patients (seed), only the parameters move; each subject's own value of a
  varied parameter is multiplied by the row's factor.

A row whose simulation fails gives NaN (counted and reported by the analysis, never dropped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, cast

import numpy as np

from trdlab.model.build import SpeciesName
from trdlab.model.sbml_model import Model

if TYPE_CHECKING:
    from trdlab.experiments.spec import Experiment

_MODELS: dict[tuple[str, tuple[str, ...]], Model] = {}
_EXPERIMENT_MODELS: dict[str, Model] = {}
"""Models built in this process (each worker builds its own once)."""


def _model(species: str, compounds: tuple[str, ...] = ()) -> Model:
    if (species, compounds) not in _MODELS:
        from trdlab.model.build import build_model

        _MODELS[species, compounds] = build_model(cast(SpeciesName, species), compounds=compounds)
    return _MODELS[species, compounds]


@lru_cache(maxsize=None)
def _experiment(ident: str) -> Experiment:
    """The packaged experiment ``ident``, read once per process (not once per chunk of samples)."""
    from trdlab.experiments.loading import load_experiments

    return next(e for e in load_experiments() if e.id == ident)


def _factors(names: tuple[str, ...], nominal: tuple[float, ...], row: np.ndarray) -> dict[str, float]:
    return {name: value * math.exp(float(x)) for name, value, x in zip(names, nominal, row)}


@dataclass(frozen=True)
class ProtocolReadout:
    """``observable`` at ``time_h`` after ``protocol`` (with ``options``) on the ``species`` model."""

    species: str
    protocol: str
    options: tuple[tuple[str, str], ...]
    observable: str
    time_h: float
    names: tuple[str, ...]
    nominal: tuple[float, ...]

    @property
    def label(self) -> str:
        return f"{self.observable} at {self.time_h:g} h after {self.protocol}"

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        from trdlab.dosing.catalog import PROTOCOLS
        from trdlab.simulate import simulate_batch

        model = _model(self.species)
        regimen = PROTOCOLS[self.protocol](species=self.species, **dict(self.options))
        results = simulate_batch(model, [regimen] * len(rows), [0.0, self.time_h],
                                 parameters=[_factors(self.names, self.nominal, row) for row in rows],
                                 observables=[self.observable])
        return np.array([math.nan if isinstance(r, BaseException) else float(r.column(self.observable)[-1])
                         for r in results])


@dataclass(frozen=True)
class CheckReadout:
    """The measured value of check ``check`` of experiment ``experiment`` (arms' own overrides kept, then scaled)."""

    experiment: str
    check: str
    names: tuple[str, ...]
    nominal: tuple[float, ...]

    @property
    def label(self) -> str:
        return f"{self.experiment}.{self.check}"

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        from trdlab.experiments.runner import run_experiment

        spec = _experiment(self.experiment)
        check = next(c for c in spec.checks if c.id == self.check)
        needed = {getattr(check, a, None) for a in ("arm", "reference", "other_arm", "other_reference")}
        spec = replace(spec, arms=tuple(a for a in spec.arms if a.name in needed), checks=(check,))  # only what it reads
        out = []
        for row in rows:
            arms = []
            for arm in spec.arms:
                own = dict(arm.parameters)
                scaled = {name: own.get(name, value) * math.exp(float(x))
                          for name, value, x in zip(self.names, self.nominal, row)}
                arms.append(replace(arm, parameters=tuple({**own, **scaled}.items())))
            outcome = run_experiment(replace(spec, arms=tuple(arms)), models=_EXPERIMENT_MODELS)
            values = [c.value for c in outcome.checks if c.id == self.check]
            out.append(values[0] if outcome.status != "error" and values else math.nan)
        return np.array(out, dtype=float)


@dataclass(frozen=True)
class TrialReadout:
    """``response_rate`` (or ``remission_rate``) in ``arm`` at ``visit`` of a virtual trial; same patients for every row."""

    design: str
    n: int
    seed: int
    arm: str
    visit: str
    metric: str
    names: tuple[str, ...]
    nominal: tuple[float, ...]

    @property
    def label(self) -> str:
        return f"{self.metric} in {self.arm} at {self.visit} ({self.design}, n={self.n}, seed {self.seed})"

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        from trdlab.clinical.parameters import load_clinical_parameters
        from trdlab.clinical.scales import load_scale
        from trdlab.trials.design import load_design
        from trdlab.trials.mechanism import simulate_batch_of_plans
        from trdlab.trials.run import cohort_from, plan_cohort
        from trdlab.trials.scoring import score

        design = load_design(self.design)
        params = load_clinical_parameters()
        plan = plan_cohort(design, n=self.n, seed=self.seed, params=params)
        scale = load_scale(design.scale)
        column = {"response_rate": "response", "remission_rate": "remission"}[self.metric]
        out = []
        for row in rows:
            plans = []
            for subject in plan.plans:
                own = dict(subject.overrides)
                for name, value, x in zip(self.names, self.nominal, row):
                    own[name] = own.get(name, value) * math.exp(float(x))
                plans.append(replace(subject, overrides=tuple(sorted(own.items()))))
            cohort = cohort_from(design, plan, simulate_batch_of_plans(plans))
            table = score(cohort, params, scale, response=design.response, remission=design.remission_threshold)
            chosen = table[(table.arm == self.arm) & (table.visit == self.visit) & (table.status == "ok")]
            out.append(float(chosen[column].mean()) if len(chosen) else math.nan)
        return np.array(out, dtype=float)
