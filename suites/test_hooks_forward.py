"""Clause tests for forward hooks, always_call, backward-hook edge cases and global hooks.

Tensors are made, read and differentiated through the candidate (``cand``). A part of a test that needs
a capability its clauses do not require (global hooks beside module hooks, backward pre-hooks beside full
backward hooks) is left out for a candidate that lacks it.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support.hooks_cases import WIDTH, filled, has, scaler, values, vectors
from suites.support.hooks_globals import restore_all, snapshot_all


@pytest.mark.clause("HOOK-NO-HOOKS-DIRECT")
@given(x=vectors, factor=st.sampled_from([0.5, 2.0, -1.0]))
def test_call_without_hooks_returns_forward(cand: Candidate, x: list[float], factor: float) -> None:
    m = scaler(cand, factor)
    t = cand.tensor(x)
    got, direct = values(cand, m(t)), values(cand, m.forward(t))
    assert got == direct, f"m(x)={got} but m.forward(x)={direct}"


@pytest.mark.clause("HOOK-FWD-PRE-RETURN", "HOOK-FWD-PRE-CALL")
@given(x=vectors, wrap=st.booleans(), n_hooks=st.integers(1, 3))
def test_pre_hook_non_tuple_return_is_wrapped(
    cand: Candidate, x: list[float], wrap: bool, n_hooks: int
) -> None:
    m = scaler(cand)
    seen: list[Any] = []

    def hook(module: Any, args: Any) -> Any:
        seen.append(args)
        return (args[0] + 1,) if wrap else args[0] + 1

    for _ in range(n_hooks):
        m.register_forward_pre_hook(hook)
    out = m(cand.tensor(x))
    assert all(isinstance(a, tuple) and len(a) == 1 for a in seen), f"pre-hook args were {seen}"
    expected = [(v + n_hooks) * 2 for v in x]
    assert values(cand, out) == expected, (
        f"m(x) with {n_hooks} pre-hooks returning x+1 (wrap={wrap}): {values(cand, out)}"
    )


@pytest.mark.clause("HOOK-FWD-PRE-KWARGS", "HOOK-FWD-KWARGS")
@given(x=vectors, bad=st.sampled_from([5, (1, 2, 3), None]))
def test_with_kwargs_hooks_see_and_replace_kwargs(cand: Candidate, x: list[float], bad: Any) -> None:
    m = scaler(cand)
    y = filled(cand, 1.0)
    got: dict[str, Any] = {}

    def pre(module: Any, args: Any, kwargs: Any) -> Any:
        got["pre"] = dict(kwargs)
        return bad if bad is not None else (args, {"y": y * 2})

    def fwd(module: Any, args: Any, kwargs: Any, output: Any) -> None:
        got["fwd"] = dict(kwargs)

    m.register_forward_pre_hook(pre, with_kwargs=True)
    m.register_forward_hook(fwd, with_kwargs=True)
    if bad is not None:
        with pytest.raises(RuntimeError):
            m(cand.tensor(x), y=y)
        return
    out = m(cand.tensor(x), y=y)
    assert values(cand, got["pre"]["y"]) == values(cand, y), f"pre-hook kwargs {got['pre']}"
    assert values(cand, got["fwd"]["y"]) == values(cand, y * 2), f"forward hook kwargs {got['fwd']}"
    assert values(cand, out) == [v * 2 + 2 for v in x], (
        f"m(x, y=y) after kwargs replacement: {values(cand, out)}"
    )


@pytest.mark.clause("HOOK-FWD-ORDER")
@given(n=st.integers(1, 5), data=st.data())
def test_forward_hooks_run_in_registration_order(cand: Candidate, n: int, data: st.DataObject) -> None:
    m = scaler(cand)
    order: list[str] = []
    handles: dict[str, Any] = {}
    for kind in ("pre", "fwd"):
        for i in range(n):
            label = f"{kind}{i}"
            if kind == "pre":
                handles[label] = m.register_forward_pre_hook(lambda *a, lb=label: order.append(lb))
            else:
                handles[label] = m.register_forward_hook(lambda *a, lb=label: order.append(lb))
    gone = data.draw(st.sets(st.sampled_from(sorted(handles))), label="removed")
    for label in sorted(gone):
        handles[label].remove()
    m(filled(cand, 1.0))
    expected = [f"{kind}{i}" for kind in ("pre", "fwd") for i in range(n) if f"{kind}{i}" not in gone]
    assert order == expected, f"hook order after removing {sorted(gone)}: {order}, expected {expected}"


@pytest.mark.clause("HOOK-FWD-PREPEND", "HOOK-FWD-ORDER")
@given(prepends=st.lists(st.booleans(), min_size=1, max_size=5))
def test_prepend_order(cand: Candidate, prepends: list[bool]) -> None:
    m = scaler(cand)
    order: list[str] = []
    expected: list[str] = []
    for kind in ("pre", "fwd"):
        local: list[str] = []
        for i, prepend in enumerate(prepends):
            label = f"{kind}{i}"
            if kind == "pre":
                m.register_forward_pre_hook(lambda *a, lb=label: order.append(lb), prepend=prepend)
            else:
                m.register_forward_hook(lambda *a, lb=label: order.append(lb), prepend=prepend)
            local = [label, *local] if prepend else [*local, label]
        expected += local
    m(filled(cand, 1.0))
    assert order == expected, f"hook order with prepend flags {prepends}: {order}, expected {expected}"


@pytest.mark.clause("HOOK-FWD-NESTED")
@given(depth=st.integers(1, 3), n_hooks=st.integers(1, 2))
def test_nested_module_hooks_run_inside_the_outer_call(cand: Candidate, depth: int, n_hooks: int) -> None:
    # a chain of modules, each forward calling the next: every module's pre-hooks run before its forward,
    # its forward hooks after its child's whole call
    nn = cand.nn
    order: list[str] = []

    class Link(nn.Module):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

        def forward(self, x: Any) -> Any:
            order.append(f"forward{self.index}")
            for child in self.children():
                x = child(x)
            return x * 2

    chain = [Link(i) for i in range(depth + 1)]
    for parent, child in itertools.pairwise(chain):
        parent.add_module("inner", child)
    for link in chain:
        for k in range(n_hooks):
            link.register_forward_pre_hook(lambda *a, lb=f"pre{link.index}.{k}": order.append(lb))
            link.register_forward_hook(lambda *a, lb=f"hook{link.index}.{k}": order.append(lb))
    out = chain[0](filled(cand, 1.0))
    expected = [
        e for i in range(depth + 1) for e in [f"pre{i}.{k}" for k in range(n_hooks)] + [f"forward{i}"]
    ]
    expected += [f"hook{i}.{k}" for i in reversed(range(depth + 1)) for k in range(n_hooks)]
    assert order == expected, f"hooks of a chain of {depth + 1} modules ran as {order}, expected {expected}"
    assert values(cand, out) == [2.0 ** (depth + 1)] * WIDTH, f"the chain returned {values(cand, out)}"


@pytest.mark.clause("HOOK-GLOBAL-ORDER")
@given(n_local=st.integers(1, 3), n_global=st.integers(1, 2), globals_first=st.booleans(), data=st.data())
def test_global_hooks_run_before_module_hooks(
    cand: Candidate, n_local: int, n_global: int, globals_first: bool, data: st.DataObject
) -> None:
    # module hooks registered before or after the global ones, prepended where the candidate can
    nn = cand.nn
    m = scaler(cand)
    order: list[str] = []
    flags = st.booleans() if has(cand, "hook_prepend") else st.just(False)
    prepends = data.draw(st.lists(flags, min_size=n_local, max_size=n_local), label="prepends")
    expected: list[str] = []
    handles: list[Any] = []

    def register_globals() -> None:
        for j in range(n_global):
            handles.append(nn.register_module_forward_pre_hook(lambda *a, lb=f"gpre{j}": order.append(lb)))
            handles.append(nn.register_module_forward_hook(lambda *a, lb=f"gfwd{j}": order.append(lb)))

    if globals_first:
        register_globals()
    for kind in ("pre", "fwd"):
        local: list[str] = []
        for i, prepend in enumerate(prepends):
            label = f"{kind}{i}"
            options = {"prepend": True} if prepend else {}
            if kind == "pre":
                m.register_forward_pre_hook(lambda *a, lb=label: order.append(lb), **options)
            else:
                m.register_forward_hook(lambda *a, lb=label: order.append(lb), **options)
            local = [label, *local] if prepend else [*local, label]
        expected += [f"g{kind}{j}" for j in range(n_global)] + local
    if not globals_first:
        register_globals()
    try:
        m(filled(cand, 1.0))
    finally:
        for h in handles:
            h.remove()
    assert order == expected, (
        f"hook order (globals registered {'first' if globals_first else 'last'}, prepend flags {prepends}): "
        f"{order}, expected {expected}"
    )


@pytest.mark.clause("HOOK-ALWAYS-CALL", "HOOK-ALWAYS-CALL-OUTPUT", "HOOK-ALWAYS-CALL-ONCE")
@given(where=st.sampled_from(["pre", "forward", "hook"]), n=st.integers(1, 3), data=st.data())
def test_always_call_runs_once_and_exception_propagates(
    cand: Candidate, where: str, n: int, data: st.DataObject
) -> None:
    nn = cand.nn
    use_global = has(cand, "global_hooks") and data.draw(st.booleans(), label="use_global")
    m = scaler(cand, fails=where == "forward")
    calls: list[Any] = []
    if where == "pre":
        m.register_forward_pre_hook(lambda mod, args: (_ for _ in ()).throw(KeyError("pre failed")))
    handles = []
    for i in range(n):

        def hook(mod: Any, args: Any, output: Any, i: int = i) -> None:
            calls.append((i, output is None))

        if use_global:
            handles.append(nn.register_module_forward_hook(hook, always_call=True))
        else:
            m.register_forward_hook(hook, always_call=True)
    m.register_forward_hook(lambda mod, args, out: calls.append(("plain", out is None)))
    if where == "hook":
        m.register_forward_hook(lambda mod, args, out: (_ for _ in ()).throw(KeyError("hook failed")))
    try:
        with pytest.raises(KeyError) as info:
            m(filled(cand, 1.0))
    finally:
        for h in handles:
            h.remove()
    assert str(info.value).strip("'\"").endswith("failed"), f"propagated {info.value!r}"
    if where == "hook":
        expected = [(i, False) for i in range(n)] + [("plain", False)]
    else:
        expected = [(i, True) for i in range(n)]
    assert calls == expected, (
        f"always_call hooks ({'global' if use_global else 'module'}) after a failure in {where}: {calls}, "
        f"expected {expected}"
    )


@pytest.mark.clause("HOOK-ALWAYS-CALL-SILENCED")
@given(n=st.integers(1, 3))
def test_always_call_hook_errors_become_warnings(cand: Candidate, n: int) -> None:
    m = scaler(cand, fails=True)
    ran: list[int] = []
    for i in range(n):

        def hook(mod: Any, args: Any, output: Any, i: int = i) -> None:
            ran.append(i)
            raise ValueError(f"always hook {i}")

        m.register_forward_hook(hook, always_call=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyError):
            m(filled(cand, 1.0))
    assert ran == list(range(n)), f"always_call hooks that raise: ran {ran}"
    assert len(caught) >= n, f"expected {n} warnings, got {[str(w.message) for w in caught]}"


@pytest.mark.clause("HOOK-ALWAYS-CALL-GLOBAL-NO-KWARGS")
def test_global_always_call_with_kwargs_records(cand: Candidate) -> None:
    """Quirk: only records what the candidate passes; never fails."""
    nn = cand.nn
    m = scaler(cand, fails=True)
    arities: list[int] = []
    h = nn.register_module_forward_hook(lambda *a: arities.append(len(a)), with_kwargs=True, always_call=True)
    try:
        with pytest.raises(KeyError):
            m(filled(cand, 1.0))
    finally:
        h.remove()
    assert arities in ([3], [4]), f"global always_call hook arity {arities}"


@pytest.mark.clause("HOOK-BWD-INPLACE")
@given(data=st.data())
def test_inplace_input_with_backward_hooks_errors(cand: Candidate, data: st.DataObject) -> None:
    nn = cand.nn
    use_pre = has(cand, "backward_pre_hooks") and data.draw(st.booleans(), label="use_pre")

    class InPlace(nn.Module):
        def forward(self, x: Any) -> Any:
            cand.mul_(x, 2)
            return x * 1

    m = InPlace()
    if use_pre:
        m.register_full_backward_pre_hook(lambda mod, g: None)
    else:
        m.register_full_backward_hook(lambda mod, gi, go: None)
    x = filled(cand, 1.0, requires_grad=True) * 1
    with pytest.raises(RuntimeError):
        cand.backward(m(x))


@pytest.mark.clause("HOOK-BWD-NONE-INPUT")
@given(bad=st.booleans())
def test_backward_hook_without_input_grads(cand: Candidate, bad: bool) -> None:
    m = scaler(cand)
    seen: list[Any] = []

    def hook(mod: Any, grad_input: Any, grad_output: Any) -> Any:
        seen.append((grad_input, len(grad_output)))
        return (filled(cand, 1.0),) if bad else None

    m.register_full_backward_hook(hook)
    out = m(filled(cand, 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if bad:
            with pytest.raises(RuntimeError):
                cand.backward(out)
        else:
            cand.backward(out)
    assert seen and seen[0] == ((None,), 1), f"full hook with no input requiring grad saw {seen}"


@pytest.mark.clause("HOOK-BWD-NONE-INPUT")
@given(
    needs_grad=st.lists(st.booleans(), min_size=2, max_size=4).filter(any),
    scalar_at=st.integers(0, 4),
)
def test_backward_hook_entries_per_argument(cand: Candidate, needs_grad: list[bool], scalar_at: int) -> None:
    # tensor arguments (some requiring grad) with one plain number among them: one grad_input entry per
    # argument, None for the number, zeros for a tensor that needs no gradient, the gradient otherwise
    nn = cand.nn

    class Weighted(nn.Module):
        def forward(self, *args: Any) -> Any:
            total = filled(cand, 0.0)
            for i, arg in enumerate(args):
                total = total + arg * (i + 2)
            return total

    m = Weighted()
    seen: list[Any] = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    args: list[Any] = [filled(cand, 1.0, requires_grad=flag) for flag in needs_grad]
    args.insert(min(scalar_at, len(args)), 1.5)
    cand.backward(m(*args))
    assert len(seen) == 1 and len(seen[0]) == len(args), f"grad_input {seen} for {len(args)} arguments"
    for i, (arg, grad) in enumerate(zip(args, seen[0], strict=True)):
        if not cand.is_tensor(arg):
            assert grad is None, f"argument {i} is a number: grad_input entry {grad}, not None"
            continue
        assert grad is not None and cand.shape(grad) == (WIDTH,), (
            f"argument {i} is a tensor of shape ({WIDTH},): grad_input entry {grad}"
        )
        if cand.requires_grad(arg):
            assert values(cand, grad) == [float(i + 2)] * WIDTH, (
                f"argument {i} requires grad: grad_input entry {values(cand, grad)}, expected {i + 2}s"
            )
        else:
            assert values(cand, grad) == [0.0] * WIDTH, (
                f"argument {i} needs no gradient while another does: grad_input entry {values(cand, grad)}, "
                "not zeros"
            )


@pytest.mark.clause("HOOK-BWD-OLD-MIX")
@given(full_first=st.booleans(), data=st.data())
def test_old_and_full_backward_hooks_do_not_mix(
    cand: Candidate, full_first: bool, data: st.DataObject
) -> None:
    nn = cand.nn
    use_global = has(cand, "global_hooks") and data.draw(st.booleans(), label="use_global")
    hook = lambda *a: None  # noqa: E731
    if use_global:
        register_full, register_old = nn.register_module_full_backward_hook, nn.register_module_backward_hook
    else:
        m = scaler(cand)
        register_full, register_old = m.register_full_backward_hook, m.register_backward_hook
    first, second = (register_full, register_old) if full_first else (register_old, register_full)
    saved = snapshot_all(cand)  # the global "full or not" flag outlives removal: reset it per example
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first(hook)
            with pytest.raises(RuntimeError):
                second(hook)
    finally:
        restore_all(cand, saved)


@pytest.mark.clause("HOOK-REG-PARAM", "HOOK-REG-PARAM-NONE")
@given(replace=st.booleans(), via_setattr=st.booleans(), none=st.booleans())
def test_parameter_registration_hook(cand: Candidate, replace: bool, via_setattr: bool, none: bool) -> None:
    nn = cand.nn
    m = nn.Module()
    seen: list[Any] = []
    substitute = nn.Parameter(cand.tensor([0.0, 0.0]))

    def hook(module: Any, name: str, param: Any) -> Any:
        seen.append((module is m, name, param))
        return substitute if replace else None

    p = None if none else nn.Parameter(cand.tensor([1.0, 1.0]))
    h = nn.register_module_parameter_registration_hook(hook)
    try:
        if via_setattr and not none:
            m.p = p
        else:
            m.register_parameter("p", p)
    finally:
        h.remove()
    if none:
        assert seen == [], f"parameter hook ran for a None slot: {seen}"
        return
    assert len(seen) == 1 and seen[0][0] and seen[0][1] == "p" and seen[0][2] is p, f"hook saw {seen}"
    assert m.p is (substitute if replace else p), f"stored parameter after hook (replace={replace})"


@pytest.mark.clause("HOOK-REG-BUFFER")
@given(replace=st.booleans(), via_setattr=st.booleans(), none=st.booleans())
def test_buffer_registration_hook(cand: Candidate, replace: bool, via_setattr: bool, none: bool) -> None:
    nn = cand.nn
    m = nn.Module()
    seen: list[Any] = []
    substitute = cand.tensor([0.0, 0.0])
    t = None if none else cand.tensor([1.0, 1.0])

    def hook(module: Any, name: str, tensor: Any) -> Any:
        seen.append((module is m, name, tensor is t))
        return substitute if replace else None

    h = nn.register_module_buffer_registration_hook(hook)
    try:
        m.register_buffer("b", t)
        if via_setattr:
            m.b = t
    finally:
        h.remove()
    assert seen == [(True, "b", True)] * (2 if via_setattr else 1), f"buffer hook saw {seen}"
    assert m.b is (substitute if replace else t), f"stored buffer after hook (replace={replace})"


@pytest.mark.clause("HOOK-REG-MODULE")
@given(replace=st.booleans(), how=st.sampled_from(["add_module", "register_module", "setattr", "none"]))
def test_module_registration_hook(cand: Candidate, replace: bool, how: str) -> None:
    nn = cand.nn
    m = nn.Module()
    child = nn.Module()
    substitute = nn.Module()
    seen: list[Any] = []

    def hook(module: Any, name: str, sub: Any) -> Any:
        seen.append((module is m, name, sub))
        return substitute if replace else None

    h = nn.register_module_module_registration_hook(hook)
    try:
        if how == "setattr":
            m.c = child
        elif how == "none":
            child = None
            m.add_module("c", None)
        else:
            getattr(m, how)("c", child)
    finally:
        h.remove()
    assert seen == [(True, "c", child)], f"module hook saw {seen}"
    assert m.c is (substitute if replace else child), f"stored child after hook ({how}, replace={replace})"


@pytest.mark.clause("HOOK-FWD-RETURN", "HOOK-FWD-CALL")
@given(x=vectors, returns=st.lists(st.sampled_from([None, 3.0, -1.0]), min_size=1, max_size=4))
def test_forward_hook_return_replaces_output(
    cand: Candidate, x: list[float], returns: list[float | None]
) -> None:
    m = scaler(cand)
    seen: list[list[float]] = []
    for factor in returns:

        def hook(mod: Any, args: Any, output: Any, factor: float | None = factor) -> Any:
            seen.append(values(cand, output))
            return None if factor is None else output * factor

        m.register_forward_hook(hook)
    out = m(cand.tensor(x))
    expected = [v * 2 for v in x]
    for i, factor in enumerate(returns):
        assert seen[i] == [round(v, 4) for v in expected], f"hook {i} saw {seen[i]}, expected {expected}"
        if factor is not None:
            expected = [v * factor for v in expected]
    assert values(cand, out) == [round(v, 4) for v in expected], (
        f"m(x) with hook returns {returns}: {values(cand, out)}"
    )


def _check_backward_hooks(
    cand: Candidate,
    x: list[float],
    pre_factor: float | None,
    full_factor: float | None,
    y_given: bool,
    with_pre: bool,
) -> None:
    """Backward through a scaler (weight 2) with a full backward hook, and a backward pre-hook before
    it when ``with_pre``; each hook scales the gradients it sees by its factor (None: returns None)."""
    m = scaler(cand)
    log: list[Any] = []

    def pre(mod: Any, grad_output: Any) -> Any:
        log.append(("pre", [values(cand, g) for g in grad_output]))
        return None if pre_factor is None else tuple(g * pre_factor for g in grad_output)

    def full(mod: Any, grad_input: Any, grad_output: Any) -> Any:
        log.append(
            (
                "full",
                [None if g is None else values(cand, g) for g in grad_input],
                [values(cand, g) for g in grad_output],
            )
        )
        return (
            None if full_factor is None else tuple(None if g is None else g * full_factor for g in grad_input)
        )

    if with_pre:
        m.register_full_backward_pre_hook(pre)
    m.register_full_backward_hook(full)
    t = cand.tensor(x, requires_grad=True)
    args = (t, filled(cand, 1.0)) if y_given else (t,)
    cand.backward(m(*args))
    g_out = (pre_factor or 1.0) if with_pre else 1.0
    if with_pre:
        assert log[0] == ("pre", [[1.0] * WIDTH]), f"backward pre-hook saw {log[0]}"
        log = log[1:]
    assert len(log) == 1, f"full backward hook ran {len(log)} times: {log}"
    assert log[0][0] == "full" and log[0][2] == [[g_out] * WIDTH], f"full hook saw grad_output {log[0]}"
    assert log[0][1][0] == [2.0 * g_out] * WIDTH, f"full hook saw grad_input {log[0][1]}"
    assert len(log[0][1]) == len(args), f"grad_input has {len(log[0][1])} entries for {len(args)} args"
    if y_given:
        assert log[0][1][1] in (None, [0.0] * WIDTH), f"grad_input for an input without grad: {log[0][1][1]}"
    grad = cand.grad(t)
    got = None if grad is None else values(cand, grad)
    expected = [2.0 * g_out * (full_factor or 1.0)] * WIDTH
    assert got == expected, f"x.grad {got}, expected {expected} (pre {pre_factor}, full {full_factor})"


@pytest.mark.clause("HOOK-BWD-FULL", "HOOK-BWD-REPLACE")
@given(x=vectors, full_factor=st.sampled_from([None, 5.0, 0.5]), y_given=st.booleans())
def test_full_backward_hook_replaces_input_gradients(
    cand: Candidate, x: list[float], full_factor: float | None, y_given: bool
) -> None:
    _check_backward_hooks(cand, x, None, full_factor, y_given, with_pre=False)


@pytest.mark.clause("HOOK-BWD-PRE", "HOOK-BWD-FULL", "HOOK-BWD-REPLACE")
@given(
    x=vectors,
    pre_factor=st.sampled_from([None, 2.0, -3.0]),
    full_factor=st.sampled_from([None, 5.0, 0.5]),
    y_given=st.booleans(),
)
def test_backward_hooks_replace_gradients(
    cand: Candidate, x: list[float], pre_factor: float | None, full_factor: float | None, y_given: bool
) -> None:
    _check_backward_hooks(cand, x, pre_factor, full_factor, y_given, with_pre=True)


def _backward_kinds(cand: Candidate) -> tuple[str, ...]:
    """The backward hook kinds to register: full hooks, and pre-hooks where the candidate has them."""
    return ("pre", "full") if has(cand, "backward_pre_hooks") else ("full",)


@pytest.mark.clause("HOOK-BWD-PREPEND")
@given(prepends=st.lists(st.booleans(), min_size=1, max_size=4))
def test_backward_hook_prepend_order(cand: Candidate, prepends: list[bool]) -> None:
    m = scaler(cand)
    order: list[str] = []
    expected: list[str] = []
    for kind in _backward_kinds(cand):
        local: list[str] = []
        for i, prepend in enumerate(prepends):
            label = f"{kind}{i}"
            if kind == "pre":
                m.register_full_backward_pre_hook(lambda *a, lb=label: order.append(lb), prepend=prepend)
            else:
                m.register_full_backward_hook(lambda *a, lb=label: order.append(lb), prepend=prepend)
            local = [label, *local] if prepend else [*local, label]
        expected += local
    cand.backward(m(filled(cand, 1.0, requires_grad=True)))
    assert order == expected, (
        f"backward hook order with prepend flags {prepends}: {order}, expected {expected}"
    )


@pytest.mark.clause("HOOK-GLOBAL-BWD")
@given(n_local=st.integers(1, 3), globals_first=st.booleans())
def test_global_backward_hooks_run_before_module_hooks(
    cand: Candidate, n_local: int, globals_first: bool
) -> None:
    nn = cand.nn
    m = scaler(cand)
    order: list[str] = []
    kinds = _backward_kinds(cand)
    handles: list[Any] = []

    def register_globals() -> None:
        if "pre" in kinds:
            handles.append(nn.register_module_full_backward_pre_hook(lambda *a: order.append("gpre")))
        handles.append(nn.register_module_full_backward_hook(lambda *a: order.append("gfull")))

    if globals_first:
        register_globals()
    for kind in kinds:
        for i in range(n_local):
            label = f"{kind}{i}"
            if kind == "pre":
                m.register_full_backward_pre_hook(lambda *a, lb=label: order.append(lb))
            else:
                m.register_full_backward_hook(lambda *a, lb=label: order.append(lb))
    if not globals_first:
        register_globals()
    try:
        cand.backward(m(filled(cand, 1.0, requires_grad=True)))
    finally:
        for h in handles:
            h.remove()
    expected = [label for kind in kinds for label in [f"g{kind}"] + [f"{kind}{i}" for i in range(n_local)]]
    assert order == expected, (
        f"backward hook order (globals registered {'first' if globals_first else 'last'}): {order}, "
        f"expected {expected}"
    )
