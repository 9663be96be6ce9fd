"""Direct property checks of the apply clauses on the candidate alone (CPU and meta).

Each test builds drawn trees through the candidate, converts them, and checks the result against what
the clause says, computed from the plan and from the objects registered before the call. Dtypes and
devices are named (``float64``, ``cpu``) and reach the framework through the candidate; call forms
some frameworks lack (the meta device, ``to(tensor)``, complex dtypes, ...) are left out for a
candidate that lacks the capability, or make the clause not applicable.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support.apply_calls import (
    DTYPE_RULES,
    FLOAT_METHODS,
    TO_DTYPE,
    TYPE_CASTS,
    Call,
    Cast,
    available,
    casts,
)
from suites.support.apply_trees import (
    Built,
    build,
    describe,
    device_type,
    grad_of,
    param_slots,
    plain_values,
    plans_for,
    same_values,
    slots,
    snapshot,
    switch_settings,
    tensors,
)

FLOATS_ONLY = {"param_dtypes": ("float32", "float64"), "buffer_dtypes": ("float32", "float64", "float16")}
INTEGER_DTYPES = ("int64", "int32", "int8", "uint8", "bool", "int16")


def _devices(cand: Candidate) -> list[str]:
    """The devices every candidate's conversions can be checked on here: the CPU, and meta if it has it."""
    return ["cpu"] if "meta_device" in cand.lacks else ["cpu", "meta"]


def _saved(cand: Candidate, built: Built) -> list[tuple[str, str, str, np.ndarray]]:
    """(path, kind, dtype, a copy of the values) of every tensor of the tree."""
    return [
        (path, kind, cand.dtype_name(t), plain_values(cand, t)) for path, kind, t in tensors(cand, built.root)
    ]


def _cast_of(cand: Candidate, values: np.ndarray, dtype: str, target: str) -> np.ndarray:
    """The values a tensor of ``dtype`` holding ``values`` has once cast to ``target``."""
    return plain_values(cand, cand.cast(cand.tensor(values, dtype), target))


