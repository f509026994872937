"""Rating scales as data (``library/scales/<name>.toml``): items, ranges, reference profile.

Each item has a range ``0..max`` and a ``typical`` score: its mean in the reference patient,
a moderately-severe depression of latent severity :data:`REFERENCE_SEVERITY`. The clinical
model's expected item score at latent severity ``s`` is ``typical * s / REFERENCE_SEVERITY``
(clipped to the item range), so every scale reads the same latent state (a MADRS of 30 and an
HDRS-17 of 20 describe the same reference patient).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from trdlab.errors import TrialError

SCALES_DIR = Path(__file__).resolve().parents[1] / "library" / "scales"
REFERENCE_SEVERITY = 0.5
"""Latent severity of the reference patient whose item means are the scales' ``typical``."""


@dataclass(frozen=True)
class Scale:
    """A depression rating scale: item names, maxima and reference item means."""

    name: str
    title: str
    items: tuple[str, ...]
    maxima: tuple[int, ...]
    typical: tuple[float, ...]
    remission: float
    suicide_item: str
    source: str
    paramcd: str = ""
    """ADaM parameter code of the total (``MADRSTOT``; the scale file's ``adam.paramcd``)."""
    item_prefix: str = ""
    """Prefix of the items' parameter codes (``MADRS`` -> ``MADRS01`` ...)."""

    @property
    def max_total(self) -> int:
        return int(sum(self.maxima))

    def expected_items(self, severity: np.ndarray) -> np.ndarray:
        """Expected item scores (..., items) at latent severity (...), before noise and clipping."""
        profile = np.asarray(self.typical) / REFERENCE_SEVERITY
        return np.asarray(severity)[..., None] * profile


def scale_names(folder: Path = SCALES_DIR) -> tuple[str, ...]:
    """Names of the packaged scales."""
    return tuple(sorted(p.stem for p in folder.glob("*.toml")))


@lru_cache(maxsize=16)
def load_scale(name: str, folder: Path = SCALES_DIR) -> Scale:
    """Read one scale; an unknown name raises :class:`TrialError` listing the known ones."""
    path = folder / f"{name}.toml"
    if not path.is_file():
        raise TrialError(f"scale: unknown scale {name!r}; use one of {', '.join(scale_names(folder))}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    items = data["items"]
    names = tuple(str(i["name"]) for i in items)
    adam = data.get("adam", {})
    if str(adam.get("paramcd", "")) in {f"{adam.get('item_prefix', '')}{k:02d}" for k in range(1, len(names) + 1)}:
        raise TrialError(f"scale {name}: adam.paramcd {adam['paramcd']!r} is also an item code; choose another")
    if data["suicide_item"] not in names:
        raise TrialError(f"scale {name}: suicide_item {data['suicide_item']!r} is not one of its items")
    return Scale(
        name=str(data["name"]),
        title=str(data["title"]),
        items=names,
        maxima=tuple(int(i["max"]) for i in items),
        typical=tuple(float(i["typical"]) for i in items),
        remission=float(data["remission"]),
        suicide_item=str(data["suicide_item"]),
        source=str(data["source"]),
        paramcd=str(data.get("adam", {}).get("paramcd", str(data["name"]).upper()[:8])),
        item_prefix=str(data.get("adam", {}).get("item_prefix", str(data["name"]).upper()[:6])),
    )
