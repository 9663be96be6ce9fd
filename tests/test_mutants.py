"""Every mutant is caught: the suites of its area, run against it, fail at least one clause test.

Each mutant runs in its own pytest subprocess with ``-x`` (stop at the first failure) and the
``mutation`` hypothesis profile (no shrinking) over its own area's suite files, the test that caught it
in the last recorded mutation run first (``mutants/first_failures.json``, written by
``nnconform mutate --record-first-failures``), so a caught mutant costs a few seconds. (The
mutation-score command runs every suite against every mutant.)
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from mutants.catalog import all_mutants
from mutants.run_first import ENV_VAR, load_first_failures
from nnconform import ROOT
from nnconform.results import read_results
from tests.helpers import run_pytest, tail

# the least number of mutants each area's catalog must hold (the issues that built each area ask for these)
MIN_MUTANTS = {
    "registration": 10, "apply": 7, "init": 7, "lazy": 5, "state_dict": 8, "containers": 8, "hooks": 12,
}
MUTANT_TIMEOUT_S = 600
# the mutants' scaffolding without a bug: (control candidate, the area whose suites it must pass, or None
# for every suite)
CONTROLS = {
    "module": ("mutants.registration:control_candidate", None),
    "module-and-parameter": ("mutants.registration:parameter_control_candidate", "registration"),
}
AREA_PREFIX = {
    "registration": "reg",
    "hooks": "hook",
    "state_dict": "sd",
    "apply": "apply",
    "containers": "cont",
    "init": "init",
    "lazy": "lazy",
}

# pytest's exit codes: 0 all passed (the mutant survived), 1 some tests failed (caught),
# 2 interrupted / collection error, 3 internal error, 4 usage error.
EXIT_TESTS_FAILED = 1


def area_suites(area: str) -> list[str]:
    """The suite files of one area (``suites/test_<area>_*.py``), as paths relative to the root."""
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "suites").glob(f"test_{area}_*.py"))
    assert files, f"area {area!r} has no suite files"
    return files


@pytest.mark.parametrize("area", sorted(MIN_MUTANTS))
def test_catalog_holds_enough_mutants(area: str) -> None:
    mutants = {mid: m for mid, m in all_mutants().items() if m.area == area}
    assert len(mutants) >= MIN_MUTANTS[area], f"only {len(mutants)} {area} mutants: {sorted(mutants)}"


def test_catalog_entries_are_well_formed() -> None:
    catalog = all_mutants()
    for mid, entry in catalog.items():
        assert entry.id == mid, f"mutant {mid!r} is catalogued under another id ({entry.id!r})"
        assert entry.area in AREA_PREFIX, f"mutant {mid!r} names an unknown area {entry.area!r}"
        slug = re.compile(re.escape(AREA_PREFIX[entry.area]) + r"(-[a-z0-9]+)+")
        assert slug.fullmatch(mid), f"mutant id {mid!r} is not a lowercase {AREA_PREFIX[entry.area]}- slug"
        assert entry.description.strip(), f"mutant {mid!r} has an empty description"
        assert "\n" not in entry.description, f"mutant {mid!r} has a multi-line description"
    descriptions = [m.description for m in catalog.values()]
    assert len(set(descriptions)) == len(descriptions), "two mutants share a description"


@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_control_without_a_bug_passes_the_suites(control: str, tmp_path: Path) -> None:
    # torch through the same Module (and Parameter) subclasses the mutants use, but overriding nothing
    # that changes behaviour: a mutant's failures must come from its bug, not from the scaffolding.
    candidate, area = CONTROLS[control]
    files = ["suites"] if area is None else area_suites(area)
    results = tmp_path / "results.jsonl"
    done = run_pytest(
        *files,
        "-q",
        "--candidate",
        candidate,
        "--hypothesis-profile",
        "mutation",
        "--nnc-results",
        str(results),
        "--nnc-no-report",
        timeout=MUTANT_TIMEOUT_S,
    )
    assert done.returncode == 0, f"the control candidate {candidate} fails the suites\n{tail(done)}"
    _, items = read_results(results)
    bad = {i["nodeid"]: i["outcome"] for i in items if i["outcome"] in ("failed", "error")}
    assert items and not bad, f"the control candidate has items that did not pass: {bad}"


def _mutant_params() -> list[object]:
    """Every mutant; one declared as a known survivor is expected to survive (strict xfail, so a suite
    that starts catching it says the declaration is stale)."""
    return [
        pytest.param(mid, marks=pytest.mark.xfail(strict=True, reason=m.survives)) if m.survives else mid
        for mid, m in sorted(all_mutants().items())
    ]


@pytest.mark.parametrize("mutant_id", _mutant_params())
def test_mutant_is_caught(mutant_id: str, tmp_path: Path, record_property: pytest.RecordProperty) -> None:
    entry = all_mutants()[mutant_id]
    results = tmp_path / "results.jsonl"
    # the test that caught it in the last recorded mutation run goes first (mutants/run_first.py):
    # the same verdict, sooner
    first = load_first_failures().get(mutant_id, "")
    started = time.perf_counter()
    done = run_pytest(
        *area_suites(entry.area),
        "-p",
        "mutants.run_first",
        "-x",
        "-q",
        "--candidate",
        f"mutant:{mutant_id}",
        "--hypothesis-profile",
        "mutation",
        "--nnc-results",
        str(results),
        "--nnc-no-report",
        timeout=MUTANT_TIMEOUT_S,
        env_extra={ENV_VAR: first},
    )
    elapsed = time.perf_counter() - started
    record_property("mutant_seconds", round(elapsed, 2))
    what = f"mutant {mutant_id} ({entry.description})"
    if done.returncode == 0:
        pytest.fail(f"{what} SURVIVED: every suite test passed against it\n{tail(done)}")
    assert done.returncode == EXIT_TESTS_FAILED, (
        f"{what}: pytest exited {done.returncode} (a crash or usage error, not a failing test)\n{tail(done)}"
    )
    assert results.exists(), f"{what}: pytest wrote no results file\n{tail(done)}"
    header, items = read_results(results)
    assert header.get("candidate") == f"mutant:{mutant_id}", f"{what}: results header is {header}"
    failed = [i for i in items if i["outcome"] == "failed"]
    assert failed, (
        f"{what}: pytest exited 1 but the results file records no failed item "
        f"(outcomes: {sorted({i['outcome'] for i in items})})\n{tail(done)}"
    )
    assert all(i["clauses"] for i in failed), f"{what}: a failed item names no clause: {failed}"
    record_property("first_failure", failed[0]["nodeid"])
