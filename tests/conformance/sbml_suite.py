"""Run SBML Test Suite semantic cases through trdlab's public API.

A case folder ``NNNNN`` holds ``NNNNN-settings.txt``, ``NNNNN-results.csv`` (the expected
time course) and one SBML file. :func:`run_case` simulates the model at the case's times
with :func:`trdlab.simulate` and compares every listed variable with the expected values
using the case's own tolerances: |expected - simulated| <= absolute + relative*|expected|.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import trdlab

SHARED = Path(__file__).resolve().parents[3] / "shared"
SUITE = SHARED / "conformance" / "sbml-semantic"
# Preferred SBML file per case: highest level/version first.
SBML_PREFERENCE = ("l3v2", "l3v1", "l2v5", "l2v4", "l2v3", "l2v2", "l2v1")


@dataclass(frozen=True)
class Settings:
    start: float
    duration: float
    steps: int
    variables: tuple[str, ...]
    absolute: float
    relative: float
    amount: frozenset[str]
    concentration: frozenset[str]

    @property
    def times(self) -> np.ndarray:
        return np.linspace(self.start, self.start + self.duration, self.steps + 1)


@dataclass(frozen=True)
class Case:
    id: str
    folder: Path

    @property
    def settings(self) -> Settings:
        return parse_settings(self.folder / f"{self.id}-settings.txt")

    @property
    def expected(self) -> dict[str, np.ndarray]:
        """Expected values by variable; the first column is time, whatever its header says
        (a model may have a parameter named ``time`` or ``Time``)."""
        path = self.folder / f"{self.id}-results.csv"
        header = [name.strip() for name in path.read_text().splitlines()[0].split(",")]
        table = pd.read_csv(path, header=None, skiprows=1, skipinitialspace=True, dtype=float).to_numpy()
        return {name: table[:, i] for i, name in enumerate(header) if i > 0}

    @property
    def tags(self) -> frozenset[str]:
        """The case's componentTags and testTags (its ``-model.m`` header)."""
        path = self.folder / f"{self.id}-model.m"
        found: set[str] = set()
        if path.is_file():
            for line in path.read_text(errors="replace").splitlines():
                key, _, value = line.partition(":")
                if key.strip() in ("componentTags", "testTags"):
                    found |= {t.strip() for t in value.split(",") if t.strip()}
        return frozenset(found)

    @property
    def sbml(self) -> Path:
        for tag in SBML_PREFERENCE:
            path = self.folder / f"{self.id}-sbml-{tag}.xml"
            if path.is_file():
                return path
        raise FileNotFoundError(f"case {self.id}: no SBML file in {self.folder}")


@dataclass(frozen=True)
class Outcome:
    case_id: str
    status: str  # "passed", "failed" or "unsupported"
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def discover(root: Path = SUITE) -> list[Case]:
    """Every case folder (five digits) under ``root``, sorted by id."""
    if not root.is_dir():
        raise FileNotFoundError(
            f"SBML semantic suite not found at {root}: the shared folder must sit beside the "
            "checkout (../shared/conformance/sbml-semantic)"
        )
    return [Case(p.name, p) for p in sorted(root.iterdir()) if p.is_dir() and p.name.isdigit()]


def parse_settings(path: Path) -> Settings:
    fields: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()

    def names(key: str) -> tuple[str, ...]:
        return tuple(n.strip() for n in fields.get(key, "").split(",") if n.strip())

    return Settings(
        start=float(fields["start"]),
        duration=float(fields["duration"]),
        steps=int(fields["steps"]),
        variables=names("variables"),
        absolute=float(fields["absolute"]),
        relative=float(fields["relative"]),
        amount=frozenset(names("amount")),
        concentration=frozenset(names("concentration")),
    )


def engine_settings(settings: Settings) -> trdlab.EngineSettings:
    """Solver tolerances well inside the case's own (CVODE error is per step, not global)."""
    return trdlab.EngineSettings(
        relative_tolerance=min(1e-10, settings.relative * 1e-6),
        absolute_tolerance=min(1e-14, settings.absolute * 1e-8),
        max_steps=1_000_000,
    )


def run_case(case: Case, engine_name: str = "libroadrunner") -> Outcome:
    """Simulate the case on the named engine (``trdlab.engines.ENGINES``) and compare with its results."""
    from trdlab.engines import ENGINES, make_engine

    declared = case.tags & ENGINES[engine_name].unsupported_tags
    if declared:
        return Outcome(case.id, "unsupported", f"engine {engine_name} declares {', '.join(sorted(declared))} unsupported")
    settings = case.settings
    expected = case.expected
    try:
        model = trdlab.Model.from_sbml(case.sbml)
        engine = make_engine(engine_name, engine_settings(settings))
        result = trdlab.simulate(model, None, settings.times, engine=engine)
    except trdlab.ModelError as exc:
        return Outcome(case.id, "unsupported", f"model not supported: {exc}")
    except (trdlab.TrdlabError, RuntimeError) as exc:
        return Outcome(case.id, "failed", f"simulation failed: {exc}")
    problems = []
    for name in settings.variables:
        # Result.column, not to_frame: a model symbol may be named "time" (case 01820).
        species = "concentration" if name in settings.concentration else "amount"
        try:
            got = result.column(name, species=species)
        except KeyError:
            problems.append(f"{name}: not an output of the simulation")
            continue
        problem = compare(name, settings, expected[name], got)
        if problem:
            problems.append(problem)
    if problems:
        return Outcome(case.id, "failed", "; ".join(problems))
    return Outcome(case.id, "passed")


def compare(name: str, settings: Settings, want: np.ndarray, got: np.ndarray) -> str:
    """Empty when every point is within tolerance, else where the first miss is."""
    times = settings.times
    if want.shape != got.shape:
        return f"{name}: {got.size} values, expected {want.size}"
    with np.errstate(invalid="ignore"):
        within = np.abs(want - got) <= settings.absolute + settings.relative * np.abs(want)
    same_special = (np.isnan(want) & np.isnan(got)) | (np.isinf(want) & (want == got))
    bad = np.flatnonzero(~(within | same_special))
    if bad.size == 0:
        return ""
    i = bad[0]
    return (
        f"{name} at t={times[i]:g}: simulated {got[i]:.10g}, expected {want[i]:.10g} "
        f"({bad.size} of {want.size} points outside tolerance)"
    )
