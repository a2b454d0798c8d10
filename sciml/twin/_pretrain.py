"""``sciml twin pretrain``: simulate the lab set and pre-train the few-shot body (Step 8) that
``sciml twin fit --method few-shot --body DIR`` then uses.

The lab engine runs either the field's own test cycle (the commands of a scenario ``.h5`` or a
measurement ``.csv``, the windows cut where ``sciml twin fit`` cuts them) or new commands of a
drive-scenario family, ``scenarios`` times, each at θ_k drawn within ±``spread`` of nominal.
"""

import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from pdes import engines as sim
from physics.engines import EngineParameters
from sciml import _io
from sciml.twin._few_shot_body import FewShotSettings, lab_windows, pretrain
from sciml.twin._fit import observation_set
from sciml.twin._store import save_body


def field_cycle(path: Path | str, window: float) -> tuple[sim.EngineCommands, np.ndarray, float]:
    """The commands of a scenario file or measurement CSV, the window starts ``sciml twin fit``
    would cut from it, and the window length (a CSV is one window)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        measured = sim.read_measurements(path)
        length = float(measured.time[-1] - measured.time[0])
        return measured.commands, np.array([measured.time[0]]), length
    data = sim.read_scenario(path)
    commands = sim.EngineCommands(
        *(
            jnp.asarray(data.arrays[k])
            for k in ("command-times", "command-values", "command-history")
        )
    )
    duration = float(data.attrs["duration"])
    starts = np.arange(0.0, duration - window + 1e-9, window)
    if starts.size == 0:
        raise ValueError(f"{path.name}: {duration:g} s is shorter than a {window:g} s window")
    return commands, starts, window


def pretrain_body(
    out: Path | str,
    *,
    cycle: Path | str | None = None,
    family: str = "staircase",
    scenarios: int = 8,
    window: float = 10.0,
    observe: str = "O1",
    steps: int = 20_000,
    width: int = 64,
    depth: int = 4,
    grid_rate: float = 50.0,
    dropout: float = 0.0,
    spread: float = 0.3,
    seed: int = 1000,
    init_seed: int = 0,
    progress: bool = True,
) -> dict:
    """Simulate the lab set, pre-train the body, write ``out/body.msgpack`` and ``body.json``;
    returns the JSON metadata (lab, settings, offline seconds, final loss)."""
    observed = observation_set(observe)
    if scenarios < 1:
        raise ValueError(f"need at least one lab scenario, got {scenarios}")
    if not 0.0 < spread < 1.0:
        raise ValueError(f"spread must be in (0, 1), got {spread}")
    settings = FewShotSettings(
        width=width,
        depth=depth,
        steps=steps,
        chunk=min(500, steps),
        grid_rate=grid_rate,
        dropout=dropout,
        seed=init_seed,
    )
    params = EngineParameters()
    start = time.perf_counter()
    with jax.enable_x64(True):
        if cycle is not None:
            commands, starts, window = field_cycle(cycle, window)
            lab = {"cycle": str(cycle), "starts": starts.tolist()}
        else:
            commands = starts = None
            lab = {"family": family}
        windows, log_factors = lab_windows(
            scenarios, window, params, observed, commands=commands, starts=starts,
            seed=seed, spread=spread, family=family,
        )  # fmt: skip
        simulated = time.perf_counter() - start
        with tqdm(total=steps, desc="pre-training the body", disable=not progress) as bar:
            pretrained = pretrain(
                windows, log_factors, params, observed, settings, progress=bar.update
            )
    provenance = {
        **lab,
        "scenarios": scenarios,
        "spread": spread,
        "seed": seed,
        "observe": observe,
        "lab_log_factors": np.asarray(log_factors).tolist(),
        "simulation_seconds": round(simulated, 2),
        "offline_seconds": round(time.perf_counter() - start, 2),
        **_io.environment(),
    }
    save_body(out, pretrained, provenance)
    _io.write_jsonl(Path(out) / "history.jsonl", pretrained.history)
    return {"lab_windows": int(pretrained.heads.shape[0]), **provenance,
            "final_loss": pretrained.history[-1]["loss"]}  # fmt: skip
