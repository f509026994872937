"""Generated Antimony for catalogue compounds: PK, target terms and the slot sums the modules read.

For a compound with ``pk`` (no hand-written module), :func:`compound_module` writes, for one
species set: a central compartment (and a peripheral one when the file gives it), an extravascular
depot absorbed first-order with bioavailability F (the rest lost pre-systemically), linear
clearance, the observables ``<name>_plasma_ngml`` (total plasma) and ``<name>_brain_um`` (unbound
brain = unbound fraction x Kp,uu x plasma, the free-drug hypothesis, equilibrium taken as
instantaneous), and one term per target slot (``library/targets.toml``). :func:`sums_module` adds
the terms into the sums every species' modules read (0 without generated compounds, so the
library's own drugs give the same numbers bit for bit). Every value becomes a
:class:`~trdlab.model.library.ParameterRow` of table ``compounds/<name>`` with its source, so the
build converts units and annotates provenance as for the library's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from trdlab.compounds.catalogue import EXTRAVASCULAR, Compound
from trdlab.compounds.schema import PK_QUANTITIES, Value
from trdlab.compounds.targets import PLACEHOLDER, sums, target_slots
from trdlab.model.library import ParameterRow

ANTIMONY_UNITS = {"uM": "micromolar", "dimensionless": "dimensionless", "L/h": "litre_per_hour", "L": "volume",
                  "1/h": "per_hour", "g/mol": "gram_per_mole"}
"""Unit text of targets.toml / PK quantities -> the unit id declared in library/modules/units.ant."""


@dataclass(frozen=True)
class Generated:
    """What a generated compound adds to one species' model."""

    name: str
    text: str
    rows: tuple[ParameterRow, ...]
    dosing: tuple[str, ...]
    observables: tuple[tuple[str, str], ...]
    terms: tuple[tuple[str, str], ...]
    """(sum, term expression) pairs for :func:`sums_module`."""


def _row(name: str, table: str, item: Value, description: str) -> ParameterRow:
    return ParameterRow(
        name=name, table=table, value=item.value, unit=item.unit, description=description, source=item.source,
        derivation=item.derivation, assumed=item.assumed, reference_weight=item.reference_weight,
        allometric_exponent=item.allometric_exponent, cv=item.cv, distribution="lognormal" if item.cv else None,
    )


def compound_module(compound: Compound, species: str) -> Generated:
    """The PK and target terms of ``compound`` in ``species``'s model (it must have ``pk.<species>``)."""
    c = compound.name
    spec = compound.spec
    pk = spec.pk[species]
    table = f"compounds/{c}"
    routes = compound.routes(species)
    extravascular = any(r in EXTRAVASCULAR for r in routes)
    two = "peripheral_volume" in pk
    lines = [f"// ---- catalogue compound {c} (generated from {compound.origin}) ----",
             f"compartment {c}_central_volume", f"{c}_central_volume has volume",
             f"substanceOnly species {c}_central in {c}_central_volume", f"{c}_central = 0"]
    rows = [ParameterRow(f"{c}_molar_mass", table, compound.molar_mass, "g/mol", f"molar mass of {c}",
                         source=spec.source, derivation=f"{spec.molar_mass} (active moiety)")]
    lines.append(f"{c}_molar_mass has gram_per_mole")
    names = {"volume": f"{c}_central_volume", "peripheral_volume": f"{c}_peripheral_volume"}
    for pk_name, pk_value in pk.items():
        unit, description = PK_QUANTITIES[pk_name]
        symbol = names.get(pk_name, f"{c}_{pk_name}")
        rows.append(_row(symbol, table, pk_value, f"{c}: {description}"))
        if pk_name not in names:
            lines.append(f"{symbol} has {ANTIMONY_UNITS[unit]}")
    dosing = [f"{c}_central"]
    conc = f"{c}_central / {c}_central_volume"
    lines.append(f"{c}_elimination: {c}_central => ; {c}_clearance * {conc}")
    if two:
        lines += [f"compartment {c}_peripheral_volume", f"{c}_peripheral_volume has volume",
                  f"substanceOnly species {c}_peripheral in {c}_peripheral_volume", f"{c}_peripheral = 0",
                  f"{c}_distribution: {c}_central => {c}_peripheral ; {c}_intercompartmental_clearance * {conc}",
                  f"{c}_redistribution: {c}_peripheral => {c}_central ; {c}_intercompartmental_clearance * "
                  f"{c}_peripheral / {c}_peripheral_volume"]
    if extravascular:
        lines += [f"compartment {c}_depot_volume", f"{c}_depot_volume has volume",
                  f"substanceOnly species {c}_depot in {c}_depot_volume", f"{c}_depot = 0",
                  f"{c}_absorption: {c}_depot => {c}_central ; {c}_bioavailability * {c}_absorption_rate * {c}_depot",
                  f"{c}_first_pass: {c}_depot => ; (1 - {c}_bioavailability) * {c}_absorption_rate * {c}_depot"]
        rows.append(ParameterRow(f"{c}_depot_volume", table, 1.0, "L", f"nominal volume of the {c} dosing depot",
                                 assumed="nominal; only the depot amount enters the model"))
        dosing.append(f"{c}_depot")
    # smooth clamp at zero (as the library's ketamine): solver round-off leaves amounts of order -1e-30
    lines += [f"{c}_plasma_ngml := {conc} * 1000", f"{c}_plasma_ngml has ng_per_ml",
              f"{c}_brain_um := {c}_unbound_fraction * {c}_brain_partition * 0.5 * ({c}_central + "
              f"sqrt({c}_central^2 + 1e-24)) / {c}_central_volume / {c}_molar_mass * 1000",
              f"{c}_brain_um has micromolar"]
    terms: list[tuple[str, str]] = []
    slots = target_slots()
    for slot_name, quantities in spec.targets.items():
        slot = slots[slot_name]
        symbols = {"brain_um": f"{c}_brain_um"}
        for q, quantity in slot.quantities.items():
            symbol = f"{c}_{slot_name}_{q}"
            symbols[q] = symbol
            given = quantities.get(q)
            if isinstance(given, Value):
                rows.append(_row(symbol, table, given, f"{c}: {quantity.description}"))
                lines.append(f"{symbol} has {ANTIMONY_UNITS[quantity.unit]}")
        for q, quantity in slot.quantities.items():
            if q not in quantities and quantity.default is not None:
                lines.append(f"{symbols[q]} := {PLACEHOLDER.sub(lambda m: symbols[m.group(1)], quantity.default)}")
                lines.append(f"{symbols[q]} has {ANTIMONY_UNITS[quantity.unit]}")
        for total, expression in slot.terms.items():
            terms.append((total, PLACEHOLDER.sub(lambda m: symbols[m.group(1)], expression)))
    observables = ((f"{c}_plasma_ngml", "ng/mL"), (f"{c}_brain_um", "uM"))
    return Generated(c, "\n".join(lines), tuple(rows), tuple(dosing), observables, tuple(terms))


def sums_module(generated: tuple[Generated, ...]) -> str:
    """The slot sums (``0`` plus every generated compound's terms), read by the library's modules."""
    lines = ["// ---- target slot sums (library/targets.toml; 0 without generated compounds) ----"]
    for total in sums():
        parts = [f"({term})" for g in generated for name, term in g.terms if name == total]
        lines.append(f"{total} := {' + '.join(['0', *parts])}")
    return "\n".join(lines)
