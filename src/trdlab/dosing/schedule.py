"""Expand a `Regimen` into the timeline of primitive actions the simulator applies.

Primitive actions: a bolus into a species, an infusion starting or stopping, a reset
of every species to its initial amount, and a steady-state initialisation. Actions
are ordered by time, then by record, then by the order a record generates them.
A reset (EVID 3/4, SS=1) cancels what earlier records still had pending (lagged
and additional doses, running infusions), as in NONMEM.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Callable

from trdlab.dosing.regimen import DoseEvent, Regimen


class Kind(Enum):
    RESET = 0
    STEADY_STATE = 1
    BOLUS = 2
    INFUSION_ON = 3
    INFUSION_OFF = 4


@dataclass(frozen=True)
class Action:
    """One primitive action at ``time``; ``record`` is the regimen row it came from."""

    time: float
    record: int
    order: int
    kind: Kind
    species: str = ""
    value: float = 0.0
    event: DoseEvent | None = None

    @property
    def sort_key(self) -> tuple[float, int, int]:
        return (self.time, self.record, self.order)


@dataclass(frozen=True)
class Schedule:
    """The expanded regimen: actions in order plus the species that receive infusions."""

    actions: tuple[Action, ...]
    infusion_targets: tuple[str, ...]


def expand(regimen: Regimen | None, resolve: Callable[[int | str], str]) -> Schedule:
    """Turn dose records into primitive actions.

    Args:
        regimen: the dose event table (``None``: no actions).
        resolve: maps a record's ``cmt`` to a species id (raises for unknown ones).
    """
    if regimen is None:
        return Schedule((), ())
    actions: list[Action] = []
    targets: set[str] = set()
    for record, event in enumerate(regimen.events):
        if event.evid in (0, 2):
            continue
        if event.evid in (3, 4) and event.ss != 1:
            actions.append(Action(event.time, record, 0, Kind.RESET))
        if event.evid == 3:
            continue
        species = resolve(event.cmt)
        if event.is_infusion:
            targets.add(species)
        order = 1
        if event.ss:
            actions.append(Action(event.time, record, order, Kind.STEADY_STATE, species, event=event))
            order += 1
            if event.is_infusion and not event.is_constant_infusion:
                order = _carried_infusions(actions, event, record, species, order)
            if event.is_constant_infusion:
                continue
        for k in range(event.addl + 1):
            start = event.time + event.lag + k * event.ii
            order = _dose(actions, event, record, species, start, order)
    actions = [replace(a, time=snap(a.time)) for a in actions]
    actions.sort(key=lambda a: a.sort_key)
    return Schedule(tuple(actions), tuple(sorted(targets)))


def snap(t: float) -> float:
    """Remove floating-point noise from a computed time (``0.412*100/4.12 -> 10``).

    Times within 1e-12 (relative) of a multiple of 1e-9 are moved onto it, so that an
    infusion ending at ``lag + k*ii`` coincides with the next dose instead of leaving a
    segment too short for the solver.
    """
    rounded = round(t, 9)
    return rounded if abs(t - rounded) <= 1e-12 * max(1.0, abs(t)) else t


def _dose(actions: list[Action], event: DoseEvent, record: int, species: str, start: float, order: int) -> int:
    if event.is_infusion:
        rate, duration = event.infusion()
        actions.append(Action(start, record, order, Kind.INFUSION_ON, species, rate))
        actions.append(Action(start + duration, record, order + 1, Kind.INFUSION_OFF, species, rate))
        return order + 2
    actions.append(Action(start, record, order, Kind.BOLUS, species, event.amt * event.f))
    return order + 1


def _carried_infusions(actions: list[Action], event: DoseEvent, record: int, species: str, order: int) -> int:
    """Stop events of the infusions of earlier steady-state doses still running at the record time.

    Earlier doses started at ``time + lag - k*ii`` (k >= 1); the steady-state action turns
    their rates on, these actions turn each off when it ends.
    """
    rate, duration = event.infusion()
    k = 1
    while True:
        start = event.time + event.lag - k * event.ii
        end = start + duration
        if end <= event.time:
            break
        actions.append(Action(end, record, order, Kind.INFUSION_OFF, species, rate))
        order += 1
        k += 1
    return order


def carried_rate(event: DoseEvent) -> float:
    """Total rate of earlier steady-state infusions still running at the record time."""
    if not event.is_infusion or event.is_constant_infusion:
        return 0.0
    rate, duration = event.infusion()
    count = 0
    k = 1
    while event.time + event.lag - k * event.ii + duration > event.time:
        count += 1
        k += 1
    return rate * count
