"""The screening battery: bad input refused before anything runs, a user's compound screened next to
nothing but itself (fast), the pretreatment and stress readouts, and the CLI's folder contract."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import trdlab
from trdlab.compounds import screen
from trdlab.compounds.catalogue import catalogue

from test_cli import cli, one_error_line
from test_compounds import USER_FILE


@pytest.fixture(scope="module")
def user_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("screen") / "testnam.toml"
    path.write_text(USER_FILE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def table(user_file: Path) -> pd.DataFrame:
    return screen.screen([str(user_file)], ["3 mg/kg"], references=False)


def test_a_dose_outside_the_stated_range_needs_allow() -> None:
    with pytest.raises(trdlab.DoseError, match=r"outside ketamine's stated rat ip range .*--allow"):
        screen.plan(["ketamine"], ["500 mg/kg"])
    assert screen.plan(["ketamine"], ["500 mg/kg"], allow=True, references=False)[0].dose == "500 mg/kg"


def test_a_compound_without_a_rat_route_is_screened_in_human_only() -> None:
    (task,) = screen.plan(["valproate"], references=False)
    assert task.route == "" and screen.human_protocol(task.compound) == "valproate"  # a background drug
    (task,) = screen.plan(["midazolam"], references=False)
    assert task.route == "" and screen.human_protocol(task.compound) == "midazolam_iv"  # the active placebo
    with pytest.raises(trdlab.DoseError, match="no rat route"):
        screen.plan(["norketamine"], references=False)  # a metabolite: no route, no protocol


def test_references_are_added_once_and_default_doses_come_from_the_stated_range() -> None:
    tasks = screen.plan(["ketamine", "glyx13"])
    names = [t.compound.name for t in tasks]
    assert names == ["ketamine", "glyx13", "scopolamine", "memantine"]
    glyx = next(t for t in tasks if t.compound.name == "glyx13")
    assert glyx.dose == "3 mg/kg"  # geometric middle of the stated 0.3-30 mg/kg
    assert {c.name for c in glyx.compose} == {"glyx13", "memantine"}


def test_every_catalogue_compound_can_be_planned() -> None:
    for name, item in catalogue().items():
        route = next((r for r in screen.RAT_ROUTES if r in item.routes("rat")), None)
        if route is None and screen.human_protocol(item) is None:
            continue  # nothing to screen (norketamine: a metabolite)
        doses = () if route is None or item.dose_range("rat", route) else ("1 mg/kg",)
        assert screen.plan([name], doses, references=False, allow=True), name


def test_the_battery_reads_every_rat_readout_for_a_user_compound(table: pd.DataFrame) -> None:
    assert (table.error == "").all()
    rat = table[table.species == "rat"]
    expected = {r["id"] for r in screen.battery()["rat"]["readouts"]}
    assert expected <= set(rat.readout)
    conditions = set(rat[rat.readout == "fst_24h"].condition)
    assert conditions == {"alone", "after rapamycin", "after nbqx", }
    assert "sucrose_preference_reversal" in set(rat.readout)
    assert rat.value.map(math.isfinite).all()


def test_an_mglu5_nam_acts_through_mtor_in_the_model(table: pd.DataFrame) -> None:
    # the model routes every synaptic effect through BDNF -> mTORC1: rapamycin removes the 24-h FST effect
    rat = table[(table.species == "rat") & (table.readout == "fst_24h")].set_index("condition").value
    assert rat["alone"] < 0.99
    assert abs(rat["after rapamycin"] - 1) < abs(rat["alone"] - 1) / 2


def test_the_summary_ranks_by_the_24_h_fst_effect(table: pd.DataFrame) -> None:
    ranked = screen.summary(table)
    assert list(ranked.fst_24h) == sorted(ranked.fst_24h)
    assert "glutamate_10_40min" in ranked.columns


def test_the_cli_writes_the_screen_folder(tmp_path: Path, user_file: Path) -> None:
    out = tmp_path / "screen"
    run = cli("screen", str(user_file), "--doses", "3 mg/kg", "--no-references", "--trial-n", "0", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert {p.name for p in out.iterdir()} == {"screen.parquet", "summary.csv", "report.md"}
    assert "testnam" in (out / "report.md").read_text(encoding="utf-8")


def test_the_cli_refuses_bad_input_without_a_partial_folder(tmp_path: Path) -> None:
    out = tmp_path / "screen"
    line = one_error_line(cli("screen", "ketamine", "--doses", "500 mg/kg", "--out", str(out)))
    assert "--allow" in line and not out.exists()
    line = one_error_line(cli("screen", "no_such_compound", "--out", str(out)))
    assert "neither a catalogue compound" in line and not out.exists()


def test_compound_validate_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(USER_FILE.replace('"lindemann2015"', '"no_key"').replace("value = 10,", "value = -10,"),
                   encoding="utf-8")
    run = cli("compound", "validate", str(bad))
    assert run.returncode == 1
    assert "no_key" in run.stdout and "-10" in run.stdout
    good = tmp_path / "testnam.toml"
    good.write_text(USER_FILE, encoding="utf-8")
    assert cli("compound", "validate", str(good)).returncode == 0


def test_compounds_lists_the_catalogue() -> None:
    run = cli("compounds")
    assert run.returncode == 0 and "basimglurant" in run.stdout and "generated" in run.stdout
