"""The command line: a thin Typer shell over the public API.

Every error trdlab raises on purpose becomes one line on stderr and exit status 1
(2 for usage errors); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from trdlab import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True, help="trdlab: an in-silico laboratory for treatment-resistant depression.")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
_state = {"debug": False}
_WORKERS_HELP = "local processes: auto (every core, the default) or a number (1: this process only)"
_SCHEDULER_HELP = "Dask scheduler address (tcp://host:8786) instead of local processes"
STREAM_ABOVE = 20_000
STREAM_CHUNK = 5_000


def _version(value: bool) -> None:
    if value:
        out.print(f"trdlab {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    _state["debug"] = debug


@app.command()
def build(
    species: str = typer.Option(..., "--species", help="human, rat or mouse"),
    out_file: Path = typer.Option(..., "--out", help="SBML file to write"),
) -> None:
    """Build the SBML model of a species from the model library."""
    from trdlab.model.build import build_model

    model = build_model(species)  # type: ignore[arg-type]
    _write_text(out_file, model.sbml)
    out.print(f"wrote {out_file} ({model.name}, {len(model.species)} species, {len(model.parameters)} parameters, sha256 {model.sha256[:12]})")


@app.command()
def validate() -> None:
    """Check the model library: sources, units, unused or missing parameters, SBML consistency."""
    from trdlab.model.validate import validate as run_validate

    issues = run_validate()
    if not issues:
        out.print("model library: no issues")
        return
    table = Table("where", "field", "problem", "fix", title=f"{len(issues)} issue(s) in the model library")
    for issue in issues:
        table.add_row(issue.location, issue.field, issue.message, issue.fix)
    err.print(table)
    raise typer.Exit(1)


@app.command()
def simulate(
    species: str = typer.Option("human", "--species", help="human, rat or mouse"),
    protocol: Optional[str] = typer.Option(None, "--protocol", help="named protocol, e.g. ketamine_iv or ketamine_ip"),
    dose: Optional[str] = typer.Option(None, "--dose", help="dose with unit, e.g. '0.5 mg/kg'"),
    duration: Optional[str] = typer.Option(None, "--duration", help="infusion duration with unit, e.g. '40 min'"),
    weight: Optional[str] = typer.Option(None, "--weight", help="body weight with unit, e.g. '70 kg'"),
    regimen_file: Optional[Path] = typer.Option(None, "--regimen", help="CSV dose event table (NONMEM columns)"),
    until: str = typer.Option(..., "--until", help="end time with unit, e.g. '24 h'"),
    step: str = typer.Option("5 min", "--step", help="output interval with unit"),
    out_dir: Path = typer.Option(..., "--out", help="folder for result.parquet and manifest.json (must not exist)"),
) -> None:
    """Simulate a species' model under a protocol or an event table and save the result."""
    from trdlab.dosing import catalog, constructors
    from trdlab.dosing.regimen import Regimen
    from trdlab.errors import DoseError
    from trdlab.model.build import build_model
    from trdlab.simulate import simulate as run

    if out_dir.exists():
        raise _usage(f"--out {out_dir} already exists; choose a new folder")
    if (protocol is None) == (regimen_file is None):
        raise _usage("give exactly one of --protocol or --regimen")
    if regimen_file is not None:
        regimen = Regimen.from_csv(regimen_file)
    else:
        if protocol not in catalog.PROTOCOLS:
            raise DoseError(f"unknown protocol {protocol!r}; choose one of {', '.join(catalog.PROTOCOLS)}")
        options = {k: v for k, v in dict(dose=dose, duration=duration, weight=weight).items() if v is not None}
        regimen = catalog.PROTOCOLS[protocol](species=species, **options)
    end = constructors.hours(until, "until")
    interval = constructors.hours(step, "step")
    if end <= 0 or interval <= 0:
        raise DoseError("--until and --step must be positive times, e.g. --until '24 h' --step '5 min'")
    times = np.arange(0.0, end + interval / 2, interval)
    model = build_model(species)  # type: ignore[arg-type]
    with out.status(f"simulating {species} to {end:g} h"):
        result = run(model, regimen, times)
    result.save(out_dir)
    out.print(f"wrote {out_dir}/result.parquet and manifest.json ({times.size} times x {len(result.columns)} observables)")


