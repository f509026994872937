"""HPA axis, stress input and NMDA/nNOS/NO module against closed forms and stated constraints.

Expected numbers come from closed forms (the stand-in stress module's response, Gupta 2007's
scaled steady state, the nNOS gene dose), never from an earlier run of this code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import trdlab
from trdlab.model.build import build_model

RELATIVE = ("crh_pvn", "acth_plasma", "corticosterone_plasma", "glucocorticoid", "aldosterone",
            "no_pfc", "ddah1_pfc", "mnsod_pfc", "inflammation_marker", "nmda_calcium_influx_pfc")

# Stand-in the chronic-stress experiment P09 was calibrated with: glucocorticoid = 1 + 2 x(t),
# x' = 1 - x during the 1-h session, x' = -x after it.
STAND_IN_PEAK_EXCESS = 2 * (1 - math.exp(-1))  # 1.264 above baseline, at t = 1 h
STAND_IN_AUC_EXCESS = 2 * 1.0  # integral of x = input (1) / decay rate (1 /h)


@pytest.fixture(scope="module")
def rat() -> trdlab.Model:
    return build_model("rat")


def one_session() -> trdlab.Regimen:
    return trdlab.Regimen.from_records([dict(time=0.0, amt=1.0, cmt="stress_load", dur=1.0)])


@pytest.mark.parametrize("species", ["human", "rat", "mouse"])
def test_healthy_baseline_is_a_steady_state_for_60_days(species: str) -> None:
    result = trdlab.simulate(build_model(species), None, np.linspace(0, 60 * 24, 61))
    for name in RELATIVE:
        np.testing.assert_allclose(result.column(name), 1.0, rtol=1e-7, err_msg=name)
    np.testing.assert_allclose(result.column("body_temperature"), 37.0, rtol=1e-9)


def test_gupta_healthy_state_is_a_root_of_the_scaled_equations() -> None:
    # Gupta 2007 scaled eqs 9-12 (F = 0): c = 1/(kcd (1 + o/ki1)); a = c / (kad (1 + o r / ki2));
    # o = a; krd r = kcr + (o r)^2 / (K + (o r)^2); table values o* = 0.05972, r* = 0.0809
    o, r = 0.05972, 0.0809
    c = 1 / (1 + o / 0.1)
    a = c / (10 * (1 + o * r / 0.1))
    assert a == pytest.approx(o, rel=2e-3)
    assert 0.9 * r == pytest.approx(0.05 + (o * r) ** 2 / (0.001 + (o * r) ** 2), rel=2e-3)


def test_glucocorticoid_feedback_lowers_crh_and_acth(rat: trdlab.Model) -> None:
    times = np.linspace(0, 48, 97)
    result = trdlab.simulate(rat, None, times, parameters={"glucocorticoid_exogenous": 1.0})
    for name in ("crh_pvn", "acth_plasma", "corticosterone_plasma"):
        assert result.column(name)[-1] < 0.9, name  # at least 10 % down
    assert result.column("glucocorticoid")[-1] > 1.0  # total glucocorticoid activity still up


def test_one_stress_session_matches_the_stand_in_within_20_percent(rat: trdlab.Model) -> None:
    times = np.linspace(0, 12, 2401)
    gc = trdlab.simulate(rat, one_session(), times).column("glucocorticoid")
    peak_excess = gc.max() - 1
    auc_excess = np.trapezoid(gc - 1, times)
    assert peak_excess == pytest.approx(STAND_IN_PEAK_EXCESS, rel=0.2)
    assert auc_excess == pytest.approx(STAND_IN_AUC_EXCESS, rel=0.2)
    assert 0.5 <= times[np.argmax(gc)] <= 1.5  # peak about 1 h after session start
    assert abs(gc[times.searchsorted(6.0)] - 1) < 0.05  # back to baseline within a few hours


def test_chronic_stress_does_not_flip_the_axis_into_a_second_steady_state(rat: trdlab.Model) -> None:
    from trdlab.dosing import protocols

    times = np.linspace(0, 21 * 24 + 14 * 24, 701)
    result = trdlab.simulate(rat, protocols.chronic_unpredictable_stress(21), times)
    # two weeks after the last session every HPA level is back at baseline (monostable axis)
    for name in ("crh_pvn", "acth_plasma", "glucocorticoid"):
        assert result.column(name)[-1] == pytest.approx(1.0, abs=0.01), name


def test_mg_deficiency_raises_crh_acth_aldosterone_no_and_temperature() -> None:
    from trdlab.dosing.magnesium_protocols import mg_diet

    mouse = build_model("mouse")
    times = np.linspace(0, 21 * 24, 22)
    control = trdlab.simulate(mouse, None, times)
    deficient = trdlab.simulate(mouse, mg_diet(0.1, days=21, species="mouse"), times)  # M07/M08 diet
    end = {name: deficient.column(name)[-1] / control.column(name)[-1] for name in
           ("crh_pvn", "acth_plasma", "aldosterone", "inflammation_marker", "body_temperature")}
    assert end["crh_pvn"] > 1.1
    assert 1.5 <= end["acth_plasma"] <= 2.0  # ledger M08: ACTH ~1.5-2x
    assert end["aldosterone"] > 1.1
    assert end["inflammation_marker"] > 1.1
    assert end["body_temperature"] > 1.0


def test_low_extracellular_mg_raises_no_and_its_markers(rat: trdlab.Model) -> None:
    from trdlab.dosing.magnesium_protocols import mg_diet

    result = trdlab.simulate(rat, mg_diet(0.1, days=21, species="rat"), np.linspace(0, 21 * 24, 22))
    # closed form: Jahr & Stevens unblock at -70 mV (pyramidal_resting_potential) at the simulated
    # extracellular Mg vs the healthy 1.0 mM; no NMDA blocker present
    def unblock(mg: float) -> float:
        return 1 / (1 + mg / 3.57 * math.exp(0.062 * 70))
    mg_end = float(result.column("mg_ec_pfc")[-1])
    assert mg_end < 0.95
    assert result.column("no_pfc")[-1] == pytest.approx(unblock(mg_end) / unblock(1.0), rel=1e-6)
    assert result.column("ddah1_pfc")[-1] > 1.05  # whittle2011: up with NO
    assert result.column("mnsod_pfc")[-1] > 1.05


def test_nnos_heterozygotes_make_half_the_no(rat: trdlab.Model) -> None:
    wild = trdlab.simulate(rat, None, [0.0, 24.0])
    het = trdlab.simulate(rat, None, [0.0, 24.0], parameters={"nnos_gene_dose": 0.5})
    # no_pfc = nnos_gene_dose * NMDA Ca2+ influx: the gene dose halves it at the same influx
    np.testing.assert_allclose(het.column("no_pfc"), 0.5 * wild.column("no_pfc"), rtol=1e-9)
    np.testing.assert_allclose(het.column("nmda_calcium_influx_pfc"), wild.column("nmda_calcium_influx_pfc"), rtol=1e-9)
