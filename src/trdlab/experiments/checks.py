"""Verification checks (data in ``pk_checks.toml``) and their evaluation on simulations.

A check names a species, a protocol with options, an observable, a readout computed
from the simulated profile and a criterion against a literature value. Evaluation
returns a value: the measured number, the verdict and the evidence to plot.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from trdlab.analysis.nca import nca
from trdlab.result import Result

CHECKS = Path(__file__).with_name("pk_checks.toml")
Verdict = Literal["pass", "fail"]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    species: str
    protocol: str
    options: tuple[tuple[str, str], ...]
    until_h: float
    observable: str
    readout: Literal["cmax", "tmax", "half_life"]
    criterion: Literal["within", "between", "after"]
    unit: str
    citation: str
    note: str = ""
    expected: float | None = None
    tolerance: float | None = None
    low: float | None = None
    high: float | None = None
    reference: str | None = None
    terminal_from: float = 0.0

    @property
    def expected_text(self) -> str:
        if self.criterion == "within":
            return f"{self.expected:g} {self.unit} ± {100 * (self.tolerance or 0):g} %"
        if self.criterion == "between":
            return f"{self.low:g}-{self.high:g} {self.unit}"
        return f"later than the peak of {self.reference}"


@dataclass(frozen=True)
class Outcome:
    check: Check
    measured: float
    verdict: Verdict
    detail: str


@dataclass(frozen=True)
class FigureSpec:
    id: str
    title: str
    species: str
    protocol: str
    options: tuple[tuple[str, str], ...]
    until_h: float
    panels: tuple[tuple[str, tuple[str, ...]], ...]


def _options(row: dict[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(dict(row.get("options", {})).items()))  # type: ignore[arg-type]


@lru_cache(maxsize=2)
def load_checks(path: Path = CHECKS) -> tuple[Check, ...]:
    """The verification checks of ``pk_checks.toml``."""
    with open(path, "rb") as handle:
        rows = tomllib.load(handle).get("check", [])
    return tuple(Check(**{**row, "options": _options(row)}) for row in rows)


@lru_cache(maxsize=2)
def load_figures(path: Path = CHECKS) -> tuple[FigureSpec, ...]:
    """The PK figures of ``pk_checks.toml``."""
    with open(path, "rb") as handle:
        rows = tomllib.load(handle).get("figure", [])
    return tuple(
        FigureSpec(
            **{**row, "options": _options(row), "panels": tuple((t, tuple(names)) for t, names in row["panels"])}
        )
        for row in rows
    )


def evaluate(check: Check, result: Result) -> Outcome:
    """Compute the check's readout from ``result`` and compare it with the expectation."""
    times = result.times
    summary = nca(times, result.column(check.observable), terminal_from=max(check.terminal_from, times[1]))
    value = {"cmax": summary.cmax, "tmax": summary.tmax, "half_life": summary.half_life}[check.readout]
    if check.criterion == "within":
        assert check.expected is not None and check.tolerance is not None
        error = (value - check.expected) / check.expected
        ok = abs(error) <= check.tolerance
        detail = f"{value:.4g} {check.unit} ({100 * error:+.1f} % from {check.expected:g})"
    elif check.criterion == "between":
        assert check.low is not None and check.high is not None
        ok = check.low <= value <= check.high
        detail = f"{value:.4g} {check.unit}"
    else:
        assert check.reference is not None
        reference = float(times[int(np.argmax(result.column(check.reference)))])
        ok = value > reference
        detail = f"tmax {value:.3g} h vs {reference:.3g} h for {check.reference}"
    return Outcome(check, float(value), "pass" if ok else "fail", detail)
