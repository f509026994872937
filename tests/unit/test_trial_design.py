"""Trial designs as data: the built-in designs load, a broken file lists every problem at once,
and regimen entries become the dose events computed by hand."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from trdlab.dosing.constructors import administrations
from trdlab.errors import DoseError, TrialError
from trdlab.model.library import default_root
from trdlab.trials.design import (
    builtin_designs,
    design_from_mapping,
    load_design,
    validate_design,
)
from trdlab.trials.regimens import arm_regimen, background_regimen, sequence_regimen

KETAMINE_BASE, KETAMINE_HCL = 237.73, 274.19  # g/mol
SCOPOLAMINE_BASE, SCOPOLAMINE_HBR_3H2O = 303.35, 438.31
LITHIUM, LITHIUM_CARBONATE_PER_LI = 6.94, 36.95  # g/mol Li; g Li2CO3 per mol Li (73.89 / 2, compounds/lithium.toml)


@pytest.mark.parametrize("name", ["zarate2006", "drevets2010", "stard_level1"])
def test_builtin_designs_load_validate_and_round_trip(name: str) -> None:
    assert name in builtin_designs()
    design = load_design(name)
    assert design.name == name
    assert validate_design(design.to_dict(), design.source) == []
    assert design_from_mapping(design.to_dict(), design.source) == design
    assert load_design(builtin_designs()[name]) == design


def test_zarate2006_is_the_published_crossover() -> None:
    design = load_design("zarate2006")
    assert (design.design, design.n, design.scale, design.inclusion, design.remission) == (
        "crossover", 18, "hdrs21", 18.0, 7.0)
    minutes = [40, 80, 110, 230, 24 * 60, 2 * 24 * 60, 3 * 24 * 60, 7 * 24 * 60]
    assert design.visit_hours == pytest.approx([m / 60 for m in minutes], rel=1e-12)
    # infusions one week apart: period 2 starts at the day-7 visit (washout 0 after it)
    assert design.period_starts_hours == (0.0, 168.0)
    assert [a.placebo for a in design.arms] == [False, True]


BROKEN = """
name = "broken"
title = "six and more problems"
reference = "no_such_key"
design = "crossover"
population = "mdd"
n = -3
scale = "beck"
visits = ["40 min", "1 parsec", "2 d"]
response = 1.5
dosing = "typo"

[[arms]]
name = "ketamine"
allocation = 0
regimen = [{ protocol = "ketamin_iv", dose = "0.5 mg/kg" }]

