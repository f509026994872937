"""Trial readouts: metrics of a virtual trial's scored subject table.

A trial experiment declares one or more **cohorts** (a built-in design, optionally restricted to
some arms, on another population, as a parallel all-comers trial, with in-silico follow-up
visits) and checks with ``readout = "trial"``:

    metric = response_rate | remission_rate | pct_change | effect_size_d (vs ``control``) |
             genotype_gap (mean improvement of the genotype covariate's first, homozygous
             reference category minus the other carriers: Val/Val minus Met carriers) | item_p_value (Welch t-test
             of the suicide item's change, arm vs control) | remitters_late (fraction of remitters
             at the visit first remitting at or after ``after``) | correlation, signature_auc,
             signature_auc_ci_low, relapse_concordance (bio-signatures learned on the cohort's
             biomarker table: :mod:`~trdlab.experiments.readouts.signature`; ``arm`` and ``visit``
             are then ``"all"``)

bounded by ``low`` / ``high``. With ``subgroup = { cohort, arm, visit, response = false }`` the
value is the metric over all subjects of the check's cohort minus the metric over the subjects
who, in the other cohort, had that response status at that visit. Cohorts drawn with the same
population, ``n`` and ``seed`` hold the same virtual patients (subject ``i`` is the same person),
so this is the generic two-cohort comparison (e.g. C03: ketamine response of all-comers minus
that of patients who failed an in-silico SSRI course).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from trdlab.clinical.parameters import ClinicalParameters
from trdlab.clinical.scales import load_scale
from trdlab.model.units import parse
from trdlab.trials.calibrate import Target, with_extra_visits
from trdlab.trials.calibrate import metric as target_metric
from trdlab.trials.design import TrialDesign, load_design
from trdlab.engines.base import Engine
from trdlab.parallel import Runner
from trdlab.trials.run import simulate_cohort
from trdlab.trials.scoring import Cohort as SimulatedCohort
from trdlab.trials.scoring import score

Metric = Literal["response_rate", "remission_rate", "pct_change", "effect_size_d", "genotype_gap",
                 "item_p_value", "remitters_late", "correlation", "correlation_ci_low", "correlation_ci_high",
                 "signature_auc", "signature_auc_ci_low", "relapse_concordance"]
METRICS: tuple[str, ...] = get_args(Metric)


@dataclass(frozen=True)
class Cohort:
    """A virtual trial an experiment runs: a built-in design and how it is varied."""

    name: str
    design: str
    n: int
    seed: int
    extra_visits: tuple[str, ...] = ()
    scale: str | None = None
    population: str | None = None
    arms: tuple[str, ...] = ()
    all_comers: bool = False
    """True: a parallel trial of the chosen arms without inclusion criterion or dropout."""

    def key(self, n: int | None = None) -> tuple[object, ...]:
        """Cohorts with equal keys are simulated once."""
        return (self.design, self.extra_visits, self.population, self.arms, self.all_comers, n or self.n, self.seed)


@dataclass(frozen=True)
class Subgroup:
    """Subjects of ``cohort`` whose response at ``visit`` in ``arm`` equals ``response``."""

    cohort: str
    arm: str
    visit: str
    response: bool


@dataclass(frozen=True)
class TrialCheck:
    """One metric of a cohort's scored table with its bounds (see the module docstring)."""

    metric: Metric
    arm: str
    visit: str
    label: str
    cohort: str
    id: str = ""
    kind: str = "validation"
    control: str | None = None
    low: float | None = None
    high: float | None = None
    after: str | None = None
    subgroup: Subgroup | None = None
    feature: str | None = None
    """``correlation``: the signature-table column correlated with ``outcome``."""
    outcome: str | None = None
    """Signature metrics (:mod:`~trdlab.experiments.readouts.signature`): the outcome column."""

    @property
    def expected_text(self) -> str:
        """The bounds in words."""
        if self.low is not None and self.high is not None:
            return f"in [{self.low:g}, {self.high:g}]"
        return f">= {self.low:g}" if self.low is not None else f"<= {self.high:g}"

    def passes(self, value: float) -> bool:
        """Whether ``value`` lies within the bounds (a non-finite value fails)."""
        return bool(np.isfinite(value) and (self.low is None or value >= self.low)
                    and (self.high is None or value <= self.high))


