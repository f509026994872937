"""``trdlab sensitivity``: global sensitivity analysis of one readout (Morris, then Sobol on the top parameters).

Registered on the main app by :mod:`trdlab.cli` (errors become one line there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

out = Console(soft_wrap=True)


def sensitivity(
    out_dir: Path = typer.Option(..., "--out", help="folder for ranges.csv, morris.csv, sobol.csv and figures (must not exist)"),
    species: Optional[str] = typer.Option(None, "--species", help="rat, mouse or human (with --protocol)"),
    protocol: Optional[str] = typer.Option(None, "--protocol", help="a named protocol (see `trdlab protocols`)"),
    option: Optional[list[str]] = typer.Option(None, "--option", help="protocol option KEY=VALUE, e.g. --option 'dose=10 mg/kg'"),
    readout: Optional[str] = typer.Option(None, "--readout", help="OBSERVABLE@TIME, e.g. spine_density_pfc@24h"),
    experiment: Optional[str] = typer.Option(None, "--experiment", help="an experiment id: its check's value is the readout"),
    check: Optional[str] = typer.Option(None, "--check", help="the check id of --experiment"),
    design: Optional[str] = typer.Option(None, "--design", help="a trial design: a response rate is the readout"),
    arm: Optional[str] = typer.Option(None, "--arm", help="the arm of --design"),
    visit: Optional[str] = typer.Option(None, "--visit", help="the visit of --design, e.g. '1 d'"),
    metric: str = typer.Option("response_rate", "--metric", help="response_rate or remission_rate (with --design)"),
    trial_n: int = typer.Option(40, "--trial-n", help="subjects of the virtual trial (the same patients for every run)"),
    parameters: str = typer.Option("all-with-ranges", "--parameters", help="a ranges TOML file, or all-with-ranges (rows with a cv)"),
    method: str = typer.Option("sobol", "--method", help="morris (screening only) or sobol (Morris, then Sobol on --top)"),
    trajectories: int = typer.Option(10, "--trajectories", help="Morris trajectories r (r x (k + 1) runs)"),
    n: int = typer.Option(128, "--n", help="Sobol base sample (power of 2; n x (top + 2) runs)"),
    top: int = typer.Option(6, "--top", help="parameters taken from Morris to Sobol"),
    seed: int = typer.Option(1, "--seed", help="seed of the samples (and of the virtual patients)"),
    workers: str = typer.Option("auto", "--workers", help="local processes: auto (every core) or a number"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address instead of local processes"),
) -> None:
    """Which parameters drive a prediction: Morris screening, then Sobol indices with bootstrap intervals."""
    from trdlab.errors import TrdlabError
    from trdlab.parallel import Runner
    from trdlab.sensitivity.run import analyse, write
    from trdlab.sensitivity.setup import prepare

    if out_dir.exists():
        raise typer.BadParameter(f"--out {out_dir} already exists; choose a new folder")
    if method not in ("morris", "sobol"):
        raise TrdlabError(f"--method {method!r}: use morris or sobol")
    if trajectories < 2:
        raise TrdlabError(f"--trajectories {trajectories}: give at least 2")
    options = {}
    for text in option or []:
        if "=" not in text:
            raise TrdlabError(f"--option {text!r}: write KEY=VALUE, e.g. --option 'dose=10 mg/kg'")
        key, value = text.split("=", 1)
        options[key.strip()] = value.strip()
    evaluator, ranges, excluded = prepare(species=species, protocol=protocol, options=options, readout=readout,
                                          experiment=experiment, check=check, design=design, arm=arm, visit=visit,
                                          metric=metric, trial_n=trial_n, seed=seed, parameters=parameters)
    with Runner(workers, scheduler) as runner, out.status(f"sensitivity of {getattr(evaluator, 'label', '')} on {runner.describe()}"):
        result = analyse(evaluator, ranges, excluded=excluded, method=method, trajectories=trajectories, n=n,
                         top=max(1, min(top, len(ranges))), seed=seed, runner=runner)
    write(result, out_dir, manifest={"parameters": parameters, "method": method})
    table = Table("parameter", "mu*", "sigma", title=f"Morris: {result.label} ({result.morris.runs} runs)")
    for row in result.morris.table.head(10).itertuples():
        table.add_row(row.name, f"{row.mu_star:.3g}", f"{row.sigma:.3g}")
    out.print(table)
    if result.sobol is not None:
        sob = Table("parameter", "S1", "ST", title=f"Sobol n={result.sobol.n} ({result.sobol.runs} runs)")
        for row in result.sobol.table.itertuples():
            sob.add_row(row.name, f"{row.S1:.3f} ± {row.S1_conf:.3f}", f"{row.ST:.3f} ± {row.ST_conf:.3f}")
        out.print(sob)
    if excluded:
        out.print(f"{len(excluded)} parameter(s) without a range excluded (listed in {out_dir}/ranges.csv)")
    out.print(f"wrote {out_dir}")
