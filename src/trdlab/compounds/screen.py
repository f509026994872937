"""The standard screening battery (``library/screening.toml``) for any catalogue or user compound.

:func:`screen` doses each compound (and the battery's references: ketamine and scopolamine as
positive, memantine as negative reference) in the rat at each dose, with and without the
pretreatments (rapamycin i.c.v., NBQX i.p.) and after 21 days of chronic unpredictable stress,
and, where the compound has human PK and a human protocol, gives it at the protocol's dose to the
human model. Every (compound, dose) is one task of :func:`trdlab.parallel.run_tasks`. The result is
a tidy table (one row per compound, dose, species, readout) and a ranked summary; nothing is fitted.

Bad input is refused before anything runs: a route the compound has not got in the rat, a dose
outside the compound's stated range without ``allow``, a compound file with problems.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence, cast

import numpy as np
import pandas as pd

from trdlab.compounds.catalogue import Compound, load_compound
from trdlab.compounds.targets import sums
from trdlab.dosing import constructors
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.dosing.regimen import Regimen
from trdlab.errors import CompoundError, DoseError
from trdlab.model.library import default_root
from trdlab.model.units import parse
from trdlab.parallel import Runner, Workers, run_tasks

RAT_ROUTES = ("ip", "iv", "oral", "sc", "icv")
"""Routes tried, in order, for the rat battery (the first the compound has)."""


@lru_cache(maxsize=1)
def battery() -> dict[str, Any]:
    """The battery of ``library/screening.toml``."""
    return tomllib.loads((default_root() / "screening.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Task:
    """One compound at one rat dose (plus its human protocol, if any)."""

    compound: Compound
    role: str
    route: str
    dose: str
    salt: str | None
    compose: tuple[Compound, ...]
    """The generated compounds of the whole screen (every task builds the same model)."""


def rat_route(compound: Compound) -> str | None:
    """The route the rat battery uses for ``compound`` (None: the compound is screened in human only).

    Raises:
        DoseError: the compound has neither a rat route nor a human protocol (nothing to screen).
    """
    for route in RAT_ROUTES:
        if route in compound.routes("rat"):
            return route
    if human_protocol(compound) is None:
        raise DoseError(f"compound {compound.name!r} has no rat route ({', '.join(RAT_ROUTES)}) and no human "
                        "protocol; add routes.rat (and pk.rat for a generated compound) or a protocol in protocols.toml")
    return None


def check_dose(compound: Compound, species: str, route: str, dose: str, allow: bool) -> None:
    """Refuse a dose outside the compound's stated range (unless ``allow``)."""
    value = constructors.quantity(dose, "dose", constructors.DOSE_DIMENSIONS)
    stated = compound.dose_range(species, route)
    if stated is None or allow:
        return
    low, high = (parse(x) for x in stated)
    if value.dimensionality != low.dimensionality:
        raise DoseError(f"dose={dose!r} is not of the kind of {compound.name}'s stated {species} {route} range "
                        f"[{stated[0]}, {stated[1]}]; give it like the range")
    if not low.to(value.units).magnitude <= value.magnitude <= high.to(value.units).magnitude:
        raise DoseError(f"dose={dose!r} is outside {compound.name}'s stated {species} {route} range "
                        f"[{stated[0]}, {stated[1]}] (doses.{species}.{route} of its file); pass --allow to screen it anyway")


