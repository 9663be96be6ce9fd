"""Clause tests for state_dict / load_state_dict hooks, and for RemovableHandle.

Tensors are made and read through the candidate (``cand``).
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support.hooks_cases import WIDTH, chain, filled, has, scaler


@pytest.mark.clause("HOOK-SD-PRE", "HOOK-SD-POST")
@given(depth=st.integers(0, 3), keep_vars=st.booleans(), data=st.data())
def test_state_dict_hooks_order_and_arguments(
    cand: Candidate, depth: int, keep_vars: bool, data: st.DataObject
) -> None:
    root, modules, prefixes = chain(cand, depth)
    hooked = data.draw(st.sets(st.integers(0, depth), min_size=1), label="hooked modules")
    log: list[Any] = []
    for i in sorted(hooked):
        modules[i].register_state_dict_pre_hook(lambda m, prefix, kv, i=i: log.append(("pre", i, prefix, kv)))

        def post(m: Any, sd: Any, prefix: str, meta: Any, i: int = i) -> None:
            log.append(("post", i, prefix, sorted(sd)))
            sd[f"{prefix}extra"] = cand.tensor([0.0])

        modules[i].register_state_dict_post_hook(post)
    sd = root.state_dict(keep_vars=keep_vars)
    own = [f"{p}{k}" for p in prefixes for k in ("w", "b")]
    pres = [("pre", i, prefixes[i], keep_vars) for i in sorted(hooked)]
    assert [e for e in log if e[0] == "pre"] == pres, f"state_dict pre-hooks ran as {log}"
    posts = [e for e in log if e[0] == "post"]
    assert [e[1] for e in posts] == sorted(hooked, reverse=True), f"post-hooks ran as {posts}"
    for _, i, _prefix, keys in posts:
        assert set(own[2 * i :]) <= set(keys), f"post-hook of module {i} ran before its subtree saved: {keys}"
    for i in hooked:
        assert f"{prefixes[i]}extra" in sd, f"post-hook's in-place entry missing from {sorted(sd)}"


@pytest.mark.clause("HOOK-SD-POST-RETURN")
@given(value=st.sampled_from([{}, 0, "x"]))
def test_public_state_dict_post_hook_must_return_none(cand: Candidate, value: Any) -> None:
    m = scaler(cand)
    m.register_state_dict_post_hook(lambda *a: value)
    with pytest.raises(RuntimeError):
        m.state_dict()


@pytest.mark.clause("HOOK-LOAD-PRE", "HOOK-LOAD-POST")
@given(depth=st.integers(0, 3), strict=st.booleans(), data=st.data())
def test_load_state_dict_hooks_order_and_arguments(
    cand: Candidate, depth: int, strict: bool, data: st.DataObject
) -> None:
    root, modules, prefixes = chain(cand, depth)
    sd = root.state_dict()
    hooked = data.draw(st.sets(st.integers(0, depth), min_size=1), label="hooked modules")
    log: list[Any] = []
    for i in sorted(hooked):

        def pre(
            m: Any,
            state: Any,
            prefix: str,
            meta: Any,
            st_: bool,
            missing: Any,
            unexpected: Any,
            errs: Any,
            i: int = i,
        ) -> None:
            log.append(("pre", i, m is modules[i], prefix, st_, isinstance(missing, list)))
            state[f"{prefix}w"] = filled(cand, float(i + 7))

        def post(m: Any, keys: Any, i: int = i) -> None:
            log.append(("post", i, m is modules[i], list(keys.missing_keys), list(keys.unexpected_keys)))

        modules[i].register_load_state_dict_pre_hook(pre)
        modules[i].register_load_state_dict_post_hook(post)
    root.load_state_dict(dict(sd), strict=strict)
    # torch hands the hooks strict=True whatever load_state_dict got (see the note of HOOK-LOAD-PRE)
    pres = [("pre", i, True, prefixes[i], True, True) for i in sorted(hooked)]
    assert [e for e in log if e[0] == "pre"] == pres, f"load pre-hooks ran as {log}"
    posts = [e for e in log if e[0] == "post"]
    assert [e[1] for e in posts] == sorted(hooked, reverse=True), f"load post-hooks ran as {posts}"
    assert all(e[2] and e[3] == [] and e[4] == [] for e in posts), f"post-hooks saw {posts}"
    for i in hooked:
        got = cand.to_numpy(modules[i].w).tolist()
        assert got == [float(i + 7)] * WIDTH, f"module {i} loaded {got}, pre-hook wrote {i + 7}"


@pytest.mark.clause("HOOK-LOAD-POST-STRICT")
@given(action=st.sampled_from(["add_missing", "add_unexpected", "clear"]), strict=st.booleans())
def test_load_post_hook_edits_incompatible_keys(cand: Candidate, action: str, strict: bool) -> None:
    root, _, _ = chain(cand, 1)
    sd = root.state_dict()
    if action == "clear":
        sd["stray"] = cand.tensor([0.0])
        del sd["w"]

    def post(m: Any, keys: Any) -> None:
        if action == "add_missing":
            keys.missing_keys.append("ghost")
        elif action == "add_unexpected":
            keys.unexpected_keys.append("ghost")
        else:
            keys.missing_keys.clear()
            keys.unexpected_keys.clear()

    root.register_load_state_dict_post_hook(post)
    if strict and action != "clear":
        with pytest.raises(RuntimeError, match="ghost"):
            root.load_state_dict(sd, strict=True)
        return
    result = root.load_state_dict(sd, strict=strict)
    expected = {"add_missing": (["ghost"], []), "add_unexpected": ([], ["ghost"]), "clear": ([], [])}[action]
    got = (list(result.missing_keys), list(result.unexpected_keys))
    assert got == expected, f"load_state_dict(strict={strict}) after post-hook {action}: {got}"


@pytest.mark.clause("HOOK-LOAD-POST-RETURN")
@given(value=st.sampled_from([1, "x", ()]))
def test_load_post_hook_must_return_none(cand: Candidate, value: Any) -> None:
    m = scaler(cand)
    sd = m.state_dict()
    m.register_load_state_dict_post_hook(lambda *a: value)
    with pytest.raises(Exception):  # noqa: B017 - the clause leaves the type open
        m.load_state_dict(sd)


# --- RemovableHandle ---------------------------------------------------------------------------


@pytest.mark.clause("HOOK-HANDLE-REMOVE", "HOOK-HANDLE-REMOVE-TWICE")
@given(n=st.integers(1, 4), data=st.data())
def test_remove_stops_only_that_hook(cand: Candidate, n: int, data: st.DataObject) -> None:
    m = scaler(cand)
    ran: list[int] = []
    handles = [m.register_forward_hook(lambda *a, i=i: ran.append(i)) for i in range(n)]
    gone = data.draw(st.sets(st.integers(0, n - 1)), label="removed")
    for i in sorted(gone):
        handles[i].remove()
        handles[i].remove()
    m(filled(cand, 1.0))
    assert ran == [i for i in range(n) if i not in gone], f"hooks run after removing {sorted(gone)}: {ran}"


@pytest.mark.clause("HOOK-HANDLE-CONTEXT")
@given(raises=st.booleans())
def test_handle_as_context_manager(cand: Candidate, raises: bool) -> None:
    m = scaler(cand)
    ran: list[str] = []
    handle = m.register_forward_pre_hook(lambda *a: ran.append("x"))
    try:
        with handle as h:
            assert h is handle, f"`with handle as h` bound {h!r}"
            m(filled(cand, 1.0))
            if raises:
                raise LookupError
    except LookupError:
        pass
    m(filled(cand, 1.0))
    assert ran == ["x"], f"hook ran {ran} (should run only inside the with block)"


@pytest.mark.clause("HOOK-HANDLE-ID")
@pytest.mark.clause_when_capable("HOOK-HANDLE-TABLE-KEY")
@given(n=st.integers(2, 6))
def test_handle_ids_distinct_increasing_and_keys(cand: Candidate, n: int) -> None:
    m = scaler(cand)
    handles = [m.register_forward_hook(lambda *a: None) for _ in range(n)]
    # one more handle from another registry (global where the candidate has global hooks): ids are
    # distinct across registries
    if has(cand, "global_hooks"):
        handles.append(cand.nn.register_module_forward_pre_hook(lambda *a: None))
    else:
        handles.append(scaler(cand).register_forward_pre_hook(lambda *a: None))
    handles[-1].remove()
    ids = [h.id for h in handles]
    assert ids == sorted(set(ids)), f"handle ids not distinct and increasing: {ids}"
    if has(cand, "hook_tables"):
        keys = list(m._forward_hooks)
        assert keys == ids[:-1], f"hook table keys {keys} vs handle ids {ids[:-1]}"


@pytest.mark.clause("HOOK-HANDLE-EXTRA")
@given(with_kwargs=st.booleans(), always_call=st.booleans(), pre=st.booleans())
def test_remove_drops_option_entries(
    cand: Candidate, with_kwargs: bool, always_call: bool, pre: bool
) -> None:
    m = scaler(cand)
    if pre:
        h = m.register_forward_pre_hook(lambda *a: None, with_kwargs=with_kwargs)
    else:
        h = m.register_forward_hook(lambda *a: None, with_kwargs=with_kwargs, always_call=always_call)
    tables = (
        "_forward_pre_hooks",
        "_forward_pre_hooks_with_kwargs",
        "_forward_hooks",
        "_forward_hooks_with_kwargs",
        "_forward_hooks_always_called",
    )
    h.remove()
    left = {t: list(getattr(m, t)) for t in tables if h.id in getattr(m, t)}
    assert left == {}, f"after remove(), hook id {h.id} still in {left}"


@pytest.mark.clause("HOOK-HANDLE-OUTLIVES", "HOOK-HANDLE-REMOVE-TWICE")
@given(n=st.integers(1, 3))
def test_handle_does_not_keep_module_alive(cand: Candidate, n: int) -> None:
    import weakref

    m = scaler(cand)
    handles = [m.register_forward_hook(lambda *a: None) for _ in range(n)]
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None, "a module with live hook handles was kept alive"
    for h in handles:
        h.remove()
