"""The suites' global-hook isolation: what a test registers globally is gone after it, for the torch
candidate, for the oracle, and for a candidate whose adapter keeps its own registries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from adapters import resolve_candidate
from adapters.base import Candidate
from suites.support.hooks_globals import restore_all, snapshot_all


def _forward_hook_count(nn: Any) -> int:
    # one hooked call reveals whether a global forward hook is still registered
    calls: list[int] = []
    module = nn.Module()
    module.forward = lambda x: x
    handle = module.register_forward_hook(lambda *a: calls.append(0))
    module(torch.ones(1))
    handle.remove()
    return len(calls)


def test_global_hooks_of_torch_and_the_oracle_are_removed_by_restore() -> None:
    torch_cand, oracle_cand = resolve_candidate("torch"), resolve_candidate("oracle")
    seen: list[str] = []
    saved = snapshot_all(torch_cand)
    for name, cand in (("torch", torch_cand), ("oracle", oracle_cand)):
        cand.nn.register_module_forward_hook(lambda m, a, o, name=name: seen.append(name))
        cand.nn.register_module_forward_pre_hook(lambda m, a, name=name: seen.append(name))
    restore_all(torch_cand, saved)
    for cand in (torch_cand, oracle_cand):
        assert _forward_hook_count(cand.nn) == 1
    assert seen == [], f"global hooks still ran after the restore: {seen}"


@dataclass
class _OwnRegistryCandidate(Candidate):
    registry: dict[int, Any] = field(default_factory=dict)

    def snapshot_global_hooks(self) -> Any:
        return dict(self.registry)

    def restore_global_hooks(self, state: Any) -> None:
        self.registry.clear()
        self.registry.update(state)


def test_a_candidate_with_its_own_registries_is_restored_through_its_adapter() -> None:
    cand = _OwnRegistryCandidate(name="own", version="0", nn=resolve_candidate("oracle").nn)
    cand.registry[1] = "kept"
    saved = snapshot_all(cand)
    cand.registry[2] = "registered by a test"
    restore_all(cand, saved)
    assert cand.registry == {1: "kept"}
