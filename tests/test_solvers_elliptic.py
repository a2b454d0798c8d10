"""Tests of the matrix-free elliptic solver against mathematics (STYLE.md 11-12).

Manufactured solutions give the measured order of accuracy; a layered coefficient has an exact
discrete solution under the harmonic face mean; assembled matrices check symmetry, definiteness
and the residual; grid symmetries and ``vmap`` must not change the answer.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from pdes.solvers import EllipticInfo, jacobi, solve_elliptic
from physics import fd

RTOL = 1e-10
"""Solver tolerance in every float64 test: the documented default for reference data."""

ORDER_BOUNDS = (1.9, 2.1)
"""Fitted log-log slope of the max nodal error for a second-order scheme; pre-asymptotic terms
at 16-128 nodes move it by hundredths (measured 1.993-1.999 in 2-D, 1.975 in 3-D)."""

FIRST_ORDER_BOUNDS = (0.9, 1.1)
"""Slope for the arithmetic face mean across a jump midway between nodes: the interface cell's
conductance is off by O(1) over one cell, an O(h) error in the flux (measured 0.978)."""

RESIDUAL_SLACK = 2.0
"""CG stops on its recursively updated residual; the true residual drifts from it by about
eps * cond(A) (1e-13 at these sizes), so the recomputed one may exceed RTOL slightly."""

RESIDUAL_AGREEMENT = 1e-2
"""The solver's reported residual and one recomputed through the Dirichlet form of
physics.fd.div_a_grad differ by round-off in A u - b, about eps * cond(A) * ||b|| (3e-14 ||b||
at 16 x 16), small against a residual of ~1e-10 ||b||."""

ROUNDOFF_TOL = 1e-12
"""Results that agree in exact arithmetic (mirror images, batched vs single solves): the Krylov
iterates are the same up to reordered sums, so only round-off separates them (measured 1.5e-15
for mirror images, 0 for vmap)."""

SIZES = (16, 32, 64, 128)
"""Nodes per side in 2-D convergence studies; every 2-D test reuses these grids (and their
compiled solves)."""

COND_BOUND = 1e4
"""Bound on cond(A) for every grid of the exactness tests (measured <= 3.5e3, the 64 x 64
layered jump), so their forward error is <= COND_BOUND * RESIDUAL_SLACK * RTOL = 2e-6 relative
to max |u|; CG does far better (measured <= 7e-11)."""

MANUFACTURED = {
    # name: (coefficient a(x, y), solution u(x, y))
    "constant": ("1", "sin(pi*x)*sin(pi*y)"),
    "polynomial": ("1 + x*y**2", "exp(x)*cos(2*y) + x*y"),
    "exponential": ("exp(x)*(2 + sin(2*pi*y))", "cos(pi*x/2)*exp(y) + x**2"),
}


@partial(jax.jit, static_argnames=("spacing", "face_mean"))
def _solve(a, f, boundary, spacing, face_mean=fd.arithmetic_mean):
    """One compiled solve per grid shape and face mean, shared by the tests (compiling dominates
    their run time)."""
    return solve_elliptic(
        a, f, spacing, boundary=boundary, face_mean=face_mean, rtol=RTOL, return_info=True
    )


def _nodes(shape, lengths=None):
    """Coordinate arrays of a node-centred grid on [0, L_1] x ... (boundary nodes included)."""
    lengths = lengths or (1.0,) * len(shape)
    axes = [np.linspace(0.0, L, n) for n, L in zip(shape, lengths, strict=True)]
    spacing = tuple(L / (n - 1) for n, L in zip(shape, lengths, strict=True))
    return np.meshgrid(*axes, indexing="ij"), spacing


def _manufactured(a_expr, u_expr, dim=2):
    """Numpy callables a, u and f = -div(a grad u), differentiated by sympy."""
    xs = sp.symbols("x y z")[:dim]
    a_expr, u_expr = sp.sympify(a_expr), sp.sympify(u_expr)
    f_expr = -sum(sp.diff(a_expr * sp.diff(u_expr, x), x) for x in xs)

    def to_numpy(expr):
        fn = sp.lambdify(xs, expr, "numpy")
        return lambda *c: np.broadcast_to(fn(*c), c[0].shape).astype(np.float64)

    return to_numpy(a_expr), to_numpy(u_expr), to_numpy(f_expr)


def _fitted_order(sizes, errors):
    h = 1.0 / (np.asarray(sizes) - 1.0)
    return np.polyfit(np.log(h), np.log(errors), 1)[0]


def _solve_manufactured(a_fn, u_fn, f_fn, shape, face_mean=fd.arithmetic_mean):
    coords, spacing = _nodes(shape)
    exact = u_fn(*coords)
    u, _ = _solve(a_fn(*coords), f_fn(*coords), exact, spacing, face_mean)
    return float(jnp.max(jnp.abs(u - exact)))


@pytest.mark.parametrize("face_mean", [fd.arithmetic_mean, fd.harmonic_mean])
@pytest.mark.parametrize("case", list(MANUFACTURED))
def test_manufactured_solution_is_second_order(x64, case, face_mean):
    fns = _manufactured(*MANUFACTURED[case])
    errors = [_solve_manufactured(*fns, (n, n), face_mean) for n in SIZES]
    order = _fitted_order(SIZES, errors)
    assert ORDER_BOUNDS[0] <= order <= ORDER_BOUNDS[1], (errors, order)


@pytest.mark.parametrize(
    ("shape", "lengths"), [((9,), (2.0,)), ((9, 12), (1.0, 1.5)), ((7, 9, 11), (1.0, 0.5, 2.0))]
)
def test_exact_for_quadratic_solution_and_linear_coefficient(x64, shape, lengths):
    # With a linear a the face mean is a at the face, and with a quadratic u the difference
    # quotient is u' at the face: the flux a u' is a quadratic, whose centred difference is exact.
    names = ("x", "y", "z")[: len(shape)]
    a_expr = "1 + " + " + ".join(f"{k + 1}*{v}" for k, v in enumerate(names))
    u_expr = " + ".join(f"{v}**2 - {k}*{v}*{names[0]}" for k, v in enumerate(names)) + " + 1"
    a_fn, u_fn, f_fn = _manufactured(a_expr, u_expr, dim=len(shape))
    coords, spacing = _nodes(shape, lengths)
    exact = u_fn(*coords)
    u, _ = _solve(a_fn(*coords), f_fn(*coords), exact, spacing)
    scale = float(np.max(np.abs(exact)))
    assert float(jnp.max(jnp.abs(u - exact))) <= COND_BOUND * RESIDUAL_SLACK * RTOL * scale


@pytest.mark.slow
def test_manufactured_solution_is_second_order_in_3d(x64):
    fns = _manufactured("1 + x*y*z", "sin(pi*x)*cos(y)*exp(z/2) + x*y", dim=3)
    sizes = (9, 17, 33)
    errors = [_solve_manufactured(*fns, (n, n, n)) for n in sizes]
    order = _fitted_order(sizes, errors)
    assert ORDER_BOUNDS[0] <= order <= ORDER_BOUNDS[1], (errors, order)


def _layered(n, face_mean):
    """a = 12 | 3 across x = 1/2, midway between nodes (n even); u(0) = 0, u(1) = 1.

    The flux q is constant and u is piecewise linear with slopes q/12 and q/3, so q = 24/5. The
    harmonic face mean 2*12*3/15 is the exact conductance of the interface cell, so the exact
    nodal values solve the discrete system; the arithmetic mean 7.5 is not.
    """
    (x, _), spacing = _nodes((n, n))
    q = 24.0 / 5.0
    exact = np.where(x < 0.5, q * x / 12.0, q / 24.0 + q * (x - 0.5) / 3.0)
    a = np.where(x < 0.5, 12.0, 3.0)
    u, _ = _solve(a, np.zeros_like(a), exact, spacing, face_mean)
    return float(jnp.max(jnp.abs(u - exact)))


def test_harmonic_mean_is_exact_across_a_layered_jump(x64):
    # max |u| = u(1) = 1, so the nodal error is already relative.
    assert _layered(64, fd.harmonic_mean) <= COND_BOUND * RESIDUAL_SLACK * RTOL


def test_arithmetic_mean_is_first_order_across_a_layered_jump(x64):
    errors = [_layered(n, fd.arithmetic_mean) for n in SIZES]
    order = _fitted_order(SIZES, errors)
    assert FIRST_ORDER_BOUNDS[0] <= order <= FIRST_ORDER_BOUNDS[1], (errors, order)


def _inclusion(n, high=12.0, low=3.0):
    """A centred square inclusion: invariant under x -> 1-x, y -> 1-y and x <-> y on the grid."""
    i = np.abs(np.arange(n) - (n - 1) / 2) < (n - 1) / 4
    return np.where(i[:, None] & i[None, :], high, low)


@pytest.mark.parametrize("face_mean", [fd.arithmetic_mean, fd.harmonic_mean])
def test_solution_inherits_the_symmetry_of_the_problem(x64, face_mean):
    # Face means are symmetric in their arguments, so the discrete operator commutes with the
    # grid's reflections; with a symmetric f the Krylov space, hence every iterate, is symmetric.
    a = _inclusion(32)
    u, _ = _solve(a, np.ones_like(a), np.zeros_like(a), (1 / 31, 1 / 31), face_mean)
    scale = float(jnp.max(jnp.abs(u)))
    for image in (u[::-1, :], u[:, ::-1], u.T):
        assert float(jnp.max(jnp.abs(u - image))) <= ROUNDOFF_TOL * scale


def _assembled(a, spacing, face_mean):
    """Dense interior matrix of -div(a grad .) from physics.fd.div_a_grad with Dirichlet rows."""
    inner = tuple(n - 2 for n in a.shape)

    @jax.jit
    def minus_div_a_grad(u):
        return -fd.div_a_grad(u, a, spacing, bc="dirichlet", face_mean=face_mean)

    def operator(v):
        return minus_div_a_grad(jnp.pad(v.reshape(inner), 1))[1:-1, 1:-1].ravel()

    size = int(np.prod(inner))
    return np.asarray(jax.jit(jax.jacfwd(operator))(jnp.zeros(size))), minus_div_a_grad


@pytest.mark.parametrize("face_mean", [fd.arithmetic_mean, fd.harmonic_mean])
def test_discrete_system_is_spd_and_solved_to_tolerance(x64, face_mean):
    n = 16
    (x, y), spacing = _nodes((n, n))
    a = _inclusion(n)
    f = np.sin(3 * x) + y
    g = np.cos(x + 2 * y)
    matrix, minus_div_a_grad = _assembled(jnp.asarray(a), spacing, face_mean)
    eigenvalues = np.linalg.eigvalsh(matrix)
    assert np.max(np.abs(matrix - matrix.T)) <= ROUNDOFF_TOL * np.max(np.abs(matrix))
    assert eigenvalues[0] > 0
    # The Jacobi preconditioner divides by exactly this diagonal.
    inverse_diagonal = jax.jit(lambda a: jacobi(a, spacing, face_mean)(jnp.ones((n - 2, n - 2))))(a)
    np.testing.assert_allclose(1 / np.asarray(inverse_diagonal).ravel(), np.diag(matrix))

    u, info = _solve(a, f, g, spacing, face_mean)
    assert isinstance(info, EllipticInfo)
    edge = np.ones((n, n), bool)
    edge[1:-1, 1:-1] = False
    np.testing.assert_array_equal(np.asarray(u)[edge], g[edge])
    # A u_int = b with b = f + div(a grad g_edge) on the interior; by linearity the residual is
    # the operator applied to the full solution, minus f.
    rhs = (
        f[1:-1, 1:-1]
        - np.asarray(minus_div_a_grad(jnp.asarray(np.where(edge, g, 0.0))))[1:-1, 1:-1]
    )
    residual = np.linalg.norm(np.asarray(minus_div_a_grad(u))[1:-1, 1:-1] - f[1:-1, 1:-1])
    relative = residual / np.linalg.norm(rhs)
    assert relative <= RESIDUAL_SLACK * RTOL
    np.testing.assert_allclose(float(info.residual), relative, rtol=RESIDUAL_AGREEMENT)
    # Forward error bound: ||u - u*|| / ||u*|| <= cond(A) * relative residual.
    direct = np.linalg.solve(matrix, rhs.ravel())
    error = np.linalg.norm(np.asarray(u)[1:-1, 1:-1].ravel() - direct) / np.linalg.norm(direct)
    assert error <= eigenvalues[-1] / eigenvalues[0] * RESIDUAL_SLACK * RTOL


def test_vmap_over_coefficients_equals_separate_solves(x64):
    n = 32
    (x, y), spacing = _nodes((n, n))
    key = jax.random.key(0)
    batch = jnp.stack(
        [
            jnp.asarray(_inclusion(n)),
            jnp.asarray(np.exp(x) * (2 + np.sin(2 * np.pi * y))),
            jnp.exp(jax.random.normal(key, (n, n))),
        ]
    )
    f, g = jnp.asarray(np.sin(np.pi * x) + 1.0), jnp.asarray(x * y)

    def solve(a):
        return _solve(a, f, g, spacing, fd.harmonic_mean)[0]

    batched = jax.jit(jax.vmap(solve))(batch)
    for a, u in zip(batch, batched, strict=True):
        single = solve(a)
        assert float(jnp.max(jnp.abs(u - single))) <= ROUNDOFF_TOL * float(jnp.max(jnp.abs(single)))


def test_traced_non_positive_coefficient_gives_nan(x64):
    a = jnp.ones((9, 9)).at[4, 4].set(-1.0)
    u = jax.jit(lambda a: solve_elliptic(a, 1.0, 0.125))(a)
    assert bool(jnp.all(jnp.isnan(u[1:-1, 1:-1])))


GOOD = {"a": np.ones((9, 9)), "f": np.ones((9, 9)), "spacing": 0.125}
BAD_INPUTS = [
    ({"f": np.ones((9, 8))}, r"f of shape \(9, 8\) does not match a of shape \(9, 9\)"),
    ({"boundary": np.ones(9)}, r"boundary of shape \(9,\) does not match"),
    ({"a": np.zeros((9, 9)), "f": 1.0}, "must be positive everywhere"),
    ({"a": -np.ones((9, 9)), "f": 1.0}, "must be positive everywhere"),
    ({"a": np.ones((9, 2)), "f": 1.0}, r"grid \(9, 2\) is too small"),
    ({"a": 1.0}, "must be a field on the grid"),
    ({"spacing": 0.0}, "grid spacing must be positive"),
    ({"spacing": (0.125, -0.125)}, "grid spacing must be positive"),
    ({"spacing": (0.1, 0.1, 0.1)}, "got 3 grid spacings for a 2-D grid"),
]


@pytest.mark.parametrize(("change", "message"), BAD_INPUTS)
def test_bad_input_raises_one_clear_error(x64, change, message):
    kwargs = {**GOOD, **change}
    with pytest.raises(ValueError, match=message):
        solve_elliptic(kwargs.pop("a"), kwargs.pop("f"), kwargs.pop("spacing"), **kwargs)


def test_float32_gets_a_float32_tolerance_and_a_float64_one_raises():
    # the default tolerance follows the dtype: a float32 solve works out of the box
    u, info = jax.jit(lambda a: solve_elliptic(a, 1.0, 0.125, return_info=True))(jnp.ones((9, 9)))
    assert u.dtype == jnp.float32
    assert float(info.residual) < 2e-5  # 2 x the float32 default rtol (CG residual drift)
    with pytest.raises(ValueError, match=r"rtol=1e-10 is below float32 resolution"):
        solve_elliptic(np.ones((9, 9), np.float32), 1.0, 0.125, rtol=1e-10)
