"""Covariate distributions: how one covariate of a population is drawn, and the schema of its table.

A covariate table of a population file has ``distribution`` (the kind), its parameters, optional
truncation ``lower``/``upper``, and ``source`` + ``derivation`` (a key of ``references.bib``) or
``assumed``. Kinds: ``normal`` (mean, sd), ``lognormal`` (geometric_mean, cv: log-scale
s = sqrt(ln(1 + cv^2))), ``beta`` (alpha, beta), each optionally truncated to [lower, upper];
``shifted_poisson`` (shift + Poisson(rate)); ``categorical`` (frequencies summing to 1);
``hardy_weinberg`` for the genotype covariate (allele frequency q, its parameter named by
``covariates.toml``: (1-q)^2, 2q(1-q), q^2 over the genotype's three categories); ``bernoulli``
(p); ``constant`` (value). Which kinds a covariate accepts follows from its type
(:mod:`trdlab.population.definitions`).

The file schema (pydantic v2, :class:`trdlab.schema.Strict`: unknown keys are named errors) has one
model per kind, a discriminated union on ``distribution``; :func:`table_type` binds the union to
one covariate of ``covariates.toml``, whose categories, valid range and value type the checks use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache, reduce
from operator import or_
from typing import Annotated, Any, Callable, ClassVar, Literal, Mapping, TypeVar

from pydantic import (
    AfterValidator, BeforeValidator, Field, TypeAdapter, ValidationError, ValidationInfo, create_model,
    field_validator, model_validator,
)
from pydantic_core import ErrorDetails
from scipy import stats

from trdlab.errors import PopulationError
from trdlab.population.definitions import GENOTYPE, Covariate, ValueType, covariate
from trdlab.schema import Strict

DistributionKind = Literal[
    "normal", "lognormal", "beta", "shifted_poisson", "categorical", "hardy_weinberg", "bernoulli", "constant"
]
Scalar = float | int | bool | str

_ALLELE_FREQUENCY = GENOTYPE.allele_frequency if GENOTYPE is not None else "allele_frequency"
_PROVENANCE = ("source", "derivation", "assumed")
FREQUENCY_TOLERANCE = 1e-9
MIN_TRUNCATED_MASS = 1e-6


@dataclass(frozen=True)
class Distribution:
    """How one covariate is drawn: kind, parameters, truncation, frequencies and provenance."""

    covariate: str
    kind: DistributionKind
    parameters: tuple[tuple[str, float], ...] = ()
    lower: float = -math.inf
    upper: float = math.inf
    frequencies: tuple[tuple[str, float], ...] = ()
    value: Scalar | None = None
    source: str | None = None
    derivation: str | None = None
    assumed: str | None = None

    def parameter(self, name: str) -> float:
        """The numeric parameter ``name`` (e.g. ``"sd"``)."""
        return dict(self.parameters)[name]

    def continuous(self) -> stats.rv_continuous:
        """The untruncated scipy distribution of a normal, lognormal or beta kind (for cdf and ppf)."""
        if self.kind == "normal":
            return stats.norm(self.parameter("mean"), self.parameter("sd"))
        if self.kind == "lognormal":
            mu, s = lognormal_log_parameters(self.parameter("geometric_mean"), self.parameter("cv"))
            return stats.lognorm(s, scale=math.exp(mu))
        if self.kind == "beta":
            return stats.beta(self.parameter("alpha"), self.parameter("beta"))
        raise PopulationError(f"{self.covariate}: a {self.kind} distribution is not continuous")

    def to_mapping(self) -> dict[str, object]:
        """The distribution as a TOML-like table (printable, diffable)."""
        out: dict[str, object] = {"distribution": self.kind, **dict(self.parameters)}
        if self.kind == "categorical":
            out["frequencies"] = dict(self.frequencies)
        if self.kind == "constant":
            out["value"] = self.value
        out |= {k: v for k, v in (("lower", self.lower), ("upper", self.upper)) if math.isfinite(v)}
        out |= {k: getattr(self, k) for k in _PROVENANCE if getattr(self, k) is not None}
        return out


def lognormal_log_parameters(geometric_mean: float, cv: float) -> tuple[float, float]:
    """(mu, s) of ln X for a log-normal X with geometric mean exp(mu) and cv: s = sqrt(ln(1 + cv^2))."""
    return math.log(geometric_mean), math.sqrt(math.log1p(cv * cv))


def hardy_weinberg(allele_frequency: float, categories: tuple[str, ...]) -> dict[str, float]:
    """Genotype frequencies from the variant allele frequency q over (reference homozygote,
    heterozygote, variant homozygote): (1-q)^2, 2q(1-q), q^2."""
    q = allele_frequency
    return dict(zip(categories, ((1 - q) ** 2, 2 * q * (1 - q), q * q)))


# -- the file schema: one model per kind ----------------------------------------------------------
def _numeric(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number; write a number (no quotes)")
    return float(value)


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a non-empty text; write it in quotes")
    return value


def _rule(test: Callable[[float], bool], message: str) -> AfterValidator:
    def check(value: float) -> float:
        if not test(value):
            raise ValueError(f"{value:g} {message}")
        return value
    return AfterValidator(check)


Bound = Annotated[float, BeforeValidator(_numeric), _rule(lambda v: not math.isnan(v), "is not a bound")]
Finite = Annotated[float, BeforeValidator(_numeric), _rule(math.isfinite, "is not finite; give a finite number")]
Positive = Annotated[Finite, _rule(lambda v: v > 0, "must be > 0")]
NonNegative = Annotated[Finite, _rule(lambda v: v >= 0, "must be >= 0")]
Fraction = Annotated[Finite, _rule(lambda v: 0 <= v <= 1, "must lie in [0, 1]")]
Text = Annotated[str, BeforeValidator(_text)]


class DistributionTable(Strict):
    """What every kind's table has: ``distribution`` and the provenance (source + derivation, or assumed).

    A kind's model checks a table only once bound to a covariate (:func:`table_type` sets
    :attr:`covariate`); the kind models themselves are not validated directly.
    """

    covariate: ClassVar[Covariate]
    parameters: ClassVar[tuple[str, ...]] = ()

    distribution: DistributionKind
    assumed: Text | None = None
    source: Text | None = Field(default=None, validate_default=True)
    derivation: Text | None = Field(default=None, validate_default=True)

    @field_validator("source")
    @classmethod
    def _cited_or_assumed(cls, source: str | None, info: ValidationInfo) -> str | None:
        if source is None and "assumed" in info.data and info.data["assumed"] is None:
            raise ValueError("neither source nor assumed; add source = \"<bibkey>\" with derivation = \"...\", "
                             "or assumed = \"<reason>\"")
        return source

    @field_validator("derivation")
    @classmethod
    def _derived(cls, derivation: str | None, info: ValidationInfo) -> str | None:
        if derivation is None and info.data.get("source") is not None:
            raise ValueError("source without derivation; add derivation = \"one line\"")
        return derivation

    def to_distribution(self) -> Distribution:
        """The table as the :class:`Distribution` that sampling draws from."""
        lower, upper = self._bounds()
        frequencies = self._frequencies()
        categories = self.covariate.categories
        return Distribution(
            covariate=self.covariate.name, kind=self.distribution,
            parameters=tuple((name, float(getattr(self, name))) for name in self.parameters),
            lower=lower, upper=upper,
            frequencies=tuple((c, frequencies.get(c, 0.0)) for c in categories) if frequencies else (),
            value=self._value(), source=self.source, derivation=self.derivation, assumed=self.assumed)

    def _bounds(self) -> tuple[float, float]:
        return -math.inf, math.inf

    def _frequencies(self) -> dict[str, float]:
        return {}

    def _value(self) -> Scalar | None:
        return None


class _Truncated(DistributionTable):
    lower: Bound = -math.inf
    upper: Bound = Field(default=math.inf, validate_default=True)

    @field_validator("upper")
    @classmethod
    def _ordered(cls, upper: float, info: ValidationInfo) -> float:
        lower = info.data.get("lower")
        if lower is not None and lower >= upper:
            raise ValueError(f"bounds inverted or empty (lower {lower:g} >= upper {upper:g}); give lower < upper")
        return upper

    @model_validator(mode="after")
    def _inside_the_valid_range(self) -> _Truncated:
        problems = support_problems(self.covariate, self.to_distribution())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _bounds(self) -> tuple[float, float]:
        return self.lower, self.upper


class NormalTable(_Truncated):
    """``distribution = "normal"``: mean, sd (> 0); optionally truncated to [lower, upper]."""

    parameters: ClassVar[tuple[str, ...]] = ("mean", "sd")
    distribution: Literal["normal"]
    mean: Finite
    sd: Annotated[Finite, _rule(lambda v: v > 0, "must be > 0 (use distribution = \"constant\" for no spread)")]


class LognormalTable(_Truncated):
    """``distribution = "lognormal"``: geometric_mean (> 0), cv (> 0); optionally truncated."""

    parameters: ClassVar[tuple[str, ...]] = ("geometric_mean", "cv")
    distribution: Literal["lognormal"]
    geometric_mean: Positive
    cv: Positive


class BetaTable(_Truncated):
    """``distribution = "beta"``: alpha, beta (both > 0); optionally truncated."""

    parameters: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    distribution: Literal["beta"]
    alpha: Positive
    beta: Positive


class ShiftedPoissonTable(DistributionTable):
    """``distribution = "shifted_poisson"``: shift (an integer >= 0) + Poisson(rate >= 0)."""

    parameters: ClassVar[tuple[str, ...]] = ("shift", "rate")
    distribution: Literal["shifted_poisson"]
    shift: Annotated[Finite, _rule(lambda v: v >= 0 and v == int(v), "must be an integer >= 0")]
    rate: NonNegative


class BernoulliTable(DistributionTable):
    """``distribution = "bernoulli"``: p, the probability of true, in [0, 1]."""

    parameters: ClassVar[tuple[str, ...]] = ("p",)
    distribution: Literal["bernoulli"]
    p: Fraction


class CategoricalTable(DistributionTable):
    """``distribution = "categorical"``: frequencies over the covariate's categories, summing to 1."""

    distribution: Literal["categorical"]
    frequencies: dict[str, Fraction]

    @field_validator("frequencies")
    @classmethod
    def _over_the_categories(cls, frequencies: dict[str, float]) -> dict[str, float]:
        categories = cls.covariate.categories
        if not frequencies:
            raise ValueError(f"empty; give a table {{ <category> = <fraction>, ... }} over {', '.join(categories)}")
        unknown = [repr(c) for c in frequencies if c not in categories]
        if unknown:
            raise ValueError(f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                             f"use {', '.join(categories)}")
        total = math.fsum(frequencies.values())
        if abs(total - 1.0) > FREQUENCY_TOLERANCE:
            raise ValueError(f"sum to {total:.12g}, not 1 (within {FREQUENCY_TOLERANCE:g}); rescale them")
        return frequencies

    def _frequencies(self) -> dict[str, float]:
        return self.frequencies


