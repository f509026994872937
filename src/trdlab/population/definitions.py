"""Covariate definitions, read from the model library's ``covariates.toml`` (data, not code).

The file states, for the model of one ``species``:

- ``[covariates.<name>]`` in column order: ``type`` (continuous | count | boolean | categorical),
  ``unit``, ``description``, the valid range (``lower``, ``upper``, ``lower_open``) or the
  ``categories``; at most one categorical covariate has a ``genotype`` table: its categories map
  to parameter overrides in the file ``genotype.overrides``, and ``genotype.allele_frequency``
  names the parameter q of a Hardy-Weinberg distribution over (reference homozygote,
  heterozygote, variant homozygote): (1-q)^2, 2q(1-q), q^2;
- ``[[links]]``: a covariate that sets (``"set"``) or multiplies (``"scale"``) one model
  parameter, with its ``reason``; exactly one link has ``subject_weight = true`` (the subject's
  weight, which every weight-scaled row follows);
- ``[[weight_independent]]``: rows the build states per kg that a subject keeps at the reference
  value, with the ``reason``.

:data:`SCHEMA` and :data:`COVARIATES` are the packaged file's covariates (the column order of
every population); :func:`load_covariate_library` reads the file of another library folder.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from trdlab.errors import PopulationError
from trdlab.model.library import default_root
from trdlab.schema import Strict, validate_table

ValueType = Literal["continuous", "count", "boolean", "categorical"]
FILE = "covariates.toml"


@dataclass(frozen=True)
class Covariate:
    """One covariate column: its value type, unit, valid range and categories."""

    name: str
    type: ValueType
    unit: str
    lower: float = -math.inf
    upper: float = math.inf
    lower_open: bool = False
    categories: tuple[str, ...] = ()
    description: str = ""

    def contains(self, value: float) -> bool:
        """Whether a numeric value lies in the covariate's valid range."""
        above = value > self.lower if self.lower_open else value >= self.lower
        return bool(above and value <= self.upper)


@dataclass(frozen=True)
class CovariateLink:
    """A covariate that sets (``"set"``) or multiplies (``"scale"``) one model parameter."""

    covariate: str
    parameter: str
    operation: Literal["set", "scale"]
    reason: str
    subject_weight: bool = False


@dataclass(frozen=True)
class Genotype:
    """The genotype covariate: its overrides file and the allele-frequency parameter name."""

    covariate: str
    overrides: str
    allele_frequency: str


@dataclass(frozen=True)
class CovariateLibrary:
    """Everything ``covariates.toml`` states: species, covariates (in order), links, fixed rows."""

    species: str
    covariates: tuple[Covariate, ...]
    links: tuple[CovariateLink, ...]
    weight_independent: tuple[tuple[str, str], ...]
    genotype: Genotype | None
    source: str = "<mapping>"

    @property
    def names(self) -> tuple[str, ...]:
        """The covariate names in column order."""
        return tuple(c.name for c in self.covariates)

    @property
    def weight_link(self) -> CovariateLink:
        """The link of the subject's body weight."""
        return next(link for link in self.links if link.subject_weight)


# -- the file schema ------------------------------------------------------------------------------
class _GenotypeFile(Strict):
    overrides: str = Field(min_length=1)
    allele_frequency: str = Field(min_length=1)


class _CovariateFile(Strict):
    type: ValueType
    unit: str = ""
    description: str = ""
    lower: float = -math.inf
    upper: float = math.inf
    lower_open: bool = False
    categories: tuple[str, ...] = ()
    genotype: _GenotypeFile | None = None

    @model_validator(mode="after")
    def _consistent(self) -> _CovariateFile:
        if (self.type == "categorical") != bool(self.categories):
            raise ValueError("give categories = [...] for a categorical covariate, and only for one")
        if self.genotype is not None and len(self.categories) != 3:
            raise ValueError("a genotype has three categories (reference homozygote, heterozygote, variant homozygote)")
        if self.lower >= self.upper:
            raise ValueError(f"lower {self.lower:g} >= upper {self.upper:g}; give lower < upper")
        return self


class _LinkFile(Strict):
    covariate: str
    parameter: str = Field(min_length=1)
    operation: Literal["set", "scale"]
    reason: str = Field(min_length=1)
    subject_weight: bool = False


class _FixedFile(Strict):
    parameter: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class _LibraryFile(Strict):
    species: str = Field(min_length=1)
    covariates: dict[str, _CovariateFile] = Field(min_length=1)
    links: tuple[_LinkFile, ...] = ()
    weight_independent: tuple[_FixedFile, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> _LibraryFile:
        problems = [f"links: covariate {link.covariate!r} is not one of [covariates] ({', '.join(self.covariates)})"
                    for link in self.links if link.covariate not in self.covariates]
        if sum(link.subject_weight for link in self.links) != 1:
            problems.append("links: exactly one link needs subject_weight = true (the subject's weight)")
        if sum(c.genotype is not None for c in self.covariates.values()) > 1:
            problems.append("covariates: at most one covariate can have a genotype table")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def library_from_mapping(mapping: object, source: str = "<mapping>") -> CovariateLibrary:
    """Validate a ``covariates.toml`` table; raises one :class:`PopulationError` listing every problem."""
    parsed, problems = validate_table(_LibraryFile, mapping, where=source)
    if parsed is None:
        raise PopulationError(f"covariates file: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    covariates = tuple(Covariate(name, c.type, c.unit, c.lower, c.upper, c.lower_open, c.categories, c.description)
                       for name, c in parsed.covariates.items())
    genotypes = [Genotype(name, c.genotype.overrides, c.genotype.allele_frequency)
                 for name, c in parsed.covariates.items() if c.genotype is not None]
    return CovariateLibrary(
        species=parsed.species, covariates=covariates,
        links=tuple(CovariateLink(k.covariate, k.parameter, k.operation, k.reason, k.subject_weight) for k in parsed.links),
        weight_independent=tuple((f.parameter, f.reason) for f in parsed.weight_independent),
        genotype=genotypes[0] if genotypes else None, source=source)


def load_covariate_library(root: Path | str | None = None) -> CovariateLibrary:
    """The ``covariates.toml`` of a library folder (default: the packaged library).

    Raises:
        PopulationError: the file is missing, not TOML, or breaks the schema (every problem listed).
    """
    return _load(str(root) if root is not None else "")


@lru_cache(maxsize=8)
def _load(root: str) -> CovariateLibrary:
    path = (Path(root) if root else default_root()) / FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PopulationError(f"cannot read {str(path)!r} ({exc.strerror or exc}); the library needs a {FILE}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PopulationError(f"{str(path)!r} is not valid TOML ({exc}); fix its syntax") from None
    return library_from_mapping(data, str(path))


LIBRARY = load_covariate_library()
SCHEMA: tuple[Covariate, ...] = LIBRARY.covariates
"""The packaged covariates, in column order."""
COVARIATES: tuple[str, ...] = LIBRARY.names
"""The packaged covariate names: the column order of every population."""
GENOTYPE: Genotype | None = LIBRARY.genotype
"""The packaged genotype covariate (None when the library has none)."""
_BY_NAME = {c.name: c for c in SCHEMA}


def covariate(name: str) -> Covariate:
    """The definition of a covariate; raises :class:`PopulationError` for an unknown name."""
    if name not in _BY_NAME:
        raise PopulationError(f"unknown covariate {name!r}; covariates are: {', '.join(COVARIATES)}")
    return _BY_NAME[name]
