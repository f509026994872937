"""Validate the whole science library at once and report every issue.

Checks, for every species set of ``species.toml``: rows without ``source`` or ``assumed``,
bib keys missing from ``references.bib``, units pint cannot parse, units not convertible to the
unit the module declares, table rows the composed model does not use, module parameters without
a row, dosing/observable ids, and libsbml consistency errors of the built SBML. Also checks every
compound file of ``compounds/`` (:mod:`trdlab.compounds`): its problems, routes that dose a species
of the model, and that a generated compound builds into each species it has PK for.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import bibtexparser
import bibtexparser.model

from trdlab.errors import ModelError
from trdlab.model.build import compose
from trdlab.model.library import (
    Issue,
    default_root,
    load_references,
    load_species_set,
    species_names,
)

__all__ = ["Issue", "validate"]


def validate(root: Path | str | None = None) -> list[Issue]:
    """Every issue of the library (empty list when it is sound), duplicates removed, in order.

    Args:
        root: library folder; default the packaged ``trdlab/library``.
    """
    issues: list[Issue] = []
    try:
        names = species_names(root)
    except ModelError as exc:
        return [Issue("species.toml", "file", str(exc), "create species.toml")]
    for species in names:
        try:
            issues.extend(compose(species, root=root).issues)
        except ModelError as exc:
            issues.append(Issue("species.toml", species, str(exc), "fix the species entry"))
    issues.extend(_compound_issues(root, names))
    issues.extend(_bib_issues(root))
    unique: dict[Issue, None] = dict.fromkeys(issues)
    return list(unique)


def _bib_issues(root: Path | str | None) -> list[Issue]:
    """BibTeX the parser cannot read, and a key defined twice (the second entry would be ignored)."""
    path = (Path(root) if root is not None else default_root()) / "references.bib"
    if not path.is_file():
        return []
    try:
        load_references(root)
    except ModelError as exc:
        return [Issue("references.bib", "syntax", str(exc), "fix the BibTeX syntax of the named entries")]
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    repeats = Counter(b.key for b in library.failed_blocks if isinstance(b, bibtexparser.model.DuplicateBlockKeyBlock))
    return [
        Issue("references.bib", key, f"key {key!r} is defined {count + 1} times", "keep one entry per key")
        for key, count in sorted(repeats.items())
    ]


def _compound_issues(root: Path | str | None, names: tuple[str, ...]) -> list[Issue]:
    """Every problem of the compound files, routes that dose no species, generated PK that does not build."""
    from trdlab.compounds.catalogue import compound_problems, load_compound

    folder = (Path(root) if root is not None else default_root()) / "compounds"
    issues: list[Issue] = []
    for path in sorted(folder.glob("*.toml")):
        where = f"compounds/{path.name}"
        found = compound_problems(path)
        issues += [Issue(where, "compound", problem, "see `trdlab compound validate`") for problem in found]
        if found:
            continue
        item = load_compound(path)
        for species, routes in item.spec.routes.items():
            if species not in names:
                issues.append(Issue(where, f"routes.{species}", "unknown species set", f"use one of {', '.join(names)}"))
                continue
            if item.generated:
                issues.extend(compose(species, root=root, compounds=(item,)).issues)
                continue
            dosing = load_species_set(species, root).dosing
            for route, target in (routes.items() if isinstance(routes, dict) else ()):
                if target not in dosing:
                    issues.append(Issue(where, f"routes.{species}.{route}",
                                        f"target {target!r} is not a dosing species of {species}",
                                        f"use one of {', '.join(dosing)}"))
    return issues
