"""The seed tree: no two random streams of a trial coincide, whatever the trial's size.

A trial of n subjects screens a pool of ``POOL_FACTOR`` x n subjects and draws from one stream per
population column, one per pool subject, one for the allocation and one for dropout
(:mod:`trdlab.population.streams`). Two streams are the same stream exactly when their
``SeedSequence`` inputs (entropy, spawn_key) are the same, so the tests collect those inputs and
assert they are distinct; they also check that the generators the code builds carry those inputs,
and compare first 64-bit draws.

Regression case: the old scheme keyed pool subject i by ``(i,)`` (``SeedSequence(seed).spawn``),
the trial stream by ``(10**6,)`` and a column by ``(crc32(label),)``: one key space for three
purposes. :func:`old_key` reproduces it, and each test shows the collision it guards against
(the trial stream was pool subject 10^6's once n > 250,000; a column stream is pool subject
crc32(label)'s once the pool passes that index).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trdlab.errors import PopulationError
from trdlab.population import covariate_model, generator, population_spec
from trdlab.population.sampling import column_labels
from trdlab.population.streams import Purpose, column_key, column_keys, spawn_key, stream, subject_streams
from trdlab.trials import cohort as cohort_mod
from trdlab.trials.run import POOL_FACTOR

LABELS = sorted({label for name in ("mdd", "trd_unipolar", "trd_bipolar")
                 for label in column_labels(population_spec(name), covariate_model())})
LARGE_N = 300_000  # pool 1.2 million: past subject 10^6, where the old trial stream sat
SEEDS = st.integers(min_value=0, max_value=2**63 - 1)

PURPOSES = {"subject": Purpose.SUBJECTS, "randomisation": Purpose.RANDOMISATION, "dropout": Purpose.DROPOUT}
Key = tuple[str, tuple[int, ...]]  # (purpose, spawn key)
KeyFunction = Callable[..., tuple[int, ...]]  # (purpose, index or label) -> spawn key


def new_key(purpose: str, index: int | str = 0) -> tuple[int, ...]:
    """The spawn key of a stream in the seed tree (what the code builds)."""
    if purpose == "column":
        return column_key(str(index))
    return spawn_key(PURPOSES[purpose], int(index))


def old_key(purpose: str, index: int | str = 0) -> tuple[int, ...]:
    """The spawn key of the same stream before the seed tree (regression case)."""
    if purpose == "column":
        return (zlib.crc32(str(index).encode()),)
    if purpose == "subject":
        return (int(index),)  # SeedSequence(seed).spawn(pool)[i].spawn_key
    return (10**6,)  # "trial": randomisation then dropout, one stream


NEW_TRIAL_STREAMS = ("randomisation", "dropout")
OLD_TRIAL_STREAMS = ("trial",)


def trial_keys(pool: int, key: KeyFunction, subjects: list[int] | None = None,
               trial_streams: tuple[str, ...] = NEW_TRIAL_STREAMS) -> list[Key]:
    """The stream keys of one trial (one seed): columns, pool subjects, trial-level streams.

    ``subjects`` restricts the pool subjects to those indices (default every one of ``pool``)."""
    indices = range(pool) if subjects is None else [i for i in subjects if 0 <= i < pool]
    keys = [("column", key("column", label)) for label in LABELS]
    keys += [("subject", key("subject", i)) for i in indices]
    keys += [(purpose, key(purpose)) for purpose in trial_streams]
    return keys


def coinciding(keys: list[Key]) -> set[tuple[int, ...]]:
    """Spawn keys that more than one stream of a trial uses."""
    counts = Counter(k for _, k in keys)
    return {k for k, count in counts.items() if count > 1}


def test_no_two_streams_of_a_large_trial_share_a_key() -> None:
    pool = POOL_FACTOR * LARGE_N
    keys = trial_keys(pool, new_key)
    assert len(keys) == len(LABELS) + pool + 2
    assert coinciding(keys) == set()
    # regression: the old trial stream was pool subject 10^6's
    assert coinciding(trial_keys(pool, old_key, trial_streams=OLD_TRIAL_STREAMS)) == {(10**6,)}


def test_purposes_are_distinct_first_level_branches() -> None:
    values = [int(p) for p in Purpose]
    assert len(set(values)) == len(values)
    for purpose, key in trial_keys(50, new_key):
        assert len(key) == 2, (purpose, key)
    first_words = {purpose: {key[0] for p, key in trial_keys(50, new_key) if p == purpose}
                   for purpose in ("column", "subject", "randomisation", "dropout")}
    assert all(len(words) == 1 for words in first_words.values())
    assert len(set.union(*first_words.values())) == 4


def test_the_code_builds_the_streams_of_the_tree() -> None:
    seed = 2013
    built = [("column", generator(seed, label)) for label in LABELS]
    built += [("subject", rng) for rng in cohort_mod.subject_generators(seed, 5)]
    built += [("randomisation", cohort_mod.randomisation_generator(seed)),
              ("dropout", cohort_mod.dropout_generator(seed))]
    expected = trial_keys(5, new_key)
    assert [(p, _seed_sequence(rng).spawn_key) for p, rng in built] == expected
    assert {_seed_sequence(rng).entropy for _, rng in built} == {seed}


def _seed_sequence(rng: np.random.Generator) -> np.random.SeedSequence:
    seed_seq = rng.bit_generator.seed_seq
    assert isinstance(seed_seq, np.random.SeedSequence)
    return seed_seq


def _first_draws(seed: int, keys: list[Key]) -> dict[Key, int]:
    return {k: int(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=k[1])).bit_generator.random_raw())
            for k in set(keys)}


def _dangerous_subjects(pool: int) -> list[int]:
    """Pool subjects whose old key equalled another purpose's, plus the first and the last."""
    return sorted({0, pool - 1, 10**6, *(zlib.crc32(label.encode()) for label in LABELS)})


