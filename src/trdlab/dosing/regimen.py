"""`Regimen`: a dose event table with NONMEM semantics.

Columns (case-insensitive in files), all in the model's units (time and amount):

======  =====================================================================
time    record time
amt     dose amount (before bioavailability)
cmt     dosing compartment: NONMEM number (1-based, the model's ``dosing`` order)
        or a species id
evid    0 observation (ignored here), 1 dose, 2 other, 3 reset, 4 reset and dose
rate    zero-order infusion rate (amount/time); 0 = bolus
dur     infusion duration (alternative to ``rate``)
ii      interdose interval for ``addl`` and ``ss``
addl    number of additional doses every ``ii`` after this one
ss      0 no steady state; 1 reset then steady state; 2 steady state added to the
        current state (superposition)
lag     absorption lag time: each dose of the record is given at ``time + lag``
f       bioavailability fraction applied to ``amt``
======  =====================================================================

With ``rate`` given, ``f`` changes the infusion duration (``amt*f/rate``); with ``dur``
given, it changes the rate (``amt*f/dur``), as in NONMEM. A record ``ss=1, amt=0,
rate>0, ii=0`` puts the system at the steady state of a constant infusion of that rate;
as NONMEM's help (SS dose event record) says, "the infusion terminates at the event
time of the SS dose record" (reference output: nmtests scenario 29).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from trdlab.errors import DoseError

COLUMNS = ("time", "amt", "cmt", "evid", "rate", "dur", "ii", "addl", "ss", "lag", "f")


@dataclass(frozen=True)
class DoseEvent:
    """One record of a dose event table (see the module docstring for the columns)."""

    time: float
    amt: float = 0.0
    cmt: int | str = 1
    evid: int = 1
    rate: float = 0.0
    dur: float = 0.0
    ii: float = 0.0
    addl: int = 0
    ss: int = 0
    lag: float = 0.0
    f: float = 1.0

    @property
    def is_dose(self) -> bool:
        return self.evid in (1, 4)

    @property
    def is_infusion(self) -> bool:
        return self.rate > 0 or self.dur > 0

    @property
    def is_constant_infusion(self) -> bool:
        return self.ss == 1 and self.amt == 0 and self.rate > 0 and self.ii == 0

    def infusion(self) -> tuple[float, float]:
        """(rate, duration) of this record's infusion after bioavailability."""
        amount = self.amt * self.f
        if self.rate > 0:
            return self.rate, amount / self.rate
        return amount / self.dur, self.dur


