"""The schema of a compound file (``library/compounds/<name>.toml`` or a user's own file).

A compound file states what dosing and the model need to know about one compound:

- identity: ``name`` (snake_case, the id in protocols and regimens), ``title``, ``role``
  (``reference`` for the library's positive and negative references, ``candidate`` for compounds
  to screen, ``comparator``, ``tool``, ``background`` or ``supplement``), molar mass of the active
  moiety, ``salts`` (mass per mole of active moiety) and ``source``;
- ``routes``: per species set, the routes the compound can be given by. A compound whose PK is a
  hand-written module of the library (``modules``) maps each route to the model species dosed
  (``human = { iv = "ketamine_central" }``); a compound whose PK the build generates lists routes
  only (``human = ["oral", "iv"]``);
- ``doses``: the stated dose range per species set and route (``rat = { ip = ["1 mg/kg", "30 mg/kg"] }``);
  ``trdlab screen`` refuses a dose outside it without ``--allow``;
- ``pk.<species>``: generated PK (one or two compartments, first-order absorption with
  bioavailability, linear clearance, unbound fraction and Kp,uu brain partition);
- ``targets.<slot>``: target pharmacology in the slots of ``library/targets.toml``. Each quantity is
  ``{ value, unit, source + derivation | assumed }`` (a library compound may instead name the table
  row that holds it: ``{ row = "ketamine_ic50_pyramidal_nmda" }``).

Structure is checked here (pydantic); meaning (known slots and quantities, units, bounds, bib
keys, rows, routes of the species) by :func:`trdlab.compounds.catalogue.compound_problems`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from trdlab.schema import Strict

Role = Literal["reference", "candidate", "comparator", "tool", "background", "supplement", "metabolite"]
Route = Literal["iv", "ip", "oral", "sc", "icv", "water"]
SPECIES_SETS: tuple[str, ...] = ("human", "rat", "mouse")
ROUTES: tuple[str, ...] = ("iv", "ip", "oral", "sc", "icv", "water")
PK_QUANTITIES = {
    "clearance": ("L/h", "systemic (plasma) clearance"),
    "volume": ("L", "central volume of distribution"),
    "peripheral_volume": ("L", "peripheral volume of distribution (two-compartment PK)"),
    "intercompartmental_clearance": ("L/h", "clearance between central and peripheral compartments"),
    "absorption_rate": ("1/h", "first-order absorption rate of the extravascular routes"),
    "bioavailability": ("dimensionless", "fraction of an extravascular dose reaching the circulation"),
    "unbound_fraction": ("dimensionless", "fraction unbound in plasma"),
    "brain_partition": ("dimensionless", "unbound brain / unbound plasma concentration ratio (Kp,uu)"),
}
"""PK quantities of a generated compound: name -> (unit of the generated module, description)."""
PK_BOUNDS = {"bioavailability": (0.0, 1.0), "unbound_fraction": (0.0, 1.0)}
"""Bounds of the fractional PK quantities (the others must be positive)."""

Name = Annotated[str, Field(strict=True, pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(strict=True, min_length=1)]


class Value(Strict):
    """One sourced quantity: ``value`` + ``unit`` and ``source`` + ``derivation`` or ``assumed``."""

    value: Annotated[float, Field(strict=True, allow_inf_nan=False)]
    unit: Text
    source: Text | None = None
    derivation: Text | None = None
    assumed: Text | None = None
    reference_weight: Text | None = None
    allometric_exponent: Annotated[float, Field(strict=True, allow_inf_nan=False)] | None = None
    cv: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class RowRef(Strict):
    """A quantity held by a parameter-table row of the library (compounds with hand-written modules)."""

    row: Name


class CompoundFile(Strict):
    """One compound file (see the module docstring)."""

    name: Name
    title: Text
    role: Role
    description: Text
    molar_mass: Text
    source: Text
    amount_unit: Literal["mg"] = "mg"
    salts: dict[Name, Text] = {}
    modules: tuple[Name, ...] = ()
    routes: dict[Name, dict[Route, Name] | tuple[Route, ...]] = {}
    doses: dict[Name, dict[Route, tuple[Text, Text]]] = {}
    pk: dict[Name, dict[Name, Value]] = {}
    targets: dict[Name, dict[Name, Value | RowRef]] = {}
    notes: Text | None = None
