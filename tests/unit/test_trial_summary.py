"""summarize_trial and the trial figures on small subject tables written out by hand.

Every expected number is derived here from the totals in the tables: visit means and
SDs with the ``statistics`` module, rates as hand counts, Cohen's d and the odds ratio by
their formulas, relapse times read off the visit days, Kaplan-Meier medians by the
product limit and hazard ratios by maximizing the Efron partial likelihood written out
below with scipy.
"""

from __future__ import annotations

import json
import math
import statistics as pystats
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from scipy import optimize

from trdlab.errors import TrialError
from trdlab.trials.figures import relapse_figure, response_figure, trajectory_figure, write_trial_figures
from trdlab.trials.statistics import fit_mmrm
from trdlab.trials.summary import summarize_trial

Z95 = 1.959963984540054
NAN = float("nan")


def efron_hazard_ratio(durations: list[float], events: list[int], x: list[int]) -> float:
    """HR of x = 1 vs 0 maximizing the Cox partial likelihood with Efron's tie correction."""
    t, e, g = (np.asarray(v, float) for v in (durations, events, x))

    def log_likelihood(beta: float) -> float:
        total = 0.0
        for time in np.unique(t[e == 1]):
            dead = (t == time) & (e == 1)
            risk, tied, d = np.exp(beta * g[t >= time]).sum(), np.exp(beta * g[dead]).sum(), int(dead.sum())
            total += beta * g[dead].sum() - sum(math.log(risk - k / d * tied) for k in range(d))
        return total

    best = optimize.minimize_scalar(lambda b: -log_likelihood(b), bounds=(-10, 10), method="bounded", options={"xatol": 1e-10})
    return math.exp(best.x)


def _table(rows: list[tuple[int, str, int, float, list[float]]], visits: list[str], placebo_arms: set[str]) -> pd.DataFrame:
    """Subject table from (subject, arm, period, baseline, totals per visit); NaN total = dropped."""
    records = []
    for subject, arm, period, baseline, totals in rows:
        for visit, total in zip(visits, totals, strict=True):
            records.append(
                {"subject": subject, "arm": arm, "period": period, "visit": visit, "baseline": baseline, "total": total}
            )
    table = pd.DataFrame(records)
    table["change"] = table["total"] - table["baseline"]
    table["pct_change"] = -table["change"] / table["baseline"]
    table["response"] = table["pct_change"] >= 0.5
    table["remission"] = table["total"] <= 10
    table["placebo"] = table["arm"].isin(placebo_arms)
    table["dropped"] = table["total"].isna()
    table["noise"] = "ignored column"
    return table


PARALLEL_VISITS = ["1 d", "7 d", "14 d"]
PARALLEL_DAYS = {"1 d": 1.0, "7 d": 7.0, "14 d": 14.0}
# Response = reduction >= 50 %, remission = total <= 10. Per subject (R = responder):
#   s1 drug 30: 14 R, 12 R, 20 .      -> relapse after 14 - 1 = 13 d (event)
#   s2 drug 30: 20 ., 15 R, 10 R rem  -> censored 14 - 7 = 7 d
#   s3 drug 40: 36 ., 30 ., dropped   -> never responds
#   s4 drug 20:  8 R rem, 12 ., 18 .  -> relapse 7 - 1 = 6 d
#   s5 placebo 30: 15 R, 16 ., 16 .   -> relapse 6 d
#   s6 placebo 30: 15 R, 18 ., 14 R   -> relapse 6 d
#   s7 placebo 30: 20 ., 14 R, 13 R   -> censored 7 d
#   s8 placebo 30: 27 ., 29 ., dropped; s9 placebo 24: 25, 23, 22 (never responds)
PARALLEL = [
    (1, "drug", 1, 30.0, [14.0, 12.0, 20.0]),
    (2, "drug", 1, 30.0, [20.0, 15.0, 10.0]),
    (3, "drug", 1, 40.0, [36.0, 30.0, NAN]),
    (4, "drug", 1, 20.0, [8.0, 12.0, 18.0]),
    (5, "placebo", 1, 30.0, [15.0, 16.0, 16.0]),
    (6, "placebo", 1, 30.0, [15.0, 18.0, 14.0]),
    (7, "placebo", 1, 30.0, [20.0, 14.0, 13.0]),
    (8, "placebo", 1, 30.0, [27.0, 29.0, NAN]),
    (9, "placebo", 1, 24.0, [25.0, 23.0, 22.0]),
]


@pytest.fixture(scope="module")
def parallel() -> tuple[pd.DataFrame, dict[str, object]]:
    table = _table(PARALLEL, PARALLEL_VISITS, {"placebo"})
    return table, summarize_trial(table, visit_order=PARALLEL_VISITS, visit_days=PARALLEL_DAYS)


