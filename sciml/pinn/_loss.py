r"""PINN loss assembly, causal weighting and loss-term balancing.

The loss is :math:`\sum_i \lambda_i L_i` over the terms of :mod:`sciml.pinn._terms`, with
:math:`L_i` the mean over its points of :math:`|r_i|^2`. Options:

- **Causal weighting** (Wang, Sankaran & Perdikaris 2022): the residual points are sorted by time
  and split into :math:`M` chunks of equal count; with chunk losses :math:`L^{(k)}`, the residual
  loss is :math:`\frac1M\sum_k w_k L^{(k)}`, :math:`w_k = \exp(-\epsilon\sum_{j<k} L^{(j)})` held
  constant in the gradient, so later times train once earlier ones are resolved.
- **Gradient-norm balancing**: :math:`\hat\lambda_i = \overline{\|\nabla_\theta L\|} /
  \|\nabla_\theta L_i\|` (mean over terms in the numerator).
- **NTK balancing**: :math:`\hat\lambda_i = \overline{K} / K_i` with :math:`K_i` the mean over
  points of :math:`\|\partial r_i / \partial\theta\|^2` (the NTK diagonal).
- **Self-adaptive weights** (SA-PINN, McClenny & Braga-Neto 2023): fixed points with one weight
  each, :math:`L_i = \operatorname{mean}_j \mu_j |r_i(z_j)|^2`, minimised over :math:`\theta`
  and maximised over :math:`\mu` by gradient ascent,
  :math:`\mu_j \leftarrow \mu_j + \eta\,\partial_{\mu_j} L_i / \operatorname{mean}_k
  \partial_{\mu_k} L_i` (the step normalised so the mean weight rises by :math:`\eta`).

Balanced weights follow an exponential moving average, :math:`\lambda \leftarrow m\lambda +
(1 - m)\hat\lambda` (JAX-PI: :math:`m = 0.9`, refreshed every 1000 steps).
"""

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import optax

from sciml.pinn._terms import PointFn, Term
from sciml.train import shard_batch

ApplyU = Callable[[object], PointFn]
"""``params -> u``: the model as a function of one point."""


Sampler = Callable[[object, Term, jax.Array, int], jax.Array]
"""``(params, term, key, n) -> points``, e.g. residual-based adaptive sampling."""


def sample_batch(
    terms: list[Term],
    key: jax.Array,
    counts: Mapping[str, int],
    params=None,
    adaptive: Mapping[str, Sampler] | None = None,
    mesh=None,
) -> dict:
    """Fresh points for every term (one subkey per term); ``adaptive`` samplers may look at
    the current ``params``; with a ``mesh`` the points are split over its devices."""
    keys = jax.random.split(key, len(terms))
    adaptive = adaptive or {}
    batch = {}
    for term, k in zip(terms, keys, strict=True):
        if term.name in adaptive:
            points = adaptive[term.name](params, term, k, counts[term.name])
        else:
            points = term.sample(k, counts[term.name])
        batch[term.name] = shard_batch(points, mesh)
    return batch


def _pointwise_squares(term: Term, u: PointFn, points: jax.Array) -> jax.Array:
    r = term.on_points(u, points)
    return jnp.sum(r.reshape(r.shape[0], -1) ** 2, axis=1)


def causal_loss(times: jax.Array, squares: jax.Array, chunks: int, tolerance: float):
    """Causally weighted mean of ``squares``; also returns the smallest chunk weight."""
    if squares.shape[0] % chunks:
        raise ValueError(
            f"causal weighting splits {squares.shape[0]} residual points into {chunks} equal "
            "chunks: make sampling.residual_points a multiple of causal.chunks"
        )
    per_chunk = squares[jnp.argsort(times)].reshape(chunks, -1).mean(axis=1)
    weights = jax.lax.stop_gradient(jnp.exp(-tolerance * (jnp.cumsum(per_chunk) - per_chunk)))
    return jnp.mean(weights * per_chunk), jnp.min(weights)


