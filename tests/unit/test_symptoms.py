"""The symptom model's pieces against closed forms and distributional facts."""

from __future__ import annotations

import numpy as np
import pytest

from trdlab.clinical import load_clinical_parameters, load_scale, scale_names
from trdlab.clinical.scales import REFERENCE_SEVERITY
from trdlab.clinical.symptoms import (
    dissociation,
    fluctuation,
    item_scores,
    placebo_plateau,
    placebo_relief,
    relief,
    sustained,
    synaptic_drive,
)

PARAMS = load_clinical_parameters()


@pytest.mark.parametrize(("name", "items", "maximum"), [("madrs", 10, 60), ("hdrs17", 17, 52), ("hdrs21", 21, 63)])
def test_scales_have_the_published_item_count_and_range(name: str, items: int, maximum: int) -> None:
    # montgomery1979: 10 items 0-6; hamilton1960: HDRS-17 range 0-52, HDRS-21 0-63
    scale = load_scale(name)
    assert len(scale.items) == items
    assert scale.max_total == maximum


def test_every_scale_reads_the_reference_patient_at_its_typical_profile() -> None:
    for name in scale_names():
        scale = load_scale(name)
        expected = scale.expected_items(np.array([REFERENCE_SEVERITY]))[0]
        np.testing.assert_allclose(expected, scale.typical)
        assert all(0 <= t <= m for t, m in zip(scale.typical, scale.maxima))


def test_drive_is_the_log_ratio_to_the_subjects_own_baseline_and_never_negative() -> None:
    efficacy = np.array([[0.5, 0.5 * np.e, 0.25]])
    np.testing.assert_allclose(synaptic_drive(efficacy, np.array([0.5])), [[0.0, 1.0, 0.0]])


def test_relief_is_half_maximal_at_the_subjects_half_drive() -> None:
    sigma = np.sqrt(np.log1p(PARAMS.drive_half_cv**2))
    z = 0.7
    half = PARAMS.drive_half * np.exp(sigma * z - sigma**2 / 2)  # log-normal, mean-preserving
    value = relief(np.array([[half, 0.0]]), PARAMS, np.array([z]))
    np.testing.assert_allclose(value, [[PARAMS.effect_max / 2, 0.0]], rtol=1e-12)


def test_sustained_relief_decays_exactly_at_the_relapse_rate_after_a_pulse() -> None:
    days = np.array([0.0, 0.5, 1.0, 3.0, 7.0])
    pulse = np.array([[0.0, 0.6, 0.0, 0.0, 0.0]])
    held = sustained(pulse, days, rate=0.3)
    np.testing.assert_allclose(held[0, 2:], 0.6 * np.exp(-0.3 * (days[2:] - 0.5)), rtol=1e-12)
    rising = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    np.testing.assert_array_equal(sustained(rising, days, rate=0.3), rising)  # follows a rising drive at once


def test_placebo_plateau_is_the_logistic_of_the_linear_predictor_times_expectancy() -> None:
    z, failed, expectancy = np.array([0.3, -1.0]), np.array([0, 4]), np.array([1.0, 0.5])
    logit = PARAMS.placebo_logit_mean + PARAMS.placebo_failed_trial_effect * failed + PARAMS.placebo_logit_sd * z
    np.testing.assert_allclose(placebo_plateau(PARAMS, z, failed, expectancy), expectancy / (1 + np.exp(-logit)))
    t = np.array([0.0, PARAMS.placebo_onset])
    np.testing.assert_allclose(placebo_relief(np.array([0.4]), t, PARAMS.placebo_onset), [[0.0, 0.4 * (1 - np.exp(-1))]])


def test_fluctuation_is_a_stationary_ornstein_uhlenbeck_process() -> None:
    rng = np.random.default_rng(7)
    days = np.array([0.0, 3.0])
    n = 40_000
    u = fluctuation(rng.standard_normal((n, 2)), days, sd=0.2, correlation_time=7.0)
    standard_error = 0.2**2 * np.sqrt(2 / n)
    assert abs(u[:, 1].var() - 0.04) < 4 * standard_error
    rho = np.corrcoef(u[:, 0], u[:, 1])[0, 1]
    assert abs(rho - np.exp(-3.0 / 7.0)) < 4 / np.sqrt(n)


def test_items_are_rounded_and_clipped_to_their_range() -> None:
    scale = load_scale("madrs")
    severity = np.array([[0.0, 5.0]])  # far beyond the range: every item at its maximum
    scores = item_scores(severity, scale, np.zeros((1, 2, len(scale.items))), noise_sd=0.5)
    assert scores[0, 0].sum() == 0
    np.testing.assert_array_equal(scores[0, 1], scale.maxima)


def test_dissociation_is_half_maximal_at_the_half_block() -> None:
    assert dissociation(np.array([PARAMS.cadss_block_half]), PARAMS)[0] == pytest.approx(PARAMS.cadss_max / 2)
    assert dissociation(np.array([0.0]), PARAMS)[0] == 0.0
