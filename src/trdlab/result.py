"""`Result`: the value a simulation returns (a time x observable table plus provenance)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from trdlab.atomic import output_folder

SpeciesAs = Literal["concentration", "amount"]


@dataclass(frozen=True)
class Result:
    """A simulated time course.

    Attributes:
        times: output times (model time unit).
        recorded: names of the time-varying columns of ``values``.
        values: array ``(time, recorded)``; species as amounts.
        constants: values of constant parameters and compartments, as (name, value) pairs.
        columns: all observable names in model order (species, compartments, parameters).
        species_compartments: (species id, compartment id) pairs, to form concentrations.
        units: (observable, unit text) pairs known from the model library.
        manifest: provenance (version, SBML sha256, parameters, regimen, engine, wall time).
    """

    times: np.ndarray = field(repr=False)
    recorded: tuple[str, ...]
    values: np.ndarray = field(repr=False)
    constants: tuple[tuple[str, float], ...]
    columns: tuple[str, ...]
    species_compartments: tuple[tuple[str, str], ...]
    units: tuple[tuple[str, str], ...] = ()
    manifest: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def column(self, name: str, *, species: SpeciesAs = "concentration") -> np.ndarray:
        """One observable over time (species as concentration unless ``species='amount'``)."""
        if name not in self.columns:
            raise KeyError(f"{name!r} is not an observable of this result; have: {', '.join(self.columns)}")
        return self._column(name, species, dict(self.constants), {n: i for i, n in enumerate(self.recorded)})

    def _column(self, name: str, species: SpeciesAs, constants: dict[str, float], index: dict[str, int]) -> np.ndarray:
        if name in index:
            data = self.values[:, index[name]]
        else:
            data = np.full(self.times.shape, constants[name])
        if species == "concentration":
            compartment = dict(self.species_compartments).get(name)
            if compartment is not None:
                size = self.values[:, index[compartment]] if compartment in index else constants[compartment]
                with np.errstate(divide="ignore", invalid="ignore"):
                    data = data / size
        return data

    def _repr_html_(self) -> str:
        """Jupyter: the size of the result and its first rows (pandas truncates the columns)."""
        frame = self.to_frame()
        head = frame.head(10).to_html(max_cols=12)
        return f"<p>trdlab Result: {len(frame)} time(s) x {len(self.columns)} observable(s)</p>{head}"

    def to_frame(self, *, species: SpeciesAs = "concentration") -> pd.DataFrame:
        """A DataFrame with a ``time`` column and one column per observable."""
        if species not in ("concentration", "amount"):
            raise ValueError(f"species={species!r}: use 'concentration' or 'amount'")
        if "time" in self.columns:
            raise ValueError(
                "the model has an observable named 'time', which clashes with the time column of "
                "to_frame(); read it with Result.column('time') and the times from Result.times"
            )
        constants = dict(self.constants)
        index = {n: i for i, n in enumerate(self.recorded)}
        data = {"time": self.times}
        for name in self.columns:
            data[name] = self._column(name, species, constants, index)
        return pd.DataFrame(data)

    def save(self, directory: str | Path, *, overwrite: bool = False, species: SpeciesAs = "concentration") -> Path:
        """Write ``result.parquet`` and ``manifest.json`` into ``directory``, atomically.

        Files are written into a temporary sibling folder that is renamed into place, so
        a failure leaves neither a partial folder nor a changed old one.
        """
        with output_folder(directory, overwrite=overwrite, what="result folder") as staging:
            self.to_frame(species=species).to_parquet(staging / "result.parquet", index=False)
            manifest = dict(self.manifest, species_as=species, units=dict(self.units))
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=_jsonable))
        return Path(directory)


def _jsonable(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)

