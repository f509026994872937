"""PK of the other interventions (scopolamine, rapamycin i.c.v., NBQX, lithium, citalopram).

Closed forms: for each drug and species, the terminal half-life of the simulated disposition
(log-linear fit after starting on the slowest eigenvector) equals ln2 / smallest eigenvalue of the
rate matrix computed here with numpy from the parameter TABLES (values read from the TOML files and
scaled by body weight here, not read from the model).

Literature (expected values are published numbers, never runs of our code):
- scopolamine, human, 0.5 mg i.v. over 15 min: AUC 369.4 ng min/mL (renner2005) +-30 % (CL is
  from putcha1989, an independent study); terminal t1/2 ~220 min (ebert1998, s.c.) +-25 % (Q was
  solved for putcha1989's 4.5 h). The end-of-infusion 5.00 ng/mL of renner2005 set V1: it is
  checked in tests/consistency/;
- citalopram, human: t1/2 33 h (kraghsorensen1981) +-25 %; 40 mg/day oral at steady state
  ~300 nM, range 165-405 nM (citalopram_fachinfo_ch);
- lithium: serum therapeutic range 0.6-1.2 mM (grandjean2009) for the mean steady-state serum
  level of 900 mg/day Li2CO3 oral (human) and of 2 mmol/kg/day LiCl i.p. for 7 days (rat); closed
  form: at a periodic steady state the mean brain level over an interval is the partition
  coefficient times the mean serum level (d brain/dt = k (Kp serum - brain) integrates to zero);
- rapamycin: 0.2 nmol i.c.v. (li2010) in the rat brain volume 0.0057 L/kg x 0.3 kg -> 117 nM.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import trdlab
from trdlab.dosing import constructors as protocols
from trdlab.dosing.catalog import PROTOCOLS
from trdlab.model.build import build_model
from table_values import table_value


def p(species: str, name: str, unit: str) -> float:
    """A table value in ``unit``, scaled to the species' body weight (tests/table_values.py)."""
    return table_value(("interventions_pk", "ketamine_pk", species), species, name, unit)


def _disposition_matrix(drug: str, species: str) -> tuple[np.ndarray, list[str]]:
    """First-order rate matrix (amounts) of a drug's disposition and its species ids (central first)."""
    if drug == "scopolamine":
        v1, v2 = p(species, "scopolamine_central_volume", "L"), p(species, "scopolamine_peripheral_volume", "L")
        cl, q = p(species, "scopolamine_clearance", "L/h"), p(species, "scopolamine_intercompartmental_clearance", "L/h")
        return np.array([[-(cl + q) / v1, q / v2], [q / v1, -q / v2]]), ["scopolamine_central", "scopolamine_peripheral"]
    if drug == "lithium":
        v, cl = p(species, "lithium_volume", "L"), p(species, "lithium_clearance", "L/h")
        kb, kp = p(species, "lithium_brain_equilibration_rate", "1/h"), p(species, "lithium_brain_partition", "dimensionless")
        vb = p(species, "brain_volume", "L")
        up = kb * kp * vb / v
        return np.array([[-(cl / v + up), kb], [up, -kb]]), ["lithium_central", "lithium_brain"]
    if drug == "citalopram":
        k = p(species, "citalopram_clearance", "L/h") / p(species, "citalopram_volume", "L")
        return np.array([[-k]]), ["citalopram_central"]
    if drug == "nbqx":
        k = p(species, "nbqx_clearance", "L/h") / p(species, "nbqx_volume", "L")
        return np.array([[-k]]), ["nbqx_central"]
    if drug == "rapamycin":
        return np.array([[-p(species, "rapamycin_brain_loss_rate", "1/h")]]), ["rapamycin_brain"]
    raise KeyError(drug)


OBSERVABLE = {"scopolamine": "scopolamine_plasma_ngml", "lithium": "lithium_serum_mm",
              "citalopram": "ssri_plasma_ngml", "nbqx": "nbqx_plasma_ngml", "rapamycin": "rapamycin_brain_nm"}
