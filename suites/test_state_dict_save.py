"""Clause tests for state_dict(): entries, keys, order, sharing, detaching, keep_vars, destination,
prefix, extra state, per-module saving and _metadata.

Every test builds a generated tree (nesting, shared modules and tensors, None slots, persistent and
non-persistent buffers, several dtypes, some modules with extra state) through the candidate and checks
its state dict against the tree model of suites/support/state_dict_trees.py. The tree is handed to
``cand.prepare`` once built, so that wrapper candidates are judged on what their wrapper saves.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support import trees
from suites.support.state_dict_trees import (
    EXTRA,
    build_sd,
    expected_entries,
    expected_keys,
    give_forward,
    sd_plans,
)

pytestmark = pytest.mark.wrapped


def tensor_items(cand: Any, state: Any) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in state.items() if cand.is_tensor(v)]


@pytest.mark.clause("SD-SAVE-ENTRIES")
@given(plan=sd_plans(force_none=True), keep_vars=st.booleans())
def test_entries_are_the_non_none_persistent_tensors(nn: Any, cand: Any, plan: Any, keep_vars: bool) -> None:
    tree = build_sd(plan, nn, cand)
    state = cand.prepare(tree.root.module).state_dict(keep_vars=keep_vars)
    expected = expected_keys(tree.root)
    assert sorted(state) == sorted(expected), (
        f"state_dict(keep_vars={keep_vars}) has keys {sorted(state)}, expected {sorted(expected)}\n{plan!r}"
    )
    for key, value in state.items():
        assert value is not None, f"state_dict()[{key!r}] is None\n{plan!r}"


@pytest.mark.clause("SD-SAVE-KEYS", "SD-SAVE-ORDER")
@given(plan=sd_plans())
def test_keys_are_dotted_paths_in_pre_order(nn: Any, cand: Any, plan: Any) -> None:
    tree = build_sd(plan, nn, cand)
    keys = list(cand.prepare(tree.root.module).state_dict())
    expected = expected_keys(tree.root)
    assert keys == expected, f"state_dict() keys {keys}, expected {expected}\n{plan!r}"


@pytest.mark.clause("SD-SAVE-SHARED")
@given(plan=sd_plans(force_sharing=True, extra_state=False))
def test_shared_modules_and_tensors_appear_under_every_path(nn: Any, cand: Any, plan: Any) -> None:
    tree = build_sd(plan, nn, cand)
    state = cand.prepare(tree.root.module).state_dict()
    for key, obj in expected_entries(tree.root):
        assert key in state, f"state_dict() lacks {key!r} ({tree.label(obj)}), has {list(state)}\n{plan!r}"
        assert cand.same_storage(state[key], obj), (
            f"state_dict()[{key!r}] does not share memory with {tree.label(obj)}\n{plan!r}"
        )
    assert len(state) == len(expected_entries(tree.root)), f"state_dict() has {list(state)}\n{plan!r}"


@pytest.mark.clause("SD-SAVE-DETACH")
@given(plan=sd_plans(buffer_grads=True, extra_state=False), data=st.data())
def test_values_are_detached_plain_tensors(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    root = tree.root.module
    if data.draw(st.booleans(), label="add a buffer computed by autograd"):
        source = cand.tensor([1.0, 2.0], requires_grad=True)
        root.register_buffer("computed", source * 2)
        tree.root.entries.append(("computed", trees.BUFFER, root.computed))
        give_forward(tree, cand)  # the root's forward uses it too
    if data.draw(st.booleans(), label="make every parameter require grad"):
        for p in root.parameters():
            p.requires_grad_(True)
    for key, value in cand.prepare(root).state_dict().items():
        assert not cand.requires_grad(value), f"state_dict()[{key!r}] requires grad\n{plan!r}"
        if "autograd" not in cand.lacks:  # without autograd there is no grad_fn to look at
            assert not cand.has_grad_fn(value), f"state_dict()[{key!r}] has a grad_fn\n{plan!r}"
        assert not isinstance(value, nn.Parameter), (
            f"state_dict()[{key!r}] is a {type(value).__name__}, expected a plain tensor\n{plan!r}"
        )


@pytest.mark.clause("SD-SAVE-REFERENCES")
@given(plan=sd_plans(extra_state=False))
def test_values_share_memory_with_the_module(nn: Any, cand: Any, plan: Any) -> None:
    tree = build_sd(plan, nn, cand)
    state = cand.prepare(tree.root.module).state_dict()
    for n, (key, obj) in enumerate(expected_entries(tree.root)):
        value = state[key]
        assert cand.shape(value) == cand.shape(obj) and cand.dtype_name(value) == cand.dtype_name(obj), (
            f"state_dict()[{key!r}] is {cand.shape(value)} {cand.dtype_name(value)}, the module's tensor "
            f"{cand.shape(obj)} {cand.dtype_name(obj)}\n{plan!r}"
        )
        cand.fill_(value, n + 0.5 if cand.dtype_name(obj) != "int64" else n)
        seen = cand.to_numpy(obj)
        assert np.all(seen == cand.to_numpy(value)), (
            f"after filling state_dict()[{key!r}] in place, {tree.label(obj)} holds {seen.tolist()}\n{plan!r}"
        )


@pytest.mark.clause("SD-SAVE-KEEP-VARS")
@given(plan=sd_plans(buffer_grads=True))
def test_keep_vars_returns_the_registered_objects(nn: Any, cand: Any, plan: Any) -> None:
    tree = build_sd(plan, nn, cand)
    state = cand.prepare(tree.root.module).state_dict(keep_vars=True)
    for key, obj in expected_entries(tree.root):
        got = state.get(key)
        assert got is obj, (
            f"state_dict(keep_vars=True)[{key!r}] is {tree.label(got)}, expected {tree.label(obj)}\n{plan!r}"
        )


@pytest.mark.clause("SD-SAVE-ORDEREDDICT")
@given(plan=sd_plans(extra_state=False, max_nodes=3))
def test_a_new_ordered_dict_each_call(nn: Any, cand: Any, plan: Any) -> None:
    root = cand.prepare(build_sd(plan, nn, cand).root.module)
    first, second = root.state_dict(), root.state_dict()
    assert type(first) is OrderedDict, f"state_dict() returned a {type(first).__name__}, expected OrderedDict"
    assert first is not second, "two state_dict() calls returned the same object"


@st.composite
def prior_entries(draw: Any, keys: list[str]) -> list[tuple[str, Any]]:
    """Entries a destination holds before the call: some of the module's keys, some others."""
    pool = keys + ["zz", "other.key", "m.w"]
    chosen = draw(st.lists(st.sampled_from(pool), unique=True, max_size=4))
    return [(k, f"prior {k}") for k in chosen]


