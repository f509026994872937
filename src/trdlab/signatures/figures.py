"""Figures of a fitted signature: ROC with its bootstrap band, calibration, feature importance;
for relapse, Kaplan-Meier curves of the high- and low-risk halves (headless, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from trdlab.signatures.learn import Fit  # noqa: E402
from trdlab.signatures.run import Signature  # noqa: E402


def signature_figure(signature: Signature, path: Path) -> Path:
    """Write the signature's figure to ``path`` (PNG)."""
    fit = signature.fit
    outcome = signature.problem.outcome
    if isinstance(fit, Fit):
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.9))
        roc, band = axes[0], fit.roc_band
        roc.fill_between(band.fpr, band.tpr_low, band.tpr_high, color="tab:blue", alpha=0.2, label="bootstrap 95 % band")
        roc.plot(fit.roc.fpr, fit.roc.tpr, color="tab:blue",
                 label=f"AUC {fit.auc:.2f} [{fit.auc_ci[0]:.2f}, {fit.auc_ci[1]:.2f}]")
        roc.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        roc.set(xlabel="false-positive rate", ylabel="true-positive rate", title=f"ROC, {outcome} (out-of-fold)")
        roc.legend(fontsize=8, loc="lower right")
        cal = axes[1]
        cal.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        cal.plot(fit.calibration.predicted, fit.calibration.observed, "o-")
        cal.set(xlabel="predicted probability", ylabel="observed fraction", title="calibration (quantile bins)",
                xlim=(0, 1), ylim=(0, 1))
        imp = axes[2]
        top = fit.importance.head(12).iloc[::-1]
        imp.barh(top.feature, top.auc_drop, xerr=top.auc_drop_sd, color="tab:orange")
        imp.set(xlabel="AUC drop when permuted (held-out folds)", title="feature importance")
        imp.tick_params(axis="y", labelsize=7)
    else:
        fig, ax = plt.subplots(figsize=(6, 4))
        for group, rows in fit.curves.groupby("group"):
            ax.step(rows.time, rows.survival, where="post", label=str(group))
        ax.set(xlabel="days since the landmark visit", ylabel="fraction still responding",
               title=f"{outcome}: C = {fit.concordance:.2f} [{fit.concordance_ci[0]:.2f}, {fit.concordance_ci[1]:.2f}], "
                     f"log-rank p = {fit.logrank_p:.2g}", ylim=(0, 1.02))
        ax.title.set_fontsize(9)
        ax.legend(fontsize=8)
    for ax in fig.axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
