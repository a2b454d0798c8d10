"""Collocation samplers: bounds, determinism, stratification and face placement."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import qmc

import pdes
from pdes import samplers

METHODS = [samplers.uniform, samplers.latin_hypercube, samplers.sobol]
DOMAIN = pdes.Domain(space=((-1.0, 1.0), (0.0, 2.0)), time=(0.0, 0.5))


@pytest.mark.parametrize("method", METHODS)
def test_points_lie_in_the_domain_and_are_deterministic(method):
    key = jax.random.key(3)
    points = samplers.interior(key, DOMAIN, 100, method)
    assert points.shape == (100, 3)
    assert bool(jnp.all(points >= jnp.array(DOMAIN.lower)[None, :]))
    assert bool(jnp.all(points <= jnp.array(DOMAIN.upper)[None, :]))
    np.testing.assert_array_equal(points, samplers.interior(key, DOMAIN, 100, method))
    other = samplers.interior(jax.random.fold_in(key, 1), DOMAIN, 100, method)
    assert not np.allclose(points, other)


@pytest.mark.parametrize("method", METHODS)
def test_samplers_jit_with_per_step_keys(method):
    draw = jax.jit(
        lambda step: samplers.interior(
            jax.random.fold_in(jax.random.key(0), step), DOMAIN, 64, method
        )
    )
    assert draw(0).shape == (64, 3)
    assert not np.allclose(draw(0), draw(1))


def test_latin_hypercube_has_one_point_per_stratum():
    n = 50
    unit = samplers.latin_hypercube(jax.random.key(0), n, 4)
    strata = np.sort(np.floor(np.asarray(unit) * n).astype(int), axis=0)
    np.testing.assert_array_equal(strata, np.tile(np.arange(n)[:, None], (1, 4)))


def test_sobol_shift_keeps_the_net_property():
    # For n = 2^m, the base sequence has exactly one point in each dyadic interval of width
    # 2^-m on every axis; XOR with a fixed mask permutes those intervals, so this survives.
    m, dim = 7, 3
    unit = np.asarray(samplers.sobol(jax.random.key(5), 2**m, dim), dtype=np.float64)
    cells = np.sort(np.floor(unit * 2**m).astype(int), axis=0)
    np.testing.assert_array_equal(cells, np.tile(np.arange(2**m)[:, None], (1, dim)))
    # and the unshifted sequence is SciPy's (Joe–Kuo directions)
    base = qmc.Sobol(dim, scramble=False).random_base2(m)
    np.testing.assert_array_equal(samplers._sobol_base(m, dim) / 2.0**32, base)


def test_sobol_is_more_uniform_than_random():
    n, dim = 256, 2
    discrepancy = lambda u: qmc.discrepancy(np.asarray(u, dtype=np.float64))
    sob = np.mean([discrepancy(samplers.sobol(jax.random.key(k), n, dim)) for k in range(5)])
    uni = np.mean([discrepancy(samplers.uniform(jax.random.key(k), n, dim)) for k in range(5)])
    assert sob < uni / 5


def test_boundary_faces_get_points_in_proportion_to_their_measure():
    # space [0, 4] x [0, 1], steady: the x-faces (x = 0, 4) have length 1, the y-faces length 4
    domain = pdes.Domain(space=((0.0, 4.0), (0.0, 1.0)))
    points = np.asarray(samplers.boundary(jax.random.key(2), domain, 1000))
    on_x = np.isin(points[:, 0], [0.0, 4.0])
    assert on_x.sum() == 200 and (~on_x).sum() == 800
    assert np.all(np.isin(points[~on_x, 1], [0.0, 1.0]))


def test_boundary_points_are_on_faces_of_a_space_time_box():
    n = 1000
    points = np.asarray(samplers.boundary(jax.random.key(1), DOMAIN, n))
    assert points.shape == (n, 3)
    on_x = np.isin(points[:, 1], [-1.0, 1.0])
    on_y = np.isin(points[:, 2], [0.0, 2.0])
    assert np.all(on_x | on_y)
    # face measures (time extent x other spatial extent): x-faces 0.5*2 = 1, y-faces 0.5*2 = 1
    assert abs(on_x.sum() - n / 2) <= 1
    assert np.all((points[:, 0] >= 0.0) & (points[:, 0] <= 0.5))


def test_initial_points_are_at_the_initial_time():
    points = samplers.initial(jax.random.key(0), DOMAIN, np.int64(10), samplers.sobol)
    np.testing.assert_array_equal(points[:, 0], 0.0)
    assert points.shape == (10, 3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: samplers.interior(jax.random.key(0), DOMAIN, 0), "positive integer"),
        (lambda: samplers.interior(jax.random.key(0), DOMAIN, 2.5), "positive integer"),
        (
            lambda: samplers.initial(jax.random.key(0), pdes.Domain(space=((0.0, 1.0),)), 4),
            "time-dependent",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
