"""Write a finished trial: ``subjects.parquet`` (and, when the design reads biomarkers,
``biomarkers.parquet``, tidy, and ``signature.parquet``, one row per subject: :mod:`trdlab.biomarkers.table`), ``summary.json``, ``manifest.json``, figures and
``adam/`` (ADSL, ADQS, ADTTE as Parquet and SAS transport; :mod:`trdlab.trials.adam`).

The folder appears whole or not at all (written into a hidden sibling, then renamed).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from trdlab import __version__
from trdlab.atomic import output_folder
from trdlab.clinical.scales import load_scale
from trdlab.trials.adam import write_adam
from trdlab.trials.figures import write_trial_figures
from trdlab.trials.run import TrialResult


def _clean(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def published_rates(result: TrialResult) -> list[tuple[str, str, str, float]]:
    """The design's published response/remission rates (point targets of library/clinical/targets.toml)."""
    from trdlab.trials.calibrate import load_targets

    return [(t.metric, t.arm, t.visit, t.value) for t in load_targets()
            if t.design == result.design.name and t.kind == "value" and t.metric in ("response_rate", "remission_rate")]


def write_trial(result: TrialResult, out: str | Path, *, overwrite: bool = False) -> Path:
    """Write the trial folder and return its path."""
    out = Path(out)
    scale = load_scale(result.design.scale)
    with output_folder(out, overwrite=overwrite, what="trial output folder") as staging:
        result.subjects.to_parquet(staging / "subjects.parquet", index=False)
        if result.biomarkers is not None:
            from trdlab.biomarkers.table import signature_table

            result.biomarkers.to_parquet(staging / "biomarkers.parquet", index=False)
            signature_table(result.subjects, result.biomarkers, result.design.visits) \
                .to_parquet(staging / "signature.parquet", index=False)
        (staging / "summary.json").write_text(json.dumps(_clean(result.summary), indent=2) + "\n", encoding="utf-8")
        manifest = {
            "trdlab_version": __version__,
            "design": _clean(result.design.to_dict()),
            "seed": result.seed,
            "n_subjects": int(result.subjects["subject"].nunique()),
            "failed_subjects": sorted(int(s) for s in result.subjects.loc[result.subjects.status != "ok", "subject"].unique()),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        subjects = result.subjects
        write_trial_figures(subjects, result.summary, result.visit_days, scale.title, staging, published_rates(result))
        write_adam(result, staging / "adam")
    return out
