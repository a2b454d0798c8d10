"""Engine scenario data: input families, the envelope guard, measurements and their noise, the
scenario files, users' CSV measurements and ``sciml twin simulate``."""

import jax
import numpy as np
import pytest

from pdes import datasets
from pdes import engines as sim
from physics import engines as E
from sciml import cli

P = E.EngineParameters()


@pytest.mark.parametrize("family", sorted(sim.FAMILIES))
def test_families_stay_in_range_and_are_deterministic(x64, family):
    key = jax.random.PRNGKey(3)
    commands = sim.FAMILIES[family](key, 30.0)
    again = sim.FAMILIES[family](key, 30.0)
    other = sim.FAMILIES[family](jax.random.PRNGKey(4), 30.0)
    values = np.asarray(commands.values)
    assert values.shape == (3001, 4)
    np.testing.assert_array_equal(values, np.asarray(again.values))
    assert not np.array_equal(values, np.asarray(other.values))
    low, high = np.asarray(sim.RANGES).T
    assert np.all(values >= low - 1e-9) and np.all(values <= high + 1e-9)
    np.testing.assert_allclose(np.diff(np.asarray(commands.times)), sim.GRID, atol=1e-12)


def test_staircase_holds_each_level_at_least_two_seconds(x64):
    values = np.asarray(sim.staircase(jax.random.PRNGKey(0), 60.0).values)
    for column in values.T:
        changes = np.flatnonzero(np.diff(column) != 0)
        assert changes.size >= 5  # 60 s of holds of at most 8 s
        assert np.all(np.diff(changes) * sim.GRID >= 2.0 - 1e-9)


def test_excitation_is_a_prbs_around_mid_range_on_a_half_second_clock(x64):
    commands = sim.excitation(jax.random.PRNGKey(1), 20.0)
    values = np.asarray(commands.values)
    assert np.unique(values[:, 0]).size == 1 and np.unique(values[:, 1]).size == 1
    np.testing.assert_array_equal(np.unique(values[:, 2]), [30.0, 50.0])  # 40 ± 10 %
    np.testing.assert_array_equal(np.unique(values[:, 3]), [50.0, 70.0])  # 60 ± 10 %
    switches = np.flatnonzero(np.diff(values[:, 2]) != 0) + 1
    np.testing.assert_allclose((switches * sim.GRID) % 0.5, 0.0, atol=1e-9)


def test_jump_times_mark_only_changes_plus_their_delays(x64):
    commands = sim.EngineCommands.piecewise(
        [0.0, 0.01, 0.02, 0.03],
        [
            [1500, 110, 80, 75],
            [1600, 110, 80, 75],
            [1600, 120, 80, 75],
            [1600, 120, 60, 75],
        ],
    )
    jumps = np.asarray(commands.jump_times(P))
    inside = jumps[jumps < 1e5]
    # n_e is interpolated (no jump); fuel jumps at 0.02; EGR reaches the valve at 0.03 + 65 ms.
    np.testing.assert_allclose(inside, [0.02, 0.03 + P.tau_degr])
    assert jumps.size == 12  # padded to 3K so that histories batch


def test_envelope_guard_names_the_violation():
    states = np.tile([1.5e5, 1.6e5, 0.2, 0.1, 6000.0, 0, 0, 0], (100, 1))
    signals = np.ones((100, len(sim.SIGNALS))) * 2.0
    assert sim.envelope_violation(states, signals, P) is None
    rich = signals.copy()
    rich[:5, sim.SIGNALS.index("lambda_air")] = 1.1
    assert "lambda_air < 1.2 on 5.0 %" in sim.envelope_violation(states, rich, P)
    low = states.copy()
    low[10, 0] = 0.4 * P.p_amb
    assert sim.envelope_violation(low, signals, P) == "p_im reaches its integrator limit"
    broken = states.copy()
    broken[3, 4] = np.nan
    assert "solve failed" in sim.envelope_violation(broken, signals, P)


NOISE_SPREAD = (0.6, 1.4)
"""The sample std of 5 × 51 Gaussian draws is within ±40 % of sigma with probability > 1 - 1e-9."""


def test_generated_scenarios_are_reproducible_and_noised_as_specified(x64, tmp_path):
    first = sim.generate_scenarios("excitation", 2, 5, P, duration=5.0, batch=2)
    again = sim.generate_scenarios("excitation", 1, 5, P, duration=5.0, batch=1)
    a, b = first[0]["arrays"], again[0]["arrays"]
    np.testing.assert_array_equal(a["command-values"], b["command-values"])
    # Batched and single solves round differently and adaptive steps amplify that; 1e-6 is the
    # protocol's bound for two solvers agreeing (step 2).
    np.testing.assert_allclose(a["states"], b["states"], rtol=1e-6)
    for k in range(len(sim.MEASURABLE)):  # W_egr ∝ a small pressure difference: scale-relative
        x, y = a["measured"][..., k], b["measured"][..., k]
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6 * np.abs(y).max())
    arrays, attrs = first[0]["arrays"], first[0]["attrs"]
    assert attrs["envelope"] == "inside" and attrs["params"]["A_egrmax"] == P.A_egrmax
    assert arrays["states"].shape == (501, 8) and arrays["signals"].shape == (501, 22)
    measured = arrays["measured"]
    assert measured.shape == (len(sim.NOISE_LEVELS), 51, len(sim.MEASURABLE))
    clean = measured[0]
    np.testing.assert_array_equal(clean[:, 0], arrays["states"][::10, 0])  # p_im, noise-free
    np.testing.assert_array_equal(clean[:, 3], arrays["signals"][::10, sim.SIGNALS.index("W_egr")])
    sigma = np.std(clean, axis=0)
    for level, noisy in zip(sim.NOISE_LEVELS[1:], measured[1:], strict=True):
        spread = np.std((noisy - clean) / (level * sigma))
        assert NOISE_SPREAD[0] < spread < NOISE_SPREAD[1]
    # The run starts at equilibrium: the first second (before any PRBS switch) is at rest.
    p_im = arrays["states"][:, 0]
    first_switch = np.flatnonzero(np.diff(arrays["command-values"][:, 2:], axis=0).any(1))
    rest = p_im[: max(int(first_switch[0]) if first_switch.size else 50, 2)]
    np.testing.assert_allclose(rest, rest[0], rtol=1e-7)

    path = tmp_path / "s.h5"
    sim.write_scenario(path, first[1])
    data = sim.read_scenario(path)
    np.testing.assert_array_equal(data.arrays["measured"], first[1]["arrays"]["measured"])
    assert data.attrs["family"] == "excitation" and data.attrs["index"] == 1
    datasets.write(tmp_path / "other.h5", {"tensor": np.zeros(3)}, {"generator": "darcy"})
    with pytest.raises(datasets.DatasetError, match="not an engine scenario file"):
        sim.read_scenario(tmp_path / "other.h5")


