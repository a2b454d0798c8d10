r"""Error metrics between a prediction and a reference field.

Every metric takes ``pred`` and ``ref`` of the same shape (NumPy or JAX arrays), is written with
``jax.numpy`` and works under ``jax.jit`` (axis arguments are static: bind them with
``functools.partial``). Shapes are checked when the function is called or traced: a mismatch is a
``ValueError`` naming both shapes, never a silent broadcast. Integer inputs are promoted to the
default float dtype.

Conventions (DESIGN.md section 3): fields are ``[B, *space, C]``, trajectories
``[B, T, *space, C]``. The usual scores are

- operator learning: ``rel_l2(pred, ref, axis=(1, ..., d + 1)).mean()``, the relative L2 error of
  each sample over space and channels, averaged over samples;
- PDEBench tables: ``nrmse(pred, ref, spatial_axes=...)``, see :func:`nrmse`.

Rollout metrics (error as a function of the time step of an autoregressive rollout) belong in this
module too; they are not written yet.

>>> import jax.numpy as jnp
>>> from pdes import metrics
>>> ref = jnp.array([[3.0, 4.0], [6.0, 8.0]])
>>> pred = ref + jnp.array([[0.0, 1.0], [3.0, 4.0]])
>>> print(metrics.rel_l2(pred, ref, axis=1))  # per sample: 1/5 and 5/10
[0.2 0.5]
>>> float(metrics.max_error(pred, ref))
4.0
"""

import operator
from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

Axis = int | Sequence[int] | None


def _as_float(x: ArrayLike) -> jax.Array:
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.result_type(float))
    return x


def _pair(pred: ArrayLike, ref: ArrayLike) -> tuple[jax.Array, jax.Array]:
    pred, ref = _as_float(pred), _as_float(ref)
    if pred.shape != ref.shape:
        raise ValueError(
            f"pred and ref must have the same shape, got pred {pred.shape} and ref {ref.shape}"
        )
    return pred, ref


def _axes(axis: Axis, ndim: int, name: str = "axis") -> tuple[int, ...] | None:
    """Normalises ``axis`` to sorted non-negative ints (``None`` means all axes)."""
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, Sequence) else (axis,)
    if not axes:
        raise ValueError(f"{name} must name at least one axis")
    try:
        axes = tuple(operator.index(a) for a in axes)
    except TypeError:
        raise ValueError(f"{name} must be integers, got {axis!r}") from None
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{name} {a} is out of range for arrays with {ndim} axes")
    resolved = tuple(sorted(a % ndim for a in axes))
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"{name} {axes} names the same axis twice")
    return resolved


def rel_l2(pred: ArrayLike, ref: ArrayLike, axis: Axis = None) -> jax.Array:
    r"""Relative L2 error :math:`\lVert \hat u - u \rVert_2 / \lVert u \rVert_2`.

    .. math:: \mathrm{relL2} = \sqrt{\sum_i (\hat u_i - u_i)^2} \Big/ \sqrt{\sum_i u_i^2}

    Args:
        pred: Prediction :math:`\hat u`.
        ref: Reference :math:`u`, same shape as ``pred``.
        axis: Axes summed over. ``None`` (default) sums over every element and returns a scalar;
            otherwise the error is computed separately for every index of the remaining axes
            (e.g. ``axis=(1, 2)`` on ``[B, X, C]`` gives one error per sample, shape ``[B]``).

    Returns:
        The relative error, a scalar or an array over the axes not reduced. A reference that is
        zero over a reduced slice gives ``inf`` (or ``nan`` if the error is zero too).

    >>> round(float(rel_l2(jnp.array([3.0, 5.0]), jnp.array([3.0, 4.0]))), 6)  # 1 / 5
    0.2
    """
    pred, ref = _pair(pred, ref)
    axes = _axes(axis, ref.ndim)
    err = jnp.sqrt(jnp.sum((pred - ref) ** 2, axis=axes))
    return err / jnp.sqrt(jnp.sum(ref**2, axis=axes))


