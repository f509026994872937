"""Parameter rows are read through a pydantic schema: every problem of a row is an issue naming its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from trdlab.model.library import Issue, ParameterRow, ParameterRowFile, load_table

GOOD = 'unit = "1/h"\ndescription = "a rate"\nassumed = "test"\n'
"""The fields of a well-formed row other than its value."""


def _load(tmp_path: Path, text: str) -> tuple[list[ParameterRow], list[Issue]]:
    (tmp_path / "parameters").mkdir(exist_ok=True)
    (tmp_path / "parameters" / "t.toml").write_text(text, encoding="utf-8")
    return load_table("t", root=tmp_path)


def _fields(issues: list[Issue]) -> list[str]:
    return sorted(i.field for i in issues)


def test_a_well_formed_row_loads_as_written(tmp_path: Path) -> None:
    rows, issues = _load(tmp_path, '[k]\nvalue = 2\nunit = "1/h"\ndescription = "a rate"\nsource = "x"\n'
                         'derivation = "fitted to P09"\nfitted_to = ["P09"]\ncv = 0.3\ndistribution = "logitnormal"\n'
                         'reference_weight = "70 kg"\nallometric_exponent = 0.75\n')
    assert issues == []
    assert rows == [ParameterRow("k", "t", 2.0, "1/h", "a rate", "x", "fitted to P09", None, "70 kg", 0.75, 0.3,
                                 "logitnormal", ("P09",))]
    assert type(rows[0].value) is float


def test_empty_optional_text_counts_as_absent(tmp_path: Path) -> None:
    (row,), issues = _load(tmp_path, f'[k]\nvalue = 1.5\n{GOOD}source = ""\ndistribution = ""\n')
    assert issues == []
    assert row.source is None and row.distribution is None


def test_a_typo_in_a_key_is_a_named_issue(tmp_path: Path) -> None:
    rows, issues = _load(tmp_path, f'[k]\nvalue = 1.0\n{GOOD}descripton = "typo"\n')
    typo = [i for i in issues if i.field == "descripton"]
    assert len(typo) == 1, issues
    assert typo[0].location == "parameters/t.toml:[k]"
    assert "unknown field" in typo[0].message and "did you mean 'description'" in typo[0].message
    assert all(name in typo[0].fix for name in ParameterRowFile.model_fields)
    assert [r.name for r in rows] == ["k"], "a row whose value is readable still loads"


def test_a_typo_in_value_skips_the_row_and_names_both_problems(tmp_path: Path) -> None:
    rows, issues = _load(tmp_path, f'[k]\nvaule = 1.0\n{GOOD}\n[other]\nvalue = 2.0\n{GOOD}')
    assert [r.name for r in rows] == ["other"]
    assert _fields(issues) == ["value", "vaule"]
    assert {i.location for i in issues} == {"parameters/t.toml:[k]"}
    (missing,) = [i for i in issues if i.field == "value"]
    assert "missing" in missing.message


@pytest.mark.parametrize("value", ["true", "false", '"1.5"', "nan", "inf", "[1.0]"])
def test_a_value_that_is_not_a_finite_number_is_an_issue(tmp_path: Path, value: str) -> None:
    rows, issues = _load(tmp_path, f"[k]\nvalue = {value}\n{GOOD}")
    assert rows == []
    assert _fields(issues) == ["value"]
    assert issues[0].location == "parameters/t.toml:[k]" and issues[0].fix


def test_a_negative_cv_is_an_issue(tmp_path: Path) -> None:
    rows, issues = _load(tmp_path, f"[k]\nvalue = 1.0\n{GOOD}cv = -0.2\n")
    assert _fields(issues) == ["cv"]
    assert "-0.2" in issues[0].message and ">= 0" in issues[0].fix
    assert [r.cv for r in rows] == [None], "the bad cv is left out, the row loads"


def test_every_problem_of_one_row_is_listed(tmp_path: Path) -> None:
    rows, issues = _load(tmp_path, '[k]\nvalue = 1.0\nunit = 3\ncv = -1\ndistribution = "normal"\n'
                         'allometric_exponent = "0.75"\nfitted_to = ["P09", ""]\ncolour = "red"\nsource = 7\n')
    assert _fields(issues) == ["allometric_exponent", "colour", "cv", "description", "distribution",
                               "fitted_to", "source", "unit"]
    assert all(i.location == "parameters/t.toml:[k]" and i.message and i.fix for i in issues)
    (distribution,) = [i for i in issues if i.field == "distribution"]
    assert "lognormal" in distribution.message and "logitnormal" in distribution.message
    (row,) = rows
    assert (row.unit, row.description, row.cv, row.distribution, row.fitted_to) == ("", "", None, None, ())


def test_problems_of_every_row_are_reported_at_once(tmp_path: Path) -> None:
    rows, issues = _load(tmp_path, f"[a]\nvalue = true\n{GOOD}\n[b]\nvalue = 1.0\n{GOOD}cv = -1\n"
                         f"\n[c]\nvalue = 1.0\n{GOOD}\nstray = 3\n")
    assert [(i.location, i.field) for i in issues] == [
        ("parameters/t.toml:[a]", "value"), ("parameters/t.toml:[b]", "cv"), ("parameters/t.toml:[c]", "stray"),
    ]
    assert [r.name for r in rows] == ["b", "c"]


def test_a_row_that_is_not_a_table_is_an_issue(tmp_path: Path) -> None:
    rows, issues = _load(tmp_path, "k = 3\n")
    assert rows == [] and [(i.field, i.message) for i in issues] == [("row", "is not a table")]


def test_fitted_to_must_be_a_list_of_ids(tmp_path: Path) -> None:
    _, issues = _load(tmp_path, f'[k]\nvalue = 1.0\n{GOOD}fitted_to = "P09"\n')
    assert _fields(issues) == ["fitted_to"]
    assert "fitted_to = [" in issues[0].fix
