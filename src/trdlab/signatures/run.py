"""One call from a subject table to a fitted signature: check, choose features, cross-validate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from trdlab.parallel import Runner
from trdlab.signatures.data import WINDOW_H, Problem, design_matrix, problem
from trdlab.signatures.learn import CVScheme, Fit, ModelName, fit_signature
from trdlab.signatures.relapse import RelapseFit, fit_relapse


@dataclass(frozen=True)
class Signature:
    """The learning problem and its cross-validated fit."""

    problem: Problem
    fit: Fit | RelapseFit
    scheme: CVScheme
    model_name: str


def fit_table(table: pd.DataFrame, outcome: str, *, features: Sequence[str] | None = None,
              model: ModelName = "logistic", scheme: CVScheme = CVScheme(), window_h: float = WINDOW_H,
              runner: Runner | None = None) -> Signature:
    """Fit a response / non-response (classification) or relapse (survival) signature on ``table``.

    Raises:
        SignatureError: every problem of the table (missing columns, leakage, one class, too few
            subjects per fold) at once, before anything is fitted.
    """
    scheme.check()
    chosen = problem(table, outcome, features, window_h)
    minimum = scheme.min_per_class if chosen.task == "classification" else scheme.outer_folds
    x, y = design_matrix(table, chosen, min_per_class=minimum)
    if chosen.task == "survival":
        time, event = chosen.columns
        fit: Fit | RelapseFit = fit_relapse(x, y[time], y[event], y["subject"], folds=scheme.outer_folds,
                                            n_bootstrap=scheme.n_bootstrap, seed=scheme.seed)
        return Signature(chosen, fit, scheme, "cox")
    return Signature(chosen, fit_signature(x, y[chosen.outcome], y["subject"], model=model, scheme=scheme,
                                           runner=runner), scheme, model)
