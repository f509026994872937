"""Biomarkers as measurements of the human model (trdlab.biomarkers): the sleep model against an
independent ODE solution, the measurement models against their formulas, sampling times, the
design's [[biomarkers]] block and the virtual trial's biomarker table."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import solve_ivp

from trdlab.biomarkers.definitions import BiomarkerError, load_library, parse_library
from trdlab.biomarkers.measure import Sampling, expected, measure
from trdlab.biomarkers.sleep import episode_swa, night_features, onset_s, sws_minutes
from trdlab.biomarkers.table import signature_table
from trdlab.biomarkers.timing import column_hours, outcome_hours, sampling_time

LIBRARY = load_library()
SLEEP = LIBRARY.sleep
BED = LIBRARY.clock.time_in_bed_h


def _s_trajectory(drive: float) -> tuple[np.ndarray, np.ndarray]:
    """Process S over one night, integrated numerically: days of waking (dS/dt = (1 - S)/tau_rise) and
    sleep (dS/dt = -S/tau_decay) repeated to the periodic state; the night's S scaled by ``drive``."""
    s = 0.5
    for _ in range(30):
        s = solve_ivp(lambda t, y: (1 - y) / SLEEP.tau_rise_h, (0, 24 - BED), [s], rtol=1e-10, atol=1e-12).y[0, -1]
        onset = s
        s = solve_ivp(lambda t, y: -y / SLEEP.tau_decay_h, (0, BED), [s], rtol=1e-10, atol=1e-12).y[0, -1]
    t = np.linspace(0, BED, 4801)
    night = solve_ivp(lambda t, y: -y / SLEEP.tau_decay_h, (0, BED), [drive * onset], t_eval=t, rtol=1e-10, atol=1e-12)
    return t, night.y[0]


def _episode_mean(t: np.ndarray, swa: np.ndarray, episode: int) -> float:
    start = (episode - 1) * SLEEP.cycle_h
    mask = (t >= start) & (t <= start + SLEEP.nrem_fraction * SLEEP.cycle_h)
    return float(np.trapezoid(swa[mask], t[mask]) / (t[mask][-1] - t[mask][0]))


def test_steady_state_onset_s_matches_the_integrated_two_process_model() -> None:
    t, s = _s_trajectory(1.0)
    assert onset_s(SLEEP, BED) == pytest.approx(s[0], rel=1e-6)


@pytest.mark.parametrize("drive", [0.5, 1.0, 1.3])
def test_episode_swa_and_the_delta_sleep_ratio_match_the_integrated_model(drive: float) -> None:
    t, s = _s_trajectory(drive)
    s_healthy = _s_trajectory(1.0)[1][0]
    raw = SLEEP.floor * s_healthy + s
    healthy = SLEEP.floor * s_healthy + _s_trajectory(1.0)[1]
    scale = SLEEP.swa_healthy / _episode_mean(t, healthy, 1)
    for episode in (1, 2):
        assert float(episode_swa(SLEEP, BED, np.array(drive), episode)) == pytest.approx(
            scale * _episode_mean(t, raw, episode), rel=1e-4)
    features = night_features(SLEEP, BED, np.array(drive))
    assert float(features["delta_sleep_ratio"]) == pytest.approx(_episode_mean(t, raw, 1) / _episode_mean(t, raw, 2), rel=1e-4)


def test_without_a_floor_the_delta_sleep_ratio_is_exp_cycle_over_tau() -> None:
    bare = dataclasses.replace(SLEEP, floor=0.0)
    for drive in (0.4, 1.0, 2.0):
        ratio = float(night_features(bare, BED, np.array(drive))["delta_sleep_ratio"])
        assert ratio == pytest.approx(np.exp(SLEEP.cycle_h / SLEEP.tau_decay_h), rel=1e-12)


def test_a_depleted_synaptic_drive_lowers_swa_the_delta_sleep_ratio_and_sws() -> None:
    low, high = night_features(SLEEP, BED, np.array(0.6)), night_features(SLEEP, BED, np.array(1.0))
    for name in ("swa_nrem1", "delta_sleep_ratio", "sws_minutes"):
        assert float(low[name]) < float(high[name])


