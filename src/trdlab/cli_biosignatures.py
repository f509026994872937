"""Command-line groups of the bio-signature layer: ``trdlab biomarkers ...`` and ``trdlab signature ...``.

Registered on the main app by :mod:`trdlab.cli` (errors become one line there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

out = Console(soft_wrap=True)

biomarkers_app = typer.Typer(no_args_is_help=True, help="Biomarkers: the library, sleep EEG recordings.")
signature_app = typer.Typer(no_args_is_help=True, help="Bio-signatures of response, non-response and relapse.")


def _new_folder(path: Path) -> None:
    if path.exists():
        raise typer.BadParameter(f"--out {path} already exists; choose a new folder")


@biomarkers_app.command("list")
def biomarkers_list() -> None:
    """List the biomarkers: instrument, unit, sampling and noise."""
    from trdlab.biomarkers.definitions import load_library

    library = load_library()
    table = Table(title=f"{len(library.biomarkers)} biomarker(s) (library/biomarkers.toml)")
    for header in ("biomarker", "title", "kind", "unit", "sampling", "between-subject CV", "measurement CV"):
        table.add_column(header)
    for b in library.biomarkers.values():
        table.add_row(b.id, b.title, b.kind, b.unit, b.sampling, f"{b.between_subject_cv:g}", f"{b.measurement_cv:g}")
    out.print(table)


@biomarkers_app.command("psg")
def biomarkers_psg(
    files: list[Path] = typer.Argument(..., help="EDF/EDF+ recordings, one night each"),
    out_dir: Path = typer.Option(..., "--out", help="folder for psg.csv (must not exist)"),
    channel: Optional[str] = typer.Option(None, "--channel", help="EEG channel (default: C4-M1, C3-M2, ... if present)"),
    hypnogram: Optional[list[Path]] = typer.Option(None, "--hypnogram", help="stage CSV per file (default: YASA staging)"),
) -> None:
    """Sleep features of recordings: SWA per NREM episode, delta sleep ratio, SWS, slow waves."""
    from trdlab.atomic import output_folder
    from trdlab.psg.edf import PsgError, read_recording
    from trdlab.psg.features import epoch_count, psg_features, read_hypnogram

    _new_folder(out_dir)
    if hypnogram and len(hypnogram) != len(files):
        raise PsgError(f"--hypnogram: {len(hypnogram)} given for {len(files)} file(s); give one per file or none")
    rows = []
    for k, path in enumerate(files):  # every file is read (and checked) before anything is written
        recording = read_recording(path, channel)
        stages = read_hypnogram(hypnogram[k], epoch_count(recording)) if hypnogram else None
        rows.append({"file": str(path), "channel": recording.channel, "staging": "hypnogram" if stages else "yasa",
                     **psg_features(recording, stages)})
    import pandas as pd

    table = pd.DataFrame(rows)
    with output_folder(out_dir, overwrite=False, what="PSG folder") as staging:
        table.to_csv(staging / "psg.csv", index=False)
    from trdlab.psg.features import SUMMARY

    view = Table("file", *SUMMARY, title="sleep features")
    for row in rows:
        view.add_row(Path(str(row["file"])).name, *(f"{float(row[name]):.3g}" for name in SUMMARY))
    out.print(view)
    out.print(f"wrote {out_dir}/psg.csv")


@biomarkers_app.command("synthetic-psg")
def biomarkers_synthetic(
    out_dir: Path = typer.Option(..., "--out", help="folder for night.edf, hypnogram.csv, injected.csv (must not exist)"),
    drive: float = typer.Option(1.0, "--drive", help="the human model's slow_wave_activity that night (1 = healthy)"),
    seed: int = typer.Option(1, "--seed", help="seed of the epoch draws and the noise"),
    rate: float = typer.Option(100.0, "--rate", help="sampling rate (Hz)"),
) -> None:
    """Write a synthetic night (EDF+) with known injected slow-wave power, its hypnogram and the truth."""
    import pandas as pd

    from trdlab.atomic import output_folder
    from trdlab.psg.synthetic import synthesize_night, write_edf

    _new_folder(out_dir)
    if drive <= 0:
        raise typer.BadParameter(f"--drive {drive}: must be > 0 (1 = healthy synaptic strength)")
    night = synthesize_night(drive, seed=seed, rate_hz=rate)
    with output_folder(out_dir, overwrite=False, what="synthetic PSG folder") as staging:
        write_edf(night, staging / "night.edf")
        night.hypnogram().to_csv(staging / "hypnogram.csv", index=False)
        pd.DataFrame({"epoch": range(len(night.stages)), "stage": night.stages, "episode": night.episode,
                      "injected_swa": night.injected}).to_csv(staging / "injected.csv", index=False)
    out.print(f"wrote {out_dir}/night.edf (injected SWA: NREM1 {night.injected_swa(1):.1f}, NREM2 "
              f"{night.injected_swa(2):.1f} uV^2)")


@signature_app.command("fit")
def signature_fit(
    data: Path = typer.Option(..., "--data", help="subject table (.csv or .parquet): subject, features, outcomes"),
    outcome: str = typer.Option(..., "--outcome", help="response_1d, nonresponse_1d, relapse_1d, ..."),
    out_dir: Path = typer.Option(..., "--out", help="folder for the fitted signature (must not exist)"),
    features: Optional[str] = typer.Option(None, "--features", help="comma-separated columns (default: biomarkers within 72 h)"),
    model: str = typer.Option("logistic", "--model", help="logistic (penalised) or forest"),
    seed: int = typer.Option(1, "--seed", help="seed of every split, model and permutation"),
    folds: int = typer.Option(5, "--folds", help="outer folds"),
    repeats: int = typer.Option(2, "--repeats", help="outer repeats"),
    inner_folds: int = typer.Option(3, "--inner-folds", help="inner folds (hyper-parameter search)"),
    permutations: int = typer.Option(100, "--permutations", help="label permutations for the p-value (0: none)"),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="bootstrap resamples for the CIs"),
    workers: str = typer.Option("auto", "--workers", help="local processes for the permutation test: auto (every core) or a number"),
) -> None:
    """Fit a signature with nested cross-validation and save it with its manifest."""
    from trdlab.signatures.data import read_table
    from trdlab.signatures.learn import MODELS, CVScheme
    from trdlab.signatures.run import fit_table
    from trdlab.signatures.store import save_signature

    _new_folder(out_dir)
    if model not in MODELS:
        raise typer.BadParameter(f"--model {model!r}: use one of {', '.join(MODELS)}")
    table = read_table(data)
    chosen = [f.strip() for f in features.split(",") if f.strip()] if features else None
    scheme = CVScheme(folds, repeats, inner_folds, bootstrap, permutations, 5, seed)
    from trdlab.parallel import Runner

    with Runner(workers) as runner, out.status(f"nested cross-validation on {runner.describe()}"):
        signature = fit_table(table, outcome, features=chosen, model="forest" if model == "forest" else "logistic",
                              scheme=scheme, runner=runner)
    save_signature(signature, out_dir)
    metrics = signature.fit.metrics()
    if signature.problem.task == "survival":
        out.print(f"{outcome}: concordance {metrics['concordance']:.3f} {_ci(metrics['concordance_ci'])}, "
                  f"{metrics['events']} relapses among {metrics['n']}")
    else:
        p = metrics["permutation_p"]
        out.print(f"{outcome}: AUC {metrics['auc']:.3f} {_ci(metrics['auc_ci'])}, balanced accuracy "
                  f"{metrics['balanced_accuracy']:.3f}, permutation p {'-' if p is None else f'{p:.3g}'} "
                  f"(n {metrics['n']}, {metrics['n_positive']} positive)")
    out.print(f"features: {', '.join(signature.problem.features)}")
    out.print(f"wrote {out_dir}")


def _ci(values: object) -> str:
    assert isinstance(values, (list, tuple)) and len(values) == 2
    return f"[{float(values[0]):.3f}, {float(values[1]):.3f}]"


@signature_app.command("apply")
def signature_apply(
    model_dir: Path = typer.Argument(..., help="a folder written by `trdlab signature fit`"),
    data: Path = typer.Option(..., "--data", help="subject table with the signature's feature columns"),
    out_file: Optional[Path] = typer.Option(None, "--out", help="CSV of subject, probability (default: print)"),
) -> None:
    """Predict the outcome probability of new subjects with a fitted signature."""
    from trdlab.signatures.data import read_table
    from trdlab.signatures.store import apply_signature

    predicted = apply_signature(model_dir, read_table(data))
    if out_file is None:
        out.print(predicted.to_string(index=False))
        return
    tmp = out_file.with_name(f".{out_file.name}.tmp")
    predicted.to_csv(tmp, index=False)
    tmp.replace(out_file)
    out.print(f"wrote {out_file} ({len(predicted)} subjects)")
