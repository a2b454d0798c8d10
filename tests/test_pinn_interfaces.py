"""Multi-domain PINN pieces: the nine interface conditions against closed forms, condition-set
masks, and the decomposition of a box into strips (tiling checked)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import physics
from sciml.pinn._decomposition import decompose
from sciml.pinn._interfaces import (
    CONDITIONS,
    InterfacePhysics,
    condition_mask,
    interface_loss,
    interface_terms,
)

NU = 0.05


def _burgers():
    """u_t + u u_x − ν u_xx on z = (t, x); flux u²/2 − ν u_x."""

    def residual(u):
        u_t, u_x = physics.partial(u, 0), physics.partial(u, 1)
        u_xx = physics.partial(u, 1, 2)
        return lambda z: u_t(z) + u(z) * u_x(z) - NU * u_xx(z)

    def flux(u):
        u_x = physics.partial(u, 1)
        return lambda z: 0.5 * u(z) ** 2 - NU * u_x(z)

    return InterfacePhysics(residual, flux, x_axis=1, second_axis=0)


def _cut():
    """Seven points on the cut t = 1/2 (built inside the test, in its precision)."""
    return jnp.stack([jnp.full(7, 0.5), jnp.linspace(-1.0, 1.0, 7)], axis=1)


def test_identical_networks_meet_every_continuity_condition(x64):
    """For u₁ = u₂ every continuity term is zero; terms 3 and 7 measure the residual itself, so
    they are twice one network's value (the reference's acceptance check)."""
    u = lambda z: jnp.sin(np.pi * z[1]) * jnp.exp(-z[0]) + 0.3 * z[0] * z[1] ** 2
    pde = _burgers()
    points = _cut()
    terms = interface_terms(u, u, points, pde)
    zero = [k for k, name in enumerate(CONDITIONS) if name not in ("residual", "gpinn")]
    np.testing.assert_array_equal(terms[np.array(zero)], 0.0)
    f = jax.vmap(pde.residual(u))(points)
    np.testing.assert_allclose(terms[2], 2 * jnp.mean(f**2), rtol=1e-12)
    assert terms[6] > 0


def test_the_terms_of_two_different_networks_in_closed_form(x64):
    """u₂ = u₁ + c·x·t²: u differs by c x t², u_x by c t², u_xx by 0, u_tt by 2 c x; on the
    cut t = 1/2 the means over x are those of (c x/4)², (c/4)², 0, (2 c x)²."""
    c = 0.7
    u1 = lambda z: jnp.cos(z[1]) * (1 + z[0])
    u2 = lambda z: u1(z) + c * z[1] * z[0] ** 2
    points = _cut()
    terms = interface_terms(u1, u2, points, _burgers())
    x = points[:, 1]
    named = dict(zip(CONDITIONS, terms, strict=True))
    np.testing.assert_allclose(named["solution"], jnp.mean((c * x / 4) ** 2), rtol=1e-12)
    np.testing.assert_allclose(named["average"], named["solution"] / 2, rtol=1e-12)
    np.testing.assert_allclose(named["u_x"], (c / 4) ** 2, rtol=1e-12)
    np.testing.assert_allclose(named["u_xx"], 0.0, atol=1e-24)
    np.testing.assert_allclose(named["second_derivative"], jnp.mean((2 * c * x) ** 2), rtol=1e-12)


@pytest.mark.parametrize(
    ("mask", "expected"),
    [("100000001", [1, 0, 0, 0, 0, 0, 0, 0, 1]), ([0, 1] + [0] * 7, [0, 1] + [0] * 7),
     (3, [1, 1] + [0] * 7), (511, [1] * 9)],
)  # fmt: skip
def test_condition_sets(mask, expected):
    np.testing.assert_array_equal(condition_mask(mask), expected)
    assert float(interface_loss(jnp.arange(1.0, 10.0), condition_mask(mask))) == sum(
        (k + 1) * b for k, b in enumerate(expected)
    )


@pytest.mark.parametrize(
    ("mask", "message"),
    [("10100", r"has 9 bits .* got 5"), ("10100000x", "must be 0 or 1"),
     ([0, 2, 0, 0, 0, 0, 0, 0, 0], "must be 0 or 1"), (512, "in 0-511")],
)  # fmt: skip
def test_bad_condition_sets_are_one_line_errors(mask, message):
    with pytest.raises(ValueError, match=message):
        condition_mask(mask)


def test_strips_tile_the_box_and_interface_points_lie_on_the_cuts():
    d = decompose(((0.0, 1.0), (-1.0, 1.0)), axis=0, edges=(0.0, 0.25, 0.5, 1.0))
    assert d.count == 3 and d.box(1) == ((0.25, 0.5), (-1.0, 1.0))
    inside = d.interior(jax.random.key(0), 50)
    assert inside.shape == (3, 50, 2)
    np.testing.assert_array_equal(d.owner(inside), np.repeat([[0], [1], [2]], 50, axis=1))
    cuts = d.interfaces(jax.random.key(1), 20)
    np.testing.assert_array_equal(cuts[:, :, 0], np.repeat([[0.25], [0.5]], 20, axis=1))
    unit = d.to_unit(1, jnp.array([0.5, 1.0]))
    np.testing.assert_allclose(unit, [1.0, 1.0])


@pytest.mark.parametrize(
    ("axis", "edges", "message"),
    [(0, (0.0, 0.5, 0.9), r"do not tile the domain: edges .* span \[0, 0.9\] but axis 0"),
     (1, (-2.0, 0.0, 1.0), r"do not tile the domain"),
     (0, (0.0, 0.6, 0.4, 1.0), "must increase strictly"),
     (2, (0.0, 1.0), "axis 2 is not an axis of a 2-dimensional box")],
)  # fmt: skip
def test_a_decomposition_that_does_not_tile_is_refused(axis, edges, message):
    with pytest.raises(ValueError, match=message):
        decompose(((0.0, 1.0), (-1.0, 1.0)), axis, edges)
