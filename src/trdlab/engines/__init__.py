"""Simulation backends behind one interface (:class:`Engine`)."""

from trdlab.engines.base import Engine, EngineSettings, Session
from trdlab.engines.pool import SessionPool
from trdlab.engines.roadrunner import RoadRunnerEngine

__all__ = ["Engine", "EngineSettings", "RoadRunnerEngine", "Session", "SessionPool"]
