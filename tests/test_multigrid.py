"""Tests of the multigrid preconditioner against mathematics (STYLE.md 11-12).

The V-cycle must be a symmetric positive definite map with ``B <= A^{-1}`` (the spectrum of
``BA`` in (0, 1]), its Galerkin stencils must equal the assembled ``P^T A P``, and preconditioned
CG must need a number of iterations that does not grow with the resolution, where Jacobi's grows
like 1/h; the answer must be Jacobi-PCG's, batched or not, and second-order accurate.

Compiling dominates the run time of these small grids, so every solve goes through one cached,
compiled function per grid size, shared by the tests and by both preconditioners, and test
functions are compiled with XLA's backend optimisation off (``FAST_COMPILE``: it halves compile
time; it changes how fast the code runs, not what it computes).
"""

import functools
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from pdes.solvers import jacobi, solve_elliptic
from pdes.solvers._multigrid import (
    MAX_COARSEST,
    _coarsen_axis,
    _fine_stencil,
    _galerkin_axis,
    _offsets,
    _prolong,
    _restrict,
    _Stencil,
    multigrid,
)
from physics import fd

FAST_COMPILE = {"xla_backend_optimization_level": 0}
"""XLA compiler options of every jitted test function (see the module docstring)."""

RTOL = 1e-10
"""CG tolerance of every float64 solve: the documented default for reference data."""

RESIDUAL_SLACK = 2.0
"""CG stops on its recursively updated residual; the recomputed one drifts from it by about
eps * cond(A) (1e-12 at 129 x 129 with a 12/3 coefficient), so it may exceed RTOL slightly."""

ROUNDOFF = 1e-13
"""Identities exact in real arithmetic (B = B^T, Galerkin stencil = P^T A P, batched = single
solves, eigenvalues of BA real and <= 1), relative to the largest entry: a few eps times the
dozens of operations behind each entry (measured <= 5e-16; R = P^T holds bit for bit)."""

SOLUTION_AGREEMENT = 1e-9
"""Multigrid- and Jacobi-PCG solutions differ by at most cond(A) * RESIDUAL_SLACK * RTOL relative
(cond(A) ~ 1e4 at 129 nodes for a 12/3 coefficient gives 2e-6 as a bound); measured 5e-12."""

ORDER_BOUNDS = (1.9, 2.1)
"""Fitted log-log slope of the max nodal error of the second-order scheme (measured 2.00)."""

ITERATION_GROWTH = (1.5, 3)
"""iterations(n) <= 1.5 * iterations(33) + 3: multigrid's contraction factor is bounded
independently of h, so its CG count is flat up to a few iterations of pre-asymptotic drift and
the rounding of a count (measured 9, 9, 10 at 33, 64, 129 nodes; 9, 10, 10, 11 at 85, 141, 211,
421 on FNO's Darcy coefficient in the slow test)."""

JACOBI_GROWTH = 3.0
"""Jacobi-PCG needs O(sqrt(cond)) = O(1/h) iterations: 4x finer must cost >= 3x the iterations
(measured 140 -> 580, a factor 4.1)."""

SIZES = (33, 64, 129)
"""Nodes per side of the resolution study; 64 nodes (62 interior, even at once) is not 2^k + 1
(85 nodes, 83 -> 41 -> 20 interior, even on the second level, is in the slow test)."""


def _coefficient(x, y):
    """A fixed piecewise-constant 12/3 field with curved interfaces not aligned with any grid
    (the thresholded Darcy coefficient, but the same function at every resolution)."""
    g = np.sin(5 * np.pi * x + 1) * np.cos(3 * np.pi * y + 0.3) + 0.3 * np.sin(7 * x * y)
    return np.where(g > 0, 12.0, 3.0)


def _grid(n):
    x = np.linspace(0.0, 1.0, n)
    return np.meshgrid(x, x, indexing="ij")


_applications = [0]


def _switched(use_multigrid):
    """Multigrid or Jacobi, chosen by a traced flag: one compiled solve per grid serves both
    (the CG loop is compiled once), and counts its applications at run time (jax's CG applies M
    once before its loop and once per iteration)."""

    def build(a, spacing, face_mean):
        preconditioners = (jacobi(a, spacing, face_mean), multigrid()(a, spacing, face_mean))

        def M(r):
            jax.debug.callback(lambda: _applications.__setitem__(0, _applications[0] + 1))
            return jax.lax.cond(use_multigrid, preconditioners[1], preconditioners[0], r)

        return M

    return build


def _solve_fn(n):
    def solve(a, f, g, use_multigrid=True):
        return solve_elliptic(
            a,
            f,
            1.0 / (n - 1),
            boundary=g,
            rtol=RTOL,
            preconditioner=_switched(use_multigrid),
            return_info=True,
        )

    return solve


