"""Snapshot and restore of the global hook registries of the candidate and of the oracle.

The candidate's come from its adapter (``Candidate.snapshot_global_hooks``); the oracle's are always
taken too, since the oracle runs beside every candidate as the reference.
"""

from __future__ import annotations

from typing import Any

import oracle.hooks as oracle_hooks
from adapters.base import Candidate


def snapshot_all(cand: Candidate) -> dict[str, Any]:
    """Copies of every global hook registry of ``cand`` and of the oracle."""
    return {"oracle": oracle_hooks.snapshot_global_hooks(), "candidate": cand.snapshot_global_hooks()}


def restore_all(cand: Candidate, state: dict[str, Any]) -> None:
    """Put every registry of ``cand`` and of the oracle back to ``state``."""
    oracle_hooks.restore_global_hooks(state["oracle"])
    cand.restore_global_hooks(state["candidate"])
