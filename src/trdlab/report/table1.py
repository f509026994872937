"""Table 1 of the seed paper beside the model's answers (rendering only).

Each cell shows the paper's arrow with its reference numbers and the model's arrow and effect
size from experiment ``T1-<row>-<column>``; cells the paper leaves open ("?") are the model's
predictions and are highlighted.
"""

from __future__ import annotations

import tomllib
from html import escape
from pathlib import Path
from typing import Mapping

from trdlab.experiments.runner import ExperimentOutcome

LAYOUT = Path(__file__).resolve().parents[1] / "experiments" / "table_1_layout.toml"


def arrow(ratio: float, threshold: float = 0.10) -> str:
    """↑, ↓ or ↔ for a ratio against its reference (10 % effect size by default)."""
    if ratio >= 1 + threshold:
        return "↑"
    if ratio <= 1 - threshold:
        return "↓"
    return "↔"


def table1_html(outcomes: Mapping[str, ExperimentOutcome], layout: Path = LAYOUT) -> str:
    """The side-by-side table: paper vs model, one cell per (row, column)."""
    with open(layout, "rb") as handle:
        data = tomllib.load(handle)
    rows = data["row"]
    columns = [(str(c["key"]), str(c["title"])) for c in data["columns"]]
    head = "<tr><th>row</th>" + "".join(f"<th>{escape(title)}: paper</th><th>model</th>" for _, title in columns) + "</tr>"
    body = []
    for row in rows:
        cells = [f"<td>{escape(row['label'])}</td>"]
        for column, _ in columns:
            cells.append(f"<td>{escape(row['paper'][column])}</td>")
            cells.append(_model_cell(outcomes.get(f"T1-{row['key']}-{column}")))
        body.append("<tr>" + "".join(cells) + "</tr>")
    legend = ("<p>Model cells: arrow (10 % effect size), change vs the reference arm, verdict. "
              "<span class='prediction'>prediction</span> marks cells the paper leaves open or reports inconsistently.</p>")
    return legend + f"<table>{head}{''.join(body)}</table>"


def _model_cell(outcome: ExperimentOutcome | None) -> str:
    if outcome is None:
        return "<td class='pending'>pending</td>"
    if outcome.status == "error" or not outcome.measured:
        return "<td class='fail'>error</td>"
    ratio = float(next(iter(outcome.measured.values())))
    text = f"{arrow(ratio)} {100 * (ratio - 1):+.0f} %"
    return f"<td class='{escape(outcome.status)}'>{escape(text)} ({escape(outcome.status)})</td>"
