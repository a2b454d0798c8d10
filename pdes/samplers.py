r"""Collocation samplers: interior, boundary and initial points of a box domain.

Every sampler is a pure function of a PRNG ``key`` (draw per-step points with
``jax.random.fold_in(key, step)``), with the point count static, so it jits. The unit-cube
``method`` is a callable ``(key, n, dim) -> [n, dim]``: :func:`uniform`, :func:`latin_hypercube`
or :func:`sobol`.

>>> import jax, pdes
>>> domain = pdes.get("burgers").domain
>>> pdes.samplers.interior(jax.random.key(0), domain, 4, method=pdes.samplers.sobol).shape
(4, 2)
"""

import functools
import operator
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray
from scipy.stats import qmc  # Joe-Kuo direction numbers; scipy is a dependency of jax itself

from pdes._domain import Domain

Method = Callable[[PRNGKeyArray, int, int], Float[Array, "n dim"]]


def uniform(key: PRNGKeyArray, n: int, dim: int) -> Float[Array, "n dim"]:
    """Independent uniform points in :math:`[0, 1)^{dim}`."""
    return jax.random.uniform(key, (n, dim))


def latin_hypercube(key: PRNGKeyArray, n: int, dim: int) -> Float[Array, "n dim"]:
    """Latin hypercube: each axis has exactly one point in each of the ``n`` strata of width 1/n."""
    perm_key, jitter_key = jax.random.split(key)
    perms = jax.vmap(lambda k: jax.random.permutation(k, n))(jax.random.split(perm_key, dim))
    jitter = jax.random.uniform(jitter_key, (n, dim))
    return (perms.T + jitter) / n


@functools.cache
def _sobol_base(m: int, dim: int) -> np.ndarray:
    """The first 2**m unscrambled Sobol points (Joe–Kuo directions, via SciPy) as 32-bit ints."""
    points = qmc.Sobol(dim, scramble=False).random_base2(m)
    return np.asarray(np.round(points * 2.0**32), dtype=np.uint32)


def sobol(key: PRNGKeyArray, n: int, dim: int) -> Float[Array, "n dim"]:
    """Sobol points with a random digital shift (XOR by a random 32-bit mask per axis).

    The shift keeps the net property of the sequence and makes the points unbiased; the first
    ``n`` of ``2**ceil(log2 n)`` points are used. Coordinates carry 24 bits, exact in float32.
    """
    m = max(0, int(np.ceil(np.log2(max(n, 1)))))
    base = jnp.asarray(_sobol_base(m, dim)[:n])
    shift = jax.random.bits(key, (dim,), jnp.uint32)
    shifted = jnp.bitwise_xor(base, shift[None, :])
    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)  # float64 only where x64 is enabled
    return (shifted >> 8).astype(dtype) * 2.0**-24


def _scale(unit: Array, lower, upper) -> Array:
    lower = jnp.asarray(lower, unit.dtype)[None, :]
    upper = jnp.asarray(upper, unit.dtype)[None, :]
    return lower + unit * (upper - lower)


def _check_count(n: int) -> int:
    try:
        n = operator.index(n)
    except TypeError:
        n = None
    if n is None or n < 1:
        raise ValueError("the number of points must be a positive integer")
    return n


def interior(key: PRNGKeyArray, domain: Domain, n: int, method: Method = uniform) -> Array:
    """``n`` points in the space(-time) box, shape ``[n, domain.ndim]`` (time first)."""
    n = _check_count(n)
    return _scale(method(key, n, domain.ndim), domain.lower, domain.upper)


def initial(key: PRNGKeyArray, domain: Domain, n: int, method: Method = uniform) -> Array:
    """``n`` points on the initial slice ``t = t0``, shape ``[n, domain.ndim]``."""
    n = _check_count(n)
    if not domain.time_dependent:
        raise ValueError("initial points need a time-dependent domain")
    space = _scale(method(key, n, len(domain.space)), *zip(*domain.space, strict=True))
    t0 = jnp.full((n, 1), domain.time[0], space.dtype)
    return jnp.concatenate([t0, space], axis=1)


def _face_counts(domain: Domain, n: int) -> list[int]:
    """Points per face (2 per spatial axis), in proportion to the face measure.

    Rounding by largest remainder keeps the total at ``n``.
    """
    extents = np.array([hi - lo for lo, hi in domain.bounds])
    measures = []
    for axis in domain.spatial_axes:
        measure = float(np.prod(np.delete(extents, axis)))
        measures += [measure, measure]
    share = np.array(measures) / np.sum(measures) * n
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts.tolist()


def boundary(key: PRNGKeyArray, domain: Domain, n: int, method: Method = uniform) -> Array:
    """``n`` points on the spatial boundary faces (times uniform in the time interval).

    Faces get points in proportion to their measure; the result is ordered face by face
    (axis 0 lower, axis 0 upper, axis 1 lower, ...), shape ``[n, domain.ndim]``.
    """
    n = _check_count(n)
    counts = _face_counts(domain, n)
    keys = jax.random.split(key, len(counts))
    faces = []
    for face, (count, face_key) in enumerate(zip(counts, keys, strict=True)):
        if count == 0:
            continue
        axis = domain.spatial_axes[face // 2]
        points = interior(face_key, domain, count, method)
        value = domain.upper[axis] if face % 2 else domain.lower[axis]
        faces.append(points.at[:, axis].set(value))
    return jnp.concatenate(faces, axis=0)
