"""Few-shot identification (strategy B): the structured Gauss-Newton pieces against automatic
differentiation, the Levenberg-Marquardt solve, the dropout masks, and bad input."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import engines as sim
from physics import engines as E
from sciml.twin._few_shot import dropout_estimates, few_shot_solver
from sciml.twin._few_shot_body import FewShotSettings, dropout_masks, lab_windows, pretrain

P = E.EngineParameters()
OBSERVED = sim.OBSERVATION_SETS["O1"]
SMALL = FewShotSettings(width=8, depth=2, steps=20, chunk=10, grid_rate=20.0, max_steps=50)


@pytest.fixture(scope="module")
def lab():
    """Three 2 s lab windows, each at its own θ within ±30 % of nominal."""
    with jax.enable_x64(True):
        return lab_windows(3, 2.0, P, OBSERVED)


@pytest.fixture(scope="module")
def solver(lab):
    windows, log_factors = lab
    with jax.enable_x64(True):
        pretrained = pretrain(windows, log_factors, P, OBSERVED, SMALL)
        field = jax.tree.map(lambda leaf: leaf[1:], windows)
        return few_shot_solver(field, P, OBSERVED, pretrained), pretrained, log_factors


def test_lab_windows_carry_their_parameters(x64, lab):
    """Log-factors within ±30 %, windows of the asked length, one per lab scenario."""
    windows, log_factors = lab
    assert log_factors.shape == (3, len(E.UNKNOWNS))
    assert np.all(np.abs(np.exp(log_factors) - 1.0) <= 0.3)
    np.testing.assert_allclose(np.asarray(windows.t[:, -1] - windows.t[:, 0]), 2.0, atol=1e-9)


def test_structured_normal_equations_equal_autodiff(x64, solver):
    """JᵀJ and Jᵀr assembled from per-point derivatives and the features equal those of the
    Jacobian jax.jacfwd takes through every unknown: the same sums in another order, so they
    agree to rounding (1e-9 relative to the largest entry)."""
    solve, _, log_factors = solver
    problem = solve.problem
    features = problem.featurize(jnp.ones((SMALL.depth, SMALL.width)))
    field = solve.windows
    heads = problem.initial_heads(features, field)
    rho = jnp.asarray(0.5 * log_factors[0])
    loss, matrix, gradient = problem.normal_equations(heads, rho, features, field)

    def flat_residuals(z):
        return problem.residuals(
            z[: heads.size].reshape(heads.shape), z[heads.size :], features, field
        )

    z = jnp.concatenate([heads.ravel(), rho])
    r = flat_residuals(z).ravel()
    jacobian = jax.jit(jax.jacfwd(lambda z: flat_residuals(z).ravel()))(z)
    np.testing.assert_allclose(float(loss), float(r @ r), rtol=1e-12)
    scale = float(jnp.max(jnp.abs(jacobian.T @ jacobian)))
    np.testing.assert_allclose(matrix, jacobian.T @ jacobian, atol=1e-9 * scale)
    np.testing.assert_allclose(
        gradient, jacobian.T @ r, atol=1e-9 * float(jnp.max(jnp.abs(gradient)))
    )


def test_levenberg_marquardt_reaches_a_stationary_point(x64, solver):
    """The solve lowers the loss and stops where the gradient has fallen by orders of
    magnitude (it stops when a step lowers the loss by less than 1e-8 relative)."""
    solve, _, log_factors = solver
    problem = solve.problem
    start = np.exp(0.5 * log_factors[0])
    fit = solve(initial_factors=start)
    features = problem.featurize(jnp.ones((SMALL.depth, SMALL.width)))
    field = solve.windows
    heads0 = problem.initial_heads(features, field)
    rho0 = jnp.log(jnp.asarray(start))
    loss0, _, gradient0 = problem.normal_equations(heads0, rho0, features, field)
    rho = jnp.asarray(fit.log_factors)
    loss, _, gradient = problem.normal_equations(fit.heads, rho, features, field)
    assert fit.steps < SMALL.max_steps
    assert float(loss) < float(loss0)
    np.testing.assert_allclose(fit.loss, float(loss), rtol=1e-10)
    assert float(jnp.linalg.norm(gradient)) < 1e-3 * float(jnp.linalg.norm(gradient0))
    states = fit.predict_states(jnp.asarray(np.linspace(2.0, 4.0, 5))[None].repeat(2, 0))
    assert states.shape == (2, 5, 8) and np.all(np.isfinite(states))


def test_dropout_masks_keep_the_mean(x64):
    """Inverted dropout: entries are 0 or 1/(1 - p) and average 1 (16 000 entries at p = 0.05:
    the mean's std is 0.0018, so 0.01 is a 5-sigma bound)."""
    settings = FewShotSettings(width=8, depth=2, dropout=0.05)
    masks = np.asarray(dropout_masks(jax.random.PRNGKey(0), 1000, settings))
    assert masks.shape == (1000, 2, 8)
    assert set(np.unique(masks).round(12)) <= {0.0, round(1 / 0.95, 12)}
    assert abs(masks.mean() - 1.0) < 0.01


def test_dropout_estimates_spread(x64, solver):
    """Different masks give different estimates (a positive spread) around finite values."""
    solve, _, _ = solver
    result = dropout_estimates(solve, 3, dataclasses.replace(SMALL, dropout=0.2))
    assert np.asarray(result["estimates"]).shape == (3, len(E.UNKNOWNS))
    assert all(np.isfinite(v) and v > 0 for v in result["std"].values())


def test_bad_input_is_refused(x64, lab, solver):
    windows, log_factors = lab
    _, pretrained, _ = solver
    with pytest.raises(ValueError, match="dropout"):
        FewShotSettings(dropout=1.0)
    with pytest.raises(ValueError, match="log_factors needs shape"):
        pretrain(windows, log_factors[:2], P, OBSERVED, SMALL)
    short = windows._replace(t=windows.t[:, :-5], y=windows.y[:, :-5])
    with pytest.raises(ValueError, match="must last 2 s"):
        few_shot_solver(short, P, OBSERVED, pretrained)
    solve, _, _ = solver
    with pytest.raises(ValueError, match="initial_factors needs 4 values"):
        solve(initial_factors=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"measurements .* differ"):
        solve(measured_windows=jax.tree.map(lambda leaf: leaf[:1], solve.windows))
