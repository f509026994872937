"""Throughput of virtual trials: patients per second on 1 and 2 processes, against a bare loop.

A 14-day parallel trial (ketamine 0.5 mg/kg IV over 40 min vs saline, MADRS at 1, 2, 3, 7,
14 days; population ``trd_unipolar``) of ``N`` patients. Measured in the same run:

- the anchor: a bare libRoadRunner loop over the *same* subject plans (same SBML, overrides,
  run-in, doses, output times, recording the trial's observables): reset, set the overrides,
  integrate segment by segment, infuse;
- trdlab before issue 13's change of recording (every one of the human model's columns per
  patient, one ``simulate`` call each): the "today" figure;
- trdlab now, 1 process (the batched call, the trial's observables only);
- trdlab now, 2 processes: a cold pool (started for the call, as every command used to) and the
  pool of a whole command (:class:`trdlab.parallel.Runner`, started and warmed once).

Targets: 2-process speed-up >= 1.8x (pool of a command), per-patient cost <= 1.15x the bare loop.

Run: ``.venv/bin/python benchmarks/trial_throughput.py [N]`` (default N = 1000; takes minutes).
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np
import roadrunner

from trdlab.engines.base import EngineSettings
from trdlab.engines.roadrunner import INPUT_PREFIX, with_inputs
from trdlab.model.build import build_model
from trdlab.trials import run as run_mod
from trdlab.trials.design import load_design
from trdlab.trials.mechanism import OBSERVABLES


def design(n: int):
    base = load_design("zarate2006")
    visits = ("1 d", "2 d", "3 d", "7 d", "14 d")
    return replace(base, design="parallel", n=n, visits=visits, washout=None, inclusion=None)


def bare(plans_) -> float:
    model = build_model("human")
    targets = sorted({e.cmt for p in plans_ for e in p.regimen.events if e.dur > 0 or e.rate > 0})
    rr = roadrunner.RoadRunner(with_inputs(model, [model.resolve_cmt(t) for t in targets]))
    settings = EngineSettings()
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", settings.relative_tolerance)
    integrator.setValue("absolute_tolerance", settings.absolute_tolerance)
    integrator.setValue("maximum_num_steps", settings.max_steps)
    rr.timeCourseSelections = ["time", *OBSERVABLES]
    start = time.perf_counter()
    for plan in plans_:
        rr.resetAll()
        for name, value in plan.overrides:
            rr.setValue(name, value)
        times = np.asarray(plan.times)
        events = sorted((e.time, e.time + e.dur, model.resolve_cmt(e.cmt), e.amt / e.dur) for e in plan.regimen.events)
        edges = sorted({t for ev in events for t in ev[:2]} | {float(times[-1])})
        now = 0.0
        for edge in edges:
            grid = [now, *times[(times > now) & (times < edge)], edge]
            if edge > now:
                rr.simulate(times=grid)
            now = edge
            for on, off, cmt, rate in events:
                if on == edge:
                    rr.setValue(f"{INPUT_PREFIX}{cmt}", rate)
                if off == edge:
                    rr.setValue(f"{INPUT_PREFIX}{cmt}", 0.0)
    return time.perf_counter() - start


def timed(spec, n: int, workers: int = 1, runner=None) -> float:
    start = time.perf_counter()
    run_mod.simulate_cohort(spec, n=n, seed=1, workers=workers, runner=runner)
    return time.perf_counter() - start


def every_column(plans_) -> float:
    """Today's recording: one simulate per patient, every column of the model."""
    from trdlab.simulate import simulate

    model = build_model("human")
    start = time.perf_counter()
    for plan in plans_:
        result = simulate(model, plan.regimen, np.asarray(plan.times), parameters=dict(plan.overrides), reinitialize=False)
        {name: result.column(name) for name in OBSERVABLES}
    return time.perf_counter() - start


def main() -> None:
    from trdlab.parallel import Runner

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    spec = design(n)
    run_mod.simulate_cohort(spec, n=4, seed=1)  # compile once in this process
    plans = run_mod.plan_cohort(spec, n=n, seed=1).plans
    bare_s = bare(plans)
    before = every_column(plans)
    one = timed(spec, n, 1)
    cold = timed(spec, n, 2)
    with Runner(2) as runner:
        timed(spec, 8, runner=runner)  # the command's pool: started and each worker's model compiled once
        warm = timed(spec, n, runner=runner)
    print(f"trial of {n} patients, 14 days (anchor: bare libRoadRunner loop over the same plans, this run)")
    print(f"  bare libRoadRunner       : {n / bare_s:7.1f} patients/s")
    print(f"  trdlab today (176 cols)  : {n / before:7.1f} patients/s ({before / bare_s:.2f}x the bare loop)")
    print(f"  trdlab, 1 process        : {n / one:7.1f} patients/s ({one / bare_s:.2f}x the bare loop, target <= 1.15x)")
    print(f"  trdlab, 2 processes cold : {n / cold:7.1f} patients/s (speed-up {one / cold:.2f}x: pool started for the call)")
    print(f"  trdlab, 2 processes warm : {n / warm:7.1f} patients/s (speed-up {one / warm:.2f}x, target >= 1.8x: "
          "the pool of a whole command)")


if __name__ == "__main__":
    main()
