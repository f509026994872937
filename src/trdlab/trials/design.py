"""Trial designs as data: a TOML file -> a validated, immutable :class:`TrialDesign`.

Schema (top level; times are strings with units, parsed with pint)::

    name = "zarate2006"              # identifier
    title = "..."
    reference = "zarate2006"         # key of library/references.bib
    design = "crossover"             # "parallel" | "crossover" (exactly 2 arms: sequences AB and BA)
    washout = "0 d"                  # crossover only, required: last visit of period 1 -> first dose of period 2
    population = "trd_unipolar"      # "mdd" | "trd_unipolar" | "trd_bipolar", or a population file (path)
    n = 18                           # subjects randomised
    scale = "hdrs21"                 # a scale of library/scales: "madrs" | "hdrs17" | "hdrs21" | "hdrs25"
    visits = ["40 min", "1 d"]       # ratings, relative to the first dose of each period
    response = 0.5                   # fractional reduction from baseline that counts as response
    remission = 7                    # total <= remission; default: the scale's conventional threshold
    inclusion = 18                   # optional: minimum baseline total on the scale
    allow_predose_visits = false     # a visit before the earliest first dose is an error unless true
    background = { protocol = "lithium", dose = "900 mg" }     # optional, every subject, whole trial
    dropout = { rate = "0.01 /d" }   # constant hazard, or { fraction = 0.1 } lost by the last visit
    relapse_followup = "28 d"        # optional follow-up after the last visit
    notes = "..."                    # optional free text (design choices)

    [[arms]]
    name = "ketamine"
    allocation = 1                   # relative weight (> 0); crossover: weight of the sequence it starts
    placebo = false
    regimen = [{ protocol = "ketamine_iv", dose = "0.5 mg/kg", duration = "40 min", at = "0 h",
                 every = "2 d", count = 1 }]

A regimen entry names a clinical protocol (:data:`trdlab.dosing.catalog.CLINICAL_PROTOCOLS`);
omitted ``dose``/``duration``/``every`` take the protocol's defaults, ``at`` (first dose from the
period start) defaults to ``"0 h"`` and ``count`` (administrations) to 1.
:func:`validate_design` lists every problem at once; :func:`load_design` raises one
:class:`TrialError` with all of them, one per line, each naming its field.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Literal, Mapping

from trdlab.clinical.scales import load_scale, scale_names
from trdlab.dosing.catalog import CLINICAL_PROTOCOLS, PROTOCOL_INFO, PROTOCOLS
from trdlab.dosing.clinical_protocols import ORAL_INTERVAL
from trdlab.errors import DoseError, TrialError, UnitError
from trdlab.model.library import load_references
from trdlab.model.units import parse

DESIGNS_DIR = Path(__file__).resolve().parent / "designs"
POPULATIONS = ("mdd", "trd_unipolar", "trd_bipolar")
Kind = Literal["parallel", "crossover"]


@dataclass(frozen=True)
class RegimenEntry:
    """One line of an arm's regimen: a clinical protocol and its options (strings kept, hours parsed)."""

    protocol: str
    dose: str | None = None
    duration: str | None = None
    at: str = "0 h"
    every: str | None = None
    count: int = 1
    at_hours: float = 0.0
    every_hours: float | None = None
    duration_hours: float | None = None

    @property
    def last_dose_hours(self) -> float:
        """Start of the last administration, hours from the period start."""
        return self.at_hours + (self.count - 1) * (self.every_hours or 0.0)

    def to_dict(self) -> dict[str, object]:
        """The entry as written in TOML (strings, no parsed hours)."""
        out: dict[str, object] = {"protocol": self.protocol}
        for key in ("dose", "duration", "at", "every"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["count"] = self.count
        return out


@dataclass(frozen=True)
class Arm:
    """A treatment arm: name, allocation weight, placebo flag and regimen entries."""

    name: str
    allocation: float
    placebo: bool
    regimen: tuple[RegimenEntry, ...]

    @property
    def first_dose_hours(self) -> float:
        """Earliest first dose of the arm, hours from the period start."""
        return min(entry.at_hours for entry in self.regimen)

    @property
    def last_dose_hours(self) -> float:
        """Latest administration of the arm, hours from the period start."""
        return max(entry.last_dose_hours for entry in self.regimen)

    def to_dict(self) -> dict[str, object]:
        """The arm as written in TOML."""
        return {"name": self.name, "allocation": self.allocation, "placebo": self.placebo,
                "regimen": [entry.to_dict() for entry in self.regimen]}


@dataclass(frozen=True)
class Dropout:
    """Loss to follow-up: a constant hazard ``rate`` (e.g. ``"0.01 /d"``) or a ``fraction`` of subjects
    lost by the last visit (converted to the constant hazard ``-ln(1 - fraction) / duration``)."""

    rate: str | None = None
    fraction: float | None = None
    rate_per_day: float | None = None

    def to_dict(self) -> dict[str, object]:
        """The dropout table as written in TOML."""
        return {"rate": self.rate} if self.rate is not None else {"fraction": self.fraction}


@dataclass(frozen=True)
class TrialDesign:
    """A validated trial design; build it with :func:`load_design` or :func:`design_from_mapping`."""

    name: str
    title: str
    reference: str
    design: Kind
    population: str
    n: int
    scale: str
    visits: tuple[str, ...]
    visit_hours: tuple[float, ...]
    arms: tuple[Arm, ...]
    response: float = 0.5
    remission: float | None = None
    inclusion: float | None = None
    washout: str | None = None
    washout_hours: float | None = None
    background: RegimenEntry | None = None
    dropout: Dropout | None = None
    relapse_followup: str | None = None
    relapse_followup_hours: float | None = None
    allow_predose_visits: bool = False
    notes: str | None = None
    source: str = field(default="<mapping>", compare=False)

    @property
    def periods(self) -> int:
        """Number of treatment periods (2 for a crossover)."""
        return 2 if self.design == "crossover" else 1

    @property
    def period_starts_hours(self) -> tuple[float, ...]:
        """First dose of each period, hours from the first period's: a period ends at its last visit,
        the next starts ``washout`` later."""
        length = max(self.visit_hours) + (self.washout_hours or 0.0)
        return tuple(k * length for k in range(self.periods))

    @property
    def duration_hours(self) -> float:
        """First dose to the last visit of the last period."""
        return self.period_starts_hours[-1] + max(self.visit_hours)

    @property
    def dropout_per_day(self) -> float | None:
        """Constant dropout hazard (1/day), or None without dropout."""
        if self.dropout is None:
            return None
        if self.dropout.rate_per_day is not None:
            return self.dropout.rate_per_day
        fraction = float(self.dropout.fraction or 0.0)
        return -math.log1p(-fraction) / (self.duration_hours / 24.0)

    def arm(self, name: str) -> Arm:
        """The arm called ``name``."""
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise TrialError(f"arms: no arm {name!r} in design {self.name!r}; arms are {[a.name for a in self.arms]}")

    @property
    def remission_threshold(self) -> float:
        """``remission``, or the scale's conventional threshold when the design gives none."""
        return self.remission if self.remission is not None else load_scale(self.scale).remission

    def to_dict(self) -> dict[str, object]:
        """The design as the TOML mapping it came from (``design_from_mapping`` of it is equal)."""
        out: dict[str, object] = {
            "name": self.name, "title": self.title, "reference": self.reference, "design": self.design,
            "population": self.population, "n": self.n, "scale": self.scale, "visits": list(self.visits),
            "response": self.response, "allow_predose_visits": self.allow_predose_visits,
        }
        optional = {"remission": self.remission, "inclusion": self.inclusion, "washout": self.washout,
                    "relapse_followup": self.relapse_followup, "notes": self.notes}
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.background is not None:
            out["background"] = self.background.to_dict()
        if self.dropout is not None:
            out["dropout"] = self.dropout.to_dict()
        out["arms"] = [arm.to_dict() for arm in self.arms]
        return out


def builtin_designs() -> dict[str, Path]:
    """The packaged designs (``trials/designs/*.toml``) by name."""
    return {path.stem: path for path in sorted(DESIGNS_DIR.glob("*.toml"))}


def validate_design(mapping: Mapping[str, object], source: str | Path = "<mapping>") -> list[str]:
    """Every problem of a design mapping, one line each (``field: problem; fix``); empty when sound."""
    return _Reader(mapping, str(source)).read()[1]


def design_from_mapping(mapping: Mapping[str, object], source: str | Path = "<mapping>") -> TrialDesign:
    """Validate and build a design; raises one :class:`TrialError` listing every problem."""
    values, problems = _Reader(mapping, str(source)).read()
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise TrialError(f"trial design {str(source)!r} has {len(problems)} problem(s):\n{listing}")
    return _build(values, str(source))


def load_design(path_or_name: str | Path) -> TrialDesign:
    """Load a built-in design by name (``"zarate2006"``) or a design TOML file by path."""
    builtins = builtin_designs()
    if isinstance(path_or_name, str) and path_or_name in builtins:
        path = builtins[path_or_name]
    else:
        path = Path(path_or_name)
        if not path.is_file():
            raise TrialError(
                f"design: {str(path_or_name)!r} is neither a built-in design ({', '.join(builtins)}) "
                "nor an existing TOML file; give a built-in name or a path"
            )
    try:
        mapping = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TrialError(f"trial design {str(path)!r} is not valid TOML ({exc}); fix its syntax") from exc
    return design_from_mapping(mapping, path)


def _build(values: dict[str, object], source: str) -> TrialDesign:
    arms = tuple(Arm(a["name"], a["allocation"], a["placebo"], tuple(RegimenEntry(**e) for e in a["regimen"]))
                 for a in values.pop("arms"))  # type: ignore[union-attr, index]
    background, dropout = values.pop("background"), values.pop("dropout")
    return TrialDesign(**values, arms=arms, source=source,  # type: ignore[arg-type]
                       background=RegimenEntry(**background) if background else None,  # type: ignore[arg-type]
                       dropout=Dropout(**dropout) if dropout else None)  # type: ignore[arg-type]


# -- reading and checking a mapping -------------------------------------------------------------------
_TOP_KEYS = ("name", "title", "reference", "design", "washout", "population", "n", "scale", "visits",
             "response", "remission", "inclusion", "allow_predose_visits", "background", "dropout",
             "relapse_followup", "notes", "arms")
_ARM_KEYS = ("name", "allocation", "placebo", "regimen")
_ENTRY_KEYS = ("protocol", "dose", "duration", "at", "every", "count")
_REQUIRED = ("name", "title", "reference", "design", "population", "n", "scale", "visits", "arms")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class _Reader:
    """Reads a design mapping into constructor values, collecting every problem on the way."""

    def __init__(self, mapping: Mapping[str, object], source: str) -> None:
        self.mapping = mapping
        self.source = source
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def unknown_keys(self, table: Mapping[str, object], known: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in known:
                close = get_close_matches(str(key), known, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                self.fail(f"{prefix}{key}", f"unknown key; {hint}known keys: {', '.join(known)}")

    def time(self, value: object, where: str, *, positive: bool = False) -> float | None:
        """Hours of a time string (>= 0, or > 0 when ``positive``), None after recording a problem."""
        if not isinstance(value, str):
            self.fail(where, f"{value!r} is not a time string; write it with a unit, e.g. \"7 d\" or \"40 min\"")
            return None
        try:
            quantity = parse(value)
        except UnitError as exc:
            self.fail(where, str(exc))
            return None
        if not quantity.check("[time]"):
            if list(quantity.unit_items()):
                self.fail(where, f"{value!r} has unit {quantity.units:~}, not a time; write e.g. \"7 d\" or \"40 min\"")
            else:
                self.fail(where, f"{value!r} has no unit; write it with a time unit, e.g. \"{value} h\"")
            return None
        hours = float(quantity.to("hour").magnitude)
        if not math.isfinite(hours) or hours < 0 or (positive and hours == 0):
            self.fail(where, f"{value!r} must be {'positive' if positive else '>= 0'} and finite")
            return None
        return hours

    def read(self) -> tuple[dict[str, object], list[str]]:
        m = self.mapping
        if not isinstance(m, Mapping):
            return {}, [f"design: {m!r} is not a table of keys; write the design as TOML keys and [[arms]]"]
        self.unknown_keys(m, _TOP_KEYS, "")
        for key in _REQUIRED:
            if key not in m:
                self.fail(key, "missing; add it (see the schema in trdlab.trials.design)")
        values: dict[str, object] = {}
        for key in ("name", "title"):
            if key in m and (not isinstance(m[key], str) or not m[key].strip()):
                self.fail(key, f"{m[key]!r} must be a non-empty string")
            values[key] = m.get(key)
        values["reference"] = self.reference(m.get("reference"))
        kind = m.get("design")
        if "design" in m and kind not in ("parallel", "crossover"):
            self.fail("design", f"{kind!r} is not a design; use \"parallel\" or \"crossover\"")
        values["design"] = kind
        values["population"] = self.population(m.get("population"))
        n = m.get("n")
        if "n" in m and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            self.fail("n", f"{n!r} must be a positive whole number of subjects")
        values["n"] = n
        scale = self.scale(m.get("scale"))
        values["scale"] = m.get("scale")
        values.update(self.visits(m.get("visits")))
        values["response"] = self.response(m.get("response", 0.5))
        values["remission"] = self.threshold(m.get("remission"), "remission", scale)
        values["inclusion"] = self.threshold(m.get("inclusion"), "inclusion", scale)
        if _is_number(values["remission"]) and _is_number(values["inclusion"]) \
                and values["remission"] >= values["inclusion"]:  # type: ignore[operator]
            self.fail("remission", f"{values['remission']} is not below inclusion={values['inclusion']}; "
                                   "a remitted subject could not have been included")
        values["washout"], values["washout_hours"] = self.washout(m.get("washout"), kind)
        predose = m.get("allow_predose_visits", False)
        if not isinstance(predose, bool):
            self.fail("allow_predose_visits", f"{predose!r} must be true or false")
        values["allow_predose_visits"] = predose
        values["background"] = self.entry(m["background"], "background") if "background" in m else None
        values["dropout"] = self.dropout(m["dropout"]) if "dropout" in m else None
        follow = m.get("relapse_followup")
        values["relapse_followup"] = follow
        values["relapse_followup_hours"] = self.time(follow, "relapse_followup", positive=True) \
            if follow is not None else None
        notes = m.get("notes")
        if notes is not None and not isinstance(notes, str):
            self.fail("notes", f"{notes!r} must be a string")
        values["notes"] = notes
        values["arms"] = self.arms(m.get("arms"), kind)
        self.schedule(values)
        return values, self.problems

    def reference(self, key: object) -> object:
        if key is None:
            return None
        if not isinstance(key, str) or key not in load_references():
            self.fail("reference", f"{key!r} is not a key of library/references.bib; add the BibTeX entry "
                                   "or fix the key")
        return key

    def population(self, value: object) -> object:
        """A named population as is; a file path resolved from the design's folder (kept absolute)."""
        if value is None or value in POPULATIONS:
            return value
        if not isinstance(value, str) or not value.strip():
            self.fail("population", f"{value!r} must be a population name ({', '.join(POPULATIONS)}) or a file path")
            return value
        path = Path(value)
        if not path.is_absolute() and self.source != "<mapping>":
            path = Path(self.source).resolve().parent / path
        if not path.is_file():
            self.fail("population", f"{value!r} is neither a named population ({', '.join(POPULATIONS)}) "
                                    f"nor an existing file ({str(path)!r})")
        return str(path)

    def scale(self, name: object) -> object:
        if name is None:
            return None
        known = scale_names()
        if name not in known:
            self.fail("scale", f"unknown scale {name!r}; use one of {', '.join(known)}")
            return None
        return load_scale(str(name))

    def visits(self, visits: object) -> dict[str, object]:
        if visits is None:
            return {"visits": None, "visit_hours": None}
        if not isinstance(visits, list) or not visits:
            self.fail("visits", f"{visits!r} must be a non-empty list of times, e.g. [\"1 d\", \"7 d\"]")
            return {"visits": None, "visit_hours": None}
        hours = [self.time(v, f"visits[{i}]") for i, v in enumerate(visits)]
        for i in range(1, len(hours)):
            if hours[i] is not None and hours[i - 1] is not None and hours[i] <= hours[i - 1]:  # type: ignore[operator]
                self.fail(f"visits[{i}]", f"{visits[i]!r} does not come after {visits[i - 1]!r}; "
                                          "list visits in increasing time order, each once")
        return {"visits": tuple(visits), "visit_hours": tuple(hours)}

    def response(self, value: object) -> object:
        if not _is_number(value) or not 0 < value < 1:  # type: ignore[operator]
            self.fail("response", f"{value!r} must be a fraction between 0 and 1 (0.5 = 50 % reduction)")
        return float(value) if _is_number(value) else value  # type: ignore[arg-type]

    def threshold(self, value: object, where: str, scale: object) -> object:
        if value is None:
            return None
        if not _is_number(value) or value < 0:  # type: ignore[operator]
            self.fail(where, f"{value!r} must be a total score >= 0 on the scale")
            return value
        top = getattr(scale, "max_total", None)
        if top is not None and value > top:  # type: ignore[operator]
            self.fail(where, f"{value} exceeds the scale maximum {top}")
        return float(value)  # type: ignore[arg-type]

    def washout(self, value: object, kind: object) -> tuple[object, float | None]:
        if kind == "crossover" and value is None:
            self.fail("washout", "a crossover design needs washout (last visit of period 1 -> first dose of "
                                 "period 2), e.g. washout = \"7 d\"")
        if kind == "parallel" and value is not None:
            self.fail("washout", "only a crossover design has a washout; remove it or use design = \"crossover\"")
        return value, (self.time(value, "washout") if value is not None else None)

    def dropout(self, value: object) -> dict[str, object] | None:
        if not isinstance(value, Mapping) or len(value) != 1 or not ({"rate", "fraction"} & set(value)):
            self.fail("dropout", f"{value!r} must be {{ rate = \"0.01 /d\" }} or {{ fraction = 0.1 }}")
            return None
        if "fraction" in value:
            fraction = value["fraction"]
            if not _is_number(fraction) or not 0 <= fraction < 1:  # type: ignore[operator]
                self.fail("dropout.fraction", f"{fraction!r} must be a fraction in [0, 1)")
            return {"fraction": fraction}
        rate = value["rate"]
        try:
            quantity = parse(str(rate)) if isinstance(rate, str) else None
        except UnitError as exc:
            self.fail("dropout.rate", str(exc))
            return None
        if quantity is None or not quantity.check("1/[time]") or not quantity.magnitude >= 0:
            self.fail("dropout.rate", f"{rate!r} must be a rate per time >= 0, e.g. \"0.01 /d\"")
            return None
        return {"rate": rate, "rate_per_day": float(quantity.to("1/day").magnitude)}

    def arms(self, arms: object, kind: object) -> list[dict[str, object]]:
        if arms is None:
            return []
        if not isinstance(arms, list) or not arms:
            self.fail("arms", "must be a non-empty list of [[arms]] tables")
            return []
        if kind == "crossover" and len(arms) != 2:
            self.fail("arms", f"a crossover design needs exactly 2 arms (sequences AB, BA), found {len(arms)}")
        out = []
        names = [a.get("name") for a in arms if isinstance(a, Mapping)]
        for i, arm in enumerate(arms):
            where = f"arms[{i}]"
            if not isinstance(arm, Mapping):
                self.fail(where, "must be a table with name, allocation, placebo, regimen")
                continue
            self.unknown_keys(arm, _ARM_KEYS, f"{where}.")
            name = arm.get("name")
            if not isinstance(name, str) or not name.strip():
                self.fail(f"{where}.name", f"{name!r} must be a non-empty string")
            elif names.count(name) > 1:
                self.fail(f"{where}.name", f"{name!r} is used by more than one arm; give each arm its own name")
            allocation = arm.get("allocation", 1)
            if not _is_number(allocation) or allocation <= 0:  # type: ignore[operator]
                self.fail(f"{where}.allocation", f"{allocation!r} must be a relative weight > 0")
            placebo = arm.get("placebo", False)
            if not isinstance(placebo, bool):
                self.fail(f"{where}.placebo", f"{placebo!r} must be true or false")
            regimen = arm.get("regimen")
            if not isinstance(regimen, list) or not regimen:
                self.fail(f"{where}.regimen", "missing or empty; list at least one { protocol = ... } entry "
                                              "(a placebo arm uses saline_iv or placebo_oral)")
                regimen = []
            entries = [self.entry(e, f"{where}.regimen[{j}]") for j, e in enumerate(regimen)]
            out.append({"name": name, "allocation": float(allocation) if _is_number(allocation) else allocation,
                        "placebo": placebo, "regimen": [e for e in entries if e is not None]})
        return out

    def entry(self, entry: object, where: str) -> dict[str, object] | None:
        if not isinstance(entry, Mapping):
            self.fail(where, f"{entry!r} must be a table {{ protocol = \"...\", dose = \"...\", ... }}")
            return None
        self.unknown_keys(entry, _ENTRY_KEYS, f"{where}.")
        problems = len(self.problems)
        name = entry.get("protocol")
        if name not in CLINICAL_PROTOCOLS:
            why = "not a clinical (human i.v./oral) protocol:" if name in PROTOCOLS else "unknown protocol"
            close = get_close_matches(str(name), CLINICAL_PROTOCOLS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            self.fail(f"{where}.protocol", f"{why} {name!r}; {hint}known: {', '.join(CLINICAL_PROTOCOLS)}")
            return None
        info = PROTOCOL_INFO[str(name)]
        dose = entry.get("dose")
        if dose is not None and not isinstance(dose, str):
            self.fail(f"{where}.dose", f"{dose!r} must be a string with a unit, e.g. \"0.5 mg/kg\"")
        duration = entry.get("duration")
        if duration is not None and not info.is_infusion:
            self.fail(f"{where}.duration", f"protocol {name!r} is {info.route}, not an infusion; remove duration")
        duration_h = self.time(duration, f"{where}.duration", positive=True) if duration is not None else None
        at = entry.get("at", "0 h")
        at_h = self.time(at, f"{where}.at")
        every = entry.get("every")
        every_h = self.time(every, f"{where}.every", positive=True) if every is not None else None
        count = entry.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            self.fail(f"{where}.count", f"{count!r} must be a whole number >= 1 of administrations")
        elif count > 1 and every is None and info.is_infusion:
            self.fail(f"{where}.count", f"count = {count} infusions need every, e.g. every = \"2 d\"")
        if every_h is None and info.route == "oral":
            every_h = float(parse(ORAL_INTERVAL).to("hour").magnitude)
        if len(self.problems) == problems:
            self.try_protocol(str(name), dose, duration, every, count, where)
        return {"protocol": name, "dose": dose, "duration": duration, "at": at, "every": every, "count": count,
                "at_hours": at_h, "every_hours": every_h, "duration_hours": duration_h}

    def try_protocol(self, name: str, dose: object, duration: object, every: object, count: object,
                     where: str) -> None:
        """Build the entry for a 70 kg subject: the protocol checks doses, salts, units and intervals."""
        options = {k: v for k, v in (("dose", dose), ("duration", duration), ("every", every)) if v is not None}
        try:
            PROTOCOLS[name](weight="70 kg", count=count, **options)
        except (DoseError, UnitError) as exc:
            self.fail(where, f"protocol {name!r} rejects the options: {exc}")

    def schedule(self, values: dict[str, object]) -> None:
        """Visits against doses: none before the first dose (unless allowed); crossover doses inside a period."""
        visits, hours = values.get("visits"), values.get("visit_hours")
        arms = [a for a in values["arms"] if a["regimen"]]  # type: ignore[union-attr, index]
        firsts = [e["at_hours"] for a in arms for e in a["regimen"] if e["at_hours"] is not None]  # type: ignore[index]
        if not visits or not firsts or hours is None:
            return
        earliest = min(firsts)
        if not values.get("allow_predose_visits"):
            for i, (text, h) in enumerate(zip(visits, hours)):  # type: ignore[arg-type]
                if h is not None and h < earliest:
                    self.fail(f"visits[{i}]", f"{text!r} comes before the first dose at {earliest:g} h; move it "
                                              "or set allow_predose_visits = true")
        if values.get("design") != "crossover" or None in hours:  # type: ignore[operator]
            return
        for i, arm in enumerate(values["arms"]):  # type: ignore[union-attr]
            for j, e in enumerate(arm["regimen"]):  # type: ignore[index]
                if e["at_hours"] is None or isinstance(e["count"], bool) or not isinstance(e["count"], int):
                    continue
                last = e["at_hours"] + (e["count"] - 1) * (e["every_hours"] or 0.0)
                if last > max(hours):  # type: ignore[arg-type]
                    self.fail(f"arms[{i}].regimen[{j}]", f"its last dose at {last:g} h comes after the last visit "
                                                         f"({max(hours):g} h): it would overlap the next period")
