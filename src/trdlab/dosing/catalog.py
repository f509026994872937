"""The named protocols (``library/protocols.toml``), by the name the CLI, experiments and trial designs use.

A protocol is data: a compound, a route, species sets, a role in a trial, defaults and a source,
built by one generic constructor of :mod:`trdlab.dosing.constructors`. ``PROTOCOLS[name]`` is a
:class:`Protocol` (call it with options to get a :class:`Regimen`); ``PROTOCOL_INFO`` is the same
mapping, kept under its old name for code that only reads the metadata.

Example::

    PROTOCOLS["ketamine_iv"](dose="0.5 mg/kg", weight="80 kg")
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any, Callable, Literal

from trdlab.dosing import constructors
from trdlab.dosing.regimen import Regimen
from trdlab.errors import DoseError
from trdlab.model.library import default_root

Route = Literal["iv", "oral", "ip", "water", "diet", "condition"]
Role = Literal["active", "placebo", "active_placebo", "background", "condition"]
ROLES: tuple[str, ...] = ("active", "placebo", "active_placebo", "background", "condition")

_DRUG_OPTIONS = ("dose", "weight", "start", "every", "count", "salt")
CONSTRUCTORS: dict[str, tuple[Callable[..., Regimen], tuple[str, ...], bool]] = {
    "infusion": (constructors.infusion, ("dose", "duration", *_DRUG_OPTIONS[1:]), True),
    "bolus": (constructors.bolus, _DRUG_OPTIONS, True),
    "oral_course": (constructors.oral_course, _DRUG_OPTIONS, True),
    "placebo": (constructors.placebo, ("dose", "duration", "weight", "start", "every", "count"), False),
    "drinking_water": (constructors.drinking_water, ("dose", "days", "weight", "salt", "start"), True),
    "diet": (constructors.diet, ("fraction_of_requirement", "days", "start", "condition"), False),
    "stress_sessions": (constructors.stress_sessions, ("days", "start", "condition"), False),
}
"""Constructor name -> (function, its options besides ``species``, whether it takes a compound and route)."""


@dataclass(frozen=True)
class Protocol:
    """One named protocol: call it with options (and ``species``) for its :class:`Regimen`."""

    name: str
    constructor: str
    drug: str | None
    route: str
    role: str
    species: tuple[str, ...]
    defaults: tuple[tuple[str, Any], ...]
    description: str
    source: str

    @property
    def options(self) -> tuple[str, ...]:
        """The options the protocol takes besides ``species`` (a placebo infusion also ``duration``)."""
        names = CONSTRUCTORS[self.constructor][1]
        if self.constructor == "placebo" and "duration" not in dict(self.defaults):
            names = tuple(n for n in names if n != "duration")
        return names

    @property
    def default_dose(self) -> str | None:
        return dict(self.defaults).get("dose")

    @property
    def default_duration(self) -> str | None:
        return dict(self.defaults).get("duration")

    @property
    def is_infusion(self) -> bool:
        """True when the protocol is an i.v. infusion (it takes ``duration``)."""
        return self.route == "iv"

    def __call__(self, **options: Any) -> Regimen:
        unknown = sorted(set(options) - set(self.options) - {"species"})
        if unknown:
            raise DoseError(f"{unknown[0]!r} is not an option of protocol {self.name!r}; options: "
                            f"{', '.join(self.options)}, species")
        arguments = {**dict(self.defaults), **{k: v for k, v in options.items()}}
        species = arguments.get("species", "human")
        if species not in self.species:
            raise DoseError(f"protocol {self.name!r} is not defined for species {species!r}; it is for "
                            f"{', '.join(self.species)}")
        function, _, takes_drug = CONSTRUCTORS[self.constructor]
        if takes_drug:
            return function(self.drug, route=self.route, **arguments)
        return function(**arguments)


def _load() -> dict[str, Protocol]:
    data = tomllib.loads((default_root() / "protocols.toml").read_text(encoding="utf-8"))
    out = {}
    for name, entry in data.items():
        constructor = entry["constructor"]
        if constructor not in CONSTRUCTORS:
            raise DoseError(f"protocols.toml [{name}]: constructor {constructor!r} is unknown; use one of "
                            f"{', '.join(CONSTRUCTORS)}")
        if entry["role"] not in ROLES:
            raise DoseError(f"protocols.toml [{name}]: role {entry['role']!r} is unknown; use one of {', '.join(ROLES)}")
        route = entry.get("route", {"diet": "diet", "stress_sessions": "condition"}.get(constructor, ""))
        out[name] = Protocol(name, constructor, entry.get("compound"), route, entry["role"], tuple(entry["species"]),
                             tuple(sorted(entry.get("defaults", {}).items())), entry["description"], entry["source"])
    return out


PROTOCOLS: dict[str, Protocol] = _load()
"""Every named protocol; each takes ``species`` and ``start`` plus its own options."""
PROTOCOL_INFO = PROTOCOLS
"""The same mapping (metadata readers: drug, route, role, species, defaults, source)."""

CLINICAL_PROTOCOLS: tuple[str, ...] = tuple(
    name for name, info in PROTOCOLS.items() if "human" in info.species and info.route in ("iv", "oral")
)
"""Protocols with the clinical keyword interface, usable in trial designs (human, i.v. or oral)."""
