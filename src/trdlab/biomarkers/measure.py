"""Readings of biomarkers from simulated subjects: the measurement models of the library applied.

For a ``model`` biomarker the noise-free reading at time ``t`` is ``typical * prod(x_o(t)^e_o)``
(the observables ``x_o`` are 1 in the healthy steady state); ``absolute`` reads the observable as
is; ``sleep`` evaluates :func:`trdlab.biomarkers.sleep.night_features` with the drive at the
night's sleep onset; ``covariate`` codes a subject covariate; ``rating`` reads a rating computed
on the simulation grid (CADSS). Observables are interpolated linearly on the simulation grid;
any time at or before the first dose reads the pre-treatment steady state (grid point 0).

Noise: reading = noise-free x trait x sample, both lognormal with mean 1 and the library's CVs;
the trait factor is fixed per subject and biomarker, the sample factor drawn per sampling time,
each from its own stream (:func:`trdlab.population.streams.biomarker_stream`), so a reading
depends on the seed, subject, biomarker and time only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trdlab.biomarkers.definitions import Biomarker, BiomarkerError, BiomarkerLibrary, load_library
from trdlab.biomarkers.sleep import night_features
from trdlab.biomarkers.timing import SamplingTime, sampling_time
from trdlab.population.distributions import lognormal_log_parameters
from trdlab.population.streams import biomarker_stream


@dataclass(frozen=True)
class Sampling:
    """A design's ``[[biomarkers]]`` line: one biomarker at some times."""

    biomarker: str
    at: tuple[str, ...] = ("baseline",)

    def to_dict(self) -> dict[str, object]:
        """As written in a design file."""
        return {"biomarker": self.biomarker, "at": list(self.at)}


def check_sampling(sampling: Sampling, library: BiomarkerLibrary | None = None) -> list[str]:
    """Problems of one sampling line (unknown biomarker, unparsable time, time of the wrong kind)."""
    library = library or load_library()
    if sampling.biomarker not in library.biomarkers:
        return [f"biomarker {sampling.biomarker!r} is unknown; known: {', '.join(library.biomarkers)}"]
    marker = library.biomarkers[sampling.biomarker]
    problems = []
    for label in sampling.at:
        try:
            time = sampling_time(label, library.clock)
        except BiomarkerError as exc:
            problems.append(str(exc))
            continue
        if marker.sampling == "night" and time.night is None:
            problems.append(f"{marker.id} is read from a night's sleep: write 'night 0' (before the first dose) "
                            f"or 'night N', not {label!r}")
        if marker.sampling != "night" and time.night is not None:
            problems.append(f"{marker.id} is not a sleep measure: sample it at 'baseline' or a time such as "
                            f"'240 min', not {label!r}")
        if marker.sampling == "trait" and time.label != "baseline":
            problems.append(f"{marker.id} does not change with time: sample it at 'baseline' only")
    return problems


def _at(series: np.ndarray, grid: np.ndarray, hours: float) -> np.ndarray:
    """Values (subject,) of a (subject, grid) array at ``hours`` (at or before 0: grid point 0)."""
    if hours <= grid[0]:
        return series[:, 0]
    if hours > grid[-1] + 1e-9:
        raise BiomarkerError(f"sampling time {hours:g} h is after the simulated grid (last {grid[-1]:g} h); "
                             "sample within the trial's visits")
    j = int(np.clip(np.searchsorted(grid, hours), 1, grid.size - 1))
    w = (hours - grid[j - 1]) / (grid[j] - grid[j - 1])
    return np.asarray((1 - w) * series[:, j - 1] + w * series[:, j])


def signal(marker: Biomarker, values: Mapping[str, np.ndarray], grid: np.ndarray, hours: float) -> np.ndarray:
    """``prod(x_o(t)^e_o)`` over the biomarker's signal (subject,)."""
    out = None
    for name, exponent in marker.signal:
        if name not in values:
            raise BiomarkerError(f"{marker.id}: observable {name!r} was not recorded; add it to the biomarkers "
                                 "of library/clinical/observables.toml")
        term = np.power(np.maximum(_at(values[name], grid, hours), 0.0), exponent)
        out = term if out is None else out * term
    assert out is not None
    return out


