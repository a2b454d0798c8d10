"""Side-by-side rows against peer libraries (``benchmarks/peers/compare_burgers.py`` against
DeepXDE, ``compare_fno.py`` against neuraloperator): the tables and the speed ratios, for the
README (``sciml report``)."""

import statistics

from pdes.tables import markdown

COLUMNS = [
    ("engine", "engine", "{}"),
    ("repeat", "repeat", "{}"),
    ("Adam steps", "adam_steps", "{}"),
    ("steps/s (steady)", "steps_per_second_steady", "{:.1f}"),
    ("CPU ms/step (steady)", "cpu_ms_per_step_steady", "{:.2f}"),
    ("steps/s (all, incl. compile)", "steps_per_second", "{:.1f}"),
    ("Adam wall s", "adam_wall_seconds", "{:.1f}"),
    ("rel L2 after Adam", "rel_l2", "{:.3e}"),
    ("threads", "threads", "{}"),
    ("OMP wait", "omp_wait_policy", "{}"),
    ("load (1 min) before", "load_before", "{:.2f}"),
]


def ratio_lines(rows: list[dict]) -> list[str]:
    """sciml over DeepXDE: steps/s ratios, and the inverse ratio of CPU time per step."""

    def median(engine, key):
        values = [r[key] for r in rows if r["engine"] == engine and r.get(key)]
        return (statistics.median(values), len(values)) if values else (None, 0)

    lines = []
    for key, label, faster in (
        ("steps_per_second_steady", "steps/s, steady", lambda ours, peer: ours / peer),
        ("cpu_ms_per_step_steady", "CPU time per step", lambda ours, peer: peer / ours),
        ("steps_per_second", "steps/s, all steps", lambda ours, peer: ours / peer),
    ):
        (ours, n_ours), (peer, n_peer) = median("sciml", key), median("deepxde", key)
        if ours and peer:
            lines.append(
                f"- sciml vs DeepXDE ({label}; medians of {n_ours} and {n_peer} runs): "
                f"{faster(ours, peer):.2f}x"
            )
    return lines


def peers_table(rows: list[dict]) -> str:
    return "\n".join([markdown(rows, COLUMNS), "", *ratio_lines(rows)])


PEER_FNO_ENGINE = "neuralop"
FNO_COLUMNS = [
    ("engine", "engine", "{}"),
    ("repeat", "repeat", "{}"),
    ("grid", "grid", "{}"),
    ("batch", "batch", "{}"),
    ("params", "params", "{:,}"),
    ("steps/s (steady)", "steps_per_second_steady", "{:.3f}"),
    ("ms/step (steady)", "ms_per_step_steady", "{:.1f}"),
    ("CPU ms/step (steady)", "cpu_ms_per_step_steady", "{:.1f}"),
    ("timed steps", "steps", "{}"),
    ("warm-up s (steps)", "warmup", "{}"),
    ("threads", "threads", "{}"),
    ("OMP wait", "omp_wait_policy", "{}"),
    ("load (1 min) before", "load_before", "{:.2f}"),
]


def fno_peers_table(rows: list[dict]) -> str:
    """The markdown table, then the median speed ratio when both engines ran."""
    shown = [
        row
        | {
            "grid": f"{row['resolution']} x {row['resolution']}",
            "warmup": f"{row['warmup_seconds']:.1f} ({row['warmup_steps']})",
        }
        for row in rows
    ]
    lines = [markdown(shown, FNO_COLUMNS), ""]
    first = rows[0]
    lines.append(
        f"Width {first['width']}, {first['modes']} modes per axis (neuralop n_modes "
        f"({2 * first['modes']}, {2 * first['modes'] - 1})), {first['layers']} layers, "
        f"float32, random data; one step = forward + relative L2 + backward + Adam."
    )

    def median(engine: str, key: str) -> tuple[float | None, int]:
        values = [r[key] for r in rows if r["engine"] == engine and r.get(key)]
        return (statistics.median(values), len(values)) if values else (None, 0)

    for key, label, faster in (
        ("steps_per_second_steady", "steps/s, steady", lambda ours, peer: ours / peer),
        ("cpu_ms_per_step_steady", "CPU time per step", lambda ours, peer: peer / ours),
    ):
        (ours, n_ours), (peer, n_peer) = median("sciml", key), median(PEER_FNO_ENGINE, key)
        if ours and peer:
            lines.append(
                f"- sciml vs neuraloperator ({label}; medians of {n_ours} and {n_peer} runs): "
                f"{faster(ours, peer):.2f}x"
            )
    return "\n".join(lines)


ENGINE_COLUMNS = [
    ("case", "case", "{}"),
    ("engine", "engine", "{}"),
    ("scenarios x s", "scenarios_x_seconds", "{}"),
    ("wall s (median)", "wall_seconds", "{:.3f}"),
    ("compile s", "compile_seconds", "{:.1f}"),
    ("x real time", "real_time_factor", "{:.0f}"),
    ("accepted steps", "steps", "{:,}"),
    ("rejected / rhs evals", "rejected_or_evals", "{}"),
    ("max rel diff p_im, p_em, ω_t", "max_rel_diff_text", "{}"),
    ("final rel diff", "final_rel_diff_text", "{}"),
    ("max rel error (--reference)", "max_rel_error_text", "{}"),
    ("speed-up (ours)", "speedup", "{:.1f}x"),
    ("threads", "threads", "{}"),
    ("load (1 min) before", "load_before", "{:.2f}"),
]


def engine_peers_table(rows: list[dict]) -> str:
    """Our diffrax simulation of the engine model against scipy's solve_ivp on a NumPy port
    (``benchmarks/peers/compare_engine_sim.py``)."""
    first = rows[0]
    lines = [
        markdown(rows, ENGINE_COLUMNS),
        "",
        f"Family {first['family']}, saved at {first['rate_hz']:g} Hz, rtol = atol = "
        f"{first['tolerance']:g} on nondimensional states, float64; both start at the "
        "equilibrium of the first commands and restart at the same jump times. Steps are summed "
        "over a batch; speed-up = scipy's wall time / ours."
        + (f" Errors are from {first['reference']}." if "reference" in first else ""),
    ]
    return "\n".join(lines)
