"""Conformance suites: print ``SBML semantic: N passed, M failed[, K unsupported]`` and
``NONMEM dosing: N of 29 scenarios match`` at the end of the run."""

from __future__ import annotations

import sys
from pathlib import Path

# Let the test modules import their helper (sbml_suite) without a package __init__.
sys.path.insert(0, str(Path(__file__).resolve().parent))

_SEMANTIC = "test_sbml_semantic.py::"
_NONMEM = "test_nonmem_dosing.py::test_scenario["
_status: dict[str, str] = {}
_nonmem: dict[str, bool] = {}


def pytest_runtest_logreport(report) -> None:
    if _NONMEM in report.nodeid:
        if report.when == "call" or not report.passed:
            _nonmem[report.nodeid] = _nonmem.get(report.nodeid, True) and report.passed
        return
    if _SEMANTIC not in report.nodeid:
        return
    if report.failed or hasattr(report, "wasxfail"):
        _status[report.nodeid] = "failed"  # an expected failure is still not a pass
    elif report.skipped:
        _status[report.nodeid] = "unsupported"
    elif report.when == "call" and _status.get(report.nodeid) != "failed":
        _status[report.nodeid] = "passed"


def pytest_terminal_summary(terminalreporter) -> None:
    if _nonmem:
        terminalreporter.write_line(f"NONMEM dosing: {sum(_nonmem.values())} of 29 scenarios match")
    if not _status:
        return
    counts = {key: list(_status.values()).count(key) for key in ("passed", "failed", "unsupported")}
    line = f"SBML semantic: {counts['passed']} passed, {counts['failed']} failed"
    if counts["unsupported"]:
        line += f", {counts['unsupported']} unsupported"
    terminalreporter.write_line(line)
