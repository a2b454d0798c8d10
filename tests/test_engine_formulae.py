"""The six empirical formulae as replaceable functions and their neural surrogates (Step 4b):
the published formulae through the replacement path reproduce the model, surrogates learn,
round-trip through storage, and drive the V2 PINN."""

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import linen as nn

from pdes import engines as sim
from physics import engines as E
from sciml.bench import _twin_surrogates as surrogate_bench
from sciml.bench._twin_surrogates import _stored
from sciml.models import MLP
from sciml.twin import PinnSettings, cut_window, fit_by_pinn, load_actuator_operator
from sciml.twin._surrogates import (
    DEPTH,
    WIDTH,
    Surrogate,
    _polish,
    boxes,
    formula_inputs,
    load_surrogates,
    save_surrogates,
    train_surrogate,
)

P = E.EngineParameters()
OPERATORS = Path(__file__).parents[1] / "benchmarks/results/twin_actuators/operators"


@pytest.fixture(scope="module")
def scenario():
    with jax.enable_x64(True):
        return sim.generate_scenarios("staircase", 1, 3, P, duration=8.0)[0]


def _signals(scenario, formulae=None):
    a = scenario["arrays"]
    commands = sim.EngineCommands(
        *(jnp.asarray(a[k]) for k in ("command-times", "command-values", "command-history"))
    )
    x = {n: jnp.asarray(a["states"][:, i]) for i, n in enumerate(sim.STATES)}
    state = E.GasFlowState(*(x[n] for n in E.GasFlowState._fields))
    inputs = commands.inputs(jnp.asarray(a["t-coordinate"]), P)
    return jax.vmap(lambda x, u: E.gas_flow_signals(x, u, P, formulae=formulae))(state, inputs)


def test_published_formulae_through_the_replacement_path_reproduce_the_model(x64, scenario):
    """Every signal along an 8 s trajectory: the same operations, F_vgt = f_vgt·f_Πt multiplied
    in another order, so equal to a few ulps (1e-14 relative)."""
    exact = _signals(scenario)
    replaced = _signals(scenario, E.published_formulae(P))
    for name, a, b in zip(exact._fields, exact, replaced, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-14, atol=1e-300, err_msg=name)


def test_a_surrogate_learns_a_formula_and_round_trips(x64, scenario, tmp_path):
    """η_c(W_c, Π_c) on this scenario's box: 3000 Adam steps then 300 full-batch L-BFGS
    iterations on 2000 points. A constant gives the relative deviation of η_c (0.13 here) and
    Adam alone stops near 1.5e-3, so < 1e-4 needs the quasi-Newton polish to work (it reaches
    8e-6); the stored surrogate predicts exactly what the trained one does."""
    box = boxes(formula_inputs([scenario], P))
    exact = E.published_formulae(P)
    lower, upper = box["eta_c"]
    surrogate, metrics = train_surrogate(
        exact.eta_c, lower, upper, points=2000, steps=3000, batch=1000, lbfgs_steps=300,
        lm_steps=0,
    )  # fmt: skip
    assert metrics["rel_l2_test"] < 1e-4
    formulae = E.Formulae(*[surrogate] * 6)
    save_surrogates(tmp_path, formulae, {n: metrics for n in E.Formulae._fields})
    loaded, meta = load_surrogates(tmp_path)
    w_c = np.linspace(lower[0], upper[0], 7)
    pi_c = np.linspace(lower[1], upper[1], 7)
    np.testing.assert_array_equal(loaded.eta_c(w_c, pi_c), surrogate(w_c, pi_c))
    assert meta["eta_c"]["rel_l2_test"] == metrics["rel_l2_test"]


@pytest.mark.slow  # ~40 s on 2 cores: two trainings with Adam, L-BFGS and LM
def test_residual_refinement_puts_points_where_the_error_is(x64):
    """A ramp 1/25 wide (like η_tm's c_m ramp, 0.4 % of its box) that a uniform hypercube of 300
    points samples with 12: with the same budget, 60 refined points (the worst of 3000 fresh
    candidates after L-BFGS) cut the largest held-out error, which sits at the ramp's kinks
    (0.035 -> 0.019 when written; 0.7x leaves room for rounding across machines)."""

    def ramp(x):
        return np.clip(25.0 * (x - 0.6), 0.0, 1.0) + 0.3 * x

    settings = dict(points=300, steps=2000, batch=300, lbfgs_steps=200, lm_steps=20)
    _, uniform = train_surrogate(ramp, [0.0], [1.0], refine=0, **settings)
    _, refined = train_surrogate(ramp, [0.0], [1.0], refine=60, **settings)
    assert refined["refine"] == 60
    assert refined["max_abs_error_test"] < 0.7 * uniform["max_abs_error_test"]


