"""Population specs: a virtual patient's covariates and the distributions they are drawn from.

``library/populations.toml`` holds one table per population: ``description``, ``iiv`` (true:
draw inter-individual variability of the model's parameters) and one sub-table per covariate with
``distribution`` (the kind), its parameters, optional truncation ``lower``/``upper``, and
``source`` + ``derivation`` (a key of ``references.bib``) or ``assumed``.

Covariates (:data:`COVARIATES`, the column order of every population):

- ``age`` (year), ``weight_kg`` (kg);
- ``sex``: ``"female"`` / ``"male"``;
- ``baseline_severity``: latent severity, 0 = no symptoms, 1 = the most severe possible;
  MADRS total ~ 60 x severity (MADRS 34 -> 0.57);
- ``bdnf_genotype``: ``"val/val"``, ``"val/met"``, ``"met/met"`` (BDNF Val66Met);
- ``mg_intake_fraction``: dietary magnesium relative to the requirement of the model's table;
- ``chronic_stress_load``: sustained stress drive (dimensionless, >= 0, stress_load units);
- ``failed_trials``: failed adequate antidepressant trials (integer >= 0); ``bipolar`` (bool);
- ``background_therapy``: ``"none"``, ``"lithium"``, ``"valproate"``;
- ``ssri_adaptation_gain``: multiplier of the effect of slow monoaminergic adaptation.

Distribution kinds: ``normal`` (mean, sd), ``lognormal`` (geometric_mean, cv: log-scale
s = sqrt(ln(1 + cv^2))), ``beta`` (alpha, beta), each optionally truncated to [lower, upper];
``shifted_poisson`` (shift + Poisson(rate)); ``categorical`` (frequencies summing to 1);
``hardy_weinberg`` (met_allele_frequency q: (1-q)^2, 2q(1-q), q^2); ``bernoulli`` (p);
``constant`` (value).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Literal, Mapping

from scipy import stats

from trdlab.errors import PopulationError

DistributionKind = Literal[
    "normal", "lognormal", "beta", "shifted_poisson", "categorical", "hardy_weinberg", "bernoulli", "constant"
]
ValueType = Literal["continuous", "count", "boolean", "categorical"]
Scalar = float | int | bool | str


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

    def contains(self, value: float) -> bool:
        """Whether a numeric value lies in the covariate's valid range."""
        above = value > self.lower if self.lower_open else value >= self.lower
        return bool(above and value <= self.upper)


SCHEMA: tuple[Covariate, ...] = (
    Covariate("age", "continuous", "year", 0.0, 120.0),
    Covariate("sex", "categorical", "", categories=("female", "male")),
    Covariate("weight_kg", "continuous", "kg", 0.0, 500.0, lower_open=True),
    Covariate("baseline_severity", "continuous", "dimensionless", 0.0, 1.0),
    Covariate("bdnf_genotype", "categorical", "", categories=("val/val", "val/met", "met/met")),
    Covariate("mg_intake_fraction", "continuous", "dimensionless", 0.0),
    Covariate("chronic_stress_load", "continuous", "dimensionless", 0.0),
    Covariate("failed_trials", "count", "", 0.0),
    Covariate("bipolar", "boolean", ""),
    Covariate("background_therapy", "categorical", "", categories=("none", "lithium", "valproate")),
    Covariate("ssri_adaptation_gain", "continuous", "dimensionless", 0.0),
)
COVARIATES: tuple[str, ...] = tuple(c.name for c in SCHEMA)
_BY_NAME = {c.name: c for c in SCHEMA}

_KINDS: dict[ValueType, tuple[str, ...]] = {
    "continuous": ("normal", "lognormal", "beta", "constant"),
    "count": ("shifted_poisson", "constant"),
    "boolean": ("bernoulli", "constant"),
    "categorical": ("categorical", "constant"),
}
_PARAMETERS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "sd"), "lognormal": ("geometric_mean", "cv"), "beta": ("alpha", "beta"),
    "shifted_poisson": ("shift", "rate"), "hardy_weinberg": ("met_allele_frequency",), "bernoulli": ("p",),
    "categorical": (), "constant": (),
}
_TRUNCATABLE = ("normal", "lognormal", "beta")
_PROVENANCE = ("source", "derivation", "assumed")
FREQUENCY_TOLERANCE = 1e-9
MIN_TRUNCATED_MASS = 1e-6


