r"""Traffic on a generated road network: the cell-transmission model (Daganzo 1994), a Godunov
discretisation of the LWR conservation law :math:`\partial_t\rho + \partial_x q(\rho) = 0` with
the triangular fundamental diagram :math:`q = \min(v_f\rho,\ Q,\ w(\rho_{jam}-\rho))`.

**Network.** Junctions are scattered in a square and joined by the short edges of their Delaunay
triangulation (a minimum spanning tree keeps it connected); every edge is a two-way road, each
direction a link of cells of length :math:`v_f\,\Delta t` (CFL number 1, the exact CTM). One
sensor per link, at its middle cell: a few hundred sensors for ~100 junctions.

**Flows per step** (vehicle counts n, :math:`\Delta t` = 10 s): a cell sends
:math:`S = \min(n, Q\Delta t)` and receives
:math:`R = \min(Q\Delta t, \tfrac{w}{v_f}(N_{jam} - n))`. Inside a link,
:math:`f = \min(S_{up}, R_{down})`. At a junction every incoming link splits its sending flow over
the outgoing links (random turning fractions, no U-turns) and an off-ramp; each outgoing link
scales the demand on it by :math:`\min(1, R/\text{demand})`. Movements do not block each other
(no first-in-first-out coupling: with it, spill-back around a loop of links locks the network
for good); the off-ramp always takes its share. On-ramp queues at every junction feed the
outgoing links the same way.

**Demand.** Each junction's on-ramp demand has morning and evening peaks on weekdays and one
midday peak at weekends, with junction-specific amplitude and phase, and slow random
modulation. **Incidents**: random cells lose most of their capacity for 20-90 minutes, so that
local, unexpected congestion and spill-back exist.

**Readings** every 5 minutes at each sensor: flow (vehicles per 5 min through the cell's
downstream face), occupancy (mean n/N_jam) and speed (mean flow/density, km/h), with Gaussian
noise, clipped at 0, and a small fraction of dropouts stored as exact zeros (PEMS's convention
for missing readings).

Vehicles are conserved exactly: cells + on-ramp queues + vehicles that left by off-ramps equal the
vehicles that ever arrived (checked at every 5-minute step and returned).
"""

import json
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay

from pdes.traffic._pems import STEPS_PER_DAY, write_pems

DT = 10.0  # s per CTM step
STEPS_PER_READING = 30  # 5 minutes
FREE_SPEED = 100.0 / 3.6  # m/s
WAVE_SPEED = 20.0 / 3.6  # m/s, congestion wave
CAPACITY = 2000.0 / 3600.0  # veh/s per lane
JAM_DENSITY = 0.15  # veh/m per lane (about 6.7 m per vehicle)


class RoadNetwork(NamedTuple):
    """Junction positions ``[J, 2]`` (m), links ``[L, 2]`` (from, to junction), cells per link,
    lanes per link."""

    positions: np.ndarray
    links: np.ndarray
    cells: np.ndarray
    lanes: np.ndarray


class TrafficSimulation(NamedTuple):
    data: np.ndarray  # [T, N, 3]: flow (veh/5 min), occupancy, speed (km/h); 0 = missing
    edges: np.ndarray  # [E, 3]: from, to sensor, road distance (m): the distance CSV
    network: RoadNetwork
    incidents: list  # dicts: link, sensor, cell, start and end step (5-minute), capacity factor
    vehicles_in_network: np.ndarray  # [T]
    conservation_error: np.ndarray  # [T]: cells + queues + exits − arrivals
    clean: np.ndarray  # [T, N, 3] before noise and dropouts


