"""Small suite runs shared by the report, gate and CLI tests (each run once per test process).

Each run is a pytest subprocess on a subset of suites/test_registration_iteration.py, so the tests
stay fast while exercising the real plugin: results file, end record, report and summary.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

import nnconform
from adapters.base import Candidate

SUITE = "suites/test_registration_iteration.py"
SUBSET = "dedup or prefix"
MUTANT = "mutant:reg-named-modules-always-dedup"
XSS = "<script>document.body.dataset.pwned='1'</script><b id=\"injected\">bold</b> & <img src=x>"
_TMP = Path(tempfile.mkdtemp(prefix="nnconform-report-tests-"))
atexit.register(shutil.rmtree, _TMP, True)


def pytest_run(
    candidate: str, *extra: str, name: str | None = None, subset: str = SUBSET
) -> subprocess.CompletedProcess[str]:
    """Run the suite subset (ci profile without shrinking) against ``candidate``; files named ``name``."""
    out = _TMP / (name or candidate.replace(":", "_").replace(".", "_"))
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", SUITE, "-q", "-p", "no:randomly", "-k", subset,
            "--hypothesis-profile", "mutation", "--candidate", candidate,
            "--nnc-results", str(out) + ".results.jsonl", "--nnc-report", str(out) + ".html", *extra,
        ],
        cwd=nnconform.ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@functools.cache
def results(candidate: str) -> Path:
    """The results file of the subset run for ``candidate`` (its report lies beside it)."""
    pytest_run(candidate)
    path = _TMP / (candidate.replace(":", "_").replace(".", "_") + ".results.jsonl")
    assert path.exists(), f"no results file for {candidate}"
    return path


def tmp_dir() -> Path:
    return _TMP


def xss_candidate() -> Candidate:
    """torch, except that named_modules raises an exception whose message holds HTML and a script."""
    from adapters.torch_adapter import make_candidate
    from mutants.catalog import torch_namespace

    class Module(torch.nn.Module):
        def named_modules(self, *args: Any, **kwargs: Any) -> Any:
            raise ValueError(XSS)

    nn: SimpleNamespace = torch_namespace(Module=Module)
    return replace(make_candidate(), name="xss", nn=nn)
