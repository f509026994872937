"""The design file's schema (pydantic v2): the keys, their types and each field's own checks.

Checks that relate fields to each other or to the library (the population, the reference, a
threshold against the scale, visits against doses) are in :mod:`trdlab.trials.design.checks`.
Times are :data:`trdlab.schema.Duration` (text with a unit, parsed once with pint); an unknown
key is a named error (the schemas forbid extra keys).
"""

from __future__ import annotations

import math
from difflib import get_close_matches
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, model_validator

from trdlab.clinical.scales import scale_names
from trdlab.dosing.catalog import CLINICAL_PROTOCOLS, PROTOCOLS
from trdlab.errors import TrdlabError
from trdlab.model.units import parse
from trdlab.schema import Dose, Duration, DurationValue, Strict
from trdlab.trials.design.model import Arm, Dropout, RegimenEntry, TrialDesign


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError(f"{value!r} must be a non-empty string")
    return value


def _positive_time(value: DurationValue) -> DurationValue:
    if value.hours == 0:
        raise ValueError(f"{value.text!r} must be positive and finite")
    return value


def _protocol(name: str) -> str:
    if name not in CLINICAL_PROTOCOLS:
        why = "not a clinical (i.v./oral) protocol:" if name in PROTOCOLS else "unknown protocol"
        close = get_close_matches(name, CLINICAL_PROTOCOLS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"{why} {name!r}; {hint}known: {', '.join(CLINICAL_PROTOCOLS)}")
    return name


def _scale(name: str) -> str:
    if name not in scale_names():
        raise ValueError(f"unknown scale {name!r}; use one of {', '.join(scale_names())}")
    return name


def _whole(what: str, minimum: int) -> AfterValidator:
    def check(value: int) -> int:
        if value < minimum:
            raise ValueError(f"{value!r} must be {what}")
        return value
    return AfterValidator(check)


def _finite(low: float, high: float, message: str, *, open_low: bool = True, open_high: bool = True) -> AfterValidator:
    def check(value: float) -> float:
        above = value > low if open_low else value >= low
        below = value < high if open_high else value <= high
        if not (math.isfinite(value) and above and below):
            raise ValueError(f"{value!r} {message}")
        return value
    return AfterValidator(check)


def _not_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return value


def _rate(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} must be a rate per time >= 0, e.g. \"0.01 /d\"")
    try:
        quantity = parse(value)
    except TrdlabError as exc:
        raise ValueError(str(exc)) from None
    if not quantity.check("1/[time]") or not quantity.magnitude >= 0:
        raise ValueError(f"{value!r} must be a rate per time >= 0, e.g. \"0.01 /d\"")
    return value


def _increasing(visits: list[DurationValue]) -> list[DurationValue]:
    for before, after in zip(visits, visits[1:]):
        if after.hours <= before.hours:
            raise ValueError(f"{after.text!r} does not come after {before.text!r}; list visits in increasing time "
                             "order, each once")
    return visits


Text = Annotated[str, AfterValidator(_non_empty)]
PositiveDuration = Annotated[Duration, AfterValidator(_positive_time)]
Number = Annotated[float, BeforeValidator(_not_bool)]


class EntryFile(Strict):
    """``{ protocol = "...", dose = "...", duration = "...", at = "...", every = "...", count = n }``."""

    protocol: Annotated[str, AfterValidator(_protocol)]
    dose: Dose | None = None
    duration: PositiveDuration | None = None
    at: Duration = Field(default="0 h", validate_default=True)
    every: PositiveDuration | None = None
    count: Annotated[StrictInt, _whole("a whole number >= 1 of administrations", 1)] = 1

    def value(self) -> RegimenEntry:
        """The entry as the design's value (times kept as written)."""
        return RegimenEntry(self.protocol, *(None if v is None else str(v) for v in (self.dose, self.duration)),
                            str(self.at), None if self.every is None else str(self.every), self.count)


