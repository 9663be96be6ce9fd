"""The suites pass against torch and against the oracle, serially and under xdist, deterministically."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nnconform.results import read_results
from tests.helpers import outcomes, run_pytest, tail

ACCEPTABLE = {"passed", "skipped", "not_applicable"}


# The serial run on the oracle is the poisoned one in tests/test_oracle_independence.py.
@pytest.mark.parametrize(
    ("candidate", "workers"), [("torch", "serial"), ("torch", "-n 2"), ("oracle", "-n 2")]
)
def test_suites_pass(candidate: str, workers: str, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    extra = [] if workers == "serial" else workers.split()
    done = run_pytest("--candidate", candidate, "--nnc-results", str(results), *extra, "suites")
    assert done.returncode == 0, tail(done)
    header, items = read_results(results)
    assert header["candidate"] == candidate and items
    bad = {i["nodeid"]: i["outcome"] for i in items if i["outcome"] not in ACCEPTABLE}
    assert not bad, f"{candidate} ({workers}) has items that did not pass: {bad}"
    skipped = [i for i in items if i["outcome"] == "skipped"]
    assert all(i["failure"] for i in skipped), "every skip must carry its reason"


def _failure_programs(results: Path) -> dict[str, object]:
    _, items = read_results(results)
    return {i["nodeid"]: (i["details"] or {}).get("program") for i in items if i["outcome"] == "failed"}


@pytest.mark.parametrize("seed_args", [[], ["--hypothesis-seed", "20261128"]], ids=["ci-default", "seeded"])
def test_same_seed_gives_identical_results(seed_args: list[str], tmp_path: Path) -> None:
    # A mutant makes some items fail, so identical verdicts also mean identical failures and programs.
    runs = []
    for n in range(2):
        results = tmp_path / f"run{n}.jsonl"
        done = run_pytest(
            "--candidate",
            "mutant:reg-named-modules-always-dedup",
            "--hypothesis-profile",
            "mutation",
            "--nnc-results",
            str(results),
            *seed_args,
            "suites/test_registration_differential.py",
            "suites/test_registration_iteration.py",
        )
        assert done.returncode == 1, tail(done)
        header, _ = read_results(results)
        assert header["profile"] == ("mutation-seeded" if seed_args else "mutation"), header
        runs.append((outcomes(results), _failure_programs(results)))
    assert runs[0] == runs[1], "two runs with the same seed disagree"
    assert "failed" in runs[0][0].values()


def test_two_xdist_gateways_report_every_item_once(tmp_path: Path) -> None:
    # the README's multi-host recipe, with two local gateways standing in for two hosts
    results = tmp_path / "results.jsonl"
    python = f"popen//python={sys.executable}"
    done = run_pytest(
        "-d", "--tx", python, "--tx", python, "-v", "--nnc-results", str(results), "--nnc-no-report",
        "suites/test_registration_repr.py", "suites/test_hooks_state_dict.py",
    )
    assert done.returncode == 0, tail(done)
    assert "[gw0]" in done.stdout and "[gw1]" in done.stdout, f"not both gateways ran tests\n{tail(done)}"
    _, items = read_results(results)
    nodeids = [i["nodeid"] for i in items]
    assert nodeids and len(nodeids) == len(set(nodeids)), "an item is missing its result or has two"
    assert {i["outcome"] for i in items} <= ACCEPTABLE
