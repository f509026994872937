"""`Regimen`: rejection of bad dose tables (error type and the field named), round-trips,
merging and shifting."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import trdlab
from trdlab import DoseError, DoseEvent, Regimen


def rejects(field: str, build) -> DoseError:  # type: ignore[no-untyped-def]
    """Assert that ``build()`` raises a DoseError (a ValueError) whose message names ``field``."""
    with pytest.raises(DoseError) as caught:
        build()
    assert isinstance(caught.value, ValueError)
    assert field in str(caught.value), f"message does not name {field!r}: {caught.value}"
    return caught.value


# -- bad input ------------------------------------------------------------------------------
def test_from_frame_rejects_unknown_column_by_name() -> None:
    frame = pd.DataFrame({"time": [0.0], "amt": [10.0], "dose_mg": [10.0]})
    rejects("dose_mg", lambda: Regimen.from_frame(frame))


def test_from_csv_rejects_unknown_column_by_name(tmp_path: Path) -> None:
    path = tmp_path / "regimen.csv"
    path.write_text("time,amt,route\n0,10,iv\n")
    rejects("route", lambda: Regimen.from_csv(path))


def test_from_records_rejects_unknown_column_by_name() -> None:
    rejects("tinf", lambda: Regimen.from_records([dict(time=0, amt=10, tinf=2)]))


def test_negative_amt_is_rejected() -> None:
    rejects("'amt'", lambda: Regimen((DoseEvent(time=0.0, amt=-5.0),)))


def test_non_numeric_amt_is_rejected() -> None:
    rejects("'amt'", lambda: Regimen.from_records([dict(time=0, amt="ten")]))


def test_non_numeric_amt_in_csv_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "regimen.csv"
    path.write_text("time,amt\n0,abc\n")
    rejects("'amt'", lambda: Regimen.from_csv(path))


def test_zero_amt_on_a_dose_record_is_rejected() -> None:
    rejects("'amt'", lambda: Regimen.from_records([dict(time=0, amt=0, evid=1)]))


def test_ss1_without_ii_is_rejected() -> None:
    rejects("'ii'", lambda: Regimen.from_records([dict(time=0, amt=10, ss=1)]))


def test_addl_without_ii_is_rejected() -> None:
    rejects("'ii'", lambda: Regimen.from_records([dict(time=0, amt=10, addl=3)]))


def test_rate_and_dur_together_are_rejected() -> None:
    error = rejects("'dur'", lambda: Regimen.from_records([dict(time=0, amt=10, rate=5, dur=2)]))
    assert "rate" in str(error)


def test_unknown_evid_is_rejected() -> None:
    rejects("'evid'", lambda: Regimen.from_records([dict(time=0, amt=10, evid=5)]))


def test_unknown_ss_is_rejected() -> None:
    rejects("'ss'", lambda: Regimen.from_records([dict(time=0, amt=10, ii=12, ss=3)]))


def test_lag_not_shorter_than_ii_at_steady_state_is_rejected() -> None:
    rejects("'lag'", lambda: Regimen.from_records([dict(time=0, amt=10, ii=12, ss=1, lag=12)]))


def test_unsorted_times_are_rejected() -> None:
    rejects("time", lambda: Regimen.from_records([dict(time=5, amt=10), dict(time=1, amt=10)]))


def test_missing_time_in_a_record_is_rejected() -> None:
    rejects("'time'", lambda: Regimen.from_records([dict(amt=10)]))


def test_missing_time_column_is_rejected() -> None:
    rejects("'time'", lambda: Regimen.from_frame(pd.DataFrame({"amt": [10.0]})))


def test_empty_time_cell_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "regimen.csv"
    path.write_text("time,amt\n0,10\n,10\n")
    rejects("'time'", lambda: Regimen.from_csv(path))


def test_negative_rate_is_rejected_until_the_modelled_rate_is_resolved() -> None:
    error = rejects("'rate'", lambda: Regimen.from_records([dict(time=0, amt=10, rate=-1)]))
    assert "dur" in str(error)  # the fix names the alternative


def test_negative_addl_is_rejected() -> None:
    rejects("'addl'", lambda: Regimen.from_records([dict(time=0, amt=10, ii=12, addl=-1)]))


def test_non_finite_time_is_rejected() -> None:
    rejects("'time'", lambda: Regimen((DoseEvent(time=float("inf"), amt=10.0),)))


def test_cmt_zero_is_rejected() -> None:
    rejects("'cmt'", lambda: Regimen.from_records([dict(time=0, amt=10, cmt=0)]))


def test_from_csv_of_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "no_such_regimen.csv"
    rejects("no_such_regimen.csv", lambda: Regimen.from_csv(path))


def test_from_csv_of_empty_file_is_a_dose_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    rejects("empty.csv", lambda: Regimen.from_csv(path))


# -- round-trips ----------------------------------------------------------------------------
EXAMPLE = Regimen.from_records(
    [
        dict(time=0, amt=100, cmt=1, ii=12, addl=3, lag=0.5, f=0.8),
        dict(time=6, amt=50, cmt=2, rate=25),
        dict(time=12, amt=20, cmt="central", dur=1.5),
        dict(time=24, evid=3),
        dict(time=30, amt=80, cmt=1, ii=24, ss=1),
        dict(time=48, amt=0, cmt=2, rate=4, ss=1),
        dict(time=60, amt=10, evid=4, cmt=2),
    ]
)


def test_to_frame_from_frame_round_trip_is_equal() -> None:
    frame = EXAMPLE.to_frame()
    assert list(frame.columns) == list(trdlab.dosing.COLUMNS)
    assert Regimen.from_frame(frame) == EXAMPLE


def test_csv_write_read_round_trip_is_equal(tmp_path: Path) -> None:
    path = tmp_path / "regimen.csv"
    EXAMPLE.to_frame().to_csv(path, index=False)
    again = Regimen.from_csv(path)
    assert again == EXAMPLE
    assert again.events[2].cmt == "central" and again.events[1].cmt == 2


def test_csv_column_names_are_case_insensitive_and_missing_columns_take_defaults(tmp_path: Path) -> None:
    path = tmp_path / "regimen.csv"
    path.write_text("TIME, AMT, II, ADDL\n0, 10, 12, 2\n")
    assert Regimen.from_csv(path) == Regimen((DoseEvent(time=0.0, amt=10.0, ii=12.0, addl=2),))


def test_records_round_trip_is_equal() -> None:
    assert Regimen.from_records(EXAMPLE.to_records()) == EXAMPLE


# -- combining ------------------------------------------------------------------------------
def test_add_merges_events_sorted_by_time() -> None:
    first = Regimen.from_records([dict(time=0, amt=1), dict(time=10, amt=2), dict(time=20, amt=3)])
    second = Regimen.from_records([dict(time=5, amt=4), dict(time=15, amt=5)])
    merged = first + second
    assert [e.time for e in merged.events] == [0, 5, 10, 15, 20]
    assert [e.amt for e in merged.events] == [1, 4, 2, 5, 3]
    assert len(merged) == 5


def test_add_keeps_left_operand_records_first_at_equal_times() -> None:
    # record order at one time matters (e.g. a reset then a dose), so the merge is stable
    left = Regimen.from_records([dict(time=8, evid=3)])
    right = Regimen.from_records([dict(time=8, amt=7)])
    assert [e.evid for e in (left + right).events] == [3, 1]
    assert [e.evid for e in (right + left).events] == [1, 3]


def test_add_does_not_change_its_operands() -> None:
    first = Regimen.from_records([dict(time=10, amt=2)])
    second = Regimen.from_records([dict(time=5, amt=4)])
    _ = first + second
    assert [e.time for e in first.events] == [10] and [e.time for e in second.events] == [5]


def test_shifted_moves_every_time_and_keeps_other_fields() -> None:
    moved = EXAMPLE.shifted(7.5)
    assert [e.time for e in moved.events] == [e.time + 7.5 for e in EXAMPLE.events]
    for before, after in zip(EXAMPLE.events, moved.events):
        assert {k: v for k, v in vars(after).items() if k != "time"} == {
            k: v for k, v in vars(before).items() if k != "time"
        }
    assert EXAMPLE.events[0].time == 0  # the original is unchanged


def test_regimen_is_immutable() -> None:
    with pytest.raises(AttributeError):
        EXAMPLE.events = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        EXAMPLE.events[0].amt = 1.0  # type: ignore[misc]
