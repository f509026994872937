"""Magnesium homeostasis (modules magnesium_body, magnesium_brain) against cited ranges.

Expected values come from the literature, never from earlier runs:
- healthy plasma total Mg 0.7-1.05 mM (jahnen2012: adult serum reference range ~0.65/0.7-1.05 mM);
  CSF Mg ~1.0-1.25 mM (human CSF ~1.1-1.25 mM; CSF/plasma 1.34 in dogs, oppelt1963).
- M02 (slutsky2010): ~50 mg/kg/day elemental Mg as Mg-L-threonate (604 mg/kg/day MgT) in drinking
  water for 24 days raised rat CSF Mg by ~7-15 %; MgCl2 at the same Mg dose gave no significant rise.
- M07 (sartori2012; seed paper, Sartori section): a diet of 10 % of the Mg requirement for 3 weeks
  lowers plasma Mg strongly and brain Mg mildly.
"""

from __future__ import annotations

import numpy as np
import pytest
import roadrunner

import trdlab
from trdlab.dosing import magnesium_protocols as mgp
from trdlab.model.build import build_model

WEIGHT = {"human": "70 kg", "rat": "0.3 kg", "mouse": "0.025 kg"}
DAY = 24.0


@pytest.fixture(scope="module")
def rat() -> trdlab.Model:
    return build_model("rat")


def change(result: trdlab.Result, name: str) -> float:
    values = result.column(name)
    return float(values[-1] / values[0] - 1)


def test_mass_balance_diet_and_threonate_course(rat: trdlab.Model) -> None:
    diet = mgp.mg_diet(0.1, days=10, species="rat", start="2 d")
    water = mgp.mg_threonate_water("50 mg/kg/day", days=12, species="rat", weight="0.3 kg", start="5 d")
    regimen = diet + water
    times = np.arange(0.0, 20 * DAY + 1e-9, 0.02)
    result = trdlab.simulate(rat, regimen, times)
    net = result.column("mg_absorption_rate") - result.column("mg_excretion_rate")
    integrated = float(np.trapezoid(net, times))
    total = result.column("mg_total_body")
    assert abs(integrated) > 0.05 * total[0]  # the course really moves body Mg
    assert total[-1] - total[0] == pytest.approx(integrated, rel=1e-4, abs=1e-5 * total[0])
    # and at every grid point, not only at the end
    cumulative = np.concatenate([[0.0], np.cumsum((net[1:] + net[:-1]) / 2 * np.diff(times))])
    np.testing.assert_allclose(total - total[0], cumulative, atol=2e-5 * total[0])


@pytest.mark.parametrize("species", ["human", "rat", "mouse"])
def test_healthy_steady_state_in_range_and_stable_for_60_days(species: str) -> None:
    model = build_model(species)
    result = trdlab.simulate(model, None, np.linspace(0, 60 * DAY, 61))
    plasma = result.column("mg_plasma_total_mm")
    csf = result.column("mg_csf_mm")
    assert 0.7 <= plasma[0] <= 1.05  # jahnen2012
    assert 1.0 <= csf[0] <= 1.25  # human CSF ~1.1-1.25 mM; oppelt1963 CSF > plasma
    ionised = result.column("mg_plasma_ionised_mm")[0] / plasma[0]
    assert 0.55 <= ionised <= 0.65  # boron2012: ionised 62 % of total
    for name in ("mg_plasma_total_mm", "mg_plasma_ionised_mm", "mg_csf_mm", "mg_ec_pfc", "mg_ec_hpc",
                 "mg_ec_bla", "mg_neuron_pfc_mm", "mg_astrocyte_pfc_mm", "mg_total_body"):
        values = result.column(name)
        assert np.max(np.abs(values / values[0] - 1)) < 0.005, name
    # the NMDA Mg block of pfc_circuit is referenced to 1.0 mM (mechanism.toml healthy_mg_ec)
    assert result.column("mg_ec_pfc")[0] == pytest.approx(1.0, rel=1e-9)