def rmse(pred: ArrayLike, ref: ArrayLike, axis: Axis = None) -> jax.Array:
    r"""Root-mean-square error.

    .. math:: \mathrm{RMSE} = \sqrt{\frac{1}{n} \sum_{i=1}^n (\hat u_i - u_i)^2}

    Args:
        pred: Prediction :math:`\hat u`.
        ref: Reference :math:`u`, same shape as ``pred``.
        axis: Axes averaged over; ``None`` (default) averages over every element.

    Returns:
        A scalar, or an array over the axes not reduced.

    >>> round(float(rmse(jnp.array([3.0, 4.0]), jnp.zeros(2))), 6)  # sqrt((9 + 16) / 2)
    3.535534
    """
    pred, ref = _pair(pred, ref)
    return jnp.sqrt(jnp.mean((pred - ref) ** 2, axis=_axes(axis, ref.ndim)))


def max_error(pred: ArrayLike, ref: ArrayLike, axis: Axis = None) -> jax.Array:
    r"""Maximum absolute error (L-infinity norm of the difference).

    .. math:: \mathrm{maxerr} = \max_i \lvert \hat u_i - u_i \rvert

    This is the worst case over all elements. PDEBench's "max error" column is different: the
    maximum over space and samples, then averaged over channels and time steps.

    Args:
        pred: Prediction :math:`\hat u`.
        ref: Reference :math:`u`, same shape as ``pred``.
        axis: Axes maximised over; ``None`` (default) takes every element.

    Returns:
        A scalar, or an array over the axes not reduced.

    >>> float(max_error(jnp.array([1.0, -2.0]), jnp.array([0.0, 2.0])))
    4.0
    """
    pred, ref = _pair(pred, ref)
    return jnp.max(jnp.abs(pred - ref), axis=_axes(axis, ref.ndim))


def nrmse(pred: ArrayLike, ref: ArrayLike, spatial_axes: int | Sequence[int]) -> jax.Array:
    r"""Normalised RMSE as PDEBench defines it (the "nRMSE" of its result tables).

    For every sample :math:`b`, channel :math:`c` and time step :math:`t`, the RMSE over the
    spatial points is divided by the RMS of the reference over the same points; the ratios are
    then averaged over everything else:

    .. math::
        \mathrm{nRMSE} = \operatorname{mean}_{b,t,c}
        \frac{\sqrt{\frac{1}{N_x} \sum_x (\hat u_{b,t,x,c} - u_{b,t,x,c})^2}}
             {\sqrt{\frac{1}{N_x} \sum_x u_{b,t,x,c}^2}}

    which equals the mean over :math:`(b, t, c)` of the relative L2 error over space. Source:
    ``metric_func`` in ``pdebench/models/metrics.py`` of PDEBench (Takamoto et al., NeurIPS 2022
    Datasets and Benchmarks, https://github.com/pdebench/PDEBench): ``err_mean`` (RMSE over the
    flattened spatial axes, per batch, channel and time), divided by ``nrm`` (RMS of the target
    over the same axes), averaged over the batch, then over channels and time. PDEBench's
    ``metrics`` also averages the per-batch values over the loader's batches, which equals this
    mean only when every batch has the same size. There is no epsilon in the denominator: a
    reference that vanishes over a spatial slice gives ``inf`` or ``nan``, as in PDEBench.

    Args:
        pred: Prediction, e.g. ``[B, T, *space, C]`` or ``[B, *space, C]``.
        ref: Reference, same shape as ``pred``.
        spatial_axes: The spatial axes (``(2, ..., d + 1)`` for trajectories, ``(1, ..., d)`` for
            fields). Every other axis is averaged after the ratio is taken.

    Returns:
        A scalar.

    >>> ref = jnp.array([[[3.0], [4.0]], [[6.0], [8.0]]])  # [T=2, X=2, C=1]
    >>> err = jnp.array([[[0.0], [1.0]], [[3.0], [4.0]]])
    >>> round(float(nrmse(ref + err, ref, spatial_axes=1)), 6)  # mean(1/5, 5/10)
    0.35
    """
    pred, ref = _pair(pred, ref)
    axes = _axes(spatial_axes, ref.ndim, name="spatial_axes")
    err = jnp.sqrt(jnp.mean((pred - ref) ** 2, axis=axes))
    norm = jnp.sqrt(jnp.mean(ref**2, axis=axes))
    return jnp.mean(err / norm)


__all__ = ["max_error", "nrmse", "rel_l2", "rmse"]
