"""Clause tests for forward hooks, always_call, backward-hook edge cases and global hooks."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from suites.support.hooks_cases import WIDTH, scaler, values, vectors
from suites.support.hooks_globals import restore_all, snapshot_all


@pytest.mark.clause("HOOK-NO-HOOKS-DIRECT")
@given(x=vectors, factor=st.sampled_from([0.5, 2.0, -1.0]))
def test_call_without_hooks_returns_forward(nn: Any, x: list[float], factor: float) -> None:
    m = scaler(nn, factor)
    t = torch.tensor(x)
    got = m(t)
    assert values(got) == values(m.forward(t)), f"m(x)={values(got)} but m.forward(x)={values(m.forward(t))}"


@pytest.mark.clause("HOOK-FWD-PRE-RETURN", "HOOK-FWD-PRE-CALL")
@given(x=vectors, wrap=st.booleans(), n_hooks=st.integers(1, 3))
def test_pre_hook_non_tuple_return_is_wrapped(nn: Any, x: list[float], wrap: bool, n_hooks: int) -> None:
    m = scaler(nn)
    seen: list[Any] = []

    def hook(module: Any, args: Any) -> Any:
        seen.append(args)
        return (args[0] + 1,) if wrap else args[0] + 1

    for _ in range(n_hooks):
        m.register_forward_pre_hook(hook)
    out = m(torch.tensor(x))
    assert all(isinstance(a, tuple) and len(a) == 1 for a in seen), f"pre-hook args were {seen}"
    expected = [(v + n_hooks) * 2 for v in x]
    assert values(out) == expected, (
        f"m(x) with {n_hooks} pre-hooks returning x+1 (wrap={wrap}): {values(out)}"
    )


@pytest.mark.clause("HOOK-FWD-PRE-KWARGS", "HOOK-FWD-KWARGS")
@given(x=vectors, bad=st.sampled_from([5, (1, 2, 3), None]))
def test_with_kwargs_hooks_see_and_replace_kwargs(nn: Any, x: list[float], bad: Any) -> None:
    m = scaler(nn)
    y = torch.ones(WIDTH)
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
            m(torch.tensor(x), y=y)
        return
    out = m(torch.tensor(x), y=y)
    assert values(got["pre"]["y"]) == values(y), f"pre-hook kwargs {got['pre']}"
    assert values(got["fwd"]["y"]) == values(y * 2), f"forward hook kwargs {got['fwd']}"
    assert values(out) == [v * 2 + 2 for v in x], f"m(x, y=y) after kwargs replacement: {values(out)}"


@pytest.mark.clause("HOOK-FWD-PREPEND", "HOOK-FWD-ORDER", "HOOK-GLOBAL-ORDER")
@given(prepends=st.lists(st.booleans(), min_size=1, max_size=5), n_global=st.integers(0, 2))
def test_prepend_and_global_order(nn: Any, prepends: list[bool], n_global: int) -> None:
    m = scaler(nn)
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
        globals_ = [f"g{kind}{j}" for j in range(n_global)]
        expected += globals_ + local
    handles = []
    for j in range(n_global):
        handles.append(nn.register_module_forward_pre_hook(lambda *a, lb=f"gpre{j}": order.append(lb)))
        handles.append(nn.register_module_forward_hook(lambda *a, lb=f"gfwd{j}": order.append(lb)))
    try:
        m(torch.ones(WIDTH))
    finally:
        for h in handles:
            h.remove()
    assert order == expected, f"hook order with prepend flags {prepends}: {order}, expected {expected}"


@pytest.mark.clause("HOOK-ALWAYS-CALL", "HOOK-ALWAYS-CALL-OUTPUT", "HOOK-ALWAYS-CALL-ONCE")
@given(where=st.sampled_from(["pre", "forward", "hook"]), use_global=st.booleans(), n=st.integers(1, 3))
def test_always_call_runs_once_and_exception_propagates(
    nn: Any, where: str, use_global: bool, n: int
) -> None:
    m = scaler(nn, fails=where == "forward")
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
            m(torch.ones(WIDTH))
    finally:
        for h in handles:
            h.remove()
    assert str(info.value).strip("'\"").endswith("failed"), f"propagated {info.value!r}"
    if where == "hook":
        expected = [(i, False) for i in range(n)] + [("plain", False)]
    else:
        expected = [(i, True) for i in range(n)]
    assert calls == expected, f"always_call hooks after a failure in {where}: {calls}, expected {expected}"


@pytest.mark.clause("HOOK-ALWAYS-CALL-SILENCED")
@given(n=st.integers(1, 3))
def test_always_call_hook_errors_become_warnings(nn: Any, n: int) -> None:
    m = scaler(nn, fails=True)
    ran: list[int] = []
    for i in range(n):

        def hook(mod: Any, args: Any, output: Any, i: int = i) -> None:
            ran.append(i)
            raise ValueError(f"always hook {i}")

        m.register_forward_hook(hook, always_call=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyError):
            m(torch.ones(WIDTH))
    assert ran == list(range(n)), f"always_call hooks that raise: ran {ran}"
    assert len(caught) >= n, f"expected {n} warnings, got {[str(w.message) for w in caught]}"


@pytest.mark.clause("HOOK-ALWAYS-CALL-GLOBAL-NO-KWARGS")
def test_global_always_call_with_kwargs_records(nn: Any) -> None:
    """Quirk: only records what the candidate passes; never fails."""
    m = scaler(nn, fails=True)
    arities: list[int] = []
    h = nn.register_module_forward_hook(lambda *a: arities.append(len(a)), with_kwargs=True, always_call=True)
    try:
        with pytest.raises(KeyError):
            m(torch.ones(WIDTH))
    finally:
        h.remove()
    assert arities in ([3], [4]), f"global always_call hook arity {arities}"


@pytest.mark.clause("HOOK-BWD-INPLACE")
@given(use_pre=st.booleans())
def test_inplace_input_with_backward_hooks_errors(nn: Any, use_pre: bool) -> None:
    class InPlace(nn.Module):
        def forward(self, x: Any) -> Any:
            x.mul_(2)
            return x * 1

    m = InPlace()
    if use_pre:
        m.register_full_backward_pre_hook(lambda mod, g: None)
    else:
        m.register_full_backward_hook(lambda mod, gi, go: None)
    x = torch.ones(WIDTH, requires_grad=True) * 1
    with pytest.raises(RuntimeError):
        m(x).sum().backward()


@pytest.mark.clause("HOOK-BWD-NONE-INPUT")
@given(bad=st.booleans())
def test_backward_hook_without_input_grads(nn: Any, bad: bool) -> None:
    m = scaler(nn)
    seen: list[Any] = []

    def hook(mod: Any, grad_input: Any, grad_output: Any) -> Any:
        seen.append((grad_input, len(grad_output)))
        return (torch.ones(WIDTH),) if bad else None

    m.register_full_backward_hook(hook)
    out = m(torch.ones(WIDTH))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if bad:
            with pytest.raises(RuntimeError):
                out.sum().backward()
        else:
            out.sum().backward()
    assert seen and seen[0] == ((None,), 1), f"full hook with no input requiring grad saw {seen}"


@pytest.mark.clause("HOOK-BWD-NONE-INPUT")
@given(
    needs_grad=st.lists(st.booleans(), min_size=2, max_size=4).filter(any),
    scalar_at=st.integers(0, 4),
)
def test_backward_hook_entries_per_argument(nn: Any, needs_grad: list[bool], scalar_at: int) -> None:
    # tensor arguments (some requiring grad) with one plain number among them: one grad_input entry per
    # argument, None for the number, zeros for a tensor that needs no gradient, the gradient otherwise
    class Weighted(nn.Module):
        def forward(self, *args: Any) -> Any:
            total = torch.zeros(WIDTH)
            for i, arg in enumerate(args):
                total = total + arg * (i + 2)
            return total

    m = Weighted()
    seen: list[Any] = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    args: list[Any] = [torch.ones(WIDTH, requires_grad=flag) for flag in needs_grad]
    args.insert(min(scalar_at, len(args)), 1.5)
    m(*args).sum().backward()
    assert len(seen) == 1 and len(seen[0]) == len(args), f"grad_input {seen} for {len(args)} arguments"
    for i, (arg, grad) in enumerate(zip(args, seen[0], strict=True)):
        if not isinstance(arg, torch.Tensor):
            assert grad is None, f"argument {i} is a number: grad_input entry {grad}, not None"
        elif arg.requires_grad:
            assert grad is not None and torch.equal(grad, torch.full((WIDTH,), float(i + 2))), (
                f"argument {i} requires grad: grad_input entry {grad}"
            )
        else:
            assert grad is not None and torch.equal(grad, torch.zeros(WIDTH)), (
                f"argument {i} needs no gradient while another does: grad_input entry {grad}, not zeros"
            )


@pytest.mark.clause("HOOK-BWD-OLD-MIX")
@given(full_first=st.booleans(), use_global=st.booleans())
def test_old_and_full_backward_hooks_do_not_mix(
    nn: Any, cand: Any, full_first: bool, use_global: bool
) -> None:
    hook = lambda *a: None  # noqa: E731
    if use_global:
        register_full, register_old = nn.register_module_full_backward_hook, nn.register_module_backward_hook
    else:
        m = scaler(nn)
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
def test_parameter_registration_hook(nn: Any, replace: bool, via_setattr: bool, none: bool) -> None:
    m = nn.Module()
    seen: list[Any] = []
    substitute = nn.Parameter(torch.zeros(2))

    def hook(module: Any, name: str, param: Any) -> Any:
        seen.append((module is m, name, param))
        return substitute if replace else None

    p = None if none else nn.Parameter(torch.ones(2))
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
def test_buffer_registration_hook(nn: Any, replace: bool, via_setattr: bool, none: bool) -> None:
    m = nn.Module()
    seen: list[Any] = []
    substitute = torch.zeros(2)
    t = None if none else torch.ones(2)

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
def test_module_registration_hook(nn: Any, replace: bool, how: str) -> None:
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
def test_forward_hook_return_replaces_output(nn: Any, x: list[float], returns: list[float | None]) -> None:
    m = scaler(nn)
    seen: list[list[float]] = []
    for factor in returns:

        def hook(mod: Any, args: Any, output: Any, factor: float | None = factor) -> Any:
            seen.append(values(output))
            return None if factor is None else output * factor

        m.register_forward_hook(hook)
    out = m(torch.tensor(x))
    expected = [v * 2 for v in x]
    for i, factor in enumerate(returns):
        assert seen[i] == [round(v, 4) for v in expected], f"hook {i} saw {seen[i]}, expected {expected}"
        if factor is not None:
            expected = [v * factor for v in expected]
    assert values(out) == [round(v, 4) for v in expected], f"m(x) with hook returns {returns}: {values(out)}"


@pytest.mark.clause("HOOK-BWD-PRE", "HOOK-BWD-FULL", "HOOK-BWD-REPLACE")
@given(
    x=vectors,
    pre_factor=st.sampled_from([None, 2.0, -3.0]),
    full_factor=st.sampled_from([None, 5.0, 0.5]),
    y_given=st.booleans(),
)
def test_backward_hooks_replace_gradients(
    nn: Any, x: list[float], pre_factor: float | None, full_factor: float | None, y_given: bool
) -> None:
    m = scaler(nn)
    log: list[Any] = []

    def pre(mod: Any, grad_output: Any) -> Any:
        log.append(("pre", [values(g) for g in grad_output]))
        return None if pre_factor is None else tuple(g * pre_factor for g in grad_output)

    def full(mod: Any, grad_input: Any, grad_output: Any) -> Any:
        log.append(
            ("full", [None if g is None else values(g) for g in grad_input], [values(g) for g in grad_output])
        )
        return (
            None if full_factor is None else tuple(None if g is None else g * full_factor for g in grad_input)
        )

    m.register_full_backward_pre_hook(pre)
    m.register_full_backward_hook(full)
    t = torch.tensor(x, requires_grad=True)
    args = (t, torch.ones(WIDTH)) if y_given else (t,)
    m(*args).sum().backward()
    g_out = (pre_factor or 1.0) * 1.0
    assert log[0] == ("pre", [[1.0] * WIDTH]), f"backward pre-hook saw {log[0]}"
    assert log[1][0] == "full" and log[1][2] == [[g_out] * WIDTH], f"full hook saw grad_output {log[1]}"
    assert log[1][1][0] == [2.0 * g_out] * WIDTH, f"full hook saw grad_input {log[1][1]}"
    assert len(log[1][1]) == len(args), f"grad_input has {len(log[1][1])} entries for {len(args)} args"
    if y_given:
        assert log[1][1][1] in (None, [0.0] * WIDTH), f"grad_input for an input without grad: {log[1][1][1]}"
    expected = [2.0 * g_out * (full_factor or 1.0)] * WIDTH
    assert values(t.grad) == expected, (
        f"x.grad {values(t.grad)}, expected {expected} (pre {pre_factor}, full {full_factor})"
    )


@pytest.mark.clause("HOOK-BWD-PREPEND", "HOOK-GLOBAL-BWD")
@given(prepends=st.lists(st.booleans(), min_size=1, max_size=4), use_global=st.booleans())
def test_backward_hook_prepend_order(nn: Any, prepends: list[bool], use_global: bool) -> None:
    m = scaler(nn)
    order: list[str] = []
    expected: dict[str, list[str]] = {}
    for kind in ("pre", "full"):
        local: list[str] = []
        for i, prepend in enumerate(prepends):
            label = f"{kind}{i}"
            if kind == "pre":
                m.register_full_backward_pre_hook(lambda *a, lb=label: order.append(lb), prepend=prepend)
            else:
                m.register_full_backward_hook(lambda *a, lb=label: order.append(lb), prepend=prepend)
            local = [label, *local] if prepend else [*local, label]
        expected[kind] = ([f"g{kind}"] if use_global else []) + local
    handles = []
    if use_global:
        handles.append(nn.register_module_full_backward_pre_hook(lambda *a: order.append("gpre")))
        handles.append(nn.register_module_full_backward_hook(lambda *a: order.append("gfull")))
    try:
        m(torch.ones(WIDTH, requires_grad=True)).sum().backward()
    finally:
        for h in handles:
            h.remove()
    assert order == expected["pre"] + expected["full"], f"backward hook order {order}, expected {expected}"
