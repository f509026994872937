"""The command line, run as a user runs it (a subprocess), including its failure modes."""

from __future__ import annotations

import json
import subprocess
import sys
from html import escape
from pathlib import Path

import pandas as pd
import pytest

import trdlab
import trdlab.experiments
import trdlab.parallel
from trdlab.model.build import build_model


def cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trdlab", *args], capture_output=True, text=True, encoding="utf-8", cwd=cwd, timeout=timeout)


def one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_version() -> None:
    run = cli("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"trdlab {trdlab.__version__}"


def test_build_writes_the_same_sbml_as_the_api(tmp_path: Path) -> None:
    target = tmp_path / "rat.xml"
    run = cli("build", "--species", "rat", "--out", str(target))
    assert run.returncode == 0, run.stderr
    assert trdlab.Model.from_sbml(target).sha256 == build_model("rat").sha256


def test_unknown_species_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    line = one_error_line(cli("build", "--species", "dog", "--out", str(tmp_path / "x.xml")))
    assert "dog" in line and "human" in line
    assert not (tmp_path / "x.xml").exists()
    debug = cli("--debug", "build", "--species", "dog", "--out", str(tmp_path / "x.xml"))
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_validate_passes_on_the_shipped_library() -> None:
    run = cli("validate")
    assert run.returncode == 0, run.stderr
    assert "no issues" in run.stdout


def test_simulate_protocol_writes_result_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "ket"
    run = cli("simulate", "--species", "human", "--protocol", "ketamine_iv", "--dose", "0.5 mg/kg",
              "--duration", "40 min", "--weight", "70 kg", "--until", "2 h", "--step", "10 min", "--out", str(out))
    assert run.returncode == 0, run.stderr
    frame = pd.read_parquet(out / "result.parquet")
    assert frame["time"].tolist() == pytest.approx([i / 6 for i in range(13)])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["regimen"][0]["dur"] == pytest.approx(40 / 60)
    assert manifest["sbml_sha256"] == build_model("human").sha256
    # peak at the end of the infusion (40 min is on the 10-min grid)
    assert frame["ketamine_plasma_ngml"].idxmax() == 4


def test_simulate_regimen_file(tmp_path: Path) -> None:
    doses = tmp_path / "doses.csv"
    doses.write_text("time,amt,cmt\n0,3,1\n")
    out = tmp_path / "rat"
    run = cli("simulate", "--species", "rat", "--regimen", str(doses), "--until", "1 h", "--out", str(out))
    assert run.returncode == 0, run.stderr
    frame = pd.read_parquet(out / "result.parquet")
    assert frame["ketamine_plasma_ngml"].max() > 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--protocol", "ketamine_iv", "--dose", "0.5"), ("dose", "unit")),
        (("--protocol", "ketamine_iv", "--dose", "-1 mg/kg", "--weight", "70 kg"), ("dose", "negative")),
        (("--protocol", "ketamine_xx"), ("protocol", "ketamine_iv")),
        (("--protocol", "ketamine_iv", "--until", "24"), ("until", "unit")),
    ],
)
def test_simulate_bad_input_leaves_no_output(tmp_path: Path, args: tuple[str, ...], words: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    argv = ["simulate", "--species", "human", *args, "--out", str(out)]
    if "--until" not in args:
        argv += ["--until", "1 h"]
    line = one_error_line(cli(*argv))
    assert all(word in line for word in words), line
    assert list(tmp_path.iterdir()) == []


def test_simulate_bad_regimen_file_names_the_column(tmp_path: Path) -> None:
    doses = tmp_path / "doses.csv"
    doses.write_text("time,amt,cmt,route\n0,3,1,iv\n")
    line = one_error_line(cli("simulate", "--species", "rat", "--regimen", str(doses), "--until", "1 h",
                              "--out", str(tmp_path / "out")))
    assert "route" in line
    assert not (tmp_path / "out").exists()


def test_unwritable_output_is_one_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = one_error_line(cli("simulate", "--species", "human", "--protocol", "ketamine_iv", "--until", "1 h",
                              "--out", str(blocker / "sub")))
    assert str(blocker) in line


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """``trdlab reproduce`` run once for the report tests: the small profile (every experiment and design,
    80-subject cohorts), the same code path as the full paper of ``make run``, on every core."""
    tmp_path = tmp_path_factory.mktemp("reproduce")
    return tmp_path, cli("reproduce", "--profile", "small", "--out", str(tmp_path / "report"), timeout=2400)


def test_reproduce_writes_the_report(reproduced: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    tmp_path, run = reproduced
    out = tmp_path / "report"
    assert run.returncode == 0, run.stderr
    # SUNDIALS prints on stdout: the whole paper runs without a CVODE step-size warning
    assert "t + h = t" not in run.stdout + run.stderr
    summary = json.loads((out / "summary.json").read_text())
    # the small profile says what it is: its sizes, and that its verdicts are not the paper's
    assert summary["profile"]["name"] == "small" and summary["profile"]["trial_n"] == 80
    assert summary["workers"] == ("this process" if trdlab.parallel.available_cores() == 1
                                  else f"{trdlab.parallel.available_cores()} local processes")
    assert {c["id"] for c in summary["checks"]} == {"PK-H1", "PK-H2", "PK-H3"}
    assert len(summary["claims"]) == len(trdlab.experiments.load_ledger())
    status = {c["id"]: c["status"] for c in summary["claims"]}
    assert all(status[f"C0{i}"] in ("pass", "fail") for i in range(1, 8))  # the virtual trials ran
    for design in ("zarate2006", "drevets2010", "stard_level1"):
        assert (out / "trials" / design / "subjects.parquet").is_file()
    html = (out / "index.html").read_text()
    assert "C01" in html and "T1-NR2B-ketamine" in html
    assert "Profile <b>small</b>" in html and "not the paper's" in html
    # validation passes are counted apart from calibration passes, and every check carries its kind
    tally = summary["tally"]
    passed = [e for e in summary["experiments"] if e["status"] == "pass"]
    assert tally["passed"] == len(passed) == tally["passed_validation"] + tally["passed_calibration_only"]
    assert all(c["kind"] in ("calibration", "validation") for e in summary["experiments"] for c in e["checks"])
    assert "<b>Evidence:</b>" in html
    # every failing experiment with a recorded discrepancy shows it as the reason
    explained = [e for e in summary["experiments"] if e["status"] == "fail" and e["reason"]]
    assert explained, "no failing experiment carries its recorded discrepancy"
    for entry in explained:
        assert f"why the model fails this claim: {escape(entry['reason'])}" in html, entry["id"]
    for name in ("pk_human_iv", "pk_rat_ip", "pk_mouse_ip"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
    assert sorted(p.name for p in (out / "models").iterdir()) == ["human.xml", "mouse.xml", "rat.xml"]
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no staging folder left
    # the drug-development claims ran and report (D01 a prediction, D02/D03 judged)
    assert status["D01"] == "prediction" and status["D02"] in ("pass", "fail") and status["D03"] in ("pass", "fail")
    assert "D02" in html and "glyx13" in html
    # the bio-signature claims ran; the report shows the signatures, the correlations and the PSG path
    assert all(status[i] in ("pass", "fail") for i in ("C08", "C09", "C10"))
    assert "id=\"biosignatures\"" in html and "AUC (nested CV)" in html and "concordance (CV Cox)" in html
    for name in ("signature_C08_response_1d.png", "signature_C08_relapse_1d.png", "correlations_C08.png"):
        assert (out / "figures" / name).stat().st_size > 10_000
    assert "injected SWA NREM1" in html and (out / "trials" / "biosignature_ketamine" / "signature.parquet").is_file()
    # the report opens on the summary: ledger counts by section and kind, with links into the report
    assert html.index("id=\"summary\"") < html.index("id=\"s1\"")
    assert "pass (validation)" in html and "href='#table1'" in html and "id=\"table1\"" in html
    # every figure has a caption saying what is simulated and what to compare it with
    assert html.count("<img ") == html.count("<figcaption>") > 10 and "black diamonds: the published" in html
    # not on a terminal: plain progress lines on stderr, one per step
    assert "reproduce: [" in run.stderr and "experiment D01" in run.stderr


ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def test_the_report_renders_in_a_browser(reproduced: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """index.html in headless Chromium: no console error, no failed request, no broken image or link."""
    import os
    import shutil

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing on a CI machine; .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium here (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    tmp_path, run = reproduced
    assert run.returncode == 0, run.stderr
    index = tmp_path / "report" / "index.html"
    errors: list[str] = []
    failed: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(index.as_uri(), wait_until="load")
        broken = page.evaluate("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                               ".map(i => i.getAttribute('src'))")
        links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
        ids = set(page.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-top.png"))
        browser.close()
    assert not errors and not failed and not broken, (errors, failed, broken)
    anchors = [link[1:] for link in links if link.startswith("#")]
    assert anchors and not [a for a in anchors if a not in ids]
    files = [link for link in links if not link.startswith(("#", "http://", "https://", "mailto:"))]
    assert not [f for f in files if not (index.parent / f.split("#")[0]).exists()]
    assert (ARTIFACTS / "report-top.png").stat().st_size > 10_000
