"""The engines trdlab knows, by name: what the engine conformance suite runs over.

An engine joins by adding an entry: a factory from :class:`EngineSettings` and the SBML Test Suite
case tags (``componentTags`` / ``testTags`` of a case's settings) it declares unsupported. The
suite (``tests/conformance``) runs the closed forms, the 29 NONMEM dosing scenarios and every SBML
semantic case not excluded by those tags on each engine here, so a new engine proves itself before
it is used (``simulate(..., engine=make_engine(name))``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trdlab.engines.base import Engine, EngineSettings
from trdlab.engines.roadrunner import engine_for
from trdlab.errors import TrdlabError


@dataclass(frozen=True)
class EngineEntry:
    """One engine: its name, how to make it, and the SBML Test Suite tags it does not support."""

    name: str
    make: Callable[[EngineSettings], Engine]
    unsupported_tags: frozenset[str] = frozenset()


ENGINES: dict[str, EngineEntry] = {
    "libroadrunner": EngineEntry("libroadrunner", engine_for),
}


def engine_names() -> tuple[str, ...]:
    """Names of the registered engines."""
    return tuple(ENGINES)


def make_engine(name: str, settings: EngineSettings | None = None) -> Engine:
    """The named engine with ``settings`` (default settings when None)."""
    if name not in ENGINES:
        raise TrdlabError(f"engine {name!r} is not registered; choose one of: {', '.join(ENGINES)}")
    return ENGINES[name].make(settings or EngineSettings())
