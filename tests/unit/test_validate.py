"""validate(): the shipped library is clean; a broken copy reports every kind of issue at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import libsbml
import pytest

from trdlab.errors import ModelError
from trdlab.model.build import _consistency_issues, build_model
from trdlab.model.library import default_root
from trdlab.model.validate import Issue, validate


def test_shipped_library_has_no_issues() -> None:
    assert validate() == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture()
def broken_library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    shutil.copytree(default_root(), root)
    pk = root / "parameters" / "ketamine_pk.toml"
    human = root / "parameters" / "human.toml"
    # 1. missing source/assumed
    _edit(pk, 'source = "cohen1973"\nderivation = "rat, i.v.: brain:plasma', 'derivation = "rat, i.v.: brain:plasma')
    # 2. unknown unit
    _edit(pk, 'value = 0.8\nunit = "dimensionless"', 'value = 0.8\nunit = "blorgs per furlong"')
    # 3. inconsistent unit (a clearance in mg)
    _edit(pk, 'value = 50\nunit = "L/h"', 'value = 50\nunit = "mg"')
    # 4. bib key not in references.bib
    _edit(pk, 'source = "zanos2018"', 'source = "nobody2099"')
    # 5. missing parameter: drop the norketamine_molar_mass row
    _edit(pk, '[norketamine_molar_mass]\nvalue = 223.70\n', '[renamed_row]\nvalue = 223.70\n')
    # 6. a typo in a key of a row (the row still loads; its cv is left out)
    _edit(pk, "cv = 0.3\ndistribution = \"lognormal\"\n\n[ketamine_central_volume]",
          "cvv = 0.3\ndistribution = \"lognormal\"\n\n[ketamine_central_volume]")
    # 7. unused parameter (the renamed row above, and an extra one)
    human.write_text(
        human.read_text(encoding="utf-8")
        + '\n[heart_rate]\nvalue = 60\nunit = "1/min"\ndescription = "not in any module"\nassumed = "test"\n',
        encoding="utf-8",
    )
    return root


def _find(issues: list[Issue], field: str, text: str) -> list[Issue]:
    return [i for i in issues if i.field == field and text in i.message]


def test_every_issue_kind_is_reported_at_once(broken_library: Path) -> None:
    issues = validate(broken_library)
    assert _find(issues, "source", "neither source nor assumed"), issues
    assert _find(issues, "unit", "unknown unit"), issues
    assert _find(issues, "unit", "inconsistent unit"), issues
    assert _find(issues, "source", "'nobody2099' is not in references.bib"), issues
    assert _find(issues, "norketamine_molar_mass", "has no table row"), issues
    assert _find(issues, "name", "'renamed_row' is not used"), issues
    assert _find(issues, "name", "'heart_rate' is not used"), issues
    assert _find(issues, "cvv", "unknown field (did you mean 'cv'?)"), issues
    assert all(i.fix for i in issues)


def test_issue_locations_name_the_file_and_row(broken_library: Path) -> None:
    issues = validate(broken_library)
    (unknown,) = _find(issues, "unit", "unknown unit")
    assert unknown.location == "parameters/ketamine_pk.toml:[norketamine_fraction_formed]"
    (inconsistent,) = _find(issues, "unit", "inconsistent unit")
    assert inconsistent.location == "parameters/ketamine_pk.toml:[norketamine_clearance]"
    assert "mg" in str(inconsistent)
    (typo,) = _find(issues, "cvv", "unknown field")
    assert typo.location == "parameters/ketamine_pk.toml:[ketamine_clearance]"
    assert "use only" in typo.fix and "cv" in typo.fix


def test_module_that_libsbml_rejects_is_reported(tmp_path: Path) -> None:
    # a rate rule on a species that reactions also change: antimony runs libsbml's checks on conversion
    root = tmp_path / "library"
    shutil.copytree(default_root(), root)
    (root / "modules" / "clash.ant").write_text("ketamine_central' = 1\n", encoding="utf-8")
    _edit(root / "species.toml", '"norketamine", "scopolamine_pk"', '"norketamine", "clash", "scopolamine_pk"')
    issues = validate(root)
    assert [i for i in issues if i.location == "modules of human" and i.field in ("antimony", "sbml")], issues
    with pytest.raises(ModelError, match="cannot build the human model"):
        build_model("human", root=root)


def test_libsbml_consistency_errors_become_issues() -> None:
    document = libsbml.readSBMLFromString(build_model("human").sbml)
    rule = document.getModel().createRateRule()
    rule.setVariable("ketamine_central")
    rule.setMath(libsbml.parseL3Formula("1"))
    issues = _consistency_issues(document, "human")
    assert issues and all(i.field == "sbml" and i.location == "SBML of human" for i in issues)
    assert "20610" in issues[0].message


def test_build_refuses_a_broken_library_listing_all_issues(broken_library: Path) -> None:
    with pytest.raises(ModelError) as info:
        build_model("rat", root=broken_library)
    message = str(info.value)
    assert "unknown unit" in message and "inconsistent unit" in message and "nobody2099" in message


def test_duplicate_bibtex_keys_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "library"
    shutil.copytree(default_root(), root)
    bib = root / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n@misc{li2010,\n  title = {again}\n}\n", encoding="utf-8")
    issues = [i for i in validate(root) if i.location == "references.bib"]
    assert [i.field for i in issues] == ["li2010"]
