"""Bio-signatures learned from a subject table: response, non-response and relapse.

- :mod:`~trdlab.signatures.data`: the subject table at the file boundary (every problem at once)
  and the time-validity guard (no feature measured after the outcome; by default only features
  measured within 72 h of the first dose);
- :mod:`~trdlab.signatures.learn`: nested cross-validation of scikit-learn pipelines, with AUC
  (bootstrap CI), balanced accuracy, calibration, a permutation test and feature importance;
- :mod:`~trdlab.signatures.relapse`: time to relapse among responders, a cross-validated Cox model
  with its concordance index and Kaplan-Meier curves by predicted risk;
- :mod:`~trdlab.signatures.store`: a fitted signature on disk (model + manifest) and applying it.
"""