def make_term_losses(
    terms: list[Term], apply_u: ApplyU, *, causal: tuple[int, float] | None = None
) -> Callable:
    """``(params, points, point_weights) -> ({name: L_i}, extra metrics)``; ``causal = (chunks,
    tolerance)``; ``point_weights`` (optional) maps a term to one weight per point."""

    def term_losses(params, points, point_weights=None):
        u = apply_u(params)
        losses, extra = {}, {}
        for term in terms:
            squares = _pointwise_squares(term, u, points[term.name])
            if point_weights is not None and term.name in point_weights:
                squares = point_weights[term.name] * squares
            if term.name == "residual" and causal is not None:
                losses[term.name], extra["causal_weight_min"] = causal_loss(
                    points[term.name][:, 0], squares, *causal
                )
            else:
                losses[term.name] = jnp.mean(squares)
        return losses, extra

    return term_losses


POINTWISE = "pointwise"
"""Key of the self-adaptive point weights in the weight state (beside the term weights)."""


def make_loss(
    term_losses: Callable,
    terms: list[Term],
    counts: Mapping[str, int],
    adaptive: Mapping[str, Sampler] | None = None,
    *,
    fixed: Mapping[str, jax.Array] | None = None,
    mesh=None,
) -> Callable:
    """``loss_fn(params, batch, key, weights)`` for :func:`sciml.train.make_train_step`.

    Points come from ``batch`` when given (e.g. for L-BFGS), else from ``fixed`` (SA-PINN), else
    are drawn from ``key`` (resampled every step, adaptively for the terms in ``adaptive``).
    ``weights`` holds one scalar per term and, for SA-PINN, ``weights["pointwise"]``.
    """

    def loss_fn(params, batch, key, weights):
        if batch is None:
            batch = fixed
        if batch is None:
            frozen = jax.lax.stop_gradient(params)
            batch = sample_batch(terms, key, counts, frozen, adaptive, mesh)
        losses, extra = term_losses(params, batch, weights.get(POINTWISE))
        total = sum(weights[name] * value for name, value in losses.items())
        scalars = {f"weight_{k}": v for k, v in weights.items() if k != POINTWISE}
        pointwise = {
            f"weight_{k}_max": jnp.max(v) / jnp.mean(v)
            for k, v in weights.get(POINTWISE, {}).items()
        }
        return total, {**losses, **extra, **scalars, **pointwise}

    return loss_fn


def _ema(weights, estimate, momentum):
    return {k: momentum * weights[k] + (1 - momentum) * estimate[k] for k in weights}


def self_adaptive_update(terms: list[Term], apply_u: ApplyU, points, rate: float) -> Callable:
    r"""Weight update (for ``make_train_step``): one normalised ascent step on the point weights
    at the fixed ``points``; :math:`\partial_{\mu_j} L = |r(z_j)|^2 / N` needs no backward pass."""

    def update(params, batch, key, weights):
        u = apply_u(jax.lax.stop_gradient(params))
        raised = {}
        for term in terms:
            squares = _pointwise_squares(term, u, points[term.name])
            step = squares / (jnp.mean(squares) + 1e-30)
            raised[term.name] = weights[POINTWISE][term.name] + rate * step
        return {**weights, POINTWISE: raised}

    return update


def grad_norm_update(term_losses: Callable, terms, counts, momentum: float) -> Callable:
    """Weight update (for ``make_train_step``) balancing the terms' gradient norms."""

    def update(params, batch, key, weights):
        points = batch if batch is not None else sample_batch(terms, key, counts)
        norms = {
            name: optax.tree.norm(jax.grad(lambda p, n=name: term_losses(p, points)[0][n])(params))
            for name in weights
        }
        mean = sum(norms.values()) / len(norms)
        estimate = {k: jax.lax.stop_gradient(mean / (v + 1e-12)) for k, v in norms.items()}
        return _ema(weights, estimate, momentum)

    return update


def ntk_update(apply_u: ApplyU, terms, counts, momentum: float, points_per_term: int) -> Callable:
    """Weight update balancing the mean NTK diagonal of every term."""

    def update(params, batch, key, weights):
        points = batch if batch is not None else sample_batch(terms, key, counts)
        traces = {}
        for term in terms:
            subset = points[term.name][:points_per_term]

            def diagonal(z, term=term):
                jac = jax.jacrev(lambda p: term.residual(apply_u(p), z))(params)
                return sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves(jac))

            traces[term.name] = jnp.mean(jax.vmap(diagonal)(subset))
        mean = sum(traces.values()) / len(traces)
        estimate = {k: jax.lax.stop_gradient(mean / (v + 1e-12)) for k, v in traces.items()}
        return _ema(weights, estimate, momentum)

    return update
