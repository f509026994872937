"""Readouts, the runner and the `trdlab experiments` CLI, on PK-only experiments with known answers.

Expected values come from closed forms: linear PK (twice the dose gives exactly twice the
concentration at every time), identical arms (ratio 1), 0/0 (nothing changed), synthetic time
courses whose ratio is a line, and direct `simulate` calls for the pretreatment shift.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import trdlab.experiments.runner as runner
from trdlab.dosing import constructors as protocols
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.errors import ExperimentError
from trdlab.experiments.loading import load_experiments
from trdlab.experiments.readouts import passes, readout
from trdlab.experiments.runner import run_experiment, run_experiments
from trdlab.experiments.spec import Check
from trdlab.model.build import build_model
from trdlab.result import Result
from trdlab.simulate import simulate

HEAD = """
[[experiment]]
id = "{id}"
title = "PK experiment {id}"
species = "rat"
citation = "kamp2020"
kind = "{kind}"
until = "6 h"
step = "5 min"

[[experiment.arm]]
name = "vehicle"
[[experiment.arm]]
name = "k10"
doses = [ {{ protocol = "ketamine_ip", dose = "10 mg/kg", weight = "0.3 kg", at = "0 h" }} ]
[[experiment.arm]]
name = "k10b"
doses = [ {{ protocol = "ketamine_ip", dose = "10 mg/kg", weight = "0.3 kg", at = "0 h" }} ]
[[experiment.arm]]
name = "k20"
doses = [ {{ protocol = "ketamine_ip", dose = "20 mg/kg", weight = "0.3 kg", at = "0 h" }} ]
[[experiment.arm]]
name = "pretreated"
parameters = {{ {parameters} }}
doses = [ {{ protocol = "ketamine_ip", dose = "10 mg/kg", weight = "0.3 kg", at = "-30 min" }} ]
"""


def check(observable: str = "ketamine_brain_um", **fields: object) -> str:
    lines = [f'observable = "{observable}"'] + [f"{k} = {json.dumps(v)}" for k, v in fields.items()]
    return "\n[[experiment.check]]\n" + "\n".join(lines) + "\n"


def experiment(ident: str, *checks: str, kind: str = "validation", parameters: str = "") -> str:
    return HEAD.format(id=ident, kind=kind, parameters=parameters) + "".join(checks)


LINEAR = check(arm="k20", reference="k10", window=["1 h", "4 h"], stat="mean", expect="between", low=1.99, high=2.01)
UP = check(arm="k10", reference="vehicle", at="30 min", expect="up")
SAME = check(arm="k10b", reference="k10", window=["0 h", "6 h"], stat="max", expect="unchanged")
NOTHING = check(arm="vehicle", reference="vehicle", at="1 h", expect="unchanged")
WRONG = check(arm="k20", reference="k10", at="2 h", expect="unchanged")


def load(tmp_path: Path, *texts: str) -> tuple:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "preclinical.toml").write_text("".join(texts), encoding="utf-8")
    return load_experiments(tmp_path)


# -- readouts on synthetic results --------------------------------------------------------------
def synthetic(values: np.ndarray, times: np.ndarray) -> Result:
    return Result(times=times, recorded=("y",), values=values[:, None], constants=(), columns=("y",),
                  species_compartments=())


def test_readouts_follow_their_closed_forms() -> None:
    times = np.linspace(0.0, 4.0, 5)
    results = {"arm": synthetic(2.0 * times, times), "ref": synthetic(np.full(5, 2.0), times),
               "zero": synthetic(np.zeros(5), times)}

    def at(**fields: object) -> float:
        base = dict(observable="y", arm="arm", reference="ref", expect="up", label="x")
        return readout(results, Check(**{**base, **fields}))  # type: ignore[arg-type]

    assert at(at="2.5 h") == pytest.approx(2.5)  # ratio r(t) = t, interpolated between outputs
    assert at(window=("1 h", "3 h"), stat="max") == pytest.approx(3.0)
    assert at(window=("1 h", "3 h"), stat="min") == pytest.approx(1.0)
    assert at(window=("0.5 h", "3.5 h"), stat="mean") == pytest.approx(2.0)  # mean of t over [0.5, 3.5]
    assert at(reference="zero", arm="zero", at="1 h") == 1.0  # 0/0: nothing changed
    assert at(reference="zero", at="1 h") == np.inf
    # effect difference: (r(3) - 1) - (r(1) - 1) read at one time is (3 - 1) - (1 - 1) with other = ref/ref
    assert at(at="3 h", expect="greater_than_arm", other_arm="ref", other_reference="ref") == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("expect", "fields", "value", "verdict"),
    [("up", {}, 1.10, True), ("up", {}, 1.09, False), ("down", {}, 0.90, True), ("down", {}, 0.95, False),
     ("unchanged", {}, 1.049, True), ("unchanged", {}, 0.95, False), ("between", {"low": 1.5, "high": 3.0}, 3.0, True),
     ("between", {"low": 1.5, "high": 3.0}, 1.4, False), ("greater_than_arm", {}, 0.1, True),
     ("greater_than_arm", {}, 0.05, False), ("less_than_arm", {}, -0.2, True), ("less_than_arm", {}, 0.0, False),
     ("up", {}, float("nan"), False), (None, {}, 5.0, None)],
)
def test_passes_applies_the_documented_thresholds(expect: str, fields: dict, value: float, verdict: bool | None) -> None:
    spec = Check(observable="y", arm="a", reference="b", expect=expect, label="x", at="1 h", **fields)  # type: ignore[arg-type]
    assert passes(spec, value) is verdict


# -- the runner on the rat PK model ---------------------------------------------------------------
def test_passing_failing_and_prediction_experiments(tmp_path: Path) -> None:
    passing, failing, predicted = load(
        tmp_path, experiment("P01", LINEAR, UP, SAME, NOTHING), experiment("P02", LINEAR, WRONG),
        experiment("P03", check(arm="k20", reference="k10", at="2 h"), kind="prediction"),
    )
    good = run_experiment(passing)
    assert good.status == "pass" and good.reason is None, good
    linear = good.measured["ketamine_brain_um k20/k10 mean over 1 h-4 h"]
    assert linear == pytest.approx(2.0, rel=1e-6)  # linear PK
    assert good.measured["ketamine_brain_um k10/vehicle at 30 min"] == np.inf
    assert good.measured["ketamine_brain_um k10b/k10 max over 0 h-6 h"] == pytest.approx(1.0, abs=1e-12)
    assert good.measured["ketamine_brain_um vehicle/vehicle at 1 h"] == 1.0
    assert set(good.results) == {"vehicle", "k10", "k10b", "k20", "pretreated"}
    bad = run_experiment(failing)
    assert bad.status == "fail" and [c.passed for c in bad.checks] == [True, False]
    assert bad.measured["ketamine_brain_um k20/k10 at 2 h"] == pytest.approx(2.0, rel=1e-6)
    prediction = run_experiment(predicted)
    assert prediction.status == "prediction" and prediction.checks[0].passed is None
    assert prediction.measured["ketamine_brain_um k20/k10 at 2 h"] == pytest.approx(2.0, rel=1e-6)
    assert good.record()["measured"]["ketamine_brain_um k10/vehicle at 30 min"] == "inf"
    json.dumps([o.record() for o in (good, bad, prediction)], allow_nan=False)


def test_pretreatment_is_simulated_from_the_earliest_dose(tmp_path: Path) -> None:
    (spec,) = load(tmp_path, experiment("P01", check(arm="pretreated", reference="k10", at="1 h"), kind="prediction"))
    outcome = run_experiment(spec)
    assert outcome.results["k10"].times[0] == pytest.approx(-0.5)
    model = build_model("rat")
    direct = simulate(model, PROTOCOLS["ketamine_ip"](), [0.5, 1.0, 1.5]).column("ketamine_brain_um")
    assert outcome.measured["ketamine_brain_um pretreated/k10 at 1 h"] == pytest.approx(direct[2] / direct[1], rel=1e-6)


def test_comparisons_of_effects(tmp_path: Path) -> None:
    # effect(k20 vs k10) = 1 (linear PK), effect(k10b vs k10) = 0: the difference is 1
    bigger = check(arm="k20", reference="k10", other_arm="k10b", other_reference="k10", at="2 h",
                   expect="greater_than_arm", label="bigger")
    smaller = check(arm="k20", reference="k10", other_arm="k10b", other_reference="k10", at="2 h",
                    expect="less_than_arm", label="smaller")
    (spec,) = load(tmp_path, experiment("P01", bigger, smaller))
    outcome = run_experiment(spec)
    assert outcome.measured["bigger"] == pytest.approx(1.0, rel=1e-6)
    assert [c.passed for c in outcome.checks] == [True, False] and outcome.status == "fail"


def test_a_failing_arm_is_an_error_and_the_batch_goes_on(tmp_path: Path) -> None:
    broken = experiment("P01", UP, parameters="ketamine_central_volume = 0.0")  # solver cannot integrate
    specs = load(tmp_path, broken, experiment("P02", LINEAR), experiment("P03", check("no_such_observable", arm="k10",
                                                                                        reference="vehicle", at="1 h", expect="up")))
    seen: list[tuple[int, int, str]] = []
    outcomes = run_experiments(progress=lambda *a: seen.append(a), experiments=specs)
    assert [o.status for o in outcomes] == ["error", "pass", "error"]
    assert outcomes[0].reason.startswith("preclinical.toml: P01: arm[pretreated]: simulation failed")
    assert "no_such_observable" in outcomes[2].reason and "P03: check[0].observable" in outcomes[2].reason
    assert outcomes[0].measured == {} and outcomes[0].record()["reason"] == outcomes[0].reason
    assert seen == [(0, 3, "P01"), (1, 3, "P02"), (2, 3, "P03"), (3, 3, "")]


def test_unknown_ids_fail_before_running_and_models_are_built_once(tmp_path: Path, monkeypatch) -> None:
    specs = load(tmp_path, experiment("P01", UP), experiment("P02", NOTHING))
    with pytest.raises(ExperimentError, match="P99"):
        run_experiments(["P01", "P99"], experiments=specs, progress=lambda *a: pytest.fail("ran"))
    built: list[str] = []
    monkeypatch.setattr(runner, "build_model", lambda species: built.append(species) or build_model(species))
    outcomes = run_experiments(["P02", "P01"], experiments=specs)
    assert [o.id for o in outcomes] == ["P02", "P01"] and built == ["rat"]


# -- the command line ------------------------------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trdlab", *args], capture_output=True, text=True, encoding="utf-8", timeout=300)


def test_cli_lists_and_runs_experiments(tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    load(folder, experiment("P01", LINEAR, UP), experiment("P02", WRONG))
    listing = cli("experiments", "list", "--library", str(folder))
    assert listing.returncode == 0 and "P01" in listing.stdout and "PK experiment P02" in listing.stdout
    target = tmp_path / "out" / "outcomes.json"
    run = cli("experiments", "run", "P02", "P01", "--library", str(folder), "--json", str(target))
    assert run.returncode == 0, run.stderr
    records = json.loads(target.read_text())
    assert [(r["id"], r["status"]) for r in records] == [("P02", "fail"), ("P01", "pass")]
    assert set(records[0]) >= {"id", "status", "measured", "expected", "citation"}
    assert records[1]["citation"] == "kamp2020" and records[1]["measured"]["ketamine_brain_um k10/vehicle at 30 min"] == "inf"
    assert sorted(p.name for p in target.parent.iterdir()) == ["outcomes.json"]  # no temporary file left


def test_cli_unknown_id_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    load(folder, experiment("P01", UP))
    run = cli("experiments", "run", "P42", "--library", str(folder), "--json", str(tmp_path / "o.json"))
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 1 and len(lines) == 1 and "P42" in lines[0] and "Traceback" not in run.stderr
    assert not (tmp_path / "o.json").exists()


def with_key(text: str, line: str) -> str:
    """``text`` with ``line`` added to its [[experiment]] table (before the first arm)."""
    return text.replace('step = "5 min"\n', f'step = "5 min"\n{line}\n', 1)


def test_a_recorded_discrepancy_is_the_reason_only_when_the_claim_fails(tmp_path: Path) -> None:
    why = 'discrepancy = "linear PK cannot leave the 20/10 ratio unchanged"'
    failing, passing = load(tmp_path, with_key(experiment("P01", WRONG), why), with_key(experiment("P02", LINEAR), why))
    assert failing.discrepancy == "linear PK cannot leave the 20/10 ratio unchanged"
    bad, good = run_experiment(failing), run_experiment(passing)
    assert bad.status == "fail" and bad.reason == failing.discrepancy
    assert bad.record()["reason"] == failing.discrepancy
    assert good.status == "pass" and good.reason is None


def test_a_discrepancy_must_be_text(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="discrepancy: not text"):
        load(tmp_path, with_key(experiment("P01", WRONG), "discrepancy = 3"))
