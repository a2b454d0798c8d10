from physics._types import Array
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def kdv(u: Field, *, advection: float = 1.0, dispersion: float) -> Array:
    r"""Korteweg–de Vries: :math:`u_t + \alpha u u_x + \beta u_{xxx}` at points ``(t, x)``.

    JAX-PI uses :math:`\alpha = 1, \beta = 0.022^2` (Zabusky–Kruskal).
    """
    u.require_ndim(2, "kdv", "(t, x)")
    return u.d(0) + advection * u.value() * u.d(1) + dispersion * u.d(1, 3)
