"""The built SBML of each species, loaded in plain libRoadRunner (no trdlab code), gives the
same trajectories as ``trdlab.simulate``: the model artifact stands on its own."""

from __future__ import annotations

import numpy as np
import pytest
import roadrunner

import trdlab
from trdlab.model.build import build_model

TIMES = np.linspace(0.0, 8.0, 97)
DOSE_MG = 5.0


@pytest.mark.parametrize("species", ["human", "rat", "mouse"])
def test_bolus_into_central_matches_plain_roadrunner(species: str) -> None:
    model = build_model(species)  # type: ignore[arg-type]
    rr = roadrunner.RoadRunner(model.sbml)
    rr.getIntegrator().setValue("relative_tolerance", 1e-10)
    rr.getIntegrator().setValue("absolute_tolerance", 1e-14)
    rr.setValue("ketamine_central", DOSE_MG)  # a bolus at t=0 is an initial amount
    observables = ["ketamine_plasma_ngml", "ketamine_brain_um", "norketamine_plasma_ngml"]
    rr.timeCourseSelections = ["time", *observables]
    plain = np.asarray(rr.simulate(times=list(TIMES)))[:, 1:]

    regimen = trdlab.Regimen.from_records([dict(time=0.0, amt=DOSE_MG, cmt="ketamine_central")])
    result = trdlab.simulate(model, regimen, TIMES)
    ours = np.column_stack([result.column(name) for name in observables])
    np.testing.assert_allclose(ours, plain, rtol=1e-6, atol=1e-9 * np.max(np.abs(plain)))
