r"""The Wahlström–Eriksson mean-value engine model in NumPy and Python floats: scipy's peer.

A port of :mod:`physics.engines` written from the equations of reference/diesel-mvem.md
(sections 4 and 7), function by function, for ``scipy.integrate.solve_ivp``: one state is eight
Python floats, every saturation of section 4.9 is the same ``min``/``max``, the x_r/T_1 fixed
point is the same 12 applications of the map from (x_r_Init, T_1_Init), the square roots that
the model clips are the same safe square root, and the delayed commands are evaluated as
``pdes.engines.EngineCommands.inputs`` does. Scalars go through :mod:`math` (faster than NumPy
scalars, and the same correctly rounded or few-ulp operations), arrays through NumPy. No JAX:
the parameters are any object with the attributes of ``physics.engines.EngineParameters`` (that
NamedTuple itself holds plain floats).

:func:`simulate` integrates piecewise between the jump times of the right-hand side (fuel
changes, and EGR/VGT changes plus their transport delays), on the nondimensional states of
``physics.engines.state_scale``, so it sees the same discontinuities as the diffrax simulator.
"""

import bisect
import itertools
import math

import numpy as np
from scipy.integrate import solve_ivp

STATES = ("p_im", "p_em", "X_Oim", "X_Oem", "omega_t", "u_egr1", "u_egr2", "u_vgt")
FIXED_POINT_ITERATIONS = 12
PRESSURE_RATIO_FLOOR = 1e-9  # (Π_c − 1)^c_π guarded at Π_c = 1, as in _compressor.py


def clip(x, low, high):
    return min(max(x, low), high)


def safe_sqrt(a):
    """√max(0, a) (the JAX model's version also keeps its gradient finite at a <= 0)."""
    return math.sqrt(a) if a > 0 else 0.0


def state_scale(p):
    """p/p_amb, X_O as is, ω_t/1e4, actuator positions/100."""
    return (p.p_amb, p.p_amb, 1.0, 1.0, 1.0e4, 100.0, 100.0, 100.0)


def cylinder_flows(p_im, n_e, u_delta, p):
    """η_vol, W_ei, W_f, W_eo (section 4.2); n_e ∈ [500, 2000] rpm, u_δ ∈ [1, 250] mg."""
    n_e, u_delta = clip(n_e, 500.0, 2000.0), clip(u_delta, 1.0, 250.0)
    eta_vol = p.c_vol1 * math.sqrt(p_im) + p.c_vol2 * math.sqrt(n_e) + p.c_vol3
    W_ei = eta_vol * p_im * n_e * p.V_d / (120.0 * p.R_a * p.T_im)
    W_f = 1e-6 * u_delta * n_e * p.n_cyl / 120.0
    return eta_vol, W_ei, W_f, W_f + W_ei


def cylinder_temperature(p_im, p_em, W_f, W_ei, p, iterations=FIXED_POINT_ITERATIONS):
    """(x_r, T_1) after ``iterations`` applications of the map F of section 4.3, and T_e of the
    last application's incoming T_1 (the wiring of ``_temperature.py``)."""
    g = p.gamma_a
    pi_e = p_em / p_im
    compression = p.r_c ** (g - 1.0)
    pi_x_r = math.pow(pi_e, 1.0 / g)  # the factors of F that do not change between iterations
    pi_T_e = p.eta_sc * math.pow(pi_e, 1.0 - 1.0 / g) * p.r_c ** (1.0 - g)
    heat = (1.0 - p.x_cv) / p.c_pa + p.x_cv / p.c_va
    x_r, T_1 = p.x_r_Init, p.T_1_Init
    for _ in range(iterations):
        q_in = W_f * p.q_HV * (1.0 - x_r) / (W_f + W_ei)
        x_p = 1.0 + q_in * p.x_cv / (p.c_va * T_1 * compression)
        x_v = 1.0 + q_in * (1.0 - p.x_cv) / (p.c_pa * (q_in * p.x_cv / p.c_va + T_1 * compression))
        x_r = clip(pi_x_r * math.pow(x_p, -1.0 / g) / (p.r_c * x_v), 0.0, 1.0)
        T_e = min(1500.0, pi_T_e * math.pow(x_p, 1.0 / g - 1.0) * (q_in * heat + T_1 * compression))
        T_1 = max(273.0, x_r * T_e + (1.0 - x_r) * p.T_im)
    return x_r, T_1, T_e


