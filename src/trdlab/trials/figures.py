"""Figures of a virtual trial: score trajectories, response/remission rates, relapse curves.

All figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state,
no ``show``), so they render with the Agg canvas anywhere, including headless runs.

* :func:`trajectory_figure`: mean total per arm at baseline (the table's own visit at
  day <= 0 if it has one, else its ``baseline`` column) and at each visit with a
  95 % t-interval band (``mean -+ t_{0.975, n-1} sd / sqrt(n)``), on a categorical time
  axis (visits in time order, labelled with their design label) so that minutes-apart
  and weeks-apart visits stay readable; one line and one band per arm.
* :func:`response_figure`: grouped bars of the response and remission rates per arm at
  each visit (two panels), from a :func:`~trdlab.trials.summary.summarize_trial` dict.
* :func:`relapse_figure`: Kaplan-Meier curves of time to loss of response per arm
  (lifelines estimates, drawn as steps with their confidence bands).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from matplotlib.figure import Figure
from scipy import stats

from trdlab.errors import OutputError, TrialError
from trdlab.trials.statistics import observed_rows, relapse_times
from trdlab.trials.summary import TrialSummary

__all__ = ["relapse_figure", "response_figure", "trajectory_figure", "write_trial_figures"]


def _visits_in_time_order(subjects: pd.DataFrame, visit_days: Mapping[str, float]) -> list[str]:
    visits = pd.unique(subjects["visit"].astype(str))
    unknown = [v for v in visits if v not in visit_days]
    if unknown:
        raise TrialError(f"visit_days has no time (days) for visits {unknown}; add them to visit_days")
    return sorted(visits, key=lambda v: visit_days[v])


def _mean_band(values: pd.Series) -> tuple[float, float, float]:
    x = values.dropna().to_numpy(dtype=float)
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(x.mean())
    if x.size < 2:
        return (mean, np.nan, np.nan)
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return (mean, mean - half, mean + half)


def trajectory_figure(subjects: pd.DataFrame, visit_days: Mapping[str, float], scale_label: str) -> Figure:
    """Mean rating-scale total per arm over time (baseline, then each visit) with 95 % CI bands."""
    visits = _visits_in_time_order(subjects, visit_days)
    observed = subjects[observed_rows(subjects)]
    # A table without a visit at day <= 0 gets a "baseline" point from its baseline column.
    add_baseline = all(visit_days[v] > 0 for v in visits)
    labels = (["baseline"] if add_baseline else []) + visits
    figure = Figure(figsize=(7.5, 4.5), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(labels))
    for arm in pd.unique(subjects["arm"].astype(str)):
        arm_rows = observed[observed["arm"].astype(str) == arm]
        points = [_mean_band(arm_rows.loc[arm_rows["visit"].astype(str) == v, "total"]) for v in visits]
        if add_baseline:
            points.insert(0, _mean_band(arm_rows.drop_duplicates(["subject", "period"])["baseline"]))
        mean, low, high = (np.array(column, dtype=float) for column in zip(*points, strict=True))
        (line,) = axes.plot(positions, mean, marker="o", label=arm)
        axes.fill_between(positions, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    axes.set_xticks(positions, labels, rotation=30, ha="right")
    axes.set_xlabel("visit (time order)")
    axes.set_ylabel(f"{scale_label} total (mean, 95 % CI)")
    axes.legend(title="arm", frameon=False)
    return figure


def response_figure(summary: TrialSummary, published: Sequence[tuple[str, str, str, float]] = ()) -> Figure:
    """Grouped bars of response and remission rates per arm at each visit (two panels).

    ``published``: (metric, arm, visit, value) of the trial's published rates, drawn as black diamonds
    on their bars (the reader compares each bar with its diamond).
    """
    arms = summary["arms"]
    if not arms:
        raise TrialError("response_figure: summary['arms'] is empty; pass the dict returned by summarize_trial")
    names = list(arms)
    visits = list(next(iter(arms.values()))["visits"])
    # a fixed, moderate size: a figure scaled down in the report must keep readable labels
    figure = Figure(figsize=(min(10.0, max(7.0, 0.9 * len(visits) + 3.0)), 6.0), layout="constrained")
    panels = figure.subplots(2, 1, sharex=True)
    width = 0.8 / len(names)
    x = np.arange(len(visits))
    for axes, key, title in zip(panels, ("response_rate", "remission_rate"), ("response", "remission"), strict=True):
        for index, arm in enumerate(names):
            rates = [arms[arm]["visits"][v][key] for v in visits]
            heights = np.array([np.nan if r is None else 100.0 * r for r in rates], dtype=float)
            axes.bar(x + (index - (len(names) - 1) / 2) * width, heights, width, label=arm)
            marks = [(visits.index(v), 100.0 * value) for metric, a, v, value in published
                     if metric == key and a == arm and v in visits]
            if marks:
                axes.scatter([x[i] + (index - (len(names) - 1) / 2) * width for i, _ in marks], [m for _, m in marks],
                             marker="D", s=45, color="black", zorder=3, label="published")
        axes.set_ylabel(f"{title} rate (%)", fontsize=11)
        axes.set_ylim(0, 100)
        axes.tick_params(labelsize=10)
    panels[-1].set_xticks(x, visits, rotation=30, ha="right")
    handles, labels = panels[0].get_legend_handles_labels()
    for axes in panels[1:]:
        more_handles, more_labels = axes.get_legend_handles_labels()
        handles += [h for h, label in zip(more_handles, more_labels) if label not in labels]
        labels += [label for label in more_labels if label not in labels]
    panels[0].legend(handles, labels, title="arm", frameon=False, ncols=min(len(labels), 4), fontsize=10)
    return figure


def relapse_figure(subjects: pd.DataFrame, visit_days: Mapping[str, float]) -> Figure:
    """Kaplan-Meier curves (with 95 % bands) of days from first response to loss of response, per arm."""
    table = relapse_times(subjects, visit_days)
    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    axes = figure.add_subplot()
    for arm in pd.unique(subjects["arm"].astype(str)):
        rows = table[table["arm"].astype(str) == arm]
        if rows.empty:
            continue
        fitter = KaplanMeierFitter().fit(rows["duration"], rows["event"])
        times = fitter.survival_function_.index.to_numpy(dtype=float)
        survival = fitter.survival_function_.iloc[:, 0].to_numpy(dtype=float)
        band = fitter.confidence_interval_.to_numpy(dtype=float)
        (line,) = axes.step(times, survival, where="post", label=f"{arm} (n={len(rows)})")
        axes.fill_between(times, band[:, 0], band[:, 1], step="post", color=line.get_color(), alpha=0.2, linewidth=0)
    if table.empty:
        axes.text(0.5, 0.5, "no responders", transform=axes.transAxes, ha="center", va="center")
    else:
        axes.legend(title="arm", frameon=False)
    axes.set_ylim(0, 1.05)
    axes.set_xlabel("days since first response")
    axes.set_ylabel("probability of keeping response")
    return figure


def write_trial_figures(
    subjects: pd.DataFrame,
    summary: TrialSummary,
    visit_days: Mapping[str, float],
    scale_label: str,
    folder: Path,
    published: Sequence[tuple[str, str, str, float]] = (),
) -> list[Path]:
    """Write trajectory.png, response.png and relapse.png into ``folder``; return their paths.

    ``published`` rates are drawn on the response figure (see :func:`response_figure`)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create figure folder {folder}: {error}") from error
    figures = {
        "trajectory.png": trajectory_figure(subjects, visit_days, scale_label),
        "response.png": response_figure(summary, published),
        "relapse.png": relapse_figure(subjects, visit_days),
    }
    paths = []
    for name, figure in figures.items():
        path = folder / name
        try:
            figure.savefig(path, dpi=120)
        except OSError as error:
            raise OutputError(f"cannot write {path}: {error}") from error
        paths.append(path)
    return paths
