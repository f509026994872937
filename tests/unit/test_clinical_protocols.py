"""Clinical protocols: amounts from the salts' molar masses, schedules, placebos, catalog metadata,
and the new PK modules (midazolam, valproate) against closed-form solutions."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import numpy as np
import pytest

import trdlab
from trdlab.dosing import catalog, constructors
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.model.build import build_model
from trdlab.model.library import load_references, load_table
from trdlab.simulate import simulate

KETAMINE_BASE, KETAMINE_HCL = 237.73, 274.19  # g/mol (PubChem)
SCOPOLAMINE_BASE, SCOPOLAMINE_HBR_3H2O = 303.35, 438.31
LITHIUM, LITHIUM_CARBONATE_PER_LI = 6.94, 36.95  # g/mol Li; g Li2CO3 per mol Li (73.89 / 2, compounds/lithium.toml)


def test_protocol_info_covers_every_protocol_with_known_sources() -> None:
    assert catalog.PROTOCOL_INFO is catalog.PROTOCOLS
    references = load_references()
    for name, info in catalog.PROTOCOLS.items():
        assert info.name == name and info.source in references
        assert set(info.species) <= {"human", "rat", "mouse"} and info.species
        assert set(dict(info.defaults)) <= set(info.options) | {"species"}, name
        assert info.constructor in catalog.CONSTRUCTORS, name


def test_clinical_protocols_share_the_keyword_interface() -> None:
    for name in catalog.CLINICAL_PROTOCOLS:
        options = set(catalog.PROTOCOLS[name].options)
        assert {"dose", "weight", "start", "every", "count"} <= options, name
        assert ("duration" in options) == catalog.PROTOCOL_INFO[name].is_infusion, name


def test_ketamine_iv_is_the_generic_infusion_with_its_catalogue_defaults() -> None:
    assert PROTOCOLS["ketamine_iv"]() == constructors.infusion(
        "ketamine", dose="0.5 mg/kg", duration="40 min", weight="70 kg", salt="hydrochloride")
    assert PROTOCOLS["ketamine_iv"](species="rat", weight="0.3 kg") == constructors.infusion(
        "ketamine", dose="0.5 mg/kg", duration="40 min", weight="0.3 kg", salt="hydrochloride", species="rat")


def test_an_option_the_protocol_does_not_take_is_named() -> None:
    with pytest.raises(trdlab.DoseError, match="'days' is not an option of protocol 'ketamine_iv'"):
        PROTOCOLS["ketamine_iv"](days=3)


def test_repeated_ketamine_infusions_are_one_record_with_additional_doses() -> None:
    regimen = PROTOCOLS["ketamine_iv"](count=6, every="2 d", weight="80 kg", start="1 h")
    (event,) = regimen.events
    assert (event.addl, event.ii, event.time) == (5, 48.0, 1.0)
    assert event.dur == pytest.approx(40 / 60, rel=1e-12)
    times = [t for t, _ in constructors.administrations(regimen)]
    assert times == [1.0 + 48.0 * k for k in range(6)]
    assert event.amt == pytest.approx(0.5 * 80 * KETAMINE_BASE / KETAMINE_HCL, rel=1e-12)


@pytest.mark.parametrize(
    ("regimen", "amount", "target"),
    [
        (PROTOCOLS["midazolam_iv"](), 0.045 * 70, "midazolam_central"),
        (PROTOCOLS["scopolamine_iv"](), 4e-3 * 70 * SCOPOLAMINE_BASE / SCOPOLAMINE_HBR_3H2O, "scopolamine_central"),
        (PROTOCOLS["citalopram_oral"](), 40.0, "citalopram_depot"),
        (PROTOCOLS["lithium"](), 900 * LITHIUM / LITHIUM_CARBONATE_PER_LI, "lithium_depot"),
        (PROTOCOLS["valproate"](), 1000.0, "valproate_depot"),
    ],
)
def test_default_doses_are_amounts_of_base_in_mg(regimen: trdlab.Regimen, amount: float, target: str) -> None:
    event = regimen.events[0]
    assert event.amt == pytest.approx(amount, rel=1e-3) and event.cmt == target


def test_oral_protocols_default_to_once_daily_and_accept_daily_rates() -> None:
    (daily,) = PROTOCOLS["citalopram_oral"](count=98).events
    assert (daily.ii, daily.addl, daily.dur) == (24.0, 97, 0.0)
    (split,) = PROTOCOLS["valproate"](dose="1000 mg/day", every="12 h", count=4).events
    assert (split.amt, split.ii, split.addl) == (500.0, 12.0, 3)
    (per_kg,) = PROTOCOLS["valproate"](dose="15 mg/kg/day", weight="60 kg", count=1).events
    assert per_kg.amt == pytest.approx(900.0, rel=1e-12)


@pytest.mark.parametrize("protocol", [PROTOCOLS["saline_iv"], PROTOCOLS["placebo_oral"]])
def test_placebos_are_empty_regimens(protocol: Callable[..., trdlab.Regimen]) -> None:
    assert len(protocol()) == 0
    assert len(protocol(count=3, every="4 d", weight="90 kg", start="2 h")) == 0


@pytest.mark.parametrize(
    ("protocol", "kwargs", "error", "field"),
    [
        (PROTOCOLS["saline_iv"], dict(duration="0 min"), trdlab.DoseError, "duration"),
        (PROTOCOLS["saline_iv"], dict(count=0), trdlab.DoseError, "count"),
        (PROTOCOLS["saline_iv"], dict(count=2), trdlab.DoseError, "count"),
        (PROTOCOLS["saline_iv"], dict(weight="70"), trdlab.UnitError, "weight"),
        (PROTOCOLS["saline_iv"], dict(dose="5 parsec"), trdlab.UnitError, "dose"),
        (PROTOCOLS["placebo_oral"], dict(every="1 kg", count=2), trdlab.UnitError, "every"),
        (PROTOCOLS["placebo_oral"], dict(start="-1 h"), trdlab.DoseError, "start"),
        (PROTOCOLS["midazolam_iv"], dict(count=2, every="10 min"), trdlab.DoseError, "every"),
        (PROTOCOLS["scopolamine_iv"], dict(salt="sulfate"), trdlab.DoseError, "salt"),
        (PROTOCOLS["citalopram_oral"], dict(dose="40 mg/kg"), trdlab.DoseError, "weight"),
        (PROTOCOLS["lithium"], dict(species="dog"), trdlab.DoseError, "species"),
        (PROTOCOLS["valproate"], dict(species="rat"), trdlab.DoseError, "not defined for species 'rat'"),
    ],
)
def test_bad_options_name_the_field(protocol: Callable[..., trdlab.Regimen], kwargs: dict, error: type, field: str) -> None:
    with pytest.raises(error, match=field):
        protocol(**kwargs)


# -- PK of the new modules ------------------------------------------------------------------------
@lru_cache(maxsize=1)
def human() -> trdlab.Model:
    return build_model("human")


def _rows() -> dict[str, float]:
    rows, issues = load_table("clinical_pk")
    assert not issues
    return {row.name: row.value for row in rows}


def test_midazolam_infusion_matches_the_two_compartment_closed_form() -> None:
    # Rows are stated for 70 kg, the human model's body weight (no allometric scaling at 70 kg).
    p = _rows()
    cl, q = p["midazolam_clearance"], p["midazolam_intercompartmental_clearance"]
    v1, v2 = p["midazolam_central_volume"], p["midazolam_peripheral_volume"]
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s = k10 + k12 + k21
    root = math.sqrt(s * s - 4 * k10 * k21)
    lam = np.array([(s + root) / 2, (s - root) / 2])
    coef = np.array([(lam[0] - k21) / (lam[0] - lam[1]), (k21 - lam[1]) / (lam[0] - lam[1])])
    length, dose = 40 / 60, 0.045 * 70  # mg over h (murrough2013)
    rate = dose / length

    def conc(t: float) -> float:  # mg/L
        if t <= length:
            return rate / v1 * float(np.sum(coef / lam * (1 - np.exp(-lam * t))))
        return rate / v1 * float(np.sum(coef / lam * (1 - np.exp(-lam * length)) * np.exp(-lam * (t - length))))

    times = [0.25, length, 1.0, 2.0, 4.0, 8.0]
    result = simulate(human(), PROTOCOLS["midazolam_iv"](weight="70 kg"), times)
    expected = np.array([conc(t) * 1000 for t in times])  # ng/mL
    np.testing.assert_allclose(result.column("midazolam_plasma_ngml"), expected, rtol=1e-4)
    ec50 = p["midazolam_sedation_ec50"]
    np.testing.assert_allclose(result.column("sedation"), expected / (expected + ec50), rtol=1e-4)


def test_valproate_steady_state_matches_closed_form_accumulation() -> None:
    p = _rows()
    weight = 70.0
    cl, v = p["valproate_clearance"] * weight, p["valproate_volume"] * weight
    ka, f, tau, dose = p["valproate_absorption_rate"], p["valproate_bioavailability"], 24.0, 1000.0
    k = cl / v
    t_max = math.log(ka / k) / (ka - k)

    def steady(t: float) -> float:  # mg/L = ug/mL, t hours after a dose at steady state
        return f * dose * ka / (v * (ka - k)) * (math.exp(-k * t) / (1 - math.exp(-k * tau))
                                                  - math.exp(-ka * t) / (1 - math.exp(-ka * tau)))

    last = 20 * tau  # 20 days >> 5 half-lives (~15 h)
    result = simulate(human(), PROTOCOLS["valproate"](count=21), [last, last + t_max])
    trough, peak = result.column("valproate_plasma_ugml")
    assert trough == pytest.approx(steady(0.0), rel=1e-3)
    assert peak == pytest.approx(steady(t_max), rel=1e-3)
    average = f * dose / (cl * tau)
    assert 50 <= average <= 100  # target range 50-100 ug/mL
    assert result.column("valproate_unbound_plasma_ugml")[0] == pytest.approx(p["valproate_unbound_fraction"] * trough)


def test_default_lithium_reaches_the_therapeutic_serum_range() -> None:
    grid = np.linspace(27 * 24.0, 28 * 24.0, 97)
    serum = simulate(human(), PROTOCOLS["lithium"](count=29), grid).column("lithium_serum_mm")
    mean = float(np.trapezoid(serum, grid) / 24.0)
    assert 0.6 <= mean <= 1.0
