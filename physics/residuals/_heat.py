from physics._types import Array, Coefficient
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def heat(u: Field, *, diffusivity: Coefficient, source: Coefficient = 0.0) -> Array:
    r"""Heat / diffusion: :math:`u_t - \nabla\cdot(\kappa \nabla u) - f` at points ``(t, x...)``.

    A constant ``diffusivity`` gives :math:`u_t - \kappa \Delta u - f`.
    """
    space = u.axes[1:]
    return u.d(0) - u.div_a_grad(diffusivity, space) - u.coefficient(source)
