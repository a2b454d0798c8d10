"""The README's code runs as written; the command line gives tables, rows and clear errors."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sciml import cli
from sciml.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.DOTALL).group(1).strip().splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == [
        "python3 dev.py demo",
        "python3 dev.py test",
    ]


@pytest.mark.parametrize("index", range(len(re.findall(r"```python\n", README))))
def test_readme_python_blocks_print_what_their_comments_say(index):
    # every print(...) line of the README's code ends with "# expected output"
    code = re.findall(r"```python\n(.*?)```", README, re.DOTALL)[index]
    expected = [
        line.split("#", 1)[1].strip()
        for line in code.splitlines()
        if line.startswith("print(") and "#" in line
    ]
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert expected and result.stdout.splitlines() == expected


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sciml", *args], capture_output=True, text=True, cwd=ROOT
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bench", "nope"), "unknown benchmark suite 'nope'"),
        (("bench",), "required: suite"),
        (("bench", "convergence", "--out", "/proc/forbidden"), "/proc/forbidden"),
        (("report", "--readme", "missing.md"), "missing.md"),
        (("bench", "convergence", "--only", "heat"), "--only applies to the pinn, operators"),
        (("bench", "operators", "--only", "nope"), "no operator benchmark task nope"),
        (("bench", "pinn", "--only", "nope"), "no PINN benchmark task for nope"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("model.time_frequency=3", "model.time_frequency needs a time-dependent problem"),
        ("optim.keep_hessian=true", "optim.keep_hessian needs optim.quasi_newton=bfgs"),
    ],
)
def test_pinn_input_errors_write_nothing(tmp_path, setting, message):
    result = run_cli("pinn", "poisson", "--out", str(tmp_path / "run"), "--set", setting)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_problems_lists_the_catalogue():
    result = run_cli("problems")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith("advection")
    assert "viscosity=0.003183" in result.stdout


def test_bench_writes_rows_and_report_fills_the_readme(tmp_path, capsys):
    assert cli.main(["bench", "convergence", "--quick", "--out", str(tmp_path / "run")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "run" / "rows.jsonl").read_text().splitlines()]
    assert {row["scheme"] for row in rows} == {"FD2", "FD4", "spectral"}
    assert all(row["commit"] is None or len(row["commit"]) == 40 for row in rows)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["versions"]["jax"] and config["devices"]
    assert "| operator |" in capsys.readouterr().out

    assert json.loads((tmp_path / "run" / "result.json").read_text())["rows"] == len(rows)
    results = tmp_path / "results"
    (results / "convergence").mkdir(parents=True)
    (results / "convergence" / "rows.jsonl").write_text(
        (tmp_path / "run" / "rows.jsonl").read_text()
    )
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro\n<!-- table:convergence -->\nstale\n<!-- /table:convergence -->\nend\n"
    )
    assert cli.main(["report", "--readme", str(readme), "--results", str(results)]) == 0
    text = readme.read_text()
    assert "stale" not in text and "| d2/dx2 1-D | FD4 | neumann | 4 |" in text
    assert text.startswith("intro\n") and text.endswith("end\n")
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_bench_config_records_the_suites_deviations_from_its_protocol(tmp_path, monkeypatch):
    from sciml import bench

    monkeypatch.setitem(bench.SUITES, "twin_pinn", lambda quick, out, only: [])
    monkeypatch.setattr(bench, "table", lambda suite, rows: "")
    assert cli.main(["bench", "twin_pinn", "--out", str(tmp_path / "run")]) == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["deviations"] == bench.DEVIATIONS["twin_pinn"]
    assert all(isinstance(why, str) and why for why in config["deviations"].values())
    assert cli.main(["bench", "convergence", "--quick", "--out", str(tmp_path / "other")]) == 0
    assert "deviations" not in json.loads((tmp_path / "other" / "config.json").read_text())


def test_pinn_table_gives_mean_and_std_over_seeds():
    from sciml.bench import pinn_table

    rows = [
        {"problem": "heat", "config": "quick", "rel_l2": e, "wall_seconds": w}
        | {"adam_steps": 100, "lbfgs_steps": 0, "steps_per_second": 50.0}
        for e, w in [(1e-3, 10.0), (3e-3, 20.0)]
    ]
    table = pinn_table(rows)
    # mean 2e-3, population std 1e-3 (numpy's default), best seed 1e-3, wall 15 ± 5
    assert (
        "| heat | quick | 2 | 100 Adam + 0 L-BFGS | 15 ± 5 | 50 | 2.00e-03 ± 1.0e-03 | 1.00e-03 |"
        in table
    )


def test_operators_table_gives_mean_and_std_and_the_published_number():
    from sciml.bench import operators_table

    base = {"problem": "darcy85-fno", "label": "fno", "generator": "darcy", "model": "fno"}
    base |= {"resolution": [85, 85], "train": 1000, "test": 100, "parameters": 2368001}
    base |= {"epochs": 20, "test_rel_h1": 0.05, "seconds_per_epoch": 10.0}
    runs = [(0.01, 100.0, 1e-6), (0.03, 300.0, 3e-6)]
    rows = [base | {"test_rel_l2": e, "wall_seconds": w, "test_mse": m} for e, w, m in runs]
    table = operators_table(rows)
    # mean 0.02, population std 0.01; MSE 2e-6 ± 1e-6; the FNO paper's s = 85 value beside it
    assert "| darcy 85x85 (1000/100) | fno | 2,368,001 | 20 | 2 | 200 ± 100 | 10.0 |" in table
    assert "0.0200 ± 0.0100 | 0.0500 | 2.00e-06 ± 1.0e-06 | 0.0108 | FNO paper, s = 85" in table
    # rows written before the MSE column show none
    old = operators_table([{k: v for k, v in r.items() if k != "test_mse"} for r in rows])
    assert "| 0.0500 | — | 0.0108 |" in old
    # runs that also scored the evaluation at their lowest training loss show it beside
    best = [
        r | {"test_mse_best_train_loss": m / 2} for r, (_, _, m) in zip(rows, runs, strict=True)
    ]
    expected = "(at the lowest training loss: 1.00e-06 ± 5.0e-07, median 1.00e-06, lowest 5.00e-07)"
    assert f"2.00e-06 ± 1.0e-06 {expected} |" in operators_table(best)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pinn-dd", "kdv2"), "unknown PDE family 'kdv2'"),
        (("pinn-dd", "advection", "--conditions", "1010"), "a condition set has 9 bits"),
        (("pinn-dd", "advection", "--param", "beta=40"), "beta=40.0 is outside [1.0, 30.0]"),
        (("pinn-dd", "heat", "--param", "a=1"), "heat takes parameters a, b, c, d"),
        (("pinn-dd", "advection", "--adam-steps", "-1"), "--adam-steps must be at least 0"),
        (("pinn-dd", "advection", "--param", "beta"), "--param takes NAME=NUMBER, got 'beta'"),
        (("metalic", "advection", "--tests", "0"), "--tests must be at least 1"),
        (("bench", "metalic", "--only", "advection-greedy"), "advection-greedy"),
    ],
)
def test_multi_domain_commands_refuse_bad_input_in_one_line(args, message, capsys):
    """In-process (the subprocess path is the test above): exit 2, one line, nothing trained."""
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
