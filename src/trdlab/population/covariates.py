"""Population specs: a named population's covariate distributions (``library/populations.toml``).

``populations.toml`` holds one table per population: ``description``, ``iiv`` (true: draw
inter-individual variability of the model's parameters) and one sub-table per covariate of the
library's ``covariates.toml`` (:data:`COVARIATES`, in that order), each a distribution table
(:mod:`trdlab.population.distributions`) with its provenance: ``source`` + ``derivation`` (a key
of ``references.bib``) or ``assumed``. Which covariates exist, their units, valid ranges and
categories are data (:mod:`trdlab.population.definitions`), not code.

The file is checked by a pydantic v2 schema (:func:`population_schema`: an unknown key is a named
error) and every problem of the whole file is reported at once, in one :class:`PopulationError`,
one line each: ``populations.toml: [mdd].age.sd: -2 must be > 0 (...)`` (population, covariate,
field, then the problem and its fix).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from difflib import get_close_matches
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Mapping

from pydantic import BeforeValidator, ValidationError, create_model

from trdlab.errors import PopulationError
from trdlab.population.definitions import COVARIATES, GENOTYPE, SCHEMA, Covariate, covariate
from trdlab.population.distributions import Distribution, kinds, parse_distribution, table_problem, table_type
from trdlab.schema import Strict

__all__ = [
    "COVARIATES", "SCHEMA", "Covariate", "Distribution", "PopulationSpec", "covariate", "default_path",
    "load_population_specs", "population_names", "population_spec",
]


@dataclass(frozen=True)
class PopulationSpec:
    """A named population: one :class:`Distribution` per covariate (in :data:`COVARIATES` order).

    Covariates are drawn independently of each other (no correlations yet).
    """

    name: str
    distributions: tuple[Distribution, ...]
    iiv: bool
    description: str = ""
    source: str = "<mapping>"

    def __post_init__(self) -> None:
        if tuple(d.covariate for d in self.distributions) != COVARIATES:
            raise PopulationError(f"population {self.name!r}: give one distribution per covariate in the order "
                                  f"{', '.join(COVARIATES)} (use PopulationSpec.from_mapping)")

    @classmethod
    def from_mapping(cls, name: str, mapping: Mapping[str, object], source: str = "<mapping>") -> PopulationSpec:
        """Validate a TOML-like table; raises one :class:`PopulationError` listing every problem."""
        spec, problems = _parse_spec(name, mapping, source)
        if problems or spec is None:
            raise PopulationError(_listing(f"population {name!r} ({source})", problems))
        return spec

    def distribution(self, covariate_name: str) -> Distribution:
        """The distribution of one covariate."""
        covariate(covariate_name)
        return next(d for d in self.distributions if d.covariate == covariate_name)

    def with_covariate(self, covariate_name: str, mapping: Mapping[str, object]) -> PopulationSpec:
        """A copy with one covariate's distribution replaced (validated like the file)."""
        covariate(covariate_name)
        table = dict(mapping)
        if table.get("source") is None and table.get("assumed") is None:
            table["assumed"] = "override given by the caller"
        where = f"{self.source}: [{self.name}].{covariate_name}"
        dist, problems = parse_distribution(covariate_name, table, where)
        if problems or dist is None:
            raise PopulationError(_listing(f"override of {covariate_name} in population {self.name!r}", problems))
        return replace(self, distributions=tuple(dist if d.covariate == covariate_name else d
                                                 for d in self.distributions))

    def with_genotype_frequencies(self, frequencies: Mapping[str, float]) -> PopulationSpec:
        """A copy with the genotype covariate's frequencies (one fraction per category, summing to 1)."""
        if GENOTYPE is None:
            raise PopulationError("covariates.toml defines no genotype covariate; use with_covariate")
        return self.with_covariate(GENOTYPE.covariate, {
            "distribution": "categorical", "frequencies": dict(frequencies),
            "assumed": "genotype frequencies set with PopulationSpec.with_genotype_frequencies"})

    def with_iiv(self, iiv: bool) -> PopulationSpec:
        """A copy with inter-individual variability of model parameters switched on or off."""
        if not isinstance(iiv, bool):
            raise PopulationError(f"iiv: {iiv!r} is not true/false; pass a bool")
        return replace(self, iiv=iiv)

    def to_mapping(self) -> dict[str, object]:
        """The spec as the TOML-like table :meth:`from_mapping` reads."""
        return {"description": self.description, "iiv": self.iiv,
                **{d.covariate: d.to_mapping() for d in self.distributions}}


