"""Morris screening and Sobol indices (SALib) of any evaluator, run through the parallel runner.

An evaluator maps a sample matrix (rows: samples, columns: the problem's variables) to one value
per row (:mod:`trdlab.sensitivity.readouts`, :mod:`trdlab.sensitivity.test_functions`). The sample
is cut into chunks, each chunk is one task of :class:`trdlab.parallel.Runner` (in order, so the
indices do not depend on the number of workers), and SALib analyses the values. A sample whose
evaluation failed (NaN) stops the analysis with the count: SALib's estimators need every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from trdlab.errors import TrdlabError
from trdlab.parallel import Runner

Evaluator = Callable[[np.ndarray], np.ndarray]
CHUNK = 64


@dataclass(frozen=True)
class MorrisResult:
    """Elementary-effect statistics per variable, ranked by ``mu_star`` (largest first)."""

    table: pd.DataFrame
    """Columns ``name, mu, mu_star, sigma, mu_star_conf``."""
    runs: int


@dataclass(frozen=True)
class SobolResult:
    """First-order and total indices with bootstrap 95 % intervals (half-widths in ``*_conf``)."""

    table: pd.DataFrame
    """Columns ``name, S1, S1_conf, ST, ST_conf``."""
    n: int
    runs: int


def _apply(task: tuple[Evaluator, np.ndarray]) -> np.ndarray:
    evaluator, rows = task
    return np.asarray(evaluator(rows), dtype=float)


def evaluate(evaluator: Evaluator, sample: np.ndarray, runner: Runner | None = None) -> np.ndarray:
    """The evaluator on every row of ``sample``, in chunks on ``runner`` (this process when None)."""
    workers = 1 if runner is None or runner.scheduler is not None else runner.workers
    chunk = max(1, min(CHUNK, -(-len(sample) // (4 * workers))))  # four chunks per worker at least
    tasks = [(evaluator, sample[i : i + chunk]) for i in range(0, len(sample), chunk)]
    values = runner.map(_apply, tasks) if runner is not None else [_apply(t) for t in tasks]
    y = np.concatenate(values) if values else np.empty(0)
    bad = int(np.count_nonzero(~np.isfinite(y)))
    if bad:
        raise TrdlabError(f"{bad} of {len(y)} sensitivity runs failed (non-finite readout); narrow the ranges "
                          "(--parameters FILE) or check the protocol")
    return y


def morris(evaluator: Evaluator, problem: dict[str, object], *, trajectories: int = 10, levels: int = 4,
           seed: int = 1, runner: Runner | None = None) -> MorrisResult:
    """Morris elementary effects on ``trajectories`` x (k + 1) runs (Campolongo's mu*)."""
    x = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    y = evaluate(evaluator, x, runner)
    found = morris_analyze.analyze(problem, x, y, num_levels=levels, seed=seed)
    table = pd.DataFrame({"name": list(found["names"]), "mu": np.asarray(found["mu"], float),
                          "mu_star": np.asarray(found["mu_star"], float), "sigma": np.asarray(found["sigma"], float),
                          "mu_star_conf": np.asarray(found["mu_star_conf"], float)})
    return MorrisResult(table.sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True), len(y))


def sobol(evaluator: Evaluator, problem: dict[str, object], *, n: int = 256, seed: int = 1,
          runner: Runner | None = None) -> SobolResult:
    """Saltelli-sampled Sobol indices: ``n`` x (k + 2) runs (``n`` a power of 2), bootstrap intervals."""
    if n < 2 or n & (n - 1):
        raise TrdlabError(f"--n {n}: the Sobol sample size must be a power of 2 (e.g. 64, 256, 1024)")
    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    y = evaluate(evaluator, x, runner)
    found = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    names = cast(list[str], problem["names"])
    table = pd.DataFrame({"name": list(names), "S1": found["S1"], "S1_conf": found["S1_conf"],
                          "ST": found["ST"], "ST_conf": found["ST_conf"]})
    return SobolResult(table, n, len(y))


def convergence(evaluator: Evaluator, problem: dict[str, object], sizes: list[int], *, seed: int = 1,
                runner: Runner | None = None) -> pd.DataFrame:
    """Sobol indices at each sample size (rows ``n, name, S1, ST, S1_conf, ST_conf``): how they settle as n grows."""
    frames = []
    for n in sizes:
        table = sobol(evaluator, problem, n=n, seed=seed, runner=runner).table.assign(n=n)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)[["n", "name", "S1", "ST", "S1_conf", "ST_conf"]]
