"""Streamed trials: the chunked run gives the in-memory trial, and an interrupted run resumes to the same result."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from trdlab.errors import OutputError, TrialError
from trdlab.trials.output import _clean
from trdlab.trials.run import run_trial
from trdlab.trials.stream import run_streamed, staging_folder

N, SEED, CHUNK = 30, 2, 7


class Interrupted(Exception):
    pass


def _subjects(folder: Path) -> pd.DataFrame:
    table = pd.read_parquet(folder / "subjects")
    return table.sort_values(["subject", "period", "day"], kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_streamed("zarate2006", tmp_path_factory.mktemp("stream") / "trial", n=N, seed=SEED, chunk=CHUNK)


def test_the_streamed_trial_is_the_in_memory_trial(uninterrupted: Path) -> None:
    memory = run_trial("zarate2006", n=N, seed=SEED)
    pd.testing.assert_frame_equal(_subjects(uninterrupted)[memory.subjects.columns], memory.subjects, check_exact=True)
    assert json.loads((uninterrupted / "summary.json").read_text()) == json.loads(json.dumps(_clean(memory.summary)))
    manifest = json.loads((uninterrupted / "manifest.json").read_text())
    assert manifest["complete"] and manifest["chunks"] == 5 and manifest["n"] == N
    assert len(list((uninterrupted / "subjects").glob("part-*.parquet"))) == 5


def test_an_interrupted_run_leaves_no_complete_looking_folder_and_resumes_to_the_same_result(
        tmp_path: Path, uninterrupted: Path) -> None:
    out = tmp_path / "trial"

    def stop_after_two(done: int, total: int) -> None:
        if done >= 2 * CHUNK:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_streamed("zarate2006", out, n=N, seed=SEED, chunk=CHUNK, progress=stop_after_two)
    staging = staging_folder(out)
    assert not out.exists() and staging.name.startswith(".")
    assert json.loads((staging / "manifest.json").read_text())["complete"] is False
    assert sorted(p.name for p in (staging / "subjects").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    with pytest.raises(OutputError, match="--resume"):
        run_streamed("zarate2006", out, n=N, seed=SEED, chunk=CHUNK)
    with pytest.raises(TrialError, match="differs in seed"):
        run_streamed("zarate2006", out, n=N, seed=SEED + 1, chunk=CHUNK, resume=True)
    written = (staging / "subjects" / "part-00000.parquet").stat().st_mtime_ns
    run_streamed("zarate2006", out, n=N, seed=SEED, chunk=CHUNK, resume=True)
    assert not staging.exists() and (out / "subjects" / "part-00000.parquet").stat().st_mtime_ns == written  # kept, not redone
    pd.testing.assert_frame_equal(_subjects(out), _subjects(uninterrupted), check_exact=True)
    assert (out / "summary.json").read_text() == (uninterrupted / "summary.json").read_text()
