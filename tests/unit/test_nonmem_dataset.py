"""The NONMEM-format PK dataset of a virtual study: dose records by closed form, noise-free samples equal
to an independent simulation of the subject's PK alone, residual error of the stated size."""

from __future__ import annotations

import numpy as np
import pytest

import trdlab
from trdlab.dosing import constructors
from trdlab.errors import TrialError
from trdlab.model.build import build_model
from trdlab.trials.design import load_design
from trdlab.trials.nonmem import pk_dataset
from trdlab.trials.run import plan_cohort

SAMPLING = [0.25, 0.667, 1.0, 2.0, 4.0, 8.0]


@pytest.fixture(scope="module")
def exact():
    return pk_dataset(load_design("zarate2006"), compound="ketamine", sampling_h=SAMPLING, n=6, seed=5, cv=0.0)


def test_columns_and_dose_records(exact) -> None:
    assert list(exact.columns) == ["ID", "TIME", "AMT", "RATE", "EVID", "CMT", "DV", "MDV", "WT", "AGE", "SEX"]
    doses = exact[exact.EVID == 1]
    # 0.5 mg/kg of the hydrochloride over 40 min -> base 0.5 x WT x 237.73 / 274.19 mg at AMT / (2/3 h) mg/h
    np.testing.assert_allclose(doses.AMT, 0.5 * doses.WT * 237.73 / 274.19, rtol=1e-3)  # WT rounded to 1 g
    np.testing.assert_allclose(doses.RATE, doses.AMT / (40 / 60), rtol=1e-9)
    assert (doses.MDV == 1).all() and (exact[exact.EVID == 0].MDV == 0).all()
    assert set(exact.ID) == set(range(1, 7))  # crossover: every subject gets ketamine once


def test_noise_free_samples_equal_the_subject_s_pk_simulated_alone(exact) -> None:
    cohort = plan_cohort(load_design("zarate2006"), n=6, seed=5)
    model = build_model("human")
    for k, plan in enumerate(cohort.plans[:3]):
        weight = float(cohort.covariates.iloc[k]["weight_kg"])
        regimen = constructors.infusion("ketamine", dose="0.5 mg/kg", duration="40 min", weight=f"{weight!r} kg",
                                        salt="hydrochloride")
        alone = trdlab.simulate(model, regimen, [0.0, *SAMPLING], parameters=dict(plan.overrides))
        samples = exact[(exact.ID == k + 1) & (exact.EVID == 0)]
        np.testing.assert_allclose(samples.DV, alone.column("ketamine_plasma_ngml")[1:], rtol=2e-4)


def test_residual_error_has_the_stated_size() -> None:
    design = load_design("zarate2006")
    exact = pk_dataset(design, compound="ketamine", sampling_h=SAMPLING, n=30, seed=2, cv=0.0)
    noisy = pk_dataset(design, compound="ketamine", sampling_h=SAMPLING, n=30, seed=2, cv=0.2)
    ratio = np.log(noisy[noisy.EVID == 0].DV.to_numpy() / exact[exact.EVID == 0].DV.to_numpy())
    assert ratio.size == 180 and abs(ratio.std(ddof=1) - 0.2) < 0.03 and abs(ratio.mean()) < 0.05
    again = pk_dataset(design, compound="ketamine", sampling_h=SAMPLING, n=30, seed=2, cv=0.2)
    assert again.equals(noisy)  # same seed, same dataset


def test_bad_input_is_named() -> None:
    with pytest.raises(TrialError, match="sampling_h"):
        pk_dataset(load_design("zarate2006"), compound="ketamine", sampling_h=[-1.0], n=2)
    with pytest.raises(TrialError, match="receives 'citalopram'"):
        pk_dataset(load_design("zarate2006"), compound="citalopram", sampling_h=[1.0], n=2)


def test_the_cli_writes_the_dataset(tmp_path) -> None:
    import subprocess
    import sys

    import pandas as pd

    out = tmp_path / "pk.csv"
    run = subprocess.run([sys.executable, "-m", "trdlab", "trial", "pk", "zarate2006", "--compound", "ketamine",
                          "--sampling", "15 min", "--sampling", "2 h", "--n", "3", "--out", str(out)],
                         capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out)
    assert set(table.ID) == {1, 2, 3} and (table.EVID == 0).sum() == 6