class _HardyWeinberg(DistributionTable):
    parameters: ClassVar[tuple[str, ...]] = (_ALLELE_FREQUENCY,)
    distribution: Literal["hardy_weinberg"]

    def _frequencies(self) -> dict[str, float]:
        return hardy_weinberg(float(getattr(self, _ALLELE_FREQUENCY)), self.covariate.categories)


_ALLELE_FIELD: dict[str, Any] = {_ALLELE_FREQUENCY: (Fraction, ...)}
HardyWeinbergTable = create_model(
    "HardyWeinbergTable", __base__=_HardyWeinberg, __module__=__name__,
    __doc__=f"``distribution = \"hardy_weinberg\"`` (the genotype covariate): {_ALLELE_FREQUENCY} q in [0, 1].",
    **_ALLELE_FIELD)
"""The hardy_weinberg model: its parameter is named by ``covariates.toml`` (``genotype.allele_frequency``)."""


class ConstantTable(DistributionTable):
    """``distribution = "constant"``: one value for every subject, valid for the covariate."""

    distribution: Literal["constant"]
    value: Scalar

    @field_validator("value", mode="plain")
    @classmethod
    def _valid(cls, value: object) -> Scalar:
        spec = cls.covariate
        if spec.type == "boolean" and isinstance(value, bool):
            return value
        if spec.type == "categorical" and isinstance(value, str) and value in spec.categories:
            return value
        if spec.type in ("continuous", "count") and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and spec.contains(value) and (spec.type != "count" or value == int(value)):
            return value
        raise ValueError(f"{value!r} is not a valid {spec.name} ({spec.type}"
                         f"{', one of ' + ', '.join(spec.categories) if spec.categories else ''}"
                         f"{', range ' + _range(spec) if spec.type in ('continuous', 'count') else ''})")

    def _value(self) -> Scalar | None:
        return self.value


