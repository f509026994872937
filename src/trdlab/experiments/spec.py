"""Experiments of the claims ledger as data: the TOML schema, its dataclasses and loading.

An experiment tests one claim of ``ledger.toml`` on the model's own simulation. The packaged
experiments live in ``experiments/library/*.toml`` (one file per ledger section, e.g.
``preclinical.toml``); any folder of such files loads with
:func:`trdlab.experiments.loading.load_experiments`::

    [[experiment]]
    id = "P01"                # a ledger id; one experiment per claim
    title = "Ketamine rapidly activates mTOR in PFC"
    species = "rat"           # human | rat | mouse: the model that is built
    citation = "li2010"       # a key of library/references.bib
    # kind = "prediction"     # only for claims without an expectation; calibration is derived
    until = "26 h"            # simulation horizon (pint text); times are relative to t = 0
    step = "5 min"            # output grid
    figure = { observables = ["p_mtor_pfc"], until = "4 h" }   # optional; default: the checks' observables

    [[experiment.arm]]
    name = "vehicle"          # an arm without doses is a control
    [[experiment.arm]]
    name = "ketamine"
    genotype = "val/met"      # optional: parameter overrides from library/genotypes.toml
    parameters = { }          # optional extra overrides by model id (applied after the genotype's)
    doses = [ { protocol = "ketamine_ip", dose = "10 mg/kg", weight = "0.3 kg", at = "0 h" } ]

    [[experiment.check]]      # every check must hold for the experiment to pass
    observable = "p_mtor_pfc"
    arm = "ketamine"
    reference = "vehicle"     # readout: ratio arm / reference at the same time
    at = "45 min"             # or window = ["30 min", "60 min"] with stat = "max" | "mean" | "min"
    expect = "up"             # up | down | unchanged | between | greater_than_arm | less_than_arm
    min_effect = 0.10         # up/down: |ratio - 1| >= min_effect; comparisons: effect difference
    # max_change = 0.05       # unchanged: |ratio - 1| < max_change
    # low = 1.5, high = 3.0   # between: low <= ratio <= high
    # other_arm, other_reference: greater_than_arm / less_than_arm compare the effect
    #   (ratio - 1) of arm vs reference with that of other_arm vs other_reference
    # label = "..."           # optional name of the measured value (default built from the fields)

A dose is ``{protocol = NAME, <options of catalog.PROTOCOLS[NAME]>, at}`` or a generic
``{drug, route, dose, at, [weight], [salt], [duration], [every, count]}`` built with
:func:`trdlab.dosing.constructors.bolus` (or ``infusion`` when ``duration`` is given). ``at``
shifts the dose and may be negative (pretreatment): every arm of the experiment is then
simulated from the earliest dose time of any arm, so all arms share one start and one grid,
and reported times stay relative to t = 0 (the main dose).

``genotypes.toml`` (in the model library folder) maps a genotype name to a table with
``parameters = { model_id = value, ... }`` (and free ``description``/``source`` keys).
The file's structure (keys, types, choices, times with units) is a pydantic v2 schema
(:mod:`trdlab.experiments.file_schema`): every structural problem of an experiment is listed at
once. Check ``readout`` kinds other than ``ratio`` (``nca``, ``trial``) and trial experiments
(``[[experiment.cohort]]``) are documented in :mod:`trdlab.experiments.readouts`. Whether an
experiment or a check is calibration is derived (:mod:`trdlab.experiments.provenance`); a file
writes only ``kind = "prediction"`` where there is no expectation to judge.
Loading then checks everything else that does not need a built model (ids against the ledger,
citations, protocols and dose units, arm names, times) and raises one
:class:`~trdlab.errors.ExperimentError` listing each experiment's first problem as
``file: id: field: message``. Observables and parameter ids are checked against the built
model by the runner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal, get_args

import numpy as np

from trdlab.dosing import catalog, constructors
from trdlab.dosing.regimen import Regimen
from trdlab.errors import ExperimentError, TrdlabError
from trdlab.model.units import parse

Kind = Literal["validation", "calibration", "prediction"]
Expect = Literal["up", "down", "unchanged", "between", "greater_than_arm", "less_than_arm"]
Stat = Literal["max", "mean", "min"]
COMPARISONS = ("greater_than_arm", "less_than_arm")
KINDS: tuple[str, ...] = get_args(Kind)
EXPECTS: tuple[str, ...] = get_args(Expect)
STATS: tuple[str, ...] = get_args(Stat)
GENERIC_DOSE = {"drug", "route", "dose", "at", "weight", "salt", "duration", "every", "count"}
Fail = Callable[[str, str], ExperimentError]  # (field, message) -> the error to raise


def time_h(text: object, field: str, *, negative: bool = False) -> float:
    """Hours from pint text such as ``"45 min"`` (negative only where ``negative`` allows)."""
    if not isinstance(text, str):
        raise ExperimentError(f"{field}={text!r} is not a time with a unit; write e.g. '30 min'")
    try:
        value = parse(text)
    except TrdlabError as exc:
        raise ExperimentError(f"{field}={text!r}: {exc}") from None
    if not value.check("[time]"):
        raise ExperimentError(f"{field}={text!r} is not a time; write e.g. '30 min' or '2 h'")
    hours = float(value.to("hour").magnitude)
    if not math.isfinite(hours) or (hours < 0 and not negative):
        raise ExperimentError(f"{field}={text!r} must be a finite time >= 0")
    return hours


@dataclass(frozen=True)
class Dose:
    """One dose line of an arm: a named protocol with its options, or a generic drug dose."""

    at: str
    protocol: str | None = None
    drug: str | None = None
    options: tuple[tuple[str, object], ...] = ()

    @classmethod
    def from_table(cls, row: object, where: str, species: str, fail: Fail) -> Dose:
        """Validate one dose table of the schema for ``species`` (errors via ``fail(field, message)``)."""
        if not isinstance(row, dict):
            raise fail(where, "is not a table; write { protocol = ..., at = ... } or { drug = ..., route = ..., ... }")
        try:
            time_h(row.get("at"), "at", negative=True)
        except ExperimentError as exc:
            raise fail(f"{where}.at", str(exc)) from None
        if ("protocol" in row) == ("drug" in row):
            raise fail(where, "give exactly one of protocol = NAME or drug = NAME")
        if "protocol" in row:
            name = row["protocol"]
            if name not in catalog.PROTOCOLS:
                raise fail(f"{where}.protocol",
                           f"unknown protocol {name!r}; use one of {', '.join(catalog.PROTOCOLS)}")
            options = {k: v for k, v in row.items() if k not in ("protocol", "at")}
            allowed = set(catalog.PROTOCOLS[name].options) - {"start"}
            if set(options) - allowed:
                raise fail(f"{where}.{sorted(set(options) - allowed)[0]}",
                           f"not an option of protocol {name!r}; options: {', '.join(sorted(allowed))}, at")
            dose = cls(str(row["at"]), protocol=name, options=tuple(sorted(options.items())))
        else:
            if set(row) - GENERIC_DOSE:
                raise fail(f"{where}.{sorted(set(row) - GENERIC_DOSE)[0]}",
                           f"unknown key; a drug dose takes {', '.join(sorted(GENERIC_DOSE))}")
            for key in ("route", "dose"):
                if key not in row:
                    raise fail(f"{where}.{key}", "missing; a drug dose needs drug, route, dose and at")
            count = row.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise fail(f"{where}.count", f"{count!r} is not a whole number >= 1")
            options = {k: v for k, v in row.items() if k not in ("drug", "at")}
            dose = cls(str(row["at"]), drug=str(row["drug"]), options=tuple(sorted(options.items())))
        try:
            dose.regimen(species)
        except (TrdlabError, ValueError, TypeError) as exc:
            raise fail(where, str(exc)) from None
        return dose

    @property
    def at_h(self) -> float:
        """The dose time in hours (negative for a pretreatment)."""
        return time_h(self.at, "at", negative=True)

    def regimen(self, species: str) -> Regimen:
        """The dose as a :class:`Regimen` of ``species``'s model, shifted to ``at``."""
        options = dict(self.options)
        if self.protocol is not None:
            base = catalog.PROTOCOLS[self.protocol](species=species, **options)
        else:
            assert self.drug is not None
            count = int(options.pop("count", 1))  # type: ignore[call-overload]
            if "duration" not in options:
                base = constructors.bolus(self.drug, species=species, count=count, **options)  # type: ignore[arg-type]
            else:
                every = options.pop("every", None)
                one = constructors.infusion(self.drug, species=species, **options)  # type: ignore[arg-type]
                gap = constructors.hours(str(every), "every") if count > 1 else 0.0
                base = Regimen()
                for index in range(count):
                    base = base + one.shifted(index * gap)
        return base.shifted(self.at_h)


