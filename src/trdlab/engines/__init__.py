"""Simulation backends behind one interface (:class:`Engine`)."""

from trdlab.engines.base import Engine, EngineSettings, Session, Solution
from trdlab.engines.pool import SessionPool
from trdlab.engines.registry import ENGINES, engine_names, make_engine
from trdlab.engines.roadrunner import RoadRunnerEngine

__all__ = ["ENGINES", "Engine", "EngineSettings", "RoadRunnerEngine", "Session", "SessionPool", "Solution",
           "engine_names", "make_engine"]
