"""Time-to-event statistics with lifelines: Kaplan-Meier median, log-rank test, Cox hazard ratio.

* Kaplan-Meier (product-limit) estimate ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``;
  lifelines' pointwise interval is the exponential Greenwood ("log-log") interval. The
  median is ``min{t : S(t) <= 0.5}`` and its confidence limits are the medians of the
  lower and upper confidence curves (Brookmeyer & Crowley 1982 style, as lifelines'
  ``median_survival_times`` of ``confidence_interval_``). R's ``survfit`` defaults to
  a "log" interval, so the limits can differ slightly from R; the median itself agrees.
* Log-rank test (Mantel 1966): ``chi2 = (O_A - E_A)^2 / V_A`` with 1 degree of freedom,
  equal to R ``survdiff``.
* Cox proportional hazards (Cox 1972) fitted by lifelines ``CoxPHFitter``, which
  handles tied event times by Efron's method (R ``coxph``'s default), unpenalized.

Conventions: a median or limit that is not reached (the curve stays above 0.5) is
``inf``; an estimate that cannot be computed (no subjects, no events, a single group,
or a Cox fit that does not converge) is NaN (:meth:`Estimate.missing`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
from numpy.typing import ArrayLike
from scipy import stats

from trdlab.errors import TrialError
from trdlab.trials.statistics.estimates import Estimate

__all__ = ["cox_hazard_ratio", "kaplan_meier_median", "logrank"]


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise TrialError(f"alpha={alpha!r} must lie in (0, 1); use 0.05 for a 95 % interval")


def _durations_events(durations: ArrayLike, events: ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(durations, dtype=float).ravel()
    e = np.asarray(events, dtype=float).ravel()
    if t.shape != e.shape:
        raise TrialError(f"{name}: durations ({t.size}) and events ({e.size}) differ in length; pass one event flag per duration")
    keep = ~(np.isnan(t) | np.isnan(e))
    t, e = t[keep], e[keep]
    if (t < 0).any():
        raise TrialError(f"{name}: durations must be >= 0 (got minimum {t.min():g}); measure time from the start of follow-up")
    if not np.isin(e, (0.0, 1.0)).all():
        raise TrialError(f"{name}: events must be 0 (censored) or 1 (event)")
    return t, e.astype(int)


def kaplan_meier_median(durations: ArrayLike, events: ArrayLike, *, alpha: float = 0.05) -> Estimate:
    """Kaplan-Meier median time with the interval read off the confidence curves.

    Args:
        durations: follow-up times (NaN rows dropped).
        events: 1 for an observed event, 0 for censoring.
        alpha: 1 - confidence level.

    Returns:
        The median and its limits; ``inf`` where not reached, all NaN without subjects.
    """
    _check_alpha(alpha)
    t, e = _durations_events(durations, events, "kaplan_meier_median")
    if t.size == 0:
        return Estimate.missing()
    fitter = KaplanMeierFitter(alpha=alpha).fit(t, e)
    limits = median_survival_times(fitter.confidence_interval_)
    low, high = (float(v) for v in np.asarray(limits, dtype=float).ravel()[:2])
    # The lower confidence curve reaches 0.5 first, so it gives the lower limit.
    return Estimate(float(fitter.median_survival_time_), min(low, high), max(low, high))


def logrank(durations_a: ArrayLike, events_a: ArrayLike, durations_b: ArrayLike, events_b: ArrayLike) -> tuple[float, float]:
    """Log-rank chi-square (1 df) and its p-value for two groups; NaN when a group is empty."""
    ta, ea = _durations_events(durations_a, events_a, "logrank group a")
    tb, eb = _durations_events(durations_b, events_b, "logrank group b")
    if ta.size == 0 or tb.size == 0 or (ea.sum() + eb.sum()) == 0:
        return float("nan"), float("nan")
    result = logrank_test(ta, tb, event_observed_A=ea, event_observed_B=eb)
    return float(result.test_statistic), float(result.p_value)


def cox_hazard_ratio(durations: ArrayLike, events: ArrayLike, group_indicator: ArrayLike, *, alpha: float = 0.05) -> Estimate:
    """Hazard ratio of ``group_indicator == 1`` vs ``== 0`` from a Cox model (Efron ties).

    ``HR = exp(beta)`` with the Wald interval ``exp(beta -+ z se(beta))``.

    Returns:
        The HR and its interval; all NaN when there is no event, only one group, or
        the partial likelihood has no finite maximum (for example every event in one group).
    """
    _check_alpha(alpha)
    t_all = np.asarray(durations, dtype=float).ravel()
    e_all = np.asarray(events, dtype=float).ravel()
    g_all = np.asarray(group_indicator, dtype=float).ravel()
    if not t_all.shape == e_all.shape == g_all.shape:
        raise TrialError("cox_hazard_ratio: durations, events and group_indicator must have one value per subject")
    keep = ~(np.isnan(t_all) | np.isnan(e_all) | np.isnan(g_all))
    t, e = _durations_events(t_all[keep], e_all[keep], "cox_hazard_ratio")
    g = g_all[keep]
    if not np.isin(g, (0.0, 1.0)).all():
        raise TrialError("cox_hazard_ratio: group_indicator must be 0 (reference) or 1 (compared group)")
    if e.sum() == 0 or np.unique(g).size < 2:
        return Estimate.missing()
    frame = pd.DataFrame({"duration": t, "event": e, "group": g})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fitter = CoxPHFitter(alpha=alpha).fit(frame, duration_col="duration", event_col="event")
        except (ConvergenceError, ConvergenceWarning, np.linalg.LinAlgError):
            return Estimate.missing()
    beta = float(fitter.params_["group"])
    se = float(fitter.standard_errors_["group"])
    if not (math.isfinite(beta) and math.isfinite(se)):
        return Estimate.missing()
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    if abs(beta) + z * se > 700:  # monotone likelihood (events in one group only): no finite estimate
        return Estimate.missing()
    return Estimate(math.exp(beta), math.exp(beta - z * se), math.exp(beta + z * se))
