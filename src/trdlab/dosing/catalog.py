"""The named protocols, by the name the CLI, the experiments and the trial designs use."""

from __future__ import annotations

from typing import Callable

from trdlab.dosing import magnesium_protocols, protocols
from trdlab.dosing.regimen import Regimen

PROTOCOLS: dict[str, Callable[..., Regimen]] = {
    "ketamine_iv": protocols.ketamine_iv,
    "ketamine_ip": protocols.ketamine_ip,
    "chronic_unpredictable_stress": protocols.chronic_unpredictable_stress,
    "mg_diet": magnesium_protocols.mg_diet,
    "mg_threonate_water": magnesium_protocols.mg_threonate_water,
    "mg_chloride_water": magnesium_protocols.mg_chloride_water,
}
"""Every named protocol; each takes ``species`` and ``start`` plus its own options."""
