"""Peak memory of streamed trials at N and 10 N patients: it must not grow with N.

The trial of ``benchmarks/trial_throughput.py`` (14 days, ketamine vs saline) is run with
:func:`trdlab.trials.stream.run_streamed` (chunks of 5,000 subjects on ``W`` local processes),
each size in a fresh process so that its peak resident memory is its own. Printed per size: wall
time, peak RSS of the main process and of the largest worker. The main process still holds the
screening pool's covariate table (a few hundred bytes per pool subject) and the written subject
table for the summary; the trajectories are never all in memory.

Run: ``.venv/bin/python benchmarks/trial_memory.py [N] [W]`` (default N = 10,000, W = 2; 10 N is
the 100,000-patient trial: about half an hour on 2 cores).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {bench!r})
from trial_throughput import design
from trdlab.parallel import Runner
from trdlab.trials.stream import run_streamed
n, workers, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
start = time.perf_counter()
with Runner(workers) as runner:
    run_streamed(design(n), out, n=n, seed=1, chunk=5000, runner=runner)
wall = time.perf_counter() - start
print(json.dumps({{"wall_s": wall, "main_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""


def measure(n: int, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        code = CHILD.format(bench=str(Path(__file__).resolve().parent))
        run = subprocess.run([sys.executable, "-c", code, str(n), str(workers), str(Path(folder) / "trial")],
                             capture_output=True, text=True, check=True)
        return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    figures = {size: measure(size, workers) for size in (n, 10 * n)}
    for size, f in figures.items():
        print(f"{size:>7} patients: {f['wall_s']:7.0f} s, peak RSS main {f['main_mib']:.0f} MiB, "
              f"largest worker {f['worker_mib']:.0f} MiB")
    small, large = figures[n], figures[10 * n]
    print(f"10 N / N: main {large['main_mib'] / small['main_mib']:.2f}x, worker {large['worker_mib'] / small['worker_mib']:.2f}x "
          "memory for 10x the patients")


if __name__ == "__main__":
    main()