def road_network(junctions: int, seed: int, size: float = 20_000.0) -> RoadNetwork:
    """``junctions`` points in a ``size`` square (m); Delaunay edges up to 1.6x the median
    length plus a spanning tree; every edge two links."""
    rng = np.random.default_rng(seed)
    positions = rng.uniform(0.0, size, (junctions, 2))
    triangles = Delaunay(positions).simplices
    sides = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]])
    pairs = {(int(min(a, b)), int(max(a, b))) for a, b in sides}
    pairs = np.array(sorted(pairs))
    length = np.linalg.norm(positions[pairs[:, 0]] - positions[pairs[:, 1]], axis=1)
    weights = np.zeros((junctions, junctions))
    weights[pairs[:, 0], pairs[:, 1]] = length
    tree = minimum_spanning_tree(weights).toarray() > 0
    keep = (length <= 1.6 * np.median(length)) | tree[pairs[:, 0], pairs[:, 1]]
    pairs, length = pairs[keep], length[keep]
    links = np.concatenate([pairs, pairs[:, ::-1]])
    cell_length = FREE_SPEED * DT
    cells = np.maximum(3, np.round(np.concatenate([length, length]) / cell_length)).astype(int)
    lanes = np.tile(rng.choice([2, 3], size=len(pairs), p=[0.6, 0.4]), 2)
    return RoadNetwork(positions, links, cells, lanes)


def simulate_traffic(
    junctions: int = 100,
    days: int = 21,
    seed: int = 0,
    *,
    incidents_per_day: float = 3.0,
    noise: float = 0.03,
    dropout: float = 0.002,
    demand: float = 0.3,
    start_weekday: int = 0,
) -> TrafficSimulation:
    """Simulate ``days`` days on a network of ``junctions`` junctions; deterministic in
    ``seed``. ``demand`` is the mean on-ramp arrival rate per junction in vehicles per second;
    ``noise`` the readings' relative noise; ``dropout`` the fraction of missing readings."""
    if junctions < 4 or days < 1:
        raise ValueError(f"need >= 4 junctions and >= 1 day, got {junctions} and {days}")
    rng = np.random.default_rng(seed + 1)
    network = road_network(junctions, seed)
    plan = _plan(network, rng)
    readings = days * STEPS_PER_DAY
    rates = _demand(junctions, readings, demand, start_weekday, rng)  # [T, J] veh/s
    incidents = _incidents(network, plan, readings, incidents_per_day * days, rng)
    with jax.enable_x64(True):
        clean, vehicles, error = _run(plan, rates, incidents)
    data = clean * (1.0 + noise * rng.standard_normal(clean.shape))
    data = np.maximum(data, 0.0)
    data[rng.random(clean.shape[:2]) < dropout] = 0.0
    return TrafficSimulation(
        data, plan["edges"], network, incidents["records"], vehicles, error, clean
    )


