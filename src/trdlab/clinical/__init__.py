"""The clinical layer: rating scales, symptom model, placebo response and measurement."""

from trdlab.clinical.parameters import ClinicalParameters, load_clinical_parameters
from trdlab.clinical.scales import Scale, load_scale, scale_names

__all__ = ["ClinicalParameters", "Scale", "load_clinical_parameters", "load_scale", "scale_names"]