def test_m02_threonate_raises_csf_mg_and_chloride_does_not(rat: trdlab.Model) -> None:
    times = np.linspace(0, 24 * DAY, 25)
    threonate = trdlab.simulate(rat, mgp.mg_threonate_water("604 mg/kg/day", days=24, species="rat",
                                                             weight="0.3 kg", salt="threonate"), times)
    chloride = trdlab.simulate(rat, mgp.mg_chloride_water("50 mg/kg/day", days=24, species="rat",
                                                           weight="0.3 kg"), times)
    assert 0.07 <= change(threonate, "mg_csf_mm") <= 0.15  # slutsky2010
    assert change(chloride, "mg_csf_mm") < 0.05  # slutsky2010: no significant rise with MgCl2
    assert change(threonate, "mg_csf_mm") > 2 * change(chloride, "mg_csf_mm")
    # M03 mechanism (abumaria2011): PFC and HPC follow CSF, BLA much less
    assert change(threonate, "mg_ec_pfc") > 0.07 and change(threonate, "mg_ec_hpc") > 0.07
    assert change(threonate, "mg_ec_bla") < 0.5 * change(threonate, "mg_ec_pfc")


def test_m07_deficient_diet_lowers_plasma_strongly_and_brain_mildly(rat: trdlab.Model) -> None:
    result = trdlab.simulate(rat, mgp.mg_diet(0.1, days=21, species="rat"), np.linspace(0, 21 * DAY, 22))
    assert change(result, "mg_plasma_total_mm") < -0.30  # sartori2012: plasma Mg strongly down
    for name in ("mg_csf_mm", "mg_ec_pfc", "mg_ec_hpc", "mg_ec_bla"):
        assert -0.20 <= change(result, name) <= -0.05, name  # brain Mg mildly down


def test_diet_protocol_restores_the_requirement_after_the_course(rat: trdlab.Model) -> None:
    regimen = mgp.mg_diet(0.1, days=7, species="rat")
    # the diet level is 10 % of the requirement from the start (outputs are right-continuous)
    # and 100 % again after day 7; the control diet is the model's own intake (no events)
    assert mgp.mg_diet(1.0, days=7, species="rat").events == ()
    result = trdlab.simulate(rat, regimen, np.array([0.0, 3 * DAY, 8 * DAY]))
    np.testing.assert_allclose(result.column("mg_diet_level"), [0.1, 0.1, 1.0], rtol=1e-12)
    assert result.column("mg_plasma_total_mm")[1] < result.column("mg_plasma_total_mm")[0]


@pytest.mark.parametrize(("plasma_ratio", "low", "high", "source"), [
    (3.5, 1.10, 1.25, "oppelt1963: plasma Mg 3-4x normal raised CSF Mg by at most 21 % (dogs)"),
    (0.44, 0.80, 0.95, "sartori2012 / claim M07: plasma Mg down ~56 %, brain Mg only mildly down"),
])
def test_blood_to_brain_supply_defends_brain_mg(rat: trdlab.Model, plasma_ratio: float, low: float,
                                               high: float, source: str) -> None:
    """The steady-state CSF/healthy ratio equals the blood-to-brain supply (first-order clearance);
    plain libRoadRunner evaluates it with the plasma pool scaled, no trdlab code in between."""
    rr = roadrunner.RoadRunner(rat.sbml)
    rr.setValue("mg_extracellular", rr.getValue("mg_extracellular") * plasma_ratio)
    assert rr.getValue("mg_plasma_ionised_mm") / rr.getValue("mg_ionised_healthy") == pytest.approx(plasma_ratio)
    assert low <= rr.getValue("mg_carrier_saturation") <= high, source


def test_extracellular_mg_sets_resting_nmda_entry_and_bdnf_translation(rat: trdlab.Model) -> None:
    """Jahr & Stevens block at the resting potential (closed form) -> resting NMDA Ca2+ entry ->
    eEF2: more Mg de-represses BDNF translation like an NMDA blocker, less Mg represses it."""
    rr = roadrunner.RoadRunner(rat.sbml)
    half, slope, v = (rr.getValue(n) for n in ("jahr_stevens_mg_half", "jahr_stevens_voltage_slope",
                                                "pyramidal_resting_potential"))
    gain, healthy = rr.getValue("eef2_translation_gain"), rr.getValue("mg_ec_healthy")

    def unblock(mg: float) -> float:
        return 1.0 / (1.0 + mg / half * np.exp(-slope * v))

    for mg in (0.8 * healthy, 1.2 * healthy):
        rr.setValue("mg_ec_pfc", mg)
        entry = unblock(mg) / unblock(healthy)
        assert rr.getValue("resting_nmda_calcium_pfc") == pytest.approx(entry, rel=1e-9)
        expected = 1 + gain * (entry - 1) if entry > 1 else 1 / (1 + gain * (1 - entry))
        assert rr.getValue("p_eef2_pfc") == pytest.approx(expected, rel=1e-9)
        assert (rr.getValue("p_eef2_pfc") < 1) == (mg > healthy)
