"""Atomic output folders: write into a hidden sibling, then rename into place.

A failure while writing leaves neither a partial folder nor a changed old one. The folder gets
the permissions of the user's umask (as ``mkdir`` would), not ``mkdtemp``'s private 0700.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from trdlab.errors import OutputError


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def output_folder(target: str | Path, *, overwrite: bool, what: str = "output folder") -> Iterator[Path]:
    """Yield a staging folder that becomes ``target`` when the block finishes without error.

    Raises:
        OutputError: ``target`` exists and ``overwrite`` is false, or its parent is not writable.
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise OutputError(f"{what} {str(target)!r} already exists; choose a new folder or allow overwriting")
    parent = target.parent
    blocking = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputError(f"cannot write the {what} {str(target)!r}: {str(blocking)!r} is a file, not a folder; choose another path")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; the folder gets what the user's umask allows
    except OSError as exc:
        raise OutputError(
            f"cannot write the {what} into {str(parent)!r} ({exc.strerror or exc}); choose a writable folder"
        ) from exc
    try:
        yield staging
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=parent))
            target.rename(old / "previous")
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
