"""Imports point one way: physics <- pdes <- sciml (DESIGN.md section 1)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)
ALLOWED = {
    "physics": {"physics", "jax", "numpy", "jaxtyping"},
    # scipy: Sobol direction numbers (pdes.samplers), Delaunay triangulation and spanning trees
    # (pdes.traffic); jax itself depends on it
    "pdes": {"pdes", "physics", "jax", "numpy", "jaxtyping", "scipy", "diffrax", "h5py"},
}


def imported_roots(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def violations(package_dir: Path, allowed: set[str]) -> list[str]:
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        for root in sorted(imported_roots(path.read_text()) - allowed - STDLIB):
            found.append(f"{path.relative_to(package_dir.parent)} imports {root}")
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package):
    assert violations(ROOT / package, ALLOWED[package]) == []


def test_checker_catches_a_violation(tmp_path):
    bad = tmp_path / "physics"
    bad.mkdir()
    (bad / "model.py").write_text(
        "import jax\nfrom flax import linen as nn\nfrom sciml.train import fit\n"
    )
    assert violations(bad, ALLOWED["physics"]) == [
        "physics/model.py imports flax",
        "physics/model.py imports sciml",
    ]


def test_importing_physics_and_pdes_loads_no_training_library():
    code = (
        "import sys, physics, pdes; "
        "bad = [m for m in ('flax', 'optax', 'orbax', 'jraph', 'sciml') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_does_not_enable_x64():
    code = "import jax, physics, pdes, sciml.cli; assert not jax.config.jax_enable_x64"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
