"""The diesel-engine digital twin: simulate drive scenarios with the mean-value engine model
(:mod:`physics.engines`, :mod:`pdes.engines`), check the simulator against its reference, and
identify the unknown parameters from measurements by differentiable simulation."""

from sciml.twin._fit import METHODS, PREDICTED, fit, load_windows
from sciml.twin._identifiability import identifiability
from sciml.twin._monitor import detect, health_table, monitor
from sciml.twin._simulate import parameters, simulate, step_test_table, step_tests
from sciml.twin._simulation_fit import (
    SimulationFit,
    Window,
    cut_window,
    fit_by_simulation,
    initial_guess,
    predict,
)

__all__ = [
    "METHODS",
    "PREDICTED",
    "SimulationFit",
    "Window",
    "cut_window",
    "detect",
    "fit",
    "fit_by_simulation",
    "health_table",
    "identifiability",
    "initial_guess",
    "load_windows",
    "monitor",
    "parameters",
    "predict",
    "simulate",
    "step_test_table",
    "step_tests",
]
