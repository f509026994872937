"""Run a virtual trial: design + seed -> simulated cohort -> subject table + summary.

``run_trial`` = :func:`simulate_cohort` (population, screening, randomisation, one mechanism
simulation per subject) then :func:`trdlab.trials.scoring.score` (ratings) then
:func:`trdlab.trials.summary.summarize_trial` (statistics). Same seed, same result.

Time: every subject is simulated from ``RUN_IN_DAYS`` before the first dose, so that the
chronic state set by the covariates (stress load, diet, genotype, background therapy) is a
steady state when treatment starts; study time 0 is the first period's first dose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trdlab.clinical.parameters import ClinicalParameters, load_clinical_parameters
from trdlab.clinical.scales import load_scale
from trdlab.clinical.symptoms import Noise
from trdlab.dosing.catalog import PROTOCOL_INFO
from trdlab.engines.base import Engine
from trdlab.errors import TrialError
from trdlab.parallel import Runner, Workers
from trdlab.population import Population, load_population, sample_population
from trdlab.population.covariates import population_names
from trdlab.trials import cohort as cohort_mod
from trdlab.trials.biomarkers import cohort_biomarkers
from trdlab.trials.design import TrialDesign, load_design
from trdlab.trials.mechanism import OBSERVABLES, SubjectPlan, Trajectory, simulate_plans
from trdlab.trials.regimens import arm_regimen, background_regimen, design_compounds
from trdlab.trials.scoring import ArmInfo, Cohort, score
from trdlab.trials.summary import summarize_trial

RUN_IN_DAYS = 90.0
POOL_FACTOR = 4


@dataclass(frozen=True)
class TrialResult:
    """A finished trial: its design, seed, subject table and summary (JSON-ready)."""

    design: TrialDesign
    seed: int
    subjects: pd.DataFrame
    summary: dict
    visit_days: dict[str, float]
    biomarkers: pd.DataFrame | None = None
    """The design's biomarker readings (:mod:`trdlab.trials.biomarkers`); None when it reads none."""

    def _repr_html_(self) -> str:
        """Jupyter: response and remission per arm and visit."""
        from html import escape

        rows = [(arm, visit, v["n"], v["mean"], v["response_rate"], v["remission_rate"])
                for arm, info in self.summary["arms"].items() for visit, v in info["visits"].items()]
        cells = "".join("<tr>" + "".join(f"<td>{escape(x) if isinstance(x, str) else ('-' if x is None else f'{x:.3g}')}</td>"
                                         for x in row) + "</tr>" for row in rows)
        return (f"<p><b>{escape(self.design.name)}</b>: {escape(self.design.title)} (seed {self.seed})</p><table>"
                "<tr><th>arm</th><th>visit</th><th>n</th><th>mean</th><th>response</th><th>remission</th></tr>"
                f"{cells}</table>")


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TrialError(f"seed={seed!r} must be an integer, e.g. --seed 1")
    return int(seed)


def arm_info(design: TrialDesign) -> tuple[ArmInfo, ...]:
    """Scoring facts of each arm: placebo flag and expectancy class (from the protocols' roles/routes)."""
    infos = []
    for arm in design.arms:
        roles = {PROTOCOL_INFO[e.protocol].role for e in arm.regimen}
        routes = {PROTOCOL_INFO[e.protocol].route for e in arm.regimen}
        expectancy = "active_placebo" if "active_placebo" in roles else ("infusion" if "iv" in routes else "oral")
        infos.append(ArmInfo(arm.name, bool(arm.placebo), expectancy))
    return tuple(infos)


def _population(design: TrialDesign, n: int, seed: int) -> Population:
    source = design.population
    if source in population_names():
        return sample_population(source, n, seed)
    population = load_population(source)
    if len(population.covariates) < n:
        raise TrialError(f"population: file {source!r} has {len(population.covariates)} subjects, fewer than n={n}")
    return population


@dataclass(frozen=True)
class CohortPlan:
    """Everything decided from the seed before simulation: who, which arms, which doses, which draws.

    A plan may hold a slice of the trial (a chunk of a streamed cohort): subjects
    ``first_subject .. first_subject + len(plans) - 1``.
    """

    schedule: cohort_mod.Schedule
    covariates: pd.DataFrame
    assignment: np.ndarray
    dropout: np.ndarray
    noise: Noise
    plans: tuple[SubjectPlan, ...]
    first_subject: int = 0