@functools.cache
def _solver(n):
    return jax.jit(_solve_fn(n), compiler_options=FAST_COMPILE)


def _solve(a, f, g, kind="multigrid"):
    """``(u, relative residual, CG iterations)`` of one float64 solve."""
    _applications[0] = 0
    u, info = _solver(np.shape(a)[0])(a, f, g, kind == "multigrid")
    u = jax.block_until_ready(u)
    return u, float(info.residual), _applications[0] - 1


@functools.cache
def _darcy(n, kind):
    """-div(a grad u) = 1, u = 0 on the boundary: FNO's Darcy problem on the 12/3 field."""
    with jax.enable_x64(True):
        a = _coefficient(*_grid(n))
        return _solve(a, np.ones_like(a), np.zeros_like(a), kind)


VARIANTS = [{}, {"smoothing": 1, "cycles": 2, "omega": 1.2}]
"""The defaults, and a variant whose damping is too weak for Jacobi (omega = 1.2 > 1 diverges on
the 5-point stencil's highest mode), where the Gershgorin floor of the smoother's diagonal must
keep the cycle SPD; two cycles per application."""


def test_v_cycle_is_spd_and_below_the_inverse(x64):
    # Dense B from M on the identity; 12 nodes give 10 -> 5 -> 2 interior (even, odd, even) with
    # a coarsest grid of 4 unknowns, so every code path of the hierarchy runs.
    n, spacing = 12, (1 / 11, 1 / 11)
    a = _coefficient(*_grid(n))
    size = (n - 2) ** 2
    x, y = np.random.default_rng(0).normal(size=(2, n - 2, n - 2))

    @functools.partial(jax.jit, compiler_options=FAST_COMPILE)
    def dense(a, probes):
        A = _fine_stencil(a, spacing, fd.arithmetic_mean)
        images = [
            jax.vmap(multigrid(coarsest_size=4, **v)(a, spacing, fd.arithmetic_mean))(probes)
            for v in VARIANTS
        ]
        return images, jax.vmap(A.apply)(probes[:size])

    probes = np.concatenate([np.eye(size).reshape(size, n - 2, n - 2), x[None], y[None]])
    images, A = dense(a, probes)
    A = np.asarray(A).reshape(size, size)
    for variant, image in zip(VARIANTS, images, strict=True):
        image = np.asarray(image)
        B = image[:size].reshape(size, size)
        Mx, My = image[size], image[size + 1]
        assert abs(np.vdot(x, My) - np.vdot(y, Mx)) <= ROUNDOFF * np.vdot(x, Mx), variant
        assert np.vdot(x, Mx) > 0 and np.vdot(y, My) > 0, variant
        assert np.max(np.abs(B - B.T)) <= ROUNDOFF * np.max(np.abs(B)), variant
        assert np.linalg.eigvalsh((B + B.T) / 2)[0] > 0, variant
        # I - BA is A-self-adjoint with spectrum in [0, 1): the eigenvalues of BA lie in (0, 1].
        spectrum = np.linalg.eigvals(B @ A)
        assert np.max(np.abs(spectrum.imag)) <= ROUNDOFF, variant
        assert 0 < spectrum.real.min() and spectrum.real.max() <= 1 + ROUNDOFF, variant


def _interpolation(t):
    """The 1-D interpolation matrix from its weights: coarse J feeds fine 2J, 2J + 1, 2J + 2."""
    n = len(t.below)
    P = np.zeros((2 * n + 2, n))
    for j in range(n):
        P[2 * j : 2 * j + 3, j] = t.below[j], 1.0, t.above[j]
    return P


@pytest.mark.parametrize("n", [9, 10, 11, 12])
def test_interpolation_is_linear_at_the_true_node_positions(n):
    # Two levels: the second one is non-uniform when n is even (its last cell is one fine cell).
    x = np.arange(1.0, n + 1.0)
    for _ in range(2):
        coarse, t = _coarsen_axis(x, n + 1.0)
        P = _interpolation(t)
        assert not P[len(x) :].any()  # no weight on nodes past the grid
        P = P[: len(x)]
        # A linear function vanishing at x = 0 is interpolated exactly up to the last coarse
        # node; beyond it the interpolant bends down to the zero boundary value.
        exact = x <= coarse[-1]
        np.testing.assert_allclose((P @ coarse)[exact], x[exact], rtol=ROUNDOFF)
        x = coarse


