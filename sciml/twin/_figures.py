"""Figures of the engine digital twin: a simulated scenario, and F1 (the VGT step tests against
their reference values)."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from pdes.engines import MEASURABLE, SIGNALS, STATES
from sciml import _io

UNITS = {"p_im": "kPa", "p_em": "kPa", "omega_t": "krpm", "W_egr": "kg/s", "W_c": "kg/s"}
SCALE = {"p_im": 1e-3, "p_em": 1e-3, "omega_t": 30 / np.pi / 1e3, "W_egr": 1.0, "W_c": 1.0}


def _save(fig: Figure, path: Path) -> None:
    _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def _truth_column(arrays: dict, name: str) -> np.ndarray:
    if name in STATES:
        return arrays["states"][:, STATES.index(name)]
    return arrays["signals"][:, SIGNALS.index(name)]


def scenario(path: Path, arrays: dict, attrs: dict, noise_level: float = 0.03) -> None:
    """Commands, then each measurable signal: truth at 100 Hz and the noisy 10 Hz samples."""
    t = arrays["t-coordinate"]
    fig = Figure(figsize=(11, 9), layout="constrained")
    axes = np.array(fig.subplots(3, 2, sharex=True)).ravel()
    commands = arrays["inputs"]
    ax = axes[0]
    ax.plot(t, commands[:, 1], label="u_δ (mg)")
    ax.plot(t, commands[:, 2], label="u_egr (%)")
    ax.plot(t, commands[:, 3], label="u_vgt (%)")
    ax.plot(t, commands[:, 0] / 20, label="n_e / 20 (rpm)")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(f"commands ({attrs.get('family', 'user')})")
    levels = list(attrs.get("noise_levels", [0.0]))
    level = levels.index(noise_level) if noise_level in levels else 0
    for ax, name in zip(axes[1:], MEASURABLE, strict=True):
        ax.plot(t, _truth_column(arrays, name) * SCALE[name], lw=1, label="truth")
        if "measured" in arrays:
            measured = arrays["measured"][level, :, MEASURABLE.index(name)] * SCALE[name]
            ax.plot(
                arrays["measured-t"], measured, ".", ms=2, label=f"measured, {levels[level]:.0%}"
            )
        ax.set_title(f"{name} ({UNITS[name]})")
        ax.legend(fontsize=7)
    for ax in axes[-2:]:
        ax.set_xlabel("t (s)")
    _save(fig, path)


def step_tests(path: Path, runs: dict, references: dict) -> None:
    """F1: W_c, p_im, p_em and ω_t after each VGT step, with the published values marked."""
    fig = Figure(figsize=(11, 11), layout="constrained")
    axes = np.array(fig.subplots(4, len(runs), sharex=True, squeeze=False))
    for column, (name, run) in enumerate(runs.items()):
        ref = references[name]
        # (label, trace, display scale, index of the value in ref["new"])
        traces = [
            ("W_c (kg/s)", run.signals.gas.W_c, 1.0, 3),
            ("p_im (kPa)", run.states.p_im, 1e-3, 0),
            ("p_em (kPa)", run.states.p_em, 1e-3, 1),
            ("ω_t (rad/s)", run.states.omega_t, 1.0, 2),
        ]
        for ax, (label, trace, scale, k) in zip(axes[:, column], traces, strict=True):
            ax.plot(run.ts, np.asarray(trace) * scale, "-", lw=1.2, label="this simulator")
            new = ref["new"][k] * scale
            ax.axhline(new, ls="--", lw=0.8, color="gray", label="new equilibrium (ref)")
            ax.set_ylabel(label)
        w_c = axes[0, column]
        w_c.plot(*ref["extremum"][::-1], "rv", label="extremum (ref)")
        w_c.plot(8.0, ref["w_c_end"], "ks", label="t = 8 s (ref)")
        w_c.axhline(ref["pre"][5], ls=":", lw=0.8, color="green", label="pre-step (ref)")
        w_c.set_title(f"u_vgt {ref['u0']:g} → {ref['u1']:g} %: {ref['meaning']}", fontsize=9)
        w_c.legend(fontsize=7)
        axes[-1, column].set_xlabel("t (s)")
    _save(fig, path)