# -- the file schema ------------------------------------------------------------------------------
def _switch(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true/false; write iiv = true (or false) to switch parameter variability")
    return value


def _description(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text; write description = \"...\"")
    return value


class PopulationTable(Strict):
    """One population's table: description, iiv, then a table per covariate (:func:`population_schema`)."""

    description: Annotated[str, BeforeValidator(_description)] = ""
    iiv: Annotated[bool, BeforeValidator(_switch)]


@cache
def population_schema() -> type[PopulationTable]:
    """The schema of one population's table: :class:`PopulationTable` plus a required field per covariate
    of ``covariates.toml`` (:data:`COVARIATES`), typed by :func:`~trdlab.population.distributions.table_type`."""
    fields: dict[str, Any] = {name: (table_type(name), ...) for name in COVARIATES}
    return create_model("PopulationFile", __base__=PopulationTable, __module__=__name__,
                        __doc__=PopulationTable.__doc__, **fields)


_KEYS = ("description", "iiv", *COVARIATES)


def _problems(error: ValidationError, name: str, where: str) -> list[str]:
    """One line per problem: ``where.covariate.field: message; fix``."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        path = ".".join(str(part) for part in loc)
        if item["type"] == "missing" and loc == ("iiv",):
            message = "missing; write iiv = true (or false) to switch parameter variability"
        elif item["type"] == "missing" and len(loc) == 1:
            message = (f"missing covariate table; add [{name}.{path}] with distribution = one of "
                       f"{', '.join(kinds(path))}")
        elif loc and loc[0] in COVARIATES:
            inner, message = table_problem(item, str(loc[0]), loc[1:])
            path = f"{loc[0]}{inner}"
        elif item["type"] == "extra_forbidden":
            close = get_close_matches(path, _KEYS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message = (f"unknown key; {hint}a population has description, iiv and a table per covariate "
                       f"({', '.join(COVARIATES)})")
        elif item["type"] in ("model_type", "model_attributes_type") and not loc:
            message = (f"{item['input']!r} is not a table of covariates; write [{name}] with description, iiv "
                       "and a table per covariate")
        lines.append(f"{where}{'.' if path else ''}{path}: {message}")
    return lines


def _parse_spec(name: str, mapping: object, source: str) -> tuple[PopulationSpec | None, list[str]]:
    where = f"{source}: [{name}]"
    try:
        table = population_schema().model_validate(mapping)
    except ValidationError as exc:
        return None, _problems(exc, name, where)
    distributions = tuple(getattr(table, c).to_distribution() for c in COVARIATES)
    return PopulationSpec(name, distributions, table.iiv, table.description, source), []


def _listing(subject: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{subject}: {problems[0]}"
    return f"{subject}: {len(problems)} problems:\n  " + "\n  ".join(problems)


def default_path() -> Path:
    """The packaged ``trdlab/library/populations.toml``."""
    return Path(str(resources.files("trdlab") / "library" / "populations.toml"))


def load_population_specs(path: Path | str | None = None) -> dict[str, PopulationSpec]:
    """Every population of a populations file (default: the packaged one), by name, in file order.

    Raises:
        PopulationError: the file is missing or not TOML, or lists problems (all of them, once).
    """
    path = default_path() if path is None else Path(path)
    if not path.is_file():
        raise PopulationError(f"populations file {str(path)!r} does not exist; give the path of a populations.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PopulationError(f"populations file {str(path)!r} is not valid TOML ({exc}); fix its syntax") from None
    specs: dict[str, PopulationSpec] = {}
    problems: list[str] = []
    for name, table in data.items():
        spec, found = _parse_spec(name, table, path.name)
        problems += found
        if spec is not None:
            specs[name] = spec
    if problems:
        raise PopulationError(_listing(f"populations file {str(path)!r}", problems))
    return specs


@lru_cache(maxsize=1)
def population_names() -> tuple[str, ...]:
    """The names of the packaged populations (the tables of ``library/populations.toml``), in file order."""
    return tuple(load_population_specs())


def population_spec(name: str, path: Path | str | None = None) -> PopulationSpec:
    """One named population of a populations file (default: the packaged one, :func:`population_names`)."""
    specs = load_population_specs(path)
    if name not in specs:
        raise PopulationError(f"unknown population {name!r}; known populations: {', '.join(specs)}")
    return specs[name]
