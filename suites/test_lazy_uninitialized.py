"""Clause tests for UninitializedParameter, UninitializedBuffer and materialize.

Every test makes fresh uninitialized tensors through the candidate's ``nn`` namespace, varying
requires_grad, dtype, the shape given to materialize (an int or a tuple), the operation attempted and
who else holds the object.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from suites.support.lazy_layers import is_initialized_parameter, is_parameter

DTYPES = (None, "float32", "float64", "float16", "bfloat16")
KINDS = ("UninitializedParameter", "UninitializedBuffer")


def make(nn: Any, kind: str, requires_grad: bool | None = None, dtype: str | None = None) -> Any:
    kwargs: dict[str, Any] = {}
    if requires_grad is not None:
        kwargs["requires_grad"] = requires_grad
    if dtype is not None:
        kwargs["dtype"] = getattr(torch, dtype)
    return getattr(nn, kind)(**kwargs)


def expected_dtype(dtype: str | None) -> torch.dtype:
    return torch.get_default_dtype() if dtype is None else getattr(torch, dtype)


shapes = st.one_of(
    st.integers(0, 4),
    st.lists(st.integers(0, 3), max_size=3).map(tuple),
)


def as_tuple(shape: int | tuple[int, ...]) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else shape


# ---------------------------------------------------------------------------------------------------
# construction


@pytest.mark.clause("LAZY-UPARAM-IS-PARAMETER")
@given(requires_grad=st.sampled_from((None, True, False)), name=st.sampled_from(("weight", "w", "p0")))
def test_uninitialized_parameter_is_a_parameter(nn: Any, requires_grad: bool | None, name: str) -> None:
    p = make(nn, "UninitializedParameter", requires_grad)
    assert is_parameter(nn, p), f"isinstance(UninitializedParameter(), Parameter) is False ({type(p)})"
    want = True if requires_grad is None else requires_grad
    assert p.requires_grad is want, (
        f"UninitializedParameter(requires_grad={requires_grad}).requires_grad is {p.requires_grad}, "
        f"want {want}"
    )
    module = nn.Module()
    setattr(module, name, p)
    got = [n for n, q in module.named_parameters() if q is p]
    assert got == [name], f"after module.{name} = UninitializedParameter(), named_parameters() gave {got}"


@pytest.mark.clause("LAZY-UPARAM-FACTORY")
@given(kind=st.sampled_from(KINDS), dtype=st.sampled_from(DTYPES))
def test_uninitialized_factory_arguments(nn: Any, kind: str, dtype: str | None) -> None:
    t = make(nn, kind, dtype=dtype)
    assert t.dtype == expected_dtype(dtype), f"{kind}(dtype={dtype}).dtype is {t.dtype}"
    assert t.device == torch.device("cpu"), f"{kind}().device is {t.device}, want cpu"
    cpu = getattr(nn, kind)(device="cpu")
    assert cpu.device == torch.device("cpu"), f"{kind}(device='cpu').device is {cpu.device}"


@pytest.mark.clause("LAZY-UBUF-DEFAULTS")
@given(requires_grad=st.sampled_from((None, True, False)), persistent=st.sampled_from((None, True, False)))
def test_uninitialized_buffer_defaults(nn: Any, requires_grad: bool | None, persistent: bool | None) -> None:
    kwargs: dict[str, Any] = {}
    if requires_grad is not None:
        kwargs["requires_grad"] = requires_grad
    if persistent is not None:
        kwargs["persistent"] = persistent
    b = nn.UninitializedBuffer(**kwargs)
    assert isinstance(b, torch.Tensor), f"UninitializedBuffer({kwargs}) is not a tensor: {type(b)}"
    assert not is_parameter(nn, b), f"UninitializedBuffer({kwargs}) counts as a Parameter"
    want_grad = False if requires_grad is None else requires_grad
    assert b.requires_grad is want_grad, f"UninitializedBuffer({kwargs}).requires_grad is {b.requires_grad}"
    want_persistent = True if persistent is None else persistent
    assert b.persistent is want_persistent, f"UninitializedBuffer({kwargs}).persistent is {b.persistent}"


@pytest.mark.clause("LAZY-UBUF-REGISTER")
@given(persistent=st.booleans(), name=st.sampled_from(("running_mean", "b", "stat")))
def test_uninitialized_buffer_assignment_registers_a_buffer(nn: Any, persistent: bool, name: str) -> None:
    module = nn.Module()
    b = nn.UninitializedBuffer(persistent=persistent)
    assert isinstance(b, nn.Buffer), "isinstance(UninitializedBuffer(), nn.Buffer) is False"
    setattr(module, name, b)
    got = [n for n, t in module.named_buffers() if t is b]
    assert got == [name], f"module.{name} = UninitializedBuffer(): named_buffers() gave {got}"
    assert list(module.parameters()) == [], "an UninitializedBuffer was registered as a parameter"
    b.materialize((2,))  # a plain module cannot save an uninitialized buffer (it detaches it)
    keys = list(module.state_dict())
    want = [name] if persistent else []
    assert keys == want, f"UninitializedBuffer(persistent={persistent}) as {name!r}: state_dict keys {keys}"


# ---------------------------------------------------------------------------------------------------
# what can and cannot be done with an uninitialized tensor


@pytest.mark.clause("LAZY-UPARAM-SHAPE-ERROR")
@given(kind=st.sampled_from(KINDS), dtype=st.sampled_from(DTYPES))
def test_shape_of_uninitialized_raises_runtime_error(nn: Any, kind: str, dtype: str | None) -> None:
    t = make(nn, kind, dtype=dtype)
    with pytest.raises(RuntimeError):
        _ = t.shape
    module = nn.Module()
    module.w = nn.UninitializedParameter()
    with pytest.raises(RuntimeError):
        _ = module.w.shape


OPERATIONS = {
    "t + 1": lambda t: t + 1,
    "t * t": lambda t: t * t,
    "-t": lambda t: -t,
    "t.sum()": lambda t: t.sum(),
    "t.mean()": lambda t: t.mean(),
    "t.view(-1)": lambda t: t.view(-1),
    "t.reshape(-1)": lambda t: t.reshape(-1),
    "t[0]": lambda t: t[0],
    "t.clone()": lambda t: t.clone(),
    "t.detach()": lambda t: t.detach(),
    "t.numel()": lambda t: t.numel(),
    "t.dim()": lambda t: t.dim(),
    "t.fill_(1)": lambda t: t.fill_(1),
    "t.zero_()": lambda t: t.zero_(),
    "torch.mul(t, 2)": lambda t: torch.mul(t, 2),
    "torch.exp(t)": lambda t: torch.exp(t),
    "F.relu(t)": lambda t: F.relu(t),
    "F.linear(x, t)": lambda t: F.linear(torch.ones(2, 2), t),
    "torch.cat([t, t])": lambda t: torch.cat([t, t]),
}


@pytest.mark.clause("LAZY-UPARAM-OPS-ERROR")
@given(kind=st.sampled_from(KINDS), op=st.sampled_from(sorted(OPERATIONS)), requires_grad=st.booleans())
def test_operations_on_uninitialized_raise_value_error(
    nn: Any, kind: str, op: str, requires_grad: bool
) -> None:
    t = make(nn, kind, requires_grad=requires_grad)
    if op in ("t.fill_(1)", "t.zero_()"):
        with torch.no_grad(), pytest.raises(ValueError):
            OPERATIONS[op](t)
        return
    try:
        result = OPERATIONS[op](t)
    except ValueError:
        return
    except Exception as exc:  # the type is what is under test
        pytest.fail(f"{op} on {kind}() raised {type(exc).__name__}: {exc}, expected ValueError")
    pytest.fail(f"{op} on {kind}() returned {type(result).__name__} instead of raising ValueError")


@pytest.mark.clause("LAZY-UPARAM-ATTRS")
@given(kind=st.sampled_from(KINDS), requires_grad=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_attributes_of_uninitialized_are_readable(
    nn: Any, kind: str, requires_grad: bool, dtype: str | None
) -> None:
    t = make(nn, kind, requires_grad=requires_grad, dtype=dtype)
    assert t.dtype == expected_dtype(dtype), f"{kind}.dtype is {t.dtype}"
    assert t.device == torch.device("cpu"), f"{kind}.device is {t.device}"
    assert t.requires_grad is requires_grad, (
        f"{kind}(requires_grad={requires_grad}).requires_grad is {t.requires_grad}"
    )
    assert t.is_leaf, f"{kind}().is_leaf is False"
    assert t.is_floating_point() is True, f"{kind}(dtype={dtype}).is_floating_point() is not True"


@pytest.mark.clause("LAZY-UPARAM-REPR")
@given(kind=st.sampled_from(KINDS), requires_grad=st.booleans())
def test_repr_of_uninitialized(nn: Any, kind: str, requires_grad: bool) -> None:
    t = make(nn, kind, requires_grad=requires_grad)
    assert repr(t) == f"<{kind}>", f"repr({kind}()) is {repr(t)!r}, want '<{kind}>'"
    assert str(t) == f"<{kind}>", f"str({kind}()) is {str(t)!r}, want '<{kind}>'"


@pytest.mark.clause("LAZY-UPARAM-DEEPCOPY")
@given(requires_grad=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_deepcopy_of_uninitialized_parameter(nn: Any, requires_grad: bool, dtype: str | None) -> None:
    p = make(nn, "UninitializedParameter", requires_grad=requires_grad, dtype=dtype)
    q = copy.deepcopy(p)
    assert q is not p, "copy.deepcopy(UninitializedParameter()) returned the same object"
    assert type(q) is type(p), f"copy.deepcopy gave a {type(q).__name__}, want UninitializedParameter"
    assert (q.requires_grad, q.dtype, q.device) == (p.requires_grad, p.dtype, p.device), (
        f"deepcopy: (requires_grad, dtype, device) {(q.requires_grad, q.dtype, q.device)} "
        f"!= {(p.requires_grad, p.dtype, p.device)}"
    )
    pair = copy.deepcopy([p, p])
    assert pair[0] is pair[1], "copy.deepcopy([p, p]) made two copies of one UninitializedParameter"


# ---------------------------------------------------------------------------------------------------
# materialize


@pytest.mark.clause("LAZY-MATERIALIZE-INPLACE")
@given(shape=shapes, dtype=st.sampled_from(DTYPES), via_module=st.booleans())
def test_materialize_turns_the_same_object_into_a_parameter(
    nn: Any, shape: int | tuple[int, ...], dtype: str | None, via_module: bool
) -> None:
    p = make(nn, "UninitializedParameter", dtype=dtype)
    holders = [p]
    module = nn.Module()
    module.w = p
    target = module.w if via_module else p
    result = target.materialize(shape)
    assert result is None, f"materialize({shape!r}) returned {type(result).__name__}, want None (in place)"
    assert is_initialized_parameter(nn, p), f"after materialize({shape!r}) the object is a {type(p).__name__}"
    assert holders[0] is p and module.w is p, "after materialize the module holds another object"
    assert tuple(p.shape) == as_tuple(shape), f"materialize({shape!r}) gave shape {tuple(p.shape)}"
    assert [q for q in module.parameters()] == [p], "after materialize parameters() does not yield the object"
    doubled = p * 2  # usable now
    assert tuple(doubled.shape) == as_tuple(shape), (
        f"p * 2 after materialize has shape {tuple(doubled.shape)}"
    )


@pytest.mark.clause("LAZY-MATERIALIZE-REQUIRES-GRAD")
@given(requires_grad=st.booleans(), shape=shapes, kind=st.sampled_from(KINDS))
def test_materialize_keeps_requires_grad(nn: Any, requires_grad: bool, shape: Any, kind: str) -> None:
    t = make(nn, kind, requires_grad=requires_grad)
    t.materialize(shape)
    assert t.requires_grad is requires_grad, (
        f"{kind}(requires_grad={requires_grad}).materialize({shape!r}): "
        f"requires_grad became {t.requires_grad}"
    )
    assert t.is_leaf, f"{kind}.materialize({shape!r}) left a non-leaf"


# conversions of a module holding the uninitialized tensor before it is materialized, and the dtype they
# give a floating tensor (None: no conversion, the dtype it was made with)
CONVERSIONS: dict[str, tuple[Any, str | None]] = {
    "none": (lambda m: m, None),
    "double()": (lambda m: m.double(), "float64"),
    "half()": (lambda m: m.half(), "float16"),
    "double().float()": (lambda m: m.double().float(), "float32"),
    "to(torch.float64)": (lambda m: m.to(torch.float64), "float64"),
    "to('cpu', dtype=torch.float16)": (lambda m: m.to("cpu", dtype=torch.float16), "float16"),
}


@pytest.mark.clause("LAZY-MATERIALIZE-DTYPE-DEVICE")
@given(
    kind=st.sampled_from(KINDS),
    made=st.sampled_from(DTYPES),
    conversion=st.sampled_from(sorted(CONVERSIONS)),
    given_dtype=st.sampled_from(DTYPES),
    made_device=st.sampled_from((None, "cpu", "meta")),
    pass_device=st.booleans(),
    shape=shapes,
)
def test_materialize_dtype_and_device(
    nn: Any,
    kind: str,
    made: str | None,
    conversion: str,
    given_dtype: str | None,
    made_device: str | None,
    pass_device: bool,
    shape: Any,
) -> None:
    # torch cannot materialize onto another device than the placeholder's (set_data refuses the type),
    # so the device argument, where drawn, names the placeholder's own device
    given_device = (made_device or "cpu") if pass_device else None
    factory: dict[str, Any] = {} if made is None else {"dtype": getattr(torch, made)}
    if made_device is not None:
        factory["device"] = made_device
    module = nn.Module()
    if kind == "UninitializedParameter":
        module.t = nn.UninitializedParameter(**factory)
    else:
        module.register_buffer("t", nn.UninitializedBuffer(**factory))
    convert, converted = CONVERSIONS[conversion]
    if made_device == "meta" and conversion != "none":
        converted = None  # only dtype conversions on the CPU are drawn with a conversion
        convert = CONVERSIONS["none"][0]
        conversion = "none"
    convert(module)
    t = module.t  # a converted buffer is a new (still uninitialized) object in the slot
    current = getattr(torch, converted) if converted is not None else expected_dtype(made)
    assert t.dtype == current, f"{kind}(dtype={made}) after {conversion}: dtype {t.dtype}, want {current}"
    kwargs: dict[str, Any] = {} if given_dtype is None else {"dtype": getattr(torch, given_dtype)}
    if given_device is not None:
        kwargs["device"] = given_device
    t.materialize(shape, **kwargs)
    want = current if given_dtype is None else getattr(torch, given_dtype)
    label = f"{kind}(**{factory}), {conversion}, materialize({shape!r}, **{kwargs})"
    assert t.dtype == want, f"{label}: dtype {t.dtype}, want {want}"
    want_device = given_device or made_device or "cpu"
    assert t.device == torch.device(want_device), f"{label}: the tensor is on {t.device}, want {want_device}"
    assert tuple(t.shape) == as_tuple(shape), f"{label}: shape {tuple(t.shape)}"
    assert module.t is t, f"{label}: the module holds another object after materialize"


@pytest.mark.clause("LAZY-UBUF-MATERIALIZE")
@given(shape=shapes, persistent=st.booleans(), dtype=st.sampled_from(DTYPES))
def test_buffer_materialize_gives_a_plain_tensor(
    nn: Any, shape: Any, persistent: bool, dtype: str | None
) -> None:
    b = nn.UninitializedBuffer(
        persistent=persistent, **({} if dtype is None else {"dtype": getattr(torch, dtype)})
    )
    module = nn.Module()
    module.register_buffer("b", b)
    b.materialize(shape)
    assert type(b) is torch.Tensor, f"UninitializedBuffer.materialize({shape!r}) left a {type(b).__name__}"
    assert module.b is b, "after materialize the module holds another buffer object"
    assert tuple(b.shape) == as_tuple(shape), f"materialize({shape!r}) gave shape {tuple(b.shape)}"
    assert b.dtype == expected_dtype(dtype), f"materialize changed the dtype to {b.dtype}"
    assert not b.requires_grad, "a materialized buffer requires grad"


@pytest.mark.clause("LAZY-MATERIALIZE-OTHER-DEVICE")
@given(kind=st.sampled_from(KINDS), made=st.sampled_from(("cpu", "meta")), shape=shapes)
def test_materialize_refuses_another_device(nn: Any, kind: str, made: str, shape: Any) -> None:
    t = getattr(nn, kind)(device=made)
    other = "meta" if made == "cpu" else "cpu"
    with pytest.raises(RuntimeError):
        t.materialize(shape, device=other)
    assert t.device == torch.device(made), f"{kind}(device={made!r}) moved to {t.device} by a refused call"