def plan(compounds: Sequence[str], doses: Sequence[str] = (), *, allow: bool = False,
         references: bool = True) -> list[Task]:
    """The screening tasks (refusing bad input before anything runs)."""
    spec = battery()["rat"]
    loaded = [load_compound(c) for c in compounds]
    if not loaded:
        raise CompoundError("give at least one compound (a catalogue name or a compound .toml file)")
    tasks: list[Task] = []
    for item in loaded:
        route = rat_route(item)
        if route is None:  # human only (e.g. valproate, midazolam)
            tasks.append(Task(item, "compound", "", "", None, ()))
            continue
        stated = item.dose_range("rat", route)
        chosen = list(doses) or ([_geometric_mid(stated)] if stated else [])
        if not chosen:
            raise DoseError(f"compound {item.name!r} states no rat {route} dose range; give --doses, e.g. '10 mg/kg'")
        for dose in chosen:
            check_dose(item, "rat", route, dose, allow)
            tasks.append(Task(item, "compound", route, dose, None, ()))
    if references:
        for ref in spec["references"]:
            if ref["compound"] in {t.compound.name for t in tasks}:
                continue
            tasks.append(Task(load_compound(ref["compound"]), ref["role"], ref["route"], ref["dose"], ref.get("salt"), ()))
    needed = tuple({t.compound.name: t.compound for t in tasks if t.compound.generated}.values())
    return [Task(t.compound, t.role, t.route, t.dose, t.salt, needed) for t in tasks]


def _geometric_mid(stated: tuple[str, str]) -> str:
    low, high = (parse(x) for x in stated)
    value = math.sqrt(low.magnitude * high.to(low.units).magnitude)
    return f"{float(f'{value:.2g}'):g} {stated[0].split(' ', 1)[1]}"


_MODELS: dict[tuple[str, tuple[str, ...]], Any] = {}


def _model(species: str, compounds: tuple[Compound, ...]) -> Any:
    key = (species, tuple(c.name for c in compounds))
    if key not in _MODELS:
        from trdlab.model.build import build_model
        from trdlab.model.library import SpeciesName

        _MODELS[key] = build_model(cast(SpeciesName, species), compounds=compounds)
    return _MODELS[key]


def _value(result: Any, readout: dict[str, Any], start: float) -> float:
    times = np.asarray(result.times) - start
    column = np.asarray(result.column(readout["observable"]))
    if "window" in readout:
        low, high = (float(parse(t).to("hour").magnitude) for t in readout["window"])
        inside = (times >= low - 1e-9) & (times <= high + 1e-9)
        inner = column[inside]
        return float(inner.max() if readout["stat"] == "max" else inner.min() if readout["stat"] == "min" else inner.mean())
    at = float(parse(readout["at"]).to("hour").magnitude)
    return float(np.interp(at, times, column))


def run_task(task: Task) -> list[dict[str, Any]]:
    """Every battery readout of one task (a failed simulation is a row with its error, not a crash)."""
    try:
        return (_rat(task) if task.route else []) + _human(task)
    except Exception as exc:  # noqa: BLE001 - one compound's failure is recorded, the screen goes on
        return [dict(compound=task.compound.name, role=task.role, dose=task.dose, species="rat", readout="error",
                     condition="", value=math.nan, error=f"{type(exc).__name__}: {exc}")]


