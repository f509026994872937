"""The trdlab error hierarchy.

Every error names the object, the bad value and the fix. Value-type errors also
subclass :class:`ValueError` so callers that only know the standard library can
still catch them.
"""

from __future__ import annotations


class TrdlabError(Exception):
    """Base class of every error trdlab raises on purpose."""


class ModelError(TrdlabError, ValueError):
    """A model (SBML, Antimony, parameter table) is malformed or inconsistent."""


class DoseError(TrdlabError, ValueError):
    """A dose event table or a dosing protocol is invalid."""


class UnitError(TrdlabError, ValueError):
    """A quantity has a missing, unknown or incompatible unit."""


class SimulationError(TrdlabError, RuntimeError):
    """The solver failed or exceeded a step or wall-clock limit."""


class OutputError(TrdlabError, OSError):
    """A result or report could not be written."""


class ExperimentError(TrdlabError, ValueError):
    """An experiment of the claims ledger is malformed (the message names file, id and field)."""


class PopulationError(TrdlabError, ValueError):
    """A virtual population (spec, file or covariate) is invalid (the message names the field)."""


class TrialError(TrdlabError, ValueError):
    """A trial design is invalid (the message lists every problem with its field and fix)."""


class CalibrationError(TrdlabError, RuntimeError):
    """A calibration could not run or did not converge."""


class CompoundError(TrdlabError, ValueError):
    """A compound file or the compound catalogue is invalid (the message lists every problem)."""
