"""Report profiles as data (``profiles.toml``): how much of the paper one ``reproduce`` runs.

``full`` is the paper (``make run``); ``small`` runs the same code on fewer subjects (the test
suite's report test). A profile only sizes the run; it never changes a parameter or a check.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trdlab.errors import TrdlabError

PROFILES = Path(__file__).with_name("profiles.toml")


class _ProfileFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str
    trial_n: int | None = Field(default=None, ge=20)
    experiments: list[str] | None = None
    designs: list[str] | None = None


@dataclass(frozen=True)
class Profile:
    """One report profile: cohort size override and the experiments and designs it runs (None: all)."""

    name: str
    description: str
    trial_n: int | None = None
    experiments: tuple[str, ...] | None = None
    designs: tuple[str, ...] | None = None

    @property
    def is_full(self) -> bool:
        """Whether this profile is the whole paper at its own sizes."""
        return self.trial_n is None and self.experiments is None and self.designs is None


def load_profiles(path: Path = PROFILES) -> dict[str, Profile]:
    """Every profile of ``path`` by name; a malformed entry is one error naming its field."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    profiles = {}
    for name, entry in data.items():
        try:
            row = _ProfileFile.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise TrdlabError(f"{path}: [{name}].{where}: {first['msg']}") from None
        profiles[name] = Profile(name, row.description, row.trial_n,
                                 None if row.experiments is None else tuple(row.experiments),
                                 None if row.designs is None else tuple(row.designs))
    return profiles


def load_profile(name: str) -> Profile:
    """The named profile, or one error listing the known ones."""
    profiles = load_profiles()
    if name not in profiles:
        raise TrdlabError(f"--profile {name!r} is not a report profile; choose one of: {', '.join(profiles)}")
    return profiles[name]
