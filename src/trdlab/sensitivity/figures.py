"""Sensitivity figures: the Morris mu*-sigma plane and the Sobol bars with their intervals."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from trdlab.sensitivity.run import Sensitivity  # noqa: E402


def morris_figure(result: Sensitivity, path: Path, label_top: int = 8) -> Path:
    """mu* against sigma; the ``label_top`` largest mu* are named."""
    table = result.morris.table
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    ax.scatter(table.mu_star, table.sigma, s=18, color="tab:blue")
    for row in table.head(label_top).itertuples():
        ax.annotate(row.name, (row.mu_star, row.sigma), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("mu* (mean |elementary effect| per unit log-factor)")
    ax.set_ylabel("sigma (non-linearity / interactions)")
    ax.set_title(f"Morris: {result.label}", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def sobol_figure(result: Sensitivity, path: Path) -> Path:
    """First-order and total indices per parameter, with 95 % bootstrap intervals."""
    assert result.sobol is not None
    table = result.sobol.table
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    x = range(len(table))
    ax.bar([i - 0.2 for i in x], table.S1, width=0.4, yerr=table.S1_conf, label="first order S1", capsize=2)
    ax.bar([i + 0.2 for i in x], table.ST, width=0.4, yerr=table.ST_conf, label="total ST", capsize=2)
    ax.set_xticks(list(x), table.name, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("Sobol index")
    ax.set_title(f"Sobol (n={result.sobol.n}): {result.label}", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
