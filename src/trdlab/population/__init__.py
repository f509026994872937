"""Virtual populations: covariate specs, sampling, covariate -> parameter mapping, files.

- :mod:`~trdlab.population.definitions`: the covariates, their links to model parameters
  (``library/covariates.toml``: data, with the reason of each link);
- :mod:`~trdlab.population.distributions`: how one covariate is drawn (:class:`Distribution`);
- :mod:`~trdlab.population.covariates`: :class:`PopulationSpec` (``library/populations.toml``);
- :mod:`~trdlab.population.sampling`: :func:`sample_population` -> :class:`Population`;
- :mod:`~trdlab.population.parameters`: covariates -> model parameter overrides (model units);
- :mod:`~trdlab.population.files`: :func:`load_population` (CSV/Parquet), :func:`save_population`.

Example::

    population = sample_population(population_names()[0], n=200, seed=2013)
    result = simulate(model, regimen, times, parameters=population.overrides(0))
"""

from trdlab.population.covariates import PopulationSpec, load_population_specs, population_names, population_spec
from trdlab.population.definitions import (
    COVARIATES,
    Covariate,
    CovariateLibrary,
    CovariateLink,
    load_covariate_library,
)
from trdlab.population.distributions import Distribution
from trdlab.population.files import load_population, save_population
from trdlab.population.parameters import (
    CovariateModel,
    ParameterRule,
    covariate_model,
    parameter_overrides,
    subject_overrides,
)
from trdlab.population.sampling import (
    Population,
    check_seed,
    draw,
    generator,
    sample_covariates,
    sample_population,
    sample_variability,
)

__all__ = [
    "COVARIATES",
    "Covariate",
    "CovariateLibrary",
    "CovariateLink",
    "CovariateModel",
    "Distribution",
    "ParameterRule",
    "Population",
    "PopulationSpec",
    "check_seed",
    "covariate_model",
    "draw",
    "generator",
    "load_covariate_library",
    "load_population",
    "load_population_specs",
    "parameter_overrides",
    "population_names",
    "population_spec",
    "sample_covariates",
    "sample_population",
    "sample_variability",
    "save_population",
    "subject_overrides",
]
