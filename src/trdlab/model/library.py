"""The science library on disk: species sets, Antimony modules, parameter tables, references.

The library is data (``src/trdlab/library`` by default; any folder with the same layout works):

- ``species.toml``: per species set, the modules (composed in order), the parameter tables, the
  dosing species in ``cmt`` order and the observable units;
- ``modules/<name>.ant``: Antimony fragments (no ``model ... end``), concatenated by the build;
- ``parameters/<name>.toml``: one table per ``[name]`` with ``value``, ``unit``, ``description``
  and ``source`` + ``derivation`` (a key of ``references.bib``) or ``assumed``; optional
  ``reference_weight`` + ``allometric_exponent`` and variability (``cv``, ``distribution``);
- ``references.bib``: BibTeX; ``compounds/<name>.toml``: the compound catalogue (:mod:`trdlab.compounds`);
  ``protocols.toml``: the named dosing protocols; ``targets.toml``: the target slots.

Loading never raises on the content of a row; :func:`trdlab.model.validate.validate` reports it.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import bibtexparser
import bibtexparser.model
from bibtexparser.exceptions import BlockAbortedException
from pydantic import BeforeValidator, Field, ValidationError
from pydantic_core import ErrorDetails

from trdlab.errors import ModelError
from trdlab.schema import Strict

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
    fitted_to: tuple[str, ...] = ()
    """Experiment ids (``"P09"``) or check ids (``"M07.csf"``) this value was set to reproduce;
    those experiments or checks are calibration, never validation
    (:func:`trdlab.experiments.provenance.calibration_targets`)."""

    @property
    def says_fitted(self) -> bool:
        """True when the row's derivation or reason says it was calibrated, fitted or tuned."""
        text = f"{self.derivation or ''} {self.assumed or ''}".lower()
        return any(word in text for word in FITTED_WORDS)


FITTED_WORDS = ("calibrat", "fitted", "tuned", "set to reproduce")
"""Words of a derivation that mean the value was set to reproduce a result (then ``fitted_to`` is required)."""


@dataclass(frozen=True)
class SpeciesSet:
    """What builds one species' model: modules, parameter tables, dosing order, observable units."""

    name: str
    modules: tuple[str, ...]
    parameters: tuple[str, ...]
    dosing: tuple[str, ...]
    observables: tuple[tuple[str, str], ...]
    body_weight: str | None = None
    """The parameter row holding the body weight that weight-scaled rows scale with (``body_weight_row``)."""


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
            body_weight=str(entry["body_weight_row"]) if "body_weight_row" in entry else None,
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


def _empty_is_absent(value: object) -> object:
    """``""`` in a table means the key is absent (as if not written)."""
    return None if value == "" else value


_Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A finite real number as TOML writes it (an integer or a float; not text, not true/false)."""
_Text = Annotated[str, Field(strict=True)]
_OptionalText = Annotated[_Text | None, BeforeValidator(_empty_is_absent)]


class ParameterRowFile(Strict):
    """The schema of one ``[name]`` row of ``parameters/<table>.toml`` (unknown keys are errors).

    The fields are those of :class:`ParameterRow` less ``name`` and ``table`` (the row's key and file).
    """

    value: _Number
    unit: _Text
    description: _Text
    source: _OptionalText = None
    derivation: _OptionalText = None
    assumed: _OptionalText = None
    reference_weight: _OptionalText = None
    allometric_exponent: _Number | None = None
    cv: Annotated[_Number, Field(ge=0)] | None = None
    distribution: Annotated[Literal["lognormal", "logitnormal"] | None, BeforeValidator(_empty_is_absent)] = None
    fitted_to: tuple[Annotated[_Text, Field(min_length=1)], ...] = ()

    def to_row(self, name: str, table: str) -> ParameterRow:
        """The :class:`ParameterRow` named ``name`` of ``table``."""
        return ParameterRow(name=name, table=table, **dict(self))


_ROW_FIXES = {
    "value": "give a finite number, e.g. value = 0.5 (not text, not true/false)",
    "unit": 'add unit = "<pint unit>" ("dimensionless" if none)',
    "description": 'add description = "<what the value is>"',
    "source": 'write source = "<key of references.bib>"',
    "derivation": 'write derivation = "<one line from the source to the value>"',
    "assumed": 'write assumed = "<reason>"',
    "reference_weight": 'write reference_weight = "<body weight>", e.g. "70 kg"',
    "allometric_exponent": "give a finite number, e.g. allometric_exponent = 0.75",
    "cv": "give a coefficient of variation >= 0, e.g. cv = 0.3",
    "distribution": 'write distribution = "lognormal" or "logitnormal"',
    "fitted_to": 'write fitted_to = ["P09", "M07.csf"] (experiment or check ids)',
}
"""How to fix a bad value of each field of :class:`ParameterRowFile`."""


def _row_issue(where: str, error: ErrorDetails) -> Issue:
    """One pydantic error of a row as an :class:`Issue` naming its field."""
    field, *inner = [str(part) for part in error["loc"]] or ["row"]
    allowed = sorted(ParameterRowFile.model_fields)
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(field, allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return Issue(where, field, f"unknown field{hint}", f"use only {', '.join(allowed)}")
    if error["type"] == "missing":
        return Issue(where, field, "missing; this field is required", _ROW_FIXES.get(field, "add it"))
    item = f"item {'.'.join(inner)} " if inner else ""
    message = error["msg"].removeprefix("Value error, ")
    return Issue(where, field, f"{item}{error['input']!r}: {message[:1].lower()}{message[1:]}",
                 _ROW_FIXES.get(field, f"use only {', '.join(allowed)}"))


def _read_row(name: str, table: str, raw: dict[str, object], where: str) -> tuple[ParameterRow | None, list[Issue]]:
    """One row and every problem of it; None when the value itself cannot be read.

    A row with bad fields other than ``value`` still loads: each bad field is left out (a bad
    ``unit`` or ``description`` becomes ``""``) and the row is validated again; fields are
    checked independently, so the second validation cannot fail.
    """
    try:
        return ParameterRowFile.model_validate(raw).to_row(name, table), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    issues = [_row_issue(where, error) for error in errors]
    bad = {str(error["loc"][0]) for error in errors if error["loc"]}
    if "value" in bad:
        return None, issues
    kept = {key: item for key, item in raw.items() if key in ParameterRowFile.model_fields and key not in bad}
    return ParameterRowFile.model_validate({"unit": "", "description": "", **kept}).to_row(name, table), issues


def load_table(name: str, root: Path | str | None = None) -> tuple[list[ParameterRow], list[Issue]]:
    """Read ``parameters/<name>.toml`` into rows, plus every problem of every row.

    Each ``[row]`` is validated by :class:`ParameterRowFile`: all its problems are issues at
    ``parameters/<name>.toml:[<row>]`` naming the field (an unknown key is an ``unknown field``
    issue). A row whose value cannot be read is skipped; the others load. A row whose derivation
    says it was calibrated (:attr:`ParameterRow.says_fitted`) without ``fitted_to`` is an issue.
    Never raises on the content of the file.
    """
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
        row, row_issues = _read_row(pname, name, raw, where)
        issues.extend(row_issues)
        if row is None:
            continue
        rows.append(row)
        if row.says_fitted and not row.fitted_to and not any(i.field == "fitted_to" for i in row_issues):
            issues.append(Issue(where, "fitted_to", "the derivation says the value was calibrated/fitted but names "
                                "no target", 'add fitted_to = ["<experiment id>" or "<id>.<check id>", ...]'))
    return rows, issues


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


def _failed_bib_entry(block: bibtexparser.model.ParsingFailedBlock) -> str:
    """``@type{key`` of a BibTeX block the parser gave up on (its key when it got that far)."""
    if isinstance(block, bibtexparser.model.DuplicateBlockKeyBlock):
        return block.key
    inner = block.ignore_error_block
    if isinstance(inner, bibtexparser.model.Entry):
        return inner.key
    head = (block.raw or "").split(",", 1)[0].split("\n", 1)[0]
    return head.strip() or "?"


def _bib_error(block: bibtexparser.model.ParsingFailedBlock) -> str:
    """What the parser reported for a failed block, on one line."""
    error = block.error
    text = error.abort_reason if isinstance(error, BlockAbortedException) else str(error)
    return " ".join(text.split()) or type(error).__name__


def load_references(root: Path | str | None = None) -> dict[str, str | None]:
    """BibTeX keys of ``references.bib`` mapped to their DOI (None when the entry has none).

    The file is read with ``bibtexparser`` (field names case-insensitive, values without their
    ``{}`` or ``""`` enclosing). A key defined twice keeps its first entry here;
    :func:`trdlab.model.validate.validate` reports the duplicate.

    Raises:
        ModelError: an entry the parser cannot read (unbalanced braces, missing comma after the
            key, a field given twice) or an entry without key; the message names the file, the
            line and the entry of every such block.
    """
    path = _root(root) / "references.bib"
    if not path.is_file():
        return {}
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    problems = [
        f"line {(block.start_line or 0) + 1} {_failed_bib_entry(block)!r}: {_bib_error(block)}"
        for block in library.failed_blocks
        if not isinstance(block, bibtexparser.model.DuplicateBlockKeyBlock)
    ]
    problems += [
        f"line {(entry.start_line or 0) + 1} @{entry.entry_type}: entry without key"
        for entry in library.entries if not entry.key.strip()
    ]
    if problems:
        raise ModelError(f"library file {str(path)!r} is not valid BibTeX: " + "; ".join(problems)
                         + "; fix the entry syntax (balanced braces, a comma after the key and after every field)")
    refs: dict[str, str | None] = {}
    for entry in library.entries:
        fields = {field.key.lower(): field.value for field in entry.fields}
        doi = fields.get("doi")
        refs[entry.key] = (str(doi).strip() or None) if doi is not None else None
    return refs


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
        if row.fitted_to:
            provenance += f" (fitted to: {', '.join(row.fitted_to)})"
        cells = [name, f"{row.value:g}", row.unit, scaling, row.description, provenance]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
