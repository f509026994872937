"""Who is in a virtual trial: screening with the inclusion criterion, randomisation, time grids.

Everything here is decided before any mechanism is simulated, from the seed alone:
a screening pool is sampled, every pool subject's baseline rating is drawn from the symptom
model (latent severity x spontaneous fluctuation x rating noise), subjects below the
design's inclusion threshold are screened out (selection on a noisy, fluctuating rating is
what produces regression to the mean), and the included subjects are randomised to arms
(parallel: permuted allocation by the arms' weights; crossover: sequences AB / BA).

Randomness follows the seed tree of :mod:`trdlab.population.streams`: pool subject i's
symptom-model draws come from branch ``(SUBJECTS, i)``, the allocation from
``(RANDOMISATION, 0)`` and the dropout times from ``(DROPOUT, 0)``; the pool's covariates come
from the population's column branches with the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trdlab.clinical.parameters import ClinicalParameters
from trdlab.clinical.scales import Scale, load_scale, scale_names
from trdlab.clinical.symptoms import Noise, draw_noise, fluctuation, item_scores
from trdlab.errors import TrialError
from trdlab.population.streams import Purpose, stream, subject_streams

DENSE_STEP_EARLY_H = 1.0
DENSE_STEP_LATE_H = 12.0
EARLY_H = 96.0


def period_grid(visit_hours: list[float]) -> np.ndarray:
    """Hours from the period's first dose: 0, the visits and a grid fine enough for the relief memory."""
    last = max(visit_hours)
    dense = list(np.arange(0.0, min(last, EARLY_H) + 1e-9, DENSE_STEP_EARLY_H))
    if last > EARLY_H:
        dense += list(np.arange(EARLY_H, last + 1e-9, DENSE_STEP_LATE_H))
    return np.unique(np.round(np.array([0.0, *visit_hours, *dense]), 9))


@dataclass(frozen=True)
class Schedule:
    """Period starts (hours from the first period's first dose) and the shared local grid."""

    starts: tuple[float, ...]
    grid: np.ndarray  # hours from a period's start
    visit_index: np.ndarray  # positions of the visits in grid

    @property
    def absolute_days(self) -> np.ndarray:
        """Every grid time of every period, in days from the first period's first dose."""
        return np.concatenate([(start + self.grid) / 24.0 for start in self.starts])

    @property
    def rating_days(self) -> np.ndarray:
        """The rating times (each period's baseline and visits), in days from the first dose.

        Rating noise and the spontaneous fluctuation are drawn at these times only (the
        Ornstein-Uhlenbeck process sampled exactly on this subsequence), so memory grows
        with the number of visits, not with the simulation grid."""
        local = self.grid[[0, *self.visit_index.tolist()]]
        return np.concatenate([(start + local) / 24.0 for start in self.starts])


def schedule(visit_hours: list[float], periods: int, washout_h: float) -> Schedule:
    """Periods follow each other: the next starts ``washout_h`` after the previous last visit."""
    grid = period_grid(visit_hours)
    starts = tuple(p * (max(visit_hours) + washout_h) for p in range(periods))
    index = np.searchsorted(grid, np.round(visit_hours, 9))
    return Schedule(starts, grid, index)


def subject_generators(seed: int, n: int, start: int = 0) -> list[np.random.Generator]:
    """One independent generator per pool subject ``start .. start + n - 1``, branch ``(SUBJECTS, i)``."""
    return subject_streams(seed, n, start)


def randomisation_generator(seed: int) -> np.random.Generator:
    """The trial's allocation stream, branch ``(RANDOMISATION, 0)`` of the seed tree."""
    return stream(seed, Purpose.RANDOMISATION)


def dropout_generator(seed: int) -> np.random.Generator:
    """The trial's dropout-time stream, branch ``(DROPOUT, 0)`` of the seed tree."""
    return stream(seed, Purpose.DROPOUT)


def screening_ratings(severity: np.ndarray, noise: Noise, sched: Schedule, scale: Scale,
                      params: ClinicalParameters) -> np.ndarray:
    """Baseline total at the first period's start for every pool subject (no treatment yet)."""
    u = fluctuation(noise.fluctuation, sched.rating_days, params.severity_fluctuation_sd,
                    params.severity_fluctuation_time)
    latent = np.asarray(severity)[:, None] * np.exp(u[:, :1])
    return item_scores(latent, scale, noise.items[:, :1, : len(scale.items)], params.item_noise_sd).sum(axis=2)[:, 0]


def include(ratings: np.ndarray, threshold: float | None, n: int) -> np.ndarray:
    """Indices of the first ``n`` pool subjects whose baseline meets the inclusion threshold."""
    eligible = np.flatnonzero(ratings >= threshold) if threshold is not None else np.arange(ratings.size)
    if eligible.size < n:
        raise TrialError(
            f"inclusion: only {eligible.size} of {ratings.size} screened subjects reach a baseline of "
            f"{threshold}; lower 'inclusion' or choose a more severe population"
        )
    return eligible[:n]


def randomise(n: int, allocations: list[float], periods: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """Arm index per period for each subject.

    Parallel: counts proportional to the allocation weights (largest remainders), shuffled.
    Crossover (2 arms, 2 periods): half the subjects get (0, 1), the others (1, 0), shuffled.
    """
    if periods == 1:
        weights = np.asarray(allocations, float) / float(np.sum(allocations))
        raw = weights * n
        counts = np.floor(raw).astype(int)
        for k in np.argsort(-(raw - counts))[: n - counts.sum()]:
            counts[k] += 1
        arms = np.repeat(np.arange(len(allocations)), counts)
        return [(int(a),) for a in rng.permutation(arms)]
    sequences = np.array([0] * ((n + 1) // 2) + [1] * (n // 2))
    return [(0, 1) if s == 0 else (1, 0) for s in rng.permutation(sequences)]


MAX_ITEMS = max(len(load_scale(name).items) for name in scale_names())
"""Item noise is drawn for the longest scale, so any scale can score the same cohort."""


def cohort_noise(rngs: list[np.random.Generator], sched: Schedule) -> Noise:
    """The symptom model's random draws over the whole timeline (all periods)."""
    return draw_noise(rngs, sched.rating_days.size, MAX_ITEMS)
