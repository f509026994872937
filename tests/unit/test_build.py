"""build_model: composition, unit conversion and scaling, provenance annotations, determinism."""

from __future__ import annotations

import tomllib

import libsbml
import pytest

from trdlab.errors import ModelError, UnitError
from trdlab.model import units
from trdlab.model.build import build_model
from trdlab.model.library import default_root, parameter_table_markdown

OBSERVABLES = {
    "ketamine_plasma_ngml": "ng/mL",
    "ketamine_brain_um": "uM",
    "norketamine_plasma_ngml": "ng/mL",
    "norketamine_brain_um": "uM",
}


def _sbml_model(species: str) -> libsbml.Model:
    document = libsbml.readSBMLFromString(build_model(species).sbml)  # type: ignore[arg-type]
    return document.getModel()


@pytest.mark.parametrize("species", ["human", "rat", "mouse"])
def test_build_returns_a_model_with_dosing_units_and_hours(species: str) -> None:
    model = build_model(species)  # type: ignore[arg-type]
    assert model.name == f"trdlab_{species}"
    assert model.time_unit == "hour"
    assert OBSERVABLES.items() <= dict(model.units).items()
    assert set(OBSERVABLES) <= set(model.parameters)
    expected = ("ketamine_central",) if species == "human" else ("ketamine_peritoneal", "ketamine_central")
    assert model.dosing[: len(expected)] == expected


def test_build_is_deterministic() -> None:
    assert build_model("rat").sbml == build_model("rat").sbml
    assert build_model("human").sha256 == build_model("human").sha256


def test_unknown_species_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="species 'dog' is not in species.toml"):
        build_model("dog")  # type: ignore[arg-type]


def test_values_are_converted_and_scaled_by_body_weight() -> None:
    human = _sbml_model("human")
    rat = _sbml_model("rat")
    # allometric: CL = 79 L/h * (BW / 70 kg) ** 0.75 (kamp2020 normalisation, anderson2008 exponent)
    assert human.getParameter("ketamine_clearance").getValue() == pytest.approx(79.0)
    assert rat.getParameter("ketamine_clearance").getValue() == pytest.approx(79.0 * (0.3 / 70) ** 0.75)
    # linear per kg: brain volume 0.02 L/kg * 70 kg; volumes with exponent 1
    assert human.getCompartment("brain_volume").getSize() == pytest.approx(1.4)
    assert rat.getCompartment("ketamine_central_volume").getSize() == pytest.approx(102 * 0.3 / 70)
    # literature unit to module unit: 1 mL peritoneal cavity -> 0.001 L
    assert rat.getCompartment("peritoneal_cavity").getSize() == pytest.approx(1e-3)


def test_convert_handles_literature_units() -> None:
    litre_per_hour = units.Quantity(1.0, "L/h")
    # 15 mL/min/kg for a 70 kg adult = 15 * 70 * 60 / 1000 L/h = 63 L/h
    assert units.convert(15, "mL/min/kg", litre_per_hour, body_weight=units.Quantity(70, "kg")) == pytest.approx(63.0)
    assert units.convert(2.5, "1/min", units.Quantity(1.0, "1/h")) == pytest.approx(150.0)
    with pytest.raises(UnitError, match="cannot be converted"):
        units.convert(1, "mg", litre_per_hour)
    with pytest.raises(UnitError, match="not a unit pint knows"):
        units.parse("blorgs per furlong")


def _resources(element: libsbml.SBase) -> list[str]:
    found = []
    for i in range(element.getNumCVTerms()):
        term = element.getCVTerm(i)
        if term.getBiologicalQualifierType() == libsbml.BQB_IS_DESCRIBED_BY:
            found.extend(term.getResourceURI(j) for j in range(term.getNumResources()))
    return found


def test_sources_are_miriam_annotations_and_assumptions_are_notes() -> None:
    model = _sbml_model("human")
    assert _resources(model.getParameter("ketamine_clearance")) == [
        "http://identifiers.org/doi/10.1097/ALN.0000000000003577"
    ]
    assert _resources(model.getParameter("ketamine_molar_mass")) == ["urn:trdlab:reference:pubchem_ketamine"]
    assumed = model.getParameter("body_weight")
    assert _resources(assumed) == []
    assert "assumed: standard 70 kg reference adult" in assumed.getNotesString()


def test_parameter_table_markdown_lists_every_row() -> None:
    text = parameter_table_markdown("rat")
    assert text.startswith("## Parameters: rat")
    for name in ("ketamine_clearance", "ketamine_ip_bioavailability", "body_weight", "brain_blood_flow"):
        assert f"| {name} |" in text
    assert "(BW / 70 kg)^0.75" in text
    assert "assumed: " in text and "[kamp2020]" in text


def test_every_catalogue_route_doses_a_species_of_its_model() -> None:
    from trdlab.compounds.catalogue import catalogue

    ketamine = catalogue()["ketamine"]
    assert ketamine.molar_mass == pytest.approx(237.73)  # PubChem C13H16ClNO
    assert ketamine.base_fraction("hydrochloride") == pytest.approx(237.73 / 274.19)
    for species in ("human", "rat", "mouse"):
        model = build_model(species)
        for item in catalogue().values():
            if not item.generated:
                assert {item.target(species, r) for r in item.routes(species)} <= set(model.dosing), item.name
