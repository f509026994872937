"""The relapse signature: time to relapse among responders, a cross-validated Cox model.

Features are imputed (training-fold medians) and standardised (training-fold mean and SD) inside
each fold; a ridge-penalised Cox proportional-hazards model (lifelines ``CoxPHFitter``) gives
every held-out subject a risk score. Reported: Harrell's concordance of the out-of-fold risk with
the observed times (``concordance_index(time, -risk, event)``), a stratified bootstrap 95 % CI,
and the Kaplan-Meier curves of the subjects above and below the median out-of-fold risk with the
log-rank p-value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import concordance_index
from sklearn.model_selection import StratifiedKFold

PENALIZER = 0.5
"""Ridge penalty of the Cox fit: few events per feature in a relapse cohort (assumed; no inner search)."""


@dataclass(frozen=True)
class RelapseFit:
    """Cross-validated concordance, its CI, the risk groups' Kaplan-Meier curves and the coefficients."""

    features: tuple[str, ...]
    n: int
    events: int
    concordance: float
    concordance_ci: tuple[float, float]
    logrank_p: float
    oof: pd.DataFrame
    """subject, time, event, out-of-fold risk, group (high / low risk)."""
    curves: pd.DataFrame
    """group, time, survival (Kaplan-Meier)."""
    coefficients: pd.DataFrame
    """feature, log hazard ratio per SD of the feature (fitted on every subject)."""

    def metrics(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {"n": self.n, "events": self.events, "concordance": self.concordance,
                "concordance_ci": list(self.concordance_ci), "logrank_p": self.logrank_p}


def _prepare(train: pd.DataFrame, other: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    median = train.median()
    mean, sd = train.fillna(median).mean(), train.fillna(median).std(ddof=0).replace(0, 1.0)
    return (train.fillna(median) - mean) / sd, (other.fillna(median) - mean) / sd


def _cox(x: pd.DataFrame, time: np.ndarray, event: np.ndarray) -> CoxPHFitter:
    frame = x.assign(_time=time, _event=event)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CoxPHFitter(penalizer=PENALIZER).fit(frame, duration_col="_time", event_col="_event")


def fit_relapse(x: pd.DataFrame, time: pd.Series, event: pd.Series, subjects: pd.Series, *, folds: int = 5,
                n_bootstrap: int = 1000, seed: int = 1) -> RelapseFit:
    """Out-of-fold Cox risk, concordance with bootstrap CI, Kaplan-Meier curves by risk group."""
    t, e = time.to_numpy(float), event.to_numpy(float).astype(int)
    x = x.reset_index(drop=True)
    risk = np.full(t.size, np.nan)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, e):
        fitted_x, held_x = _prepare(x.iloc[train], x.iloc[test])
        model = _cox(fitted_x, t[train], e[train])
        risk[test] = model.predict_partial_hazard(held_x).to_numpy(float)
    concordance = float(concordance_index(t, -risk, e))
    rng = np.random.default_rng(seed)
    boots = []
    events, censored = np.flatnonzero(e == 1), np.flatnonzero(e == 0)
    for _ in range(n_bootstrap):
        rows = np.concatenate([rng.choice(events, events.size), rng.choice(censored, censored.size)])
        boots.append(concordance_index(t[rows], -risk[rows], e[rows]))
    ci = tuple(float(v) for v in np.percentile(boots, [2.5, 97.5])) if boots else (float("nan"), float("nan"))
    high = risk > np.median(risk)
    test = logrank_test(t[high], t[~high], e[high], e[~high])
    curves = []
    for name, mask in (("high risk", high), ("low risk", ~high)):
        km = KaplanMeierFitter().fit(t[mask], e[mask])
        frame = km.survival_function_.reset_index()
        curves.append(pd.DataFrame({"group": name, "time": frame.iloc[:, 0], "survival": frame.iloc[:, 1]}))
    whole, _ = _prepare(x, x)
    final = _cox(whole, t, e)
    coefficients = pd.DataFrame({"feature": list(x.columns), "log_hr_per_sd": final.params_.to_numpy(float)})
    return RelapseFit(
        tuple(x.columns), int(t.size), int(e.sum()), concordance, (ci[0], ci[1]), float(test.p_value),
        pd.DataFrame({"subject": subjects.to_numpy(), "time": t, "event": e, "risk": risk,
                      "group": np.where(high, "high risk", "low risk")}),
        pd.concat(curves, ignore_index=True), coefficients)
