"""Clause tests for load_state_dict(): copying, missing and unexpected keys (with and without strict),
None slots, non-persistent buffers, None children, size mismatches, non-tensor values, assign=True,
shared tensors, extra state, per-module loading and metadata.

Each test builds a generated tree through the candidate, draws a state dict for it (dropped keys, added
keys, wrong shapes, other dtypes) and checks the load against the tree model. Every test loads through
``cand.prepare`` (marked ``wrapped``), and observes what a wrapper cannot hide from it: the returned keys,
the exception, the tensors the tree registered (a copying load writes into them, and every wrapper shares
them) and calls of the tree's own Python methods. After ``assign=True`` the wrapped module may hold
tensors its Python originals never see, so those tests look up each slot through the wrapped module.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suites.support import trees
from suites.support.state_dict_trees import (
    EXTRA,
    Value,
    aliases,
    build_sd,
    expected_entries,
    expected_keys,
    give_forward,
    has_extra,
    load_plans,
    make_state,
    message_structure,
    sd_plans,
)
from suites.support.trees import BUFFER, CHILD, NP_BUFFER, PARAM, Node


def expected_missing(root: Node, given_keys: list[str]) -> list[str]:
    return [k for k in expected_keys(root) if k not in given_keys]


def expected_unexpected(root: Node, given_keys: list[str]) -> list[str]:
    """The model of SD-LOAD-UNEXPECTED: each module path, in pre-order, checks the keys under it."""
    out: list[str] = []
    for path, node in trees.module_paths(root):
        prefix = path + "." if path else ""
        extra_key = prefix + EXTRA
        if not has_extra(node) and extra_key in given_keys:
            out.append(extra_key)
        loadable = {name for name, kind, obj in node.entries if kind in (PARAM, BUFFER) and obj is not None}
        slots = {name for name, kind, _ in node.entries if kind == CHILD}
        for key in given_keys:
            if not key.startswith(prefix) or key == extra_key:
                continue
            head, dot, _ = key[len(prefix) :].partition(".")
            if (head not in slots) if dot else (head not in loadable):
                out.append(key)
    return out


def reach(module: Any, path: str) -> Any:
    """The module at a dotted ``path`` below ``module``, attribute by attribute (``get_submodule`` is not
    there on every wrapper: a scripted module refuses it)."""
    for part in path.split(".") if path else []:
        assert hasattr(module, part), f"the module the load was made on has no module at {path!r}"
        module = getattr(module, part)
    return module


def final_values(cand: Any, tree: trees.Tree, plan: list[tuple[str, Value]]) -> list[tuple[str, Any, Any]]:
    """(key, object, expected values) for every loadable tensor entry: the value of the last given key,
    in state_dict order, among the keys whose tensors share memory with it; None when none was given."""
    given = {k: v for k, v in plan}
    entries = [(k, o) for k, o in expected_entries(tree.root) if cand.is_tensor(o)]
    out = []
    for key, obj in entries:
        last = None
        for other_key, other in entries:
            if other_key in given and aliases(cand, other, obj) and given[other_key].shape is not None:
                last = given[other_key]
        out.append((key, obj, None if last is None else last.make(cand)))
    return out


def snapshot(cand: Any, tree: trees.Tree) -> list[tuple[str, Any]]:
    """Every registered tensor's identity and values, by path."""
    out = []
    for path, node in trees.module_paths(tree.root):
        for name, _, _ in node.entries:
            value = getattr(node.module, name)
            if value is not None and cand.is_tensor(value):
                out.append((trees.join(path, name), tree.label(value), cand.to_numpy(value).tolist()))
    return out


def assert_values_loaded(cand: Any, tree: trees.Tree, plan: list[tuple[str, Value]], what: str) -> None:
    for key, obj, value in final_values(cand, tree, plan):
        if value is None:
            continue
        got, want = cand.to_numpy(obj), cand.to_numpy(value).astype(cand.dtype_name(obj))
        assert np.array_equal(got, want), (
            f"after {what}, {key!r} holds {got.tolist()}, expected {want.tolist()}"
        )


