"""Global sensitivity analysis: the code that analyses the model reproduces known answers.

Expected values are closed forms: the Ishigami function's Sobol indices (Ishigami & Homma 1990;
Sobol' & Levitan 1999, derived again below), the elementary effects of a linear function (its
coefficients, exactly), the ranking of Sobol's G function (importance falls as a_i grows:
first-order variance share proportional to 1 / (3 (1 + a_i)^2)), and the lognormal quantiles of a cv.
"""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from trdlab.errors import TrdlabError
from trdlab.model.build import build_model
from trdlab.parallel import Runner
from trdlab.sensitivity.analysis import convergence, morris, sobol
from trdlab.sensitivity.ranges import file_ranges, problem, table_ranges
from trdlab.sensitivity.setup import prepare
from trdlab.sensitivity.test_functions import Ishigami, Linear, ishigami_indices

A, B = 7.0, 0.1


def analytic_ishigami() -> tuple[list[float], list[float]]:
    """V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8, V13 = b^2 pi^8 (1/18 - 1/50), V = V1 + V2 + V13."""
    v1 = (1 + B * math.pi ** 4 / 5) ** 2 / 2
    v2 = A ** 2 / 8
    v13 = B ** 2 * math.pi ** 8 * 8 / 225
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def test_the_package_closed_form_is_the_textbook_one() -> None:
    first, total = analytic_ishigami()
    found = ishigami_indices(A, B)
    assert np.allclose(found["S1"], first, atol=1e-12) and np.allclose(found["ST"], total, atol=1e-12)
    assert first[0] == pytest.approx(0.3139, abs=1e-4) and total[2] == pytest.approx(0.2437, abs=1e-4)


def test_sobol_reproduces_the_analytic_ishigami_indices() -> None:
    first, total = analytic_ishigami()
    result = sobol(Ishigami(), Ishigami.problem(), n=4096, seed=7).table
    assert np.allclose(result.S1, first, atol=0.03), result
    assert np.allclose(result.ST, total, atol=0.03), result
    # the bootstrap intervals cover the truth
    assert (np.abs(result.S1 - first) <= result.S1_conf + 1e-9).all()


def test_the_indices_converge_as_n_grows() -> None:
    first, total = analytic_ishigami()
    table = convergence(Ishigami(), Ishigami.problem(), [64, 1024, 8192], seed=3)
    error = {n: float(np.abs(g.ST.to_numpy() - total).max()) for n, g in table.groupby("n")}
    width = {n: float(g.ST_conf.max()) for n, g in table.groupby("n")}
    assert width[64] > width[1024] > width[8192]
    assert error[8192] < error[64] and error[8192] < 0.02


def test_morris_gives_the_coefficients_of_a_linear_function_exactly() -> None:
    linear = Linear((10.0, -5.0, 1.0, 0.0))
    table = morris(linear, linear.problem(), trajectories=12, seed=2).table
    assert list(table.name) == ["x1", "x2", "x3", "x4"]
    assert np.allclose(table.mu_star, [10, 5, 1, 0], atol=1e-9) and np.allclose(table.mu, [10, -5, 1, 0], atol=1e-9)
    assert np.allclose(table.sigma, 0.0, atol=1e-9)


@dataclass(frozen=True)
class GFunction:
    a: tuple[float, ...]

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        a = np.asarray(self.a)
        return np.prod((np.abs(4 * rows - 2) + a) / (1 + a), axis=1)


def test_morris_ranks_the_g_function_by_its_coefficients() -> None:
    g = GFunction((0.0, 1.0, 4.5, 9.0, 99.0))
    spec = {"num_vars": 5, "names": [f"x{i}" for i in range(1, 6)], "bounds": [[0.0, 1.0]] * 5}
    table = morris(g, spec, trajectories=40, levels=4, seed=5).table
    assert list(table.name) == ["x1", "x2", "x3", "x4", "x5"]


def test_a_cv_becomes_the_central_95_percent_of_its_lognormal() -> None:
    model = build_model("rat")
    ranges, excluded = table_ranges("rat", model)
    clearance = next(r for r in ranges if r.name == "ketamine_clearance")
    cv = float(clearance.source.split("cv ")[1].split(":")[0])
    sigma = math.sqrt(math.log(1 + cv ** 2))
    assert clearance.low == pytest.approx(math.exp(-2 * sigma)) and clearance.high == pytest.approx(math.exp(2 * sigma))
    reasons = dict(excluded)
    assert reasons["spine_turnover_rate"].startswith("no cv") and len(excluded) > 100
    assert problem(ranges)["bounds"][0] == list(ranges[0].bounds)


def test_a_bad_ranges_file_names_every_bad_row(tmp_path: Path) -> None:
    model = build_model("rat")
    bad = tmp_path / "ranges.toml"
    bad.write_text('[not_a_parameter]\nfactor = 2\nreason = "x y"\n[ketamine_clearance]\nfactor = 0.5\nreason = "abc"\n'
                   '[mtor_rate]\nlow = 1e9\nhigh = 2e9\nreason = "outside"\n')
    with pytest.raises(TrdlabError) as raised:
        file_ranges(bad, model)
    text = str(raised.value)
    assert "[not_a_parameter]" in text and "[ketamine_clearance].factor" in text and "does not contain the value" in text
    with pytest.raises(TrdlabError, match="no such file"):
        file_ranges(tmp_path / "missing.toml", model)


def test_a_model_readout_ignores_what_it_cannot_depend_on_and_does_not_depend_on_workers(tmp_path: Path) -> None:
    ranges_file = tmp_path / "ranges.toml"
    ranges_file.write_text('[ketamine_clearance]\nfactor = 2\nreason = "test"\n[citalopram_clearance]\nfactor = 2\n'
                           'reason = "test: no citalopram is dosed"\n[ketamine_ip_bioavailability]\nfactor = 1.5\nreason = "test"\n')
    evaluator, ranges, _ = prepare(species="rat", protocol="ketamine_ip", options={"dose": "10 mg/kg", "weight": "0.3 kg"},
                                   readout="ketamine_plasma_ngml@1h", parameters=str(ranges_file))
    serial = morris(evaluator, problem(ranges), trajectories=4, seed=1).table
    with Runner(2) as runner:
        parallel = morris(evaluator, problem(ranges), trajectories=4, seed=1, runner=runner).table
    assert serial.equals(parallel)
    star = dict(zip(serial.name, serial.mu_star))
    assert star["citalopram_clearance"] == 0.0 and star["ketamine_clearance"] > 0 and star["ketamine_ip_bioavailability"] > 0


def test_the_cli_refuses_two_readouts_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "trdlab", "sensitivity", "--experiment", "P03", "--check", "spines",
                          "--design", "zarate2006", "--out", str(tmp_path / "s")], capture_output=True, text=True,
                         encoding="utf-8", timeout=300)
    assert run.returncode == 1 and "give exactly one readout" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


def test_the_cli_writes_the_tables_and_figures(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "trdlab", "sensitivity", "--species", "rat", "--protocol", "ketamine_ip",
                          "--option", "dose=10 mg/kg", "--option", "weight=0.3 kg", "--readout", "ketamine_plasma_ngml@1h",
                          "--trajectories", "2", "--n", "8", "--top", "2", "--workers", "1", "--out", str(tmp_path / "s")],
                         capture_output=True, text=True, encoding="utf-8", timeout=600)
    assert run.returncode == 0, run.stderr
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == ["manifest.json", "morris.csv", "morris.png", "ranges.csv", "sobol.csv", "sobol.png"]
