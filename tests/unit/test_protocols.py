"""Named protocols: clinical language with units -> dose event tables in library units."""

from __future__ import annotations

import pytest

import trdlab
from trdlab.compounds.catalogue import load_compound
from trdlab.dosing import constructors
from trdlab.dosing.catalog import PROTOCOLS

from test_compounds import USER_FILE

KETAMINE_BASE = 237.73  # g/mol, C13H16ClNO (PubChem)
KETAMINE_HCL = 274.19  # g/mol


def test_ketamine_iv_is_the_zarate_infusion_in_mg_of_base_over_hours() -> None:
    regimen = PROTOCOLS["ketamine_iv"](dose="0.5 mg/kg", duration="40 min", weight="70 kg")
    (event,) = regimen.events
    assert event.amt == pytest.approx(0.5 * 70 * KETAMINE_BASE / KETAMINE_HCL, rel=1e-12)
    assert event.dur == pytest.approx(40 / 60, rel=1e-12)
    assert event.rate == 0 and event.cmt == "ketamine_central" and event.evid == 1


def test_dose_as_free_base_skips_the_salt_correction() -> None:
    (event,) = PROTOCOLS["ketamine_iv"](dose="35 mg", salt=None).events
    assert event.amt == pytest.approx(35.0, rel=1e-12)


def test_ketamine_ip_doses_the_peritoneal_compartment_of_the_rat() -> None:
    (event,) = PROTOCOLS["ketamine_ip"](dose="10 mg/kg", weight="300 g").events
    assert event.amt == pytest.approx(10 * 0.3 * KETAMINE_BASE / KETAMINE_HCL, rel=1e-12)
    assert event.cmt == "ketamine_peritoneal" and event.dur == 0


def test_molar_dose_converts_with_the_molar_mass_of_the_base() -> None:
    (event,) = PROTOCOLS["ketamine_iv"](dose="100 umol", duration="10 min").events
    assert event.amt == pytest.approx(100e-6 * KETAMINE_BASE * 1e3, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        (dict(dose="0.5"), trdlab.UnitError, "dose"),
        (dict(dose="-0.5 mg/kg"), trdlab.DoseError, "dose"),
        (dict(dose="0 mg/kg"), trdlab.DoseError, "dose"),
        (dict(dose="0.5 mg/kg", weight="70"), trdlab.UnitError, "weight"),
        (dict(dose="0.5 mg/kg", weight="70 L"), trdlab.UnitError, "weight"),
        (dict(duration="40"), trdlab.UnitError, "duration"),
        (dict(duration="0 min"), trdlab.DoseError, "duration"),
        (dict(species="dog"), trdlab.DoseError, "species"),
        (dict(salt="sulfate"), trdlab.DoseError, "salt"),
        (dict(dose="0.5 parsecs"), trdlab.UnitError, "dose"),
    ],
)
def test_bad_protocol_input_names_the_field(kwargs: dict, error: type, field: str) -> None:
    with pytest.raises(error, match=field):
        PROTOCOLS["ketamine_iv"](**kwargs)


def test_route_missing_for_a_species_is_an_error() -> None:
    with pytest.raises(trdlab.DoseError, match="no route 'ip' in the human model"):
        constructors.bolus("ketamine", dose="10 mg/kg", weight="70 kg", route="ip", species="human")
    with pytest.raises(trdlab.DoseError, match="not defined for species 'human'"):
        PROTOCOLS["ketamine_ip"](species="human")




def test_oral_course_is_one_record_with_additional_doses_every_24_h(tmp_path) -> None:
    path = tmp_path / "testnam.toml"
    path.write_text(USER_FILE.replace('routes = { rat = ["iv", "ip"] }', 'routes = { rat = ["iv", "ip", "oral"] }')
                    .replace('molar_mass = "300 g/mol"', 'molar_mass = "300 g/mol"\nsalts = { hydrobromide = "380.9 g/mol" }'))
    regimen = constructors.oral_course(load_compound(path), dose="20 mg", count=28, salt="hydrobromide", species="rat")
    (event,) = regimen.events
    assert (event.ii, event.addl, event.cmt) == (24.0, 27, "testnam_depot")
    assert event.amt == pytest.approx(20 * 300 / 380.9, rel=1e-12)


def test_unknown_compound_lists_the_known_ones() -> None:
    with pytest.raises(trdlab.DoseError, match="ketamine"):
        constructors.oral_course("fluoxetine", dose="20 mg")