def registered_tensors(cand: Any, tree: trees.Tree) -> list[tuple[str, str, str, bool]]:
    """(key, object label, dtype, requires_grad) of every non-None parameter and persistent buffer."""
    out = []
    for path, node in trees.module_paths(tree.root):
        for name, kind, _ in node.entries:
            obj = getattr(node.module, name)
            if kind in (PARAM, BUFFER) and obj is not None:
                out.append(
                    (trees.join(path, name), tree.label(obj), cand.dtype_name(obj), cand.requires_grad(obj))
                )
    return out


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-COPIES")
@given(plan=sd_plans(extra_state=False), data=st.data())
def test_values_are_copied_into_the_existing_tensors(
    nn: Any, cand: Any, plan: Any, data: st.DataObject
) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root, missing=False, unexpected=False, other_dtypes=True))
    before = registered_tensors(cand, tree)
    cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand))
    after = registered_tensors(cand, tree)
    assert after == before, (
        f"load_state_dict changed (key, object, dtype, requires_grad): {after}, expected {before}"
    )
    assert_values_loaded(cand, tree, given_plan, "load_state_dict")


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-SHARED")
@given(plan=sd_plans(force_sharing=True, extra_state=False), data=st.data())
def test_shared_tensors_take_their_last_key(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root, missing=True, unexpected=False))
    before = snapshot(cand, tree)
    cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand), strict=False)
    after = snapshot(cand, tree)
    identities = [(k, label) for k, label, _ in after]
    assert identities == [(k, label) for k, label, _ in before], (
        f"load_state_dict replaced objects: {identities}"
    )
    assert_values_loaded(cand, tree, given_plan, "load_state_dict into shared tensors")


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-RETURN")
@given(plan=sd_plans(max_nodes=4), data=st.data())
def test_returns_missing_and_unexpected_lists(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root))
    result = cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand), strict=False)
    assert isinstance(result, tuple) and hasattr(result, "_fields"), f"load_state_dict returned {result!r}"
    assert tuple(result._fields) == ("missing_keys", "unexpected_keys"), f"fields {result._fields}"
    missing, unexpected = result
    assert missing is result.missing_keys and unexpected is result.unexpected_keys
    for keys in (missing, unexpected):
        assert isinstance(keys, list) and all(isinstance(k, str) for k in keys), (
            f"not a list of str: {keys!r}"
        )


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-RETURN-REPR")
@given(plan=sd_plans(max_nodes=4), data=st.data())
def test_result_repr(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root))
    result = cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand), strict=False)
    text = repr(result)
    assert str(result) == text, f"str {str(result)!r} differs from repr {text!r}"
    if not result.missing_keys and not result.unexpected_keys:
        assert text == "<All keys matched successfully>", f"repr {text!r} of a load where all keys matched"
    else:
        fields = f"(missing_keys={result.missing_keys!r}, unexpected_keys={result.unexpected_keys!r})"
        assert text.endswith(fields), f"repr {text!r}, expected a named tuple repr ending {fields!r}"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-MISSING")
@given(plan=sd_plans(), data=st.data())
def test_missing_keys(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root, missing=True, unexpected=False))
    keys = [k for k, _ in given_plan]
    result = cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand), strict=False)
    expected = expected_missing(tree.root, keys)
    assert list(result.missing_keys) == expected, (
        f"missing_keys {result.missing_keys}, expected {expected} (given {keys})\n{plan!r}"
    )
    assert list(result.unexpected_keys) == [], f"unexpected_keys {result.unexpected_keys}, expected []"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-UNEXPECTED")
@given(plan=sd_plans(force_none=True), data=st.data())
def test_unexpected_keys(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root, missing=False, unexpected=True))
    keys = [k for k, _ in given_plan]
    result = cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand), strict=False)
    expected = expected_unexpected(tree.root, keys)
    assert list(result.unexpected_keys) == expected, (
        f"unexpected_keys {result.unexpected_keys}, expected {expected} (given {keys})\n{plan!r}"
    )
    assert list(result.missing_keys) == [], f"missing_keys {result.missing_keys}, expected []"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-NONSTRICT-REPORTS")
