"""Draw virtual populations: covariates from a :class:`PopulationSpec`, then parameter overrides.

Randomness: each covariate and each variable parameter is one column with its own stream, the
``(COLUMNS, crc32(label))`` branch of the seed tree documented in :mod:`trdlab.population.streams`
(labels ``"covariate:age"``, ``"variability:ketamine_clearance"``; see :func:`column_labels`).
Changing one distribution leaves every other column unchanged, the first subjects do not depend
on ``n``, and the same seed gives the same population bit for bit (for the same numpy).
Populations drawn with the same seed share streams (common random numbers across populations).

Covariates are drawn independently of each other (no correlations yet). Truncated continuous
kinds are drawn by inversion: u ~ U(F(lower), F(upper)), x = F^-1(u).

Inter-individual variability (spec ``iiv = true``): for every parameter row with ``cv``,
a log-normal multiplier exp(N(-s^2/2, s^2)), s = sqrt(ln(1 + cv^2)), whose mean is exactly 1 and
whose cv is ``cv`` (mean-preserving); ``logitnormal`` rows (fractions p) get
logit(X) = logit(p) + N(0, w^2) with w = cv / (1 - p) (the delta-method cv; median-preserving).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import special

from trdlab.errors import PopulationError
from trdlab.model.library import ParameterRow
from trdlab.population.covariates import (
    COVARIATES, SCHEMA, Distribution, PopulationSpec, population_spec,
)
from trdlab.population.parameters import CovariateModel, covariate_model, parameter_overrides
from trdlab.population.streams import check_seed, column_keys, column_stream

_DTYPES = {"continuous": "float64", "count": "int64", "boolean": "bool", "categorical": "object"}
COVARIATE_DTYPES: dict[str, str] = {c.name: _DTYPES[c.type] for c in SCHEMA}


@dataclass(frozen=True, eq=False)
class Population:
    """A virtual population: covariates and model parameter overrides, one row per subject.

    Attributes:
        name: the population's name.
        seed: the seed it was drawn with (None when read from a file without one).
        covariates: index ``subject`` (0..n-1), the :data:`COVARIATES` columns in order.
        parameters: same index; one column per overridden model parameter, in model units.
        parameter_units: the model unit id of each parameter column.
        spec: the spec it was drawn from (None when read from a file).

    Treat the frames as read-only; use :meth:`overrides` for ``simulate(..., parameters=...)``.
    """

    name: str
    seed: int | None
    covariates: pd.DataFrame = field(repr=False)
    parameters: pd.DataFrame = field(repr=False)
    parameter_units: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    spec: PopulationSpec | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = len(self.covariates)
        expected = pd.RangeIndex(n, name="subject")
        for label, frame in (("covariates", self.covariates), ("parameters", self.parameters)):
            if not frame.index.equals(expected) or frame.index.name != "subject":
                raise PopulationError(f"Population {self.name!r}: {label} index must be 'subject' 0..{n - 1}; "
                                      "reset it with frame.reset_index(drop=True).rename_axis('subject')")
        if tuple(self.covariates.columns) != COVARIATES:
            raise PopulationError(f"Population {self.name!r}: covariate columns {list(self.covariates.columns)} "
                                  f"must be {list(COVARIATES)} in this order")

    def __len__(self) -> int:
        return len(self.covariates)

    def __repr__(self) -> str:
        return (f"Population({self.name!r}, n={len(self)}, seed={self.seed}, "
                f"{self.parameters.shape[1]} parameter overrides)")

    def overrides(self, subject: int) -> dict[str, float]:
        """The parameter overrides of one subject, for ``simulate(..., parameters=...)``."""
        if not isinstance(subject, numbers.Integral) or not 0 <= subject < len(self):
            raise PopulationError(f"subject {subject!r} is not in population {self.name!r}; use 0..{len(self) - 1}")
        return {name: float(value) for name, value in self.parameters.iloc[int(subject)].items()}

    def equals(self, other: Population) -> bool:
        """Same name, seed, covariates and parameters (frames compared exactly)."""
        return (self.name == other.name and self.seed == other.seed
                and self.covariates.equals(other.covariates) and self.parameters.equals(other.parameters))


def generator(seed: int, label: str) -> np.random.Generator:
    """The random stream of one column: ``SeedSequence(seed, spawn_key=(COLUMNS, crc32(label)))``."""
    return column_stream(seed, label)


def column_labels(spec: PopulationSpec, model: CovariateModel) -> tuple[str, ...]:
    """The stream label of every column :func:`sample_population` draws (covariates, then variability)."""
    covariates = tuple(_covariate_label(d.covariate) for d in spec.distributions)
    return covariates + (tuple(_variability_label(rule.parameter) for rule in model.variable) if spec.iiv else ())


def _covariate_label(covariate: str) -> str:
    return f"covariate:{covariate}"


def _variability_label(parameter: str) -> str:
    return f"variability:{parameter}"


def draw(distribution: Distribution, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` independent draws of one covariate (dtype per :data:`COVARIATE_DTYPES`)."""
    kind = distribution.kind
    if kind in ("normal", "lognormal", "beta"):
        continuous = distribution.continuous()
        low, high = continuous.cdf(distribution.lower), continuous.cdf(distribution.upper)
        values = continuous.ppf(low + rng.random(n) * (high - low))
        return np.clip(values, distribution.lower, distribution.upper)
    if kind in ("categorical", "hardy_weinberg"):
        categories = [c for c, _ in distribution.frequencies]
        cumulative = np.cumsum([p for _, p in distribution.frequencies])
        index = np.searchsorted(cumulative / cumulative[-1], rng.random(n), side="right")
        return np.array(categories, dtype=object)[np.minimum(index, len(categories) - 1)]
    if kind == "shifted_poisson":
        return int(distribution.parameter("shift")) + rng.poisson(distribution.parameter("rate"), n).astype(np.int64)
    if kind == "bernoulli":
        return rng.random(n) < distribution.parameter("p")
    dtype = COVARIATE_DTYPES[distribution.covariate]
    return np.full(n, distribution.value, dtype=dtype)


