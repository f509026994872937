"""Parameter-table values read independently of the model build, for closed-form tests.

A test's expected value must not come from the code under test, so the tables are read here
directly (TOML + pint) and scaled to a body weight by the library's documented rule: allometric
``(BW / reference_weight) ** allometric_exponent`` when the row gives ``reference_weight``,
otherwise linear in BW when the value is per body mass.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache

from trdlab.model.library import default_root
from trdlab.model.units import parse

WEIGHT_KG = {"human": 70.0, "rat": 0.3, "mouse": 0.025}
"""The reference body weight of each species' model (kg)."""


@lru_cache(maxsize=None)
def table_rows(*tables: str) -> dict[str, dict]:  # type: ignore[type-arg]
    """The rows of ``parameters/<table>.toml`` for ``tables``, later tables overriding earlier ones."""
    rows: dict[str, dict] = {}  # type: ignore[type-arg]
    for table in tables:
        rows.update(tomllib.loads((default_root() / "parameters" / f"{table}.toml").read_text(encoding="utf-8")))
    return rows


def table_value(tables: tuple[str, ...], species: str, name: str, unit: str) -> float:
    """Row ``name`` of ``tables`` in ``unit``, scaled to ``species``' body weight."""
    row = table_rows(*tables)[name]
    quantity = row["value"] * parse(row["unit"])
    bw = WEIGHT_KG[species] * parse("kg")
    if "reference_weight" in row:
        ratio = (bw / parse(row["reference_weight"])).to("dimensionless").magnitude
        quantity = quantity * ratio ** row.get("allometric_exponent", 1.0)
    elif not quantity.is_compatible_with(unit):
        quantity = quantity * bw  # per-kg value
    return float(quantity.to(unit).magnitude)
