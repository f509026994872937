"""Calibration vs validation follows from the parameter tables (fitted_to), not from labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from trdlab.experiments import provenance
from trdlab.experiments.loading import load_experiments
from trdlab.model.library import default_root, load_table


def _all_rows():
    root = default_root()
    for folder in (root / "parameters", root / "clinical" / "parameters"):
        for path in sorted(folder.glob("*.toml")):
            rows, issues = load_table(path.stem, root=path.parent.parent)
            yield path.stem, rows, issues


def test_every_row_that_says_it_was_calibrated_names_its_targets() -> None:
    missing = [f"{table}:{row.name}" for table, rows, _ in _all_rows() for row in rows
               if row.says_fitted and not row.fitted_to]
    assert not missing
    assert not [i for _, _, issues in _all_rows() for i in issues if i.field == "fitted_to"]


def test_a_calibrated_row_without_targets_is_an_issue(tmp_path: Path) -> None:
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "t.toml").write_text(
        '[gain]\nvalue = 1.0\nunit = "dimensionless"\ndescription = "a gain"\nsource = "x"\n'
        'derivation = "calibrated to the FST at 24 h"\n', encoding="utf-8")
    _, issues = load_table("t", root=tmp_path)
    assert [i.field for i in issues] == ["fitted_to"]
    assert "names no target" in issues[0].message


def test_every_target_names_a_packaged_experiment_or_check() -> None:
    targets = provenance.calibration_targets()
    experiments = {e.id: [c.id for c in e.checks] for e in load_experiments()}
    assert provenance.unresolved_targets(targets, experiments) == []
    assert provenance.unresolved_targets(["P07", "P07.nope", "external:x"], experiments) == ["P07.nope"]


@pytest.mark.parametrize(("experiment", "fitted_checks"), [
    ("M07", {"csf", "fst", "tst"}),                # brain-Mg carrier anchor, NO-driven spine loss
    ("P10", {"glutamate", "mtor"}),                # interneuron_m1_weight
    ("M03", {"bdnf"}),                             # eef2_translation_gain
    ("P05", {"spines_rapamycin", "glur1_rapamycin", "fst_rapamycin"}),  # rapamycin brain half-life
    ("M15", {"glucocorticoid"}),                   # rodent adrenal adaptation
    ("T1-synaptogenesis-ketamine", {"1"}),         # the P09 target
    ("T1-GluR1-ketamine", {"1"}),
    ("T1-PSD95-ketamine", {"1"}),
])
def test_experiments_once_labelled_validation_have_their_fitted_checks_derived(experiment, fitted_checks) -> None:
    (found,) = [e for e in load_experiments() if e.id == experiment]
    assert found.kind == "calibration"
    assert {c.id for c in found.checks if c.kind == "calibration"} == fitted_checks


def test_unfitted_experiments_are_validation() -> None:
    kinds = {e.id: e.kind for e in load_experiments()}
    for ident in ("P06", "P08", "P11", "P12", "M01", "M09", "C03", "C04", "C06"):
        assert kinds[ident] == "validation", ident
