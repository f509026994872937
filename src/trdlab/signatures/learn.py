"""Nested cross-validation of a response signature, the way a careful biomarker paper does it.

Outer loop: repeated stratified k-fold (performance). Inner loop: stratified k-fold grid search
over the pipeline's penalty (hyper-parameters). Every preprocessing step (median imputation,
standardisation) is a step of the scikit-learn ``Pipeline``, so it is fitted inside each training
fold only. Reported (all from out-of-fold predictions):

- AUC of the subject-wise mean out-of-fold probability, with a stratified percentile-bootstrap CI
  over subjects (conditional on the fitted fold models: it leaves out the refitting variability,
  so it is somewhat narrow; the spread of the per-repeat AUCs shows the split variability), and
  the AUC of each repeat;
- balanced accuracy at the training fold's prevalence as threshold;
- the calibration curve (quantile bins);
- a permutation test: the AUC of one outer-CV repeat of the whole nested procedure, on the data and
  refitted on each permutation of the labels, ``p = (1 + #{AUC_perm >= AUC}) / (1 + n_permutations)``
  (one repeat, not the repeat average, to keep the test affordable);
- permutation feature importance: drop of AUC when a feature is permuted in the held-out fold,
  averaged over folds.

Same seed, same result: every splitter, model and permutation takes its state from ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.calibration import calibration_curve
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from trdlab.parallel import Runner, run_tasks
from trdlab.signatures.data import SignatureError

ModelName = Literal["logistic", "forest"]
MODELS: tuple[str, ...] = ("logistic", "forest")


@dataclass(frozen=True)
class CVScheme:
    """Nested cross-validation settings (the manifest records them)."""

    outer_folds: int = 5
    repeats: int = 2
    inner_folds: int = 3
    n_bootstrap: int = 1000
    n_permutations: int = 100
    importance_repeats: int = 5
    seed: int = 1

    @property
    def min_per_class(self) -> int:
        """Subjects needed in the smaller class: every outer training set (stratified: at most
        ``ceil(m / outer_folds)`` of them held out) must still hold ``inner_folds`` of them, so that each
        inner fold has both classes: the smallest ``m`` with ``m - ceil(m / outer_folds) >= inner_folds``."""
        m = max(self.outer_folds, self.inner_folds)
        while m - -(-m // self.outer_folds) < self.inner_folds:
            m += 1
        return m

    def check(self) -> None:
        """Raises :class:`SignatureError` for impossible settings."""
        problems = [f"{name} = {value}: must be >= {low}" for name, value, low in (
            ("outer_folds", self.outer_folds, 2), ("inner_folds", self.inner_folds, 2), ("repeats", self.repeats, 1),
            ("n_bootstrap", self.n_bootstrap, 0), ("n_permutations", self.n_permutations, 0),
            ("importance_repeats", self.importance_repeats, 1)) if value < low]
        if problems:
            raise SignatureError("; ".join(problems))


def pipeline(model: ModelName, seed: int) -> tuple[Pipeline, dict[str, list[object]]]:
    """The estimator and its inner-loop grid."""
    if model == "logistic":
        estimator = LogisticRegression(max_iter=2000)
        grid: dict[str, list[object]] = {"model__C": [0.01, 0.1, 1.0, 10.0]}
        steps = [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()), ("model", estimator)]
    elif model == "forest":
        estimator = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)
        grid = {"model__max_depth": [2, 4, None], "model__min_samples_leaf": [1, 5]}
        steps = [("impute", SimpleImputer(strategy="median")), ("model", estimator)]
    else:
        raise SignatureError(f"--model {model!r}: use one of {', '.join(MODELS)}")
    return Pipeline(steps), grid


def _searcher(model: ModelName, scheme: CVScheme, seed: int) -> GridSearchCV:
    estimator, grid = pipeline(model, seed)
    inner = StratifiedKFold(scheme.inner_folds, shuffle=True, random_state=seed)
    return GridSearchCV(estimator, grid, scoring="roc_auc", cv=inner, n_jobs=1, error_score="raise")


@dataclass(frozen=True)
class Fit:
    """A fitted signature's cross-validated performance (values; the refitted model is ``model``)."""

    features: tuple[str, ...]
    model_name: str
    scheme: CVScheme
    n: int
    n_positive: int
    auc: float
    auc_ci: tuple[float, float]
    auc_repeats: tuple[float, ...]
    balanced_accuracy: float
    permutation_p: float | None
    oof: pd.DataFrame
    """subject, outcome, mean out-of-fold probability."""
    importance: pd.DataFrame
    """feature, mean and sd of the AUC drop when permuted in held-out folds."""
    calibration: pd.DataFrame
    roc: pd.DataFrame
    roc_band: pd.DataFrame
    """false-positive-rate grid with the bootstrap 2.5 / 97.5 % true-positive rates."""
    chosen: dict[str, object] = field(default_factory=dict)
    """Hyper-parameters the inner search chose on the whole table (the refitted model)."""
    model: object = field(default=None, repr=False, compare=False)

    def metrics(self) -> dict[str, object]:
        """JSON-ready performance summary."""
        return {"n": self.n, "n_positive": self.n_positive, "auc": self.auc, "auc_ci": list(self.auc_ci),
                "auc_repeats": list(self.auc_repeats), "balanced_accuracy": self.balanced_accuracy,
                "permutation_p": self.permutation_p, "chosen": self.chosen}


