"""The generic dosing constructors: clinical language with units -> a :class:`Regimen`.

Every named protocol (``library/protocols.toml``, :mod:`trdlab.dosing.catalog`) is one of these
with its compound, route and defaults; experiments and trial designs may also call them for any
catalogue compound. Regimens come out in library units: time in hours, amounts in mg of the active
moiety. A dose is read as the salt named by ``salt`` and converted with the molar masses of the
compound file (:mod:`trdlab.compounds`); a molar dose counts molecules of the active moiety; a
per-kg dose needs ``weight``. Dose normalisation happens once, in :func:`_active_moiety`.

- :func:`infusion`: ``count`` zero-order infusions of ``dose`` over ``duration``, ``every`` apart;
- :func:`bolus`: ``count`` instantaneous doses (i.v., i.p., s.c., oral, i.c.v.) ``every`` apart;
- :func:`oral_course`: once-daily (or ``every``) oral doses; ``dose`` may be a daily rate
  (``"1000 mg/day"``), given as ``rate x every`` per administration;
- :func:`placebo`: checks the options of an inert vehicle and returns the empty regimen;
- :func:`drinking_water`: a daily dose taken as one zero-order input over ``days``;
- :func:`diet` and :func:`stress_sessions`: the non-drug conditions of ``library/conditions.toml``.

Example::

    infusion("ketamine", dose="0.5 mg/kg", duration="40 min", weight="70 kg", salt="hydrochloride")
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pint

from trdlab.compounds.catalogue import Compound, compound
from trdlab.dosing.regimen import DoseEvent, Regimen
from trdlab.errors import DoseError, UnitError
from trdlab.model.library import default_root
from trdlab.model.units import parse, ureg

TIME_UNIT = "hour"
SPECIES_SETS = ("human", "rat", "mouse")
ORAL_INTERVAL = "1 d"
"""Default interval of the oral courses (once daily)."""
LIBRARY_CONDITIONS = default_root() / "conditions.toml"

DOSE_DIMENSIONS = ("[mass]", "[mass]/[mass]", "[substance]", "[substance]/[mass]")
RATE_DIMENSIONS = ("[mass]/[time]", "[mass]/[mass]/[time]", "[substance]/[time]", "[substance]/[mass]/[time]")
_EXAMPLE_UNIT = {"dose": "mg/kg", "weight": "kg"}


def quantity(text: str | float | pint.Quantity, field: str, dimension: str | tuple[str, ...]) -> pint.Quantity:
    """Parse ``text`` as a non-negative, finite quantity of one of the given dimensionalities."""
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


def hours(text: str, field: str) -> float:
    """``text`` (a time with a unit) in hours."""
    return float(quantity(text, field, "[time]").to(TIME_UNIT).magnitude)


def check_species(species: str) -> None:
    if species not in SPECIES_SETS:
        raise DoseError(f"unknown species {species!r}; use one of {', '.join(SPECIES_SETS)}")


def _facts(name: str | Compound) -> Compound:
    return name if isinstance(name, Compound) else compound(name)


def _active_moiety(facts: Compound, value: pint.Quantity, dose: str, weight: str | None, salt: str | None,
                   *, per_time: bool) -> pint.Quantity:
    """A dose (or daily rate) as mass of active moiety: times ``weight`` if per kg, molar -> mass, salt -> base."""
    if value.magnitude == 0:
        raise DoseError(f"dose={dose!r} is zero; give a positive dose")
    per_kg = ("[mass]/[mass]/[time]", "[substance]/[mass]/[time]") if per_time else ("[mass]/[mass]", "[substance]/[mass]")
    if any(value.check(d) for d in per_kg):
        if weight is None:
            raise DoseError(f"dose={dose!r} is per body weight; give weight, e.g. weight='70 kg'")
        value = value * quantity(weight, "weight", "[mass]")
    if value.check("[substance]/[time]" if per_time else "[substance]"):
        value = value * ureg.Quantity(facts.molar_mass, "g/mol")
        value = value if per_time else value.to("g")
        salt = None  # a molar dose counts molecules of the active moiety
    return value * facts.base_fraction(salt)


def dose_amount(name: str | Compound, dose: str, weight: str | None, salt: str | None) -> float:
    """One administration as an amount of active moiety in the compound's model unit (mg)."""
    facts = _facts(name)
    value = quantity(dose, "dose", DOSE_DIMENSIONS)
    return float(_active_moiety(facts, value, dose, weight, salt, per_time=False).to(facts.spec.amount_unit).magnitude)


