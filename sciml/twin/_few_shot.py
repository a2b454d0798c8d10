r"""Few-shot identification (strategy B of the protocol, Step 8): the pre-trained body
(:mod:`sciml.twin._few_shot_body`) is frozen; per new window only a linear head and θ are solved.

The features :math:`\tilde\Phi = [\phi(\hat t_i), 1]` and :math:`\tilde\Phi' = [\phi'(\hat t_i), 0]`
(forward mode) are computed once at every collocation and sample time. With the head
:math:`A_w = [W_w, b_w] \in \mathbb R^{5 \times (H+1)}` of window w,

.. math::
    y_i = c + s \odot A_w\tilde\Phi_i, \qquad \dot y_i = \tfrac{2}{T}\, s \odot A_w\tilde\Phi'_i,

so every residual is a closed-form function of the unknowns (A_w per window, ρ shared) and
nothing is differentiated through the body. Levenberg–Marquardt minimises the pre-training loss
:math:`\sum_w [\overline{r_{ode}^2} + \overline{r_{alg}^2} + \overline{r_{data}^2} +
\overline{r_{data}(t_0)^2}]` with the Jacobian assembled from per-point derivatives,

.. math::
    \frac{\partial r_i}{\partial A_{w,jh}} = \frac{\partial r_i}{\partial y_{ij}} s_j
        \tilde\Phi_{ih} + \frac{\partial r_i}{\partial \dot y_{ij}} \tfrac{2}{T} s_j
        \tilde\Phi'_{ih},

where the per-point derivatives take 10 + P forward tangents instead of one per unknown (a
generic least-squares solver would push all 5(H+1)W + P through the engine model each
iteration), and the normal equations are assembled window by window. Marquardt damping
:math:`(J^TJ + \lambda\,\mathrm{diag}\,J^TJ)\delta = -J^Tr`, λ divided by 3 after an accepted
step and doubled after a rejected one; stop when an accepted step lowers the loss by less than
``rtol`` relative, or after ``max_steps``. The head starts from ridge least squares on the
measured channels (θ at its initial guess) and from the mean lab head elsewhere.
"""

import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from physics.engines import UNKNOWNS, EngineParameters, with_log_factors
from sciml.train import levenberg_marquardt
from sciml.twin._few_shot_body import (
    HEADS,
    Body,
    FewShotSettings,
    Pretrained,
    check_length,
    collocation_points,
    dropout_masks,
    features_at,
    head_outputs,
)
from sciml.twin._pinn import output_affine
from sciml.twin._residuals import data_misfit, known_actuators, physics_residuals, rate_scale
from sciml.twin._simulation_fit import Window

MEASURABLE_HEADS = {"p_im": 0, "p_em": 1, "omega_t": 4}
"""Head rows of the states a window may measure directly."""

DAMPING = 1e-3
"""Initial Marquardt λ (relative to diag JᵀJ)."""


class FewShotFit(NamedTuple):
    theta: dict
    log_factors: np.ndarray
    heads: jax.Array  # [W, 5, H + 1]: weights and bias
    steps: int
    loss: float
    wall_seconds: float  # online: features + head initialisation + solve, after compilation
    feature_seconds: float
    compile_seconds: float
    predict_states: Callable


class FewShotProblem(NamedTuple):
    """The pieces of the online problem: ``featurize(mask)``, ``initial_heads(features,
    windows)``, ``residuals(heads, rho, features, windows)`` and ``normal_equations(heads, rho,
    features, windows)``."""

    featurize: Callable
    initial_heads: Callable
    residuals: Callable
    normal_equations: Callable


