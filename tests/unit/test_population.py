"""Virtual populations: specs, sampling statistics, covariate -> parameter mapping, files.

Expected values are derived in the tests: covariate moments from closed forms of the (truncated)
distributions read from populations.toml with tomllib, tolerances from the sampling distribution
(mean within 4 standard errors, frequencies within 4 binomial standard errors); parameter values
from the table rows and genotypes.toml read here, with the build's allometric rule written out.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy import stats

from trdlab.errors import OutputError, PopulationError
from trdlab.model.library import default_root, load_references, load_table
from trdlab.population import (
    COVARIATES,
    Population,
    PopulationSpec,
    covariate_model,
    load_population,
    load_population_specs,
    parameter_overrides,
    population_spec,
    sample_covariates,
    sample_population,
    sample_variability,
    save_population,
    subject_overrides,
)

LIBRARY = default_root()
TABLES = tomllib.loads((LIBRARY / "populations.toml").read_text(encoding="utf-8"))
GENOTYPES = tomllib.loads((LIBRARY / "genotypes.toml").read_text(encoding="utf-8"))
N = 20_000


def row(table: str, name: str):  # noqa: ANN201 - a ParameterRow
    return next(r for r in load_table(table)[0] if r.name == name)


def truncated_moments(t: dict) -> tuple[float, float]:
    """Mean and sd of a (truncated) normal, log-normal or beta distribution, in closed form."""
    lower, upper = t.get("lower", -math.inf), t.get("upper", math.inf)
    phi, Phi = stats.norm.pdf, stats.norm.cdf
    if t["distribution"] == "normal":
        mu, sd = t["mean"], t["sd"]
        a, b = (lower - mu) / sd, (upper - mu) / sd
        z = Phi(b) - Phi(a)
        pa, pb = phi(a), 0.0 if math.isinf(b) else phi(b)
        ta, tb = (0.0 if math.isinf(a) else a * pa), (0.0 if math.isinf(b) else b * pb)
        mean = mu + sd * (pa - pb) / z
        var = sd**2 * (1 + (ta - tb) / z - ((pa - pb) / z) ** 2)
        return mean, math.sqrt(var)
    if t["distribution"] == "lognormal":
        m, s = math.log(t["geometric_mean"]), math.sqrt(math.log(1 + t["cv"] ** 2))
        la, lb = (math.log(lower) if lower > 0 else -math.inf), math.log(upper) if math.isfinite(upper) else math.inf
        z = Phi((lb - m) / s) - Phi((la - m) / s)

        def moment(k: int) -> float:
            return math.exp(k * m + k * k * s * s / 2) * (Phi((lb - m - k * s * s) / s) - Phi((la - m - k * s * s) / s)) / z

        return moment(1), math.sqrt(moment(2) - moment(1) ** 2)
    a, b = t["alpha"], t["beta"]
    assert "lower" not in t and "upper" not in t, "closed form below is for the untruncated beta"
    return a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))


@pytest.fixture(scope="module")
def populations() -> dict[str, Population]:
    return {name: sample_population(name, N, 2013) for name in TABLES}


# ---- specs -------------------------------------------------------------------------------------

def test_packaged_populations_load_with_cited_or_assumed_covariates() -> None:
    specs = load_population_specs()
    assert list(specs) == ["mdd", "trd_unipolar", "trd_bipolar"]
    references = load_references()
    for spec in specs.values():
        assert isinstance(spec.iiv, bool) and [d.covariate for d in spec.distributions] == list(COVARIATES)
        for dist in spec.distributions:
            assert dist.source in references or (dist.source is None and dist.assumed), (spec.name, dist.covariate)
            assert dist.source is None or dist.derivation


def test_a_spec_with_several_problems_gets_one_error_naming_each() -> None:
    bad = dict(TABLES["mdd"])
    bad["age"] = {**TABLES["mdd"]["age"], "sd": -2.0}
    bad["weight_kg"] = {**TABLES["mdd"]["weight_kg"], "lower": 200, "upper": 40}
    bad["sex"] = {**TABLES["mdd"]["sex"], "frequencies": {"female": 0.6, "male": 0.3}}
    bad["baseline_severity"] = {"distribution": "gamma", "assumed": "x"}
    del bad["bipolar"]
    with pytest.raises(PopulationError) as info:
        PopulationSpec.from_mapping("broken", bad, "test")
    message = str(info.value)
    assert "5 problems" in message
    for fragment in ("[broken].age.sd: -2", "[broken].weight_kg.upper: bounds inverted",
                     "[broken].sex.frequencies: sum to 0.9", "[broken].baseline_severity.distribution: 'gamma'",
                     "[broken].bipolar: missing covariate table"):
        assert fragment in message


def test_unknown_population_lists_the_known_ones() -> None:
    with pytest.raises(PopulationError, match="known populations: mdd, trd_unipolar, trd_bipolar"):
        population_spec("healthy")


def test_untruncated_normal_age_is_rejected_because_it_can_go_negative() -> None:
    table = {**TABLES["mdd"], "age": {"distribution": "normal", "mean": 40.0, "sd": 13.0, "assumed": "x"}}
    with pytest.raises(PopulationError, match="valid range"):
        PopulationSpec.from_mapping("m", table)


def test_a_file_with_problems_in_two_populations_gets_one_error(tmp_path: Path) -> None:
    text = (LIBRARY / "populations.toml").read_text(encoding="utf-8")
    text = text.replace("met_allele_frequency = 0.2", "met_allele_frequency = 1.2", 2)
    path = tmp_path / "populations.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PopulationError) as info:
        load_population_specs(path)
    message = str(info.value)
    assert "2 problems" in message
    for name in ("mdd", "trd_unipolar"):
        assert f"populations.toml: [{name}].bdnf_genotype.met_allele_frequency: 1.2 must lie in [0, 1]" in message


def test_genotype_frequencies_can_be_overridden_and_are_validated() -> None:
    spec = population_spec("mdd").with_genotype_frequencies({"val/val": 0.5, "val/met": 0.4, "met/met": 0.1})
    assert dict(spec.distribution("bdnf_genotype").frequencies) == {"val/val": 0.5, "val/met": 0.4, "met/met": 0.1}
    with pytest.raises(PopulationError, match="sum to"):
        spec.with_genotype_frequencies({"val/val": 0.5, "val/met": 0.4, "met/met": 0.2})
    with pytest.raises(PopulationError, match="unknown category 'met/val'"):
        spec.with_genotype_frequencies({"val/val": 0.5, "met/val": 0.5})


# ---- arguments and reproducibility ---------------------------------------------------------------

@pytest.mark.parametrize("seed", [1.0, "1", True, np.bool_(False), -1, None])
def test_non_integer_or_negative_seeds_are_rejected(seed: object) -> None:
    with pytest.raises(PopulationError, match="seed"):
        sample_population("mdd", 5, seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, -3, 2.0, True])
def test_n_must_be_a_positive_integer(n: object) -> None:
    with pytest.raises(PopulationError, match="^n "):
        sample_population("mdd", n, 1)  # type: ignore[arg-type]


def test_same_seed_gives_identical_frames_and_other_seeds_differ() -> None:
    a, b = sample_population("trd_unipolar", 300, 11), sample_population("trd_unipolar", 300, np.int64(11))
    assert_frame_equal(a.covariates, b.covariates, check_exact=True)
    assert_frame_equal(a.parameters, b.parameters, check_exact=True)
    c = sample_population("trd_unipolar", 300, 12)
    for column in ("age", "weight_kg", "baseline_severity", "chronic_stress_load"):
        assert not np.array_equal(a.covariates[column], c.covariates[column])
    assert not np.array_equal(a.parameters["ketamine_clearance"], c.parameters["ketamine_clearance"])


def test_changing_one_covariate_leaves_the_others_unchanged() -> None:
    spec = population_spec("mdd")
    changed = spec.with_covariate("age", {"distribution": "normal", "mean": 60.0, "sd": 5.0, "lower": 18, "upper": 75})
    a, b = sample_covariates(spec, 200, 5), sample_covariates(changed, 200, 5)
    assert_frame_equal(a.drop(columns="age"), b.drop(columns="age"), check_exact=True)


# ---- covariate statistics ------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(TABLES))
@pytest.mark.parametrize("column", ["age", "weight_kg", "baseline_severity", "mg_intake_fraction",
                                    "chronic_stress_load", "ssri_adaptation_gain"])
def test_continuous_covariate_moments_match_the_distribution(populations: dict, name: str, column: str) -> None:
    table = TABLES[name][column]
    mean, sd = truncated_moments(table)
    values = populations[name].covariates[column].to_numpy()
    assert abs(values.mean() - mean) < 4 * sd / math.sqrt(N)
    assert abs(values.std(ddof=1) - sd) < 0.05 * sd
    assert values.min() >= table.get("lower", -math.inf) and values.max() <= table.get("upper", math.inf)


@pytest.mark.parametrize("name", list(TABLES))
def test_categorical_frequencies_lie_within_binomial_tolerance(populations: dict, name: str) -> None:
    covariates = populations[name].covariates
    q = TABLES[name]["bdnf_genotype"]["met_allele_frequency"]
    expected = {"bdnf_genotype": {"val/val": (1 - q) ** 2, "val/met": 2 * q * (1 - q), "met/met": q**2},
                "sex": TABLES[name]["sex"]["frequencies"]}
    therapy = TABLES[name]["background_therapy"]
    expected["background_therapy"] = therapy.get("frequencies") or {therapy["value"]: 1.0}
    for column, frequencies in expected.items():
        observed = covariates[column].value_counts(normalize=True)
        assert set(observed.index) <= set(frequencies)
        for category, p in frequencies.items():
            assert abs(observed.get(category, 0.0) - p) <= 4 * math.sqrt(p * (1 - p) / N), (column, category)


@pytest.mark.parametrize("name", list(TABLES))
def test_failed_trials_and_bipolar_follow_the_spec(populations: dict, name: str) -> None:
    covariates = populations[name].covariates
    trials = TABLES[name]["failed_trials"]
    values = covariates["failed_trials"].to_numpy()
    assert values.dtype == np.int64
    if trials["distribution"] == "constant":
        assert (values == trials["value"]).all()
    else:
        shift, rate = trials["shift"], trials["rate"]
        assert values.min() >= shift and abs(values.mean() - (shift + rate)) < 4 * math.sqrt(rate / N)
    assert (covariates["bipolar"] == TABLES[name]["bipolar"]["value"]).all()


# ---- covariates -> parameters --------------------------------------------------------------------

def test_genotype_overrides_come_from_genotypes_toml() -> None:
    base = sample_population("mdd", 1, 3).covariates.iloc[0].to_dict()
    for genotype in ("val/val", "val/met", "met/met"):
        overrides = subject_overrides({**base, "bdnf_genotype": genotype})
        for parameter, value in GENOTYPES[genotype]["parameters"].items():
            assert overrides[parameter] == value


def test_weight_scaling_follows_the_build_allometry_and_covariates_scale_their_rows() -> None:
    population = sample_population(population_spec("trd_unipolar").with_iiv(False), 500, 8)
    c, p = population.covariates, population.parameters
    w = c["weight_kg"].to_numpy()
    reference = row("human", "body_weight").value
    for name in ("ketamine_clearance", "ketamine_central_volume", "ketamine_intercompartmental_clearance"):
        r = row("ketamine_pk", name)
        np.testing.assert_allclose(p[name], r.value * (w / 70.0) ** r.allometric_exponent, rtol=1e-12)
    # brain size does not follow an individual's body weight: no per-subject override
    assert "brain_volume" not in p.columns and "brain_blood_flow" not in p.columns
    intake = row("magnesium_human", "mg_dietary_intake")  # mg/d/kg -> mg/h
    np.testing.assert_allclose(p["mg_dietary_intake"], intake.value * w / 24 * c["mg_intake_fraction"], rtol=1e-12)
    np.testing.assert_allclose(p["ssri_creb_gain"], row("mechanism", "ssri_creb_gain").value
                               * c["ssri_adaptation_gain"], rtol=1e-12)
    np.testing.assert_array_equal(p["chronic_stress_load"], c["chronic_stress_load"])
    np.testing.assert_array_equal(p["body_weight"], w)
    assert "citalopram_clearance" not in p.columns  # no weight scaling, and iiv is off
    assert reference == 70.0 and dict(population.parameter_units)["mg_dietary_intake"] == "mg_per_hour"


def test_iiv_multipliers_are_mean_preserving_lognormals() -> None:
    population = sample_population("mdd", N, 99)
    w = population.covariates["weight_kg"].to_numpy()
    r = row("ketamine_pk", "ketamine_clearance")
    multiplier = population.parameters["ketamine_clearance"].to_numpy() / (r.value * (w / 70.0) ** 0.75)
    s = math.sqrt(math.log(1 + r.cv**2))
    assert abs(multiplier.mean() - 1.0) < 4 * r.cv / math.sqrt(N)
    assert abs(np.log(multiplier).std(ddof=1) - s) < 4 * s / math.sqrt(2 * (N - 1))
    assert abs(np.log(multiplier).mean() + s * s / 2) < 4 * s / math.sqrt(N)
    citalopram = row("human", "citalopram_clearance")
    ratio = population.parameters["citalopram_clearance"] / citalopram.value
    assert abs(ratio.mean() - 1.0) < 4 * citalopram.cv / math.sqrt(N)


def test_model_parameters_argument_sets_the_variability() -> None:
    from trdlab.model.library import load_parameters, load_species_set
    from dataclasses import replace
    rows, _ = load_parameters(load_species_set("human"))
    rows["ketamine_clearance"] = replace(rows["ketamine_clearance"], cv=0.8)
    multipliers = sample_variability(covariate_model(rows), N, 4)["ketamine_clearance"]
    s = math.sqrt(math.log(1 + 0.8**2))
    assert abs(np.log(multipliers).std(ddof=1) - s) < 4 * s / math.sqrt(2 * (N - 1))
    assert sample_population("mdd", 10, 4, model_parameters=rows).parameters.shape[0] == 10


def test_subject_overrides_equal_the_population_row() -> None:
    population = sample_population("trd_bipolar", 20, 17)
    variability = sample_variability(covariate_model(), 20, 17)
    for subject in (0, 7, 19):
        expected = population.overrides(subject)
        got = subject_overrides(population.covariates.iloc[subject], variability.iloc[subject])
        assert got.keys() == expected.keys()
        assert all(got[k] == pytest.approx(expected[k], rel=1e-14) for k in expected)


# ---- files ---------------------------------------------------------------------------------------

def test_parquet_round_trip_is_exact_and_atomic(tmp_path: Path) -> None:
    population = sample_population("trd_bipolar", 50, 21)
    path = save_population(population, tmp_path / "cohort.parquet")
    assert [p.name for p in tmp_path.iterdir()] == ["cohort.parquet"]  # no temporary file left
    loaded = load_population(path)
    assert (loaded.name, loaded.seed) == ("trd_bipolar", 21)
    assert_frame_equal(loaded.covariates, population.covariates, check_exact=True)
    assert_frame_equal(loaded.parameters, population.parameters, check_exact=True)
    save_population(population, path)  # overwrite in place
    with pytest.raises(OutputError, match="does not exist"):
        save_population(population, tmp_path / "missing" / "cohort.parquet")


def test_csv_covariates_load_and_extra_parameter_columns_override(tmp_path: Path) -> None:
    covariates = sample_population("mdd", 6, 2).covariates
    frame = covariates.reset_index(drop=True).assign(ketamine_clearance=[50.0, 60, 70, 80, 90, 100])
    frame.to_csv(tmp_path / "cohort.csv", index=False)
    loaded = load_population(tmp_path / "cohort.csv")
    assert loaded.name == "cohort" and loaded.seed is None
    assert_frame_equal(loaded.covariates, covariates, check_exact=False, rtol=1e-15)
    expected = parameter_overrides(loaded.covariates)
    expected["ketamine_clearance"] = frame["ketamine_clearance"].to_numpy()
    assert_frame_equal(loaded.parameters, expected[loaded.parameters.columns])


def test_csv_with_two_missing_columns_and_a_bad_genotype_gets_one_error(tmp_path: Path) -> None:
    frame = sample_population("mdd", 4, 2).covariates.reset_index(drop=True).drop(columns=["sex", "bipolar"])
    frame.loc[2, "bdnf_genotype"] = "met/val"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(PopulationError) as info:
        load_population(tmp_path / "bad.csv")
    message = str(info.value)
    assert "2 problems" in message and "sex, bipolar" in message and "'met/val'" in message and "row 2" in message
    assert ", ".join(COVARIATES) in message


def test_bad_values_are_named_with_their_rows(tmp_path: Path) -> None:
    frame = sample_population("mdd", 5, 2).covariates.reset_index(drop=True).astype({"age": object})
    frame.loc[1, "weight_kg"] = -70.0
    frame.loc[3, "age"] = "forty"
    frame.loc[4, "failed_trials"] = -1
    frame["site"] = "nih"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(PopulationError) as info:
        load_population(tmp_path / "bad.csv")
    message = str(info.value)
    for fragment in ("weight_kg: value(s) [-70.0] at row 1", "age: non-numeric or missing value(s) at row 3",
                     "failed_trials: value(s) [-1.0] at row 4", "unknown column(s) 'site'"):
        assert fragment in message


def test_population_checks_its_frames() -> None:
    population = sample_population("mdd", 3, 1)
    with pytest.raises(PopulationError, match="index must be 'subject'"):
        Population("x", 1, population.covariates.reset_index(drop=True), population.parameters)
    with pytest.raises(PopulationError, match="covariate columns"):
        Population("x", 1, population.covariates[list(reversed(COVARIATES))], population.parameters)
    with pytest.raises(PopulationError, match="subject 3"):
        population.overrides(3)
    assert isinstance(population.covariates, pd.DataFrame)


def test_a_spec_prints_as_the_table_it_was_read_from() -> None:
    for name, spec in load_population_specs().items():
        assert PopulationSpec.from_mapping(name, spec.to_mapping(), spec.source) == spec


def test_public_names_are_documented_and_fully_annotated() -> None:
    import inspect

    import trdlab.population as population

    for name in population.__all__:
        obj = getattr(population, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            doc = inspect.getdoc(obj)
            assert doc and doc.splitlines()[0].strip(), name
        if inspect.isfunction(obj):
            signature = inspect.signature(obj)
            assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values()), name
            assert signature.return_annotation is not inspect.Signature.empty, name


# ---- data, not code: covariates.toml -------------------------------------------------------------

def test_a_typo_in_a_population_key_is_a_named_error() -> None:
    bad = {**TABLES["mdd"], "iiv_": True, "age": {**TABLES["mdd"]["age"], "sdd": 1.0}}
    with pytest.raises(PopulationError) as info:
        PopulationSpec.from_mapping("typo", bad, "test")
    message = str(info.value)
    assert "[typo].iiv_: unknown key; did you mean 'iiv'?" in message
    assert "[typo].age.sdd: unknown key for a normal distribution; did you mean 'sd'?" in message


def test_a_typo_in_a_key_of_a_population_file_is_a_named_error(tmp_path: Path) -> None:
    text = (LIBRARY / "populations.toml").read_text(encoding="utf-8")
    assert text.count("geometric_mean = 78.0") == 3
    path = tmp_path / "populations.toml"
    path.write_text(text.replace("geometric_mean = 78.0", "geometric_man = 78.0", 1), encoding="utf-8")
    with pytest.raises(PopulationError) as info:
        load_population_specs(path)
    head, *problems = str(info.value).splitlines()
    assert "2 problems" in head and len(problems) == 2
    assert any(line.strip().startswith("populations.toml: [mdd].weight_kg.geometric_man: unknown key for a lognormal "
                                       "distribution; did you mean 'geometric_mean'?") for line in problems)
    assert any(line.strip().startswith("populations.toml: [mdd].weight_kg.geometric_mean: missing")
               for line in problems)


def test_every_problem_of_a_population_file_is_listed_at_once(tmp_path: Path) -> None:
    data = tomllib.loads((LIBRARY / "populations.toml").read_text(encoding="utf-8"))
    data["mdd"]["age"]["sd"] = 0.0
    data["mdd"]["sex"]["frequencies"] = {"female": 0.7, "man": 0.3}
    data["trd_unipolar"]["iiv"] = "yes"
    del data["trd_unipolar"]["bipolar"]
    data["trd_bipolar"]["failed_trials"]["shift"] = 1.5
    data["trd_bipolar"]["bipolar"] = {"distribution": "constant", "value": "true", "source": "diazgranados2010"}
    path = tmp_path / "populations.toml"
    path.write_text("\n".join(_toml_tables(data)), encoding="utf-8")
    with pytest.raises(PopulationError) as info:
        load_population_specs(path)
    problems = str(info.value).splitlines()[1:]
    expected = ["[mdd].age.sd: 0 must be > 0", "[mdd].sex.frequencies: unknown category 'man'; use female, male",
                "[trd_unipolar].iiv: 'yes' is not true/false", "[trd_unipolar].bipolar: missing covariate table",
                "[trd_bipolar].failed_trials.shift: 1.5 must be an integer >= 0",
                "[trd_bipolar].bipolar.value: 'true' is not a valid bipolar (boolean)",
                "[trd_bipolar].bipolar.derivation: source without derivation"]
    assert f"{len(expected)} problems" in str(info.value).splitlines()[0]
    assert len(problems) == len(expected)
    for fragment in expected:
        assert sum(f"populations.toml: {fragment}" in line for line in problems) == 1, fragment


def test_a_wrong_distribution_kind_lists_the_kinds_of_that_covariate() -> None:
    bad = {**TABLES["mdd"], "failed_trials": {"distribution": "poisson", "rate": 1.0, "assumed": "x"},
           "age": {"distribution": "bernoulli", "p": 0.5, "assumed": "x"}, "bipolar": {"assumed": "x"}}
    with pytest.raises(PopulationError) as info:
        PopulationSpec.from_mapping("kinds", bad, "test")
    message = str(info.value)
    assert "[kinds].failed_trials.distribution: 'poisson' is not a kind for failed_trials; " \
           "use one of shifted_poisson, constant" in message
    assert "[kinds].age.distribution: 'bernoulli' is not a kind for age; use one of normal, lognormal, beta, " \
           "constant" in message
    assert "[kinds].bipolar.distribution: missing; use one of bernoulli, constant" in message
    genotype = population_spec("mdd").with_covariate("bdnf_genotype", {"distribution": "hardy_weinberg",
                                                                       "met_allele_frequency": 0.5})
    assert dict(genotype.distribution("bdnf_genotype").frequencies)["val/met"] == 0.5
    with pytest.raises(PopulationError, match="use one of categorical, constant$"):
        population_spec("mdd").with_covariate("sex", {"distribution": "hardy_weinberg", "met_allele_frequency": 0.5})


def test_provenance_is_required_and_a_source_needs_its_derivation() -> None:
    age = {k: v for k, v in TABLES["mdd"]["age"].items() if k not in ("source", "derivation")}
    for table, fragment in ((age, "[p].age.source: neither source nor assumed"),
                            ({**age, "source": "trivedi2006"}, "[p].age.derivation: source without derivation"),
                            ({**age, "assumed": "  "}, "[p].age.assumed: '  ' is not a non-empty text")):
        with pytest.raises(PopulationError) as info:
            PopulationSpec.from_mapping("p", {**TABLES["mdd"], "age": table}, "test")
        assert fragment in str(info.value)


def _toml_tables(data: dict) -> list[str]:
    """``data`` (populations of covariate tables) as TOML lines, one [population.covariate] table each."""
    def value(v: object) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
        return str(v).lower() if isinstance(v, bool) else f'"{v}"' if isinstance(v, str) else repr(v)

    lines = []
    for name, population in data.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {value(v)}" for k, v in population.items() if not isinstance(v, dict)]
        for covariate, table in population.items():
            if isinstance(table, dict):
                lines.append(f"[{name}.{covariate}]")
                lines += [f"{k} = {value(v)}" for k, v in table.items()]
    return lines


def test_the_covariates_are_the_tables_of_covariates_toml() -> None:
    from trdlab.population import load_covariate_library

    data = tomllib.loads((LIBRARY / "covariates.toml").read_text(encoding="utf-8"))
    library = load_covariate_library()
    assert COVARIATES == tuple(data["covariates"]) == library.names
    assert [(k.covariate, k.parameter, k.operation, k.reason) for k in library.links] == [
        (k["covariate"], k["parameter"], k["operation"], k["reason"]) for k in data["links"]]
    assert all(reason for _, reason in library.weight_independent)


def test_a_covariates_file_with_problems_lists_each(tmp_path: Path) -> None:
    from trdlab.population.definitions import library_from_mapping

    data = tomllib.loads((LIBRARY / "covariates.toml").read_text(encoding="utf-8"))
    data["links"][1]["operaton"] = data["links"][1].pop("operation")
    data["covariates"]["sex"] = {"type": "categorical"}
    with pytest.raises(PopulationError) as info:
        library_from_mapping(data, "covariates.toml")
    message = str(info.value)
    assert "links.1.operaton: unknown key" in message and "links.1.operation: missing" in message
    assert "covariates.sex: " in message and "categories" in message


def test_the_covariate_links_come_from_the_library_folder(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "library"
    shutil.copytree(LIBRARY, root)
    text = (root / "covariates.toml").read_text(encoding="utf-8")
    text = text.replace('parameter = "ssri_creb_gain"\noperation = "scale"', 'parameter = "ssri_creb_gain"\noperation = "set"')
    text = text.replace('[[weight_independent]]\nparameter = "brain_volume"', '[[weight_independent]]\nparameter = "x"')
    (root / "covariates.toml").write_text(text, encoding="utf-8")
    covariates = sample_population(population_spec("mdd").with_iiv(False), 50, 3).covariates
    packaged, changed = parameter_overrides(covariates), parameter_overrides(covariates, model=covariate_model(root=root))
    np.testing.assert_array_equal(changed["ssri_creb_gain"], covariates["ssri_adaptation_gain"])  # set, not scaled
    assert not np.array_equal(packaged["ssri_creb_gain"], changed["ssri_creb_gain"])
    assert "brain_volume" in changed.columns and "brain_volume" not in packaged.columns
    assert_frame_equal(packaged["mg_dietary_intake"].to_frame(), changed["mg_dietary_intake"].to_frame())