_KIND_MODELS: dict[str, type[DistributionTable]] = {
    "normal": NormalTable, "lognormal": LognormalTable, "beta": BetaTable, "shifted_poisson": ShiftedPoissonTable,
    "categorical": CategoricalTable, "hardy_weinberg": HardyWeinbergTable, "bernoulli": BernoulliTable,
    "constant": ConstantTable,
}
_KINDS: dict[ValueType, tuple[str, ...]] = {
    "continuous": ("normal", "lognormal", "beta", "constant"),
    "count": ("shifted_poisson", "constant"),
    "boolean": ("bernoulli", "constant"),
    "categorical": ("categorical", "constant"),
}
Table = TypeVar("Table", bound=DistributionTable)


def kinds(name: str) -> tuple[str, ...]:
    """The distribution kinds covariate ``name`` accepts (from its type; hardy_weinberg for the genotype)."""
    genotype = GENOTYPE is not None and name == GENOTYPE.covariate
    return _KINDS[covariate(name).type] + (("hardy_weinberg",) if genotype else ())


def _bound(kind: type[Table], spec: Covariate) -> type[Table]:
    """``kind``'s model bound to covariate ``spec`` (whose categories, range and type its checks read)."""
    return create_model(f"{kind.__name__}[{spec.name}]", __base__=kind, __module__=__name__, __doc__=kind.__doc__,
                        __namespace__={"covariate": spec})