@dataclass(frozen=True)
class Regimen:
    """An immutable, validated dose event table.

    Build it from records, a DataFrame or a CSV file; combine regimens with ``+``.
    """

    events: tuple[DoseEvent, ...] = ()

    def __post_init__(self) -> None:
        for index, event in enumerate(self.events):
            _check_event(event, index)
        times = [event.time for event in self.events]
        for index in range(1, len(times)):
            if times[index] < times[index - 1]:
                raise DoseError(
                    f"regimen row {index}: time {times[index]:g} comes before the previous "
                    f"row's {times[index - 1]:g}; sort the event table by time"
                )

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, object]]) -> Regimen:
        """Build from mappings with the column names above (missing columns take defaults)."""
        return cls(tuple(_event_from_mapping(record, index) for index, record in enumerate(records)))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Regimen:
        """Build from a DataFrame whose columns are a subset of :data:`COLUMNS`."""
        renamed = frame.rename(columns={c: str(c).strip().lower() for c in frame.columns})
        unknown = [c for c in renamed.columns if c not in COLUMNS]
        if unknown:
            raise DoseError(
                f"event table has unknown column(s) {unknown}; allowed columns are "
                f"{', '.join(COLUMNS)}"
            )
        if "time" not in renamed.columns:
            raise DoseError("event table has no 'time' column; add the record times")
        records = renamed.to_dict(orient="records")
        return cls.from_records(records)

    @classmethod
    def from_csv(cls, path: str | Path) -> Regimen:
        """Read a CSV event table (header row with column names from :data:`COLUMNS`)."""
        path = Path(path)
        if not path.is_file():
            raise DoseError(f"regimen file {str(path)!r} does not exist; give the path of a CSV event table")
        try:
            frame = pd.read_csv(path, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DoseError(f"regimen file {str(path)!r} is not a readable CSV table ({exc})") from exc
        return cls.from_frame(frame)

    # -- views ----------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(e) for e in self.events], columns=list(COLUMNS))

    def to_records(self) -> list[dict[str, object]]:
        return [asdict(e) for e in self.events]

    def shifted(self, delta: float) -> Regimen:
        """The same regimen ``delta`` time units later."""
        return Regimen(tuple(replace(e, time=e.time + delta) for e in self.events))

    def __add__(self, other: Regimen) -> Regimen:
        merged = sorted(self.events + other.events, key=lambda e: e.time)
        return Regimen(tuple(merged))

    def __len__(self) -> int:
        return len(self.events)


_INT_FIELDS = {"evid", "addl", "ss"}


def _event_from_mapping(record: Mapping[str, object], index: int) -> DoseEvent:
    unknown = [k for k in record if str(k).lower() not in COLUMNS]
    if unknown:
        raise DoseError(
            f"regimen row {index}: unknown column(s) {unknown}; allowed columns are {', '.join(COLUMNS)}"
        )
    values: dict[str, object] = {}
    for name, raw in record.items():
        key = str(name).lower()
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            continue
        values[key] = _coerce(key, raw, index)
    if "time" not in values:
        raise DoseError(f"regimen row {index}: 'time' is missing; every record needs a time")
    return DoseEvent(**values)  # type: ignore[arg-type]


def _coerce(key: str, raw: object, index: int) -> object:
    if key == "cmt":
        text = str(raw).strip()
        try:
            number = float(text)
        except ValueError:
            if not text:
                raise DoseError(f"regimen row {index}: 'cmt' is empty; give a number or species id") from None
            return text
        if number != int(number):
            raise DoseError(f"regimen row {index}: cmt={text} is not a whole number; use 1, 2, ... or a species id")
        return int(number)
    if isinstance(raw, str) and raw.strip() == "" or isinstance(raw, bool):
        raise DoseError(f"regimen row {index}: '{key}' has no numeric value ({raw!r}); give a number")
    try:
        number = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DoseError(
            f"regimen row {index}: '{key}'={raw!r} is not a number; give a plain number in model units"
        ) from None
    if key in _INT_FIELDS:
        if number != int(number):
            raise DoseError(f"regimen row {index}: '{key}'={raw!r} must be a whole number")
        return int(number)
    return number


def _check_event(e: DoseEvent, index: int) -> None:
    def fail(field: str, problem: str, fix: str) -> DoseError:
        return DoseError(f"regimen row {index}: '{field}' {problem}; {fix}")

    for name in ("time", "amt", "rate", "dur", "ii", "lag", "f"):
        value = getattr(e, name)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise fail(name, f"is {value!r}, not a finite number", "give a finite number")
    for name in ("amt", "dur", "ii", "lag", "f"):
        if getattr(e, name) < 0:
            raise fail(name, f"is negative ({getattr(e, name):g})", "use a value >= 0")
    if e.rate < 0:
        raise fail(
            "rate", f"is {e.rate:g} (NONMEM modelled rate/duration)",
            "give the infusion rate or the duration ('dur') explicitly",
        )
    if e.evid not in (0, 1, 2, 3, 4):
        raise fail("evid", f"is {e.evid}", "use 0 (observation), 1 (dose), 2 (other), 3 (reset), 4 (reset and dose)")
    if e.ss not in (0, 1, 2):
        raise fail("ss", f"is {e.ss}", "use 0, 1 or 2")
    if e.addl < 0:
        raise fail("addl", f"is negative ({e.addl})", "use 0 or more additional doses")
    if isinstance(e.cmt, int) and e.cmt < 1:
        raise fail("cmt", f"is {e.cmt}", "compartment numbers start at 1 (or give a species id)")
    if not e.is_dose:
        return
    if e.rate > 0 and e.dur > 0:
        raise fail("dur", "is given together with 'rate'", "give either the rate or the duration, not both")
    if e.addl > 0 and e.ii <= 0:
        raise fail("ii", f"is {e.ii:g} with addl={e.addl}", "additional doses need an interdose interval ii > 0")
    if e.ss and not e.is_constant_infusion:
        if e.ii <= 0:
            raise fail("ii", f"is {e.ii:g} with ss={e.ss}", "steady state needs ii > 0 (or amt=0, rate>0, ii=0 for a constant infusion)")
        if e.lag >= e.ii:
            raise fail("lag", f"({e.lag:g}) is not shorter than ii ({e.ii:g}) at steady state", "use lag < ii")
    if e.ss == 2 and e.is_constant_infusion:
        raise fail("ss", "is 2 for a constant infusion", "use ss=1 for a constant infusion at steady state")
    if e.amt <= 0 and not e.is_constant_infusion:
        raise fail("amt", f"is {e.amt:g} on a dose record (evid={e.evid})", "give a positive dose amount")
    if e.is_constant_infusion and e.addl:
        raise fail("addl", "is set on a constant infusion", "drop addl; a constant infusion never stops")


def event_fields() -> tuple[str, ...]:
    """Names of the dose event fields (for documentation and CLI help)."""
    return tuple(f.name for f in fields(DoseEvent))
