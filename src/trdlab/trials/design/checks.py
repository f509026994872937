"""Every problem of a design mapping, one line each (``field: problem; fix``).

Two passes, both always run, so a file's problems are listed together:

1. the file schema (:mod:`~trdlab.trials.design.file_schema`): keys, types, each field's checks;
2. the relations, on the fields that passed: the reference (a ``references.bib`` key, required for
   the built-in designs; a user's design may give a free ``citation`` instead, or nothing), the
   population (a packaged population or a file), thresholds against the scale, the washout and
   arm count of a crossover, each regimen entry against its protocol (built for a 70 kg subject),
   and the visits against the doses.
"""

from __future__ import annotations

from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Mapping

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from trdlab.clinical.scales import load_scale
from trdlab.dosing.catalog import PROTOCOL_INFO, PROTOCOLS
from trdlab.errors import DoseError, UnitError
from trdlab.model.library import load_references
from trdlab.population.covariates import population_names
from trdlab.trials.design.file_schema import KNOWN_KEYS, ArmFile, DesignFile, EntryFile

DESIGNS_DIR = Path(__file__).resolve().parent.parent / "designs"
"""The folder of the built-in designs (``trials/designs/*.toml``)."""
BIB_HINT = "add the BibTeX entry, fix the key, or (for a design of your own) write citation = \"...\" instead"


def is_builtin(source: str) -> bool:
    """Whether ``source`` is a file of the built-in designs folder."""
    return source != "<mapping>" and Path(source).resolve().parent == DESIGNS_DIR


def resolve_population(value: str, source: str) -> str:
    """A packaged population's name as is; a file path made absolute from the design's folder."""
    if value in population_names():
        return value
    path = Path(value)
    if not path.is_absolute() and source != "<mapping>":
        path = Path(source).resolve().parent / path
    return str(path)


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("arms", 0, "regimen", 1, "at")`` -> ``"arms[0].regimen[1].at"``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _table(loc: tuple[int | str, ...]) -> str:
    """Which table of the file a key's location is in."""
    if loc[:1] == ("arms",):
        return "entry" if "regimen" in loc else "arm"
    return {"background": "entry", "dropout": "dropout", "biomarkers": "biomarkers"}.get(str(loc[0]), "design") if len(loc) > 1 else "design"


