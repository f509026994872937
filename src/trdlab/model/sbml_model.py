"""`Model`: an immutable SBML document plus what the simulator needs to know of it.

A `Model` is data: the SBML text, its sha256, and a summary of its symbols read
with python-libsbml (species with their compartments, compartments, global
parameters) and the ordered dosing compartments (NONMEM ``CMT`` numbers).
Any valid SBML Level 2/3 model loads with :meth:`Model.from_sbml`;
:func:`trdlab.build_model` returns the same type.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import libsbml

from trdlab.errors import ModelError


@dataclass(frozen=True)
class SpeciesInfo:
    """One SBML species: id, compartment id and whether a rule or boundary fixes it."""

    id: str
    compartment: str
    boundary: bool
    constant: bool
    ruled: bool


@dataclass(frozen=True)
class Model:
    """An SBML model ready to simulate.

    Attributes:
        sbml: the SBML document text (the canonical artifact).
        name: the model id.
        species: species in document order.
        compartments: compartment ids.
        parameters: global parameter ids.
        constant_parameters: the subset declared ``constant="true"`` (filled once in results).
        dosing: species ids in NONMEM compartment order: ``cmt=1`` is ``dosing[0]``.
        time_unit: the model's time unit as text (``"hour"`` for the trdlab library).
        units: unit text of observables where known (e.g. ``{"ketamine_plasma_ngml": "ng/mL"}``).
    """

    sbml: str = field(repr=False)
    name: str
    species: tuple[SpeciesInfo, ...]
    compartments: tuple[str, ...]
    parameters: tuple[str, ...]
    constant_parameters: frozenset[str]
    constant_compartments: frozenset[str]
    dosing: tuple[str, ...]
    time_unit: str = "dimensionless"
    units: tuple[tuple[str, str], ...] = ()

    @property
    def sha256(self) -> str:
        """sha256 of the SBML text (identifies the model in manifests and engine caches)."""
        return _sha256(self.sbml)

    @property
    def species_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.species)

    def species_info(self, species_id: str) -> SpeciesInfo:
        for s in self.species:
            if s.id == species_id:
                return s
        raise ModelError(
            f"model {self.name!r} has no species {species_id!r}; species are: "
            f"{', '.join(self.species_ids) or '(none)'}"
        )

    def resolve_cmt(self, cmt: int | str) -> str:
        """Map a NONMEM compartment number (1-based) or a species id to a species id."""
        if isinstance(cmt, str) and not cmt.lstrip("-").isdigit():
            return self.species_info(cmt).id
        number = int(cmt)
        if not 1 <= number <= len(self.dosing):
            raise ModelError(
                f"cmt={number} is outside the dosing compartments of model {self.name!r} "
                f"(1..{len(self.dosing)}: {', '.join(self.dosing)}); use a number in range "
                "or a species id"
            )
        return self.dosing[number - 1]

    @classmethod
    def from_sbml(
        cls,
        source: str | Path,
        *,
        dosing: tuple[str, ...] | None = None,
        units: dict[str, str] | None = None,
    ) -> Model:
        """Load an SBML file (path) or SBML text.

        Args:
            source: a path to an ``.xml``/``.sbml`` file, or the SBML text itself.
            dosing: species ids in ``cmt`` order; default: every species in document order.
            units: optional unit text of observables, carried into results.

        Raises:
            ModelError: the file is missing or the SBML does not parse or has errors.
        """
        text = _read_source(source)
        return cls.from_sbml_string(text, dosing=dosing, units=units, origin=str(source)[:80])

    @classmethod
    def from_sbml_string(
        cls,
        text: str,
        *,
        dosing: tuple[str, ...] | None = None,
        units: dict[str, str] | None = None,
        origin: str = "<string>",
    ) -> Model:
        document = libsbml.readSBMLFromString(text)
        errors = [
            document.getError(i)
            for i in range(document.getNumErrors())
            if document.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
        ]
        sbml_model = document.getModel()
        if errors or sbml_model is None:
            detail = "; ".join(e.getMessage().strip().splitlines()[0] for e in errors[:3])
            raise ModelError(
                f"SBML from {origin} does not parse: {detail or 'no <model> element'}; "
                "check that the file is SBML Level 2 or 3 (validate it with libsbml or trdlab validate)"
            )
        ruled = {sbml_model.getRule(i).getVariable() for i in range(sbml_model.getNumRules())}
        species = tuple(
            SpeciesInfo(
                id=s.getId(),
                compartment=s.getCompartment(),
                boundary=s.getBoundaryCondition(),
                constant=s.getConstant(),
                ruled=s.getId() in ruled,
            )
            for s in sbml_model.getListOfSpecies()
        )
        species_ids = tuple(s.id for s in species)
        dosing_ids = tuple(dosing) if dosing is not None else species_ids
        unknown = [d for d in dosing_ids if d not in species_ids]
        if unknown:
            raise ModelError(
                f"dosing compartment(s) {unknown} are not species of model {sbml_model.getId()!r}; "
                f"choose from {', '.join(species_ids)}"
            )
        parameters = tuple(p.getId() for p in sbml_model.getListOfParameters())
        constant = frozenset(
            p.getId()
            for p in sbml_model.getListOfParameters()
            if p.getConstant() and p.getId() not in ruled
        )
        constant_compartments = frozenset(
            c.getId()
            for c in sbml_model.getListOfCompartments()
            if c.getConstant() and c.getId() not in ruled
        )
        return cls(
            sbml=text,
            name=sbml_model.getId() or "model",
            species=species,
            compartments=tuple(c.getId() for c in sbml_model.getListOfCompartments()),
            parameters=parameters,
            constant_parameters=constant,
            constant_compartments=constant_compartments,
            dosing=dosing_ids,
            time_unit=_time_unit(sbml_model),
            units=tuple(sorted((units or {}).items())),
        )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_source(source: str | Path) -> str:
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return source
    path = Path(source)
    if not path.is_file():
        raise ModelError(f"SBML file {str(path)!r} does not exist; give the path of an SBML (.xml) file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"SBML file {str(path)!r} cannot be read ({exc}); check its permissions and encoding") from exc


def _time_unit(sbml_model: libsbml.Model) -> str:
    unit_id = sbml_model.getTimeUnits() if sbml_model.isSetTimeUnits() else ""
    if not unit_id:
        return "dimensionless"
    definition = sbml_model.getUnitDefinition(unit_id)
    if definition is None:
        return unit_id
    if definition.getNumUnits() == 1:
        unit = definition.getUnit(0)
        seconds = unit.getMultiplier() * 10 ** unit.getScale()
        if unit.getKind() == libsbml.UNIT_KIND_SECOND and unit.getExponent() == 1:
            return {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}.get(seconds, unit_id)
    return definition.getId()
