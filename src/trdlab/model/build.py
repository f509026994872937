"""Build one SBML model per species set from the library's Antimony modules and parameter tables.

Steps (:func:`compose`): concatenate the species' modules into ``model trdlab_<species>() ... end``;
convert to SBML with antimony; set every constant parameter and compartment from its table row,
converted with pint to the unit the module declares (and scaled by body weight, see
:mod:`trdlab.model.units`); annotate each with its source (MIRIAM ``bqbiol:isDescribedBy``:
``http://identifiers.org/doi/<doi>`` or ``urn:trdlab:reference:<key>``) or an SBML ``<notes>``
with the reason it is assumed; run libsbml's consistency checks. Every problem becomes an
:class:`~trdlab.model.library.Issue`; :func:`build_model` raises if there is any. The SBML text is
a pure function of the library files (no dates, ids in file order), so its sha256 is stable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Sequence

import antimony
import libsbml

from trdlab.compounds.catalogue import Compound, load_compound
from trdlab.compounds.compose import Generated, compound_module, sums_module
from trdlab.errors import ModelError, TrdlabError, UnitError
from trdlab.model import units
from trdlab.model.library import (
    Issue,
    ParameterRow,
    SpeciesName,
    SpeciesSet,
    load_parameters,
    load_references,
    load_species_set,
    read_module,
)
from trdlab.model.sbml_model import Model


@dataclass(frozen=True)
class Composition:
    """The outcome of composing one species set: SBML text (None if it failed) and every issue."""

    species_set: SpeciesSet
    sbml: str | None
    issues: tuple[Issue, ...]
    compounds: tuple[str, ...] = ()
    """Names of the generated compounds composed in."""


def build_model(species: SpeciesName, *, root: Path | str | None = None,
                compounds: Sequence[str | Compound] = ()) -> Model:
    """Build the trdlab model of ``species`` (``"human"``, ``"rat"`` or ``"mouse"``).

    Args:
        species: the species set in ``species.toml``.
        root: library folder; default the packaged ``trdlab/library``.
        compounds: catalogue compounds (names) or loaded compound files whose PK the build
            generates (:mod:`trdlab.compounds.compose`); compounds with hand-written modules are
            already part of their species and are ignored here.

    Returns:
        The :class:`Model` (time in hours, amounts in mg free base) with ``dosing`` and ``units``
        taken from ``species.toml``.

    Raises:
        ModelError: unknown species, or any issue in the modules or tables (all are listed).
    """
    composition = compose(species, root=root, compounds=compounds)
    if composition.issues or composition.sbml is None:
        listing = "\n  ".join(str(i) for i in composition.issues)
        raise ModelError(
            f"cannot build the {species} model: {len(composition.issues)} issue(s):\n  {listing}\n"
            "run trdlab validate for the full library report"
        )
    return Model.from_sbml_string(
        composition.sbml,
        dosing=composition.species_set.dosing,
        units=dict(composition.species_set.observables),
        origin=f"trdlab library ({species}{''.join(' + ' + c for c in composition.compounds)})",
    )


def compose(species: str, *, root: Path | str | None = None, compounds: Sequence[str | Compound] = ()) -> Composition:
    """Compose a species set into SBML, collecting every issue instead of stopping at the first."""
    species_set = load_species_set(species, root)
    issues: list[Issue] = []
    texts: list[str] = []
    for name in species_set.modules:
        try:
            texts.append(f"// ---- module {name} ----\n{read_module(name, root)}")
        except ModelError as exc:
            issues.append(Issue("species.toml", f"{species}.modules", str(exc), "add the module or remove it"))
    generated, compound_issues = _generated(species, compounds)
    issues.extend(compound_issues)
    texts += [g.text for g in generated] + [sums_module(generated)]
    species_set = replace(
        species_set,
        dosing=species_set.dosing + tuple(d for g in generated for d in g.dosing),
        observables=tuple(sorted(species_set.observables + tuple(o for g in generated for o in g.observables))),
    )
    model_id = f"trdlab_{species}"
    source = f"model {model_id}()\n" + "\n".join(texts) + "\nend\n"
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(source) < 0:
        message = antimony.getLastError().strip().replace("\n", " ")
        issues.append(Issue(f"modules of {species}", "antimony", message, "fix the Antimony syntax"))
        return Composition(species_set, None, tuple(issues))
    document = libsbml.readSBMLFromString(antimony.getSBMLString(model_id))
    antimony.clearPreviousLoads()
    sbml_model = document.getModel()
    rows, table_issues = load_parameters(species_set, root)
    issues.extend(table_issues)
    for row in (r for g in generated for r in g.rows):
        if row.name in rows:
            issues.append(Issue(f"{row.table}", row.name, f"also a row of parameters/{rows[row.name].table}.toml",
                                "rename the compound (its rows are named <compound>_<quantity>)"))
        rows[row.name] = row
    references = load_references(root)
    issues.extend(_provenance_issues(rows.values(), references))
    issues.extend(_apply_rows(sbml_model, species, rows, references, species_set.body_weight))
    issues.extend(_interface_issues(sbml_model, species_set))
    if not any(i.field == "unit" for i in issues):
        issues.extend(_consistency_issues(document, species))
    return Composition(species_set, libsbml.writeSBMLToString(document), tuple(issues),
                       tuple(g.name for g in generated))


def _generated(species: str, compounds: Sequence[str | Compound]) -> tuple[tuple[Generated, ...], list[Issue]]:
    """The generated modules of the compounds with ``pk`` for ``species`` (others are ignored)."""
    out: list[Generated] = []
    issues: list[Issue] = []
    seen: set[str] = set()
    for item in compounds:
        try:
            compound = load_compound(item) if isinstance(item, (str, Path)) else item
        except TrdlabError as exc:
            issues.append(Issue("compounds", str(item), str(exc), "fix the compound file or the name"))
            continue
        if not compound.generated or compound.name in seen:
            continue
        if species not in compound.spec.pk:
            issues.append(Issue(f"compound {compound.name}", f"pk.{species}",
                                f"the compound has no {species} PK", f"add [pk.{species}] or use another species"))
            continue
        seen.add(compound.name)
        out.append(compound_module(compound, species))
    return tuple(out), issues


def _provenance_issues(rows: object, references: dict[str, str | None]) -> list[Issue]:
    issues: list[Issue] = []
    for row in rows:  # type: ignore[attr-defined]
        where = f"parameters/{row.table}.toml:[{row.name}]"
        if not row.description:
            issues.append(Issue(where, "description", "missing description", "add description = \"...\""))
        if row.source is None and row.assumed is None:
            issues.append(
                Issue(where, "source", "neither source nor assumed",
                      'add source = "<bibkey>" with derivation = "...", or assumed = "<reason>"')
            )
        if row.source is not None:
            if row.source not in references:
                issues.append(
                    Issue(where, "source", f"bib key {row.source!r} is not in references.bib",
                          "add the BibTeX entry or fix the key")
                )
            if row.derivation is None:
                issues.append(Issue(where, "derivation", "source without derivation",
                                    'add derivation = "one line, e.g. t1/2 = 2.5 h -> k = 0.277 /h"'))
        if row.source is not None and row.assumed is not None:
            issues.append(Issue(where, "assumed", "both source and assumed given", "keep one of them"))
        try:
            units.parse(row.unit)
            if row.reference_weight is not None:
                units.parse(row.reference_weight)
        except UnitError as exc:
            issues.append(Issue(where, "unit", f"unknown unit: {exc}", "write a unit pint can parse"))
    return issues


def _required_symbols(sbml_model: libsbml.Model) -> dict[str, libsbml.SBase]:
    """Constant parameters and compartments no rule sets: each needs a table row."""
    ruled = {sbml_model.getRule(i).getVariable() for i in range(sbml_model.getNumRules())}
    ruled |= {a.getSymbol() for a in sbml_model.getListOfInitialAssignments()}
    symbols: dict[str, libsbml.SBase] = {}
    for compartment in sbml_model.getListOfCompartments():
        if compartment.getId() not in ruled:
            symbols[compartment.getId()] = compartment
    for parameter in sbml_model.getListOfParameters():
        if parameter.getConstant() and parameter.getId() not in ruled:
            symbols[parameter.getId()] = parameter
    return symbols


def _apply_rows(
    sbml_model: libsbml.Model, species: str, rows: dict[str, ParameterRow], references: dict[str, str | None],
    body_weight_row: str | None = None,
) -> list[Issue]:
    issues: list[Issue] = []
    required = _required_symbols(sbml_model)
    body_weight = _body_weight(rows.get(body_weight_row) if body_weight_row else None)
    for name, element in required.items():
        row = rows.get(name)
        if row is None:
            issues.append(
                Issue(f"modules of {species}", name, f"parameter {name!r} is used by a module but has no table row",
                      f"add [{name}] to one of the species' parameter tables")
            )
            continue
        where = f"parameters/{row.table}.toml:[{name}]"
        unit_id = element.getUnits() if element.isSetUnits() else ""
        if not unit_id:
            issues.append(Issue(where, "unit", f"the module declares no unit for {name!r}",
                                f"add '{name} has <unit>' to its Antimony module"))
            continue
        try:
            target = units.from_sbml(sbml_model.getUnitDefinition(unit_id), unit_id)
            value = units.convert(
                row.value, row.unit, target, body_weight=body_weight,
                reference_weight=row.reference_weight, allometric_exponent=row.allometric_exponent,
            )
        except UnitError as exc:
            if _parses(row.unit):
                issues.append(Issue(where, "unit", f"inconsistent unit: {exc}",
                                    f"state {name} in a unit convertible to {unit_id}"))
            continue
        if isinstance(element, libsbml.Compartment):
            element.setSize(value)
        else:
            element.setValue(value)
        _annotate(element, row, references)
    for name in sorted(set(rows) - set(required)):
        row = rows[name]
        issues.append(
            Issue(f"parameters/{row.table}.toml:[{name}]", "name",
                  f"parameter {name!r} is not used by the {species} model (not a constant parameter or compartment)",
                  "remove the row or add the module that uses it to species.toml")
        )
    return issues


def _parses(text: str) -> bool:
    try:
        units.parse(text)
    except UnitError:
        return False
    return True


def _body_weight(row: ParameterRow | None) -> units.Quantity | None:
    """The species' body weight (the row ``species.toml`` names in ``body_weight_row``), if it is a mass."""
    if row is None or not _parses(row.unit):
        return None
    quantity = row.value * units.parse(row.unit)
    return quantity if quantity.check("[mass]") else None


