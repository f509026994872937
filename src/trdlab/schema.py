"""Shared pieces of the file schemas (pydantic v2 at the file boundary).

Every TOML/CSV file that trdlab reads (experiments, trial designs, populations, covariates,
parameter rows) is validated by a pydantic model built from these parts, so that

- a file's problems are reported **all at once**, each with its field path and the fix
  (:func:`problems`, :func:`validate_table`);
- a key that is not in the schema is a named error (``extra="forbid"``), not a ``TypeError``;
- a time or a dose is written once, as text with a unit (``"45 min"``, ``"0.5 mg/kg"``), and
  parsed with pint once: :class:`Duration` keeps the text and gives ``.hours``; there is no
  second stored copy in hours.

Example::

    class Visit(Strict):
        at: Duration
    rows, errors = validate_table(Visit, {"at": "40 min"}, where="design.toml")
    rows.at.hours  # 0.666...
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

import pint
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, ValidationError

from trdlab.errors import TrdlabError
from trdlab.model.units import parse

__all__ = [
    "Strict", "Quantity", "Duration", "Dose", "problems", "validate_table", "quantity_of",
]

Model = TypeVar("Model", bound=BaseModel)


class Strict(BaseModel):
    """Base of every file schema: frozen, unknown keys rejected, no silent coercion of text to numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, arbitrary_types_allowed=True)


class Quantity:
    """A value with a unit as written in a file (``text``) and parsed once with pint (``value``)."""

    __slots__ = ("text", "value")
    dimension: str = ""
    example: str = "'1 h'"

    def __init__(self, text: str, value: pint.Quantity) -> None:
        self.text = text
        self.value = value

    def to(self, unit: str) -> float:
        """The magnitude in ``unit`` (e.g. ``"hour"``, ``"mg/kg"``)."""
        return float(self.value.to(unit).magnitude)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.text == self.text

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.text))


class DurationValue(Quantity):
    """A time (``"40 min"``, ``"2 d"``); :attr:`hours` is the value in hours."""

    dimension = "[time]"
    example = "'30 min' or '2 h'"

    @property
    def hours(self) -> float:
        """The time in hours."""
        return self.to("hour")


class DoseValue(Quantity):
    """A dose: a mass, a mass per body mass, an amount or a volume (``"0.5 mg/kg"``, ``"900 mg"``)."""

    dimension = ""
    example = "'0.5 mg/kg' or '900 mg'"


def quantity_of(kind: type[Quantity], *, negative: bool = True) -> Any:
    """A pydantic validator turning text with a unit into ``kind`` (errors name the unit and an example)."""

    def check(value: object) -> Quantity:
        if isinstance(value, kind):
            return value
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not text with a unit; write e.g. {kind.example}")
        try:
            parsed = parse(value)
        except TrdlabError as exc:
            raise ValueError(f"{value!r}: {exc}") from None
        if kind.dimension and not parsed.check(kind.dimension):
            raise ValueError(f"{value!r} is not a {kind.dimension.strip('[]')}; write e.g. {kind.example}")
        magnitude = float(parsed.magnitude)
        if not math.isfinite(magnitude) or (magnitude < 0 and not negative):
            raise ValueError(f"{value!r} must be finite{'' if negative else ' and >= 0'}")
        return kind(value, parsed)

    return BeforeValidator(check)


_as_text = PlainSerializer(lambda q: q.text, return_type=str)
Duration = Annotated[DurationValue, quantity_of(DurationValue, negative=False), _as_text]
"""A non-negative time written with a unit."""
SignedDuration = Annotated[DurationValue, quantity_of(DurationValue, negative=True), _as_text]
"""A time that may be negative (a pretreatment before t = 0)."""
Dose = Annotated[DoseValue, quantity_of(DoseValue, negative=False), _as_text]
"""A non-negative dose written with a unit."""


def problems(error: ValidationError, where: str) -> list[str]:
    """One line per problem: ``where: field.path: message`` (pydantic's wording, trimmed)."""
    lines = []
    for item in error.errors(include_url=False):
        path = ".".join(str(p) for p in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key; check the spelling against the schema"
        elif item["type"] == "missing":
            message = "missing; this field is required"
        lines.append(f"{where}: {path}: {message}")
    return lines


def validate_table(schema: type[Model], table: object, *, where: str) -> tuple[Model | None, list[str]]:
    """Validate one table against ``schema``: the model (or None) and every problem found."""
    try:
        return schema.model_validate(table), []
    except ValidationError as exc:
        return None, problems(exc, where)
