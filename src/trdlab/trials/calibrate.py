"""Calibration of the clinical layer as code (``trdlab calibrate``).

The population-level parameters of the symptom and placebo model (``[fit] transforms`` of
targets.toml) are fitted to the
targets of ``library/clinical/targets.toml``. The mechanism is simulated once per built-in
design (its parameters are never fitted); every evaluation re-scores the same simulated cohorts
with the same random draws (common random numbers), so the objective is a deterministic
function of the parameters and the fit is reproducible from its seed. Optimiser: Nelder-Mead
(scipy) on transformed parameters (log for positive ones, logit for fractions), restarted once
from its own optimum.

Objective: sum over targets of weight x ((model - value) / tolerance)^2 for ``kind = "value"``;
for ``at_least`` / ``at_most`` only the violation counts. A target with weight 0 is evaluated
and reported but not fitted.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import tomlkit
from scipy.optimize import minimize

from trdlab.clinical.parameters import CLINICAL_ROOT, ClinicalParameters, load_clinical_parameters
from trdlab.clinical.scales import load_scale
from trdlab.errors import CalibrationError
from trdlab.model.units import parse
from trdlab.parallel import Runner, Workers
from trdlab.population.definitions import GENOTYPE, covariate
from trdlab.trials.design import TrialDesign, load_design
from trdlab.trials.run import simulate_cohort
from trdlab.trials.scoring import Cohort, score
from trdlab.trials.statistics.effect import cohens_d

TARGETS = CLINICAL_ROOT / "targets.toml"

def fitted_transforms(path: Path = TARGETS) -> dict[str, str]:
    """The fitted parameters and the transform the optimiser works in (``[fit] transforms`` of targets.toml).

    Parameters of the clinical table that are not listed there (e.g. ``drive_hill``) are held at
    their table value; the file says why.
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    transforms = data.get("fit", {}).get("transforms", {})
    bad = {k: v for k, v in transforms.items() if v not in ("log", "logit", "identity")}
    if not transforms or bad:
        raise CalibrationError(f"{path.name}: [fit] transforms must map clinical parameters to log | logit | identity "
                               f"(got {bad or 'nothing'})")
    return dict(transforms)


@dataclass(frozen=True)
class Target:
    """One calibration target (a row of targets.toml)."""

    id: str
    design: str
    metric: str
    arm: str
    visit: str
    value: float
    tolerance: float
    kind: str = "value"
    weight: float = 1.0
    control: str | None = None
    extra_visits: tuple[str, ...] = ()
    source: str = ""
    note: str = ""
    check: str = ""
    """The experiment check (``id.check``) this target calibrates; named in the fitted rows' ``fitted_to``."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra_visits", tuple(self.extra_visits))

    @property
    def cohort_key(self) -> tuple[str, tuple[str, ...]]:
        return (self.design, self.extra_visits)


def with_extra_visits(design: TrialDesign, extra: tuple[str, ...]) -> TrialDesign:
    """The design with follow-up visits appended (in-silico follow-up beyond the published visits)."""
    if not extra:
        return design
    hours = tuple(float(parse(v).to("hour").magnitude) for v in extra)
    if min(hours) <= max(design.visit_hours):
        raise CalibrationError(f"extra visits {list(extra)} must come after the design's last visit {design.visits[-1]!r}")
    return replace(design, visits=design.visits + tuple(extra))


def load_targets(path: Path = TARGETS) -> list[Target]:
    """Read the targets table."""
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["targets"]
    missing = [row.get("id", "?") for row in rows if not row.get("check")]
    if missing:
        raise CalibrationError(f"{path.name}: targets {missing} name no experiment check; add check = \"C01.d_1d\"-style ids")
    return [Target(**row) for row in rows]


def _visit(design: TrialDesign, visit: str) -> str:
    if visit == "last":
        return design.visits[-1]
    if visit == "first":
        return design.visits[0]
    return visit


def _rows(table: pd.DataFrame, arm: str, visit: str) -> pd.DataFrame:
    return table[(table.arm == arm) & (table.visit == visit) & table.total.notna()]


SOFT_PCT = 0.02
"""Width (fraction of baseline) of the smoothed response indicator used while fitting."""
SOFT_POINTS = 0.5
"""Width (rating points) of the smoothed remission indicator used while fitting."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(x / 2.0))


