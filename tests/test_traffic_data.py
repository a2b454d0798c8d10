"""Traffic data in the PEMS layout: reading with one-line errors, chronological splits, windows,
training-split normalisation, the two graphs, masked errors, and the CTM simulator's vehicle
conservation."""

import numpy as np
import pytest

from pdes import traffic
from pdes.traffic._simulator import CAPACITY


def _pems(tmp_path, data, rows="from,to,cost\n0,1,2.5\n1,2,4.0\n"):
    np.savez(tmp_path / "d.npz", data=data)
    (tmp_path / "d.csv").write_text(rows)
    return tmp_path / "d.npz", tmp_path / "d.csv"


def test_written_files_read_back(tmp_path):
    data = np.random.default_rng(0).uniform(0, 100, (50, 3, 2))
    traffic.write_pems(tmp_path, "toy", data, np.array([[0, 1, 2.5], [2, 1, 4.0]]))
    road = traffic.read_pems(tmp_path / "toy.npz", tmp_path / "toy.csv")
    np.testing.assert_array_equal(road.data, data)
    assert road.distances[0, 1] == road.distances[1, 0] == 2.5
    assert road.distances[1, 2] == 4.0 and np.isinf(road.distances[0, 2])


@pytest.mark.parametrize(
    ("data", "rows", "message"),
    [
        (np.ones((40, 3, 1, 1)), None, r"d.npz: 'data' must be \[T, N, F\].*\(40, 3, 1, 1\)"),
        (np.ones(40), None, r"must be \[T, N, F\]"),
        (np.ones((40, 3, 1)), "from,to,cost\n0,1,2\n1,7,3\n", r"line 3: sensor 7 is unknown"),
        (np.ones((40, 3, 1)), "from,to,cost\n0,1,x\n", r"line 2: cost 'x' is not a number"),
        (np.ones((40, 3, 1)), "from,to,cost\n0,1,-2\n", r"line 2: cost -2.0 is not a distance"),
        (np.ones((40, 3, 1)), "from,to,cost\ninf,1,2\n", r"line 2: sensor 'inf' is not an index"),
        (np.ones((40, 3, 1)), "from,to,cost\n0,1\n", r"line 2 has 2 fields"),
        (np.where(np.arange(120).reshape(40, 3, 1) == 100, np.nan, 1.0), None, r"data\[33, 1, 0\]"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, data, rows, message):
    paths = _pems(tmp_path, data, *(() if rows is None else (rows,)))
    with pytest.raises(traffic.TrafficFormatError, match=message):
        traffic.read_pems(*paths)


def test_an_npy_file_is_refused_in_one_line(tmp_path):
    np.save(tmp_path / "d.npy", np.ones((40, 3, 1)))
    (tmp_path / "d.csv").write_text("from,to,cost\n")
    with pytest.raises(traffic.TrafficFormatError, match=r"d.npy: not an .npz archive"):
        traffic.read_pems(tmp_path / "d.npy", tmp_path / "d.csv")


def test_sensor_ids_map_the_distance_file(tmp_path):
    """PEMS03-style: the CSV names sensor ids, listed one per line in an id file."""
    paths = _pems(tmp_path, np.ones((40, 2, 1)), "from,to,cost\n3141,2718,5.0\n")
    (tmp_path / "ids.txt").write_text("2718\n3141\n")
    road = traffic.read_pems(*paths, tmp_path / "ids.txt")
    assert road.distances[1, 0] == 5.0
    (tmp_path / "ids.txt").write_text("2718\n1000\n")
    with pytest.raises(traffic.TrafficFormatError, match=r"line 2: sensor '3141' is not in"):
        traffic.read_pems(*paths, tmp_path / "ids.txt")


def test_split_and_windows_follow_the_official_sampling():
    """6:2:2 in time, sliced before windowing; x = data[i:i+12] as [N, 12, F], y = the next 12
    flows as [N, 12]."""
    data = np.arange(150 * 2 * 3, dtype=float).reshape(150, 2, 3)
    train, val, test = traffic.split(data)
    assert [p.shape[0] for p in (train, val, test)] == [90, 30, 30]
    np.testing.assert_array_equal(val[0], data[90])
    x, y = traffic.windows(train)
    assert x.shape == (90 - 23, 2, 12, 3) and y.shape == (90 - 23, 2, 12)
    np.testing.assert_array_equal(x[5], data[5:17].transpose(1, 0, 2))
    np.testing.assert_array_equal(y[5], data[17:29, :, 0].T)


def test_a_series_shorter_than_one_window_is_refused():
    with pytest.raises(
        traffic.TrafficFormatError, match=r"validation has 20 time steps, fewer than"
    ):
        traffic.split(np.ones((100, 2, 1)))
    with pytest.raises(traffic.TrafficFormatError, match=r"series has 23 time steps"):
        traffic.windows(np.ones((23, 2, 1)))


def test_the_normaliser_sees_the_training_split_only():
    """Train readings ~ 10, test readings ~ 1000: statistics of any other split, or of the whole
    series, would move the mean far from 10."""
    rng = np.random.default_rng(1)
    data = np.concatenate([rng.normal(10, 1, (90, 4, 2)), rng.normal(1000, 1, (60, 4, 2))])
    train, _, _ = traffic.split(data)
    normaliser = traffic.fit_normaliser(train)
    np.testing.assert_allclose(normaliser.mean, train.mean(axis=(0, 1)))
    assert np.all(abs(normaliser.mean - 10) < 0.5)
    y = np.array([12.0, 8.0])
    np.testing.assert_allclose(normaliser.flow(normaliser.normalise(y[:, None])[:, 0]), y)


def test_masked_errors_by_hand():
    """Zeros in the truth are missing. Kept errors |2-1|, |4-2|, |1-4| over truths 1, 2, 4:
    MAE 2, RMSE sqrt(14/3), MAPE 100*(1 + 1 + 0.75)/3."""
    truth = np.array([[1.0, 0.0, 2.0, 4.0]])
    predicted = np.array([[2.0, 9.0, 4.0, 1.0]])
    e = traffic.masked_errors(predicted, truth)
    assert e["mae"] == pytest.approx(2.0)
    assert e["rmse"] == pytest.approx(np.sqrt(14 / 3))
    assert e["mape"] == pytest.approx(100 * 2.75 / 3)
    assert e["mae@3"] == pytest.approx(2.0)  # third step: |4 - 2|


def _dtw_reference(a, b, band=None):
    """The textbook O(L²) dynamic programme."""
    n = len(a)
    d = np.full((n + 1, n + 1), np.inf)
    d[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            if band is not None and abs(i - j) > band:
                continue
            d[i, j] = abs(a[i - 1] - b[j - 1]) + min(d[i - 1, j], d[i, j - 1], d[i - 1, j - 1])
    return d[n, n]


@pytest.mark.parametrize("band", [None, 2])
def test_dtw_matches_the_dynamic_programme(x64, band):
    rng = np.random.default_rng(2)
    profiles = rng.normal(size=(4, 17))
    distances = traffic.dtw_matrix(profiles, band=band, chunk=4)
    for i in range(4):
        for j in range(4):
            expected = 0.0 if i == j else _dtw_reference(profiles[i], profiles[j], band)
            assert distances[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_dtw_forgives_a_time_shift():
    """A peak shifted by 3 steps costs 0 (the path absorbs it) but a lot point by point."""
    t = np.arange(40.0)
    a, b = np.exp(-((t - 15) ** 2) / 8), np.exp(-((t - 18) ** 2) / 8)
    assert float(traffic.dtw_distance(a, b)) < 0.05 * np.abs(a - b).sum()


def test_the_graphs_follow_the_official_construction():
    """Spatial: z-scored finite distances through exp(-z²/100), no weight where no road.
    Normalised adjacency: symmetric with eigenvalues in [0, 0.8] (those of I + D^-1/2 A D^-1/2
    lie in [0, 2])."""
    d = np.full((4, 4), np.inf)
    for i, j, c in ((0, 1, 1.0), (1, 2, 2.0), (2, 3, 60.0)):
        d[i, j] = d[j, i] = c
    a = traffic.spatial_adjacency(d)
    z = (np.array([1.0, 2.0, 60.0]) - np.mean([1, 2, 60, 1, 2, 60])) / np.std([1, 2, 60] * 2)
    np.testing.assert_allclose([a[0, 1], a[1, 2], a[2, 3]], np.exp(-(z**2) / 100))
    assert a[0, 2] == 0 and a[0, 0] == 0
    norm = traffic.normalised_adjacency(a)
    np.testing.assert_allclose(norm, norm.T)
    eigenvalues = np.linalg.eigvalsh(norm)
    assert eigenvalues.min() >= -1e-12 and eigenvalues.max() <= 0.8 + 1e-12


@pytest.fixture(scope="module")
def simulated():
    return traffic.simulate_traffic(junctions=30, days=2, seed=3, incidents_per_day=6.0)


def test_the_simulator_conserves_vehicles(simulated):
    """Cells + on-ramp queues + off-ramp exits = arrivals at every 5-minute step. The error is
    float64 rounding accumulated over the running sums of 17 280 steps (each step adds ~1e-16
    of the vehicles present): bound 1e-6 of the most vehicles ever present (measured ~1e-11)."""
    present = simulated.vehicles_in_network.max()
    assert np.abs(simulated.conservation_error).max() < 1e-6 * present


def test_the_simulator_is_deterministic_and_writes_the_pems_layout(simulated, tmp_path):
    again = traffic.simulate_traffic(junctions=30, days=2, seed=3, incidents_per_day=6.0)
    np.testing.assert_array_equal(again.data, simulated.data)
    sensors = simulated.data.shape[1]
    assert simulated.data.shape == (2 * 288, sensors, 3) and sensors > 60
    traffic.write_pems(tmp_path, "sim", simulated.data, simulated.edges)
    road = traffic.read_pems(tmp_path / "sim.npz", tmp_path / "sim.csv")
    assert np.isfinite(road.distances).sum() == 2 * len(simulated.edges)
    assert (simulated.data == 0).any()  # dropouts exercise the masking


def test_free_flow_runs_at_the_free_speed_and_incidents_jam(simulated):
    """Off-peak the sensors read the free speed (100 km/h: with CFL number 1 a free cell empties
    every step). An incident cell passes at most its reduced capacity, exactly; where the flow
    arriving at it exceeded that, the queue grows back through the sensor upstream of it, whose
    occupancy then exceeds any free-flow value."""
    clean = simulated.clean
    night = clean[12:48]  # 01:00-04:00 of the first day
    np.testing.assert_allclose(night[..., 2], 100.0, rtol=1e-9)
    cells, lanes = simulated.network.cells, simulated.network.lanes
    first = np.concatenate([[0], np.cumsum(cells)[:-1]])
    capped = jammed = 0
    for incident in simulated.incidents:
        k, start, end = incident["link"], incident["start"], incident["end"]
        cap = incident["capacity_factor"] * lanes[k] * CAPACITY * 300  # vehicles per 5 min
        if incident["cell"] == first[k] + cells[k] // 2:  # on the sensor's own cell
            assert clean[start:end, k, 0].max() <= cap * (1 + 1e-9)
            capped += 1
        elif clean[start - 1, k, 0] > 1.2 * cap:  # downstream of it, and binding
            assert clean[start:end, k, 1].max() > 0.5 > night[..., 1].max()
            jammed += 1
    assert capped and jammed  # this seed has both kinds
