"""The seed tree: one random stream per purpose and index, derived from the integer seed alone.

Every random number of trdlab comes from a :class:`numpy.random.Generator` built as
``default_rng(SeedSequence(seed, spawn_key=(purpose, index)))``. The first level of the tree is
the purpose, a fixed small constant of :class:`Purpose`; the second is the index inside it::

    SeedSequence(seed)
    ├── (COLUMNS=1, crc32(label))  one population column: "covariate:age", "variability:ketamine_clearance"
    ├── (SUBJECTS=2, i)            pool subject i of a trial: symptom-model draws (drive g_50, placebo,
    │                              spontaneous fluctuation, rating-item noise, relapse), i = 0, 1, ...
    ├── (RANDOMISATION=3, 0)       the trial's allocation to arms (parallel) or sequences (crossover)
    ├── (DROPOUT=4, 0)             the trial's dropout times
    └── (BIOMARKERS=5, crc32(biomarker), j, ...)  biomarker noise of included subject j: its trait
                                   factor (no further word) and each sample's factor (crc32(time))

Two streams of different purposes differ in their first spawn-key word, and two streams of one
purpose in their second, so no two streams coincide whatever the number of subjects (the old keys
``(i,)`` for subjects, ``(10**6,)`` for the trial and ``(crc32(label),)`` for columns shared one key
space: the trial stream was subject 10^6's once a pool had more than 10^6 subjects). Column labels
are told apart by their crc32; :func:`column_keys` refuses two labels with the same one.

Guarantees: the same seed gives the same streams bit for bit (for the same numpy); stream
``(SUBJECTS, i)`` does not depend on how many subjects are drawn, so the first subjects of a pool
do not depend on its size; streams are built before any simulation, so results do not depend on
the number of workers. Populations drawn with the same seed share their column streams (common
random numbers across populations).
"""

from __future__ import annotations

import numbers
import zlib
from collections.abc import Iterable
from enum import IntEnum

import numpy as np

from trdlab.errors import PopulationError


class Purpose(IntEnum):
    """First level of the seed tree (the first spawn-key word); values are fixed forever."""

    COLUMNS = 1
    SUBJECTS = 2
    RANDOMISATION = 3
    DROPOUT = 4
    BIOMARKERS = 5


_PURPOSES = frozenset(int(p) for p in Purpose)


def check_seed(seed: object) -> int:
    """The seed as an int; raises :class:`PopulationError` for a bool, a non-integer or a negative number."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise PopulationError(f"seed {seed!r} ({type(seed).__name__}) is not a non-negative integer; pass an int "
                              "such as seed=2013 (the same seed gives the same population)")
    return int(seed)


def spawn_key(purpose: Purpose, index: int = 0) -> tuple[int, int]:
    """The spawn key ``(purpose, index)`` of one stream (``index`` a non-negative int)."""
    if purpose not in _PURPOSES:
        raise PopulationError(f"stream purpose {purpose!r} is not one of {[p.name for p in Purpose]}; "
                              "pass a trdlab.population.streams.Purpose")
    if type(index) is not int and (isinstance(index, (bool, np.bool_)) or not isinstance(index, numbers.Integral)):
        raise PopulationError(f"stream index {index!r} of purpose {Purpose(purpose).name} is not an integer; "
                              "pass a subject index such as 0")
    if index < 0:
        raise PopulationError(f"stream index {index} of purpose {Purpose(purpose).name} is negative; "
                              "pass a subject index such as 0")
    return (int(purpose), int(index))


def column_key(label: str) -> tuple[int, int]:
    """The spawn key of a population column: ``(COLUMNS, crc32(label))``."""
    return spawn_key(Purpose.COLUMNS, zlib.crc32(label.encode()))


def column_keys(labels: Iterable[str]) -> dict[str, tuple[int, int]]:
    """The spawn key of each label; raises :class:`PopulationError` if two labels share a crc32."""
    keys: dict[str, tuple[int, int]] = {}
    owner: dict[tuple[int, int], str] = {}
    for label in labels:
        key = column_key(label)
        if key in owner and owner[key] != label:
            raise PopulationError(f"column labels {owner[key]!r} and {label!r} have the same crc32 and would share "
                                  "a random stream; rename one of them")
        owner[key], keys[label] = label, key
    return keys


def stream(seed: int, purpose: Purpose, index: int = 0) -> np.random.Generator:
    """The generator of one branch: ``default_rng(SeedSequence(seed, spawn_key=(purpose, index)))``."""
    return np.random.default_rng(np.random.SeedSequence(check_seed(seed), spawn_key=spawn_key(purpose, index)))


def column_stream(seed: int, label: str) -> np.random.Generator:
    """The generator of one population column (``"covariate:age"``)."""
    return np.random.default_rng(np.random.SeedSequence(check_seed(seed), spawn_key=column_key(label)))


def subject_streams(seed: int, n: int, start: int = 0) -> list[np.random.Generator]:
    """The generators of subjects ``start .. start + n - 1``; each depends on its index only."""
    return [stream(seed, Purpose.SUBJECTS, i) for i in range(int(start), int(start) + int(n))]


def biomarker_stream(seed: int, biomarker: str, subject: int, sample: str | None = None) -> np.random.Generator:
    """Noise of one biomarker of one subject: its trait factor (``sample`` None) or one sample's factor.

    Spawn key ``(BIOMARKERS, crc32(biomarker), subject[, crc32(sample) + 1])``: a reading depends on
    its biomarker, subject and sampling time only (not on which other biomarkers or times are read).
    """
    key = [int(Purpose.BIOMARKERS), zlib.crc32(biomarker.encode()), int(subject)]
    if sample is not None:
        key.append(zlib.crc32(sample.encode()) + 1)
    return np.random.default_rng(np.random.SeedSequence(check_seed(seed), spawn_key=tuple(key)))
