"""PK of the chronic antidepressants and Mg-uptake interventions (desipramine, imipramine,
paroxetine, Hypericum/hyperforin, TSH) in the rat and mouse models.

Closed forms: for each drug and species, the terminal half-life of the simulated disposition equals
ln2 / smallest eigenvalue of the rate matrix computed here with numpy from the parameter TABLES
(values read from antidepressants_pk.toml and scaled by body weight here, not read from the model).

Literature (expected values are published numbers, never runs of our code):
- hyperforin, rat, 300 mg/kg WS 5572 (5 % hyperforin) oral: Cmax ~370 ng/mL (biber1998) +-25 %
  (CL/F and t1/2 come from the same study but Cmax was not fitted; t_max 3 h set ka, so it is
  checked in tests/consistency/);
- paroxetine, 70 kg adult: mean elimination t1/2 21 h (CV 32 %) at steady state, 30 mg/day for
  30 days (paxil_label; independent of kaye1989's "about one day" that set the clearance) +-25 %;
- TSH, 70 kg adult: t1/2 56 +- 3.0 min in young healthy subjects (tsh_turnover1974; independent of
  odell1967's 53.9 min that set the clearance) +- 2 x 3.0 min; its clearance 31.1 mL/min
  disagrees with the model (xfail).
The human half-lives are the tables' (the human model has no paroxetine or TSH); the rat and
mouse models carry them by allometry, as the closed-form test shows.
Salt conversions: the amount dosed is free base (or hyperforin) computed from the salt (extract).
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

DRUGS = ("desipramine", "imipramine", "paroxetine", "hyperforin", "tsh")
MOLAR_MASS = {"desipramine": 266.39, "imipramine": 280.41, "paroxetine": 329.37, "hyperforin": 536.80}


def p(species: str, name: str, unit: str) -> float:
    """A table value in ``unit``, scaled to the species' body weight (tests/table_values.py)."""
    return table_value(("antidepressants_pk",), species, name, unit)


def _matrix(drug: str, species: str) -> np.ndarray:
    k = p(species, f"{drug}_clearance", "L/h") / p(species, f"{drug}_volume", "L")
    return np.array([[-k]])


def _half_life(drug: str, species: str) -> float:
    return math.log(2) / min(abs(np.linalg.eigvals(_matrix(drug, species)).real))


@pytest.mark.parametrize(("drug", "species"), [(d, s) for d in DRUGS for s in ("rat", "mouse")])
def test_terminal_half_life_matches_closed_form(drug: str, species: str) -> None:
    t_half = _half_life(drug, species)
    times = np.linspace(0.0, 3 * t_half, 301)
    frame = trdlab.simulate(build_model(species), None, times,  # type: ignore[arg-type]
                            parameters={f"{drug}_central": 1000.0}).to_frame()
    slope, _ = np.polyfit(frame["time"], np.log(frame[f"{drug}_plasma_ngml"]), 1)
    assert math.log(2) / -slope == pytest.approx(t_half, rel=1e-4)


def test_paroxetine_human_half_life_matches_the_paxil_label() -> None:
    # paxil_label: mean elimination half-life ~21 h (CV 32 %), 30 mg/day for 30 days
    assert _half_life("paroxetine", "human") == pytest.approx(21.0, rel=0.25)


def test_tsh_human_half_life_matches_tsh_turnover1974() -> None:
    # tsh_turnover1974: 131I-hTSH in five young healthy subjects, t1/2 56 +- 3.0 min
    assert _half_life("tsh", "human") * 60 == pytest.approx(56.0, abs=2 * 3.0)


@pytest.mark.xfail(strict=True, reason=(
    "TSH clearance: the model's 3.13 L/h (52 mL/min; odell1967's t1/2 53.9 min with a volume of "
    "5.8 % of body weight, 4.1 L at 70 kg) vs 31.1 mL/min (distribution volume 2.4 L) in young "
    "healthy subjects (tsh_turnover1974)"))
def test_tsh_human_clearance_matches_tsh_turnover1974() -> None:
    assert p("human", "tsh_clearance", "L/h") * 1000 / 60 == pytest.approx(31.1, rel=0.25)


def test_hyperforin_rat_oral_cmax_matches_biber1998() -> None:
    regimen = protocols.bolus("hypericum", dose="300 mg/kg", weight="0.3 kg", species="rat",
                              route="oral", salt="ws5572")
    (event,) = regimen.to_records()
    assert event["amt"] == pytest.approx(300 * 0.3 * 0.05, rel=1e-3)  # mg hyperforin
    times = np.linspace(0.0, 12.0, 12 * 60 + 1)
    frame = trdlab.simulate(build_model("rat"), regimen, times).to_frame()
    peak = frame["hyperforin_plasma_ngml"].idxmax()
    assert frame.loc[peak, "hyperforin_plasma_ngml"] == pytest.approx(370, rel=0.25)


@pytest.mark.parametrize(("drug", "dose", "salt", "route", "base_mg"), [
    ("desipramine", "30 mg/kg", "hydrochloride", "oral", 30 * 0.025 * 266.39 / 302.85),
    ("desipramine", "30 mg/kg", "hydrochloride", "ip", 30 * 0.025 * 266.39 / 302.85),
    ("imipramine", "15 mg/kg", "hydrochloride", "ip", 15 * 0.025 * 280.41 / 316.87),
    ("paroxetine", "10 mg/kg", "hydrochloride_hemihydrate", "ip", 10 * 0.025 * 329.37 / 374.84),
    ("hypericum", "380 mg/kg", "li160", "oral", 380 * 0.025 * 0.03),
])
def test_salt_conversions_give_free_base(drug: str, dose: str, salt: str, route: str, base_mg: float) -> None:
    regimen = protocols.bolus(drug, dose=dose, weight="0.025 kg", species="mouse", route=route, salt=salt)
    (event,) = regimen.to_records()
    assert event["amt"] == pytest.approx(base_mg, rel=1e-3)


