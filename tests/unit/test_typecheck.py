"""The type checker passes on src/trdlab, and ``# type: ignore`` comments do not grow.

mypy runs with the settings of ``[tool.mypy]`` in pyproject.toml, through its API, so that
``make test`` (pytest) is the one command that checks types too.
"""

from __future__ import annotations

import re
from pathlib import Path

import mypy.api
import pytest

ROOT = Path(__file__).resolve().parents[2]

TYPE_IGNORE_CEILING = 13
"""``# type: ignore`` comments in src/ when this test was written. It may only be lowered:
when you remove ignores, lower it to the new count; never raise it (fix the type instead)."""

_TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore")


def test_mypy_finds_no_errors_in_src(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    plugins = request.config.pluginmanager
    cache = request.config.cache.mkdir("mypy") if plugins.has_plugin("cacheprovider") and request.config.cache else tmp_path
    stdout, stderr, status = mypy.api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(cache), str(ROOT / "src" / "trdlab")]
    )
    assert status == 0, f"mypy (settings: [tool.mypy] in pyproject.toml) reports:\n{stdout}{stderr}"


def test_type_ignore_comments_do_not_exceed_the_ceiling() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _TYPE_IGNORE.search(line)
    ]
    assert len(found) <= TYPE_IGNORE_CEILING, (
        f"{len(found)} '# type: ignore' comments in src/, ceiling {TYPE_IGNORE_CEILING}; fix the types "
        "instead of silencing them:\n" + "\n".join(found)
    )


BACKLOG_CEILING = 10
"""Modules exempted by the backlog override of [tool.mypy] in pyproject.toml; may only be lowered."""


def test_the_type_checking_backlog_does_not_grow() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    exempt = [m for o in config.get("overrides", []) if o.get("ignore_errors") for m in o["module"]]
    assert len(exempt) <= BACKLOG_CEILING, exempt
