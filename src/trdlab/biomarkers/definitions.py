"""The biomarker library (``library/biomarkers.toml``) as values: measurement models and the sleep model.

Each :class:`Biomarker` says what the instrument reads from the human model (``kind``, ``signal``),
when it can be sampled and how noisy a reading is; :class:`SleepModel` holds the two-process
parameters the sleep features are computed with; :class:`Clock` the clock times of the first
dose and of the nights. The file is checked at its boundary (pydantic): every problem of every
row is listed at once, each row's values need a unit and a source (or ``assumed``).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field, ValidationError, model_validator

from trdlab.errors import TrdlabError
from trdlab.model.units import parse
from trdlab.schema import Strict

LIBRARY_FILE = Path(__file__).resolve().parents[1] / "library" / "biomarkers.toml"

Kind = Literal["model", "absolute", "sleep", "covariate", "rating"]
Sampling = Literal["any", "night", "trait"]


class BiomarkerError(TrdlabError, ValueError):
    """A biomarker file, name or sampling time is wrong (the message names the field and the fix)."""


def _sleep_feature(name: str) -> str:
    from trdlab.biomarkers.sleep import FEATURES

    if name not in FEATURES:
        raise ValueError(f"{name!r} is not a night feature of the sleep model; use one of {', '.join(FEATURES)}")
    return name


class ValueFile(Strict):
    """``{ value, unit, source + derivation | assumed }``."""

    value: Annotated[float, Field(allow_inf_nan=False)]
    unit: str = "dimensionless"
    source: str | None = None
    derivation: str | None = None
    assumed: str | None = None

    @model_validator(mode="after")
    def _provenance(self) -> ValueFile:
        if not self.assumed and not (self.source and self.derivation):
            raise ValueError("needs source + derivation, or assumed = \"reason\"")
        parse(self.unit)
        return self


class BiomarkerFile(Strict):
    """One ``[<id>]`` table."""

    title: str
    instrument: str
    kind: Kind
    unit: str
    sampling: Sampling
    signal: dict[str, float] = {}
    typical: ValueFile | None = None
    between_subject_cv: ValueFile | None = None
    measurement_cv: ValueFile | None = None
    feature: Annotated[str, AfterValidator(_sleep_feature)] | None = None
    covariate: str | None = None
    codes: dict[str, float] = {}
    column: str | None = None
    derivation_signal: str | None = None

    @model_validator(mode="after")
    def _by_kind(self) -> BiomarkerFile:
        need = {"model": ("signal", "typical"), "absolute": ("signal",), "sleep": ("signal", "feature"),
                "covariate": ("covariate", "codes"), "rating": ("column",)}[self.kind]
        missing = [k for k in need if not getattr(self, k)]
        if missing:
            raise ValueError(f"kind = {self.kind!r} needs {', '.join(missing)}")
        if self.kind == "absolute" and (len(self.signal) != 1 or next(iter(self.signal.values())) != 1):
            raise ValueError("kind = 'absolute' reads one observable as is: signal = { <observable> = 1.0 }")
        for name in ("between_subject_cv", "measurement_cv"):
            value = getattr(self, name)
            if value is not None and value.value < 0:
                raise ValueError(f"{name} = {value.value}: a coefficient of variation is >= 0")
        parse(self.unit)
        return self


class ClockFile(Strict):
    first_dose: ValueFile
    sleep_onset: ValueFile
    time_in_bed: ValueFile


class SleepFile(Strict):
    tau_rise: ValueFile
    tau_decay: ValueFile
    cycle: ValueFile
    nrem_fraction: ValueFile
    floor: ValueFile
    swa_healthy: ValueFile
    n3_threshold: ValueFile
    epoch_cv: ValueFile


@dataclass(frozen=True)
class Clock:
    """Clock hours (0-24) of the first dose and of sleep onset, and the time in bed (h)."""

    first_dose_h: float
    sleep_onset_h: float
    time_in_bed_h: float

    def night_onset(self, night: int) -> float:
        """Hours from the first dose to sleep onset of ``night`` (0: the night before the first dose)."""
        return (self.sleep_onset_h - self.first_dose_h) % 24.0 + 24.0 * (night - 1)


@dataclass(frozen=True)
class SleepModel:
    """Two-process parameters (hours; SWA in uV^2; see the [sleep] table)."""

    tau_rise_h: float
    tau_decay_h: float
    cycle_h: float
    nrem_fraction: float
    floor: float
    swa_healthy: float
    n3_threshold: float
    epoch_cv: float


@dataclass(frozen=True)
class Biomarker:
    """One biomarker: what is read (``kind``/``signal``/...), when, in which unit, how noisy."""

    id: str
    title: str
    instrument: str
    kind: Kind
    unit: str
    sampling: Sampling
    signal: tuple[tuple[str, float], ...] = ()
    typical: float = 1.0
    typical_unit: str = "dimensionless"
    between_subject_cv: float = 0.0
    measurement_cv: float = 0.0
    feature: str | None = None
    covariate: str | None = None
    codes: tuple[tuple[str, float], ...] = ()
    column: str | None = None

    @property
    def observables(self) -> tuple[str, ...]:
        """Model observables the reading needs."""
        return tuple(name for name, _ in self.signal)


@dataclass(frozen=True)
class BiomarkerLibrary:
    """Every biomarker, the clock and the sleep model."""

    biomarkers: dict[str, Biomarker]
    clock: Clock
    sleep: SleepModel

    def get(self, name: str) -> Biomarker:
        """The biomarker ``name``; raises with the known names."""
        try:
            return self.biomarkers[name]
        except KeyError:
            raise BiomarkerError(f"unknown biomarker {name!r}; known: {', '.join(self.biomarkers)} "
                                 "(library/biomarkers.toml)") from None


def _hours(value: ValueFile, where: str, problems: list[str]) -> float:
    """The value in hours; a problem (and NaN) when its unit is not a time."""
    try:
        return float(parse(value.unit).to("hour").magnitude * value.value)
    except Exception:  # noqa: BLE001 - pint's dimensionality error
        problems.append(f"{where}: unit {value.unit!r} is not a time; write e.g. unit = \"h\" or \"min\"")
        return float("nan")


def _problems(exc: ValidationError, where: str) -> list[str]:
    return [f"{where}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else f"{where}: {e['msg']}"
            for e in exc.errors(include_url=False)]


def parse_library(data: dict[str, object], file: str = "biomarkers.toml") -> BiomarkerLibrary:
    """Check and convert the parsed file; raises :class:`BiomarkerError` listing every problem."""
    problems: list[str] = []
    clock = sleep = None
    try:
        clock = ClockFile.model_validate(data.get("clock"))
    except ValidationError as exc:
        problems += _problems(exc, f"{file}: [clock]")
    try:
        sleep = SleepFile.model_validate(data.get("sleep"))
    except ValidationError as exc:
        problems += _problems(exc, f"{file}: [sleep]")
    rows: dict[str, BiomarkerFile] = {}
    for name, row in data.items():
        if name in ("clock", "sleep"):
            continue
        try:
            rows[name] = BiomarkerFile.model_validate(row)
        except ValidationError as exc:
            problems += _problems(exc, f"{file}: [{name}]")
    if problems:
        raise BiomarkerError("\n".join(problems))
    assert clock is not None and sleep is not None
    times = {name: _hours(getattr(clock, name), f"{file}: [clock].{name}", problems)
             for name in ("first_dose", "sleep_onset", "time_in_bed")}
    times.update({name: _hours(getattr(sleep, name), f"{file}: [sleep].{name}", problems)
                  for name in ("tau_rise", "tau_decay", "cycle")})
    for name in ("first_dose", "sleep_onset"):
        if np.isfinite(times[name]) and not 0 <= times[name] < 24:
            problems.append(f"{file}: [clock].{name}: {times[name]:g} h is not a clock time; give 0 <= hours < 24")
    if np.isfinite(times["time_in_bed"]) and not 0 < times["time_in_bed"] < 24:
        problems.append(f"{file}: [clock].time_in_bed: {times['time_in_bed']:g} h must lie between 0 and 24 h")
    if problems:
        raise BiomarkerError("\n".join(problems))
    biomarkers = {}
    for name, row in rows.items():
        biomarkers[name] = Biomarker(
            name, row.title, row.instrument, row.kind, row.unit, row.sampling, tuple(row.signal.items()),
            row.typical.value if row.typical else 1.0, row.typical.unit if row.typical else "dimensionless",
            row.between_subject_cv.value if row.between_subject_cv else 0.0,
            row.measurement_cv.value if row.measurement_cv else 0.0,
            row.feature, row.covariate, tuple(row.codes.items()), row.column)
    return BiomarkerLibrary(
        biomarkers,
        Clock(times["first_dose"], times["sleep_onset"], times["time_in_bed"]),
        SleepModel(times["tau_rise"], times["tau_decay"], times["cycle"], sleep.nrem_fraction.value,
                   sleep.floor.value, sleep.swa_healthy.value, sleep.n3_threshold.value, sleep.epoch_cv.value))


@functools.cache
def load_library(path: Path = LIBRARY_FILE) -> BiomarkerLibrary:
    """The packaged biomarker library (read once per process)."""
    return parse_library(tomllib.loads(path.read_text(encoding="utf-8")), path.name)
