"""Sampling times of biomarkers and the feature-column names that carry them.

A sampling time is written as ``"baseline"`` (before the first dose), a duration after the first
dose (``"240 min"``, ``"1 d"``; negative: before it) or a night (``"night 0"``: the night before the
first dose, ``"night N"``: the N-th night after it, read at sleep onset of the library's clock).
A feature column is ``<biomarker>@<time>`` with the time written without spaces
(``plasma_bdnf@240min``, ``delta_sleep_ratio@night0``, ``plasma_mg@baseline``); a column without
``@`` is time-invariant (a trait: genotype, age). Outcome columns end in their time
(``response_1d``, ``improvement_230min``): the time-validity guard compares the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trdlab.biomarkers.definitions import BiomarkerError, Clock
from trdlab.errors import UnitError
from trdlab.model.units import parse

_NIGHT = re.compile(r"^night\s*(-?\d+)$")
_DURATION = re.compile(r"^(-?\d+(?:\.\d+)?)\s*([A-Za-z]+)$")


@dataclass(frozen=True)
class SamplingTime:
    """A parsed sampling time: its label as written, its column suffix and hours from the first dose."""

    label: str
    suffix: str
    hours: float
    night: int | None = None


def sampling_time(label: str, clock: Clock) -> SamplingTime:
    """Parse a sampling time (see the module docstring); raises :class:`BiomarkerError` with the forms."""
    text = str(label).strip()
    if text == "baseline":
        return SamplingTime(text, "baseline", 0.0)
    night = _NIGHT.match(text)
    if night:
        k = int(night.group(1))
        if k < 0:
            raise BiomarkerError(f"sampling time {label!r}: nights count from 'night 0' (the night before the first dose)")
        return SamplingTime(text, f"night{k}", clock.night_onset(k), k)
    duration = _DURATION.match(text)
    if duration:
        number, unit = duration.groups()
        try:
            hours = float(parse(f"{number} {unit}").to("hour").magnitude)
        except (UnitError, Exception) as exc:  # noqa: BLE001 - pint's dimensionality errors have several types
            raise BiomarkerError(f"sampling time {label!r}: {unit!r} is not a time unit ({exc}); "
                                 "write e.g. '240 min', '1 d'") from None
        return SamplingTime(text, f"{number}{unit}", hours)
    raise BiomarkerError(f"sampling time {label!r}: write 'baseline', a duration after the first dose "
                         "('240 min', '1 d') or a night ('night 0' before the first dose, 'night 1' after it)")


def feature_column(biomarker: str, time: SamplingTime) -> str:
    """``<biomarker>@<suffix>``."""
    return f"{biomarker}@{time.suffix}"


def column_hours(column: str, clock: Clock) -> float:
    """Hours from the first dose at which a feature column was measured (a trait column: 0)."""
    if "@" not in column:
        return 0.0
    suffix = column.rsplit("@", 1)[1]
    if suffix.startswith("night") and suffix[5:].lstrip("-").isdigit():
        return sampling_time(f"night {suffix[5:]}", clock).hours
    return sampling_time(suffix, clock).hours


def outcome_hours(outcome: str, clock: Clock) -> float:
    """Hours from the first dose of an outcome column named ``<name>_<time>`` (``response_1d``)."""
    suffix = outcome.rsplit("_", 1)[-1] if "_" in outcome else ""
    try:
        return sampling_time(suffix, clock).hours
    except BiomarkerError:
        raise BiomarkerError(f"outcome {outcome!r}: its name must end in its time after the first dose "
                             "(response_1d, improvement_230min, relapse_1d) so that features measured later "
                             "can be refused") from None