def test_summary_has_the_schema_and_is_json_ready(parallel: tuple[pd.DataFrame, dict[str, object]]) -> None:
    _, summary = parallel
    assert set(summary) == {"arms", "contrasts", "relapse", "analysis"}
    json.dumps(summary, allow_nan=False)
    arms = summary["arms"]
    assert arms["drug"]["placebo"] is False and arms["placebo"]["placebo"] is True
    for arm in ("drug", "placebo"):
        assert list(arms[arm]["visits"]) == PARALLEL_VISITS
        for cell in arms[arm]["visits"].values():
            assert set(cell) == {"n", "mean", "sd", "mean_change", "pct_change", "response_rate", "remission_rate"}
    assert len(summary["contrasts"]) == 3  # one treatment x one placebo x three visits
    for contrast in summary["contrasts"]:
        assert set(contrast) == {
            "treatment", "control", "visit", "effect_size_d", "odds_ratio_response", "mean_difference", "p_value"
        }
        for key in ("effect_size_d", "odds_ratio_response", "mean_difference"):
            assert set(contrast[key]) == {"estimate", "ci_low", "ci_high"}
    for arm in ("drug", "placebo"):
        assert {"n_responders", "median_days_to_relapse", "hazard_ratio_vs_others"} <= set(summary["relapse"][arm])
    assert "random-intercept" in summary["analysis"]["mean_difference"]


def test_visit_summaries_equal_hand_values(parallel: tuple[pd.DataFrame, dict[str, object]]) -> None:
    _, summary = parallel
    day1 = summary["arms"]["drug"]["visits"]["1 d"]
    totals = [14.0, 20.0, 36.0, 8.0]
    assert day1["n"] == 4
    assert day1["mean"] == pytest.approx(pystats.mean(totals))
    assert day1["sd"] == pytest.approx(pystats.stdev(totals))
    assert day1["mean_change"] == pytest.approx(pystats.mean([-16.0, -10.0, -4.0, -12.0]))
    assert day1["pct_change"] == pytest.approx(pystats.mean([16 / 30, 10 / 30, 4 / 40, 12 / 20]))
    assert day1["response_rate"] == pytest.approx(2 / 4)  # s1, s4
    assert day1["remission_rate"] == pytest.approx(1 / 4)  # s4
    day14 = summary["arms"]["drug"]["visits"]["14 d"]
    assert day14["n"] == 3 and day14["response_rate"] == pytest.approx(1 / 3) and day14["remission_rate"] == pytest.approx(1 / 3)
    placebo14 = summary["arms"]["placebo"]["visits"]["14 d"]
    assert placebo14["n"] == 4 and placebo14["response_rate"] == pytest.approx(2 / 4)  # s6, s7


def _d(treatment: list[float], control: list[float]) -> float:
    n1, n2 = len(treatment), len(control)
    pooled = math.sqrt(((n1 - 1) * pystats.variance(treatment) + (n2 - 1) * pystats.variance(control)) / (n1 + n2 - 2))
    return (pystats.mean(treatment) - pystats.mean(control)) / pooled


def test_contrasts_equal_hand_d_and_odds_ratios(parallel: tuple[pd.DataFrame, dict[str, object]]) -> None:
    table, summary = parallel
    by_visit = {c["visit"]: c for c in summary["contrasts"]}
    assert {c["treatment"] for c in summary["contrasts"]} == {"drug"}
    # day 1 improvement (baseline - total): drug 16, 10, 4, 12; placebo 15, 15, 10, 3, -1.
    d = _d([16.0, 10.0, 4.0, 12.0], [15.0, 15.0, 10.0, 3.0, -1.0])
    se = math.sqrt(9 / 20 + d**2 / 18)
    assert by_visit["1 d"]["effect_size_d"]["estimate"] == pytest.approx(d)
    assert by_visit["1 d"]["effect_size_d"]["ci_low"] == pytest.approx(d - Z95 * se)
    # responders day 1: drug 2/4, placebo 2/5 -> OR = (2*3)/(2*2); day 7: drug 2/4, placebo 1/5 -> 4;
    # day 14: drug 1/3, placebo 2/4 -> (1*2)/(2*2).
    assert by_visit["1 d"]["odds_ratio_response"]["estimate"] == pytest.approx(1.5)
    assert by_visit["7 d"]["odds_ratio_response"]["estimate"] == pytest.approx(4.0)
    assert by_visit["14 d"]["odds_ratio_response"]["estimate"] == pytest.approx(0.5)
    se14 = math.sqrt(1 / 1 + 1 / 2 + 1 / 2 + 1 / 2)
    assert by_visit["14 d"]["odds_ratio_response"]["ci_high"] == pytest.approx(0.5 * math.exp(Z95 * se14))
    # The mean difference is the parallel-design (no period) repeated-measures contrast.
    model = fit_mmrm(table.assign(change=table["change"].where(~table["dropped"])))
    difference, p_value = model.contrast("drug", "placebo", "7 d")
    assert by_visit["7 d"]["mean_difference"]["estimate"] == pytest.approx(difference.estimate)
    assert by_visit["7 d"]["p_value"] == pytest.approx(p_value)


