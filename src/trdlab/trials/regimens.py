"""From a trial design's regimen entries to one subject's :class:`Regimen` (model units, hours).

Each entry is built by its clinical protocol (:data:`trdlab.dosing.catalog.PROTOCOLS`) for the
subject's body weight, at its ``at`` time, and the arm's regimen is shifted to the period start.
Background therapy (the design's ``background`` and/or the subject's own ``background_therapy``)
runs once daily from ``start_h`` until ``end_h``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

from trdlab.dosing.catalog import PROTOCOL_INFO, PROTOCOLS
from trdlab.dosing.constructors import ORAL_INTERVAL
from trdlab.dosing.constructors import hours
from trdlab.dosing.regimen import Regimen
from trdlab.errors import DoseError, TrialError
from trdlab.trials.design import Arm, RegimenEntry, TrialDesign

NO_THERAPY = ("", "none")
"""Values of a subject's ``background_therapy`` meaning no background drug."""


def _weight(weight_kg: float) -> str:
    if isinstance(weight_kg, bool) or not isinstance(weight_kg, (int, float)) or not math.isfinite(weight_kg) \
            or weight_kg <= 0:
        raise DoseError(f"weight_kg={weight_kg!r} must be a positive, finite body weight in kg")
    return f"{float(weight_kg)!r} kg"


def entry_regimen(entry: RegimenEntry, *, weight_kg: float, species: str = "human") -> Regimen:
    """One regimen entry as a :class:`Regimen`, its first dose at ``entry.at`` (hours from 0)."""
    options: dict[str, object] = {"weight": _weight(weight_kg), "start": entry.at, "count": entry.count,
                                  "species": species}
    for key in ("dose", "duration", "every"):
        value = getattr(entry, key)
        if value is not None:
            options[key] = value
    return PROTOCOLS[entry.protocol](**options)


def arm_regimen(arm: Arm, *, weight_kg: float, offset_h: float = 0.0, species: str = "human") -> Regimen:
    """Every entry of ``arm`` for a subject of ``weight_kg``, shifted by ``offset_h`` (the period start).

    Placebo entries (``saline_iv``, ``placebo_oral``) contribute no events.
    """
    regimen = Regimen(())
    for entry in arm.regimen:
        regimen = regimen + entry_regimen(entry, weight_kg=weight_kg, species=species)
    return regimen.shifted(float(offset_h))


def sequence_regimen(design: TrialDesign, arms: Sequence[str], *, weight_kg: float, offset_h: float = 0.0) -> Regimen:
    """A subject's regimens over the periods: ``arms[k]`` in period ``k`` (crossover: two names)."""
    starts = design.period_starts_hours
    if len(arms) != len(starts):
        raise TrialError(f"arms={list(arms)!r}: design {design.name!r} has {len(starts)} period(s); "
                         f"give one arm name per period")
    regimen = Regimen(())
    for name, start in zip(arms, starts):
        regimen = regimen + arm_regimen(design.arm(name), weight_kg=weight_kg, offset_h=offset_h + start)
    return regimen


def background_regimen(
    design: TrialDesign, *, weight_kg: float, start_h: float, end_h: float, therapy: str | None = None,
) -> Regimen:
    """Background drugs dosed from ``start_h`` (first dose) until before ``end_h``.

    Two sources, both optional: the design's ``background`` entry (every subject) and the subject's own
    ``therapy`` (a population covariate: ``"none"`` or the name of a background protocol, e.g.
    ``"lithium"``, dosed at its protocol defaults). The same protocol from both is dosed once (the
    design's entry wins). An oral background without ``every`` is dosed once daily; the number of
    administrations is what covers the window (the entry's ``count`` is ignored).
    """
    entries: list[RegimenEntry] = [design.background] if design.background is not None else []
    if therapy is not None and therapy.strip().lower() not in NO_THERAPY:
        if PROTOCOL_INFO.get(therapy) is None or PROTOCOL_INFO[therapy].role != "background":
            known = [name for name, info in PROTOCOL_INFO.items() if info.role == "background"]
            raise TrialError(f"background_therapy={therapy!r} is not a background protocol; use 'none' or one "
                             f"of {', '.join(known)}")
        if not any(entry.protocol == therapy for entry in entries):
            entries.append(RegimenEntry(protocol=therapy))
    regimen = Regimen(())
    for entry in entries:
        every = entry.every if entry.every is not None else ORAL_INTERVAL
        if entry.every is None and PROTOCOL_INFO[entry.protocol].route != "oral":
            raise TrialError(f"background: protocol {entry.protocol!r} is not oral; give every, e.g. every = \"7 d\"")
        first = float(start_h) + entry.at_hours
        count = doses_to_cover(first, float(end_h), hours(every, "every"))
        covering = replace(entry, at="0 h", every=every, count=count)
        regimen = regimen + entry_regimen(covering, weight_kg=weight_kg).shifted(first)
    return regimen


def doses_to_cover(start_h: float, end_h: float, every_h: float) -> int:
    """Administrations ``every_h`` apart from ``start_h`` that fall before ``end_h`` (at least one)."""
    if not (math.isfinite(start_h) and math.isfinite(end_h)) or end_h <= start_h:
        raise DoseError(f"end_h={end_h!r} must come after start_h={start_h!r}")
    if not every_h > 0:
        raise DoseError(f"every={every_h!r} h must be positive")
    return max(1, math.ceil((end_h - start_h) / every_h - 1e-9))


def design_compounds(design: TrialDesign) -> tuple[str, ...]:
    """The generated catalogue compounds a design doses (the human model composes them in)."""
    from trdlab.compounds.catalogue import catalogue

    entries = [e for arm in design.arms for e in arm.regimen]
    entries += [design.background] if design.background is not None else []
    names = [PROTOCOL_INFO[e.protocol].drug for e in entries]
    known = catalogue()
    return tuple(sorted({n for n in names if n is not None and n in known and known[n].generated}))
