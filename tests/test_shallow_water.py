"""The finite-volume shallow-water solver against mathematics (rest state, linear gravity waves
and their convergence order, conservation, energy decay, the x-y symmetry) and its generator's
trajectory files."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import datasets, generators
from pdes.datasets import DatasetError
from pdes.random_fields import periodic_grf
from pdes.solvers import shallow_water_rhs, solve_shallow_water_2d

pytestmark = pytest.mark.usefixtures("x64")
GRAVITY = 1.0


def _conserved(h, u, v):
    return jnp.asarray(np.stack([h, h * u, h * v]))


def _energy(q):
    h, mx, my = q
    return float(jnp.sum(0.5 * (mx**2 + my**2) / h + 0.5 * GRAVITY * h**2))


def test_a_lake_at_rest_stays_at_rest():
    h = np.full((16, 16), 1.3)
    assert float(jnp.abs(shallow_water_rhs(_conserved(h, 0 * h, 0 * h), GRAVITY)).max()) == 0.0


def _linear_wave_error(n, eps=1e-3, time=0.5):
    """L1 error of h against the linear right-moving wave h = 1 + eps sin 2pi(x - t), u = h - 1
    (c = sqrt(g H) = 1), in units of eps; the nonlinear correction is O(eps^2)."""
    x = (np.arange(n) + 0.5) / n
    average = np.sin(np.pi / n) / (np.pi / n)  # cell average of sin over a cell of width 1/n
    wave = lambda t: np.broadcast_to(eps * average * np.sin(2 * np.pi * (x - t))[:, None], (n, n))
    q0 = _conserved(1 + wave(0.0), wave(0.0), 0 * wave(0.0))
    steps = int(np.ceil(time * n / 0.25))  # CFL number 0.5
    states, cfl = solve_shallow_water_2d(
        q0, gravity=GRAVITY, dt=time / steps, record_every=steps, n_records=1
    )
    assert 0.4 < float(cfl[-1]) < 0.6
    return float(np.abs(np.asarray(states[-1, 0]) - 1 - wave(time)).mean()) / eps


def test_linear_gravity_waves_travel_at_sqrt_gh_and_converge():
    coarse, fine = _linear_wave_error(32), _linear_wave_error(64)
    # measured 0.036 and 0.011: order 1.75 (minmod clips the wave's extrema, so below 2)
    assert fine < 0.02
    assert np.log2(coarse / fine) > 1.5


@pytest.fixture(scope="module")
def bores():
    """A randomly displaced surface (amplitude 0.2 of depth 1) released on 64 x 64 cells and run
    for 3 time units, 30 records, at the generator's time step: the waves steepen into bores."""
    with jax.enable_x64(True):
        field = periodic_grf(jax.random.key(3), 64, dim=2, sigma=1.0, dtype=jnp.float64)[0]
        h0 = 1.0 + 0.2 * field / jnp.max(jnp.abs(field))
        generator = generators.get("shallow_water", resolution=64, amplitude=0.2, frames=30)
        states, cfl = solve_shallow_water_2d(
            jnp.stack([h0, 0 * h0, 0 * h0]),
            gravity=GRAVITY,
            dt=generator.dt,
            record_every=generator.steps_per_frame,
            n_records=generator.frames,
        )
        return np.asarray(states), np.asarray(cfl)


def test_mass_and_momentum_are_conserved_to_rounding(bores):
    states, cfl = bores
    totals = states.sum(axis=(2, 3))  # [records, 3]
    # mass 4096 cells x 1; momentum starts at 0: both exact up to float64 summation
    np.testing.assert_allclose(totals[:, 0], totals[0, 0], rtol=1e-13)
    np.testing.assert_allclose(totals[:, 1:], 0.0, atol=1e-10)
    assert cfl.max() < 0.6  # the generator's step keeps the CFL number near 2 cfl = 0.5


