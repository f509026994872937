"""`trdlab reproduce`: build every species' model, run the verification and the claims
ledger, draw the figures and write the report folder (atomically: a failed run leaves
the previous report untouched and no partial folder).

Every core is used by default: one :class:`~trdlab.parallel.Runner` (worker processes started
once) serves the whole run: the mechanistic experiments are independent tasks, the virtual
patients of the trials are simulated in chunks. A profile (:mod:`trdlab.report.profiles`) sizes
the run: ``full`` is the paper, ``small`` the same pipeline on fewer subjects.
"""

from __future__ import annotations

from typing import Any

import json
import time
from dataclasses import asdict
from html import escape
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress

from trdlab import __version__
from trdlab.dosing import catalog, constructors
from trdlab.atomic import output_folder
from trdlab.experiments.ledger import load_ledger
from trdlab.experiments.loading import load_experiments
from trdlab.experiments.runner import ExperimentOutcome, run_experiments
from trdlab.experiments.tally import Tally, tally
from trdlab.model.build import build_model
from trdlab.model.sbml_model import Model
from trdlab.parallel import Runner, Workers
from trdlab.report import html
from trdlab.report.profiles import Profile, load_profile
from trdlab.report.biosignatures import biosignature_section
from trdlab.report.figures import plt, time_course
from trdlab.report.sensitivity import sensitivity_section
from trdlab.report.summary import summary_html
from trdlab.report.parameters import parameters_markdown
from trdlab.report.pk_figures import load_figures
from trdlab.report.table1 import table1_html
from trdlab.result import Result
from trdlab.simulate import simulate
from trdlab.trials.design import builtin_designs, load_design
from trdlab.trials.output import write_trial
from trdlab.trials.run import run_trial

GRID_STEP_H = 1.0 / 60.0  # one-minute output grid: the end of a 40-min infusion lies on it


def reproduce(out: Path, *, console: Console | None = None, profile: str | Profile = "full",
              workers: Workers = "auto", scheduler: str | None = None) -> Path:
    """Write the report into ``out`` (replacing an old one) and return its ``index.html``.

    Args:
        out: the report folder.
        console: where progress goes (default: stderr).
        profile: a profile name of ``report/profiles.toml`` (or a :class:`Profile`).
        workers: local processes (``"auto"``: every core; 1: serial). The report does not depend on it.
        scheduler: a Dask scheduler address instead of local processes.
    """
    console = console or Console(stderr=True)
    chosen = load_profile(profile) if isinstance(profile, str) else profile
    with Runner(workers, scheduler) as runner, output_folder(out, overwrite=True, what="report folder") as staging:
        _write(staging, console, chosen, runner)
    return out / "index.html"


