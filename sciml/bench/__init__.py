"""Benchmark suites of the whole stack: the numerics suites of :mod:`pdes.benchmarks` and the
training suites defined here. ``SUITES[name](quick, out, only)`` returns result rows (``out``
holds any run directories a suite makes, ``only`` picks problems); :func:`table` renders them."""

from pdes import benchmarks as _numerics
from sciml.bench._emulators import check_only as check_emulators
from sciml.bench._emulators import (
    emulator_rows,
    emulator_scaling_rows,
    emulator_scaling_table,
    emulators_table,
)
from sciml.bench._graph import (
    graph_full_rows,
    graph_rows,
    graph_scaling_rows,
    graph_scaling_table,
    graph_table,
)
from sciml.bench._graph import scaling_task_names as graph_scaling_tasks
from sciml.bench._graph import task_names as graph_tasks
from sciml.bench._metalic import device_rows, device_table, metalic_rows, metalic_table
from sciml.bench._metalic import task_names as metalic_tasks
from sciml.bench._operators import check_only as check_operators
from sciml.bench._operators import operator_rows, operators_table, refuse_unknown
from sciml.bench._peers import engine_peers_table, fno_peers_table, peers_table
from sciml.bench._pinn import check_only, pinn_rows, pinn_table
from sciml.bench._scaling import scaling_rows, scaling_table
from sciml.bench._twin import health_rows, health_table, step_test_rows, twin_rows, twin_table
from sciml.bench._twin_actuators import task_names as twin_actuator_tasks
from sciml.bench._twin_actuators import twin_actuator_rows, twin_actuator_table
from sciml.bench._twin_pinn import DEVIATIONS as TWIN_PINN_DEVIATIONS
from sciml.bench._twin_pinn import task_names as twin_pinn_tasks
from sciml.bench._twin_pinn import twin_pinn_rows, twin_pinn_table
from sciml.bench._twin_surrogates import DEVIATIONS as TWIN_SURROGATE_DEVIATIONS
from sciml.bench._twin_surrogates import check_partial as check_surrogate_store
from sciml.bench._twin_surrogates import task_names as twin_surrogate_tasks
from sciml.bench._twin_surrogates import twin_surrogate_rows, twin_surrogate_table
from sciml.twin import step_test_table


def _numeric(suite):
    def run(quick=False, out=None, only=None):
        check(suite, only)
        return _numerics.SUITES[suite](quick=quick)

    return run


SUITES = {
    **{name: _numeric(name) for name in _numerics.SUITES},
    "pinn": pinn_rows,
    "operators": operator_rows,
    "operator_scaling": scaling_rows,
    "emulators": emulator_rows,
    "emulator_scaling": emulator_scaling_rows,
    "twin": twin_rows,
    "twin_steps": step_test_rows,
    "twin_health": health_rows,
    "twin_pinn": twin_pinn_rows,
    "twin_actuators": twin_actuator_rows,
    "twin_surrogates": twin_surrogate_rows,
    "graph": graph_rows,
    "graph_full": graph_full_rows,
    "graph_scaling": graph_scaling_rows,
    "metalic": metalic_rows,
    "multi_domain_devices": device_rows,
}

DEVIATIONS = {"twin_pinn": TWIN_PINN_DEVIATIONS, "twin_surrogates": TWIN_SURROGATE_DEVIATIONS}
"""Per suite, where it departs from its protocol and why (into the suite's config.json)."""


def check(suite: str, only: list[str] | None, quick: bool = False, out=None) -> None:
    """Fail before any output is written: unknown suite, or ``only`` where it does not apply."""
    if suite not in SUITES:
        raise ValueError(f"unknown benchmark suite {suite!r}; suites: {', '.join(SUITES)}")
    with_only = ("pinn", "operators", "emulators", "twin_pinn", "twin_surrogates", "graph",
                 "graph_full", "graph_scaling", "metalic", "twin_actuators")  # fmt: skip
    if only is not None and suite not in with_only:
        raise ValueError(f"--only applies to the {', '.join(with_only)} suites, not to {suite!r}")
    if suite == "twin_pinn":
        refuse_unknown(only, twin_pinn_tasks(quick), suite)
    if suite == "twin_actuators":
        refuse_unknown(only, twin_actuator_tasks(quick), suite)
    if suite == "twin_surrogates":
        refuse_unknown(only, twin_surrogate_tasks(quick), suite)
        check_surrogate_store(only, quick, out)
    if suite in ("graph", "graph_full"):
        refuse_unknown(only, graph_tasks(quick), suite)
    if suite == "graph_scaling":
        refuse_unknown(only, graph_scaling_tasks(quick), suite)
    if suite == "metalic":
        refuse_unknown(only, metalic_tasks(quick), suite)
    if suite == "pinn":
        check_only(only, quick)
    if suite == "operators":
        check_operators(only, quick)
    if suite == "emulators":
        check_emulators(only, quick)


def table(suite: str, rows: list[dict]) -> str:
    if suite == "pinn":
        return pinn_table(rows)
    if suite == "operators":
        return operators_table(rows)
    if suite == "operator_scaling":
        return scaling_table(rows)
    if suite == "emulators":
        return emulators_table(rows)
    if suite == "emulator_scaling":
        return emulator_scaling_table(rows)
    if suite == "twin":
        return twin_table(rows)
    if suite == "twin_health":
        return health_table(rows)
    if suite == "twin_pinn":
        return twin_pinn_table(rows)
    if suite == "twin_actuators":
        return twin_actuator_table(rows)
    if suite == "twin_surrogates":
        return twin_surrogate_table(rows)
    if suite == "twin_steps":
        return step_test_table(rows)
    if suite in ("graph", "graph_full"):
        return graph_table(rows)
    if suite == "graph_scaling":
        return graph_scaling_table(rows)
    if suite == "metalic":
        return metalic_table(rows)
    if suite == "multi_domain_devices":
        return device_table(rows)
    if suite == "peers":
        return peers_table(rows)
    if suite == "peers_fno":
        return fno_peers_table(rows)
    if suite == "peers_engine":
        return engine_peers_table(rows)
    return _numerics.table(suite, rows)


__all__ = [
    "DEVIATIONS",
    "SUITES",
    "check",
    "emulator_rows",
    "emulator_scaling_table",
    "emulators_table",
    "operator_rows",
    "operators_table",
    "peers_table",
    "pinn_rows",
    "pinn_table",
    "table",
    "twin_rows",
    "twin_table",
]
