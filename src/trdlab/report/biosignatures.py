"""The report's Bio-signatures section (the review's Figure 2): signatures learned on C08's virtual
cohort, the biomarker-response correlations against the published directions, the relapse
signature's Kaplan-Meier curves, and the sleep-EEG path run on a synthetic recording."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from trdlab.experiments.readouts.signature import correlation_ci, scheme  # noqa: E402
from trdlab.experiments.readouts.trial import TrialCheck  # noqa: E402
from trdlab.experiments.runner import ExperimentOutcome  # noqa: E402
from trdlab.report import html  # noqa: E402
from trdlab.signatures.figures import signature_figure  # noqa: E402
from trdlab.signatures.learn import Fit  # noqa: E402
from trdlab.signatures.relapse import RelapseFit  # noqa: E402
from trdlab.signatures.run import fit_table  # noqa: E402

RELAPSE_OUTCOME = "relapse_1d"


def _correlation_figure(table: pd.DataFrame, checks: Sequence[TrialCheck], path: Path) -> Path:
    fig, axes = plt.subplots(1, len(checks), figsize=(3.3 * len(checks), 3.2), squeeze=False)
    for ax, check in zip(axes[0], checks):
        assert check.feature is not None and check.outcome is not None
        pair = table[[check.feature, check.outcome]].dropna()
        ax.scatter(pair[check.feature], 100 * pair[check.outcome], s=6, alpha=0.5)
        low, high = correlation_ci(table, check.feature, check.outcome)
        rho = pair.corr(method="spearman").iloc[0, 1]
        sign = "> 0" if check.low is not None else "< 0"
        ax.set_title(f"rho = {rho:.2f} [{low:.2f}, {high:.2f}]\npublished: {sign}", fontsize=8)
        ax.set_xlabel(check.feature, fontsize=7)
        ax.set_ylabel(f"% {check.outcome}", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _psg_demo(figures: Path) -> str:
    """Synthetic nights (healthy and depleted synaptic drive) through the real EDF + YASA pipeline."""
    from trdlab.psg.edf import read_recording
    from trdlab.psg.features import EPISODE_SWA, SUMMARY, psg_features
    from trdlab.psg.synthetic import synthesize_night, write_edf

    rows = []
    for drive in (1.0, 0.6):
        night = synthesize_night(drive, seed=1)
        path = write_edf(night, figures / f"synthetic_night_{drive:g}.edf")
        found = psg_features(read_recording(path), night.stages)
        path.unlink()
        truth = [f"{night.injected_swa(k):.1f}" for k in (1, 2)]
        rows.append((f"{drive:g}", truth[0], truth[1], *(f"{found[name]:.4g}" for name in SUMMARY)))
    return ("<h3>Sleep EEG files: the PSG path on synthetic recordings</h3><p>A simulated night is written as an EDF+ file "
            "with known injected slow-wave power (<code>trdlab biomarkers synthetic-psg</code>), read back with MNE and "
            "analysed with YASA (<code>trdlab biomarkers psg</code>, hypnogram given). Real recordings take the same path, "
            "staged by YASA's classifier when no hypnogram is given.</p>"
            + html.table(("synaptic drive", "injected SWA NREM1 (uV^2)", "injected SWA NREM2 (uV^2)",
                          *(f"recovered {name}" for name in SUMMARY)), rows)
            + f"<p>Recovered {' and '.join(EPISODE_SWA)} are the YASA pipeline's readings of the EDF files "
              "(compare them with the injected columns).</p>")


def biosignature_section(results: Sequence[ExperimentOutcome], figures: Path) -> str:
    """HTML of the section; figures are written into ``figures``."""
    parts = ["<p>Biomarkers read within 72 h of one ketamine infusion through their measurement models "
             "(<code>library/biomarkers.toml</code>: what the instrument sees, when, with which test-retest noise), "
             "integrated into signatures by nested cross-validation (<code>trdlab signature fit</code>). "
             "Nothing here was fitted to the published correlations: they are the test.</p>"]
    for outcome in results:
        for cohort, entry in outcome.signatures.items():
            table: pd.DataFrame = entry["table"]
            fits: dict[str, Any] = dict(entry["fits"])  # the report's own fits are added here, not to the outcome
            seed = next(c.seed for c in outcome.experiment.cohorts if c.name == cohort) if outcome.experiment else 1
            parts.append(f"<h3>{escape(outcome.id)}: {escape(outcome.title)} — {html.verdict(outcome.status)}</h3>"
                         f"<p>{len(table)} virtual patients (cohort {escape(cohort)}).</p>")
            if RELAPSE_OUTCOME + "_time" in table and RELAPSE_OUTCOME not in fits:
                try:
                    fits[RELAPSE_OUTCOME] = fit_table(table, RELAPSE_OUTCOME, scheme=scheme(seed))
                except ValueError as exc:  # too few relapses in a small cohort: said, not fatal
                    parts.append(f"<p>relapse signature not fitted: {escape(str(exc))}</p>")
            rows = []
            for name, signature in fits.items():
                path = signature_figure(signature, figures / f"signature_{outcome.id}_{name}.png")
                fit = signature.fit
                if isinstance(fit, Fit):
                    rows.append((name, "AUC (nested CV)", f"{fit.auc:.3f}", f"[{fit.auc_ci[0]:.3f}, {fit.auc_ci[1]:.3f}]",
                                 f"balanced accuracy {fit.balanced_accuracy:.3f}; n = {fit.n}, {fit.n_positive} positive"))
                    caption = (f"Simulated: out-of-fold ROC of the {name} signature with its bootstrap 95 % band, its "
                               "calibration (quantile bins) and the AUC drop when each feature is permuted in held-out "
                               "folds. Compare with chance (the diagonal).")
                elif isinstance(fit, RelapseFit):
                    rows.append((name, "concordance (CV Cox)", f"{fit.concordance:.3f}",
                                 f"[{fit.concordance_ci[0]:.3f}, {fit.concordance_ci[1]:.3f}]",
                                 f"{fit.events} relapses among {fit.n} day-1 responders; log-rank p {fit.logrank_p:.2g}"))
                    caption = ("Simulated: Kaplan-Meier curves of keeping the day-1 response in the halves above and "
                               "below the median out-of-fold relapse risk. Compare the gap with the log-rank p.")
                else:
                    continue
                parts.append(html.figure(f"figures/{path.name}", name, caption))
            parts.append(html.table(("signature", "metric", "value", "95 % CI", "details"), rows))
            checks = [c for c in (outcome.experiment.checks if outcome.experiment else ())
                      if isinstance(c, TrialCheck) and c.metric.startswith("correlation") and c.cohort == cohort]
            if checks:
                path = _correlation_figure(table, checks, figures / f"correlations_{outcome.id}.png")
                parts.append(html.figure(f"figures/{path.name}", "correlations",
                                         "Simulated: each pre-treatment or early biomarker against the improvement, with "
                                         "Spearman's rho and its 95 % CI; compare the sign with the published one."))
    parts.append(_psg_demo(figures))
    return "".join(parts)
