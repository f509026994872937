"""A virtual PK study as a NONMEM-format dataset (ID, TIME, AMT, RATE, EVID, CMT, DV, MDV + covariates).

The virtual patients of a trial design (same population, inclusion, randomisation and seed as
``trdlab trial run``) are re-simulated on the human model at a chosen sampling schedule; each sample
gets residual error, ``DV = C exp(e1) + e2`` with ``e1 ~ N(0, cv^2)`` (proportional, log-normal) and
``e2 ~ N(0, sd^2)`` (additive, in the observable's unit), drawn from its own seeded stream. TIME is in
hours from the subject's first dose of the compound; AMT in mg of the active moiety; RATE in mg/h
(0 for a bolus); CMT is the dosing compartment's number in the model's dosing order (a NONMEM
``$INPUT`` needs the model file to agree). Covariates: WT (kg), AGE (years), SEX (1 = female).
A pharmacometrician can then fit a population PK model (NONMEM, nlmixr2, Pumas) to a virtual study
whose true parameters are known.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
import pandas as pd

from trdlab.compounds.catalogue import compound as catalogue_compound
from trdlab.errors import TrialError
from trdlab.trials.design import TrialDesign
from trdlab.trials.mechanism import _human_model, simulate_plan
from trdlab.trials.run import plan_cohort

RESIDUAL_STREAM = 7
"""Child stream of the seed tree for the residual errors (apart from the trial's own streams)."""


def pk_dataset(design: TrialDesign, *, compound: str, sampling_h: Sequence[float], n: int | None = None,
               seed: int = 1, cv: float = 0.15, sd: float = 0.0, observable: str | None = None) -> pd.DataFrame:
    """The NONMEM dataset of the design's subjects dosed with ``compound`` (one row per dose or sample).

    Raises:
        TrialError: no subject receives the compound, a sampling time is negative, or cv/sd is negative.
    """
    if any(t < 0 for t in sampling_h) or not sampling_h:
        raise TrialError(f"sampling_h={list(sampling_h)!r}: give one or more times >= 0 (hours after the first dose)")
    if cv < 0 or sd < 0:
        raise TrialError(f"cv={cv!r}, sd={sd!r}: residual error sizes must be >= 0")
    facts = catalogue_compound(compound)
    observable = observable or f"{compound}_plasma_ngml"
    targets = {facts.target("human", route) for route in facts.routes("human")}
    cohort = plan_cohort(design, n=n, seed=seed)
    dosing = list(getattr(_human_model(cohort.plans[0].compounds), "dosing"))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(RESIDUAL_STREAM,)))
    rows: list[dict[str, object]] = []
    for k, plan in enumerate(cohort.plans):
        doses = sorted((e.time + i * e.ii, e.amt, e.rate if e.rate > 0 else (e.amt / e.dur if e.dur > 0 else 0.0), e.cmt)
                       for e in plan.regimen.events if e.cmt in targets for i in range(e.addl + 1))
        if not doses:
            continue
        first = doses[0][0]
        times = tuple(sorted({0.0, *(first + t for t in sampling_h)}))
        trajectory = simulate_plan(replace(plan, times=times), (observable,))
        covariates = cohort.covariates.iloc[k]
        base = {"ID": k + 1, "WT": round(float(covariates["weight_kg"]), 3), "AGE": round(float(covariates["age"]), 2),
                "SEX": int(covariates["sex"] == "female")}
        for time, amount, rate, cmt in doses:
            if time - first <= max(sampling_h):
                rows.append({**base, "TIME": round(time - first, 6), "AMT": amount, "RATE": rate, "EVID": 1,
                             "CMT": dosing.index(str(cmt)) + 1, "DV": 0.0, "MDV": 1})
        if trajectory.values is None:
            continue  # a failed subject has doses but no samples (recorded as missing, not fatal)
        values = np.interp([first + t for t in sampling_h], times, trajectory.values[observable])
        noise = rng.normal(0.0, 1.0, size=(2, len(sampling_h)))
        for t, c, e1, e2 in zip(sampling_h, values, noise[0], noise[1]):
            rows.append({**base, "TIME": float(t), "AMT": 0.0, "RATE": 0.0, "EVID": 0,
                         "CMT": dosing.index(str(doses[0][3])) + 1, "DV": float(c * np.exp(cv * e1) + sd * e2), "MDV": 0})
    if not rows:
        raise TrialError(f"no subject of design {design.name!r} receives {compound!r}; choose a compound its arms dose")
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["ID", "TIME", "EVID"], ascending=[True, True, False], kind="stable")
    return frame[["ID", "TIME", "AMT", "RATE", "EVID", "CMT", "DV", "MDV", "WT", "AGE", "SEX"]].reset_index(drop=True)

