r"""The two graphs of STGODE and GRAM-ODE, built as the papers build them.

Spatial graph: the finite road distances are z-scored over the finite entries, then
:math:`A_{ij} = \exp(-d_{ij}^2/\sigma_2^2)` (σ₂ = 10), zeroed below 0.5; pairs without a distance
get 0 (the diagonal too: self-loops come with the normalisation).

Semantic graph: the day-averaged flow profile of each sensor (mean over the whole days of the
*training split*; STGODE averages over all data), dynamic-time-warping distances between every
pair of profiles, z-scored over the matrix, :math:`\exp(-d^2/\sigma_1^2)` with σ₁ = 0.1 and
binarised at > 0.6. The official code uses fastdtw (radius 6), an approximation of DTW; here
DTW is exact (or restricted to a Sakoe-Chiba band), computed in JAX by a scan over the
anti-diagonals of the cost matrix, vectorised over pairs.

Normalised adjacency: :math:`\hat A = \tfrac{0.8}{2}(I + D^{-1/2} A D^{-1/2})`, degrees
clamped at 1e-4.
"""

import jax
import jax.numpy as jnp
import numpy as np

SPATIAL_SIGMA, SPATIAL_THRESHOLD = 10.0, 0.5
SEMANTIC_SIGMA, SEMANTIC_THRESHOLD = 0.1, 0.6


def spatial_adjacency(
    distances: np.ndarray, sigma: float = SPATIAL_SIGMA, threshold: float = SPATIAL_THRESHOLD
) -> np.ndarray:
    """Thresholded Gaussian kernel of z-scored road distances ``[N, N]`` (``inf``: no road)."""
    finite = np.isfinite(distances)
    if not finite.any():
        raise ValueError("no finite road distance: the spatial graph would be empty")
    values = distances[finite]
    z = (distances - values.mean()) / max(values.std(), 1e-12)
    weights = np.where(finite, np.exp(-(np.where(finite, z, 0.0) ** 2) / sigma**2), 0.0)
    return np.where(weights < threshold, 0.0, weights)


def daily_profiles(flow: np.ndarray, steps_per_day: int = 288) -> np.ndarray:
    """``[N, steps_per_day]``: each sensor's flow ``flow [T, N]`` averaged over the whole days."""
    days = flow.shape[0] // steps_per_day
    if days < 1:
        raise ValueError(
            f"need at least one whole day ({steps_per_day} steps), got {flow.shape[0]}"
        )
    whole = flow[: days * steps_per_day].reshape(days, steps_per_day, -1)
    return whole.mean(axis=0).T


def dtw_distance(a: jax.Array, b: jax.Array, band: int | None = None) -> jax.Array:
    r"""Dynamic-time-warping distance of two equal-length series with cost :math:`|a_i - b_j|`:
    :math:`D_{ij} = |a_i - b_j| + \min(D_{i-1,j}, D_{i,j-1}, D_{i-1,j-1})`, returns
    :math:`D_{L-1,L-1}`. ``band`` restricts the path to :math:`|i - j| \le` band.

    The scan runs over the 2L − 1 anti-diagonals k = i + j; each diagonal is one vector
    operation over the rows i, so a pair costs 2L sequential steps instead of L².
    """
    a, b = jnp.asarray(a), jnp.asarray(b)
    length = a.shape[0]
    rows = jnp.arange(length)
    inf = jnp.asarray(jnp.inf, a.dtype)

    def diagonal(carry, k):
        before, last = carry  # diagonals k - 2 and k - 1, indexed by the row i
        cols = k - rows
        valid = (cols >= 0) & (cols < length)
        if band is not None:
            valid &= jnp.abs(rows - cols) <= band
        cost = jnp.abs(a - b[jnp.clip(cols, 0, length - 1)])
        up = jnp.concatenate([inf[None], last[:-1]])  # (i-1, j) lies on diagonal k-1 at row i-1
        left = last  # (i, j-1): diagonal k-1, row i
        corner = jnp.concatenate([inf[None], before[:-1]])  # (i-1, j-1): diagonal k-2, row i-1
        best = jnp.minimum(jnp.minimum(up, left), corner)
        best = jnp.where((k == 0) & (rows == 0), 0.0, best)
        current = jnp.where(valid, cost + best, inf)
        return (last, current), None

    start = jnp.full((length,), inf)
    (_, final), _ = jax.lax.scan(diagonal, (start, start), jnp.arange(2 * length - 1))
    return final[length - 1]


def dtw_matrix(profiles: np.ndarray, band: int | None = None, chunk: int = 4096) -> np.ndarray:
    """Symmetric ``[N, N]`` DTW distances between the rows of ``profiles [N, L]`` (zero
    diagonal), ``chunk`` pairs per compiled call."""
    profiles = jnp.asarray(profiles)
    count = profiles.shape[0]
    first, second = np.triu_indices(count, k=1)
    pairwise = jax.jit(jax.vmap(lambda i, j: dtw_distance(profiles[i], profiles[j], band)))
    values = []
    for s in range(0, len(first), chunk):
        i, j = first[s : s + chunk], second[s : s + chunk]
        padded = chunk - len(i)  # one compiled shape for every chunk
        i, j = np.pad(i, (0, padded)), np.pad(j, (0, padded))
        values.append(np.asarray(pairwise(i, j))[: chunk - padded])
    distances = np.zeros((count, count))
    if values:
        distances[first, second] = distances[second, first] = np.concatenate(values)
    return distances


def semantic_adjacency(
    distances: np.ndarray, sigma: float = SEMANTIC_SIGMA, threshold: float = SEMANTIC_THRESHOLD
) -> np.ndarray:
    """Binary graph from the DTW matrix ``[N, N]``, as the official code builds it.

    A quirk kept for fidelity: the kernel acts on the *z-scored* distance, so it links pairs
    whose DTW distance lies within ~0.07 std of the mean distance, not the most similar pairs.
    """
    z = (distances - distances.mean()) / max(distances.std(), 1e-12)
    return (np.exp(-(z**2) / sigma**2) > threshold).astype(float)


def normalised_adjacency(adjacency: np.ndarray, alpha: float = 0.8) -> np.ndarray:
    r""":math:`\tfrac{\alpha}{2}(I + D^{-1/2} A D^{-1/2})` with degrees clamped at 1e-4."""
    degree = np.maximum(adjacency.sum(axis=1), 1e-4)
    scale = 1.0 / np.sqrt(degree)
    return alpha / 2 * (np.eye(adjacency.shape[0]) + scale[:, None] * adjacency * scale[None, :])
