"""CUDA moves (clauses requiring ``cuda``): skipped with a reason where no CUDA device exists.

Kept small and deterministic so they run unchanged on a GPU machine: trees are drawn as elsewhere,
moved to CUDA device 0 and back, and compared with the plan and with the oracle.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support.apply_trees import _slots, apply_plans, build, future_flags, outcome, snapshot, tensors

CUDA_CALLS = {
    "cuda()": lambda m: m.cuda(),
    "cuda(0)": lambda m: m.cuda(0),
    "cuda(torch.device('cuda', 0))": lambda m: m.cuda(torch.device("cuda", 0)),
    "to('cuda')": lambda m: m.to("cuda"),
    "to('cuda:0', torch.float64)": lambda m: m.to("cuda:0", torch.float64),
    "to(torch.device('cuda'), dtype=torch.float16, non_blocking=True)": lambda m: m.to(
        torch.device("cuda"), dtype=torch.float16, non_blocking=True
    ),
    "to(torch.zeros(1, device='cuda', dtype=torch.float64))": lambda m: m.to(
        torch.zeros(1, device="cuda", dtype=torch.float64)
    ),
    "to('cuda', non_blocking=True)": lambda m: m.to("cuda", non_blocking=True),
}


def _want_dtype(label: str, old: torch.dtype) -> torch.dtype:
    for name in ("float64", "float16"):
        if name in label and (old.is_floating_point or old.is_complex):
            return getattr(torch, name)
    return old


@pytest.mark.clause("APPLY-CUDA", "APPLY-CUDA-TO")
@given(plan=apply_plans(max_nodes=3), label=st.sampled_from(sorted(CUDA_CALLS)))
def test_moves_to_cuda(nn: Any, plan: Any, label: str) -> None:
    built = build(nn, plan)
    before = [(path, kind, t.dtype, t.detach().clone()) for path, kind, t in tensors(built.root)]
    result = CUDA_CALLS[label](built.root)
    torch.cuda.synchronize()
    assert result is built.root, f"{label}: did not return the module"
    for (path, kind, dtype, values), (_, _, t) in zip(before, tensors(built.root), strict=True):
        assert t.device.type == "cuda" and t.device.index == 0, f"{label}: {kind} {path} is on {t.device}"
        assert t.dtype == _want_dtype(label, dtype), f"{label}: {kind} {path} is {t.dtype} (was {dtype})"
        assert torch.equal(t.detach().cpu(), values.to(t.dtype)), f"{label}: {kind} {path} changed values"


@pytest.mark.clause("APPLY-CUDA-GRAD")
@given(plan=apply_plans(max_nodes=3))
def test_cuda_keeps_parameter_and_grad_objects(nn: Any, plan: Any) -> None:
    built = build(nn, plan)
    before = [(path, v, v.grad) for path, kind, v in _slots(built.root) if kind == "param" and v is not None]
    with future_flags(False, False):
        built.root.cuda()
    after = [v for _, kind, v in _slots(built.root) if kind == "param" and v is not None]
    for (path, old, grad), new in zip(before, after, strict=True):
        assert new is old, f"cuda(): parameter {path} was replaced"
        assert new.grad is grad, f"cuda(): {path}.grad object changed"
        if grad is not None:
            assert grad.device.type == "cuda", f"cuda(): {path}.grad stayed on {grad.device}"


@pytest.mark.clause("APPLY-CUDA-ROUNDTRIP")
@given(plan=apply_plans(max_nodes=3))
def test_cuda_then_cpu_roundtrip(nn: Any, plan: Any) -> None:
    built = build(nn, plan)
    before = [_states(row) for row in snapshot(built)]
    assert built.root.cuda().cpu() is built.root, "cuda().cpu() did not return the module"
    after = [_states(row) for row in snapshot(built)]
    assert after == before, f"cuda().cpu(): the tree {after} differs from the original {before}"


def _states(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A snapshot row without object identities (moved buffers are new objects, APPLY-BUFFERS-REPLACED)."""
    return row[:3] + row[5:6]


@pytest.mark.clause("APPLY-CUDA", "APPLY-CUDA-TO", "APPLY-CUDA-GRAD")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=apply_plans(max_nodes=3),
    label=st.sampled_from(sorted(CUDA_CALLS)),
    overwrite=st.booleans(),
    swap=st.booleans(),
)
def test_cuda_moves_agree_with_oracle(
    cand: Candidate,
    oracle_cand: Candidate,
    failure_context: Any,
    plan: Any,
    label: str,
    overwrite: bool,
    swap: bool,
) -> None:
    results = []
    for candidate in (cand, oracle_cand):
        built = build(candidate.nn, plan)
        with future_flags(overwrite, swap):
            got = outcome(lambda b=built: CUDA_CALLS[label](b.root), built.root)
        results.append((got, snapshot(built)))
    failure_context.record(plan=repr(plan), call=label, overwrite=overwrite, swap=swap)
    assert results[0] == results[1], (
        f"{label} (overwrite={overwrite}, swap={swap}): {results[0]} != oracle {results[1]}"
    )
