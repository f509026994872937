"""The parallel runner: results never depend on the back-end (bit for bit), workers are kept for a
whole command, a worker that dies loses no task, and a real Dask LocalCluster gives the local result."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trdlab.errors import TrdlabError
from trdlab.experiments.runner import run_experiments
from trdlab.parallel import Runner, available_cores, resolve_workers, run_tasks
from trdlab.trials.run import run_trial

EXPERIMENTS = ["M01", "M07", "C09", "C02"]  # rat, mouse and human mechanism, and one virtual trial


def test_workers_auto_is_every_core_and_bad_values_name_the_fix() -> None:
    assert resolve_workers("auto") == available_cores() == len(os.sched_getaffinity(0))
    assert resolve_workers("3") == resolve_workers(3) == 3
    for bad in (0, -1, "0", "many", 1.5, True):
        with pytest.raises(TrdlabError, match="positive integer .* or 'auto'"):
            resolve_workers(bad)  # type: ignore[arg-type]


def _pid(_: int) -> int:
    return os.getpid()


def test_a_runner_keeps_its_worker_processes_for_every_map() -> None:
    with Runner(2) as runner:
        first = set(runner.map(_pid, range(8)))
        second = set(runner.map(_pid, range(8)))
    assert os.getpid() not in first and first == second and len(first) <= 2


def _die_once(task: tuple[int, str]) -> int:
    value, marker = task
    if value == 3 and not Path(marker).exists():
        Path(marker).write_text("died")
        os._exit(1)  # the worker process dies mid-task, as under the OOM killer
    return value * value


def test_a_dead_local_worker_loses_no_task(tmp_path: Path) -> None:
    marker = str(tmp_path / "died")
    results = run_tasks(_die_once, [(i, marker) for i in range(8)], workers=2)
    assert Path(marker).exists() and results == [i * i for i in range(8)]


def _always_die(_: int) -> int:
    os._exit(1)


def test_a_worker_that_dies_again_is_an_error_not_a_silent_loss() -> None:
    with pytest.raises(TrdlabError, match="worker process died twice"):
        run_tasks(_always_die, list(range(4)), workers=2)


def _same_outcomes(first: list, second: list) -> None:
    assert [o.record() for o in first] == [o.record() for o in second]
    for a, b in zip(first, second):
        assert a.results.keys() == b.results.keys()
        for arm in a.results:
            assert np.array_equal(a.results[arm].values, b.results[arm].values), (a.id, arm)


@pytest.fixture(scope="module")
def serial() -> tuple[pd.DataFrame, list]:
    trial = run_trial("zarate2006", n=12, seed=5, workers=1)
    return trial.subjects, run_experiments(EXPERIMENTS, trial_n=24, workers=1)


def test_two_local_processes_give_the_serial_tables_bit_for_bit(serial: tuple[pd.DataFrame, list]) -> None:
    subjects, outcomes = serial
    pd.testing.assert_frame_equal(run_trial("zarate2006", n=12, seed=5, workers=2).subjects, subjects, check_exact=True)
    _same_outcomes(run_experiments(EXPERIMENTS, trial_n=24, workers=2), outcomes)


def test_a_dask_local_cluster_gives_the_local_result_even_when_a_worker_is_killed(
        serial: tuple[pd.DataFrame, list]) -> None:
    distributed = pytest.importorskip("dask.distributed")
    subjects, outcomes = serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        pd.testing.assert_frame_equal(run_trial("zarate2006", n=12, seed=5, scheduler=address).subjects, subjects,
                                      check_exact=True)
        _same_outcomes(run_experiments(EXPERIMENTS, trial_n=24, scheduler=address), outcomes)
        with distributed.Client(address) as client:
            pids = list(client.run(os.getpid).values())
        killed: list[int] = []

        def kill_one(done: int, total: int) -> None:
            if not killed:  # the first chunk is back: one worker dies while the other chunks are still to run
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        result = run_trial("zarate2006", n=80, seed=5, scheduler=address, progress=kill_one)
        assert killed and (result.subjects.status == "ok").all()
        pd.testing.assert_frame_equal(result.subjects, run_trial("zarate2006", n=80, seed=5, workers=2).subjects,
                                      check_exact=True)


def test_the_signature_permutation_test_does_not_depend_on_workers() -> None:
    from trdlab.signatures.learn import CVScheme, fit_signature

    rng = np.random.default_rng(4)
    x = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = pd.Series((x.a + rng.normal(scale=1.0, size=60) > 0).astype(int))
    scheme = CVScheme(3, 1, 2, 0, 6, 1, 9)
    serial = fit_signature(x, y, pd.Series(range(60)), scheme=scheme)
    with Runner(2) as runner:
        parallel = fit_signature(x, y, pd.Series(range(60)), scheme=scheme, runner=runner)
    assert serial.permutation_p == parallel.permutation_p and serial.auc == parallel.auc
