"""The subject table a signature is learned from, checked at the boundary.

One row per subject, a ``subject`` column, feature columns (numbers; ``<biomarker>@<time>`` carry
their measurement time, see :mod:`trdlab.biomarkers.timing`) and outcome columns: a binary
``response_<time>`` / ``nonresponse_<time>`` (derived from ``response_<time>`` when absent) or, for
relapse, ``relapse_<time>_time`` (days) and ``relapse_<time>_event`` (0/1).
:func:`check` lists every problem of the table at once; nothing is fitted while any remains.

Time-validity guard: a feature measured at or after the outcome's time is refused (it would leak
the outcome); the default feature set is every ``@`` column measured within ``window_h`` (72 h) of
the first dose and before the outcome, plus the time-invariant biomarkers (genotype).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from trdlab.biomarkers.definitions import BiomarkerError, load_library
from trdlab.biomarkers.timing import column_hours, outcome_hours
from trdlab.errors import TrdlabError

WINDOW_H = 72.0
Task = Literal["classification", "survival"]


class SignatureError(TrdlabError, ValueError):
    """A signature table, outcome or setting is unusable (the message lists every problem and the fix)."""


@dataclass(frozen=True)
class Problem:
    """What is chosen to learn: the outcome, its task and the feature columns."""

    outcome: str
    task: Task
    features: tuple[str, ...]
    outcome_h: float

    @property
    def columns(self) -> tuple[str, ...]:
        """Outcome columns of the table (one for classification, time and event for survival)."""
        if self.task == "survival":
            return (f"{self.outcome}_time", f"{self.outcome}_event")
        return (self.outcome,)


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV or Parquet subject table; raises :class:`SignatureError` naming the file and the fix."""
    path = Path(path)
    if not path.is_file():
        raise SignatureError(f"--data {path}: no such file; give a .csv or .parquet subject table")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        if path.suffix.lower() in (".csv", ".txt"):
            return pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - the reader's own error, with the file named
        raise SignatureError(f"--data {path}: cannot be read ({type(exc).__name__}: {exc}); "
                             "write it as CSV with a header row or as Parquet") from None
    raise SignatureError(f"--data {path}: unknown format {path.suffix!r}; use .csv or .parquet")


def _is_outcome(column: str) -> bool:
    return column.startswith(("response_", "nonresponse_", "improvement_", "relapse_"))


def default_features(table: pd.DataFrame, outcome_h: float, window_h: float = WINDOW_H) -> tuple[str, ...]:
    """``@`` columns measured within ``window_h`` and not after the outcome, and trait biomarkers."""
    library = load_library()
    traits = {b.id for b in library.biomarkers.values() if b.sampling == "trait"}
    chosen = []
    for column in table.columns:
        if "@" in column:
            try:
                hours = column_hours(column, library.clock)
            except BiomarkerError:
                continue
            if hours <= window_h + 1e-9 and hours < outcome_h - 1e-9:
                chosen.append(column)
        elif column in traits:
            chosen.append(column)
    return tuple(chosen)


def problem(table: pd.DataFrame, outcome: str, features: Sequence[str] | None = None,
            window_h: float = WINDOW_H) -> Problem:
    """The learning problem of ``outcome`` on ``table``, or :class:`SignatureError` with every issue."""
    issues: list[str] = []
    clock = load_library().clock
    task: Task = "survival" if outcome.startswith("relapse_") else "classification"
    try:
        outcome_h = outcome_hours(outcome, clock)
    except BiomarkerError as exc:
        raise SignatureError(f"--outcome: {exc}") from None
    if "subject" not in table.columns:
        issues.append("column 'subject': missing; add one subject id per row")
    elif table["subject"].duplicated().any():
        issues.append(f"column 'subject': {int(table['subject'].duplicated().sum())} repeated id(s); one row per subject")
    if task == "classification" and outcome not in table.columns and outcome.startswith("nonresponse_") \
            and "response_" + outcome.removeprefix("nonresponse_") in table.columns:
        pass  # derived in design_matrix
    else:
        expected = (outcome,) if task == "classification" else (f"{outcome}_time", f"{outcome}_event")
        for column in expected:
            if column not in table.columns:
                known = [c for c in table.columns if _is_outcome(c)]
                issues.append(f"--outcome {outcome}: column {column!r} is missing; outcome columns here: "
                              f"{', '.join(known) or '(none)'}")
    chosen = tuple(features) if features else default_features(table, outcome_h, window_h)
    if not chosen:
        issues.append(f"--features: no feature column measured within {window_h:g} h and before {outcome} "
                      "(name them <biomarker>@<time>, or pass --features)")
    for column in chosen:
        if column not in table.columns:
            issues.append(f"--features: column {column!r} is not in the table")
            continue
        if _is_outcome(column):
            issues.append(f"--features: {column!r} is an outcome column; it cannot be a feature")
        if not pd.api.types.is_numeric_dtype(table[column]):
            issues.append(f"column {column!r}: not numeric ({table[column].dtype}); code it as numbers")
        elif table[column].notna().sum() == 0:
            issues.append(f"column {column!r}: every value is missing")
        try:
            hours = column_hours(column, clock)
        except BiomarkerError as exc:
            issues.append(f"column {column!r}: {exc}")
            continue
        if hours >= outcome_h - 1e-9:
            issues.append(f"--features: {column!r} is measured at {hours:g} h, not before the outcome {outcome} "
                          f"({outcome_h:g} h): it would leak the outcome; drop it or choose a later outcome")
    if issues:
        raise SignatureError("\n".join(issues))
    return Problem(outcome, task, chosen, outcome_h)


def design_matrix(table: pd.DataFrame, chosen: Problem, *, min_per_class: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features and outcome columns of the rows with a known outcome; checks the classes can be split."""
    frame = table.copy()
    if chosen.task == "classification" and chosen.outcome not in frame:
        frame[chosen.outcome] = 1.0 - frame["response_" + chosen.outcome.removeprefix("nonresponse_")]
    known = frame.dropna(subset=list(chosen.columns))
    issues = []
    if chosen.task == "classification":
        values = set(np.unique(known[chosen.outcome].to_numpy(float)))
        if not values <= {0.0, 1.0}:
            issues.append(f"--outcome {chosen.outcome}: values {sorted(values)[:5]} are not 0/1 (or true/false)")
        counts = known[chosen.outcome].astype(float).value_counts()
        if len(counts) < 2:
            issues.append(f"--outcome {chosen.outcome}: only one class ({counts.index.tolist()}) among "
                          f"{len(known)} subjects; a signature needs responders and non-responders")
        elif counts.min() < min_per_class:
            issues.append(f"--outcome {chosen.outcome}: the smaller class has {int(counts.min())} subjects, fewer "
                          f"than {min_per_class} (each outer training set must hold one per inner fold); add subjects or use fewer folds")
    else:
        events = int(known[chosen.columns[1]].sum())
        if events < min_per_class:
            issues.append(f"--outcome {chosen.outcome}: {events} relapse event(s), fewer than {min_per_class} "
                          "(one per fold at least); add subjects or use fewer folds")
    if issues:
        raise SignatureError("\n".join(issues))
    return known[list(chosen.features)].astype(float), known[["subject", *chosen.columns]]
