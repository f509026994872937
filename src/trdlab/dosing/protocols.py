"""Named dosing protocols: clinical language with units -> a `Regimen`.

Protocols are thin: the drug facts (molar masses, salts, the model amount unit, which
species each route doses in each species set) are data in ``library/drugs.toml``.
Regimens come out in the trdlab library's units: time in hours, amounts in the drug's
``amount_unit`` (free base). Doses are read as the salt named by ``salt`` (clinical
ketamine doses are of the hydrochloride) and converted to base with the molar masses.

Example::

    protocols.ketamine_iv(dose="0.5 mg/kg", duration="40 min", weight="70 kg")
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pint

from trdlab.dosing.regimen import DoseEvent, Regimen
from trdlab.errors import DoseError, UnitError
from trdlab.model.units import parse, ureg

LIBRARY_DRUGS = Path(__file__).resolve().parents[1] / "library" / "drugs.toml"
TIME_UNIT = "hour"
SPECIES_SETS = ("human", "rat", "mouse")


@dataclass(frozen=True)
class Drug:
    """Facts about a drug that dosing needs (one entry of ``drugs.toml``)."""

    name: str
    molar_mass: float  # g/mol, free base
    salts: tuple[tuple[str, float], ...]
    amount_unit: str
    targets: tuple[tuple[str, str, str], ...]  # (species set, route, species id)

    def target(self, species: str, route: str) -> str:
        for set_name, route_name, species_id in self.targets:
            if set_name == species and route_name == route:
                return species_id
        routes = sorted({r for s, r, _ in self.targets if s == species})
        raise DoseError(
            f"drug {self.name!r} has no route {route!r} in the {species} model; "
            f"available routes: {', '.join(routes) or '(none)'}"
        )

    def base_fraction(self, salt: str | None) -> float:
        if salt is None:
            return 1.0
        salts = dict(self.salts)
        if salt not in salts:
            raise DoseError(
                f"salt={salt!r} is not known for {self.name}; use one of {', '.join(salts) or '(none)'} "
                "or salt=None for a dose of free base"
            )
        return self.molar_mass / salts[salt]


@lru_cache(maxsize=8)
def load_drugs(path: Path = LIBRARY_DRUGS) -> dict[str, Drug]:
    """Read a drugs table (default: the packaged ``library/drugs.toml``)."""
    with open(path, "rb") as handle:
        table = tomllib.load(handle)
    drugs = {}
    for name, entry in table.items():
        targets = tuple(
            (species, route, species_id)
            for species, routes in entry.get("targets", {}).items()
            for route, species_id in routes.items()
        )
        drugs[name] = Drug(
            name=name,
            molar_mass=parse(entry["molar_mass"]).to("g/mol").magnitude,
            salts=tuple((salt, float(mass)) for salt, mass in entry.get("salts", {}).items()),
            amount_unit=entry["amount_unit"],
            targets=targets,
        )
    return drugs


def drug(name: str, path: Path = LIBRARY_DRUGS) -> Drug:
    drugs = load_drugs(path)
    if name not in drugs:
        raise DoseError(f"unknown drug {name!r}; the library knows {', '.join(sorted(drugs))}")
    return drugs[name]


_EXAMPLE_UNIT = {"dose": "mg/kg", "weight": "kg"}


def quantity(text: str | float | pint.Quantity, field: str, dimension: str | tuple[str, ...]) -> pint.Quantity:
    """Parse ``text`` as a quantity of one of the given dimensionalities (e.g. ``"[mass]"``)."""
    example = f"{field}='{text} {_EXAMPLE_UNIT.get(field, 'h')}'"
    if isinstance(text, (int, float)):
        raise UnitError(f"{field}={text!r} has no unit; write it with one, e.g. {example}")
    value = text if isinstance(text, pint.Quantity) else parse(str(text))
    if not list(value.unit_items()):
        raise UnitError(f"{field}={text!r} has no unit; write it with one, e.g. {example}")
    wanted = (dimension,) if isinstance(dimension, str) else dimension
    if not any(value.check(d) for d in wanted):
        raise UnitError(f"{field}={text!r} has unit {value.units:~} where {' or '.join(wanted)} is needed")
    if not math.isfinite(value.magnitude):
        raise DoseError(f"{field}={text!r} is not finite")
    if value.magnitude < 0:
        raise DoseError(f"{field}={text!r} is negative; give a value >= 0")
    return value


def dose_amount(
    name: str, dose: str, weight: str | None, salt: str | None, *, drugs: Path = LIBRARY_DRUGS
) -> float:
    """Dose as an amount of free base in the drug's model unit (``mg/kg`` doses need ``weight``)."""
    facts = drug(name, drugs)
    value = quantity(dose, "dose", ("[mass]", "[mass]/[mass]", "[substance]", "[substance]/[mass]"))
    if value.magnitude == 0:
        raise DoseError(f"dose={dose!r} is zero; give a positive dose")
    if not (value.check("[mass]") or value.check("[substance]")):
        if weight is None:
            raise DoseError(f"dose={dose!r} is per body weight; give weight, e.g. weight='70 kg'")
        value = value * quantity(weight, "weight", "[mass]")
    if value.check("[substance]"):
        value = (value * ureg.Quantity(facts.molar_mass, "g/mol")).to("g")
        salt = None  # a molar dose counts molecules of the active moiety
    base = value * facts.base_fraction(salt)
    return float(base.to(facts.amount_unit).magnitude)