def test_tsh_molar_dose_and_relative_level() -> None:
    regimen = protocols.bolus("tsh", dose="1 nmol", species="rat", route="iv")
    (event,) = regimen.to_records()
    assert event["amt"] == pytest.approx(1e-9 * 28000 * 1e3, rel=1e-9)  # mg
    frame = trdlab.simulate(build_model("rat"), regimen, np.linspace(0.0, 1.0, 13)).to_frame()
    endogenous = p("rat", "tsh_endogenous_plasma", "ng/mL")
    assert frame["tsh_plasma_relative"].to_numpy() == pytest.approx(
        (1 + frame["tsh_plasma_ngml"] / endogenous).to_numpy(), rel=1e-9)
    volume = p("rat", "tsh_volume", "L")
    assert frame["tsh_plasma_ngml"].iloc[0] == pytest.approx(0.028 / volume * 1000, rel=1e-6)


def test_chronic_oral_desipramine_mouse_reaches_steady_state_and_brain_is_unbound_plasma() -> None:
    """30 mg/kg/day desipramine HCl oral in mice for 3 weeks (singewald2004 regimen, as daily bolus)."""
    regimen = protocols.bolus("desipramine", dose="30 mg/kg", weight="0.025 kg", species="mouse",
                              route="oral", salt="hydrochloride", every="24 h", count=21)
    times = np.linspace(0.0, 21 * 24.0, 21 * 24 * 4 + 1)
    frame = trdlab.simulate(build_model("mouse"), regimen, times).to_frame().iloc[1:]
    fu = p("mouse", "desipramine_unbound_fraction", "dimensionless")
    assert frame["desipramine_brain_nm"].to_numpy() == pytest.approx(
        (fu * frame["desipramine_plasma_ngml"] / 266.39 * 1000).to_numpy(), rel=1e-9)
    # closed-form mean steady-state plasma level: F x dose rate / CL
    dose_mg = 30 * 0.025 * 266.39 / 302.85
    css = p("mouse", "desipramine_oral_bioavailability", "dimensionless") * dose_mg / 24 \
        / p("mouse", "desipramine_clearance", "L/h") * 1000  # ng/mL
    last = frame[frame["time"] >= 20 * 24]
    mean = np.trapezoid(last["desipramine_plasma_ngml"], last["time"]) / (last["time"].iloc[-1] - 20 * 24)
    assert mean == pytest.approx(css, rel=0.02)


@pytest.mark.parametrize("drug", ["imipramine", "paroxetine"])
def test_ip_brain_is_unbound_plasma(drug: str) -> None:
    regimen = protocols.bolus(drug, dose="10 mg/kg", weight="0.3 kg", species="rat", route="ip")
    frame = trdlab.simulate(build_model("rat"), regimen, np.linspace(0.0, 6.0, 25)).to_frame().iloc[1:]
    fu = p("rat", f"{drug}_unbound_fraction", "dimensionless")
    assert frame[f"{drug}_brain_nm"].to_numpy() == pytest.approx(
        (fu * frame[f"{drug}_plasma_ngml"] / MOLAR_MASS[drug] * 1000).to_numpy(), rel=1e-9)


@pytest.fixture(scope="module")
def reuptake_model():  # type: ignore[no-untyped-def]
    """The rat model, which composes monoamine_reuptake (imipramine_nmx_block comes from it)."""
    return build_model("rat")


def test_monoamine_reuptake_combines_occupancies_and_imipramine_blocks_nmx(reuptake_model) -> None:  # type: ignore[no-untyped-def]
    regimen = protocols.bolus("imipramine", dose="30 mg/kg", weight="0.3 kg", species="rat", route="ip")
    regimen = regimen + protocols.bolus("paroxetine", dose="10 mg/kg", weight="0.3 kg", species="rat", route="ip")
    frame = trdlab.simulate(reuptake_model, regimen, np.linspace(0.0, 6.0, 13)).to_frame().iloc[1:]
    ic50_nm = p("rat", "imipramine_nmx_ic50", "nM")
    brain = frame["imipramine_brain_nm"]
    assert frame["imipramine_nmx_block"].to_numpy() == pytest.approx((brain / (brain + ic50_nm)).to_numpy(), rel=1e-9)
    free = 1.0
    for drug, target in (("desipramine", "net"), ("desipramine", "sert"), ("imipramine", "sert"),
                         ("imipramine", "net"), ("paroxetine", "sert")):
        c = frame[f"{drug}_brain_nm"]
        free = free * (1 - c / (c + p("rat", f"{drug}_{target}_ki", "nM")))
    c = frame["hyperforin_brain_nm"]
    free = free * (1 - c / (c + p("rat", "hyperforin_reuptake_ic50", "nM")))
    assert frame["monoamine_reuptake_inhibition"].to_numpy() == pytest.approx((1 - free).to_numpy(), rel=1e-9)
    assert frame["monoamine_reuptake_inhibition"].max() > 0.5
