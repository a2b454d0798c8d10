from physics._types import Array
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def burgers(u: Field, *, viscosity: float) -> Array:
    r"""Viscous Burgers: :math:`u_t + u u_x - \nu u_{xx}` at points ``(t, x)``."""
    u.require_ndim(2, "burgers", "(t, x)")
    return u.d(0) + u.value() * u.d(1) - viscosity * u.d(1, 2)