@dataclass(frozen=True)
class Screening:
    """The whole trial's screening and randomisation: which pool subjects are in, which arms, when they leave.

    Memory is a few numbers per subject plus the pool's covariate table; the symptom-model draws
    and the simulation plans are made per chunk (:func:`plan_chunk`).
    """

    design: TrialDesign
    seed: int
    schedule: cohort_mod.Schedule
    pool: Population
    chosen: np.ndarray
    assignment: np.ndarray
    dropout: np.ndarray

    @property
    def n(self) -> int:
        return int(self.chosen.size)


SCREENING_CHUNK = 5000
"""Pool subjects whose symptom-model draws are held at once while screening."""


def screen_cohort(design: TrialDesign, *, n: int | None = None, seed: int = 1,
                  params: ClinicalParameters | None = None) -> Screening:
    """Screen the pool with the inclusion criterion and randomise the included subjects (nothing is simulated).

    Each pool subject's draws come from its own stream, so screening the pool chunk by chunk gives
    the same ratings as all at once, in memory bounded by :data:`SCREENING_CHUNK`.
    """
    seed = _check_seed(seed)
    n = design.n if n is None else n
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise TrialError(f"n={n!r} must be a positive integer")
    params = params or load_clinical_parameters()
    scale = load_scale(design.scale)
    periods = 2 if design.design == "crossover" else 1
    visit_hours = [float(h) for h in design.visit_hours]
    sched = cohort_mod.schedule(visit_hours, periods, float(design.washout_hours or 0.0))
    pool = _population(design, POOL_FACTOR * int(n), seed)
    size = len(pool.covariates)
    severity = pool.covariates["baseline_severity"].to_numpy(float)
    ratings = np.empty(size)
    for start in range(0, size, SCREENING_CHUNK):
        stop = min(size, start + SCREENING_CHUNK)
        noise = cohort_mod.cohort_noise(cohort_mod.subject_generators(seed, stop - start, start), sched)
        ratings[start:stop] = cohort_mod.screening_ratings(severity[start:stop], noise, sched, scale, params)
    chosen = cohort_mod.include(ratings, design.inclusion, int(n))
    allocation_rng = cohort_mod.randomisation_generator(seed)
    assignment = np.array(cohort_mod.randomise(int(n), [a.allocation for a in design.arms], periods, allocation_rng))
    dropout = _dropout(design, sched, int(n), cohort_mod.dropout_generator(seed))
    return Screening(design, seed, sched, pool, chosen, assignment, dropout)


def plan_chunk(screening: Screening, start: int = 0, stop: int | None = None) -> CohortPlan:
    """The simulation plans and symptom-model draws of included subjects ``start .. stop - 1``."""
    stop = screening.n if stop is None else min(stop, screening.n)
    design, sched = screening.design, screening.schedule
    chosen = screening.chosen[start:stop]
    rngs = [cohort_mod.subject_generators(screening.seed, 1, int(i))[0] for i in chosen]
    noise = cohort_mod.cohort_noise(rngs, sched)
    covariates = screening.pool.covariates.iloc[chosen].reset_index(drop=True)
    overrides = screening.pool.parameters.iloc[chosen].reset_index(drop=True)
    assignment = screening.assignment[start:stop]
    plans = tuple(_plan(design, start + k, covariates.iloc[k], overrides.iloc[k], assignment[k], sched)
                  for k in range(stop - start))
    return CohortPlan(sched, covariates, assignment, screening.dropout[start:stop], noise, plans, start)


def plan_cohort(design: TrialDesign, *, n: int | None = None, seed: int = 1,
                params: ClinicalParameters | None = None) -> CohortPlan:
    """Screen, randomise and write every included subject's simulation plan (nothing is simulated)."""
    return plan_chunk(screen_cohort(design, n=n, seed=seed, params=params))


def simulate_cohort(
    design: TrialDesign,
    *,
    n: int | None = None,
    seed: int = 1,
    workers: Workers = 1,
    scheduler: str | None = None,
    params: ClinicalParameters | None = None,
    progress: Callable[[int, int], None] | None = None,
    runner: Runner | None = None,
    engine: Engine | None = None,
) -> Cohort:
    """Screen, randomise and simulate the mechanism of every included subject.

    ``runner`` (an open back-end, kept across calls) takes precedence over ``workers`` /
    ``scheduler``; ``engine`` is the simulation backend (default: libRoadRunner).
    """
    plan = plan_cohort(design, n=n, seed=seed, params=params)
    trajectories = simulate_plans(plan.plans, workers=workers, scheduler=scheduler, progress=progress, runner=runner,
                                  engine=engine)
    return cohort_from(design, plan, trajectories)


