"""``sciml data``: generate operator-learning data sets and describe data-set files."""

import ast
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from pdes import datasets, generators


def _parse_settings(settings: list[str]) -> dict:
    params = {}
    for item in settings:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set takes KEY=VALUE, got {item!r}")
        try:
            params[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[key] = text
    return params


def generate(
    name: str,
    n: int,
    resolution: int | None,
    seed: int,
    out: Path,
    settings: list[str],
    *,
    chunk: int = 32,
    progress: bool = True,
) -> None:
    """Generate ``n`` samples of data set ``name`` and write them atomically to ``out``."""
    params = _parse_settings(settings)
    if resolution is not None:
        params["resolution"] = resolution
    generator = generators.get(name, **params)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"{out}: directory {out.parent} does not exist")
    start = time.perf_counter()
    with tqdm(total=n, desc=f"{name} ({generator.resolution})", disable=not progress) as bar:
        arrays, attrs = generators.generate(
            generator, n, seed=seed, chunk=chunk, progress=bar.update
        )
    attrs["generation_seconds"] = round(time.perf_counter() - start, 2)
    datasets.write(out, arrays, attrs)
    shapes = ", ".join(f"{k} {list(v.shape)}" for k, v in arrays.items())
    print(f"wrote {out}: {n} samples of {name} ({shapes}) in {attrs['generation_seconds']} s")


def info(path: Path) -> str:
    """A description of a data-set file: arrays, operator pairs or trajectories, attributes."""
    ds = datasets.read(path)
    lines = [f"{path}"]
    for key, array in sorted(ds.arrays.items()):
        finite = np.isfinite(array).all() if array.dtype.kind == "f" else True
        lines.append(
            f"  {key:18s} {list(array.shape)!s:22s} {array.dtype}  "
            f"min {array.min():.4g}  max {array.max():.4g}" + ("" if finite else "  NON-FINITE")
        )
    try:
        data = datasets.load_operator(path)
        lines.append(
            f"  operator pairs ({data.layout}): input {list(data.inputs.shape)} -> "
            f"output {list(data.outputs.shape)}"
        )
    except datasets.DatasetError as pair_error:
        try:
            traj = datasets.load_trajectories(path)
            lines.append(
                f"  trajectories: frames {list(traj.frames.shape)} at t = "
                f"{traj.times[0]:.4g} ... {traj.times[-1]:.4g}"
            )
        except datasets.DatasetError as error:
            lines.append(
                f"  not loadable as operator pairs ({pair_error}) nor trajectories ({error})"
            )
    for key, value in sorted(ds.attrs.items()):
        lines.append(f"  @{key}: {value}")
    return "\n".join(lines)