@pytest.mark.clause("SD-SAVE-DESTINATION")
@given(plan=sd_plans(), data=st.data())
def test_destination_is_filled_and_returned(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    keys = expected_keys(tree.root)
    prior = data.draw(prior_entries(keys), label="prior entries")
    kind = data.draw(st.sampled_from([dict, OrderedDict]), label="destination type")
    destination = kind(prior)
    returned = cand.prepare(tree.root.module).state_dict(destination=destination)
    assert returned is destination, "state_dict(destination=d) did not return d"
    order = [k for k, _ in prior] + [k for k in keys if k not in dict(prior)]
    assert list(destination) == order, (
        f"state_dict(destination=d) left keys {list(destination)}, expected {order}"
    )
    entries = dict(expected_entries(tree.root))
    for key, value in destination.items():
        if key in entries and cand.is_tensor(value):
            assert cand.same_storage(value, entries[key]), f"d[{key!r}] is not the module's value"
        elif key not in entries:
            assert value == f"prior {key}", f"d[{key!r}] changed to {value!r}"


@pytest.mark.clause("SD-SAVE-PREFIX")
@given(plan=sd_plans(), prefix=st.sampled_from(["", "model.", "x", "a.b.", "net_", ".", "0."]))
def test_prefix_is_prepended_verbatim(nn: Any, cand: Any, plan: Any, prefix: str) -> None:
    tree = build_sd(plan, nn, cand)
    keys = list(cand.prepare(tree.root.module).state_dict(prefix=prefix))
    expected = [prefix + k for k in expected_keys(tree.root)]
    assert keys == expected, f"state_dict(prefix={prefix!r}) keys {keys}, expected {expected}\n{plan!r}"


@pytest.mark.clause("SD-SAVE-POSITIONAL")
@given(
    plan=sd_plans(max_nodes=4),
    count=st.integers(1, 3),
    prefix=st.sampled_from(["", "p."]),
    keep_vars=st.booleans(),
)
def test_positional_arguments_warn_and_work(
    nn: Any, cand: Any, plan: Any, count: int, prefix: str, keep_vars: bool
) -> None:
    tree = build_sd(plan, nn, cand)
    args = (OrderedDict(), prefix, keep_vars)[:count]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cand.prepare(tree.root.module).state_dict(*args)
    assert any(issubclass(w.category, FutureWarning) for w in caught), (
        f"state_dict with {count} positional argument(s) gave warnings {[w.category for w in caught]}, "
        "expected a FutureWarning"
    )
    assert result is args[0], "state_dict(d) did not return d"
    used_prefix = prefix if count > 1 else ""
    used_keep = keep_vars if count > 2 else False
    expected = [used_prefix + k for k in expected_keys(tree.root)]
    assert list(result) == expected, f"positional state_dict keys {list(result)}, expected {expected}"
    # the same result as by keyword: each value is the registered object exactly when it is so by keyword
    # (what keep_vars gives is SD-SAVE-DETACH's and SD-SAVE-KEEP-VARS's to judge)
    by_keyword = cand.prepare(tree.root.module).state_dict(prefix=used_prefix, keep_vars=used_keep)
    for key, obj in expected_entries(tree.root):
        if cand.is_tensor(obj):
            same = result[used_prefix + key] is obj
            assert same == (by_keyword[used_prefix + key] is obj), (
                f"positional keep_vars={used_keep}: value of {key!r} is the registered object: {same}, "
                f"by keyword: {not same}"
            )


@pytest.mark.clause("SD-SAVE-EXTRA-STATE")
@given(plan=sd_plans(), tensor_state=st.booleans())
def test_extra_state_entry(nn: Any, cand: Any, plan: Any, tensor_state: bool) -> None:
    tree = build_sd(plan, nn, cand)
    if tensor_state:  # a tensor as extra state is saved as returned, not detached
        for node in tree.nodes:
            if hasattr(node.module, "extra"):
                node.module.extra = cand.tensor([1.0, 2.0], requires_grad=True)
    state = cand.prepare(tree.root.module).state_dict()
    for path, node in trees.module_paths(tree.root):
        key = trees.join(path, EXTRA)
        if hasattr(node.module, "extra"):
            assert key in state and state[key] is node.module.extra, (
                f"state_dict()[{key!r}] is {state.get(key)!r}, expected get_extra_state()'s "
                f"{node.module.extra!r}\n{plan!r}"
            )
        else:
            assert key not in state, f"state_dict() has {key!r} for a module without extra state\n{plan!r}"


def recording_class(base: type, log: list[tuple[str, bool]]) -> type:
    def _save_to_state_dict(self: Any, destination: Any, prefix: str, keep_vars: bool) -> None:
        log.append((prefix, keep_vars))
        super(cls, self)._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "saved_by_override"] = len(log)

    cls = type(base.__name__, (base,), {"_save_to_state_dict": _save_to_state_dict})
    return cls


