"""Atomic output folders: all or nothing, and the permissions of the user's umask (not mkdtemp's 0700)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from trdlab.atomic import output_folder


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o077, 0o700), (0o002, 0o775)])
def test_the_folder_gets_the_permissions_the_umask_allows(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        with output_folder(tmp_path / "report", overwrite=False) as staging:
            (staging / "index.html").write_text("<p>ok</p>", encoding="utf-8")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report").stat().st_mode) == mode


def test_a_failure_leaves_no_folder(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with output_folder(tmp_path / "report", overwrite=False) as staging:
            (staging / "half.txt").write_text("half", encoding="utf-8")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
