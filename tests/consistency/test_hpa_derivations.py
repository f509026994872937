"""Consistency of the HPA-axis parameter derivations -- NOT reference tests.

Each expected value is the number or target a row of hpa*.toml was transcribed or calibrated
from: Gupta 2007's healthy steady state, the single-session response of the retired stand-in
stress module (crh_stress_gain), and the Mg-deficiency state of claim M08 (crh_mg_gain,
adrenal_adaptation, aldosterone_acth_fraction, inflammation_mg_gain,
body_temperature_inflammation_slope). These tests check the derivation arithmetic and that the
model carries the rows as derived, not the science. Each test names the row(s) it mirrors; an
A failure here means a row's derivation text no longer matches the model: fix the text (or the value).
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

import trdlab
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.model.build import build_model
from trdlab.model.library import default_root


def hpa_row(name: str) -> float:
    rows = tomllib.loads((default_root() / "parameters" / "hpa.toml").read_text(encoding="utf-8"))
    return float(rows[name]["value"])


def test_gupta_healthy_state_of_the_table_is_a_root_of_the_scaled_equations() -> None:
    # hpa_o_healthy, hpa_r_healthy (Gupta 2007 o* = 0.05972, r* = 0.0809) with hpa_ki1, hpa_ki2,
    # hpa_kcd, hpa_kad, hpa_krd, hpa_kcr, hpa_k: scaled eqs 9-12 at F = 0 (no GR auto-induction
    # scaling): c = 1/(kcd (1 + o/ki1)); a = c/(kad (1 + o r/ki2)); o = a;
    # krd r = kcr + (o r)^2/(K + (o r)^2)
    o, r = hpa_row("hpa_o_healthy"), hpa_row("hpa_r_healthy")
    c = 1 / (hpa_row("hpa_kcd") * (1 + o / hpa_row("hpa_ki1")))
    a = c / (hpa_row("hpa_kad") * (1 + o * r / hpa_row("hpa_ki2")))
    assert a == pytest.approx(o, rel=2e-3)
    assert hpa_row("hpa_krd") * r == pytest.approx(
        hpa_row("hpa_kcr") + (o * r) ** 2 / (hpa_row("hpa_k") + (o * r) ** 2), rel=2e-3)


def _one_session_glucocorticoid() -> tuple[np.ndarray, np.ndarray]:
    times = np.linspace(0, 12, 2401)
    session = trdlab.Regimen.from_records([dict(time=0.0, amt=1.0, cmt="stress_load", dur=1.0)])
    return times, trdlab.simulate(build_model("rat"), session, times).column("glucocorticoid")


def test_one_stress_session_matches_the_stand_in_crh_stress_gain_was_calibrated_to() -> None:
    # hpa.toml crh_stress_gain (with hpa_rodent.toml glucocorticoid_elimination_rate): calibrated to
    # the retired stand-in module's single-session response, glucocorticoid = 1 + 2 x(t) with
    # x' = 1 - x during the 1-h session and x' = -x after it: peak excess 2 (1 - e^-1) = 1.26 at
    # 1 h, excess AUC 2.0 h; the row states "model (rat) peak 2.10x at 1.2 h"
    times, gc = _one_session_glucocorticoid()
    assert gc.max() - 1 == pytest.approx(2 * (1 - np.exp(-1)), rel=0.2)
    assert np.trapezoid(gc - 1, times) == pytest.approx(2.0, rel=0.2)
    assert gc.max() == pytest.approx(2.10, abs=0.01)
    assert times[np.argmax(gc)] == pytest.approx(1.2, abs=0.05)


def test_one_stress_session_excess_auc_is_the_stated_2_01_hours() -> None:
    # hpa.toml crh_stress_gain: "model (rat) ... excess AUC 2.01 h"
    times, gc = _one_session_glucocorticoid()
    assert np.trapezoid(gc - 1, times) == pytest.approx(2.01, abs=0.02)


def test_one_stress_session_recovers_as_stated() -> None:
    # hpa.toml stress_recovery_rate, hpa_rodent.toml glucocorticoid_elimination_rate: "still 1.25x
    # 3 h after the start of a 1-h stressor and within 5 % of baseline after ~4.6 h"
    times, gc = _one_session_glucocorticoid()
    assert gc[times.searchsorted(3.0)] == pytest.approx(1.25, abs=0.02)
    after = times[(times > times[np.argmax(gc)]) & (gc - 1 < 0.05)][0]
    assert after == pytest.approx(4.6, abs=0.15)


@pytest.fixture(scope="module")
def mg_deficient_mouse() -> dict[str, float]:
    """End of 3 weeks on 10 % of the Mg requirement (M07/M08 diet), relative to control."""
    mouse = build_model("mouse")
    times = np.linspace(0, 21 * 24, 22)
    control = trdlab.simulate(mouse, None, times)
    deficient = trdlab.simulate(mouse, PROTOCOLS["mg_diet"](fraction_of_requirement=0.1, days=21, species="mouse"), times)
    names = ("crh_pvn", "acth_plasma", "corticosterone_plasma", "aldosterone", "inflammation_marker",
             "mg_csf_mm")
    end = {name: float(deficient.column(name)[-1] / control.column(name)[-1]) for name in names}
    end["crh_drive"] = float(deficient.column("crh_drive")[-1])
    end["temperature_rise"] = float(deficient.column("body_temperature")[-1] - control.column("body_temperature")[-1])
    return end


def test_mg_deficiency_doubles_the_crh_drive_and_raises_acth_1_5_to_2_fold(
        mg_deficient_mouse: dict[str, float]) -> None:
    # hpa.toml crh_mg_gain = 8.0: "with the model CSF Mg deficit of that state (~12 %) ... doubles
    # the CRH drive as the published ACTH rise needs" (ACTH ~1.5-2x, claim M08, sartori2012)
    end = mg_deficient_mouse
    assert 1 - end["mg_csf_mm"] == pytest.approx(0.12, abs=0.01)
    assert end["crh_drive"] == pytest.approx(2.0, abs=0.1)
    assert 1.5 <= end["acth_plasma"] <= 2.0


def test_mg_deficiency_raises_corticosterone_only_1_1_fold(mg_deficient_mouse: dict[str, float]) -> None:
    # hpa_rodent.toml adrenal_adaptation = 0.9: "the Mg-deficient state (ACTH ~1.85x) raises
    # corticosterone only ~1.1x"
    assert mg_deficient_mouse["acth_plasma"] == pytest.approx(1.85, abs=0.05)
    assert mg_deficient_mouse["corticosterone_plasma"] == pytest.approx(1.1, abs=0.05)


def test_mg_deficiency_raises_aldosterone_about_20_percent(mg_deficient_mouse: dict[str, float]) -> None:
    # hpa.toml aldosterone_acth_fraction = 0.3: "gives aldosterone up ~20 % in the Mg-deficient
    # state"; aldosterone = 1 + 0.3 (ACTH - 1) = 1.26 at ACTH 1.86
    assert mg_deficient_mouse["aldosterone"] == pytest.approx(
        1 + hpa_row("aldosterone_acth_fraction") * (mg_deficient_mouse["acth_plasma"] - 1), rel=1e-6)
    assert mg_deficient_mouse["aldosterone"] == pytest.approx(1.2, abs=0.07)


def test_mg_deficiency_raises_the_inflammation_marker_by_the_stated_42_percent(
        mg_deficient_mouse: dict[str, float]) -> None:
    # hpa.toml inflammation_mg_gain: "the Mg-deficient mouse (CSF Mg -12 %) gives +42 %"
    assert mg_deficient_mouse["inflammation_marker"] == pytest.approx(1.42, abs=0.02)


def test_mg_deficiency_raises_body_temperature_by_the_stated_0_42_degrees(
        mg_deficient_mouse: dict[str, float]) -> None:
    # hpa.toml body_temperature_inflammation_slope: "the Mg-deficient mouse (CSF Mg -12 %) gives +0.42 C"
    assert mg_deficient_mouse["temperature_rise"] == pytest.approx(0.42, abs=0.02)