def _rat(task: Task) -> list[dict[str, Any]]:
    from trdlab.simulate import simulate

    spec = battery()["rat"]
    model = _model("rat", task.compose)
    weight = spec["weight"]
    compound_regimen = constructors.bolus(task.compound, dose=task.dose, weight=weight, species="rat",
                                          route=task.route, salt=task.salt)
    pre = {p["id"]: constructors.bolus(p["drug"], dose=p["dose"], weight=weight, species="rat", route=p["route"])
           .shifted(float(parse(p["at"]).to("hour").magnitude)) for p in spec["pretreatments"]}
    stress_spec = spec["stress"]
    stress_start = float(parse(stress_spec["at"]).to("hour").magnitude)
    stress = PROTOCOLS[stress_spec["protocol"]](days=stress_spec["days"], species="rat").shifted(stress_start)
    step = float(parse(spec["step"]).to("hour").magnitude)
    until = float(parse(spec["until"]).to("hour").magnitude)
    start = min(-1.0, *(e.time for r in pre.values() for e in r.events))
    grid = np.arange(math.floor(start / step), math.floor(until / step) + 1) * step
    stress_grid = np.arange(math.floor(stress_start / step), math.floor(48.0 / step) + 1) * step

    def run(regimen: Regimen | None, times: np.ndarray) -> Any:
        """Simulate from the grid's first time (moved to 0: the engine starts at 0)."""
        return simulate(model, _shift(regimen, -times[0]), times - times[0])

    base = dict(compound=task.compound.name, role=task.role, dose=task.dose, species="rat", error="")
    rows = []
    vehicle, dosed = run(None, grid), run(compound_regimen, grid)
    for readout in spec["readouts"]:
        ratio = _value(dosed, readout, -grid[0]) / _value(vehicle, readout, -grid[0])
        rows.append({**base, "readout": readout["id"], "condition": "alone", "value": ratio})
    effect = next(r for r in spec["readouts"] if r["id"] == spec["effect"])
    for name, regimen in pre.items():
        alone = _value(run(regimen, grid), effect, -grid[0])
        both = _value(run(regimen + compound_regimen, grid), effect, -grid[0])
        rows.append({**base, "readout": spec["effect"], "condition": f"after {name}", "value": both / alone})
    when = {"at": stress_spec["when"], "observable": stress_spec["readout"]}
    cus_vehicle = _value(run(stress, stress_grid), when, -stress_grid[0])
    cus_dosed = _value(run(stress + compound_regimen, stress_grid), when, -stress_grid[0])
    healthy = _value(run(None, stress_grid), when, -stress_grid[0])
    deficit = healthy - cus_vehicle
    reversal = (cus_dosed - cus_vehicle) / deficit if abs(deficit) > 1e-12 else math.nan
    rows.append({**base, "readout": f"{stress_spec['readout']}_reversal", "condition": "after 21 d CUS",
                 "value": reversal})
    return rows


def _shift(regimen: Regimen | None, hours: float) -> Regimen:
    return Regimen(()) if regimen is None else regimen.shifted(hours)


def human_protocol(compound: Compound) -> str | None:
    """The compound's human protocol: its first ``active`` one in ``protocols.toml``, else any other
    (a background drug or an active placebo is screened at its own clinical dose), else None."""
    own = [name for name, p in PROTOCOLS.items() if p.drug == compound.name and "human" in p.species]
    active = [name for name in own if PROTOCOLS[name].role == "active"]
    chosen = active or own
    return chosen[0] if chosen else None


def _human(task: Task) -> list[dict[str, Any]]:
    from trdlab.clinical.parameters import load_clinical_parameters
    from trdlab.clinical.symptoms import dissociation
    from trdlab.simulate import simulate

    name = human_protocol(task.compound)
    if name is None or (task.compound.generated and "human" not in task.compound.spec.pk):
        return []
    spec = battery()["human"]
    model = _model("human", tuple(c for c in task.compose if "human" in c.spec.pk))
    options: dict[str, Any] = {"weight": spec["weight"]} if "weight" in PROTOCOLS[name].options else {}
    if "count" in PROTOCOLS[name].options and PROTOCOLS[name].route == "oral":
        options["count"] = 7
    regimen = PROTOCOLS[name](**options)
    step = float(parse(spec["step"]).to("hour").magnitude)
    grid = np.arange(0.0, float(parse(spec["until"]).to("hour").magnitude) + step / 2, step)
    dosed, placebo = simulate(model, regimen, grid), simulate(model, Regimen(()), grid)
    base = dict(compound=task.compound.name, role=task.role, dose=f"{PROTOCOLS[name].default_dose} ({name})",
                species="human", condition="clinical dose", error="")
    block = np.asarray(dosed.column(spec["dissociation"]))
    rows = [{**base, "readout": "cadss_peak", "value": float(np.max(dissociation(block, load_clinical_parameters())))}]
    for observable in (*spec["occupancy"], *spec.get("side_effects", ()), *sums()):
        peak = float(np.max(np.asarray(dosed.column(observable))))
        if observable.endswith("_load"):
            observable, peak = observable.replace("_load", "_occupancy"), peak / (1 + peak)
        rows.append({**base, "readout": f"peak {observable}", "value": peak})
    for when in spec["efficacy_times"]:
        hours = float(parse(when).to("hour").magnitude)
        g = sum(math.log(float(np.interp(hours, grid, np.asarray(dosed.column(o)))) /
                         float(np.interp(hours, grid, np.asarray(placebo.column(o))))) for o in spec["synaptic_efficacy"])
        rows.append({**base, "readout": f"synaptic_drive_{when.replace(' ', '')}", "value": g})
    return rows


