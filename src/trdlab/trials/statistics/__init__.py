"""Trial statistics: response, effect sizes, repeated-measures model, survival (one concept per module)."""

from trdlab.trials.statistics.effect import cohens_d, cohens_d_point, odds_ratio
from trdlab.trials.statistics.estimates import Estimate, json_number
from trdlab.trials.statistics.mmrm import MixedModelFit, MMRMResult, fit_mmrm, fit_random_intercept
from trdlab.trials.statistics.response import observed_rows, relapse_times, remitters, responders
from trdlab.trials.statistics.survival import cox_hazard_ratio, kaplan_meier_median, logrank

__all__ = [
    "Estimate",
    "MMRMResult",
    "MixedModelFit",
    "cohens_d",
    "cohens_d_point",
    "cox_hazard_ratio",
    "fit_mmrm",
    "fit_random_intercept",
    "json_number",
    "kaplan_meier_median",
    "logrank",
    "observed_rows",
    "odds_ratio",
    "relapse_times",
    "remitters",
    "responders",
]
