"""Clause tests for LazyModuleMixin: initialization on the first call, the class a lazy module becomes,
has_uninitialized_params and the place of the inference hook among the user's forward pre-hooks.

The modules are hand-written lazy modules (suites/support/lazy_modules.py) with a drawn set of
uninitialized parameters and buffers, and the candidate's own lazy layers.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.lazy_layers import (
    LayerCase,
    is_initialized_parameter,
    is_uninitialized,
    layer_cases,
    lazy_mixin,
    sample_input,
)
from suites.support.lazy_modules import lazy_module_class, plain_lazy_class, uninitialized

NAMES = ("w", "weight", "alpha", "b2", "scale_")


@st.composite
def entries(draw: st.DrawFn, min_params: int = 0) -> tuple[list[str], list[str]]:
    """Distinct parameter and buffer names, at least one entry in all."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True), label="names")
    cut = draw(st.integers(min(min_params, len(names)), len(names)), label="parameters")
    return names[:cut], names[cut:]


def calls(data: st.DataObject) -> tuple[int, tuple[int, ...], float | None]:
    n = data.draw(st.integers(1, 5), label="features")
    leading = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2), label="leading"))
    scale = data.draw(st.sampled_from((None, 2.0, -1.0)), label="scale keyword")
    return n, (*leading, n), scale


def call(module: Any, cand: Any, shape: tuple[int, ...], scale: float | None) -> Any:
    x = sample_input(cand, shape)
    return module(x) if scale is None else module(x, scale=scale)


@pytest.mark.clause("LAZY-MIXIN-FIRST-CALL")
@given(data=st.data())
def test_first_call_initializes_before_forward(nn: Any, cand: Any, data: st.DataObject) -> None:
    params, buffers = data.draw(entries(), label="entries")
    lazy, _ = lazy_module_class(nn, params, buffers, become=data.draw(st.booleans(), label="become"))
    module = lazy()
    n, shape, scale = calls(data)
    call(module, cand, shape, scale)
    want_scale = 1.0 if scale is None else scale
    assert module.log[0] == ("init", n, want_scale), (
        f"first call with input {shape}, scale={scale}: log starts {module.log[:1]}, "
        f"want initialize_parameters(x, scale) first: ('init', {n}, {want_scale})"
    )
    assert len(module.log) == 2 and module.log[1][0] == "forward" and module.log[1][2] == (), (
        f"after initialize_parameters, forward ran as {module.log[1:]} (params {params}, buffers {buffers}); "
        "want one forward that sees every entry initialized"
    )
    for i, name in enumerate(params):
        got = tuple(getattr(module, name).shape)
        assert got == (n, i + 1), f"parameter {name} has shape {got} after the first call, want {(n, i + 1)}"


@pytest.mark.clause("LAZY-MIXIN-CLS-TO-BECOME")
@given(data=st.data())
def test_module_becomes_cls_to_become(nn: Any, cand: Any, data: st.DataObject) -> None:
    params, buffers = data.draw(entries(), label="entries")
    become = data.draw(st.booleans(), label="become")
    lazy, target = lazy_module_class(nn, params, buffers, become=become)
    module = lazy()
    holder = [module]
    _, shape, scale = calls(data)
    call(module, cand, shape, scale)
    want = target if become else lazy
    assert type(module) is want, (
        f"after the first call, type is {type(module).__name__}, want {want.__name__} (cls_to_become "
        f"{'Target' if become else 'None'})"
    )
    assert holder[0] is module, "the first call replaced the module object"
    assert isinstance(module, lazy_mixin(nn)) is not become, (
        f"isinstance(module, LazyModuleMixin) is {not become} after becoming {want.__name__}"
    )


@pytest.mark.clause("LAZY-MIXIN-CLS-TO-BECOME")
@given(case=layer_cases())
def test_lazy_layers_become_their_target(nn: Any, cand: Any, case: LayerCase) -> None:
    module = case.build(nn)
    before = type(module)
    assert before is getattr(nn, case.lazy), f"{case.lazy}(...) made a {before.__name__}"
    module(sample_input(cand, case.input_shape))
    assert type(module) is getattr(nn, case.target), (
        f"{case.describe()}: type after the first call is {type(module).__name__}, want {case.target}"
    )