def test_generator_rejects_bad_arguments():
    with pytest.raises(ValueError, match="unknown scenario family 'stairs'"):
        sim.generate_scenarios("stairs", 1, 0, P)
    with pytest.raises(ValueError, match="need n >= 1"):
        sim.generate_scenarios("smooth", 0, 0, P)


def _csv(path, header, rows):
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


GOOD_ROWS = ["0,1500,110,80,75,150000", "0.1,1500,110,80,75,150100", "0.2,1500,110,80,65,150200"]


@pytest.mark.parametrize(
    "header, rows, message",
    [
        ("time,n_e,u_delta,u_egr,p_im", GOOD_ROWS, "missing column 'u_vgt'"),
        ("time,n_e,u_delta,u_egr,u_vgt,pim", GOOD_ROWS, "unknown column 'pim' .*'p_im'"),
        ("time,n_e,u_delta,u_egr,u_vgt,p_im", [*GOOD_ROWS, "0.15,1500,110,80,75,1e5"],
         r"column 'time', line 5: 0\.15 does not increase"),
        ("time,n_e,u_delta,u_egr,u_vgt,p_im", [*GOOD_ROWS[:2], "0.2,1500,110,80,75,nan"],
         "column 'p_im', line 4: nan is not finite"),
        ("time,n_e,u_delta,u_egr,u_vgt,p_im", [*GOOD_ROWS[:2], "0.2,1500,110,80,75,abc"],
         "column 'p_im', line 4: 'abc' is not a number"),
        ("time,n_e,u_delta,u_egr,u_vgt,p_im", [*GOOD_ROWS[:2], "0.2,1500,110,80,75,-3"],
         r"column 'p_im', line 4: -3 is outside the physical range"),
        ("time,n_e,u_delta,u_egr,u_vgt,p_im", [*GOOD_ROWS[:2], "0.2,1500,110,180,75,1e5"],
         "column 'u_egr', line 4: 180 is outside"),
        ("time,n_e,u_delta,u_egr,u_vgt,p_im", [*GOOD_ROWS[:2], "0.2,1500,110,80"],
         "line 4 has 4 fields, the header has 6"),
        ("time,n_e,u_delta,u_egr,u_vgt", ["0,1500,110,80,75"], "needs at least two samples"),
    ],
)  # fmt: skip
def test_measurement_csv_errors_name_the_column_and_line(tmp_path, header, rows, message):
    with pytest.raises(sim.MeasurementError, match=message):
        sim.read_measurements(_csv(tmp_path / "m.csv", header, rows))


def test_measurement_csv_round_trip(tmp_path):
    time = np.array([0.0, 0.1, 0.2])
    commands = np.array([[1500, 110, 80, 75]] * 3, float)
    path = tmp_path / "w.csv"
    sim.write_measurements(path, time, commands, {"p_im": np.array([1.5e5, 1.51e5, 1.52e5])})
    window = sim.read_measurements(path)
    np.testing.assert_array_equal(window.time, time)
    np.testing.assert_array_equal(np.asarray(window.commands.values), commands)
    np.testing.assert_array_equal(window.signals["p_im"], [1.5e5, 1.51e5, 1.52e5])


def test_cli_twin_simulate_from_a_command_csv(tmp_path, capsys):
    rows = [f"{t / 10:.1f},1500,110,80,{75 if t < 10 else 65}" for t in range(31)]
    path = _csv(tmp_path / "commands.csv", "time,n_e,u_delta,u_egr,u_vgt", rows)
    out = tmp_path / "run"
    assert (
        cli.main(["twin", "simulate", "--commands", str(path), "--out", str(out), "--quiet"]) == 0
    )
    data = sim.read_scenario(out / "scenario-000.h5")
    assert data.attrs["family"] == "csv:commands.csv" and data.attrs["envelope"] == "inside"
    p_im = data.arrays["states"][:, 0]
    assert p_im[-1] > p_im[0]  # closing the vanes raises the boost (section 8.2)
    assert (out / "figures" / "scenario-000.png").stat().st_size > 10_000
    assert "envelope: inside" in capsys.readouterr().out

    bad = _csv(tmp_path / "bad.csv", "time,n_e,u_delta,u_egr,u_vgt", ["0,1500,110,80,75"] * 2)
    assert cli.main(["twin", "simulate", "--commands", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "line 3: 0 does not increase" in err
    assert cli.main(["twin", "simulate", "--family", "smooth", "--set", "A_egrmx=1"]) == 2
    assert (
        "unknown engine parameter 'A_egrmx' (did you mean 'A_egrmax'?)" in capsys.readouterr().err
    )
