"""Science apart from framework: no framework module names a library id.

The ids are read from the model library itself (parameter rows of every table, drugs, observables
of every species, populations, clinical-layer rows) and from the claims ledger; a framework module
that contains one of them as a string literal (docstrings aside) hard-codes science that belongs
in the library's data files.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import trdlab
from trdlab.experiments.ledger import load_ledger
from trdlab.model.library import default_root

SOURCE = Path(trdlab.__file__).parent
SCIENCE_AS_CODE = {
    "clinical": "the clinical layer's equations (symptoms, scales, placebo): science written as code, like "
                "library/modules/*.ant; its parameters are rows of library/clinical/parameters",
    "biomarkers/sleep.py": "the sleep-homeostasis model (process S and the night features it defines): science as "
                           "code; its parameters are the [sleep] rows of library/biomarkers.toml",
    "psg/features.py": "the sleep EEG features a recording gives, under the sleep model's feature names",
}


def library_ids() -> dict[str, str]:
    root = default_root()
    ids: dict[str, str] = {}
    for path in [*(root / "parameters").glob("*.toml"), *(root / "clinical" / "parameters").glob("*.toml")]:
        ids.update(dict.fromkeys(tomllib.loads(path.read_text(encoding="utf-8")), "parameter"))
    ids.update(dict.fromkeys((p.stem for p in (root / "compounds").glob("*.toml")), "compound"))
    ids.update(dict.fromkeys(tomllib.loads((root / "protocols.toml").read_text(encoding="utf-8")), "protocol"))
    ids.update(dict.fromkeys(tomllib.loads((root / "targets.toml").read_text(encoding="utf-8")), "target slot"))
    for entry in tomllib.loads((root / "species.toml").read_text(encoding="utf-8")).values():
        if isinstance(entry, dict):
            ids.update(dict.fromkeys(entry.get("observables", {}), "observable"))
    ids.update(dict.fromkeys(tomllib.loads((root / "populations.toml").read_text(encoding="utf-8")), "population"))
    ids.update(dict.fromkeys((c.id for c in load_ledger()), "claim"))
    biomarkers = tomllib.loads((root / "biomarkers.toml").read_text(encoding="utf-8"))
    ids.update(dict.fromkeys((k for k in biomarkers if k not in ("clock", "sleep")), "biomarker"))
    return ids


def literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


def framework_modules() -> list[Path]:
    out = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if not any(relative == key or relative.startswith(f"{key}/") for key in SCIENCE_AS_CODE):
            out.append(path)
    return out


def test_the_library_has_ids_to_look_for() -> None:
    ids = library_ids()
    kinds = set(ids.values())
    assert {"parameter", "compound", "protocol", "target slot", "observable", "population", "claim", "biomarker"} <= kinds
    assert len(ids) > 400


def test_no_framework_module_names_a_library_id() -> None:
    ids = library_ids()
    found = {path.relative_to(SOURCE).as_posix(): sorted(f"{s} ({ids[s]})" for s in literals(path) & set(ids))
             for path in framework_modules()}
    assert not {k: v for k, v in found.items() if v}


def test_the_scan_finds_a_hard_coded_id(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text('"""Docstrings may say ketamine."""\nDRUG = "ketamine"\n', encoding="utf-8")
    assert literals(module) & set(library_ids()) == {"ketamine"}