CASES = [(d, s) for d in ("scopolamine", "lithium", "citalopram") for s in ("human", "rat", "mouse")]
CASES += [(d, s) for d in ("nbqx", "rapamycin") for s in ("rat", "mouse")]


@pytest.mark.parametrize(("drug", "species"), CASES)
def test_terminal_half_life_matches_closed_form(drug: str, species: str) -> None:
    """Start the model on the slowest eigenvector of the TABLE-derived matrix: if the model's
    kinetics are the tables' kinetics, the plasma observable decays mono-exponentially at exactly
    the smallest eigenvalue from t = 0 (a two-exponential tail fit is biased when eigenvalues are
    close, as for lithium in the rat: k = 0.113 /h vs brain 0.1 /h)."""
    matrix, ids = _disposition_matrix(drug, species)
    values, vectors = np.linalg.eig(matrix)
    slowest = int(np.argmin(abs(values.real)))
    t_half = math.log(2) / abs(values[slowest].real)
    vector = vectors[:, slowest].real
    amounts = 1000.0 * vector / vector[0]  # mg; positive (slowest mode of a compartmental matrix)
    assert (amounts > 0).all()
    times = np.linspace(0.0, 3 * t_half, 301)
    model = build_model(species)  # type: ignore[arg-type]
    frame = trdlab.simulate(model, None, times, parameters=dict(zip(ids, amounts))).to_frame()
    slope, _ = np.polyfit(frame["time"], np.log(frame[OBSERVABLE[drug]]), 1)
    assert math.log(2) / -slope == pytest.approx(t_half, rel=1e-4)


def test_scopolamine_human_iv_matches_renner2005_and_ebert1998() -> None:
    model = build_model("human")
    times = np.linspace(0.0, 24.0, 24 * 60 + 1)
    regimen = protocols.infusion("scopolamine", dose="0.5 mg", duration="15 min", species="human")
    frame = trdlab.simulate(model, regimen, times).to_frame()
    auc_ng_min_ml = np.trapezoid(frame["scopolamine_plasma_ngml"], frame["time"]) * 60
    assert auc_ng_min_ml == pytest.approx(369.4, rel=0.30)
    matrix, _ = _disposition_matrix("scopolamine", "human")
    t_half = math.log(2) / min(abs(np.linalg.eigvals(matrix).real))
    assert t_half == pytest.approx(220 / 60, rel=0.25)


def test_scopolamine_rodent_dose_is_free_base_and_brain_is_unbound_plasma() -> None:
    regimen = protocols.bolus("scopolamine", dose="25 ug/kg", weight="0.3 kg", species="rat",
                              route="ip", salt="hydrobromide_trihydrate")
    (event,) = regimen.to_records()
    assert event["amt"] == pytest.approx(25e-3 * 0.3 * 303.35 / 438.31, rel=1e-4)
    frame = trdlab.simulate(build_model("rat"), regimen, np.linspace(0.0, 4.0, 49)).to_frame().iloc[1:]
    fu = p("rat", "scopolamine_unbound_fraction", "dimensionless")
    expected_nm = fu * frame["scopolamine_plasma_ngml"] / 303.35 * 1000  # ng/mL / (g/mol) = uM
    assert frame["scopolamine_brain_nm"].to_numpy() == pytest.approx(expected_nm.to_numpy(), rel=1e-9)


def test_human_scopolamine_iv_infusion_targets_central() -> None:
    iv = protocols.infusion("scopolamine", dose="4 ug/kg", duration="15 min", weight="70 kg",
                            species="human", salt="hydrobromide_trihydrate")
    (event,) = iv.to_records()
    assert event["cmt"] == "scopolamine_central" and event["dur"] == pytest.approx(0.25)