def test_relapse_equals_hand_times(parallel: tuple[pd.DataFrame, dict[str, object]]) -> None:
    _, summary = parallel
    relapse = summary["relapse"]
    # drug: (13, event), (7, censored), (6, event): S(6) = 2/3, S(13) = 0 -> median 13.
    assert relapse["drug"]["n_responders"] == 3 and relapse["drug"]["n_relapses"] == 2
    assert relapse["drug"]["median_days_to_relapse"]["estimate"] == 13.0
    # placebo: (6, event), (6, event), (7, censored): S(6) = 1/3 -> median 6.
    assert relapse["placebo"]["n_responders"] == 3 and relapse["placebo"]["median_days_to_relapse"]["estimate"] == 6.0
    hazard_ratio = efron_hazard_ratio([13.0, 7.0, 6.0, 6.0, 6.0, 7.0], [1, 0, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0])
    assert relapse["drug"]["hazard_ratio_vs_others"]["estimate"] == pytest.approx(hazard_ratio, rel=1e-4)
    assert relapse["placebo"]["hazard_ratio_vs_others"]["estimate"] == pytest.approx(1 / hazard_ratio, rel=1e-4)


CROSSOVER_VISITS = ["1 d", "7 d"]
CROSSOVER_DAYS = {"1 d": 1.0, "7 d": 7.0}
# Sequences ketamine->saline (s1, s2) and saline->ketamine (s3, s4); s4 drops out at day 7 of period 2.
CROSSOVER = [
    (1, "ketamine", 1, 30.0, [12.0, 20.0]),  # R, .  -> relapse 6 d
    (2, "ketamine", 1, 32.0, [16.0, 14.0]),  # R, R  -> censored 6 d
    (3, "saline", 1, 26.0, [13.0, 20.0]),  # R, .  -> relapse 6 d
    (4, "saline", 1, 30.0, [27.0, 28.0]),
    (1, "saline", 2, 28.0, [25.0, 27.0]),
    (2, "saline", 2, 30.0, [24.0, 26.0]),
    (3, "ketamine", 2, 27.0, [9.0, 12.0]),  # R rem, R -> censored 6 d
    (4, "ketamine", 2, 30.0, [14.0, NAN]),  # R, dropped -> censored 0 d
]


def test_crossover_pools_periods_fits_period_and_counts_dropouts() -> None:
    table = _table(CROSSOVER, CROSSOVER_VISITS, {"saline"})
    summary = summarize_trial(table, visit_order=CROSSOVER_VISITS, visit_days=CROSSOVER_DAYS)
    json.dumps(summary, allow_nan=False)
    ketamine = summary["arms"]["ketamine"]["visits"]
    assert ketamine["1 d"]["n"] == 4 and ketamine["7 d"]["n"] == 3
    assert ketamine["7 d"]["mean"] == pytest.approx(pystats.mean([20.0, 14.0, 12.0]))
    assert ketamine["1 d"]["response_rate"] == 1.0 and ketamine["1 d"]["remission_rate"] == pytest.approx(1 / 4)
    assert summary["arms"]["saline"]["visits"]["1 d"]["response_rate"] == pytest.approx(1 / 4)  # s3, 13/26
    day1 = next(c for c in summary["contrasts"] if c["visit"] == "1 d")
    assert day1["effect_size_d"]["estimate"] == pytest.approx(_d([18.0, 16.0, 18.0, 16.0], [3.0, 6.0, 13.0, 3.0]))
    # ketamine 4/4 responders, saline 1/4: a zero cell, so 0.5 is added to each cell.
    assert day1["odds_ratio_response"]["estimate"] == pytest.approx(4.5 * 3.5 / (0.5 * 1.5))
    assert "+ period" in summary["analysis"]["mean_difference"]
    model = fit_mmrm(table, period="period")
    assert model.fit is not None and "period[2]" in model.fit.names
    assert day1["mean_difference"]["estimate"] == pytest.approx(model.contrast("ketamine", "saline", "1 d")[0].estimate)
    relapse = summary["relapse"]
    # ketamine: (6, e), (6, c), (6, c), (0, c): S(6) = 1 - 1/3, median not reached -> null.
    assert relapse["ketamine"]["n_responders"] == 4 and relapse["ketamine"]["n_relapses"] == 1
    assert relapse["ketamine"]["median_days_to_relapse"]["estimate"] is None
    assert relapse["saline"]["n_responders"] == 1 and relapse["saline"]["median_days_to_relapse"]["estimate"] == 6.0
    hazard_ratio = efron_hazard_ratio([6.0, 6.0, 6.0, 0.0, 6.0], [1, 0, 0, 0, 1], [1, 1, 1, 1, 0])
    assert relapse["ketamine"]["hazard_ratio_vs_others"]["estimate"] == pytest.approx(hazard_ratio, rel=1e-4)


