"""Loading experiments from TOML: the schema, the dataclasses it gives and every validation error."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from trdlab.errors import ExperimentError
from trdlab.experiments.ledger import load_ledger
from trdlab.experiments.loading import LIBRARY, load_experiments
from trdlab.model.library import default_root

KETAMINE_BASE_FRACTION = 237.73 / 274.19  # free base / hydrochloride (PubChem; compounds/ketamine.toml)

GOOD = """
[[experiment]]
id = "P07"
title = "Linear PK: twice the dose, twice the brain concentration"
species = "rat"
citation = "kamp2020"
kind = "validation"
until = "6 h"
step = "5 min"

[[experiment.arm]]
name = "vehicle"

[[experiment.arm]]
name = "k10"
doses = [ { protocol = "ketamine_ip", dose = "10 mg/kg", weight = "0.3 kg", at = "0 h" } ]

[[experiment.arm]]
name = "k20"
doses = [ { drug = "ketamine", route = "ip", dose = "20 mg/kg", weight = "0.3 kg", salt = "hydrochloride", at = "-30 min" } ]

[[experiment.check]]
observable = "ketamine_brain_um"
arm = "k10"
reference = "vehicle"
at = "45 min"
expect = "up"
"""


def write(folder: Path, text: str, name: str = "preclinical.toml") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def problem(folder: Path, **kwargs: object) -> str:
    with pytest.raises(ExperimentError) as info:
        load_experiments(folder, **kwargs)  # type: ignore[arg-type]
    return str(info.value)


def test_packaged_library_loads_and_uses_ledger_ids() -> None:
    experiments = load_experiments()
    assert isinstance(experiments, tuple)
    assert sorted(LIBRARY.glob("*.toml")), "the packaged experiments folder ships at least its header file"
    claims = {c.id for c in load_ledger()}
    assert all(e.id in claims or e.verification for e in experiments)


def test_a_valid_experiment_loads_as_data(tmp_path: Path) -> None:
    (experiment,) = load_experiments(write(tmp_path, GOOD))
    # kind is derived, not read: the packaged mechanism rows name P07 in fitted_to (the glutamate window)
    assert experiment.file == "preclinical.toml" and experiment.kind == "calibration"
    assert experiment.checks[0].kind == "calibration"
    assert [a.name for a in experiment.arms] == ["vehicle", "k10", "k20"]
    assert experiment.arm("vehicle").regimen("rat") is None
    (k10,) = experiment.arm("k10").regimen("rat").events
    assert k10.time == 0.0 and k10.cmt == "ketamine_peritoneal"
    assert k10.amt == pytest.approx(10 * 0.3 * KETAMINE_BASE_FRACTION, rel=1e-9)
    (k20,) = experiment.arm("k20").regimen("rat").events
    assert k20.time == pytest.approx(-0.5) and k20.amt == pytest.approx(2 * k10.amt, rel=1e-12)
    # pretreatment at -30 min: every arm starts there, on a 5-min grid that contains t = 0 and 6 h
    assert experiment.start_h == pytest.approx(-0.5)
    times = experiment.times()
    assert times[0] == pytest.approx(-0.5) and times[-1] == pytest.approx(6.0)
    assert np.allclose(np.diff(times), 5 / 60) and np.isclose(times, 0.0).any()
    (check,) = experiment.checks
    assert check.label == "ketamine_brain_um k10/vehicle at 45 min"
    assert check.span_h == (0.75, 0.75) and check.expected_text == "up by >= 10 %"
    assert experiment.figure.observables == ("ketamine_brain_um",) and experiment.figure.until == "6 h"


def test_generic_doses_repeat_as_boluses_or_infusions(tmp_path: Path) -> None:
    text = GOOD.replace(
        'doses = [ { drug = "ketamine", route = "ip", dose = "20 mg/kg", weight = "0.3 kg", salt = "hydrochloride", at = "-30 min" } ]',
        'doses = [ { drug = "ketamine", route = "ip", dose = "1 mg", at = "0 h", every = "24 h", count = 3 },\n'
        '          { drug = "ketamine", route = "iv", dose = "2 mg", duration = "40 min", every = "12 h", count = 2, at = "1 h" } ]',
    ).replace('until = "6 h"', 'until = "3 d"')
    (experiment,) = load_experiments(write(tmp_path, text))
    events = experiment.arm("k20").regimen("rat").events
    bolus = [e for e in events if e.cmt == "ketamine_peritoneal"]
    infusions = [e for e in events if e.cmt == "ketamine_central"]
    assert len(bolus) == 1 and (bolus[0].amt, bolus[0].ii, bolus[0].addl) == (1.0, 24.0, 2)
    assert [e.time for e in infusions] == pytest.approx([1.0, 13.0])
    assert all(e.amt == 2.0 and e.dur == pytest.approx(40 / 60) for e in infusions)


def test_window_checks_comparisons_and_predictions(tmp_path: Path) -> None:
    text = GOOD.replace('kind = "validation"', 'kind = "prediction"') + """