def exhaust_manifold_temperature(T_e, W_eo, p):
    """T_em after the pipe's heat loss (section 4.4)."""
    area = math.pi * p.d_pipe * p.l_pipe * p.n_pipe
    return p.T_w + (T_e - p.T_w) * math.exp(-p.h_tot * area / (W_eo * p.c_pe))


def egr_flow(u_egr1, u_egr2, p_im, p_em, T_em, p):
    """W_egr through the valve at the combined (unsaturated) actuator position (section 4.5)."""
    u_egr = p.K_egr * u_egr1 - (p.K_egr - 1.0) * u_egr2
    u = min(u_egr, -p.c_egr2 / (2.0 * p.c_egr1))
    f_egr = max(0.0, p.c_egr1 * u * u + p.c_egr2 * u + p.c_egr3)
    Pi_egr = clip(p_im / p_em, p.PI_egropt, 1.0)
    Psi_egr = 1.0 - ((1.0 - Pi_egr) / (1.0 - p.PI_egropt) - 1.0) ** 2
    return p.A_egrmax * f_egr * p_em * Psi_egr / math.sqrt(T_em * p.R_e)


def turbine(u_vgt, p_em, T_em, omega_t, p):
    """W_t and the shaft power P_t η_m (section 4.6)."""
    Pi_t = min(p.p_amb / p_em, 0.9999)
    f_Pi_t = math.sqrt(1.0 - math.pow(Pi_t, p.K_t))
    f_vgt = max(0.0, p.c_f2 + p.c_f1 * safe_sqrt(1.0 - ((u_vgt - p.c_vgt2) / p.c_vgt1) ** 2))
    W_t = p.A_vgtmax * p_em * f_Pi_t * f_vgt / math.sqrt(T_em * p.R_e)
    expansion = 1.0 - math.pow(Pi_t, 1.0 - 1.0 / p.gamma_e)
    BSR = clip(p.R_t * omega_t / math.sqrt(2.0 * p.c_pe * T_em * expansion), 0.0, 2 * p.BSR_opt)
    w = max(omega_t, p.c_m2)
    if w >= p.w_tlin:  # the power branch; the linear one below ω_t,lin (infinite slope at c_m2)
        c_m = p.c_m1 * math.pow(w - p.c_m2, p.c_m3)
    else:
        c_m = p.c_mlin * (w - p.c_m2) / (p.w_tlin - p.c_m2)
    eta_tm = clip(p.eta_tmmax - c_m * (BSR - p.BSR_opt) ** 2, 0.2, 1.0)
    return W_t, eta_tm * W_t * p.c_pe * T_em * expansion


def compressor(p_im, omega_t, p):
    """W_c and the absorbed power P_c (section 4.7)."""
    Pi_c = max(p_im / p.p_amb, 1.0)
    rise = math.pow(Pi_c, 1.0 - 1.0 / p.gamma_a) - 1.0
    Psi_c = 2.0 * p.c_pa * p.T_amb * rise / (p.R_c**2 * omega_t**2)
    c_psi1 = max(0.0, p.c_wpsi1 * omega_t**2 + p.c_wpsi2 * omega_t + p.c_wpsi3)
    c_phi1 = max(0.1, p.c_wphi1 * omega_t**2 + p.c_wphi2 * omega_t + p.c_wphi3)
    Phi_c = max(0.0, p.c_phi2 + safe_sqrt((1.0 - c_psi1 * (Psi_c - p.c_psi2) ** 2) / c_phi1))
    W_c = max(1e-4, p.p_amb * math.pi * p.R_c**3 * omega_t * Phi_c / (p.R_a * p.T_amb))
    chi_w = W_c - p.w_copt
    chi_pi = math.pow(max(Pi_c - 1.0, PRESSURE_RATIO_FLOOR), p.c_pi) - p.pi_copt
    quadratic = p.Q_c11 * chi_w**2 + 2.0 * p.Q_c12 * chi_w * chi_pi + p.Q_c22 * chi_pi**2
    eta_c = max(0.2, p.eta_cmax - quadratic)
    return W_c, W_c * p.c_pa * p.T_amb * rise / eta_c


