"""SBML Test Suite semantic cases (shared/conformance/sbml-semantic), one test per case.

Each case runs through the public API (``Model.from_sbml`` and ``simulate``) on every registered
engine (``trdlab.engines.ENGINES``; a case whose tags the engine declares unsupported is skipped as
unsupported) and must match the case's expected time course within the case's
own tolerances; see ``sbml_suite.py``. A missing suite folder fails, it never skips.
"""

from __future__ import annotations

import pytest

from sbml_suite import SUITE, discover, run_case

from trdlab.engines import engine_names

try:
    CASES = [pytest.param(case, id=case.id) for case in discover()]
except FileNotFoundError as exc:
    MISSING = str(exc)
    CASES = [pytest.param(None, id="suite-missing")]
else:
    MISSING = ""


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("engine", engine_names())
def test_sbml_semantic_case(engine, case) -> None:
    if case is None:
        pytest.fail(MISSING, pytrace=False)
    outcome = run_case(case, engine)
    if outcome.status == "unsupported":
        pytest.skip(f"case {case.id} unsupported: {outcome.reason}")
    if not outcome.passed:
        pytest.fail(f"SBML case {case.id} ({SUITE.name}) failed: {outcome.reason}", pytrace=False)
