r"""Box domains in the ``(t, x1, ..., xd)`` coordinate convention (time first)."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Domain:
    """A space box, optionally times a time interval.

    Args:
        space: ``((a1, b1), ..., (ad, bd))`` bounds of each spatial axis.
        time: ``(t0, t1)`` for time-dependent problems, ``None`` for steady ones.

    >>> Domain(space=((-1.0, 1.0),), time=(0.0, 1.0)).lower
    (0.0, -1.0)
    """

    space: tuple[tuple[float, float], ...]
    time: tuple[float, float] | None = None

    def __post_init__(self):
        bounds = (*self.space, *((self.time,) if self.time is not None else ()))
        if not self.space:
            raise ValueError("a domain needs at least one spatial axis")
        for lo, hi in bounds:
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ValueError(
                    f"domain bounds must be finite with lower < upper, got ({lo}, {hi})"
                )

    @property
    def time_dependent(self) -> bool:
        return self.time is not None

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        """Bounds of every coordinate axis, time first."""
        return ((self.time,) if self.time is not None else ()) + self.space

    @property
    def lower(self) -> tuple[float, ...]:
        return tuple(lo for lo, _ in self.bounds)

    @property
    def upper(self) -> tuple[float, ...]:
        return tuple(hi for _, hi in self.bounds)

    @property
    def ndim(self) -> int:
        """Number of coordinates of a point (time included)."""
        return len(self.bounds)

    @property
    def spatial_axes(self) -> tuple[int, ...]:
        """Coordinate indices of the spatial axes."""
        offset = int(self.time_dependent)
        return tuple(range(offset, offset + len(self.space)))
