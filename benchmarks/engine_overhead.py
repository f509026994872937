"""Overhead of `trdlab.simulate` over a bare libRoadRunner loop on the same SBML.

Both simulate the human model 200 times (28 days, hourly output, ketamine 0.5 mg/kg IV
over 40 min, clearance and central volume varied per patient from one seeded
generator) in the same run; the script prints both times per patient and their ratio
(target: trdlab within 1.2x of bare libRoadRunner). The bare loop does the same work
trdlab must do: reset, override parameter values, infuse, stop the infusion, record the
same columns at the same times.

Run: ``make benchmark`` (or ``.venv/bin/python benchmarks/engine_overhead.py``).
"""

from __future__ import annotations

import time

import numpy as np
import roadrunner

import trdlab
from trdlab.dosing import constructors as protocols
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.engines.roadrunner import INPUT_PREFIX, with_inputs
from trdlab.model.build import build_model

N_PATIENTS = 200
REPEATS = 3
TIMES = np.arange(0.0, 28 * 24 + 0.5, 1.0)


def patients(rng: np.random.Generator) -> list[dict[str, float]]:
    cl = 79.0 * np.exp(rng.normal(0.0, 0.3, N_PATIENTS))
    v1 = 102.0 * np.exp(rng.normal(0.0, 0.3, N_PATIENTS))
    return [{"ketamine_clearance": float(a), "ketamine_central_volume": float(b)} for a, b in zip(cl, v1)]


def bare_loop(sbml: str, recorded: tuple[str, ...], target: str, rate: float, end: float,
              cohort: list[dict[str, float]]) -> list[np.ndarray]:
    rr = roadrunner.RoadRunner(sbml)
    integrator = rr.getIntegrator()
    settings = trdlab.EngineSettings()
    integrator.setValue("relative_tolerance", settings.relative_tolerance)
    integrator.setValue("absolute_tolerance", settings.absolute_tolerance)
    integrator.setValue("maximum_num_steps", settings.max_steps)
    integrator.setValue("variable_step_size", False)
    rr.timeCourseSelections = ["time", *recorded]
    after = TIMES[TIMES >= end]
    outputs = []
    for overrides in cohort:
        rr.resetAll()
        for name, value in overrides.items():
            rr.setValue(name, value)
        rr.setValue(INPUT_PREFIX + target, rate)
        first = rr.simulate(times=[0.0, end])
        rr.setValue(INPUT_PREFIX + target, 0.0)
        rest = rr.simulate(times=[end, *after[after > end]])
        outputs.append(np.vstack([np.asarray(first)[:1, 1:], np.asarray(rest)[1:, 1:]]))
    return outputs


def trdlab_loop(model: trdlab.Model, regimen: trdlab.Regimen, cohort: list[dict[str, float]]) -> list[np.ndarray]:
    return [trdlab.simulate(model, regimen, TIMES, parameters=p).values for p in cohort]


def main() -> None:
    model = build_model("human")
    regimen = PROTOCOLS["ketamine_iv"](dose="0.5 mg/kg", duration="40 min", weight="70 kg")
    event = regimen.events[0]
    rate, duration = event.infusion()
    target = model.resolve_cmt(event.cmt)
    cohort = patients(np.random.default_rng(20131))
    session = trdlab.simulate.__globals__["default_engine"]().session(model, (target,))
    sbml = with_inputs(model, (target,))
    assert 1.0 in TIMES and duration < 1.0, "the bare loop assumes the infusion ends before the first hourly output"

    bare_times, trd_times = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        bare = bare_loop(sbml, session.recorded, target, rate, duration, cohort)
        bare_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        ours = trdlab_loop(model, regimen, cohort)
        trd_times.append(time.perf_counter() - start)
    difference = max(float(np.max(np.abs(a - b) / (np.abs(a) + 1e-9))) for a, b in zip(bare, ours))
    bare_s, trd_s = min(bare_times), min(trd_times)
    print(f"patients: {N_PATIENTS} x {TIMES.size} hourly outputs (28 days), best of {REPEATS}")
    print(f"bare libRoadRunner loop: {1e3 * bare_s / N_PATIENTS:.3f} ms/patient")
    print(f"trdlab.simulate:         {1e3 * trd_s / N_PATIENTS:.3f} ms/patient")
    print(f"ratio trdlab / bare:     {trd_s / bare_s:.3f}  (target <= 1.2)")
    print(f"max relative difference between the two: {difference:.2e}")


if __name__ == "__main__":
    main()
