"""The signature table: one row per subject, feature columns and outcome columns.

Built from a trial's tidy biomarker table and its scored subject table (first period only: in a
crossover the second period's baseline is not treatment-naive):

- features ``<biomarker>@<time>`` (the measured reading) and, for a biomarker also read before the
  first dose (``baseline`` or ``night 0``), ``<biomarker>_change@<time>`` = reading / pre-treatment
  reading - 1; time-invariant biomarkers (genotype) as ``<biomarker>``;
- clinical covariates ``age``, ``failed_trials``, ``baseline_total`` (the scoring baseline);
- outcomes per visit ``improvement_<time>`` (fractional reduction of the total from baseline) and
  ``response_<time>`` (0/1, the design's response criterion);
- relapse among the responders at the landmark visit (the first visit at or after 1 d), counted
  like :func:`trdlab.trials.statistics.response.relapse_times` but from the landmark:
  ``relapse_<time>_time`` (days from the landmark to the first later observed visit without
  response, or to the last observed visit, censored) and ``relapse_<time>_event`` (1 relapse,
  0 censored); empty for non-responders and for responders with no later observed rating.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trdlab.biomarkers.definitions import BiomarkerLibrary, load_library
from trdlab.biomarkers.timing import sampling_time

COVARIATES = ("age", "failed_trials")
PRE_TREATMENT = ("baseline", "night0")


def _suffix(visit: str, library: BiomarkerLibrary) -> str:
    return sampling_time(visit, library.clock).suffix


def signature_table(scored: pd.DataFrame, markers: pd.DataFrame, visits: tuple[str, ...],
                    library: BiomarkerLibrary | None = None) -> pd.DataFrame:
    """One row per subject of period 1 (see the module docstring)."""
    library = library or load_library()
    first = scored[scored.period == 1]
    base = first[first.visit == "baseline"].set_index("subject")
    table = pd.DataFrame(index=base.index)
    table["arm"] = base["arm"]
    for name in COVARIATES:
        if name in base:
            table[name] = base[name].astype(float)
    table["baseline_total"] = base["total"].astype(float)
    own = markers[markers.period == 1] if len(markers) else pd.DataFrame(columns=["biomarker", "suffix", "subject", "value"])
    for (marker, suffix), rows in own.groupby(["biomarker", "suffix"], sort=False):
        values = rows.set_index("subject")["value"]
        if library.biomarkers[str(marker)].sampling == "trait":
            table[str(marker)] = values
        else:
            table[f"{marker}@{suffix}"] = values
    for marker, rows in own.groupby("biomarker", sort=False):
        pre = rows[rows.suffix.isin(PRE_TREATMENT)]
        if library.biomarkers[str(marker)].sampling == "trait" or pre.empty:
            continue
        before = pre.set_index("subject")["value"]
        for suffix, later in rows[~rows.suffix.isin(PRE_TREATMENT)].groupby("suffix", sort=False):
            table[f"{marker}_change@{suffix}"] = later.set_index("subject")["value"] / before - 1.0
    by_visit = {v: first[first.visit == v].set_index("subject") for v in visits}
    for visit in visits:
        suffix = _suffix(visit, library)
        table[f"improvement_{suffix}"] = by_visit[visit]["pct_change"]
        table[f"response_{suffix}"] = by_visit[visit]["response"].astype(float).where(by_visit[visit]["total"].notna())
    _relapse(table, by_visit, visits, library)
    return table.reset_index()


def _relapse(table: pd.DataFrame, by_visit: dict[str, pd.DataFrame], visits: tuple[str, ...],
             library: BiomarkerLibrary) -> None:
    hours = [sampling_time(v, library.clock).hours for v in visits]
    later = [i for i, h in enumerate(hours) if h >= 24.0 - 1e-9]
    if len(later) < 2:
        return
    landmark = later[0]
    suffix = _suffix(visits[landmark], library)
    responders = by_visit[visits[landmark]]["response"].astype(bool)
    time = pd.Series(np.nan, index=table.index)
    event = pd.Series(np.nan, index=table.index)
    for subject in table.index[responders.reindex(table.index, fill_value=False).to_numpy()]:
        for i in later[1:]:  # observed later visits only (after a dropout there are none)
            row = by_visit[visits[i]].loc[subject]
            if pd.isna(row["total"]):
                continue
            time[subject], event[subject] = (hours[i] - hours[landmark]) / 24.0, 0.0
            if not bool(row["response"]):
                event[subject] = 1.0
                break
    table[f"relapse_{suffix}_time"] = time
    table[f"relapse_{suffix}_event"] = event
