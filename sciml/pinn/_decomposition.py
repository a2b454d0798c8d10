r"""Domain decomposition of a box into strips along one axis (XPINN style: along space or time),
one network per strip, interface points on every shared boundary.

``decompose(bounds, axis, edges)``: ``edges`` = (a₀ < a₁ < … < a_K) along ``axis`` must start and
end at the box's bounds there, so the K strips tile the box exactly (no gap, no overlap). Strip
k's network sees its points mapped affinely to [−1, 1]ᵈ (as METALIC does per subdomain).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class Decomposition(NamedTuple):
    bounds: tuple[tuple[float, float], ...]
    axis: int
    edges: tuple[float, ...]

    @property
    def count(self) -> int:
        return len(self.edges) - 1

    def box(self, k: int) -> tuple[tuple[float, float], ...]:
        """The bounds of strip ``k``."""
        bounds = list(self.bounds)
        bounds[self.axis] = (self.edges[k], self.edges[k + 1])
        return tuple(bounds)

    def boxes(self) -> jax.Array:
        """``[K, d, 2]``: lower and upper bounds of every strip."""
        return jnp.asarray([self.box(k) for k in range(self.count)], float)

    def interior(self, key: jax.Array, count: int) -> jax.Array:
        """``[K, count, d]`` uniform points in every strip."""
        boxes = self.boxes()
        unit = jax.random.uniform(key, (self.count, count, len(self.bounds)))
        return boxes[:, None, :, 0] + unit * (boxes[:, None, :, 1] - boxes[:, None, :, 0])

    def interfaces(self, key: jax.Array, count: int) -> jax.Array:
        """``[K - 1, count, d]`` uniform points on the boundary between strips k and k + 1."""
        lower = jnp.asarray([[[b[0] for b in self.bounds]]], float)
        upper = jnp.asarray([[[b[1] for b in self.bounds]]], float)
        unit = jax.random.uniform(key, (self.count - 1, count, len(self.bounds)))
        points = lower + unit * (upper - lower)
        cuts = jnp.asarray(self.edges[1:-1], float)[:, None]
        return points.at[:, :, self.axis].set(jnp.broadcast_to(cuts, points.shape[:2]))

    def owner(self, points: jax.Array) -> jax.Array:
        """The strip holding each point (a point on a cut belongs to the strip above it)."""
        inner = jnp.asarray(self.edges[1:-1], float)
        return jnp.searchsorted(inner, points[..., self.axis], side="right")

    def to_unit(self, k, z: jax.Array) -> jax.Array:
        """Point ``z`` of strip ``k`` mapped affinely to [−1, 1]ᵈ (``k`` may be traced)."""
        box = self.boxes()[k]
        return 2.0 * (z - box[..., 0]) / (box[..., 1] - box[..., 0]) - 1.0


def decompose(bounds, axis: int, edges) -> Decomposition:
    """Strips of ``bounds`` (one ``(low, high)`` per axis) cut along ``axis`` at ``edges``;
    edges that do not tile the box are a one-line error."""
    bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
    if not 0 <= axis < len(bounds):
        raise ValueError(f"axis {axis} is not an axis of a {len(bounds)}-dimensional box")
    edges = tuple(float(e) for e in edges)
    lo, hi = bounds[axis]
    if len(edges) < 2:
        raise ValueError(f"need at least the two ends of axis {axis}, got edges {edges}")
    scale = max(abs(lo), abs(hi), 1.0)
    if abs(edges[0] - lo) > 1e-12 * scale or abs(edges[-1] - hi) > 1e-12 * scale:
        raise ValueError(
            f"the subdomains do not tile the domain: edges {edges} span "
            f"[{edges[0]:g}, {edges[-1]:g}] but axis {axis} of the domain is [{lo:g}, {hi:g}]"
        )
    if np.any(np.diff(edges) <= 0):
        raise ValueError(f"subdomain edges must increase strictly (no empty or overlapping "
                         f"subdomain), got {edges}")  # fmt: skip
    return Decomposition(bounds, axis, (lo, *edges[1:-1], hi))
