r"""Validation of the reference solutions against mathematics and published values.

Each row is one check of one problem's reference: the check, our value, the target and its
source, and the wall time of computing the reference.
"""

import math
import time

import jax
import jax.numpy as jnp
import numpy as np

import pdes
from pdes.convergence import observed_order
from pdes.solvers import burgers_cole_hopf, method_of_lines, solve_elliptic
from physics import residuals

BASDEVANT_SLOPE = 152.00516
"""max_t |u_x(0, t)| for nu = 0.01/pi, at t = 1.6037/pi: Basdevant et al. (1986), Computers &
Fluids 14, Table 1 (the Burgers benchmark of Raissi et al. 2019)."""


def _timed_reference(problem):
    start = time.perf_counter()
    reference = problem.reference()
    return reference, time.perf_counter() - start


def _row(problem, reference, seconds, check, value, target, source):
    return {
        "suite": "references",
        "problem": problem.name,
        "method": reference.method if reference is not None else "exact",
        "grid": "x".join(str(len(a)) for a in reference.axes) if reference is not None else "",
        "check": check,
        "value": value,
        "target": target,
        "source": source,
        "seconds": round(seconds, 2),
    }


def _grid_residual(problem, reference) -> float:
    """max |PDE residual| / max |u_t| on the grid of ``reference`` (spectral in x, FD4 in t)."""
    t, x = reference.axes
    grid = residuals.Grid(
        reference.values[:, :-1], (t[1] - t[0], x[1] - x[0]), accuracy="spectral", time=True
    )
    # From t = 0.05 on: before that, Allen-Cahn's kinked u0 feeds modes decaying at rates up to
    # eps k^2 ~ 400 that the frame spacing of 0.005 cannot resolve in time (it is the check that is
    # coarse there, not the solution); the one-sided last frames are dropped as well.
    inner = slice(max(2, len(t) // 20), -2)
    r = problem.residual(grid)[inner]
    return float(jnp.max(jnp.abs(r)) / jnp.max(jnp.abs(grid.d(0)[inner])))


def _diffrax_gap(problem, reference) -> float:
    """Largest difference to an adaptive diffrax method-of-lines solve of the same equation."""
    t, x = reference.axes
    linear, nonlinear = problem.spectral_terms()
    points = problem.solver_points()
    u0 = jax.vmap(problem.initial[0])(jnp.asarray(points)[:, None])
    solve = jax.jit(
        lambda u, ts: method_of_lines(
            u, ts, length=x[-1] - x[0], linear=linear, nonlinear=nonlinear
        )
    )
    u = solve(u0, jnp.asarray(t))[:, :: len(points) // (len(x) - 1)]
    return float(jnp.max(jnp.abs(u - reference.values[:, :-1])))


def burgers_rows(quick: bool) -> list[dict]:
    problem = pdes.get("burgers", **({"nt": 101, "nx": 257} if quick else {}))
    reference, seconds = _timed_reference(problem)
    with jax.enable_x64(True):
        slope = jax.grad(burgers_cole_hopf, argnums=1)
        value = abs(float(slope(1.6037 / math.pi, 0.0, viscosity=problem.viscosity)))
    return [
        _row(
            problem,
            reference,
            seconds,
            "max |u_x(0,t)| at t=1.6037/pi",
            value,
            BASDEVANT_SLOPE,
            "Basdevant et al. 1986",
        )
    ]


def spectral_rows(name: str, quick: bool) -> list[dict]:
    settings = {"dt": 5e-5} if quick else {}
    problem = pdes.get(name, **settings)
    reference, seconds = _timed_reference(problem)
    values = reference.values
    coarse = pdes.get(name, dt=2 * problem.dt).reference().values
    finer = pdes.get(name, **settings, n_modes=2 * problem.n_modes).reference().values
    # spectral derivatives need the solution on all n_modes points (a subsampled grid aliases)
    full_grid = pdes.get(name, **settings, nx=problem.n_modes + 1).reference()
    with jax.enable_x64(True):
        checks = [
            (
                "PDE residual / max|u_t| on the solver grid, t >= 0.05",
                _grid_residual(problem, full_grid),
                "< 1e-4 (time differencing of frames)",
            ),
            (
                f"max change dt={2 * problem.dt:g} -> {problem.dt:g}",
                float(np.max(np.abs(values - coarse)) / np.max(np.abs(values))),
                "< 1e-6 (ETDRK4, O(dt^4))",
            ),
            (
                f"rel. L2 change {problem.n_modes} -> {2 * problem.n_modes} modes",
                float(np.linalg.norm(values - finer) / np.linalg.norm(finer)),
                "< 1e-5 (spatial resolution)",
            ),
            (
                "max |ETDRK4 - diffrax Tsit5 (rtol 1e-10)|",
                _diffrax_gap(problem, reference),
                "< 1e-8 (independent adaptive solver)",
            ),
        ]
    return [
        _row(problem, reference, seconds, check, value, target, "this project")
        for check, value, target in checks
    ]


def poisson_rows(quick: bool) -> list[dict]:
    problem = pdes.get("poisson")
    sizes = (17, 33, 65) if quick else (17, 33, 65, 129)
    errors, spacings = [], []
    start = time.perf_counter()
    with jax.enable_x64(True):
        for n in sizes:
            x = np.linspace(0.0, 1.0, n)
            points = jnp.asarray(np.stack(np.meshgrid(x, x, indexing="ij"), -1))
            exact = jax.vmap(jax.vmap(problem.exact))(points)
            source = jax.vmap(jax.vmap(problem.source))(points)
            u = jax.jit(solve_elliptic)(jnp.ones_like(exact), source, x[1])
            errors.append(float(jnp.max(jnp.abs(u - exact))))
            spacings.append(x[1])
    seconds = time.perf_counter() - start
    return [
        _row(
            problem,
            None,
            seconds,
            f"CG 5-point solver order, n={sizes}",
            observed_order(spacings, errors),
            2.0,
            "second-order scheme",
        )
    ]


def exact_rows() -> list[dict]:
    rows = []
    for name, params in (("advection", {}), ("heat", {"dim": 2}), ("wave", {})):
        problem = pdes.get(name, **params)
        start = time.perf_counter()
        with jax.enable_x64(True):
            points = pdes.samplers.interior(jax.random.key(0), problem.domain, 1024)
            r = jax.jit(jax.vmap(problem.residual(problem.exact)))(points)
            value = float(jnp.max(jnp.abs(r)))
        rows.append(
            _row(
                problem,
                None,
                time.perf_counter() - start,
                "max |residual| of the exact solution (autodiff)",
                value,
                "round-off",
                "closed form",
            )
        )
    return rows


def reference_rows(quick: bool = False) -> list[dict]:
    """Every reference check; ``quick`` uses coarser grids and time steps."""
    return (
        burgers_rows(quick)
        + spectral_rows("allen_cahn", quick)
        + spectral_rows("kdv", quick)
        + poisson_rows(quick)
        + exact_rows()
    )