def _outer(x: np.ndarray, y: np.ndarray, model: ModelName, scheme: CVScheme, *, importance: bool,
           features: tuple[str, ...]) -> tuple[np.ndarray, list[float], float, np.ndarray]:
    """Out-of-fold probabilities (repeat, subject), AUC per repeat, balanced accuracy, importances (fold, feature)."""
    splitter = RepeatedStratifiedKFold(n_splits=scheme.outer_folds, n_repeats=scheme.repeats, random_state=scheme.seed)
    probabilities = np.full((scheme.repeats, y.size), np.nan)
    labels = np.full((scheme.repeats, y.size), -1)
    drops = []
    for k, (train, test) in enumerate(splitter.split(x, y)):
        repeat = k // scheme.outer_folds
        search = _searcher(model, scheme, scheme.seed + k).fit(x[train], y[train])
        p = search.predict_proba(x[test])[:, 1]
        probabilities[repeat, test] = p
        labels[repeat, test] = (p >= y[train].mean()).astype(int)
        if importance and np.unique(y[test]).size == 2:
            result = permutation_importance(search.best_estimator_, x[test], y[test], scoring="roc_auc",
                                            n_repeats=scheme.importance_repeats, random_state=scheme.seed + k)
            drops.append(result.importances_mean)
    aucs = [float(roc_auc_score(y, probabilities[r])) for r in range(scheme.repeats)]
    balanced = float(np.mean([balanced_accuracy_score(y, labels[r]) for r in range(scheme.repeats)]))
    return probabilities, aucs, balanced, np.array(drops) if drops else np.zeros((0, len(features)))


def bootstrap_auc(y: np.ndarray, p: np.ndarray, n: int, seed: int) -> tuple[tuple[float, float], pd.DataFrame]:
    """Stratified percentile-bootstrap 95 % CI of the AUC and the ROC band on a false-positive grid."""
    rng = np.random.default_rng(seed)
    positive, negative = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    grid = np.linspace(0, 1, 51)
    aucs, curves = [], []
    for _ in range(n):
        rows = np.concatenate([rng.choice(positive, positive.size), rng.choice(negative, negative.size)])
        aucs.append(roc_auc_score(y[rows], p[rows]))
        fpr, tpr, _ = roc_curve(y[rows], p[rows])
        curves.append(np.interp(grid, fpr, tpr))
    if not aucs:
        return (float("nan"), float("nan")), pd.DataFrame({"fpr": grid, "tpr_low": np.nan, "tpr_high": np.nan})
    band = np.percentile(np.array(curves), [2.5, 97.5], axis=0)
    low, high = np.percentile(aucs, [2.5, 97.5])
    return (float(low), float(high)), pd.DataFrame({"fpr": grid, "tpr_low": band[0], "tpr_high": band[1]})


def _permuted_auc(task: tuple[np.ndarray, np.ndarray, ModelName, CVScheme, tuple[str, ...]]) -> float:
    """One label permutation's outer-CV AUC (a task of the runner)."""
    x, y, model, single, features = task
    return _outer(x, y, model, single, importance=False, features=features)[1][0]


def fit_signature(x: pd.DataFrame, outcome: pd.Series, subjects: pd.Series, *, model: ModelName = "logistic",
                  scheme: CVScheme = CVScheme(), runner: Runner | None = None) -> Fit:
    """Nested-CV performance of the signature and the model refitted on every subject.

    ``runner``: the permutation test's refits run as its tasks (the permuted labels are drawn here,
    in order, so the p-value does not depend on the back-end).
    """
    scheme.check()
    features = tuple(x.columns)
    X, y = x.to_numpy(float), outcome.to_numpy(float).astype(int)
    probabilities, aucs, balanced, drops = _outer(X, y, model, scheme, importance=True, features=features)
    mean_p = probabilities.mean(axis=0)
    auc = float(roc_auc_score(y, mean_p))
    ci, band = bootstrap_auc(y, mean_p, scheme.n_bootstrap, scheme.seed)
    p_value = None
    if scheme.n_permutations:
        rng = np.random.default_rng(scheme.seed)
        single = CVScheme(scheme.outer_folds, 1, scheme.inner_folds, 0, 0, 1, scheme.seed)
        observed = _outer(X, y, model, single, importance=False, features=features)[1][0]
        tasks = [(X, rng.permutation(y), model, single, features) for _ in range(scheme.n_permutations)]
        null = run_tasks(_permuted_auc, tasks, runner=runner)
        p_value = float((1 + sum(v >= observed for v in null)) / (1 + len(null)))
    fpr, tpr, _ = roc_curve(y, mean_p)
    bins = min(5, max(2, int(min(np.bincount(y)) // 2)))
    observed_rate, predicted = calibration_curve(y, mean_p, n_bins=bins, strategy="quantile")
    final = _searcher(model, scheme, scheme.seed).fit(X, y)
    importance = pd.DataFrame({"feature": features, "auc_drop": drops.mean(axis=0) if len(drops) else np.nan,
                               "auc_drop_sd": drops.std(axis=0) if len(drops) else np.nan})
    return Fit(
        features=features, model_name=model, scheme=scheme, n=int(y.size), n_positive=int(y.sum()), auc=auc,
        auc_ci=ci, auc_repeats=tuple(aucs), balanced_accuracy=balanced, permutation_p=p_value,
        oof=pd.DataFrame({"subject": subjects.to_numpy(), "outcome": y, "probability": mean_p}),
        importance=importance.sort_values("auc_drop", ascending=False, kind="stable").reset_index(drop=True),
        calibration=pd.DataFrame({"predicted": predicted, "observed": observed_rate}),
        roc=pd.DataFrame({"fpr": fpr, "tpr": tpr}), roc_band=band,
        chosen={k: (v if isinstance(v, (int, float, str)) or v is None else str(v)) for k, v in final.best_params_.items()},
        model=final.best_estimator_)
