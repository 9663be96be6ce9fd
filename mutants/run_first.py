"""A pytest plugin that runs some tests first: ``-p mutants.run_first`` with ``NNCONFORM_RUN_FIRST``
set to comma-separated node ids.

The project's own tests use it to run, for each mutant, the test that caught it last time
(``mutants/first_failures.json``) ahead of the rest of its area's suites. With ``-x`` a mutant that is
still caught there costs one test instead of the suites up to it; one that is not runs every other test
as before, so the verdict is the same either way, only sooner.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ENV_VAR = "NNCONFORM_RUN_FIRST"
FIRST_FAILURES = Path(__file__).with_name("first_failures.json")


def load_first_failures(path: Path = FIRST_FAILURES) -> dict[str, str]:
    """Mutant id -> node id of the test that failed first against it in the last recorded run."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path}: expected an object of mutant id -> test node id")
    return dict(data)


def record_first_failures(found: dict[str, str], path: Path = FIRST_FAILURES) -> None:
    """Merge ``found`` (mutant id -> node id) into the recorded map, sorted by id."""
    merged = {**load_first_failures(path), **found}
    path.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n", encoding="utf-8")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    wanted = [n for n in os.environ.get(ENV_VAR, "").split(",") if n]
    if not wanted:
        return
    rank = {nodeid: i for i, nodeid in enumerate(wanted)}
    first = sorted((item for item in items if item.nodeid in rank), key=lambda item: rank[item.nodeid])
    rest = [item for item in items if item.nodeid not in rank]
    items[:] = first + rest
