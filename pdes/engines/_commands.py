"""Engine command histories: what the driver and the controller ask of the engine over time.

A history is given on breakpoints ``times[k]``: engine speed varies linearly between breakpoints,
fuel, EGR and VGT commands hold their value (zero-order hold), as in the LiU top-level model; after
the last breakpoint every command holds. The transport delays of the two actuators are handled
exactly: at time t the actuators see the saturated command at t − τ, or, before the first command
has come through, the delay's initial output ``history``.
"""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from physics._types import Array, ArrayLike
from physics.engines import EngineInputs, EngineParameters, saturate_actuator_commands

COLUMNS = ("n_e", "u_delta", "u_egr", "u_vgt")
"""Column order of ``EngineCommands.values``."""


class EngineCommands(NamedTuple):
    """A command history (a PyTree; batch it by stacking leaves and ``vmap``).

    Attributes:
        times: breakpoints ``[K]`` (s), increasing; ``times[0]`` is the start of the window.
        values: commands ``[K, 4]`` from each breakpoint on: n_e (rpm), u_δ (mg), u_egr (%),
            u_vgt (%).
        history: ``[2]`` outputs of the EGR and VGT transport delays before the first command
            arrives (%): the saturated initial commands for a start at equilibrium, the LiU
            ``uInit`` values (0, 0) for its cold start.

    Example:
        >>> c = EngineCommands.piecewise([0.0, 1.0], [[1500, 110, 80, 75], [1500, 110, 80, 65]])
        >>> float(c.inputs(1.02, EngineParameters()).u_vgt)   # still 75: VGT delay is 40 ms
        75.0
        >>> float(c.inputs(1.05, EngineParameters()).u_vgt)
        65.0
    """

    times: Array
    values: Array
    history: Array

    @classmethod
    def piecewise(
        cls, times: ArrayLike, values: ArrayLike, history: ArrayLike | None = None
    ) -> "EngineCommands":
        """Build a history, checking its shape; ``history`` defaults to the first commands."""
        times = np.asarray(times, dtype=float)
        values = np.asarray(values, dtype=float)
        if times.ndim != 1 or values.shape != (times.size, len(COLUMNS)):
            raise ValueError(
                f"commands need times [K] and values [K, {len(COLUMNS)}] ({', '.join(COLUMNS)}); "
                f"got {times.shape} and {values.shape}"
            )
        if np.any(np.diff(times) <= 0):
            row = int(np.argmax(np.diff(times) <= 0)) + 1
            raise ValueError(f"command times must increase; row {row} has t = {times[row]}")
        if history is None:
            history = np.asarray(saturate_actuator_commands(values[0, 2], values[0, 3]))
        return cls(jnp.asarray(times), jnp.asarray(values), jnp.asarray(history, dtype=float))

    def at(self, t: ArrayLike) -> Array:
        """The four commands at time t (n_e interpolated linearly, the others held)."""
        k = jnp.clip(jnp.searchsorted(self.times, t, side="right") - 1, 0, self.times.size - 1)
        held = self.values[k]
        return held.at[..., 0].set(jnp.interp(t, self.times, self.values[:, 0]))

    def inputs(self, t: ArrayLike, params: EngineParameters) -> EngineInputs:
        """What the model sees at t: current n_e and u_δ, delayed saturated u_egr and u_vgt."""
        now = self.at(t)
        egr = self.actuator_command(t - params.tau_degr, 0)
        vgt = self.actuator_command(t - params.tau_dvgt, 1)
        return EngineInputs(now[..., 0], now[..., 1], egr, vgt)

    def actuator_command(self, t: ArrayLike, slot: int) -> Array:
        """Saturated EGR (slot 0) or VGT (slot 1) command at t (``history`` before the first)."""
        commands = self.at(t)
        saturated = saturate_actuator_commands(commands[..., 2], commands[..., 3])[slot]
        return jnp.where(t < self.times[0], self.history[slot], saturated)

    def jump_times(self, params: EngineParameters, size: int | None = None) -> Array:
        """Where the right-hand side jumps: where the fuel command changes, and where a changed
        EGR or VGT command leaves its delay. Entries past the window (``times[-1] + 1e6``) pad
        the array to a fixed length ``3K``, so histories batch under ``vmap``; ``size`` keeps
        the first ``size`` (:func:`jump_capacity`): the step-size controller scans the whole
        list at every step, so a long cycle's padding would dominate its cost."""
        far = self.times[-1] + 1e6
        fuel = self.values[:, 1]
        fuel_jumps = fuel != jnp.concatenate([fuel[:1], fuel[:-1]])
        actuators = jnp.stack(
            saturate_actuator_commands(self.values[:, 2], self.values[:, 3]), axis=1
        )
        before = jnp.concatenate([self.history[None, :], actuators[:-1]])
        actuator_jumps = actuators != before
        jumps = jnp.sort(
            jnp.concatenate(
                [
                    jnp.where(fuel_jumps, self.times, far),
                    jnp.where(actuator_jumps[:, 0], self.times + params.tau_degr, far),
                    jnp.where(actuator_jumps[:, 1], self.times + params.tau_dvgt, far),
                ]
            )
        )
        return jumps if size is None else jumps[:size]


def jump_capacity(commands: EngineCommands, params: EngineParameters) -> int:
    """A static length that holds every jump time of ``commands`` (leaves may carry leading
    batch axes): the largest count, rounded up to a power of two (at least 16) so that similar
    histories share one compilation. Needs concrete commands (call it before ``jit``)."""
    times = np.asarray(commands.times)
    most = 0
    for index in np.ndindex(times.shape[:-1]):
        one = EngineCommands(*(jnp.asarray(np.asarray(leaf)[index]) for leaf in commands))
        jumps = np.asarray(one.jump_times(params))
        most = max(most, int(np.sum(jumps < times[index][-1] + 1e5)))
    return max(16, 1 << max(most - 1, 0).bit_length())
