"""2-D periodic Navier–Stokes: the solver against exact decay, its order in time, the invariants
and balances of the equation, the project's residual; the FNO-protocol generator and the
trajectory loader."""

import math

import h5py
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import datasets, generators
from pdes.random_fields import periodic_grf
from pdes.solvers import solve_navier_stokes_2d
from physics import residuals, spectral

TWO_PI = 2 * np.pi


def nodes(n):
    x = np.arange(n) / n
    return np.meshgrid(x, x, indexing="ij")


def smooth_field(n):
    """A few low modes (|m| <= 3): smooth, nonlinear interaction, resolved products on 32^2."""
    x, y = nodes(n)
    return (
        np.sin(TWO_PI * x) * np.cos(2 * TWO_PI * y)
        + 0.8 * np.cos(TWO_PI * (x + 2 * y) + 0.3)
        + 0.5 * np.sin(TWO_PI * (3 * x - y))
    )


def fno_forcing(n):
    x, y = nodes(n)
    return 0.1 * (np.sin(TWO_PI * (x + y)) + np.cos(TWO_PI * (x + y)))


def invariants(w):
    """Energy 1/2 int |u|^2, enstrophy 1/2 int w^2 and palinstrophy 1/2 int |grad w|^2 per frame."""
    n = w.shape[-1]
    k = TWO_PI * np.fft.fftfreq(n, 1 / n)
    k2 = k[:, None] ** 2 + k[None, :] ** 2
    power = 0.5 * np.abs(np.fft.fft2(w) / n**2) ** 2
    energy = (power * np.where(k2 == 0, 0.0, 1 / np.where(k2 == 0, 1, k2))).sum((-2, -1))
    return energy, power.sum((-2, -1)), (power * k2).sum((-2, -1))


def test_taylor_green_decays_at_the_schemes_predicted_error(x64):
    """Modes of one |k| make w proportional to psi, so u.grad w = 0 and w = w0 exp(-nu |k|^2 t).

    The modes (1, 2) and (2, 1) also check that the axes are not swapped. The solver's implicit
    part multiplies by R(z) = e^z + 37/1920 z^3 + O(z^4) per step (z = -nu |k|^2 dt, the
    Spalart-Moser-Rogers Crank-Nicolson substages), so after n steps the relative error is
    n 37/1920 |z|^3 to within the next term's relative size |z| ~ 2%."""
    n, nu, dt, steps = 16, 0.01, 0.01, 100
    x, y = nodes(n)
    w0 = np.cos(TWO_PI * x) * np.cos(2 * TWO_PI * y) + np.sin(2 * TWO_PI * x) * np.cos(TWO_PI * y)
    w = np.asarray(solve_navier_stokes_2d(w0, viscosity=nu, dt=dt, record_every=steps, n_records=1))
    z = -nu * 5 * TWO_PI**2 * dt
    exact = np.exp(z * steps) * w0
    error = np.abs(w[1] - exact).max() / np.abs(exact).max()
    predicted = steps * 37 / 1920 * abs(z) ** 3  # 1.5e-5
    assert 0.95 < error / predicted < 1.05, (error, predicted)
    np.testing.assert_allclose(w[0], w0, atol=1e-14)  # modes |m| <= 2 survive the 2/3 rule


@pytest.mark.parametrize(("viscosity", "order"), [(0.01, 2.0), (0.0, 3.0)])
def test_order_in_time(x64, viscosity, order):
    """Self-convergence with dt, dt/2, dt/4 on a smooth forced flow to t = 0.8: the scheme is
    second order with diffusion (Crank–Nicolson substages) and third order without (Wray's RK3).
    Measured 2.00 and 3.01-3.03: the step sizes are in the asymptotic range."""
    w0, f = smooth_field(32), fno_forcing(32)
    finals = [
        np.asarray(
            solve_navier_stokes_2d(
                w0, viscosity=viscosity, dt=dt, record_every=round(0.8 / dt), n_records=1, forcing=f
            )[-1]
        )
        for dt in (0.02, 0.01, 0.005)
    ]
    coarse, mid = np.abs(finals[0] - finals[1]).max(), np.abs(finals[1] - finals[2]).max()
    assert abs(math.log2(coarse / mid) - order) < 0.1, (coarse, mid)


