"""Simulation of the mean-value diesel engine model (:mod:`physics.engines`) with diffrax: command
histories with exact transport delays, adaptive solves with jump times at command breakpoints,
the LiU cold start, and every logged signal along a trajectory."""

from pdes.engines._commands import COLUMNS, EngineCommands
from pdes.engines._simulate import (
    TOLERANCE,
    EngineTrajectory,
    cold_start,
    simulate_engine,
    trajectory_signals,
)

__all__ = [
    "COLUMNS",
    "TOLERANCE",
    "EngineCommands",
    "EngineTrajectory",
    "cold_start",
    "simulate_engine",
    "trajectory_signals",
]