@pytest.mark.clause("LAZY-MIXIN-ONCE")
@given(data=st.data())
def test_initialize_parameters_runs_once(nn: Any, cand: Any, data: st.DataObject) -> None:
    params, buffers = data.draw(entries(), label="entries")
    become = data.draw(st.booleans(), label="become")
    lazy, _ = lazy_module_class(nn, params, buffers, become=become)
    module = lazy()
    times = data.draw(st.integers(2, 4), label="calls")
    for _ in range(times):
        _, shape, scale = calls(data)
        call(module, cand, shape, scale)
    inits = [entry for entry in module.log if entry[0] == "init"]
    forwards = [entry for entry in module.log if entry[0] == "forward"]
    assert len(inits) == 1, (
        f"{times} calls (cls_to_become {'set' if become else 'None'}) ran {len(inits)} inits"
    )
    assert len(forwards) == times, f"{times} calls ran forward {len(forwards)} times"


@pytest.mark.clause("LAZY-MIXIN-ONCE")
@given(case=layer_cases(), again=st.integers(1, 2))
def test_lazy_layer_is_not_reinitialized(nn: Any, cand: Any, case: LayerCase, again: int) -> None:
    module = case.build(nn)
    module(sample_input(cand, case.input_shape))
    first = {name: (p, cand.to_numpy(p).copy()) for name, p in module.named_parameters()}
    for seed in range(again):
        module(sample_input(cand, case.input_shape, seed=seed + 1))
    for name, p in module.named_parameters():
        obj, values = first[name]
        assert p is obj, f"{case.describe()}: parameter {name} was replaced by a later call"
        assert (cand.to_numpy(p) == values).all(), f"{case.describe()}: a later call changed {name}'s values"


@pytest.mark.clause("LAZY-MIXIN-NOT-FULLY-INIT")
@given(data=st.data())
def test_incomplete_initialization_raises_and_retries(nn: Any, cand: Any, data: st.DataObject) -> None:
    params, buffers = data.draw(entries(), label="entries")
    lazy, target = lazy_module_class(nn, params, buffers)
    module = lazy()
    left = data.draw(st.sampled_from([*params, *buffers]), label="left uninitialized")
    module.skip = {left}
    _, shape, scale = calls(data)
    with pytest.raises(RuntimeError):
        call(module, cand, shape, scale)
    assert type(module) is lazy, f"a failed first call changed the class to {type(module).__name__}"
    assert [e[0] for e in module.log] == ["init"], (
        f"forward ran although {left} was left uninitialized: {module.log}"
    )
    module.skip = set()
    call(module, cand, shape, scale)
    kinds = [e[0] for e in module.log]
    assert kinds == ["init", "init", "forward"], (
        f"the call after the failed one logged {kinds[1:]}, want init, forward"
    )
    assert type(module) is target, f"after the retry the class is {type(module).__name__}, want Target"


@pytest.mark.clause("LAZY-MIXIN-INIT-NOT-IMPLEMENTED")
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple), direct=st.booleans())
def test_initialize_parameters_not_implemented(
    nn: Any, cand: Any, shape: tuple[int, ...], direct: bool
) -> None:
    module = plain_lazy_class(nn)()
    x = sample_input(cand, shape)
    with pytest.raises(NotImplementedError):
        if direct:
            module.initialize_parameters(x)
        else:
            module(x)


@pytest.mark.clause("LAZY-MIXIN-HAS-UNINIT")
@given(data=st.data())
def test_has_uninitialized_params_tracks_own_entries(nn: Any, data: st.DataObject) -> None:
    params, buffers = data.draw(entries(), label="entries")
    lazy, _ = lazy_module_class(nn, params, buffers, become=False)
    module = lazy()
    order = data.draw(st.permutations([*params, *buffers]), label="order")
    for i, name in enumerate(order):
        assert module.has_uninitialized_params() is True, (
            f"has_uninitialized_params() is not True with {order[i:]} still uninitialized"
        )
        how = data.draw(st.sampled_from(("materialize", "none")), label=f"how {name}")
        if how == "materialize":
            getattr(module, name).materialize((2,))
        else:
            setattr(module, name, None)
    assert module.has_uninitialized_params() is False, (
        f"has_uninitialized_params() is not False after materializing or clearing {order}"
    )