@dataclass(frozen=True)
class Arm:
    """One arm: doses and parameter overrides (the genotype's, then the arm's own)."""

    name: str
    doses: tuple[Dose, ...] = ()
    genotype: str | None = None
    parameters: tuple[tuple[str, float], ...] = ()

    def regimen(self, species: str) -> Regimen | None:
        """All doses of the arm as one regimen (``None`` for a control without doses)."""
        if not self.doses:
            return None
        total = Regimen()
        for dose in self.doses:
            total = total + dose.regimen(species)
        return total


CheckKind = Literal["validation", "calibration"]


@dataclass(frozen=True)
class Check:
    """One expectation on the ratio arm / reference of an observable (``readout = "ratio"``, the default).

    ``id`` names the check for ``fitted_to`` (``"M07.csf"``); ``kind`` is derived from the parameter
    tables on loading (:mod:`trdlab.experiments.provenance`), never written in the file.
    """

    observable: str
    arm: str
    reference: str
    expect: Expect | None
    label: str
    id: str = ""
    kind: CheckKind = "validation"
    at: str | None = None
    window: tuple[str, str] | None = None
    stat: Stat = "mean"
    min_effect: float = 0.10
    max_change: float = 0.05
    low: float | None = None
    high: float | None = None
    other_arm: str | None = None
    other_reference: str | None = None
    biomarker: str | None = None
    """``readout = "biomarker"``: the biomarker read (``at`` holds its sampling time in hours)."""
    sample: str | None = None
    """The biomarker's sampling time as written (``"night 1"``)."""

    @property
    def span_h(self) -> tuple[float, float]:
        """(first, last) readout time in hours; equal for a single time point."""
        if self.window is not None:
            return time_h(self.window[0], "window", negative=True), time_h(self.window[1], "window", negative=True)
        value = time_h(self.at, "at", negative=True)
        return value, value

    @property
    def expected_text(self) -> str:
        """The expectation in words, e.g. ``"up by >= 10 %"``."""
        if self.expect is None:
            return "prediction (no literature expectation)"
        if self.biomarker is not None and self.expect in ("up", "down"):
            return f"{self.biomarker} at {self.sample} {self.expect} by >= {100 * self.min_effect:g} %"
        if self.expect in ("up", "down"):
            return f"{self.expect} by >= {100 * self.min_effect:g} %"
        if self.expect == "unchanged":
            return f"unchanged (within {100 * self.max_change:g} %)"
        if self.expect == "between":
            return f"ratio between {self.low:g} and {self.high:g}"
        word = "greater" if self.expect == "greater_than_arm" else "smaller"
        return (f"effect {word} than {self.other_arm}/{self.other_reference} "
                f"by >= {self.min_effect:g}")


