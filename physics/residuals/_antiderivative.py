from physics._types import Array, Coefficient
from physics.residuals._field import Field
from physics.residuals._residual import residual


@residual
def antiderivative(s: Field, *, integrand: Coefficient) -> Array:
    r"""The antiderivative as an ODE: :math:`ds/dy - u(y)` at points ``(y)`` (DeepONet's
    first operator, :math:`s(y) = \int_0^y u` with :math:`s(0) = 0`)."""
    s.require_ndim(1, "antiderivative", "(y)")
    return s.d(0) - s.coefficient(integrand)
