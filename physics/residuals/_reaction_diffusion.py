from physics._types import Array
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def reaction_diffusion(u: Field, *, diffusivity: float, reaction: float) -> Array:
    r"""Fisher–KPP reaction–diffusion: :math:`u_t - D \Delta u - \rho u (1 - u)` at ``(t, x...)``.

    With :math:`D = 0` this is the pure reaction problem of Krishnapriyan et al. (2021).
    """
    v = u.value()
    return u.d(0) - diffusivity * u.laplacian(u.axes[1:]) - reaction * v * (1 - v)