@pytest.mark.parametrize("shape", [(11,), (9, 12), (5, 4, 3)])
def test_transfers_are_transposes_and_galerkin_stencils_equal_ptap(x64, shape):
    # 1-D, 2-D and 3-D interior grids with odd and even node counts.
    a = np.exp(np.random.default_rng(1).normal(size=tuple(n + 2 for n in shape)))
    spacing = tuple(1.0 / (n + 1) for n in shape)
    axes = tuple(_coarsen_axis(np.arange(1.0, n + 1.0), n + 1.0)[1] for n in shape)
    coarse = tuple(len(t.below) for t in axes)

    @functools.partial(jax.jit, compiler_options=FAST_COMPILE)
    def matrices(a):
        fine = _fine_stencil(a, spacing, fd.harmonic_mean)
        full = fine.full()
        for axis, t in enumerate(axes):
            full = _galerkin_axis(full, axis, t)
        galerkin = _Stencil(tuple(_offsets(len(shape))), full.reshape(-1, *coarse))

        def matrix(fn, from_shape):
            size = int(np.prod(from_shape))
            return jax.vmap(fn)(jnp.eye(size).reshape(size, *from_shape)).reshape(size, -1).T

        return (
            matrix(lambda v: _prolong(v, axes, shape), coarse),
            matrix(lambda u: _restrict(u, axes), shape),
            matrix(fine.apply, shape),
            matrix(galerkin.apply, coarse),
        )

    P, R, A, Ac = (np.asarray(m) for m in matrices(a))
    kron = functools.reduce(
        np.kron, [_interpolation(t)[:n] for t, n in zip(axes, shape, strict=True)]
    )
    np.testing.assert_array_equal(P, kron)
    np.testing.assert_array_equal(R, P.T)
    np.testing.assert_allclose(Ac, P.T @ A @ P, rtol=0, atol=ROUNDOFF * np.max(np.abs(Ac)))


def test_iterations_do_not_grow_with_resolution_and_jacobis_do(x64):
    counts = {}
    for n in SIZES:
        _, residual, counts[n] = _darcy(n, "multigrid")
        assert residual <= RESIDUAL_SLACK * RTOL, (n, residual)
    for n in SIZES[1:]:
        assert counts[n] <= ITERATION_GROWTH[0] * counts[SIZES[0]] + ITERATION_GROWTH[1], counts
    jacobi_counts = {n: _darcy(n, "jacobi")[2] for n in (SIZES[0], SIZES[-1])}
    assert jacobi_counts[SIZES[-1]] >= JACOBI_GROWTH * jacobi_counts[SIZES[0]], jacobi_counts
    assert counts[SIZES[-1]] * 10 < jacobi_counts[SIZES[-1]]


@pytest.mark.parametrize("n", [SIZES[0], SIZES[-1]])
def test_solution_equals_jacobi_pcg(x64, n):
    u, _, _ = _darcy(n, "multigrid")
    reference, residual, _ = _darcy(n, "jacobi")
    assert residual <= RESIDUAL_SLACK * RTOL
    scale = np.max(np.abs(reference))
    assert np.max(np.abs(np.asarray(u) - reference)) <= SOLUTION_AGREEMENT * scale


def test_vmap_over_coefficients_equals_separate_solves(x64):
    n = SIZES[0]
    x, y = _grid(n)
    batch = np.stack(
        [
            _coefficient(x, y),
            np.exp(x) * (2 + np.sin(2 * np.pi * y)),
            np.exp(np.random.default_rng(2).normal(size=(n, n))),
        ]
    )
    f, g = np.sin(np.pi * x) + 1.0, x * y
    solve = _solve_fn(n)
    batched, info = jax.jit(
        jax.vmap(solve, in_axes=(0, None, None)), compiler_options=FAST_COMPILE
    )(batch, f, g)
    assert np.all(np.asarray(info.residual) <= RESIDUAL_SLACK * RTOL)
    for a, u in zip(batch, np.asarray(batched), strict=True):
        single = np.asarray(_solve(a, f, g, "multigrid")[0])
        assert np.max(np.abs(u - single)) <= ROUNDOFF * np.max(np.abs(single))


def _manufactured():
    x, y = sp.symbols("x y")
    a = 2 + sp.sin(2 * x + y) * x
    u = sp.sin(sp.pi * x) * sp.sin(sp.pi * y) * sp.exp(x)
    f = -sum(sp.diff(a * sp.diff(u, v), v) for v in (x, y))
    return (sp.lambdify((x, y), e, "numpy") for e in (a, u, f))


