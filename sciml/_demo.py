"""The quick PDE demo: validate the reference solutions and grid operators, print the tables,
draw the reference fields."""

import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import pdes
from pdes import benchmarks
from sciml import _io

FIGURE_PROBLEMS = ("burgers", "allen_cahn", "kdv")


def reference_figure(path: Path, references: dict[str, pdes.Reference]) -> Path:
    """u(t, x) of each 1-D reference as a space-time image."""
    fig = Figure(figsize=(4 * len(references), 3.2), layout="constrained")
    for ax, (name, reference) in zip(
        fig.subplots(1, len(references)), references.items(), strict=True
    ):
        t, x = reference.axes
        image = ax.pcolormesh(t, x, reference.values.T, cmap="RdBu_r", shading="auto")
        fig.colorbar(image, ax=ax)
        ax.set(
            title=f"{name}: {reference.values.shape[0]}x{reference.values.shape[1]}",
            xlabel="t",
            ylabel="x",
        )
    return _io.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))


def run(out: Path, quick: bool = True) -> dict:
    """Run the demo into ``out``: rows, tables, figure, result; returns the result."""
    start = time.perf_counter()
    _io.write_json(out / "config.json", {"command": "demo", "quick": quick, **_io.environment()})
    sections = {}
    for suite in ("references", "convergence"):
        rows = benchmarks.SUITES[suite](quick=quick)
        _io.write_jsonl(out / f"{suite}.jsonl", rows)
        sections[suite] = benchmarks.table(suite, rows)
        print(f"\n## {suite}\n\n{sections[suite]}\n", flush=True)
    settings = {"dt": 5e-5} if quick else {}
    references = {
        name: pdes.get(name, **(settings if name != "burgers" else {})).reference()
        for name in FIGURE_PROBLEMS
    }
    figure = reference_figure(out / "figures" / "references.png", references)
    result = {
        "command": "demo",
        "quick": quick,
        "wall_seconds": round(time.perf_counter() - start, 2),
        "figure": str(figure),
        "tables": sections,
        "reference_max_abs": {k: float(np.max(np.abs(r.values))) for k, r in references.items()},
    }
    _io.write_json(out / "result.json", result)
    print(f"wrote {out}/result.json and {figure} in {result['wall_seconds']} s")
    return result
