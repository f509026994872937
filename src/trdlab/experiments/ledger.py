"""The claims ledger: every claim of the seed paper as data (``ledger.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEDGER = Path(__file__).with_name("ledger.toml")
SECTIONS = ("clinical", "preclinical", "magnesium", "table 1", "drug development")


@dataclass(frozen=True)
class Claim:
    """One row of the ledger: the claim, the protocol that tests it and the expected outcome."""

    id: str
    section: str
    claim: str
    protocol: str
    expected: str


@lru_cache(maxsize=2)
def load_ledger(path: Path = LEDGER) -> tuple[Claim, ...]:
    """All claims, in ledger order; ids are unique and sections known (checked here)."""
    with open(path, "rb") as handle:
        rows = tomllib.load(handle).get("claim", [])
    claims = tuple(Claim(**row) for row in rows)
    seen: set[str] = set()
    for claim in claims:
        if claim.id in seen:
            raise ValueError(f"claims ledger {path}: id {claim.id!r} appears twice; ids must be unique")
        if claim.section not in SECTIONS:
            raise ValueError(f"claims ledger {path}: {claim.id} has unknown section {claim.section!r}")
        seen.add(claim.id)
    return claims
