"""The report's pharmacokinetics figures as data (``pk_figures.toml``): rendering only."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

FIGURES = Path(__file__).with_name("pk_figures.toml")


@dataclass(frozen=True)
class FigureSpec:
    """One PK figure: a protocol simulated on one species, panels of observables."""

    id: str
    title: str
    species: str
    protocol: str
    options: tuple[tuple[str, str], ...]
    until_h: float
    panels: tuple[tuple[str, tuple[str, ...]], ...]


def load_figures(path: Path = FIGURES) -> tuple[FigureSpec, ...]:
    """The PK figures of ``pk_figures.toml``."""
    with open(path, "rb") as handle:
        rows = tomllib.load(handle).get("figure", [])
    return tuple(FigureSpec(id=row["id"], title=row["title"], species=row["species"], protocol=row["protocol"],
                            options=tuple(sorted(dict(row.get("options", {})).items())), until_h=float(row["until_h"]),
                            panels=tuple((t, tuple(names)) for t, names in row["panels"])) for row in rows)