def metric(table: pd.DataFrame, design: TrialDesign, target: Target, *, soft: bool = False) -> float:
    """The model's value of a target's metric in a scored subject table.

    ``soft=True`` (the fit) replaces the response and remission indicators by logistic ramps of
    width :data:`SOFT_PCT` / :data:`SOFT_POINTS` around their thresholds: counted rates are step
    functions of the parameters, on whose plateaus a simplex search stalls.
    """
    visit = _visit(design, target.visit)
    rows = _rows(table, target.arm, visit)
    if rows.empty:
        raise CalibrationError(f"target {target.id}: no rows for arm {target.arm!r} at visit {visit!r} in {design.name}")
    if target.metric == "response_rate":
        if soft:
            return float(_sigmoid((rows["pct_change"].to_numpy(float) - design.response) / SOFT_PCT).mean())
        return float(rows.response.mean())
    if target.metric == "remission_rate":
        if soft:
            return float(_sigmoid((design.remission_threshold + 0.5 - rows.total.to_numpy(float)) / SOFT_POINTS).mean())
        return float(rows.remission.mean())
    if target.metric == "pct_change":
        return float(rows["pct_change"].mean())
    if target.metric == "effect_size_d":
        control = _rows(table, str(target.control), visit)
        return cohens_d(-rows.change.to_numpy(float), -control.change.to_numpy(float)).estimate
    if target.metric == "genotype_gap":
        # the genotype covariate of covariates.toml; its first category is the homozygous reference
        if GENOTYPE is None:
            raise CalibrationError(f"target {target.id}: genotype_gap needs a genotype covariate in covariates.toml")
        column = rows[GENOTYPE.covariate]
        reference = covariate(GENOTYPE.covariate).categories[0]
        return float(rows.loc[column == reference, "pct_change"].mean() - rows.loc[column != reference, "pct_change"].mean())
    raise CalibrationError(f"target {target.id}: unknown metric {target.metric!r}")


def loss(model: float, target: Target) -> float:
    """The target's contribution to the objective (its weight times the squared scaled miss)."""
    z = (model - target.value) / target.tolerance
    if target.kind == "at_least":
        z = min(z, 0.0)
    elif target.kind == "at_most":
        z = max(z, 0.0)
    return float(target.weight * z**2)


def _encode(params: ClinicalParameters, fitted: dict[str, str]) -> np.ndarray:
    out = []
    for name, transform in fitted.items():
        value = getattr(params, name)
        out.append(np.log(value) if transform == "log" else np.log(value / (1 - value)) if transform == "logit" else value)
    return np.array(out)