def _count(count: int) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise DoseError(f"count={count!r} must be a whole number >= 1 (the number of administrations)")
    return count


def _interval(every: str | None, count: int, length: float = 0.0) -> float:
    """``every`` in hours (0 when a single administration has none); checks it fits ``count``."""
    interval = hours(every, "every") if every is not None else 0.0
    if count > 1 and interval <= 0:
        raise DoseError(f"count={count} administrations need a positive interval, e.g. every='1 d'")
    if count > 1 and interval < length:
        raise DoseError(
            f"every={every!r} is shorter than the infusion duration ({length:g} h); "
            "infusions of one protocol must not overlap: lengthen every or shorten duration"
        )
    return interval


def infusion(
    name: str | Compound, *, dose: str, duration: str, weight: str | None = None, species: str = "human",
    route: str = "iv", salt: str | None = None, start: str = "0 h", every: str | None = None, count: int = 1,
) -> Regimen:
    """``count`` zero-order infusions of ``dose`` over ``duration``, ``every`` apart (one record)."""
    check_species(species)
    count = _count(count)
    length = hours(duration, "duration")
    if length <= 0:
        raise DoseError(f"duration={duration!r} must be positive; an infusion needs a length, e.g. '40 min' "
                        "(use a bolus for an instantaneous dose)")
    interval = _interval(every, count, length)
    amount = dose_amount(name, dose, weight, salt)
    target = _facts(name).target(species, route)
    return Regimen((DoseEvent(time=hours(start, "start"), amt=amount, cmt=target, dur=length,
                              ii=interval if count > 1 else 0.0, addl=count - 1),))


def bolus(
    name: str | Compound, *, dose: str, weight: str | None = None, species: str = "human", route: str = "iv",
    salt: str | None = None, start: str = "0 h", every: str | None = None, count: int = 1,
) -> Regimen:
    """``count`` bolus doses by ``route``, ``every`` apart (as one record with ``addl``/``ii``)."""
    check_species(species)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise DoseError(f"count={count!r} must be at least 1")
    interval = hours(every, "every") if every is not None else 0.0
    if count > 1 and interval <= 0:
        raise DoseError(f"count={count} doses need a positive interval 'every', e.g. every='24 h'")
    amount = dose_amount(name, dose, weight, salt)
    target = _facts(name).target(species, route)
    return Regimen(
        (DoseEvent(time=hours(start, "start"), amt=amount, cmt=target, ii=interval, addl=count - 1),)
    )


def _per_administration(dose: str, every: str | None) -> str:
    """A daily-rate dose (``"1000 mg/day"``) as the amount of one administration ``every`` apart."""
    value = quantity(dose, "dose", DOSE_DIMENSIONS + RATE_DIMENSIONS)
    if not any(value.check(d) for d in RATE_DIMENSIONS):
        return dose
    if every is None:
        raise DoseError(f"dose={dose!r} is a rate; give every (e.g. every='1 d') or a dose per administration")
    product = value * quantity(every, "every", "[time]")
    for dimension, unit in zip(DOSE_DIMENSIONS, ("mg", "mg/kg", "mmol", "mmol/kg")):
        if product.check(dimension):
            return f"{product.to(unit).magnitude!r} {unit}"
    raise DoseError(f"dose={dose!r} x every={every!r} is not a dose")  # unreachable: dimensions checked above


def oral_course(
    name: str | Compound, *, dose: str, weight: str | None = None, start: str = "0 h", every: str | None = None,
    count: int = 28, salt: str | None = None, species: str = "human", route: str = "oral",
) -> Regimen:
    """``count`` doses by mouth ``every`` apart (default once daily)."""
    count = _count(count)
    every = ORAL_INTERVAL if every is None else every
    _interval(every, count)
    per_dose = _per_administration(dose, every)
    return bolus(name, dose=per_dose, weight=weight, species=species, route=route, salt=salt,
                 start=start, every=every if count > 1 else None, count=count)


