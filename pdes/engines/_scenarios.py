"""Drive scenarios: command histories of the protocol's input families, and where they start.

Commands live on a 10 ms grid (``GRID``): fuel, EGR and VGT commands are held between grid points,
engine speed is interpolated linearly. Families (reference/diesel-mvem.md, section 11, step 2):

- ``staircase`` (F1): each input holds for U[2, 8] s, then jumps to a new level drawn uniformly
  from its range; the four inputs switch independently.
- ``smooth`` (F2): a sum of 8 sinusoids per input, periods U[2, 30] s, random phases and
  amplitudes, scaled so that ±2 standard deviations span the range, then clipped to it.
- ``excitation`` (F3): (n_e, u_δ) held at a point of a grid; u_egr and u_vgt follow pseudo-random
  binary sequences of ±10 % around the middle of their ranges, switching on a 0.5 s clock.
- ``whtc`` (F4): a window of the World Harmonized Transient Cycle, speed and torque mapped to
  commands through static steady-state maps (:mod:`pdes.engines._whtc`).

Every scenario starts at the equilibrium of its first commands, reached by continuation from the
1500 rpm reference point, with the transport delays holding the first commands.
"""

import jax
import jax.numpy as jnp
import numpy as np

from pdes.engines._commands import EngineCommands
from physics._types import Array
from physics.engines import (
    EngineInputs,
    EngineParameters,
    EngineState,
    equilibrium_path,
    saturate_actuator_commands,
)

GRID = 0.01
"""Command grid (s)."""

RANGES = np.array([[800.0, 2000.0], [30.0, 150.0], [0.0, 80.0], [25.0, 95.0]])
"""Input ranges of the protocol: n_e (rpm), u_δ (mg; above ~150 mg independent random commands
drive λ_air below 1.2), u_egr (%), u_vgt (%)."""

EXCITATION_POINTS = (np.array([1000.0, 1250.0, 1500.0, 1750.0]), np.array([50.0, 80.0, 110.0]))
"""The (n_e, u_δ) grid of the excitation family."""

REFERENCE_INPUTS = (1500.0, 110.0, 80.0, 75.0)
"""Where continuation to a scenario's first equilibrium starts (the LiU step-test point)."""


def command_times(duration: float) -> Array:
    """The command grid ``[0, GRID, ..., duration]``."""
    return jnp.arange(round(duration / GRID) + 1) * GRID


def _commands(times: Array, values: Array) -> EngineCommands:
    history = jnp.stack(saturate_actuator_commands(values[0, 2], values[0, 3]))
    return EngineCommands(times, values, history)


def staircase(key: Array, duration: float = 60.0, hold: tuple[float, float] = (2.0, 8.0)):
    """F1: independent random staircases in the four inputs."""
    times = command_times(duration)
    switches = int(duration / hold[0]) + 2
    hold_key, level_key = jax.random.split(key)
    holds = jax.random.uniform(hold_key, (4, switches), minval=hold[0], maxval=hold[1])
    levels = jax.random.uniform(level_key, (4, switches + 1))
    levels = RANGES[:, :1] + levels * (RANGES[:, 1:] - RANGES[:, :1])
    step = jax.vmap(lambda s: jnp.searchsorted(s, times, side="right"))(jnp.cumsum(holds, axis=1))
    values = jnp.take_along_axis(levels, step, axis=1).T
    return _commands(times, values)


def smooth(key: Array, duration: float = 60.0, periods: tuple[float, float] = (2.0, 30.0)):
    """F2: sums of 8 random sinusoids per input, scaled to the ranges and clipped."""
    times = command_times(duration)
    k_period, k_phase, k_amplitude = jax.random.split(key, 3)
    period = jax.random.uniform(k_period, (4, 8), minval=periods[0], maxval=periods[1])
    phase = jax.random.uniform(k_phase, (4, 8), maxval=2 * jnp.pi)
    amplitude = jax.random.uniform(k_amplitude, (4, 8), minval=0.2, maxval=1.0)
    angle = 2 * jnp.pi * times[None, None, :] / period[:, :, None] + phase[:, :, None]
    signal = jnp.sum(amplitude[:, :, None] * jnp.sin(angle), axis=1)
    z = (signal - jnp.mean(signal, axis=1, keepdims=True)) / jnp.std(signal, axis=1, keepdims=True)
    middle = jnp.mean(RANGES, axis=1, keepdims=True)
    half = 0.5 * (RANGES[:, 1:] - RANGES[:, :1])
    values = jnp.clip(middle + half * z / 2, RANGES[:, :1], RANGES[:, 1:])
    return _commands(times, values.T)


def excitation(key: Array, duration: float = 60.0, clock: float = 0.5, amplitude: float = 10.0):
    """F3: a fixed (n_e, u_δ) grid point with PRBS of ±``amplitude`` % on the EGR and VGT."""
    times = command_times(duration)
    k_speed, k_fuel, k_bits = jax.random.split(key, 3)
    n_e = jax.random.choice(k_speed, jnp.asarray(EXCITATION_POINTS[0]))
    u_delta = jax.random.choice(k_fuel, jnp.asarray(EXCITATION_POINTS[1]))
    slots = int(duration / clock) + 1
    bits = jax.random.bernoulli(k_bits, 0.5, (2, slots))
    sign = jnp.where(bits, 1.0, -1.0)[:, jnp.minimum((times / clock).astype(int), slots - 1)]
    middle = jnp.mean(RANGES[2:], axis=1, keepdims=True)
    actuators = middle + amplitude * sign
    constant = jnp.ones_like(times)
    values = jnp.stack([n_e * constant, u_delta * constant, actuators[0], actuators[1]], axis=1)
    return _commands(times, values)


# F4 builds on this module's grid, ranges and reference point, so it is imported once they exist.
from pdes.engines._whtc import whtc  # noqa: E402

FAMILIES = {"staircase": staircase, "smooth": smooth, "excitation": excitation, "whtc": whtc}
"""Scenario families by name: each maps ``(key, duration)`` to :class:`EngineCommands`."""


def initial_equilibrium(
    commands: EngineCommands, params: EngineParameters, steps: int = 32
) -> EngineState:
    """The equilibrium of the first commands, by continuation from ``REFERENCE_INPUTS`` in
    ``steps`` equal steps. On the WHTC start seconds 8 steps converged at 82 %, 32 at 97.5 %,
    128 at 98.9 % (the rest: 30 mg, EGR 80 %, VGT 95 %, about 1150 rpm)."""
    start = jnp.asarray(REFERENCE_INPUTS)
    weights = jnp.linspace(0.0, 1.0, steps + 1)
    path = start[None, :] + weights[:, None] * (commands.values[0] - start)[None, :]
    solved = equilibrium_path(EngineInputs(*path.T), params)
    return EngineState(*(leaf[-1] for leaf in solved.state))