@cache
def table_type(name: str) -> Any:
    """The schema of covariate ``name``'s table: its kinds' models, a union discriminated by ``distribution``."""
    spec = covariate(name)
    members = tuple(_bound(_KIND_MODELS[kind], spec) for kind in kinds(name))
    return Annotated[reduce(or_, members), Field(discriminator="distribution")]


@cache
def _adapter(name: str) -> TypeAdapter[DistributionTable]:
    return TypeAdapter(table_type(name))


def parse_distribution(name: str, raw: object, where: str) -> tuple[Distribution | None, list[str]]:
    """One covariate table as a :class:`Distribution`, plus every problem found in it (``where.field: ...``)."""
    try:
        table = _adapter(name).validate_python(raw)
    except ValidationError as exc:
        lines = []
        for item in exc.errors(include_url=False):
            path, message = table_problem(item, name, tuple(item["loc"]))
            lines.append(f"{where}{path}: {message}")
        return None, lines
    return table.to_distribution(), []


def _keys(kind: str) -> tuple[str, ...]:
    fields = tuple(_KIND_MODELS[kind].model_fields)
    last = ("lower", "upper", *_PROVENANCE)
    return tuple(f for f in fields if f not in last) + tuple(f for f in last if f in fields)


def table_problem(item: ErrorDetails, name: str, loc: tuple[int | str, ...]) -> tuple[str, str]:
    """``(".field.path", "message; fix")`` of one pydantic error of covariate ``name``'s table.

    ``loc`` is the error's location from the table on: the kind (pydantic's union tag), then the field.
    """
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
        given = item["input"].get("distribution") if isinstance(item["input"], Mapping) else None
        what = "missing" if given is None else f"{given!r} is not a kind for {name}"
        return ".distribution", f"{what}; use one of {', '.join(kinds(name))}"
    if not loc:
        if item["type"] == "model_attributes_type":
            return "", f"{item['input']!r} is not a table; give distribution = \"<kind>\" and its parameters"
        return "", message
    kind, fields = str(loc[0]), loc[1:]
    path = "".join(f".{part}" for part in fields)
    keys = _keys(kind) if kind in _KIND_MODELS else ()
    if item["type"] == "extra_forbidden" and fields:
        close = get_close_matches(str(fields[-1]), keys, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        message = f"unknown key for a {kind} distribution; {hint}known keys: {', '.join(keys)}"
    elif item["type"] == "missing":
        required = [k for k in keys if _KIND_MODELS[kind].model_fields[k].is_required()]
        message = f"missing; a {kind} distribution needs {', '.join(required)}"
    return path, message


def _range(spec: Covariate) -> str:
    return f"{'(' if spec.lower_open else '['}{spec.lower:g}, {spec.upper:g}]"


def support_problems(spec: Covariate, dist: Distribution) -> list[str]:
    """Problems of a truncated continuous distribution against the covariate's valid range."""
    natural = {"normal": (-math.inf, math.inf), "lognormal": (0.0, math.inf), "beta": (0.0, 1.0)}[dist.kind]
    low, high = max(dist.lower, natural[0]), min(dist.upper, natural[1])
    problems = []
    if low < spec.lower or high > spec.upper:
        problems.append(f"lower/upper: a {dist.kind} distribution truncated to [{low:g}, {high:g}] can draw values "
                        f"outside the valid range {_range(spec)} of {spec.name}; add lower/upper inside it")
    mass = float(dist.continuous().cdf(high) - dist.continuous().cdf(low)) if low < high else 0.0
    if mass < MIN_TRUNCATED_MASS:
        problems.append(f"lower/upper: [{low:g}, {high:g}] keeps only {mass:.2g} of the distribution; "
                        "widen the bounds or move the distribution inside them")
    return problems
