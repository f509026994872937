"""Screening, randomisation and scoring of virtual cohorts (no mechanism simulation needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trdlab.clinical import load_clinical_parameters, load_scale
from trdlab.clinical.symptoms import draw_noise
from trdlab.errors import TrialError
from trdlab.trials import cohort as cohort_mod
from trdlab.trials.design import load_design
from trdlab.trials.mechanism import OBSERVABLES
from trdlab.trials.run import CohortPlan, plan_cohort
from trdlab.trials.scoring import ArmInfo, Cohort, score

PARAMS = load_clinical_parameters()


def test_parallel_randomisation_follows_the_allocation_weights_exactly() -> None:
    arms = cohort_mod.randomise(10, [2.0, 1.0], 1, np.random.default_rng(1))
    counts = np.bincount([a[0] for a in arms], minlength=2)
    assert counts.tolist() == [7, 3]  # 10 x 2/3 = 6.67 -> largest remainder gives 7


def test_crossover_randomisation_balances_the_two_sequences() -> None:
    arms = cohort_mod.randomise(9, [1.0, 1.0], 2, np.random.default_rng(1))
    assert sorted(set(arms)) == [(0, 1), (1, 0)]
    assert arms.count((0, 1)) == 5 and arms.count((1, 0)) == 4


def test_inclusion_takes_the_first_eligible_and_fails_with_a_clear_error() -> None:
    np.testing.assert_array_equal(cohort_mod.include(np.array([10, 30, 20, 40]), 20, 2), [1, 2])
    with pytest.raises(TrialError, match="inclusion"):
        cohort_mod.include(np.array([10, 30]), 20, 2)


def _noise_arrays(plan: CohortPlan, n: int) -> list[np.ndarray]:
    noise = plan.noise
    return [x[:n] for x in (noise.drive_half, noise.placebo, noise.relapse, noise.fluctuation, noise.items)]


def test_same_seed_gives_the_same_cohort_bit_for_bit() -> None:
    design = load_design("stard_level1")  # parallel, inclusion threshold and dropout: every stream is used
    a, b = plan_cohort(design, n=40, seed=11), plan_cohort(design, n=40, seed=11)
    pd.testing.assert_frame_equal(a.covariates, b.covariates, check_exact=True)
    np.testing.assert_array_equal(a.assignment, b.assignment)
    np.testing.assert_array_equal(a.dropout, b.dropout)
    for x, y in zip(_noise_arrays(a, 40), _noise_arrays(b, 40)):
        np.testing.assert_array_equal(x, y)
    assert a.plans == b.plans
    other = plan_cohort(design, n=40, seed=12)
    assert not a.covariates.equals(other.covariates)


def test_first_subjects_of_a_cohort_do_not_depend_on_n() -> None:
    # inclusion takes the first eligible pool subjects, and pool subject i's covariates (column
    # streams) and symptom draws (stream (SUBJECTS, i)) do not depend on the pool's size; dropout
    # times come from their own stream, so they do not depend on the randomisation's draws
    design = load_design("stard_level1")
    small, large = plan_cohort(design, n=20, seed=5), plan_cohort(design, n=37, seed=5)
    pd.testing.assert_frame_equal(large.covariates.iloc[:20], small.covariates, check_exact=True)
    for x, y in zip(_noise_arrays(large, 20), _noise_arrays(small, 20)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(large.dropout[:20], small.dropout)


def test_period_grid_contains_zero_and_every_visit() -> None:
    grid = cohort_mod.period_grid([0.667, 24.0, 168.0])
    assert grid[0] == 0.0 and {0.667, 24.0, 168.0} <= set(grid.round(9))


def _synthetic_cohort(n: int, severity: float, efficacy_gain: float, seed: int) -> tuple[Cohort, np.ndarray]:
    """A parallel cohort whose 'mechanism' is written by hand: efficacy steps up by a factor at t > 0."""
    sched = cohort_mod.schedule([24.0, 168.0], 1, 0.0)
    rngs = cohort_mod.subject_generators(seed, n)
    noise = cohort_mod.cohort_noise(rngs, sched)
    scale = load_scale("madrs")
    ratings = cohort_mod.screening_ratings(np.full(n, severity), noise, sched, scale, PARAMS)
    values = {name: np.ones((n, 1, sched.grid.size)) for name in OBSERVABLES}
    values["epsc_amplitude_pfc"][:, :, 1:] = efficacy_gain
    values["nmda_block_pyramidal"][:] = 0.0
    covariates = pd.DataFrame({"baseline_severity": np.full(n, severity), "failed_trials": np.full(n, 50)})
    cohort = Cohort(covariates, (ArmInfo("a", True, "oral"),), np.zeros((n, 1), int), sched, ("1 d", "7 d"),
                    values, noise, tuple([None] * n), np.full(n, np.inf))
    return cohort, ratings


def test_no_drive_and_no_placebo_leaves_the_mean_rating_unchanged() -> None:
    # failed_trials = 50 pushes the placebo plateau to ~0; efficacy constant -> drive 0
    cohort, _ = _synthetic_cohort(3000, 0.5, 1.0, seed=3)
    table = score(cohort, PARAMS, load_scale("madrs"), response=0.5, remission=10)
    week = table[table.visit == "7 d"]
    assert abs(week["pct_change"].mean()) < 0.02
    assert week.drug_relief.max() == 0.0


def test_selecting_high_baseline_ratings_produces_regression_to_the_mean() -> None:
    cohort, ratings = _synthetic_cohort(3000, 0.5, 1.0, seed=4)
    table = score(cohort, PARAMS, load_scale("madrs"), response=0.5, remission=10)
    week = table[table.visit == "7 d"].set_index("subject")
    selected = np.flatnonzero(ratings >= np.quantile(ratings, 0.75))
    # the screened-in quarter improves without any treatment; the whole cohort does not
    assert week.loc[selected, "change"].mean() < -1.0
    assert abs(week["change"].mean()) < 0.5


def test_a_synaptic_drive_relieves_symptoms_by_the_emax_law() -> None:
    gain = float(np.exp(PARAMS.drive_half))  # drive = drive_half for the median subject
    cohort, _ = _synthetic_cohort(4000, 0.5, gain, seed=5)
    table = score(cohort, PARAMS, load_scale("madrs"), response=0.5, remission=10)
    relief_1d = table[table.visit == "1 d"].drug_relief
    # relief falls monotonically in the subject's g_50, so the median subject (z = 0) sets the median:
    # g_50 = drive_half x exp(-sigma^2 / 2), relief = Emax g^h / (g_50^h + g^h) at g = drive_half
    sigma2 = np.log1p(PARAMS.drive_half_cv**2)
    g, h = PARAMS.drive_half, PARAMS.drive_hill
    half = PARAMS.drive_half * np.exp(-sigma2 / 2)
    assert relief_1d.median() == pytest.approx(PARAMS.effect_max * g**h / (half**h + g**h), rel=0.02)
    assert (table[table.visit == "7 d"]["pct_change"].mean()) > 0.2
