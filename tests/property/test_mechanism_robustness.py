"""Robustness: the rat mechanism model still simulates, with non-negative amounts and positive
levels, when its rate constants, gains and PK parameters are perturbed.

Rows with a stated variability (``cv``) are drawn lognormally with that cv; rate constants,
gains, elasticities and exponents without one are scaled by a factor in [0.8, 1.25]."""

from __future__ import annotations

import numpy as np
import pytest

import trdlab
from trdlab.dosing import constructors as protocols
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.model.build import build_model
from trdlab.model.library import load_parameters, load_species_set

PERTURBED = ("_rate", "_gain", "_elasticity", "_exponent", "clearance", "volume")
LEVELS = ("glutamate_ec_pfc", "trkb_activation_pfc", "p_mtor_pfc", "bdnf_pfc", "glur1_pfc", "spine_density_pfc",
          "mushroom_spine_density_pfc", "fst_immobility")


def draws(model: trdlab.Model, rng: np.random.Generator, count: int) -> list[dict[str, float]]:
    rows, _ = load_parameters(load_species_set("rat"))
    base = dict(trdlab.simulate(model, None, [0.0]).constants)
    names = sorted(n for n in rows if n in base and (rows[n].cv or n.endswith(PERTURBED) or "clearance" in n))
    out = []
    for _ in range(count):
        overrides = {}
        for name in names:
            cv = rows[name].cv
            factor = rng.lognormal(0.0, np.sqrt(np.log1p(cv**2))) if cv else rng.uniform(0.8, 1.25)
            overrides[name] = base[name] * factor
        out.append(overrides)
    return out


@pytest.mark.parametrize("draw", range(8))
def test_perturbed_mechanism_simulates_with_non_negative_state(draw: int) -> None:
    model = build_model("rat")
    overrides = draws(model, np.random.default_rng(2013), 8)[draw]
    assert len(overrides) > 30
    regimen = PROTOCOLS["ketamine_ip"](dose="10 mg/kg", weight="0.3 kg")
    result = trdlab.simulate(model, regimen, np.linspace(0, 48, 97), parameters=overrides)
    amounts = result.to_frame(species="amount")
    for species in model.species_ids:
        assert amounts[species].min() > -1e-9 * max(1.0, amounts[species].abs().max()), species
    for name in LEVELS:
        values = result.column(name)
        assert np.all(np.isfinite(values)) and values.min() > 0, name
