"""Simulation and data of the mean-value diesel engine model (:mod:`physics.engines`): command
histories with exact transport delays, diffrax solves with jump times at command changes, drive
scenario families (WHTC windows among them, through steady-state operating maps), the
operating-envelope guard, noisy measurements, one HDF5 file per scenario, users' own measurements
from CSV, and the LiU VGT step experiments."""

from pdes.engines._commands import COLUMNS, EngineCommands, jump_capacity
from pdes.engines._csv import (
    COMMAND_COLUMNS,
    MEASURED_COLUMNS,
    MeasurementError,
    Measurements,
    read_measurements,
    write_measurements,
)
from pdes.engines._dataset import (
    MEASURABLE,
    NOISE_LEVELS,
    OBSERVATION_SETS,
    SIGNALS,
    STATES,
    envelope_violation,
    generate_scenarios,
    measure,
    read_scenario,
    simulate_commands,
    write_scenario,
)
from pdes.engines._operating_maps import (
    OperatingMaps,
    nominal_operating_maps,
    operating_maps,
)
from pdes.engines._reference import STEP_TEST_SETTING, VGT_STEP_TESTS
from pdes.engines._scenarios import (
    FAMILIES,
    GRID,
    RANGES,
    command_times,
    excitation,
    initial_equilibrium,
    smooth,
    staircase,
)
from pdes.engines._simulate import (
    TOLERANCE,
    EngineTrajectory,
    cold_start,
    simulate_engine,
    trajectory_signals,
)
from pdes.engines._step_tests import StepTest, run_vgt_step_test
from pdes.engines._whtc import (
    WhtcSchedule,
    WhtcTrace,
    nominal_whtc_schedule,
    reference_speeds,
    whtc,
    whtc_schedule,
    whtc_speed,
    whtc_trace,
    whtc_window,
)

__all__ = [
    "COLUMNS",
    "COMMAND_COLUMNS",
    "FAMILIES",
    "GRID",
    "MEASURABLE",
    "MEASURED_COLUMNS",
    "NOISE_LEVELS",
    "OBSERVATION_SETS",
    "RANGES",
    "SIGNALS",
    "STATES",
    "STEP_TEST_SETTING",
    "TOLERANCE",
    "VGT_STEP_TESTS",
    "EngineCommands",
    "EngineTrajectory",
    "MeasurementError",
    "Measurements",
    "OperatingMaps",
    "StepTest",
    "WhtcSchedule",
    "WhtcTrace",
    "cold_start",
    "command_times",
    "envelope_violation",
    "excitation",
    "generate_scenarios",
    "initial_equilibrium",
    "jump_capacity",
    "measure",
    "nominal_operating_maps",
    "nominal_whtc_schedule",
    "operating_maps",
    "read_measurements",
    "read_scenario",
    "reference_speeds",
    "run_vgt_step_test",
    "simulate_commands",
    "simulate_engine",
    "smooth",
    "staircase",
    "trajectory_signals",
    "whtc",
    "whtc_schedule",
    "whtc_speed",
    "whtc_trace",
    "whtc_window",
    "write_measurements",
    "write_scenario",
]
