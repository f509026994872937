"""Trial statistics against hand computations, closed forms and independent scipy code.

Expected values are derived in each test: arithmetic written out here, Cohen's d and
Woolf's odds ratio by their formulas, scipy's own odds-ratio, t-test and log-rank code
as independent implementations, a hand-written product-limit estimator, and the Efron
partial likelihood written out with numpy and maximized with scipy.
"""

from __future__ import annotations

import json
import math
import statistics as pystats

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from scipy.stats import contingency

from trdlab.errors import TrialError
from trdlab.trials.statistics import (
    Estimate,
    cohens_d,
    cohens_d_point,
    cox_hazard_ratio,
    fit_mmrm,
    fit_random_intercept,
    kaplan_meier_median,
    logrank,
    odds_ratio,
    relapse_times,
    remitters,
    responders,
)

Z95 = 1.959963984540054  # Phi^-1(0.975)


# --- Estimate ---------------------------------------------------------------------------------


def test_estimate_record_is_json_ready() -> None:
    record = Estimate(1.5, float("nan"), float("inf")).record()
    assert record == {"estimate": 1.5, "ci_low": None, "ci_high": None}
    assert json.loads(json.dumps(record, allow_nan=False)) == record
    assert all(math.isnan(v) for v in (Estimate.missing().estimate, Estimate.missing().ci_high))


# --- response and remission -------------------------------------------------------------------


def test_responders_threshold_is_inclusive_and_nan_is_not_a_responder() -> None:
    flags = responders([0.49, 0.5, 0.51, float("nan"), -0.2])
    assert flags.tolist() == [False, True, True, False, False]
    assert responders([0.3, 0.29], threshold=0.3).tolist() == [True, False]


def test_remitters_are_at_or_below_the_cut_off() -> None:
    assert remitters([9.0, 10.0, 11.0, float("nan")], threshold=10).tolist() == [True, True, False, False]


@pytest.mark.parametrize("threshold", [0.0, 1.5, -0.1])
def test_bad_response_threshold_is_a_trial_error(threshold: float) -> None:
    with pytest.raises(TrialError, match="threshold"):
        responders([0.5], threshold=threshold)


def test_relapse_times_by_hand() -> None:
    # Subject 1: R at day 1 and 7, lost at 14 -> 13 days, event. Subject 2: first R at 7, kept,
    # censored at 14 -> 7 days. Subject 3 never responds. Subject 4: R at 1, dropped after -> 0 days.
    rows = []
    pattern = {1: [True, True, False], 2: [False, True, True], 3: [False, False, False], 4: [True, False, False]}
    for subject, flags in pattern.items():
        for (visit, total), flag in zip([("1 d", 10.0), ("7 d", 10.0), ("14 d", 10.0)], flags, strict=True):
            dropped = subject == 4 and visit != "1 d"
            rows.append(
                {"subject": subject, "arm": "a", "period": 1, "visit": visit, "total": np.nan if dropped else total}
                | {"response": flag, "dropped": dropped}
            )
    table = relapse_times(pd.DataFrame(rows), {"1 d": 1.0, "7 d": 7.0, "14 d": 14.0}).set_index("subject")
    assert table.loc[1, ["duration", "event"]].tolist() == [13.0, 1]
    assert table.loc[2, ["duration", "event"]].tolist() == [7.0, 0]
    assert table.loc[4, ["duration", "event"]].tolist() == [0.0, 0]
    assert 3 not in table.index


# --- Cohen's d and odds ratio -----------------------------------------------------------------


