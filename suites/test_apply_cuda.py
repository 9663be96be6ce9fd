"""CUDA moves (clauses requiring ``cuda``): skipped with a reason where no CUDA device exists.

Kept small and deterministic so they run unchanged on a GPU machine: trees are drawn as elsewhere,
moved to CUDA device 0 and back, and compared with the plan and with the oracle. Devices and dtypes are
named; the candidate makes its own device and dtype objects from the names.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support.apply_calls import Call, available
from suites.support.apply_trees import (
    build,
    cast_values,
    device_type,
    is_complex,
    is_floating,
    outcome,
    param_slots,
    plain_values,
    plans_for,
    same_values,
    snapshot,
    switch_settings,
    tensors,
)


def _cuda_tensor(c: Candidate) -> Any:
    return c.to_device(c.tensor([0.0], "float64"), "cuda")


CUDA_CALLS = (
    Call("cuda()", lambda m, c: m.cuda()),
    Call("cuda(0)", lambda m, c: m.cuda(0)),
    Call("cuda(device('cuda:0'))", lambda m, c: m.cuda(c.device("cuda:0"))),
    Call("to('cuda')", lambda m, c: m.to("cuda")),
    Call("to('cuda:0', float64)", lambda m, c: m.to("cuda:0", c.dtype("float64"))),
    Call(
        "to(device('cuda'), dtype=float16, non_blocking=True)",
        lambda m, c: m.to(c.device("cuda"), dtype=c.dtype("float16"), non_blocking=True),
    ),
    Call(
        "to(cuda tensor of float64)",
        lambda m, c: m.to(_cuda_tensor(c)),
        needs=frozenset({"to_tensor_argument"}),
    ),
    Call("to('cuda', non_blocking=True)", lambda m, c: m.to("cuda", non_blocking=True)),
)


def _cuda_calls(cand: Candidate) -> st.SearchStrategy[Call]:
    return st.sampled_from(available(cand, CUDA_CALLS))


def _want_dtype(label: str, old: str) -> str:
    for name in ("float64", "float16"):
        if name in label and (is_floating(old) or is_complex(old)):
            return name
    return old


@pytest.mark.clause("APPLY-CUDA", "APPLY-CUDA-TO")
@given(data=st.data())
def test_moves_to_cuda(cand: Candidate, data: st.DataObject) -> None:
    call = data.draw(_cuda_calls(cand), label="call")
    built = build(cand, data.draw(plans_for(cand, max_nodes=3), label="plan"))
    before = [(path, kind, cand.dtype_name(t), t) for path, kind, t in tensors(cand, built.root)]
    saved = [plain_values(cand, t) for _, _, _, t in before]
    result = call.run(built.root, cand)
    cand.synchronize()
    label = call.label
    assert result is built.root, f"{label}: did not return the module"
    after = list(tensors(cand, built.root))
    for (path, kind, dtype, _), values, (_, _, t) in zip(before, saved, after, strict=True):
        where = cand.device_name(t)
        assert where == "cuda:0", f"{label}: {kind} {path} is on {where}"
        got = cand.dtype_name(t)
        assert got == _want_dtype(label, dtype), f"{label}: {kind} {path} is {got} (was {dtype})"
        want = cast_values(cand, cand.tensor(values, dtype), got)
        assert same_values(plain_values(cand, t), want), f"{label}: {kind} {path} changed values"


@pytest.mark.clause("APPLY-CUDA-GRAD")
@given(data=st.data())
def test_cuda_keeps_parameter_and_grad_objects(cand: Candidate, data: st.DataObject) -> None:
    built = build(cand, data.draw(plans_for(cand, max_nodes=3), label="plan"))
    before = [(path, v, cand.grad(v)) for path, v in param_slots(cand, built.root)]
    with cand.conversion_switches(False, False):
        built.root.cuda()
    for (path, old, grad), (_, new) in zip(before, param_slots(cand, built.root), strict=True):
        assert cand.same_tensor(new, old), f"cuda(): parameter {path} was replaced"
        now = cand.grad(new)
        assert (now is None) == (grad is None), f"cuda(): {path}.grad appeared or vanished"
        if grad is not None:
            assert cand.same_tensor(now, grad), f"cuda(): {path}.grad object changed"
            assert device_type(cand, grad) == "cuda", (
                f"cuda(): {path}.grad stayed on {cand.device_name(grad)}"
            )


@pytest.mark.clause("APPLY-CUDA-ROUNDTRIP")
@given(data=st.data())
def test_cuda_then_cpu_roundtrip(cand: Candidate, data: st.DataObject) -> None:
    built = build(cand, data.draw(plans_for(cand, max_nodes=3), label="plan"))
    before = [_states(row) for row in snapshot(cand, built)]
    assert built.root.cuda().cpu() is built.root, "cuda().cpu() did not return the module"
    after = [_states(row) for row in snapshot(cand, built)]
    assert after == before, f"cuda().cpu(): the tree {after} differs from the original {before}"


def _states(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A snapshot row without object identities (moved buffers are new objects, APPLY-BUFFERS-REPLACED)."""
    return row[:3] + row[5:6]


@pytest.mark.clause("APPLY-CUDA", "APPLY-CUDA-TO", "APPLY-CUDA-GRAD")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cuda_moves_agree_with_oracle(
    cand: Candidate, oracle_cand: Candidate, failure_context: Any, data: st.DataObject
) -> None:
    plan = data.draw(plans_for(cand, max_nodes=3), label="plan")
    call = data.draw(_cuda_calls(cand), label="call")
    overwrite = data.draw(switch_settings(cand), label="overwrite")
    swap = data.draw(switch_settings(cand), label="swap")
    results = []
    for candidate in (cand, oracle_cand):
        built = build(candidate, plan)
        with candidate.conversion_switches(overwrite, swap):
            got = outcome(lambda b=built, c=candidate: call.run(b.root, c), built.root)
        results.append((got, snapshot(candidate, built)))
    failure_context.record(plan=repr(plan), call=call.label, overwrite=overwrite, swap=swap)
    assert results[0] == results[1], (
        f"{call.label} (overwrite={overwrite}, swap={swap}): {results[0]} != oracle {results[1]}"
    )
