"""``sciml twin simulate``: drive scenarios or a user's command CSV -> scenario files + figures,
and the LiU VGT step tests against their published values (figure F1)."""

import difflib
from pathlib import Path

import jax
import numpy as np
from tqdm.auto import tqdm

from pdes import engines as sim
from physics.engines import EngineParameters
from sciml import _io
from sciml.twin import _figures


def parameters(overrides: list[str]) -> EngineParameters:
    """The published parameters with ``NAME=VALUE`` overrides (e.g. a fouled EGR valve)."""
    params = EngineParameters()
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects NAME=VALUE, got {item!r}")
        if name not in EngineParameters._fields:
            close = difflib.get_close_matches(name, EngineParameters._fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown engine parameter {name!r}{hint}")
        try:
            params = params._replace(**{name: float(value)})
        except ValueError:
            raise ValueError(f"engine parameter {name}: {value!r} is not a number") from None
    return params


def _summary(path: Path, scenario: dict) -> dict:
    arrays, attrs = scenario["arrays"], scenario["attrs"]
    p_im = arrays["states"][:, sim.STATES.index("p_im")] / 1e3
    turbo = arrays["states"][:, sim.STATES.index("omega_t")] * 30 / np.pi / 1e3
    lambda_air = arrays["signals"][:, sim.SIGNALS.index("lambda_air")]
    return {
        "file": str(path),
        "family": attrs["family"],
        "index": attrs["index"],
        "duration_s": attrs["duration"],
        "p_im_kPa": [round(float(p_im.min()), 1), round(float(p_im.max()), 1)],
        "turbo_krpm": [round(float(turbo.min()), 1), round(float(turbo.max()), 1)],
        "lambda_air_min": round(float(lambda_air.min()), 2),
        "solver_steps": attrs["solver_steps"],
        "envelope": attrs["envelope"],
    }


def simulate(
    out: Path,
    *,
    family: str | None = None,
    n: int = 1,
    seed: int = 0,
    duration: float = 60.0,
    commands: Path | None = None,
    overrides: list[str] = (),
    progress: bool = True,
) -> list[dict]:
    """Simulate ``n`` scenarios of ``family`` (or the command CSV ``commands``) into ``out``:
    ``scenario-NNN.h5``, ``figures/scenario-NNN.png`` and ``scenarios.jsonl``."""
    params = parameters(list(overrides))
    if (family is None) == (commands is None):
        raise ValueError("give either --family or --commands")
    with jax.enable_x64(True):
        if commands is not None:
            window = sim.read_measurements(commands)
            source = f"csv:{Path(commands).name}"
            scenarios = [sim.simulate_commands(window.commands, params, seed=seed, source=source)]
        else:
            with tqdm(total=n, desc=f"{family} scenarios", disable=not progress) as bar:
                scenarios = sim.generate_scenarios(
                    family, n, seed, params, duration=duration, progress=bar.update
                )
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for scenario in scenarios:
        name = f"scenario-{scenario['attrs']['index']:03d}"
        path = out / f"{name}.h5"
        sim.write_scenario(path, scenario)
        _figures.scenario(out / "figures" / f"{name}.png", scenario["arrays"], scenario["attrs"])
        rows.append(_summary(path, scenario))
    _io.write_jsonl(out / "scenarios.jsonl", rows)
    return rows


def step_tests(out: Path, write_rows: bool = True) -> list[dict]:
    """Run both LiU VGT step experiments, compare with the published values, draw F1 (and write
    ``step_tests.jsonl`` unless ``write_rows`` is false)."""
    params = EngineParameters()
    runs, rows = {}, []
    with jax.enable_x64(True):
        for name, ref in sim.VGT_STEP_TESTS.items():
            run = sim.run_vgt_step_test(ref["u0"], ref["u1"], params)
            runs[name] = run
            w_c = np.asarray(run.signals.gas.W_c)
            k = int(np.argmin(w_c[:-1]))
            ours = {
                "pre p_im (Pa)": float(run.settled.p_im),
                "pre omega_t (rad/s)": float(run.settled.omega_t),
                "pre W_c (kg/s)": float(run.settled_signals.gas.W_c),
                "W_c extremum (kg/s)": float(w_c[k]),
                "t of extremum (s)": float(run.ts[k]),
                "W_c at 8 s (kg/s)": float(w_c[-1]),
                "new p_im (Pa)": float(run.new.p_im),
                "new p_em (Pa)": float(run.new.p_em),
                "new omega_t (rad/s)": float(run.new.omega_t),
                "new W_c (kg/s)": float(run.new_signals.gas.W_c),
            }
            pre, new = ref["pre"], ref["new"]
            published = [pre[0], pre[4], pre[5], *ref["extremum"], ref["w_c_end"], *new]
            for (quantity, value), reference in zip(ours.items(), published, strict=True):
                rows.append(
                    {
                        "experiment": name,
                        "quantity": quantity,
                        "simulated": value,
                        "reference": reference,
                    }
                )
    _figures.step_tests(out / "figures" / "F1_vgt_steps.png", runs, sim.VGT_STEP_TESTS)
    if write_rows:
        _io.write_jsonl(out / "step_tests.jsonl", rows)
    return rows


def step_test_table(rows: list[dict]) -> str:
    lines = [
        "| experiment | quantity | this simulator | reference (diesel-mvem.md 8.2) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        values = f"{r['simulated']:.6g} | {r['reference']:.6g}"
        lines.append(f"| {r['experiment']} | {r['quantity']} | {values} |")
    return "\n".join(lines)
