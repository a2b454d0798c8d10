r"""The six empirical formulae of the model as replaceable functions (Nath et al. 2023 replace
them with neural surrogates trained on lab data, the V2 PINN of the protocol):

.. math::
    \eta_{vol}(p_{im}, n_e),\quad f_{egr}(\tilde u_{egr}),\quad
    F_{vgt,\Pi_t} = f_{vgt}(\tilde u_{vgt}) f_{\Pi_t}(\Pi_t),\quad
    \eta_{tm}(\omega_t, T_{em}, \Pi_t),\quad \eta_c(W_c, \Pi_c),\quad \Phi_c(\Pi_c, \omega_t).

Φ_c also depends on T_amb, a constant of every scenario here, so it is not an input. The health
factors stay outside the formulae (A_egr,max multiplies f_egr, A_vgt,max multiplies F_vgt), so a
surrogate cannot hide the parameter being identified. ``gas_flow_signals(..., formulae=F)``
evaluates the model with ``F`` in place of the published formulae.
"""

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from physics.engines._compressor import compressor_efficiency, compressor_flow_coefficient
from physics.engines._cylinder import volumetric_efficiency
from physics.engines._egr import egr_area_fraction
from physics.engines._parameters import EngineParameters
from physics.engines._turbine import turbine_efficiency, turbine_flow_function


class Formulae(NamedTuple):
    """One callable per empirical formula, taking the arguments of :data:`FORMULA_INPUTS`."""

    eta_vol: Callable
    f_egr: Callable
    F_vgt: Callable
    eta_tm: Callable
    eta_c: Callable
    Phi_c: Callable


FORMULA_INPUTS = {
    "eta_vol": ("p_im", "n_e"),
    "f_egr": ("u_egr",),
    "F_vgt": ("u_vgt", "Pi_t"),
    "eta_tm": ("omega_t", "T_em", "Pi_t"),
    "eta_c": ("W_c", "Pi_c"),
    "Phi_c": ("Pi_c", "omega_t"),
}
"""The inputs of each formula, by the names of :class:`physics.engines.GasFlowSignals` and the
states (u_egr, u_vgt: the actuator positions in %; n_e saturated)."""


def published_formulae(params: EngineParameters) -> Formulae:
    """The model's own formulae with ``params`` bound (the surrogates' training targets)."""
    return Formulae(
        partial(_last, volumetric_efficiency, params),
        partial(_last, egr_area_fraction, params),
        partial(_last, turbine_flow_function, params),
        partial(_last, turbine_efficiency, params),
        partial(_last, compressor_efficiency, params),
        partial(_last, compressor_flow_coefficient, params),
    )


def _last(formula: Callable, params: EngineParameters, *inputs):
    return formula(*inputs, params)
