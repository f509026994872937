"""Covariate distributions: how one covariate of a population is drawn, and the check of its table.

A covariate table of a population file has ``distribution`` (the kind), its parameters, optional
truncation ``lower``/``upper``, and ``source`` + ``derivation`` (a key of ``references.bib``) or
``assumed``. Kinds: ``normal`` (mean, sd), ``lognormal`` (geometric_mean, cv: log-scale
s = sqrt(ln(1 + cv^2))), ``beta`` (alpha, beta), each optionally truncated to [lower, upper];
``shifted_poisson`` (shift + Poisson(rate)); ``categorical`` (frequencies summing to 1);
``hardy_weinberg`` for the genotype covariate (allele frequency q, its parameter named by
``covariates.toml``: (1-q)^2, 2q(1-q), q^2 over the genotype's three categories); ``bernoulli``
(p); ``constant`` (value). Which kinds a covariate accepts follows from its type
(:mod:`trdlab.population.definitions`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Mapping

from scipy import stats

from trdlab.errors import PopulationError
from trdlab.population.definitions import GENOTYPE, Covariate, ValueType, covariate

DistributionKind = Literal[
    "normal", "lognormal", "beta", "shifted_poisson", "categorical", "hardy_weinberg", "bernoulli", "constant"
]
Scalar = float | int | bool | str

_KINDS: dict[ValueType, tuple[str, ...]] = {
    "continuous": ("normal", "lognormal", "beta", "constant"),
    "count": ("shifted_poisson", "constant"),
    "boolean": ("bernoulli", "constant"),
    "categorical": ("categorical", "constant"),
}
_ALLELE_FREQUENCY = GENOTYPE.allele_frequency if GENOTYPE is not None else "allele_frequency"
_PARAMETERS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "sd"), "lognormal": ("geometric_mean", "cv"), "beta": ("alpha", "beta"),
    "shifted_poisson": ("shift", "rate"), "hardy_weinberg": (_ALLELE_FREQUENCY,), "bernoulli": ("p",),
    "categorical": (), "constant": (),
}
_TRUNCATABLE = ("normal", "lognormal", "beta")
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


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def parse_distribution(name: str, raw: object, where: str) -> tuple[Distribution | None, list[str]]:
    """One covariate table as a :class:`Distribution`, plus every problem found in it (``where: field: ...``)."""
    spec = covariate(name)
    if not isinstance(raw, Mapping):
        return None, [f"{where}: is not a table; give distribution = \"<kind>\" and its parameters"]
    kinds = _KINDS[spec.type] + (("hardy_weinberg",) if GENOTYPE is not None and name == GENOTYPE.covariate else ())
    kind = raw.get("distribution")
    if kind not in kinds:
        return None, [f"{where} distribution: {kind!r} is not a kind for {name}; use one of {', '.join(kinds)}"]
    problems: list[str] = []
    allowed = {"distribution", *_PARAMETERS[kind], *_PROVENANCE}
    allowed |= {"lower", "upper"} if kind in _TRUNCATABLE else set()
    allowed |= {"frequencies"} if kind == "categorical" else {"value"} if kind == "constant" else set()
    problems += [f"{where} {key}: unknown field for a {kind} distribution; use only {', '.join(sorted(allowed))}"
                 for key in sorted(set(raw) - allowed)]
    params: dict[str, float] = {}
    for key in _PARAMETERS[kind]:
        number = _number(raw.get(key))
        if number is None or not math.isfinite(number):
            problems.append(f"{where} {key}: {raw.get(key)!r} is not a finite number; give {key} = <number>")
        else:
            params[key] = number
    problems += _parameter_problems(kind, params, where)
    lower, upper = (_number(raw.get(k, inf)) for k, inf in (("lower", -math.inf), ("upper", math.inf)))
    if lower is None or upper is None:
        problems.append(f"{where} lower/upper: {raw.get('lower')!r}, {raw.get('upper')!r} must be numbers")
        lower, upper = -math.inf, math.inf
    elif lower >= upper:
        problems.append(f"{where} lower/upper: bounds inverted or empty (lower {lower:g} >= upper {upper:g}); "
                        "give lower < upper")
    frequencies: dict[str, float] = {}
    if kind == "categorical":
        frequencies = _frequencies(spec, raw.get("frequencies"), where, problems)
    elif kind == "hardy_weinberg" and _ALLELE_FREQUENCY in params:
        frequencies = hardy_weinberg(params[_ALLELE_FREQUENCY], spec.categories)
    value = raw.get("value")
    if kind == "constant":
        problems += _constant_problems(spec, value, where)
    if raw.get("source") is None and raw.get("assumed") is None:
        problems.append(f"{where} source: neither source nor assumed; add source = \"<bibkey>\" with "
                        "derivation = \"...\", or assumed = \"<reason>\"")
    if raw.get("source") is not None and raw.get("derivation") is None:
        problems.append(f"{where} derivation: source without derivation; add derivation = \"one line\"")
    if problems:
        return None, problems
    distribution = Distribution(
        covariate=name, kind=kind, parameters=tuple(params.items()), lower=lower, upper=upper,
        frequencies=tuple((c, frequencies.get(c, 0.0)) for c in spec.categories) if frequencies else (),
        value=value if kind == "constant" else None,
        **{k: None if raw.get(k) is None else str(raw.get(k)) for k in _PROVENANCE},
    )
    return distribution, _support_problems(spec, distribution, where)


def _parameter_problems(kind: str, params: Mapping[str, float], where: str) -> list[str]:
    checks = {
        "sd": (lambda v: v > 0, "must be > 0 (use distribution = \"constant\" for no spread)"),
        "geometric_mean": (lambda v: v > 0, "must be > 0"),
        "cv": (lambda v: v > 0, "must be > 0"),
        "alpha": (lambda v: v > 0, "must be > 0"), "beta": (lambda v: v > 0, "must be > 0"),
        "rate": (lambda v: v >= 0, "must be >= 0"),
        "shift": (lambda v: v >= 0 and v == int(v), "must be an integer >= 0"),
        "p": (lambda v: 0 <= v <= 1, "must lie in [0, 1]"),
        _ALLELE_FREQUENCY: (lambda v: 0 <= v <= 1, "must lie in [0, 1]"),
    }
    return [f"{where} {key}: {value:g} {checks[key][1]}" for key, value in params.items()
            if key in checks and not checks[key][0](value)]


def _frequencies(spec: Covariate, raw: object, where: str, problems: list[str]) -> dict[str, float]:
    if not isinstance(raw, Mapping) or not raw:
        problems.append(f"{where} frequencies: give a table {{ <category> = <fraction>, ... }} over "
                        f"{', '.join(spec.categories)}")
        return {}
    out: dict[str, float] = {}
    for category, fraction in raw.items():
        number = _number(fraction)
        if category not in spec.categories:
            problems.append(f"{where} frequencies: unknown category {category!r}; use {', '.join(spec.categories)}")
        elif number is None or not 0 <= number <= 1:
            problems.append(f"{where} frequencies.{category}: {fraction!r} is not a fraction in [0, 1]")
        else:
            out[category] = number
    total = math.fsum(out.values())
    if len(out) == len(raw) and abs(total - 1.0) > FREQUENCY_TOLERANCE:
        problems.append(f"{where} frequencies: sum to {total:.12g}, not 1 (within {FREQUENCY_TOLERANCE:g}); "
                        "rescale them")
    return out


def _constant_problems(spec: Covariate, value: object, where: str) -> list[str]:
    if spec.type == "boolean":
        ok = isinstance(value, bool)
    elif spec.type == "categorical":
        ok = value in spec.categories
    else:
        number = _number(value)
        ok = number is not None and spec.contains(number) and (spec.type != "count" or number == int(number))
    return [] if ok else [f"{where} value: {value!r} is not a valid {spec.name} ({spec.type}"
                          f"{', one of ' + ', '.join(spec.categories) if spec.categories else ''}"
                          f"{', range ' + _range(spec) if spec.type in ('continuous', 'count') else ''})"]


def _range(spec: Covariate) -> str:
    return f"{'(' if spec.lower_open else '['}{spec.lower:g}, {spec.upper:g}]"


def _support_problems(spec: Covariate, dist: Distribution, where: str) -> list[str]:
    if dist.kind not in _TRUNCATABLE:
        return []
    natural = {"normal": (-math.inf, math.inf), "lognormal": (0.0, math.inf), "beta": (0.0, 1.0)}[dist.kind]
    low, high = max(dist.lower, natural[0]), min(dist.upper, natural[1])
    problems = []
    if low < spec.lower or high > spec.upper:
        problems.append(f"{where} lower/upper: a {dist.kind} distribution truncated to [{low:g}, {high:g}] can "
                        f"draw values outside the valid range {_range(spec)} of {spec.name}; add lower/upper inside it")
    mass = float(dist.continuous().cdf(high) - dist.continuous().cdf(low)) if low < high else 0.0
    if mass < MIN_TRUNCATED_MASS:
        problems.append(f"{where} lower/upper: [{low:g}, {high:g}] keeps only {mass:.2g} of the distribution; "
                        "widen the bounds or move the distribution inside them")
    return problems


