"""Module trees for the apply area, and a snapshot of everything a conversion may change.

``apply_plans`` draws pure-data plans: modules (a child always made before its parents, the root
last), parameters (float or complex, with or without ``.grad``, with or without requires_grad) and
buffers (float, int, bool, complex; persistent or not), with shared modules, shared tensors and None
slots. ``build`` makes the tree through a candidate (its ``nn`` namespace and tensor factory); tensor
values are fixed by the plan, so the same plan gives equal trees on every candidate.

``snapshot`` records, slot by slot, what a conversion is specified to act on: dtype, device, shape,
values, class, requires_grad, the ``.grad`` and *which object* each slot holds, as an index into the
objects that were registered before the call ("new" for an object made by the call). Comparing the
snapshots of two candidates compares identity patterns without comparing ids.

Everything here reaches tensors, dtypes and devices through the candidate, by name: dtypes are
numpy-style names (``float64``), devices torch-style names (``cpu``, ``meta``, ``cuda:0``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st

from adapters.base import Candidate

PARAM_DTYPES = ("float32", "float64", "complex64")
BUFFER_DTYPES = ("float32", "float64", "float16", "int64", "int32", "bool", "complex64")
NAMES = ("w", "b", "a", "x", "y", "k", "bias", "z", "c")

FLOATING = frozenset({"float16", "bfloat16", "float32", "float64"})
COMPLEX = frozenset({"complex64", "complex128"})


def is_floating(dtype: str) -> bool:
    """Whether the named dtype is real floating point (torch's ``is_floating_point``)."""
    return dtype in FLOATING


def is_complex(dtype: str) -> bool:
    return dtype in COMPLEX


@dataclass(frozen=True)
class TensorPlan:
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool  # parameters only
    grad: bool  # parameters only: give it a .grad
    offset: int


@dataclass(frozen=True)
class Entry:
    kind: str  # "param", "buffer", "buffer-np", "child"
    name: str
    ref: int | None


@dataclass(frozen=True)
class Plan:
    nodes: tuple[tuple[Entry, ...], ...]  # root last
    params: tuple[TensorPlan, ...]
    buffers: tuple[TensorPlan, ...]

    def __repr__(self) -> str:
        lines = ["Plan:"]
        lines += [f"  P{i} = {p}" for i, p in enumerate(self.params)]
        lines += [f"  B{i} = {b}" for i, b in enumerate(self.buffers)]
        for i, entries in enumerate(self.nodes):
            lines.append(f"  m{i}: " + ", ".join(f"{e.kind} {e.name}={e.ref}" for e in entries))
        return "\n".join(lines)


def _shapes(rank4: bool) -> st.SearchStrategy[tuple[int, ...]]:
    small = st.lists(st.integers(0, 3), max_size=2).map(tuple)
    if not rank4:
        return small
    return st.one_of(small, st.lists(st.integers(1, 2), min_size=4, max_size=5).map(tuple))


@st.composite
def apply_plans(
    draw: Callable[[st.SearchStrategy[Any]], Any],
    *,
    max_nodes: int = 5,
    param_dtypes: tuple[str, ...] = PARAM_DTYPES,
    buffer_dtypes: tuple[str, ...] = BUFFER_DTYPES,
    rank4: bool = False,
    grads: bool = True,
) -> Plan:
    """Plans of trees with sharing and None slots; the root has at least one parameter and one buffer."""
    params: list[TensorPlan] = []
    buffers: list[TensorPlan] = []
    nodes: list[tuple[Entry, ...]] = []
    count = draw(st.integers(1, max_nodes))
    for index in range(count):
        is_root = index == count - 1
        names = draw(st.permutations(NAMES))[: draw(st.integers(0, 5))]
        entries: list[Entry] = []
        kinds = ["param", "buffer", "buffer-np"] + (["child", "child"] if nodes else [])
        for name in names:
            kind = draw(st.sampled_from(kinds))
            choice = draw(st.integers(0, 6))
            pool = {"param": params, "child": nodes}.get(kind, buffers)
            if choice == 6:
                ref: int | None = None
            elif kind == "child":
                ref = draw(st.integers(0, len(nodes) - 1))
            elif choice >= 4 and pool:
                ref = draw(st.integers(0, len(pool) - 1))
            else:
                dtypes = param_dtypes if kind == "param" else buffer_dtypes
                dtype = draw(st.sampled_from(dtypes))
                req = kind == "param" and draw(st.booleans())
                grad = kind == "param" and grads and draw(st.booleans())
                pool.append(TensorPlan(draw(_shapes(rank4)), dtype, req, grad, draw(st.integers(-3, 3))))
                ref = len(pool) - 1
            entries.append(Entry(kind, name, ref))
        if is_root:
            used = {e.name for e in entries}
            free = [n for n in ("r0", "r1", "r2", "r3") if n not in used]
            for kind, pool, dtypes in (("param", params, param_dtypes), ("buffer", buffers, buffer_dtypes)):
                pool.append(TensorPlan((2,), draw(st.sampled_from(dtypes)), True, grads, 1))
                entries.insert(draw(st.integers(0, len(entries))), Entry(kind, free.pop(), len(pool) - 1))
            if len(nodes) >= 1:  # a child held twice by the root, and a shared parameter
                entries.append(Entry("child", free.pop(), len(nodes) - 1))
                entries.append(Entry("param", free.pop(), 0))
        nodes.append(tuple(entries))
    return Plan(tuple(nodes), tuple(params), tuple(buffers))


def plans_for(
    cand: Candidate,
    *,
    param_dtypes: tuple[str, ...] = PARAM_DTYPES,
    buffer_dtypes: tuple[str, ...] = BUFFER_DTYPES,
    **options: Any,
) -> st.SearchStrategy[Plan]:
    """``apply_plans`` with only the dtypes the candidate has (no complex tensors for a candidate lacking
    ``complex_dtypes``; no ``.grad`` for a candidate lacking ``autograd``)."""
    if "autograd" in cand.lacks:
        options["grads"] = False
    if "complex_dtypes" in cand.lacks:
        param_dtypes = tuple(d for d in param_dtypes if not is_complex(d))
        buffer_dtypes = tuple(d for d in buffer_dtypes if not is_complex(d))
    return apply_plans(param_dtypes=param_dtypes, buffer_dtypes=buffer_dtypes, **options)


def switch_settings(cand: Candidate) -> st.SearchStrategy[bool]:
    """Settings of one conversion switch: both values, or only off for a candidate without switches."""
    return st.just(False) if "conversion_switches" in cand.lacks else st.booleans()


def plan_values(plan: TensorPlan, scale: float = 1.0) -> np.ndarray:
    """The planned values of one tensor as a numpy array of its dtype."""
    n = int(np.prod(plan.shape, dtype=np.int64))
    base = (np.arange(n, dtype=np.float64).reshape(plan.shape) * 0.75 + plan.offset) * scale
    if plan.dtype == "bool":
        return base > 0
    if is_complex(plan.dtype):
        return (base - 1j * base).astype(plan.dtype)
    return base.astype(plan.dtype)  # integers: truncated toward zero


def make_tensor(cand: Candidate, plan: TensorPlan, device: str = "cpu", scale: float = 1.0) -> Any:
    t = cand.tensor(plan_values(plan, scale), plan.dtype)
    return t if device == "cpu" else cand.to_device(t, device)


def grad_of(cand: Candidate, param: Any) -> Any:
    """The ``.grad`` of a parameter; None for a candidate without ``autograd``, which has no gradients
    to read (its trees are planned without them)."""
    return None if "autograd" in cand.lacks else cand.grad(param)


@dataclass
class Built:
    root: Any
    modules: list[Any]
    params: list[Any]
    buffers: list[Any]
    grads: list[Any]


def build(cand: Candidate, plan: Plan, device: str = "cpu", *, none_under_test: bool = False) -> Built:
    """Make the planned tree with the candidate's ``nn`` (tensors on ``device``).

    A candidate that refuses a None slot fails the clauses about None slots, which their tests judge
    (``none_under_test``); in any other test the example is discarded, and the test judges its own clause
    on the trees without None slots."""
    nn = cand.nn
    params = []
    grads = []
    for p in plan.params:
        param = nn.Parameter(make_tensor(cand, p, device), requires_grad=p.requires_grad)
        if p.grad:
            cand.set_grad_tensor(param, make_tensor(cand, p, device, scale=2.0))
        params.append(param)
        grads.append(grad_of(cand, param))
    buffers = [make_tensor(cand, b, device) for b in plan.buffers]
    modules: list[Any] = []
    for entries in plan.nodes:
        m = nn.Module()
        for e in entries:
            if e.ref is None and not none_under_test:
                _register_incidental_none(m, e)
            elif e.kind == "param":
                m.register_parameter(e.name, None if e.ref is None else params[e.ref])
            elif e.kind == "child":
                m.add_module(e.name, None if e.ref is None else modules[e.ref])
            else:
                value = None if e.ref is None else buffers[e.ref]
                m.register_buffer(e.name, value, persistent=e.kind == "buffer")
        modules.append(m)
    return Built(modules[-1], modules, params, buffers, grads)


def _register_incidental_none(module: Any, e: Entry) -> None:
    try:
        if e.kind == "param":
            module.register_parameter(e.name, None)
        elif e.kind == "child":
            module.add_module(e.name, None)
        else:
            module.register_buffer(e.name, None, persistent=e.kind == "buffer")
    except Exception:  # any refusal: the None slot is not what this test is about
        reject()


def slots(cand: Candidate, module: Any, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every slot of the tree, once per path: (path, kind, value)."""
    for name, kind, value in cand.own_slots(module):
        if kind != "child":
            yield prefix + name, kind, value
        elif value is None:
            yield prefix + name, kind, None
        else:
            yield from slots(cand, value, prefix + name + ".")


def param_slots(cand: Candidate, root: Any) -> list[tuple[str, Any]]:
    """(path, parameter) of every non-None parameter slot of the tree."""
    return [(path, v) for path, kind, v in slots(cand, root) if kind == "param" and v is not None]


def index_of(cand: Candidate, obj: Any, objects: list[Any]) -> int | None:
    """The position of ``obj`` among ``objects`` by tensor identity (:meth:`Candidate.same_tensor`)."""
    return next((i for i, o in enumerate(objects) if o is not None and cand.same_tensor(obj, o)), None)


def _identity(cand: Candidate, obj: Any, originals: list[Any]) -> str:
    i = index_of(cand, obj, originals)
    return "new" if i is None else f"#{i}"


def device_type(cand: Candidate, t: Any) -> str:
    """``cpu``, ``cuda`` or ``meta``: the device name without its index."""
    return cand.device_name(t).partition(":")[0]


def plain_values(cand: Candidate, t: Any) -> np.ndarray:
    """The values of a candidate tensor as a numpy array (bfloat16 read through float32, which holds
    every bfloat16 value exactly)."""
    if cand.dtype_name(t) == "bfloat16":
        t = cand.cast(t, "float32")
    return np.asarray(cand.to_numpy(t))


def cast_values(cand: Candidate, t: Any, dtype: str) -> np.ndarray:
    """The values ``t`` has once cast to ``dtype`` by the candidate's own tensor cast."""
    return plain_values(cand, cand.cast(t, dtype))


def same_values(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b))


def describe(cand: Candidate, t: Any, *, values: bool = True, leaf: bool | None = None) -> dict[str, Any]:
    """Dtype, device, shape, class, requires_grad, leaf (where the candidate has autograd, or as ``leaf``
    says: a differential leaves it out on both sides for a candidate without) and (unless meta or not
    asked) values."""
    if t is None:
        return {"value": None}
    out: dict[str, Any] = {
        "dtype": cand.dtype_name(t),
        "device": device_type(cand, t),
        "shape": cand.shape(t),
        "parameter": isinstance(t, cand.nn.Parameter),
        "requires_grad": cand.requires_grad(t),
    }
    if leaf if leaf is not None else "autograd" not in cand.lacks:
        out["leaf"] = cand.is_leaf(t)
    if values and out["device"] != "meta":
        out["values"] = plain_values(cand, t).tolist()
    return out


def snapshot(
    cand: Candidate, built: Built, *, values: bool = True, leaf: bool | None = None
) -> list[tuple[Any, ...]]:
    """Per slot: path, kind, description, identity among the originals, grad description and identity.

    Sharing after the call is recorded as the index of the first slot holding the same object (for
    objects registered before the call only).
    """
    originals = built.params + built.buffers
    grads = [g for g in built.grads if g is not None]
    rows: list[tuple[Any, ...]] = []
    seen: list[Any] = []
    for path, kind, value in slots(cand, built.root):
        if kind == "child":
            rows.append((path, kind, None))
            continue
        desc = describe(cand, value, values=values, leaf=leaf)
        first = -1
        if value is not None:
            found = index_of(cand, value, seen)
            first = len(seen) if found is None else found
        seen.append(value)
        identity = _identity(cand, value, originals) if value is not None else "new"
        if identity == "new":
            first = -1  # whether new objects stay shared is a quirk (APPLY-SHARED-SPLIT): not compared
        row: tuple[Any, ...] = (path, kind, desc, identity, first)
        if kind == "param" and value is not None:
            grad = grad_of(cand, value)
            row += (
                describe(cand, grad, values=values, leaf=leaf),
                _identity(cand, grad, grads) if grad is not None else None,
            )
        rows.append(row)
    return rows


def tensors(cand: Candidate, root: Any) -> Iterator[tuple[str, str, Any]]:
    """(path, kind, tensor) of every non-None parameter, grad and buffer of the tree, once per path."""
    for path, kind, value in slots(cand, root):
        if value is None:
            continue
        yield path, kind, value
        grad = grad_of(cand, value) if kind == "param" else None
        if grad is not None:
            yield path + ".grad", "grad", grad


def outcome(call: Callable[[], Any], root: Any) -> tuple[str, Any]:
    """("self", None) / ("other", type name) for a return, ("raises", exception type name) otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
    except Exception as e:
        return ("raises", type(e).__name__)
    return ("self", None) if result is root else ("other", type(result).__name__)
