"""Trials larger than memory: screen once, then plan, simulate, score and write the cohort chunk by chunk.

:func:`run_streamed` writes ``subjects/part-NNNNN.parquet`` (a partitioned Parquet dataset) as
each chunk of subjects finishes, then the summary from the written data (read back with only the
columns the statistics use). Memory: one chunk's trajectories plus the screening pool's covariate
table (a few hundred bytes per pool subject), whatever the number of subjects.

The run builds in a hidden sibling folder ``.<name>.partial`` whose ``manifest.json`` says
``"complete": false``; only a finished run is renamed to ``<name>``, so an interrupted run never
leaves a folder that looks complete. ``resume=True`` continues an interrupted run from its finished
chunks, after checking that its manifest matches this run (design, seed, n, chunk size, trdlab
version, clinical parameters, human-model SBML): same result as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import cast

import pandas as pd

from trdlab import __version__
from trdlab.clinical.parameters import ClinicalParameters, load_clinical_parameters
from trdlab.clinical.scales import load_scale
from trdlab.errors import OutputError, TrialError
from trdlab.model.sbml_model import Model
from trdlab.parallel import Runner
from trdlab.trials.design import TrialDesign, load_design
from trdlab.trials.mechanism import _human_model, simulate_plans
from trdlab.trials.output import _clean
from trdlab.trials.regimens import design_compounds
from trdlab.trials.run import cohort_from, plan_chunk, screen_cohort
from trdlab.trials.scoring import score
from trdlab.trials.summary import REQUIRED_COLUMNS, summarize_trial



def _identity(design: TrialDesign, n: int, seed: int, chunk: int, params: ClinicalParameters) -> dict[str, object]:
    clinical = hashlib.sha256(json.dumps(asdict(params), sort_keys=True, default=str).encode()).hexdigest()
    return {"trdlab_version": __version__, "design": json.loads(json.dumps(design.to_dict(), default=str)),
            "seed": seed, "n": n, "chunk_size": chunk, "clinical_parameters_sha256": clinical,
            "sbml_sha256": cast(Model, _human_model(design_compounds(design))).sha256}


def staging_folder(out: Path) -> Path:
    """Where an unfinished run of ``out`` lives."""
    return out.parent / f".{out.name}.partial"


def run_streamed(design: TrialDesign | str, out: str | Path, *, n: int | None = None, seed: int = 1, chunk: int = 2000,
                 runner: Runner | None = None, resume: bool = False, params: ClinicalParameters | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Path:
    """Run a trial chunk by chunk into ``out`` (``subjects/``, ``summary.json``, ``manifest.json``); return ``out``.

    Args:
        design: a design, a built-in name or a TOML path.
        out: the trial folder (must not exist).
        n: subjects (default: the design's n).
        seed: the seed; the subjects are those of :func:`trdlab.trials.run.run_trial` with the same seed.
        chunk: subjects planned, simulated and written at once.
        runner: an open back-end for the simulations (default: this process).
        resume: continue the interrupted run in ``.<name>.partial`` (refused if it is another run).
        progress: ``progress(subjects done, n)`` after each chunk.
    """
    design = load_design(design) if isinstance(design, str) else design
    out = Path(out)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise TrialError(f"chunk={chunk!r} must be a positive integer (subjects per chunk)")
    if out.exists():
        raise OutputError(f"{out} already exists; choose a new folder")
    params = params or load_clinical_parameters()
    total = design.n if n is None else n
    screening = screen_cohort(design, n=total, seed=seed, params=params)  # checks n and seed
    identity = _identity(design, screening.n, int(seed), chunk, params)
    staging = staging_folder(out)
    manifest = staging / "manifest.json"
    if staging.exists():
        if not resume:
            raise OutputError(f"{staging} holds an interrupted run of {out}; pass --resume to continue it, or delete it")
        found = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
        differ = [key for key in identity if found.get(key) != identity[key]]
        if differ:
            raise TrialError(f"--resume: the interrupted run in {staging} differs in {', '.join(differ)}; "
                             "rerun with its settings or delete the folder")
    else:
        (staging / "subjects").mkdir(parents=True)
        manifest.write_text(json.dumps({**identity, "complete": False}, indent=2) + "\n", encoding="utf-8")
    scale = load_scale(design.scale)
    starts = range(0, screening.n, chunk)
    for index, start in enumerate(starts):
        part = staging / "subjects" / f"part-{index:05d}.parquet"
        if not part.is_file():
            plan = plan_chunk(screening, start, start + chunk)
            cohort = cohort_from(design, plan, simulate_plans(plan.plans, runner=runner))
            table = score(cohort, params, scale, response=design.response, remission=design.remission_threshold)
            temporary = part.with_name(f".{part.name}.tmp")
            table.to_parquet(temporary, index=False)
            os.replace(temporary, part)  # a chunk is there whole or not at all
        if progress:
            progress(min(start + chunk, screening.n), screening.n)
    subjects = pd.read_parquet(staging / "subjects", columns=list(dict.fromkeys([*REQUIRED_COLUMNS, "status"])))
    visit_days = {"baseline": 0.0, **{v: h / 24.0 for v, h in zip(design.visits, design.visit_hours)}}
    summary = summarize_trial(subjects[subjects.visit != "baseline"], visit_order=list(design.visits),
                              visit_days=visit_days)
    (staging / "summary.json").write_text(json.dumps(_clean(summary), indent=2) + "\n", encoding="utf-8")
    failed = sorted(int(s) for s in subjects.loc[subjects.status != "ok", "subject"].unique())
    manifest.write_text(json.dumps({**identity, "complete": True, "chunks": len(starts), "failed_subjects": failed},
                                   indent=2) + "\n", encoding="utf-8")
    os.replace(staging, out)
    return out