def test_the_levenberg_marquardt_polish_solves_least_squares_over_padded_blocks(x64):
    """With a model linear in its weights (one dense layer) the polish must land on the
    least-squares solution of the 1500 points themselves: they fill two blocks of 1000, so the
    500 padded points (x = 0, target 0) must carry no weight. Conditioning of [x, 1] is O(1):
    1e-10 absolute on the weights."""
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(-1.0, 1.0, (1500, 3)))
    y = jnp.asarray(np.sin(np.asarray(x) @ [1.0, 2.0, -1.0]) + 0.5)
    model = nn.Dense(1)
    params = model.init(jax.random.PRNGKey(0), x[:1])
    polished, loss = _polish(model, params, x, y, steps=50)
    design = np.c_[np.asarray(x), np.ones(len(x))]
    weights, *_ = np.linalg.lstsq(design, np.asarray(y), rcond=None)
    np.testing.assert_allclose(polished["params"]["kernel"][:, 0], weights[:3], atol=1e-10)
    np.testing.assert_allclose(polished["params"]["bias"][0], weights[3], atol=1e-10)
    np.testing.assert_allclose(loss, np.mean((design @ weights - np.asarray(y)) ** 2), rtol=1e-9)


def test_a_partial_surrogate_run_keeps_the_stored_weights_bit_for_bit(tmp_path):
    """``sciml bench twin_surrogates --only`` re-saves the surrogates it did not train: loaded
    outside float64 mode they must not pass through float32 (a rounding of 6e-8 relative on
    every weight, above the best surrogates' 2e-7 error)."""
    rng = np.random.default_rng(0)
    template = MLP(WIDTH, DEPTH).init(jax.random.PRNGKey(0), np.zeros((1, 2)))
    params = jax.tree.map(lambda a: rng.standard_normal(a.shape), template)
    one = Surrogate(params, np.zeros(2), np.ones(2), 0.5, 2.0)
    save_surrogates(tmp_path, E.Formulae(*[one] * 6), {n: {} for n in E.Formulae._fields})
    kept, _ = _stored(tmp_path)  # outside the x64 fixture on purpose
    leaves = zip(jax.tree.leaves(kept["eta_c"].params), jax.tree.leaves(params), strict=True)
    for got, expected in leaves:
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, expected)


def test_the_surrogate_bench_gives_eta_tm_its_own_budget(monkeypatch, tmp_path):
    """The recorded deviation: η_tm on 4·10⁴ points with 160 LM trials, the others on the
    protocol's 2·10⁴ with 60; and a clean run stores every formula it trained."""
    calls = {}

    def train(scenarios, params, *, names, points, lm_steps, **settings):
        (name,) = names  # one formula per call
        calls[name] = (points, lm_steps)
        metrics = {"rel_l2_test": 0.0, "noise": settings["noise"]}
        return {name: name}, {name: metrics}

    stored = {}
    monkeypatch.setattr(surrogate_bench, "lab_scenarios", lambda *a: [])
    monkeypatch.setattr(surrogate_bench, "train_surrogates", train)
    monkeypatch.setattr(surrogate_bench, "save_surrogates", lambda w, f, m: stored.update(m))
    only = [f"{n}-noise0" for n in E.Formulae._fields]
    rows = surrogate_bench.twin_surrogate_rows(out=tmp_path / "runs", only=only)
    budgets = {n: (40_000, 160) if n == "eta_tm" else (20_000, 60) for n in E.Formulae._fields}
    assert calls == budgets
    assert "eta_tm points and LM trials" in surrogate_bench.DEVIATIONS
    assert sorted(stored) == sorted(E.Formulae._fields)
    assert [r["formula"] for r in rows] == list(E.Formulae._fields)


def test_boxes_refuse_inputs_that_do_not_vary():
    inputs = {n: np.linspace(0.0, 1.0, 50) for n in ("p_im", "n_e", "u_egr", "u_vgt", "Pi_t")}
    inputs |= {n: np.linspace(1.0, 2.0, 50) for n in ("omega_t", "T_em", "W_c")}
    inputs["Pi_c"] = np.ones(50)
    with pytest.raises(ValueError, match=r"eta_c: the lab scenarios do not vary \['Pi_c'\]"):
        boxes(inputs)


def test_v2_with_the_published_formulae_is_v1(x64, scenario):
    """V2 evaluates the model through the replacement path: with the published formulae in place
    of surrogates it is V1 (same operators, same seed), to rounding amplified over 20 steps."""
    data = SimpleNamespace(arrays=scenario["arrays"], attrs=scenario["attrs"])
    observed = sim.OBSERVATION_SETS["O1"]
    cut = [cut_window(data, s, 4.0, observed, 0.0) for s in (0.0, 4.0)]
    windows = jax.tree.map(lambda *w: jnp.stack(w), *cut)
    operators = tuple(load_actuator_operator(OPERATORS, a) for a in ("egr", "vgt"))
    v1 = PinnSettings(variant="V1", steps=20, chunk=10, tolerance=0.0, width=8, depth=2)
    common = dict(initial_factors=[1.2, 0.8, 1.1, 0.9], operators=operators)
    first = fit_by_pinn(windows, P, observed, v1, **common)
    v2 = dataclasses.replace(v1, variant="V2")
    second = fit_by_pinn(windows, P, observed, v2, surrogates=E.published_formulae(P), **common)
    np.testing.assert_allclose(second.log_factors, first.log_factors, rtol=1e-9)
    assert second.history[-1]["loss"] == pytest.approx(first.history[-1]["loss"], rel=1e-9)
    with pytest.raises(ValueError, match="V2, and only V2, takes the formula surrogates"):
        fit_by_pinn(windows, P, observed, v2, **common)
