"""Throughput of virtual trials: patients per second on 1 and 2 processes, against a bare loop.

A 14-day parallel trial (ketamine 0.5 mg/kg IV over 40 min vs saline, MADRS at 1, 2, 3, 7,
14 days; population ``trd_unipolar``) of ``N`` patients is run with
:func:`trdlab.trials.run.simulate_cohort` on 1 and on 2 local processes. The anchor, measured
in the same run, is a bare libRoadRunner loop over the *same* subject plans (same SBML,
overrides, run-in, doses, output times): reset, set the overrides, integrate segment by
segment, infuse. Printed: patients/s for each, the 2-process speed-up (target >= 1.7x) and
trdlab's overhead over the bare loop (target <= 1.3x); peak resident memory for N and 2N
patients (it must not grow with N beyond the result table).

Run: ``.venv/bin/python benchmarks/trial_throughput.py [N]`` (default N = 1000; takes minutes).
"""

from __future__ import annotations

import resource
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


def timed(spec, n: int, workers: int) -> float:
    start = time.perf_counter()
    run_mod.simulate_cohort(spec, n=n, seed=1, workers=workers)
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    spec = design(n)
    run_mod.simulate_cohort(spec, n=4, seed=1)  # compile once in this process
    one = timed(spec, n, 1)
    two = timed(spec, n, 2)
    bare_s = bare(run_mod.plan_cohort(spec, n=n, seed=1).plans)
    peak_n = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"trial of {n} patients, 14 days")
    print(f"  trdlab, 1 process : {n / one:7.1f} patients/s")
    print(f"  trdlab, 2 processes: {n / two:7.1f} patients/s (speed-up {one / two:.2f}x, target >= 1.7x)")
    print(f"  bare libRoadRunner: {n / bare_s:7.1f} patients/s (trdlab overhead {one / bare_s:.2f}x, target <= 1.3x)")
    timed(design(2 * n), 2 * n, 1)
    peak_2n = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS after N: {peak_n:.0f} MiB, after 2N: {peak_2n:.0f} MiB")


if __name__ == "__main__":
    main()
