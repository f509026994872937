"""A fitted signature on disk, and applying it to new subjects.

``trdlab signature fit`` writes a folder (whole or not at all):

- ``manifest.json``: outcome, task, features, model, CV scheme, seed, trdlab / scikit-learn /
  lifelines versions, the performance summary;
- ``model.joblib`` (classification: the refitted scikit-learn pipeline) or ``coefficients.csv``
  (relapse: the Cox log hazard ratios per SD);
- ``predictions.csv`` (out-of-fold), ``importance.csv``, ``calibration.csv``, ``roc.csv``,
  ``km.csv`` (relapse) and ``signature.png``.

:func:`apply_signature` checks the new table carries the manifest's features and gives each
subject its predicted probability. A model folder written by another scikit-learn version is
refused with the versions named (pickled estimators are not portable across versions).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import joblib
import lifelines
import pandas as pd
import sklearn

from trdlab import __version__
from trdlab.atomic import output_folder
from trdlab.signatures.data import SignatureError
from trdlab.signatures.learn import Fit
from trdlab.signatures.run import Signature


def manifest(signature: Signature) -> dict[str, object]:
    """What was fitted, how, with which versions, and how well."""
    return {
        "trdlab_version": __version__, "sklearn_version": sklearn.__version__, "lifelines_version": lifelines.__version__,
        "outcome": signature.problem.outcome, "task": signature.problem.task, "outcome_hours": signature.problem.outcome_h,
        "features": list(signature.problem.features), "model": signature.model_name,
        "cv": dataclasses.asdict(signature.scheme), "seed": signature.scheme.seed,
        "metrics": signature.fit.metrics(),
    }


def save_signature(signature: Signature, out: str | Path, *, overwrite: bool = False) -> Path:
    """Write the signature folder (see the module docstring) and return its path."""
    from trdlab.signatures.figures import signature_figure

    out = Path(out)
    fit = signature.fit
    with output_folder(out, overwrite=overwrite, what="signature folder") as staging:
        (staging / "manifest.json").write_text(json.dumps(manifest(signature), indent=2) + "\n", encoding="utf-8")
        fit.oof.to_csv(staging / "predictions.csv", index=False)
        if isinstance(fit, Fit):
            joblib.dump(fit.model, staging / "model.joblib")
            fit.importance.to_csv(staging / "importance.csv", index=False)
            fit.calibration.to_csv(staging / "calibration.csv", index=False)
            fit.roc.to_csv(staging / "roc.csv", index=False)
        else:
            fit.coefficients.to_csv(staging / "coefficients.csv", index=False)
            fit.curves.to_csv(staging / "km.csv", index=False)
        signature_figure(signature, staging / "signature.png")
    return out


def apply_signature(folder: str | Path, table: pd.DataFrame) -> pd.DataFrame:
    """Predicted probability of the outcome for every subject of ``table`` (subject, probability)."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise SignatureError(f"{folder}: no manifest.json; give a folder written by `trdlab signature fit`")
    info = json.loads(path.read_text(encoding="utf-8"))
    if info.get("task") != "classification":
        raise SignatureError(f"{folder}: a {info.get('task')} signature; apply works on response signatures "
                             "(relapse risk: use coefficients.csv)")
    if info.get("sklearn_version") != sklearn.__version__:
        raise SignatureError(f"{folder}: fitted with scikit-learn {info.get('sklearn_version')}, this is "
                             f"{sklearn.__version__}; refit it with `trdlab signature fit`")
    features = list(info["features"])
    missing = [f for f in features if f not in table.columns]
    problems = [f"--data: feature column {f!r} of the signature is missing" for f in missing]
    if "subject" not in table.columns:
        problems.append("--data: column 'subject' is missing")
    if problems:
        raise SignatureError("\n".join(problems))
    model = joblib.load(folder / "model.joblib")
    probability = model.predict_proba(table[features].astype(float).to_numpy())[:, 1]
    return pd.DataFrame({"subject": table["subject"].to_numpy(), "probability": probability})
