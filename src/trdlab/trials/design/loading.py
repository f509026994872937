"""Reading designs: the built-in ones by name, a user's file by path, or a mapping."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Mapping

from trdlab.errors import TrialError
from trdlab.trials.design.checks import DESIGNS_DIR, resolve_population, validate_mapping
from trdlab.trials.design.model import TrialDesign


def builtin_designs() -> dict[str, Path]:
    """The packaged designs (``trials/designs/*.toml``) by name."""
    return {path.stem: path for path in sorted(DESIGNS_DIR.glob("*.toml"))}


def validate_design(mapping: Mapping[str, object], source: str | Path = "<mapping>") -> list[str]:
    """Every problem of a design mapping, one line each (``field: problem; fix``); empty when sound."""
    return validate_mapping(mapping, str(source))[1]


def design_from_mapping(mapping: Mapping[str, object], source: str | Path = "<mapping>") -> TrialDesign:
    """Validate and build a design; raises one :class:`TrialError` listing every problem."""
    parsed, problems = validate_mapping(mapping, str(source))
    if problems or parsed is None:
        listing = "\n".join(f"  {p}" for p in problems)
        raise TrialError(f"trial design {str(source)!r} has {len(problems)} problem(s):\n{listing}")
    return parsed.value(str(source), resolve_population(parsed.population, str(source)))


def load_design(path_or_name: str | Path) -> TrialDesign:
    """Load a built-in design by name (:func:`builtin_designs`) or a design TOML file by path."""
    builtins = builtin_designs()
    if isinstance(path_or_name, str) and path_or_name in builtins:
        path = builtins[path_or_name]
    else:
        path = Path(path_or_name)
        if not path.is_file():
            raise TrialError(
                f"design: {str(path_or_name)!r} is neither a built-in design ({', '.join(builtins)}) "
                "nor an existing TOML file; give a built-in name or a path"
            )
    try:
        mapping = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TrialError(f"trial design {str(path)!r} is not valid TOML ({exc}); fix its syntax") from exc
    return design_from_mapping(mapping, path)