COLUMNS = ["compound", "role", "dose", "species", "readout", "condition", "value", "low", "high", "error"]
"""Columns of the screen table (``low``/``high``: the 95 % interval of trial readouts, NaN elsewhere)."""


def screen(compounds: Sequence[str], doses: Sequence[str] = (), *, allow: bool = False, workers: Workers = 1,
           references: bool = True, trial_n: int = 0, seed: int = 2013) -> pd.DataFrame:
    """Run the battery: one row per compound, dose, species, readout and condition (tidy).

    ``trial_n`` > 0 also runs the battery's virtual trial (``[human.trial]``) for every compound with a
    human protocol, ``trial_n`` subjects, seed ``seed`` (the same virtual patients for every compound).
    """
    tasks = plan(compounds, doses, allow=allow, references=references)
    with Runner(workers) as runner:  # one set of worker processes for the battery and every trial
        rows = [row for chunk in run_tasks(run_task, tasks, runner=runner) for row in chunk]
        if trial_n > 0:
            for compound in dict.fromkeys(t.compound.name for t in tasks):
                task = next(t for t in tasks if t.compound.name == compound)
                rows += trial_rows(task, trial_n, seed, runner)
    frame = pd.DataFrame(rows)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = math.nan if column in ("low", "high") else ""
    return frame[COLUMNS]


def trial_design(compound: Compound) -> dict[str, Any] | None:
    """The battery's trial design (a design mapping) for ``compound``'s human protocol, or None."""
    name = human_protocol(compound)
    if name is None or (compound.generated and "human" not in compound.spec.pk):
        return None
    protocol = PROTOCOLS[name]
    template = battery()["human"]["trial"].get(protocol.route)
    if template is None:
        return None
    active: dict[str, Any] = {"protocol": name, "at": "0 h"}
    if "count" in template:
        active["count"] = template["count"]
    design = {key: template[key] for key in ("title", "reference", "population", "scale", "visits", "response",
                                             "remission", "inclusion")}
    design.update(name=f"screen_{compound.name}", design="parallel", n=100,
                  arms=[{"name": compound.name, "allocation": 1, "placebo": False, "regimen": [active]},
                        {"name": "control", "allocation": 1, "placebo": True, "regimen": [template["control"]]}])
    if "background" in template:
        design["background"] = template["background"]
    return design


def trial_rows(task: Task, n: int, seed: int, runner: Runner) -> list[dict[str, Any]]:
    """Response and remission at each visit and Cohen's d at the last, with 95 % intervals."""
    from trdlab.trials.design import design_from_mapping
    from trdlab.trials.run import run_trial

    mapping = trial_design(task.compound)
    if mapping is None:
        return []
    base = dict(compound=task.compound.name, role=task.role, dose=f"{human_protocol(task.compound)}",
                species="human", condition=f"trial vs {mapping['arms'][1]['regimen'][0]['protocol']} (n={n})", error="")
    try:
        result = run_trial(design_from_mapping(mapping, f"screen of {task.compound.name}"), n=n, seed=seed,
                           runner=runner)
    except Exception as exc:  # noqa: BLE001 - recorded, the screen goes on
        return [{**base, "readout": "trial", "value": math.nan, "error": f"{type(exc).__name__}: {exc}"}]
    arms = result.summary["arms"]
    rows = []
    for arm, label in ((task.compound.name, ""), ("control", "control ")):
        for visit, values in arms[arm]["visits"].items():
            for metric in ("response_rate", "remission_rate"):
                rows.append({**base, "readout": f"{label}{metric.split('_')[0]} {visit}", "value": values[metric]})
    contrast = _last_contrast(result.summary, task.compound.name)
    if contrast is not None:
        rows.append({**base, "readout": f"cohen_d {mapping['visits'][-1]}", **contrast})
    return rows


