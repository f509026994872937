"""A JSON-ready summary of a virtual trial: per-visit arm summaries, contrasts and relapse.

The input is the trial's subject table, one row per subject x period x visit, with
columns ``subject``, ``arm``, ``period`` (1 for parallel designs), ``visit`` (the label
written in the design), ``baseline``, ``total``, ``change = total - baseline``,
``pct_change = -change / baseline``, ``response``, ``remission``, ``placebo`` and
``dropped`` (dropped rows carry NaN totals); other columns are ignored.

Methods (also written into the summary's ``"analysis"`` entry):

* Visit summaries use the observed (not dropped) rows of each arm at each visit, pooling
  the periods of a crossover: ``n``, mean and sample SD (n - 1) of the total, mean
  change, ``pct_change`` = mean of the subjects' fractional reductions, response and
  remission rates = fraction of the observed rows.
* Contrasts, for every (treatment, control) pair and visit: Cohen's d of improvement
  (``-change``; positive favours treatment), the odds ratio of response (> 1 favours
  treatment), and the mean difference of change with its Wald p-value from the
  random-intercept repeated-measures model of :mod:`~trdlab.trials.statistics.mmrm`
  (treatment minus control; negative favours treatment), fitted once to all arms and to
  the visits of ``visit_order``, with period effects when the table has several periods.
* Relapse: loss of response after a first response
  (:func:`~trdlab.trials.statistics.relapse_times`), Kaplan-Meier median per arm and
  the Cox hazard ratio of each arm against all other arms pooled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

import numpy as np
import pandas as pd

from trdlab.errors import TrialError
from trdlab.trials.statistics import (
    cohens_d,
    cox_hazard_ratio,
    fit_mmrm,
    json_number,
    kaplan_meier_median,
    observed_rows,
    odds_ratio,
    relapse_times,
)

__all__ = [
    "REQUIRED_COLUMNS",
    "ArmSummary",
    "ContrastSummary",
    "RelapseSummary",
    "TrialSummary",
    "VisitSummary",
    "summarize_trial",
]

EstimateRecord = dict[str, float | None]
"""``Estimate.record()``: ``{"estimate", "ci_low", "ci_high"}``, ``None`` where not estimable."""


class VisitSummary(TypedDict):
    """One arm at one visit (observed rows only)."""

    n: int
    mean: float | None
    sd: float | None
    mean_change: float | None
    pct_change: float | None
    response_rate: float | None
    remission_rate: float | None


class ArmSummary(TypedDict):
    """One arm: whether it is a placebo/control arm and its visit summaries."""

    placebo: bool
    visits: dict[str, VisitSummary]


class ContrastSummary(TypedDict):
    """One treatment vs control comparison at one visit."""

    treatment: str
    control: str
    visit: str
    effect_size_d: EstimateRecord
    odds_ratio_response: EstimateRecord
    mean_difference: EstimateRecord
    p_value: float | None


class RelapseSummary(TypedDict):
    """Loss of response among one arm's responders."""

    n_responders: int
    n_relapses: int
    median_days_to_relapse: EstimateRecord
    hazard_ratio_vs_others: EstimateRecord | None


class TrialSummary(TypedDict):
    """The JSON-ready summary of a trial (plain str, bool, int, float and None inside)."""

    arms: dict[str, ArmSummary]
    contrasts: list[ContrastSummary]
    relapse: dict[str, RelapseSummary]
    analysis: dict[str, float | str | list[str]]

REQUIRED_COLUMNS = (
    "subject",
    "arm",
    "period",
    "visit",
    "baseline",
    "total",
    "change",
    "pct_change",
    "response",
    "remission",
    "placebo",
    "dropped",
)


def _validate(
    subjects: pd.DataFrame,
    visit_order: Sequence[str],
    visit_days: Mapping[str, float],
    pairs: Sequence[tuple[str, str]] | None,
    alpha: float,
) -> None:
    problems: list[str] = []
    missing = [column for column in REQUIRED_COLUMNS if column not in subjects.columns]
    if missing:
        problems.append(f"subject table lacks columns {missing}")
    if not 0.0 < alpha < 1.0:
        problems.append(f"alpha={alpha!r} must lie in (0, 1)")
    if not visit_order:
        problems.append("visit_order is empty: list the design's visit labels in time order")
    if "visit" in subjects.columns:
        present = set(subjects["visit"].astype(str))
        absent = [v for v in visit_order if v not in present]
        if absent:
            problems.append(f"visit_order names visits {absent} that are not in the subject table")
    no_day = [v for v in visit_order if v not in visit_days]
    if no_day:
        problems.append(f"visit_days has no time (days) for visits {no_day}")
    if pairs is not None and "arm" in subjects.columns:
        arms = set(subjects["arm"].astype(str))
        unknown = sorted({name for pair in pairs for name in pair} - arms)
        if unknown:
            problems.append(f"treatments_and_controls names arms {unknown} not in the table (arms: {sorted(arms)})")
    if problems:
        raise TrialError("summarize_trial: " + "; ".join(problems))


def _visit_summary(rows: pd.DataFrame) -> VisitSummary:
    n = len(rows)
    return {
        "n": int(n),
        "mean": json_number(rows["total"].mean()) if n else None,
        "sd": json_number(rows["total"].std(ddof=1)) if n >= 2 else None,
        "mean_change": json_number(rows["change"].mean()) if n else None,
        "pct_change": json_number(rows["pct_change"].mean()) if n else None,
        "response_rate": json_number(rows["response"].astype(bool).mean()) if n else None,
        "remission_rate": json_number(rows["remission"].astype(bool).mean()) if n else None,
    }


