"""Readouts of experiment checks, one module per kind (``readout = ...`` in a check table).

- :mod:`~trdlab.experiments.readouts.ratio` (``"ratio"``, the default): time-course ratio of an
  arm against a reference arm at a time or over a window;
- :mod:`~trdlab.experiments.readouts.nca`: non-compartmental PK (Cmax, tmax, terminal half-life)
  of one arm against a literature value;
- ``"biomarker"``: the ratio arm / reference of a biomarker's noise-free reading through its
  measurement model (``library/biomarkers.toml``) at a sampling time (``"night 1"``, ``"1 h"``);
  judged like a ratio check;
- :mod:`~trdlab.experiments.readouts.trial`: a metric of a virtual trial's scored subject table
  (response, remission, effect size, ...), optionally as the difference between all subjects of a
  cohort and a subgroup defined by another cohort (the generic two-cohort comparison).
"""

from trdlab.experiments.readouts.ratio import passes, readout

READOUTS = ("ratio", "nca", "trial", "biomarker")
"""The readout kinds a check may name."""

__all__ = ["READOUTS", "passes", "readout"]
