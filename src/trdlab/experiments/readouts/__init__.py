"""Readouts of experiment checks, one module per kind (``readout = ...`` in a check table).

- :mod:`~trdlab.experiments.readouts.ratio` (``"ratio"``, the default): time-course ratio of an
  arm against a reference arm at a time or over a window;
- :mod:`~trdlab.experiments.readouts.nca`: non-compartmental PK (Cmax, tmax, terminal half-life)
  of one arm against a literature value;
- :mod:`~trdlab.experiments.readouts.trial`: a metric of a virtual trial's scored subject table
  (response, remission, effect size, ...), optionally as the difference between all subjects of a
  cohort and a subgroup defined by another cohort (the generic two-cohort comparison).
"""

from trdlab.experiments.readouts.ratio import passes, readout

READOUTS = ("ratio", "nca", "trial")
"""The readout kinds a check may name."""

__all__ = ["READOUTS", "passes", "readout"]