def _relapse(table: pd.DataFrame, arms: Sequence[str], alpha: float) -> dict[str, RelapseSummary]:
    arms_with_responders = set(table["arm"].astype(str))
    comparable = len(arms_with_responders) >= 2 and int(table["event"].sum()) > 0
    summary: dict[str, RelapseSummary] = {}
    for arm in arms:
        rows = table[table["arm"].astype(str) == arm]
        hazard_ratio = None
        if comparable and arm in arms_with_responders:
            indicator = (table["arm"].astype(str) == arm).astype(float)
            hazard_ratio = cox_hazard_ratio(table["duration"], table["event"], indicator, alpha=alpha).record()
        summary[arm] = {
            "n_responders": int(len(rows)),
            "n_relapses": int(rows["event"].sum()),
            "median_days_to_relapse": kaplan_meier_median(rows["duration"], rows["event"], alpha=alpha).record(),
            "hazard_ratio_vs_others": hazard_ratio,
        }
    return summary


def summarize_trial(
    subjects: pd.DataFrame,
    *,
    visit_order: Sequence[str],
    visit_days: Mapping[str, float],
    treatments_and_controls: Sequence[tuple[str, str]] | None = None,
    alpha: float = 0.05,
) -> TrialSummary:
    """Summarize a trial's subject table into a JSON-ready dict (schema in the module docstring).

    Args:
        subjects: the subject table (columns in :data:`REQUIRED_COLUMNS`).
        visit_order: the visits to summarize and analyse, in time order.
        visit_days: the time of each visit in days (for relapse times).
        treatments_and_controls: the (treatment arm, control arm) pairs to contrast;
            default every non-placebo arm against every placebo arm.
        alpha: 1 - confidence level of every interval.

    Returns:
        ``{"arms": {arm: {"placebo", "visits": {visit: {...}}}}, "contrasts": [...],
        "relapse": {arm: {...}}, "analysis": {...}}`` with plain Python values and
        ``None`` for anything not estimable.
    """
    _validate(subjects, visit_order, visit_days, treatments_and_controls, alpha)
    table = subjects.copy()
    table["arm"] = table["arm"].astype(str)
    table["visit"] = table["visit"].astype(str)
    observed = observed_rows(table)
    arms = list(pd.unique(table["arm"]))
    placebo = {arm: bool(table.loc[table["arm"] == arm, "placebo"].astype(bool).any()) for arm in arms}
    seen = table[observed & table["visit"].isin(visit_order)]

    arm_summary: dict[str, ArmSummary] = {
        arm: {
            "placebo": placebo[arm],
            "visits": {visit: _visit_summary(seen[(seen["arm"] == arm) & (seen["visit"] == visit)]) for visit in visit_order},
        }
        for arm in arms
    }

    pairs = list(treatments_and_controls) if treatments_and_controls is not None else [
        (treatment, control) for treatment in arms if not placebo[treatment] for control in arms if placebo[control]
    ]
    analysed = table[table["visit"].isin(visit_order)].copy()
    analysed.loc[~observed.loc[analysed.index], "change"] = np.nan
    crossover = analysed["period"].nunique() > 1
    model = fit_mmrm(analysed, period="period" if crossover else None)
    contrasts: list[ContrastSummary] = []
    for treatment, control in pairs:
        for visit in visit_order:
            treated = seen[(seen["arm"] == treatment) & (seen["visit"] == visit)]
            controls = seen[(seen["arm"] == control) & (seen["visit"] == visit)]
            difference, p_value = model.contrast(treatment, control, visit, alpha=alpha)
            contrasts.append(
                {
                    "treatment": treatment,
                    "control": control,
                    "visit": visit,
                    "effect_size_d": cohens_d(-treated["change"], -controls["change"], alpha=alpha).record(),
                    "odds_ratio_response": odds_ratio(treated["response"], controls["response"], alpha=alpha).record(),
                    "mean_difference": difference.record(),
                    "p_value": json_number(p_value),
                }
            )

    relapse = _relapse(relapse_times(table[table["visit"].isin(visit_order)], visit_days), arms, alpha)
    fit = model.fit
    method = fit.method if fit is not None else "none (no observed change)"
    analysis: dict[str, float | str | list[str]] = {
        "alpha": float(alpha),
        "visit_summary": "observed (not dropped) rows per arm and visit, crossover periods pooled; sd = sample SD "
        "(n-1) of the total; pct_change = mean of the subjects' fractional reductions from baseline; rates = "
        "fraction of observed rows",
        "effect_size_d": "Cohen's d of improvement (-change), treatment minus control, pooled SD; Hedges-Olkin "
        "large-sample Wald interval; positive favours treatment",
        "odds_ratio_response": "odds ratio of response, treatment vs control; Woolf logit interval; Haldane 0.5 "
        "correction only when a cell is zero; > 1 favours treatment",
        "mean_difference": f"{method} random-intercept linear mixed model (compound symmetry, not an unstructured "
        f"MMRM) of change ~ arm x visit + baseline{' + period' if crossover else ''}, random intercept per subject; "
        "dropouts omitted (likelihood analysis valid under MAR); treatment minus control (negative favours "
        "treatment); Wald z interval and p-value",
        "relapse": "responders = subject-periods with response at some visit; time from the first response to the "
        "first later visit without response (event) or to the last observed visit (censored); Kaplan-Meier "
        "median with exponential-Greenwood interval; Cox hazard ratio (Efron ties) of the arm vs all other arms "
        "pooled, null when fewer than 2 arms have responders or there is no relapse",
        "mmrm_notes": list(fit.notes) if fit is not None else [],
    }
    return {"arms": arm_summary, "contrasts": contrasts, "relapse": relapse, "analysis": analysis}
