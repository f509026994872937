"""Properties of virtual populations over random seeds and sizes (hypothesis).

For any seed and any n in 1..200: every covariate lies inside the truncation bounds and the valid
categories of populations.toml (read here with tomllib), draws are reproducible bit for bit, the
first subjects do not depend on n (each column has its own stream, the ``(COLUMNS, crc32(label))``
branch of the seed tree), and every parameter override is finite and positive. For random truncated normals, every draw lies inside [lower, upper].
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from trdlab.errors import PopulationError
from trdlab.model.library import default_root
from trdlab.population import covariate_model, draw, generator, population_spec, sample_population
from trdlab.population.covariates import Distribution
from trdlab.population.sampling import column_labels
from trdlab.population.streams import Purpose, column_keys

TABLES = tomllib.loads((default_root() / "populations.toml").read_text(encoding="utf-8"))
CATEGORIES = {"sex": {"female", "male"}, "bdnf_genotype": {"val/val", "val/met", "met/met"},
              "background_therapy": {"none", "lithium", "valproate"}}
SEEDS = st.integers(min_value=0, max_value=2**63 - 1)
SIZES = st.integers(min_value=1, max_value=200)
NAMES = st.sampled_from(sorted(TABLES))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

covariate_model()  # compose the human model once, outside the timed examples


@SETTINGS
@given(name=NAMES, n=SIZES, seed=SEEDS)
def test_covariates_respect_bounds_and_categories(name: str, n: int, seed: int) -> None:
    population = sample_population(name, n, seed)
    covariates = population.covariates
    assert len(covariates) == n and list(covariates.index) == list(range(n))
    for column, table in TABLES[name].items():
        if not isinstance(table, dict):
            continue
        values = covariates[column]
        if column in CATEGORIES:
            if table["distribution"] == "hardy_weinberg":
                allowed = CATEGORIES[column]
            elif table["distribution"] == "categorical":
                allowed = {category for category, p in table["frequencies"].items() if p > 0}
            else:
                allowed = {table["value"]}
            assert set(values) <= allowed, column
        elif table["distribution"] in ("normal", "lognormal", "beta"):
            lower = max(table.get("lower", -math.inf), 0.0 if table["distribution"] != "normal" else -math.inf)
            upper = min(table.get("upper", math.inf), 1.0 if table["distribution"] == "beta" else math.inf)
            assert values.between(lower, upper).all(), column
        elif table["distribution"] == "shifted_poisson":
            assert (values >= table["shift"]).all()
        else:
            assert (values == table["value"]).all()
    parameters = population.parameters.to_numpy()
    assert np.isfinite(parameters).all()
    positive = population.parameters.drop(columns="chronic_stress_load").to_numpy()
    assert (positive > 0).all()


@SETTINGS
@given(name=NAMES, n=SIZES, extra=st.integers(min_value=1, max_value=50), seed=SEEDS)
def test_same_seed_same_population_and_first_subjects_do_not_depend_on_n(name: str, n: int, extra: int,
                                                                          seed: int) -> None:
    a, b = sample_population(name, n, seed), sample_population(name, n, seed)
    assert_frame_equal(a.covariates, b.covariates, check_exact=True)
    assert_frame_equal(a.parameters, b.parameters, check_exact=True)
    longer = sample_population(name, n + extra, seed)
    assert_frame_equal(longer.covariates.iloc[:n], a.covariates, check_exact=True)
    assert_frame_equal(longer.parameters.iloc[:n], a.parameters, check_exact=True)


@SETTINGS
@given(name=NAMES, n=SIZES, seed=SEEDS)
def test_each_covariate_is_drawn_from_its_own_column_stream(name: str, n: int, seed: int) -> None:
    spec = population_spec(name)
    labels = column_labels(spec, covariate_model())
    assert len(set(column_keys(labels).values())) == len(labels)
    population = sample_population(name, n, seed)
    for distribution, label in zip(spec.distributions, labels):
        rng = generator(seed, label)
        seed_seq = rng.bit_generator.seed_seq
        assert isinstance(seed_seq, np.random.SeedSequence) and seed_seq.spawn_key[0] == Purpose.COLUMNS
        expected = draw(distribution, n, rng)
        assert (population.covariates[distribution.covariate].to_numpy() == expected).all(), label


@SETTINGS
@given(mean=st.floats(0.0, 1.0), sd=st.floats(0.01, 0.5), lower=st.floats(0.0, 1.0), width=st.floats(0.001, 1.0),
       n=SIZES, seed=SEEDS)
def test_truncated_normal_draws_stay_inside_the_bounds(mean: float, sd: float, lower: float, width: float,
                                                       n: int, seed: int) -> None:
    upper = min(lower + width, 1.0)
    assume(upper > lower)
    table = {"distribution": "normal", "mean": mean, "sd": sd, "lower": lower, "upper": upper, "assumed": "test"}
    try:
        spec = population_spec("mdd").with_covariate("baseline_severity", table)
    except PopulationError as exc:  # bounds that keep almost none of the distribution are rejected
        assert "keeps only" in str(exc)
        return
    dist: Distribution = spec.distribution("baseline_severity")
    values = draw(dist, n, generator(seed, "test"))
    assert ((values >= lower) & (values <= upper)).all()