@given(plan=sd_plans(force_none=True, extra_state=False), data=st.data())
def test_non_strict_reports_and_loads(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root))
    keys = [k for k, _ in given_plan]
    result = cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand), strict=False)
    expected = (expected_missing(tree.root, keys), expected_unexpected(tree.root, keys))
    got = (list(result.missing_keys), list(result.unexpected_keys))
    assert got == expected, f"load_state_dict(strict=False) reported {got}, expected {expected}\n{plan!r}"
    assert_values_loaded(cand, tree, given_plan, "load_state_dict(strict=False)")


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-STRICT-RAISES")
@given(plan=sd_plans(force_none=True), data=st.data(), default=st.booleans())
def test_strict_raises_on_key_mismatch(
    nn: Any, cand: Any, plan: Any, data: st.DataObject, default: bool
) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root))
    keys = [k for k, _ in given_plan]
    mismatch = bool(expected_missing(tree.root, keys) or expected_unexpected(tree.root, keys))
    module = cand.prepare(tree.root.module)
    state = make_state(given_plan, cand)
    try:
        module.load_state_dict(state) if default else module.load_state_dict(state, strict=True)
    except RuntimeError:
        assert mismatch, f"strict load_state_dict raised although every key matched (given {keys})\n{plan!r}"
    else:
        assert not mismatch, f"strict load_state_dict did not raise for keys {keys}\n{plan!r}"


def none_slot_keys(root: Node, kinds: tuple[str, ...]) -> list[str]:
    return [
        trees.join(path, name)
        for path, node in trees.module_paths(root)
        for name, kind, obj in node.entries
        if kind in kinds and obj is None
    ]


def full_plan(cand: Any, root: Node) -> list[tuple[str, Value]]:
    out = []
    for i, (key, obj) in enumerate(expected_entries(root)):
        if cand.is_tensor(obj):
            out.append((key, Value(cand.shape(obj), cand.dtype_name(obj), seed=i)))
        else:
            out.append((key, Value(None, plain={"loaded": key})))
    return out


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-NONE-SLOT-KEY")
@given(plan=sd_plans(force_none=True), data=st.data())
def test_key_of_a_none_slot_is_unexpected(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    slots = none_slot_keys(tree.root, (PARAM, BUFFER, NP_BUFFER))
    chosen = data.draw(st.lists(st.sampled_from(slots), min_size=1, max_size=3, unique=True), label="keys")
    given_plan = full_plan(cand, tree.root) + [(k, Value((1,), seed=3)) for k in chosen]
    strict = data.draw(st.booleans(), label="strict")
    module = cand.prepare(tree.root.module)
    try:
        result = module.load_state_dict(make_state(given_plan, cand), strict=strict)
    except RuntimeError:
        assert strict, f"load_state_dict(strict=False) raised for keys of None slots {chosen}"
    else:
        assert not strict, f"strict load_state_dict did not raise for keys of None slots {chosen}\n{plan!r}"
        expected = expected_unexpected(tree.root, [k for k, _ in given_plan])
        assert chosen and list(result.unexpected_keys) == expected, (
            f"unexpected_keys {result.unexpected_keys}, expected {expected} (keys of None slots: {chosen})"
        )
    # a load that copies cannot fill a None slot in any module; only rebinding the attribute could, and the
    # original is the object the slot was registered on
    for key in chosen:
        owner, _, name = key.rpartition(".")
        assert getattr(reach(tree.root.module, owner), name) is None, f"{key} no longer reads None"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-NONPERSISTENT-KEY")
@given(plan=sd_plans(extra_state=False), data=st.data())
def test_key_of_a_non_persistent_buffer_is_unexpected(
    nn: Any, cand: Any, plan: Any, data: st.DataObject
) -> None:
    tree = build_sd(plan, nn, cand)
    root = tree.root.module
    candidates = [
        trees.join(path, name)
        for path, node in trees.module_paths(tree.root)
        for name, kind, obj in node.entries
        if kind == NP_BUFFER and obj is not None
    ]
    root.register_buffer("np_extra", cand.tensor([1.0, 2.0]), persistent=False)
    tree.root.entries.append(("np_extra", NP_BUFFER, root.np_extra))
    give_forward(tree, cand)  # the root's forward uses it too
    chosen = data.draw(
        st.lists(st.sampled_from(["np_extra", *candidates]), min_size=1, max_size=3, unique=True),
        label="keys",
    )
    state = make_state(full_plan(cand, tree.root), cand)
    for key in chosen:
        owner, _, name = key.rpartition(".")
        state[key] = getattr(reach(root, owner), name) * 0 - 1234
    result = cand.prepare(root).load_state_dict(state, strict=False)
    expected = expected_unexpected(tree.root, list(state))
    assert list(result.unexpected_keys) == expected, (
        f"unexpected_keys {result.unexpected_keys}, expected {expected}"
    )
    for key in chosen:
        owner, _, name = key.rpartition(".")
        value = cand.to_numpy(getattr(reach(root, owner), name))
        assert not np.any(value == -1234), f"non-persistent buffer {key} was loaded: {value.tolist()}"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-NONE-CHILD-KEYS")
@given(plan=sd_plans(force_none={CHILD}), data=st.data())
def test_keys_below_a_none_child_are_ignored(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    slots = none_slot_keys(tree.root, (CHILD,))
    below = [s + tail for s in slots for tail in (".w", ".b", ".sub.w", "." + EXTRA)]
    chosen = data.draw(st.lists(st.sampled_from(below), min_size=1, max_size=4, unique=True), label="keys")
    given_plan = full_plan(cand, tree.root)
    for j, key in enumerate(chosen):
        given_plan.insert(data.draw(st.integers(0, len(given_plan))), (key, Value((2,), seed=j)))
    result = cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand), strict=True)
    got = (list(result.missing_keys), list(result.unexpected_keys))
    assert got == ([], []), f"keys below None children {chosen} were reported: {got}\n{plan!r}"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-SIZE-MISMATCH", "SD-LOAD-NON-TENSOR")