def write_simulation(folder: Path | str, name: str, simulation: TrafficSimulation, **meta) -> None:
    """``name.npz`` and ``name.csv`` in the PEMS layout, and ``name.incidents.json`` (the
    incidents, vehicle counts and ``meta``, e.g. the generating arguments)."""
    folder = Path(folder)
    write_pems(folder, name, simulation.data, simulation.edges)
    record = {
        **meta,
        "sensors": int(simulation.data.shape[1]),
        "features": ["flow (veh/5 min)", "occupancy", "speed (km/h)"],
        "max_conservation_error": float(np.abs(simulation.conservation_error).max()),
        "incidents": simulation.incidents,
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    with os.fdopen(fd, "w") as f:
        json.dump(record, f, indent=1)
    os.replace(tmp, folder / f"{name}.incidents.json")


def _plan(network: RoadNetwork, rng) -> dict:
    """Cell indices, capacities and the junction movements with turning fractions."""
    first = np.concatenate([[0], np.cumsum(network.cells)[:-1]])
    last = first + network.cells - 1
    total = int(network.cells.sum())
    link_of = np.repeat(np.arange(len(network.cells)), network.cells)
    lanes = network.lanes[link_of].astype(float)
    up = np.concatenate([np.arange(f, e) for f, e in zip(first, last, strict=True)])
    moves_from, moves_to, fractions, exits = [], [], [], []
    for k, (a, b) in enumerate(network.links):
        onward = [m for m, (c, d) in enumerate(network.links) if c == b and d != a]
        share = rng.dirichlet(np.ones(len(onward) + 1) * 2.0) if onward else np.ones(1)
        exit_share = max(share[-1], 0.15) if onward else 1.0  # some vehicles always leave
        share = share[:-1] / max(share[:-1].sum(), 1e-12) * (1.0 - exit_share)
        for m, s in zip(onward, share, strict=True):
            moves_from.append(last[k])
            moves_to.append(first[m])
            fractions.append(s)
        exits.append(exit_share)
    entries = [[first[m] for m, (c, _) in enumerate(network.links) if c == j]
               for j in range(len(network.positions))]  # fmt: skip
    ramp_junction = np.concatenate([[j] * len(e) for j, e in enumerate(entries)]).astype(int)
    ramp_cell = np.concatenate([e for e in entries if e]).astype(int)
    ramp_share = 1.0 / np.bincount(ramp_junction, minlength=len(entries))[ramp_junction]
    sensors = first + network.cells // 2
    # a sensor reaches the sensors of the links that continue its link: road distance between
    edges = [
        (k, m, (network.cells[k] - network.cells[k] // 2 + network.cells[m] // 2)
         * FREE_SPEED * DT)
        for k, (a, b) in enumerate(network.links)
        for m, (c, d) in enumerate(network.links) if c == b and d != a
    ]  # fmt: skip
    return {
        "cells": total,
        "lanes": lanes,
        "first": first,
        "last": last,
        "up": up,
        "moves": (np.array(moves_from), np.array(moves_to), np.array(fractions)),
        "exit_share": np.array(exits),
        "ramps": (ramp_junction, ramp_cell, ramp_share),
        "sensors": sensors,
        "edges": np.array(edges, dtype=float),
    }


def _demand(junctions: int, readings: int, mean: float, weekday0: int, rng) -> np.ndarray:
    """On-ramp arrival rates ``[readings, J]`` (veh/s): weekday peaks near 8:00 and 17:30,
    a weekend midday peak, per-junction amplitude and phase, slow random modulation."""
    hours = np.arange(readings) * 5.0 / 60.0
    day = (hours // 24 + weekday0) % 7
    hour = hours % 24
    shift = rng.normal(0.0, 0.5, junctions)  # h
    morning, evening = rng.uniform(0.5, 1.5, junctions), rng.uniform(0.5, 1.5, junctions)
    h = hour[:, None] - shift[None, :]

    def peak(centre, width):
        return np.exp(-0.5 * ((h - centre) / width) ** 2)

    weekday = 0.25 + morning * peak(8.0, 1.2) + evening * peak(17.5, 1.5) + 0.4 * peak(13.0, 3.0)
    weekend = 0.2 + 0.8 * peak(13.5, 3.0)
    profile = np.where((day >= 5)[:, None], weekend, weekday)
    slow = np.cumsum(rng.normal(0.0, 0.02, (readings, junctions)), axis=0)
    slow = np.exp(slow - slow.mean(axis=0))
    scale = rng.lognormal(0.0, 0.4, junctions)
    rates = profile * slow * scale
    return mean * rates / rates.mean()


def _incidents(network: RoadNetwork, plan: dict, readings: int, expected: float, rng) -> dict:
    count = int(rng.poisson(expected))
    links = rng.integers(0, len(network.links), count)
    # the sensor cell or up to 3 cells downstream of it: the queue spills back past the sensor
    offsets = [rng.integers(0, 1 + min(3, int(plan["last"][k] - plan["sensors"][k])))
               for k in links]  # fmt: skip
    cells = np.array([plan["sensors"][k] + o for k, o in zip(links, offsets, strict=True)], int)
    starts = rng.integers(STEPS_PER_DAY // 4, readings - 24, count)
    ends = starts + rng.integers(4, 19, count)  # 20 to 90 minutes
    factors = rng.uniform(0.03, 0.2, count)
    records = [
        {"link": int(k), "sensor": int(k), "cell": int(c), "start": int(s), "end": int(e),
         "capacity_factor": float(f)}
        for k, c, s, e, f in zip(links, cells, starts, ends, factors, strict=True)
    ]  # fmt: skip
    return {"cells": cells, "starts": starts, "ends": ends, "factors": factors,
            "records": records}  # fmt: skip


def _run(plan: dict, rates: np.ndarray, incidents: dict):
    """Scan the CTM over every 10 s step; readings every 5 minutes."""
    cells, lanes = plan["cells"], jnp.asarray(plan["lanes"])
    capacity = CAPACITY * lanes * DT  # veh per step
    jam = JAM_DENSITY * FREE_SPEED * DT * lanes  # veh per cell
    up = jnp.asarray(plan["up"])
    move_from, move_to, fraction = (jnp.asarray(a) for a in plan["moves"])
    exit_from = jnp.asarray(plan["last"])
    exit_share = jnp.asarray(plan["exit_share"])
    ramp_junction, ramp_cell, ramp_share = (jnp.asarray(a) for a in plan["ramps"])
    junctions = rates.shape[1]
    # an on-ramp feeds up to half the capacity of the roads leaving its junction (veh per step)
    outgoing = jnp.zeros(junctions).at[ramp_junction].add(capacity[ramp_cell])
    ramp_capacity = 0.5 * outgoing
    sensors = jnp.asarray(plan["sensors"])
    inc_cells = jnp.asarray(incidents["cells"])
    inc_start = jnp.asarray(incidents["starts"])
    inc_end = jnp.asarray(incidents["ends"])
    inc_factor = jnp.asarray(incidents["factors"])

    def step(carry, rate):
        n, queue, exited, arrived, reading = carry
        active = (reading >= inc_start) & (reading < inc_end)
        factor = jnp.ones(cells).at[inc_cells].min(jnp.where(active, inc_factor, 1.0))
        cap = capacity * factor
        send = jnp.minimum(n, cap)
        receive = jnp.minimum(cap, WAVE_SPEED / FREE_SPEED * (jam - n))
        receive = jnp.maximum(receive, 0.0)
        # demands at junctions: movements, off-ramps (unlimited supply) and on-ramps
        move_demand = fraction * send[move_from]
        ramp_demand = ramp_share * jnp.minimum(queue, ramp_capacity)[ramp_junction]
        total = jnp.zeros(cells).at[move_to].add(move_demand).at[ramp_cell].add(ramp_demand)
        ratio = jnp.minimum(1.0, receive / jnp.where(total > 0, total, 1.0))
        # each movement at its own destination's ratio (lanes per movement, no FIFO blocking:
        # with FIFO, spill-back around a loop of links locks the network for good)
        move_flow = move_demand * ratio[move_to]
        exit_flow = exit_share * send[exit_from]
        ramp_flow = ramp_demand * ratio[ramp_cell]
        inner = jnp.minimum(send[up], receive[up + 1])
        outflow = (
            jnp.zeros(cells).at[up].add(inner).at[move_from].add(move_flow)
            .at[exit_from].add(exit_flow)
        )  # fmt: skip
        inflow = jnp.zeros(cells).at[up + 1].add(inner).at[move_to].add(move_flow)
        inflow = inflow.at[ramp_cell].add(ramp_flow)
        before, n = n, n + inflow - outflow
        arrivals = rate * DT
        queue = queue + arrivals - jnp.zeros(junctions).at[ramp_junction].add(ramp_flow)
        exited = exited + jnp.sum(exit_flow)
        arrived = arrived + jnp.sum(arrivals)
        return (n, queue, exited, arrived, reading), (outflow[sensors], before[sensors])

    def reading(carry, rate):
        carry, (flow, count) = jax.lax.scan(
            lambda c, _: step(c, rate), carry, None, length=STEPS_PER_READING
        )
        n, queue, exited, arrived, index = carry
        density = count / (FREE_SPEED * DT)  # veh/m
        speed = jnp.where(count > 1e-6, flow / DT / jnp.maximum(density, 1e-12), FREE_SPEED)
        record = (
            jnp.sum(flow, axis=0),
            jnp.mean(count, axis=0) / jam[sensors],
            3.6 * jnp.mean(jnp.minimum(speed, FREE_SPEED), axis=0),
        )
        total = jnp.sum(n) + jnp.sum(queue)
        return (n, queue, exited, arrived, index + 1), (record, total, total + exited - arrived)

    start = (jnp.zeros(cells), jnp.zeros(junctions), 0.0, 0.0, 0)
    _, (record, vehicles, error) = jax.jit(lambda s, r: jax.lax.scan(reading, s, r))(
        start, jnp.asarray(rates)
    )
    data = np.stack([np.asarray(r) for r in record], axis=-1)
    return data, np.asarray(vehicles), np.asarray(error)