def test_sws_minutes_with_no_epoch_spread_counts_the_nrem_minutes_above_threshold() -> None:
    sharp = dataclasses.replace(SLEEP, epoch_cv=1e-6)
    s_on = onset_s(SLEEP, BED)
    minutes = (np.arange(int(BED * 60)) + 0.5) / 60
    nrem = (minutes % SLEEP.cycle_h) < SLEEP.nrem_fraction * SLEEP.cycle_h
    d = SLEEP.nrem_fraction * SLEEP.cycle_h
    scale = SLEEP.swa_healthy / (SLEEP.floor * s_on + s_on * SLEEP.tau_decay_h / d * (1 - np.exp(-d / SLEEP.tau_decay_h)))
    swa = scale * (SLEEP.floor * s_on + s_on * np.exp(-minutes / SLEEP.tau_decay_h))
    expected_minutes = int(np.sum(nrem & (swa > SLEEP.n3_threshold * SLEEP.swa_healthy)))
    assert float(sws_minutes(sharp, BED, np.array(1.0))) == pytest.approx(expected_minutes, abs=0.5)


def test_sampling_times_and_column_names() -> None:
    clock = LIBRARY.clock
    assert sampling_time("night 1", clock).hours == clock.sleep_onset_h - clock.first_dose_h
    assert sampling_time("night 0", clock).hours == clock.sleep_onset_h - clock.first_dose_h - 24
    assert sampling_time("240 min", clock).suffix == "240min"
    assert column_hours("plasma_bdnf@240min", clock) == 4.0
    assert column_hours("delta_sleep_ratio@night1", clock) == sampling_time("night 1", clock).hours
    assert column_hours("bdnf_met_carrier", clock) == 0.0
    assert outcome_hours("relapse_1d", clock) == 24.0
    with pytest.raises(BiomarkerError, match="write 'baseline'"):
        sampling_time("tomorrow", clock)


def test_model_readings_follow_the_measurement_formula_and_noise_is_lognormal_with_the_stated_cv() -> None:
    marker = LIBRARY.get("plasma_bdnf")
    grid = np.array([0.0, 2.0, 4.0, 6.0])
    n = 4000
    values = {"bdnf_release_pfc": np.tile(np.array([1.0, 1.5, 2.0, 1.2]), (n, 1))}
    clean = expected(marker, values, grid, sampling_time("3 h", LIBRARY.clock))
    exponent = dict(marker.signal)["bdnf_release_pfc"]
    assert clean == pytest.approx(np.full(n, marker.typical * 1.75**exponent))
    table = measure([Sampling("plasma_bdnf", ("baseline", "3 h"))], values, grid, seed=5)
    later = table[table.time == "3 h"]
    log_sd = np.std(np.log(later.value / later.expected))
    sigma2 = np.log1p(marker.between_subject_cv**2) + np.log1p(marker.measurement_cv**2)
    assert log_sd == pytest.approx(np.sqrt(sigma2), rel=0.05)
    assert np.mean(later.value / later.expected) == pytest.approx(1.0, abs=0.03)
    # the trait factor is shared by a subject's two samples: their log ratio has only the sample noise
    both = table.pivot(index="subject", columns="time", values="value")
    spread = np.std(np.log(both["3 h"] / both["baseline"]) - np.log(1.75**exponent))
    assert spread == pytest.approx(np.sqrt(2 * np.log1p(marker.measurement_cv**2)), rel=0.05)


def test_a_reading_does_not_depend_on_which_other_biomarkers_or_times_are_read() -> None:
    grid = np.array([0.0, 24.0])
    values = {name: np.ones((5, 2)) for name in ("bdnf_release_pfc", "glutamine_pfc")}
    alone = measure([Sampling("plasma_bdnf", ("baseline",))], values, grid, seed=9)
    more = measure([Sampling("mrs_glutamine", ("baseline",)), Sampling("plasma_bdnf", ("1 d", "baseline"))],
                   values, grid, seed=9)
    pd.testing.assert_series_equal(alone.value.reset_index(drop=True),
                                   more[(more.biomarker == "plasma_bdnf") & (more.time == "baseline")].value.reset_index(drop=True))


def test_the_library_lists_every_problem_of_a_broken_file() -> None:
    data = {"clock": {"first_dose": {"value": 10, "unit": "h"}}, "sleep": {},
            "x": {"title": "x", "instrument": "y", "kind": "model", "unit": "pg/mL", "sampling": "any"}}
    with pytest.raises(BiomarkerError) as caught:
        parse_library(data)
    message = str(caught.value)
    assert "[clock].first_dose: Value error, needs source + derivation, or assumed" in message
    assert "[clock].sleep_onset: Field required" in message
    assert "[x]: Value error, kind = 'model' needs signal, typical" in message


