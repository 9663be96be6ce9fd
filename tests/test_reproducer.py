"""A differential failure's reproducer is a standalone script that shows the departure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from adapters.torch_adapter import TORCH_PRELUDE
from mutants.catalog import candidate
from nnconform.results import read_results
from tests.helpers import run_pytest, tail

MUTANT = "reg-named-modules-drops-parent-prefix"  # one the differential finds under every profile


def test_reproducer_fails_on_the_mutant_and_passes_on_torch(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    done = run_pytest(
        "--candidate",
        f"mutant:{MUTANT}",
        "--nnc-results",
        str(results),
        "suites/test_registration_differential.py",
    )
    assert done.returncode == 1, tail(done)
    _, items = read_results(results)
    details = items[0]["details"]
    assert items[0]["outcome"] == "failed" and details, items
    message = items[0]["failure"]
    position = 0
    for word in ("clauses:", "program (", "oracle observed", "candidate mutant", "--- 8<"):
        assert word in message[position:], f"the failure text lacks {word!r} after position {position}"
        position = message.index(word, position)
    assert len(details["program"]) <= 12, f"the program was not shrunk: {details['program']}"

    script = tmp_path / "repro.py"
    script.write_text(details["reproducer"])
    ran = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert ran.returncode == 1 and "AssertionError" in ran.stderr, ran.stdout + ran.stderr

    torch_script = tmp_path / "repro_torch.py"
    torch_script.write_text(details["reproducer"].replace(candidate(MUTANT).repro_prelude, TORCH_PRELUDE))
    ran = subprocess.run(
        [sys.executable, str(torch_script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert ran.returncode == 0 and "no departure" in ran.stdout, ran.stdout + ran.stderr