def placebo(
    *, dose: str | None = None, duration: str | None = None, weight: str | None = None, start: str = "0 h",
    every: str | None = None, count: int = 1, species: str = "human",
) -> Regimen:
    """Check the options of an inert vehicle (saline, a pill), then return the empty regimen it stands for."""
    check_species(species)
    count = _count(count)
    length = 0.0
    if duration is not None:
        length = hours(duration, "duration")
        if length <= 0:
            raise DoseError(f"duration={duration!r} must be positive, e.g. '40 min'")
    _interval(every, count, length)
    hours(start, "start")
    if weight is not None:
        quantity(weight, "weight", "[mass]")
    if dose is not None:
        quantity(dose, "dose", DOSE_DIMENSIONS + RATE_DIMENSIONS + ("[length]**3", "[length]**3/[mass]"))
    return Regimen(())


def drinking_water(
    name: str | Compound, *, dose: str, days: float, species: str = "rat", weight: str | None = None,
    salt: str | None = None, start: str = "0 h", route: str = "water",
) -> Regimen:
    """A daily dose in drinking water (many small drinks) as one zero-order input over ``days``."""
    check_species(species)
    if days <= 0:
        raise DoseError(f"days={days} must be positive")
    facts = _facts(name)
    value = quantity(dose, "dose", RATE_DIMENSIONS)
    daily = _active_moiety(facts, value, dose, weight, salt, per_time=True).to(f"{facts.spec.amount_unit}/day").magnitude
    target = facts.target(species, route)
    return Regimen((DoseEvent(time=hours(start, "start"), amt=float(daily) * float(days), cmt=target,
                              dur=24.0 * float(days)),))


def _condition(name: str, conditions: Path) -> dict:
    with open(conditions, "rb") as handle:
        table = tomllib.load(handle)
    if name not in table:
        raise DoseError(f"condition={name!r} is not a table of {conditions.name}; use one of {', '.join(table)}")
    return table[name]


def diet(
    fraction_of_requirement: float = 1.0, days: float = 21, *, condition: str, species: str = "rat",
    start: str = "0 h", conditions: Path = LIBRARY_CONDITIONS,
) -> Regimen:
    """A diet giving ``fraction_of_requirement`` of the Mg requirement for ``days`` days.

    The diet level shifts by two step counters of module magnesium_body (level = 1 - down + up), dosed
    at the start and end (the ``condition`` table of ``conditions.toml``); a fraction of 1 is the
    control diet (an empty regimen: the model already eats it). sartori2012's Mg-deficient diet is
    ``PROTOCOLS["mg_diet"](fraction_of_requirement=0.1, days=21)``.
    """
    check_species(species)
    spec = _condition(condition, conditions)
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


def stress_sessions(
    days: int = 21, *, condition: str, species: str = "rat", start: str = "0 h", conditions: Path = LIBRARY_CONDITIONS,
) -> Regimen:
    """Daily stress sessions (the ``condition`` table of ``conditions.toml``) into the stress module for ``days``."""
    check_species(species)
    if days < 1:
        raise DoseError(f"days={days} must be at least 1")
    spec = _condition(condition, conditions)
    duration = hours(spec["session_duration"], "session_duration")
    begin = hours(start, "start")
    events = [
        DoseEvent(time=begin + hours(offset, "sessions"), amt=float(spec["intensity"]) * duration,
                  cmt=str(spec["target"]), dur=duration, ii=24.0, addl=days - 1)
        for offset in spec["sessions"]
    ]
    return Regimen(tuple(sorted(events, key=lambda e: e.time)))


def administrations(regimen: Regimen) -> list[tuple[float, float]]:
    """(time, amount) of every administration of a regimen, ``addl`` records expanded, in time order."""
    return sorted((event.time + k * event.ii, event.amt) for event in regimen.events for k in range(event.addl + 1))
