r"""2-D Darcy flow, FNO protocol (Li et al. 2021): piecewise-constant coefficient ↦ pressure.

.. math::
    -\nabla\cdot(a\nabla u) = f \ \text{in } (0, 1)^2, \qquad u = 0 \text{ on } \partial\Omega,
    \qquad a = \begin{cases} a_+ & g \ge 0 \\ a_- & g < 0 \end{cases},\quad
    g \sim \mathcal{N}(0, (-\Delta_N + \tau^2 I)^{-\alpha}).

Defaults: :math:`a_+ = 12`, :math:`a_- = 3` (the FNO paper's values; its released MATLAB demo
uses 4), :math:`\alpha = 2`, :math:`\tau = 3`, :math:`f = 1`. The field :math:`g` is FNO's
Neumann GRF (:func:`pdes.random_fields.neumann_grf`) on the ``fine`` grid, whose values are taken
as the coefficient at the nodes; the equation is solved on those nodes by the conservative
5-point scheme with arithmetic face means (as FNO's generator) and preconditioned conjugate
gradients to a relative residual of 1e-10 (:func:`pdes.solvers.solve_elliptic`), then both
fields are subsampled to ``resolution`` nodes per axis, like FNO's 421 → 211/141/85 files.
``fine`` defaults to the smallest :math:`(R-1)k + 1 \ge 421`.

Stored in PDEBench's Darcy layout: ``nu [N, R, R]`` (the coefficient), ``tensor [N, 1, R, R]``
(the solution), ``x-coordinate`` and ``y-coordinate`` (the node coordinates, boundary included).
"""

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from pdes._checks import integer, positive
from pdes.generators._base import Generator, divisor_grid
from pdes.random_fields import neumann_grf
from pdes.solvers import solve_elliptic
from pdes.solvers._elliptic import Preconditioner, jacobi

FNO_FINE_GRID = 421


def _default_preconditioner() -> Preconditioner:
    try:  # the multigrid preconditioner keeps CG iterations flat in the grid size
        from pdes.solvers import multigrid
    except ImportError:  # pragma: no cover - older checkouts
        return jacobi
    return multigrid()


@dataclasses.dataclass(frozen=True)
class Darcy(Generator):
    """FNO's Darcy data (see the module docstring)."""

    name: ClassVar[str] = "darcy"
    description: ClassVar[str] = "2-D Darcy flow, FNO protocol: a (12/3 thresholded GRF) -> u"

    resolution: int = 85
    fine: int | None = None
    alpha: float = 2.0
    tau: float = 3.0
    high: float = 12.0
    low: float = 3.0
    source: float = 1.0
    rtol: float = 1e-10

    def __post_init__(self):
        integer("darcy", 3, resolution=self.resolution)
        positive("darcy", alpha=self.alpha, tau=self.tau, high=self.high, low=self.low)
        fine = divisor_grid(self.resolution, FNO_FINE_GRID) if self.fine is None else self.fine
        integer("darcy", 3, fine=fine)
        if (fine - 1) % (self.resolution - 1):
            raise ValueError(
                f"darcy: fine grid of {fine} nodes cannot be subsampled to {self.resolution} "
                f"(need (fine - 1) divisible by {self.resolution - 1})"
            )
        object.__setattr__(self, "fine", fine)

    @property
    def stride(self) -> int:
        return (self.fine - 1) // (self.resolution - 1)

    def coefficient(self, key: jax.Array) -> jax.Array:
        """The thresholded field on the fine grid, ``[fine, fine]``."""
        g = neumann_grf(key, self.fine, alpha=self.alpha, tau=self.tau, dtype=jnp.float64)[0]
        return jnp.where(g >= 0, self.high, self.low)

    def sample(self, key: jax.Array) -> dict[str, jax.Array]:
        a = self.coefficient(key)
        u = solve_elliptic(
            a,
            self.source,
            1.0 / (self.fine - 1),
            rtol=self.rtol,
            preconditioner=_default_preconditioner(),
        )
        s = self.stride
        return {"coefficient": a[::s, ::s], "solution": u[::s, ::s]}

    def coordinates(self) -> dict[str, np.ndarray]:
        x = np.linspace(0.0, 1.0, self.resolution)
        return {"x-coordinate": x, "y-coordinate": x}

    def to_file(self, samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"nu": samples["coefficient"], "tensor": samples["solution"][:, None]}