@app.command()
def reproduce(
    out_dir: Path = typer.Option(Path("report"), "--out", help="report folder (replaced if it exists)"),
    profile: str = typer.Option("full", "--profile", help="full (the paper) or small (same pipeline, 80-subject cohorts)"),
    workers: str = typer.Option("auto", "--workers", help=_WORKERS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
) -> None:
    """Reproduce the paper in silico and write the report (figures, checks, claims ledger)."""
    from trdlab.parallel import resolve_workers
    from trdlab.report.profiles import load_profile
    from trdlab.report.reproduce import reproduce as run

    chosen, count = load_profile(profile), resolve_workers(workers)  # bad options stop before anything runs
    index = run(out_dir, console=err, profile=chosen, workers=count, scheduler=scheduler)  # progress on stderr
    out.print(f"report: {index}")


experiments_app = typer.Typer(no_args_is_help=True, help="The claims ledger as executable experiments.")
app.add_typer(experiments_app, name="experiments")
_LIBRARY_HELP = "folder of experiment TOML files (default: the packaged library)"


@experiments_app.command("list")
def experiments_list(library: Optional[Path] = typer.Option(None, "--library", help=_LIBRARY_HELP)) -> None:
    """List the experiments: id, title, setting and kind (derived: calibration | validation | prediction)."""
    from trdlab.experiments.loading import load_experiments

    experiments = load_experiments(library)
    table = Table("id", "title", "setting", "kind", "checks (calibration/all)", title=f"{len(experiments)} experiment(s)")
    for experiment in experiments:
        setting = (f"human (trial {', '.join(c.design for c in experiment.cohorts)})" if experiment.cohorts
                   else experiment.species)
        fitted = sum(c.kind == "calibration" for c in experiment.checks)
        table.add_row(experiment.id, experiment.title, setting, experiment.kind, f"{fitted}/{len(experiment.checks)}")
    out.print(table)


@experiments_app.command("run")
def experiments_run(
    ids: Optional[list[str]] = typer.Argument(None, help="experiment ids (default: all)"),
    json_file: Optional[Path] = typer.Option(None, "--json", help="write [{id, status, kind, measured, expected, checks, ...}]"),
    library: Optional[Path] = typer.Option(None, "--library", help=_LIBRARY_HELP),
    workers: str = typer.Option("auto", "--workers", help=_WORKERS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
    trial_n: Optional[int] = typer.Option(None, "--trial-n", help="subjects per trial cohort (default: each cohort's n)"),
) -> None:
    """Run experiments on the model's own simulation and report pass / fail / prediction / error."""
    import json

    from rich.progress import Progress

    from trdlab.experiments.loading import load_experiments
    from trdlab.experiments.runner import run_experiments
    from trdlab.experiments.tally import tally

    experiments = load_experiments(library)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("experiments", total=None)

        def progress(done: int, total: int, ident: str) -> None:
            bar.update(task, completed=done, total=total, description=f"experiment {ident}" if ident else "done")

        outcomes = run_experiments(ids or None, progress=progress, experiments=experiments, workers=workers,
                                   scheduler=scheduler, trial_n=trial_n)
    table = Table("id", "kind", "status", "measured", "expected", title=f"{len(outcomes)} experiment(s)")
    for o in outcomes:
        measured = "\n".join(f"{c.label}: {c.value:.4g}" + (" (calibration)" if c.kind == "calibration" else "")
                             for c in o.checks)
        if o.reason:
            measured = f"{measured}\nwhy: {o.reason}" if measured else o.reason
        table.add_row(o.id, o.kind, o.status, measured, o.expected)
    out.print(table)
    out.print(tally(outcomes).text())
    if json_file is not None:
        _write_text(json_file, json.dumps([o.record() for o in outcomes], indent=2) + "\n")
        out.print(f"wrote {json_file}")


@app.command()
def protocols() -> None:
    """List the named dosing protocols: drug, route, role, species and defaults."""
    from trdlab.dosing.catalog import PROTOCOL_INFO

    table = Table(title=f"{len(PROTOCOL_INFO)} protocol(s)")
    table.add_column("protocol", no_wrap=True)
    for header in ("drug", "route", "role", "species", "default dose", "default duration", "description"):
        table.add_column(header)
    for name, info in PROTOCOL_INFO.items():
        table.add_row(name, info.drug or "-", info.route, info.role, ", ".join(info.species), info.default_dose or "-",
                      info.default_duration or "-", info.description)
    out.print(table)


@app.command()
def compounds() -> None:
    """List the compound catalogue: role, targets, routes per species, and whether the build generates its PK."""
    from trdlab.compounds.catalogue import catalogue

    items = catalogue()
    table = Table(title=f"{len(items)} compound(s) (library/compounds)")
    for header in ("compound", "role", "targets", "routes", "PK"):
        table.add_column(header)
    for name, item in items.items():
        routes = "; ".join(f"{s}: {', '.join(item.routes(s))}" for s in item.spec.routes)
        table.add_row(name, item.spec.role, ", ".join(item.spec.targets) or "-", routes or "-",
                      "generated" if item.generated else ("module" if item.spec.modules else "-"))
    out.print(table)


compound_app = typer.Typer(no_args_is_help=True, help="Compound files.")
app.add_typer(compound_app, name="compound")


@compound_app.command("validate")
def compound_validate(path: Path = typer.Argument(..., help="a compound .toml file")) -> None:
    """List every problem of a compound file at once (exit 1 if there is any)."""
    from trdlab.compounds.catalogue import compound_problems

    found = compound_problems(path)
    for line in found:
        out.print(line, highlight=False)
    if found:
        raise typer.Exit(1)
    out.print(f"{path}: valid compound file")


@app.command()
def screen(
    compound: list[str] = typer.Argument(..., help="catalogue names or compound .toml files"),
    doses: Optional[list[str]] = typer.Option(None, "--doses", help="rat doses with unit, e.g. --doses '3 mg/kg' --doses '10 mg/kg'"),
    out_dir: Path = typer.Option(..., "--out", help="folder for screen.parquet, summary.csv and report.md (must not exist)"),
    allow: bool = typer.Option(False, "--allow", help="screen doses outside the compound's stated range"),
    workers: str = typer.Option("auto", "--workers", help=_WORKERS_HELP),
    references: bool = typer.Option(True, "--references/--no-references", help="add ketamine, scopolamine, memantine"),
    trial_n: int = typer.Option(100, "--trial-n", help="subjects of the battery's virtual trial per compound (0: none)"),
    seed: int = typer.Option(2013, "--seed", help="seed of the virtual trials (the same patients for every compound)"),
) -> None:
    """Run the standard screening battery (rat and human) for compounds, next to the references."""
    from trdlab.atomic import output_folder
    from trdlab.compounds import screen as battery
    from trdlab.parallel import resolve_workers

    if out_dir.exists():
        raise _usage(f"--out {out_dir} already exists; choose a new folder")
    tasks = battery.plan(compound, doses or (), allow=allow, references=references)  # bad input stops here
    with out.status(f"screening {len(tasks)} compound-dose task(s)"):
        table = battery.screen(compound, doses or (), allow=allow, workers=resolve_workers(workers), references=references,
                               trial_n=trial_n, seed=seed)
    loaded = list({t.compound.name: t.compound for t in tasks}.values())
    with output_folder(out_dir, overwrite=False, what="screen folder") as staging:
        table.to_parquet(staging / "screen.parquet", index=False)
        battery.summary(table).to_csv(staging / "summary.csv", index=False)
        (staging / "report.md").write_text(battery.report_markdown(table, loaded), encoding="utf-8")
    errors = int((table.error != "").sum())
    out.print(f"wrote {out_dir}/screen.parquet, summary.csv and report.md ({len(table)} rows, {errors} failed)")


trial_app = typer.Typer(no_args_is_help=True, help="Virtual clinical trials.")
app.add_typer(trial_app, name="trial")


@trial_app.command("designs")
def trial_designs() -> None:
    """List the built-in trial designs."""
    from trdlab.trials.design import builtin_designs, load_design

    table = Table(title="built-in trial designs")
    table.add_column("name", no_wrap=True)
    for header in ("design", "population", "n", "scale", "arms", "title"):
        table.add_column(header)
    for name in builtin_designs():
        d = load_design(name)
        table.add_row(name, d.design, d.population, str(d.n), d.scale, ", ".join(a.name for a in d.arms), d.title)
    out.print(table)


@trial_app.command("pk")
def trial_pk(
    design: str = typer.Argument(..., help="a built-in design name or a TOML file"),
    compound: str = typer.Option(..., "--compound", help="the catalogue compound whose plasma level is sampled"),
    sampling: list[str] = typer.Option(..., "--sampling", help="sampling times after the first dose, e.g. --sampling '15 min' --sampling '2 h'"),
    out_file: Path = typer.Option(..., "--out", help="CSV file to write (NONMEM columns)"),
    n: Optional[int] = typer.Option(None, "--n", help="number of subjects (default: the design's n)"),
    seed: int = typer.Option(1, "--seed", help="seed of the virtual patients and of the residual errors"),
    cv: float = typer.Option(0.15, "--cv", help="proportional residual error (log-normal sd)"),
    sd: float = typer.Option(0.0, "--sd", help="additive residual error (ng/mL)"),
) -> None:
    """Write a virtual PK study as a NONMEM-format dataset (ID, TIME, AMT, RATE, EVID, CMT, DV, MDV, WT, AGE, SEX)."""
    from trdlab.dosing.constructors import hours
    from trdlab.trials.design import load_design
    from trdlab.trials.nonmem import pk_dataset

    times = [hours(t, "sampling") for t in sampling]
    table = pk_dataset(load_design(design), compound=compound, sampling_h=times, n=n, seed=seed, cv=cv, sd=sd)
    _write_text(out_file, table.to_csv(index=False))
    out.print(f"wrote {out_file} ({table.ID.nunique()} subjects, {int((table.EVID == 0).sum())} samples)")


@trial_app.command("run")
def trial_run(
    design: str = typer.Argument(..., help="a built-in design name (see `trdlab trial designs`) or a TOML file"),
    out_dir: Path = typer.Option(..., "--out", help="folder for subjects.parquet, summary.json, figures (must not exist)"),
    n: Optional[int] = typer.Option(None, "--n", help="number of subjects (default: the design's n)"),
    seed: str = typer.Option("1", "--seed", help="integer seed; same seed, same trial"),
    workers: str = typer.Option("auto", "--workers", help=_WORKERS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size", help="stream the cohort in chunks of this many "
                                             "subjects (subjects/ as partitioned Parquet, flat memory); "
                                             f"default above {STREAM_ABOVE} subjects: {STREAM_CHUNK}"),
    resume: bool = typer.Option(False, "--resume", help="continue an interrupted streamed run from its finished chunks"),
) -> None:
    """Run a virtual trial and write its subject table, summary and figures."""
    from rich.progress import Progress

    from trdlab.errors import TrialError
    from trdlab.parallel import Runner
    from trdlab.trials.design import load_design
    from trdlab.trials.output import write_trial
    from trdlab.trials.run import run_trial
    from trdlab.trials.stream import run_streamed

    if out_dir.exists():
        raise _usage(f"--out {out_dir} already exists; choose a new folder")
    try:
        seed_value = int(seed)
    except ValueError:
        raise TrialError(f"--seed {seed!r} is not an integer; give e.g. --seed 1") from None
    spec = load_design(design)
    size = spec.n if n is None else n
    streamed = chunk_size is not None or resume or (isinstance(size, int) and size > STREAM_ABOVE)
    with Progress(console=err, transient=True) as bar, Runner(workers, scheduler) as runner:
        task = bar.add_task(f"trial {spec.name}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"simulating subjects ({done}/{total})")

        if streamed:
            run_streamed(spec, out_dir, n=n, seed=seed_value, chunk=chunk_size or STREAM_CHUNK, runner=runner,
                         resume=resume, progress=progress)
            out.print(f"wrote {out_dir} (subjects/ in chunks, summary.json, manifest.json)")
            return
        result = run_trial(spec, n=n, seed=seed_value, runner=runner, progress=progress)
    write_trial(result, out_dir)
    table = Table("arm", "visit", "n", "mean", "response", "remission", title=f"{spec.name}: {spec.title}")
    for arm, info in result.summary["arms"].items():
        for visit, v in info["visits"].items():
            table.add_row(arm, visit, str(v["n"]), _fmt(v["mean"]), _fmt(v["response_rate"]), _fmt(v["remission_rate"]))
    out.print(table)
    out.print(f"wrote {out_dir}")


@app.command()
def calibrate(
    out_dir: Path = typer.Option(..., "--out", help="folder for symptoms.toml (fitted table) and fit.csv (must not exist)"),
    n: int = typer.Option(300, "--n", help="subjects per calibration cohort"),
    seed: int = typer.Option(20130101, "--seed", help="seed of the cohorts (common random numbers)"),
    workers: str = typer.Option("auto", "--workers", help=_WORKERS_HELP),
    max_evaluations: int = typer.Option(800, "--max-evaluations", help="Nelder-Mead evaluations (first pass)"),
) -> None:
    """Re-fit the clinical layer (symptom and placebo model) to its targets and write the table."""
    from trdlab.atomic import output_folder
    from trdlab.parallel import resolve_workers
    from trdlab.trials.calibrate import calibrate as fit
    from trdlab.trials.calibrate import parameters_toml

    if out_dir.exists():
        raise _usage(f"--out {out_dir} already exists; choose a new folder")
    with out.status("simulating calibration cohorts and fitting"):
        result = fit(n=n, seed=seed, workers=resolve_workers(workers), max_evaluations=max_evaluations,
                     progress=lambda name: err.print(f"simulating {name}"))
    with output_folder(out_dir, overwrite=False, what="calibration folder") as staging:
        (staging / "symptoms.toml").write_text(parameters_toml(result), encoding="utf-8")
        result.fit.to_csv(staging / "fit.csv", index=False)
    table = Table("target", "metric", "target value", "model", "loss", title=f"objective {result.objective_start:.3g} -> {result.objective:.3g}")
    for row in result.fit.itertuples():
        table.add_row(row.id, row.metric, f"{row.target:g}", f"{row.model:.3g}", f"{row.loss:.3g}")
    out.print(table)
    out.print(f"wrote {out_dir}/symptoms.toml (copy it to src/trdlab/library/clinical/parameters/ to adopt it)")


from trdlab.cli_biosignatures import biomarkers_app, signature_app  # noqa: E402 - after the main app

app.add_typer(biomarkers_app, name="biomarkers")
app.add_typer(signature_app, name="signature")

from trdlab.cli_sensitivity import sensitivity as _sensitivity  # noqa: E402

app.command("sensitivity")(_sensitivity)


def _fmt(value: object) -> str:
    return "-" if value is None else f"{value:.3g}"


def _usage(message: str) -> typer.BadParameter:
    return typer.BadParameter(message)


def _write_text(path: Path, text: str) -> None:
    from trdlab.errors import OutputError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror}); choose a writable path for --out") from exc


def main() -> None:
    """Entry point: run the app, turning trdlab errors into one line and a non-zero exit."""
    from trdlab.errors import TrdlabError

    try:
        code = app(standalone_mode=False)  # click returns (not raises) the code of typer.Exit here
        if isinstance(code, int) and code:
            sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (TrdlabError, ValueError, OSError, KeyError) as exc:
        if _state["debug"] or "--debug" in sys.argv:
            raise
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors (bad option, missing argument)
        if _state["debug"] or "--debug" in sys.argv:
            raise
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception as exc:  # anything unexpected: one line unless --debug
        if _state["debug"] or "--debug" in sys.argv:
            raise
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {exc} (run with --debug for the traceback)", highlight=False)
        sys.exit(1)
