"""The diesel-engine digital twin: simulate drive scenarios with the mean-value engine model
(:mod:`physics.engines`, :mod:`pdes.engines`), check the simulator against its reference, and
identify the unknown parameters from measurements by differentiable simulation or with
physics-informed networks (with exact or learnt actuator operators)."""

from sciml.twin._actuator_operator import (
    TrainedActuator,
    load_actuator_operator,
    operator_states,
    train_actuator_operator,
)
from sciml.twin._fit import METHODS, PREDICTED, fit, load_windows
from sciml.twin._identifiability import identifiability
from sciml.twin._monitor import detect, health_table, monitor
from sciml.twin._pinn import VARIANTS, PinnFit, PinnSettings, fit_by_pinn, pinn_signals
from sciml.twin._pretrain import pretrain_body
from sciml.twin._simulate import parameters, simulate, step_test_table, step_tests
from sciml.twin._simulation_fit import (
    SimulationFit,
    Window,
    cut_window,
    fit_by_simulation,
    initial_guess,
    predict,
)
from sciml.twin._surrogates import train_formula_surrogates

__all__ = [
    "METHODS",
    "PREDICTED",
    "VARIANTS",
    "PinnFit",
    "PinnSettings",
    "SimulationFit",
    "TrainedActuator",
    "Window",
    "cut_window",
    "detect",
    "fit",
    "fit_by_pinn",
    "fit_by_simulation",
    "health_table",
    "identifiability",
    "initial_guess",
    "load_actuator_operator",
    "load_windows",
    "monitor",
    "operator_states",
    "parameters",
    "pinn_signals",
    "predict",
    "pretrain_body",
    "simulate",
    "step_test_table",
    "step_tests",
    "train_actuator_operator",
    "train_formula_surrogates",
]
