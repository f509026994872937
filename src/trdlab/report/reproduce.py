"""`trdlab reproduce`: build every species' model, run the verification and the claims
ledger, draw the figures and write the report folder (atomically: a failed run leaves
the previous report untouched and no partial folder).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from html import escape
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress

from trdlab import __version__
from trdlab.dosing import protocols
from trdlab.atomic import output_folder
from trdlab.experiments.checks import evaluate, load_checks, load_figures
from trdlab.experiments.ledger import load_ledger
from trdlab.model.build import build_model
from trdlab.model.sbml_model import Model
from trdlab.report import html
from trdlab.report.figures import time_course
from trdlab.report.parameters import parameters_markdown
from trdlab.result import Result
from trdlab.simulate import simulate

GRID_STEP_H = 1.0 / 60.0  # one-minute output grid: the end of a 40-min infusion lies on it


def reproduce(out: Path, *, console: Console | None = None) -> Path:
    """Write the report into ``out`` (replacing an old one) and return its ``index.html``."""
    console = console or Console(stderr=True)
    with output_folder(out, overwrite=True, what="report folder") as staging:
        _write(staging, console)
    return out / "index.html"


def _write(folder: Path, console: Console) -> None:
    started = time.perf_counter()
    checks, figures, ledger = load_checks(), load_figures(), load_ledger()
    species = sorted({c.species for c in checks} | {f.species for f in figures})
    (folder / "models").mkdir()
    (folder / "parameters.md").write_text(parameters_markdown(), encoding="utf-8")
    (folder / "figures").mkdir()
    models: dict[str, Model] = {}
    runs: dict[tuple[object, ...], Result] = {}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("reproducing", total=len(species) + len(figures) + len(checks))
        for name in species:
            progress.update(task, description=f"building {name} model")
            models[name] = build_model(name)  # type: ignore[arg-type]
            (folder / "models" / f"{name}.xml").write_text(models[name].sbml, encoding="utf-8")
            progress.advance(task)

        def run(spec_species: str, protocol: str, options: tuple[tuple[str, str], ...], until: float) -> Result:
            key = (spec_species, protocol, options, until)
            if key not in runs:
                regimen = protocols.PROTOCOLS[protocol](species=spec_species, **dict(options))  # type: ignore[operator]
                times = np.arange(0.0, until + GRID_STEP_H / 2, GRID_STEP_H)
                runs[key] = simulate(models[spec_species], regimen, times)
            return runs[key]

        figure_html = []
        for spec in figures:
            progress.update(task, description=f"figure {spec.id}")
            result = run(spec.species, spec.protocol, spec.options, spec.until_h)
            path = time_course(
                result.to_frame(), spec.panels, spec.title, folder / "figures" / f"{spec.id}.png", units=dict(result.units)
            )
            figure_html.append(f"<h3>{escape(spec.title)}</h3><img src='figures/{path.name}' alt='{escape(spec.title)}'>")
            progress.advance(task)
        outcomes = []
        for check in checks:
            progress.update(task, description=f"check {check.id}")
            outcomes.append(evaluate(check, run(check.species, check.protocol, check.options, check.until_h)))
            progress.advance(task)
    check_rows = [
        (o.check.id, o.check.title, o.check.expected_text, o.detail, html.verdict(o.verdict), o.check.citation)
        for o in outcomes
    ]
    ledger_rows = [(c.id, c.section, c.claim, c.protocol, c.expected, html.verdict("pending")) for c in ledger]
    model_rows = [
        (name, m.name, str(len(m.species)), str(len(m.parameters)), m.sha256[:16]) for name, m in models.items()
    ]
    sections = [
        html.Section("Models", html.table(("species", "model id", "species", "parameters", "SBML sha256"), model_rows)
                     + "<p>SBML files are in <code>models/</code>; every parameter carries its source as a MIRIAM annotation. "
                     "The parameter tables with units, sources and derivations are in <a href='parameters.md'>parameters.md</a>.</p>"),
        html.Section("Pharmacokinetics", "".join(figure_html)),
        html.Section("Verification against the literature",
                     html.table(("id", "check", "expected", "simulated", "verdict", "source"), check_rows, raw_columns=(4,))),
        html.Section("Claims ledger",
                     f"<p>{len(ledger)} claims of Zarate et al. 2013. Each becomes an experiment run on the model's own "
                     "simulation; claims whose experiment is not built yet are reported as <span class='pending'>pending</span>.</p>"
                     + html.table(("id", "section", "claim", "protocol", "expected", "status"), ledger_rows, raw_columns=(5,))),
    ]
    intro = (f"<p>trdlab {escape(__version__)} — in-silico reproduction of Zarate, Duman, Liu, Sartori, Quiroz &amp; Murck (2013), "
             "<i>New paradigms for treatment-resistant depression</i>, Ann N Y Acad Sci 1292:21-31.</p>")
    (folder / "index.html").write_text(html.page("trdlab report", intro, sections), encoding="utf-8")
    summary = {
        "trdlab_version": __version__,
        "wall_time_s": time.perf_counter() - started,
        "models": {name: m.sha256 for name, m in models.items()},
        "checks": [{"id": o.check.id, "status": o.verdict, "measured": o.measured, "expected": o.check.expected_text,
                    "citation": o.check.citation} for o in outcomes],
        "claims": [dict(asdict(c), status="pending") for c in ledger],
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")