def signals(state, inputs, p):
    """The signals the right-hand side needs, by name (SI units)."""
    p_im, p_em, _, _, omega_t, u_egr1, u_egr2, u_vgt = state
    n_e, u_delta, _, _ = inputs
    _, W_ei, W_f, W_eo = cylinder_flows(p_im, n_e, u_delta, p)
    x_r, T_1, T_e = cylinder_temperature(p_im, p_em, W_f, W_ei, p)
    T_em = exhaust_manifold_temperature(T_e, W_eo, p)
    W_t, P_t_eta_m = turbine(u_vgt, p_em, T_em, omega_t, p)
    W_c, P_c = compressor(p_im, omega_t, p)
    W_egr = egr_flow(u_egr1, u_egr2, p_im, p_em, T_em, p)
    X_Oe = max(0.0, (W_ei * state[2] - W_f * p.AFs * p.X_Oc) / W_eo)
    return dict(
        W_ei=W_ei, W_f=W_f, W_eo=W_eo, x_r=x_r, T_1=T_1, T_e=T_e, T_em=T_em, W_egr=W_egr,
        W_t=W_t, P_t_eta_m=P_t_eta_m, W_c=W_c, P_c=P_c, X_Oe=X_Oe,
    )  # fmt: skip


def engine_rhs(state, inputs, p):
    """Time derivatives of the eight states (section 4.1, 4.5, 4.6, 4.8).

    ``state``: p_im, p_em (Pa), X_Oim, X_Oem, ω_t (rad/s), ũ_egr1, ũ_egr2, ũ_vgt (%);
    ``inputs``: n_e (rpm), u_δ (mg), and the *delayed* u_egr, u_vgt commands (%).
    """
    p_im, p_em, X_Oim, X_Oem, omega_t, u_egr1, u_egr2, u_vgt = state
    s = signals(state, inputs, p)
    u_egr, u_vgt_command = clip(inputs[2], 0.0, 100.0), clip(inputs[3], 20.0, 100.0)
    W_egr, W_c = s["W_egr"], s["W_c"]
    return (
        p.R_a * p.T_im * (W_c + W_egr - s["W_ei"]) / p.V_im,
        p.R_e * s["T_em"] * (s["W_eo"] - s["W_t"] - W_egr) / p.V_em,
        p.R_a * p.T_im * ((X_Oem - X_Oim) * W_egr + (p.X_Oc - X_Oim) * W_c) / (p_im * p.V_im),
        p.R_e * s["T_em"] * (s["X_Oe"] - X_Oem) * s["W_eo"] / (p_em * p.V_em),
        (s["P_t_eta_m"] - s["P_c"]) / (p.J_t * omega_t),
        (u_egr - u_egr1) / p.tau_egr1,
        (u_egr - u_egr2) / p.tau_egr2,
        (u_vgt_command - u_vgt) / p.tau_vgt,
    )


