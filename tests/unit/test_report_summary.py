"""The report's opening summary counts the ledger by section and verdict, validation apart from calibration."""

from __future__ import annotations

import re

from trdlab.experiments.ledger import Claim
from trdlab.experiments.runner import ExperimentOutcome
from trdlab.report.summary import summary_html

LINKS = {"table1": "#table1", "experiments": "#experiments", "trials": "#trials", "ledger": "#ledger"}


def _claim(ident: str, section: str) -> Claim:
    return Claim(id=ident, section=section, claim="c", protocol="p", expected="e")


def _outcome(ident: str, status: str, kind: str) -> ExperimentOutcome:
    return ExperimentOutcome(id=ident, title="t", status=status, measured={}, expected="", citation="", kind=kind)  # type: ignore[arg-type]


def _row(text: str, section: str) -> list[int]:
    match = re.search(rf"<tr><td>{section}</td>((?:<td>\d+</td>)+)</tr>", text)
    assert match, section
    return [int(x) for x in re.findall(r"<td>(\d+)</td>", match.group(1))]


def test_counts_by_section_and_kind() -> None:
    ledger = [_claim("P01", "preclinical"), _claim("P02", "preclinical"), _claim("P03", "preclinical"),
              _claim("C01", "clinical"), _claim("D01", "drug development"), _claim("D02", "drug development")]
    results = [_outcome("P01", "pass", "validation"), _outcome("P02", "pass", "calibration"),
               _outcome("P03", "fail", "validation"), _outcome("D01", "prediction", "prediction")]
    text = summary_html(ledger, results, LINKS)
    # columns: pass (validation), pass (calibration), fail, prediction, error, pending, claims
    assert _row(text, "preclinical") == [1, 1, 1, 0, 0, 0, 3]
    assert _row(text, "clinical") == [0, 0, 0, 0, 0, 1, 1]
    assert _row(text, "drug development") == [0, 0, 0, 1, 0, 1, 2]
    assert _row(text, "all") == [1, 1, 1, 1, 0, 2, 6]
    assert "href='#P03'" in text and "href='#D01'" in text and "href='#table1'" in text