@given(plan=sd_plans(extra_state=False), data=st.data(), strict=st.booleans())
def test_bad_values_raise_whatever_strict(
    nn: Any, cand: Any, plan: Any, data: st.DataObject, strict: bool
) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root, missing=False, unexpected=False, bad_values=True))
    entries = dict(expected_entries(tree.root))
    bad = [k for k, v in given_plan if v.shape is None or v.shape != cand.shape(entries[k])]
    before = {k: cand.to_numpy(entries[k]).tolist() for k in bad}
    try:
        cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand), strict=strict)
    except RuntimeError as exc:
        assert bad, f"load_state_dict(strict={strict}) raised with good values: {exc}"
        _, lines = message_structure(str(exc))
        named = [keys for _, keys in lines]
        assert named == bad, f"the error names {named}, expected the bad keys {bad}"
    else:
        assert not bad, (
            f"load_state_dict(strict={strict}) did not raise for the bad values of {bad}\n{plan!r}"
        )
    for key in bad:
        shared = any(aliases(cand, entries[key], entries[k]) for k, v in given_plan if k not in bad)
        if not shared:
            got = cand.to_numpy(entries[key]).tolist()
            assert got == before[key], f"{key} was changed by a bad value: {got}, was {before[key]}"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-ERROR-MESSAGE")
@given(plan=sd_plans(), data=st.data())
def test_error_message_structure(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root, bad_values=True))
    keys = [k for k, _ in given_plan]
    entries = dict(expected_entries(tree.root))
    missing, unexpected = expected_missing(tree.root, keys), expected_unexpected(tree.root, keys)
    bad = [
        k
        for k, v in given_plan
        if k in entries
        and cand.is_tensor(entries[k])
        and (v.shape is None or v.shape != cand.shape(entries[k]))
    ]
    loading_order = [k for k in expected_keys(tree.root) if k in bad]
    expected_lines = (
        ([("missing", missing)] if missing else [])
        + ([("unexpected", unexpected)] if unexpected else [])
        + [("not-tensor" if dict(given_plan)[k].shape is None else "size", k) for k in loading_order]
    )
    module = cand.prepare(tree.root.module)
    try:
        module.load_state_dict(make_state(given_plan, cand))
    except RuntimeError as exc:
        header, lines = message_structure(str(exc))
        # the class of the module the call was made on (a wrapper's own class, for a wrapped tree)
        expected_header = f"Error(s) in loading state_dict for {type(module).__name__}:"
        assert header == expected_header, f"message header {header!r}, expected {expected_header!r}"
        assert lines == expected_lines, f"message lines {lines}, expected {expected_lines}\n{plan!r}"
    else:
        assert not expected_lines, f"load_state_dict did not raise; expected {expected_lines}"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-MAPPING")