def test_every_biomarker_signal_is_a_recorded_observable_of_the_human_model() -> None:
    from trdlab.model.build import build_model
    from trdlab.trials.mechanism import OBSERVABLES

    model = build_model("human")
    names = set(model.species_ids) | set(model.parameters)
    for marker in LIBRARY.biomarkers.values():
        for observable in marker.observables:
            assert observable in names and observable in OBSERVABLES, (marker.id, observable)


def test_a_design_biomarkers_block_is_checked_field_by_field() -> None:
    from trdlab.errors import TrialError
    from trdlab.trials.design import design_from_mapping, load_design

    base = load_design("zarate2006").to_dict()
    wrong = dict(base, biomarkers=[{"biomarker": "plasma_bdnf", "at": ["night 1"]}, {"biomarker": "nope"}])
    with pytest.raises(TrialError) as caught:
        design_from_mapping(wrong)
    message = str(caught.value)
    assert "biomarkers[0]" in message and "is not a sleep measure" in message
    assert "biomarkers[1]" in message and "'nope' is unknown" in message
    late = dict(base, biomarkers=[{"biomarker": "plasma_bdnf", "at": ["30 d"]}])
    with pytest.raises(TrialError, match=r"biomarkers\[0\].at\[0\]: '30 d' \(720 h\) comes after the last visit"):
        design_from_mapping(late)
    good = design_from_mapping(dict(base, biomarkers=[{"biomarker": "swa_nrem1", "at": ["night 0", "night 1"]}]))
    assert design_from_mapping(good.to_dict()) == good


def test_the_relapse_columns_follow_the_landmark_rule() -> None:
    visits = ("230 min", "1 d", "3 d", "7 d")
    rows = []
    # subject 0 responds at 1 d and relapses at 7 d; 1 responds and keeps it; 2 never responds;
    # 3 responds at 1 d and drops out (no later rating); 4 responds, keeps it at 3 d, drops out before 7 d
    for subject, responses in ((0, [0, 1, 1, 0]), (1, [1, 1, 1, 1]), (2, [0, 0, 0, 0]), (3, [1, 1, None, None]),
                               (4, [1, 1, 1, None])):
        rows.append({"subject": subject, "period": 1, "visit": "baseline", "arm": "k", "total": 30.0, "pct_change": 0.0,
                     "response": False, "age": 40.0, "failed_trials": 3.0})
        for visit, response in zip(visits, responses):
            rows.append({"subject": subject, "period": 1, "visit": visit, "arm": "k",
                         "total": np.nan if response is None else 10.0 if response else 25.0,
                         "pct_change": 0.6 if response else 0.1, "response": bool(response), "age": 40.0,
                         "failed_trials": 3.0})
    table = signature_table(pd.DataFrame(rows), pd.DataFrame(columns=["period"]), visits)
    assert table.relapse_1d_time.tolist()[:2] == [6.0, 6.0] and np.isnan(table.relapse_1d_time[2])
    assert table.relapse_1d_event.tolist()[:2] == [1.0, 0.0]
    assert np.isnan(table.relapse_1d_time[3]) and np.isnan(table.relapse_1d_event[3])  # nothing observed after 1 d
    assert (table.relapse_1d_time[4], table.relapse_1d_event[4]) == (2.0, 0.0)  # censored at its last rating, 3 d
    assert table.response_1d.tolist() == [1.0, 1.0, 0.0, 1.0, 1.0]


def test_a_virtual_trial_writes_a_tidy_biomarker_table_the_same_for_the_same_seed() -> None:
    from trdlab.trials.run import run_trial

    one = run_trial("biosignature_ketamine", n=12, seed=4)
    two = run_trial("biosignature_ketamine", n=12, seed=4, workers=2)
    assert one.biomarkers is not None and two.biomarkers is not None
    pd.testing.assert_frame_equal(one.biomarkers, two.biomarkers)
    markers = one.biomarkers
    assert set(markers.biomarker) == {s.biomarker for s in one.design.biomarkers}
    assert len(markers) == 12 * sum(len(s.at) for s in one.design.biomarkers)
    # the genotype reading codes the population's covariate
    met = markers[markers.biomarker == "bdnf_met_carrier"].set_index("subject").value
    genotype = one.subjects[one.subjects.visit == "baseline"].set_index("subject").bdnf_genotype
    assert (met == (genotype != "val/val").astype(float)).all()
    # ketamine's first night: the sleep model read at sleep onset of the first night
    night = markers[(markers.biomarker == "swa_nrem1")].pivot(index="subject", columns="time", values="expected")
    assert (night["night 1"] > night["night 0"]).all()


