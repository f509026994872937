"""Clinical (human) protocols of the virtual trials: infusions, daily oral drugs and placebos.

Every protocol takes the same keyword options and returns a :class:`Regimen` in library units
(time in hours, amounts in mg of free base):

- ``dose``: per administration (``"0.5 mg/kg"``, ``"40 mg"``); an oral dose may also be a daily
  rate (``"1000 mg/day"``), given as ``rate x every`` per administration;
- ``duration``: infusion length (infusions only);
- ``weight``: body weight for per-kg doses;
- ``start``: time of the first administration;
- ``every`` and ``count``: ``count`` administrations ``every`` apart (one NONMEM record with
  ``addl = count - 1`` and ``ii = every``); oral protocols default to ``every = "1 d"``,
  infusions to a single administration.

Placebos (``saline_iv``, ``placebo_oral``) check the same options and return an empty regimen:
an inert vehicle changes nothing in the model. Doses are of the salt named by ``salt`` and are
converted to base with the molar masses of ``library/drugs.toml``.

Example::

    scopolamine_iv(count=3, every="4 d")        # Drevets & Furey 2010: 3 sessions 3-5 days apart
    citalopram_oral(dose="40 mg", count=98)     # 14 weeks of daily citalopram
"""

from __future__ import annotations

from trdlab.dosing.protocols import _check_species, bolus, dose_amount, drug, hours, quantity
from trdlab.dosing.regimen import DoseEvent, Regimen
from trdlab.errors import DoseError

ORAL_INTERVAL = "1 d"
"""Default interval of the oral protocols (once daily)."""

_DOSE_DIMENSIONS = ("[mass]", "[mass]/[mass]", "[substance]", "[substance]/[mass]")
_RATE_DIMENSIONS = ("[mass]/[time]", "[mass]/[mass]/[time]", "[substance]/[time]", "[substance]/[mass]/[time]")


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


def _per_administration(dose: str, every: str | None) -> str:
    """A daily-rate dose (``"1000 mg/day"``) as the amount of one administration ``every`` apart."""
    value = quantity(dose, "dose", _DOSE_DIMENSIONS + _RATE_DIMENSIONS)
    if not any(value.check(d) for d in _RATE_DIMENSIONS):
        return dose
    if every is None:
        raise DoseError(f"dose={dose!r} is a rate; give every (e.g. every='1 d') or a dose per administration")
    product = value * quantity(every, "every", "[time]")
    for dimension, unit in zip(_DOSE_DIMENSIONS, ("mg", "mg/kg", "mmol", "mmol/kg")):
        if product.check(dimension):
            return f"{product.to(unit).magnitude!r} {unit}"
    raise DoseError(f"dose={dose!r} x every={every!r} is not a dose")  # unreachable: dimensions checked above


def infusions(
    name: str, *, dose: str, duration: str, weight: str | None, start: str, every: str | None, count: int,
    salt: str | None, species: str,
) -> Regimen:
    """``count`` zero-order infusions of ``dose`` over ``duration``, ``every`` apart (one record)."""
    _check_species(species)
    count = _count(count)
    length = hours(duration, "duration")
    if length <= 0:
        raise DoseError(f"duration={duration!r} must be positive; an infusion needs a length, e.g. '40 min'")
    interval = _interval(every, count, length)
    amount = dose_amount(name, dose, weight, salt)
    target = drug(name).target(species, "iv")
    return Regimen((DoseEvent(time=hours(start, "start"), amt=amount, cmt=target, dur=length,
                              ii=interval if count > 1 else 0.0, addl=count - 1),))


def oral(
    name: str, *, dose: str, weight: str | None, start: str, every: str | None, count: int,
    salt: str | None, species: str,
) -> Regimen:
    """``count`` oral doses ``every`` apart (default once daily)."""
    count = _count(count)
    every = ORAL_INTERVAL if every is None else every
    _interval(every, count)
    per_dose = _per_administration(dose, every)
    return bolus(name, dose=per_dose, weight=weight, species=species, route="oral", salt=salt,
                 start=start, every=every if count > 1 else None, count=count)


def _placebo(
    *, dose: str | None, duration: str | None, weight: str | None, start: str, every: str | None, count: int,
    species: str,
) -> Regimen:
    """Check the options of a placebo protocol, then return the empty regimen it stands for."""
    _check_species(species)
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
        quantity(dose, "dose", _DOSE_DIMENSIONS + _RATE_DIMENSIONS + ("[length]**3", "[length]**3/[mass]"))
    return Regimen(())


# -- infusions --------------------------------------------------------------------------------------
def ketamine_iv(
    dose: str = "0.5 mg/kg", duration: str = "40 min", weight: str = "70 kg", *, start: str = "0 h",
    every: str | None = None, count: int = 1, salt: str | None = "hydrochloride", species: str = "human",
) -> Regimen:
    """Ketamine i.v. infusion(s) (zarate2006: 0.5 mg/kg of the hydrochloride over 40 min).

    With ``count=1`` it is :func:`trdlab.dosing.protocols.ketamine_iv`; ``count``/``every`` repeat it
    (e.g. six infusions over 12 days: ``count=6, every="2 d"`` with ``start`` on Monday).
    """
    return infusions("ketamine", dose=dose, duration=duration, weight=weight, start=start, every=every,
                     count=count, salt=salt, species=species)


