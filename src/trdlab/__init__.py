"""trdlab: an in-silico laboratory for treatment-resistant depression.

Public API: :class:`Model`, :func:`simulate`, :class:`Result`, :class:`Regimen`,
:mod:`trdlab.dosing.constructors`, :data:`trdlab.dosing.catalog.PROTOCOLS`, :func:`build_model`, :func:`validate`.
"""

__version__ = "0.1.0"

from trdlab.dosing.regimen import DoseEvent, Regimen  # noqa: E402
from trdlab.engines import EngineSettings, RoadRunnerEngine  # noqa: E402
from trdlab.errors import (  # noqa: E402
    DoseError,
    ModelError,
    OutputError,
    SimulationError,
    TrdlabError,
    UnitError,
)
from trdlab.model.sbml_model import Model  # noqa: E402
from trdlab.result import Result  # noqa: E402
from trdlab.simulate import simulate  # noqa: E402

__all__ = [
    "DoseError",
    "DoseEvent",
    "EngineSettings",
    "Model",
    "ModelError",
    "OutputError",
    "Regimen",
    "Result",
    "RoadRunnerEngine",
    "SimulationError",
    "TrdlabError",
    "UnitError",
    "__version__",
    "simulate",
]
