"""The diesel-engine digital twin: simulate drive scenarios with the mean-value engine model
(:mod:`physics.engines`, :mod:`pdes.engines`), and check the simulator against its reference."""

from sciml.twin._simulate import parameters, simulate, step_test_table, step_tests

__all__ = ["parameters", "simulate", "step_test_table", "step_tests"]
