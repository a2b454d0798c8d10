"""METALIC's GP reward model: it interpolates its data as the noise vanishes, and on a synthetic
reward with one best condition set every heuristic picks that set."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.pinn._bandit import ARMS, RewardModel, choose_arm, fit_reward_model, standardise

BEST = np.array([1, 0, 1, 0, 0, 0, 0, 1, 0.0])


@pytest.fixture(scope="module")
def synthetic():
    """80 rewards 2 − 3·(fraction of bits differing from BEST) + 0.3 c + N(0, 0.01²): linear in
    the bits, so the best arm at any context is BEST."""
    rng = np.random.default_rng(0)
    contexts = rng.uniform(-1.7, 1.7, (80, 1))
    arms = rng.integers(0, 2, (80, 9)).astype(float)
    rewards = 2.0 - 3 * np.abs(arms - BEST).mean(axis=1) + 0.3 * contexts[:, 0]
    rewards += 0.01 * rng.normal(size=80)
    return contexts, arms, rewards, fit_reward_model(contexts, arms, rewards, steps=50)


def test_every_heuristic_picks_the_best_condition_set(synthetic):
    *_, model = synthetic
    for heuristic, key in (("mean", None), ("ucb", None), ("ts", jax.random.key(0))):
        arm = choose_arm(model, jnp.array([0.3]), heuristic, key)
        np.testing.assert_array_equal(ARMS[arm], BEST)
    with pytest.raises(ValueError, match="unknown heuristic 'greedy'"):
        choose_arm(model, jnp.array([0.3]), "greedy")


def test_the_posterior_interpolates_as_the_noise_vanishes(x64, synthetic):
    """A full-rank kernel (RBF length 1 in the context, e^λ = 5 on the bits) and noise variance
    1e-12: the posterior mean at the training inputs returns the rewards (1e-6: the Cholesky of
    an 80 x 80 matrix in float64). The fitted model is nearly linear in the bits (rank ~10),
    which is why the check uses set hyperparameters."""
    contexts, arms, rewards, _ = synthetic
    params = {"log_amplitude": jnp.asarray(0.0), "log_length": jnp.asarray(0.0),
              "log_match": jnp.log(5.0), "log_precision": jnp.log(1e12)}  # fmt: skip
    inputs = jnp.concatenate([jnp.asarray(contexts), jnp.asarray(arms)], axis=1)
    padding = jnp.zeros(80, bool)
    model = RewardModel(params, inputs, jnp.asarray(rewards), float(rewards.mean()), 1, padding)
    for i in range(0, 80, 13):
        mean, std = model.predict(jnp.asarray(contexts[i]), jnp.asarray(arms[i : i + 1]))
        np.testing.assert_allclose(float(mean[0]), rewards[i], atol=1e-6)
        assert float(std[0]) < 1e-3


def test_contexts_are_standardised_over_their_ranges():
    """A uniform variable on [lo, hi] has mean (lo + hi)/2 and std (hi − lo)/√12."""
    np.testing.assert_allclose(standardise([1.0, 30.0], [(1.0, 30.0), (1.0, 30.0)]),
                               [-np.sqrt(3), np.sqrt(3)], rtol=1e-6)  # fmt: skip


def test_padding_leaves_the_posterior_of_the_real_points_unchanged(x64, synthetic):
    """20 observations are padded to 32 for the fit; the same hyperparameters on the 20 alone
    give the same posterior (1e-9: the padded block is decoupled, its kernel entries underflow
    to exactly 0, so only Cholesky rounding differs)."""
    contexts, arms, rewards, _ = synthetic
    padded = fit_reward_model(contexts[:20], arms[:20], rewards[:20], steps=20)
    assert padded.inputs.shape[0] == 32 and int(padded.padding.sum()) == 12
    plain = RewardModel(padded.params, padded.inputs[:20], padded.rewards[:20], padded.mean, 1,
                        jnp.zeros(20, bool))  # fmt: skip
    for context in (jnp.asarray([-1.0]), jnp.asarray([0.4])):
        for a, b in zip(padded.predict(context), plain.predict(context), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