def saline_iv(
    dose: str | None = None, duration: str = "40 min", weight: str = "70 kg", *, start: str = "0 h",
    every: str | None = None, count: int = 1, species: str = "human",
) -> Regimen:
    """Saline infusion, the inert placebo of zarate2006: the options are checked, no drug is given.

    ``dose`` may be a volume (``"50 mL"``) or ``None``; the result is always an empty regimen.
    """
    return _placebo(dose=dose, duration=duration, weight=weight, start=start, every=every, count=count,
                    species=species)


def midazolam_iv(
    dose: str = "0.045 mg/kg", duration: str = "40 min", weight: str = "70 kg", *, start: str = "0 h",
    every: str | None = None, count: int = 1, salt: str | None = None, species: str = "human",
) -> Regimen:
    """Midazolam i.v. infusion, the active placebo of murrough2013 (0.045 mg/kg over 40 min).

    Doses are of midazolam base (injections are labelled as base); readouts of the human model:
    ``midazolam_plasma_ngml`` and ``sedation`` (module ``midazolam_pk``).
    """
    return infusions("midazolam", dose=dose, duration=duration, weight=weight, start=start, every=every,
                     count=count, salt=salt, species=species)


def scopolamine_iv(
    dose: str = "4 ug/kg", duration: str = "15 min", weight: str = "70 kg", *, start: str = "0 h",
    every: str | None = None, count: int = 1, salt: str | None = "hydrobromide_trihydrate",
    species: str = "human",
) -> Regimen:
    """Scopolamine i.v. infusion (furey2006, drevets2010: 4 ug/kg of the hydrobromide over 15 min).

    The USP hydrobromide is the trihydrate (438.31 g/mol; base fraction 0.692). The trials gave
    three sessions 3-5 days apart: ``count=3, every="4 d"``.
    """
    return infusions("scopolamine", dose=dose, duration=duration, weight=weight, start=start, every=every,
                     count=count, salt=salt, species=species)


# -- daily oral drugs --------------------------------------------------------------------------------
def citalopram_oral(
    dose: str = "40 mg", weight: str | None = None, *, start: str = "0 h", every: str | None = None,
    count: int = 28, salt: str | None = None, species: str = "human",
) -> Regimen:
    """Oral citalopram, once daily (tablets labelled as base).

    Default 40 mg/day: STAR*D level 1 (trivedi2006) started at 20 mg/day and titrated to a mean exit
    dose of 41.8 mg/day; a fixed 40 mg/day stands for that titrated dose. ``count`` is the number of
    daily doses (98 = 14 weeks).
    """
    return oral("citalopram", dose=dose, weight=weight, start=start, every=every, count=count, salt=salt,
                species=species)


def placebo_oral(
    dose: str | None = None, weight: str | None = None, *, start: str = "0 h", every: str | None = None,
    count: int = 28, species: str = "human",
) -> Regimen:
    """Inert oral placebo (a pill a day): the options are checked, no drug is given."""
    return _placebo(dose=dose, duration=None, weight=weight, start=start,
                    every=ORAL_INTERVAL if every is None else every, count=count, species=species)


def lithium(
    dose: str = "900 mg", weight: str | None = None, *, start: str = "0 h", every: str | None = None,
    count: int = 28, salt: str | None = "carbonate", species: str = "human",
) -> Regimen:
    """Oral lithium carbonate once daily, as background (augmentation) treatment.

    Default 900 mg/day Li2CO3 = 24.4 mmol Li+/day: with the library's lithium clearance (1.41 L/h)
    the steady-state mean serum level is 24.4 mmol / (1.41 L/h x 24 h) = 0.72 mM, inside the usual
    0.6-1.0 mM target (grandjean2009).
    """
    return oral("lithium", dose=dose, weight=weight, start=start, every=every, count=count, salt=salt,
                species=species)


def valproate(
    dose: str = "1000 mg", weight: str | None = None, *, start: str = "0 h", every: str | None = None,
    count: int = 28, salt: str | None = None, species: str = "human",
) -> Regimen:
    """Oral valproate once daily (doses as valproic acid equivalents; default 1000 mg/day).

    Steady-state mean plasma level 1000 mg / (0.49 L/h x 24 h) = 85 ug/mL, inside the 50-100 ug/mL
    target (observable ``valproate_plasma_ugml``). Valproate has no mechanism link in the model yet:
    it is a background exposure only. Divided dosing: ``dose="1000 mg/day", every="12 h"``.
    """
    return oral("valproate", dose=dose, weight=weight, start=start, every=every, count=count, salt=salt,
                species=species)


def administrations(regimen: Regimen) -> list[tuple[float, float]]:
    """(time, amount) of every administration of a regimen, ``addl`` records expanded, in time order."""
    pairs = [
        (event.time + k * event.ii, event.amt)
        for event in regimen.events
        for k in range(event.addl + 1)
    ]
    return sorted(pairs)

