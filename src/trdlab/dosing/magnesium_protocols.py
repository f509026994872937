"""Magnesium protocols: diet level and Mg salts in drinking water -> a `Regimen`.

Diet: the model eats its Mg requirement by itself (``mg_dietary_intake``); a diet of
``fraction_of_requirement`` shifts the diet level for ``days`` with two step counters
(``mg_diet_shift_down`` / ``mg_diet_shift_up``: level = 1 - down + up), dosed as boluses at the
start and end, so the protocol needs no model parameter. Diet facts are in
``library/conditions.toml`` ``[magnesium_diet]``.

Drinking water: many small drinks, taken as one zero-order input of ``dose`` per day into the
salt's gut species (``library/drugs.toml`` entries ``mg_threonate`` and ``mg_chloride``; doses
are of elemental Mg unless ``salt`` names the salt weighed).

Example::

    mg_diet(0.1, days=21, species="rat")
    mg_threonate_water(dose="50 mg/kg/day", days=24, species="rat", weight="0.3 kg")
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from trdlab.dosing.protocols import LIBRARY_CONDITIONS, LIBRARY_DRUGS, _check_species, drug, hours, quantity
from trdlab.dosing.regimen import DoseEvent, Regimen
from trdlab.errors import DoseError
from trdlab.model.units import ureg


def _diet_spec(conditions: Path) -> dict:
    with open(conditions, "rb") as handle:
        return tomllib.load(handle)["magnesium_diet"]


def mg_diet(
    fraction_of_requirement: float = 1.0, days: float = 21, *, species: str = "rat", start: str = "0 h",
    conditions: Path = LIBRARY_CONDITIONS,
) -> Regimen:
    """A diet giving ``fraction_of_requirement`` of the Mg requirement for ``days`` days.

    The Mg-deficient diet of Sartori 2012 is ``mg_diet(0.1, days=21)`` (10 % of requirement).
    ``fraction_of_requirement=1`` is the control diet (an empty regimen: the model already eats it).
    """
    _check_species(species)
    spec = _diet_spec(conditions)
    if days <= 0:
        raise DoseError(f"days={days} must be positive")
    fraction = float(fraction_of_requirement)
    if not 0 <= fraction:
        raise DoseError(f"fraction_of_requirement={fraction_of_requirement!r} must be >= 0")
    begin = hours(start, "start")
    end = begin + 24.0 * float(days)
    change = abs(1.0 - fraction)
    if change == 0:
        return Regimen(())
    first, second = (spec["target_down"], spec["target_up"]) if fraction < 1 else (spec["target_up"], spec["target_down"])
    return Regimen((DoseEvent(time=begin, amt=change, cmt=first), DoseEvent(time=end, amt=change, cmt=second)))


def _water(
    name: str, dose: str, days: float, species: str, weight: str | None, salt: str | None, start: str,
    drugs: Path,
) -> Regimen:
    _check_species(species)
    if days <= 0:
        raise DoseError(f"days={days} must be positive")
    value = quantity(dose, "dose", ("[mass]/[time]", "[mass]/[mass]/[time]", "[substance]/[time]",
                                    "[substance]/[mass]/[time]"))
    if value.magnitude == 0:
        raise DoseError(f"dose={dose!r} is zero; give a positive daily dose")
    facts = drug(name, drugs)
    if value.check("[mass]/[mass]/[time]") or value.check("[substance]/[mass]/[time]"):
        if weight is None:
            raise DoseError(f"dose={dose!r} is per body weight; give weight, e.g. weight='0.3 kg'")
        value = value * quantity(weight, "weight", "[mass]")
    if value.check("[substance]/[time]"):
        value = value * ureg.Quantity(facts.molar_mass, "g/mol")
        salt = None
    daily = (value * facts.base_fraction(salt)).to(f"{facts.amount_unit}/day").magnitude
    target = facts.target(species, "oral")
    return Regimen((DoseEvent(time=hours(start, "start"), amt=float(daily) * float(days), cmt=target,
                              dur=24.0 * float(days)),))


def mg_threonate_water(
    dose: str = "50 mg/kg/day", days: float = 24, *, species: str = "rat", weight: str | None = "0.3 kg",
    salt: str | None = None, start: str = "0 h", drugs: Path = LIBRARY_DRUGS,
) -> Regimen:
    """Mg-L-threonate in drinking water (Slutsky 2010: 604 mg/kg/day MgT = ~50 mg/kg/day Mg, 24 days).

    ``dose`` is elemental Mg per day unless ``salt="threonate"`` (then it is the weight of MgT).
    """
    return _water("mg_threonate", dose, days, species, weight, salt, start, drugs)


def mg_chloride_water(
    dose: str = "50 mg/kg/day", days: float = 24, *, species: str = "rat", weight: str | None = "0.3 kg",
    salt: str | None = None, start: str = "0 h", drugs: Path = LIBRARY_DRUGS,
) -> Regimen:
    """MgCl2 in drinking water (the Slutsky 2010 comparator); ``dose`` is elemental Mg per day
    unless ``salt`` is ``"anhydrous"`` or ``"hexahydrate"``."""
    return _water("mg_chloride", dose, days, species, weight, salt, start, drugs)