def _decode(x: np.ndarray, base: ClinicalParameters, fitted: dict[str, str]) -> ClinicalParameters:
    changes = {}
    for value, (name, transform) in zip(x, fitted.items()):
        changes[name] = float(np.exp(value) if transform == "log" else 1 / (1 + np.exp(-value)) if transform == "logit" else value)
    return base.replace(**changes)


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted parameters, the objective before and after, and the fit per target."""

    parameters: ClinicalParameters
    start: ClinicalParameters
    objective_start: float
    objective: float
    fit: pd.DataFrame  # id, metric, target, tolerance, kind, model, loss
    seed: int
    n: int
    fitted_to: tuple[str, ...] = ()
    """The checks of the targets that carried weight (weight > 0): what the fitted rows were fitted to."""


Cohorts = dict[tuple[str, tuple[str, ...]], tuple[TrialDesign, Cohort]]


def simulate_designs(targets: list[Target], *, n: int, seed: int, workers: Workers = 1,
                     progress: Callable[[str], None] | None = None) -> Cohorts:
    """One simulated cohort per (design, extra follow-up visits) the targets use (one pool of workers for all)."""
    cohorts = {}
    with Runner(workers) as runner:
        for key in dict.fromkeys(t.cohort_key for t in targets):
            if progress:
                progress(key[0])
            design = with_extra_visits(load_design(key[0]), key[1])
            cohorts[key] = (design, simulate_cohort(design, n=n, seed=seed, runner=runner))
    return cohorts


def evaluate(params: ClinicalParameters, targets: list[Target], cohorts: Cohorts, *, soft: bool = False) -> pd.DataFrame:
    """Model value and loss for each target under ``params`` (``soft``: smoothed rates, see :func:`metric`)."""
    tables = {}
    for key, (design, cohort) in cohorts.items():
        scale = load_scale(design.scale)
        tables[key] = score(cohort, params, scale, response=design.response, remission=design.remission_threshold)
    rows = []
    for target in targets:
        design = cohorts[target.cohort_key][0]
        value = metric(tables[target.cohort_key], design, target, soft=soft)
        rows.append({"id": target.id, "metric": target.metric, "target": target.value, "tolerance": target.tolerance,
                     "kind": target.kind, "weight": target.weight, "model": value, "loss": loss(value, target) if np.isfinite(value) else 1e6})
    return pd.DataFrame(rows)


def calibrate(*, n: int = 300, seed: int = 20130101, workers: Workers = 1, max_evaluations: int = 800,
              targets: list[Target] | None = None, start: ClinicalParameters | None = None,
              progress: Callable[[str], None] | None = None) -> CalibrationResult:
    """Fit the parameters of :func:`fitted_transforms` to the targets; deterministic for ``seed`` and ``n``."""
    targets = targets or load_targets()
    start = start or load_clinical_parameters()
    fitted = fitted_transforms()
    cohorts = simulate_designs(targets, n=n, seed=seed, workers=workers, progress=progress)

    def objective(x: np.ndarray) -> float:
        return float(evaluate(_decode(x, start, fitted), targets, cohorts, soft=True)["loss"].sum())

    x0 = _encode(start, fitted)
    first = minimize(objective, x0, method="Nelder-Mead",
                     options={"maxfev": max_evaluations, "xatol": 1e-3, "fatol": 1e-4})
    second = minimize(objective, first.x, method="Nelder-Mead",
                      options={"maxfev": max_evaluations // 2, "xatol": 1e-3, "fatol": 1e-4})
    best = second if second.fun <= first.fun else first
    result = _decode(best.x, start, fitted)
    final = evaluate(result, targets, cohorts)
    return CalibrationResult(result, start, float(evaluate(start, targets, cohorts)["loss"].sum()),
                             float(final["loss"].sum()), final, seed, n, tuple(t.check for t in targets if t.weight > 0))


def parameters_toml(result: CalibrationResult, root: Path = CLINICAL_ROOT) -> str:
    """The clinical parameter table with the fitted rows replaced (value + calibration provenance).

    Edited with tomlkit, so comments and the other rows stay as written. Each fitted row names
    exactly the checks whose targets carried weight (``fitted_to``); weight-0 targets are not listed.
    """
    doc = tomlkit.parse((root / "parameters" / "symptoms.toml").read_text(encoding="utf-8"))
    checks = sorted(dict.fromkeys(result.fitted_to))
    experiments = ", ".join(sorted({c.split(".", 1)[0] for c in checks}))
    for name in fitted_transforms():
        row = doc[name]
        for key in ("value", "source", "derivation", "assumed", "fitted_to"):
            if key in row:
                del row[key]
        values = {"value": float(f"{getattr(result.parameters, name):.6g}"), **{k: row[k] for k in row}}
        for key in list(row):
            del row[key]
        for key, value in values.items():
            row[key] = value
        row["source"] = "zarate2013"
        row["derivation"] = (f"calibrated: trdlab calibrate --seed {result.seed} --n {result.n} (Nelder-Mead, common "
                             f"random numbers) to library/clinical/targets.toml (the targets with weight > 0: "
                             f"{experiments}); objective {result.objective:.3g}")
        row["fitted_to"] = checks
    return tomlkit.dumps(doc)