def few_shot_solver(
    windows: Window,
    params: EngineParameters,
    observed,
    pretrained: Pretrained,
    *,
    unknowns=UNKNOWNS,
    operators=None,
) -> Callable[..., FewShotFit]:
    """Compile the online solve once for ``windows``; returns ``solve(mask=None,
    initial_factors=None)`` (a ``mask [depth, width]`` for MC dropout)."""
    observed = tuple(observed)
    check_length(windows, pretrained.length)
    settings = FewShotSettings(**pretrained.settings)
    length = pretrained.length
    count, samples, signals = windows.y.shape
    body = Body(settings.width, settings.depth)
    points = jnp.asarray(collocation_points(windows, params, settings))
    n_points = points.shape[1]
    known_c = known_actuators(windows, points, params, operators)
    known_d = known_actuators(windows, windows.t, params, operators)
    centre, spread = (jnp.asarray(a) for a in output_affine(windows, observed))
    rates = rate_scale(params, False)
    measured = [(MEASURABLE_HEADS[n], observed.index(n)) for n in observed if n in MEASURABLE_HEADS]
    mean_head = jnp.concatenate(
        [jnp.mean(pretrained.heads, axis=0), jnp.mean(pretrained.biases, axis=0)[:, None]], axis=1
    )
    # weights that make the sum of squares the mean of each term (as in pre-training)
    w_ode, w_alg = 1.0 / np.sqrt(3 * n_points), 1.0 / np.sqrt(2 * n_points)
    w_data, w_initial = 1.0 / np.sqrt(samples * signals), 1.0 / np.sqrt(signals)

    def featurize(mask):
        """``[Φ̃_c, Φ̃'_c · 2/T, Φ̃_d]`` of every window: ``[W, N, H+1]`` twice, ``[W, M, H+1]``."""

        def one(data, p):
            phi_c, dphi_c = features_at(body, pretrained.body, p, data.t[0], length, mask)
            phi_d, _ = features_at(body, pretrained.body, data.t, data.t[0], length, mask)
            one_c, one_d = jnp.ones((p.shape[0], 1)), jnp.ones((data.t.shape[0], 1))
            return (
                jnp.concatenate([phi_c, one_c], 1),
                jnp.concatenate([dphi_c, 0.0 * one_c], 1) * 2.0 / length,
                jnp.concatenate([phi_d, one_d], 1),
            )

        return jax.vmap(one)(windows, points)

    def initial_heads(features, data: Window):
        """Ridge least squares of the measured rows on Φ̃_d; the mean lab head elsewhere."""
        design = features[2]
        gram = jnp.einsum("wmi,wmj->wij", design, design)
        gram = gram + settings.ridge * samples * jnp.eye(design.shape[2])[None]
        heads = jnp.broadcast_to(mean_head, (count, *mean_head.shape))
        for row, column in measured:
            target = (data.y[:, :, column] - centre[:, row, None]) / spread[:, row, None]
            rhs = jnp.einsum("wmi,wm->wi", design, target)[..., None]
            heads = heads.at[:, row].set(jnp.linalg.solve(gram, rhs)[..., 0])
        return heads

    def window_problem(head, rho, feats, data, c, s, p, kn_c, kn_d, jacobian: bool):
        """Residuals ``[R]`` of one window and, if asked, their Jacobians ``[R, 5(H+1)]``
        (head) and ``[R, P]`` (ρ)."""
        f_c, df_c, f_d = feats
        yh_c = head_outputs(f_c, head, c, s)
        dyh_c = s[None, :HEADS] * (df_c @ head.T)
        yh_d = head_outputs(f_d, head, c, s)

        def at_point(yh, dyh, rho, t, kn):
            theta = with_log_factors(params, unknowns, rho)
            y = jnp.concatenate([yh, kn])[None]
            ode, alg = physics_residuals(y, dyh[None], t[None], data.commands, theta, s, rates)
            return jnp.concatenate([w_ode * ode[0], w_alg * alg[0]])

        def at_sample(yh, rho, t, kn, measured_y):
            theta = with_log_factors(params, unknowns, rho)
            y = jnp.concatenate([yh, kn])[None]
            sample = Window(data.commands, t[None], measured_y[None], data.scale)
            return data_misfit(y, sample, theta, observed)[0]

        point_axes = (0, 0, None, 0, 0)
        sample_axes = (0, None, 0, 0, 0)
        r_c = jax.vmap(at_point, point_axes)(yh_c, dyh_c, rho, p, kn_c)
        r_d = jax.vmap(at_sample, sample_axes)(yh_d, rho, data.t, kn_d, data.y)
        r = jnp.concatenate([r_c.ravel(), w_data * r_d.ravel(), w_initial * r_d[0]])
        if not jacobian:
            return r
        jy_c, jdy_c, jr_c = jax.vmap(jax.jacfwd(at_point, argnums=(0, 1, 2)), point_axes)(
            yh_c, dyh_c, rho, p, kn_c
        )
        jy_d, jr_d = jax.vmap(jax.jacfwd(at_sample, argnums=(0, 1)), sample_axes)(
            yh_d, rho, data.t, kn_d, data.y
        )
        s5 = s[:HEADS]
        ja_c = jnp.einsum("irj,j,ih->irjh", jy_c, s5, f_c) + jnp.einsum(
            "irj,j,ih->irjh", jdy_c, s5, df_c
        )
        ja_d = jnp.einsum("irj,j,ih->irjh", jy_d, s5, f_d)
        size = HEADS * f_c.shape[1]
        j_head = jnp.concatenate(
            [
                ja_c.reshape(-1, size),
                w_data * ja_d.reshape(-1, size),
                w_initial * ja_d[0].reshape(-1, size),
            ]
        )
        j_rho = jnp.concatenate(
            [jr_c.reshape(-1, rho.size), w_data * jr_d.reshape(-1, rho.size), w_initial * jr_d[0]]
        )
        return r, j_head, j_rho

    window_axes = (0, None, 0, 0, 0, 0, 0, 0, 0, None)

    def residuals(heads, rho, feats, data: Window):
        """``[W, R]``: every weighted residual of every window."""
        return jax.vmap(window_problem, window_axes)(
            heads, rho, feats, data, centre, spread, points, known_c, known_d, False
        )

    def loss_at(heads, rho, feats, data):
        return jnp.sum(residuals(heads, rho, feats, data) ** 2)

    def normal_equations(heads, rho, feats, data: Window):
        """Loss, ``JᵀJ`` and ``Jᵀr`` over the flat unknowns ``[heads.ravel(), ρ]``."""
        r, j_head, j_rho = jax.vmap(window_problem, window_axes)(
            heads, rho, feats, data, centre, spread, points, known_c, known_d, True
        )
        size, n_rho = j_head.shape[2], rho.size
        total = count * size + n_rho
        matrix = jnp.zeros((total, total))
        for w in range(count):  # block arrow: heads couple only through ρ
            block = slice(w * size, (w + 1) * size)
            matrix = matrix.at[block, block].set(j_head[w].T @ j_head[w])
            cross = j_head[w].T @ j_rho[w]
            matrix = matrix.at[block, count * size :].set(cross)
            matrix = matrix.at[count * size :, block].set(cross.T)
        matrix = matrix.at[count * size :, count * size :].set(
            jnp.einsum("wri,wrj->ij", j_rho, j_rho)
        )
        gradient = jnp.concatenate(
            [jnp.einsum("wrk,wr->wk", j_head, r).ravel(), jnp.einsum("wri,wr->i", j_rho, r)]
        )
        return jnp.sum(r**2), matrix, gradient

    def solve(feats, rho0, data: Window):
        heads0 = initial_heads(feats, data)
        shape = heads0.shape

        def split(z):
            return z[: heads0.size].reshape(shape), z[heads0.size :]

        z, loss, steps = levenberg_marquardt(
            lambda z: normal_equations(*split(z), feats, data),
            lambda z: loss_at(*split(z), feats, data),
            jnp.concatenate([heads0.ravel(), rho0]),
            max_steps=settings.max_steps, rtol=settings.rtol, damping=DAMPING,
        )  # fmt: skip
        heads, rho = split(z)
        return heads, rho, steps, loss

    problem = FewShotProblem(featurize, initial_heads, residuals, normal_equations)
    rho_template = jnp.zeros(len(unknowns))
    mask_template = jnp.ones((settings.depth, settings.width))
    start = time.perf_counter()
    featurize_compiled = jax.jit(featurize).lower(mask_template).compile()
    features_template = featurize_compiled(mask_template)
    solve_compiled = jax.jit(solve).lower(features_template, rho_template, windows).compile()
    compile_seconds = time.perf_counter() - start

    def predict_states(heads, mask, t):
        """States ``[W, N, 8]`` at times ``t [W, N]``."""
        t = jnp.asarray(t)
        actuators = known_actuators(windows, t, params, operators)

        def one(data, tw, head, c, s, kn):
            phi, _ = features_at(body, pretrained.body, tw, data.t[0], length, mask)
            f = jnp.concatenate([phi, jnp.ones((tw.shape[0], 1))], 1)
            y = head_outputs(f, head, c, s)
            return jnp.concatenate([y, kn], 1)

        return jax.vmap(one)(windows, t, heads, centre, spread, actuators)

    def run(mask=None, initial_factors=None, measured_windows=None) -> FewShotFit:
        """``measured_windows``: the same windows with other measurements (e.g. another noise
        realisation), solved without compiling again."""
        mask = mask_template if mask is None else jnp.asarray(mask)
        data = windows if measured_windows is None else measured_windows
        if data.y.shape != windows.y.shape:
            raise ValueError(f"measurements {data.y.shape} differ from {windows.y.shape}")
        factors = np.ones(len(unknowns)) if initial_factors is None else initial_factors
        factors = np.asarray(factors, dtype=float)
        if factors.shape != (len(unknowns),):
            raise ValueError(f"initial_factors needs {len(unknowns)} values, got {factors.shape}")
        start = time.perf_counter()
        feats = jax.block_until_ready(featurize_compiled(mask))
        feature_seconds = time.perf_counter() - start
        heads, rho, steps, loss = solve_compiled(feats, jnp.log(factors), data)
        rho = np.asarray(rho)  # the host sync that ends the online solve
        wall = time.perf_counter() - start
        return FewShotFit(
            theta={n: float(getattr(params, n) * np.exp(rho[i])) for i, n in enumerate(unknowns)},
            log_factors=rho,
            heads=heads,
            steps=int(steps),
            loss=float(loss),
            wall_seconds=wall,
            feature_seconds=feature_seconds,
            compile_seconds=compile_seconds,
            predict_states=lambda t: predict_states(heads, mask, t),
        )

    run.problem = problem  # the pieces, for tests and diagnostics
    run.windows = windows
    return run


