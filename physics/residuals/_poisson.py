from physics._types import Array, Coefficient
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def poisson(u: Field, *, source: Coefficient) -> Array:
    r"""Poisson: :math:`-\Delta u - f` at points ``(x...)`` (so that :math:`-\Delta u = f`)."""
    return -u.laplacian(u.axes) - u.coefficient(source)