def _annotate(element: libsbml.SBase, row: ParameterRow, references: dict[str, str | None]) -> None:
    element.setMetaId(f"meta_{element.getId()}")
    if row.source is not None and row.source in references:
        doi = references[row.source]
        resource = f"http://identifiers.org/doi/{doi}" if doi else f"urn:trdlab:reference:{row.source}"
        term = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
        term.setBiologicalQualifierType(libsbml.BQB_IS_DESCRIBED_BY)
        term.addResource(resource)
        element.addCVTerm(term)
    text = (
        f"<p>{escape(row.description)} [{row.value:g} {escape(row.unit)}"
        + (f", scaled (BW/{escape(row.reference_weight)})^{row.allometric_exponent or 1:g}" if row.reference_weight else "")
        + "]</p>"
        + (f"<p>source: {escape(row.source)}; {escape(row.derivation or '')}</p>" if row.source else "")
        + (f"<p>assumed: {escape(row.assumed)}</p>" if row.assumed else "")
    )
    element.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml">{text}</body>')


def _interface_issues(sbml_model: libsbml.Model, species_set: SpeciesSet) -> list[Issue]:
    issues: list[Issue] = []
    species_ids = {s.getId() for s in sbml_model.getListOfSpecies()}
    ruled = {sbml_model.getRule(i).getVariable() for i in range(sbml_model.getNumRules())}
    for dose_target in species_set.dosing:
        if dose_target not in species_ids:
            issues.append(Issue("species.toml", f"{species_set.name}.dosing",
                                f"dosing species {dose_target!r} is not in the composed model",
                                "use a species id declared by one of the modules"))
    for observable, unit in species_set.observables:
        if observable not in ruled:
            issues.append(Issue("species.toml", f"{species_set.name}.observables",
                                f"observable {observable!r} is not an assignment rule of the model",
                                "define it with ':=' in a module or remove it"))
        if not _parses(unit):
            issues.append(Issue("species.toml", f"{species_set.name}.observables.{observable}",
                                f"unknown unit {unit!r}", "write a unit pint can parse"))
    return issues


def _consistency_issues(document: libsbml.SBMLDocument, species: str) -> list[Issue]:
    document.checkConsistency()
    issues: list[Issue] = []
    for i in range(document.getNumErrors()):
        error = document.getError(i)
        if error.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            message = " ".join(error.getMessage().split())
            issues.append(Issue(f"SBML of {species}", "sbml", f"libsbml {error.getErrorId()}: {message}",
                                "fix the module or value that produces it"))
    return issues
