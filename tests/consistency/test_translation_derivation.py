"""Consistency of the human translation factor -- NOT a reference test.

human.toml ``ketamine_nmda_sensitivity`` (10.75) was calibrated
(scripts/calibrate_human_translation.py) as the root of "human peak PFC glutamate after the
clinical 0.5 mg/kg IV dose = rat peak after 10 mg/kg i.p." (the seed paper's premise that both
act through the same glutamate burst). The human burst therefore matches the rat burst by
construction; this checks that arithmetic, not the science.
"""

from __future__ import annotations

import numpy as np
import pytest

import trdlab
from trdlab.dosing import constructors as protocols
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.model.build import build_model


def test_human_clinical_glutamate_peak_equals_the_rat_peak_it_was_calibrated_to() -> None:
    # human.toml ketamine_nmda_sensitivity: root of human peak PFC glutamate = rat peak (2.17x)
    human = trdlab.simulate(build_model("human"), PROTOCOLS["ketamine_iv"](), np.linspace(0, 2, 241))
    rat = trdlab.simulate(build_model("rat"), PROTOCOLS["ketamine_ip"](dose="10 mg/kg", weight="0.3 kg"),
                          np.linspace(0, 6, 721))
    rat_peak = rat.column("glutamate_ec_pfc").max()
    assert rat_peak == pytest.approx(2.17, abs=0.01)
    assert human.column("glutamate_ec_pfc").max() == pytest.approx(rat_peak, rel=2e-3)
