"""The science library on disk: species sets, Antimony modules, parameter tables, references.

The library is data (``src/trdlab/library`` by default; any folder with the same layout works):

- ``species.toml``: per species set, the modules (composed in order), the parameter tables, the
  dosing species in ``cmt`` order and the observable units;
- ``modules/<name>.ant``: Antimony fragments (no ``model ... end``), concatenated by the build;
- ``parameters/<name>.toml``: one table per ``[name]`` with ``value``, ``unit``, ``description``
  and ``source`` + ``derivation`` (a key of ``references.bib``) or ``assumed``; optional
  ``reference_weight`` + ``allometric_exponent`` and variability (``cv``, ``distribution``);
- ``references.bib``: BibTeX; ``drugs.toml``: molar masses, salts and dosing targets.

Loading never raises on the content of a row; :func:`trdlab.model.validate.validate` reports it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from trdlab.errors import ModelError

SpeciesName = Literal["human", "rat", "mouse"]
SPECIES: tuple[str, ...] = ("human", "rat", "mouse")


@dataclass(frozen=True)
class Issue:
    """One problem found in the library: where, which field, what is wrong and how to fix it."""

    location: str
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.location} [{self.field}]: {self.message}; fix: {self.fix}"


@dataclass(frozen=True)
class ParameterRow:
    """One row of a parameter table, as written (units are converted by the build)."""

    name: str
    table: str
    value: float
    unit: str
    description: str
    source: str | None = None
    derivation: str | None = None
    assumed: str | None = None
    reference_weight: str | None = None
    allometric_exponent: float | None = None
    cv: float | None = None
    distribution: str | None = None


@dataclass(frozen=True)
class SpeciesSet:
    """What builds one species' model: modules, parameter tables, dosing order, observable units."""

    name: str
    modules: tuple[str, ...]
    parameters: tuple[str, ...]
    dosing: tuple[str, ...]
    observables: tuple[tuple[str, str], ...]


def default_root() -> Path:
    """The packaged library folder (``trdlab/library``)."""
    return Path(str(resources.files("trdlab") / "library"))


def _root(root: Path | str | None) -> Path:
    return default_root() if root is None else Path(root)


def _read_toml(path: Path) -> dict[str, object]:
    if not path.is_file():
        raise ModelError(f"library file {str(path)!r} does not exist; create it or pass the right library root")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"library file {str(path)!r} is not valid TOML ({exc}); fix its syntax") from exc


