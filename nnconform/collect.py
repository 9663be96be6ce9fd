"""Which suite tests name which clauses, as pytest itself collects them."""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from pathlib import Path

import pytest

import nnconform


class _ClauseCollector:
    def __init__(self) -> None:
        self.tests: dict[str, list[str]] = defaultdict(list)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from nnconform.plugin import clause_ids

        for item in session.items:
            for cid in clause_ids(item):
                self.tests[cid].append(item.nodeid)


def collect_clause_tests(suites: Path | None = None, candidate: str = "torch") -> dict[str, list[str]]:
    """Collect the suites (nothing runs) and map each clause id to the node ids of its tests."""
    collector = _ClauseCollector()
    args = [
        "--collect-only",
        "-q",
        "--candidate",
        candidate,
        "--nnc-results",
        "/dev/null",
        "--rootdir",
        str(nnconform.ROOT),
        "-c",
        str(nnconform.ROOT / "pyproject.toml"),
        str(suites or nnconform.SUITES_DIR),
    ]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise RuntimeError(f"collecting the suites failed (pytest exit {int(code)}):\n{out.getvalue()}")
    return dict(collector.tests)
