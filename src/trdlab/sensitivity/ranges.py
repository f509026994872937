"""How far each parameter may move: multiplicative factors on the model's nominal value.

Every range is a factor interval ``[low, high]`` around the nominal value (1 inside it), sampled
uniformly in log space, so a parameter and its reciprocal are treated alike and indices do not
depend on units. Sources, in order:

- a parameter-table row with ``cv`` (lognormal between-subject variability): ``exp(+-2 sigma)``,
  ``sigma = sqrt(ln(1 + cv^2))``: the central 95 % of the stated distribution;
- a ranges file (TOML) with, per model id, ``factor = F`` (``[1/F, F]``) or ``low`` / ``high`` in
  model units, each with its ``reason``.

A row with neither is excluded and listed with the reason; so is an id that is not a constant
parameter of the model (a value the model derives, e.g. a weight-scaled volume).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trdlab.errors import TrdlabError
from trdlab.model.library import load_parameters, load_species_set
from trdlab.model.sbml_model import Model

ALL_WITH_RANGES = "all-with-ranges"


@dataclass(frozen=True)
class Range:
    """One parameter's factor interval around its nominal model value, and where it comes from."""

    name: str
    nominal: float
    low: float
    high: float
    source: str

    @property
    def bounds(self) -> tuple[float, float]:
        """The interval in log-factor space (what SALib samples)."""
        return math.log(self.low), math.log(self.high)


class RangeRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    factor: float | None = Field(default=None, gt=1)
    low: float | None = Field(default=None, gt=0)
    high: float | None = Field(default=None, gt=0)
    reason: str = Field(min_length=3)

    @model_validator(mode="after")
    def _one_kind(self) -> "RangeRow":
        if (self.factor is None) == (self.low is None and self.high is None):
            raise ValueError("give either factor = F (> 1) or both low and high (model units)")
        if self.factor is None and (self.low is None or self.high is None or self.low >= self.high):
            raise ValueError("low and high must both be given, with low < high")
        return self


def nominal_values(model: Model) -> dict[str, float]:
    """The model's value of every constant parameter and compartment (model units)."""
    from trdlab.simulate import simulate

    result = simulate(model, None, [0.0], observables=sorted(model.constant_parameters | model.constant_compartments))
    return dict(result.constants)


def table_ranges(species: str, model: Model) -> tuple[list[Range], list[tuple[str, str]]]:
    """Ranges of every row of the species' tables with a ``cv``; the excluded rows with the reason."""
    rows, _ = load_parameters(load_species_set(species))
    nominal = nominal_values(model)
    ranges, excluded = [], []
    for name, row in sorted(rows.items()):
        if name not in nominal:
            excluded.append((name, "not a constant parameter of the model (derived, e.g. weight-scaled)"))
        elif not row.cv:
            excluded.append((name, "no cv and no stated bounds in the parameter table"))
        elif nominal[name] == 0:
            excluded.append((name, "nominal value 0: a multiplicative range is empty"))
        else:
            sigma = math.sqrt(math.log(1.0 + row.cv ** 2))
            ranges.append(Range(name, nominal[name], math.exp(-2 * sigma), math.exp(2 * sigma),
                                f"parameters/{row.table}.toml cv {row.cv:g}: exp(+-2 sigma), the central 95 %"))
    return ranges, excluded


def file_ranges(path: Path, model: Model) -> list[Range]:
    """Ranges of a TOML file ``[<model id>] factor = F | low, high; reason = "..."``; one error per bad row."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrdlabError(f"--parameters {path}: no such file; give a ranges TOML or {ALL_WITH_RANGES!r}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TrdlabError(f"--parameters {path}: not valid TOML ({exc})") from None
    nominal = nominal_values(model)
    problems, ranges = [], []
    for name, entry in data.items():
        if name not in nominal:
            problems.append(f"[{name}]: not a constant parameter or compartment of model {model.name!r}")
            continue
        try:
            row = RangeRow.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "row"
            problems.append(f"[{name}].{field}: {first['msg']}")
            continue
        value = nominal[name]
        if row.factor is not None:
            low, high = 1.0 / row.factor, row.factor
        elif value <= 0:
            problems.append(f"[{name}]: nominal value {value:g} is not positive; give factor = F instead of low/high")
            continue
        else:
            assert row.low is not None and row.high is not None
            low, high = row.low / value, row.high / value
            if not low <= 1.0 <= high:
                problems.append(f"[{name}]: low {row.low:g} .. high {row.high:g} does not contain the value {value:g}")
                continue
        ranges.append(Range(name, value, low, high, f"{Path(path).name}: {row.reason}"))
    if problems:
        raise TrdlabError(f"{path}: " + "; ".join(problems))
    if not ranges:
        raise TrdlabError(f"{path}: no parameter ranges; add rows like [ketamine_clearance] factor = 2, reason = \"...\"")
    return ranges


def problem(ranges: list[Range]) -> dict[str, object]:
    """The SALib problem: one log-factor variable per range."""
    return {"num_vars": len(ranges), "names": [r.name for r in ranges], "bounds": [list(r.bounds) for r in ranges]}
