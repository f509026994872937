"""Consistency of the magnesium parameter derivations -- NOT reference tests.

Each expected value is the number or target a row of magnesium*.toml was set or calibrated from
(the healthy levels, the two anchors of the blood-to-brain carrier, the threonate calibration of
claim M02, the regional CSF shares, the diet response of claim M07). These tests check the
derivation arithmetic and that the model carries the rows as derived, not the science: the
claims M02 and M07 are calibrations of these rows, so their agreement is by construction. Each
test names the row(s) it mirrors.
"""

from __future__ import annotations

import numpy as np
import pytest
import roadrunner

import trdlab
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.model.build import build_model

DAY = 24.0


@pytest.fixture(scope="module")
def rat() -> trdlab.Model:
    return build_model("rat")


def change(result: trdlab.Result, name: str) -> float:
    values = result.column(name)
    return float(values[-1] / values[0] - 1)


@pytest.mark.parametrize("species", ["human", "rat", "mouse"])
def test_healthy_levels_are_the_table_values(species: str) -> None:
    result = trdlab.simulate(build_model(species), None, [0.0])
    plasma = result.column("mg_plasma_total_mm")[0]
    # magnesium.toml mg_plasma_healthy = 0.85 mM: mid-range of jahnen2012's 0.7-1.05 mM
    assert plasma == pytest.approx(0.85, rel=1e-6)
    # mg_csf_healthy = 1.15 mM: CSF/plasma 1.34 (oppelt1963) x 0.85
    assert result.column("mg_csf_mm")[0] == pytest.approx(1.15, rel=1e-6)
    # mg_ionised_fraction = 0.62 (boron2012: 0.56 of 0.90 mM)
    assert result.column("mg_plasma_ionised_mm")[0] / plasma == pytest.approx(0.62, rel=1e-6)
    # mg_ec_healthy = 1.0 mM = mechanism.toml healthy_mg_ec (NMDA reference state)
    assert result.column("mg_ec_pfc")[0] == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize(("plasma_ratio", "csf_ratio", "anchor"), [
    (3.5, 1.21, "oppelt1963: plasma Mg 3.5x normal raised CSF Mg 21 % (dogs)"),
    (0.44, 0.88, "sartori2012 / claim M07: plasma Mg 0.44x, brain Mg ~12 % down"),
])
def test_blood_to_brain_carrier_passes_through_its_two_anchors(rat: trdlab.Model, plasma_ratio: float,
                                                               csf_ratio: float, anchor: str) -> None:
    """magnesium.toml mg_csf_transport_km and mg_csf_passive_fraction were SOLVED from these two
    points, so the steady-state supply (plain libRoadRunner, plasma pool scaled) hits them."""
    rr = roadrunner.RoadRunner(rat.sbml)
    rr.setValue("mg_extracellular", rr.getValue("mg_extracellular") * plasma_ratio)
    assert rr.getValue("mg_plasma_ionised_mm") / rr.getValue("mg_ionised_healthy") == pytest.approx(plasma_ratio)
    assert rr.getValue("mg_carrier_saturation") == pytest.approx(csf_ratio, abs=0.005), anchor


def test_m02_threonate_raises_csf_mg_by_the_calibrated_11_percent(rat: trdlab.Model) -> None:
    times = np.linspace(0, 24 * DAY, 25)
    threonate = trdlab.simulate(rat, PROTOCOLS["mg_threonate_water"](dose="604 mg/kg/day", days=24, species="rat",
                                                             weight="0.3 kg", salt="threonate"), times)
    chloride = trdlab.simulate(rat, PROTOCOLS["mg_chloride_water"](dose="50 mg/kg/day", days=24, species="rat",
                                                           weight="0.3 kg"), times)
    # threonate_facilitation_ec50: calibrated so that 604 mg/kg/d MgT for 24 d gives CSF Mg +11 %
    # (middle of slutsky2010's 7-15 %), MgCl2 at the same Mg dose +2 %
    assert change(threonate, "mg_csf_mm") == pytest.approx(0.11, abs=0.02)
    assert change(chloride, "mg_csf_mm") == pytest.approx(0.02, abs=0.01)
    # mg_ecf_csf_exchange_pfc / _hpc: CSF share 0.91 (cortex bordering the CSF follows CSF);
    # mg_ecf_csf_exchange_bla: CSF share 0.17 (abumaria2011 regional pattern, mechanism assumed)
    csf = change(threonate, "mg_csf_mm")
    assert change(threonate, "mg_ec_pfc") == pytest.approx(csf, rel=0.2)
    assert change(threonate, "mg_ec_hpc") == pytest.approx(csf, rel=0.2)
    assert change(threonate, "mg_ec_bla") < 0.5 * change(threonate, "mg_ec_pfc")


@pytest.mark.parametrize("species", ["rat", "mouse"])
def test_m07_deficient_diet_gives_the_plasma_and_brain_falls_the_rows_were_set_for(species: str) -> None:
    model = build_model(species)
    result = trdlab.simulate(model, PROTOCOLS["mg_diet"](fraction_of_requirement=0.1, days=21, species=species), np.linspace(0, 21 * DAY, 22))
    # mg_tissue_release_rate "lets plasma Mg fall strongly within 3 weeks of a deficient diet (M07)"
    assert change(result, "mg_plasma_total_mm") < -0.30
    regions = ("mg_csf_mm", "mg_ec_pfc", "mg_ec_hpc", "mg_ec_bla")
    for name in regions:  # claim M07 ("brain Mg mildly down", 5-20 %) is a calibration of mg_csf_transport_km
        assert -0.20 <= change(result, name) <= -0.05, name
    if species == "mouse":
        # mg_csf_transport_km's second anchor, the 10 %-requirement diet of sartori2012's mice:
        # plasma Mg 0.44x with brain Mg ~12 % down
        assert 1 + change(result, "mg_plasma_total_mm") == pytest.approx(0.44, abs=0.02)
        for name in regions:
            assert change(result, name) == pytest.approx(-0.12, abs=0.01), name
