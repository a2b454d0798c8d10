from physics._types import Array
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def wave(u: Field, *, speed: float) -> Array:
    r"""Wave equation: :math:`u_{tt} - c^2 \Delta u` at points ``(t, x...)``."""
    return u.d(0, 2) - speed**2 * u.laplacian(u.axes[1:])
