r"""Static operating maps of the engine: steady-state EGR and VGT commands on an (n_e, u_δ) grid,
the steady brake torque there, its inverse u_δ(n_e, M_e), and the smoke-limited torque curve.

These are the maps that turn a speed and torque demand into commands (reference/diesel-mvem.md,
section 11 step 2, family F4: "computed on a grid at nominal actuator maps ... a project choice").
The project's choice, evaluated at every grid node (n_e, u_δ) over a grid of candidate
commands (u_egr, u_vgt), each at its equilibrium:

1. **Admissible** candidates: Newton converged to a state inside the LiU integrator limits
   (section 3.2; this also rules out the model's non-physical roots with ω_t < 0),
   :math:`\lambda_{air} = W_{ei}/(W_f (A/F)_s) \ge 1.2` (the smoke limit of section 10) and
   :math:`\lambda_O \ge 1` (no O₂-limited torque).
2. **Optimum**: the largest brake torque M_e, i.e. the least fuel per unit of work at that
   speed and fuel (the efficiency optimum); exact ties go to the most closed EGR valve. EGR is
   not forced. The optimum opens the EGR valve wide where EGR relieves the exhaust manifold and
   lowers the pumping work (x_egr up to about 20 %, at low load and at high speed). At high load
   below about 1500 rpm the boost exceeds the exhaust pressure, no EGR can flow, the valve
   position is immaterial and the tie closes it; a partly closed VGT (45-75 %) is best there.
3. **Optional EGR preference** (``efficiency_margin`` ε, default 0): keep the admissible
   candidates whose torque is within :math:`\varepsilon M_{fuel}` of the best, with
   :math:`M_{fuel} = u_\delta 10^{-6} n_{cyl} q_{HV}/(4\pi)` the fuel's heat release as a torque
   (ε = 0.01 gives up at most one point of brake efficiency), and take the largest EGR fraction
   among them (to 0.1 %), ties broken by torque. Such NOx-oriented maps pin the EGR valve open
   and close the VGT; on the full WHTC their EGR surges on tip-ins and drives λ_O below 1 and
   the exhaust O₂ to zero (ε = 0.01: the envelope guard rejects the cycle), so the default keeps
   the efficiency optimum.

Nodes without an admissible candidate lie above the smoke limit: there the map takes the
candidate with the most air and marks the node infeasible. The smoke-limit fuel u_δ,max(n_e) is
the last feasible fuel of the grid at each speed node, and M_e,max(n_e) the torque there (section
10 maximises M_e over all three commands; here the torque curve is consistent with the maps, so
a 100 % torque demand asks for exactly u_δ,max). Between nodes every table is interpolated
bilinearly; :meth:`OperatingMaps.fuel` inverts the interpolated torque exactly.

Equilibria come by continuation (:func:`physics.engines.equilibrium_path`): one lane per
(n_e, u_egr, u_vgt) runs from the LiU step-test point to the top fuel, then down the fuel grid;
all lanes are solved at once under ``vmap`` (about 3 s on two CPU cores for the default grid of
13 speeds x 13 fuels x 72 candidates, plus about 8 s of compilation). About 2 % of the
candidate solves (low fuel, turbo slow) do not converge or end on a non-physical root; they are
left out.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pdes.engines._scenarios import RANGES, REFERENCE_INPUTS
from physics._types import Array, ArrayLike
from physics.engines import EngineInputs, EngineParameters, engine_signals, equilibrium_path

SMOKE_LIMIT = 1.2
"""Smallest admissible steady λ_air (section 10; the same bound as the envelope guard)."""

OXYGEN_LIMIT = 1.0
"""Smallest admissible steady λ_O."""

EFFICIENCY_MARGIN = 0.0
"""ε: brake efficiency given up for EGR (fraction of the fuel's heat release); 0: none."""

SPEEDS = np.arange(RANGES[0, 0], RANGES[0, 1] + 1.0, 100.0)
"""Speed nodes (rpm): the protocol's n_e range in 100 rpm steps."""

FUELS = np.arange(RANGES[1, 0], RANGES[1, 1] + 1.0, 10.0)
"""Fuel nodes (mg per cycle and cylinder): the protocol's u_δ range in 10 mg steps."""

EGR_CANDIDATES = np.arange(RANGES[2, 0], RANGES[2, 1] + 1.0, 10.0)
VGT_CANDIDATES = np.arange(RANGES[3, 0], RANGES[3, 1] + 1.0, 10.0)
"""Candidate commands (%): the protocol's u_egr and u_vgt ranges in 10 % steps."""

APPROACH_STEPS = 8
"""Continuation steps from the LiU step-test point to the first node of a lane."""


def _bracket(grid: Array, x: ArrayLike) -> tuple[Array, Array]:
    """Cell index and weight of x on a grid (clamped to the end cells)."""
    i = jnp.clip(jnp.searchsorted(grid, x, side="right") - 1, 0, grid.size - 2)
    w = jnp.clip((x - grid[i]) / (grid[i + 1] - grid[i]), 0.0, 1.0)
    return i, w


class OperatingMaps(NamedTuple):
    """Steady-state maps on a speed x fuel grid (a PyTree of float64 NumPy tables).

    Attributes:
        speeds: ``[S]`` speed nodes (rpm). fuels: ``[F]`` fuel nodes (mg).
        u_egr, u_vgt: ``[S, F]`` the optimum's commands (%).
        torque: ``[S, F]`` steady brake torque M_e at those commands (Nm), increasing in fuel.
        lambda_air, x_egr: ``[S, F]`` steady air-fuel ratio and EGR fraction there (–).
        feasible: ``[S, F]`` whether the node has an admissible candidate.
        fuel_max, torque_max: ``[S]`` smoke-limited fuel (mg) and the torque there (Nm).
        failed: how many candidate solves did not converge inside the integrator limits (they
            are left out).
    """

    speeds: np.ndarray
    fuels: np.ndarray
    u_egr: np.ndarray
    u_vgt: np.ndarray
    torque: np.ndarray
    lambda_air: np.ndarray
    x_egr: np.ndarray
    feasible: np.ndarray
    fuel_max: np.ndarray
    torque_max: np.ndarray
    failed: int

    def _table(self, table: np.ndarray, n_e: ArrayLike, u_delta: ArrayLike) -> Array:
        i, a = _bracket(jnp.asarray(self.speeds), n_e)
        j, b = _bracket(jnp.asarray(self.fuels), u_delta)
        t = jnp.asarray(table)
        low = (1 - b) * t[i, j] + b * t[i, j + 1]
        high = (1 - b) * t[i + 1, j] + b * t[i + 1, j + 1]
        return (1 - a) * low + a * high

    def actuators(self, n_e: ArrayLike, u_delta: ArrayLike) -> tuple[Array, Array]:
        """The mapped (u_egr, u_vgt) commands (%) at one operating point."""
        return self._table(self.u_egr, n_e, u_delta), self._table(self.u_vgt, n_e, u_delta)

    def steady_torque(self, n_e: ArrayLike, u_delta: ArrayLike) -> Array:
        """The interpolated steady brake torque M_e(n_e, u_δ) (Nm) at the mapped actuators."""
        return self._table(self.torque, n_e, u_delta)

    def max_fuel(self, n_e: ArrayLike) -> Array:
        """The smoke-limited fuel u_δ,max(n_e) (mg), linear between speed nodes."""
        return jnp.interp(n_e, jnp.asarray(self.speeds), jnp.asarray(self.fuel_max))

    def max_torque(self, n_e: ArrayLike) -> Array:
        """The maximum-torque curve M_e,max(n_e) = M_e(n_e, u_δ,max(n_e)) (Nm)."""
        return jnp.interp(n_e, jnp.asarray(self.speeds), jnp.asarray(self.torque_max))

    def fuel(self, n_e: ArrayLike, torque: ArrayLike) -> Array:
        """The inverse map u_δ(n_e, M_e) (mg): exact inverse of :meth:`steady_torque` in fuel,
        clamped to [fuels[0], u_δ,max(n_e)]; a demand below the torque of the smallest fuel
        (or NaN, for motoring) gets the smallest fuel."""
        i, a = _bracket(jnp.asarray(self.speeds), n_e)
        t = jnp.asarray(self.torque)
        column = (1 - a) * t[i] + a * t[i + 1]
        demand = jnp.where(jnp.isnan(torque), -jnp.inf, torque)
        u_delta = jnp.interp(demand, column, jnp.asarray(self.fuels))
        return jnp.minimum(u_delta, self.max_fuel(n_e))


@functools.partial(jax.jit, static_argnames=("approach_steps",))
def _sweep(speeds, fuels, u_egr, u_vgt, params, approach_steps):
    """Steady M_e, λ_air, λ_O, x_egr and whether Newton converged inside the integrator limits,
    for every (speed, candidate, fuel): ``[S, C, F]`` each; one continuation lane per (speed,
    candidate), down the fuel grid."""
    start = jnp.asarray(REFERENCE_INPUTS)
    down = fuels[::-1]

    def lane(n_e, egr, vgt):
        top = jnp.stack([n_e, down[0], egr, vgt])
        weights = jnp.linspace(0.0, 1.0, approach_steps + 1)[1:]
        approach = start[None, :] + weights[:, None] * (top - start)[None, :]
        ones = jnp.ones_like(down)
        sweep = jnp.stack([n_e * ones, down, egr * ones, vgt * ones], axis=1)
        eq = equilibrium_path(EngineInputs(*jnp.concatenate([approach, sweep]).T), params)
        sig = jax.vmap(lambda x, u: engine_signals(x, u, params))(eq.state, eq.inputs)
        lambda_air = sig.gas.W_ei / (sig.gas.W_f * params.AFs)
        x = eq.state
        inside = (
            (x.p_im > 0.5 * params.p_amb)
            & (x.p_im < 10.0 * params.p_amb)
            & (x.p_em > 0.5 * params.p_amb)
            & (x.p_em < 20.0 * params.p_amb)
            & (x.omega_t > 100 * jnp.pi / 30)
            & (x.omega_t < 200_000 * jnp.pi / 30)
        )
        out = (sig.M_e, lambda_air, sig.lambda_O, sig.gas.x_egr, eq.converged & inside)
        return tuple(o[approach_steps:][::-1] for o in out)

    per_speed = jax.vmap(lane, in_axes=(None, 0, 0))
    return jax.vmap(per_speed, in_axes=(0, None, None))(speeds, u_egr, u_vgt)


def operating_maps(
    params: EngineParameters,
    *,
    speeds: ArrayLike = SPEEDS,
    fuels: ArrayLike = FUELS,
    egr_candidates: ArrayLike = EGR_CANDIDATES,
    vgt_candidates: ArrayLike = VGT_CANDIDATES,
    efficiency_margin: float = EFFICIENCY_MARGIN,
    smoke_limit: float = SMOKE_LIMIT,
    oxygen_limit: float = OXYGEN_LIMIT,
) -> OperatingMaps:
    """The steady-state optimum maps of the module docstring, solved in float64.

    Example:
        >>> maps = operating_maps(EngineParameters(), speeds=[1400.0, 1600.0],
        ...                       fuels=[100.0, 120.0], egr_candidates=[0.0, 40.0],
        ...                       vgt_candidates=[55.0, 85.0])
        >>> bool(maps.feasible.all()), round(float(maps.fuel(1500.0, maps.steady_torque(
        ...     1500.0, 110.0))), 6)
        (True, 110.0)
    """
    speeds, fuels = np.asarray(speeds, float), np.asarray(fuels, float)
    egr, vgt = np.meshgrid(egr_candidates, vgt_candidates, indexing="ij")
    egr, vgt = egr.ravel().astype(float), vgt.ravel().astype(float)
    with jax.enable_x64(True), jax.ensure_compile_time_eval():
        p = EngineParameters(*(float(v) for v in params))
        swept = _sweep(speeds, fuels, egr, vgt, p, APPROACH_STEPS)
        torque, lam, lam_o, x_egr, converged = (np.asarray(s) for s in swept)

    valid = converged & np.isfinite(torque) & np.isfinite(lam) & np.isfinite(x_egr)
    admissible = valid & (lam >= smoke_limit) & (lam_o >= oxygen_limit)
    best = np.max(np.where(admissible, torque, -np.inf), axis=1, keepdims=True)
    fuel_torque = fuels * 1e-6 * p.n_cyl * p.q_HV / (4 * np.pi)
    near = admissible & (torque >= best - efficiency_margin * fuel_torque[None, None, :])
    egr_fraction = np.where(near, np.round(x_egr, 3), -np.inf)
    top = near & (egr_fraction == np.max(egr_fraction, axis=1, keepdims=True))
    optimum = np.argmax(np.where(top, torque, -np.inf), axis=1)
    most_air = np.argmax(np.where(valid, lam, -np.inf), axis=1)
    feasible = admissible.any(axis=1)
    choice = np.where(feasible, optimum, most_air)[:, None, :]

    def pick(a):
        return np.take_along_axis(a, choice, axis=1)[:, 0, :]

    if not valid.any(axis=1).all():
        raise ValueError("a grid node has no converged candidate; refine the candidates")
    table = pick(torque)
    if not np.all(np.diff(table, axis=1) > 0):
        raise ValueError("steady torque is not increasing in fuel on the grid; refine the grid")
    leading = np.cumprod(feasible, axis=1).sum(axis=1)
    if np.any(leading == 0):
        raise ValueError(f"no admissible command at the smallest fuel {fuels[0]} mg")
    return OperatingMaps(
        speeds=speeds,
        fuels=fuels,
        u_egr=egr[choice[:, 0, :]],
        u_vgt=vgt[choice[:, 0, :]],
        torque=table,
        lambda_air=pick(lam),
        x_egr=pick(x_egr),
        feasible=feasible,
        fuel_max=fuels[leading - 1],
        torque_max=table[np.arange(speeds.size), leading - 1],
        failed=int(np.sum(~converged)),
    )


@functools.cache
def nominal_operating_maps() -> OperatingMaps:
    """:func:`operating_maps` at the nominal parameters, computed once per process."""
    return operating_maps(EngineParameters())
