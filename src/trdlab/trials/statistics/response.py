"""Response, remission and loss of response (relapse) from rating-scale scores.

Conventions of the trial subject table (one row per subject x period x visit):
``change = total - baseline`` (negative is improvement) and
``pct_change = -change / baseline`` (the fractional reduction, positive is improvement).

* Response: ``pct_change >= threshold`` (conventionally a reduction of at least 50 %
  from baseline on MADRS or HAM-D; Frank et al. 1991, Arch Gen Psychiatry 48:851).
* Remission: ``total <= threshold`` with a scale-specific cut-off (for example MADRS
  <= 10 or HAM-D17 <= 7).
* Relapse (here: loss of response): for a subject-period that responds at some visit,
  the time from the first responding visit to the first later observed visit without
  response (event), or to the last observed visit (censored).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from trdlab.errors import TrialError

__all__ = ["observed_rows", "relapse_times", "remitters", "responders"]


def responders(pct_change: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """Boolean responder flags: ``pct_change >= threshold``.

    Args:
        pct_change: fractional reduction from baseline (0.5 = 50 % improvement);
            NaN (a missing visit) is *not* a responder, so drop missing rows first when
            computing a rate.
        threshold: the fractional reduction that defines response, in (0, 1].

    Returns:
        A boolean array of the shape of ``pct_change``.
    """
    if not 0.0 < threshold <= 1.0:
        raise TrialError(f"response threshold={threshold!r} must be a fraction in (0, 1]; use 0.5 for a 50 % reduction")
    values = np.asarray(pct_change, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.greater_equal(values, threshold)


def remitters(total: ArrayLike, threshold: float) -> np.ndarray:
    """Boolean remission flags: ``total <= threshold`` (NaN totals are not remitters).

    Args:
        total: rating-scale totals at the visit.
        threshold: the scale's remission cut-off (for example 10 for MADRS, 7 for HAM-D17).
    """
    if not np.isfinite(threshold) or threshold < 0:
        raise TrialError(f"remission threshold={threshold!r} must be a finite, non-negative scale total")
    values = np.asarray(total, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.less_equal(values, threshold)


def observed_rows(subjects: pd.DataFrame) -> pd.Series:
    """Rows that carry an observation: ``total`` is not NaN and ``dropped`` (if present) is False."""
    observed = subjects["total"].notna()
    if "dropped" in subjects.columns:
        observed &= ~subjects["dropped"].astype(bool)
    return observed


def relapse_times(subjects: pd.DataFrame, visit_days: Mapping[str, float]) -> pd.DataFrame:
    """Time from first response to loss of response, per responding subject-period.

    For each ``(arm, period, subject)`` the observed visits are ordered by
    ``visit_days``. A subject-period that never responds is left out. For a responder,
    with ``t0`` the day of the first responding visit:

    * event = 1, duration = ``t - t0`` at the first later observed visit without response;
    * event = 0, duration = ``t_last - t0`` (censored at the last observed visit) when
      response is kept to the end (a first response at the last visit gives 0 days).

    Args:
        subjects: the trial subject table with columns ``subject``, ``arm``, ``period``,
            ``visit``, ``total``, ``response`` (and optionally ``dropped``).
        visit_days: the time of every visit label in days.

    Returns:
        A frame with columns ``arm``, ``period``, ``subject``, ``first_response_day``,
        ``duration`` (days) and ``event`` (0/1), one row per responder.
    """
    required = ["subject", "arm", "period", "visit", "total", "response"]
    missing = [column for column in required if column not in subjects.columns]
    if missing:
        raise TrialError(f"subject table lacks columns {missing}; relapse_times needs {required}")
    unknown = sorted(set(subjects["visit"].astype(str)) - set(visit_days))
    if unknown:
        raise TrialError(f"visit_days has no time for visits {unknown}; add them (in days) to visit_days")
    rows = subjects.loc[observed_rows(subjects), ["arm", "period", "subject", "visit", "response"]].copy()
    rows["day"] = rows["visit"].astype(str).map(visit_days).astype(float)
    rows = rows.sort_values(["arm", "period", "subject", "day"], kind="stable")
    records: list[dict[str, object]] = []
    for (arm, period, subject), group in rows.groupby(["arm", "period", "subject"], sort=True):
        days = group["day"].to_numpy()
        responding = group["response"].astype(bool).to_numpy()
        if not responding.any():
            continue
        first = int(np.argmax(responding))
        lost = np.flatnonzero(~responding[first + 1 :])
        if lost.size:
            end, event = days[first + 1 + lost[0]], 1
        else:
            end, event = days[-1], 0
        records.append(
            {
                "arm": arm,
                "period": period,
                "subject": subject,
                "first_response_day": float(days[first]),
                "duration": float(end - days[first]),
                "event": event,
            }
        )
    columns = ["arm", "period", "subject", "first_response_day", "duration", "event"]
    return pd.DataFrame.from_records(records, columns=columns)
