"""Running experiments: simulate every arm on its species' model and judge each check.

An experiment passes only on the model's own simulation: each arm is simulated on the same
output grid (:meth:`~trdlab.experiments.spec.Experiment.times`) with its regimen and parameter
overrides, the readouts (:mod:`trdlab.experiments.readouts`) are computed from those results and
compared with the expectations. Nothing is written back to the experiment or the ledger.

Trial experiments (``cohorts``) run their virtual trials instead (:mod:`~trdlab.experiments.readouts.trial`;
cohorts with equal keys are simulated once per :func:`run_experiments` call and shared).

Status: ``pass`` (every check holds), ``fail`` (at least one does not), ``prediction`` (a
``kind = "prediction"`` experiment: measured values are reported, not judged) or ``error`` (the
model could not be built, a name is not in the model or an arm failed to simulate; the reason is
kept and the other experiments still run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Mapping, MutableMapping, Sequence

from trdlab.clinical.parameters import ClinicalParameters, load_clinical_parameters
from trdlab.engines.base import Engine
from trdlab.errors import ExperimentError, TrdlabError
from trdlab.experiments.loading import load_experiments
from trdlab.experiments.readouts import nca, ratio, signature, trial
from trdlab.experiments.spec import AnyCheck, Check, Experiment
from trdlab.model.build import build_model
from trdlab.model.sbml_model import Model
from trdlab.parallel import Runner, Workers
from trdlab.result import Result
from trdlab.simulate import simulate

Status = Literal["pass", "fail", "prediction", "error"]
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CheckOutcome:
    """One check's measured value, its expectation in words and whether it held (None: prediction)."""

    label: str
    value: float
    expected: str
    passed: bool | None
    id: str = ""
    kind: str = "validation"
    """``calibration`` when a parameter was fitted to this check, else ``validation``."""


