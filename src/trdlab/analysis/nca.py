"""Non-compartmental analysis of a concentration-time profile.

Cmax/tmax are read off the samples; AUC by the linear trapezoidal rule; the terminal
half-life from an ordinary least-squares fit of ln(C) on t over a chosen window
(``t_half = ln 2 / lambda_z``), as in standard NCA (Gabrielsson & Weiner).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NcaSummary:
    cmax: float
    tmax: float
    auc: float
    lambda_z: float
    half_life: float


def nca(times: np.ndarray, conc: np.ndarray, *, terminal_from: float) -> NcaSummary:
    """Cmax, tmax, AUC(0-last) and terminal half-life (fit over ``t >= terminal_from``)."""
    times = np.asarray(times, dtype=float)
    conc = np.asarray(conc, dtype=float)
    if times.shape != conc.shape or times.size < 3:
        raise ValueError("nca needs matching times and concentrations with at least 3 samples")
    peak = int(np.argmax(conc))
    window = (times >= terminal_from) & (conc > 0)
    if window.sum() < 3:
        raise ValueError(f"fewer than 3 positive samples after t={terminal_from:g} for the terminal fit")
    slope = np.polyfit(times[window], np.log(conc[window]), 1)[0]
    lambda_z = -float(slope)
    return NcaSummary(
        cmax=float(conc[peak]),
        tmax=float(times[peak]),
        auc=float(np.trapezoid(conc, times)),
        lambda_z=lambda_z,
        half_life=float(np.log(2) / lambda_z) if lambda_z > 0 else float("inf"),
    )
