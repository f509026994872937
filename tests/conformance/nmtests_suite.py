"""The NONMEM dosing reference cases (mrgsolve/nmtests, ``dosing/1001``) read in place.

The ADVAN2 TRANS2 model of ``1001.ctl`` (CL = 1.1, V = 20, KA = 1.5, CP = A(2)/(V/1000))
is written below in Antimony. Each scenario's records become a trdlab ``Regimen``:
``ALAG2 = LAGT`` and ``F2 = BIOAV`` apply to compartment 2 only (as in the control
stream); ``RATE = -1`` takes ``R2 = RAT2`` and ``RATE = -2`` takes ``D2 = DUR2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import antimony
import numpy as np
import pandas as pd

import trdlab

NMTESTS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "nmtests"

ADVAN2 = """
model advan2
  compartment body = 1
  species depot in body = 0
  species central in body = 0
  substanceOnly species depot, central
  CL = 1.1; V = 20; KA = 1.5
  absorption: depot -> central; KA * depot
  elimination: central -> ; CL / V * central
  CP := central / (V / 1000)
end
"""


@lru_cache(maxsize=1)
def advan2_model() -> trdlab.Model:
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(ADVAN2) < 0:
        raise RuntimeError(antimony.getLastError())
    return trdlab.Model.from_sbml(antimony.getSBMLString("advan2"), dosing=("depot", "central"))


@dataclass(frozen=True)
class Scenario:
    id: int
    description: str
    records: pd.DataFrame
    expected: np.ndarray  # CP at every record


def load_scenarios() -> list[Scenario]:
    if not NMTESTS.is_dir():
        raise FileNotFoundError(f"NONMEM reference cases not found at {NMTESTS}; shared/ must sit beside the checkout")
    data = pd.read_csv(NMTESTS / "1001.csv")
    reference = pd.read_csv(NMTESTS / "1001-nm.csv")
    keys = pd.read_csv(NMTESTS / "1001-run-key.csv").set_index("ID")["descr"]
    assert len(data) == len(reference) and (data["ID"].to_numpy() == reference["ID"].to_numpy()).all()
    data["CP_NM"] = reference["CP"].to_numpy()
    return [
        Scenario(int(i), str(keys[i]), rows.reset_index(drop=True), rows["CP_NM"].to_numpy(dtype=float))
        for i, rows in data.groupby("ID", sort=True)
    ]


def regimen_of(records: pd.DataFrame) -> trdlab.Regimen:
    """The scenario's dose/reset records as a trdlab Regimen (NONMEM model features resolved)."""
    rows = []
    for r in records.itertuples(index=False):
        if r.evid == 0:
            continue
        cmt2 = int(r.cmt) == 2
        rate, dur = float(r.rate), 0.0
        if rate == -1:
            rate = float(r.RAT2)
        elif rate == -2:
            rate, dur = 0.0, float(r.DUR2)
        rows.append(
            dict(
                time=r.time, amt=r.amt, cmt=int(r.cmt), evid=int(r.evid), rate=rate, dur=dur,
                ii=r.ii, addl=int(r.addl), ss=int(r.ss),
                lag=float(r.LAGT) if cmt2 else 0.0, f=float(r.BIOAV) if cmt2 else 1.0,
            )
        )
    return trdlab.Regimen.from_records(rows)


def simulate_scenario(scenario: Scenario, engine: str = "libroadrunner") -> np.ndarray:
    """Simulated CP at every record of the scenario on the named engine (values at a time include its events)."""
    from trdlab.engines import make_engine

    times = np.unique(scenario.records["time"].to_numpy(dtype=float))
    result = trdlab.simulate(advan2_model(), regimen_of(scenario.records), times, engine=make_engine(engine))
    cp = dict(zip(times, result.column("CP")))
    return np.array([cp[t] for t in scenario.records["time"].to_numpy(dtype=float)])


# NONMEM's table (1001-nm.csv) prints CP with 5 significant digits; its finest printed decimal
# is the 4th (smallest non-zero CP 8.4315), so a printed 0 stands for |CP| < 0.5e-4. Records
# whose reference CP is 0 (before the first dose reaches the central compartment, during a lag,
# right after an EVID 3 reset) are compared with that absolute tolerance; every other record with
# the relative tolerance 1e-4 (twice NONMEM's 5e-5 rounding at 5 significant digits).
RELATIVE_TOLERANCE = 1e-4
ZERO_ABSOLUTE_TOLERANCE = 0.5e-4


def record_matches(simulated: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per record: |sim - ref| < 0.5e-4 where the reference printed 0, else relative error < 1e-4."""
    simulated = np.asarray(simulated, dtype=float)
    expected = np.asarray(expected, dtype=float)
    zero = expected == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.abs(simulated - expected) / np.abs(expected)
    return np.where(zero, np.abs(simulated) < ZERO_ABSOLUTE_TOLERANCE, relative < RELATIVE_TOLERANCE)


def worst_mismatch(simulated: np.ndarray, expected: np.ndarray) -> str:
    """A line naming the first failing record, empty when every record matches."""
    bad = np.flatnonzero(~record_matches(simulated, expected))
    if bad.size == 0:
        return ""
    i = int(bad[0])
    return (f"{bad.size} of {expected.size} records differ; first at record {i}: "
            f"simulated {simulated[i]:.6g}, NONMEM {expected[i]:.6g}")
