"""Levenberg–Marquardt on the normal equations (``sciml.train.levenberg_marquardt``) against
closed-form minima, and the blocked normal equations against the whole Jacobian."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.train import blocked_normal_equations, levenberg_marquardt


@pytest.mark.usefixtures("x64")
def test_rosenbrock_residuals_reach_the_minimum():
    """r = (10 (z₁ − z₀²), 1 − z₀) has its only zero at (1, 1), from the classic start (−1.2, 1);
    the loss there is 0, so the iterate must reach it to round-off (1e-10 leaves 1e6 × eps)."""

    def residual(z):
        return jnp.stack([10.0 * (z[1] - z[0] ** 2), 1.0 - z[0]])

    def normal_equations(z):
        r, j = residual(z), jax.jacfwd(residual)(z)
        return r @ r, j.T @ j, j.T @ r

    z, loss, steps = jax.jit(
        lambda z0: levenberg_marquardt(
            normal_equations, lambda z: jnp.sum(residual(z) ** 2), z0, max_steps=200
        )
    )(jnp.array([-1.2, 1.0]))
    np.testing.assert_allclose(z, [1.0, 1.0], atol=1e-10)
    assert float(loss) < 1e-20
    assert 1 < int(steps) < 200  # it stopped by itself (λ past its ceiling at the exact zero)


@pytest.mark.usefixtures("x64")
def test_blocked_normal_equations_match_the_whole_jacobian_and_solve_linear_least_squares():
    """Residuals w·φ(x) − y over 4 blocks of 25 points: JᵀJ, Jᵀr and L summed block by block equal
    those of the whole Jacobian (same sums, reordered: 1e-12 relative), and LM on this linear
    problem lands on numpy's least-squares solution (conditioning of φ ~ 1e2: 1e-9)."""
    x = jnp.linspace(-1.0, 1.0, 100)
    y = jnp.sin(3.0 * x) + 0.1 * x**3

    def features(x):
        return jnp.stack([x**k for k in range(5)], axis=-1)

    def residual(w, block):
        xb, yb = block
        return features(xb) @ w - yb

    blocks = (x.reshape(4, 25), y.reshape(4, 25))
    normal_equations, loss = blocked_normal_equations(residual, blocks)
    w = jnp.array([0.3, -0.2, 0.1, 0.5, -0.4])
    value, matrix, gradient = normal_equations(w)
    j, r = features(x), residual(w, (x, y))
    # the odd moments vanish analytically: compare those to the largest entry
    np.testing.assert_allclose(matrix, j.T @ j, rtol=1e-12, atol=1e-12 * float(jnp.max(j.T @ j)))
    np.testing.assert_allclose(gradient, j.T @ r, rtol=1e-12, atol=1e-12 * float(r @ r))
    np.testing.assert_allclose(value, r @ r, rtol=1e-12)
    np.testing.assert_allclose(loss(w), r @ r, rtol=1e-12)

    solution, _, _ = levenberg_marquardt(normal_equations, loss, w, max_steps=100, rtol=1e-14)
    expected = np.linalg.lstsq(np.asarray(j), np.asarray(y), rcond=None)[0]
    np.testing.assert_allclose(solution, expected, atol=1e-9)
