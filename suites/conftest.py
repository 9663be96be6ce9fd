"""Suite-wide fixtures: keep global module hooks from leaking between tests (HOOK-GLOBAL-*).

Every test runs between a snapshot and a restore of the global hook registries of the candidate (its
adapter says how) and of the oracle (each pytest-xdist worker is its own process, so per-process
restoring is enough).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.base import Candidate
from suites.support.hooks_globals import restore_all, snapshot_all


@pytest.fixture(autouse=True)
def _isolated_global_hooks(cand: Candidate) -> Iterator[None]:
    saved = snapshot_all(cand)
    try:
        yield
    finally:
        restore_all(cand, saved)
