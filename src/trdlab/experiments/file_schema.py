"""The structure of an experiment file, as pydantic v2 models (the file boundary).

:func:`structure_problems` validates one ``[[experiment]]`` table against these models and lists
**every** structural problem at once (unknown or misspelt keys, wrong types, unknown choices,
times without a unit, non-positive effect sizes), each as ``field: message`` in the field style of
the rest of the loader (``arm[k10].doses``, ``check[0].expect``). What needs the library (ledger
ids, bib keys, protocols, genotypes, arm names, readout times inside the simulation) is checked
afterwards by :mod:`trdlab.experiments.loading`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, ValidationError, field_validator

from trdlab.experiments.readouts.nca import Criterion, Statistic
from trdlab.experiments.readouts.trial import Metric
from trdlab.experiments.spec import Expect, Stat
from trdlab.model.library import SpeciesName
from trdlab.schema import Duration, SignedDuration, Strict

Number = Annotated[float, Field(allow_inf_nan=False, strict=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Text = Annotated[str, Field(min_length=1)]


class ArmFile(Strict):
    """``[[experiment.arm]]``: doses are validated against their protocol by the loader."""

    name: Text
    genotype: Text | None = None
    parameters: dict[str, Number] = {}
    doses: list[dict[str, Any]] = []


class RatioCheckFile(Strict):
    """A ``readout = "ratio"`` check (the default)."""

    readout: Literal["ratio"] = "ratio"
    id: Text | None = None
    label: Text | None = None
    observable: Text
    arm: Text
    reference: Text
    expect: Expect | None = None
    at: SignedDuration | None = None
    window: tuple[SignedDuration, SignedDuration] | None = None
    stat: Stat | None = None
    min_effect: Positive | None = None
    max_change: Positive | None = None
    low: Number | None = None
    high: Number | None = None
    other_arm: Text | None = None
    other_reference: Text | None = None


class NcaCheckFile(Strict):
    """A ``readout = "nca"`` check."""

    readout: Literal["nca"]
    id: Text | None = None
    label: Text | None = None
    observable: Text
    arm: Text
    statistic: Statistic
    expect: Criterion
    unit: Text
    expected: Number | None = None
    tolerance: Positive | None = None
    low: Number | None = None
    high: Number | None = None
    reference: Text | None = None
    terminal_from: Duration | None = None
    note: str = ""


class BiomarkerCheckFile(Strict):
    """A ``readout = "biomarker"`` check."""

    readout: Literal["biomarker"]
    id: Text | None = None
    label: Text | None = None
    biomarker: Text
    arm: Text
    reference: Text
    at: Text
    expect: Literal["up", "down", "unchanged"] | None = None
    min_effect: Positive | None = None
    max_change: Positive | None = None


class SubgroupFile(Strict):
    """Subjects of another cohort with a given response status at a visit."""

    cohort: Text
    arm: Text
    visit: Text
    response: bool


class TrialCheckFile(Strict):
    """A ``readout = "trial"`` check."""

    readout: Literal["trial"]
    id: Text | None = None
    label: Text
    metric: Metric
    arm: Text = "all"
    visit: Text = "all"
    cohort: Text | None = None
    control: Text | None = None
    low: Number | None = None
    high: Number | None = None
    after: Duration | None = None
    subgroup: SubgroupFile | None = None
    feature: Text | None = None
    outcome: Text | None = None


class CohortFile(Strict):
    """``[[experiment.cohort]]``: a virtual trial of a built-in design."""

    name: Text
    design: Text
    n: Annotated[int, Field(ge=1, strict=True)]
    seed: Annotated[int, Field(ge=0, strict=True)]
    extra_visits: list[Duration] = []
    scale: Text | None = None
    population: Text | None = None
    arms: list[Text] = []
    all_comers: bool = False


class FigureFile(Strict):
    """``figure = { observables = [...], until = TIME }``."""

    observables: Annotated[list[Text], Field(min_length=1)] | None = None
    until: Duration | None = None


def _readout(value: Any) -> str:
    return str(value.get("readout", "ratio")) if isinstance(value, dict) else str(getattr(value, "readout", "ratio"))


AnyCheckFile = Annotated[
    Union[Annotated[RatioCheckFile, Tag("ratio")], Annotated[NcaCheckFile, Tag("nca")],
          Annotated[TrialCheckFile, Tag("trial")], Annotated[BiomarkerCheckFile, Tag("biomarker")]],
    Discriminator(_readout, custom_error_type="readout",
                  custom_error_message="unknown readout; use ratio, nca, trial or biomarker"),
]


class ExperimentFile(Strict):
    """One ``[[experiment]]`` table."""

    id: Text
    title: Text
    citation: Text
    species: SpeciesName | None = None
    kind: str = "validation"
    verification: bool = False
    discrepancy: str = ""
    until: Duration | None = None
    step: Duration | None = None
    figure: FigureFile | None = None
    arm: list[ArmFile] = []
    cohort: list[CohortFile] = []
    check: list[AnyCheckFile] = []

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in ("prediction", "validation"):
            raise ValueError(f"{value!r}: only kind = \"prediction\" is written in a file; calibration vs "
                             "validation is derived from the parameter tables' fitted_to")
        return value


def structure_problems(row: object) -> list[str]:
    """Every structural problem of one experiment table, as ``field: message`` (empty when sound)."""
    try:
        ExperimentFile.model_validate(row)
    except ValidationError as exc:
        return [_line(item, row) for item in exc.errors(include_url=False)]
    return []


def _line(item: Any, row: object) -> str:
    loc = list(item["loc"])
    if len(loc) >= 2 and loc[0] == "check" and isinstance(loc[1], int) and len(loc) >= 3 and isinstance(loc[2], str) \
            and loc[2] in ("ratio", "nca", "trial", "biomarker"):
        del loc[2]  # the discriminator's tag is not a field of the file
    parts: list[str] = []
    for index, key in enumerate(loc):
        if isinstance(key, int) and parts:
            name = _arm_name(row, key) if loc[index - 1] == "arm" else None
            parts[-1] += f"[{name if name else key}]"
        else:
            parts.append(str(key))
    field = ".".join(parts) or "(experiment)"
    message = str(item["msg"]).removeprefix("Value error, ")
    kind = item["type"]
    if kind == "extra_forbidden":
        if len(loc) == 1:
            field = f"experiment.{field}"
        message = "unknown key; check the spelling against the schema (trdlab/experiments/spec.py)"
    elif kind == "missing":
        message = "missing; this field is required"
    elif kind == "string_type":
        message = f"not text (got {item.get('input')!r}); write it in quotes"
    elif kind in ("literal_error", "enum", "readout", "float_type", "float_parsing", "int_type",
                  "bool_type", "greater_than", "greater_than_equal"):
        message = f"{message} (got {item.get('input')!r})"
    return f"{field}: {message}"


def _arm_name(row: object, index: int) -> str | None:
    arms = row.get("arm") if isinstance(row, dict) else None
    if isinstance(arms, list) and index < len(arms) and isinstance(arms[index], dict):
        name = arms[index].get("name")
        return name if isinstance(name, str) else None
    return None


__all__ = ["ExperimentFile", "ArmFile", "RatioCheckFile", "NcaCheckFile", "TrialCheckFile", "CohortFile",
           "FigureFile", "SubgroupFile", "structure_problems"]

