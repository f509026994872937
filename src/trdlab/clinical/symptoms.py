"""The symptom model: from the human mechanism's synaptic state to latent severity and ratings.

All functions are pure and vectorised over subjects: arrays are (subject, time) with time in days
from the period's first dose (time 0 = the pre-dose baseline).

Model (parameters in :class:`~trdlab.clinical.parameters.ClinicalParameters`):

* synaptic efficacy of PFC pyramidal neurons ``E = epsc_amplitude_pfc * epsc_frequency_pfc``
  (quantal size x number of functional synapses); drive ``g = max(0, ln(E / E_0))`` relative to
  the subject's own pre-treatment efficacy ``E_0`` (duman2012: synaptic deficits are the target
  of rapid-acting antidepressants);
* relief ``R = effect_max g^h / (g_50^h + g^h)`` (Emax), with ``g_50`` log-normal between
  subjects; relief never decays faster than the subject's relapse rate k (log-normal around
  ``relapse_rate``, cv ``relapse_rate_cv``): ``R*(t_n) = max(R(t_n), R*(t_{n-1}) exp(-k (t_n - t_{n-1})))``;
* placebo relief ``P(t) = P_i x expectancy x (1 - exp(-t / placebo_onset))`` with
  ``logit P_i ~ N(placebo_logit_mean + placebo_failed_trial_effect x failed_trials, placebo_logit_sd^2)``;
* latent severity ``s(t) = s_0 (1 - R*(t)) (1 - P(t)) exp(u(t))`` with ``u`` an
  Ornstein-Uhlenbeck fluctuation (SD ``severity_fluctuation_sd``, correlation time
  ``severity_fluctuation_time``): the source of regression to the mean when inclusion selects
  high baseline ratings;
* item ``i`` of a scale: ``round(typical_i s / 0.5 + e)``, ``e ~ N(0, item_noise_sd^2)``, clipped to
  ``0..max_i``;
* dissociation (CADSS-like) ``cadss_max B / (cadss_block_half + B)`` with ``B`` the pyramidal
  NMDA block (luckenbaugh2014 for the size at 40 min).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trdlab.clinical.parameters import ClinicalParameters
from trdlab.clinical.scales import Scale


@dataclass(frozen=True)
class Noise:
    """The random draws of a cohort (common random numbers for calibration), one row per subject."""

    drive_half: np.ndarray  # (subject,) standard normal
    placebo: np.ndarray  # (subject,) standard normal
    relapse: np.ndarray  # (subject,) standard normal
    fluctuation: np.ndarray  # (subject, time) standard normal
    items: np.ndarray  # (subject, time, item) standard normal


NOISE_COMPONENTS = ("drive", "placebo", "relapse", "fluctuation", "items")
"""The symptom model's random components; component k of subject i draws from its own stream."""


def component_stream(rng: np.random.Generator, component: str) -> np.random.Generator:
    """The stream of one noise component: a child ``spawn_key + (k,)`` of the subject's seed sequence.

    Each component has its own branch of the subject's part of the seed tree, so the number of
    rating times (e.g. follow-up visits appended for an in-silico extension) changes neither a
    subject's drive, placebo and relapse draws nor the fluctuation and item noise of the earlier
    ratings (numpy fills arrays in order, so a longer draw extends a shorter one).
    """
    seq = rng.bit_generator.seed_seq
    if not isinstance(seq, np.random.SeedSequence):
        raise TypeError("subject generators must be built from a numpy SeedSequence (trdlab.population.streams)")
    key = NOISE_COMPONENTS.index(component)
    return np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, key)))


def draw_noise(rngs: list[np.random.Generator], n_times: int, n_items: int) -> Noise:
    """Draw every random number of the symptom model, per subject and component from its own stream."""
    drive, placebo, fluct, items, relapse = [], [], [], [], []
    for rng in rngs:
        drive.append(component_stream(rng, "drive").standard_normal())
        placebo.append(component_stream(rng, "placebo").standard_normal())
        relapse.append(component_stream(rng, "relapse").standard_normal())
        fluct.append(component_stream(rng, "fluctuation").standard_normal(n_times))
        items.append(component_stream(rng, "items").standard_normal((n_times, n_items)))
    return Noise(np.array(drive), np.array(placebo), np.array(relapse), np.array(fluct).reshape(len(rngs), n_times),
                 np.array(items).reshape(len(rngs), n_times, n_items))