@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=1, max_value=10**9), seed=SEEDS)
def test_streams_stay_independent_for_any_trial_size(n: int, seed: int) -> None:
    pool = POOL_FACTOR * n
    keys = trial_keys(pool, new_key, _dangerous_subjects(pool))
    assert coinciding(keys) == set()
    draws = _first_draws(seed, keys)
    assert len(set(draws.values())) == len(draws)
    # regression: the old scheme shared streams once the pool passed 10^6 or a column's crc32
    old = coinciding(trial_keys(pool, old_key, _dangerous_subjects(pool), OLD_TRIAL_STREAMS))
    crcs = {zlib.crc32(label.encode()) for label in LABELS}
    assert old == {(i,) for i in {10**6, *crcs} if i < pool}


def test_old_trial_stream_was_subject_one_million() -> None:
    seed = 7
    old_trial = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(10**6,)))
    old_subject = np.random.SeedSequence(seed, n_children_spawned=10**6).spawn(1)[0]  # = .spawn(10**6 + 1)[-1]
    assert old_subject.spawn_key == (10**6,)
    assert old_trial.random(4).tolist() == np.random.default_rng(old_subject).random(4).tolist()
    subject = stream(seed, Purpose.SUBJECTS, 10**6)
    assert subject.random(4).tolist() != cohort_mod.randomisation_generator(seed).random(4).tolist()


@settings(max_examples=20, deadline=None)
@given(seed=SEEDS, n=st.integers(min_value=1, max_value=20), extra=st.integers(min_value=1, max_value=30))
def test_subject_streams_do_not_depend_on_the_pool_size(seed: int, n: int, extra: int) -> None:
    first = [rng.bit_generator.random_raw(3).tolist() for rng in cohort_mod.subject_generators(seed, n)]
    longer = [rng.bit_generator.random_raw(3).tolist() for rng in cohort_mod.subject_generators(seed, n + extra)]
    assert longer[:n] == first
    tail = [rng.bit_generator.random_raw(3).tolist() for rng in subject_streams(seed, extra, start=n)]
    assert longer[n:] == tail


def test_two_labels_with_one_crc32_are_refused() -> None:
    assert zlib.crc32(b"plumless") == zlib.crc32(b"buckeroo")  # a known crc32 collision
    with pytest.raises(PopulationError, match="same crc32"):
        column_keys(["plumless", "buckeroo"])
    assert len(column_keys(LABELS)) == len(LABELS)


@pytest.mark.parametrize("purpose, index", [(Purpose.SUBJECTS, -1), (Purpose.SUBJECTS, 1.5), (Purpose.SUBJECTS, True),
                                            (0, 3), (99, 0)])
def test_a_bad_stream_key_is_refused(purpose: int, index: object) -> None:
    with pytest.raises(PopulationError, match="stream"):
        spawn_key(purpose, index)  # type: ignore[arg-type]


def test_symptom_noise_of_a_subject_does_not_depend_on_the_number_of_ratings() -> None:
    # follow-up visits appended to a design (C02's in-silico extension) must not redraw a
    # subject's drive, placebo and relapse noise, nor the earlier ratings' noise
    import numpy as np

    from trdlab.clinical.symptoms import draw_noise
    from trdlab.population.streams import subject_streams

    short = draw_noise(subject_streams(7, 5), 4, 10)
    long = draw_noise(subject_streams(7, 5), 9, 10)
    for name in ("drive_half", "placebo", "relapse"):
        assert np.array_equal(getattr(short, name), getattr(long, name)), name
    assert np.array_equal(short.fluctuation, long.fluctuation[:, :4])
    assert np.array_equal(short.items, long.items[:, :4, :])
    assert not np.array_equal(short.drive_half, short.placebo)  # components are distinct streams
