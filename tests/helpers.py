"""Running pytest in a subprocess the way a user would, for the project's own tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nnconform
from nnconform.results import read_results


def run_pytest(
    *args: str, cwd: Path = nnconform.ROOT, timeout: int = 900, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(nnconform.ROOT), PYTHONDONTWRITEBYTECODE="1")
    env.update(env_extra or {})
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "nnconform.plugin",
        "--rootdir",
        str(nnconform.ROOT),
        "-c",
        str(nnconform.ROOT / "pyproject.toml"),
        *args,
    ]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def outcomes(results_file: Path) -> dict[str, str]:
    _, items = read_results(results_file)
    return {item["nodeid"]: item["outcome"] for item in items}


def tail(done: subprocess.CompletedProcess[str], chars: int = 4000) -> str:
    out, err = done.stdout[-chars:], done.stderr[-chars:]
    return f"exit {done.returncode}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