def test_inviscid_unforced_flow_conserves_energy_and_enstrophy(x64):
    """With nu = f = 0 the 2/3-rule Galerkin truncation conserves energy and enstrophy exactly;
    what is left is the RK3 time error, dissipative for advected modes
    (|R(iy)|^2 = 1 - y^4/12 + y^6/36), so both decrease, and by O(dt^3) (measured drift ratio 8
    when dt halves; asserted: at least 4, i.e. second order)."""
    w0 = smooth_field(32)
    drifts = []
    for dt in (0.02, 0.01):
        w = solve_navier_stokes_2d(
            w0, viscosity=0.0, dt=dt, record_every=round(0.1 / dt), n_records=10
        )
        energy, enstrophy, _ = invariants(np.asarray(w))
        assert np.all(np.diff(energy) <= 0) and np.all(np.diff(enstrophy) <= 0)
        drifts.append(max(1 - energy[-1] / energy[0], 1 - enstrophy[-1] / enstrophy[0]))
    assert drifts[0] < 1e-6  # measured 2e-8 at |u||k| dt ~ 0.1
    assert drifts[0] / drifts[1] > 4, drifts


def test_viscous_flow_dissipates_at_the_exact_rates(x64):
    """Unforced: dE/dt = -2 nu Z and dZ/dt = -2 nu P (E, Z, P the energy, enstrophy and
    palinstrophy above). Integrated by the trapezoid rule over frames 0.005 apart, both balances
    hold to O(dt^2) (measured 5e-5 relative); the enstrophy decays at every frame."""
    nu, dt = 0.01, 0.005
    w = solve_navier_stokes_2d(smooth_field(32), viscosity=nu, dt=dt, record_every=1, n_records=100)
    energy, enstrophy, palinstrophy = invariants(np.asarray(w))
    trapezoid = lambda a: dt * (a[1:] + a[:-1]).sum() / 2
    np.testing.assert_allclose(energy[-1] - energy[0], -2 * nu * trapezoid(enstrophy), rtol=1e-3)
    np.testing.assert_allclose(
        enstrophy[-1] - enstrophy[0], -2 * nu * trapezoid(palinstrophy), rtol=1e-3
    )
    assert np.all(np.diff(enstrophy) < 0)


def test_solution_satisfies_the_projects_vorticity_residual(x64):
    """physics.residuals.navier_stokes_vorticity (velocity (psi_y, -psi_x), -Delta psi = w, FNO's
    signs) on the solver's frames, spectral in space, 4th-order differences in time: what is left
    is the scheme's O(dt^2) error, ~1e-6 of the advection term at dt = 2e-3; a sign or axis
    mistake would leave a residual the size of the advection term."""
    n, nu, dt, records = 32, 0.01, 2e-3, 20
    f = fno_forcing(n)
    w = solve_navier_stokes_2d(
        smooth_field(n), viscosity=nu, dt=dt, record_every=1, n_records=records, forcing=f
    )
    field = residuals.vorticity_streamfunction(w, (1 / n, 1 / n))
    grid = residuals.Grid(field, (dt, 1 / n, 1 / n), accuracy="spectral", time=True)
    source = np.broadcast_to(f, (records + 1, n, n))
    r = residuals.navier_stokes_vorticity(grid, viscosity=nu, source=source)[..., 0]
    psi = field[0, ..., 1]
    advection = spectral.diff(psi, 1 / n, 1) * spectral.diff(w[0], 1 / n, 0) - spectral.diff(
        psi, 1 / n, 0
    ) * spectral.diff(w[0], 1 / n, 1)
    assert float(jnp.abs(r).max()) < 1e-4 * float(jnp.abs(advection).max())


def test_initial_vorticity_has_fnos_distribution():
    """FNO's GaussianRF(2, s, alpha=2.5, tau=7): coefficients s^2 sqrt(2) 7^1.5
    (4 pi^2 |k|^2 + 49)^(-5/4) (a + ib), a, b standard normal, field = Re ifft2. Its variance,
    by Monte Carlo over 4000 fields, equals the exact variance sum_k sigma^2 (...)^(-2.5) of
    periodic_grf with the generator's sigma (relative sampling error ~1%, asserted 5%; without
    the sqrt 2 the ratio would be 2)."""
    s, samples = 16, 4000
    m = np.fft.fftfreq(s, 1 / s)
    shape = 4 * np.pi**2 * (m[:, None] ** 2 + m[None, :] ** 2) + 49.0
    root = s**2 * math.sqrt(2) * 7**1.5 * shape**-1.25
    root[0, 0] = 0.0
    rng = np.random.default_rng(0)
    coefficients = root * (rng.normal(size=(samples, s, s)) + 1j * rng.normal(size=(samples, s, s)))
    fno_variance = np.mean(np.fft.ifft2(coefficients).real ** 2)
    sigma = generators.get("navier_stokes").sigma
    exact = sigma**2 * (shape**-2.5).sum() - sigma**2 * 49.0**-2.5  # mean-free
    assert abs(fno_variance / exact - 1) < 0.05, fno_variance / exact


SMALL = {"resolution": 16, "frames": 2, "interval": 0.1, "dt": 0.01}


