"""Direct property checks of the apply clauses on the candidate alone (CPU and meta).

Each test builds drawn trees through ``nn``, converts them, and checks the result against what the
clause says, computed from the plan and from the objects registered before the call.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from suites.support.apply_calls import DTYPE_RULES
from suites.support.apply_trees import _slots, apply_plans, build, future_flags, snapshot, tensors

FLOATS_ONLY = ("float32", "float64")


def _converted_dtypes(root: Any) -> list[tuple[str, torch.dtype, torch.device]]:
    return [(path, t.dtype, t.device) for path, _, t in tensors(root)]


@pytest.mark.clause("APPLY-RETURNS-SELF")
@given(
    plan=apply_plans(max_nodes=3),
    name=st.sampled_from(["to", "cpu", "type", "float", "double", "half", "bfloat16", "to_empty"]),
)
def test_conversions_return_self(nn: Any, plan: Any, name: str) -> None:
    built = build(nn, plan)
    args: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
        "to": ((torch.float64,), {}),
        "type": ((torch.float32,), {}),
        "to_empty": ((), {"device": "cpu"}),
    }
    a, kw = args.get(name, ((), {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = getattr(built.root, name)(*a, **kw)
    assert result is built.root, f"{name}(): returned {type(result).__name__} object, not the module itself"


@pytest.mark.clause(
    "APPLY-RECURSE",
    "APPLY-FLOAT-ONLY",
    "APPLY-TO-DTYPE-FLOATING",
    "APPLY-TYPE-ALL",
    "APPLY-GRAD-CONVERTED",
    "APPLY-TO-COMPLEX-WARNS",
)
@given(plan=apply_plans(), label=st.sampled_from(sorted(DTYPE_RULES)))
def test_casts_follow_dtype_rules(nn: Any, plan: Any, label: str) -> None:
    call, rule = DTYPE_RULES[label]
    built = build(nn, plan)
    before = [(path, kind, t.dtype, t.detach().clone()) for path, kind, t in tensors(built.root)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(built.root)
    if label == "to(torch.complex64)":
        assert any(issubclass(w.category, UserWarning) for w in caught), f"{label}: no UserWarning"
    after = list(tensors(built.root))
    assert [(p, k) for p, k, _, _ in before] == [(p, k) for p, k, _ in after], f"{label}: slots changed"
    for (path, kind, dtype, old), (_, _, t) in zip(before, after, strict=True):
        assert t.dtype == rule(dtype), f"{label}: {kind} {path} was {dtype}, is {t.dtype}, want {rule(dtype)}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = old.to(t.dtype)
        assert torch.equal(t.detach(), want), f"{label}: {kind} {path} values {t} != {want}"


CALLS = {
    "double()": lambda m: m.double(),
    "half()": lambda m: m.half(),
    "to('meta')": lambda m: m.to("meta"),
    "to_empty(device='cpu')": lambda m: m.to_empty(device="cpu"),
    "type(torch.complex64)": lambda m: m.type(torch.complex64),
}


def _param_states(root: Any) -> list[tuple[str, bool, bool]]:
    return [
        (path, v.requires_grad, v.grad is not None)
        for path, kind, v in _slots(root)
        if kind == "param" and v is not None
    ]


@pytest.mark.clause(
    "APPLY-NONE-SLOTS", "APPLY-PARAM-STAYS-PARAMETER", "APPLY-REQUIRES-GRAD", "APPLY-GRAD-CONVERTED"
)
@given(plan=apply_plans(), label=st.sampled_from(sorted(CALLS)), overwrite=st.booleans(), swap=st.booleans())
def test_slots_classes_and_flags_survive(nn: Any, plan: Any, label: str, overwrite: bool, swap: bool) -> None:
    built = build(nn, plan)
    layout = [(path, kind, value is None) for path, kind, value in _slots(built.root)]
    states = _param_states(built.root)
    with future_flags(overwrite, swap):
        CALLS[label](built.root)
    after = list(_slots(built.root))
    assert [(p, k, v is None) for p, k, v in after] == layout, f"{label}: slot layout or None slots changed"
    assert _param_states(built.root) == states, (
        f"{label}: (path, requires_grad, has grad) {_param_states(built.root)} != before {states}"
    )
    for path, kind, v in after:
        if kind != "param" or v is None:
            continue
        assert isinstance(v, nn.Parameter), f"{label}: parameter {path} became {type(v).__name__}"
        assert v.is_leaf, f"{label}: parameter {path} is not a leaf"
        if v.grad is not None:
            assert (v.grad.dtype, v.grad.device) == (v.dtype, v.device), (
                f"{label}: {path}.grad is {v.grad.dtype} on {v.grad.device}, "
                f"parameter {v.dtype} on {v.device}"
            )
            assert not v.grad.requires_grad, f"{label}: {path}.grad requires grad"


@pytest.mark.clause("APPLY-IDENTITY-KEPT", "APPLY-BUFFERS-REPLACED", "APPLY-CPU")
@given(
    plan=apply_plans(), label=st.sampled_from(["double()", "float()", "half()", "to(torch.float64)", "cpu()"])
)
def test_default_conversion_keeps_parameter_objects(nn: Any, plan: Any, label: str) -> None:
    call, rule = DTYPE_RULES.get(label, (lambda m: m.cpu(), lambda d: d))
    built = build(nn, plan)
    before = [
        (path, kind, v, None if v is None else v.grad, None if v is None else (v.dtype, v.detach().clone()))
        for path, kind, v in _slots(built.root)
    ]
    with future_flags(False, False):
        call(built.root)
    for (path, kind, old, grad, state), (_, _, new) in zip(before, _slots(built.root), strict=True):
        if old is None:
            continue
        if kind == "param":
            assert new is old, f"{label}: parameter {path} was replaced by a new object"
            assert new.grad is grad, f"{label}: {path}.grad object changed (was {grad is not None})"
            continue
        dtype, values = state
        if rule(dtype) == dtype:
            assert new is old, f"{label}: {dtype} buffer {path} needed no conversion but was replaced"
        else:
            assert new is not old, f"{label}: {dtype} buffer {path} was converted in place"
            assert old.dtype == dtype and torch.equal(old, values), f"{label}: old buffer {path} was changed"


def _param_slots(root: Any) -> list[tuple[str, Any]]:
    return [(path, v) for path, kind, v in _slots(root) if kind == "param" and v is not None]


@pytest.mark.clause("APPLY-IDENTITY-NEW", "APPLY-OVERWRITE-FLAG")
@given(
    plan=apply_plans(), label=st.sampled_from(["to('meta')", "double()", "half()"]), overwrite=st.booleans()
)
def test_new_parameter_objects_leave_old_ones_alone(nn: Any, plan: Any, label: str, overwrite: bool) -> None:
    meta = label == "to('meta')"
    built = build(nn, plan)
    before = [(path, v, v.grad, v.dtype, v.detach().clone()) for path, v in _param_slots(built.root)]
    with future_flags(overwrite, False):
        CALLS.get(label, DTYPE_RULES.get(label, (None,))[0])(built.root)  # type: ignore[misc]
    if not (meta or overwrite):
        return  # the identity-kept case, checked by test_default_conversion_keeps_parameter_objects
    for (path, old, grad, dtype, values), (_, new) in zip(before, _param_slots(built.root), strict=True):
        assert new is not old, f"{label} (overwrite={overwrite}): parameter {path} kept its object"
        assert old.device.type == "cpu" and old.dtype == dtype and torch.equal(old.detach(), values), (
            f"{label} (overwrite={overwrite}): the old object of {path} was changed"
        )
        if grad is not None and (meta or DTYPE_RULES[label][1](dtype) != dtype):
            assert new.grad is not grad, f"{label} (overwrite={overwrite}): {path}.grad kept its object"
            assert grad.device.type == "cpu" and grad.dtype == dtype, (
                f"{label}: the old {path}.grad was changed"
            )
            assert old.grad is grad, f"{label}: the old parameter {path} lost its .grad"
        if meta:
            assert new.device.type == "meta", f"{label}: parameter {path} is on {new.device}"


@pytest.mark.clause("APPLY-SHARED-SPLIT")
def test_shared_parameter_split_by_new_objects_recorded(nn: Any, record_property: Any) -> None:
    """Quirk: recorded, never required."""
    shared = nn.Parameter(torch.ones(2))
    root, child = nn.Module(), nn.Module()
    root.register_parameter("p", shared)
    child.register_parameter("q", shared)
    root.add_module("c", child)
    with future_flags(False, False):
        root.to("meta")
    record_property("to('meta') keeps a shared parameter shared", root.p is child.q)


@pytest.mark.clause("APPLY-SWAP-FLAG")
@given(
    plan=apply_plans(),
    label=st.sampled_from(["to('meta')", "double()", "half()", "type(torch.complex64)"]),
    overwrite=st.booleans(),
)
def test_swap_keeps_objects_and_changes_them(nn: Any, plan: Any, label: str, overwrite: bool) -> None:
    built = build(nn, plan)
    before = [(path, v, v.grad) for path, v in _param_slots(built.root)]
    with future_flags(overwrite, True):
        CALLS.get(label, (DTYPE_RULES.get(label) or (None,))[0])(built.root)  # type: ignore[misc]
    for (path, old, grad), (_, new) in zip(before, _param_slots(built.root), strict=True):
        assert new is old, f"{label} (swap, overwrite={overwrite}): parameter {path} is a new object"
        assert isinstance(old, nn.Parameter), f"{label} (swap): {path} is no longer a Parameter"
        if grad is not None:
            assert new.grad is grad, f"{label} (swap): {path}.grad is a new object"
            assert (grad.dtype, grad.device) == (old.dtype, old.device), (
                f"{label} (swap): the kept {path}.grad is {grad.dtype} on {grad.device}, "
                f"parameter {old.dtype}"
            )
    if label == "to('meta')":
        assert all(old.device.type == "meta" for _, old, _ in before), (
            f"{label} (swap): old objects not moved"
        )


FORMS = {
    "to(torch.float64)": (lambda m: m.to(torch.float64)),
    "to(dtype=torch.float64)": (lambda m: m.to(dtype=torch.float64)),
    "to('cpu', torch.float64)": (lambda m: m.to("cpu", torch.float64)),
    "to(torch.device('cpu'), torch.float64, True)": (
        lambda m: m.to(torch.device("cpu"), torch.float64, True)
    ),
    "to(device='cpu', dtype=torch.float64, non_blocking=True)": (
        lambda m: m.to(device="cpu", dtype=torch.float64, non_blocking=True)
    ),
    "to(torch.zeros(2, dtype=torch.float64))": (lambda m: m.to(torch.zeros(2, dtype=torch.float64))),
    "to(tensor=torch.zeros(2, dtype=torch.float64))": (
        lambda m: m.to(tensor=torch.zeros(2, dtype=torch.float64))
    ),
    "to(torch.float64, non_blocking=False)": (lambda m: m.to(torch.float64, non_blocking=False)),
}
META_FORMS = {
    "to('meta')": (lambda m: m.to("meta")),
    "to(torch.device('meta'))": (lambda m: m.to(torch.device("meta"))),
    "to(device='meta')": (lambda m: m.to(device="meta")),
    "to(torch.empty(0, device='meta', dtype=torch.float64))": (
        lambda m: m.to(torch.empty(0, device="meta", dtype=torch.float64))
    ),
}


@pytest.mark.clause("APPLY-TO-FORMS", "APPLY-TO-DTYPE-FLOATING")
@given(plan=apply_plans(), form=st.sampled_from(sorted(FORMS) + sorted(META_FORMS)))
def test_to_forms_match_direct_conversion(nn: Any, plan: Any, form: str) -> None:
    meta = form in META_FORMS
    dtype = torch.float64 if "float64" in form else None
    built = build(nn, plan)
    before = [(path, kind, t.dtype) for path, kind, t in tensors(built.root)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        {**FORMS, **META_FORMS}[form](built.root)
    after = list(tensors(built.root))
    assert [(p, k) for p, k, _ in before] == [(p, k) for p, k, _ in after], f"{form}: slots changed"
    for (path, kind, old), (_, _, t) in zip(before, after, strict=True):
        want = dtype if dtype is not None and (old.is_floating_point or old.is_complex) else old
        assert t.dtype == want, f"{form}: {kind} {path} was {old}, is {t.dtype}, want {want}"
        assert t.device.type == ("meta" if meta else "cpu"), f"{form}: {kind} {path} is on {t.device}"


@pytest.mark.clause("APPLY-TO-DTYPE-ERROR")
@given(
    plan=apply_plans(max_nodes=3),
    dtype=st.sampled_from([torch.int64, torch.int32, torch.int8, torch.uint8, torch.bool, torch.int16]),
    keyword=st.booleans(),
    device=st.booleans(),
)
def test_to_integer_dtype_raises_before_converting(
    nn: Any, plan: Any, dtype: Any, keyword: bool, device: bool
) -> None:
    built = build(nn, plan)
    before = snapshot(built)
    args: tuple[Any, ...] = ("cpu",) if device else ()
    with pytest.raises(TypeError):
        if keyword:
            built.root.to(*args, dtype=dtype)
        else:
            built.root.to(*args, dtype)
    assert snapshot(built) == before, f"to({dtype}): the tree changed though TypeError was raised"


@pytest.mark.clause("APPLY-TYPE-INT-ERROR")
@given(plan=apply_plans(max_nodes=3), dtype=st.sampled_from([torch.int64, torch.int32, torch.bool]))
def test_type_integer_with_grad_parameter_raises(nn: Any, plan: Any, dtype: Any) -> None:
    built = build(nn, plan)  # the root always holds a parameter that requires grad
    with pytest.raises(RuntimeError):
        built.root.type(dtype)


@pytest.mark.clause("APPLY-TO-MEMORY-FORMAT")
@given(plan=apply_plans(rank4=True, param_dtypes=("float32", "float64"), grads=False))
def test_to_memory_format_converts_4d_tensors(nn: Any, plan: Any) -> None:
    built = build(nn, plan)
    ranks = {len(t.shape) for _, _, t in tensors(built.root)}
    fmt = torch.channels_last_3d if 5 in ranks and 4 not in ranks else torch.channels_last
    rank = 5 if fmt is torch.channels_last_3d else 4
    if 4 in ranks and 5 in ranks:
        fmt, rank = torch.contiguous_format, None
    before = [(path, t.dtype, t.detach().clone()) for path, _, t in tensors(built.root)]
    result = built.root.to(memory_format=fmt)
    assert result is built.root, "to(memory_format=...) did not return the module"
    for (path, dtype, values), (_, _, t) in zip(before, tensors(built.root), strict=True):
        assert t.dtype == dtype and torch.equal(t.detach(), values), (
            f"to(memory_format={fmt}): {path} changed values"
        )
        if rank is not None and t.dim() == rank:
            assert t.is_contiguous(memory_format=fmt), (
                f"to(memory_format={fmt}): {path} {tuple(t.shape)} not converted"
            )
        if rank is None or t.dim() < 4:
            assert t.is_contiguous(), f"to(memory_format={fmt}): {path} lost its layout"


@pytest.mark.clause("APPLY-TO-MEMORY-FORMAT")
@given(
    shape=st.lists(st.integers(2, 3), min_size=4, max_size=4).map(tuple),
    dtype=st.sampled_from([torch.float32, torch.int64, torch.float64]),
)
def test_to_channels_last_every_dtype(nn: Any, shape: tuple[int, ...], dtype: Any) -> None:
    m = nn.Module()
    m.register_buffer("x", torch.arange(int(torch.tensor(shape).prod())).reshape(shape).to(dtype))
    m.p = nn.Parameter(torch.ones(shape))
    m.to(memory_format=torch.channels_last)
    for name in ("x", "p"):
        t = getattr(m, name)
        assert t.is_contiguous(memory_format=torch.channels_last), (
            f"to(channels_last): {name} {dtype} not converted"
        )
    assert m.x.dtype == dtype, f"to(memory_format=...): buffer dtype {dtype} became {m.x.dtype}"


@pytest.mark.clause("APPLY-META-TO-ERROR")
@settings(max_examples=8)  # each C++ NotImplementedError is slow to raise
@given(plan=apply_plans(max_nodes=3), target=st.sampled_from(["cpu", torch.device("cpu")]))
def test_to_from_meta_raises(nn: Any, plan: Any, target: Any) -> None:
    built = build(nn, plan, device="meta")
    with pytest.raises(NotImplementedError) as info:
        built.root.to(target)
    assert "to_empty" in str(info.value), (
        f"to({target!r}) from meta: message {info.value} does not name to_empty"
    )


@pytest.mark.clause("APPLY-TO-EMPTY")
@given(
    plan=apply_plans(),
    source=st.sampled_from(["cpu", "meta"]),
    target=st.sampled_from(["cpu", "meta"]),
    overwrite=st.booleans(),
)
def test_to_empty_keeps_shapes_and_dtypes(
    nn: Any, plan: Any, source: str, target: str, overwrite: bool
) -> None:
    built = build(nn, plan, device=source)
    before = [(path, kind, tuple(t.shape), t.dtype) for path, kind, t in tensors(built.root)]
    states = _param_states(built.root)
    with future_flags(overwrite, False):
        result = built.root.to_empty(device=target)
    assert result is built.root, "to_empty() did not return the module"
    after = [(path, kind, tuple(t.shape), t.dtype) for path, kind, t in tensors(built.root)]
    assert after == before, f"to_empty({source}->{target}): shapes/dtypes {after} != {before}"
    assert all(t.device.type == target for _, _, t in tensors(built.root)), f"to_empty(device={target!r})"
    assert _param_states(built.root) == states, "to_empty: requires_grad/grad presence changed"
    assert all(isinstance(v, nn.Parameter) for _, v in _param_slots(built.root)), "to_empty: lost a Parameter"


@pytest.mark.clause("APPLY-TO-EMPTY-RECURSE")
@given(plan=apply_plans(), recurse=st.booleans())
def test_to_empty_recurse_false_converts_own_tensors_only(nn: Any, plan: Any, recurse: bool) -> None:
    built = build(nn, plan, device="meta")
    built.root.to_empty(device="cpu", recurse=recurse)
    own = {id(v) for v in list(built.root._parameters.values()) + list(built.root._buffers.values())}
    for path, kind, t in tensors(built.root):
        if "." not in path or (kind == "grad" and path.count(".") == 1):
            assert t.device.type == "cpu", f"to_empty(recurse={recurse}): own {kind} {path} is on {t.device}"
        elif recurse:
            assert t.device.type == "cpu", f"to_empty(recurse=True): {kind} {path} is on {t.device}"
        elif id(t) not in own and kind != "grad":
            assert t.device.type == "meta", f"to_empty(recurse=False): submodule {kind} {path} was converted"


@pytest.mark.clause("APPLY-CPU", "APPLY-RECURSE", "APPLY-OVERWRITE-FLAG", "APPLY-SWAP-FLAG")
@given(plan=apply_plans(), overwrite=st.booleans(), swap=st.booleans(), via_to=st.booleans())
def test_cpu_reaches_the_whole_tree(nn: Any, plan: Any, overwrite: bool, swap: bool, via_to: bool) -> None:
    """cpu() (and to('cpu')) on a CPU tree keeps dtypes and values everywhere; with the overwrite switch
    alone it gives every parameter of every module a new object, so submodules must be reached too."""
    label = "to('cpu')" if via_to else "cpu()"
    built = build(nn, plan)
    before = [
        (path, kind, v, None if v is None else v.grad, None if v is None else (v.dtype, v.detach().clone()))
        for path, kind, v in _slots(built.root)
    ]
    with future_flags(overwrite, swap):
        result = built.root.to("cpu") if via_to else built.root.cpu()
    assert result is built.root, f"{label} did not return the module"
    renew = overwrite and not swap
    for (path, kind, old, grad, state), (_, _, new) in zip(before, _slots(built.root), strict=True):
        if old is None:
            assert new is None, f"{label}: None slot {path} now holds {type(new).__name__}"
            continue
        dtype, values = state
        assert new.device.type == "cpu" and new.dtype == dtype, (
            f"{label}: {kind} {path} is {new.dtype} on {new.device}, was {dtype} on cpu"
        )
        assert torch.equal(new.detach(), values), f"{label}: {kind} {path} changed its values"
        if kind != "param":
            assert new is old, f"{label}: buffer {path} needed no conversion but was replaced"
            continue
        assert isinstance(new, nn.Parameter), f"{label}: parameter {path} became {type(new).__name__}"
        if renew:
            assert new is not old, (
                f"{label} with the overwrite switch: parameter {path} kept its object (not reached?)"
            )
        else:
            assert new is old, f"{label} (overwrite={overwrite}, swap={swap}): parameter {path} was replaced"
        assert new.grad is grad, f"{label}: {path}.grad is another object (a move to the same device)"