def cohort_design(cohort: Cohort) -> TrialDesign:
    """The cohort's design: the built-in one with its variations applied."""
    design = with_extra_visits(load_design(cohort.design), cohort.extra_visits)
    changes: dict[str, Any] = {}
    if cohort.population is not None:
        changes["population"] = cohort.population
    if cohort.arms:
        changes["arms"] = tuple(a for a in design.arms if a.name in cohort.arms)
    if cohort.all_comers:
        changes.update(inclusion=None, dropout=None, design="parallel", washout=None)
    return dataclasses.replace(design, **changes)  # times are stored once; their hours are derived


def simulate(cohort: Cohort, params: ClinicalParameters, *, n: int | None = None, runner: Runner | None = None,
             engine: Engine | None = None) -> tuple[TrialDesign, SimulatedCohort]:
    """Simulate the cohort's virtual patients on the human model (on ``runner``'s workers when given)."""
    design = cohort_design(cohort)
    return design, simulate_cohort(design, n=n or cohort.n, seed=cohort.seed, params=params, runner=runner,
                                   engine=engine)


def scored(design: TrialDesign, simulated: SimulatedCohort, scale_name: str, params: ClinicalParameters) -> pd.DataFrame:
    """The cohort's subject table scored on ``scale_name`` (the design's thresholds on its own scale)."""
    scale = load_scale(scale_name)
    remission = design.remission if (design.remission is not None and scale_name == design.scale) else scale.remission
    return score(simulated, params, scale, response=design.response, remission=remission)


def visit_name(design: TrialDesign, visit: str) -> str:
    """``"first"`` / ``"last"`` -> the design's visit; other names as given."""
    return design.visits[-1] if visit == "last" else design.visits[0] if visit == "first" else visit


def measure(check: TrialCheck, table: pd.DataFrame, design: TrialDesign, scale_name: str,
            subgroup_table: tuple[pd.DataFrame, TrialDesign] | None = None) -> float:
    """The check's metric (minus its subgroup's, when it has one)."""
    value = _metric(check, table, design, scale_name)
    if check.subgroup is None:
        return value
    assert subgroup_table is not None
    other, other_design = subgroup_table
    group = check.subgroup
    rows = other[(other.arm == group.arm) & (other.visit == visit_name(other_design, group.visit))]
    subjects = rows.subject[rows.response.astype(bool) == group.response]
    return value - _metric(check, table[table.subject.isin(subjects)], design, scale_name)


def _metric(check: TrialCheck, table: pd.DataFrame, design: TrialDesign, scale_name: str) -> float:
    visit = visit_name(design, check.visit)
    if check.metric == "item_p_value":
        item = f"item_{load_scale(scale_name).suicide_item}"
        base = table[table.visit == "baseline"].set_index(["subject", "period"])[item]
        rows = table[(table.visit == visit) & table.total.notna()].set_index(["subject", "period"])
        change = rows[item] - base.reindex(rows.index)
        a = change[rows.arm == check.arm].dropna()
        b = change[rows.arm == check.control].dropna()
        return float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if check.metric == "remitters_late":
        assert check.after is not None
        after_days = parse(check.after).to("day").magnitude
        arm = table[(table.arm == check.arm) & (table.visit != "baseline")]
        final = arm[(arm.visit == visit) & arm.remission].subject.unique()
        first = arm[arm.remission & arm.subject.isin(final)].groupby("subject").day.min()
        return float((first >= after_days - 1e-9).mean()) if len(first) else float("nan")
    target = Target(id=check.label, design=design.name, metric=check.metric, arm=check.arm, visit=visit,
                    value=0.0, tolerance=1.0, control=check.control)
    return target_metric(table, design, target)
