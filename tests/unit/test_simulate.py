"""`simulate`'s contract: input checks, parameter overrides (and their isolation between
calls on the cached engine), dosing targets, `Model.from_sbml` errors, `Result` views and
`Result.save`."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import antimony
import numpy as np
import pandas as pd
import pytest

import trdlab
from trdlab import DoseError, ModelError, OutputError, Regimen

VOLUME = 2.5
K = 0.2
# A: amount-based drug in a 2.5 L compartment; B: boundary species; R: set by an assignment rule.
MODEL = f"""
model contract
  unit time_unit = 3600 second
  compartment central = {VOLUME}
  species A in central = 0
  species $B in central = 1
  species R in central
  substanceOnly species A, R
  k = {K}
  elimination: A -> ; k * A
  R := 2 * A
end
"""


@lru_cache(maxsize=None)
def model() -> trdlab.Model:
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(MODEL) < 0:
        raise RuntimeError(antimony.getLastError())
    return trdlab.Model.from_sbml(antimony.getSBMLString("contract"), dosing=("A", "B", "R"))


def bolus(amt: float = 100.0, time: float = 0.0, **extra: object) -> Regimen:
    return Regimen.from_records([dict(time=time, amt=amt, **extra)])


TIMES = np.linspace(0.0, 24.0, 25)


def amount_of_a(result: trdlab.Result) -> np.ndarray:
    return result.column("A", species="amount")


# -- times --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "times",
    [[0.0, 2.0, 1.0], [0.0, 1.0, 1.0], [], [0.0, float("nan"), 2.0], [0.0, float("inf")], [[0.0, 1.0]]],
    ids=["decreasing", "repeated", "empty", "nan", "infinite", "two-dimensional"],
)
def test_bad_times_raise_value_error_naming_times(times: list) -> None:
    with pytest.raises(ValueError, match="times"):
        trdlab.simulate(model(), bolus(), times)


# -- parameter overrides --------------------------------------------------------------------------
def test_unknown_parameter_override_is_a_model_error_naming_it() -> None:
    with pytest.raises(ModelError, match="no_such_parameter"):
        trdlab.simulate(model(), bolus(), TIMES, parameters={"no_such_parameter": 1.0})


def test_non_numeric_parameter_override_is_a_model_error_naming_it() -> None:
    with pytest.raises(ModelError, match="'k'"):
        trdlab.simulate(model(), bolus(), TIMES, parameters={"k": "fast"})  # type: ignore[dict-item]


def test_rate_constant_override_changes_amounts_and_does_not_leak_into_next_call() -> None:
    # A(t) = D e^{-k t}: with the override k = 0.5, then again with the model's k = 0.2
    dose = 100.0
    overridden = trdlab.simulate(model(), bolus(dose), TIMES, parameters={"k": 0.5})
    np.testing.assert_allclose(amount_of_a(overridden), dose * np.exp(-0.5 * TIMES), rtol=1e-6, atol=1e-9)
    default = trdlab.simulate(model(), bolus(dose), TIMES)
    np.testing.assert_allclose(amount_of_a(default), dose * np.exp(-K * TIMES), rtol=1e-6, atol=1e-9)
    assert overridden.manifest["parameters"] == {"k": 0.5}
    assert default.manifest["parameters"] == {}


def test_initial_amount_override_changes_amounts_and_does_not_leak_into_next_call() -> None:
    # A(t) = (A0 + D) e^{-k t} with A0 = 3 overridden, then D e^{-k t} again
    dose = 100.0
    overridden = trdlab.simulate(model(), bolus(dose), TIMES, parameters={"A": 3.0})
    np.testing.assert_allclose(amount_of_a(overridden), (3.0 + dose) * np.exp(-K * TIMES), rtol=1e-6, atol=1e-9)
    default = trdlab.simulate(model(), bolus(dose), TIMES)
    np.testing.assert_allclose(amount_of_a(default), dose * np.exp(-K * TIMES), rtol=1e-6, atol=1e-9)


def test_compartment_override_changes_concentrations_only() -> None:
    # amounts do not depend on the volume here; concentration = amount / overridden volume
    dose = 100.0
    result = trdlab.simulate(model(), bolus(dose), TIMES, parameters={"central": 4.0})
    np.testing.assert_allclose(amount_of_a(result), dose * np.exp(-K * TIMES), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(result.column("A"), dose * np.exp(-K * TIMES) / 4.0, rtol=1e-6, atol=1e-9)


def test_failed_override_does_not_leak_the_valid_part_into_next_call() -> None:
    dose = 100.0
    with pytest.raises(ModelError, match="bogus"):
        trdlab.simulate(model(), bolus(dose), TIMES, parameters={"k": 0.9, "bogus": 1.0})
    default = trdlab.simulate(model(), bolus(dose), TIMES)
    np.testing.assert_allclose(amount_of_a(default), dose * np.exp(-K * TIMES), rtol=1e-6, atol=1e-9)


# -- dosing targets -----------------------------------------------------------------------------
def test_cmt_beyond_the_dosing_compartments_is_a_model_error_naming_cmt() -> None:
    with pytest.raises(ModelError, match="cmt=4"):
        trdlab.simulate(model(), bolus(cmt=4), TIMES)


def test_unknown_species_id_as_cmt_is_a_model_error_naming_it() -> None:
    with pytest.raises(ModelError, match="no_such_species"):
        trdlab.simulate(model(), bolus(cmt="no_such_species"), TIMES)


@pytest.mark.parametrize("cmt", ["B", "R", 2, 3], ids=["boundary-id", "rule-id", "boundary-cmt", "rule-cmt"])
def test_infusion_into_a_fixed_species_is_a_dose_error(cmt: int | str) -> None:
    species = {2: "B", 3: "R"}.get(cmt, cmt)  # type: ignore[call-overload]
    with pytest.raises(DoseError, match=f"'{species}'"):
        trdlab.simulate(model(), bolus(amt=10.0, cmt=cmt, rate=5.0), TIMES)


# -- Model.from_sbml ------------------------------------------------------------------------------
def test_from_sbml_of_non_sbml_markup_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="SBML"):
        trdlab.Model.from_sbml("<html><body>not a model</body></html>")


def test_from_sbml_of_plain_text_is_a_model_error() -> None:
    with pytest.raises(ModelError):
        trdlab.Model.from_sbml("model m\n  A -> ; k*A\nend")


def test_from_sbml_of_missing_file_is_a_model_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing_model.xml"):
        trdlab.Model.from_sbml(tmp_path / "missing_model.xml")


def test_from_sbml_with_unknown_dosing_species_is_a_model_error_naming_it() -> None:
    with pytest.raises(ModelError, match="gut"):
        trdlab.Model.from_sbml(model().sbml, dosing=("gut",))


# -- Result views ---------------------------------------------------------------------------------
def test_concentration_is_amount_over_compartment_volume() -> None:
    result = trdlab.simulate(model(), bolus(100.0), TIMES)
    amounts = result.to_frame(species="amount")
    concentrations = result.to_frame(species="concentration")
    np.testing.assert_allclose(amounts["A"], 100.0 * np.exp(-K * TIMES), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(concentrations["A"].to_numpy(), amounts["A"].to_numpy() / VOLUME, rtol=1e-14)
    np.testing.assert_allclose(concentrations["R"].to_numpy(), 2 * amounts["A"].to_numpy() / VOLUME, rtol=1e-6)
    assert (amounts["central"] == VOLUME).all() and (concentrations["central"] == VOLUME).all()
    assert (amounts["k"] == K).all()
    np.testing.assert_array_equal(amounts["time"], TIMES)


def test_to_frame_rejects_unknown_species_view() -> None:
    result = trdlab.simulate(model(), None, [0.0, 1.0])
    with pytest.raises(ValueError, match="species"):
        result.to_frame(species="mass")  # type: ignore[arg-type]


def test_output_at_a_bolus_time_shows_the_post_dose_value() -> None:
    dose, t_dose = 40.0, 5.0
    times = [0.0, 4.0, t_dose, 6.0]
    values = amount_of_a(trdlab.simulate(model(), bolus(dose, time=t_dose), times))
    assert values[0] == 0.0 and values[1] == 0.0
    assert values[2] == pytest.approx(dose, rel=1e-12)
    assert values[3] == pytest.approx(dose * math.exp(-K), rel=1e-6)


def test_output_times_before_the_first_dose_start_from_the_initial_state() -> None:
    values = amount_of_a(trdlab.simulate(model(), bolus(10.0, time=50.0), [0.0, 10.0]))
    np.testing.assert_array_equal(values, [0.0, 0.0])


# -- Result.save ----------------------------------------------------------------------------------
@pytest.fixture()
def result() -> trdlab.Result:
    return trdlab.simulate(model(), bolus(100.0, time=1.0), TIMES, parameters={"central": VOLUME})


def test_save_writes_parquet_and_manifest(tmp_path: Path, result: trdlab.Result) -> None:
    target = result.save(tmp_path / "run")
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "result.parquet"]
    table = pd.read_parquet(target / "result.parquet")
    pd.testing.assert_frame_equal(table, result.to_frame())
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["trdlab_version"] == trdlab.__version__
    assert manifest["sbml_sha256"] == model().sha256 and len(manifest["sbml_sha256"]) == 64
    assert manifest["parameters"] == {"central": VOLUME}
    assert manifest["regimen"] == bolus(100.0, time=1.0).to_records()
    assert manifest["engine"]["relative_tolerance"] == trdlab.EngineSettings().relative_tolerance
    assert manifest["engine"]["absolute_tolerance"] == trdlab.EngineSettings().absolute_tolerance
    assert isinstance(manifest["wall_time_s"], float) and manifest["wall_time_s"] > 0


def test_save_refuses_an_existing_folder_without_overwrite(tmp_path: Path, result: trdlab.Result) -> None:
    target = tmp_path / "run"
    target.mkdir()
    (target / "keep.txt").write_text("old")
    with pytest.raises(OutputError, match="run"):
        result.save(target)
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_save_into_a_file_parent_leaves_nothing_behind(tmp_path: Path, result: trdlab.Result) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        result.save(blocker / "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_folder"]
    assert blocker.read_text() == "x"


def test_save_failure_while_writing_leaves_no_partial_or_staging_folder(
    tmp_path: Path, result: trdlab.Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    with pytest.raises(OSError, match="disk full"):
        result.save(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []  # neither run/ nor a hidden .run.* staging folder


def test_failed_overwrite_keeps_the_old_folder_unchanged(
    tmp_path: Path, result: trdlab.Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "run"
    target.mkdir()
    (target / "keep.txt").write_text("old")

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    with pytest.raises(OSError):
        result.save(target, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]


def test_overwrite_replaces_the_folder_and_leaves_no_sibling(tmp_path: Path, result: trdlab.Result) -> None:
    target = tmp_path / "run"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    result.save(target, overwrite=True)
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "result.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no .run.old.* left over
    pd.testing.assert_frame_equal(pd.read_parquet(target / "result.parquet"), result.to_frame())


def test_save_as_amounts_records_the_choice(tmp_path: Path, result: trdlab.Result) -> None:
    target = result.save(tmp_path / "run", species="amount")
    pd.testing.assert_frame_equal(pd.read_parquet(target / "result.parquet"), result.to_frame(species="amount"))
    assert json.loads((target / "manifest.json").read_text())["species_as"] == "amount"