def hours(text: str, field: str) -> float:
    return float(quantity(text, field, "[time]").to(TIME_UNIT).magnitude)


def _check_species(species: str) -> None:
    if species not in SPECIES_SETS:
        raise DoseError(f"unknown species {species!r}; use one of {', '.join(SPECIES_SETS)}")


def infusion(
    name: str, *, dose: str, duration: str, weight: str | None = None, species: str = "human",
    route: str = "iv", salt: str | None = None, start: str = "0 h", drugs: Path = LIBRARY_DRUGS,
) -> Regimen:
    """One zero-order infusion of ``dose`` over ``duration``."""
    _check_species(species)
    length = hours(duration, "duration")
    if length <= 0:
        raise DoseError(f"duration={duration!r} must be positive; use a bolus protocol for an instantaneous dose")
    amount = dose_amount(name, dose, weight, salt, drugs=drugs)
    target = drug(name, drugs).target(species, route)
    return Regimen((DoseEvent(time=hours(start, "start"), amt=amount, cmt=target, dur=length),))


def bolus(
    name: str, *, dose: str, weight: str | None = None, species: str = "human", route: str = "iv",
    salt: str | None = None, start: str = "0 h", every: str | None = None, count: int = 1,
    drugs: Path = LIBRARY_DRUGS,
) -> Regimen:
    """``count`` bolus doses, ``every`` apart (as one record with ``addl``/``ii``)."""
    _check_species(species)
    if count < 1:
        raise DoseError(f"count={count} must be at least 1")
    interval = hours(every, "every") if every is not None else 0.0
    if count > 1 and interval <= 0:
        raise DoseError(f"count={count} doses need a positive interval 'every', e.g. every='24 h'")
    amount = dose_amount(name, dose, weight, salt, drugs=drugs)
    target = drug(name, drugs).target(species, route)
    return Regimen(
        (DoseEvent(time=hours(start, "start"), amt=amount, cmt=target, ii=interval, addl=count - 1),)
    )


def ketamine_iv(
    dose: str = "0.5 mg/kg", duration: str = "40 min", weight: str = "70 kg", *,
    salt: str | None = "hydrochloride", species: str = "human", start: str = "0 h",
) -> Regimen:
    """Ketamine IV infusion (Zarate 2006: 0.5 mg/kg of the hydrochloride over 40 min)."""
    return infusion("ketamine", dose=dose, duration=duration, weight=weight, species=species,
                    route="iv", salt=salt, start=start)


def ketamine_ip(
    dose: str = "10 mg/kg", weight: str = "0.3 kg", *, salt: str | None = "hydrochloride",
    species: str = "rat", start: str = "0 h",
) -> Regimen:
    """Ketamine intraperitoneal injection in rodents (Li 2010: 10 mg/kg i.p. in rats)."""
    return bolus("ketamine", dose=dose, weight=weight, species=species, route="ip", salt=salt, start=start)


def daily_oral(
    name: str, dose: str, *, days: int = 28, weight: str | None = None, species: str = "human",
    salt: str | None = None, start: str = "0 h", drugs: Path = LIBRARY_DRUGS,
) -> Regimen:
    """Once-daily oral doses for ``days`` days."""
    if days < 1:
        raise DoseError(f"days={days} must be at least 1")
    return bolus(name, dose=dose, weight=weight, species=species, route="oral", salt=salt,
                 start=start, every="24 h", count=days, drugs=drugs)


LIBRARY_CONDITIONS = LIBRARY_DRUGS.with_name("conditions.toml")


def chronic_unpredictable_stress(
    days: int = 21, *, species: str = "rat", start: str = "0 h", conditions: Path = LIBRARY_CONDITIONS
) -> Regimen:
    """Chronic unpredictable stress: daily stress sessions as inputs into the stress module.

    Session times, duration and intensity come from ``library/conditions.toml``; each session
    is a zero-order input into the ``target`` species, repeated every 24 h for ``days`` days.
    """
    _check_species(species)
    if days < 1:
        raise DoseError(f"days={days} must be at least 1")
    with open(conditions, "rb") as handle:
        spec = tomllib.load(handle)["chronic_unpredictable_stress"]
    duration = hours(spec["session_duration"], "session_duration")
    begin = hours(start, "start")
    events = [
        DoseEvent(time=begin + hours(offset, "sessions"), amt=float(spec["intensity"]) * duration,
                  cmt=str(spec["target"]), dur=duration, ii=24.0, addl=days - 1)
        for offset in spec["sessions"]
    ]
    return Regimen(tuple(sorted(events, key=lambda e: e.time)))
