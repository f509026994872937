"""A point estimate with its confidence interval, as a value.

Every trial statistic (effect size, odds ratio, mean difference, median time, hazard
ratio) is reported as an :class:`Estimate`. ``NaN`` means "not estimable from these
data" (too few subjects, no variance, no events); ``inf`` means "not reached" (a
Kaplan-Meier median or an upper confidence limit above the last observed time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Estimate", "json_number"]


def json_number(value: float | int | None) -> float | None:
    """A plain Python float for JSON, with ``None`` for NaN, +-inf and missing values."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Estimate:
    """A point estimate with the two limits of its confidence interval.

    Attributes:
        estimate: the point estimate (NaN when not estimable, inf when not reached).
        ci_low: lower confidence limit (NaN when not available).
        ci_high: upper confidence limit (NaN when not available, inf when unbounded).
    """

    estimate: float
    ci_low: float
    ci_high: float

    @classmethod
    def missing(cls) -> Estimate:
        """The estimate of something that cannot be estimated from the data (all NaN)."""
        nan = float("nan")
        return cls(nan, nan, nan)

    def record(self) -> dict[str, float | None]:
        """JSON-ready ``{"estimate", "ci_low", "ci_high"}``; NaN and +-inf become ``None``.

        JSON has no NaN or infinity, so both "not estimable" and "not reached" are written
        as ``null``; keep the :class:`Estimate` itself where the difference matters.
        """
        return {
            "estimate": json_number(self.estimate),
            "ci_low": json_number(self.ci_low),
            "ci_high": json_number(self.ci_high),
        }
