from physics._types import Array, Coefficient
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def darcy(u: Field, *, permeability: Coefficient, source: Coefficient = 1.0) -> Array:
    r"""Darcy flow: :math:`-\nabla\cdot(a\nabla u) - f` at points ``(x...)``.

    On a grid at accuracy 2 the flux form is conservative, so a discontinuous permeability
    ``a`` (e.g. the two-valued FNO Darcy coefficient) is handled as a finite-volume scheme would.
    """
    return -u.div_a_grad(permeability, u.axes) - u.coefficient(source)
