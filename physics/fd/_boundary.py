r"""Boundary conditions of grid operators.

Periodic grids hold ``n`` points ``x_i = x_0 + i h`` with the endpoint excluded. Dirichlet and
Neumann grids are node-centred: both boundary nodes are in the array. With ``Dirichlet`` the
boundary values are the data and rows next to the boundary use one-sided stencils of the same
order built from the values alone (also the right choice for a time axis). With ``Neumann`` the
closures use the boundary derivative :math:`\partial u/\partial x` (along the axis, not the outward
normal) given as ``left`` and ``right``: scalars or arrays that broadcast to a boundary slice.
"""

from dataclasses import dataclass

from jaxtyping import ArrayLike


@dataclass(frozen=True)
class Periodic:
    """Wrap around: ``u[n] = u[0]``."""


@dataclass(frozen=True)
class Dirichlet:
    """Boundary values are in the array; closures are one-sided stencils from the data."""


@dataclass(frozen=True, eq=False)
class Neumann:
    """Known boundary derivative ``du/dx`` at the first (``left``) and last (``right``) node."""

    left: ArrayLike = 0.0
    right: ArrayLike = 0.0


BoundaryCondition = Periodic | Dirichlet | Neumann

_BY_NAME = {"periodic": Periodic, "dirichlet": Dirichlet, "neumann": Neumann}


def as_boundary(bc: "BoundaryCondition | str") -> BoundaryCondition:
    """Accept a condition object or one of the names 'periodic', 'dirichlet', 'neumann'."""
    if isinstance(bc, Periodic | Dirichlet | Neumann):
        return bc
    if isinstance(bc, str) and bc.lower() in _BY_NAME:
        return _BY_NAME[bc.lower()]()
    raise ValueError(
        f"unknown grid boundary condition {bc!r}; use one of {sorted(_BY_NAME)} or a "
        "physics.fd.Periodic/Dirichlet/Neumann object (a problem's conditions describe the "
        "continuous problem, not grid closures)"
    )


def as_boundaries(bc, count: int) -> tuple[BoundaryCondition, ...]:
    """One condition for every one of ``count`` axes, or a sequence of one per axis."""
    if isinstance(bc, str | Periodic | Dirichlet | Neumann):
        return (as_boundary(bc),) * count
    bc = tuple(bc)
    if len(bc) != count:
        raise ValueError(f"got {len(bc)} boundary conditions for {count} spatial axes")
    return tuple(as_boundary(b) for b in bc)
