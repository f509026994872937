"""The compound catalogue: files as data, every problem at once, generated PK against closed forms,
target slots composed into the mechanism, and the library's own results untouched by the slots."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import trdlab
from trdlab.compounds.catalogue import catalogue, compound_problems, load_compound
from trdlab.compounds.targets import sums, target_slots
from trdlab.dosing import constructors
from trdlab.errors import CompoundError
from trdlab.model.build import build_model

LIBRARY_DRUGS = {"ketamine", "norketamine", "scopolamine", "citalopram", "paroxetine", "desipramine", "imipramine",
                 "hypericum", "lithium", "valproate", "midazolam", "nbqx", "rapamycin", "tsh", "mg_threonate",
                 "mg_chloride", "bdnf"}
CANDIDATES = {"amantadine", "memantine", "glyx13", "ly341495", "basimglurant"}

USER_FILE = """
name = "testnam"
title = "Test mGlu5 NAM"
role = "candidate"
description = "a compound written by a user"
molar_mass = "300 g/mol"
source = "lindemann2015"
routes = { rat = ["iv", "ip"] }
[pk.rat]
volume = { value = 0.6, unit = "L", assumed = "test" }
clearance = { value = 0.3, unit = "L/h", assumed = "test" }
absorption_rate = { value = 2.0, unit = "1/h", assumed = "test" }
bioavailability = { value = 0.5, unit = "dimensionless", assumed = "test" }
unbound_fraction = { value = 0.2, unit = "dimensionless", assumed = "test" }
brain_partition = { value = 0.5, unit = "dimensionless", assumed = "test" }
[targets.mglu5]
ki = { value = 10, unit = "nM", assumed = "test" }
"""


@pytest.fixture(scope="module")
def user_compound(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("compound") / "testnam.toml"
    path.write_text(USER_FILE, encoding="utf-8")
    return load_compound(path)


@pytest.fixture(scope="module")
def rat_with_user(user_compound):
    return build_model("rat", compounds=(user_compound,))


def test_the_catalogue_holds_every_library_drug_and_the_candidates() -> None:
    names = set(catalogue())
    assert LIBRARY_DRUGS | CANDIDATES <= names
    assert all(not catalogue()[n].generated for n in LIBRARY_DRUGS)  # hand-written modules
    assert all(catalogue()[n].generated for n in CANDIDATES)


def test_every_catalogue_file_is_valid() -> None:
    folder = Path(trdlab.__file__).parent / "library" / "compounds"
    assert {p.name: compound_problems(p) for p in folder.glob("*.toml") if compound_problems(p)} == {}


def test_a_bad_file_lists_every_problem_at_once(tmp_path: Path) -> None:
    bad = USER_FILE.replace('source = "lindemann2015"', 'source = "no_such_key"') \
        .replace('routes = { rat = ["iv", "ip"] }', 'routes = { rat = ["iv", "ip"], dog = ["iv"] }') \
        .replace('{ value = 0.5, unit = "dimensionless", assumed = "test" }\nunbound', '{ value = 1.5, unit = "dimensionless", assumed = "test" }\nunbound') \
        .replace('ki = { value = 10, unit = "nM", assumed = "test" }', 'ki = { value = -10, unit = "nM", assumed = "test" }\n[targets.kappa]\nki = { value = 1, unit = "nM", assumed = "t" }') \
        .replace('clearance = { value = 0.3, unit = "L/h", assumed = "test" }', 'clearance = { value = 0.3, unit = "kg" }')
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    found = "\n".join(compound_problems(path))
    for expected in ("routes.dog: unknown species set", "source: bib key 'no_such_key'", "bioavailability.value: 1.5",
                     "mglu5.ki.value: -10", "targets.kappa: unknown target slot", "clearance.unit: 'kg'",
                     "clearance: neither source nor assumed"):
        assert expected in found
    with pytest.raises(CompoundError, match="problem"):
        load_compound(path)


def test_an_unknown_name_is_one_clear_error() -> None:
    with pytest.raises(CompoundError, match="neither a catalogue compound"):
        load_compound("fluoxetinex")


def test_generated_iv_pk_is_the_one_compartment_closed_form(rat_with_user, user_compound) -> None:
    # 1 mg i.v. bolus: C(t) = D / V exp(-CL / V t); unbound brain = fu Kp,uu C / MW
    regimen = constructors.bolus(user_compound, dose="1 mg", species="rat", route="iv")
    times = np.linspace(0, 6, 61)
    result = trdlab.simulate(rat_with_user, regimen, times)
    expected = 1.0 / 0.6 * np.exp(-0.3 / 0.6 * times)  # mg/L
    np.testing.assert_allclose(result.column("testnam_plasma_ngml"), expected * 1000, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.column("testnam_brain_um"), 0.2 * 0.5 * expected / 300 * 1000, rtol=1e-5, atol=1e-8)


def test_generated_ip_pk_is_the_bateman_function(rat_with_user, user_compound) -> None:
    regimen = constructors.bolus(user_compound, dose="1 mg", species="rat", route="ip")
    times = np.linspace(0, 6, 61)
    result = trdlab.simulate(rat_with_user, regimen, times)
    ka, k, f, v = 2.0, 0.3 / 0.6, 0.5, 0.6
    expected = f * 1.0 * ka / (v * (ka - k)) * (np.exp(-k * times) - np.exp(-ka * times))
    np.testing.assert_allclose(result.column("testnam_plasma_ngml"), expected * 1000, rtol=1e-5, atol=1e-6)


def test_a_slot_adds_its_term_to_the_sum_the_module_reads(rat_with_user, user_compound) -> None:
    regimen = constructors.bolus(user_compound, dose="1 mg", species="rat", route="iv")
    result = trdlab.simulate(rat_with_user, regimen, np.linspace(0, 2, 21))
    brain = result.column("testnam_brain_um")
    np.testing.assert_allclose(result.column("mglu5_load"), brain / 0.010, rtol=1e-12)  # Ki 10 nM = 0.010 uM
    # a NAM removes mGlu5-coupled interneuron drive: less interneuron firing, more pyramidal firing
    vehicle = trdlab.simulate(rat_with_user, trdlab.Regimen(()), np.linspace(0, 2, 21))
    assert result.column("interneuron_rate_pfc")[1] < vehicle.column("interneuron_rate_pfc")[1]
    assert result.column("pyramidal_rate_pfc")[1] > vehicle.column("pyramidal_rate_pfc")[1]


def test_channel_blockers_add_to_ketamine_s_competitive_block() -> None:
    # block = L / (1 + L) with L = C_u / IC50 (blanpied1997: amantadine 39 uM at -67 mV), rat bridge 1
    model = build_model("rat", compounds=("amantadine",))
    regimen = constructors.bolus("amantadine", dose="20 mg/kg", weight="0.3 kg", species="rat", route="ip")
    result = trdlab.simulate(model, regimen, np.linspace(0, 4, 41))
    load = result.column("amantadine_brain_um") / 39.0
    np.testing.assert_allclose(result.column("nmda_block_pyramidal"), load / (1 + load), rtol=1e-9, atol=1e-11)  # ketamine's smooth clamp leaves ~1e-12


def test_without_generated_compounds_every_slot_sum_is_zero() -> None:
    result = trdlab.simulate(build_model("rat"), constructors.bolus("ketamine", dose="10 mg/kg", weight="0.3 kg",
                                                                     species="rat", route="ip"), [0.0, 0.5, 2.0])
    for total in sums():
        assert np.all(result.column(total) == 0.0), total


def test_composing_an_undosed_compound_leaves_the_library_s_results_within_solver_tolerance() -> None:
    regimen = constructors.bolus("ketamine", dose="10 mg/kg", weight="0.3 kg", species="rat", route="ip")
    times = np.linspace(0, 24, 49)
    plain = trdlab.simulate(build_model("rat"), regimen, times)
    composed = trdlab.simulate(build_model("rat", compounds=("memantine",)), regimen, times)
    for name in ("glutamate_ec_pfc", "p_mtor_pfc", "spine_density_pfc", "fst_immobility"):
        np.testing.assert_allclose(composed.column(name), plain.column(name), rtol=1e-5)


def test_every_slot_quantity_has_a_unit_the_generator_knows() -> None:
    from trdlab.compounds.compose import ANTIMONY_UNITS

    for slot in target_slots().values():
        for quantity in slot.quantities.values():
            assert quantity.unit in ANTIMONY_UNITS, (slot.name, quantity.name)
            assert quantity.bounds[0] <= quantity.bounds[1]
        assert slot.terms and all(total in sums() for total in slot.terms)


@pytest.mark.parametrize(("compound", "expected"), [
    ("amantadine", 200 * 151.25 / 187.71),   # 200 mg of the hydrochloride as base (PubChem masses)
    ("memantine", 20 * 179.30 / 215.76),
    ("basimglurant", 1.5),
])
def test_candidate_protocols_dose_the_active_moiety(compound: str, expected: float) -> None:
    from trdlab.dosing.catalog import PROTOCOLS

    (event,) = PROTOCOLS[f"{compound}_oral"]().events
    assert event.amt == pytest.approx(expected, rel=1e-4) and event.cmt == f"{compound}_depot"
    assert math.isclose(event.ii, 24.0)
