"""Matplotlib figures of simulated time courses (headless, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def time_course(
    frame: pd.DataFrame,
    panels: Sequence[tuple[str, Sequence[str]]],
    title: str,
    path: Path,
    *,
    units: dict[str, str] | None = None,
    log: bool = False,
) -> Path:
    """One row of panels; each panel plots observables against time (hours).

    Args:
        frame: a ``Result.to_frame()``.
        panels: (panel title, observables) pairs.
        title: figure title.
        path: PNG to write.
        units: observable -> unit text for the y labels.
        log: log-scale y axes (for terminal phases).
    """
    units = units or {}
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, (panel_title, names) in zip(axes[0], panels):
        for name in names:
            ax.plot(frame["time"], frame[name], label=name)
        ax.set_title(panel_title, fontsize=10)
        ax.set_xlabel("time (h)")
        ax.set_ylabel(", ".join(sorted({units.get(n, "") for n in names})) or "value")
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
