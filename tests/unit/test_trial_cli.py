"""`trdlab protocols`, `trdlab trial ...` and `trdlab calibrate` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from trdlab.dosing.catalog import PROTOCOL_INFO
from trdlab.trials.design import builtin_designs


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trdlab", *args], capture_output=True, text=True, encoding="utf-8", timeout=600)


def one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode != 0 and "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_protocols_lists_every_named_protocol() -> None:
    run = cli("protocols")
    assert run.returncode == 0, run.stderr
    for name in ["ketamine_iv", "saline_iv", "midazolam_iv", "scopolamine_iv", "citalopram_oral", "placebo_oral",
                 "lithium", "valproate"]:
        assert name in PROTOCOL_INFO and name in run.stdout


def test_trial_designs_lists_the_built_in_designs() -> None:
    run = cli("trial", "designs")
    assert run.returncode == 0, run.stderr
    assert set(builtin_designs()) >= {"zarate2006", "drevets2010", "stard_level1"}
    for name in builtin_designs():
        assert name in run.stdout


def test_trial_run_writes_the_subject_table_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "z"
    run = cli("trial", "run", "zarate2006", "--n", "4", "--seed", "3", "--out", str(out))
    assert run.returncode == 0, run.stderr
    subjects = pd.read_parquet(out / "subjects.parquet")
    assert subjects.subject.nunique() == 4 and set(subjects.arm) == {"ketamine", "saline"}
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) >= {"arms", "contrasts", "relapse"}


def test_bad_trial_input_is_one_line_and_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "bad"
    assert "seed" in one_error_line(cli("trial", "run", "zarate2006", "--seed", "x1", "--out", str(out)))
    assert not out.exists()
    design = tmp_path / "design.toml"
    design.write_text('name = "x"\ndesign = "parallel"\nn = 0\nscale = "madrs"\nvisits = ["1 d"]\n'
                      'population = "mdd"\n[[arms]]\nname = "a"\nallocation = 0\nplacebo = false\nregimen = []\n')
    broken = cli("trial", "run", str(design), "--out", str(out))  # a design's problems come all at once
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    for field in ("n:", "arms[0].allocation", "arms[0].regimen"):
        assert field in broken.stderr
    assert not out.exists()
    assert "no_such_design" in one_error_line(cli("trial", "run", "no_such_design", "--out", str(out)))
