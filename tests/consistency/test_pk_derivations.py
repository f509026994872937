"""Consistency of the PK parameter derivations -- NOT reference tests.

Every expected value here is the very number (or target) a parameter row was derived or
calibrated from, so these tests check the derivation arithmetic and that the built model carries
the rows as derived; they say nothing about whether the science is right. A model that agrees
with its own inputs passes whatever the truth. Tests against independent literature values are
in ``tests/reference/``. Each test names, in a comment, the parameter row(s) it mirrors.
"""

from __future__ import annotations

import math

import libsbml
import numpy as np
import pytest

import trdlab
from trdlab.dosing import constructors as protocols
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.model.build import build_model
from table_values import table_value


def p(species: str, name: str, unit: str) -> float:
    """A table value in ``unit``, scaled to the species' body weight (tests/table_values.py)."""
    return table_value(("antidepressants_pk", "interventions_pk", "ketamine_pk", species), species, name, unit)


def one_compartment_half_life(drug: str, species: str) -> float:
    """ln2 V / CL in hours, from the tables."""
    return math.log(2) * p(species, f"{drug}_volume", "L") / p(species, f"{drug}_clearance", "L/h")


def scopolamine_terminal_half_life(species: str) -> float:
    v1, v2 = p(species, "scopolamine_central_volume", "L"), p(species, "scopolamine_peripheral_volume", "L")
    cl, q = p(species, "scopolamine_clearance", "L/h"), p(species, "scopolamine_intercompartmental_clearance", "L/h")
    matrix = np.array([[-(cl + q) / v1, q / v2], [q / v1, -q / v2]])
    return math.log(2) / min(abs(np.linalg.eigvals(matrix).real))


# (drug, species, half-life stated in the derivation text in hours, half a unit of its last digit);
# the test adds 1.5 % for the rounding of the table's clearances to 3 significant digits
STATED_HALF_LIVES = [
    ("paroxetine", "human", 24.0, 0.05),  # paroxetine_clearance: "t1/2 about one day (kaye1989)"
    ("paroxetine", "rat", 6.1, 0.05),  # paroxetine_clearance: "rat t1/2 6.1 h"
    ("paroxetine", "mouse", 3.3, 0.05),  # paroxetine_clearance: "mouse 3.3 h"
    ("tsh", "human", 53.9 / 60, 0.5 / 60),  # tsh_clearance: "t1/2 53.9 min" (odell1967)
    ("tsh", "rat", 14 / 60, 0.5 / 60),  # tsh_clearance: "rat t1/2 14 min"
    ("tsh", "mouse", 7 / 60, 0.5 / 60),  # tsh_clearance: "mouse 7 min"
    ("imipramine", "rat", 3.0, 0.05),  # imipramine_clearance: "rat t1/2 3.0 h"
    ("imipramine", "mouse", 1.6, 0.05),  # imipramine_clearance: "mouse 1.6 h"
    ("desipramine", "rat", 4.0, 0.05),  # desipramine_clearance: "rat t1/2 taken 4 h"
    ("desipramine", "mouse", 2.1, 0.05),  # desipramine_clearance: "mouse t1/2 by allometry 2.1 h"
    ("hyperforin", "rat", 6.0, 0.05),  # hyperforin_volume: "t1/2 6 h" (biber1998)
    ("hyperforin", "mouse", 3.2, 0.05),  # hyperforin_clearance: "mouse by allometry t1/2 3.2 h"
    ("citalopram", "human", 35.0, 0.5),  # human.toml citalopram_clearance: "t1/2 = 35 h" (celexa_label)
    ("citalopram", "rat", 3.0, 0.05),  # rat.toml citalopram_volume: "t1/2 3 h" (overo1982)
    ("citalopram", "mouse", 1.5, 0.05),  # mouse.toml citalopram_volume: "t1/2 1.5 h" (overo1982)
    ("lithium", "human", 24.0, 0.5),  # lithium_clearance: "t1/2 = 24 h" (grandjean2009)
    ("lithium", "rat", 6.1, 0.05),  # lithium_clearance: "rat t1/2 6.1 h"
]


@pytest.mark.parametrize(("drug", "species", "stated", "tolerance"), STATED_HALF_LIVES,
                         ids=[f"{d}-{s}" for d, s, _, _ in STATED_HALF_LIVES])
def test_table_half_life_is_the_one_stated_in_the_derivation(drug: str, species: str, stated: float,
                                                             tolerance: float) -> None:
    assert one_compartment_half_life(drug, species) == pytest.approx(stated, abs=tolerance + 0.015 * stated)