@pytest.mark.clause("SD-SAVE-PER-MODULE")
@given(plan=sd_plans(), keep_vars=st.booleans(), data=st.data())
def test_save_to_state_dict_per_path(
    nn: Any, cand: Any, plan: Any, keep_vars: bool, data: st.DataObject
) -> None:
    tree = build_sd(plan, nn, cand)
    log: list[tuple[str, bool]] = []
    chosen = data.draw(st.sets(st.sampled_from(tree.nodes), min_size=1), label="overriding modules")
    for node in chosen:
        node.module.__class__ = recording_class(type(node.module), log)
    state = cand.prepare(tree.root.module).state_dict(keep_vars=keep_vars)
    paths = [p for p, node in trees.module_paths(tree.root) if node in chosen]
    expected_log = [(p + "." if p else "", keep_vars) for p in paths]
    assert log == expected_log, f"_save_to_state_dict calls {log}, expected {expected_log}\n{plan!r}"
    expected = []
    for path, node in trees.module_paths(tree.root):
        own = expected_entries(
            trees.Node(node.label, node.module, "", "", [e for e in node.entries if e[1] != trees.CHILD])
        )
        expected += [trees.join(path, k) for k, _ in own]
        if node in chosen:
            expected.append(trees.join(path, "saved_by_override"))
    assert list(state) == expected, f"state_dict() keys {list(state)}, expected {expected}\n{plan!r}"


@pytest.mark.clause("SD-META-VERSION")
@given(plan=sd_plans(), data=st.data())
def test_metadata_versions_per_path(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    tree = build_sd(plan, nn, cand)
    for node in tree.nodes:
        if data.draw(st.booleans(), label=f"{node.label} has its own _version"):
            node.module._version = data.draw(st.integers(2, 9), label="version")
    state = cand.prepare(tree.root.module).state_dict()
    metadata = getattr(state, "_metadata", None)
    assert metadata is not None, "state_dict() has no _metadata attribute"
    assert isinstance(metadata, OrderedDict), f"_metadata is a {type(metadata).__name__}"
    expected = [(path, {"version": node.module._version}) for path, node in trees.module_paths(tree.root)]
    assert list(metadata.items()) == expected, (
        f"_metadata {list(metadata.items())}, expected {expected}\n{plan!r}"
    )
