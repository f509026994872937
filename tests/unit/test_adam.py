"""ADaM-like datasets of a virtual trial: standard names, one row per unit, derivations that agree
with the trial's own scoring, and SAS transport files that a SAS reader reads back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trdlab.clinical.scales import load_scale
from trdlab.trials.adam import adqs, adsl, adtte, write_adam
from trdlab.trials.design import load_design
from trdlab.trials.run import run_trial


@pytest.fixture(scope="module")
def crossover():
    return run_trial(load_design("zarate2006"), n=12, seed=3)


def test_adsl_has_one_row_per_subject_with_the_standard_variables(crossover) -> None:
    table = adsl(crossover)
    assert table.USUBJID.is_unique and len(table) == crossover.subjects.subject.nunique()
    assert {"STUDYID", "USUBJID", "SUBJID", "TRT01P", "TRT01A", "TRT02P", "ARM", "AGE", "SEX", "ITTFL",
            "SAFFL", "BASE"} <= set(table.columns)
    assert set(table.SEX) <= {"F", "M"} and set(table.ITTFL) == {"Y"}
    assert set(table.TRTSEQP) <= {"ketamine/saline", "saline/ketamine"}


def test_adqs_derivations_agree_with_the_trial_scoring(crossover) -> None:
    scale = load_scale(crossover.design.scale)
    table = adqs(crossover)
    assert set(table.PARAMCD) == {scale.paramcd} | {f"{scale.item_prefix}{k:02d}" for k in range(1, len(scale.items) + 1)}
    np.testing.assert_array_equal(table.CHG, table.AVAL - table.BASE)
    assert (table[table.ABLFL == "Y"].AVISIT == "baseline").all()
    total = table[(table.PARAMCD == scale.paramcd) & (table.AVISIT != "baseline")]
    rows = crossover.subjects[crossover.subjects.visit != "baseline"]
    merged = total.assign(subject=total.USUBJID.str[-5:].astype(int)).merge(
        rows, left_on=["subject", "APERIOD", "AVISIT"], right_on=["subject", "period", "visit"])
    assert len(merged) == len(total)
    assert ((merged.CRIT1FL == "Y") == merged.response.astype(bool)).all()
    assert ((merged.CRIT2FL == "Y") == merged.remission.astype(bool)).all()
    # the items add up to the total at every row
    items = table[table.PARAMCD != scale.paramcd].groupby(["USUBJID", "APERIOD", "AVISIT"]).AVAL.sum()
    totals = table[table.PARAMCD == scale.paramcd].set_index(["USUBJID", "APERIOD", "AVISIT"]).AVAL
    pd.testing.assert_series_equal(items.sort_index(), totals.sort_index(), check_names=False)


def test_adtte_counts_the_relapses_of_the_trial_summary(crossover) -> None:
    table = adtte(crossover)
    assert set(table.PARAMCD) == {"TTRELAPS"} and set(table.CNSR) <= {0, 1}
    for arm, info in crossover.summary["relapse"].items():
        rows = table[table.TRTA == arm]
        assert len(rows) == info["n_responders"] and int((rows.CNSR == 0).sum()) == info["n_relapses"]


def test_sas_transport_files_read_back(tmp_path: Path, crossover) -> None:
    write_adam(crossover, tmp_path)
    for name, frame in (("adsl", adsl(crossover)), ("adqs", adqs(crossover)), ("adtte", adtte(crossover))):
        back, meta = pyreadstat.read_xport(str(tmp_path / f"{name}.xpt"))
        assert list(back.columns) == list(frame.columns) and len(back) == len(frame)
        assert all(len(c) <= 8 for c in back.columns) and meta.table_name == name.upper()
        assert pd.read_parquet(tmp_path / f"{name}.parquet").shape == frame.shape
        by_pandas = pd.read_sas(tmp_path / f"{name}.xpt", format="xport")
        assert list(by_pandas.columns) == list(frame.columns) and len(by_pandas) == len(frame)


def test_results_render_as_tables_in_jupyter(crossover) -> None:
    import numpy as np

    import trdlab
    from trdlab.experiments.runner import run_experiments
    from trdlab.model.build import build_model

    html = crossover._repr_html_()
    assert "<table>" in html and "ketamine" in html and "remission" in html
    result = trdlab.simulate(build_model("rat"), trdlab.Regimen(()), np.linspace(0, 1, 3))
    assert "3 time(s)" in result._repr_html_() and "<table" in result._repr_html_()
    (outcome,) = run_experiments(["PK-H1"])
    assert outcome.id in outcome._repr_html_() and "<table>" in outcome._repr_html_()


def test_the_response_figure_marks_the_published_rates_and_keeps_a_readable_size(crossover) -> None:
    from trdlab.trials.figures import response_figure
    from trdlab.trials.output import published_rates

    published = published_rates(crossover)
    assert ("response_rate", "ketamine", "1 d", 0.71) in published  # zarate2006: 71 % responders at day 1
    figure = response_figure(crossover.summary, published)
    width, _ = figure.get_size_inches()
    assert width <= 10.0
    diamonds = [c for axes in figure.axes for c in axes.collections if c.get_label() == "published"]
    assert sum(len(c.get_offsets()) for c in diamonds) == len(published)