@given(plan=sd_plans(max_nodes=4, extra_state=False), kind=st.sampled_from(["items", "keys", "none", "str"]))
def test_non_mapping_raises_type_error(nn: Any, cand: Any, plan: Any, kind: str) -> None:
    tree = build_sd(plan, nn, cand)
    state = make_state(full_plan(cand, tree.root), cand)
    arg = {"items": list(state.items()), "keys": list(state), "none": None, "str": "weights"}[kind]
    before = snapshot(cand, tree)
    with pytest.raises(TypeError):
        cand.prepare(tree.root.module).load_state_dict(arg)
    assert snapshot(cand, tree) == before, f"load_state_dict({kind}) changed the module before raising"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-INPUT-UNCHANGED")
@given(plan=sd_plans(), data=st.data())
def test_given_dict_is_left_alone(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root))
    state = make_state(given_plan, cand, metadata={"": {"version": 1}})
    before = [(k, id(v)) for k, v in state.items()]
    cand.prepare(tree.root.module).load_state_dict(state, strict=False)
    assert [(k, id(v)) for k, v in state.items()] == before, "load_state_dict changed the given dict"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-ASSIGN-IDENTITY", "SD-LOAD-ASSIGN-REQUIRES-GRAD")
@given(plan=sd_plans(extra_state=False), data=st.data())
def test_assign_takes_the_given_tensors(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root, missing=False, unexpected=False, other_dtypes=True))
    param_keys = {
        trees.join(path, name)
        for path, node in trees.module_paths(tree.root)
        for name, kind, _ in node.entries
        if kind == PARAM
    }
    state: Any = OrderedDict()
    for key, value in given_plan:
        tensor = value.make(cand)
        if key in param_keys and data.draw(st.booleans(), label=f"{key} as Parameter"):
            tensor = nn.Parameter(tensor, requires_grad=data.draw(st.booleans(), label="requires_grad"))
        state[key] = tensor
    owners = {}  # (module, name) -> (path of the last write, requires_grad before, kind)
    for path, node in trees.module_paths(tree.root):
        for name, kind, obj in node.entries:
            if kind in (PARAM, BUFFER) and obj is not None:
                previous = owners.get((id(node.module), name), (None, cand.requires_grad(obj), kind))
                owners[(id(node.module), name)] = (path, previous[1], kind)
    wrapped = cand.prepare(tree.root.module)
    # strict=False: the keys are the tree's own; a wrapper that reports them otherwise fails
    # SD-LOAD-MISSING or SD-LOAD-UNEXPECTED, and here only on what it assigned
    wrapped.load_state_dict(state, strict=False, assign=True)
    for (_, name), (path, grad_before, kind) in owners.items():
        # read through the module the load was made on: a wrapper may hold what it assigned apart from
        # the tree's Python modules
        key = trees.join(path, name)
        got, given_value = getattr(reach(wrapped, path), name), state[key]
        if kind == BUFFER or isinstance(given_value, nn.Parameter):
            assert got is given_value, f"after assign=True, {key} is not the given object"
        else:
            assert isinstance(got, nn.Parameter) and cand.same_storage(got, given_value), (
                f"after assign=True, {key} is a {type(got).__name__} not sharing the given tensor's memory"
            )
        assert cand.dtype_name(got) == cand.dtype_name(given_value), (
            f"after assign=True, {key} has dtype {cand.dtype_name(got)}, given {cand.dtype_name(given_value)}"
        )
        if kind == PARAM:
            assert cand.requires_grad(got) == grad_before, (
                f"after assign=True, {key}.requires_grad is {cand.requires_grad(got)}, was {grad_before}"
            )


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-ASSIGN-PARAMETER")
@given(plan=sd_plans(extra_state=False), data=st.data())
def test_assign_keeps_registration(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root, missing=False, unexpected=False))
    root = cand.prepare(tree.root.module)  # observed through the wrapped module only, before and after
    every = trees.dedup_option(cand, False)  # every path, where the candidate can list them
    before = (
        [n for n, _ in root.named_parameters(**every)],
        [n for n, _ in root.named_buffers(**every)],
        list(root.state_dict()),
    )
    root.load_state_dict(make_state(given_plan, cand), assign=True)
    params = list(root.named_parameters(**every))
    after = (
        [n for n, _ in params],
        [n for n, _ in root.named_buffers(**every)],
        list(root.state_dict()),
    )
    assert after == before, f"after assign=True (parameters, buffers, state keys) are {after}, were {before}"
    for name, p in params:
        assert isinstance(p, nn.Parameter), f"after assign=True, parameter {name} is a {type(p).__name__}"


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-EXTRA-STATE")
@given(plan=sd_plans(), data=st.data())
def test_extra_state_is_given_to_set_extra_state(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    given_plan = data.draw(load_plans(cand, tree.root))
    keys = [k for k, _ in given_plan]
    result = cand.prepare(tree.root.module).load_state_dict(make_state(given_plan, cand), strict=False)
    # set_extra_state is the tree's own Python method: what it was given is recorded on the tree's modules
    for node in tree.nodes:
        if has_extra(node):
            paths = [p for p, n in trees.module_paths(tree.root) if n is node]
            expected = [{"loaded": trees.join(p, EXTRA)} for p in paths if trees.join(p, EXTRA) in keys]
            assert node.module.extra_loaded == expected, (
                f"set_extra_state of {node.label} got {node.module.extra_loaded}, "
                f"expected {expected}\n{plan!r}"
            )
    extra_missing = [k for k in result.missing_keys if k.rpartition(".")[2] == EXTRA]
    expected_extra = [k for k in expected_missing(tree.root, keys) if k.rpartition(".")[2] == EXTRA]
    assert extra_missing == expected_extra, (
        f"missing extra-state keys {extra_missing}, expected {expected_extra}"
    )
    extra_unexpected = [k for k in result.unexpected_keys if k.rpartition(".")[2] == EXTRA]
    expected_extra = [k for k in expected_unexpected(tree.root, keys) if k.rpartition(".")[2] == EXTRA]
    assert extra_unexpected == expected_extra, (
        f"unexpected extra-state keys {extra_unexpected}, expected {expected_extra}"
    )


def loading_recorder(base: type, log: list[Any]) -> type:
    def _load_from_state_dict(
        self: Any,
        state_dict: Any,
        prefix: str,
        local_metadata: Any,
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        log.append((prefix, list(state_dict), dict(local_metadata), strict))
        super(cls, self)._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )
        missing_keys.append(prefix + "added_by_override")

    cls = type(base.__name__, (base,), {"_load_from_state_dict": _load_from_state_dict})
    return cls


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-PER-MODULE", "SD-LOAD-METADATA")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # failure_context only records
@given(plan=sd_plans(), data=st.data(), strict=st.booleans(), assign=st.booleans())
def test_load_from_state_dict_per_path(
    nn: Any, cand: Any, failure_context: Any, plan: Any, data: st.DataObject, strict: bool, assign: bool
) -> None:
    tree = build_sd(plan, nn, cand)
    log: list[Any] = []
    chosen = data.draw(st.sets(st.sampled_from(tree.nodes), min_size=1), label="overriding modules")
    for node in tree.nodes:
        if data.draw(st.booleans(), label=f"{node.label} has its own _version"):
            node.module._version = data.draw(st.integers(2, 9), label="version")
    for node in chosen:
        node.module.__class__ = loading_recorder(type(node.module), log)
    given_plan = data.draw(load_plans(cand, tree.root, missing=False))
    with_metadata = data.draw(st.booleans(), label="metadata")
    # any version number does: what is checked is that each module is handed its own entry
    metadata = {p: {"version": getattr(n.module, "_version", 1)} for p, n in trees.module_paths(tree.root)}
    state = make_state(given_plan, cand, metadata if with_metadata else None)
    keys = list(state)
    options = {"assign": True} if assign else {}  # assign=True is the assign clauses' to judge elsewhere
    try:
        # the calls observed are those of the tree's own Python override, whatever the wrapper holds
        result = cand.prepare(tree.root.module).load_state_dict(state, strict=strict, **options)
        missing = list(result.missing_keys)
    except TypeError:
        if assign:  # the assign option refused: the metadata rule for assign=True cannot hold
            failure_context.record(clauses=["SD-LOAD-METADATA"], where="load_state_dict(..., assign=True)")
        raise
    except RuntimeError as exc:
        assert strict, f"load_state_dict(strict=False) raised {exc}"
        missing = next((keys for kind, keys in message_structure(str(exc))[1] if kind == "missing"), [])
    paths = [p for p, n in trees.module_paths(tree.root) if n in chosen]
    expected_log = []
    for path in paths:
        prefix = path + "." if path else ""
        local = dict(metadata[path]) if with_metadata else {}
        if assign:
            local["assign_to_params_buffers"] = True
        expected_log.append((prefix, [k for k in keys if k.startswith(prefix)], local, True))
    assert log == expected_log, f"_load_from_state_dict calls {log}, expected {expected_log}\n{plan!r}"
    added = [k for k in missing if k.endswith("added_by_override")]
    assert added == [(p + "." if p else "") + "added_by_override" for p in paths], (
        f"missing keys added by the override: {added}"
    )


def one_sided_extra_class(base: type, side: str) -> type:
    """A subclass of ``base`` overriding only get_extra_state (side "get") or only set_extra_state ("set")."""

    def get_extra_state(self: Any) -> Any:
        return {"saved_by": type(self).__name__}

    def set_extra_state(self: Any, state: Any) -> None:
        self.extra_loaded.append(state)

    body: dict[str, Any] = {"get_extra_state": get_extra_state} if side == "get" else {}
    if side == "set":
        body["set_extra_state"] = set_extra_state
    return type(base.__name__, (base,), body)


@pytest.mark.wrapped
@pytest.mark.clause("SD-LOAD-EXTRA-STATE", "SD-SAVE-EXTRA-STATE", "SD-EXTRA-STATE-GET-ONLY")
@given(plan=sd_plans(extra_state=False), data=st.data(), side=st.sampled_from(["get", "set"]))
def test_extra_state_follows_the_overridden_method(
    nn: Any, cand: Any, plan: Any, data: st.DataObject, side: str
) -> None:
    """Saving looks at the get_extra_state override, loading at the set_extra_state override, each alone."""
    tree = build_sd(plan, nn, cand)
    node = data.draw(st.sampled_from(tree.nodes), label="one-sided module")
    base_keys = expected_keys(tree.root)
    node.module.__class__ = one_sided_extra_class(type(node.module), side)
    node.module.extra_loaded = []
    paths = [p for p, n in trees.module_paths(tree.root) if n is node]
    extra_keys = [trees.join(p, EXTRA) for p in paths]
    root = cand.prepare(tree.root.module)
    saved = [k for k in root.state_dict() if k.rpartition(".")[2] == EXTRA]
    assert saved == (extra_keys if side == "get" else []), (
        f"a module overriding only {side}_extra_state saves extra-state keys {saved}\n{plan!r}"
    )
    given_keys = [k for k in extra_keys if data.draw(st.booleans(), label=f"{k} given")]
    given_plan = [(k, v) for k, v in full_plan(cand, tree.root) if k in base_keys]
    given_plan += [(k, Value(None, plain={"loaded": k})) for k in given_keys]
    result = root.load_state_dict(make_state(given_plan, cand), strict=False)
    missing = [k for k in result.missing_keys if k.rpartition(".")[2] == EXTRA]
    unexpected = [k for k in result.unexpected_keys if k.rpartition(".")[2] == EXTRA]
    if side == "set":
        loaded = [{"loaded": k} for k in given_keys]
        assert node.module.extra_loaded == loaded, (
            f"set_extra_state got {node.module.extra_loaded}, expected {loaded}\n{plan!r}"
        )
        want = ([k for k in extra_keys if k not in given_keys], [])
    else:
        want = ([], given_keys)
    assert (missing, unexpected) == want, (
        f"a module overriding only {side}_extra_state: extra-state keys (missing, unexpected) are "
        f"{(missing, unexpected)}, expected {want} (given {given_keys})\n{plan!r}"
    )
    if side == "get" and given_keys:
        with pytest.raises(RuntimeError, match="_extra_state"):
            root.load_state_dict(make_state(given_plan, cand), strict=True)