def test_hazard_ratio_is_none_with_a_single_responding_arm() -> None:
    rows = [
        (1, "drug", 1, 30.0, [10.0, 20.0]),
        (2, "drug", 1, 30.0, [12.0, 12.0]),
        (3, "placebo", 1, 30.0, [28.0, 27.0]),
        (4, "placebo", 1, 30.0, [25.0, 26.0]),
    ]
    table = _table(rows, CROSSOVER_VISITS, {"placebo"})
    summary = summarize_trial(table, visit_order=CROSSOVER_VISITS, visit_days=CROSSOVER_DAYS)
    assert summary["relapse"]["drug"]["hazard_ratio_vs_others"] is None
    assert summary["relapse"]["placebo"] == {
        "n_responders": 0,
        "n_relapses": 0,
        "median_days_to_relapse": {"estimate": None, "ci_low": None, "ci_high": None},
        "hazard_ratio_vs_others": None,
    }


def test_explicit_pairs_and_input_errors_are_reported_together() -> None:
    table = _table(PARALLEL, PARALLEL_VISITS, {"placebo"})
    summary = summarize_trial(table, visit_order=["7 d"], visit_days=PARALLEL_DAYS, treatments_and_controls=[("placebo", "drug")])
    assert [(c["treatment"], c["control"], c["visit"]) for c in summary["contrasts"]] == [("placebo", "drug", "7 d")]
    with pytest.raises(TrialError) as error:
        summarize_trial(
            table.drop(columns=["remission"]),
            visit_order=["7 d", "28 d"],
            visit_days={"7 d": 7.0},
            treatments_and_controls=[("ketamine", "placebo")],
        )
    message = str(error.value)
    assert "remission" in message and "'28 d'" in message and "ketamine" in message


# --- figures ----------------------------------------------------------------------------------


def test_figures_have_one_line_and_band_per_arm_and_grouped_bars(tmp_path: Path) -> None:
    table = _table(PARALLEL, PARALLEL_VISITS, {"placebo"})
    summary = summarize_trial(table, visit_order=PARALLEL_VISITS, visit_days=PARALLEL_DAYS)
    trajectory = trajectory_figure(table, PARALLEL_DAYS, "MADRS").axes[0]
    assert len(trajectory.lines) == 2
    assert sum(isinstance(c, PolyCollection) for c in trajectory.collections) == 2
    assert [t.get_text() for t in trajectory.get_xticklabels()] == ["baseline", *PARALLEL_VISITS]
    assert np.allclose(trajectory.lines[0].get_ydata()[1], pystats.mean([14.0, 20.0, 36.0, 8.0]))
    for panel in response_figure(summary).axes:
        assert len(panel.containers) == 2 and all(len(bars) == 3 for bars in panel.containers)
    relapse = relapse_figure(table, PARALLEL_DAYS).axes[0]
    assert len(relapse.lines) == 2
    paths = write_trial_figures(table, summary, PARALLEL_DAYS, "MADRS", tmp_path / "figures")
    assert [p.name for p in paths] == ["trajectory.png", "response.png", "relapse.png"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_trajectory_uses_the_tables_own_baseline_visit_when_present() -> None:
    table = _table(PARALLEL, PARALLEL_VISITS, {"placebo"})
    baseline_rows = table.drop_duplicates("subject").assign(
        visit="baseline", total=lambda f: f["baseline"], change=0.0, pct_change=0.0, response=False, remission=False
    )
    with_baseline = pd.concat([baseline_rows, table], ignore_index=True)
    axes = trajectory_figure(with_baseline, {"baseline": 0.0, **PARALLEL_DAYS}, "MADRS").axes[0]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["baseline", *PARALLEL_VISITS]
    assert axes.lines[0].get_ydata()[0] == pytest.approx(pystats.mean([30.0, 30.0, 40.0, 20.0]))
    assert len(relapse_figure(with_baseline, {"baseline": 0.0, **PARALLEL_DAYS}).axes[0].lines) == 2