@pytest.mark.clause("LAZY-MIXIN-HAS-UNINIT")
@given(case=layer_cases())
def test_has_uninitialized_params_of_lazy_layers(nn: Any, cand: Any, case: LayerCase) -> None:
    module = case.build(nn)
    want = bool(case.params or case.buffers)  # a norm with neither affine nor running stats has nothing lazy
    got = module.has_uninitialized_params()
    assert got is want, f"{case.lazy}(**{case.kwargs}).has_uninitialized_params() is {got}, want {want}"
    has_uninit = type(module).has_uninitialized_params
    module(sample_input(cand, case.input_shape))
    assert has_uninit(module) is False, (
        f"{case.describe()}: has_uninitialized_params() is not False afterwards"
    )


@pytest.mark.clause("LAZY-MIXIN-HAS-UNINIT-OWN-ONLY")
@given(data=st.data())
def test_has_uninitialized_params_ignores_children(nn: Any, data: st.DataObject) -> None:
    parent_cls, _ = lazy_module_class(nn, [], ["counter"], become=False)
    parent = parent_cls()
    parent.counter.materialize((1,))
    params, buffers = data.draw(entries(), label="child entries")
    child_cls, _ = lazy_module_class(nn, params, buffers, become=False)
    child = child_cls()
    name = data.draw(st.sampled_from(("child", "inner", "fc")), label="child name")
    setattr(parent, name, child)
    assert child.has_uninitialized_params() is True, "the child lazy module reports no uninitialized entry"
    assert parent.has_uninitialized_params() is False, (
        f"has_uninitialized_params() of a parent is True only because child {name!r} is uninitialized"
    )


@pytest.mark.clause("LAZY-MIXIN-HOOK-ORDER")
@given(data=st.data())
def test_inference_hook_runs_where_it_was_registered(nn: Any, cand: Any, data: st.DataObject) -> None:
    params, buffers = data.draw(entries(min_params=1), label="entries")
    lazy, _ = lazy_module_class(nn, params, buffers)
    module = lazy()
    prepends = data.draw(st.lists(st.booleans(), min_size=1, max_size=4), label="prepend flags")
    seen: dict[int, bool] = {}

    def hook_for(i: int) -> Any:
        def hook(mod: Any, args: Any) -> None:
            seen[i] = any(uninitialized(nn, getattr(mod, n)) for n in params)

        return hook

    for i, prepend in enumerate(prepends):
        module.register_forward_pre_hook(hook_for(i), prepend=prepend)
    _, shape, _ = calls(data)
    call(module, cand, shape, None)
    for i, prepend in enumerate(prepends):
        want = prepend  # a prepended hook runs before the inference hook, an appended one after it
        assert seen.get(i) is want, (
            f"forward pre-hook {i} (prepend={prepend}) saw uninitialized parameters: {seen.get(i)}, "
            f"want {want}"
        )


@pytest.mark.clause("LAZY-TO-META-NOT-LAZY")
@given(case=layer_cases())
def test_to_meta_drops_laziness(nn: Any, case: LayerCase) -> None:
    module = case.build(nn)
    if not module.has_uninitialized_params():
        return  # nothing lazy to lose (a norm layer with neither affine parameters nor statistics)
    module.to("meta")
    for name in case.params:
        p = getattr(module, name)
        assert is_initialized_parameter(nn, p), f"{case.lazy}.to('meta'): {name} is {type(p).__name__}"
        assert p.device.type == "meta", f"{case.lazy}.to('meta'): {name} is on {p.device}"
    lazy_buffers = any(is_uninitialized(nn, b) for b in module.buffers())  # buffers keep their class
    assert module.has_uninitialized_params() is lazy_buffers, (
        f"{case.lazy}.to('meta'): has_uninitialized_params() must follow the buffers alone ({lazy_buffers})"
    )
