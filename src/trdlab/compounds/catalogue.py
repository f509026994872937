"""The compound catalogue: every compound file of ``library/compounds`` (and users' own files).

:func:`catalogue` loads the packaged files once; :func:`load_compound` reads one file (a
catalogue name or a path) and raises one :class:`~trdlab.errors.CompoundError` listing every
problem (:func:`compound_problems`): structure, unknown slot or quantity, missing unit or source,
impossible value (negative potency, a fraction above 1, a salt lighter than its active moiety),
a route without the PK it needs, a dose range that is not a dose.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from trdlab.compounds.schema import PK_BOUNDS, PK_QUANTITIES, SPECIES_SETS, CompoundFile, RowRef, Value
from trdlab.compounds.targets import TargetSlot, target_slots
from trdlab.errors import CompoundError, DoseError, TrdlabError
from trdlab.model.library import default_root, load_references
from trdlab.model.units import parse
from trdlab.schema import problems

EXTRAVASCULAR = ("ip", "oral", "sc", "water")
"""Routes that dose the generated extravascular depot (the others: ``iv`` the central compartment)."""
DOSE_DIMENSIONS = ("[mass]", "[mass]/[mass]", "[substance]", "[substance]/[mass]", "[mass]/[time]",
                   "[mass]/[mass]/[time]")


@dataclass(frozen=True)
class Compound:
    """One validated compound: its file's content, where it came from and its parsed molar mass."""

    spec: CompoundFile
    origin: str
    molar_mass: float
    """g/mol of the active moiety (the unit doses are converted to)."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def generated(self) -> bool:
        """True when the build generates the compound's PK module (it has ``pk``, no ``modules``)."""
        return bool(self.spec.pk)

    def routes(self, species: str) -> tuple[str, ...]:
        """The routes the compound can be given by in ``species``."""
        return tuple(self.spec.routes.get(species, ()))

    def target(self, species: str, route: str) -> str:
        """The model species a dose by ``route`` goes into, in ``species``'s model."""
        routes = self.spec.routes.get(species)
        if routes is None or route not in routes:
            known = ", ".join(self.routes(species)) or "(none)"
            raise DoseError(f"compound {self.name!r} has no route {route!r} in the {species} model; "
                            f"available routes: {known}")
        if isinstance(routes, dict):
            return {str(k): str(v) for k, v in routes.items()}[route]
        return f"{self.name}_central" if route in ("iv", "icv") else f"{self.name}_depot"

    def base_fraction(self, salt: str | None) -> float:
        """Mass of active moiety per mass of ``salt`` (1 for a dose of the active moiety itself)."""
        if salt is None:
            return 1.0
        if salt not in self.spec.salts:
            raise DoseError(f"salt={salt!r} is not known for {self.name}; use one of "
                            f"{', '.join(self.spec.salts) or '(none)'} or salt=None for a dose of the active moiety")
        return self.molar_mass / _molar(self.spec.salts[salt])

    def dose_range(self, species: str, route: str) -> tuple[str, str] | None:
        """The stated dose range for ``species`` and ``route`` (None when the file states none)."""
        return {str(k): v for k, v in self.spec.doses.get(species, {}).items()}.get(route)


def _molar(text: str) -> float:
    return float(parse(text).to("g/mol").magnitude)


def compounds_folder() -> Path:
    """The packaged catalogue folder (``trdlab/library/compounds``)."""
    return default_root() / "compounds"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Compound]:
    """Every packaged compound by name (validated; one error lists every problem of every file)."""
    found: dict[str, Compound] = {}
    issues: list[str] = []
    for path in sorted(compounds_folder().glob("*.toml")):
        try:
            item = load_compound(path)
        except CompoundError as exc:
            issues.append(str(exc))
            continue
        if item.name != path.stem:
            issues.append(f"{path.name}: name: {item.name!r} differs from the file name; rename one of them")
        found[item.name] = item
    if issues:
        raise CompoundError("the compound catalogue has problems:\n" + "\n".join(issues))
    return found


def compound(name: str) -> Compound:
    """One catalogue compound by name."""
    known = catalogue()
    if name not in known:
        raise DoseError(f"unknown compound {name!r}; the catalogue knows {', '.join(sorted(known))} "
                        "(see `trdlab compounds`)")
    return known[name]


def load_compound(source: str | Path) -> Compound:
    """A catalogue compound (by name) or a compound file (by path), validated.

    Raises:
        CompoundError: every problem of the file, one per line (``file: field: message; fix``).
    """
    path = Path(source)
    if path.suffix != ".toml" and not path.exists():
        return compound(str(source)) if str(source) in _names() else _unknown(str(source))
    spec, issues = _read(path)
    if spec is None or issues:
        raise CompoundError(f"{path.name}: {len(issues)} problem(s):\n  " + "\n  ".join(issues))
    return Compound(spec=spec, origin=str(path), molar_mass=_molar(spec.molar_mass))


def _names() -> tuple[str, ...]:
    return tuple(p.stem for p in compounds_folder().glob("*.toml"))


