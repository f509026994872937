"""Bio-signature readouts of a trial experiment: learned on the cohort's signature table.

The cohort's design reads biomarkers (``[[biomarkers]]``); the readout builds the one-row-per-subject
table (:func:`trdlab.biomarkers.table.signature_table`) from the simulated cohort, with the
biomarker noise drawn from the cohort's seed, and measures:

- ``correlation``: Spearman's rho of ``feature`` with ``outcome`` (e.g. ``improvement_1d``), and
  ``correlation_ci_low`` / ``correlation_ci_high`` the ends of its 95 % CI (a published direction
  holds when the CI excludes 0 on that side, not on the sign of a point estimate near 0);
- ``signature_auc`` / ``signature_auc_ci_low``: the nested-cross-validated AUC of the default
  signature (biomarkers within 72 h, penalised logistic regression) for a binary ``outcome``, or the
  lower end of its bootstrap 95 % CI;
- ``relapse_concordance``: the cross-validated concordance of the Cox relapse signature.

Nothing here is fitted to the check's bounds: the signature is learned on the virtual cohort's
own outcomes, as a biomarker study would on its patients.
"""

from __future__ import annotations

from typing import Any, MutableMapping

import numpy as np
import pandas as pd
from scipy import stats

from trdlab.biomarkers.table import signature_table
from trdlab.clinical.parameters import ClinicalParameters
from trdlab.signatures.learn import CVScheme, Fit
from trdlab.signatures.relapse import RelapseFit
from trdlab.signatures.run import Signature, fit_table
from trdlab.trials.biomarkers import cohort_biomarkers
from trdlab.trials.design import TrialDesign
from trdlab.trials.scoring import Cohort

SIGNATURE_METRICS = ("correlation", "correlation_ci_low", "correlation_ci_high", "signature_auc", "signature_auc_ci_low",
                     "relapse_concordance")


def scheme(seed: int) -> CVScheme:
    """The cross-validation of experiment signatures (no permutation test: the CI is the verdict)."""
    return CVScheme(outer_folds=5, repeats=2, inner_folds=3, n_bootstrap=500, n_permutations=0,
                    importance_repeats=3, seed=seed)


def table(design: TrialDesign, simulated: Cohort, scored: pd.DataFrame, seed: int,
          params: ClinicalParameters) -> pd.DataFrame:
    """The cohort's signature table."""
    if not design.biomarkers:
        from trdlab.errors import ExperimentError

        raise ExperimentError(f"design {design.name!r} reads no biomarkers; a signature check needs [[biomarkers]]")
    markers = cohort_biomarkers(design, simulated, seed, params)
    return signature_table(scored, markers, design.visits)


def measure(metric: str, frame: pd.DataFrame, *, outcome: str, feature: str | None, seed: int,
            fits: MutableMapping[str, Signature]) -> float:
    """The metric's value; fitted signatures are kept in ``fits`` (by outcome) for the report."""
    if metric.startswith("correlation"):
        assert feature is not None
        for column in (feature, outcome):
            if column not in frame:
                from trdlab.errors import ExperimentError

                raise ExperimentError(f"column {column!r} is not in the signature table; columns: "
                                      f"{', '.join(c for c in frame.columns if c != 'subject')}")
        pair = frame[[feature, outcome]].dropna()
        if len(pair) < 4:
            return float("nan")
        if metric == "correlation":
            return float(stats.spearmanr(pair[feature], pair[outcome])[0])
        low, high = correlation_ci(frame, feature, outcome)
        return low if metric == "correlation_ci_low" else high
    if outcome not in fits:
        fits[outcome] = fit_table(frame, outcome, scheme=scheme(seed))
    fit: Any = fits[outcome].fit
    if metric == "relapse_concordance":
        assert isinstance(fit, RelapseFit)
        return fit.concordance
    assert isinstance(fit, Fit)
    return fit.auc if metric == "signature_auc" else fit.auc_ci[0]


def correlation_ci(frame: pd.DataFrame, feature: str, outcome: str) -> tuple[float, float]:
    """95 % CI of Spearman's rho by the Fisher z transform (SE = 1.03 / sqrt(n - 3), Fieller et al.)."""
    pair = frame[[feature, outcome]].dropna()
    n = len(pair)
    rho = float(stats.spearmanr(pair[feature], pair[outcome])[0])
    half = 1.96 * 1.03 / np.sqrt(max(n - 3, 1))
    return float(np.tanh(np.arctanh(rho) - half)), float(np.tanh(np.arctanh(rho) + half))
