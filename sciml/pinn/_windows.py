r"""Time marching: the time interval split into windows trained one after another.

Window :math:`k` covers :math:`[t_k, t_{k+1}]`; its initial data are the previous window's
solution at :math:`t_k` (and its time derivative for equations second order in time), and its
network starts from the previous window's parameters (Wang, Sankaran & Perdikaris 2023, JAX-PI).
"""

import itertools
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

import pdes
import physics


@dataclass(frozen=True, eq=False)
class TimeWindow:
    """``problem`` restricted to ``[start, stop]`` with initial data ``initial``: everything the
    loss terms and the hard-constraint transform read from a problem."""

    problem: pdes.Problem
    start: float
    stop: float
    initial: tuple

    @property
    def domain(self) -> pdes.Domain:
        return pdes.Domain(space=self.problem.domain.space, time=(self.start, self.stop))

    @property
    def boundary(self):
        return self.problem.boundary

    @property
    def variables(self) -> tuple[str, ...]:
        return self.problem.variables

    def residual(self, u):
        return self.problem.residual(u)


def spans(problem: pdes.Problem, windows: int) -> list[tuple[float, float]]:
    """``windows`` equal sub-intervals of the problem's time interval."""
    if windows > 1 and not problem.domain.time_dependent:
        raise ValueError(f"time_windows={windows} needs a time-dependent problem")
    if windows == 1:
        return [problem.domain.time or (0.0, 0.0)]
    edges = np.linspace(*problem.domain.time, windows + 1)
    return [(float(a), float(b)) for a, b in itertools.pairwise(edges)]


def handoff(u, time: float, count: int) -> tuple:
    r"""Initial data at ``time`` from a solution ``u`` of one point: :math:`u(t, \cdot)`, then
    :math:`\partial_t u(t, \cdot)` when ``count`` is 2."""
    at = lambda x: jnp.concatenate([jnp.asarray([time], x.dtype), x])
    data = [lambda x: u(at(x))]
    if count > 1:
        rate = physics.time_derivative(u)
        data.append(lambda x: rate(at(x)))
    return tuple(data)


def mask(times: np.ndarray, span: tuple[float, float], first: bool) -> np.ndarray:
    """Grid points of a window: ``(start, stop]`` (the first window also owns its start)."""
    start, stop = span
    inside = (times > start) & (times <= stop)
    return inside | (times == start) if first else inside
