"""The parameter set of the Wahlström–Eriksson mean-value engine model (LiU ``TCDI_EGR_VGT``).

Field names follow the package's ``parameterData.mat`` (struct ``model``); vectors there are split
into numbered scalars (``c_volVec`` → ``c_vol1..3``) so that every leaf is a float and the whole set
is a PyTree that ``jax.grad`` can differentiate. Values are the published defaults in SI units,
except engine speed (rpm), fuel (mg per cycle and cylinder) and actuator positions (%).
"""

from typing import NamedTuple

import jax.numpy as jnp


class EngineParameters(NamedTuple):
    """Every constant of the model, with the published values as defaults (a PyTree).

    Example:
        >>> p = EngineParameters()
        >>> p.V_d, p.n_cyl, p.A_egrmax
        (0.01274, 6.0, 0.0004)
        >>> p._replace(A_egrmax=0.8 * p.A_egrmax).A_egrmax   # a fouled EGR valve
        0.00032
    """

    # gas properties
    c_pa: float = 1011.0
    c_pe: float = 1332.0
    c_va: float = 724.0
    R_a: float = 287.0
    R_e: float = 286.0
    gamma_a: float = 1.3964088397790055
    gamma_e: float = 1.2734225621414914
    gamma_cyl: float = 1.35
    # ambient and manifolds
    T_amb: float = 298.4636219512196
    p_amb: float = 101111.34146341463
    T_w: float = 298.4636219512196
    T_im: float = 300.6185731707316
    V_im: float = 0.022
    V_em: float = 0.02
    # cylinder
    r_c: float = 17.0
    V_d: float = 0.01274
    n_cyl: float = 6.0
    q_HV: float = 4.29e7
    AFs: float = 14.57
    X_Oc: float = 0.2314
    c_vol1: float = -2.0816619843224996e-04
    c_vol2: float = -3.4465158052700592e-03
    c_vol3: float = 1.1497021021059144
    eta_sc: float = 1.1015294624801442
    x_cv: float = 2.3370584441920436e-14
    eta_igch: float = 0.6893563004149508
    c_fr1: float = 0.9727227568984633
    c_fr2: float = -0.6768830302567218
    c_fr3: float = 0.5981891259721203
    x_r_Init: float = 0.0
    T_1_Init: float = 300.64178823529403
    # exhaust pipe
    d_pipe: float = 0.1
    l_pipe: float = 1.0
    n_pipe: float = 2.0
    h_tot: float = 96.27545984019156
    # EGR actuator and valve
    A_egrmax: float = 4.0e-4
    c_egr1: float = -1.1104237992346043e-04
    c_egr2: float = 1.778061228607777e-02
    c_egr3: float = 0.0
    PI_egropt: float = 0.6500040483261396
    tau_degr: float = 0.065
    tau_egr1: float = 0.05
    tau_egr2: float = 0.13
    K_egr: float = 1.8
    # VGT actuator and turbine
    A_vgtmax: float = 8.455767262643882e-4
    K_t: float = 2.89019266110711
    c_f1: float = 1.9479627004385558
    c_f2: float = -0.7763118932867504
    c_vgt1: float = 126.87193572285548
    c_vgt2: float = 117.14474688230767
    tau_vgt: float = 0.025
    tau_dvgt: float = 0.04
    R_t: float = 0.04
    BSR_opt: float = 0.9755203161802092
    eta_tmmax: float = 0.818002726891074
    c_m1: float = 1.3563440681098633
    c_m2: float = 2769.2092015766916
    c_m3: float = 1.0000098744565608e-02
    w_tlin: float = 2796.9012935924584
    c_mlin: float = 1.4021470818125312
    # turbocharger shaft and compressor
    J_t: float = 2.0e-4
    R_c: float = 0.04
    c_wpsi1: float = 1.0882051052898697e-08
    c_wpsi2: float = -1.7319760359675625e-04
    c_wpsi3: float = 1.0286164756408622
    c_wphi1: float = -1.4297782685109732e-08
    c_wphi2: float = -1.5498814145503597e-03
    c_wphi3: float = 29.646172151290827
    c_psi2: float = 0.0
    c_phi2: float = 0.0
    eta_cmax: float = 0.7363607879724583
    w_copt: float = 0.27533757461959213
    pi_copt: float = 1.045517746825637
    c_pi: float = 0.2707594738764899
    Q_c11: float = 3.091897768531849
    Q_c12: float = -2.4823201383170015
    Q_c22: float = 2.1478559620438133
    # initial values of the LiU cold start
    omega_t_Init: float = 5235.987755982988
    uInit_egr: float = 0.0
    uInit_vgt: float = 0.0


UNKNOWNS: tuple[str, ...] = ("eta_sc", "h_tot", "A_egrmax", "A_vgtmax")
"""The four parameters the PINN studies identify (Nath et al. 2023 as reproduced)."""


def with_log_factors(params: EngineParameters, names, log_factors) -> EngineParameters:
    r"""Scale the named parameters: :math:`\theta_i = \theta_{i,0} e^{\rho_i}`.

    The log-parametrisation keeps every identified parameter positive; ``log_factors`` may be a
    traced array: ``jax.grad`` of anything built from the result is :math:`\partial/\partial\rho`.

    Example:
        >>> p = with_log_factors(EngineParameters(), ("h_tot",), [0.1])
        >>> round(float(p.h_tot / EngineParameters().h_tot), 4)   # e^0.1
        1.1052
    """
    if len(names) != len(log_factors):
        raise ValueError(f"{len(names)} parameter names but {len(log_factors)} log-factors")
    unknown = [n for n in names if n not in EngineParameters._fields]
    if unknown:
        raise ValueError(f"unknown engine parameter(s) {unknown}")
    return params._replace(
        **{n: getattr(params, n) * jnp.exp(r) for n, r in zip(names, log_factors, strict=True)}
    )