@dataclass(frozen=True)
class ExperimentOutcome:
    """What running an experiment gave: status, measured values, expectation and the arms' results."""

    id: str
    title: str
    status: Status
    measured: dict[str, float]
    expected: str
    citation: str
    kind: str
    reason: str | None = None
    checks: tuple[CheckOutcome, ...] = ()
    results: Mapping[str, Result] = field(default_factory=dict, repr=False, compare=False)
    signatures: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Bio-signature experiments: per cohort, ``{"table": signature table, "fits": {outcome: Signature}}``."""
    experiment: Experiment | None = field(default=None, repr=False, compare=False)

    def record(self) -> dict[str, object]:
        """JSON-ready ``{id, status, kind, measured, expected, citation, reason, checks}`` (non-finite values as text).

        ``checks`` lists each check with its own ``kind`` (calibration | validation) and verdict.
        """
        measured = {k: v if math.isfinite(v) else str(v) for k, v in self.measured.items()}
        checks = [{"id": c.id, "label": c.label, "kind": c.kind, "value": c.value if math.isfinite(c.value) else str(c.value),
                   "expected": c.expected, "passed": c.passed} for c in self.checks]
        return {"id": self.id, "status": self.status, "kind": self.kind, "measured": measured, "expected": self.expected,
                "citation": self.citation, "reason": self.reason, "checks": checks}

    def _repr_html_(self) -> str:
        """Jupyter: the verdict and one row per check."""
        from html import escape

        rows = "".join(f"<tr><td>{escape(c.id or c.label)}</td><td>{escape(c.kind)}</td><td>{c.value:.4g}</td>"
                       f"<td>{escape(c.expected)}</td><td>{'-' if c.passed is None else ('pass' if c.passed else 'fail')}</td></tr>"
                       for c in self.checks)
        reason = f"<p>{escape(self.reason)}</p>" if self.reason else ""
        return (f"<p><b>{escape(self.id)}</b> {escape(self.title)}: <b>{escape(self.status)}</b> ({escape(self.kind)})</p>"
                f"{reason}<table><tr><th>check</th><th>kind</th><th>value</th><th>expected</th><th>verdict</th></tr>"
                f"{rows}</table>")

    @property
    def validation_passed(self) -> bool:
        """True when the experiment passed and at least one of its checks is validation (not fitted to)."""
        return self.status == "pass" and any(c.kind == "validation" for c in self.checks)


def run_experiment(
    experiment: Experiment, *, models: MutableMapping[str, Model] | None = None, engine: Engine | None = None,
    cohorts: MutableMapping[tuple[object, ...], Any] | None = None, trial_n: int | None = None,
    params: ClinicalParameters | None = None, runner: Runner | None = None,
) -> ExperimentOutcome:
    """Simulate every arm (or cohort) of ``experiment`` and judge its checks; never raises on a failed arm.

    Args:
        experiment: the experiment.
        models: cache of built models by species, shared across calls (filled here).
        engine: simulation backend (default: :func:`trdlab.simulate.default_engine`).
        cohorts: cache of simulated trial cohorts by key, shared across calls (filled here).
        trial_n: subjects per cohort instead of each cohort's ``n`` (small runs in tests).
        params: clinical-layer parameters (default: the packaged table).
        runner: an open back-end for the virtual patients of trial experiments (default: this process).
    """
    base: dict[str, Any] = dict(id=experiment.id, title=experiment.title, expected=experiment.expected_text(),
                citation=experiment.citation, kind=experiment.kind, experiment=experiment)
    results: dict[str, Result] = {}
    signatures: dict[str, Any] = {}
    try:
        if experiment.cohorts:
            checks = _run_trials(experiment, {} if cohorts is None else cohorts, trial_n,
                                 params or load_clinical_parameters(), signatures, runner, engine)
        else:
            model = _model(experiment.species, {} if models is None else models, experiment.compounds)
            _check_names(experiment, model)
            times = experiment.times()
            read = observables_read(experiment)
            for arm in experiment.arms:
                try:
                    results[arm.name] = simulate(model, arm.regimen(experiment.species), times, engine=engine,
                                                 parameters=dict(arm.parameters), observables=read)
                except Exception as exc:  # noqa: BLE001 - one arm's failure is this experiment's error
                    raise ExperimentError(f"{experiment.where(f'arm[{arm.name}]')}: simulation failed: "
                                          f"{_describe(exc)}") from exc
            checks = tuple(_judge(check, results) for check in experiment.checks)
    except Exception as exc:  # noqa: BLE001 - the batch goes on; the reason is reported
        return ExperimentOutcome(status="error", measured={}, reason=_describe(exc), results=results, **base)
    verdicts = [c.passed for c in checks]
    status: Status = "prediction" if experiment.kind == "prediction" else ("pass" if all(verdicts) else "fail")
    return ExperimentOutcome(status=status, measured={c.label: c.value for c in checks}, checks=checks,
                             results=results, reason=failure_reason(status, experiment.discrepancy),
                             signatures=signatures, **base)


def observables_read(experiment: Experiment) -> tuple[str, ...]:
    """Every model id the experiment's checks and figure read: only these are recorded.

    The check observables and references, the observables of the biomarkers its checks read
    (``library/biomarkers.toml``) and the figure's observables.
    """
    names: list[str] = []
    for check in experiment.checks:
        if isinstance(check, Check):
            if check.biomarker is not None:
                from trdlab.biomarkers.definitions import load_library

                names += load_library().get(check.biomarker).observables
            if check.observable:
                names.append(check.observable)
        elif isinstance(check, nca.NcaCheck):
            names += [check.observable, *([check.reference] if check.reference else [])]
    names += list(experiment.figure.observables)
    return tuple(dict.fromkeys(names))


def _run_trials(experiment: Experiment, cache: MutableMapping[tuple[object, ...], Any], n: int | None,
                params: ClinicalParameters, signatures: dict[str, Any], runner: Runner | None,
                engine: Engine | None) -> tuple[CheckOutcome, ...]:
    """Simulate (or reuse) each cohort, score it and measure the trial checks."""
    tables = {}
    by_name = {c.name: c for c in experiment.cohorts}
    for cohort in experiment.cohorts:
        key = cohort.key(n)
        if key not in cache:
            cache[key] = trial.simulate(cohort, params, n=n, runner=runner, engine=engine)
        design, simulated = cache[key]
        tables[cohort.name] = (trial.scored(design, simulated, cohort.scale or design.scale, params), design,
                               cohort.scale or design.scale)
    out = []
    for check in experiment.checks:
        assert isinstance(check, trial.TrialCheck)
        table, design, scale = tables[check.cohort]
        if check.metric in signature.SIGNATURE_METRICS:
            cohort = by_name[check.cohort]
            if check.cohort not in signatures:
                simulated = cache[cohort.key(n)][1]
                signatures[check.cohort] = {"table": signature.table(design, simulated, table, cohort.seed, params),
                                            "fits": {}}
            entry = signatures[check.cohort]
            assert check.outcome is not None
            value = signature.measure(check.metric, entry["table"], outcome=check.outcome, feature=check.feature,
                                      seed=cohort.seed, fits=entry["fits"])
            out.append(CheckOutcome(check.label, value, check.expected_text, check.passes(value), check.id, check.kind))
            continue
        other = None
        if check.subgroup is not None:
            other_table, other_design, _ = tables[check.subgroup.cohort]
            other = (other_table, other_design)
        value = trial.measure(check, table, design, scale, other)
        out.append(CheckOutcome(check.label, value, check.expected_text, check.passes(value), check.id, check.kind))
    return tuple(out)


def failure_reason(status: str, discrepancy: str) -> str | None:
    """The recorded discrepancy as an outcome's reason: only when the claim fails."""
    return (discrepancy or None) if status == "fail" else None