def _unknown(name: str) -> Compound:
    raise CompoundError(f"{name!r} is neither a catalogue compound ({', '.join(sorted(_names()))}) nor a "
                        "compound file (path ending in .toml)")


def compound_problems(path: Path | str) -> list[str]:
    """Every problem of a compound file (empty when it is valid)."""
    return _read(Path(path))[1]


def _read(path: Path) -> tuple[CompoundFile | None, list[str]]:
    where = path.name
    if not path.is_file():
        return None, [f"{where}: file: does not exist; give the path of a compound .toml file"]
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return None, [f"{where}: file: not valid TOML ({exc}); fix the syntax"]
    try:
        spec = CompoundFile.model_validate(raw)
    except ValidationError as exc:
        found = problems(exc, where)
        pruned = _pruned(raw, [error["loc"] for error in exc.errors(include_url=False)])
        try:  # the parts that are well formed are still checked for meaning (every problem at once)
            found += _meaning(CompoundFile.model_validate(pruned), where)
        except ValidationError:
            pass
        return None, found
    return spec, _meaning(spec, where)


def _pruned(raw: dict, locations: list[tuple[int | str, ...]]) -> dict:
    """``raw`` without the entries at ``locations`` (the parts pydantic rejected), as a deep copy."""
    import copy

    out = copy.deepcopy(raw)
    for loc in locations:
        node: object = out
        for key in loc[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and loc and loc[-1] in node:
            del node[loc[-1]]
        elif isinstance(node, dict) and len(loc) >= 2:  # a union member failed: drop the whole entry
            parent: object = out
            for key in loc[:-2]:
                parent = parent.get(key) if isinstance(parent, dict) else None
            if isinstance(parent, dict):
                parent.pop(loc[-2], None)
    return out


def _meaning(spec: CompoundFile, where: str) -> list[str]:
    """Problems of meaning (structure already valid)."""
    issues: list[str] = []
    for table in ("routes", "doses", "pk"):
        for species in getattr(spec, table):
            if species not in SPECIES_SETS:
                issues.append(f"{where}: {table}.{species}: unknown species set; use one of {', '.join(SPECIES_SETS)}")
    references = load_references()
    issues += _identity(spec, where)
    if spec.source not in references:
        issues.append(f"{where}: source: bib key {spec.source!r} is not in references.bib; add the entry or fix the key")
    slots = target_slots()
    for slot_name, quantities in spec.targets.items():
        slot = slots.get(slot_name)
        if slot is None:
            issues.append(f"{where}: targets.{slot_name}: unknown target slot; use one of {', '.join(slots)} "
                          "(library/targets.toml)")
            continue
        issues += _slot(spec, slot, quantities, f"{where}: targets.{slot_name}", references)
    issues += _pk_and_routes(spec, where, references)
    issues += _doses(spec, where)
    return issues


def _identity(spec: CompoundFile, where: str) -> list[str]:
    issues = []
    try:
        mass = _molar(spec.molar_mass)
        if not mass > 0:
            raise TrdlabError("must be positive")
    except (TrdlabError, Exception) as exc:  # noqa: BLE001 - pint raises several types
        return [f"{where}: molar_mass: {spec.molar_mass!r} is not a positive molar mass ({exc}); write e.g. '237.73 g/mol'"]
    for salt, text in spec.salts.items():
        try:
            if _molar(text) < mass:
                issues.append(f"{where}: salts.{salt}: {text!r} is lighter than the active moiety ({mass:g} g/mol); "
                              "give the salt's mass per mole of active moiety")
        except Exception as exc:  # noqa: BLE001
            issues.append(f"{where}: salts.{salt}: {text!r} is not a molar mass ({exc}); write e.g. '274.19 g/mol'")
    if spec.modules and spec.pk:
        issues.append(f"{where}: pk: a compound has hand-written modules or generated pk, not both; remove one")
    module_folder = default_root() / "modules"
    for module in spec.modules:
        if not (module_folder / f"{module}.ant").is_file():
            issues.append(f"{where}: modules: {module!r} is not a module of the library; fix the name")
    return issues


def _value(item: Value, unit: str, field: str, references: dict[str, str | None],
           bounds: tuple[float, float] | None) -> list[str]:
    """Problems of one sourced value: unit convertible to ``unit``, provenance, bounds."""
    issues = []
    converted: float | None = None
    try:
        converted = float((item.value * parse(item.unit)).to(unit).magnitude)
    except Exception as exc:  # noqa: BLE001 - pint raises several types
        issues.append(f"{field}.unit: {item.unit!r} is not convertible to {unit} ({type(exc).__name__}); state it in {unit}")
    low, high = bounds if bounds is not None else (0.0, math.inf)
    positive = low == 0 and high == math.inf
    if converted is not None and (not (low <= converted <= high) or (positive and converted <= 0)):
        span = "positive" if positive else f"in [{low:g}, {high:g}]"
        issues.append(f"{field}.value: {item.value!r} {item.unit} is impossible; it must be {span}")
    if item.source is None and item.assumed is None:
        issues.append(f"{field}: neither source nor assumed; add source = \"<bibkey>\" with derivation, "
                      "or assumed = \"<reason>\"")
    if item.source is not None and item.assumed is not None:
        issues.append(f"{field}: both source and assumed; keep one")
    if item.source is not None:
        if item.source not in references:
            issues.append(f"{field}.source: bib key {item.source!r} is not in references.bib; add it or fix the key")
        if item.derivation is None:
            issues.append(f"{field}.derivation: source without derivation; add one line from the source to the value")
    if item.reference_weight is not None:
        try:
            parse(item.reference_weight).to("kg")
        except Exception:  # noqa: BLE001
            issues.append(f"{field}.reference_weight: {item.reference_weight!r} is not a body weight; write e.g. '70 kg'")
    return issues


def _slot(spec: CompoundFile, slot: TargetSlot, quantities: dict[str, Value | RowRef], where: str,
          references: dict[str, str | None]) -> list[str]:
    issues = []
    for name, item in quantities.items():
        quantity = slot.quantities.get(name)
        if quantity is None:
            issues.append(f"{where}.{name}: unknown quantity of slot {slot.name!r}; use {', '.join(slot.quantities)}")
            continue
        if isinstance(item, RowRef):
            if spec.pk:
                issues.append(f"{where}.{name}: a generated compound states its values, not rows; give value and unit")
            elif item.row not in _all_rows():
                issues.append(f"{where}.{name}.row: {item.row!r} is not a row of the library's parameter tables")
            continue
        issues += _value(item, quantity.unit, f"{where}.{name}", references, quantity.bounds)
    for name, quantity in slot.quantities.items():
        if name not in quantities and quantity.default is None and not quantity.informational:
            issues.append(f"{where}.{name}: missing; slot {slot.name!r} needs it ({quantity.description})")
    return issues


@lru_cache(maxsize=1)
def _all_rows() -> frozenset[str]:
    rows: set[str] = set()
    for table in (default_root() / "parameters").glob("*.toml"):
        rows |= set(tomllib.loads(table.read_text(encoding="utf-8")))
    return frozenset(rows)


def _pk_and_routes(spec: CompoundFile, where: str, references: dict[str, str | None]) -> list[str]:
    issues = []
    for species, routes in spec.routes.items():
        field = f"{where}: routes.{species}"
        if species not in SPECIES_SETS:
            continue
        if spec.pk and isinstance(routes, dict):
            issues.append(f"{field}: a generated compound lists routes only, e.g. {species} = [\"oral\", \"iv\"]")
            continue
        if not spec.pk and not isinstance(routes, dict):
            issues.append(f"{field}: a compound with hand-written modules maps each route to the model species "
                          f"it doses, e.g. {species} = {{ iv = \"<species id>\" }}")
            continue
        if spec.pk:
            pk = spec.pk.get(species)
            if pk is None:
                issues.append(f"{field}: no pk.{species} for these routes; add the {species} PK or remove the routes")
                continue
            needed = ["clearance", "volume", "unbound_fraction", "brain_partition"]
            if any(r in EXTRAVASCULAR for r in routes):
                needed += ["absorption_rate", "bioavailability"]
            for name in needed:
                if name not in pk:
                    issues.append(f"{where}: pk.{species}.{name}: missing; routes {', '.join(routes)} need it "
                                  f"({PK_QUANTITIES[name][1]})")
            if ("peripheral_volume" in pk) != ("intercompartmental_clearance" in pk):
                issues.append(f"{where}: pk.{species}: a two-compartment PK needs both peripheral_volume and "
                              "intercompartmental_clearance")
    for species, pk in spec.pk.items():
        if species not in spec.routes:
            issues.append(f"{where}: pk.{species}: no routes.{species}; add the routes it can be given by")
        for name, item in pk.items():
            if name not in PK_QUANTITIES:
                issues.append(f"{where}: pk.{species}.{name}: unknown PK quantity; use {', '.join(PK_QUANTITIES)}")
                continue
            issues += _value(item, PK_QUANTITIES[name][0], f"{where}: pk.{species}.{name}", references,
                             PK_BOUNDS.get(name))
    return issues


def _doses(spec: CompoundFile, where: str) -> list[str]:
    issues = []
    for species, routes in spec.doses.items():
        for route, (low, high) in routes.items():
            field = f"{where}: doses.{species}.{route}"
            if route not in tuple(spec.routes.get(species, ())):
                issues.append(f"{field}: route {route!r} is not among routes.{species}; add it there or remove the range")
            try:
                a, b = parse(low), parse(high)
                if not any(a.check(d) for d in DOSE_DIMENSIONS) or a.dimensionality != b.dimensionality:
                    raise TrdlabError(f"{low!r} and {high!r} are not doses of one kind")
                if not 0 < a.magnitude <= b.to(a.units).magnitude:
                    raise TrdlabError("need 0 < low <= high")
            except Exception as exc:  # noqa: BLE001
                issues.append(f"{field}: [{low!r}, {high!r}] is not a dose range ({exc}); write e.g. [\"1 mg/kg\", \"30 mg/kg\"]")
    return issues