@dataclass(frozen=True)
class Figure:
    """What the report plots: observables (one panel each, arms overlaid) up to ``until``."""

    observables: tuple[str, ...]
    until: str


@dataclass(frozen=True)
class Experiment:
    """One in-silico experiment testing a claim of the ledger (or, ``verification``, a literature value).

    Two settings share this type: simulated ``arms`` (``until``/``step`` grid; ratio and NCA checks)
    or virtual-trial ``cohorts`` (:class:`~trdlab.experiments.readouts.trial.Cohort`; trial checks).
    ``kind`` is derived on loading: ``prediction`` when the file says so, ``calibration`` when any
    check is, else ``validation``.
    """

    id: str
    title: str
    species: str
    citation: str
    kind: Kind
    until: str
    step: str
    arms: tuple[Arm, ...]
    checks: tuple[AnyCheck, ...]
    figure: Figure
    file: str = ""
    discrepancy: str = ""
    """Why the model is known to fail this claim (reported as the reason when it fails); empty if none."""
    verification: bool = False
    """A check of the model against a literature value that is no claim of the paper (not in the ledger)."""
    cohorts: tuple[Cohort, ...] = ()
    """Virtual-trial cohorts (trial experiments); empty for simulated arms."""

    def where(self, field: str) -> str:
        """``file: id: field`` for messages about this experiment."""
        return f"{self.file}: {self.id}: {field}"

    def arm(self, name: str) -> Arm:
        """The arm called ``name``."""
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise ExperimentError(f"{self.where('arm')}: no arm {name!r}; arms: {', '.join(a.name for a in self.arms)}")

    @property
    def compounds(self) -> tuple[str, ...]:
        """The generated catalogue compounds the arms dose (the build composes them into the model)."""
        from trdlab.compounds.catalogue import catalogue

        names = [d.drug if d.drug is not None else catalog.PROTOCOLS[str(d.protocol)].drug
                 for arm in self.arms for d in arm.doses]
        known = catalogue()
        return tuple(sorted({n for n in names if n is not None and n in known and known[n].generated}))

    @property
    def start_h(self) -> float:
        """Simulation start: 0, or the earliest (pretreatment) dose time of any arm."""
        return min([0.0] + [dose.at_h for arm in self.arms for dose in arm.doses])

    def times(self) -> np.ndarray:
        """The output grid: multiples of ``step`` from at or before :attr:`start_h` to ``until``."""
        step = time_h(self.step, "step")
        first = math.floor(self.start_h / step + 1e-9)
        last = math.floor(time_h(self.until, "until") / step + 1e-9)
        return np.arange(first, last + 1) * step

    def expected_text(self) -> str:
        """Every check's expectation, as ``label: expectation`` joined by ``'; '``."""
        return "; ".join(f"{c.label}: {c.expected_text}" for c in self.checks)

    def check_kinds(self) -> dict[str, str]:
        """Check label -> ``calibration`` | ``validation`` (as derived from the parameter tables)."""
        return {c.label: c.kind for c in self.checks}


from trdlab.experiments.readouts.nca import NcaCheck  # noqa: E402 - the readout modules build on Check
from trdlab.experiments.readouts.trial import Cohort, TrialCheck  # noqa: E402

AnyCheck = Check | NcaCheck | TrialCheck
