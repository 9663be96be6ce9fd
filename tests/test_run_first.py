"""mutants/run_first.py: the tests it is given run first; the rest keep their order; the map round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mutants.run_first import ENV_VAR, load_first_failures, record_first_failures
from tests.helpers import run_pytest

FILES = ("suites/test_registration_repr.py", "suites/test_registration_paths.py")


def _collected(env_value: str) -> list[str]:
    done = run_pytest(
        *FILES, "-p", "mutants.run_first", "--collect-only", "-q", env_extra={ENV_VAR: env_value}
    )
    assert done.returncode == 0, done.stdout[-3000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_given_tests_run_first_and_the_rest_keep_their_order() -> None:
    plain = _collected("")
    assert len(plain) > 4
    wanted = [plain[-1], plain[2]]
    reordered = _collected(",".join([*wanted, "suites/test_nowhere.py::test_gone"]))
    assert reordered[:2] == wanted, reordered[:3]
    assert reordered[2:] == [n for n in plain if n not in wanted]


def test_first_failures_map_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "first.json"
    assert load_first_failures(path) == {}
    record_first_failures({"b-two": "x.py::t2"}, path)
    record_first_failures({"a-one": "x.py::t1", "b-two": "x.py::t3"}, path)
    assert load_first_failures(path) == {"a-one": "x.py::t1", "b-two": "x.py::t3"}
    assert list(json.loads(path.read_text())) == ["a-one", "b-two"]
    path.write_text('["not", "a", "map"]')
    with pytest.raises(ValueError, match=r"first\.json"):
        load_first_failures(path)
