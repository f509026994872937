"""Magnesium homeostasis (modules magnesium_body, magnesium_brain): mass balance, steady state
and closed forms, and one literature observation that set no parameter.

- slutsky2010: MgCl2 at ~50 mg/kg/day elemental Mg in drinking water for 24 days gave no
  significant rise of rat CSF Mg (the threonate arm, +7-15 %, calibrated
  threonate_facilitation_ec50).
The healthy levels (jahnen2012, boron2012, oppelt1963), the two anchors of the blood-to-brain
carrier (oppelt1963, sartori2012), claim M02's threonate rise and claim M07's diet response set or
calibrated rows of magnesium*.toml: they are checked in tests/consistency/.
"""

from __future__ import annotations

import numpy as np
import pytest
import roadrunner

import trdlab
from trdlab.dosing.catalog import PROTOCOLS
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
    diet = PROTOCOLS["mg_diet"](fraction_of_requirement=0.1, days=10, species="rat", start="2 d")
    water = PROTOCOLS["mg_threonate_water"](dose="50 mg/kg/day", days=12, species="rat", weight="0.3 kg", start="5 d")
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
def test_healthy_state_is_stable_for_60_days(species: str) -> None:
    model = build_model(species)
    result = trdlab.simulate(model, None, np.linspace(0, 60 * DAY, 61))
    for name in ("mg_plasma_total_mm", "mg_plasma_ionised_mm", "mg_csf_mm", "mg_ec_pfc", "mg_ec_hpc",
                 "mg_ec_bla", "mg_neuron_pfc_mm", "mg_astrocyte_pfc_mm", "mg_total_body"):
        values = result.column(name)
        assert np.max(np.abs(values / values[0] - 1)) < 0.005, name


def test_m02_chloride_water_does_not_raise_csf_mg(rat: trdlab.Model) -> None:
    # slutsky2010: MgCl2 at the threonate arm's Mg dose gave no significant CSF rise; the paper
    # gives no size, so "not significant" is read as below the threonate arm's lower bound (7 %)
    times = np.linspace(0, 24 * DAY, 25)
    chloride = trdlab.simulate(rat, PROTOCOLS["mg_chloride_water"](dose="50 mg/kg/day", days=24, species="rat",
                                                           weight="0.3 kg"), times)
    assert abs(change(chloride, "mg_csf_mm")) < 0.07


def test_diet_protocol_restores_the_requirement_after_the_course(rat: trdlab.Model) -> None:
    regimen = PROTOCOLS["mg_diet"](fraction_of_requirement=0.1, days=7, species="rat")
    # the diet level is 10 % of the requirement from the start (outputs are right-continuous)
    # and 100 % again after day 7; the control diet is the model's own intake (no events)
    assert PROTOCOLS["mg_diet"](fraction_of_requirement=1.0, days=7, species="rat").events == ()
    result = trdlab.simulate(rat, regimen, np.array([0.0, 3 * DAY, 8 * DAY]))
    np.testing.assert_allclose(result.column("mg_diet_level"), [0.1, 0.1, 1.0], rtol=1e-12)
    assert result.column("mg_plasma_total_mm")[1] < result.column("mg_plasma_total_mm")[0]


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
