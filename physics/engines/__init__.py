r"""The Wahlström–Eriksson mean-value model of a heavy-duty diesel engine with EGR and a VGT, as
pure JAX functions of (state, inputs, parameters).

Eight states (manifold pressures, O₂ fractions, turbo speed, three actuator states), four inputs
(engine speed, fuel, EGR and VGT commands), the published parameter set as a PyTree, each component
(cylinder, EGR valve, turbine, compressor) a function returning its named signals, the x_r/T_1
fixed point solved (unrolled or implicit), the reduced 6-state gas-flow form and an equilibrium
solver. Use float64 (``with jax.enable_x64(True):``): pressures ~1e5 Pa meet flows ~1e-3 kg/s.

>>> import jax
>>> from physics import engines
>>> with jax.enable_x64(True):
...     x = engines.equilibrium(engines.EngineInputs(1500.0, 110.976447879888, 15.3657549771663,
...                                                  70.8311084176616), engines.EngineParameters())
...     sig = engines.engine_signals(x.state, x.inputs, engines.EngineParameters())
>>> round(float(sig.M_e), 2)      # the 800 Nm point of Gustafsson's thesis
800.0

Reference: J. Wahlström, L. Eriksson, Proc. IMechE D 225(7), 2011 (LiU package TCDI_EGR_VGT).
"""

from physics.engines._actuators import (
    actuator_rates,
    egr_position,
    lag_response,
    saturate_actuator_commands,
)
from physics.engines._compressor import CompressorFlow, compressor
from physics.engines._cylinder import (
    CylinderFlows,
    CylinderOxygen,
    brake_torque,
    cylinder_flows,
    cylinder_oxygen,
)
from physics.engines._egr import EgrFlow, egr_valve
from physics.engines._equilibrium import Equilibrium, equilibrium, equilibrium_path
from physics.engines._formulae import FORMULA_INPUTS, Formulae, published_formulae
from physics.engines._model import (
    EngineSignals,
    GasFlowSignals,
    engine_rhs,
    engine_signals,
    gas_flow_rates,
    gas_flow_rhs,
    gas_flow_signals,
)
from physics.engines._parameters import UNKNOWNS, EngineParameters, with_log_factors
from physics.engines._safe import safe_sqrt
from physics.engines._state import (
    EngineInputs,
    EngineState,
    GasFlowState,
    gas_flow_state,
    state_scale,
)
from physics.engines._temperature import (
    FIXED_POINT_ITERATIONS,
    CylinderTemperature,
    cylinder_temperature,
    exhaust_manifold_temperature,
    residual_gas_map,
)
from physics.engines._turbine import TurbineFlow, turbine

__all__ = [
    "FIXED_POINT_ITERATIONS",
    "FORMULA_INPUTS",
    "UNKNOWNS",
    "CompressorFlow",
    "CylinderFlows",
    "CylinderOxygen",
    "CylinderTemperature",
    "EgrFlow",
    "EngineInputs",
    "EngineParameters",
    "EngineSignals",
    "EngineState",
    "Equilibrium",
    "Formulae",
    "GasFlowSignals",
    "GasFlowState",
    "TurbineFlow",
    "actuator_rates",
    "brake_torque",
    "compressor",
    "cylinder_flows",
    "cylinder_oxygen",
    "cylinder_temperature",
    "egr_position",
    "egr_valve",
    "engine_rhs",
    "engine_signals",
    "equilibrium",
    "equilibrium_path",
    "exhaust_manifold_temperature",
    "gas_flow_rates",
    "gas_flow_rhs",
    "gas_flow_signals",
    "gas_flow_state",
    "lag_response",
    "published_formulae",
    "residual_gas_map",
    "safe_sqrt",
    "saturate_actuator_commands",
    "state_scale",
    "turbine",
    "with_log_factors",
]