def schema_problems(error: ValidationError) -> list[str]:
    """One line per problem of pydantic's error: ``field: message`` (unknown keys with a suggestion)."""
    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            known = KNOWN_KEYS[_table(loc[:-1] + ("?",))]
            close = get_close_matches(str(loc[-1]), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message = f"unknown key; {hint}known keys: {', '.join(known)}"
        elif item["type"] == "missing":
            message = "missing; add it (see the schema in trdlab.trials.design)"
        lines.append(f"{field_path(loc) or 'design'}: {message}")
    return lines


@cache
def _adapter(schema: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = schema.model_fields[name]
    kind = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(kind, config=ConfigDict(arbitrary_types_allowed=True))


def valid_fields(schema: type[BaseModel], table: Mapping[str, object]) -> dict[str, Any]:
    """The fields of ``table`` that pass ``schema`` on their own (defaults for absent optional ones)."""
    out: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        if name not in table:
            if not info.is_required():
                out[name] = _adapter(schema, name).validate_python(info.get_default(call_default_factory=True))
            continue
        try:
            out[name] = _adapter(schema, name).validate_python(table[name])
        except ValidationError:
            pass
    return out


def validate_mapping(mapping: object, source: str) -> tuple[DesignFile | None, list[str]]:
    """The validated file (None when it has problems) and every problem of it."""
    if not isinstance(mapping, Mapping):
        return None, [f"design: {mapping!r} is not a table of keys; write the design as TOML keys and [[arms]]"]
    try:
        parsed: DesignFile | None = DesignFile.model_validate(mapping)
        problems: list[str] = []
    except ValidationError as exc:
        parsed, problems = None, schema_problems(exc)
    return parsed, problems + _relations(mapping, source)


def _relations(mapping: Mapping[str, object], source: str) -> list[str]:
    values = valid_fields(DesignFile, mapping)
    problems: list[str] = []
    fail = lambda where, message: problems.append(f"{where}: {message}")  # noqa: E731
    reference = values.get("reference")
    if reference is not None and reference not in load_references():
        fail("reference", f"{reference!r} is not a key of library/references.bib; {BIB_HINT}")
    if reference is None and "reference" not in mapping and is_builtin(source):
        fail("reference", "missing; a built-in design cites a key of library/references.bib")
    population = values.get("population")
    if population is not None and population not in population_names() \
            and not Path(path := resolve_population(population, source)).is_file():
        fail("population", f"{population!r} is neither a named population ({', '.join(population_names())}) "
                           f"nor an existing file ({path!r})")
    _thresholds(values, fail)
    kind = values.get("design")
    if kind == "crossover" and "washout" not in mapping:
        fail("washout", "a crossover design needs washout (last visit of period 1 -> first dose of period 2), "
                        "e.g. washout = \"7 d\"")
    if kind == "parallel" and mapping.get("washout") is not None:
        fail("washout", "only a crossover design has a washout; remove it or use design = \"crossover\"")
    arms = mapping.get("arms")
    if isinstance(arms, list):
        if kind == "crossover" and len(arms) != 2:
            fail("arms", f"a crossover design needs exactly 2 arms (sequences AB, BA), found {len(arms)}")
        names = [a.get("name") for a in arms if isinstance(a, Mapping)]
        for i, arm in enumerate(arms):
            if isinstance(arm, Mapping) and isinstance(arm.get("name"), str) and names.count(arm["name"]) > 1:
                fail(f"arms[{i}].name", f"{arm['name']!r} is used by more than one arm; give each arm its own name")
            regimen = arm.get("regimen") if isinstance(arm, Mapping) else None
            for j, entry in enumerate(regimen if isinstance(regimen, list) else []):
                _entry(entry, f"arms[{i}].regimen[{j}]", fail)
    if "background" in mapping:
        _entry(mapping["background"], "background", fail)
    if "arms" in values and "visits" in values:
        _schedule(values, fail)
    if values.get("biomarkers") and "visits" in values:
        _samplings(values, fail)
    return problems


def _samplings(values: dict[str, Any], fail: Any) -> None:
    """Biomarkers are read within a period: at most at its last visit."""
    from trdlab.biomarkers.definitions import load_library
    from trdlab.biomarkers.timing import sampling_time

    last = max(v.hours for v in values["visits"])
    clock = load_library().clock
    for i, line in enumerate(values["biomarkers"]):
        for j, label in enumerate(line.at):
            hours = sampling_time(label, clock).hours
            if hours > last + 1e-9:
                fail(f"biomarkers[{i}].at[{j}]", f"{label!r} ({hours:g} h) comes after the last visit ({last:g} h); "
                                                 "sample within the trial or add a later visit")


def _thresholds(values: dict[str, Any], fail: Any) -> None:
    scale = load_scale(values["scale"]) if "scale" in values else None
    for key in ("remission", "inclusion"):
        value = values.get(key)
        top = getattr(scale, "max_total", None)
        if value is not None and top is not None and value > top:
            fail(key, f"{value} exceeds the scale maximum {top}")
    remission, inclusion = values.get("remission"), values.get("inclusion")
    if remission is not None and inclusion is not None and remission >= inclusion:
        fail("remission", f"{remission} is not below inclusion={inclusion}; a remitted subject could not have "
                          "been included")


def _entry(raw: object, where: str, fail: Any) -> None:
    """An entry that passes the schema, against its protocol: route options, then the protocol's own checks."""
    try:
        entry = EntryFile.model_validate(raw)
    except ValidationError:
        return  # its problems are listed by the schema pass
    info = PROTOCOL_INFO[entry.protocol]
    if entry.duration is not None and not info.is_infusion:
        fail(f"{where}.duration", f"protocol {entry.protocol!r} is {info.route}, not an infusion; remove duration")
        return
    if entry.count > 1 and entry.every is None and info.is_infusion:
        fail(f"{where}.count", f"count = {entry.count} infusions need every, e.g. every = \"2 d\"")
        return
    options = {k: str(v) for k in ("dose", "duration", "every") if (v := getattr(entry, k)) is not None}
    try:
        PROTOCOLS[entry.protocol](weight="70 kg", count=entry.count, **options)
    except (DoseError, UnitError) as exc:
        fail(where, f"protocol {entry.protocol!r} rejects the options: {exc}")


def _schedule(values: dict[str, Any], fail: Any) -> None:
    """Visits against doses: none before the first dose (unless allowed); crossover doses inside a period."""
    arms: list[ArmFile] = values["arms"]
    visits = values["visits"]
    hours = [v.hours for v in visits]
    earliest = min(e.at.hours for a in arms for e in a.regimen)
    if not values.get("allow_predose_visits"):
        for i, (visit, h) in enumerate(zip(visits, hours)):
            if h < earliest:
                fail(f"visits[{i}]", f"{visit.text!r} comes before the first dose at {earliest:g} h; move it or set "
                                     "allow_predose_visits = true")
    if values.get("design") != "crossover":
        return
    for i, arm in enumerate(arms):
        for j, e in enumerate(arm.regimen):
            last = e.value().last_dose_hours
            if last > max(hours):
                fail(f"arms[{i}].regimen[{j}]", f"its last dose at {last:g} h comes after the last visit "
                                                f"({max(hours):g} h): it would overlap the next period")