[[experiment.check]]
observable = "ketamine_brain_um"
arm = "k20"
reference = "k10"
window = ["1 h", "4 h"]
stat = "max"

[[experiment.check]]
observable = "ketamine_brain_um"
arm = "k20"
reference = "k10"
other_arm = "k10"
other_reference = "k10"
at = "2 h"
expect = "greater_than_arm"
label = "dose effect"
"""
    (experiment,) = load_experiments(write(tmp_path, text))
    window, comparison = experiment.checks[1:]
    assert window.expect is None and window.span_h == (1.0, 4.0) and window.stat == "max"
    assert window.label == "ketamine_brain_um k20/k10 max over 1 h-4 h"
    assert window.expected_text.startswith("prediction")
    assert comparison.label == "dose effect" and comparison.other_arm == "k10"


def test_genotype_overrides_then_the_arms_own_parameters(tmp_path: Path) -> None:
    root = tmp_path / "library"
    root.mkdir()
    shutil.copy(default_root() / "references.bib", root / "references.bib")
    (root / "genotypes.toml").write_text(
        '["met/met"]\ndescription = "test"\nparameters = { ketamine_clearance = 1.0, brain_volume = 2.0 }\n'
    )
    text = GOOD.replace('name = "k10"', 'name = "k10"\ngenotype = "met/met"\nparameters = { brain_volume = 3.0 }')
    (experiment,) = load_experiments(write(tmp_path / "exp", text), library_root=root)
    arm = experiment.arm("k10")
    assert arm.genotype == "met/met"
    assert dict(arm.parameters) == {"ketamine_clearance": 1.0, "brain_volume": 3.0}
    message = problem(write(tmp_path / "exp", text.replace("met/met", "val/val")), library_root=root)
    assert "arm[k10].genotype" in message and "val/val" in message and "met/met" in message


BAD = [
    (('"ketamine_ip"', '"ketamine_xx"'), ("arm[k10].doses[0].protocol", "ketamine_xx", "ketamine_iv")),
    (('reference = "vehicle"', 'reference = "placebo"'), ("check[0].reference", "placebo", "vehicle, k10, k20")),
    (('id = "P07"', 'id = "Z99"'), ("Z99: id", "ledger")),
    (('citation = "kamp2020"', 'citation = "nobody1900"'), ("P07: citation", "nobody1900", "references.bib")),
    (('step = "5 min"', 'step = "5 min"\nuntill = "7 h"'), ("P07: experiment.untill", "unknown key")),
    (('at = "45 min"', 'at = "45"'), ("check[0].at", "45")),
    (('at = "45 min"', 'at = "7 h"'), ("check[0].at", "outside")),
    (('expect = "up"', 'expect = "higher"'), ("check[0].expect", "higher", "unchanged")),
    (('expect = "up"', ''), ("check[0].expect", "missing")),
    (('expect = "up"', 'expect = "between"\nlow = 2.0'), ("check[0].low", "high")),
    (('weight = "0.3 kg", salt', 'salt'), ("arm[k20].doses[0]", "per body weight")),
    (('dose = "10 mg/kg"', 'dose = "10 mg/kg", durasion = "1 h"'), ("arm[k10].doses[0].durasion", "not an option")),
    (('route = "ip"', 'route = "icv"'), ("arm[k20].doses[0]", "icv")),
    (('name = "k10"', 'name = "k10"\ngenotype = "val/met"'), ("arm[k10].genotype", "genotypes.toml", "does not exist")),
    (('kind = "validation"', 'kind = "guess"'), ("P07: kind", "guess", "calibration")),
    (('species = "rat"', 'species = "dog"'), ("P07: species", "dog", "mouse")),
]


@pytest.mark.parametrize(("edit", "words"), BAD, ids=[w[0] for _, w in BAD])
def test_bad_spec_gives_one_error_naming_file_id_and_field(
    tmp_path: Path, edit: tuple[str, str], words: tuple[str, ...]
) -> None:
    old, new = edit
    assert old in GOOD
    root = tmp_path / "library"  # the model library's references, without a genotypes.toml
    root.mkdir()
    shutil.copy(default_root() / "references.bib", root / "references.bib")
    message = problem(write(tmp_path / "exp", GOOD.replace(old, new, 1)), library_root=root)
    assert "\n" not in message and message.startswith("preclinical.toml: "), message
    assert all(word in message for word in words), message


def test_every_bad_experiment_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('"ketamine_ip"', '"nope"'))
    write(tmp_path, GOOD.replace('id = "P07"', 'id = "P08"').replace('"kamp2020"', '"nobody"'), "other.toml")
    message = problem(tmp_path)
    assert message.startswith("2 problems")
    assert "preclinical.toml: P07: arm[k10].doses[0].protocol" in message
    assert "other.toml: P08: citation" in message


def test_duplicate_ids_and_missing_folder(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, GOOD, "again.toml")
    assert "also defined in again.toml" in problem(tmp_path)
    assert "does not exist" in problem(tmp_path / "missing")


def test_kind_calibration_cannot_be_written_in_a_file(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="derived from the parameter tables"):
        load_experiments(write(tmp_path, GOOD.replace('kind = "validation"', 'kind = "calibration"')))


def test_an_experiment_no_row_is_fitted_to_is_validation(tmp_path: Path) -> None:
    # P12 (extrasynaptic NR2B) is named by no fitted_to in the packaged tables
    (experiment,) = load_experiments(write(tmp_path, GOOD.replace('id = "P07"', 'id = "P12"')))
    assert experiment.kind == "validation" and {c.kind for c in experiment.checks} == {"validation"}


def test_every_structural_problem_of_one_experiment_is_listed(tmp_path: Path) -> None:
    text = (GOOD.replace('species = "rat"', 'species = "dog"').replace('at = "45 min"', 'at = "45"')
            .replace('step = "5 min"', 'step = "5 min"\nuntill = "7 h"').replace('expect = "up"', 'expect = "higher"'))
    message = problem(write(tmp_path, text))
    lines = message.splitlines()
    assert lines[0] == "4 problems in the experiments:", message
    for words in (("P07: species", "dog"), ("P07: check[0].at", "45"), ("P07: experiment.untill", "unknown key"),
                  ("P07: check[0].expect", "higher")):
        assert any(all(w in line for w in words) for line in lines[1:]), (words, message)


def test_a_misspelt_check_key_and_an_unknown_readout_are_named(tmp_path: Path) -> None:
    message = problem(write(tmp_path, GOOD.replace('expect = "up"', 'expect = "up"\nmin_efect = 0.2')))
    assert "check[0].min_efect" in message and "unknown key" in message
    message = problem(write(tmp_path, GOOD.replace('expect = "up"', 'expect = "up"\nreadout = "elisa"')))
    assert "check[0]" in message and "unknown readout" in message and "elisa" in message


TRIAL = """
[[experiment]]
id = "C07"
title = "BDNF Val66Met carriers respond less to ketamine"
citation = "laje2012"
[[experiment.cohort]]
name = "trial"
design = "zarate2006"
n = 40
seed = 1
[[experiment.check]]
readout = "trial"
metric = "genotype_gap"
arm = "ketamine"
visit = "230 min"
low = 0.05
label = "gap"
"""


def test_a_trial_experiment_loads_and_its_structural_problems_are_named(tmp_path: Path) -> None:
    (experiment,) = load_experiments(write(tmp_path, TRIAL))
    assert experiment.cohorts[0].n == 40 and experiment.checks[0].cohort == "trial"
    message = problem(write(tmp_path, TRIAL.replace("n = 40", "n = 0").replace('"genotype_gap"', '"gap_size"')))
    assert "C07: cohort[0].n" in message and "C07: check[0].metric" in message and "gap_size" in message
    grouped = TRIAL.replace('low = 0.05', 'low = 0.05\nsubgroup = { cohort = "ssri", arm = "a", visit = "last", response = false }')
    assert "check[0].subgroup.cohort" in problem(write(tmp_path, grouped))