def test_generator_is_deterministic_and_writes_the_trajectory_layout(tmp_path):
    generator = generators.get("navier_stokes", **SMALL)
    arrays, attrs = generators.generate(generator, 3, seed=5, chunk=2)
    again, _ = generators.generate(generator, 3, seed=5, chunk=3)
    np.testing.assert_array_equal(arrays["tensor"], again["tensor"])
    assert not np.allclose(arrays["tensor"][0], arrays["tensor"][1])

    # frame 0 is sample i's GRF draw (key split(key(seed), n)[i]) on the retained modes
    with jax.enable_x64(True):
        key = jax.random.split(jax.random.key(5), 3)[1]
        w0 = periodic_grf(
            key, 16, dim=2, alpha=2.5, tau=7.0, sigma=generator.sigma, dtype=jnp.float64
        )
        w0 = spectral.dealias(w0[0])
    np.testing.assert_allclose(arrays["tensor"][1, 0], w0, atol=1e-6)  # float32 storage

    datasets.write(tmp_path / "ns.h5", arrays, attrs)
    with h5py.File(tmp_path / "ns.h5") as f:
        assert f["tensor"].shape == (3, 3, 16, 16)
        np.testing.assert_allclose(f["t-coordinate"][()], [0.0, 0.1, 0.2], rtol=1e-6)
        np.testing.assert_allclose(f["y-coordinate"][()], np.arange(16) / 16)
    data = datasets.load_trajectories(tmp_path / "ns.h5")
    assert data.frames.shape == (3, 3, 16, 16, 1) and data.frames.dtype == np.float32
    np.testing.assert_array_equal(data.frames[..., 0], arrays["tensor"])
    assert data.grid.shape == (16, 16, 2) and data.grid[1, 2].tolist() == [1 / 16, 2 / 16]
    params = data.attrs["params"]
    assert params["dt"] == 0.01 and params["interval"] == 0.1 and params["viscosity"] == 1e-3
    assert params["forcing"] == 0.1 and params["resolution"] == 16 and params["fine"] == 16
    datasets.check_history(data, history=2, future=1)
    with pytest.raises(datasets.DatasetError, match="3 frames, fewer than history 2 \\+ future 2"):
        datasets.check_history(data, history=2, future=2)

    fine = generators.generate(generators.get("navier_stokes", **SMALL, fine=32), 1, seed=0)[0]
    assert fine["tensor"].shape == (1, 3, 16, 16)


def test_pdebench_1d_files_load_as_trajectories(tmp_path):
    """PDEBench's 1-D files: tensor [N, T, X] and T + 1 entries in t-coordinate."""
    tensor = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32)
    arrays = {"tensor": tensor, "x-coordinate": np.arange(8) / 8, "t-coordinate": np.arange(6.0)}
    datasets.write(tmp_path / "1D_Advection.hdf5", arrays, {})
    data = datasets.load_trajectories(tmp_path / "1D_Advection.hdf5")
    np.testing.assert_array_equal(data.frames[..., 0], tensor)
    assert data.grid.shape == (8, 1) and data.times.tolist() == [0, 1, 2, 3, 4]


def _trajectories(**changes):
    x = np.arange(4) / 4
    arrays = {
        "tensor": np.zeros((3, 4, 4, 4)),
        "x-coordinate": x,
        "y-coordinate": x,
        "t-coordinate": np.arange(4.0),
    }
    return {k: v for k, v in (arrays | changes).items() if v is not None}


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (_trajectories(**{"t-coordinate": None}), "no array 't-coordinate'"),
        (_trajectories(tensor=None), "no array 'tensor'"),
        (_trajectories(tensor=np.zeros((3, 1, 4, 4))), "a trajectory needs at least 2"),
        (
            _trajectories(
                tensor=np.where(
                    np.arange(3)[:, None, None, None] == 1, np.inf, np.zeros((3, 4, 4, 4))
                )
            ),
            "in 1 trajectories, the first is trajectory 1",
        ),
        (_trajectories(tensor=np.zeros((3, 4))), "1 to 3 space axes"),
    ],
)
def test_bad_trajectory_files_are_one_line_errors(tmp_path, arrays, message):
    datasets.write(tmp_path / "bad.h5", arrays, {})
    with pytest.raises(datasets.DatasetError, match=message) as error:
        datasets.load_trajectories(tmp_path / "bad.h5")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"resolution": 16, "fine": 24}, "fine must be a multiple"),
        ({"interval": 1.0, "dt": 3e-3}, "not a whole number of steps"),
        ({"viscosity": 0.0}, "viscosity must be a positive number"),
        ({"reynolds": 1}, "unknown parameter 'reynolds'"),
    ],
)
def test_bad_generator_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        generators.get("navier_stokes", **params)
