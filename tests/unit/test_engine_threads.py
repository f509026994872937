"""One engine serves several threads: each simulation gets its own RoadRunner instance.

Before, the default engine cached one session per model and handed it to every caller, so two
threads simulating the same model overwrote each other's parameters, state and clock.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import antimony
import numpy as np
import pytest

import trdlab
from trdlab import Regimen
from trdlab.engines import RoadRunnerEngine, SessionPool
from trdlab.errors import SimulationError

MODEL = """
model two_compartment
  unit time_unit = 3600 second
  compartment gut = 1, central = 10
  species D in gut = 0, A in central = 0
  substanceOnly species D, A
  absorption: D -> A; ka * D
  elimination: A -> ; k * A
  ka = 1.5; k = 0.2
end
"""
TIMES = np.linspace(0.0, 48.0, 97)
REGIMEN = Regimen.from_records([dict(time=0.0, amt=100.0, cmt="D", ii=12.0, addl=3),
                                dict(time=6.0, amt=50.0, cmt="A", rate=25.0)])
CALLERS = 8


@lru_cache(maxsize=None)
def model() -> trdlab.Model:
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(MODEL) < 0:
        raise RuntimeError(antimony.getLastError())
    return trdlab.Model.from_sbml(antimony.getSBMLString("two_compartment"), dosing=("D", "A"))


def parameters(i: int) -> dict[str, float]:
    return {"k": 0.05 + 0.05 * i, "ka": 0.5 + 0.25 * i}


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads every microsecond, so that interleavings a shared session allows happen."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize("engine", [None, RoadRunnerEngine()], ids=["default engine", "own engine"])
def test_concurrent_simulations_equal_the_sequential_ones(engine: RoadRunnerEngine | None,
                                                          fast_switching: None) -> None:
    sequential = [trdlab.simulate(model(), REGIMEN, TIMES, parameters=parameters(i), engine=engine).values
                  for i in range(CALLERS)]
    start = threading.Barrier(CALLERS)

    def run(i: int) -> list[np.ndarray]:
        start.wait()
        return [trdlab.simulate(model(), REGIMEN, TIMES, parameters=parameters(i), engine=engine).values
                for _ in range(5)]

    with ThreadPoolExecutor(CALLERS) as pool:
        concurrent = list(pool.map(run, range(CALLERS)))
    for i, runs in enumerate(concurrent):
        for values in runs:
            np.testing.assert_allclose(values, sequential[i], rtol=1e-12, atol=0, err_msg=f"caller {i}")


def test_a_checked_out_session_is_not_lent_twice_and_is_reused_after() -> None:
    engine = RoadRunnerEngine()
    with engine.checkout(model(), ("D",)) as first, engine.checkout(model(), ("D",)) as second:
        assert first is not second
    with engine.checkout(model(), ("D",)) as again:
        assert again is first or again is second  # no recompilation once one is idle
    with engine.checkout(model(), ()) as other:
        assert other is not first and other is not second  # another input set: another compiled model


def test_the_pool_keeps_a_session_after_a_trdlab_error_and_drops_it_after_any_other() -> None:
    pool: SessionPool[object] = SessionPool(max_models=2)
    with pytest.raises(SimulationError):
        with pool.lend("m", object):
            raise SimulationError("CVODE failed")
    assert pool.idle("m") == 1
    with pytest.raises(KeyError):
        with pool.lend("m", object):
            raise KeyError("half-updated")
    assert pool.idle("m") == 0


def test_the_pool_forgets_the_least_recently_used_model() -> None:
    pool: SessionPool[object] = SessionPool(max_models=2)
    for key in ("a", "b", "a", "c"):
        with pool.lend(key, object):
            pass
    assert [pool.idle(key) for key in ("a", "b", "c")] == [1, 0, 1]