def test_citalopram_human_half_life_and_steady_state() -> None:
    matrix, _ = _disposition_matrix("citalopram", "human")
    assert math.log(2) / abs(matrix[0, 0]) == pytest.approx(33.0, rel=0.25)
    times = np.linspace(0.0, 28 * 24.0, 28 * 24 * 4 + 1)
    frame = trdlab.simulate(build_model("human"), protocols.oral_course("citalopram", dose="40 mg", count=28), times).to_frame()
    last = frame[frame["time"] >= 27 * 24]
    mean_nm = np.trapezoid(last["ssri_plasma_ngml"], last["time"]) / 24 / 324.39 * 1000
    assert 165 <= mean_nm <= 405
    fu = p("human", "citalopram_unbound_fraction", "dimensionless")
    assert last["ssri_brain_nm"].to_numpy() == pytest.approx(
        (fu * last["ssri_plasma_ngml"] / 324.39 * 1000).to_numpy(), rel=1e-9)


def _mean_last_interval(frame, column: str, start: float) -> float:  # type: ignore[no-untyped-def]
    last = frame[frame["time"] >= start]
    return float(np.trapezoid(last[column], last["time"]) / (last["time"].iloc[-1] - start))


def test_lithium_serum_in_therapeutic_range_human_and_rat() -> None:
    times = np.linspace(0.0, 28 * 24.0, 28 * 24 * 4 + 1)
    human = trdlab.simulate(build_model("human"),
                            protocols.oral_course("lithium", dose="900 mg", salt="carbonate", count=28), times).to_frame()
    assert 0.6 <= _mean_last_interval(human, "lithium_serum_mm", 27 * 24) <= 1.2
    times = np.linspace(0.0, 7 * 24.0, 7 * 24 * 4 + 1)
    regimen = protocols.bolus("lithium", dose="2 mmol/kg", weight="0.3 kg", species="rat", route="ip",
                              every="24 h", count=7)
    rat = trdlab.simulate(build_model("rat"), regimen, times).to_frame()
    assert 0.6 <= _mean_last_interval(rat, "lithium_serum_mm", 6 * 24) <= 1.2
    # closed form at the periodic steady state: mean brain = Kp x mean serum over the last interval
    # (a 1-min grid there, so that the trapezoid rule resolves the i.p. absorption peak)
    last_day = np.linspace(6 * 24.0, 7 * 24.0, 24 * 60 + 1)
    steady = trdlab.simulate(build_model("rat"), regimen, np.concatenate([[0.0], last_day])).to_frame().iloc[1:]
    partition = p("rat", "lithium_brain_partition", "dimensionless")
    assert _mean_last_interval(steady, "lithium_brain_mm", 6 * 24) == pytest.approx(
        partition * _mean_last_interval(steady, "lithium_serum_mm", 6 * 24), rel=1e-4)


def test_rapamycin_icv_initial_brain_concentration() -> None:
    regimen = protocols.bolus("rapamycin", dose="0.2 nmol", species="rat", route="icv")
    frame = trdlab.simulate(build_model("rat"), regimen, np.array([0.0, 0.5])).to_frame()
    volume_l = 0.0057 * 0.3
    k = p("rat", "rapamycin_brain_loss_rate", "1/h")
    assert frame["rapamycin_brain_nm"].iloc[0] == pytest.approx(0.2 / volume_l, rel=1e-6)
    assert frame["rapamycin_brain_nm"].iloc[1] == pytest.approx(0.2 / volume_l * math.exp(-0.5 * k), rel=1e-6)


def test_nbqx_ip_brain_unbound_follows_plasma() -> None:
    regimen = protocols.bolus("nbqx", dose="10 mg/kg", weight="0.3 kg", species="rat", route="ip")
    frame = trdlab.simulate(build_model("rat"), regimen, np.linspace(0.0, 2.0, 25)).to_frame().iloc[1:]
    ratio = p("rat", "nbqx_brain_unbound_ratio", "dimensionless")
    assert frame["nbqx_brain_um"].to_numpy() == pytest.approx(
        (ratio * frame["nbqx_plasma_ngml"] / 336.28).to_numpy(), rel=1e-9)
