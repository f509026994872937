"""Cost of a bio-signature: features for 1,000 virtual subjects and a nested-CV fit.

Simulates the ``biosignature_ketamine`` design (1,000 subjects: human model, biomarkers within
72 h through their measurement models), builds the signature table and fits the day-1 response
signature with the experiments' nested cross-validation (5 x 2 outer, 3 inner folds, 500 bootstrap
resamples, no permutation test) and, as the anchor measured in the same run, one plain 5-fold
logistic regression on the same table. Prints seconds per 1,000 subjects, the share spent
simulating vs learning, and the nested fit's cost as a ratio of the plain fit.

Run: ``.venv/bin/python benchmarks/signatures.py [N]``.
"""

from __future__ import annotations

import sys
import time

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

from trdlab.biomarkers.table import signature_table
from trdlab.experiments.readouts.signature import scheme
from trdlab.signatures.run import fit_table
from trdlab.trials.run import run_trial


def main(n: int = 1000) -> None:
    started = time.perf_counter()
    result = run_trial("biosignature_ketamine", n=n, seed=1)
    assert result.biomarkers is not None
    table = signature_table(result.subjects, result.biomarkers, result.design.visits)
    simulated = time.perf_counter()
    signature = fit_table(table, "response_1d", scheme=scheme(1))
    learned = time.perf_counter()
    x = table[list(signature.problem.features)].to_numpy(float)
    y = table["response_1d"].to_numpy(float)
    anchor_start = time.perf_counter()
    cross_val_score(make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000)), x, y, cv=5,
                    scoring="roc_auc")
    anchor = time.perf_counter() - anchor_start
    simulate_s, learn_s = simulated - started, learned - simulated
    total = simulate_s + learn_s
    print(f"{n} subjects: simulate + measure {simulate_s:.1f} s, nested-CV fit {learn_s:.1f} s")
    print(f"seconds per 1,000 subjects: {1000 * total / n:.1f} ({100 * simulate_s / total:.0f} % simulating, "
          f"{100 * learn_s / total:.0f} % learning)")
    print(f"nested CV / plain 5-fold logistic on the same table: {learn_s / anchor:.0f}x ({anchor:.2f} s)")
    print(f"AUC {signature.fit.metrics()['auc']:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
