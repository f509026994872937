"""Loading experiments: TOML files -> validated :class:`~trdlab.experiments.spec.Experiment` values.

The schema is documented in :mod:`trdlab.experiments.spec`. Every problem is reported as
``file: id: field: message`` with the fix; :func:`load_experiments` collects each experiment's
first problem and raises them together.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, cast

from trdlab.errors import ExperimentError
from trdlab.experiments import provenance
from trdlab.experiments.file_schema import structure_problems
from trdlab.experiments.ledger import LEDGER, load_ledger
from trdlab.experiments.readouts import READOUTS
from trdlab.experiments.readouts.nca import NcaCheck
from trdlab.experiments.readouts.trial import Cohort, Metric, Subgroup, TrialCheck
from trdlab.experiments.spec import (
    COMPARISONS, EXPECTS, STATS, AnyCheck, Arm, Check, Dose, Experiment, Fail, Figure, time_h,
)
from trdlab.model.library import SPECIES, default_root, load_references

LIBRARY = Path(__file__).with_name("library")

@dataclass(frozen=True)
class Context:
    """What validation checks against: ledger ids, bib keys and the genotype table."""

    claims: frozenset[str]
    references: frozenset[str]
    genotypes_file: Path
    genotypes: Mapping[str, Mapping[str, float]] | None  # None: the file does not exist


def load_experiments(
    folder: Path | str | None = None, *, ledger: Path = LEDGER, library_root: Path | str | None = None
) -> tuple[Experiment, ...]:
    """Read and validate every ``*.toml`` of ``folder`` (default: the packaged ``experiments/library``).

    Args:
        folder: the experiments folder.
        ledger: the claims ledger whose ids the experiments must use.
        library_root: the model library (``references.bib``, ``genotypes.toml``); default packaged.

    Raises:
        ExperimentError: one message listing each experiment's first problem.
    """
    folder = LIBRARY if folder is None else Path(folder)
    if not folder.is_dir():
        raise ExperimentError(f"experiments folder {str(folder)!r} does not exist; give a folder of *.toml files")
    root = default_root() if library_root is None else Path(library_root)
    context = Context(frozenset(c.id for c in load_ledger(ledger)), frozenset(load_references(root)),
                      root / "genotypes.toml", _genotypes(root / "genotypes.toml"))
    problems: list[str] = []
    experiments: list[Experiment] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            with open(path, "rb") as handle:
                table = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{path.name}: not valid TOML ({exc})")
            continue
        extra = sorted(set(table) - {"experiment"})
        if extra:
            problems.append(f"{path.name}: unknown top-level key(s) {extra}; write [[experiment]] tables only")
        for index, row in enumerate(table.get("experiment", [])):
            try:
                experiments.append(parse_experiment(row, path.name, index, context))
            except ExperimentError as exc:
                problems.extend(str(exc).splitlines())
    seen: dict[str, str] = {}
    for experiment in experiments:
        if experiment.id in seen:
            problems.append(f"{experiment.file}: {experiment.id}: id: also defined in {seen[experiment.id]}; "
                            "keep one experiment per claim")
        seen.setdefault(experiment.id, experiment.file)
    targets = provenance.calibration_targets(root)
    checks = {e.id: [c.id for c in e.checks] for e in experiments}
    # the packaged tables' targets are the packaged experiments; a user's own folder need not hold them
    unresolved = provenance.unresolved_targets(targets, checks) if folder.resolve() == LIBRARY.resolve() else []
    for target in unresolved:
        problems.append(f"parameter tables: fitted_to {target!r} ({', '.join(targets[target])}) names no experiment "
                        "or check; use an experiment id, 'id.check' or 'external:<what>'")
    if problems:
        head = "" if len(problems) == 1 else f"{len(problems)} problems in the experiments:\n  "
        raise ExperimentError(head + "\n  ".join(problems))
    return tuple(derive_kinds(e, targets) for e in experiments)


def derive_kinds(experiment: Experiment, targets: Mapping[str, object]) -> Experiment:
    """The experiment with each check's kind and its own kind derived from the fitted rows' targets."""
    checks = tuple(replace(c, kind=provenance.check_kind(experiment.id, c.id, targets)) for c in experiment.checks)
    if experiment.kind == "prediction":
        kind = "prediction"
    else:
        kind = "calibration" if any(c.kind == "calibration" for c in checks) else "validation"
    return replace(experiment, checks=checks, kind=kind)  # type: ignore[arg-type]


def _genotypes(path: Path) -> dict[str, dict[str, float]] | None:
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as handle:
            table = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{path}: not valid TOML ({exc})") from None
    genotypes: dict[str, dict[str, float]] = {}
    for name, entry in table.items():
        values = entry.get("parameters", {}) if isinstance(entry, dict) else None
        if not isinstance(values, dict) or not all(_is_number(v) for v in values.values()):
            raise ExperimentError(f"{path}: [{name!r}]: parameters: give a table of model id = number")
        genotypes[name] = {k: float(v) for k, v in values.items()}
    return genotypes


def parse_experiment(row: Mapping[str, object], file: str, index: int, context: Context) -> Experiment:
    """One ``[[experiment]]`` table as an :class:`Experiment`; raises on its first problem."""
    ident = row.get("id")
    if not isinstance(ident, str) or not ident:
        raise ExperimentError(f"{file}: experiment #{index + 1}: id: missing or not text; give the ledger id")
    structural = structure_problems(row)
    if structural:  # every structural problem of the table at once (keys, types, choices, units)
        raise ExperimentError("\n".join(f"{file}: {ident}: {line}" for line in structural))

    def fail(field: str, message: str) -> ExperimentError:
        return ExperimentError(f"{file}: {ident}: {field}: {message}")

    verification = row.get("verification", False)
    if not isinstance(verification, bool):
        raise fail("verification", "give true (a literature check that is no claim of the paper) or leave it out")
    if ident not in context.claims and not verification:
        raise fail("id", f"{ident!r} is not a claim of the ledger (ledger.toml); use a ledger id, or set "
                   "verification = true for a literature check of the model")
    declared = row.get("kind", "validation")
    if declared not in ("prediction", "validation"):
        raise fail("kind", f"{declared!r}: only kind = \"prediction\" is written in a file; calibration vs validation "
                   "is derived from the parameter tables' fitted_to")
    citation = _text(row, "citation", fail)
    if citation not in context.references:
        raise fail("citation", f"bib key {citation!r} is not in references.bib; add the entry or fix the key")
    discrepancy = row.get("discrepancy", "")
    if not isinstance(discrepancy, str):
        raise fail("discrepancy", "not text; give the known reason the model fails this claim, or leave it out")
    if "cohort" in row:
        return _trial_experiment(row, ident, file, declared, citation, discrepancy.strip(), verification, fail)
    species = _choice(row, "species", SPECIES, fail)
    until, step = _text(row, "until", fail), _text(row, "step", fail)
    until_h, step_h = _time(until, "until", fail), _time(step, "step", fail)
    if until_h <= 0 or step_h <= 0 or until_h / step_h > 200_000:
        raise fail("until", f"until={until!r}, step={step!r}: both must be positive, at most 200000 steps")
    arm_rows = _list(row, "arm", fail)
    if not arm_rows:
        raise fail("arm", "no [[experiment.arm]]; give at least one arm")
    arms = tuple(_arm(a, i, species, fail, context) for i, a in enumerate(arm_rows))
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise fail("arm", f"arm names {names} repeat; give each arm its own name")
    checks = _checks(row, lambda c, i: _any_check(c, i, declared, names, fail), fail)
    figure = _figure(row.get("figure"), checks, until, until_h, fail)
    experiment = Experiment(ident, _text(row, "title", fail), species, citation, declared, until, step,
                            arms, checks, figure, file, discrepancy.strip(), verification)
    for i, check in enumerate(checks):
        if not isinstance(check, Check):
            continue
        first, last = check.span_h
        if first < experiment.start_h or last > until_h or first > last:
            raise fail(f"check[{i}].{'window' if check.window else 'at'}",
                       f"readout time outside the simulation ({experiment.start_h:g} h to {until}) or reversed")
    return experiment


def _checks(row: Mapping[str, object], parse: object, fail: Fail) -> tuple[AnyCheck, ...]:
    checks = tuple(parse(c, i) for i, c in enumerate(_list(row, "check", fail)))  # type: ignore[operator]
    if not checks:
        raise fail("check", "no [[experiment.check]]; give at least one check")
    labels = [c.label for c in checks]
    if len(set(labels)) != len(labels):
        raise fail("check", f"labels {labels} repeat; give the checks distinct 'label's")
    ids = [c.id for c in checks]
    if len(set(ids)) != len(ids):
        raise fail("check", f"check ids {ids} repeat; give each check its own id")
    return checks


def _check_id(row: Mapping[str, object], index: int, fail: Fail, where: str) -> str:
    ident = row.get("id", str(index + 1))
    if not isinstance(ident, str) or not ident or "." in ident:
        raise fail(f"{where}.id", f"{ident!r}: give a short name without dots (fitted_to names it as 'EXP.id')")
    return ident


def _any_check(row: object, index: int, kind: str, arms: list[str], fail: Fail) -> AnyCheck:
    where = f"check[{index}]"
    readout = row.get("readout", "ratio") if isinstance(row, dict) else "ratio"
    if readout not in READOUTS or readout == "trial":
        raise fail(f"{where}.readout", f"{readout!r}: use ratio, nca or biomarker here (trial checks need "
                                       "[[experiment.cohort]])")
    if readout == "nca":
        return _nca_check(row, index, arms, fail)
    if readout == "biomarker":
        return _biomarker_check(row, index, kind, arms, fail)
    return _check(row, index, kind, arms, fail)


def _biomarker_check(row: object, index: int, kind: str, arms: list[str], fail: Fail) -> Check:
    """A biomarker reading of an arm against a reference, judged like a ratio (``at`` a sampling time)."""
    from trdlab.biomarkers.definitions import BiomarkerError, load_library
    from trdlab.biomarkers.measure import Sampling, check_sampling
    from trdlab.biomarkers.timing import sampling_time

    where = f"check[{index}]"
    assert isinstance(row, dict)
    name, arm, reference, at = (_text(row, k, fail, where) for k in ("biomarker", "arm", "reference", "at"))
    library = load_library()
    problems = check_sampling(Sampling(name, (at,)), library)
    if problems:
        raise fail(f"{where}.biomarker", "; ".join(problems))
    marker = library.biomarkers[name]
    if marker.kind in ("covariate", "rating"):
        raise fail(f"{where}.biomarker", f"{name!r} is a {marker.kind}, not read from a simulated arm")
    for key, value in (("arm", arm), ("reference", reference)):
        if value not in arms:
            raise fail(f"{where}.{key}", f"no arm {value!r}; arms: {', '.join(arms)}")
    expect = row.get("expect")
    if expect is None and kind != "prediction":
        raise fail(f"{where}.expect", "missing; give up, down or unchanged (only a prediction may omit it)")
    try:
        hours = sampling_time(at, library.clock).hours
    except BiomarkerError as exc:
        raise fail(f"{where}.at", str(exc)) from None
    label = str(row.get("label") or f"{name} {arm}/{reference} at {at}")
    return Check(marker.observables[0], arm, reference, expect, label, _check_id(row, index, fail, where), "validation",
                 f"{hours:g} h", biomarker=name, sample=at, min_effect=float(row.get("min_effect", 0.10)),
                 max_change=float(row.get("max_change", 0.05)))


def _nca_check(row: object, index: int, arms: list[str], fail: Fail) -> NcaCheck:
    where = f"check[{index}]"
    assert isinstance(row, dict)
    observable, arm, unit = (_text(row, k, fail, where) for k in ("observable", "arm", "unit"))
    if arm not in arms:
        raise fail(f"{where}.arm", f"no arm {arm!r}; arms: {', '.join(arms)}")
    statistic, expect = row["statistic"], row["expect"]  # choices and numbers: checked by file_schema
    numbers = {k: row[k] for k in ("expected", "tolerance", "low", "high") if k in row}
    needed = {"within": ("expected", "tolerance"), "between": ("low", "high"), "after": ()}[expect]
    for key in needed:
        if key not in numbers:
            raise fail(f"{where}.{key}", f"missing; expect = {expect!r} needs {' and '.join(needed)}")
    if expect == "after":
        _text(row, "reference", fail, where)
    terminal = _time(row.get("terminal_from", "0 h"), f"{where}.terminal_from", fail)
    label = str(row.get("label") or f"{statistic} of {observable} ({arm})")
    value = {k: float(v) for k, v in numbers.items()}
    return NcaCheck(observable, arm, statistic, expect, unit, label, _check_id(row, index, fail, where),
                    expected=value.get("expected"), tolerance=value.get("tolerance"), low=value.get("low"),
                    high=value.get("high"), reference=row.get("reference"), terminal_from_h=terminal,
                    note=str(row.get("note", "")))


def _trial_experiment(row: Mapping[str, object], ident: str, file: str, declared: str, citation: str,
                      discrepancy: str, verification: bool, fail: Fail) -> Experiment:
    for key in ("arm", "until", "step", "figure"):
        if key in row:
            raise fail(key, "a trial experiment ([[experiment.cohort]]) has no simulated arms, grid or figure")
    species = row.get("species", "human")
    if species != "human":
        raise fail("species", "virtual trials run on the human model; write species = \"human\" or leave it out")
    cohorts = tuple(_cohort(c, i, fail) for i, c in enumerate(_list(row, "cohort", fail)))
    if not cohorts:
        raise fail("cohort", "no [[experiment.cohort]]; give at least one")
    names = [c.name for c in cohorts]
    if len(set(names)) != len(names):
        raise fail("cohort", f"cohort names {names} repeat")
    checks = _checks(row, lambda c, i: _trial_check(c, i, names, fail), fail)
    return Experiment(ident, _text(row, "title", fail), "human", citation, declared, "", "", (), checks,  # type: ignore[arg-type]
                      Figure((), ""), file, discrepancy, verification, cohorts)


def _cohort(row: object, index: int, fail: Fail) -> Cohort:
    where = f"cohort[{index}]"
    assert isinstance(row, dict)
    name, design = _text(row, "name", fail, where), _text(row, "design", fail, where)
    from trdlab.trials.design import builtin_designs

    if design not in builtin_designs():
        raise fail(f"{where}.design", f"{design!r} is not a built-in design; use one of {', '.join(builtin_designs())}")
    all_comers = bool(row.get("all_comers", False))  # types, bounds and times: checked by file_schema
    return Cohort(name, design, int(row["n"]), int(row["seed"]), tuple(row.get("extra_visits", [])),
                  row.get("scale"), row.get("population"), tuple(row.get("arms", [])), all_comers)


def _trial_check(row: object, index: int, cohorts: list[str], fail: Fail) -> TrialCheck:
    where = f"check[{index}]"
    assert isinstance(row, dict)
    if row.get("readout") != "trial":
        raise fail(f"{where}.readout", "checks of a trial experiment need readout = \"trial\"")
    metric = row["metric"]  # one of the metrics, numbers finite, times with units: checked by file_schema
    label = _text(row, "label", fail, where)
    arm, visit = str(row.get("arm", "all")), str(row.get("visit", "all"))
    from trdlab.experiments.readouts.signature import SIGNATURE_METRICS

    if metric in SIGNATURE_METRICS and not row.get("outcome"):
        raise fail(f"{where}.outcome", f"metric {metric!r} needs outcome = COLUMN (e.g. \"response_1d\")")
    if str(metric).startswith("correlation") and not row.get("feature"):
        raise fail(f"{where}.feature", f"metric {metric!r} needs feature = COLUMN (e.g. \"delta_sleep_ratio@night0\")")
    if metric not in SIGNATURE_METRICS and ("arm" not in row or "visit" not in row):
        raise fail(f"{where}.arm", f"metric {metric!r} needs arm and visit")
    cohort = row.get("cohort", cohorts[0])
    if cohort not in cohorts:
        raise fail(f"{where}.cohort", f"no cohort {cohort!r}; cohorts: {', '.join(cohorts)}")
    numbers = {k: row[k] for k in ("low", "high") if k in row}
    if not numbers:
        raise fail(f"{where}.low", "give low and/or high")
    if metric in ("effect_size_d", "item_p_value") and not row.get("control"):
        raise fail(f"{where}.control", f"metric {metric!r} needs control = ARM")
    if metric == "remitters_late" and "after" not in row:
        raise fail(f"{where}.after", "metric 'remitters_late' needs after = TIME")
    subgroup = None
    if "subgroup" in row:
        group = row["subgroup"]
        if group["cohort"] not in cohorts:
            raise fail(f"{where}.subgroup.cohort", f"no cohort {group['cohort']!r}; cohorts: {', '.join(cohorts)}")
        subgroup = Subgroup(group["cohort"], str(group["arm"]), str(group["visit"]), group["response"])
    bounds = {k: float(v) for k, v in numbers.items()}
    return TrialCheck(cast(Metric, metric), arm, visit, label, cohort, _check_id(row, index, fail, where),
                      control=row.get("control"), low=bounds.get("low"), high=bounds.get("high"),
                      after=row.get("after"), subgroup=subgroup, feature=row.get("feature"),
                      outcome=row.get("outcome"))


def _arm(row: object, index: int, species: str, fail: Fail, context: Context) -> Arm:
    assert isinstance(row, dict)
    name = _text(row, "name", fail, f"arm[{index}]")
    where = f"arm[{name}]"
    overrides: dict[str, float] = {}
    genotype = row.get("genotype")
    if genotype is not None:
        if context.genotypes is None:
            raise fail(f"{where}.genotype", f"genotype {genotype!r} needs {context.genotypes_file}, which does not "
                       "exist; add it with a table per genotype: [\"val/met\"] parameters = {{ id = value }}")
        if genotype not in context.genotypes:
            raise fail(f"{where}.genotype", f"{genotype!r} is not in {context.genotypes_file.name}; known: "
                       f"{', '.join(context.genotypes) or '(none)'}")
        overrides.update(context.genotypes[genotype])
    own = row.get("parameters", {})
    if not isinstance(own, dict) or not all(_is_number(v) for v in own.values()):
        raise fail(f"{where}.parameters", "give a table of model id = finite number")
    overrides.update({k: float(v) for k, v in own.items()})
    doses = tuple(Dose.from_table(d, f"{where}.doses[{i}]", species, fail)
                  for i, d in enumerate(_list(row, "doses", fail, where)))
    return Arm(name, doses, genotype, tuple(overrides.items()))


def _check(row: object, index: int, kind: str, arms: list[str], fail: Fail) -> Check:
    where = f"check[{index}]"
    assert isinstance(row, dict)
    ident = _check_id(row, index, fail, where)
    observable, arm, reference = (_text(row, k, fail, where) for k in ("observable", "arm", "reference"))
    expect = row.get("expect")
    if expect is None and kind != "prediction":
        raise fail(f"{where}.expect", f"missing; give one of {', '.join(EXPECTS)} (only a prediction may omit it)")
    if expect is not None and expect not in EXPECTS:
        raise fail(f"{where}.expect", f"{expect!r} is unknown; use one of {', '.join(EXPECTS)}")
    named = {"arm": arm, "reference": reference}
    if expect in COMPARISONS:
        named |= {k: _text(row, k, fail, where) for k in ("other_arm", "other_reference")}
    for key, name in named.items():
        if name not in arms:
            raise fail(f"{where}.{key}", f"no arm {name!r}; arms: {', '.join(arms)}")
    if ("at" in row) == ("window" in row):
        raise fail(where, "give exactly one of at = TIME or window = [FROM, TO]")
    window = row.get("window")
    if window is not None:
        if not (isinstance(window, list) and len(window) == 2):
            raise fail(f"{where}.window", "give two times, e.g. window = [\"30 min\", \"60 min\"]")
        for text in window:
            _time(text, f"{where}.window", fail, negative=True)
        window = (str(window[0]), str(window[1]))
    else:
        _time(row["at"], f"{where}.at", fail, negative=True)
    stat = row.get("stat", "mean")
    if stat not in STATS or ("stat" in row and window is None):
        raise fail(f"{where}.stat", f"{stat!r}: use one of {', '.join(STATS)}, with a window only")
    numbers = {k: row[k] for k in ("min_effect", "max_change", "low", "high") if k in row}
    for key, value in numbers.items():
        if not _is_number(value) or (key in ("min_effect", "max_change") and value <= 0):
            raise fail(f"{where}.{key}", f"{value!r}: give a finite number (min_effect, max_change: > 0)")
    if (expect == "between") != ("low" in row or "high" in row):
        raise fail(f"{where}.low", "low and high go with expect = \"between\" (and only with it)")
    if expect == "between" and not ("low" in row and "high" in row and row["low"] < row["high"]):
        raise fail(f"{where}.low", "between needs both low and high with low < high")
    label = row.get("label") or _label(row, observable, arm, reference, window, stat)
    return Check(observable, arm, reference, expect, str(label), ident, "validation",
                 None if window else str(row["at"]), window, stat,
                 other_arm=named.get("other_arm"), other_reference=named.get("other_reference"),
                 min_effect=float(numbers.get("min_effect", 0.10)), max_change=float(numbers.get("max_change", 0.05)),
                 low=None if "low" not in numbers else float(numbers["low"]),
                 high=None if "high" not in numbers else float(numbers["high"]))


def _label(row: Mapping[str, object], observable: str, arm: str, reference: str,
           window: tuple[str, str] | None, stat: str) -> str:
    what = f"{arm}/{reference}"
    if row.get("expect") in COMPARISONS:
        what = f"effect {what} - {row['other_arm']}/{row['other_reference']}"
    when = f"{stat} over {window[0]}-{window[1]}" if window else f"at {row['at']}"
    return f"{observable} {what} {when}"


def _figure(row: object, checks: tuple[AnyCheck, ...], until: str, until_h: float, fail: Fail) -> Figure:
    default = tuple(dict.fromkeys(c.observable for c in checks if isinstance(c, (Check, NcaCheck))))
    if row is None:
        return Figure(default, until)
    if not isinstance(row, dict) or set(row) - {"observables", "until"}:
        raise fail("figure", "give { observables = [...], until = TIME }")
    observables = row.get("observables", list(default))
    if not (isinstance(observables, list) and observables and all(isinstance(o, str) for o in observables)):
        raise fail("figure.observables", "give a non-empty list of observable names")
    end = row.get("until", until)
    if not 0 < _time(end, "figure.until", fail) <= until_h:
        raise fail("figure.until", f"{end!r} must lie in (0, {until}]")
    return Figure(tuple(observables), str(end))


def _text(row: Mapping[str, object], key: str, fail: Fail, where: str = "") -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{where}.{key}" if where else key, f"missing or not text (got {value!r})")
    return value


def _choice(row: Mapping[str, object], key: str, options: tuple[str, ...], fail: Fail) -> str:
    value = _text(row, key, fail)
    if value not in options:
        raise fail(key, f"{value!r} is unknown; use one of {', '.join(options)}")
    return value


def _list(row: Mapping[str, object], key: str, fail: Fail, where: str = "") -> list[object]:
    value = row.get(key, [])
    if not isinstance(value, list):
        raise fail(f"{where}.{key}" if where else key, "must be a list (array of tables)")
    return value


def _time(text: object, field: str, fail: Fail, *, negative: bool = False) -> float:
    try:
        return time_h(text, field.rsplit(".", 1)[-1], negative=negative)
    except ExperimentError as exc:
        raise fail(field, str(exc)) from None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