@pytest.mark.clause("APPLY-RETURNS-SELF")
@given(
    data=st.data(),
    name=st.sampled_from(["to", "cpu", "type", "float", "double", "half", "bfloat16", "to_empty"]),
)
def test_conversions_return_self(cand: Candidate, data: st.DataObject, name: str) -> None:
    if name == "to_empty" and "to_empty" in cand.lacks:
        name = "cpu"
    built = build(cand, data.draw(plans_for(cand, max_nodes=3), label="plan"))
    args: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
        "to": ((), {"dtype": cand.dtype("float64")}),
        "type": ((cand.dtype("float32"),), {}),
        "to_empty": ((), {"device": "cpu"}),
    }
    a, kw = args.get(name, ((), {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = getattr(built.root, name)(*a, **kw)
    assert result is built.root, f"{name}(): returned {type(result).__name__} object, not the module itself"


def _check_cast(cand: Candidate, built: Built, cast: Cast) -> list[warnings.WarningMessage]:
    """Run ``cast`` on the tree and check every tensor's dtype (by the cast's rule) and values (those
    the candidate's own tensor cast gives); returns the warnings the call emitted."""
    before = _saved(cand, built)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cast.run(built.root, cand)
    after = list(tensors(cand, built.root))
    label = cast.label
    assert [(p, k) for p, k, _, _ in before] == [(p, k) for p, k, _ in after], f"{label}: slots changed"
    for (path, kind, dtype, old), (_, _, t) in zip(before, after, strict=True):
        got, want = cand.dtype_name(t), cast.rule(dtype)
        assert got == want, f"{label}: {kind} {path} was {dtype}, is {got}, want {want}"
        want_values = _cast_of(cand, old, dtype, got)
        got_values = plain_values(cand, t)
        assert same_values(got_values, want_values), (
            f"{label}: {kind} {path} values {got_values} != {want_values}"
        )
    return list(caught)


@pytest.mark.clause("APPLY-RECURSE")
@pytest.mark.clause_when_capable("APPLY-GRAD-CONVERTED")  # trees have no .grad without autograd
@given(data=st.data())
def test_casts_follow_dtype_rules(cand: Candidate, data: st.DataObject) -> None:
    """Every cast reaches every parameter, .grad and buffer of the tree. The trees hold real floating
    tensors only, which every cast converts (the rules for other dtypes are the clauses below)."""
    cast = data.draw(casts(cand), label="cast")
    built = build(cand, data.draw(plans_for(cand, **FLOATS_ONLY), label="plan"))
    _check_cast(cand, built, cast)


@pytest.mark.clause("APPLY-FLOAT-ONLY")
@given(data=st.data())
def test_float_methods_cast_floating_tensors_only(cand: Candidate, data: st.DataObject) -> None:
    cast = data.draw(casts(cand, FLOAT_METHODS), label="cast")
    _check_cast(cand, build(cand, data.draw(plans_for(cand), label="plan")), cast)


@pytest.mark.clause("APPLY-TO-DTYPE-FLOATING")
@given(data=st.data())
def test_to_dtype_casts_floating_and_complex_tensors(cand: Candidate, data: st.DataObject) -> None:
    cast = data.draw(casts(cand, TO_DTYPE), label="cast")
    _check_cast(cand, build(cand, data.draw(plans_for(cand), label="plan")), cast)


@pytest.mark.clause("APPLY-TYPE-ALL")
@given(data=st.data())
def test_type_casts_every_tensor(cand: Candidate, data: st.DataObject) -> None:
    cast = data.draw(casts(cand, TYPE_CASTS), label="cast")
    _check_cast(cand, build(cand, data.draw(plans_for(cand), label="plan")), cast)


@pytest.mark.clause("APPLY-TO-COMPLEX-WARNS")
@given(data=st.data())
def test_to_complex_warns_then_converts(cand: Candidate, data: st.DataObject) -> None:
    """On trees of real floating tensors, which every to(dtype) converts (which others it converts is
    APPLY-TO-DTYPE-FLOATING)."""
    cast = DTYPE_RULES["to(dtype=complex64)"]
    plan = data.draw(plans_for(cand, max_nodes=3, **FLOATS_ONLY), label="plan")
    caught = _check_cast(cand, build(cand, plan), cast)
    assert any(issubclass(w.category, UserWarning) for w in caught), (
        f"{cast.label}: no UserWarning (warnings: {[str(w.message) for w in caught]})"
    )


SLOT_CALLS = (
    Call("double()", lambda m, c: m.double()),
    Call("half()", lambda m, c: m.half()),
    Call("to('meta')", lambda m, c: m.to("meta"), needs=frozenset({"meta_device"})),
    Call("to_empty(device='cpu')", lambda m, c: m.to_empty(device="cpu"), needs=frozenset({"to_empty"})),
    Call("type(complex64)", lambda m, c: m.type(c.dtype("complex64")), needs=frozenset({"complex_dtypes"})),
)


def _param_states(cand: Candidate, root: Any) -> list[tuple[str, bool, bool]]:
    has_grad = (lambda v: False) if "autograd" in cand.lacks else (lambda v: grad_of(cand, v) is not None)
    return [(path, cand.requires_grad(v), has_grad(v)) for path, v in param_slots(cand, root)]


@pytest.mark.clause("APPLY-NONE-SLOTS", "APPLY-PARAM-STAYS-PARAMETER", "APPLY-REQUIRES-GRAD")
@pytest.mark.clause_when_capable("APPLY-GRAD-CONVERTED")
@given(data=st.data())
def test_slots_classes_and_flags_survive(cand: Candidate, data: st.DataObject) -> None:
    call = data.draw(st.sampled_from(available(cand, SLOT_CALLS)), label="call")
    overwrite = data.draw(switch_settings(cand), label="overwrite")
    swap = data.draw(switch_settings(cand), label="swap")
    built = build(cand, data.draw(plans_for(cand), label="plan"), none_under_test=True)
    label = call.label
    layout = [(path, kind, value is None) for path, kind, value in slots(cand, built.root)]
    states = _param_states(cand, built.root)
    with cand.conversion_switches(overwrite, swap):
        call.run(built.root, cand)
    after = list(slots(cand, built.root))
    assert [(p, k, v is None) for p, k, v in after] == layout, f"{label}: slot layout or None slots changed"
    assert _param_states(cand, built.root) == states, (
        f"{label}: (path, requires_grad, has grad) {_param_states(cand, built.root)} != before {states}"
    )
    for path, v in param_slots(cand, built.root):
        assert isinstance(v, cand.nn.Parameter), f"{label}: parameter {path} became {type(v).__name__}"
        assert "autograd" in cand.lacks or cand.is_leaf(v), f"{label}: parameter {path} is not a leaf"
        grad = grad_of(cand, v)
        if grad is not None:
            g = (cand.dtype_name(grad), device_type(cand, grad))
            p = (cand.dtype_name(v), device_type(cand, v))
            assert g == p, f"{label}: {path}.grad is {g[0]} on {g[1]}, parameter {p[0]} on {p[1]}"
            assert not cand.requires_grad(grad), f"{label}: {path}.grad requires grad"


KEEPING = ("double()", "float()", "half()", "to(dtype=float64)")


@pytest.mark.clause("APPLY-IDENTITY-KEPT", "APPLY-CPU")
@given(data=st.data(), label=st.sampled_from([*KEEPING, "cpu()"]))
def test_default_conversion_keeps_parameter_objects(cand: Candidate, data: st.DataObject, label: str) -> None:
    """With the switches off a cast (and cpu()) keeps every Parameter and .grad object; cpu() on a CPU
    tree also keeps every buffer object, dtype and value."""
    built = build(cand, data.draw(plans_for(cand), label="plan"))
    before = [(path, v, grad_of(cand, v)) for path, v in param_slots(cand, built.root)]
    buffers = [
        (path, v) for path, kind, v in slots(cand, built.root) if kind.startswith("buffer") and v is not None
    ]
    saved = _saved(cand, built)
    with cand.conversion_switches(False, False):
        if label == "cpu()":
            built.root.cpu()
        else:
            DTYPE_RULES[label].run(built.root, cand)
    for (path, old, grad), (_, new) in zip(before, param_slots(cand, built.root), strict=True):
        assert cand.same_tensor(new, old), f"{label}: parameter {path} was replaced by a new object"
        now = grad_of(cand, new)
        assert (now is None) == (grad is None), f"{label}: {path}.grad appeared or vanished"
        if grad is not None:
            assert cand.same_tensor(now, grad), f"{label}: {path}.grad object changed"
    if label != "cpu()":
        return
    now_buffers = [
        (path, v) for path, kind, v in slots(cand, built.root) if kind.startswith("buffer") and v is not None
    ]
    for (path, old), (_, new) in zip(buffers, now_buffers, strict=True):
        assert cand.same_tensor(new, old), f"cpu(): buffer {path} needed no move but was replaced"
    for (path, kind, dtype, values), (_, _, t) in zip(saved, tensors(cand, built.root), strict=True):
        assert (device_type(cand, t), cand.dtype_name(t)) == ("cpu", dtype), (
            f"cpu(): {kind} {path} is {cand.dtype_name(t)} on {cand.device_name(t)}, was {dtype} on cpu"
        )
        assert same_values(plain_values(cand, t), values), f"cpu(): {kind} {path} changed its values"


@pytest.mark.clause("APPLY-BUFFERS-REPLACED")
@given(data=st.data(), label=st.sampled_from(KEEPING))
def test_converted_buffers_are_replaced(cand: Candidate, data: st.DataObject, label: str) -> None:
    """A buffer the cast converts is a new object and the old one keeps its dtype and values; a buffer
    it leaves alone is the same object."""
    cast = DTYPE_RULES[label]
    built = build(cand, data.draw(plans_for(cand), label="plan"))
    before = [
        (path, v, cand.dtype_name(v), plain_values(cand, v))
        for path, kind, v in slots(cand, built.root)
        if kind.startswith("buffer") and v is not None
    ]
    with cand.conversion_switches(False, False):
        cast.run(built.root, cand)
    after = [v for _, kind, v in slots(cand, built.root) if kind.startswith("buffer") and v is not None]
    for (path, old, dtype, values), new in zip(before, after, strict=True):
        if cast.rule(dtype) == dtype:
            assert cand.same_tensor(new, old), (
                f"{label}: {dtype} buffer {path} needed no conversion but was replaced"
            )
            continue
        assert not cand.same_tensor(new, old), f"{label}: {dtype} buffer {path} was converted in place"
        assert cand.dtype_name(old) == dtype and same_values(plain_values(cand, old), values), (
            f"{label}: the old buffer {path} was changed (now {cand.dtype_name(old)})"
        )


@pytest.mark.clause("APPLY-IDENTITY-NEW", "APPLY-OVERWRITE-FLAG")
@given(data=st.data(), label=st.sampled_from(["to('meta')", "double()", "half()"]), overwrite=st.booleans())
def test_new_parameter_objects_leave_old_ones_alone(
    cand: Candidate, data: st.DataObject, label: str, overwrite: bool
) -> None:
    meta = label == "to('meta')"
    built = build(cand, data.draw(plans_for(cand), label="plan"))
    before = [
        (path, v, grad_of(cand, v), cand.dtype_name(v), plain_values(cand, v))
        for path, v in param_slots(cand, built.root)
    ]
    with cand.conversion_switches(overwrite, False):
        if meta:
            built.root.to("meta")
        else:
            DTYPE_RULES[label].run(built.root, cand)
    if not (meta or overwrite):
        return  # the identity-kept case, checked by test_default_conversion_keeps_parameter_objects
    for (path, old, grad, dtype, values), (_, new) in zip(before, param_slots(cand, built.root), strict=True):
        assert not cand.same_tensor(new, old), (
            f"{label} (overwrite={overwrite}): parameter {path} kept its object"
        )
        assert device_type(cand, old) == "cpu" and cand.dtype_name(old) == dtype, (
            f"{label} (overwrite={overwrite}): the old object of {path} was moved or cast"
        )
        assert same_values(plain_values(cand, old), values), (
            f"{label} (overwrite={overwrite}): the old object of {path} changed its values"
        )
        if grad is not None and (meta or DTYPE_RULES[label].rule(dtype) != dtype):
            assert not cand.same_tensor(grad_of(cand, new), grad), (
                f"{label} (overwrite={overwrite}): {path}.grad kept its object"
            )
            assert device_type(cand, grad) == "cpu" and cand.dtype_name(grad) == dtype, (
                f"{label}: the old {path}.grad was changed"
            )
            kept = cand.same_tensor(grad_of(cand, old), grad)
            assert kept, f"{label}: the old parameter {path} lost its .grad"
        if meta:
            assert device_type(cand, new) == "meta", (
                f"{label}: parameter {path} is on {cand.device_name(new)}"
            )


@pytest.mark.clause("APPLY-SHARED-SPLIT")
def test_shared_parameter_split_by_new_objects_recorded(cand: Candidate, record_property: Any) -> None:
    """Quirk: recorded, never required."""
    nn = cand.nn
    shared = nn.Parameter(cand.tensor([1.0, 1.0]))
    root, child = nn.Module(), nn.Module()
    root.register_parameter("p", shared)
    child.register_parameter("q", shared)
    root.add_module("c", child)
    with cand.conversion_switches(False, False):
        root.to("meta")
    record_property("to('meta') keeps a shared parameter shared", cand.same_tensor(root.p, child.q))


SWAP_CALLS = (
    Call("to('meta')", lambda m, c: m.to("meta"), needs=frozenset({"meta_device"})),
    Call("double()", lambda m, c: m.double()),
    Call("half()", lambda m, c: m.half()),
    Call("type(complex64)", lambda m, c: m.type(c.dtype("complex64")), needs=frozenset({"complex_dtypes"})),
)


@pytest.mark.clause("APPLY-SWAP-FLAG")
@given(data=st.data(), overwrite=st.booleans())
def test_swap_keeps_objects_and_changes_them(cand: Candidate, data: st.DataObject, overwrite: bool) -> None:
    call = data.draw(st.sampled_from(available(cand, SWAP_CALLS)), label="call")
    label = call.label
    built = build(cand, data.draw(plans_for(cand), label="plan"))
    before = [(path, v, grad_of(cand, v)) for path, v in param_slots(cand, built.root)]
    with cand.conversion_switches(overwrite, True):
        call.run(built.root, cand)
    for (path, old, grad), (_, new) in zip(before, param_slots(cand, built.root), strict=True):
        assert cand.same_tensor(new, old), (
            f"{label} (swap, overwrite={overwrite}): parameter {path} is a new object"
        )
        assert isinstance(old, cand.nn.Parameter), f"{label} (swap): {path} is no longer a Parameter"
        if grad is not None:
            assert cand.same_tensor(grad_of(cand, new), grad), f"{label} (swap): {path}.grad is a new object"
            g = (cand.dtype_name(grad), device_type(cand, grad))
            p = (cand.dtype_name(old), device_type(cand, old))
            assert g == p, (
                f"{label} (swap): the kept {path}.grad is {g[0]} on {g[1]}, parameter {p[0]} on {p[1]}"
            )
    if label == "to('meta')":
        assert all(device_type(cand, old) == "meta" for _, old, _ in before), (
            f"{label} (swap): old objects not moved"
        )


class Form:
    """One spelling of to() with the device and dtype it stands for (None: left as they are)."""

    def __init__(self, label: str, run: Any, device: str, dtype: str | None, needs: str = "") -> None:
        self.label, self.run, self.device, self.dtype = label, run, device, dtype
        self.needs = frozenset(needs.split())

    def __repr__(self) -> str:
        return self.label


def _float64_tensor(c: Candidate, device: str = "cpu") -> Any:
    t = c.tensor([0.0, 0.0], "float64")
    return t if device == "cpu" else c.to_device(t, device)


TO_FORMS = (
    Form("to(float64)", lambda m, c: m.to(c.dtype("float64")), "cpu", "float64"),
    Form("to(dtype=float64)", lambda m, c: m.to(dtype=c.dtype("float64")), "cpu", "float64"),
    Form("to('cpu', float64)", lambda m, c: m.to("cpu", c.dtype("float64")), "cpu", "float64"),
    Form(
        "to(device('cpu'), float64, True)",
        lambda m, c: m.to(c.device("cpu"), c.dtype("float64"), True),
        "cpu",
        "float64",
    ),
    Form(
        "to(device='cpu', dtype=float64, non_blocking=True)",
        lambda m, c: m.to(device="cpu", dtype=c.dtype("float64"), non_blocking=True),
        "cpu",
        "float64",
    ),
    Form(
        "to(tensor of float64)", lambda m, c: m.to(_float64_tensor(c)), "cpu", "float64", "to_tensor_argument"
    ),
    Form(
        "to(tensor=tensor of float64)",
        lambda m, c: m.to(tensor=_float64_tensor(c)),
        "cpu",
        "float64",
        "to_tensor_argument",
    ),
    Form(
        "to(float64, non_blocking=False)",
        lambda m, c: m.to(c.dtype("float64"), non_blocking=False),
        "cpu",
        "float64",
    ),
    Form("to('meta')", lambda m, c: m.to("meta"), "meta", None, "meta_device"),
    Form("to(device('meta'))", lambda m, c: m.to(c.device("meta")), "meta", None, "meta_device"),
    Form("to(device='meta')", lambda m, c: m.to(device="meta"), "meta", None, "meta_device"),
    Form(
        "to(meta tensor of float64)",
        lambda m, c: m.to(_float64_tensor(c, "meta")),
        "meta",
        "float64",
        "meta_device to_tensor_argument",
    ),
)


def _reference(form: Form, root: Any, cand: Candidate) -> Any:
    """The keyword form with the device and dtype ``form`` stands for."""
    if form.dtype is None:
        return root.to(device=form.device)
    return root.to(device=form.device, dtype=cand.dtype(form.dtype))


@pytest.mark.clause("APPLY-TO-FORMS")
@given(data=st.data())
def test_to_forms_match_direct_conversion(cand: Candidate, data: st.DataObject) -> None:
    """Each spelling of to() converts a tree exactly as to(device=..., dtype=...) converts an equal one."""
    form = data.draw(st.sampled_from(available(cand, TO_FORMS)), label="form")
    plan = data.draw(plans_for(cand), label="plan")
    built, reference = build(cand, plan), build(cand, plan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _reference(form, reference.root, cand)
        result = form.run(built.root, cand)
    assert result is built.root, f"{form}: returned {type(result).__name__}, not the module"
    got = [(p, k, describe(cand, t)) for p, k, t in tensors(cand, built.root)]
    want = [(p, k, describe(cand, t)) for p, k, t in tensors(cand, reference.root)]
    for g, w in zip(got, want, strict=True):
        assert g == w, f"{form}: {g[1]} {g[0]} is {g[2]}, the keyword form gives {w[2]}"
        assert g[2]["device"] == form.device, f"{form}: {g[1]} {g[0]} is on {g[2]['device']}"


@pytest.mark.clause("APPLY-TO-DTYPE-ERROR")
@given(
    data=st.data(),
    dtype=st.sampled_from(INTEGER_DTYPES),
    positional=st.booleans(),
    device=st.booleans(),
)
def test_to_integer_dtype_raises_before_converting(
    cand: Candidate, data: st.DataObject, dtype: str, positional: bool, device: bool
) -> None:
    built = build(cand, data.draw(plans_for(cand, max_nodes=3), label="plan"))
    before = snapshot(cand, built)
    args: tuple[Any, ...] = ("cpu",) if device else ()
    with pytest.raises(TypeError):
        if positional:
            built.root.to(*args, cand.dtype(dtype))
        else:
            built.root.to(*args, dtype=cand.dtype(dtype))
    assert snapshot(cand, built) == before, f"to({dtype}): the tree changed though TypeError was raised"


@pytest.mark.clause("APPLY-TYPE-INT-ERROR")
@given(data=st.data(), dtype=st.sampled_from(["int64", "int32", "bool"]))
def test_type_integer_with_grad_parameter_raises(cand: Candidate, data: st.DataObject, dtype: str) -> None:
    built = build(cand, data.draw(plans_for(cand, max_nodes=3), label="plan"))  # the root always holds a
    with pytest.raises(RuntimeError):  # parameter that requires grad
        built.root.type(cand.dtype(dtype))


@pytest.mark.clause("APPLY-TO-MEMORY-FORMAT")
@given(data=st.data())
def test_to_memory_format_converts_4d_tensors(cand: Candidate, data: st.DataObject) -> None:
    plan = data.draw(
        plans_for(cand, rank4=True, param_dtypes=("float32", "float64"), grads=False), label="plan"
    )
    built = build(cand, plan)
    ranks = {len(cand.shape(t)) for _, _, t in tensors(cand, built.root)}
    fmt, rank = ("channels_last_3d", 5) if 5 in ranks and 4 not in ranks else ("channels_last", 4)
    if 4 in ranks and 5 in ranks:
        fmt, rank = "contiguous_format", None
    before = _saved(cand, built)
    result = built.root.to(memory_format=cand.memory_format(fmt))
    assert result is built.root, "to(memory_format=...) did not return the module"
    for (path, _, dtype, values), (_, _, t) in zip(before, tensors(cand, built.root), strict=True):
        assert cand.dtype_name(t) == dtype and same_values(plain_values(cand, t), values), (
            f"to(memory_format={fmt}): {path} changed dtype or values"
        )
        dim = len(cand.shape(t))
        if rank is not None and dim == rank:
            assert cand.has_memory_format(t, fmt), (
                f"to(memory_format={fmt}): {path} {cand.shape(t)} not converted"
            )
        if rank is None or dim < 4:
            assert cand.has_memory_format(t, "contiguous_format"), (
                f"to(memory_format={fmt}): {path} lost its layout"
            )


@pytest.mark.clause("APPLY-TO-MEMORY-FORMAT")
@given(
    shape=st.lists(st.integers(2, 3), min_size=4, max_size=4).map(tuple),
    dtype=st.sampled_from(["float32", "int64", "float64"]),
)
def test_to_channels_last_every_dtype(cand: Candidate, shape: tuple[int, ...], dtype: str) -> None:
    nn = cand.nn
    m = nn.Module()
    m.register_buffer("x", cand.tensor(np.arange(int(np.prod(shape))).reshape(shape).astype(dtype), dtype))
    m.p = nn.Parameter(cand.tensor(np.ones(shape)))
    m.to(memory_format=cand.memory_format("channels_last"))
    for name in ("x", "p"):
        assert cand.has_memory_format(getattr(m, name), "channels_last"), (
            f"to(channels_last): {name} {dtype} not converted"
        )
    assert cand.dtype_name(m.x) == dtype, (
        f"to(memory_format=...): buffer dtype {dtype} became {cand.dtype_name(m.x)}"
    )


@pytest.mark.clause("APPLY-META-TO-ERROR")
@settings(max_examples=8)  # each C++ NotImplementedError is slow to raise
@given(data=st.data(), as_object=st.booleans())
def test_to_from_meta_raises(cand: Candidate, data: st.DataObject, as_object: bool) -> None:
    built = build(cand, data.draw(plans_for(cand, max_nodes=3), label="plan"), device="meta")
    target = cand.device("cpu") if as_object else "cpu"
    with pytest.raises(NotImplementedError) as info:
        built.root.to(target)
    assert "to_empty" in str(info.value), (
        f"to({target!r}) from meta: message {info.value} does not name to_empty"
    )


@pytest.mark.clause("APPLY-TO-EMPTY")
@given(data=st.data())
def test_to_empty_keeps_shapes_and_dtypes(cand: Candidate, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(_devices(cand)), label="source")
    target = data.draw(st.sampled_from(_devices(cand)), label="target")
    overwrite = data.draw(switch_settings(cand), label="overwrite")
    built = build(cand, data.draw(plans_for(cand), label="plan"), device=source)

    def layout() -> list[tuple[str, str, tuple[int, ...], str]]:
        return [
            (path, kind, cand.shape(t), cand.dtype_name(t)) for path, kind, t in tensors(cand, built.root)
        ]

    before = layout()
    states = _param_states(cand, built.root)
    with cand.conversion_switches(overwrite, False):
        result = built.root.to_empty(device=target)
    assert result is built.root, "to_empty() did not return the module"
    assert layout() == before, f"to_empty({source}->{target}): shapes/dtypes {layout()} != {before}"
    assert all(device_type(cand, t) == target for _, _, t in tensors(cand, built.root)), (
        f"to_empty(device={target!r})"
    )
    assert _param_states(cand, built.root) == states, "to_empty: requires_grad/grad presence changed"
    assert all(isinstance(v, cand.nn.Parameter) for _, v in param_slots(cand, built.root)), (
        "to_empty: lost a Parameter"
    )


@pytest.mark.clause("APPLY-TO-EMPTY-RECURSE")
@given(data=st.data(), recurse=st.booleans())
def test_to_empty_recurse_false_converts_own_tensors_only(
    cand: Candidate, data: st.DataObject, recurse: bool
) -> None:
    built = build(cand, data.draw(plans_for(cand), label="plan"), device="meta")
    built.root.to_empty(device="cpu", recurse=recurse)
    own = [v for _, kind, v in cand.own_slots(built.root) if kind != "child" and v is not None]
    for path, kind, t in tensors(cand, built.root):
        where = device_type(cand, t)
        if "." not in path or (kind == "grad" and path.count(".") == 1):
            assert where == "cpu", f"to_empty(recurse={recurse}): own {kind} {path} is on {where}"
        elif recurse:
            assert where == "cpu", f"to_empty(recurse=True): {kind} {path} is on {where}"
        elif kind != "grad" and not any(cand.same_tensor(t, o) for o in own):
            assert where == "meta", f"to_empty(recurse=False): submodule {kind} {path} was converted"


@pytest.mark.clause("APPLY-CPU", "APPLY-RECURSE", "APPLY-OVERWRITE-FLAG", "APPLY-SWAP-FLAG")
@given(data=st.data())
def test_cpu_reaches_the_whole_tree(cand: Candidate, data: st.DataObject) -> None:
    """cpu() and to('cpu') on a CPU tree keep dtypes and values everywhere; with the overwrite switch
    alone they give every parameter of every module a new object, so submodules must be reached too.
    Every example runs both calls under every setting of the two switches, each on a fresh equal tree."""
    plan = data.draw(plans_for(cand), label="plan")
    for overwrite, swap, via_to in itertools.product((False, True), repeat=3):
        _check_cpu_move(cand, build(cand, plan), overwrite, swap, via_to)


def _check_cpu_move(cand: Candidate, built: Built, overwrite: bool, swap: bool, via_to: bool) -> None:
    label = "to('cpu')" if via_to else "cpu()"
    before = [
        (path, kind, v, None if v is None else grad_of(cand, v) if kind == "param" else None)
        for path, kind, v in slots(cand, built.root)
    ]
    saved = {path: (dtype, values) for path, _, dtype, values in _saved(cand, built)}
    with cand.conversion_switches(overwrite, swap):
        result = built.root.to("cpu") if via_to else built.root.cpu()
    assert result is built.root, f"{label} did not return the module"
    renew = overwrite and not swap
    for (path, kind, old, grad), (_, _, new) in zip(before, slots(cand, built.root), strict=True):
        if old is None:
            assert new is None, f"{label}: None slot {path} now holds {type(new).__name__}"
            continue
        if kind == "child":
            continue
        dtype, values = saved[path]
        assert device_type(cand, new) == "cpu" and cand.dtype_name(new) == dtype, (
            f"{label}: {kind} {path} is {cand.dtype_name(new)} on {cand.device_name(new)}, was {dtype} on cpu"
        )
        assert same_values(plain_values(cand, new), values), f"{label}: {kind} {path} changed its values"
        if kind != "param":
            assert cand.same_tensor(new, old), f"{label}: buffer {path} needed no conversion but was replaced"
            continue
        assert isinstance(new, cand.nn.Parameter), f"{label}: parameter {path} became {type(new).__name__}"
        if renew:
            assert not cand.same_tensor(new, old), (
                f"{label} with the overwrite switch: parameter {path} kept its object (not reached?)"
            )
        else:
            assert cand.same_tensor(new, old), (
                f"{label} (overwrite={overwrite}, swap={swap}): parameter {path} was replaced"
            )
        now = grad_of(cand, new)
        assert (now is None) == (grad is None) and (grad is None or cand.same_tensor(now, grad)), (
            f"{label}: {path}.grad is another object (a move to the same device)"
        )