def _last_contrast(summary: dict[str, Any], arm: str) -> dict[str, float] | None:
    """Cohen's d (estimate, 95 % interval) of ``arm`` vs control at the last visit."""
    items = [c for c in summary.get("contrasts", []) if c.get("treatment") == arm]
    if not items:
        return None
    d = items[-1]["effect_size_d"]
    return {"value": d["estimate"], "low": d["ci_low"], "high": d["ci_high"]}


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (compound, dose) with the headline readouts, ranked by the 24-h FST effect."""
    rat = table[(table.species == "rat") & (table.error == "")]
    effect = battery()["rat"]["effect"]
    if rat.empty:
        wide = pd.DataFrame({"compound": table.compound.unique()})
    else:
        wide = rat.pivot_table(index=["compound", "role", "dose"], columns=["readout", "condition"], values="value")
        wide.columns = [f"{r} ({c})" if c != "alone" else r for r, c in wide.columns]
        wide = wide.reset_index().sort_values(effect)
    headline = [r for r in table.readout.unique() if r in ("cadss_peak", "peak sedation", "synaptic_drive_1d", "synaptic_drive_7d")
                or r.startswith(("response ", "remission ", "cohen_d "))]
    human = table[(table.species == "human") & table.readout.isin(headline) & (table.error == "")]
    if not human.empty:
        extra = human.pivot_table(index="compound", columns="readout", values="value").reset_index()
        wide = wide.merge(extra, on="compound", how="outer")
    return wide


def report_markdown(table: pd.DataFrame, compounds: Sequence[Compound]) -> str:
    """A self-explaining report: what each compound is, the ranked battery, what each readout means."""
    from trdlab.compounds.targets import target_slots

    slots = target_slots()
    lines = ["# Screening battery", "",
             "Ratios of the compound arm to the vehicle arm in the rat (FST immobility < 1 is antidepressant-like); "
             "`(after rapamycin)` / `(after nbqx)`: the same 24-h FST ratio with the pretreatment in both arms (near 1 "
             "= the effect needs mTORC1 / AMPA receptors); `sucrose_preference_reversal`: fraction of the 21-day CUS "
             "deficit reversed at 24 h; human: peak CADSS-like dissociation at the clinical protocol, the symptom "
             "drive g = ln(E / E_placebo) of PFC synaptic efficacy at day 1 and 7, and the battery's virtual trial "
             "(response, remission, Cohen's d with its 95 % interval). Nothing here was fitted to any outcome of the "
             "screened compounds.", "", "## Compounds", ""]
    for item in compounds:
        targets = "; ".join(f"{name}: {slots[name].mechanism}" for name in item.spec.targets) or "no target slot"
        lines.append(f"- **{item.name}** ({item.spec.title}, {item.spec.role}): {item.spec.description}. Targets: {targets}.")
    lines += ["", "## Ranked by the 24-h FST effect", "", _markdown(summary(table)), ""]
    trials = table[table.readout.str.startswith("cohen_d")]
    if not trials.empty:
        lines += ["## Virtual trials (Cohen's d at the last visit, 95 % interval)", ""]
        lines += [f"- {r.compound} ({r.condition}): d = {r.value:.2f} [{r.low:.2f}, {r.high:.2f}]" for r in trials.itertuples()]
        lines.append("")
    failed = table[table.error != ""]
    if not failed.empty:
        lines += ["## Failed", ""] + [f"- {r.compound} {r.dose}: {r.error}" for r in failed.itertuples()]
    return "\n".join(lines) + "\n"


def _markdown(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        return f"{value:.3g}" if isinstance(value, float) else str(value)

    rows = [" | ".join(map(str, frame.columns)), " | ".join("---" for _ in frame.columns)]
    rows += [" | ".join(cell(v) for v in row) for row in frame.itertuples(index=False)]
    return "\n".join(f"| {r} |" for r in rows)
