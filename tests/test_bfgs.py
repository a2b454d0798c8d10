"""Dense (SS)BFGS: the secant equation, symmetry and positive definiteness of every update, the
exact inverse of a quadratic's Hessian, convergence on Rosenbrock, and a PINN quasi-Newton stage."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from sciml import train
from sciml.pinn import OptimConfig, train_and_evaluate
from tests.test_pinn import TINY


def _run(optimizer, objective, x, iterations):
    value_and_grad = optax.value_and_grad_from_state(objective)

    @jax.jit
    def step(x, state):
        value, grad = value_and_grad(x, state=state)
        updates, state = optimizer.update(
            grad, state, x, value=value, grad=grad, value_fn=objective
        )
        return optax.apply_updates(x, updates), state

    state = optimizer.init(x)
    history = [(x, state)]
    for _ in range(iterations):
        x, state = step(x, state)
        history.append((x, state))
    return history


def _quadratic(n=6, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    a = q @ np.diag(np.geomspace(1.0, 50.0, n)) @ q.T  # condition number 50
    b = rng.normal(size=n)
    return jnp.asarray(a), jnp.asarray(b)


@pytest.mark.parametrize("self_scaling", [False, True])
def test_every_update_satisfies_the_secant_equation_and_stays_positive_definite(self_scaling):
    with jax.enable_x64(True):
        a, b = _quadratic()
        history = _run(train.bfgs(self_scaling), lambda x: 0.5 * x @ a @ x - b @ x, jnp.zeros(6), 5)
        # the call that returns x_{k+1} updates H with the pair (x_k - x_{k-1}, g_k - g_{k-1})
        for k in range(2, len(history) - 1):
            (x0, _), (x1, _), (_, state) = history[k - 1], history[k], history[k + 1]
            h = np.asarray(state[0].inverse_hessian)
            s, y = np.asarray(x1 - x0), np.asarray(a @ (x1 - x0))
            # H_{k+1} y_k = s_k holds for every member of the (scaled) family, to rounding
            np.testing.assert_allclose(h @ y, s, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(h, h.T, rtol=0, atol=1e-12 * np.abs(h).max())
            assert np.linalg.eigvalsh(h).min() > 0


@pytest.mark.parametrize("seed", range(3))
def test_bfgs_on_a_quadratic_terminates_with_the_exact_inverse_hessian(seed):
    # the zoom line search interpolates cubically, so it is exact on a quadratic; BFGS with exact
    # line searches builds conjugate pairs and H equals A^-1 once it holds n of them (Nocedal &
    # Wright 2006, Thm 6.4); a pair lost to rounding costs a step or two, hence 2n
    with jax.enable_x64(True):
        a, b = _quadratic(seed=seed)
        history = _run(train.bfgs(), lambda x: 0.5 * x @ a @ x - b @ x, jnp.zeros(6), 12)
        np.testing.assert_allclose(history[-1][0], np.linalg.solve(a, b), rtol=1e-12)
        errors = [np.abs(state[0].inverse_hessian - np.linalg.inv(a)).max() for _, state in history]
        assert min(errors) < 1e-10


def test_ssbfgs_on_a_quadratic_converges():
    # self-scaling starts from H_0 scaled by y^T s / y^T y, which underestimates the inverse
    # curvature; it recovers superlinearly but needs more than n steps
    with jax.enable_x64(True):
        a, b = _quadratic()
        history = _run(train.bfgs(True), lambda x: 0.5 * x @ a @ x - b @ x, jnp.zeros(6), 24)
        np.testing.assert_allclose(history[-1][0], np.linalg.solve(a, b), rtol=1e-12)


@pytest.mark.parametrize("self_scaling", [False, True])
def test_rosenbrock_converges_on_a_parameter_tree(self_scaling):
    def rosenbrock(tree):
        x = jnp.concatenate([tree["a"], tree["b"].ravel()])
        return jnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    with jax.enable_x64(True):
        start = {"a": jnp.zeros(4), "b": jnp.zeros((2, 3))}
        x, _ = _run(train.bfgs(self_scaling), rosenbrock, start, 150)[-1]
        np.testing.assert_allclose(jnp.concatenate([x["a"], x["b"].ravel()]), 1.0, atol=1e-8)


def test_warm_start_keeps_the_inverse_hessian_for_a_new_objective():
    # same Hessian, new minimiser: with H = A^-1 kept, the first step on the new objective is
    # Newton's step and lands on its minimiser; a stale cached value or a mixed curvature pair
    # would not
    with jax.enable_x64(True):
        a, b = _quadratic()
        optimizer = train.bfgs()
        history = _run(optimizer, lambda x: 0.5 * x @ a @ x - b @ x, jnp.zeros(6), 12)
        errors = [np.abs(state[0].inverse_hessian - np.linalg.inv(a)).max() for _, state in history]
        x, state = history[int(np.argmin(errors))]  # H = A^-1 (see the test above)
        shifted = b + 1.0
        objective = lambda x: 0.5 * x @ a @ x - shifted @ x
        value_and_grad = optax.value_and_grad_from_state(objective)
        state = train.warm_start(state, x)
        value, grad = value_and_grad(x, state=state)
        assert value == pytest.approx(float(objective(x)))
        updates, state = optimizer.update(
            grad, state, x, value=value, grad=grad, value_fn=objective
        )
        x = optax.apply_updates(x, updates)
        np.testing.assert_allclose(x, np.linalg.solve(a, shifted), rtol=1e-8)
        np.testing.assert_allclose(state[0].inverse_hessian, np.linalg.inv(a), atol=1e-8)


def test_a_matrix_too_large_is_refused_before_allocation():
    with pytest.raises(ValueError, match=r"1000 x 1000 inverse Hessian .* use L-BFGS"):
        train.bfgs(max_bytes=10**6).init(jnp.zeros(1000))


def test_pinn_quasi_newton_rounds_by_dense_bfgs_keep_the_inverse_hessian(tmp_path):
    optim = OptimConfig(
        steps=100,
        steps_per_call=50,
        lbfgs_steps=200,
        lbfgs_rounds=2,
        lbfgs_points=512,
        quasi_newton="bfgs",
        keep_hessian=True,
    )
    result = train_and_evaluate(TINY.replace(optim=optim), tmp_path, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    first, second = (
        [row["loss"] for row in rows if row.get("stage") == name and "loss" in row]
        for name in ("lbfgs0", "lbfgs1")
    )
    assert first[-1] < first[0] and second[-1] < second[0] and 0 < result["rel_l2"] < 1.0
    # the switch is wired: restarting round 1 from H = I ends elsewhere (the H carried over is
    # tested exactly above)
    cold = train_and_evaluate(
        TINY.replace(optim=dataclasses.replace(optim, keep_hessian=False)),
        tmp_path / "cold",
        progress=False,
    )
    assert cold["rel_l2"] != result["rel_l2"]
    with pytest.raises(ValueError, match="quasi_newton"):
        OptimConfig(quasi_newton="newton")
    with pytest.raises(ValueError, match="keep_hessian needs"):
        OptimConfig(keep_hessian=True)