def test_energy_never_grows_and_falls_at_the_bores(bores):
    states, _ = bores
    energy = np.array([_energy(q) for q in states])
    assert np.all(np.diff(energy) <= 1e-12 * energy[0])
    # the initial potential energy above the rest state is what can be lost; bores take a share
    rest = 0.5 * GRAVITY * states[0, 0].mean() ** 2 * states[0, 0].size
    assert (energy[0] - energy[-1]) / (energy[0] - rest) > 0.01


def test_the_scheme_treats_x_and_y_alike(bores):
    states, _ = bores
    h0 = states[0, 0]
    q_t = jnp.asarray(np.stack([h0.T, 0 * h0, 0 * h0]))
    swapped, _ = solve_shallow_water_2d(q_t, gravity=GRAVITY, dt=1e-3, record_every=50, n_records=1)
    direct, _ = solve_shallow_water_2d(
        jnp.asarray(states[0]), gravity=GRAVITY, dt=1e-3, record_every=50, n_records=1
    )
    # transposing the initial surface transposes h and exchanges hu and hv
    np.testing.assert_allclose(swapped[-1, 0], direct[-1, 0].T, atol=1e-14)
    np.testing.assert_allclose(swapped[-1, 1], direct[-1, 2].T, atol=1e-14)


def test_generator_writes_trajectories_of_h_u_v(tmp_path):
    generator = generators.get("shallow_water", resolution=16, fine=32, frames=3)
    arrays, attrs = generators.generate(generator, 2, seed=0)
    assert arrays["tensor"].shape == (2, 4, 16, 16, 3) and attrs["channels"] == ["h", "u", "v"]
    assert np.all(arrays["max_cfl"] < 0.6)
    assert attrs["params"]["dt"] * attrs["params"]["steps_per_frame"] == pytest.approx(0.1)
    datasets.write(tmp_path / "sw.h5", arrays, attrs)
    data = datasets.load_trajectories(tmp_path / "sw.h5")
    assert data.frames.shape == (2, 4, 16, 16, 3)
    np.testing.assert_allclose(data.grid[0, 0], [1 / 32, 1 / 32])  # cell centres
    h, u = data.frames[..., 0], data.frames[..., 1:]
    # released from rest at depth 1 +- 0.1; the block averages keep the mean depth 1
    assert np.all(u[:, 0] == 0) and np.abs(h[:, 0] - 1).max() == pytest.approx(0.1, rel=0.1)
    np.testing.assert_allclose(h.mean(axis=(2, 3)), 1.0, rtol=1e-6)


def test_a_channel_count_that_does_not_match_the_attribute_is_refused(tmp_path):
    x = np.arange(4) / 4
    arrays = {"tensor": np.zeros((1, 3, 4, 4, 2)), "x-coordinate": x, "y-coordinate": x}
    arrays["t-coordinate"] = np.arange(3.0)
    datasets.write(tmp_path / "bad.h5", arrays, {"channels": ["h", "u", "v"]})
    with pytest.raises(DatasetError, match="channels names 3 fields"):
        datasets.load_trajectories(tmp_path / "bad.h5")


def test_amplitude_at_or_above_the_depth_is_refused():
    with pytest.raises(ValueError, match="stays wet"):
        generators.get("shallow_water", amplitude=1.0)


def test_sinenet_emulates_the_three_fields_with_circular_padding(tmp_path):
    from sciml import cli

    data = tmp_path / "sw.h5"
    generate = ["data", "generate", "shallow_water", "--n", "4", "--resolution", "16"]
    assert cli.main([*generate, "--seed", "0", "--out", str(data), "--quiet"]) == 0
    run = ["emulate", "sinenet", "--data", str(data), "--train", "3", "--test", "1"]
    run += ["--epochs", "1", "--batch", "8", "--quiet", "--out", str(tmp_path / "run")]
    for setting in ("sinenet.waves=1", "sinenet.hidden=4", "sinenet.levels=2", "warmup_epochs=0"):
        run += ["--set", setting]
    assert cli.main(run) == 0
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    # periodic data: padding=auto picks circular; one error per field
    assert result["padding"] == "circular" and result["channels"] == 3
    assert len(result["one_step_rel_l2_per_channel"]) == 3
