r"""F4: drive scenarios from the World Harmonized Transient Cycle (WHTC).

The WHTC (UN ECE GTR No. 4, Annex 1; ``data/whtc.csv``) gives engine speed and torque at 1 Hz for
1800 s, normalised. Following reference/diesel-mvem.md, section 10:

- **Speed.** The reference speeds of the 500–2400 rpm engine of the LiU WHTC work
  (n_idle, n_lo, n_pref, n_hi = 500, 815, 1418, 2301 rpm) map to this engine's 500–2000 rpm
  range by :math:`n' = (n - 500)\,1500/1900 + 500`, and

  .. math::
      n_e = \frac{s}{100}\,(0.45 n_{lo}' + 0.45 n_{pref}' + 0.1 n_{hi}' - n_{idle}')\,2.0327
            + n_{idle}',

  s the speed in %. The result (500 to 1679 rpm) is then **clipped to the protocol's range
  [800, 2000] rpm** (``RANGES``): the cycle's idle phases run at 800 rpm.
- **Torque.** :math:`M_e = q\,M_{e,max}(n_e)/100`, q the torque in %, with the smoke-limited
  maximum-torque curve of :func:`nominal_operating_maps`.
- **Commands.** u_δ from the inverse steady-state map u_δ(n_e, M_e); u_egr and u_vgt from the
  steady-state optimum maps at that (n_e, u_δ) (the project's choice, documented in
  :mod:`pdes.engines._operating_maps`). Demands below the torque of the smallest fuel, and the
  motoring samples ("m": engine dragged, fuel cut), get the smallest fuel of the protocol's range
  (30 mg); all commands are clipped to ``RANGES``.

On the 10 ms command grid, n_e is interpolated linearly between the 1 Hz samples and u_δ, u_egr,
u_vgt hold each sample for its second (zero-order hold). Sample k of the cycle (k = 1..1800 s)
acts on cycle time [k, k + 1); before the first sample the first one holds, after the last the
last one. A scenario is a window of the cycle: :func:`whtc` draws its start (whole seconds) from
its key, so windows shorter than the cycle form a family; ``duration=1800`` is the whole cycle.

What the family gives (nominal parameters, measured on the whole cycle): λ_air stays above 1.2
except on the three hardest tip-ins (at 476, 1342 and 1394 s; minimum 1.13, 0.07 % of the
samples), so the whole cycle passes the envelope guard; judged from that trace, about 2 % of
20 s windows (none of 60 s) fail it and are redrawn by :func:`generate_scenarios`. About 8 % of
20 s windows are idle throughout (the cycle idles for 293 s). At about 2.5 % of the start seconds
(30 mg, EGR 80 %, VGT 95 %, about 1150 rpm) the continuation of :func:`initial_equilibrium` does
not converge; such windows fail the guard too and are redrawn.
"""

import csv
import functools
from importlib import resources
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pdes.engines._commands import EngineCommands
from pdes.engines._operating_maps import OperatingMaps, nominal_operating_maps
from pdes.engines._scenarios import GRID, RANGES, _commands, command_times
from physics._types import Array, ArrayLike

CYCLE = 1800
"""Length of the WHTC (s): 1800 samples at 1 Hz."""

SOURCE_REFERENCE_SPEEDS = np.array([500.0, 815.0, 1418.0, 2301.0])
"""n_idle, n_lo, n_pref, n_hi (rpm) of the 500–2400 rpm engine of the LiU WHTC work."""

SOURCE_SPEED_RANGE = (500.0, 2400.0)
ENGINE_SPEED_RANGE = (500.0, 2000.0)
"""Speed ranges (rpm) of that engine and of this one (the model's n_e saturation)."""


class WhtcTrace(NamedTuple):
    """The normalised cycle: ``time`` (s, 1..1800), ``speed`` and ``torque`` (%), ``[1800]``
    each; ``torque`` is NaN where the cycle motors the engine ("m")."""

    time: np.ndarray
    speed: np.ndarray
    torque: np.ndarray


class WhtcSchedule(NamedTuple):
    """The denormalised cycle at 1 Hz: ``time`` (s) ``[T]``, torque demand ``torque`` (Nm, NaN
    where motoring) ``[T]``, and the commands (n_e, u_δ, u_egr, u_vgt) ``[T, 4]``."""

    time: np.ndarray
    torque: np.ndarray
    commands: np.ndarray


