#!/usr/bin/env python3
"""Set up the project's virtual environment and run its main jobs; needs only Python >= 3.11.

    python3 dev.py demo [ARGS...]    install, then run the quick PDE demo (table + figure)
    python3 dev.py test [ARGS...]    install, then run the test suite (pytest ARGS; one worker per
                                     core, at most 8, unless ARGS choose with -n)
    python3 dev.py lint              install, then ruff format --check and ruff check
    python3 dev.py setup             install only

The environment lives in .venv (override with SCIML_VENV) and is reinstalled when pyproject.toml
or constraints.txt change. Installs are pinned by constraints.txt, the versions CI tested.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("SCIML_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".sciml-installed"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(*command: str | Path) -> None:
    subprocess.run([str(c) for c in command], cwd=ROOT, check=True)


def setup() -> None:
    """Create the venv and install the project with its dev extras, if anything changed."""
    if sys.version_info < (3, 11):  # noqa: UP036  dev.py may be started by an older python3
        sys.exit(f"Python >= 3.11 is required, this is {sys.version.split()[0]}")
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    if not PYTHON.exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing sciml-jax and its dependencies (first time: a few minutes)", flush=True)
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    constraints = ["-c", "constraints.txt"] if (ROOT / "constraints.txt").exists() else []
    _run(PYTHON, "-m", "pip", "install", "--quiet", *constraints, "-e", ".[dev]")
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    task, args = (argv[0], argv[1:]) if argv else ("help", [])
    if task not in ("demo", "test", "lint", "setup"):
        print(__doc__)
        return 0 if task == "help" else 2
    setup()
    if task == "demo":
        return subprocess.call([str(BIN / "sciml"), "demo", *args], cwd=ROOT)
    if task == "test":
        # tests are compile-bound and mostly single-threaded: two workers on 2 cores take the
        # suite from about 22 to 13.5 minutes
        workers = (
            [] if any(a.startswith("-n") for a in args) else ["-n", "auto", "--maxprocesses=8"]
        )
        return subprocess.call([str(PYTHON), "-m", "pytest", *workers, *args], cwd=ROOT)
    if task == "lint":
        first = subprocess.call([str(BIN / "ruff"), "format", "--check", "."], cwd=ROOT)
        return first or subprocess.call([str(BIN / "ruff"), "check", "."], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