def load_species_set(species: str, root: Path | str | None = None) -> SpeciesSet:
    """Read one species set from ``species.toml``.

    Raises:
        ModelError: unknown species, or a malformed entry.
    """
    data = _read_toml(_root(root) / "species.toml")
    entry = data.get(species)
    if not isinstance(entry, dict):
        known = ", ".join(sorted(k for k, v in data.items() if isinstance(v, dict)))
        raise ModelError(f"species {species!r} is not in species.toml; choose one of: {known}")
    try:
        observables = entry.get("observables", {})
        return SpeciesSet(
            name=species,
            modules=tuple(str(m) for m in entry["modules"]),
            parameters=tuple(str(p) for p in entry["parameters"]),
            dosing=tuple(str(d) for d in entry.get("dosing", ())),
            observables=tuple(sorted((str(k), str(v)) for k, v in observables.items())),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ModelError(
            f"species.toml entry [{species}] is malformed ({exc!r}); it needs lists 'modules', "
            "'parameters', 'dosing' and a table 'observables'"
        ) from exc


def species_names(root: Path | str | None = None) -> tuple[str, ...]:
    """Species sets defined in ``species.toml`` (in file order)."""
    return tuple(k for k, v in _read_toml(_root(root) / "species.toml").items() if isinstance(v, dict))


def read_module(name: str, root: Path | str | None = None) -> str:
    """The Antimony text of ``modules/<name>.ant``."""
    path = _root(root) / "modules" / f"{name}.ant"
    if not path.is_file():
        raise ModelError(f"Antimony module {name!r} not found at {str(path)!r}; add the file or fix species.toml")
    return path.read_text(encoding="utf-8")


_ROW_FIELDS = {
    "value", "unit", "description", "source", "derivation", "assumed",
    "reference_weight", "allometric_exponent", "cv", "distribution",
}


def load_table(name: str, root: Path | str | None = None) -> tuple[list[ParameterRow], list[Issue]]:
    """Read ``parameters/<name>.toml`` into rows, plus issues for rows that cannot be read."""
    path = _root(root) / "parameters" / f"{name}.toml"
    location = f"parameters/{name}.toml"
    if not path.is_file():
        return [], [Issue(location, "file", "parameter table does not exist", "create it or fix species.toml")]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        return [], [Issue(location, "file", f"not valid TOML ({exc})", "fix the TOML syntax")]
    rows: list[ParameterRow] = []
    issues: list[Issue] = []
    for pname, raw in data.items():
        where = f"{location}:[{pname}]"
        if not isinstance(raw, dict):
            issues.append(Issue(where, "row", "is not a table", f"write it as [{pname}] with value, unit, ..."))
            continue
        for key in sorted(set(raw) - _ROW_FIELDS):
            issues.append(Issue(where, key, "unknown field", f"use only {', '.join(sorted(_ROW_FIELDS))}"))
        value = raw.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            issues.append(Issue(where, "value", f"value {value!r} is not a number", "give a numeric value"))
            continue
        unit = raw.get("unit")
        if not isinstance(unit, str):
            issues.append(Issue(where, "unit", "missing unit", 'add unit = "<pint unit>" ("dimensionless" if none)'))
            unit = ""
        exponent = raw.get("allometric_exponent")
        rows.append(
            ParameterRow(
                name=pname,
                table=name,
                value=float(value),
                unit=unit,
                description=str(raw.get("description", "")),
                source=_opt_str(raw.get("source")),
                derivation=_opt_str(raw.get("derivation")),
                assumed=_opt_str(raw.get("assumed")),
                reference_weight=_opt_str(raw.get("reference_weight")),
                allometric_exponent=float(exponent) if isinstance(exponent, (int, float)) else None,
                cv=float(raw["cv"]) if isinstance(raw.get("cv"), (int, float)) else None,
                distribution=_opt_str(raw.get("distribution")),
            )
        )
    return rows, issues


def _opt_str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def load_parameters(
    species_set: SpeciesSet, root: Path | str | None = None
) -> tuple[dict[str, ParameterRow], list[Issue]]:
    """All rows of a species set's tables by name, plus read issues and duplicate names."""
    rows: dict[str, ParameterRow] = {}
    issues: list[Issue] = []
    for table in species_set.parameters:
        table_rows, table_issues = load_table(table, root)
        issues.extend(table_issues)
        for row in table_rows:
            if row.name in rows:
                issues.append(
                    Issue(
                        f"parameters/{table}.toml:[{row.name}]", "name",
                        f"also defined in parameters/{rows[row.name].table}.toml for species {species_set.name!r}",
                        "keep one definition per species set",
                    )
                )
                continue
            rows[row.name] = row
    return rows, issues


_BIB_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", re.S)
_BIB_DOI = re.compile(r"\bdoi\s*=\s*[{\"]([^}\"]+)[}\"]", re.I)


def load_references(root: Path | str | None = None) -> dict[str, str | None]:
    """BibTeX keys of ``references.bib`` mapped to their DOI (None when the entry has none)."""
    path = _root(root) / "references.bib"
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    refs: dict[str, str | None] = {}
    for _kind, key, body in _BIB_ENTRY.findall(text):
        match = _BIB_DOI.search(body)
        refs[key] = match.group(1).strip() if match else None
    return refs


def load_drugs(root: Path | str | None = None) -> dict[str, object]:
    """The content of ``drugs.toml`` (molar masses, salts, amount unit, dosing targets)."""
    return _read_toml(_root(root) / "drugs.toml")


def parameter_table_markdown(species: str, root: Path | str | None = None) -> str:
    """A Markdown table of a species set's parameters: name, value, unit, description, provenance.

    Values are shown as written in the tables (literature units); the build converts them.
    """
    species_set = load_species_set(species, root)
    rows, _ = load_parameters(species_set, root)
    lines = [
        f"## Parameters: {species}",
        "",
        "| name | value | unit | scaling | description | source / derivation |",
        "|---|---|---|---|---|---|",
    ]
    for name in sorted(rows):
        row = rows[name]
        if row.reference_weight:
            scaling = f"(BW / {row.reference_weight})^{row.allometric_exponent if row.allometric_exponent is not None else 1:g}"
        else:
            scaling = ""
        if row.source:
            provenance = f"[{row.source}] {row.derivation or ''}".strip()
        else:
            provenance = f"assumed: {row.assumed or '(missing)'}"
        cells = [name, f"{row.value:g}", row.unit, scaling, row.description, provenance]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
