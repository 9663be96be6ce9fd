"""Hook programs: a module tree, hooks with options and behaviours, calls and backward passes.

A program is plain data (drawn by :func:`programs`); :func:`run_program` executes it on one ``nn``
namespace and returns a call log of plain Python values: which hook ran, on which module path, in
which phase, with which arguments, and what each call and backward returned or raised. Running the
same program on the candidate and on the oracle must give equal logs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

# behaviours per hook kind
PRE_BEHAVIOURS = ("none", "tuple", "bare", "raise", "remove_self", "add_fwd_hook")
PRE_KW_BEHAVIOURS = ("none", "pair", "bad", "raise")
FWD_BEHAVIOURS = ("none", "replace", "raise", "remove_self")
BWD_PRE_BEHAVIOURS = ("none", "scale", "raise")
BWD_BEHAVIOURS = ("none", "scale", "wronglen")
KINDS = ("pre", "fwd", "bwd_pre", "bwd")


@dataclass(frozen=True)
class HookSpec:
    kind: str  # pre | fwd | bwd_pre | bwd
    target: int | None  # module index, None = global
    behaviour: str
    prepend: bool = False
    with_kwargs: bool = False
    always_call: bool = False


@dataclass(frozen=True)
class CallSpec:
    x: tuple[float, ...]
    x_grad: bool
    y: tuple[float, ...] | None
    scale: float | None
    backward: bool


@dataclass(frozen=True)
class Program:
    parents: tuple[int, ...]  # parent index of module i+1
    fail: frozenset[int]  # modules whose forward raises
    hooks: tuple[HookSpec, ...]
    calls: tuple[CallSpec, ...]
    remove_after_first: frozenset[int] = field(default_factory=frozenset)


WIDTH = 3
VALUES = st.integers(-3, 3).map(float)


@st.composite
def hook_specs(draw: st.DrawFn, n_modules: int) -> HookSpec:
    kind = draw(st.sampled_from(KINDS))
    target = draw(st.none() | st.integers(0, n_modules - 1))
    with_kwargs = False
    always_call = False
    prepend = False
    if kind == "pre":
        with_kwargs = target is not None and draw(st.booleans())
        behaviour = draw(st.sampled_from(PRE_KW_BEHAVIOURS if with_kwargs else PRE_BEHAVIOURS))
    elif kind == "fwd":
        with_kwargs = draw(st.booleans())
        always_call = draw(st.booleans())
        behaviour = draw(st.sampled_from(FWD_BEHAVIOURS))
    elif kind == "bwd_pre":
        behaviour = draw(st.sampled_from(BWD_PRE_BEHAVIOURS))
    else:
        behaviour = draw(st.sampled_from(BWD_BEHAVIOURS))
    if target is not None:
        prepend = draw(st.booleans())
    return HookSpec(kind, target, behaviour, prepend, with_kwargs, always_call)


@st.composite
def call_specs(draw: st.DrawFn) -> CallSpec:
    vec = st.tuples(*[VALUES] * WIDTH)
    return CallSpec(
        x=draw(vec),
        x_grad=draw(st.booleans()),
        y=draw(st.none() | vec),
        scale=draw(st.none() | st.sampled_from([2.0, -1.0])),
        backward=draw(st.booleans()),
    )


@st.composite
def programs(draw: st.DrawFn, max_modules: int = 4, max_hooks: int = 6) -> Program:
    n = draw(st.integers(1, max_modules))
    parents = tuple(draw(st.integers(0, i)) for i in range(n - 1))
    fail = frozenset(draw(st.sets(st.integers(0, n - 1), max_size=1)))
    hooks = tuple(draw(st.lists(hook_specs(n), min_size=2, max_size=max_hooks)))
    calls = tuple(draw(st.lists(call_specs(), min_size=1, max_size=2)))
    removed = (
        frozenset(draw(st.sets(st.integers(0, max(len(hooks) - 1, 0)), max_size=2))) if hooks else frozenset()
    )
    return Program(parents, fail, hooks, calls, removed)


def summarize(value: Any) -> Any:
    """Plain, comparable form of a hook argument or result."""
    if isinstance(value, torch.Tensor):
        return ("T", tuple(value.shape), tuple(np.round(value.detach().cpu().numpy().ravel(), 4).tolist()))
    if isinstance(value, tuple | list):
        return tuple(summarize(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, summarize(v)) for k, v in value.items()))
    if isinstance(value, float):
        return round(value, 4)
    return value


def build_tree(nn: Any, parents: tuple[int, ...], fail: frozenset[int]) -> tuple[list[Any], dict[int, str]]:
    """Modules 0..n-1 (0 the root), each with a weight and its children called in order."""

    class Node(nn.Module):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index
            self.fails = index in fail
            self.w = nn.Parameter(torch.arange(1.0, WIDTH + 1.0) * (index + 1) / 2)

        def forward(self, x: Any, y: Any = None, *, scale: float = 1.0) -> Any:
            out = x * self.w * scale
            for child in self.children():
                out = child(out)
            if y is not None:
                out = out + y
            if self.fails:
                raise ValueError(f"forward of module {self.index} failed")
            return out

    modules = [Node(i) for i in range(len(parents) + 1)]
    for child, parent in enumerate(parents, start=1):
        modules[parent].add_module(f"c{child}", modules[child])
    paths = {0: "root"}
    for child, parent in enumerate(parents, start=1):
        paths[child] = f"{paths[parent]}.c{child}"
    return modules, {id(m): paths[i] for i, m in enumerate(modules)}


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        return "ok", summarize(fn())
    except Exception as exc:
        return "raised", type(exc).__name__


def run_program(nn: Any, program: Program) -> list[Any]:
    """Execute ``program`` with ``nn``; return the log. Global hooks are removed before returning."""
    modules, paths = build_tree(nn, program.parents, program.fail)
    log: list[Any] = []
    handles: list[Any] = []
    global_handles: list[Any] = []

    def make_hook(label: str, spec: HookSpec) -> Any:
        def record(module: Any, phase: str, *arguments: Any) -> None:
            log.append((label, paths.get(id(module), "?"), phase, summarize(arguments)))

        def fail() -> None:
            raise ValueError(f"hook {label} failed")

        if spec.kind == "pre" and spec.with_kwargs:

            def pre_kw(module: Any, args: Any, kwargs: Any) -> Any:
                record(module, "pre_kw", args, kwargs)
                if spec.behaviour == "pair":
                    return (args, {**kwargs, "scale": 0.5})
                if spec.behaviour == "bad":
                    return 5
                if spec.behaviour == "raise":
                    fail()
                return None

            return pre_kw
        if spec.kind == "pre":

            def pre(module: Any, args: Any) -> Any:
                record(module, "pre", args)
                if spec.behaviour == "tuple":
                    return (args[0] * 2, *args[1:])
                if spec.behaviour == "bare":
                    return args[0] + 1
                if spec.behaviour == "raise":
                    fail()
                if spec.behaviour == "remove_self":
                    handles[int(label[1:])].remove()
                if spec.behaviour == "add_fwd_hook":
                    module.register_forward_hook(
                        lambda m, a, o: log.append((f"{label}+", paths[id(m)], "added"))
                    )
                return None

            return pre
        if spec.kind == "fwd":

            def fwd(module: Any, args: Any, *rest: Any) -> Any:
                record(module, "fwd", args, *rest)
                output = rest[-1]
                if spec.behaviour == "replace":
                    return output * 3 if output is not None else torch.zeros(WIDTH)
                if spec.behaviour == "raise":
                    fail()
                if spec.behaviour == "remove_self":
                    handles[int(label[1:])].remove()
                return None

            return fwd
        if spec.kind == "bwd_pre":

            def bwd_pre(module: Any, grad_output: Any) -> Any:
                record(module, "bwd_pre", grad_output)
                if spec.behaviour == "scale":
                    return tuple(None if g is None else g * 2 for g in grad_output)
                if spec.behaviour == "raise":
                    fail()
                return None

            return bwd_pre

        def bwd(module: Any, grad_input: Any, grad_output: Any) -> Any:
            record(module, "bwd", grad_input, grad_output)
            if spec.behaviour == "scale":
                return tuple(None if g is None else g * -1 for g in grad_input)
            if spec.behaviour == "wronglen":
                return (*grad_input, None)
            return None

        return bwd

    try:
        for k, spec in enumerate(program.hooks):
            hook = make_hook(f"h{k}", spec)
            if spec.target is None:
                register = {
                    "pre": lambda h, s: nn.register_module_forward_pre_hook(h),
                    "fwd": lambda h, s: nn.register_module_forward_hook(
                        h, with_kwargs=s.with_kwargs, always_call=s.always_call
                    ),
                    "bwd_pre": lambda h, s: nn.register_module_full_backward_pre_hook(h),
                    "bwd": lambda h, s: nn.register_module_full_backward_hook(h),
                }[spec.kind]
                handle = register(hook, spec)
                global_handles.append(handle)
            else:
                module = modules[spec.target]
                if spec.kind == "pre":
                    handle = module.register_forward_pre_hook(
                        hook, prepend=spec.prepend, with_kwargs=spec.with_kwargs
                    )
                elif spec.kind == "fwd":
                    handle = module.register_forward_hook(
                        hook, prepend=spec.prepend, with_kwargs=spec.with_kwargs, always_call=spec.always_call
                    )
                elif spec.kind == "bwd_pre":
                    handle = module.register_full_backward_pre_hook(hook, prepend=spec.prepend)
                else:
                    handle = module.register_full_backward_hook(hook, prepend=spec.prepend)
            handles.append(handle)

        for number, call in enumerate(program.calls):
            if number == 1:
                for k in sorted(program.remove_after_first):
                    handles[k].remove()
                log.append(("removed", tuple(sorted(program.remove_after_first))))
            x = torch.tensor(call.x, requires_grad=call.x_grad)
            args: tuple[Any, ...] = (x,) if call.y is None else (x, torch.tensor(call.y))
            kwargs = {} if call.scale is None else {"scale": call.scale}
            for m in modules:
                m.zero_grad(set_to_none=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    out = modules[0](*args, **kwargs)
                except Exception as exc:
                    log.append(("call", number, "raised", type(exc).__name__))
                    continue
                log.append(("call", number, "ok", summarize(out)))
                if not call.backward:
                    continue
                if not isinstance(out, torch.Tensor) or not out.requires_grad:
                    log.append(("backward", "no-grad"))
                    continue
                log.append(("backward", *_outcome(lambda o=out: o.sum().backward())))
                log.append(("grads", summarize(x.grad), tuple(summarize(m.w.grad) for m in modules)))
    finally:
        for handle in global_handles:
            handle.remove()
    return log