[[arms]]
name = "saline"
placebo = true
"""

EXPECTED_FIELDS = [
    "reference:", "n:", "scale:", "visits[1]:", "response:", "dosing: unknown key", "washout:",
    "arms[0].allocation:", "arms[0].regimen[0].protocol: unknown protocol 'ketamin_iv'", "arms[1].regimen:",
]


def test_a_broken_design_raises_one_error_listing_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN)
    with pytest.raises(TrialError) as raised:
        load_design(path)
    message = str(raised.value)
    lines = message.splitlines()
    for field in EXPECTED_FIELDS:
        assert sum(line.strip().startswith(field) for line in lines) == 1, field
    assert f"{len(lines) - 1} problem(s)" in lines[0] and len(lines) - 1 >= 6
    assert "known: ketamine_iv" in message


def test_visits_before_the_first_dose_need_permission() -> None:
    mapping = load_design("zarate2006").to_dict()
    for arm in mapping["arms"]:
        arm["regimen"][0]["at"] = "2 h"  # visits at 40, 80 and 110 min now precede the infusions
    problems = validate_design(mapping)
    assert [p.split(":")[0] for p in problems] == ["visits[0]", "visits[1]", "visits[2]"]
    assert validate_design({**mapping, "allow_predose_visits": True}) == []


def test_schedule_problems_are_reported_by_field() -> None:
    mapping = load_design("drevets2010").to_dict()
    mapping["arms"][0]["regimen"][0]["count"] = 5  # 5 sessions every 4 d end after the 12-d visit
    mapping["arms"][1]["regimen"][0]["every"] = None
    del mapping["arms"][1]["regimen"][0]["every"]
    mapping["design"] = "parallel"
    problems = validate_design(mapping)
    assert any(p.startswith("washout: only a crossover") for p in problems)
    assert any(p.startswith("arms[1].regimen[0].count: count = 3 infusions need every") for p in problems)


def test_unknown_design_name_lists_the_builtins() -> None:
    with pytest.raises(TrialError, match="zarate2006"):
        load_design("zarate2007")


def test_dropout_fraction_becomes_a_constant_hazard() -> None:
    design = load_design("stard_level1")
    days = max(design.visit_hours) / 24.0
    assert design.dropout_per_day == pytest.approx(-math.log(1 - 0.2) / days, rel=1e-12)
    rate = design_from_mapping({**design.to_dict(), "dropout": {"rate": "0.07 /week"}})
    assert rate.dropout_per_day == pytest.approx(0.01, rel=1e-12)


# -- regimens -------------------------------------------------------------------------------------
def test_ketamine_arm_is_one_infusion_of_base_shifted_to_the_period() -> None:
    design = load_design("zarate2006")
    regimen = arm_regimen(design.arm("ketamine"), weight_kg=70.0, offset_h=100.0)
    (event,) = regimen.events
    assert event.amt == pytest.approx(0.5 * 70 * KETAMINE_BASE / KETAMINE_HCL, rel=1e-12)  # 30.35 mg base
    assert (event.time, event.cmt) == (100.0, "ketamine_central")
    assert event.dur == pytest.approx(40 / 60, rel=1e-12)
    assert len(arm_regimen(design.arm("saline"), weight_kg=70.0)) == 0


def test_crossover_sequence_puts_the_second_arm_in_period_two() -> None:
    design = load_design("zarate2006")
    (event,) = sequence_regimen(design, ["saline", "ketamine"], weight_kg=60.0).events
    assert event.time == 168.0 and event.amt == pytest.approx(30 * KETAMINE_BASE / KETAMINE_HCL, rel=1e-12)
    with pytest.raises(TrialError, match="period"):
        sequence_regimen(design, ["ketamine"], weight_kg=60.0)


def test_scopolamine_sessions_are_three_infusions_four_days_apart() -> None:
    regimen = arm_regimen(load_design("drevets2010").arm("scopolamine"), weight_kg=80.0)
    amount = 4e-3 * 80 * SCOPOLAMINE_BASE / SCOPOLAMINE_HBR_3H2O  # mg of base
    assert administrations(regimen) == pytest.approx([(0.0, amount), (96.0, amount), (192.0, amount)])
    assert regimen.events[0].dur == pytest.approx(0.25, rel=1e-12)


def test_citalopram_titration_is_fourteen_days_of_20_mg_then_40_mg() -> None:
    regimen = arm_regimen(load_design("stard_level1").arm("citalopram"), weight_kg=75.0)
    doses = administrations(regimen)
    assert [t for t, _ in doses] == [24.0 * k for k in range(98)]
    assert [a for _, a in doses] == [20.0] * 14 + [40.0] * 84


def test_background_covers_the_window_once_daily() -> None:
    design = design_from_mapping({**load_design("zarate2006").to_dict(), "background": {"protocol": "lithium"}})
    regimen = background_regimen(design, weight_kg=70.0, start_h=-240.0, end_h=190.0)
    doses = administrations(regimen)
    assert len(doses) == math.ceil(430 / 24) and doses[0][0] == -240.0
    assert doses[0][1] == pytest.approx(900 * LITHIUM / LITHIUM_CARBONATE_PER_LI, rel=1e-12)
    same = background_regimen(design, weight_kg=70.0, start_h=0.0, end_h=48.0, therapy="lithium")
    assert len(administrations(same)) == 2  # the subject's lithium is the design's: dosed once
    both = background_regimen(design, weight_kg=70.0, start_h=0.0, end_h=48.0, therapy="valproate")
    assert {e.cmt for e in both.events} == {"lithium_depot", "valproate_depot"}


def test_background_from_the_subject_alone_and_its_errors() -> None:
    design = load_design("zarate2006")
    assert len(background_regimen(design, weight_kg=70.0, start_h=0.0, end_h=48.0, therapy="none")) == 0
    (event,) = background_regimen(design, weight_kg=70.0, start_h=0.0, end_h=48.0, therapy="valproate").events
    assert (event.amt, event.addl) == (1000.0, 1)
    with pytest.raises(TrialError, match="background_therapy='ssri'"):
        background_regimen(design, weight_kg=70.0, start_h=0.0, end_h=48.0, therapy="ssri")
    with pytest.raises(DoseError, match="weight_kg"):
        arm_regimen(design.arm("ketamine"), weight_kg=0.0)


# -- the file schema: named keys, every problem, times stored once, citations -----------------------
def test_a_typo_in_a_key_is_a_named_error_with_a_suggestion() -> None:
    mapping = load_design("zarate2006").to_dict()
    mapping["arms"][0]["placbo"] = False
    mapping["arms"][1]["regimen"][0]["evry"] = "2 d"
    mapping["visit"] = mapping.pop("visits")
    problems = validate_design(mapping)
    assert any(p.startswith("arms[0].placbo: unknown key; did you mean 'placebo'?") for p in problems)
    assert any(p.startswith("arms[1].regimen[0].evry: unknown key; did you mean 'every'?") for p in problems)
    assert any(p.startswith("visit: unknown key; did you mean 'visits'?") for p in problems)
    assert any(p.startswith("visits: missing") for p in problems)


def test_problems_in_several_tables_of_one_file_are_all_listed() -> None:
    mapping = load_design("stard_level1").to_dict()
    mapping["visits"][2] = "3 lightyear"
    mapping["arms"][0]["regimen"][1]["count"] = 0
    mapping["dropout"] = {"fraction": 1.5}
    mapping["background"] = {"protocol": "lithium", "at": "-1 d"}
    mapping["inclusion"] = 90
    fields = [p.split(":")[0] for p in validate_design(mapping)]
    assert sorted(fields) == sorted(["visits[2]", "arms[0].regimen[1].count", "background.at", "dropout.fraction",
                                     "inclusion"])


def test_times_are_stored_once_and_the_hours_derived() -> None:
    from dataclasses import fields, replace

    from trdlab.trials.design import Dropout, RegimenEntry, TrialDesign

    stored = {f.name for cls in (TrialDesign, RegimenEntry, Dropout) for f in fields(cls)}
    assert not {name for name in stored if name.endswith(("_hours", "_per_day"))}
    design = load_design("zarate2006")
    longer = replace(design, visits=design.visits + ("14 d",), washout="2 d")
    assert longer.visit_hours[-1] == 336.0 and longer.washout_hours == 48.0
    assert longer.period_starts_hours == (0.0, 336.0 + 48.0)
    entry = replace(design.arm("ketamine").regimen[0], at="90 min")
    assert (entry.at_hours, entry.last_dose_hours) == (1.5, 1.5)


def own_design(**changes: object) -> dict[str, object]:
    mapping = {k: v for k, v in load_design("zarate2006").to_dict().items() if k != "reference"}
    return {**mapping, "name": "my_trial", **changes}


def test_a_users_design_may_give_a_free_citation_or_none(tmp_path: Path) -> None:
    cited = design_from_mapping(own_design(citation="Doe J et al. A pilot trial. J Affect Disord 2030;1:1-9"))
    assert (cited.reference, cited.citation) == (None, "Doe J et al. A pilot trial. J Affect Disord 2030;1:1-9")
    assert design_from_mapping(cited.to_dict()) == cited
    path = tmp_path / "mine.toml"
    path.write_text('\n'.join(f"{k} = {v!r}".replace("'", '"') for k, v in own_design().items()
                              if isinstance(v, (str, int, float)) and not isinstance(v, bool))
                    + '\nvisits = ["1 d"]\n[[arms]]\nname = "a"\nregimen = [{ protocol = "ketamine_iv" }]\n'
                    + '[[arms]]\nname = "b"\nplacebo = true\nregimen = [{ protocol = "saline_iv" }]\n')
    uncited = load_design(path)
    assert (uncited.reference, uncited.citation) == (None, None)
    problems = validate_design(own_design(reference="doe2030"))
    assert problems and problems[0].startswith("reference: 'doe2030' is not a key") and "citation =" in problems[0]


def test_a_builtin_design_must_cite_a_bib_key() -> None:
    path = builtin_designs()["zarate2006"]
    problems = validate_design(own_design(citation="free text"), path)
    assert [p.split(":")[0] for p in problems] == ["reference"]


def test_named_populations_are_the_tables_of_the_populations_file() -> None:
    names = list(tomllib.loads((default_root() / "populations.toml").read_text(encoding="utf-8")))
    (problem,) = validate_design({**load_design("zarate2006").to_dict(), "population": "healthy"})
    assert problem.startswith("population: 'healthy' is neither a named population") and ", ".join(names) in problem
    for name in names:
        assert validate_design({**load_design("zarate2006").to_dict(), "population": name}) == []
