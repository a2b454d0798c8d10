from physics._types import Array, Coefficient
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def quadratic_reaction_diffusion(
    s: Field, *, diffusivity: float, reaction: float, source: Coefficient
) -> Array:
    r"""DeepONet's diffusion–reaction: :math:`s_t - D \Delta s - k s^2 - u` at ``(t, x...)``.

    The source :math:`u(x)` is the operator's input; Lu et al. (2021) take :math:`D = k = 0.01`.
    """
    v = s.value()
    return s.d(0) - diffusivity * s.laplacian(s.axes[1:]) - reaction * v**2 - s.coefficient(source)
