"""The pytest plugin: candidate selection, clause markers, not-applicable clauses and the results file."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

from nnconform import ROOT
from nnconform.results import read_results
from tests.helpers import outcomes, run_pytest, tail


def write_test_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "test_probe.py"
    path.write_text("import os\n\nimport pytest\n\n" + textwrap.dedent(body))
    return path


def test_unknown_candidate_fails_at_once_listing_known_ones(tmp_path: Path) -> None:
    done = run_pytest("--candidate", "no-such-framework", str(tmp_path))
    assert done.returncode == 4, tail(done)
    assert "unknown candidate 'no-such-framework'" in done.stderr and "oracle" in done.stderr, tail(done)


def test_import_path_candidate_that_is_not_a_candidate_is_refused(tmp_path: Path) -> None:
    done = run_pytest("--candidate", "tests.candidates:not_a_candidate", str(tmp_path))
    assert done.returncode == 4 and "not an adapters.base.Candidate" in done.stderr, tail(done)


def test_unknown_clause_id_in_a_marker_names_file_line_and_id(tmp_path: Path) -> None:
    path = write_test_file(
        tmp_path,
        """
        @pytest.mark.clause("REG-NO-SUCH-CLAUSE")
        def test_something():
            pass
    """,
    )
    done = run_pytest(str(path))
    assert done.returncode == 4, tail(done)
    assert "test_probe.py:6" in done.stderr and "REG-NO-SUCH-CLAUSE" in done.stderr, tail(done)


def test_results_are_written_item_by_item_and_survive_a_crash(tmp_path: Path) -> None:
    path = write_test_file(
        tmp_path,
        """
        @pytest.mark.clause("REG-TRAIN-DEFAULT")
        def test_first(nn):
            assert nn.Module().training is True

        @pytest.mark.clause("REG-EVAL")
        def test_second_fails(nn):
            assert nn.Module().eval().training is True, "deliberate failure"

        @pytest.mark.clause("REG-TRAIN-RECURSIVE")
        def test_third_crashes_the_process():
            os._exit(3)
    """,
    )
    results = tmp_path / "results.jsonl"
    done = run_pytest("-p", "no:randomly", "--nnc-results", str(results), str(path))
    assert done.returncode == 3, tail(done)
    header, items = read_results(results)
    assert header["candidate"] == "torch" and header["profile"] == "ci", header
    assert [(i["nodeid"].split("::")[1], i["outcome"]) for i in items] == [
        ("test_first", "passed"),
        ("test_second_fails", "failed"),
    ], items
    assert items[1]["clauses"] == ["REG-EVAL"] and "deliberate failure" in items[1]["failure"]
    assert all(json.loads(line) for line in results.read_text().splitlines())


def test_missing_capability_reports_not_applicable(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    done = run_pytest(
        "--candidate",
        "tests.candidates:torch_without_buffer_class",
        "--nnc-results",
        str(results),
        "-k",
        "buffer_class or Buffer or buffer_object",
        "suites",
    )
    assert done.returncode == 0, tail(done)
    header, items = read_results(results)
    assert header["candidate_lacks"] == ["buffer_class"]
    not_applicable = [i for i in items if i["outcome"] == "not_applicable"]
    assert not_applicable, f"no item was not applicable: {[(i['nodeid'], i['outcome']) for i in items]}"
    for item in not_applicable:
        assert "lacks buffer_class" in item["failure"], item
    assert "REG-BUFFER-CLASS" in {c for i in not_applicable for c in i["clauses"]}


def test_lacking_lazy_modules_makes_every_lazy_test_not_applicable(tmp_path: Path) -> None:
    """A framework without lazy modules (Paddle, MindSpore, Jittor) gets no lazy verdicts at all: each lazy
    test reports "not applicable" and names the capability, none of them fails."""
    results = tmp_path / "results.jsonl"
    suites = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "suites").glob("test_lazy_*.py"))
    lacking = "tests.candidates:torch_without_lazy_modules"
    done = run_pytest("--candidate", lacking, "--nnc-results", str(results), *suites)
    assert done.returncode == 0, tail(done)
    _, items = read_results(results)
    assert len(items) >= 40, [i["nodeid"] for i in items]
    for item in items:
        assert item["outcome"] == "not_applicable" and "lacks lazy_modules" in item["failure"], item


def test_clause_when_capable_is_named_only_for_a_capable_candidate(tmp_path: Path) -> None:
    """A test marked ``clause_when_capable`` checks that clause only where the candidate has what it
    requires; elsewhere it still gives its verdict on its other clauses, without naming that one."""
    target = ["-k", "test_casts_follow_dtype_rules", "suites/test_apply_clauses.py"]
    named = {}
    for candidate in ("torch", "tests.candidates:torch_without_autograd"):
        results = tmp_path / f"{len(named)}.jsonl"
        done = run_pytest("--candidate", candidate, "--nnc-results", str(results), *target)
        assert done.returncode == 0, tail(done)
        _, items = read_results(results)
        assert [i["outcome"] for i in items] == ["passed"], items
        named[candidate] = items[0]["clauses"]
    assert named["torch"] == ["APPLY-RECURSE", "APPLY-GRAD-CONVERTED"], named
    assert named["tests.candidates:torch_without_autograd"] == ["APPLY-RECURSE"], named


SLOW_SHRINKING_TEST = """
import time

