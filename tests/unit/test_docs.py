"""The committed parameter documentation is the one the library generates now."""

from pathlib import Path

from trdlab.report.parameters import parameters_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"


def test_parameter_docs_are_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == parameters_markdown(), "run `make docs` and commit docs/parameters.md"


def test_parameter_docs_list_every_species_set() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for species in ("human", "rat", "mouse"):
        assert f"## Parameters: {species}" in text