def sample_covariates(spec: PopulationSpec, n: int, seed: int) -> pd.DataFrame:
    """Covariates of ``n`` subjects: each column drawn independently from its own stream."""
    n, seed = _check_n(n), check_seed(seed)
    columns = {d.covariate: draw(d, n, generator(seed, _covariate_label(d.covariate))) for d in spec.distributions}
    frame = pd.DataFrame({c: columns[c] for c in COVARIATES}, index=pd.RangeIndex(n, name="subject"))
    return frame.astype(COVARIATE_DTYPES)


def sample_variability(model: CovariateModel, n: int, seed: int) -> pd.DataFrame:
    """IIV multipliers of ``n`` subjects for every parameter with a ``cv`` (see the module docstring)."""
    n, seed = _check_n(n), check_seed(seed)
    columns: dict[str, np.ndarray] = {}
    for rule in model.variable:
        z = generator(seed, _variability_label(rule.parameter)).standard_normal(n)
        cv = float(rule.cv or 0.0)
        if rule.distribution == "logitnormal":
            p = rule.base
            if not 0 < p < 1:
                raise PopulationError(f"parameter {rule.parameter!r}: logitnormal variability needs a value in (0, 1), "
                                      f"got {p:g}; use lognormal")
            columns[rule.parameter] = special.expit(special.logit(p) + cv / (1 - p) * z) / p
        else:
            s = math.sqrt(math.log1p(cv * cv))
            columns[rule.parameter] = np.exp(s * z - s * s / 2)
    return pd.DataFrame(columns, index=pd.RangeIndex(n, name="subject"), dtype=float)


def sample_population(
    spec_or_name: PopulationSpec | str,
    n: int,
    seed: int,
    *,
    model_parameters: Mapping[str, ParameterRow] | None = None,
    genotype_frequencies: Mapping[str, float] | None = None,
) -> Population:
    """Draw ``n`` virtual subjects of a population.

    Args:
        spec_or_name: a :class:`PopulationSpec` or the name of a packaged population
            (``"mdd"``, ``"trd_unipolar"``, ``"trd_bipolar"``).
        n: number of subjects (a positive int).
        seed: a non-negative int; the same seed gives the same population bit for bit.
        model_parameters: parameter rows of the human model (default its packaged tables);
            their ``cv`` drives variability, their values the overrides.
        genotype_frequencies: BDNF genotype frequencies replacing the spec's
            (``{"val/val": .5, "val/met": .4, "met/met": .1}``).

    Raises:
        PopulationError: bad ``n``, ``seed``, name or frequencies.
    """
    seed, n = check_seed(seed), _check_n(n)
    spec = population_spec(spec_or_name) if isinstance(spec_or_name, str) else spec_or_name
    if not isinstance(spec, PopulationSpec):
        raise PopulationError(f"spec_or_name {spec_or_name!r} is neither a PopulationSpec nor a population name")
    if genotype_frequencies is not None:
        spec = spec.with_genotype_frequencies(genotype_frequencies)
    model = covariate_model(model_parameters)
    column_keys(column_labels(spec, model))  # no two columns share a stream
    covariates = sample_covariates(spec, n, seed)
    variability = sample_variability(model, n, seed) if spec.iiv else None
    parameters = parameter_overrides(covariates, variability, model)
    units = model.units()
    return Population(spec.name, seed, covariates, parameters,
                      tuple((p, units[p]) for p in parameters.columns), spec)


def _check_n(n: object) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n <= 0:
        raise PopulationError(f"n {n!r} is not a positive integer; pass the number of subjects, e.g. n=100")
    return int(n)