import pytest
from hypothesis import given, settings, strategies as st


@pytest.mark.clause("REG-PARAM-REGISTER")
@settings(max_examples=1000, deadline=None, database=None)
@given(st.lists(st.integers(0, 1000), min_size=3))
def test_fails_slowly(xs):
    time.sleep(1.0)  # every example, and every one of the many shrinking steps, takes this long
    assert sum(xs) < 50


@pytest.mark.clause("REG-PARAM-REGISTER")
def test_after():
    pass
"""


def test_timeout_stops_a_hypothesis_test_while_it_shrinks(tmp_path: Path) -> None:
    """--nnc-timeout ends a property test even while hypothesis is shrinking a failure (hypothesis takes
    pytest's own Failed, which pytest-timeout raises, for one more failing example and goes on); the
    test fails naming the limit, and the next test still runs."""
    (tmp_path / "test_slow.py").write_text(SLOW_SHRINKING_TEST)
    results = tmp_path / "results.jsonl"
    started = time.monotonic()
    done = run_pytest("--nnc-timeout", "3", "--nnc-results", str(results), "--nnc-no-report",
                      str(tmp_path / "test_slow.py"))  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode == 1, tail(done)
    assert elapsed < 30, f"the run took {elapsed:.0f} s: the 3 s limit did not stop the shrinking"
    found = outcomes(results)
    assert [v for k, v in sorted(found.items())] == ["passed", "failed"], found
    assert "ran past --nnc-timeout 3 s" in done.stdout, tail(done)


def test_results_file_under_xdist_holds_every_item_once(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    target = "suites/test_registration_register.py"
    serial = tmp_path / "serial.jsonl"
    done = run_pytest("-n", "2", "--nnc-results", str(results), target)
    assert done.returncode == 0, tail(done)
    done = run_pytest("--nnc-results", str(serial), target)
    assert done.returncode == 0, tail(done)
    lines = results.read_text().splitlines()
    assert sum(json.loads(line)["kind"] == "run" for line in lines) == 1
    assert outcomes(results) == outcomes(serial)
    assert len(outcomes(results)) == len(lines) - 2, "an item was written twice"  # header, end record
    assert json.loads(lines[-1])["kind"] == "end", lines[-1]


def test_state_dict_suites_without_extra_state(tmp_path: Path) -> None:
    """A framework without extra state gets trees without it: the extra-state clauses are not applicable
    and every other state_dict test still holds for torch."""
    results = tmp_path / "results.jsonl"
    done = run_pytest(
        "--candidate", "tests.candidates:torch_without_extra_state", "--nnc-results", str(results),
        "--hypothesis-profile", "mutation", "suites/test_state_dict_save.py",
        "suites/test_state_dict_load.py", "suites/test_state_dict_roundtrip.py",
        "suites/test_state_dict_differential.py",
    )  # fmt: skip
    assert done.returncode == 0, tail(done)
    _, items = read_results(results)
    skipped = {c for i in items if i["outcome"] == "not_applicable" for c in i["clauses"]}
    assert {"SD-SAVE-EXTRA-STATE", "SD-LOAD-EXTRA-STATE"} <= skipped, skipped
    assert all(i["outcome"] in ("passed", "not_applicable") for i in items), items
    assert sum(i["outcome"] == "passed" for i in items) >= 30, [i["nodeid"] for i in items]
