"""Clinical experiments (C01-C07): virtual trials judged against the claims ledger.

The experiments are data (``experiments/trials.toml``); each runs a built-in trial design once
per (design, population) with the file's ``n`` and ``seed`` (cohorts are shared between the
experiments that use the same design) and checks metrics of the scored subject table with
bounds ``low`` / ``high``. Outcomes are :class:`~trdlab.experiments.runner.ExperimentOutcome`
values, so the CLI and the report treat them like the mechanistic experiments.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from trdlab.clinical.parameters import ClinicalParameters, load_clinical_parameters
from trdlab.clinical.scales import load_scale
from trdlab.errors import ExperimentError
from trdlab.experiments.runner import CheckOutcome, ExperimentOutcome, failure_reason
from trdlab.model.units import parse
from trdlab.trials.calibrate import Target, with_extra_visits
from trdlab.trials.calibrate import metric as target_metric
from trdlab.trials.design import TrialDesign, load_design
from trdlab.trials.run import simulate_cohort
from trdlab.trials.scoring import Cohort, score

TRIALS_FILE = Path(__file__).with_name("trials.toml")
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class TrialCheck:
    metric: str
    arm: str
    visit: str
    label: str
    control: str | None = None
    low: float | None = None
    high: float | None = None
    after: str | None = None

    def expected(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.label} in [{self.low:g}, {self.high:g}]"
        return f"{self.label} >= {self.low:g}" if self.low is not None else f"{self.label} <= {self.high:g}"


@dataclass(frozen=True)
class TrialExperiment:
    id: str
    title: str
    design: str
    citation: str
    kind: str
    checks: tuple[TrialCheck, ...]
    scale: str | None = None
    extra_visits: tuple[str, ...] = ()
    discrepancy: str = ""
    """Why the model is known to fail this claim (the reason when it fails); empty if none."""


def load_trial_experiments(path: Path = TRIALS_FILE) -> tuple[dict[str, int], tuple[TrialExperiment, ...]]:
    """Settings (n, seed) and the experiments of the file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    settings = {"n": int(data["settings"]["n"]), "seed": int(data["settings"]["seed"])}
    experiments = []
    for raw in data["trial_experiment"]:
        checks = tuple(TrialCheck(**c) for c in raw["checks"])
        if not isinstance(raw.get("discrepancy", ""), str):
            raise ExperimentError(f"{path.name}: {raw['id']}: discrepancy: not text; give the known reason "
                                  "the model fails this claim, or leave it out")
        experiments.append(TrialExperiment(raw["id"], raw["title"], raw["design"], raw["citation"], raw["kind"],
                                           checks, raw.get("scale"), tuple(raw.get("extra_visits", ())),
                                           raw.get("discrepancy", "").strip()))
    return settings, tuple(experiments)


def _scored(cohort: Cohort, design: TrialDesign, scale_name: str, params: ClinicalParameters) -> pd.DataFrame:
    scale = load_scale(scale_name)
    remission = design.remission if (design.remission is not None and scale_name == design.scale) else scale.remission
    return score(cohort, params, scale, response=design.response, remission=remission)


def _visit(design: TrialDesign, visit: str) -> str:
    return design.visits[-1] if visit == "last" else design.visits[0] if visit == "first" else visit


def _measure(check: TrialCheck, table: pd.DataFrame, design: TrialDesign, scale_name: str,
             context: dict[str, object]) -> float:
    visit = _visit(design, check.visit)
    if check.metric == "item_p_value":
        item = f"item_{load_scale(scale_name).suicide_item}"
        base = table[table.visit == "baseline"].set_index(["subject", "period"])[item]
        rows = table[(table.visit == visit) & table.total.notna()].set_index(["subject", "period"])
        change = rows[item] - base.reindex(rows.index)
        a = change[rows.arm == check.arm].dropna()
        b = change[rows.arm == check.control].dropna()
        return float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if check.metric == "remitters_late":
        after_days = parse(check.after).to("day").magnitude
        arm = table[(table.arm == check.arm) & (table.visit != "baseline")]
        final = arm[(arm.visit == visit) & arm.remission].subject.unique()
        first = arm[arm.remission & arm.subject.isin(final)].groupby("subject").day.min()
        return float((first >= after_days - 1e-9).mean()) if len(first) else float("nan")
    if check.metric == "ssri_failure_gap":
        return float(context["ssri_failure_gap"])  # computed by _ssri_failure_gap
    target = Target(id=check.label, design=design.name, metric=check.metric, arm=check.arm, visit=visit,
                    value=0.0, tolerance=1.0, control=check.control)
    return target_metric(table, design, target)


