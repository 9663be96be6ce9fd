"""torch's module wrappers as candidates: they resolve by name, run the suites to completion, judge
only the tests that hand their modules to the wrapper, show each wrapper's known deviation, and refuse
a tree only for the reason the wrapper is known to refuse it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters import known_names, resolve_candidate
from adapters.torch_wrappers import WRAPPERS
from tests.helpers import run_pytest, tail

# a file of tests marked `wrapped`, and one whose tests observe plain modules
WRAPPED_FILE = "suites/test_state_dict_save.py"
PLAIN_FILE = "suites/test_registration_repr.py"

# what each wrapper is known to do to a state dict: (clause, text its failure must show)
KNOWN_DEVIATION: dict[str, tuple[str, str]] = {
    "torch-compile": ("SD-SAVE-KEYS", "'_orig_mod."),
    "torch-dataparallel": ("SD-SAVE-KEYS", "'module."),
    "torch-parametrize": ("SD-SAVE-KEYS", "parametrizations."),
    "torch-jit-script": ("SD-SAVE-EXTRA-STATE", "_extra_state"),
    # the GraphModule keeps a tensor shared by several slots under its first name only
    "torch-fx": ("SD-SAVE-SHARED", "lacks"),
    # the traced module calls no Python override of the tree
    "torch-jit-trace": ("SD-SAVE-PER-MODULE", "_save_to_state_dict calls []"),
}

# the one reason a wrapper may refuse some of the suites' trees (a test is then not applicable); every
# other wrapper takes them all (they have a forward to trace, see suites/support/state_dict_trees.py)
KNOWN_REFUSAL: dict[str, str] = {
    "torch-jit-trace": "don't support parameter sharing",  # one tensor under two names of one module
}


def test_every_wrapper_resolves_by_name_and_wraps() -> None:
    assert set(KNOWN_DEVIATION) == set(WRAPPERS)
    names = known_names()
    for name in WRAPPERS:
        assert name in names, f"{name} missing from the known candidate names"
        cand = resolve_candidate(name)
        assert cand.name == name and cand.wraps, f"{name} resolved to {cand!r}, which does not wrap"
        assert f"prepare = {WRAPPERS[name].source}" in cand.repro_prelude
    assert not resolve_candidate("torch").wraps and not resolve_candidate("oracle").wraps


def _records(path: Path) -> list[dict[str, object]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r.get("kind") != "header" and "outcome" in r]


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_wrapper_runs_the_suites_and_shows_its_deviation(name: str, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    done = run_pytest(
        "--candidate",
        name,
        "--nnc-results",
        str(results),
        "--nnc-no-report",
        "-q",
        "--hypothesis-profile",
        "mutation",
        WRAPPED_FILE,
        PLAIN_FILE,
    )
    assert done.returncode in (0, 1), f"the run did not complete\n{tail(done)}"
    records = _records(results)
    wrapped = [r for r in records if str(r["nodeid"]).startswith(WRAPPED_FILE)]
    plain = [r for r in records if str(r["nodeid"]).startswith(PLAIN_FILE)]
    assert wrapped and plain, f"no results for one of the files\n{tail(done)}"
    for r in plain:
        assert r["outcome"] == "not_applicable" and "not marked 'wrapped'" in str(r["failure"]), (
            f"{r['nodeid']} observes plain modules but reported {r['outcome']}: {r['failure']}"
        )
    refused = [r for r in wrapped if r["outcome"] == "not_applicable"]
    refusal = KNOWN_REFUSAL.get(name)
    for r in refused:
        reason = str(r["failure"])
        assert refusal is not None and "cannot wrap this module" in reason and refusal in reason, (
            f"{name}: {r['nodeid']} is not applicable: {reason}"
        )
    if refusal is not None:
        assert refused, f"{name} refused no tree; expected some refusals naming {refusal!r}"
    clause, text = KNOWN_DEVIATION[name]
    failing = [r for r in wrapped if clause in r["clauses"] and r["outcome"] == "failed"]
    assert failing, f"{name}: no failing test of {clause}\n{tail(done)}"
    assert any(text in str(r["failure"]) for r in failing), (
        f"{name}: the failures of {clause} do not show {text!r}: {str(failing[0]['failure'])[-1500:]}"
    )