def run_experiments(
    ids: Sequence[str] | None = None, *, progress: Progress | None = None,
    experiments: Iterable[Experiment] | None = None, engine: Engine | None = None,
    trial_n: int | None = None, params: ClinicalParameters | None = None,
    models: MutableMapping[str, Model] | None = None, workers: Workers = 1, scheduler: str | None = None,
    runner: Runner | None = None,
) -> list[ExperimentOutcome]:
    """Run the experiments with ``ids`` (default all), building each species' model once.

    In parallel (``workers`` > 1, a ``scheduler`` or a parallel ``runner``) every mechanistic
    experiment is one task; the trial experiments then run their virtual patients in chunks on the
    same workers (cohorts shared between experiments are simulated once). The outcomes do not
    depend on the back-end.

    Args:
        ids: experiment ids in the order to run; unknown ids raise before anything runs.
        progress: called as ``progress(done, total, id)`` as experiments start (serial) or finish
            (parallel), and as ``progress(total, total, "")`` at the end.
        experiments: the experiments to choose from (default :func:`load_experiments`).
        engine: simulation backend.
        trial_n: subjects per trial cohort instead of each cohort's ``n``.
        params: clinical-layer parameters for trial experiments (default: the packaged table).
        models: built models by species to reuse (filled with the ones built here, in this process).
        workers, scheduler: the back-end when no ``runner`` is given (``"auto"``: every core).
        runner: an open :class:`~trdlab.parallel.Runner` to use (its workers are kept).

    Raises:
        ExperimentError: an id is not among the experiments.
    """
    pool = load_experiments() if experiments is None else tuple(experiments)
    by_id = {e.id: e for e in pool}
    if ids:
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise ExperimentError(f"unknown experiment id(s) {', '.join(unknown)}; known: "
                                  f"{', '.join(by_id) or '(none yet)'} (see `trdlab experiments list`)")
        chosen = [by_id[i] for i in dict.fromkeys(ids)]
    else:
        chosen = list(pool)
    if runner is None:
        with Runner(workers, scheduler) as own:
            return run_experiments(progress=progress, experiments=chosen, engine=engine, trial_n=trial_n,
                                   params=params, models=models, runner=own)
    models = {} if models is None else models
    cohorts: dict[tuple[object, ...], Any] = {}
    outcomes: dict[int, ExperimentOutcome] = {}
    total = len(chosen)
    mechanistic = [i for i, e in enumerate(chosen) if not e.cohorts]
    if runner.parallel and len(mechanistic) > 1:
        def finished(done: int, _: int) -> None:
            if progress is not None:
                progress(done, total, chosen[mechanistic[done - 1]].id)

        tasks = [(chosen[i], engine) for i in mechanistic]
        for i, outcome in zip(mechanistic, runner.map(_run_alone, tasks, progress=finished)):
            outcomes[i] = outcome
    for index, experiment in enumerate(chosen):
        if index in outcomes:
            continue
        if progress is not None:
            progress(len(outcomes), total, experiment.id)
        outcomes[index] = run_experiment(experiment, models=models, engine=engine, cohorts=cohorts, trial_n=trial_n,
                                         params=params, runner=runner)
    if progress is not None:
        progress(total, total, "")
    return [outcomes[i] for i in range(total)]


_WORKER_MODELS: dict[str, Model] = {}
"""Models built in this (worker) process, kept for the life of the process."""


def _run_alone(task: tuple[Experiment, Engine | None]) -> ExperimentOutcome:
    """One mechanistic experiment as a parallel task (models cached per worker process)."""
    experiment, engine = task
    return run_experiment(experiment, models=_WORKER_MODELS, engine=engine)


def _model(species: str, models: MutableMapping[str, Model], compounds: tuple[str, ...] = ()) -> Model:
    """The species' model (with the generated compounds the experiment doses), built once per cache."""
    key = "+".join((species, *compounds))
    if key not in models:
        built = build_model(species, compounds=compounds) if compounds else build_model(species)  # type: ignore[arg-type]
        models[key] = built
    return models[key]


def _check_names(experiment: Experiment, model: Model) -> None:
    """Observables and parameter ids must exist in the built model (named by file, id and field)."""
    names = set(model.species_ids) | set(model.compartments) | set(model.parameters)
    fields = [(f"check[{i}].observable", c.observable) for i, c in enumerate(experiment.checks)
              if isinstance(c, (Check, nca.NcaCheck))]
    fields += [(f"check[{i}].reference", c.reference) for i, c in enumerate(experiment.checks)
               if isinstance(c, nca.NcaCheck) and c.reference]
    fields += [("figure.observables", o) for o in experiment.figure.observables]
    fields += [(f"arm[{a.name}].parameters", p) for a in experiment.arms for p, _ in a.parameters]
    for where, name in fields:
        if name not in names:
            raise ExperimentError(f"{experiment.where(where)}: {name!r} is not in the {experiment.species} model; "
                                  f"use a species, compartment or parameter id (`trdlab build` writes the SBML)")


def _judge(check: AnyCheck, results: Mapping[str, Result]) -> CheckOutcome:
    if isinstance(check, nca.NcaCheck):
        value = nca.measure(results, check)
        return CheckOutcome(check.label, value, check.expected_text, nca.passes(check, value), check.id, check.kind)
    assert isinstance(check, Check)
    value = ratio.readout(results, check)
    return CheckOutcome(check.label, value, check.expected_text, ratio.passes(check, value), check.id, check.kind)


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, TrdlabError) else f"{type(exc).__name__}: {exc}"