class Commands:
    """A command history as in ``pdes.engines.EngineCommands``: n_e linear between the
    breakpoints ``times`` [K], u_δ, u_egr, u_vgt held (``values`` [K, 4]); the EGR and VGT
    delays output ``history`` [2] until the first command comes through."""

    def __init__(self, times, values, history):
        self.times, self.values = np.asarray(times, float), np.asarray(values, float)
        self.history = [float(h) for h in history]
        self._times, self._values = self.times.tolist(), self.values.tolist()

    def at(self, t):
        """n_e interpolated (``jnp.interp``'s formula, held outside), the others held."""
        times, values = self._times, self._values
        k = bisect.bisect_right(times, t)
        held = values[min(max(k - 1, 0), len(times) - 1)]
        if t < times[0] or t > times[-1] or len(times) == 1:
            n_e = values[0][0] if t < times[0] else values[-1][0]
        else:
            i = min(max(k, 1), len(times) - 1)
            slope = (t - times[i - 1]) / (times[i] - times[i - 1])
            n_e = values[i - 1][0] + slope * (values[i][0] - values[i - 1][0])
        return n_e, held[1], held[2], held[3]

    def actuator_command(self, t, slot):
        """Saturated EGR (slot 0) or VGT (slot 1) command at t, ``history`` before the first."""
        if t < self._times[0]:
            return self.history[slot]
        command = self.at(t)[2 + slot]
        return clip(command, 0.0, 100.0) if slot == 0 else clip(command, 20.0, 100.0)

    def inputs(self, t, p):
        """Current n_e and u_δ, and the EGR and VGT commands delayed by τ_degr and τ_dvgt."""
        n_e, u_delta, _, _ = self.at(t)
        egr = self.actuator_command(t - p.tau_degr, 0)
        return n_e, u_delta, egr, self.actuator_command(t - p.tau_dvgt, 1)

    def jump_times(self, p):
        """Where the right-hand side jumps (sorted, unique): fuel changes, and changes of the
        saturated EGR and VGT commands once through their delays."""
        fuel = self.values[:, 1]
        actuators = np.stack(
            [np.clip(self.values[:, 2], 0.0, 100.0), np.clip(self.values[:, 3], 20.0, 100.0)], 1
        )
        changed = actuators != np.concatenate([np.asarray(self.history)[None], actuators[:-1]])
        jumps = [
            self.times[1:][fuel[1:] != fuel[:-1]],
            self.times[changed[:, 0]] + p.tau_degr,
            self.times[changed[:, 1]] + p.tau_dvgt,
        ]
        return np.unique(np.concatenate(jumps))


def simulate(commands, p, initial, ts, *, method="RK45", rtol=1e-8, atol=1e-8):
    """Integrate from ``initial`` (8 states, SI) at ``commands.times[0]`` and save at ``ts``.

    Piecewise between the jump times: on each piece the held commands (u_δ and the delayed
    EGR and VGT commands) are constant and taken at the piece's midpoint, so neither end's jump
    is sampled (diffrax steps to just before a jump and restarts just after it); n_e follows
    the command interpolant. Each piece is one ``solve_ivp`` call with dense output, restarted
    with scipy's own initial step. Returns states ``[len(ts), 8]`` (SI), the accepted steps and
    the right-hand-side evaluations, summed over the pieces.
    """
    ts = np.asarray(ts, float)
    scale = state_scale(p)
    t0, t1 = float(commands.times[0]), float(ts[-1])
    jumps = commands.jump_times(p)
    edges = [t0, *jumps[(jumps > t0) & (jumps < t1)].tolist(), t1]
    y = np.asarray(initial, float) / np.asarray(scale)
    out = np.full((ts.size, len(STATES)), np.nan)
    steps = evaluations = filled = 0
    for a, b in itertools.pairwise(edges):
        _, u_delta, u_egr, u_vgt = commands.inputs(0.5 * (a + b), p)

        def rates(t, y, u_delta=u_delta, u_egr=u_egr, u_vgt=u_vgt):
            state = [v * s for v, s in zip(y.tolist(), scale, strict=True)]
            try:
                f = engine_rhs(state, (commands.at(t)[0], u_delta, u_egr, u_vgt), p)
            except (ValueError, ZeroDivisionError):  # a trial state off the domain: NaN, as JAX
                return np.full(len(STATES), np.nan)
            return np.array([v / s for v, s in zip(f, scale, strict=True)])

        solution = solve_ivp(
            rates, (a, b), y, method=method, rtol=rtol, atol=atol, dense_output=True
        )
        if not solution.success:
            raise RuntimeError(f"solve_ivp failed on [{a}, {b}]: {solution.message}")
        end = int(np.searchsorted(ts, b, side="right"))
        if end > filled:
            out[filled:end] = solution.sol(ts[filled:end]).T
            filled = end
        y = solution.y[:, -1]
        steps += solution.t.size - 1
        evaluations += solution.nfev
    return out * np.asarray(scale), steps, evaluations
