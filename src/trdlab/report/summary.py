"""The report's opening summary: the claims ledger counted by section and by kind, and the headlines.

A reader learns on the first screen how many claims hold, which of the passes are validation (no
parameter was fitted to them) and which only show a fit, what is a prediction or still pending, and
where each layer's results are (links to the report's sections).
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Sequence

from trdlab.experiments.ledger import Claim
from trdlab.experiments.runner import ExperimentOutcome
from trdlab.report import html

COLUMNS = ("pass (validation)", "pass (calibration)", "fail", "prediction", "error", "pending")


def _column(outcome: ExperimentOutcome | None) -> str:
    if outcome is None:
        return "pending"
    if outcome.status == "pass":
        return "pass (validation)" if outcome.kind == "validation" else "pass (calibration)"
    return outcome.status


def summary_html(ledger: Sequence[Claim], results: Sequence[ExperimentOutcome], links: dict[str, str]) -> str:
    """Counts by ledger section x verdict (validation vs calibration passes apart), then the headlines."""
    by_id = {o.id: o for o in results}
    counts: Counter[tuple[str, str]] = Counter((c.section, _column(by_id.get(c.id))) for c in ledger)
    sections = list(dict.fromkeys(c.section for c in ledger))
    rows = [(section, *(str(counts[(section, col)]) for col in COLUMNS), str(sum(counts[(section, c)] for c in COLUMNS)))
            for section in sections]
    totals = [sum(counts[(s, col)] for s in sections) for col in COLUMNS]
    rows.append(("all", *(str(t) for t in totals), str(sum(totals))))
    parts = [f"<p>{len(ledger)} claims of the paper, each an experiment run on the model's own simulation. "
             "A pass is <i>validation</i> when no parameter was fitted to it and <i>calibration</i> when one was "
             "(it then shows the fit, not a prediction).</p>",
             html.table(("section", *COLUMNS, "claims"), rows)]
    failing = [o for o in results if o.status == "fail"]
    lines = [f"<li>Mechanism and Table 1: <a href='{links['table1']}'>Table 1 side by side</a>, every experiment in "
             f"<a href='{links['experiments']}'>Experiments</a> with its figure.</li>",
             f"<li>Virtual trials: the built-in designs with their published numbers in "
             f"<a href='{links['trials']}'>Virtual trials</a>.</li>"]
    development = [o for o in results if o.id.startswith("D")]
    if development:
        words = ", ".join(f"<a href='#{escape(o.id)}'>{escape(o.id)}</a> {html.verdict(o.status)}" for o in development)
        lines.append(f"<li>Drug development (compounds as data, <code>trdlab screen</code>): {words}.</li>")
    if failing:
        words = ", ".join(f"<a href='#{escape(o.id)}'>{escape(o.id)}</a>" for o in failing)
        lines.append(f"<li>Failing claims, each with the reason recorded in its experiment: {words}.</li>")
    parts.append("<ul>" + "".join(lines) + "</ul>")
    return "".join(parts)
