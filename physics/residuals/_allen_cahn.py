from physics._types import Array
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def allen_cahn(u: Field, *, diffusivity: float, reaction: float) -> Array:
    r"""Allen–Cahn: :math:`u_t - \epsilon \Delta u + \rho (u^3 - u)` at points ``(t, x...)``.

    JAX-PI's 1-D benchmark has :math:`\epsilon = 10^{-4}`, :math:`\rho = 5`.
    """
    v = u.value()
    return u.d(0) - diffusivity * u.laplacian(u.axes[1:]) + reaction * (v**3 - v)
