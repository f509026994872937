"""The named protocols, by the name the CLI, the experiments and the trial designs use.

``PROTOCOLS`` maps a name to the function that builds its :class:`Regimen`; ``PROTOCOL_INFO``
describes each one (drug, route, role in a trial, species sets, defaults, source) so trial designs
and reports can reason about protocols without calling them. The clinical (human trial) protocols
share one keyword interface (``dose, duration, weight, start, every, count``): see
:mod:`trdlab.dosing.clinical_protocols`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from trdlab.dosing import clinical_protocols, magnesium_protocols, protocols
from trdlab.dosing.regimen import Regimen

Route = Literal["iv", "oral", "ip", "water", "diet", "condition"]
Role = Literal["active", "placebo", "active_placebo", "background", "condition"]


@dataclass(frozen=True)
class ProtocolInfo:
    """What a named protocol gives: drug, route, role, species sets, defaults and source (bib key)."""

    name: str
    drug: str | None
    route: Route
    role: Role
    species: tuple[str, ...]
    default_dose: str | None
    default_duration: str | None
    description: str
    source: str

    @property
    def is_infusion(self) -> bool:
        """True when the protocol is an i.v. infusion (it takes ``duration``)."""
        return self.route == "iv"


PROTOCOLS: dict[str, Callable[..., Regimen]] = {
    "ketamine_iv": clinical_protocols.ketamine_iv,
    "ketamine_ip": protocols.ketamine_ip,
    "chronic_unpredictable_stress": protocols.chronic_unpredictable_stress,
    "mg_diet": magnesium_protocols.mg_diet,
    "mg_threonate_water": magnesium_protocols.mg_threonate_water,
    "mg_chloride_water": magnesium_protocols.mg_chloride_water,
    "saline_iv": clinical_protocols.saline_iv,
    "midazolam_iv": clinical_protocols.midazolam_iv,
    "scopolamine_iv": clinical_protocols.scopolamine_iv,
    "citalopram_oral": clinical_protocols.citalopram_oral,
    "placebo_oral": clinical_protocols.placebo_oral,
    "lithium": clinical_protocols.lithium,
    "valproate": clinical_protocols.valproate,
}
"""Every named protocol; each takes ``species`` and ``start`` plus its own options."""

_ALL = ("human", "rat", "mouse")
_RODENT = ("rat", "mouse")
_HUMAN = ("human",)

PROTOCOL_INFO: dict[str, ProtocolInfo] = {
    info.name: info
    for info in (
        ProtocolInfo("ketamine_iv", "ketamine", "iv", "active", _ALL, "0.5 mg/kg", "40 min",
                     "ketamine hydrochloride i.v. infusion; count/every repeat it", "zarate2006"),
        ProtocolInfo("ketamine_ip", "ketamine", "ip", "active", _RODENT, "10 mg/kg", None,
                     "ketamine hydrochloride i.p. injection in rodents", "li2010"),
        ProtocolInfo("chronic_unpredictable_stress", None, "condition", "condition", _ALL, None, None,
                     "two stress sessions a day into the stress module for `days` days", "li2011"),
        ProtocolInfo("mg_diet", None, "diet", "condition", _ALL, None, None,
                     "diet giving a fraction of the Mg requirement (0.1 = Mg-deficient diet)", "sartori2012"),
        ProtocolInfo("mg_threonate_water", "mg_threonate", "water", "active", _ALL, "50 mg/kg/day", None,
                     "Mg-L-threonate in drinking water (elemental Mg per day)", "slutsky2010"),
        ProtocolInfo("mg_chloride_water", "mg_chloride", "water", "active", _ALL, "50 mg/kg/day", None,
                     "MgCl2 in drinking water (elemental Mg per day), the comparator of slutsky2010",
                     "slutsky2010"),
        ProtocolInfo("saline_iv", None, "iv", "placebo", _HUMAN, None, "40 min",
                     "inert saline infusion: options checked, empty regimen", "zarate2006"),
        ProtocolInfo("midazolam_iv", "midazolam", "iv", "active_placebo", _HUMAN, "0.045 mg/kg", "40 min",
                     "midazolam i.v. infusion, the sedating active placebo of ketamine trials", "murrough2013"),
        ProtocolInfo("scopolamine_iv", "scopolamine", "iv", "active", _HUMAN, "4 ug/kg", "15 min",
                     "scopolamine hydrobromide i.v. infusion; sessions 3-5 days apart via count/every",
                     "furey2006"),
        ProtocolInfo("citalopram_oral", "citalopram", "oral", "active", _HUMAN, "40 mg", None,
                     "citalopram once daily (STAR*D level 1: 20 mg titrated to a mean 41.8 mg/day)",
                     "trivedi2006"),
        ProtocolInfo("placebo_oral", None, "oral", "placebo", _HUMAN, None, None,
                     "inert pill once daily: options checked, empty regimen", "trivedi2006"),
        ProtocolInfo("lithium", "lithium", "oral", "background", _HUMAN, "900 mg", None,
                     "lithium carbonate once daily; 900 mg/day -> mean serum ~0.7 mM", "grandjean2009"),
        ProtocolInfo("valproate", "valproate", "oral", "background", _HUMAN, "1000 mg", None,
                     "valproate once daily; 1000 mg/day -> mean plasma ~85 ug/mL; no mechanism link yet",
                     "zaccara1988"),
    )
}
"""Metadata of every entry of :data:`PROTOCOLS` (same keys)."""

CLINICAL_PROTOCOLS: tuple[str, ...] = tuple(
    name for name, info in PROTOCOL_INFO.items()
    if "human" in info.species and info.route in ("iv", "oral")
)
"""Protocols with the clinical keyword interface, usable in trial designs (human, i.v. or oral)."""