def synaptic_drive(efficacy: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """``max(0, ln(E / E_0))`` per subject and time; ``baseline`` is (subject,)."""
    ratio = np.maximum(efficacy, 1e-12) / np.asarray(baseline)[:, None]
    return np.maximum(np.log(ratio), 0.0)


def relief(drive: np.ndarray, params: ClinicalParameters, half_noise: np.ndarray) -> np.ndarray:
    """Emax relief in the drive; ``half_noise`` (subject,) standard normals give each g_50."""
    sigma = np.sqrt(np.log1p(params.drive_half_cv**2))
    half = params.drive_half * np.exp(sigma * np.asarray(half_noise) - sigma**2 / 2)
    powered = drive**params.drive_hill
    return params.effect_max * powered / (half[:, None] ** params.drive_hill + powered)


def relapse_rates(params: ClinicalParameters, noise: np.ndarray) -> np.ndarray:
    """Each subject's relapse rate (1/d): log-normal around ``relapse_rate`` (mean-preserving)."""
    sigma = np.sqrt(np.log1p(params.relapse_rate_cv**2))
    return params.relapse_rate * np.exp(sigma * np.asarray(noise) - sigma**2 / 2)


def sustained(relief_now: np.ndarray, days: np.ndarray, rate: float | np.ndarray) -> np.ndarray:
    """Relief that decays no faster than ``rate`` (1/d, scalar or per subject): a running maximum
    with exponential memory."""
    out = np.empty_like(relief_now)
    out[:, 0] = relief_now[:, 0]
    rate = np.broadcast_to(np.asarray(rate, float), (relief_now.shape[0],))
    decay = np.exp(-rate[:, None] * np.diff(days)[None, :])
    for n in range(1, relief_now.shape[1]):
        out[:, n] = np.maximum(relief_now[:, n], out[:, n - 1] * decay[:, n - 1])
    return out


def placebo_plateau(params: ClinicalParameters, noise: np.ndarray, failed_trials: np.ndarray,
                    expectancy: np.ndarray) -> np.ndarray:
    """Each subject's plateau placebo relief for its arm's expectancy (subject,), kept below 0.95."""
    logit = params.placebo_logit_mean + params.placebo_failed_trial_effect * np.asarray(failed_trials, float) \
        + params.placebo_logit_sd * np.asarray(noise)
    return np.minimum(np.asarray(expectancy) / (1.0 + np.exp(-logit)), 0.95)


def placebo_relief(plateau: np.ndarray, days_since_start: np.ndarray, onset: float) -> np.ndarray:
    """``P_i (1 - exp(-t / onset))`` for t >= 0 (zero before the period starts)."""
    t = np.maximum(np.asarray(days_since_start, float), 0.0)
    return np.asarray(plateau)[:, None] * (1.0 - np.exp(-t / onset))


def fluctuation(standard: np.ndarray, days: np.ndarray, sd: float, correlation_time: float) -> np.ndarray:
    """Exact Ornstein-Uhlenbeck path (stationary SD ``sd``) on the time grid from standard normals."""
    out = np.empty_like(standard)
    out[:, 0] = sd * standard[:, 0]
    keep = np.exp(-np.diff(days) / correlation_time)
    for n in range(1, standard.shape[1]):
        out[:, n] = out[:, n - 1] * keep[n - 1] + sd * np.sqrt(1.0 - keep[n - 1] ** 2) * standard[:, n]
    return out


def item_scores(severity: np.ndarray, scale: Scale, noise: np.ndarray, noise_sd: float) -> np.ndarray:
    """Integer item scores (subject, time, item) from latent severity (subject, time)."""
    expected = scale.expected_items(severity)
    scores = np.rint(expected + noise_sd * noise)
    return np.clip(scores, 0, np.asarray(scale.maxima)).astype(np.int16)


def dissociation(block: np.ndarray, params: ClinicalParameters) -> np.ndarray:
    """CADSS-like dissociation score from the pyramidal NMDA block."""
    block = np.maximum(np.asarray(block, float), 0.0)
    return params.cadss_max * block / (params.cadss_block_half + block)