def cohort_from(design: TrialDesign, plan: CohortPlan, trajectories: Sequence[Trajectory]) -> Cohort:
    """The simulated cohort: the plan's subjects with their trajectories (one per plan, in order)."""
    sched = plan.schedule
    n_subjects, periods = plan.assignment.shape
    n_grid = sched.grid.size
    timeline = _timeline(sched)
    position = np.searchsorted(np.unique(timeline), timeline)[1:]
    values = {name: np.full((n_subjects, periods, n_grid), np.nan) for name in OBSERVABLES}
    for k, trajectory in enumerate(trajectories):
        if trajectory.values is None:
            continue
        for name in OBSERVABLES:
            values[name][k] = trajectory.values[name][position].reshape(periods, n_grid)
    return Cohort(
        covariates=plan.covariates,
        arms=arm_info(design),
        assignment=plan.assignment,
        schedule=sched,
        visits=tuple(design.visits),
        values=values,
        noise=plan.noise,
        errors=tuple(t.error for t in trajectories),
        dropout=plan.dropout,
        first_subject=plan.first_subject,
    )


def _dropout(design: TrialDesign, sched: cohort_mod.Schedule, n: int, rng: np.random.Generator) -> np.ndarray:
    """Index (among all ratings of all periods) of each subject's first missed rating; inf when none.

    The design's dropout is a constant hazard (1/day) applied from the first dose.
    """
    rate = float(design.dropout_per_day or 0.0)
    days = sched.rating_days
    if rate <= 0:
        return np.full(n, np.inf)
    leave = rng.exponential(1.0 / rate, size=n)
    index = np.searchsorted(days, leave, side="left").astype(float)
    index[index >= days.size] = np.inf
    return index


def _plan(design: TrialDesign, subject: int, covariates: pd.Series, overrides: pd.Series,
          arms: np.ndarray, sched: cohort_mod.Schedule) -> SubjectPlan:
    weight = float(covariates["weight_kg"])
    run_in = RUN_IN_DAYS * 24.0
    regimen = None
    for period, arm_index in enumerate(arms):
        part = arm_regimen(design.arms[int(arm_index)], weight_kg=weight, offset_h=run_in + sched.starts[period])
        regimen = part if regimen is None else regimen + part
    end = run_in + sched.starts[-1] + float(sched.grid[-1])
    therapy = str(covariates.get("background_therapy", "none"))
    background = background_regimen(design, weight_kg=weight, start_h=0.0, end_h=end, therapy=therapy)
    if background is not None:
        regimen = regimen + background
    times = np.unique(_timeline(sched))
    pairs = tuple(sorted((str(k), float(v)) for k, v in overrides.items()
                         if pd.notna(v)))
    return SubjectPlan(subject, pairs, regimen, tuple(float(t) for t in times), design_compounds(design))


def _timeline(sched: cohort_mod.Schedule) -> np.ndarray:
    """Model times (hours) of the run-in start and of every period's grid; a period may start at
    the previous period's last visit, so the same time can appear twice (deduplicated for the solver)."""
    run_in = RUN_IN_DAYS * 24.0
    return np.round(np.array([0.0] + [run_in + start + h for start in sched.starts for h in sched.grid]), 9)


def run_trial(
    design: TrialDesign | str,
    *,
    n: int | None = None,
    seed: int = 1,
    workers: Workers = 1,
    scheduler: str | None = None,
    params: ClinicalParameters | None = None,
    progress: Callable[[int, int], None] | None = None,
    runner: Runner | None = None,
    engine: Engine | None = None,
) -> TrialResult:
    """Run a trial design (a :class:`TrialDesign`, a built-in name or a TOML path).

    The result does not depend on ``workers``, ``scheduler`` or ``runner`` (same seed, same table).
    """
    design = load_design(design) if isinstance(design, str) else design
    params = params or load_clinical_parameters()
    cohort = simulate_cohort(design, n=n, seed=seed, workers=workers, scheduler=scheduler, params=params,
                             progress=progress, runner=runner, engine=engine)
    scale = load_scale(design.scale)
    subjects = score(cohort, params, scale, response=design.response, remission=design.remission_threshold)
    visit_days = {"baseline": 0.0, **{v: h / 24.0 for v, h in zip(design.visits, design.visit_hours)}}
    summary = summarize_trial(subjects[subjects.visit != "baseline"], visit_order=list(design.visits),
                              visit_days=visit_days)
    markers = cohort_biomarkers(design, cohort, _check_seed(seed), params) if design.biomarkers else None
    return TrialResult(design, _check_seed(seed), subjects, summary, visit_days, markers)