def _write(folder: Path, console: Console, profile: Profile, runner: Runner) -> None:
    started = time.perf_counter()
    figures, ledger, experiments = load_figures(), load_ledger(), load_experiments()
    if profile.experiments is not None:
        wanted = set(profile.experiments)
        experiments = tuple(e for e in experiments if e.id in wanted or e.verification)
    species = sorted({e.species for e in experiments if e.verification} | {f.species for f in figures})
    (folder / "models").mkdir()
    (folder / "parameters.md").write_text(parameters_markdown(), encoding="utf-8")
    (folder / "figures").mkdir()
    models: dict[str, Model] = {}
    runs: dict[tuple[object, ...], Result] = {}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("reproducing", total=len(species) + len(figures) + len(experiments))

        def show(description: str, **fields: Any) -> None:
            """Update the bar; in a log or a CI job (no terminal) also print a plain line."""
            progress.update(task, description=description, **fields)
            if not console.is_terminal:
                state = progress.tasks[0]
                console.print(f"reproduce: [{int(state.completed)}/{int(state.total or 0)}] {description}",
                              highlight=False, markup=False)

        for name in species:
            show(f"building {name} model")
            models[name] = build_model(name)  # type: ignore[arg-type]
            (folder / "models" / f"{name}.xml").write_text(models[name].sbml, encoding="utf-8")
            progress.advance(task)

        def run(spec_species: str, protocol: str, options: tuple[tuple[str, str], ...], until: float) -> Result:
            key = (spec_species, protocol, options, until)
            if key not in runs:
                regimen = catalog.PROTOCOLS[protocol](species=spec_species, **dict(options))
                times = np.arange(0.0, until + GRID_STEP_H / 2, GRID_STEP_H)
                runs[key] = simulate(models[spec_species], regimen, times)
            return runs[key]

        figure_html = []
        for spec in figures:
            show(f"figure {spec.id}")
            result = run(spec.species, spec.protocol, spec.options, spec.until_h)
            path = time_course(
                result.to_frame(), spec.panels, spec.title, folder / "figures" / f"{spec.id}.png", units=dict(result.units)
            )
            caption = (f"Simulated: the {spec.species} model under {_dose_text(spec.protocol, '0 h', spec.options)}, "
                       f"{spec.until_h:g} h. Compare with the published PK values of the verification checks below.")
            figure_html.append(f"<h3>{escape(spec.title)}</h3>" + html.figure(f"figures/{path.name}", spec.title, caption))
            progress.advance(task)
        base = progress.tasks[0].completed

        def step(done: int, total: int, ident: str) -> None:
            show(f"experiment {ident}" if ident else "report", completed=base + done)

        everything = run_experiments(progress=step, experiments=experiments, models=models, runner=runner,
                                     trial_n=profile.trial_n)
        show("virtual trials")
        trial_html = _trials_section(folder, runner, profile)
        show("sensitivity analyses")
        sensitivity_html = sensitivity_section(folder, runner, profile)
    verification = [o for o in everything if o.experiment is not None and o.experiment.verification]
    results = [o for o in everything if o not in verification]
    claim_text = {c.id: c.claim for c in ledger}
    experiment_html = "".join(_clinical_section(o, claim_text) if o.experiment is not None and o.experiment.cohorts
                              else _experiment_section(o, folder / "figures", claim_text) for o in results)
    status = {o.id: o.status for o in results}
    check_rows = [
        (o.id, c.label, c.expected, f"{c.value:.4g}", html.verdict("pass" if c.passed else "fail"), o.citation)
        for o in verification for c in o.checks
    ] + [(o.id, o.title, o.expected, o.reason or "", html.verdict("error"), o.citation)
         for o in verification if o.status == "error"]
    counts = tally(results)
    ledger_rows = [(c.id, c.section, c.claim, c.protocol, c.expected, html.verdict(status.get(c.id, "pending")))
                   for c in ledger]
    model_rows = [  # the species' own models (written to models/); experiments compose catalogue compounds on top
        (name, m.name, str(len(m.species)), str(len(m.parameters)), m.sha256[:16]) for name, m in models.items()
        if name in species
    ]
    composed = sorted(name for name in models if name not in species)
    links = {"table1": "#table1", "experiments": "#experiments", "trials": "#trials", "ledger": "#ledger"}
    sections = [
        html.Section("Summary", summary_html(ledger, results, links), "summary"),
        html.Section("Models", html.table(("species", "model id", "species", "parameters", "SBML sha256"), model_rows)
                     + (f"<p>Models with generated catalogue compounds, built for the experiments that dose them: "
                        f"{escape(', '.join(composed))}.</p>" if composed else "")
                     + "<p>SBML files are in <code>models/</code>; every parameter carries its source as a MIRIAM annotation. "
                     "The parameter tables with units, sources and derivations are in <a href='parameters.md'>parameters.md</a>.</p>"),
        html.Section("Pharmacokinetics", "".join(figure_html)),
        html.Section("Verification against the literature",
                     html.table(("id", "check", "expected", "simulated", "verdict", "source"), check_rows, raw_columns=(4,))),
        html.Section("Table 1: depression, magnesium and ketamine side by side", table1_html({o.id: o for o in results}),
                     "table1"),
        html.Section("Virtual trials", trial_html, "trials"),
        html.Section("Sensitivity: which parameters drive the predictions", sensitivity_html, "sensitivity"),
        html.Section("Bio-signatures", biosignature_section([o for o in results if o.signatures], folder / "figures"),
                     "biosignatures"),
        html.Section("Experiments",
                     f"<p>{len(results)} experiment(s), each run on the model's own simulation "
                     "(nothing is read back from the expected values).</p>" + _evidence_html(counts, results)
                     + experiment_html, "experiments"),
        html.Section("Claims ledger",
                     f"<p>{len(ledger)} claims of Zarate et al. 2013. Each becomes an experiment run on the model's own "
                     "simulation; claims without an experiment yet are reported as <span class='pending'>pending</span>.</p>"
                     + html.table(("id", "section", "claim", "protocol", "expected", "status"), ledger_rows, raw_columns=(5,)),
                     "ledger"),
    ]
    intro = (f"<p>trdlab {escape(__version__)} — in-silico reproduction of Zarate, Duman, Liu, Sartori, Quiroz &amp; Murck (2013), "
             "<i>New paradigms for treatment-resistant depression</i>, Ann N Y Acad Sci 1292:21-31.</p>"
             f"<p class='profile'>Profile <b>{escape(profile.name)}</b>: {escape(profile.description)}."
             + ("" if profile.is_full else " Its verdicts are those of its own cohort sizes, not the paper's: "
                "<code>make run</code> (profile full) is the reproduction.") + "</p>")
    (folder / "index.html").write_text(html.page("trdlab report", intro, sections), encoding="utf-8")
    summary = {
        "trdlab_version": __version__,
        "profile": {"name": profile.name, "trial_n": profile.trial_n,
                    "experiments": None if profile.experiments is None else list(profile.experiments),
                    "designs": None if profile.designs is None else list(profile.designs)},
        "workers": runner.describe(),
        "wall_time_s": time.perf_counter() - started,
        "models": {name: m.sha256 for name, m in models.items()},
        "checks": [dict(o.record(), title=o.title) for o in verification],
        "experiments": [dict(o.record(), title=o.title) for o in results],
        "tally": counts.record(),
        "claims": [dict(asdict(c), status=status.get(c.id, "pending")) for c in ledger],
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")


def _evidence_html(counts: Tally, results: list[ExperimentOutcome]) -> str:
    """What the passes are evidence of: validation vs calibration, counted separately."""
    fitted = [o.id for o in results if o.kind == "calibration"]
    return (f"<p><b>Evidence:</b> {escape(counts.text())}.</p>"
            "<p>A check is <i>calibration</i> when a parameter row names it (or its experiment) in "
            "<code>fitted_to</code>: its pass shows the fit, not a prediction. Every other check is "
            "<i>validation</i>. The kinds are derived from the parameter tables, never written by hand. "
            f"Experiments with calibration checks: {escape(', '.join(fitted) or 'none')}.</p>")


def _experiment_section(outcome: ExperimentOutcome, figures: Path, claims: dict[str, str]) -> str:
    """One experiment: the claim, what was simulated, measured vs expected, the verdict and its figure."""
    spec = outcome.experiment
    assert spec is not None
    arms = [(a.name, "; ".join(_dose_text(d.protocol or d.drug or "", d.at, d.options) for d in a.doses) or "no doses",
             a.genotype or "", ", ".join(f"{k} = {v:g}" for k, v in a.parameters)) for a in spec.arms]
    checks = [(c.label, c.kind, c.expected, f"{c.value:.4g}", html.verdict("prediction" if c.passed is None else
                                                                           "pass" if c.passed else "fail"))
              for c in outcome.checks]
    parts = [
        f"<h3 id='{escape(spec.id)}'>{escape(spec.id)}: {escape(spec.title)} — {html.verdict(outcome.status)}</h3>",
        f"<p><b>Claim:</b> {escape(claims.get(spec.id, ''))} <b>Source:</b> {escape(spec.citation)} "
        f"({escape(spec.kind)}). <b>Simulated:</b> {escape(spec.species)} model, {escape(spec.until)} on a "
        f"{escape(spec.step)} grid.</p>",
        html.table(("arm", "doses", "genotype", "parameters"), arms),
    ]
    if outcome.reason:
        parts.append(_reason(outcome))
    if checks:
        parts.append(html.table(("readout", "kind", "expected", "measured", "verdict"), checks, raw_columns=(4,)))
    if outcome.results:
        path = _experiment_figure(outcome, figures / f"experiment_{spec.id}.png")
        caption = (f"Simulated: every arm of {spec.id} on the {spec.species} model ({spec.until}). Compare each arm "
                   "with its reference arm at the times of the checks above (the expectation is in the table).")
        parts.append(html.figure(f"figures/{path.name}", spec.title, caption))
    return "".join(parts)


def _reason(outcome: ExperimentOutcome) -> str:
    """Why a claim failed (its recorded discrepancy) or why it could not run (error)."""
    label = "why the model fails this claim" if outcome.status == "fail" else "error"
    return f"<p class='fail'>{label}: {escape(outcome.reason or '')}</p>"


def _clinical_section(outcome: ExperimentOutcome, claims: dict[str, str]) -> str:
    """A clinical experiment (virtual trial): claim, checks, verdict."""
    cohorts = outcome.experiment.cohorts if outcome.experiment is not None else ()
    checks = [(c.label, c.kind, c.expected, f"{c.value:.4g}", html.verdict("pass" if c.passed else "fail"))
              for c in outcome.checks]
    parts = [f"<h3 id='{escape(outcome.id)}'>{escape(outcome.id)}: {escape(outcome.title)} — {html.verdict(outcome.status)}</h3>",
             f"<p><b>Claim:</b> {escape(claims.get(outcome.id, ''))} <b>Source:</b> {escape(outcome.citation)} "
             f"({escape(outcome.kind)}). <b>Simulated:</b> virtual trials on the human model "
             f"({escape(', '.join(f'{c.name}: {c.design}, n = {c.n}' for c in cohorts))}).</p>"]
    if outcome.reason:
        parts.append(_reason(outcome))
    if checks:
        parts.append(html.table(("readout", "kind", "expected", "measured", "verdict"), checks, raw_columns=(4,)))
    return "".join(parts)


TRIAL_CAPTIONS = {
    "trajectory.png": "Simulated: mean total score per arm and visit with its 95 % band (virtual patients of the design). "
                      "Compare the gap between arms with the published effect (tables below).",
    "response.png": "Simulated response and remission rates per arm and visit (bars); black diamonds: the published "
                    "rates where the paper reports them (library/clinical/targets.toml).",
    "relapse.png": "Simulated: Kaplan-Meier probability of keeping response after the first response, per arm, "
                   "with 95 % bands.",
}
"""What each trial figure shows and what to compare it with."""


def _trials_section(folder: Path, runner: Runner, profile: Profile) -> str:
    """Run every built-in design (its own n, seed 1); write each trial folder under trials/ and show its figures."""
    size = "its own n" if profile.trial_n is None else f"at most {profile.trial_n} subjects (profile {profile.name})"
    command = "trdlab trial run NAME" + ("" if profile.trial_n is None else " --n N")
    parts = [f"<p>Each built-in design is run with {escape(size)} and seed 1 (<code>{escape(command)}</code> gives the "
             "same numbers); subject tables, summaries and figures are in <code>trials/</code>.</p>"]
    (folder / "trials").mkdir()
    names = builtin_designs() if profile.designs is None else [d for d in builtin_designs() if d in profile.designs]
    for name in names:
        design = load_design(name)
        n = None if profile.trial_n is None else min(profile.trial_n, design.n)
        result = run_trial(design, seed=1, n=n, runner=runner)
        write_trial(result, folder / "trials" / name)
        rows = [(c["visit"], _number(c["effect_size_d"]["estimate"]), _number(c["mean_difference"]["estimate"]),
                 _number(c["p_value"]), _number(c["odds_ratio_response"]["estimate"]))
                for c in result.summary["contrasts"]]
        rates = [(arm, visit, str(v["n"]), _number(v["mean"]), _number(v["pct_change"]), _number(v["response_rate"]),
                  _number(v["remission_rate"])) for arm, info in result.summary["arms"].items()
                 for visit, v in info["visits"].items()]
        parts.append(f"<h3>{escape(name)}: {escape(result.design.title)}</h3>")
        parts.append("".join(html.figure(f"trials/{name}/{png}", png, TRIAL_CAPTIONS[png]) for png in TRIAL_CAPTIONS
                             if (folder / "trials" / name / png).exists()))
        parts.append(html.table(("visit", "effect size d", "mean difference (MMRM)", "p", "odds ratio response"), rows))
        parts.append(html.table(("arm", "visit", "n", "mean", "improvement", "response", "remission"), rates))
    return "".join(parts)


def _number(value: object) -> str:
    return "-" if value is None else f"{value:.3g}"


def _dose_text(what: str, at: str, options: tuple[tuple[str, object], ...]) -> str:
    return f"{what} ({', '.join(f'{k} {v}' for k, v in options)}) at {at}"


def _experiment_figure(outcome: ExperimentOutcome, path: Path) -> Path:
    """One panel per figure observable, every arm overlaid, up to the figure's ``until``."""
    spec = outcome.experiment
    assert spec is not None
    names = spec.figure.observables
    end = constructors.hours(spec.figure.until, "until")
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        for arm, result in outcome.results.items():
            keep = result.times <= end + 1e-9
            ax.plot(result.times[keep], result.column(name)[keep], label=arm)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("time (h)")
        ax.set_ylabel(dict(next(iter(outcome.results.values())).units).get(name, "value"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{spec.id}: {spec.title}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