def _ssri_failure_gap(design: TrialDesign, n: int, seed: int, params: ClinicalParameters) -> float:
    """C03: day-1 ketamine response of all-comers minus that of patients who failed an SSRI course.

    The same all-comer (``mdd``) subjects get, in silico, a 14-week citalopram course (the
    ``stard_level1`` design's drug arm) and, separately, the ketamine arm of ``design``; SSRI
    failures are the non-responders at the course's last visit.
    """
    ssri = load_design("stard_level1")
    ssri = replace(ssri, population="mdd", inclusion=None, dropout=None,
                   arms=tuple(a for a in ssri.arms if not a.placebo)[:1], design="parallel")
    ket = replace(design, population="mdd", inclusion=None, design="parallel",
                  arms=tuple(a for a in design.arms if not a.placebo)[:1], washout=None, washout_hours=None)
    s_table = _scored(simulate_cohort(ssri, n=n, seed=seed, params=params), ssri, ssri.scale, params)
    k_table = _scored(simulate_cohort(ket, n=n, seed=seed, params=params), ket, ket.scale, params)
    last = s_table[s_table.visit == ssri.visits[-1]].set_index("subject")
    failures = last.index[~last.response.astype(bool)]
    day1 = k_table[k_table.visit == "1 d"].set_index("subject")
    return float(day1.response.mean() - day1.loc[day1.index.intersection(failures)].response.mean())


def run_trial_experiments(ids: Sequence[str] | None = None, *, progress: Progress | None = None,
                          path: Path = TRIALS_FILE, n: int | None = None,
                          params: ClinicalParameters | None = None) -> list[ExperimentOutcome]:
    """Run the clinical experiments (default all); a failing experiment is reported as ``error``."""
    settings, experiments = load_trial_experiments(path)
    n = n or settings["n"]
    seed = settings["seed"]
    params = params or load_clinical_parameters()
    chosen = [e for e in experiments if not ids or e.id in ids]
    cohorts: dict[tuple[str, tuple[str, ...]], tuple[TrialDesign, Cohort]] = {}
    outcomes = []
    for done, experiment in enumerate(chosen):
        if progress:
            progress(done, len(chosen), experiment.id)
        base = dict(id=experiment.id, title=experiment.title, citation=experiment.citation, kind=experiment.kind,
                    expected="; ".join(c.expected() for c in experiment.checks))
        try:
            key = (experiment.design, experiment.extra_visits)
            if key not in cohorts:
                design = with_extra_visits(load_design(experiment.design), experiment.extra_visits)
                cohorts[key] = (design, simulate_cohort(design, n=n, seed=seed, params=params))
            design, cohort = cohorts[key]
            scale_name = experiment.scale or design.scale
            table = _scored(cohort, design, scale_name, params)
            context: dict[str, object] = {}
            if any(c.metric == "ssri_failure_gap" for c in experiment.checks):
                context["ssri_failure_gap"] = _ssri_failure_gap(design, n, seed, params)
            checks = []
            for check in experiment.checks:
                value = _measure(check, table, design, scale_name, context)
                ok = np.isfinite(value) and (check.low is None or value >= check.low) and (check.high is None or value <= check.high)
                checks.append(CheckOutcome(check.label, value, check.expected(), bool(ok)))
        except Exception as exc:  # noqa: BLE001 - the batch goes on; the reason is reported
            outcomes.append(ExperimentOutcome(status="error", measured={}, reason=f"{type(exc).__name__}: {exc}", **base))
            continue
        status = "prediction" if experiment.kind == "prediction" else ("pass" if all(c.passed for c in checks) else "fail")
        outcomes.append(ExperimentOutcome(status=status, measured={c.label: c.value for c in checks},
                                          checks=tuple(checks), reason=failure_reason(status, experiment.discrepancy),
                                          **base))
    if progress:
        progress(len(chosen), len(chosen), "")
    return outcomes


def trial_experiment_ids(path: Path = TRIALS_FILE) -> tuple[str, ...]:
    return tuple(e.id for e in load_trial_experiments(path)[1])


__all__ = ["ExperimentError", "run_trial_experiments", "load_trial_experiments", "trial_experiment_ids"]
