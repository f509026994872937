"""The report's sensitivity section: the analyses of ``sensitivity.toml`` and the Ishigami check.

Each analysis (a headline readout, its ranges file and its sizes per report profile) runs through
:func:`trdlab.sensitivity.run.analyse` on the report's runner; its folder (ranges, Morris and Sobol
tables, figures) is written under ``sensitivity/``. The section opens with the check of the
same code on the Ishigami function against its analytic indices.
"""

from __future__ import annotations

import tomllib
from html import escape
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from trdlab.model.library import default_root
from trdlab.parallel import Runner
from trdlab.report import html
from trdlab.report.profiles import Profile
from trdlab.sensitivity.analysis import convergence
from trdlab.sensitivity.ranges import ALL_WITH_RANGES
from trdlab.sensitivity.run import analyse, write
from trdlab.sensitivity.setup import prepare
from trdlab.sensitivity.test_functions import Ishigami, ishigami_indices

ANALYSES = Path(__file__).with_name("sensitivity.toml")


class Sizes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trajectories: int = Field(ge=2)
    n: int = Field(ge=0)
    top: int = Field(ge=0)
    trial_n: int = Field(default=40, ge=10)


class Analysis(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    parameters: str
    experiment: str | None = None
    check: str | None = None
    design: str | None = None
    arm: str | None = None
    visit: str | None = None
    metric: str = "response_rate"
    sizes: dict[str, Sizes]


def load_analyses(path: Path = ANALYSES) -> list[Analysis]:
    """The analyses of ``sensitivity.toml``."""
    return [Analysis.model_validate(row) for row in tomllib.loads(path.read_text(encoding="utf-8"))["analysis"]]


def ranges_file(name: str) -> str:
    """A packaged ranges file by name (``library/sensitivity/<name>.toml``), or ``all-with-ranges``."""
    return name if name == ALL_WITH_RANGES else str(default_root() / "sensitivity" / f"{name}.toml")


def _ishigami(profile: Profile, runner: Runner) -> str:
    sizes = [64, 256, 1024] if profile.is_full else [64, 256]
    table = convergence(Ishigami(), Ishigami.problem(), sizes, seed=1, runner=runner)
    exact = ishigami_indices()
    rows = []
    for row in table.itertuples():
        i = int(row.name[1]) - 1
        rows.append((str(row.n), row.name, f"{row.S1:.3f} ± {row.S1_conf:.3f}", f"{exact['S1'][i]:.3f}",
                     f"{row.ST:.3f} ± {row.ST_conf:.3f}", f"{exact['ST'][i]:.3f}"))
    return ("<h3>Check: the same code on the Ishigami function</h3><p>Sobol indices of "
            "sin x1 + 7 sin² x2 + 0.1 x3⁴ sin x1 on [-π, π]³ estimated by the code that analyses the model "
            "(Saltelli sample, bootstrap 95 % half-widths) against the analytic values; the intervals shrink as n grows.</p>"
            + html.table(("n", "variable", "S1 estimated", "S1 analytic", "ST estimated", "ST analytic"), rows))


def sensitivity_section(folder: Path, runner: Runner, profile: Profile) -> str:
    """Run every analysis sized for ``profile``; write ``sensitivity/<id>/`` and return the section's HTML."""
    root = folder / "sensitivity"
    root.mkdir()
    parts = ["<p>Which parameters drive a prediction: Morris elementary effects on every ranged parameter, then "
             "Sobol first-order and total indices on the top ones by μ* (the others at their values). Parameters vary "
             "log-uniformly between value/F and value×F (the ranges files in <code>library/sensitivity/</code>; most say "
             "<i>assumed</i>: the literature gives no uncertainty) or over the central 95 % of a table row's cv. "
             "<code>trdlab sensitivity</code> runs the same analyses.</p>", _ishigami(profile, runner)]
    for analysis in load_analyses():
        sizes = analysis.sizes.get(profile.name)
        if sizes is None:
            parts.append(f"<h3>{escape(analysis.title)}</h3><p>Not run in profile {escape(profile.name)} "
                         "(see <code>report/sensitivity.toml</code>).</p>")
            continue
        evaluator, ranges, excluded = prepare(experiment=analysis.experiment, check=analysis.check, design=analysis.design,
                                              arm=analysis.arm, visit=analysis.visit, metric=analysis.metric,
                                              trial_n=sizes.trial_n, seed=1, parameters=ranges_file(analysis.parameters))
        method = "sobol" if sizes.n and sizes.top else "morris"
        result = analyse(evaluator, ranges, excluded=excluded, method=method, trajectories=sizes.trajectories,
                         n=max(sizes.n, 2), top=sizes.top, seed=1, runner=runner)
        write(result, root / analysis.id, manifest={"analysis": analysis.id, "profile": profile.name})
        top = result.morris.table.head(5)
        rows = [(r.name, f"{r.mu_star:.3g}", f"{r.sigma:.3g}") for r in top.itertuples()]
        parts.append(f"<h3>{escape(analysis.title)}</h3><p>Readout: {escape(result.label)}. {len(ranges)} parameters, "
                     f"Morris {sizes.trajectories} trajectories ({result.morris.runs} runs)"
                     + (f", Sobol n={result.sobol.n} on the top {sizes.top} ({result.sobol.runs} runs)" if result.sobol else "")
                     + ".</p>")
        parts.append(html.figure(f"sensitivity/{analysis.id}/morris.png", "Morris",
                                 "Simulated: μ* (mean absolute elementary effect per unit log-factor) against σ "
                                 "(non-linearity and interactions) for every ranged parameter; the largest μ* are named."))
        parts.append(html.table(("parameter", "μ*", "σ"), rows))
        if result.sobol is not None:
            parts.append(html.figure(f"sensitivity/{analysis.id}/sobol.png", "Sobol",
                                     "Simulated: first-order (S1) and total (ST) Sobol indices with 95 % bootstrap "
                                     "intervals; ST − S1 is the share carried by interactions."))
    return "".join(parts)
