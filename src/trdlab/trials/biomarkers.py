"""A trial's biomarker table: the design's ``[[biomarkers]]`` read from every simulated subject.

One row per subject x period x biomarker x sampling time (:func:`trdlab.biomarkers.measure.measure`
on each period's grid); the CADSS rating is computed on the same grid from the NMDA block. A
subject who dropped out has no readings after the last rating it attended (NaN).
Written as ``biomarkers.parquet`` next to ``subjects.parquet``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trdlab.biomarkers.measure import measure
from trdlab.clinical.parameters import ClinicalParameters
from trdlab.clinical.symptoms import dissociation
from trdlab.trials.design import TrialDesign
from trdlab.trials.mechanism import TRIAL_OBSERVABLES
from trdlab.trials.scoring import Cohort


def cohort_biomarkers(design: TrialDesign, cohort: Cohort, seed: int, params: ClinicalParameters) -> pd.DataFrame:
    """The tidy biomarker table of a simulated cohort (empty when the design reads none)."""
    if not design.biomarkers:
        return pd.DataFrame()
    n, periods = cohort.assignment.shape
    cadss = dissociation(cohort.values[TRIAL_OBSERVABLES.dissociation], params)
    # a subject who drops out is not sampled after the last rating it attended (hours from the first dose)
    days = cohort.schedule.rating_days
    last_seen = np.array([np.inf if not np.isfinite(k) else (days[int(k) - 1] * 24.0 if k >= 1 else -np.inf)
                          for k in cohort.dropout])
    frames = []
    for p in range(periods):
        values = {name: array[:, p, :] for name, array in cohort.values.items()}
        arms = [cohort.arms[a].name for a in cohort.assignment[:, p]]
        frames.append(measure(design.biomarkers, values, cohort.schedule.grid, seed=seed, subjects=range(n),
                              covariates=cohort.covariates, ratings={"cadss": cadss[:, p, :]},
                              extra={"period": np.full(n, p + 1), "arm": arms}, period=p + 1,
                              observed_until_h=last_seen - cohort.schedule.starts[p]))
    return pd.concat(frames, ignore_index=True)
