"""One sensitivity analysis end to end: Morris on every ranged parameter, Sobol on the top ones.

Morris screening ranks all parameters cheaply (r x (k + 1) runs); Sobol indices (n x (k + 2)
runs) are then estimated for the ``top`` parameters by mu*, the others held at their nominal
values. Every run goes through the parallel runner; the same seed gives the same indices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import pandas as pd

from trdlab.atomic import output_folder
from trdlab.parallel import Runner
from trdlab.sensitivity.analysis import Evaluator, MorrisResult, SobolResult, morris, sobol
from trdlab.sensitivity.ranges import Range, problem


@dataclass(frozen=True)
class Sensitivity:
    """A finished analysis: the readout, its ranges (and exclusions), Morris and Sobol results."""

    label: str
    ranges: tuple[Range, ...]
    excluded: tuple[tuple[str, str], ...]
    morris: MorrisResult
    sobol: SobolResult | None
    sobol_names: tuple[str, ...]
    seed: int

    def ranges_table(self) -> pd.DataFrame:
        rows = [dict(name=r.name, nominal=r.nominal, low_factor=r.low, high_factor=r.high, source=r.source,
                     included=True) for r in self.ranges]
        rows += [dict(name=name, nominal=float("nan"), low_factor=float("nan"), high_factor=float("nan"),
                      source=reason, included=False) for name, reason in self.excluded]
        return pd.DataFrame(rows)


def _restricted(evaluator: Evaluator, ranges: tuple[Range, ...], keep: tuple[str, ...]) -> Evaluator:
    """The evaluator on the ``keep`` parameters only (the others at nominal: they drop out of the problem)."""
    index = {r.name: i for i, r in enumerate(ranges)}
    names = tuple(n for n in getattr(evaluator, "names") if n in keep)
    nominal = tuple(getattr(evaluator, "nominal")[index[n]] for n in names)
    restricted: Evaluator = replace(cast(Any, evaluator), names=names, nominal=nominal)
    return restricted


def analyse(evaluator: Evaluator, ranges: list[Range], *, excluded: list[tuple[str, str]] | None = None,
            method: str = "sobol", trajectories: int = 10, n: int = 128, top: int = 6, seed: int = 1,
            runner: Runner | None = None) -> Sensitivity:
    """Morris on every range; with ``method="sobol"`` also Sobol on the ``top`` parameters by mu*.

    ``evaluator`` is a readout (:mod:`trdlab.sensitivity.readouts`) built on ``ranges`` in order.
    """
    ordered = tuple(ranges)
    screening = morris(evaluator, problem(list(ordered)), trajectories=trajectories, seed=seed, runner=runner)
    found: SobolResult | None = None
    keep: tuple[str, ...] = ()
    if method == "sobol":
        keep = tuple(screening.table.name.head(top))
        chosen = [r for r in ordered if r.name in keep]
        found = sobol(_restricted(evaluator, ordered, keep), problem(chosen), n=n, seed=seed, runner=runner)
    label = str(getattr(evaluator, "label", type(evaluator).__name__))
    return Sensitivity(label, ordered, tuple(excluded or ()), screening, found, keep, seed)


def write(result: Sensitivity, out: Path, *, overwrite: bool = False, manifest: dict[str, Any] | None = None) -> Path:
    """``ranges.csv``, ``morris.csv``, ``sobol.csv``, ``manifest.json`` and the two figures, atomically."""
    from trdlab.sensitivity.figures import morris_figure, sobol_figure

    with output_folder(out, overwrite=overwrite, what="sensitivity folder") as staging:
        result.ranges_table().to_csv(staging / "ranges.csv", index=False)
        result.morris.table.to_csv(staging / "morris.csv", index=False)
        morris_figure(result, staging / "morris.png")
        if result.sobol is not None:
            result.sobol.table.to_csv(staging / "sobol.csv", index=False)
            sobol_figure(result, staging / "sobol.png")
        record = {"readout": result.label, "seed": result.seed, "morris_runs": result.morris.runs,
                  "sobol_runs": result.sobol.runs if result.sobol else 0, "sobol_n": result.sobol.n if result.sobol else 0,
                  "sobol_parameters": list(result.sobol_names), **(manifest or {})}
        (staging / "manifest.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return out
