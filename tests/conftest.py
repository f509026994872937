"""Suite-wide hooks: the conformance summary lines."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "conformance"))

_NONMEM: dict[str, str] = {}


def pytest_runtest_logreport(report) -> None:  # type: ignore[no-untyped-def]
    if "test_nonmem_dosing.py::test_scenario[" in report.nodeid and (report.when == "call" or report.outcome != "passed"):
        _NONMEM[report.nodeid] = report.outcome


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if _NONMEM:
        matched = sum(outcome == "passed" for outcome in _NONMEM.values())
        terminalreporter.write_line(f"NONMEM dosing: {matched} of 29 scenarios match")
