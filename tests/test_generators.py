"""Operator-learning data generators: solvers validated against mathematics, determinism, layout,
loading (including PDEBench-layout files) and clear errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import datasets, generators
from pdes.solvers import solve_diffusion_reaction
from physics import fd


def test_same_seed_same_data_whatever_the_chunk():
    generator = generators.get("antiderivative", resolution=11)
    a, _ = generators.generate(generator, 5, seed=3, chunk=2)
    b, _ = generators.generate(generator, 5, seed=3, chunk=5)
    np.testing.assert_array_equal(a["input"], b["input"])
    c, _ = generators.generate(generator, 5, seed=4)
    assert not np.allclose(a["input"], c["input"])


def test_antiderivative_is_the_exact_integral_of_the_linear_interpolant():
    """With refine = 1 the sensors are the fine nodes: every slope of s is the mean of u at the
    ends of its interval, the exact integral of the piecewise-linear u."""
    generator = generators.get("antiderivative", resolution=31, refine=1)
    arrays, attrs = generators.generate(generator, 4, seed=0)
    s, u = arrays["output"].astype(np.float64), arrays["input"].astype(np.float64)
    y = arrays["query-coordinate"].astype(np.float64)
    assert attrs["params"]["length_scale"] == 0.2 and np.all(s[:, 0] == 0)
    slope = np.diff(s, axis=1) / np.diff(y)
    # float32 storage: differences of s (|s| ~ 1) over h = 1/30 carry ~ 30 * 6e-8 rounding
    np.testing.assert_allclose(slope, 0.5 * (u[:, 1:] + u[:, :-1]), atol=1e-5)
    refined = generators.generate(generators.get("antiderivative", resolution=31), 4, seed=0)[0]
    np.testing.assert_array_equal(refined["output"].shape, (4, 301))


def test_diffusion_reaction_is_second_order(x64):
    """Manufactured s = sin(pi x) t e^t: f = s_t - D s_xx - k s^2; error ~ h^2 with h = dt."""
    d, k = 0.1, 0.5

    def exact(t, x):
        return jnp.sin(jnp.pi * x) * t * jnp.exp(t)

    def source(t, x):
        s = exact(t, x)
        s_t = jnp.sin(jnp.pi * x) * (1 + t) * jnp.exp(t)
        return s_t + d * jnp.pi**2 * s - k * s**2

    errors = []
    for n in (11, 21, 41):
        t, x = np.linspace(0, 1, n), np.linspace(0, 1, n)
        f = source(t[:, None], x[None, :])
        s = solve_diffusion_reaction(f, diffusivity=d, reaction=k, nt=n)
        errors.append(float(jnp.max(jnp.abs(s - exact(t[:, None], x[None, :])))))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    # second-order scheme: the observed order tends to 2 from either side on these grids
    assert np.all(np.abs(orders - 2.0) < 0.15), (errors, orders)


def test_diffusion_reaction_data_layout_conditions_and_refinement():
    def data(refine):
        g = generators.get("diffusion_reaction", resolution=11, times=6, refine=refine)
        return generators.generate(g, 3, seed=1)[0]

    coarse = data(1)
    s = coarse["output"].astype(np.float64)
    assert s.shape == (3, 6, 11) and coarse["input"].shape == (3, 11)
    assert np.all(s[:, 0] == 0) and np.all(s[:, :, 0] == 0) and np.all(s[:, :, -1] == 0)
    # refine 1, 2 against 4 for a second-order scheme: errors ~ (1 - 1/16) : (1/4 - 1/16) = 5
    mid, fine = data(2)["output"], data(4)["output"]
    ratio = np.abs(s - fine).max() / np.abs(mid - fine).max()
    assert 4.0 < ratio < 6.0, ratio


def test_burgers_conserves_the_mean_and_converges_in_time(x64):
    """Periodic Burgers conserves the mean, its maximum decays, and the time error converges.

    ETDRK4 is fourth order for non-stiff problems; with nu k_max^2 dt up to ~200 here it shows
    the known stiff order reduction (measured: about order 3, difference ratios 6-11 from 10 to
    160 steps). The test asks for order >= 2.5, i.e. a difference ratio above 2^2.5 = 5.7."""

    def frames(steps):
        g = generators.get("burgers", resolution=64, fine=64, steps=steps)
        with jax.enable_x64(True):
            return np.asarray(jax.vmap(g.sample)(jax.random.split(jax.random.key(0), 2))["frames"])

    coarse, mid, fine = frames(20), frames(40), frames(80)
    np.testing.assert_allclose(fine[:, 1].mean(1), fine[:, 0].mean(1), atol=1e-12)
    assert np.all(np.abs(fine[:, 1]).max(1) < np.abs(fine[:, 0]).max(1))  # viscous decay
    ratio = np.abs(coarse - mid).max() / np.abs(mid - fine).max()
    assert ratio > 5.7, ratio


def test_darcy_solves_the_equation_and_subsamples_the_fine_grid(x64):
    g = generators.get("darcy", resolution=9, fine=33)
    key = jax.random.key(7)
    a = g.coefficient(key)
    assert set(np.unique(np.asarray(a))) == {3.0, 12.0}
    fine = generators.get("darcy", resolution=33, fine=33).sample(key)
    coarse = g.sample(key)
    np.testing.assert_allclose(coarse["solution"], fine["solution"][::4, ::4], atol=1e-14)
    u = fine["solution"]
    assert np.all(u[0] == 0) and np.all(u[:, -1] == 0) and float(u[1:-1, 1:-1].min()) > 0
    h = 1 / 32
    residual = -fd.div_a_grad(u, a, (h, h), bc="periodic", face_mean=fd.arithmetic_mean)
    # CG stops at relative residual 1e-10 of the right-hand side (norm ~ 31 for f = 1 on 31^2)
    assert float(jnp.abs(residual[1:-1, 1:-1] - 1.0).max()) < 1e-8


def test_generated_files_load_as_operator_pairs(tmp_path):
    for name, params in [
        ("darcy", {"resolution": 9, "fine": 17}),
        ("burgers", {"resolution": 32, "fine": 64, "steps": 20}),
        ("antiderivative", {"resolution": 10}),
        ("diffusion_reaction", {"resolution": 12, "times": 7}),
    ]:
        arrays, attrs = generators.generate(generators.get(name, **params), 3, seed=0)
        datasets.write(tmp_path / f"{name}.h5", arrays, attrs)
        data = datasets.load_operator(tmp_path / f"{name}.h5")
        assert len(data) == 3 and data.inputs.ndim == data.input_grid.ndim + 1
        assert data.outputs.shape[1:-1] == data.output_grid.shape[:-1]
        assert data.same_grid == (name in ("darcy", "burgers"))


def test_pdebench_layout_files_load(tmp_path):
    """Files written in PDEBench's layout (Burgers: tensor [N, T, X] with T + 1 times; Darcy:
    nu [N, X, Y], tensor [N, 1, X, Y]) load with the same code."""
    rng = np.random.default_rng(0)
    tensor = rng.normal(size=(4, 11, 16)).astype(np.float32)
    datasets.write(
        tmp_path / "1D_Burgers.hdf5",
        {
            "tensor": tensor,
            "x-coordinate": np.arange(16) / 16,
            "t-coordinate": np.linspace(0, 2.2, 12),
        },
        {},
    )
    data = datasets.load_operator(tmp_path / "1D_Burgers.hdf5", target_time=1.0)
    np.testing.assert_array_equal(data.inputs[..., 0], tensor[:, 0])
    np.testing.assert_array_equal(data.outputs[..., 0], tensor[:, 5])  # t = 5 * 0.2 = 1.0
    nu, u = rng.random((2, 8, 8)), rng.random((2, 1, 8, 8))
    datasets.write(tmp_path / "2D_DarcyFlow.hdf5", {"nu": nu, "tensor": u}, {})
    data = datasets.load_operator(tmp_path / "2D_DarcyFlow.hdf5")
    np.testing.assert_allclose(data.outputs[..., 0], u[:, 0], rtol=1e-6)
    train, test = data.split(1, 1)
    np.testing.assert_array_equal(train.inputs, data.inputs[:1])
    np.testing.assert_array_equal(test.inputs, data.inputs[1:])


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"foo": np.zeros((2, 3))}, "not an operator data set"),
        ({"nu": np.zeros((2, 4, 4)), "tensor": np.zeros((2, 4, 4))}, "Darcy layout needs"),
        ({"input": np.zeros((2, 4)), "output": np.zeros((3, 4))}, "the same N"),
        (
            {
                "nu": np.ones((3, 4, 4)),
                "tensor": np.where(np.arange(3)[:, None, None, None] == 2, np.nan, 0.0)
                * np.ones((3, 1, 4, 4)),
            },
            "the first is sample 2",
        ),
        (
            {"tensor": np.zeros((2, 3, 8)), "t-coordinate": np.array([0, 0.1, 0.2])},
            "no frame at t = 1",
        ),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, arrays, message):
    datasets.write(tmp_path / "bad.h5", arrays, {})
    with pytest.raises(datasets.DatasetError, match=message) as error:
        datasets.load_operator(tmp_path / "bad.h5")
    assert "\n" not in str(error.value)


def test_split_ranges_are_checked():
    data = datasets.OperatorData(
        np.zeros((5, 3, 1)),
        np.zeros((5, 3, 1)),
        np.zeros((3, 1)),
        np.zeros((3, 1)),
        "generic",
        {},
        "mem",
    )
    with pytest.raises(datasets.DatasetError, match="cannot take 4 training and 2 test"):
        data.split(4, 2)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nope", {}, "unknown data set 'nope'"),
        ("darcy", {"resolution": 10, "fine": 30}, "cannot be subsampled to 10"),
        ("darcy", {"colour": 1}, "unknown parameter 'colour'"),
        ("burgers", {"resolution": 100, "fine": 256}, "fine must be a multiple"),
    ],
)
def test_bad_generator_parameters(name, params, message):
    with pytest.raises(ValueError, match=message):
        generators.get(name, **params)
