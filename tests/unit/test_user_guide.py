"""The user guide (mkdocs): the site builds strictly (no broken link), every Python block runs, every
TOML block is valid for the file it shows, and the generated reference pages are current."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from trdlab.report.ledger_docs import ledger_markdown

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for lang, body in BLOCK.findall(page.read_text(encoding="utf-8")):
            if lang == language:
                found.append((page.relative_to(DOCS).as_posix(), body))
    return found


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "index.html").is_file() and (tmp_path / "guide" / "compounds" / "index.html").is_file()


def test_the_generated_ledger_page_is_current() -> None:
    assert (DOCS / "ledger.md").read_text(encoding="utf-8") == ledger_markdown(), "run `make docs`"


def test_every_block_has_a_language() -> None:
    for page in sorted(DOCS.rglob("*.md")):
        assert not re.search(r"^```\n(?!\s*$)", page.read_text(encoding="utf-8"), re.M), page  # marked blocks only
    assert {lang for page in DOCS.rglob("*.md") for lang, _ in BLOCK.findall(page.read_text(encoding="utf-8"))} \
        <= {"python", "toml", "bash"}  # python runs here, toml is validated, bash is marked as not executed


@pytest.mark.parametrize(("page", "code"), blocks("python"), ids=lambda value: value if value.endswith(".md") else "")
def test_every_python_block_runs(page: str, code: str, tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         encoding="utf-8", timeout=600)
    assert run.returncode == 0, f"{page}: {run.stderr[-2000:]}"


@pytest.mark.parametrize(("page", "text"), blocks("toml"), ids=lambda value: value if value.endswith(".md") else "")
def test_every_toml_block_is_valid_for_its_file(page: str, text: str, tmp_path: Path) -> None:
    data = tomllib.loads(text)
    if "molar_mass" in data:  # a compound file
        from trdlab.compounds.catalogue import compound_problems

        path = tmp_path / f"{data['name']}.toml"
        path.write_text(text, encoding="utf-8")
        assert compound_problems(path) == []
    elif "arms" in data:  # a trial design
        from trdlab.trials.design import validate_design

        assert validate_design(data, page) == []
    elif all(isinstance(row, dict) and "reason" in row for row in data.values()):  # a sensitivity ranges file
        from trdlab.sensitivity.ranges import RangeRow

        for row in data.values():
            RangeRow.model_validate(row)
    else:  # parameter rows
        from trdlab.model.library import ParameterRowFile

        for row in data.values():
            ParameterRowFile.model_validate(row)