def covariate(name: str) -> Covariate:
    """The schema entry of a covariate; raises :class:`PopulationError` for an unknown name."""
    if name not in _BY_NAME:
        raise PopulationError(f"unknown covariate {name!r}; covariates are: {', '.join(COVARIATES)}")
    return _BY_NAME[name]


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


def hardy_weinberg(met_allele_frequency: float) -> dict[str, float]:
    """Genotype frequencies from the Met allele frequency q: val/val (1-q)^2, val/met 2q(1-q), met/met q^2."""
    q = met_allele_frequency
    return {"val/val": (1 - q) ** 2, "val/met": 2 * q * (1 - q), "met/met": q * q}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _parse_distribution(name: str, raw: object, where: str) -> tuple[Distribution | None, list[str]]:
    """One covariate table as a :class:`Distribution`, plus every problem found in it."""
    spec = _BY_NAME[name]
    if not isinstance(raw, Mapping):
        return None, [f"{where}: is not a table; give distribution = \"<kind>\" and its parameters"]
    kinds = _KINDS[spec.type] + (("hardy_weinberg",) if name == "bdnf_genotype" else ())
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
    elif kind == "hardy_weinberg" and "met_allele_frequency" in params:
        frequencies = hardy_weinberg(params["met_allele_frequency"])
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
        "met_allele_frequency": (lambda v: 0 <= v <= 1, "must lie in [0, 1]"),
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
        where = f"{self.source}: [{self.name}.{covariate_name}]"
        dist, problems = _parse_distribution(covariate_name, table, where)
        if problems or dist is None:
            raise PopulationError(_listing(f"override of {covariate_name} in population {self.name!r}", problems))
        return replace(self, distributions=tuple(dist if d.covariate == covariate_name else d
                                                 for d in self.distributions))

    def with_genotype_frequencies(self, frequencies: Mapping[str, float]) -> PopulationSpec:
        """A copy with BDNF genotype frequencies (``{"val/val": .5, "val/met": .4, "met/met": .1}``)."""
        return self.with_covariate("bdnf_genotype", {
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


def _parse_spec(name: str, mapping: Mapping[str, object], source: str) -> tuple[PopulationSpec | None, list[str]]:
    where = f"{source}: [{name}]"
    if not isinstance(mapping, Mapping):
        return None, [f"{where}: is not a table of covariates"]
    problems = [f"{where} {key}: unknown field; use description, iiv or a covariate ({', '.join(COVARIATES)})"
                for key in sorted(set(mapping) - {"description", "iiv", *COVARIATES})]
    iiv = mapping.get("iiv")
    if not isinstance(iiv, bool):
        problems.append(f"{where} iiv: {iiv!r} is not true/false; add iiv = true (or false) to switch parameter "
                        "variability")
    description = mapping.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where} description: not text")
    missing = [c for c in COVARIATES if c not in mapping]
    if missing:
        problems.append(f"{where}: missing covariate table(s) {', '.join(missing)}; add [{name}.<covariate>] for each")
    distributions = []
    for name_ in COVARIATES:
        if name_ in mapping:
            dist, found = _parse_distribution(name_, mapping[name_], f"{source}: [{name}.{name_}]")
            problems += found
            distributions.append(dist)
    if problems:
        return None, problems
    return PopulationSpec(name, tuple(distributions), bool(iiv), str(description), source), []


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


def population_spec(name: str, path: Path | str | None = None) -> PopulationSpec:
    """One named population (``"mdd"``, ``"trd_unipolar"``, ``"trd_bipolar"`` in the packaged file)."""
    specs = load_population_specs(path)
    if name not in specs:
        raise PopulationError(f"unknown population {name!r}; known populations: {', '.join(specs)}")
    return specs[name]