@functools.cache
def whtc_trace() -> WhtcTrace:
    """The WHTC as stored in ``pdes/engines/data/whtc.csv``.

    Example:
        >>> trace = whtc_trace()
        >>> trace.time.size, float(np.nanmax(trace.torque)), int(np.isnan(trace.torque).sum())
        (1800, 100.0, 401)
    """
    text = resources.files("pdes.engines").joinpath("data", "whtc.csv").read_text()
    rows = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
    if rows[0] != ["time_s", "speed_pct", "torque_pct"]:
        raise ValueError(f"unexpected WHTC header {rows[0]}")
    time, speed, torque = zip(*rows[1:], strict=True)
    return WhtcTrace(
        np.array(time, float),
        np.array(speed, float),
        np.array([np.nan if q == "m" else float(q) for q in torque]),
    )


def reference_speeds() -> np.ndarray:
    """n_idle′, n_lo′, n_pref′, n_hi′ (rpm): the source engine's reference speeds mapped to this
    engine's range (section 10).

    Example:
        >>> np.round(reference_speeds(), 2).tolist()
        [500.0, 748.68, 1224.74, 1921.84]
    """
    (low, high), (new_low, new_high) = SOURCE_SPEED_RANGE, ENGINE_SPEED_RANGE
    return (SOURCE_REFERENCE_SPEEDS - low) * (new_high - new_low) / (high - low) + new_low


def whtc_speed(speed: ArrayLike) -> Array:
    """Engine speed (rpm) from the WHTC's normalised speed (%), before clipping to ``RANGES``.

    Example:
        >>> round(float(whtc_speed(100.0)), 2)
        1679.42
    """
    idle, low, preferred, high = reference_speeds()
    span = 0.45 * low + 0.45 * preferred + 0.1 * high - idle
    return jnp.asarray(speed) * span * 2.0327 / 100.0 + idle


def whtc_schedule(maps: OperatingMaps) -> WhtcSchedule:
    """The whole cycle denormalised and mapped to commands (1 Hz), clipped to ``RANGES``."""
    trace = whtc_trace()
    n_e = jnp.clip(whtc_speed(trace.speed), RANGES[0, 0], RANGES[0, 1])
    torque = jnp.asarray(trace.torque) * jax.vmap(maps.max_torque)(n_e) / 100.0
    u_delta = jnp.clip(jax.vmap(maps.fuel)(n_e, torque), RANGES[1, 0], RANGES[1, 1])
    u_egr, u_vgt = jax.vmap(maps.actuators)(n_e, u_delta)
    commands = jnp.stack([n_e, u_delta, u_egr, u_vgt], axis=1)
    commands = jnp.clip(commands, RANGES[None, :, 0], RANGES[None, :, 1])
    return WhtcSchedule(trace.time, np.asarray(torque), np.asarray(commands))


@functools.cache
def nominal_whtc_schedule() -> WhtcSchedule:
    """:func:`whtc_schedule` at :func:`nominal_operating_maps`, computed once per process."""
    with jax.enable_x64(True), jax.ensure_compile_time_eval():
        return whtc_schedule(nominal_operating_maps())


def whtc_window(schedule: WhtcSchedule, start: ArrayLike, duration: float) -> EngineCommands:
    """Commands on the 10 ms grid for cycle time ``[start, start + duration]`` (s; ``start`` a
    whole number of seconds, possibly traced; ``duration`` static)."""
    times = command_times(duration)
    per_second = round(1.0 / GRID)
    cycle_time = start + times
    table = jnp.asarray(schedule.commands)
    n_e = jnp.interp(cycle_time, jnp.asarray(schedule.time), table[:, 0])
    sample = jnp.arange(times.size) // per_second + start - round(schedule.time[0])
    held = table[jnp.clip(sample, 0, table.shape[0] - 1), 1:]
    return _commands(times, jnp.concatenate([n_e[:, None], held], axis=1))


def whtc(key: Array, duration: float = 60.0) -> EngineCommands:
    """F4: a window of the WHTC, starting at a whole second drawn uniformly from ``key`` (at 0
    when ``duration`` >= 1800 s), mapped to commands with the nominal operating maps.

    Example:
        >>> with jax.enable_x64(True):
        ...     values = np.asarray(whtc(jax.random.PRNGKey(0), duration=CYCLE).values)
        >>> values.shape, float(values[:, 0].min()), float(values[:, 0].max())
        ((180001, 4), 800.0, 1679.42...)
    """
    last = max(CYCLE - int(np.ceil(duration)), 0)
    start = jax.random.randint(key, (), 0, last + 1)
    return whtc_window(nominal_whtc_schedule(), start, duration)
