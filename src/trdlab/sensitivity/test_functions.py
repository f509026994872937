"""Evaluators with known answers, run through the same analysis code as the model readouts.

- :class:`Ishigami` (Ishigami & Homma 1990; ``a = 7, b = 0.1`` on ``[-pi, pi]^3``): its Sobol
  indices have closed forms (:func:`ishigami_indices`).
- :class:`Linear`: ``f(x) = sum(c_i x_i)``; every elementary effect of ``x_i`` is ``c_i`` exactly,
  so Morris gives ``mu* = |c_i|`` and ``sigma = 0`` for any design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ishigami:
    """``sin x1 + a sin^2 x2 + b x3^4 sin x1``."""

    a: float = 7.0
    b: float = 0.1
    label: str = "Ishigami function"

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        x = np.asarray(rows, dtype=float)
        return np.sin(x[:, 0]) + self.a * np.sin(x[:, 1]) ** 2 + self.b * x[:, 2] ** 4 * np.sin(x[:, 0])

    @staticmethod
    def problem() -> dict[str, object]:
        return {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, tuple[float, float, float]]:
    """Analytic first-order and total Sobol indices of the Ishigami function (Sobol' & Levitan 1999)."""
    pi4, pi8 = math.pi ** 4, math.pi ** 8
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return {"S1": (v1 / total, v2 / total, 0.0), "ST": ((v1 + v13) / total, v2 / total, v13 / total)}


@dataclass(frozen=True)
class Linear:
    """``sum(c_i x_i)`` on ``[0, 1]^k``."""

    coefficients: tuple[float, ...]
    label: str = "linear function"

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(rows, dtype=float) @ np.asarray(self.coefficients, dtype=float)

    def problem(self) -> dict[str, object]:
        k = len(self.coefficients)
        return {"num_vars": k, "names": [f"x{i + 1}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
