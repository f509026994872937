"""Target slots (``library/targets.toml``): where a compound's pharmacology enters the model.

A slot names the quantities a compound states for it (unit, bounds, optional default expression)
and the terms a generated compound adds to the sums the library's modules read
(``nmda_channel_load_pyramidal``, ``mglu23_load``, ...). Slots are data; the code only reads them.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from trdlab.errors import CompoundError
from trdlab.model.library import default_root

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class SlotQuantity:
    """One quantity of a slot: unit, meaning, physically possible values, default, informational."""

    name: str
    unit: str
    description: str
    bounds: tuple[float, float]
    default: str | None = None
    informational: bool = False


@dataclass(frozen=True)
class TargetSlot:
    """One target slot: quantities, the terms it adds to the modules' sums, the symbols it reads."""

    name: str
    description: str
    mechanism: str
    source: str
    quantities: dict[str, SlotQuantity]
    terms: dict[str, str]
    uses: tuple[str, ...]


def _bound(value: object) -> float:
    if value == "inf":
        return math.inf
    if not isinstance(value, (int, float)):
        raise ValueError(f"bound {value!r} is not a number or 'inf'")
    return float(value)


@lru_cache(maxsize=1)
def target_slots() -> dict[str, TargetSlot]:
    """Every slot of ``library/targets.toml``, by name."""
    path = default_root() / "targets.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    slots = {}
    try:
        for name, entry in data.items():
            quantities = {
                q: SlotQuantity(q, spec["unit"], spec["description"], (_bound(spec["bounds"][0]), _bound(spec["bounds"][1])),
                                spec.get("default"), bool(spec.get("informational", False)))
                for q, spec in entry["quantities"].items()
            }
            slots[name] = TargetSlot(name, entry["description"], entry["mechanism"], entry["source"], quantities,
                                     dict(entry["terms"]), tuple(entry.get("uses", ())))
    except (KeyError, TypeError, ValueError) as exc:
        raise CompoundError(f"library/targets.toml is malformed at [{name}] ({exc!r}); fix the slot") from exc
    return slots


def sums() -> tuple[str, ...]:
    """Every sum the slots add to (each is 0 in a model without generated compounds)."""
    return tuple(dict.fromkeys(term for slot in target_slots().values() for term in slot.terms))