def test_manufactured_solution_is_second_order(x64):
    a_fn, u_fn, f_fn = _manufactured()
    errors = []
    for n in SIZES:
        x, y = _grid(n)
        exact = u_fn(x, y)
        u, residual, _ = _solve(a_fn(x, y), f_fn(x, y), exact, "multigrid")
        assert residual <= RESIDUAL_SLACK * RTOL
        errors.append(np.max(np.abs(np.asarray(u) - exact)))
    order = np.polyfit(np.log(1.0 / (np.asarray(SIZES) - 1.0)), np.log(errors), 1)[0]
    assert ORDER_BOUNDS[0] <= order <= ORDER_BOUNDS[1], (errors, order)


BAD_SETTINGS = [
    ({"levels": 0}, r"levels must be an integer >= 1, got 0"),
    ({"smoothing": 0}, r"smoothing must be an integer >= 1, got 0"),
    ({"cycles": 1.5}, r"cycles must be an integer >= 1, got 1.5"),
    ({"omega": 0.0}, r"omega must be a positive number, got 0.0"),
    ({"coarsest_size": -1}, r"coarsest_size must be an integer >= 1, got -1"),
]


@pytest.mark.parametrize(("settings", "message"), BAD_SETTINGS)
def test_bad_settings_raise_one_clear_error(settings, message):
    with pytest.raises(ValueError, match=message):
        multigrid(**settings)


@pytest.mark.parametrize(
    ("settings", "n", "message"),
    [
        ({"levels": 5}, 9, r"levels=5 is too many for an interior grid \(7, 7\) \(at most 3\)"),
        ({"levels": 1}, 65, rf"coarsest grid \(63, 63\) .* 3969 unknowns, above {MAX_COARSEST}"),
    ],
)
def test_grid_the_hierarchy_cannot_take_raises(settings, n, message):
    # The builder checks the grid before any array work (solve_elliptic calls it the same way).
    with pytest.raises(ValueError, match=message):
        multigrid(**settings)(np.ones((n, n)), (1.0 / (n - 1),) * 2, fd.arithmetic_mean)


def test_float32_solve_meets_the_float32_tolerance():
    n = 17  # 15 -> 7 interior: a two-grid cycle, enough to run every operation in float32
    solve = jax.jit(
        lambda a: solve_elliptic(
            a, 1.0, 1 / (n - 1), preconditioner=multigrid(levels=2), return_info=True
        ),
        compiler_options=FAST_COMPILE,
    )
    u, info = solve(_coefficient(*_grid(n)).astype(np.float32))
    assert u.dtype == jnp.float32
    assert float(info.residual) <= RESIDUAL_SLACK * 1e-5  # the float32 default rtol


def _counted(builder):
    """The same preconditioner, counting its applications at run time."""

    def build(a, spacing, face_mean):
        M = builder(a, spacing, face_mean)

        def counted(r):
            jax.debug.callback(lambda: _applications.__setitem__(0, _applications[0] + 1))
            return M(r)

        return counted

    return build


@pytest.mark.slow
def test_darcy_resolutions_timing(x64):
    """CG iterations and seconds per solve (compiled with default options, after warm-up) for
    FNO's Darcy grids, Jacobi vs multigrid; printed for the record (``-m slow -s``)."""
    from pdes.random_fields import neumann_grf

    g = np.asarray(neumann_grf(jax.random.key(0), 421, dtype=jnp.float64)[0])
    fine = np.where(g >= 0, 12.0, 3.0)  # FNO's threshold, on 421 x 421 nodes
    counts = {}
    # 85, 141, 211, 421 nodes: FNO's subsampled resolutions (85: 83 -> 41 -> 20 interior, even on
    # the second level; 421: 419 -> 209 -> 104 -> 52 -> 26 -> 13)
    for step in (5, 3, 2, 1):
        a = fine[::step, ::step]
        n = a.shape[0]
        for kind, builder in (("jacobi", jacobi), ("multigrid", multigrid())):
            solve = jax.jit(
                lambda a, n=n, builder=builder: solve_elliptic(
                    a,
                    1.0,
                    1.0 / (n - 1),
                    rtol=RTOL,
                    preconditioner=_counted(builder),
                    return_info=True,
                )
            )
            jax.block_until_ready(solve(a))  # compile and warm up
            _applications[0] = 0
            start = time.perf_counter()
            _, info = jax.block_until_ready(solve(a))
            seconds = time.perf_counter() - start
            counts[n, kind] = _applications[0] - 1
            print(f"{n} nodes, {kind}: {counts[n, kind]} CG iterations, {seconds:.3f} s")
            assert float(info.residual) <= RESIDUAL_SLACK * RTOL
    bound = ITERATION_GROWTH[0] * counts[85, "multigrid"] + ITERATION_GROWTH[1]
    assert counts[421, "multigrid"] <= bound, counts
