"""Wall time of ``trdlab reproduce`` (the main job, ``make run`` without the install) on 1 worker and on every core.

Both runs in the same process tree, one after the other, into temporary folders; the serial run
is the anchor (it is how ``make run`` ran before issue 13: one process while the other cores idled).
Printed: both wall times and the ratio (target: every core at most half the serial wall time).
``--profile small`` gives a quick figure of the same pipeline.

Run: ``.venv/bin/python benchmarks/reproduce_wall.py [--profile small|full]`` (full: about half an hour).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall(workers: str, profile: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "trdlab", "reproduce", "--profile", profile, "--workers", workers,
                        "--out", str(Path(folder) / "report")], check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    profile = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else "full"
    from trdlab.parallel import available_cores

    serial = wall("1", profile)
    every = wall("auto", profile)
    print(f"trdlab reproduce --profile {profile}")
    print(f"  1 worker       : {serial:7.0f} s")
    print(f"  {available_cores()} workers (auto): {every:7.0f} s ({every / serial:.2f} of serial, target <= 0.5)")


if __name__ == "__main__":
    main()