def fit_few_shot(
    windows: Window,
    params: EngineParameters,
    observed,
    pretrained: Pretrained,
    *,
    initial_factors=None,
    unknowns=UNKNOWNS,
    operators=None,
) -> FewShotFit:
    """Fit ``unknowns`` to stacked ``windows`` with the frozen body (no dropout mask)."""
    solve = few_shot_solver(
        windows, params, observed, pretrained, unknowns=unknowns, operators=operators
    )
    return solve(initial_factors=initial_factors)


def dropout_estimates(
    solve: Callable[..., FewShotFit],
    count: int,
    settings: FewShotSettings,
    *,
    initial_factors=None,
    seed: int = 0,
) -> dict:
    """MC dropout: θ̂ for ``count`` masks of the body; mean, std and every estimate."""
    masks = dropout_masks(jax.random.PRNGKey(seed), count, settings)
    return spread_of([solve(mask, initial_factors) for mask in masks])


def ensemble_estimates(solves: list[Callable[..., FewShotFit]], *, initial_factors=None) -> dict:
    """Deep ensemble (Step 9's cross-check of MC dropout): θ̂ from each independently
    pre-trained body's solve; mean, std and every estimate."""
    if len(solves) < 2:
        raise ValueError(f"an ensemble needs at least two bodies, got {len(solves)}")
    return spread_of([solve(initial_factors=initial_factors) for solve in solves])


def spread_of(fits: list[FewShotFit]) -> dict:
    """Mean and sample std of θ̂ over ``fits``, every estimate and the summed online time."""
    names = list(fits[0].theta)
    values = np.array([[f.theta[n] for n in names] for f in fits])
    return {
        "mean": dict(zip(names, values.mean(axis=0).tolist(), strict=True)),
        "std": dict(zip(names, values.std(axis=0, ddof=1).tolist(), strict=True)),
        "estimates": values.tolist(),
        "seconds": float(sum(f.wall_seconds for f in fits)),
    }