@pytest.mark.parametrize(("species", "stated"), [("human", 4.5), ("rat", 1.2), ("mouse", 0.6)])
def test_scopolamine_terminal_half_life_is_the_one_stated(species: str, stated: float) -> None:
    # scopolamine_intercompartmental_clearance: Q solves beta = ln2 / 4.5 h (putcha1989);
    # scopolamine_clearance: "rat t1/2 ~1.2 h, mouse ~0.6 h"
    assert scopolamine_terminal_half_life(species) == pytest.approx(stated, abs=0.05 * stated + 0.05)


def test_scopolamine_end_of_infusion_level_is_the_renner2005_value_v1_was_chosen_for() -> None:
    # scopolamine_central_volume: V1 chosen so that 0.5 mg i.v. over 15 min ends at ~5.4 ng/mL
    # vs 5.00 +- 0.43 ng/mL reported (renner2005)
    times = np.linspace(0.0, 1.0, 61)
    regimen = protocols.infusion("scopolamine", dose="0.5 mg", duration="15 min", species="human")
    frame = trdlab.simulate(build_model("human"), regimen, times).to_frame()
    end = frame.loc[frame["time"].sub(0.25).abs().idxmin(), "scopolamine_plasma_ngml"]
    assert end == pytest.approx(5.4, abs=0.1)
    assert end == pytest.approx(5.00, abs=2 * 0.43)


def test_hyperforin_rat_tmax_is_the_biber1998_value_ka_was_solved_for() -> None:
    # hyperforin_absorption_rate: ln(ka/k)/(ka - k) = 3 h -> ka = 0.73 /h; "gives Cmax 290 ng/mL"
    regimen = protocols.bolus("hypericum", dose="300 mg/kg", weight="0.3 kg", species="rat",
                              route="oral", salt="ws5572")
    times = np.linspace(0.0, 12.0, 12 * 60 + 1)
    frame = trdlab.simulate(build_model("rat"), regimen, times).to_frame()
    peak = frame["hyperforin_plasma_ngml"].idxmax()
    ka, k = p("rat", "hyperforin_absorption_rate", "1/h"), math.log(2) / one_compartment_half_life("hyperforin", "rat")
    assert math.log(ka / k) / (ka - k) == pytest.approx(3.0, abs=0.05)
    assert frame.loc[peak, "time"] == pytest.approx(3.0, abs=0.05)
    assert frame.loc[peak, "hyperforin_plasma_ngml"] == pytest.approx(290, rel=0.05)


def _ketamine_rate_matrix(model: libsbml.Model) -> np.ndarray:
    """Ketamine first-order rate matrix over (central, peripheral, brain), from SBML values."""
    par = {x.getId(): x.getValue() for x in model.getListOfParameters()}
    vol = {c.getId(): c.getSize() for c in model.getListOfCompartments()}
    v1, v2, vb = vol["ketamine_central_volume"], vol["ketamine_peripheral_volume"], vol["brain_volume"]
    cl, q, qb, kp = (par["ketamine_clearance"], par["ketamine_intercompartmental_clearance"],
                     par["brain_blood_flow"], par["ketamine_brain_partition"])
    k10, k12, k21, k1b, kb1 = cl / v1, q / v1, q / v2, qb / v1, qb / (vb * kp)
    return np.array([[-(k10 + k12 + k1b), k21, kb1], [k12, -k21, 0.0], [k1b, 0.0, -kb1]])


def test_ketamine_human_terminal_half_life_is_the_reves2010_midpoint_v1_was_solved_for() -> None:
    # ketamine_central_volume: V1 from CL 79 L/h, Vss 252 L (kamp2020) and t1/2,beta = 2.65 h
    # (reves2010 midpoint of 2.5-2.8 h); the brain compartment shifts it slightly
    sbml = libsbml.readSBMLFromString(build_model("human").sbml).getModel()
    t_half = math.log(2) / min(abs(np.linalg.eigvals(_ketamine_rate_matrix(sbml)).real))
    assert t_half == pytest.approx(2.65, rel=0.05)
    assert 2.5 <= t_half <= 2.8  # reves2010's range, the derivation's input


def test_ketamine_rat_brain_to_plasma_ratio_is_the_partition_coefficient() -> None:
    # ketamine_brain_partition = 6.5: cohen1973 "brain:plasma ratio 6.5:1 at all times studied"
    model = build_model("rat")
    regimen = PROTOCOLS["ketamine_ip"](dose="10 mg/kg", weight="0.3 kg", species="rat")
    frame = trdlab.simulate(model, regimen, np.array([0.0, 0.25, 0.5, 1.0])).to_frame()
    brain_ngml = frame["ketamine_brain_um"] * 237.73  # uM x g/mol = ng/mL
    ratio = (brain_ngml / frame["ketamine_plasma_ngml"]).iloc[1:]
    assert ratio.to_numpy() == pytest.approx(np.full(3, 6.5), rel=0.25)
