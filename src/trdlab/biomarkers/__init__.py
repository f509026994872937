"""Biomarkers of the human model read through measurement models (the review's Figure 2).

- :mod:`~trdlab.biomarkers.definitions`: the library file (measurement models, clock, sleep model);
- :mod:`~trdlab.biomarkers.timing`: sampling-time labels ("baseline", "240 min", "night 1") and
  feature column names (``plasma_bdnf@240min``);
- :mod:`~trdlab.biomarkers.sleep`: night features of the two-process sleep-homeostasis model;
- :mod:`~trdlab.biomarkers.measure`: readings of a simulated cohort (tidy table, with noise);
- :mod:`~trdlab.biomarkers.table`: one row per subject: features and outcomes, ready to learn on.
"""
