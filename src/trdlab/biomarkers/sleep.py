"""Night features of the two-process sleep-homeostasis model driven by cortical synaptic strength.

Process S (borbely1982; daan1984) rises in waking, ``dS/dt = (1 - S) / tau_rise``, and decays in
sleep, ``dS/dt = -S / tau_decay``. With ``W = 24 h - time in bed`` of waking and ``T`` in bed each
day, the healthy steady state has S at sleep onset

    S_on = (1 - exp(-W / tau_rise)) / (1 - exp(-T / tau_decay) exp(-W / tau_rise)).

Synaptic homeostasis (tononi2006): the S built up in waking scales with the synaptic strength of
the cortex at sleep onset, the human model's relative ``slow_wave_activity`` ``r`` (1 healthy), so
``S(t) = r S_on exp(-t / tau_decay)`` for ``t`` hours after sleep onset. NREM sleep fills the
first ``nrem_fraction`` of each ``cycle``; slow-wave activity in NREM is
``SWA(t) = K (floor S_on + S(t))`` with ``K`` such that a healthy first episode reads
``swa_healthy``. Episode ``k`` (``a_k = (k - 1) cycle``, ``d = nrem_fraction cycle``) has mean

    SWA_k = K (floor S_on + r S_on tau_decay / d exp(-a_k / tau_decay) (1 - exp(-d / tau_decay))),

the delta sleep ratio is ``SWA_1 / SWA_2``, and an NREM minute is N3 with probability
``P(X > n3_threshold swa_healthy)``, ``X`` lognormal with mean ``SWA(t)`` and CV ``epoch_cv``;
slow-wave sleep is the sum of those probabilities over the night's NREM minutes.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from trdlab.biomarkers.definitions import SleepModel
from trdlab.population.distributions import lognormal_log_parameters

FEATURES = ("swa_nrem1", "swa_nrem2", "delta_sleep_ratio", "sws_minutes")


def onset_s(model: SleepModel, time_in_bed_h: float) -> float:
    """Healthy steady-state S at sleep onset (the module docstring's closed form)."""
    rise = np.exp(-(24.0 - time_in_bed_h) / model.tau_rise_h)
    decay = np.exp(-time_in_bed_h / model.tau_decay_h)
    return float((1.0 - rise) / (1.0 - decay * rise))


def episode_swa(model: SleepModel, time_in_bed_h: float, drive: np.ndarray, episode: int) -> np.ndarray:
    """Mean SWA (uV^2) of NREM episode ``episode`` (1-based) for synaptic drive ``drive`` (1 = healthy)."""
    s_on = onset_s(model, time_in_bed_h)
    d = model.nrem_fraction * model.cycle_h
    tau = model.tau_decay_h

    def mean_s(k: int, r: np.ndarray | float) -> np.ndarray:
        return np.asarray(r) * s_on * tau / d * np.exp(-(k - 1) * model.cycle_h / tau) * (1.0 - np.exp(-d / tau))

    scale = model.swa_healthy / (model.floor * s_on + mean_s(1, 1.0))
    return np.asarray(scale * (model.floor * s_on + mean_s(episode, np.asarray(drive, float))))


def is_nrem(model: SleepModel, t_h: np.ndarray | float) -> np.ndarray:
    """Whether ``t_h`` hours after sleep onset fall in the NREM part of their cycle."""
    return np.asarray((np.asarray(t_h) % model.cycle_h) < model.nrem_fraction * model.cycle_h)


def swa_at(model: SleepModel, time_in_bed_h: float, drive: np.ndarray | float, t_h: np.ndarray | float) -> np.ndarray:
    """Mean NREM SWA (uV^2) ``t_h`` hours after sleep onset: ``K (floor S_on + drive S_on exp(-t / tau_decay))``."""
    s_on = onset_s(model, time_in_bed_h)
    d = model.nrem_fraction * model.cycle_h
    tau = model.tau_decay_h
    scale = model.swa_healthy / (model.floor * s_on + s_on * tau / d * (1.0 - np.exp(-d / tau)))
    return np.asarray(scale * (model.floor * s_on + np.asarray(drive, float) * s_on * np.exp(-np.asarray(t_h) / tau)))


def epoch_sigma(model: SleepModel) -> float:
    """Log-scale SD of an epoch's SWA around the mean (lognormal with CV ``epoch_cv``)."""
    return lognormal_log_parameters(1.0, model.epoch_cv)[1]


def sws_minutes(model: SleepModel, time_in_bed_h: float, drive: np.ndarray) -> np.ndarray:
    """Expected N3 minutes of the night (sum over NREM minutes of the N3 probability)."""
    minutes = (np.arange(int(round(time_in_bed_h * 60))) + 0.5) / 60.0
    t = minutes[is_nrem(model, minutes)]
    swa = swa_at(model, time_in_bed_h, np.asarray(drive, float)[..., None], t)
    sigma = epoch_sigma(model)
    z = (np.log(model.n3_threshold * model.swa_healthy) - np.log(swa) + sigma**2 / 2) / sigma
    return np.asarray((1.0 - ndtr(z)).sum(axis=-1))


def night_features(model: SleepModel, time_in_bed_h: float, drive: np.ndarray) -> dict[str, np.ndarray]:
    """Every night feature for each drive value: SWA of episodes 1 and 2, their ratio, N3 minutes."""
    one = episode_swa(model, time_in_bed_h, drive, 1)
    two = episode_swa(model, time_in_bed_h, drive, 2)
    return {"swa_nrem1": one, "swa_nrem2": two, "delta_sleep_ratio": one / two,
            "sws_minutes": sws_minutes(model, time_in_bed_h, drive)}