class DropoutFile(Strict):
    """``{ rate = "0.01 /d" }`` or ``{ fraction = 0.1 }``."""

    rate: Annotated[str, BeforeValidator(_rate)] | None = None
    fraction: Annotated[Number, _finite(0, 1, "must be a fraction in [0, 1)", open_low=False)] | None = None

    @model_validator(mode="after")
    def _one(self) -> DropoutFile:
        if (self.rate is None) == (self.fraction is None):
            raise ValueError("give exactly one of rate = \"0.01 /d\" or fraction = 0.1")
        return self


class SamplingFile(Strict):
    """One ``[[biomarkers]]`` line: ``{ biomarker = "plasma_bdnf", at = ["baseline", "240 min"] }``."""

    biomarker: Text
    at: Annotated[list[Text], Field(min_length=1)] = ["baseline"]

    @model_validator(mode="after")
    def _known(self) -> SamplingFile:
        from trdlab.biomarkers.measure import Sampling, check_sampling

        problems = check_sampling(Sampling(self.biomarker, tuple(self.at)))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def value(self) -> Sampling:
        """The line as the design's value."""
        from trdlab.biomarkers.measure import Sampling

        return Sampling(self.biomarker, tuple(self.at))


class ArmFile(Strict):
    """One ``[[arms]]`` table."""

    name: Text
    allocation: Annotated[Number, _finite(0, math.inf, "must be a relative weight > 0")] = 1.0
    placebo: StrictBool = False
    regimen: list[EntryFile] = Field(min_length=1)

    def value(self) -> Arm:
        """The arm as the design's value."""
        return Arm(self.name, self.allocation, self.placebo, tuple(e.value() for e in self.regimen))


class DesignFile(Strict):
    """The top level of a design file (see :mod:`trdlab.trials.design`)."""

    name: Text
    title: Text
    reference: Text | None = None
    citation: Text | None = None
    design: Literal["parallel", "crossover"]
    washout: Duration | None = None
    population: Text
    n: Annotated[StrictInt, _whole("a positive whole number of subjects", 1)]
    scale: Annotated[str, AfterValidator(_scale)]
    visits: Annotated[list[Duration], Field(min_length=1), AfterValidator(_increasing)]
    response: Annotated[Number, _finite(0, 1, "must be a fraction between 0 and 1 (0.5 = 50 % reduction)")] = 0.5
    remission: Annotated[Number, _finite(0, math.inf, "must be a total score >= 0 on the scale",
                                         open_low=False)] | None = None
    inclusion: Annotated[Number, _finite(0, math.inf, "must be a total score >= 0 on the scale",
                                         open_low=False)] | None = None
    allow_predose_visits: StrictBool = False
    background: EntryFile | None = None
    dropout: DropoutFile | None = None
    relapse_followup: PositiveDuration | None = None
    notes: str | None = None
    arms: list[ArmFile] = Field(min_length=1)
    biomarkers: list[SamplingFile] = []

    def value(self, source: str, population: str) -> TrialDesign:
        """The design as a value; ``population`` as resolved (a name, or an absolute file path)."""
        text = lambda v: None if v is None else str(v)  # noqa: E731
        return TrialDesign(
            name=self.name, title=self.title, design=self.design, population=population, n=self.n,
            scale=self.scale, visits=tuple(str(v) for v in self.visits), arms=tuple(a.value() for a in self.arms),
            reference=self.reference, citation=self.citation, response=self.response, remission=self.remission,
            inclusion=self.inclusion, washout=text(self.washout),
            background=self.background.value() if self.background is not None else None,
            dropout=Dropout(self.dropout.rate, self.dropout.fraction) if self.dropout is not None else None,
            relapse_followup=text(self.relapse_followup), allow_predose_visits=self.allow_predose_visits,
            notes=self.notes, biomarkers=tuple(b.value() for b in self.biomarkers), source=source)


KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "design": tuple(DesignFile.model_fields), "arm": tuple(ArmFile.model_fields),
    "entry": tuple(EntryFile.model_fields), "dropout": tuple(DropoutFile.model_fields),
    "biomarkers": tuple(SamplingFile.model_fields),
}
"""The keys of each table of a design file."""
