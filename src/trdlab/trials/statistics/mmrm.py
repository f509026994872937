"""Repeated-measures analysis of change scores: a random-intercept linear mixed model.

What this is (and is not): statsmodels has no MMRM with an *unstructured* within-subject
covariance (Mallinckrodt et al. 2008), so :func:`fit_mmrm` fits the closest model it
offers, a linear mixed model with a random intercept per subject (compound symmetry)::

    y_ijk = mu_{arm(i,k), visit j} + beta * baseline_ik + gamma_period(k) + b_i + e_ijk,
    b_i ~ N(0, sigma_b^2),  e_ijk ~ N(0, sigma^2)

(subject i, visit j, period k; the period term only for crossover designs). The fixed
effects are one mean per arm x visit cell (the full arm x visit interaction, written in
the cell-means parametrization), the baseline total (centred) and, if asked for, period
dummies. It is estimated by REML by default (Patterson & Thompson 1971; the default of
SAS PROC MIXED and of the R ``mmrm`` package, less biased variance components and so
better-calibrated standard errors in small trials); ``method="ML"`` gives maximum
likelihood (as ``lmer(REML = FALSE)``).

Missing visits (dropout): rows with a NaN outcome or baseline are dropped and the
likelihood of the observed rows is maximized, which is valid under missing at random
(MAR) -- the standard "MMRM-type" likelihood analysis, without imputation.

Contrasts (:meth:`MMRMResult.contrast`) are Wald tests of ``mu_{T,v} - mu_{C,v}``
from the fixed effects and their model-based covariance ``sigma^2 (X' V^-1 X)^-1``
(as lme4, nlme and SAS PROC MIXED report it), with normal (z) reference
distribution -- no Kenward-Roger or Satterthwaite degrees of freedom, so p-values are
somewhat anti-conservative in very small trials.

Degenerate data (documented behaviour, no exception):

* one observation per subject (for example a single-visit parallel trial): sigma_b is
  not identifiable; the model is fitted by ordinary least squares (ANCOVA), which is the
  ML/REML estimate of the fixed effects of the same model (``method`` becomes "OLS").
* no residual variance at all (every observation is fitted exactly, for example an
  arm with no variance and nothing else to estimate): the point estimates are kept and
  their covariance is NaN, so a contrast has an estimate but NaN limits and NaN p.
* an arm whose values do not vary while other arms do needs nothing special: the model
  has one residual variance pooled over arms.
* an arm x visit cell without observations (or a frame without any): its contrast is
  all NaN with p NaN.
* baseline or period columns collinear with the arm x visit cells are dropped (noted).

Unknown arm or visit names in a contrast, missing columns or an unknown ``method``
raise :class:`~trdlab.errors.TrialError`. In a crossover the random intercept is per
subject (shared by its periods) and each period has its own baseline.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM

from trdlab.errors import TrialError
from trdlab.trials.statistics.estimates import Estimate

__all__ = ["MMRMResult", "MixedModelFit", "fit_mmrm", "fit_random_intercept"]

Method = Literal["REML", "ML"]


@dataclass(frozen=True, eq=False)
class MixedModelFit:
    """Fixed effects, their covariance and the variance components of a fitted model.

    Attributes:
        names: fixed-effect names, in the order of ``params``.
        params: fixed-effect estimates.
        covariance: model-based covariance of ``params`` (NaN when not estimable).
        subject_variance: sigma_b^2 of the random intercept (NaN for an OLS fit).
        residual_variance: sigma^2.
        log_likelihood: maximized (restricted) log-likelihood.
        method: "REML", "ML" or "OLS" (one observation per subject or no residual variance).
        n_observations: rows used; n_subjects: subjects with at least one row.
        converged: whether the optimizer reported convergence.
        notes: warnings and adjustments made during the fit.
    """

    names: tuple[str, ...]
    params: np.ndarray
    covariance: np.ndarray
    subject_variance: float
    residual_variance: float
    log_likelihood: float
    method: Literal["REML", "ML", "OLS"]
    n_observations: int
    n_subjects: int
    converged: bool
    notes: tuple[str, ...] = ()

    def coefficient(self, name: str) -> float:
        """The estimate of the fixed effect called ``name``."""
        if name not in self.names:
            raise TrialError(f"fixed effect {name!r} is not in the model; choose one of {list(self.names)}")
        return float(self.params[self.names.index(name)])


def _ols(
    y: np.ndarray, x: np.ndarray, names: tuple[str, ...], n_subjects: int, method: Method, notes: list[str]
) -> MixedModelFit:
    """Least squares: sigma^2 = RSS/(n-p) (REML) or RSS/n (ML); Cov(beta) = RSS/(n-p) (X'X)^-1 either way."""
    params, *_ = np.linalg.lstsq(x, y, rcond=None)
    rss = float(np.sum((y - x @ params) ** 2))
    n, p = x.shape
    scale_ref = float(np.sum((y - y.mean()) ** 2)) + float(np.sum(y**2)) + 1.0
    if rss <= 1e-20 * scale_ref or n <= p:
        notes.append("no residual variance: point estimates only, covariance NaN")
        nan = np.full((p, p), np.nan)
        return MixedModelFit(names, params, nan, float("nan"), 0.0, float("nan"), "OLS", n, n_subjects, True, tuple(notes))
    sigma2 = rss / (n - p) if method == "REML" else rss / n
    covariance = (rss / (n - p)) * np.linalg.inv(x.T @ x)
    loglik = -0.5 * n * (np.log(2 * np.pi * sigma2) + 1.0) if method == "ML" else float("nan")
    return MixedModelFit(names, params, covariance, float("nan"), sigma2, float(loglik), "OLS", n, n_subjects, True, tuple(notes))


def _gls_covariance(x: np.ndarray, groups: np.ndarray, subject_variance: float, residual_variance: float) -> np.ndarray:
    """Model-based ``Cov(beta) = sigma^2 (X' V^-1 X)^-1`` with ``V_i = I + (sigma_b^2 / sigma^2) J``.

    ``V_i^-1 = I - lambda / (1 + n_i lambda) J`` (Sherman-Morrison), ``lambda = sigma_b^2 / sigma^2``.
    This is the covariance lme4, nlme and SAS PROC MIXED report; statsmodels'
    ``cov_params`` instead inverts the joint information of fixed effects and variance
    parameters, which differs slightly for REML.
    """
    ratio = subject_variance / residual_variance
    by_group = pd.DataFrame(x).groupby(groups, sort=False)
    totals = by_group.sum().to_numpy()
    weights = ratio / (1.0 + by_group.size().to_numpy() * ratio)
    information = x.T @ x - (totals * weights[:, None]).T @ totals
    return residual_variance * np.linalg.inv(information)


def fit_random_intercept(
    design: pd.DataFrame, outcome: pd.Series, subjects: pd.Series, *, method: Method = "REML"
) -> MixedModelFit:
    """Fit ``outcome = design @ beta + b_subject + e`` (random intercept) with statsmodels MixedLM.

    Args:
        design: fixed-effects design matrix (one column per named fixed effect, full rank,
            an intercept column included by the caller if wanted).
        outcome: response values (no NaN), aligned with ``design``.
        subjects: subject identifier of each row (the random-intercept grouping).
        method: "REML" (default) or "ML".

    Returns:
        A :class:`MixedModelFit`; with at most one row per subject the OLS fit (see module
        docstring), with no residual variance point estimates and a NaN covariance.
    """
    if method not in ("REML", "ML"):
        raise TrialError(f"method={method!r} is not supported; use 'REML' or 'ML'")
    y = np.asarray(outcome, dtype=float)
    x = np.asarray(design, dtype=float)
    groups = np.asarray(subjects)
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise TrialError("the outcome and design must be finite; drop rows with missing values first")
    names = tuple(str(c) for c in design.columns)
    n_subjects = int(pd.unique(groups).size)
    notes: list[str] = []
    if n_subjects == y.size:
        notes.append("one observation per subject: random intercept not identifiable, fitted by OLS (ANCOVA)")
        return _ols(y, x, names, n_subjects, method, notes)
    ols = _ols(y, x, names, n_subjects, method, [])
    if ols.residual_variance == 0.0:
        return _ols(y, x, names, n_subjects, method, notes)
    model = MixedLM(y, x, groups, exog_re=np.ones((y.size, 1)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = model.fit(reml=method == "REML")
        except (np.linalg.LinAlgError, ValueError) as error:
            notes.append(f"mixed model failed ({error}); OLS fit used instead")
            return _ols(y, x, names, n_subjects, method, notes)
    notes.extend(sorted({str(w.message).splitlines()[0] for w in caught}))
    subject_variance = float(np.asarray(result.cov_re)[0, 0])
    residual_variance = float(result.scale)
    return MixedModelFit(
        names=names,
        params=np.asarray(result.fe_params, dtype=float),
        covariance=_gls_covariance(x, groups, subject_variance, residual_variance),
        subject_variance=subject_variance,
        residual_variance=residual_variance,
        log_likelihood=float(result.llf),
        method=method,
        n_observations=int(y.size),
        n_subjects=n_subjects,
        converged=bool(result.converged),
        notes=tuple(notes),
    )


def _cell(arm: str, visit: str) -> str:
    return f"cell[{arm}|{visit}]"


@dataclass(frozen=True, eq=False)
class MMRMResult:
    """A fitted repeated-measures model of an arm x visit design (see module docstring).

    Attributes:
        fit: the fixed effects and variance components (``None`` when no row had an outcome).
        arms: arm labels present in the input frame.
        visits: visit labels present in the input frame (in order of appearance).
        outcome: name of the analysed outcome column.
        dropped_rows: rows left out for a missing outcome or baseline (MAR analysis).
    """

    fit: MixedModelFit | None
    arms: tuple[str, ...]
    visits: tuple[str, ...]
    outcome: str
    dropped_rows: int

    def contrast(self, treatment: str, control: str, visit: str, *, alpha: float = 0.05) -> tuple[Estimate, float]:
        """Wald contrast ``mu_{treatment,visit} - mu_{control,visit}`` of the outcome.

        The difference is treatment minus control in outcome units (for change scores a
        negative difference favours the treatment).

        Returns:
            ``(mean_difference, p_value)``: the estimate with its ``1 - alpha`` normal
            interval and the two-sided Wald p-value; all NaN when a cell has no data, NaN
            limits and p when the covariance is not estimable.
        """
        roles = (("treatment", treatment), ("control", control))
        problems = [f"{role} arm {name!r}" for role, name in roles if name not in self.arms]
        if visit not in self.visits:
            problems.append(f"visit {visit!r}")
        if problems:
            raise TrialError(f"contrast: unknown {', '.join(problems)}; arms are {list(self.arms)}, visits {list(self.visits)}")
        if not 0.0 < alpha < 1.0:
            raise TrialError(f"alpha={alpha!r} must lie in (0, 1); use 0.05 for a 95 % interval")
        fit = self.fit
        names = (_cell(treatment, visit), _cell(control, visit))
        if fit is None or any(name not in fit.names for name in names):
            return Estimate.missing(), float("nan")
        weights = np.zeros(len(fit.names))
        weights[fit.names.index(names[0])] += 1.0
        weights[fit.names.index(names[1])] -= 1.0
        difference = float(weights @ fit.params)
        variance = float(weights @ fit.covariance @ weights)
        if not (np.isfinite(variance) and variance > 0.0):
            return Estimate(difference, float("nan"), float("nan")), float("nan")
        se = float(np.sqrt(variance))
        z = float(stats.norm.ppf(1.0 - alpha / 2.0))
        p_value = float(2.0 * stats.norm.sf(abs(difference) / se))
        return Estimate(difference, difference - z * se, difference + z * se), p_value


def fit_mmrm(
    frame: pd.DataFrame,
    *,
    outcome: str = "change",
    subject: str = "subject",
    arm: str = "arm",
    visit: str = "visit",
    baseline: str = "baseline",
    period: str | None = None,
    method: Method = "REML",
) -> MMRMResult:
    """Fit the random-intercept repeated-measures model (arm x visit + baseline [+ period]).

    Args:
        frame: long table, one row per subject x (period x) visit.
        outcome: column analysed (default the change from baseline).
        subject, arm, visit, baseline: column names.
        period: period column for crossover designs (fixed period effects), or ``None``.
        method: "REML" (default) or "ML".

    Returns:
        An :class:`MMRMResult`; call :meth:`MMRMResult.contrast` for arm differences.
    """
    columns = [outcome, subject, arm, visit, baseline] + ([period] if period is not None else [])
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TrialError(f"fit_mmrm: frame lacks columns {missing}; pass the right column names (outcome=, subject=, ...)")
    arms = tuple(sorted(pd.unique(frame[arm].astype(str))))
    visits = tuple(pd.unique(frame[visit].astype(str)))
    data = frame[columns].copy()
    data[outcome] = pd.to_numeric(data[outcome], errors="coerce")
    data[baseline] = pd.to_numeric(data[baseline], errors="coerce")
    keep = data[outcome].notna() & data[baseline].notna() & np.isfinite(data[outcome]) & np.isfinite(data[baseline])
    if period is not None:
        keep &= data[period].notna()
    data = data.loc[keep]
    dropped = int((~keep).sum())
    if data.empty:
        return MMRMResult(None, arms, visits, outcome, dropped)
    cell_labels = [_cell(a, v) for a, v in zip(data[arm].astype(str), data[visit].astype(str), strict=True)]
    design = pd.get_dummies(pd.Categorical(cell_labels), dtype=float)
    design.index = data.index
    covariates = pd.DataFrame(index=data.index)
    covariates["baseline"] = data[baseline] - data[baseline].mean()
    if period is not None:
        for level in sorted(pd.unique(data[period]))[1:]:
            covariates[f"period[{level}]"] = (data[period] == level).astype(float)
    notes: list[str] = []
    for name in covariates.columns:
        trial = pd.concat([design, covariates[[name]]], axis=1)
        if np.linalg.matrix_rank(trial.to_numpy()) == trial.shape[1]:
            design = trial
        else:
            notes.append(f"{name} dropped: collinear with the arm x visit cells")
    fit = fit_random_intercept(design, data[outcome], data[subject], method=method)
    if notes:
        fit = MixedModelFit(**{**fit.__dict__, "notes": fit.notes + tuple(notes)})
    return MMRMResult(fit, arms, visits, outcome, dropped)
