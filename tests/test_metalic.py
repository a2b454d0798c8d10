"""METALIC: rewards, arm numbering, the family trainer (θ traced) against the closure-built
multi-domain PINN, arms trained side by side against one by one, and the bandit loop on a
synthetic reward where the best condition set is known."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pdes import families
from sciml.pinn._bandit import ARMS
from sciml.pinn._interfaces import condition_mask
from sciml.pinn._metalic import (
    FIXED,
    Budget,
    Stage,
    Trainer,
    arm_bits,
    arm_number,
    held_out_contexts,
    reward,
    run_bandit,
)
from sciml.pinn._multi_domain import composite, family_problem, train_multi_domain

# the Adam stage alone keeps these tests to one compile per arm count; the L-BFGS stage is the
# shared minimize_lbfgs, trained in test_multi_domain
TINY = Budget(adam_steps=30, lbfgs_steps=0, interior_points=64, interface_points=16,
              boundary_points=16)  # fmt: skip


def test_reward_is_minus_log10_of_the_capped_error():
    # a reward of 1 is a relative error of 0.1 (seed-models.md 6.9); NaN and > 100 count as 100
    np.testing.assert_allclose(reward([0.1, 1e-3, np.nan, 1e4]), [1.0, 3.0, -2.0, -2.0])


def test_arm_numbers_and_bits_agree_with_condition_masks():
    for number in (0, 1, 17, 300, 511):
        np.testing.assert_array_equal(ARMS[number], condition_mask(number))
        assert arm_number(arm_bits(number)) == number
    assert arm_number(FIXED["continuity"]) == 1  # bit 1 = condition 1
    assert arm_bits(arm_number(FIXED["cpinn"])) == FIXED["cpinn"]


@pytest.fixture(scope="module")
def advection():
    return Trainer("advection", TINY)


def test_the_traced_trainer_is_the_closure_built_pinn(advection):
    # the same keys, data and steps through family_problem/train_multi_domain with θ a Python
    # float: only float32 rounding of a different op order separates them (30 steps of a
    # 2x[2,20,20,1] stack; 1e-4 relative on the predictions is far below any arm's effect)
    theta, key, arm = {"beta": 7.0}, jax.random.key(3), arm_number("100010000")
    stage = advection.adam(theta, [arm], key)
    member = families.instance("advection", **theta)
    problem = family_problem(member, jax.random.fold_in(key, 0), TINY.boundary_points)
    params, _ = train_multi_domain(problem, condition_mask(arm), jax.random.fold_in(key, 1),
                                   adam_steps=TINY.adam_steps, lbfgs_steps=TINY.lbfgs_steps,
                                   interior_points=TINY.interior_points,
                                   interface_points=TINY.interface_points)  # fmt: skip
    direct = composite(params, problem.decomposition, advection.grid)
    np.testing.assert_allclose(stage.predicted[0], direct, rtol=1e-4, atol=1e-5)


def test_arms_side_by_side_match_arms_one_by_one(advection):
    theta, key = {"beta": 3.0}, jax.random.key(0)
    arms = [arm_number(bits) for bits in FIXED.values()]
    together = advection.errors(theta, arms, key)
    alone = np.concatenate([advection.errors(theta, [a], key) for a in arms])
    np.testing.assert_allclose(together, alone, rtol=1e-4)  # batched matmuls round differently
    assert len(np.unique(together[:, 1])) == len(arms)  # the condition sets do differ


def test_single_domain_uses_one_network_and_twice_the_points():
    single = Trainer("advection", TINY, single_domain=True)
    assert single.decomposition.count == 1 and single.scale == 2
    boundary, _, reference = single.data({"beta": 2.0}, jax.random.key(0))
    assert boundary.shape == (1, 2 * TINY.boundary_points, 2)
    assert reference.shape == (101 * 101,)


def test_the_jump_across_the_interface_is_the_step_of_the_composite_solution(advection):
    # the composite takes t < 1/2 from network 1 and t >= 1/2 from network 2: across t = 1/2
    # it steps by the jump; ε = 1e-4 moves each side by at most ε·|u_t| (|u_t| < 10 here)
    stage = advection.adam({"beta": 5.0}, [1], jax.random.key(1))
    jumps = advection.interface_jump(stage, points=11)
    assert jumps.shape == (1, 11)
    x = jnp.linspace(0.0, 2 * np.pi, 11)
    params = jax.tree.map(lambda p: p[0], stage.params)
    side = [composite(params, advection.decomposition, jnp.stack([jnp.full(11, t), x], axis=1))
            for t in (0.5 - 1e-4, 0.5 + 1e-4)]  # fmt: skip
    np.testing.assert_allclose(jumps[0], side[1] - side[0], atol=2e-3)
    assert np.abs(jumps).max() > 1e-2  # networks trained apart for 30 steps do not agree


class SyntheticTrainer:
    """A stand-in with METALIC's trainer interface whose error is 10^(-reward), the reward
    1 + 2·(condition 5 on) − 0.5·(condition 3 on) + 0.3 β/30: the best sets have bit 5 on and
    bit 3 off, whatever β."""

    family, names, ranges, budget = "advection", ["beta"], [(1.0, 30.0)], TINY

    def _error(self, theta, arm):
        bits = np.asarray(ARMS[arm])
        r = 1.0 + 2.0 * bits[4] - 0.5 * bits[2] + 0.3 * theta["beta"] / 30
        return 10.0**-r

    def adam(self, theta, arms, key):
        errors = np.asarray([self._error(theta, a) for a in arms])
        return Stage(None, None, None, None, key, np.ones(1), np.ones((len(arms), 1)) + errors)

    def lbfgs(self, stage, arms):
        return stage


@pytest.mark.parametrize(("heuristic", "mode"), [("ucb", "query"), ("ts", "query"),
                                                 ("ucb", "step")])  # fmt: skip
def test_the_bandit_learns_the_best_conditions_of_a_synthetic_reward(heuristic, mode):
    run = run_bandit(SyntheticTrainer(), heuristic, 0, mode=mode, warmup=6, rounds=10, tests=3,
                     gp_steps=100)  # fmt: skip
    assert [h["phase"] for h in run["history"]] == ["warmup"] * 6 + ["online"] * 10
    assert [t["theta"] for t in run["test"]] == held_out_contexts("advection", 3)
    for t in run["test"]:  # the posterior-mean best arm: condition 5 on, condition 3 off
        assert t["arms"][0][4] == "1" and t["arms"][0][2] == "0", t["arms"]
        assert t["error"] < 10**-2.5
    warm = [h["arms"] for h in run["history"][:6]]
    if mode == "step":  # random warm-up arms differ between the stages
        assert any(a != b for a, b in warm)


def test_bad_settings_are_one_line_errors():
    with pytest.raises(ValueError, match="unknown PDE family 'wave'"):
        Trainer("wave")
    with pytest.raises(ValueError, match="unknown heuristic 'greedy'"):
        run_bandit(SyntheticTrainer(), "greedy")
    with pytest.raises(ValueError, match="warmup must be at least 1"):
        run_bandit(SyntheticTrainer(), warmup=0)
    with pytest.raises(ValueError, match="mode must be 'query'"):
        run_bandit(SyntheticTrainer(), mode="batch")
    with pytest.raises(ValueError, match="a condition set has 9 bits"):
        arm_number("1010")


def test_the_trained_error_is_the_relative_l2_on_the_reference_grid(advection):
    stage = advection.adam({"beta": 1.0}, [1], jax.random.key(2))
    manual = jnp.linalg.norm(stage.predicted[0] - stage.reference) / jnp.linalg.norm(
        stage.reference
    )
    np.testing.assert_allclose(stage.errors[0], manual, rtol=1e-6)