def expected(marker: Biomarker, values: Mapping[str, np.ndarray], grid: np.ndarray, time: SamplingTime,
             *, covariates: pd.DataFrame | None = None, ratings: Mapping[str, np.ndarray] | None = None,
             library: BiomarkerLibrary | None = None) -> np.ndarray:
    """Noise-free readings (subject,) of ``marker`` at ``time``; ``values`` are (subject, grid) arrays."""
    library = library or load_library()
    if marker.kind == "model":
        return marker.typical * signal(marker, values, grid, time.hours)
    if marker.kind == "absolute":
        return signal(marker, values, grid, time.hours)
    if marker.kind == "sleep":
        drive = signal(marker, values, grid, time.hours)
        assert marker.feature is not None
        return night_features(library.sleep, library.clock.time_in_bed_h, drive)[marker.feature]
    if marker.kind == "covariate":
        if covariates is None or marker.covariate not in covariates:
            raise BiomarkerError(f"{marker.id}: covariate {marker.covariate!r} is not in the population")
        codes = dict(marker.codes)
        column = covariates[marker.covariate].astype(str)
        unknown = sorted(set(column) - set(codes))
        if unknown:
            raise BiomarkerError(f"{marker.id}: covariate values {unknown} have no code; add them to codes")
        return column.map(codes).to_numpy(float)
    if ratings is None or marker.column is None or marker.column not in ratings:
        raise BiomarkerError(f"{marker.id}: rating {marker.column!r} is not computed for this cohort")
    return _at(ratings[marker.column], grid, time.hours)


def _lognormal(z: float, cv: float) -> float:
    """A lognormal factor with mean 1 and coefficient of variation ``cv`` from a standard normal ``z``."""
    sigma = lognormal_log_parameters(1.0, cv)[1]
    return float(np.exp(sigma * z - sigma * sigma / 2))


def noise_factors(marker: Biomarker, seed: int, subjects: Sequence[int], time: SamplingTime,
                  period: int = 1) -> np.ndarray:
    """trait x sample factors (subject,) of ``marker`` at ``time`` of ``period`` (1 where both CVs are 0).

    The trait factor is the subject's in every period; each period's samples have their own factor."""
    if marker.between_subject_cv == 0 and marker.measurement_cv == 0:
        return np.ones(len(subjects))
    out = np.empty(len(subjects))
    for k, subject in enumerate(subjects):
        trait = biomarker_stream(seed, marker.id, int(subject)).standard_normal()
        label = time.suffix if period == 1 else f"{time.suffix}@period{period}"
        sample = biomarker_stream(seed, marker.id, int(subject), label).standard_normal()
        out[k] = _lognormal(trait, marker.between_subject_cv) * _lognormal(sample, marker.measurement_cv)
    return out


def measure(samplings: Sequence[Sampling], values: Mapping[str, np.ndarray], grid: np.ndarray, *, seed: int,
            subjects: Sequence[int] | None = None, covariates: pd.DataFrame | None = None,
            ratings: Mapping[str, np.ndarray] | None = None, library: BiomarkerLibrary | None = None,
            extra: Mapping[str, Sequence[object] | np.ndarray] | None = None, period: int = 1,
            observed_until_h: np.ndarray | None = None) -> pd.DataFrame:
    """The tidy biomarker table: one row per subject x biomarker x time, noise-free and measured.

    ``values`` hold (subject, grid) arrays; ``extra`` adds constant columns per subject (arm, period);
    ``period`` (1, 2, ...) keys the sample noise; ``observed_until_h`` (subject,): readings later than
    it (a dropout) are missing (NaN).
    """
    library = library or load_library()
    n = next(iter(values.values())).shape[0]
    subjects = list(range(n)) if subjects is None else list(subjects)
    frames = []
    for sampling in samplings:
        problems = check_sampling(sampling, library)
        if problems:
            raise BiomarkerError("; ".join(problems))
        marker = library.biomarkers[sampling.biomarker]
        for label in sampling.at:
            time = sampling_time(label, library.clock)
            clean = expected(marker, values, grid, time, covariates=covariates, ratings=ratings, library=library)
            reading = clean * noise_factors(marker, seed, subjects, time, period)
            if observed_until_h is not None and marker.sampling != "trait":
                reading = np.where(time.hours <= observed_until_h, reading, np.nan)
            frame = {"subject": subjects, **dict(extra or {}), "biomarker": marker.id, "time": time.label,
                     "suffix": time.suffix, "hours": time.hours, "expected": clean, "value": reading,
                     "unit": marker.unit}
            frames.append(pd.DataFrame(frame))
    columns = ["subject", *(extra or {}), "biomarker", "time", "suffix", "hours", "expected", "value", "unit"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
