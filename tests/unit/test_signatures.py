"""Signature learning (trdlab.signatures): honest nested CV, the leakage guard, errors, persistence.

Expected values: the analytic AUC of a known logistic signal (numerical integration, independent
of scikit-learn), the analytic concordance of an exponential proportional-hazards model, and 0.5
for labels independent of the features.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from trdlab.signatures.data import SignatureError, default_features, problem
from trdlab.signatures.learn import CVScheme
from trdlab.signatures.run import fit_table
from trdlab.signatures.store import apply_signature, save_signature

FAST = CVScheme(outer_folds=5, repeats=1, inner_folds=3, n_bootstrap=300, n_permutations=10, importance_repeats=2, seed=7)


def _table(n: int, beta: np.ndarray, intercept: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, beta.size))
    y = (rng.random(n) < 1 / (1 + np.exp(-(x @ beta + intercept)))).astype(float)
    table = pd.DataFrame(x, columns=[f"marker{k}@baseline" for k in range(beta.size)])
    return table.assign(subject=np.arange(n), response_1d=y)


def analytic_auc(scale: float, intercept: float) -> float:
    """AUC of the true linear predictor L ~ N(intercept, scale^2) for y ~ Bernoulli(sigmoid(L)):
    P(L_i > L_j | y_i = 1, y_j = 0), by numerical integration."""
    sig = lambda v: 0.5 * (1 + np.tanh(v / 2))  # noqa: E731 - the logistic function without overflow
    dens = lambda v: stats.norm.pdf(v, intercept, scale)  # noqa: E731
    p1 = integrate.quad(lambda v: sig(v) * dens(v), -np.inf, np.inf)[0]
    # P(L_j < a, y_j = 0) as a function of a
    below = lambda a: integrate.quad(lambda v: (1 - sig(v)) * dens(v), -np.inf, a)[0]  # noqa: E731
    joint = integrate.quad(lambda a: sig(a) * dens(a) * below(a), intercept - 8 * scale, intercept + 8 * scale, limit=200)[0]
    return joint / (p1 * (1 - p1))


def test_on_a_known_logistic_signal_the_cv_auc_approaches_the_analytic_auc() -> None:
    beta = np.array([1.0, 0.5, 0.0, 0.0])
    table = _table(1000, beta, -0.2, seed=11)
    fit = fit_table(table, "response_1d", scheme=CVScheme(5, 1, 3, 200, 0, 2, 3)).fit
    truth = analytic_auc(float(np.linalg.norm(beta)), -0.2)
    assert 0.70 < truth < 0.85
    assert fit.auc == pytest.approx(truth, abs=0.03)  # a fitted model is at most slightly below the oracle
    assert fit.auc_ci[0] < truth + 0.01 and fit.auc_ci[1] > truth - 0.03
    ranked = fit.importance.feature.tolist()
    assert ranked[:2] == ["marker0@baseline", "marker1@baseline"]


def test_with_labels_independent_of_the_features_the_cv_is_honest() -> None:
    """Over 12 null cohorts the mean AUC is 0.5 (SE ~0.012 measured) and the 95 % CIs cover 0.5 in
    most of them (each covers it with probability ~0.95; >= 9 of 12 fails with probability < 2 %)."""
    fits = [fit_table(_table(200, np.zeros(5), 0.0, seed=seed), "response_1d",
                      scheme=CVScheme(5, 1, 3, 300, 0, 1, 7)).fit for seed in range(20, 32)]
    assert np.mean([f.auc for f in fits]) == pytest.approx(0.5, abs=0.04)
    assert sum(f.auc_ci[0] < 0.5 < f.auc_ci[1] for f in fits) >= 9



def test_the_permutation_p_value_is_not_small_without_signal_and_minimal_with_one() -> None:
    """Without signal p is uniform: 2 of 3 null cohorts with p <= 0.05 happens with probability < 1 %."""
    scheme = CVScheme(5, 1, 3, 0, 20, 1, 7)
    null = [fit_table(_table(150, np.zeros(3), 0.0, seed=seed), "response_1d", scheme=scheme).fit.permutation_p
            for seed in (50, 51, 52)]
    assert sum(p is not None and p > 0.05 for p in null) >= 2
    signal = fit_table(_table(150, np.array([1.5, 0.0, 0.0]), 0.0, seed=53), "response_1d", scheme=scheme).fit
    assert signal.permutation_p == pytest.approx(1 / 21)


def test_same_seed_same_signature_and_another_seed_another_split() -> None:
    table = _table(150, np.array([1.0, 0.0]), 0.0, seed=2)
    one = fit_table(table, "response_1d", scheme=FAST).fit
    two = fit_table(table, "response_1d", scheme=FAST).fit
    assert one.metrics() == two.metrics()
    pd.testing.assert_frame_equal(one.oof, two.oof)
    other = fit_table(table, "response_1d", scheme=CVScheme(5, 1, 3, 300, 30, 2, seed=8)).fit
    assert other.auc != one.auc


def test_the_forest_pipeline_learns_a_threshold_signal() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((300, 3))
    y = ((x[:, 0] > 0.3) ^ (rng.random(300) < 0.1)).astype(float)
    table = pd.DataFrame(x, columns=["a@baseline", "b@baseline", "c@baseline"]).assign(subject=range(300), response_1d=y)
    fit = fit_table(table, "response_1d", model="forest", scheme=CVScheme(3, 1, 2, 100, 0, 1, 1)).fit
    assert fit.auc > 0.8


def analytic_concordance(beta: float) -> float:
    """Harrell's C of the true risk for exponential times with hazard exp(beta x), x ~ N(0, 1), no
    censoring: for a pair, P(higher risk fails first) = sigmoid(beta |x_i - x_j|), |x_i - x_j| ~ |N(0, 2)|."""
    return integrate.quad(lambda d: 1 / (1 + np.exp(-beta * d)) * 2 * stats.norm.pdf(d, 0, np.sqrt(2)), 0, np.inf)[0]


def test_the_relapse_signature_concordance_approaches_the_analytic_value() -> None:
    rng = np.random.default_rng(9)
    n, beta = 600, 0.8
    x = rng.standard_normal((n, 2))
    time = rng.exponential(1 / np.exp(beta * x[:, 0]))
    table = pd.DataFrame(x, columns=["risk@baseline", "noise@baseline"]).assign(
        subject=range(n), relapse_1d_time=time, relapse_1d_event=1.0)
    fit = fit_table(table, "relapse_1d", scheme=CVScheme(5, 1, 3, 200, 0, 1, 1)).fit
    assert fit.concordance == pytest.approx(analytic_concordance(beta), abs=0.03)
    assert fit.logrank_p < 1e-6


def test_a_feature_measured_after_the_outcome_is_refused_as_leakage() -> None:
    table = _table(60, np.array([1.0]), 0.0, seed=1).assign(**{"plasma_bdnf@240min": 1.0})
    with pytest.raises(SignatureError, match=r"'plasma_bdnf@240min' is measured at 4 h, not before the outcome response_230min"):
        problem(table.rename(columns={"response_1d": "response_230min"}), "response_230min",
                ["marker0@baseline", "plasma_bdnf@240min"])


def test_the_default_features_are_those_within_72_h_and_before_the_outcome() -> None:
    table = pd.DataFrame(columns=["subject", "a@baseline", "b@night1", "c@2d", "d@7d", "bdnf_met_carrier", "age",
                                  "response_1d", "improvement_1d"])
    assert default_features(table, outcome_h=24.0) == ("a@baseline", "b@night1", "bdnf_met_carrier")
    assert default_features(table, outcome_h=48.0) == ("a@baseline", "b@night1", "bdnf_met_carrier")  # c@2d: same time
    assert default_features(table, outcome_h=24.0 * 14) == ("a@baseline", "b@night1", "c@2d", "bdnf_met_carrier")


def test_every_problem_of_a_table_is_listed_at_once() -> None:
    table = _table(40, np.array([1.0]), 0.0, seed=1).assign(text=["x"] * 40)
    with pytest.raises(SignatureError) as caught:
        problem(table, "response_1d", ["marker0@baseline", "absent@baseline", "text"])
    message = str(caught.value)
    assert "'absent@baseline' is not in the table" in message and "'text': not numeric" in message


def test_one_class_and_too_few_subjects_per_fold_are_clear_errors() -> None:
    table = _table(40, np.array([1.0]), 0.0, seed=1)
    with pytest.raises(SignatureError, match="only one class"):
        fit_table(table.assign(response_1d=1.0), "response_1d", scheme=FAST)
    few = table.assign(response_1d=[1.0] * 4 + [0.0] * 36)
    with pytest.raises(SignatureError, match="the smaller class has 4 subjects, fewer than 5"):
        fit_table(few, "response_1d", scheme=FAST)  # 5 outer folds hold out 1 of 5: 4 left >= 3 inner folds
    assert CVScheme(outer_folds=2, inner_folds=3).min_per_class == 6  # 6 - 3 = 3 >= 3; 5 - 3 = 2 < 3
    with pytest.raises(SignatureError, match="column 'response_7d' is missing"):
        fit_table(table, "response_7d", scheme=FAST)
    with pytest.raises(SignatureError, match="must end in its time"):
        fit_table(table, "response", scheme=FAST)


def test_a_saved_signature_applies_to_new_subjects_as_the_fitted_model_does(tmp_path: Path) -> None:
    table = _table(120, np.array([1.0, -0.5]), 0.0, seed=3)
    signature = fit_table(table, "response_1d", scheme=FAST)
    folder = save_signature(signature, tmp_path / "sig")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["features"] == ["marker0@baseline", "marker1@baseline"] and manifest["seed"] == 7
    assert {"sklearn_version", "trdlab_version", "cv"} <= set(manifest)
    new = _table(10, np.array([1.0, -0.5]), 0.0, seed=99)
    applied = apply_signature(folder, new)
    expected = signature.fit.model.predict_proba(new[["marker0@baseline", "marker1@baseline"]].to_numpy())[:, 1]
    np.testing.assert_allclose(applied.probability, expected)
    with pytest.raises(SignatureError, match="feature column 'marker1@baseline' of the signature is missing"):
        apply_signature(folder, new.drop(columns="marker1@baseline"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trdlab", *args], capture_output=True, text=True, encoding="utf-8",
                          env={**os.environ, "COLUMNS": "200"})


def test_cli_fits_and_applies_and_refuses_leakage_without_a_folder(tmp_path: Path) -> None:
    data = tmp_path / "table.csv"
    _table(120, np.array([1.0, 0.0]), 0.0, seed=6).assign(**{"marker0@2d": 0.0}).to_csv(data, index=False)
    done = _cli("signature", "fit", "--data", str(data), "--outcome", "response_1d", "--permutations", "5",
                "--bootstrap", "100", "--out", str(tmp_path / "sig"))
    assert done.returncode == 0, done.stderr
    assert "AUC" in done.stdout and (tmp_path / "sig" / "model.joblib").is_file()
    applied = _cli("signature", "apply", str(tmp_path / "sig"), "--data", str(data), "--out", str(tmp_path / "p.csv"))
    assert applied.returncode == 0, applied.stderr
    assert len(pd.read_csv(tmp_path / "p.csv")) == 120
    leak = _cli("signature", "fit", "--data", str(data), "--outcome", "response_1d", "--features", "marker0@2d",
                "--out", str(tmp_path / "never"))
    assert leak.returncode == 1 and "'marker0@2d' is measured at 48 h, not before the outcome" in leak.stderr
    assert not (tmp_path / "never").exists()
