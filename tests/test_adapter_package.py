"""The worked example of a third-party adapter package (examples/adapter-package) installs offline and
its entry point works as a ``--candidate`` value."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnconform import ROOT
from nnconform.results import read_results
from tests.helpers import run_pytest, tail

PACKAGE = ROOT / "examples" / "adapter-package"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example package installed into a folder of its own (no index, no build isolation: CI has no
    network, and the venv's setuptools builds it)."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("source") / PACKAGE.name  # setuptools writes build files beside it
    shutil.copytree(PACKAGE, source)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation", "--no-deps",
         "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(target.glob("nnconform_example_adapter-*.dist-info/entry_points.txt")), list(target.iterdir())
    return target


def test_entry_point_name_runs_the_suites(installed: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    done = run_pytest(
        "--candidate", "example-torch", "--nnc-results", str(results), "--hypothesis-profile", "mutation",
        "suites/test_registration_register.py",
        env_extra={"PYTHONPATH": f"{ROOT}:{installed}"},
    )  # fmt: skip
    assert done.returncode == 0, tail(done)
    header, items = read_results(results)
    assert header["candidate"] == "example-torch", header
    assert len(items) >= 20 and all(i["outcome"] == "passed" for i in items), [
        (i["nodeid"], i["outcome"]) for i in items if i["outcome"] != "passed"
    ]


def test_unknown_name_lists_the_entry_point(installed: Path) -> None:
    done = run_pytest("--candidate", "no-such-candidate", "suites/test_registration_register.py",
                      env_extra={"PYTHONPATH": f"{ROOT}:{installed}"})  # fmt: skip
    assert done.returncode != 0
    assert "unknown candidate 'no-such-candidate'" in done.stdout + done.stderr, tail(done)
    assert re.search(r"known: .*\bexample-torch(,|$)", done.stdout + done.stderr, re.M), tail(done)