def test_the_biomarker_readout_is_the_measurement_model_applied_to_each_arm() -> None:
    """C10's MRS glutamine check: reading = typical x glutamine_pfc, so the arm/reference ratio equals
    the ratio of the observable at the same time; C09's SWA check equals the sleep model's ratio."""
    from trdlab.experiments.loading import load_experiments
    from trdlab.experiments.readouts.ratio import ratio_series
    from trdlab.experiments.runner import run_experiment

    by_id = {e.id: e for e in load_experiments()}
    outcome = run_experiment(by_id["C10"])
    value = next(c.value for c in outcome.checks if c.id == "mrs_glutamine")
    direct = ratio_series(outcome.results, "glutamine_pfc", "ketamine", "saline", np.array([1.0]))[0]
    assert value == pytest.approx(direct, rel=1e-9)
    outcome = run_experiment(by_id["C09"])
    value = next(c.value for c in outcome.checks if c.id == "ketamine_swa")
    onset = sampling_time("night 1", LIBRARY.clock).hours
    drives = [float(np.interp(onset, outcome.results[a].times, outcome.results[a].column("slow_wave_activity")))
              for a in ("ketamine", "saline")]
    swa = [float(episode_swa(SLEEP, BED, np.array(d), 1)) for d in drives]
    assert value == pytest.approx(swa[0] / swa[1], rel=1e-9)


def test_clock_times_are_converted_with_their_units_and_checked() -> None:
    import tomllib

    from trdlab.biomarkers.definitions import LIBRARY_FILE

    data = tomllib.loads(LIBRARY_FILE.read_text(encoding="utf-8"))
    data["clock"]["first_dose"] = {"value": 600, "unit": "min", "assumed": "test"}
    assert parse_library(data).clock.first_dose_h == 10.0
    data["clock"]["sleep_onset"] = {"value": 23, "unit": "kg", "assumed": "test"}
    data["clock"]["time_in_bed"] = {"value": 30, "unit": "h", "assumed": "test"}
    with pytest.raises(BiomarkerError) as caught:
        parse_library(data)
    assert "[clock].sleep_onset: unit 'kg' is not a time" in str(caught.value)
    assert "[clock].time_in_bed: 30 h must lie between 0 and 24 h" in str(caught.value)


def test_a_crossover_period_draws_its_own_sample_noise_and_keeps_the_subject_trait() -> None:
    grid = np.array([0.0, 24.0])
    values = {"bdnf_release_pfc": np.ones((400, 2))}
    one = measure([Sampling("plasma_bdnf", ("baseline",))], values, grid, seed=3, period=1)
    two = measure([Sampling("plasma_bdnf", ("baseline",))], values, grid, seed=3, period=2)
    ratio = np.log(two.value.to_numpy() / one.value.to_numpy())
    marker = LIBRARY.get("plasma_bdnf")
    # same trait, independent samples: the log ratio has the variance of two sample factors only
    assert np.std(ratio) == pytest.approx(np.sqrt(2 * np.log1p(marker.measurement_cv**2)), rel=0.1)


def test_no_reading_is_taken_after_a_subject_dropped_out() -> None:
    grid = np.array([0.0, 24.0, 48.0])
    values = {"bdnf_release_pfc": np.ones((3, 3))}
    table = measure([Sampling("plasma_bdnf", ("baseline", "1 d", "2 d")), Sampling("bdnf_met_carrier", ("baseline",))],
                    values, grid, seed=1, observed_until_h=np.array([np.inf, 24.0, -np.inf]),
                    covariates=pd.DataFrame({"bdnf_genotype": ["val/val", "val/met", "met/met"]}))
    bdnf = table[table.biomarker == "plasma_bdnf"].pivot(index="subject", columns="time", values="value")[["baseline", "1 d", "2 d"]]
    assert bdnf.notna().to_numpy().tolist() == [[True, True, True], [True, True, False], [False, False, False]]
    assert table[table.biomarker == "bdnf_met_carrier"].value.tolist() == [0.0, 1.0, 1.0]  # a trait stays known
