"""NCA readouts: Cmax, tmax or terminal half-life of one arm's observable vs a literature value.

``readout = "nca"`` checks read the simulated profile of ``observable`` in ``arm`` with
:func:`trdlab.analysis.nca.nca` (terminal log-linear fit from ``terminal_from``) and compare the
statistic with the literature: ``within`` (``expected`` +- relative ``tolerance``), ``between``
(``low``-``high``) or ``after`` (the measured value is tmax(observable) - tmax(``reference``) in
hours, which must be > 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, get_args

import numpy as np

from trdlab.analysis.nca import nca
from trdlab.result import Result

Statistic = Literal["cmax", "tmax", "half_life"]
Criterion = Literal["within", "between", "after"]
STATISTICS: tuple[str, ...] = get_args(Statistic)
CRITERIA: tuple[str, ...] = get_args(Criterion)


@dataclass(frozen=True)
class NcaCheck:
    """One NCA statistic of one arm against a literature value (see the module docstring)."""

    observable: str
    arm: str
    statistic: Statistic
    expect: Criterion
    unit: str
    label: str
    id: str = ""
    kind: str = "validation"
    expected: float | None = None
    tolerance: float | None = None
    low: float | None = None
    high: float | None = None
    reference: str | None = None
    terminal_from_h: float = 0.0
    note: str = ""

    @property
    def expected_text(self) -> str:
        """The expectation in words."""
        if self.expect == "within":
            return f"{self.expected:g} {self.unit} ± {100 * (self.tolerance or 0):g} %"
        if self.expect == "between":
            return f"{self.low:g}-{self.high:g} {self.unit}"
        return f"peak later than the peak of {self.reference}"


def measure(results: Mapping[str, Result], check: NcaCheck) -> float:
    """The statistic of ``check.observable`` in ``check.arm`` (for ``after``: tmax minus the reference's tmax)."""
    result = results[check.arm]
    times = result.times
    summary = nca(times, result.column(check.observable), terminal_from=max(check.terminal_from_h, float(times[1])))
    if check.expect == "after":
        assert check.reference is not None
        return float(summary.tmax - times[int(np.argmax(result.column(check.reference)))])
    return float({"cmax": summary.cmax, "tmax": summary.tmax, "half_life": summary.half_life}[check.statistic])


def passes(check: NcaCheck, value: float) -> bool:
    """Whether the measured statistic meets the literature expectation."""
    if not np.isfinite(value):
        return False
    if check.expect == "within":
        assert check.expected is not None and check.tolerance is not None
        return bool(abs(value - check.expected) <= check.tolerance * abs(check.expected))
    if check.expect == "between":
        assert check.low is not None and check.high is not None
        return bool(check.low <= value <= check.high)
    return bool(value > 0.0)
