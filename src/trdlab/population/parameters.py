"""From a subject's covariates to parameter overrides of the library's model (deterministic).

Every value is in the unit the model declares, ready for ``simulate(model, ..., parameters=...)``;
:attr:`ParameterRule.unit` names that unit. The mapping is data, read from the library folder:

- ``covariates.toml`` names the model's species, the genotype covariate (its categories map to the
  overrides of its ``genotype.overrides`` file, e.g. ``genotypes.toml``) and the ``[[links]]``: a
  covariate sets a parameter (``"set"``, converted from the row's unit to the model's) or
  multiplies it (``"scale"``), each link with its reason;
- body weight: every row the build scales by body weight follows the subject's weight W (the
  covariate of the link marked ``subject_weight``) by the build's own rule (:mod:`trdlab.model.units`):
  value(W) = value(W_ref) * (W / W_ref)^e with e = ``allometric_exponent`` for rows with
  ``reference_weight`` (1 if absent) and e = 1 for rows stated per kg; W_ref is the value of the
  linked weight row, and ``value(W_ref)`` is what the build sets. Rows listed under
  ``[[weight_independent]]`` keep the reference value;
- variability: rows with ``cv`` are multiplied by the subject's multiplier (drawn by
  :func:`trdlab.population.sampling.sample_variability`).

Covariates without a link are carried for the trial layer (regimens, scoring), not mapped here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import libsbml
import numpy as np
import pandas as pd

from trdlab.errors import PopulationError, TrdlabError
from trdlab.model import units
from trdlab.model.build import compose
from trdlab.model.library import ParameterRow, default_root, load_parameters, load_species_set
from trdlab.population.definitions import COVARIATES, CovariateLibrary, CovariateLink, load_covariate_library

@dataclass(frozen=True)
class ParameterRule:
    """How one model parameter is computed per subject.

    Attributes:
        parameter: the model id.
        base: the value the build sets (model unit, reference body weight).
        unit: the model's unit id for the parameter (SBML unit definition).
        weight_exponent: e in value * (W / W_ref)^e; 0 when the build does not scale by weight.
        unit_factor: model units per table unit (a "set" link converts the covariate with it).
        cv: coefficient of variation between subjects, or None.
        distribution: ``"lognormal"`` (default with a cv) or ``"logitnormal"``.
    """

    parameter: str
    base: float
    unit: str
    weight_exponent: float = 0.0
    unit_factor: float = 1.0
    cv: float | None = None
    distribution: str | None = None


@dataclass(frozen=True)
class CovariateModel:
    """Everything needed to turn covariates into overrides: rules, genotype table, links, reference weight.

    Attributes:
        reference_weight: W_ref in kg (the value of the weight link's row).
        rules: one per parameter computed per subject.
        genotypes: genotype -> (model id, value) overrides.
        parameter_ids: every constant parameter and compartment of the model.
        links: the covariate links of ``covariates.toml``.
        weight_covariate: the covariate holding the subject's body weight (kg).
        genotype_covariate: the covariate whose categories are ``genotypes`` (None: no genotype).
    """

    reference_weight: float
    rules: tuple[ParameterRule, ...]
    genotypes: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
    parameter_ids: frozenset[str]
    links: tuple[CovariateLink, ...]
    weight_covariate: str
    genotype_covariate: str | None = None

    def rule(self, parameter: str) -> ParameterRule:
        """The rule of one parameter."""
        for rule in self.rules:
            if rule.parameter == parameter:
                return rule
        raise PopulationError(f"parameter {parameter!r} has no per-subject rule; rules exist for "
                              f"{', '.join(r.parameter for r in self.rules)}")

    @property
    def variable(self) -> tuple[ParameterRule, ...]:
        """Rules with inter-individual variability (a ``cv``)."""
        return tuple(r for r in self.rules if r.cv is not None)

    @property
    def genotype_parameters(self) -> tuple[str, ...]:
        """Model ids the genotype table sets."""
        return tuple(dict.fromkeys(p for _, overrides in self.genotypes for p, _ in overrides))

    def columns(self, iiv: bool) -> tuple[str, ...]:
        """The override columns of a population, in order (genotype, links, model table order)."""
        linked = [link.parameter for link in self.links]
        scaled = [r.parameter for r in self.rules if r.weight_exponent != 0 or (iiv and r.cv is not None)]
        return tuple(dict.fromkeys([*self.genotype_parameters, *linked, *scaled]))

    def order(self, names: list[str] | tuple[str, ...]) -> list[str]:
        """``names`` sorted as :meth:`columns` orders them (others after, in their given order)."""
        rank = {name: i for i, name in enumerate(self.columns(iiv=True))}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), list(names).index(n)))

    def units(self) -> dict[str, str]:
        """The model unit of every rule's parameter (genotype parameters are dimensionless)."""
        return {**{p: "dimensionless" for p in self.genotype_parameters}, **{r.parameter: r.unit for r in self.rules}}


def parameter_overrides(
    covariates: pd.DataFrame, variability: pd.DataFrame | None = None, model: CovariateModel | None = None
) -> pd.DataFrame:
    """Overrides for every subject (rows as ``covariates``; columns :meth:`CovariateModel.columns`).

    Args:
        covariates: one row per subject with the :data:`~trdlab.population.covariates.COVARIATES`.
        variability: multipliers per subject for parameters with a ``cv`` (None or empty: none).
        model: the covariate model; default :func:`covariate_model` of the packaged library.
    """
    model = model or covariate_model()
    missing = [c for c in COVARIATES if c not in covariates.columns]
    if missing:
        raise PopulationError(f"covariates lack column(s) {', '.join(missing)}; required: {', '.join(COVARIATES)}")
    variability = variability if variability is not None else pd.DataFrame(index=covariates.index)
    weight_ratio = covariates[model.weight_covariate].to_numpy(dtype=float) / model.reference_weight
    links = {link.parameter: link for link in model.links}
    genotypes = {name: dict(overrides) for name, overrides in model.genotypes}
    genotype_column = covariates[model.genotype_covariate] if model.genotype_covariate is not None else None
    unknown = sorted(set(genotype_column) - set(genotypes)) if genotype_column is not None else []
    if unknown:
        raise PopulationError(f"{model.genotype_covariate} {unknown} has no overrides in the genotype file; use "
                              f"{', '.join(genotypes)}")
    out: dict[str, np.ndarray] = {}
    for name in model.columns(iiv=not variability.empty):
        if name in model.genotype_parameters and genotype_column is not None:
            out[name] = np.array([genotypes[g].get(name, np.nan) for g in genotype_column], dtype=float)
            continue
        rule = model.rule(name)
        link = links.get(name)
        if link is not None and link.operation == "set":
            value = covariates[link.covariate].to_numpy(dtype=float) * rule.unit_factor
        else:
            value = rule.base * weight_ratio**rule.weight_exponent
            if link is not None:
                value = value * covariates[link.covariate].to_numpy(dtype=float)
        if name in variability.columns:
            value = value * variability[name].to_numpy(dtype=float)
        out[name] = np.asarray(value, dtype=float)
    return pd.DataFrame(out, index=covariates.index)


def subject_overrides(
    covariates_row: Mapping[str, object] | pd.Series,
    iiv_row: Mapping[str, float] | pd.Series | None = None,
    *,
    model: CovariateModel | None = None,
) -> dict[str, float]:
    """Overrides of one subject: covariates (one value each) and IIV multipliers (parameter -> factor).

    Same values as the matching row of :func:`parameter_overrides`.
    """
    row = pd.DataFrame([{c: covariates_row[c] for c in COVARIATES if c in covariates_row}])
    iiv = pd.DataFrame([dict(iiv_row)]) if iiv_row is not None and len(iiv_row) else None
    frame = parameter_overrides(row, iiv, model)
    return {name: float(value) for name, value in frame.iloc[0].items()}


def covariate_model(model_parameters: Mapping[str, ParameterRow] | None = None, *,
                    root: Path | str | None = None) -> CovariateModel:
    """The covariate model of the library's model (species, links: ``covariates.toml``).

    Args:
        model_parameters: parameter rows by name (e.g. the species' tables with changed ``cv``);
            default the rows of the species set ``covariates.toml`` names.
        root: library folder (``covariates.toml``, the genotype file, modules, tables); default
            the packaged one.

    Raises:
        PopulationError: a needed row is missing, its unit does not convert to the model's, or
            the model's units cannot be read.
    """
    if model_parameters is None:
        return _default_model(str(root) if root is not None else "")
    return _build(dict(model_parameters), root)


@lru_cache(maxsize=4)
def _default_model(root: str) -> CovariateModel:
    library_root = root or None
    species = load_covariate_library(library_root).species
    rows, _ = load_parameters(load_species_set(species, library_root), library_root)
    return _build(rows, library_root)


def _build(rows: dict[str, ParameterRow], root: Path | str | None) -> CovariateModel:
    library = load_covariate_library(root)
    species = library.species
    targets = _model_units(str(root) if root is not None else "", species)
    genotypes = _genotypes(root, library)
    genotype_file = library.genotype.overrides if library.genotype is not None else "the genotype file"
    needed = [link.parameter for link in library.links]
    setters = {link.parameter for link in library.links if link.operation == "set"}
    fixed = {parameter for parameter, _ in library.weight_independent}
    problems = [f"row {link.parameter!r} (needed for covariate {link.covariate}) is missing from the parameter rows"
                for link in library.links if link.parameter not in rows]
    problems += [f"row {name!r} is not a constant parameter or compartment of the {species} model"
                 for name, row in rows.items() if name not in targets
                 and (name in needed or row.cv is not None or row.reference_weight is not None)]
    problems += [f"{genotype_file} sets {p!r}, which is not a parameter of the {species} model"
                 for _, overrides in genotypes for p, _ in overrides if p not in targets]
    if problems:
        raise PopulationError("cannot map covariates to the model: " + "; ".join(problems)
                              + f"; fix the rows, covariates.toml or {genotype_file}")
    weight = rows[library.weight_link.parameter]
    reference_weight = units.parse(weight.unit) * weight.value
    rules = []
    for name, row in rows.items():
        if name not in targets:
            continue
        unit_id, target = targets[name]
        scaled = (row.reference_weight is not None or _per_body_mass(row, target)) and name not in fixed
        if not (scaled or row.cv is not None or name in needed):
            continue
        try:
            base = units.convert(row.value, row.unit, target, body_weight=reference_weight,
                                 reference_weight=row.reference_weight, allometric_exponent=row.allometric_exponent)
            factor = units.convert(1.0, row.unit, target) if name in setters else 1.0
        except TrdlabError as exc:
            raise PopulationError(f"parameter row {name!r}: {exc}") from None
        exponent = (row.allometric_exponent if row.allometric_exponent is not None else 1.0) if scaled else 0.0
        distribution = (row.distribution or "lognormal") if row.cv is not None else None
        if distribution not in (None, "lognormal", "logitnormal"):
            raise PopulationError(f"parameter row {name!r}: distribution {distribution!r} is not supported for "
                                  "variability; use lognormal or logitnormal")
        rules.append(ParameterRule(name, base, unit_id, exponent, factor, row.cv, distribution))
    return CovariateModel(float(reference_weight.to("kg").magnitude), tuple(rules), genotypes, frozenset(targets),
                          library.links, library.weight_link.covariate,
                          library.genotype.covariate if library.genotype is not None else None)


def _per_body_mass(row: ParameterRow, target: units.Quantity) -> bool:
    """The build scales a row without reference_weight linearly by weight when its unit is per kg."""
    if row.reference_weight is not None:
        return False
    try:
        return (row.value * units.parse(row.unit)).dimensionality != target.dimensionality
    except TrdlabError as exc:
        raise PopulationError(f"parameter row {row.name!r}: {exc}") from None


@lru_cache(maxsize=4)
def _model_units(root: str, species: str) -> dict[str, tuple[str, units.Quantity]]:
    """Unit id and pint quantity of every constant parameter and compartment of the composed model."""
    composition = compose(species, root=root or None)
    if composition.sbml is None:
        raise PopulationError(f"the {species} model does not compose ({len(composition.issues)} issue(s), first: "
                              f"{composition.issues[0] if composition.issues else '?'}); run trdlab validate")
    sbml_model = libsbml.readSBMLFromString(composition.sbml).getModel()
    ruled = {sbml_model.getRule(i).getVariable() for i in range(sbml_model.getNumRules())}
    ruled |= {a.getSymbol() for a in sbml_model.getListOfInitialAssignments()}
    elements = [*sbml_model.getListOfCompartments(), *(p for p in sbml_model.getListOfParameters() if p.getConstant())]
    out: dict[str, tuple[str, units.Quantity]] = {}
    for element in elements:
        if element.getId() in ruled or not element.isSetUnits():
            continue
        unit_id = element.getUnits()
        try:
            out[element.getId()] = (unit_id, units.from_sbml(sbml_model.getUnitDefinition(unit_id), unit_id))
        except TrdlabError:
            continue
    return out


def _genotypes(root: Path | str | None, library: CovariateLibrary) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    """Genotype -> parameter overrides, read from the genotype covariate's overrides file."""
    if library.genotype is None:
        return ()
    path = (Path(root) if root is not None else default_root()) / library.genotype.overrides
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PopulationError(f"cannot read {str(path)!r} ({exc}); it maps genotypes to parameter overrides") from None
    categories = next(c.categories for c in library.covariates if c.name == library.genotype.covariate)
    out = []
    for genotype in categories:
        entry = data.get(genotype)
        values = entry.get("parameters") if isinstance(entry, dict) else None
        if not isinstance(values, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                   for v in values.values()):
            raise PopulationError(f"{str(path)!r}: [{genotype!r}] parameters: missing or not numbers; give "
                                  "parameters = { <model id> = <number> }")
        out.append((genotype, tuple((str(k), float(v)) for k, v in values.items())))
    return tuple(out)
