"""Units: parse table units with pint, read SBML unit definitions, convert table values.

A table value is ``value * parse(unit)``. It is converted to the unit its Antimony module
declares (``X has <unit definition>``), scaled to the species' body weight when

- the row gives ``reference_weight`` (allometric: ``* (BW / reference_weight) ** exponent``,
  exponent default 1), or
- the value is per body mass (e.g. ``L/h/kg``, ``mL/min/kg``): linear, ``* BW``.
"""

from __future__ import annotations

import libsbml
import pint

from trdlab.errors import UnitError

ureg = pint.UnitRegistry()
Quantity = ureg.Quantity

_SBML_KINDS: dict[int, str] = {
    libsbml.UNIT_KIND_SECOND: "second",
    libsbml.UNIT_KIND_GRAM: "gram",
    libsbml.UNIT_KIND_KILOGRAM: "kilogram",
    libsbml.UNIT_KIND_LITRE: "litre",
    libsbml.UNIT_KIND_LITER: "litre",
    libsbml.UNIT_KIND_METRE: "metre",
    libsbml.UNIT_KIND_METER: "metre",
    libsbml.UNIT_KIND_MOLE: "mole",
    libsbml.UNIT_KIND_DIMENSIONLESS: "dimensionless",
    libsbml.UNIT_KIND_ITEM: "count",
    libsbml.UNIT_KIND_AMPERE: "ampere",
    libsbml.UNIT_KIND_KELVIN: "kelvin",
    libsbml.UNIT_KIND_VOLT: "volt",
}


def parse(text: str) -> pint.Quantity:
    """Parse unit text (``"L/h"``, ``"mL/min/kg"``, ``"L/h/(70 kg)"``) into a pint quantity.

    Raises:
        UnitError: pint cannot parse the text.
    """
    if not text or not text.strip():
        raise UnitError('empty unit; write a pint unit such as "L/h" or "dimensionless"')
    try:
        quantity = ureg.parse_expression(text)
    except (pint.errors.PintError, AttributeError, SyntaxError, TypeError, ValueError) as exc:
        raise UnitError(f"unit {text!r} is not a unit pint knows ({exc}); use e.g. 'L/h', 'mg', '1/h'") from exc
    if not isinstance(quantity, pint.Quantity):
        quantity = Quantity(float(quantity), "dimensionless")
    return quantity


def from_sbml(definition: libsbml.UnitDefinition | None, unit_id: str) -> pint.Quantity:
    """A pint quantity equal to one SBML unit (a unit definition, or a base unit kind by name)."""
    if definition is None:
        kind = libsbml.UnitKind_forName(unit_id) if unit_id else libsbml.UNIT_KIND_INVALID
        if kind == libsbml.UNIT_KIND_INVALID or kind not in _SBML_KINDS:
            raise UnitError(f"SBML unit {unit_id!r} is neither defined nor a base unit; define it in units.ant")
        return Quantity(1.0, _SBML_KINDS[kind])
    result = Quantity(1.0, "dimensionless")
    for i in range(definition.getNumUnits()):
        unit = definition.getUnit(i)
        name = _SBML_KINDS.get(unit.getKind())
        if name is None:
            raise UnitError(f"SBML unit kind of {definition.getId()!r} is not supported; use SI base kinds")
        factor = unit.getMultiplier() * 10.0 ** unit.getScale()
        result = result * (Quantity(factor, name) ** unit.getExponent())
    return result


def convert(
    value: float,
    unit: str,
    target: pint.Quantity,
    *,
    body_weight: pint.Quantity | None = None,
    reference_weight: str | None = None,
    allometric_exponent: float | None = None,
) -> float:
    """Convert a table value to the magnitude in ``target`` units, scaling by body weight if needed.

    Raises:
        UnitError: the unit does not parse or cannot be converted to ``target``.
    """
    quantity = value * parse(unit)
    if reference_weight is not None:
        if body_weight is None:
            raise UnitError("reference_weight given but the species set names no body weight; add body_weight_row = ROW to its species.toml entry and that row to its tables")
        exponent = 1.0 if allometric_exponent is None else allometric_exponent
        ratio = (body_weight / parse(reference_weight)).to("dimensionless").magnitude
        quantity = quantity * ratio**exponent
    candidates = [quantity]
    if body_weight is not None and reference_weight is None:
        candidates.append(quantity * body_weight)
    for candidate in candidates:
        if candidate.dimensionality == target.dimensionality:
            return float((candidate / target).to("dimensionless").magnitude)
    raise UnitError(
        f"unit {unit!r} ({quantity.dimensionality}) cannot be converted to the module's unit "
        f"{target.units:~} ({target.dimensionality}), not even per kg of body weight; "
        "state the value in a compatible unit"
    )
