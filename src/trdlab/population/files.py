"""Populations on disk: read a cohort from CSV or Parquet, write a population as Parquet.

A file has one row per subject (row i is subject i) and a column per covariate
(:data:`~trdlab.population.covariates.COVARIATES`). Optional extra columns named after a model
parameter override the value computed from the covariates (values in model units); an optional
``subject`` column must number the rows 0..n-1. Every problem (missing columns, bad values with
their row numbers, unknown columns) is reported in one :class:`PopulationError`.

:func:`save_population` writes covariates and parameter columns plus the name and seed (Parquet
schema metadata) to a temporary file in the target folder, then renames it into place.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from trdlab.errors import OutputError, PopulationError
from trdlab.population.covariates import COVARIATES, SCHEMA, Covariate
from trdlab.population.parameters import CovariateModel, covariate_model, parameter_overrides
from trdlab.population.sampling import COVARIATE_DTYPES, Population

METADATA_KEY = b"trdlab.population"
_SHOWN_ROWS = 10
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def load_population(path: Path | str, *, model: CovariateModel | None = None) -> Population:
    """Read a population from ``.csv`` or ``.parquet``.

    Args:
        path: the file; the population is named after its metadata, else the file stem.
        model: the covariate model (default: the packaged library's).

    Raises:
        PopulationError: unreadable file, missing columns, bad values, unknown columns (all at once).
    """
    path = Path(path)
    model = model or covariate_model()
    frame, metadata = _read(path)
    problems: list[str] = []
    missing = [c for c in COVARIATES if c not in frame.columns]
    if missing:
        problems.append(f"missing covariate column(s) {', '.join(missing)}; the required columns are "
                        f"{', '.join(COVARIATES)}")
    if frame.empty:
        problems.append("the file has no subject rows; add one row per subject")
    extra = [c for c in frame.columns if c not in COVARIATES and c != "subject"]
    unknown = [c for c in extra if c not in model.parameter_ids]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}: neither a covariate nor a parameter "
                        "of the model; rename them to a model parameter id or drop them")
    if "subject" in frame.columns and not _numbered(frame["subject"]):
        problems.append("column subject must number the rows 0..n-1 in order; fix it or drop the column")
    covariates = {c.name: _column(c, frame[c.name], problems) for c in SCHEMA if c.name in frame.columns}
    overrides = {p: _numbers(p, frame[p], problems) for p in extra if p not in unknown}
    if problems:
        raise PopulationError(_listing(path, problems))
    index = pd.RangeIndex(len(frame), name="subject")
    covariate_frame = pd.DataFrame(covariates, index=index)[list(COVARIATES)].astype(COVARIATE_DTYPES)
    parameters = parameter_overrides(covariate_frame, None, model)
    for name, values in overrides.items():
        parameters[name] = values
    parameters = parameters[model.order(list(parameters.columns))]
    seed = metadata.get("seed")
    units = model.units()
    return Population(str(metadata.get("name") or path.stem), seed if isinstance(seed, int) else None,
                      covariate_frame, parameters, tuple((p, units.get(p, "")) for p in parameters.columns))


def save_population(population: Population, path: Path | str) -> Path:
    """Write ``population`` as Parquet (atomically: temporary file in the same folder, then rename).

    Returns:
        The path written.

    Raises:
        OutputError: the folder does not exist or is not writable.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"cannot write population to {str(path)!r}: folder {str(path.parent)!r} does not exist; "
                          "create it first")
    parameters = population.parameters.drop(columns=[c for c in population.parameters.columns if c in COVARIATES])
    frame = pd.concat([population.covariates, parameters], axis=1).reset_index()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}),
                METADATA_KEY: json.dumps({"name": population.name, "seed": population.seed}).encode()}
    table = table.replace_schema_metadata(metadata)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(handle)
    except OSError as exc:
        raise OutputError(f"cannot write population to {str(path)!r} ({exc.strerror or exc}); "
                          "choose a writable folder") from exc
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _read(path: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise PopulationError(f"population file {str(path)!r}: unknown format {suffix or '(none)'}; use .csv or .parquet")
    if not path.is_file():
        raise PopulationError(f"population file {str(path)!r} does not exist; give the path of a .csv or .parquet file")
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True), {}
        table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise PopulationError(f"population file {str(path)!r} cannot be read ({exc}); check its format") from None
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    metadata = json.loads(raw) if raw else {}
    return table.to_pandas(), metadata if isinstance(metadata, dict) else {}


def _numbered(column: pd.Series) -> bool:
    values = pd.to_numeric(column, errors="coerce")
    return bool(values.notna().all() and (values.to_numpy() == np.arange(len(column))).all())


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(r) for r in rows[:_SHOWN_ROWS])
    more = f" and {len(rows) - _SHOWN_ROWS} more" if len(rows) > _SHOWN_ROWS else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _numbers(name: str, column: pd.Series, problems: list[str]) -> np.ndarray:
    text = column.astype(str).str.strip() if column.dtype == object else column
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        problems.append(f"{name}: non-numeric or missing value(s) at {_rows(bad)} "
                        f"(e.g. {column.iloc[int(np.argmax(bad))]!r}); give a finite number")
    return values


def _column(spec: Covariate, column: pd.Series, problems: list[str]) -> np.ndarray:
    name = spec.name
    if spec.type == "categorical":
        values = column.astype(str).str.strip().str.lower().to_numpy(dtype=object)
        bad = ~np.isin(values, spec.categories)
        if bad.any():
            problems.append(f"{name}: unknown value(s) {sorted(set(values[bad]))} at {_rows(bad)}; "
                            f"use one of {', '.join(spec.categories)}")
        return values
    if spec.type == "boolean":
        if column.dtype == bool:
            return column.to_numpy(dtype=bool)
        text = column.astype(str).str.strip().str.lower()
        bad = ~text.isin(_TRUE | _FALSE).to_numpy()
        if bad.any():
            problems.append(f"{name}: value(s) {sorted(set(text[bad]))} at {_rows(bad)} are not true/false; "
                            "write true/false (or 1/0)")
        return text.isin(_TRUE).to_numpy()
    values = _numbers(name, column, problems)
    finite = np.isfinite(values)
    outside = finite & ~np.array([spec.contains(v) for v in np.where(finite, values, 0.0)], dtype=bool)
    if spec.type == "count":
        outside |= finite & (values != np.round(values))
    if outside.any():
        kind = "an integer in" if spec.type == "count" else "within"
        bound = f"{'(' if spec.lower_open else '['}{spec.lower:g}, {spec.upper:g}]"
        problems.append(f"{name}: value(s) {values[outside][:_SHOWN_ROWS].tolist()} at {_rows(outside)} are not "
                        f"{kind} {bound}{' ' + spec.unit if spec.unit else ''}; correct them")
    return values.astype(np.int64) if spec.type == "count" and not outside.any() and finite.all() else values


def _listing(path: Path, problems: list[str]) -> str:
    head = f"population file {str(path)!r} (rows numbered from 0, the subject index)"
    if len(problems) == 1:
        return f"{head}: {problems[0]}"
    return f"{head}: {len(problems)} problems:\n  " + "\n  ".join(problems)
