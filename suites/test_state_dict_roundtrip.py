"""Round-trip properties: a tree's state_dict() loads back into it (or into a fresh tree of the same
plan) and restores every value, in memory and through torch.save / torch.load(weights_only=True).
The trees are handed to ``cand.prepare`` before saving or loading; their values are read from the
tensors the tree registered, which the wrappers share."""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support import trees
from suites.support.state_dict_trees import aliases, build_sd, expected_entries, has_extra, sd_plans

pytestmark = pytest.mark.wrapped


def scramble(cand: Any, tree: trees.Tree) -> None:
    """Overwrite every registered tensor in place and forget loaded extra state."""
    for n, obj in enumerate(tree.params + tree.buffers):
        cand.fill_(obj, -(n + 1))
    for node in tree.nodes:
        if has_extra(node):
            node.module.extra_loaded.clear()


def independent_copy(cand: Any, t: Any) -> Any:
    """A new tensor with ``t``'s values and dtype, sharing no memory with it (made by the candidate)."""
    return cand.tensor(cand.to_numpy(t).copy(), cand.dtype_name(t))


def values_by_path(cand: Any, tree: trees.Tree) -> list[tuple[str, Any]]:
    out = []
    for path, node in trees.module_paths(tree.root):
        for name, _, _ in node.entries:
            value = getattr(node.module, name)
            if value is not None and cand.is_tensor(value):
                out.append((trees.join(path, name), cand.dtype_name(value), cand.to_numpy(value).tolist()))
    return out


def registered_objects(cand: Any, tree: trees.Tree) -> list[Any]:
    """The objects of ``values_by_path``, in the same order."""
    values = [
        getattr(node.module, name) for _, node in trees.module_paths(tree.root) for name, _, _ in node.entries
    ]
    return [v for v in values if v is not None and cand.is_tensor(v)]


def extra_loaded(tree: trees.Tree) -> list[tuple[str, Any]]:
    return [(node.label, list(node.module.extra_loaded)) for node in tree.nodes if has_extra(node)]


def expected_extra_loaded(tree: trees.Tree) -> list[tuple[str, Any]]:
    out = []
    for node in tree.nodes:
        if has_extra(node):
            count = sum(1 for _, n in trees.module_paths(tree.root) if n is node)
            out.append((node.label, [node.module.extra] * count))
    return out


@pytest.mark.clause("SD-ROUNDTRIP")
@given(plan=sd_plans(force_none=True), strict=st.booleans())
def test_state_dict_loads_back(nn: Any, cand: Any, plan: Any, strict: bool) -> None:
    tree = build_sd(plan, nn, cand)
    root = cand.prepare(tree.root.module)
    expected = values_by_path(cand, tree)
    saved = root.state_dict()
    copy: Any = OrderedDict(
        (k, independent_copy(cand, v) if cand.is_tensor(v) else v) for k, v in saved.items()
    )
    if hasattr(saved, "_metadata"):  # its absence is SD-META-*'s failure, not the round trip's
        copy._metadata = saved._metadata
    scramble(cand, tree)
    scrambled = values_by_path(cand, tree)
    result = root.load_state_dict(copy, strict=strict)
    assert (list(result.missing_keys), list(result.unexpected_keys)) == ([], []), (
        f"loading its own state_dict() reported {result}\n{plan!r}"
    )
    persistent = [obj for _, obj in expected_entries(tree.root) if cand.is_tensor(obj)]
    objects = registered_objects(cand, tree)
    got = values_by_path(cand, tree)
    for (key, _, values), original, before, obj in zip(got, expected, scrambled, objects, strict=True):
        if any(aliases(cand, obj, p) for p in persistent):
            assert values == original[2], f"{key} holds {values} after the round trip, expected {original[2]}"
        else:  # a non-persistent buffer: left alone
            assert values == before[2], f"non-persistent {key} changed to {values}, was {before[2]}"
    assert extra_loaded(tree) == expected_extra_loaded(tree), (
        f"set_extra_state got {extra_loaded(tree)}, expected {expected_extra_loaded(tree)}"
    )


def saved_and_loaded(state: Any) -> Any:
    import torch

    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@pytest.mark.clause("SD-ROUNDTRIP-SERIALIZED")
@given(plan=sd_plans(force_none=True), data=st.data())
def test_saved_state_dict_loads_into_a_fresh_tree(nn: Any, cand: Any, plan: Any, data: st.DataObject) -> None:
    source = build_sd(plan, nn, cand)
    for n, obj in enumerate(source.params + source.buffers):
        cand.fill_(obj, data.draw(st.integers(-50, 50), label=f"value {n}"))
    state = cand.prepare(source.root.module).state_dict()
    loaded = saved_and_loaded(state)
    assert list(loaded) == list(state), f"keys after torch.load {list(loaded)}, saved {list(state)}"
    for key, value in state.items():
        if cand.is_tensor(value):
            back = loaded[key]
            assert cand.dtype_name(back) == cand.dtype_name(value) and np.array_equal(
                cand.to_numpy(back), cand.to_numpy(value)
            ), f"{key} changed through torch.save/torch.load"
        else:
            assert loaded[key] == value, f"{key} is {loaded[key]!r} after torch.load, saved {value!r}"
    assert list(getattr(loaded, "_metadata", {}).items()) == list(state._metadata.items()), (
        "_metadata changed through torch.save/torch.load"
    )
    target = build_sd(plan, nn, cand)
    scramble(cand, target)
    result = cand.prepare(target.root.module).load_state_dict(loaded)
    assert (list(result.missing_keys), list(result.unexpected_keys)) == ([], []), f"load reported {result}"
    restored = dict((k, v) for k, _, v in values_by_path(cand, target))
    for key, obj in expected_entries(source.root):
        if cand.is_tensor(obj):
            want = cand.to_numpy(obj).tolist()
            assert restored[key] == want, f"{key} holds {restored[key]} after loading, saved {want}\n{plan!r}"