def test_cohens_d_equals_the_pooled_sd_formula_with_hedges_olkin_interval() -> None:
    treatment = [16.0, 10.0, 4.0, 12.0, float("nan")]  # improvement (baseline - total); NaN dropped
    control = [15.0, 15.0, 10.0, 3.0, -1.0]
    t, c = treatment[:4], control
    pooled = math.sqrt(((4 - 1) * pystats.variance(t) + (5 - 1) * pystats.variance(c)) / (4 + 5 - 2))
    d = (pystats.mean(t) - pystats.mean(c)) / pooled
    se = math.sqrt((4 + 5) / (4 * 5) + d**2 / (2 * (4 + 5)))
    result = cohens_d(treatment, control)
    assert result.estimate == pytest.approx(d, rel=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx((d - Z95 * se, d + Z95 * se), rel=1e-12)


def test_cohens_d_sign_is_positive_when_treatment_improves_more() -> None:
    assert cohens_d([10.0, 12.0, 14.0], [1.0, 2.0, 3.0]).estimate > 0
    assert cohens_d([1.0, 2.0, 3.0], [10.0, 12.0, 14.0]).estimate < 0


def test_cohens_d_is_missing_without_two_observations_or_variance() -> None:
    assert math.isnan(cohens_d([1.0], [1.0, 2.0]).estimate)
    assert math.isnan(cohens_d([3.0, 3.0], [3.0, 3.0, 3.0]).estimate)


def test_odds_ratio_woolf_matches_hand_and_scipy() -> None:
    treated = [True] * 8 + [False] * 2
    control = [True] * 3 + [False] * 7
    result = odds_ratio(treated, control)
    se = math.sqrt(1 / 8 + 1 / 2 + 1 / 3 + 1 / 7)
    assert result.estimate == pytest.approx(8 * 7 / (2 * 3), rel=1e-12)
    assert result.ci_low == pytest.approx(math.exp(math.log(28 / 3) - Z95 * se), rel=1e-12)
    reference = contingency.odds_ratio([[8, 2], [3, 7]], kind="sample")
    ci = reference.confidence_interval(0.95)
    assert (result.estimate, result.ci_low, result.ci_high) == pytest.approx((reference.statistic, ci.low, ci.high), rel=1e-9)


def test_odds_ratio_haldane_only_with_a_zero_cell_and_nan_dropped() -> None:
    result = odds_ratio([1, 1, 1, 1, float("nan")], [1, 0, 0, 0])  # cells 4, 0, 1, 3 -> +0.5
    assert result.estimate == pytest.approx(4.5 * 3.5 / (0.5 * 1.5), rel=1e-12)
    se = math.sqrt(1 / 4.5 + 1 / 0.5 + 1 / 1.5 + 1 / 3.5)
    assert result.ci_high == pytest.approx(21.0 * math.exp(Z95 * se), rel=1e-12)
    assert math.isnan(odds_ratio([], [True]).estimate)


@pytest.mark.parametrize(("a", "b", "c", "d", "alpha"), [(12, 5, 4, 9, 0.05), (30, 20, 25, 25, 0.1), (1, 9, 9, 1, 0.01)])
def test_odds_ratio_is_woolf_interval_by_hand(a: int, b: int, c: int, d: int, alpha: float) -> None:
    # Woolf (1955) written out: log OR -+ z_{1-alpha/2} sqrt(1/a + 1/b + 1/c + 1/d), no zero cell.
    result = odds_ratio([True] * a + [False] * b, [True] * c + [False] * d, alpha=alpha)
    log_or = math.log(a) + math.log(d) - math.log(b) - math.log(c)
    half = stats.norm.ppf(1 - alpha / 2) * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    expected = (math.exp(log_or), math.exp(log_or - half), math.exp(log_or + half))
    assert (result.estimate, result.ci_low, result.ci_high) == pytest.approx(expected, rel=1e-12)


def test_odds_ratio_haldane_adds_half_to_every_cell_not_only_the_zero_one() -> None:
    # cells 5, 0, 2, 3: Haldane-Anscombe gives 5.5 3.5 / (0.5 2.5); replacing only the zero
    # cell by 0.5 (statsmodels' shift_zeros) would give 5 3 / (0.5 2) instead.
    result = odds_ratio([True] * 5, [True] * 2 + [False] * 3)
    assert result.estimate == pytest.approx(5.5 * 3.5 / (0.5 * 2.5), rel=1e-12)
    assert result.estimate != pytest.approx(5 * 3 / (0.5 * 2), rel=1e-3)


def test_cohens_d_point_is_the_estimate_of_cohens_d() -> None:
    treatment, control = [3.0, 5.5, 4.0, 8.0], [1.0, 2.5, 2.0, 0.5, 3.0]
    assert cohens_d_point(treatment, control) == cohens_d(treatment, control).estimate
    assert cohens_d_point(np.array(treatment), np.array(control)) == cohens_d(treatment, control).estimate
    assert math.isnan(cohens_d_point([1.0], [1.0, 2.0]))
    assert math.isnan(cohens_d_point([3.0, 3.0], [3.0, 3.0]))


# --- repeated-measures model ------------------------------------------------------------------


def _balanced_frame() -> pd.DataFrame:
    """Two arms x 3 visits x 4 subjects, complete; each arm has baselines {20, 25, 30, 35}."""
    rng = np.random.default_rng(7)
    rows = []
    for index in range(8):
        arm = "drug" if index < 4 else "placebo"
        baseline = [20.0, 25.0, 30.0, 35.0][index % 4]
        subject_effect = rng.normal(0, 3)
        for visit, shift in (("1 d", -8.0), ("7 d", -6.0), ("14 d", -4.0)):
            effect = shift if arm == "drug" else shift / 4
            change = effect + subject_effect + rng.normal(0, 2)
            rows.append({"subject": index, "arm": arm, "visit": visit, "baseline": baseline, "change": change})
    return pd.DataFrame(rows)


def test_mmrm_contrast_on_balanced_complete_data_is_the_raw_mean_difference() -> None:
    # Complete balanced data: the column space of the design is invariant under V, so GLS = OLS
    # (Zyskind's condition), and equal baseline sets per arm make the baseline adjustment cancel.
    frame = _balanced_frame()
    result = fit_mmrm(frame)
    assert result.fit is not None and result.fit.method == "REML"
    for visit in ("1 d", "7 d", "14 d"):
        rows = frame[frame["visit"] == visit]
        expected = rows.loc[rows["arm"] == "drug", "change"].mean() - rows.loc[rows["arm"] == "placebo", "change"].mean()
        difference, p_value = result.contrast("drug", "placebo", visit)
        assert difference.estimate == pytest.approx(expected, abs=1e-6)
        half = (difference.ci_high - difference.ci_low) / 2
        assert p_value == pytest.approx(2 * stats.norm.sf(abs(expected) / (half / Z95)), rel=1e-6)


def test_single_visit_frame_is_ancova_by_ols_equal_to_student_t() -> None:
    drug, placebo = [-12.0, -9.0, -15.0, -11.0], [-3.0, -5.0, -1.0, -4.0, -2.0]
    frame = pd.DataFrame(
        {"subject": range(9), "arm": ["drug"] * 4 + ["placebo"] * 5, "visit": "1 d", "baseline": 30.0, "change": drug + placebo}
    )
    result = fit_mmrm(frame)
    assert result.fit is not None and result.fit.method == "OLS"
    assert any("baseline dropped" in note for note in result.fit.notes)
    difference, _ = result.contrast("drug", "placebo", "1 d")
    t_statistic = stats.ttest_ind(drug, placebo, equal_var=True).statistic
    se = (difference.ci_high - difference.ci_low) / (2 * Z95)
    assert difference.estimate == pytest.approx(np.mean(drug) - np.mean(placebo), rel=1e-12)
    assert difference.estimate / se == pytest.approx(t_statistic, rel=1e-9)


def test_no_residual_variance_gives_estimate_with_nan_interval_and_p() -> None:
    frame = pd.DataFrame(
        {"subject": range(6), "arm": ["a"] * 3 + ["b"] * 3, "visit": "1 d", "baseline": 30.0, "change": [-10.0] * 3 + [-2.0] * 3}
    )
    difference, p_value = fit_mmrm(frame).contrast("a", "b", "1 d")
    assert difference.estimate == pytest.approx(-8.0)
    assert math.isnan(difference.ci_low) and math.isnan(difference.ci_high) and math.isnan(p_value)


def test_cell_without_data_is_nan_and_unknown_names_are_trial_errors() -> None:
    frame = _balanced_frame()
    frame.loc[(frame["arm"] == "drug") & (frame["visit"] == "14 d"), "change"] = np.nan
    result = fit_mmrm(frame)
    difference, p_value = result.contrast("drug", "placebo", "14 d")
    assert math.isnan(difference.estimate) and math.isnan(p_value)
    assert result.dropped_rows == 4
    with pytest.raises(TrialError, match="'ketamine'"):
        result.contrast("ketamine", "placebo", "1 d")
    with pytest.raises(TrialError, match="visit '28 d'"):
        result.contrast("drug", "placebo", "28 d")


def test_missing_columns_and_bad_method_are_trial_errors() -> None:
    with pytest.raises(TrialError, match="baseline"):
        fit_mmrm(pd.DataFrame({"subject": [1], "arm": ["a"], "visit": ["1 d"], "change": [1.0]}))
    frame = _balanced_frame()
    with pytest.raises(TrialError, match="REML"):
        fit_random_intercept(frame[["baseline"]], frame["change"], frame["subject"], method="GEE")  # type: ignore[arg-type]


def test_period_confounded_with_arm_is_dropped_with_a_note() -> None:
    frame = _balanced_frame()
    frame["period"] = np.where(frame["arm"] == "drug", 1, 2)
    result = fit_mmrm(frame, period="period")
    assert result.fit is not None and any("period[2] dropped" in note for note in result.fit.notes)
    assert "period[2]" not in result.fit.names


# --- survival ---------------------------------------------------------------------------------


def _product_limit(durations: list[float], events: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier written out: S(t) = prod (1 - d_i / n_i) over event times."""
    t, e = np.asarray(durations, float), np.asarray(events, int)
    times = np.unique(t[e == 1])
    survival = np.cumprod([1 - np.sum((t == s) & (e == 1)) / np.sum(t >= s) for s in times])
    return times, survival


def test_kaplan_meier_median_by_hand() -> None:
    durations, events = [2.0, 3.0, 4.0, 5.0, 6.0], [1, 0, 1, 1, 1]
    times, survival = _product_limit(durations, events)  # 0.8, 0.5333, 0.2667 at 2, 4, 5
    expected = times[np.argmax(survival <= 0.5)]
    result = kaplan_meier_median(durations, events)
    assert expected == 5.0 and result.estimate == expected
    assert result.ci_low <= result.estimate <= result.ci_high


def test_kaplan_meier_median_not_reached_is_inf_and_empty_is_nan() -> None:
    assert kaplan_meier_median([1.0, 2.0, 3.0, 4.0], [0, 1, 0, 0]).estimate == math.inf  # S = 1 - 1/3 after t=2
    assert math.isnan(kaplan_meier_median([], []).estimate)


def test_logrank_matches_scipy() -> None:
    a_t, a_e = [1.0, 2.0, 3.0, 4.0, 8.0, 9.0], [1, 1, 1, 0, 1, 0]
    b_t, b_e = [2.0, 5.0, 6.0, 7.0, 10.0, 12.0], [1, 1, 0, 1, 1, 1]
    chi2, p_value = logrank(a_t, a_e, b_t, b_e)

    def censored(t: list[float], e: list[int]) -> stats.CensoredData:
        pairs = list(zip(t, e, strict=True))
        return stats.CensoredData(uncensored=[x for x, f in pairs if f], right=[x for x, f in pairs if not f])

    reference = stats.logrank(censored(a_t, a_e), censored(b_t, b_e))
    assert chi2 == pytest.approx(reference.statistic**2, rel=1e-9)
    assert p_value == pytest.approx(reference.pvalue, rel=1e-9)


def efron_log_likelihood(beta: float, durations: np.ndarray, events: np.ndarray, x: np.ndarray) -> float:
    """Cox partial log-likelihood with Efron's tie correction, one binary covariate."""
    total = 0.0
    for time in np.unique(durations[events == 1]):
        risk = np.exp(beta * x[durations >= time]).sum()
        dead = (durations == time) & (events == 1)
        tied = np.exp(beta * x[dead]).sum()
        d = int(dead.sum())
        total += beta * x[dead].sum() - sum(math.log(risk - k / d * tied) for k in range(d))
    return total


def efron_hazard_ratio(durations: list[float], events: list[int], x: list[int]) -> tuple[float, float]:
    """(HR, se of log HR) by maximizing the Efron likelihood and a numeric second derivative."""
    t, e, g = (np.asarray(v, float) for v in (durations, events, x))
    def log_likelihood(beta: float) -> float:
        return efron_log_likelihood(beta, t, e, g)

    best = optimize.minimize_scalar(lambda b: -log_likelihood(b), bounds=(-10, 10), method="bounded", options={"xatol": 1e-10})
    h = 1e-4
    curvature = (log_likelihood(best.x + h) - 2 * log_likelihood(best.x) + log_likelihood(best.x - h)) / h**2
    return math.exp(best.x), 1 / math.sqrt(-curvature)


def test_cox_hazard_ratio_matches_efron_partial_likelihood() -> None:
    durations = [6.0, 6.0, 6.0, 7.0, 13.0, 7.0, 3.0, 9.0]
    events = [1, 1, 1, 0, 1, 0, 1, 1]
    group = [1, 0, 0, 1, 1, 0, 0, 1]
    hazard_ratio, se = efron_hazard_ratio(durations, events, group)
    result = cox_hazard_ratio(durations, events, group)
    assert result.estimate == pytest.approx(hazard_ratio, rel=1e-4)
    assert result.ci_high == pytest.approx(hazard_ratio * math.exp(Z95 * se), rel=1e-3)


def test_cox_hazard_ratio_is_missing_without_events_or_a_second_group() -> None:
    assert math.isnan(cox_hazard_ratio([1.0, 2.0], [0, 0], [0, 1]).estimate)
    assert math.isnan(cox_hazard_ratio([1.0, 2.0], [1, 1], [1, 1]).estimate)
    with pytest.raises(TrialError, match="group_indicator"):
        cox_hazard_ratio([1.0, 2.0], [1, 1], [0, 2])


def test_cox_with_events_in_one_group_only_reports_no_estimate_instead_of_overflowing() -> None:
    # monotone likelihood: the MLE of the log hazard ratio diverges (no finite estimate exists)
    from trdlab.trials.statistics.survival import cox_hazard_ratio

    durations = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    events = [1, 1, 1, 1, 0, 0, 0, 0]
    group = [1, 1, 1, 1, 0, 0, 0, 0]
    record = cox_hazard_ratio(durations, events, group).record()
    assert all(v is None or math.isfinite(v) for v in record.values())
