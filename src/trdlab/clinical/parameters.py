"""Population-level parameters of the clinical layer (``library/clinical/parameters/symptoms.toml``).

The rows have the same form as the mechanism's parameter tables (value, unit, description,
source + derivation or assumed); values are converted to the units the symptom model uses
(time in days, everything else dimensionless).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from trdlab.errors import ModelError
from trdlab.model.library import ParameterRow, load_table
from trdlab.model.units import parse

CLINICAL_ROOT = Path(__file__).resolve().parents[1] / "library" / "clinical"
TABLE = "symptoms"


@dataclass(frozen=True)
class ClinicalParameters:
    """The symptom, placebo and measurement model's parameters (days, dimensionless)."""

    drive_half: float
    drive_hill: float
    effect_max: float
    drive_half_cv: float
    relapse_rate: float  # 1/d
    relapse_rate_cv: float
    placebo_logit_mean: float
    placebo_logit_sd: float
    placebo_failed_trial_effect: float
    placebo_onset: float  # d
    expectancy_infusion: float
    expectancy_active_placebo: float
    severity_fluctuation_sd: float
    severity_fluctuation_time: float  # d
    item_noise_sd: float
    cadss_max: float
    cadss_block_half: float

    def replace(self, **changes: float) -> ClinicalParameters:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


_UNITS = {"relapse_rate": "1/day", "placebo_onset": "day", "severity_fluctuation_time": "day"}


def clinical_rows(root: Path = CLINICAL_ROOT) -> dict[str, ParameterRow]:
    """The table's rows by name (with provenance), raising on unreadable rows."""
    rows, issues = load_table(TABLE, root)
    if issues:
        raise ModelError("clinical parameters: " + "; ".join(f"{i.location} {i.field}: {i.message}" for i in issues))
    return {row.name: row for row in rows}


def load_clinical_parameters(root: Path = CLINICAL_ROOT) -> ClinicalParameters:
    """Read the clinical parameter table into :class:`ClinicalParameters`."""
    rows = clinical_rows(root)
    names = [f.name for f in fields(ClinicalParameters)]
    missing = [n for n in names if n not in rows]
    unknown = [n for n in rows if n not in names]
    if missing or unknown:
        raise ModelError(
            f"clinical parameters ({root}/parameters/{TABLE}.toml): missing rows {missing}, unknown rows {unknown}; "
            f"the table needs exactly {', '.join(names)}"
        )
    values = {}
    for name in names:
        row = rows[name]
        quantity = parse(f"{row.value} {row.unit}")
        target = _UNITS.get(name, "dimensionless")
        try:
            values[name] = float(quantity.to(target).magnitude)
        except Exception as exc:  # pint DimensionalityError
            raise ModelError(f"clinical parameter {name}: unit {row.unit!r} is not convertible to {target}") from exc
    return ClinicalParameters(**values)
