"""Module trees for the apply area, and a snapshot of everything a conversion may change.

``apply_plans`` draws pure-data plans: modules (a child always made before its parents, the root
last), parameters (float or complex, with or without ``.grad``, with or without requires_grad) and
buffers (float, int, bool, complex; persistent or not), with shared modules, shared tensors and None
slots. ``build`` makes the tree through a candidate's ``nn`` namespace; tensor values are fixed by the
plan, so the same plan gives equal trees on every candidate.

``snapshot`` records, slot by slot, what a conversion is specified to act on: dtype, device, shape,
values, class, requires_grad, the ``.grad`` and *which object* each slot holds, as an index into the
objects that were registered before the call ("new" for an object made by the call). Comparing the
snapshots of two candidates compares identity patterns without comparing ids.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis import strategies as st

PARAM_DTYPES = ("float32", "float64", "complex64")
BUFFER_DTYPES = ("float32", "float64", "float16", "int64", "int32", "bool", "complex64")
NAMES = ("w", "b", "a", "x", "y", "k", "bias", "z", "c")


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


def _values(plan: TensorPlan, device: str = "cpu") -> torch.Tensor:
    dtype = getattr(torch, plan.dtype)
    n = 1
    for s in plan.shape:
        n *= s
    base = torch.arange(n, dtype=torch.float64).reshape(plan.shape) * 0.75 + plan.offset
    if dtype == torch.bool:
        return (base > 0).to(device)
    if dtype.is_complex:
        return torch.complex(base, -base).to(dtype).to(device)
    return base.to(dtype).to(device)


@dataclass
class Built:
    root: Any
    modules: list[Any]
    params: list[Any]
    buffers: list[Any]
    grads: list[Any]


def build(nn: Any, plan: Plan, device: str = "cpu") -> Built:
    """Make the planned tree with the candidate's ``nn`` (tensors on ``device``)."""
    params = []
    grads = []
    for p in plan.params:
        param = nn.Parameter(_values(p, device), requires_grad=p.requires_grad)
        if p.grad:
            param.grad = _values(p, device) * 2
        params.append(param)
        grads.append(param.grad)
    buffers = [_values(b, device) for b in plan.buffers]
    modules: list[Any] = []
    for entries in plan.nodes:
        m = nn.Module()
        for e in entries:
            if e.kind == "param":
                m.register_parameter(e.name, None if e.ref is None else params[e.ref])
            elif e.kind == "child":
                m.add_module(e.name, None if e.ref is None else modules[e.ref])
            else:
                value = None if e.ref is None else buffers[e.ref]
                m.register_buffer(e.name, value, persistent=e.kind == "buffer")
        modules.append(m)
    return Built(modules[-1], modules, params, buffers, grads)


def _slots(module: Any, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every slot of the tree, once per path: (path, kind, value)."""
    for name, p in module._parameters.items():
        yield prefix + name, "param", p
    for name, b in module._buffers.items():
        persistent = name not in module._non_persistent_buffers_set
        yield prefix + name, "buffer" if persistent else "buffer-np", b
    for name, child in module._modules.items():
        if child is None:
            yield prefix + name, "child", None
        else:
            yield from _slots(child, prefix + name + ".")


def _identity(obj: Any, originals: list[Any]) -> str:
    for i, o in enumerate(originals):
        if obj is o:
            return f"#{i}"
    return "new"


def _describe(t: Any) -> dict[str, Any]:
    """Dtype, device, shape, class and (unless meta) values of a tensor."""
    if t is None:
        return {"value": None}
    out: dict[str, Any] = {
        "dtype": str(t.dtype),
        "device": t.device.type,
        "shape": tuple(t.shape),
        "parameter": "Parameter" in type(t).__name__,
        "requires_grad": t.requires_grad,
        "leaf": t.is_leaf,
    }
    if t.device.type != "meta":
        out["values"] = t.detach().cpu().tolist()
    return out


def snapshot(built: Built, *, values: bool = True) -> list[tuple[Any, ...]]:
    """Per slot: path, kind, description, identity among the originals, grad description and identity.

    Sharing after the call is recorded as the index of the first slot holding the same object (for
    objects registered before the call only).
    """
    originals = built.params + built.buffers
    grads = [g for g in built.grads if g is not None]
    rows: list[tuple[Any, ...]] = []
    seen: list[Any] = []
    for path, kind, value in _slots(built.root):
        if kind == "child":
            rows.append((path, kind, None))
            continue
        desc = _describe(value)
        if not values:
            desc.pop("values", None)
        first = next((i for i, s in enumerate(seen) if s is value), len(seen)) if value is not None else -1
        seen.append(value)
        identity = _identity(value, originals)
        if identity == "new":
            first = -1  # whether new objects stay shared is a quirk (APPLY-SHARED-SPLIT): not compared
        row: tuple[Any, ...] = (path, kind, desc, identity, first)
        if kind == "param" and value is not None:
            g = _describe(value.grad)
            if not values:
                g.pop("values", None)
            row += (g, _identity(value.grad, grads) if value.grad is not None else None)
        rows.append(row)
    return rows


def tensors(root: Any) -> Iterator[tuple[str, str, Any]]:
    """(path, kind, tensor) of every non-None parameter, grad and buffer of the tree, once per path."""
    for path, kind, value in _slots(root):
        if value is None:
            continue
        yield path, kind, value
        if kind == "param" and value.grad is not None:
            yield path + ".grad", "grad", value.grad


@contextlib.contextmanager
def future_flags(overwrite: bool, swap: bool) -> Iterator[None]:
    """Set both torch.__future__ conversion switches for the block, restoring them after."""
    fut = torch.__future__
    old = (fut.get_overwrite_module_params_on_conversion(), fut.get_swap_module_params_on_conversion())
    fut.set_overwrite_module_params_on_conversion(overwrite)
    fut.set_swap_module_params_on_conversion(swap)
    try:
        yield
    finally:
        fut.set_overwrite_module_params_on_conversion(old[0])
        fut.set_swap_module_params_on_conversion(old[1])


def outcome(call: Callable[[], Any], root: Any) -> tuple[str, Any]:
    """("self", None) / ("other", type name) for a return, ("raises", exception type name) otherwise."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
    except Exception as e:
        return ("raises", type(e).__name__)
    return ("self", None) if result is root else ("other", type(result).__name__)
