"""The trial design as a value: frozen dataclasses holding each time once, as written.

Times (``visits``, ``at``, ``every``, ``duration``, ``washout``, ``relapse_followup``) and the
dropout ``rate`` are stored once, as the text of the file (``"40 min"``), and their hours are
derived properties (:func:`hours`, parsed with pint once per text), so a copy made with
:func:`dataclasses.replace` can never hold a time and hours that disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from trdlab.clinical.scales import load_scale
from trdlab.dosing.catalog import PROTOCOL_INFO
from trdlab.dosing.constructors import ORAL_INTERVAL
from trdlab.errors import TrialError
from trdlab.biomarkers.measure import Sampling
from trdlab.model.units import parse

Kind = Literal["parallel", "crossover"]


@cache
def hours(time: str) -> float:
    """Hours of a time written with a unit (``"40 min"`` -> 0.667); parsed once per text."""
    return float(parse(time).to("hour").magnitude)


@cache
def per_day(rate: str) -> float:
    """A rate written with a unit (``"0.07 /week"``) in 1/day; parsed once per text."""
    return float(parse(rate).to("1/day").magnitude)


@dataclass(frozen=True)
class RegimenEntry:
    """One line of an arm's regimen: a clinical protocol and its options, as written in the file."""

    protocol: str
    dose: str | None = None
    duration: str | None = None
    at: str = "0 h"
    every: str | None = None
    count: int = 1

    @property
    def at_hours(self) -> float:
        """First dose, hours from the period start."""
        return hours(self.at)

    @property
    def every_hours(self) -> float | None:
        """Interval between administrations in hours (an oral protocol's default when not given)."""
        if self.every is not None:
            return hours(self.every)
        return hours(ORAL_INTERVAL) if PROTOCOL_INFO[self.protocol].route == "oral" else None

    @property
    def duration_hours(self) -> float | None:
        """Infusion duration in hours, or None (the protocol's default)."""
        return hours(self.duration) if self.duration is not None else None

    @property
    def last_dose_hours(self) -> float:
        """Start of the last administration, hours from the period start."""
        return self.at_hours + (self.count - 1) * (self.every_hours or 0.0)

    def to_dict(self) -> dict[str, object]:
        """The entry as written in TOML."""
        out: dict[str, object] = {"protocol": self.protocol}
        out.update({k: getattr(self, k) for k in ("dose", "duration", "at", "every") if getattr(self, k) is not None})
        out["count"] = self.count
        return out


@dataclass(frozen=True)
class Arm:
    """A treatment arm: name, allocation weight, placebo flag and regimen entries."""

    name: str
    allocation: float
    placebo: bool
    regimen: tuple[RegimenEntry, ...]

    @property
    def first_dose_hours(self) -> float:
        """Earliest first dose of the arm, hours from the period start."""
        return min(entry.at_hours for entry in self.regimen)

    @property
    def last_dose_hours(self) -> float:
        """Latest administration of the arm, hours from the period start."""
        return max(entry.last_dose_hours for entry in self.regimen)

    def to_dict(self) -> dict[str, object]:
        """The arm as written in TOML."""
        return {"name": self.name, "allocation": self.allocation, "placebo": self.placebo,
                "regimen": [entry.to_dict() for entry in self.regimen]}


@dataclass(frozen=True)
class Dropout:
    """Loss to follow-up: a constant hazard ``rate`` (e.g. ``"0.01 /d"``) or a ``fraction`` of subjects
    lost by the last visit (converted to the constant hazard ``-ln(1 - fraction) / duration``)."""

    rate: str | None = None
    fraction: float | None = None

    @property
    def rate_per_day(self) -> float | None:
        """The ``rate`` in 1/day (None for a ``fraction``)."""
        return per_day(self.rate) if self.rate is not None else None

    def to_dict(self) -> dict[str, object]:
        """The dropout table as written in TOML."""
        return {"rate": self.rate} if self.rate is not None else {"fraction": self.fraction}


