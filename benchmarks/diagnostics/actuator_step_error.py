"""Where a trained actuator DeepONet's isolated-step error sits: by the step's position relative
to the window start t0 and by the time since the step at each output point.

    python benchmarks/diagnostics/actuator_step_error.py egr \
        benchmarks/results/twin_actuators/operators
"""

import sys

import jax
import numpy as np

from physics.engines import EngineParameters
from sciml.twin._actuator_operator import (
    HISTORY,
    HORIZON,
    SPACING,
    actuator_data,
    load_actuator_operator,
)


def main(actuator: str, folder: str) -> None:
    op = load_actuator_operator(folder, actuator)
    data = actuator_data(
        actuator, 2000, 20_000, EngineParameters(), steps_only=True
    )  # the bench's set
    apply = jax.jit(jax.vmap(lambda u, s: op.model.apply(op.params, u[None], s)[0]))
    squared = ((np.asarray(apply(data.branch, data.offsets)) - data.targets) ** 2).sum(-1)
    per_window = squared.sum(1)
    change = np.abs(np.diff(data.branch, axis=1)).argmax(1)  # between sensors k and k + 1
    position = (change + 1) * SPACING - HISTORY  # the step's time − t0
    norm = (data.targets**2).sum()
    print(f"G_{actuator} isolated steps: rel L2 {np.sqrt(per_window.sum() / norm):.3g}")
    for lo, hi in [(-1.5, -0.5), (-0.5, -0.2), (-0.2, -0.065), (-0.065, 0.0), (0.0, HORIZON)]:
        m = (position >= lo - 1e-9) & (position < hi - 1e-9)
        rel = np.sqrt(per_window[m].sum() / (data.targets[m] ** 2).sum())
        print(
            f"  step at t0{lo:+.3f} … t0{hi:+.3f} s: {m.sum():4d} windows, "
            f"{per_window[m].sum() / per_window.sum():5.1%} of the squared error, rel L2 {rel:.2e}"
        )
    age = (data.offsets[..., 0] + 1) / 2 * HORIZON - position[:, None]
    for lo, hi in [(-2.0, 0.0), (0.0, 0.065), (0.065, 0.1), (0.1, 0.2), (0.2, 0.5), (0.5, 2.1)]:
        m = (age >= lo) & (age < hi)
        print(
            f"  output {lo:+.3f} … {hi:+.3f} s after the step: {m.sum():6d} points, "
            f"{squared[m].sum() / squared.sum():5.1%} of the squared error"
        )


if __name__ == "__main__":
    main(*sys.argv[1:3])
