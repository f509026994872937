"""Between-arm effect sizes: Cohen's d of improvement and the odds ratio of response.

Cohen's d (pooled-SD standardized mean difference; Cohen 1988)::

    d = (mean_T - mean_C) / s_p,   s_p^2 = ((n_T - 1) s_T^2 + (n_C - 1) s_C^2) / (n_T + n_C - 2)

with the large-sample variance of Hedges & Olkin (1985, eq. 5.14)::

    var(d) = (n_T + n_C) / (n_T n_C) + d^2 / (2 (n_T + n_C))

and the Wald interval ``d -+ z_{1-alpha/2} sqrt(var(d))``. No small-sample (Hedges g)
correction is applied.

Odds ratio of response from the 2x2 table (a, b = responders, non-responders on
treatment; c, d = on control)::

    OR = (a d) / (b c),   se(log OR) = sqrt(1/a + 1/b + 1/c + 1/d)        (Woolf 1955)

with the interval ``exp(log OR -+ z se)``, computed by statsmodels'
``Table2x2.log_oddsratio_confint``. When any cell is zero, 0.5 is added to every cell
(Haldane 1956 / Anscombe 1956); otherwise the table is used as is. (statsmodels' own
``shift_zeros`` replaces only the zero cells by 0.5, so it is switched off.)

:func:`cohens_d_point` is the point estimate of d alone (no interval, no NaN
filtering), cheap enough for a calibration loop.

:func:`cohens_d` and :func:`odds_ratio` drop NaN values first (missing visits) and return
:meth:`Estimate.missing` (all NaN) when an arm has too few observations.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2

from trdlab.errors import TrialError
from trdlab.trials.statistics.estimates import Estimate

__all__ = ["cohens_d", "cohens_d_point", "odds_ratio"]


def _z(alpha: float) -> float:
    if not 0.0 < alpha < 1.0:
        raise TrialError(f"alpha={alpha!r} must lie in (0, 1); use 0.05 for a 95 % interval")
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def _finite(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    return array[~np.isnan(array)]


def cohens_d_point(treatment: ArrayLike, control: ArrayLike) -> float:
    """Cohen's d point estimate ``(mean_T - mean_C) / s_p``, without interval or NaN filtering.

    The cheap form of :func:`cohens_d` for loops (a calibration objective): no NaN filtering
    and no confidence interval.

    Args:
        treatment: improvement scores of the treatment arm.
        control: improvement scores of the control arm.

    Returns:
        d; NaN when an arm has fewer than 2 values or the pooled SD is zero (NaN also when a
        value is NaN: filter first, as :func:`cohens_d` does).
    """
    x, y = np.asarray(treatment, dtype=float).ravel(), np.asarray(control, dtype=float).ravel()
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        return float("nan")
    pooled_var = ((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2)
    if not pooled_var > 0.0:
        return float("nan")
    return float((x.mean() - y.mean()) / math.sqrt(pooled_var))


def cohens_d(treatment: ArrayLike, control: ArrayLike, *, alpha: float = 0.05) -> Estimate:
    """Cohen's d of improvement, treatment minus control, with a Hedges-Olkin Wald interval.

    Sign convention: pass *improvement* scores (positive is better, for example
    ``-change = baseline - total`` or ``pct_change``); then d > 0 when the treatment arm
    improves more (a larger reduction of the total) than the control arm.

    Args:
        treatment: improvement scores of the treatment arm (NaN dropped).
        control: improvement scores of the control arm (NaN dropped).
        alpha: 1 - confidence level of the interval.

    Returns:
        The d estimate and its interval; all NaN when either arm has fewer than 2
        observations or the pooled SD is zero (d undefined).
    """
    z = _z(alpha)
    x, y = _finite(treatment), _finite(control)
    d = cohens_d_point(x, y)
    if math.isnan(d):
        return Estimate.missing()
    n1, n2 = x.size, y.size
    se = math.sqrt((n1 + n2) / (n1 * n2) + d * d / (2.0 * (n1 + n2)))
    return Estimate(d, d - z * se, d + z * se)


def _bool_values(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=object).ravel()
    return array[~pd.isna(array)].astype(bool)


def odds_ratio(resp_treatment: ArrayLike, resp_control: ArrayLike, *, alpha: float = 0.05) -> Estimate:
    """Odds ratio of response, treatment vs control, with Woolf's logit interval.

    Args:
        resp_treatment: response flags (bool or 0/1) of the treatment arm; NaN/None dropped.
        resp_control: response flags of the control arm; NaN/None dropped.
        alpha: 1 - confidence level of the interval.

    Returns:
        OR > 1 when response is more likely on treatment; all NaN when an arm is empty.
        The Haldane-Anscombe 0.5 correction is applied to all cells only when a cell is 0.
    """
    _z(alpha)  # rejects an alpha outside (0, 1)
    t, c = _bool_values(resp_treatment), _bool_values(resp_control)
    if t.size == 0 or c.size == 0:
        return Estimate.missing()
    cells = np.array([[t.sum(), (~t).sum()], [c.sum(), (~c).sum()]], dtype=float)
    if (cells == 0).any():
        cells += 0.5  # Haldane-Anscombe, on every cell
    table = Table2x2(cells, shift_zeros=False)
    low, high = table.log_oddsratio_confint(alpha)
    return Estimate(math.exp(table.log_oddsratio), math.exp(low), math.exp(high))