@dataclass(frozen=True)
class TrialDesign:
    """A validated trial design; build it with :func:`load_design` or :func:`design_from_mapping`.

    ``reference`` is a key of ``library/references.bib`` (required for the built-in designs);
    ``citation`` is free text for a work outside the package's bibliography (a user's design
    may give either, both or none).
    """

    name: str
    title: str
    design: Kind
    population: str
    n: int
    scale: str
    visits: tuple[str, ...]
    arms: tuple[Arm, ...]
    reference: str | None = None
    citation: str | None = None
    response: float = 0.5
    remission: float | None = None
    inclusion: float | None = None
    washout: str | None = None
    background: RegimenEntry | None = None
    dropout: Dropout | None = None
    relapse_followup: str | None = None
    allow_predose_visits: bool = False
    notes: str | None = None
    biomarkers: tuple[Sampling, ...] = ()
    """Biomarkers read from every subject, with their sampling times (:mod:`trdlab.biomarkers`)."""
    source: str = field(default="<mapping>", compare=False)

    @property
    def visit_hours(self) -> tuple[float, ...]:
        """The visits in hours from the first dose of each period."""
        return tuple(hours(v) for v in self.visits)

    @property
    def washout_hours(self) -> float | None:
        """The washout in hours (None without one)."""
        return hours(self.washout) if self.washout is not None else None

    @property
    def relapse_followup_hours(self) -> float | None:
        """The relapse follow-up in hours (None without one)."""
        return hours(self.relapse_followup) if self.relapse_followup is not None else None

    @property
    def periods(self) -> int:
        """Number of treatment periods (2 for a crossover)."""
        return 2 if self.design == "crossover" else 1

    @property
    def period_starts_hours(self) -> tuple[float, ...]:
        """First dose of each period, hours from the first period's: a period ends at its last visit,
        the next starts ``washout`` later."""
        length = max(self.visit_hours) + (self.washout_hours or 0.0)
        return tuple(k * length for k in range(self.periods))

    @property
    def duration_hours(self) -> float:
        """First dose to the last visit of the last period."""
        return self.period_starts_hours[-1] + max(self.visit_hours)

    @property
    def dropout_per_day(self) -> float | None:
        """Constant dropout hazard (1/day), or None without dropout."""
        if self.dropout is None:
            return None
        if self.dropout.rate_per_day is not None:
            return self.dropout.rate_per_day
        fraction = float(self.dropout.fraction or 0.0)
        return -math.log1p(-fraction) / (self.duration_hours / 24.0)

    def arm(self, name: str) -> Arm:
        """The arm called ``name``."""
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise TrialError(f"arms: no arm {name!r} in design {self.name!r}; arms are {[a.name for a in self.arms]}")

    @property
    def remission_threshold(self) -> float:
        """``remission``, or the scale's conventional threshold when the design gives none."""
        return self.remission if self.remission is not None else load_scale(self.scale).remission

    def to_dict(self) -> dict[str, object]:
        """The design as the TOML mapping it came from (``design_from_mapping`` of it is equal)."""
        out: dict[str, object] = {
            "name": self.name, "title": self.title, "design": self.design,
            "population": self.population, "n": self.n, "scale": self.scale, "visits": list(self.visits),
            "response": self.response, "allow_predose_visits": self.allow_predose_visits,
        }
        optional = {"reference": self.reference, "citation": self.citation, "remission": self.remission,
                    "inclusion": self.inclusion, "washout": self.washout,
                    "relapse_followup": self.relapse_followup, "notes": self.notes}
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.background is not None:
            out["background"] = self.background.to_dict()
        if self.dropout is not None:
            out["dropout"] = self.dropout.to_dict()
        out["arms"] = [arm.to_dict() for arm in self.arms]
        if self.biomarkers:
            out["biomarkers"] = [b.to_dict() for b in self.biomarkers]
        return out
