"""Score a simulated cohort: mechanism trajectories + noise -> ratings at every visit.

Pure and vectorised: re-scoring the same simulated cohort with other clinical parameters
(calibration) costs milliseconds and needs no new simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trdlab.clinical.parameters import ClinicalParameters
from trdlab.clinical.scales import Scale
from trdlab.clinical.symptoms import (
    Noise,
    dissociation,
    fluctuation,
    item_scores,
    placebo_plateau,
    placebo_relief,
    relapse_rates,
    relief,
    sustained,
    synaptic_drive,
)
from trdlab.trials.cohort import Schedule
from trdlab.trials.mechanism import OBSERVABLES, TRIAL_OBSERVABLES

BIOMARKERS: tuple[str, ...] = OBSERVABLES
"""Per-visit model readouts written to the subject table (the recorded observables)."""


@dataclass(frozen=True)
class ArmInfo:
    """What scoring needs to know of an arm."""

    name: str
    placebo: bool
    expectancy: str  # "oral" | "infusion" | "active_placebo"


@dataclass(frozen=True)
class Cohort:
    """A simulated cohort, ready to score.

    ``values[name]`` is (subject, period, grid) for the observables; subjects whose simulation
    failed have NaN there and their ``errors`` entry set.
    """

    covariates: pd.DataFrame  # one row per included subject, index 0..n-1
    arms: tuple[ArmInfo, ...]
    assignment: np.ndarray  # (subject, period) arm index
    schedule: Schedule
    visits: tuple[str, ...]
    values: dict[str, np.ndarray]
    noise: Noise
    errors: tuple[str | None, ...]
    dropout: np.ndarray  # (subject,) index of the first missed visit over the whole timeline (inf: none)
    first_subject: int = 0
    """Trial-wide index of the first subject here (a chunk of a streamed cohort starts after the previous ones)."""


def _expectancy(arm: ArmInfo, params: ClinicalParameters) -> float:
    if arm.expectancy == "oral":
        return 1.0
    if arm.expectancy == "active_placebo":
        return params.expectancy_infusion * params.expectancy_active_placebo
    return params.expectancy_infusion


def latent_severity(cohort: Cohort, params: ClinicalParameters) -> tuple[np.ndarray, np.ndarray]:
    """Latent severity and sustained drug relief at the ratings (subject, period, baseline + visits)."""
    n, periods = cohort.assignment.shape
    grid_days = cohort.schedule.grid / 24.0
    positions = [0, *cohort.schedule.visit_index.tolist()]
    u = fluctuation(cohort.noise.fluctuation, cohort.schedule.rating_days, params.severity_fluctuation_sd,
                    params.severity_fluctuation_time).reshape(n, periods, len(positions))
    efficacy = np.prod([cohort.values[name] for name in TRIAL_OBSERVABLES.synaptic_efficacy], axis=0)
    severity0 = cohort.covariates["baseline_severity"].to_numpy(float)
    failed = cohort.covariates["failed_trials"].to_numpy(float)
    latent = np.empty((n, periods, len(positions)))
    relief_all = np.empty_like(latent)
    rates = relapse_rates(params, cohort.noise.relapse)
    for p in range(periods):
        eff = efficacy[:, p, :]
        drive = synaptic_drive(np.nan_to_num(eff, nan=1.0), np.nan_to_num(eff[:, 0], nan=1.0))
        held = sustained(relief(drive, params, cohort.noise.drive_half), grid_days, rates)[:, positions]
        expectancy = np.array([_expectancy(cohort.arms[a], params) for a in cohort.assignment[:, p]])
        plateau = placebo_plateau(params, cohort.noise.placebo, failed, expectancy)
        placebo = placebo_relief(plateau, grid_days[positions], params.placebo_onset)
        latent[:, p, :] = severity0[:, None] * (1 - held) * (1 - placebo) * np.exp(u[:, p, :])
        relief_all[:, p, :] = held
    return latent, relief_all


def score(cohort: Cohort, params: ClinicalParameters, scale: Scale, *, response: float,
          remission: float) -> pd.DataFrame:
    """The subject table: one row per subject x period x visit (baseline rows have visit 'baseline')."""
    n, periods = cohort.assignment.shape
    latent, held = latent_severity(cohort, params)
    positions = [0, *cohort.schedule.visit_index.tolist()]
    item_noise = cohort.noise.items.reshape(n, periods, len(positions), -1)[..., : len(scale.items)]
    cadss = dissociation(cohort.values[TRIAL_OBSERVABLES.dissociation], params)
    labels = ["baseline", *cohort.visits]
    frames = []
    for p in range(periods):
        lat = latent[:, p, :]
        items = item_scores(lat, scale, item_noise[:, p, :, :], params.item_noise_sd).astype(float)
        total = items.sum(axis=2)
        baseline = total[:, 0]
        for k, label in enumerate(labels):
            dropped = cohort.dropout <= p * len(positions) + k
            failed = np.array([e is not None for e in cohort.errors])
            row_total = np.where(dropped | failed, np.nan, total[:, k])
            row_items = np.where((dropped | failed)[:, None], np.nan, items[:, k, :])
            change = row_total - baseline
            pct = -change / np.where(baseline > 0, baseline, np.nan)
            frame = {
                "subject": cohort.first_subject + np.arange(n),
                "arm": [cohort.arms[a].name for a in cohort.assignment[:, p]],
                "period": np.full(n, p + 1),
                "visit": np.full(n, label, dtype=object),
                "day": np.full(n, (cohort.schedule.grid[positions[k]]) / 24.0),
                "placebo": [cohort.arms[a].placebo for a in cohort.assignment[:, p]],
                "baseline": np.where(failed, np.nan, baseline),
                "total": row_total,
                "change": change,
                "pct_change": pct,
                "response": (pct >= response) & ~np.isnan(row_total),
                "remission": (row_total <= remission) & ~np.isnan(row_total),
                "dropped": dropped,
                "latent_severity": np.where(failed, np.nan, lat[:, k]),
                "drug_relief": held[:, p, k],
                "cadss": cadss[:, p, positions[k]],
            }
            for j, item in enumerate(scale.items):
                frame[f"item_{item}"] = row_items[:, j]
            for name in BIOMARKERS:
                frame[name] = cohort.values[name][:, p, positions[k]]
            frame["status"] = [e or "ok" for e in cohort.errors]
            frames.append(pd.DataFrame(frame))
    table = pd.concat(frames, ignore_index=True)
    covariates = cohort.covariates.reset_index(drop=True).add_prefix("")
    table = table.merge(covariates.assign(subject=cohort.first_subject + np.arange(n)), on="subject", how="left")
    return table.sort_values(["subject", "period", "day"], kind="stable").reset_index(drop=True)
