"""Hook programs: a module tree, hooks with options and behaviours, calls and backward passes.

A program is plain data (drawn by :func:`programs`); :func:`run_program` executes it on one ``nn``
namespace and returns a call log of plain Python values: which hook ran, on which module path, in
which phase, with which arguments, and what each call and backward returned or raised. Running the
same program on the candidate and on the oracle must give equal logs.

A program uses only the features it was drawn with (capabilities of spec/capabilities.yaml: global hooks,
backward hooks, the prepend / with_kwargs / always_call options, autograd), so that a candidate lacking
one still runs programs without it. Every tensor is made, read and differentiated through the candidate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st

from adapters.base import Candidate

# behaviours per hook kind
PRE_BEHAVIOURS = ("none", "tuple", "bare", "raise", "remove_self", "add_fwd_hook")
PRE_KW_BEHAVIOURS = ("none", "pair", "bad", "raise")
FWD_BEHAVIOURS = ("none", "replace", "raise", "remove_self")
BWD_PRE_BEHAVIOURS = ("none", "scale", "raise")
BWD_BEHAVIOURS = ("none", "scale", "wronglen")
KINDS = ("pre", "fwd", "bwd_pre", "bwd")
# the capability a hook kind needs beyond forward hooks
KIND_NEEDS = {"bwd_pre": "backward_pre_hooks", "bwd": "full_backward_hooks"}
# the registration functions of each hook kind: in the nn namespace (global) and on a module
GLOBAL_REGISTER = {
    "pre": "register_module_forward_pre_hook",
    "fwd": "register_module_forward_hook",
    "bwd_pre": "register_module_full_backward_pre_hook",
    "bwd": "register_module_full_backward_hook",
}
MODULE_REGISTER = {
    "pre": "register_forward_pre_hook",
    "fwd": "register_forward_hook",
    "bwd_pre": "register_full_backward_pre_hook",
    "bwd": "register_full_backward_hook",
}
# the capabilities a program can use; programs(features) draws only from the given ones
FEATURES = frozenset(
    {
        "autograd",
        "global_hooks",
        "full_backward_hooks",
        "backward_pre_hooks",
        "hook_prepend",
        "hook_with_kwargs",
        "hook_always_call",
    }
)


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


def _flag(draw: st.DrawFn, feature: str, features: frozenset[str]) -> bool:
    """A drawn boolean where ``feature`` may be used, else False (nothing drawn)."""
    return feature in features and draw(st.booleans())


@st.composite
def hook_specs(draw: st.DrawFn, n_modules: int, features: frozenset[str] = FEATURES) -> HookSpec:
    kind = draw(st.sampled_from([k for k in KINDS if k not in KIND_NEEDS or KIND_NEEDS[k] in features]))
    modules = st.integers(0, n_modules - 1)
    target = draw((st.none() | modules) if "global_hooks" in features else modules)
    with_kwargs = False
    always_call = False
    prepend = False
    if kind == "pre":
        with_kwargs = target is not None and _flag(draw, "hook_with_kwargs", features)
        behaviour = draw(st.sampled_from(PRE_KW_BEHAVIOURS if with_kwargs else PRE_BEHAVIOURS))
    elif kind == "fwd":
        with_kwargs = _flag(draw, "hook_with_kwargs", features)
        always_call = _flag(draw, "hook_always_call", features)
        behaviour = draw(st.sampled_from(FWD_BEHAVIOURS))
    elif kind == "bwd_pre":
        behaviour = draw(st.sampled_from(BWD_PRE_BEHAVIOURS))
    else:
        behaviour = draw(st.sampled_from(BWD_BEHAVIOURS))
    if target is not None:
        prepend = _flag(draw, "hook_prepend", features)
    return HookSpec(kind, target, behaviour, prepend, with_kwargs, always_call)


@st.composite
def call_specs(draw: st.DrawFn, features: frozenset[str] = FEATURES) -> CallSpec:
    vec = st.tuples(*[VALUES] * WIDTH)
    return CallSpec(
        x=draw(vec),
        x_grad=_flag(draw, "autograd", features),
        y=draw(st.none() | vec),
        scale=draw(st.none() | st.sampled_from([2.0, -1.0])),
        backward=_flag(draw, "autograd", features),
    )


@st.composite
def programs(
    draw: st.DrawFn, features: frozenset[str] = FEATURES, max_modules: int = 4, max_hooks: int = 6
) -> Program:
    """A random program that uses only ``features`` (a subset of FEATURES)."""
    n = draw(st.integers(1, max_modules))
    parents = tuple(draw(st.integers(0, i)) for i in range(n - 1))
    fail = frozenset(draw(st.sets(st.integers(0, n - 1), max_size=1)))
    hooks = tuple(draw(st.lists(hook_specs(n, features), min_size=2, max_size=max_hooks)))
    calls = tuple(draw(st.lists(call_specs(features), min_size=1, max_size=2)))
    removed = (
        frozenset(draw(st.sets(st.integers(0, max(len(hooks) - 1, 0)), max_size=2))) if hooks else frozenset()
    )
    return Program(parents, fail, hooks, calls, removed)


# behaviours that register or remove hooks while a call is running (HOOK-FWD-MUTATE-DURING-CALL)
MUTATING_BEHAVIOURS = ("remove_self", "add_fwd_hook")


def without_mutation(program: Program) -> Program:
    """``program`` with every hook that would register or remove hooks during a call doing nothing
    instead: if the candidate agrees with the oracle on it, a departure on ``program`` comes from the
    changes made during calls."""
    hooks = tuple(
        replace(h, behaviour="none") if h.behaviour in MUTATING_BEHAVIOURS else h for h in program.hooks
    )
    return replace(program, hooks=hooks)


def summarize(cand: Candidate, value: Any) -> Any:
    """Plain, comparable form of a hook argument or result (a candidate tensor becomes its shape and
    rounded values)."""
    if cand.is_tensor(value):
        flat = cand.to_numpy(value).ravel().round(4)
        return ("T", cand.shape(value), tuple(float(v) for v in flat))
    if isinstance(value, tuple | list):
        return tuple(summarize(cand, v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, summarize(cand, v)) for k, v in value.items()))
    if isinstance(value, float):
        return round(value, 4)
    return value


def build_tree(
    cand: Candidate, parents: tuple[int, ...], fail: frozenset[int]
) -> tuple[list[Any], dict[int, str]]:
    """Modules 0..n-1 (0 the root), each with a weight and its children called in order."""
    nn = cand.nn

    class Node(nn.Module):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index
            self.fails = index in fail
            self.w = nn.Parameter(cand.tensor([(k + 1.0) * (index + 1) / 2 for k in range(WIDTH)]))

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


def _outcome(cand: Candidate, fn: Any) -> tuple[str, Any]:
    try:
        return "ok", summarize(cand, fn())
    except Exception as exc:
        return "raised", type(exc).__name__


def run_program(cand: Candidate, program: Program) -> list[Any]:
    """Execute ``program`` on ``cand``; return the log. Global hooks are removed before returning."""
    nn = cand.nn
    modules, paths = build_tree(cand, program.parents, program.fail)
    log: list[Any] = []
    handles: list[Any] = []
    global_handles: list[Any] = []

    def make_hook(label: str, spec: HookSpec) -> Any:
        def record(module: Any, phase: str, *arguments: Any) -> None:
            log.append((label, paths.get(id(module), "?"), phase, summarize(cand, arguments)))

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
                    return output * 3 if output is not None else cand.tensor([0.0] * WIDTH)
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
            # only the options a hook uses are passed, so a candidate without an option still runs the rest
            options = {
                name: True
                for name, used in (
                    ("prepend", spec.prepend),
                    ("with_kwargs", spec.with_kwargs),
                    ("always_call", spec.always_call),
                )
                if used
            }
            if spec.target is None:
                handle = getattr(nn, GLOBAL_REGISTER[spec.kind])(hook, **options)
                global_handles.append(handle)
            else:
                handle = getattr(modules[spec.target], MODULE_REGISTER[spec.kind])(hook, **options)
            handles.append(handle)

        for number, call in enumerate(program.calls):
            if number == 1:
                for k in sorted(program.remove_after_first):
                    handles[k].remove()
                log.append(("removed", tuple(sorted(program.remove_after_first))))
            x = cand.tensor(list(call.x), requires_grad=call.x_grad)
            args: tuple[Any, ...] = (x,) if call.y is None else (x, cand.tensor(list(call.y)))
            kwargs = {} if call.scale is None else {"scale": call.scale}
            if "autograd" not in cand.lacks:  # fresh gradients for each call's backward
                for m in modules:
                    cand.set_grad(m.w, None)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    out = modules[0](*args, **kwargs)
                except Exception as exc:
                    log.append(("call", number, "raised", type(exc).__name__))
                    continue
                log.append(("call", number, "ok", summarize(cand, out)))
                if not call.backward:
                    continue
                if not cand.is_tensor(out) or not cand.requires_grad(out):
                    log.append(("backward", "no-grad"))
                    continue
                log.append(("backward", *_outcome(cand, lambda o=out: cand.backward(o))))
                grads = tuple(summarize(cand, cand.grad(m.w)) for m in modules)
                log.append(("grads", summarize(cand, cand.grad(x)), grads))
    finally:
        for handle in global_handles:
            handle.remove()
    return log
