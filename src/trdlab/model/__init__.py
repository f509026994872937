"""Models: SBML documents (`Model`) and the build pipeline of the trdlab library."""

from trdlab.model.sbml_model import Model, SpeciesInfo

__all__ = ["Model", "SpeciesInfo"]
