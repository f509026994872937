"""Table 1 rendering: arrows from ratios, one cell per (row, column), predictions marked."""

from __future__ import annotations

import tomllib

import pytest

from trdlab.experiments.loading import load_experiments
from trdlab.report.table1 import LAYOUT, arrow, table1_html


@pytest.mark.parametrize(("ratio", "expected"), [(1.10, "↑"), (1.5, "↑"), (0.90, "↓"), (0.2, "↓"), (1.0, "↔"), (1.099, "↔"), (0.901, "↔")])
def test_arrow_uses_the_ledger_effect_size(ratio: float, expected: str) -> None:
    assert arrow(ratio) == expected


def test_every_cell_of_the_layout_has_an_experiment() -> None:
    with open(LAYOUT, "rb") as handle:
        rows = tomllib.load(handle)["row"]
    ids = {e.id for e in load_experiments()}
    columns = [c["key"] for c in tomllib.loads(LAYOUT.read_text(encoding="utf-8"))["columns"]]
    cells = {f"T1-{row['key']}-{column}" for row in rows for column in columns}
    assert len(cells) == 33 and cells <= ids


def test_open_cells_are_predictions_and_arrows_are_judged() -> None:
    with open(LAYOUT, "rb") as handle:
        rows = {row["key"]: row for row in tomllib.load(handle)["row"]}
    for experiment in load_experiments():
        if not experiment.id.startswith("T1-"):
            continue
        _, key, column = experiment.id.split("-", 2)
        paper = rows[key]["paper"][column]
        assert (experiment.kind == "prediction") == (paper == "?" or "/" in paper), experiment.id


def test_table_without_outcomes_shows_pending_cells() -> None:
    html = table1_html({})
    assert html.count("class='pending'") == 33 and "NR2B" in html
