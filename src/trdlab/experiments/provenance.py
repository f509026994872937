"""Calibration or validation, derived from the parameter tables (never written by hand).

A parameter row that was set to reproduce a result names it in ``fitted_to``: an experiment id
(``"P09"``: every check of P09) or a check id (``"M07.csf"``: one check), or
``"external:<what>"`` for a target that is no experiment of the ledger (a stand-in model's
response, a literature anchor used only to derive the row). Then

- a check is ``calibration`` when any row is fitted to it or to its experiment, else ``validation``;
- an experiment is ``prediction`` when its file declares it so (no expectation to judge),
  ``calibration`` when any of its checks is, else ``validation``.

The rows are read from every parameter table of the model library (all species) and from the
clinical layer's table (``library/clinical/parameters``), whose fitted rows are written by
``trdlab calibrate`` with the targets that carried weight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from trdlab.model.library import default_root, load_table

EXTERNAL = "external:"


@dataclass(frozen=True)
class Fit:
    """One parameter row fitted to a target: ``table:name`` and the target id as written."""

    row: str
    target: str


def fitted_rows(root: Path | str | None = None) -> tuple[Fit, ...]:
    """Every ``(row, target)`` pair of the library's parameter tables and the clinical table."""
    base = default_root() if root is None else Path(root)
    fits: list[Fit] = []
    for folder in (base / "parameters", base / "clinical" / "parameters"):
        for path in sorted(folder.glob("*.toml")):
            rows, _ = load_table(path.stem, root=path.parent.parent)
            fits.extend(Fit(f"{path.stem}:{row.name}", target) for row in rows for target in row.fitted_to)
    return tuple(fits)


def calibration_targets(root: Path | str | None = None) -> dict[str, tuple[str, ...]]:
    """Target id -> the rows fitted to it (``external:`` targets included)."""
    targets: dict[str, list[str]] = {}
    for fit in fitted_rows(root):
        targets.setdefault(fit.target, []).append(fit.row)
    return {target: tuple(rows) for target, rows in targets.items()}


def check_kind(experiment_id: str, check_id: str, targets: Mapping[str, object]) -> Literal["calibration", "validation"]:
    """``calibration`` when a row is fitted to the check or its whole experiment, else ``validation``."""
    return "calibration" if experiment_id in targets or f"{experiment_id}.{check_id}" in targets else "validation"


def unresolved_targets(targets: Iterable[str], experiments: Mapping[str, Iterable[str]]) -> list[str]:
    """Targets (not ``external:``) naming no experiment (``id``) and no check (``id.check``).

    Args:
        targets: target ids from :func:`calibration_targets`.
        experiments: experiment id -> its check ids.
    """
    known = set(experiments) | {f"{e}.{c}" for e, checks in experiments.items() for c in checks}
    return sorted(t for t in targets if not t.startswith(EXTERNAL) and t not in known)
