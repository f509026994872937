"""Global sensitivity analysis (SALib): which parameters drive a prediction.

``ranges`` says how far each parameter may move (from the parameter tables' ``cv`` or a ranges
file with stated bounds); ``analysis`` runs Morris screening and Sobol indices on any evaluator
through the parallel runner; ``readouts`` are the evaluators for model predictions;
``test_functions`` are the evaluators with known answers (Ishigami, linear) the same code is checked on.
"""
