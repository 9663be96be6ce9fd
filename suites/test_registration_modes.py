"""Clause tests for train/eval, requires_grad_, zero_grad and apply.

Trees come from ``suites/support/trees.py``: nested, with modules and parameters registered in two
places and None slots, so that recursion, sharing and skipping are all exercised. Starting states
(training flags, requires_grad, which parameters hold a gradient and of what kind) are drawn too.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.trees import (
    BUFFER_KINDS,
    PARAM,
    Node,
    Tree,
    TreePlan,
    build,
    expected_apply_order,
    reachable_nodes,
    reachable_tensors,
    tree_plans,
)

TREES = tree_plans()
SHARED = tree_plans(force_sharing=True)
FLAGS = st.lists(st.booleans(), min_size=16, max_size=16)  # one drawn flag per module or parameter index
GRAD_KINDS = ("none", "plain", "leaf_requiring_grad", "with_grad_fn")
GRADS = st.lists(st.sampled_from(GRAD_KINDS), min_size=16, max_size=16)


def set_training_flags(tree: Tree, flags: list[bool]) -> None:
    for i, node in enumerate(tree.nodes):
        node.module.training = flags[i % len(flags)]


def training_flags(tree: Tree, nodes: list[Node]) -> dict[str, Any]:
    return {node.label: node.module.training for node in nodes}


def descendants(node: Node) -> list[Node]:
    return reachable_nodes(node)


def grad_values(cand: Any, t: Any) -> np.ndarray:
    shape = cand.shape(t)
    return (np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.float64) + 1.5).reshape(shape)


def give_grads(cand: Any, tree: Tree, kinds: list[str]) -> dict[str, str]:
    """Give each parameter of the tree a gradient of the drawn kind; returns label -> kind."""
    given_kinds = {}
    for i, p in enumerate(tree.params):
        kind = kinds[i % len(kinds)]
        if kind == "plain":
            cand.set_grad(p, grad_values(cand, p))
        elif kind != "none":
            cand.set_grad_tracked(p, grad_values(cand, p), with_grad_fn=kind == "with_grad_fn")
        given_kinds[tree.label(p)] = kind
    return given_kinds


# --------------------------------------------------------------------------------------------------
# train / eval


@pytest.mark.clause("REG-TRAIN-DEFAULT")
@given(plan=TREES)
def test_new_modules_are_in_training_mode(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    flags = training_flags(tree, tree.nodes)
    assert all(flag is True for flag in flags.values()), f"new modules have training {flags}, expected True"


@pytest.mark.clause("REG-TRAIN-RECURSIVE")
@given(plan=TREES, flags=FLAGS, mode=st.booleans(), start=st.integers(0, 15))
def test_train_sets_the_module_and_every_descendant(nn: Any, cand: Any, plan: TreePlan, flags: list[bool],
                                                    mode: bool, start: int) -> None:
    tree = build(plan, nn, cand)
    set_training_flags(tree, flags)
    node = tree.nodes[start % len(tree.nodes)]
    node.module.train(mode)
    got = training_flags(tree, descendants(node))
    expected = {label: mode for label in got}
    assert got == expected, f"after {node.label}.train({mode}) its subtree has training {got}"


@pytest.mark.clause("REG-TRAIN-RECURSIVE")
@given(plan=TREES, flags=FLAGS, mode=st.booleans(), start=st.integers(0, 15))
def test_train_leaves_other_modules_alone(nn: Any, cand: Any, plan: TreePlan, flags: list[bool], mode: bool,
                                          start: int) -> None:
    tree = build(plan, nn, cand)
    set_training_flags(tree, flags)
    node = tree.nodes[start % len(tree.nodes)]
    inside = {id(n) for n in descendants(node)}
    outside = [n for n in tree.nodes if id(n) not in inside]
    before = training_flags(tree, outside)
    node.module.train(mode)
    after = training_flags(tree, outside)
    assert after == before, f"{node.label}.train({mode}) changed modules outside it: {before} -> {after}"


@pytest.mark.clause("REG-TRAIN-RECURSIVE")
@given(plan=TREES, flags=FLAGS)
def test_train_without_argument_means_true(nn: Any, cand: Any, plan: TreePlan, flags: list[bool]) -> None:
    tree = build(plan, nn, cand)
    set_training_flags(tree, flags)
    tree.root.module.train()
    got = training_flags(tree, tree.nodes)
    assert all(flag is True for flag in got.values()), f"after train() the modules have training {got}"


@pytest.mark.clause("REG-TRAIN-RECURSIVE")
@given(plan=TREES, mode=st.sampled_from([None, True, False]))
def test_train_returns_the_module(nn: Any, cand: Any, plan: TreePlan, mode: bool | None) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        result = node.module.train() if mode is None else node.module.train(mode)
        call = "train()" if mode is None else f"train({mode})"
        assert result is node.module, f"{node.label}.{call} returned {tree.label(result)}, not {node.label}"


@pytest.mark.clause("REG-EVAL")
@given(plan=TREES, flags=FLAGS, start=st.integers(0, 15))
def test_eval_clears_training_on_the_subtree_and_returns_the_module(nn: Any, cand: Any, plan: TreePlan,
                                                                    flags: list[bool], start: int) -> None:
    tree = build(plan, nn, cand)
    set_training_flags(tree, flags)
    node = tree.nodes[start % len(tree.nodes)]
    result = node.module.eval()
    got = training_flags(tree, descendants(node))
    assert all(flag is False for flag in got.values()), f"after {node.label}.eval() the subtree has {got}"
    assert result is node.module, f"{node.label}.eval() returned {tree.label(result)}, expected {node.label}"


@pytest.mark.clause("REG-EVAL")
@given(plan=TREES, flags=FLAGS)
def test_eval_goes_through_train_false(nn: Any, cand: Any, plan: TreePlan, flags: list[bool]) -> None:
    calls: list[tuple[Any, ...]] = []

    class Recording(nn.Module):
        def train(self, *args: Any, **kwargs: Any) -> Any:
            calls.append((*args, *kwargs.values()))
            return super().train(*args, **kwargs)

    tree = build(plan, nn, cand)
    set_training_flags(tree, flags)
    module = Recording()
    module.add_module("inner", tree.root.module)
    result = module.eval()
    assert calls == [(False,)], f"eval() on a module that overrides train made the train calls {calls}"
    assert result is module, f"eval() returned {result!r}, expected the module"


NON_BOOLS = st.one_of(st.integers(), st.floats(allow_nan=False, allow_subnormal=False),
                      st.text(max_size=4), st.none(),
                      st.sampled_from([np.bool_(True), np.bool_(False), [], [True], (False,)]))


@pytest.mark.clause("REG-TRAIN-NONBOOL")
@given(plan=TREES, mode=NON_BOOLS)
def test_train_rejects_a_non_bool_mode(nn: Any, cand: Any, plan: TreePlan, mode: Any) -> None:
    tree = build(plan, nn, cand)
    with pytest.raises(ValueError):
        tree.root.module.train(mode)


@pytest.mark.clause("REG-TRAIN-NONBOOL")
@given(plan=TREES, flags=FLAGS, mode=NON_BOOLS)
def test_train_with_a_non_bool_mode_changes_no_flag(nn: Any, cand: Any, plan: TreePlan, flags: list[bool],
                                                     mode: Any) -> None:
    tree = build(plan, nn, cand)
    set_training_flags(tree, flags)
    before = training_flags(tree, tree.nodes)
    with contextlib.suppress(Exception):  # which exception is the other test's business
        tree.root.module.train(mode)
    after = training_flags(tree, tree.nodes)
    assert after == before, f"train({mode!r}) changed training flags: {before} -> {after}"


# --------------------------------------------------------------------------------------------------
# requires_grad_


@pytest.mark.clause("REG-REQUIRES-GRAD")
@given(plan=tree_plans(buffer_grads=True), flag=st.sampled_from([None, True, False]))
def test_requires_grad_sets_every_parameter(nn: Any, cand: Any, plan: TreePlan, flag: bool | None) -> None:
    tree = build(plan, nn, cand)
    if flag is None:
        tree.root.module.requires_grad_()
    else:
        tree.root.module.requires_grad_(flag)
    want = True if flag is None else flag
    got = {tree.label(p): cand.requires_grad(p) for p in reachable_tensors(tree.root, [PARAM])}
    call = "requires_grad_()" if flag is None else f"requires_grad_({flag})"
    assert all(v is want for v in got.values()), f"after {call} parameters have requires_grad {got}"


@pytest.mark.clause("REG-REQUIRES-GRAD")
@given(plan=tree_plans(buffer_grads=True), flag=st.booleans())
def test_requires_grad_leaves_buffers_alone(nn: Any, cand: Any, plan: TreePlan, flag: bool) -> None:
    tree = build(plan, nn, cand)
    buffers = reachable_tensors(tree.root, BUFFER_KINDS)
    before = {tree.label(b): cand.requires_grad(b) for b in buffers}
    tree.root.module.requires_grad_(flag)
    after = {tree.label(b): cand.requires_grad(b) for b in buffers}
    assert after == before, f"requires_grad_({flag}) changed buffers' requires_grad: {before} -> {after}"


@pytest.mark.clause("REG-REQUIRES-GRAD")
@given(plan=TREES, flag=st.sampled_from([None, True, False]))
def test_requires_grad_returns_the_module(nn: Any, cand: Any, plan: TreePlan, flag: bool | None) -> None:
    tree = build(plan, nn, cand)
    module = tree.root.module
    result = module.requires_grad_() if flag is None else module.requires_grad_(flag)
    assert result is module, f"requires_grad_({flag}) returned {tree.label(result)}, expected the module"


# --------------------------------------------------------------------------------------------------
# zero_grad


@pytest.mark.clause("REG-ZERO-GRAD-NONE")
@given(plan=SHARED, kinds=GRADS, explicit=st.booleans())
def test_zero_grad_sets_every_grad_to_none(nn: Any, cand: Any, plan: TreePlan, kinds: list[str],
                                           explicit: bool) -> None:
    tree = build(plan, nn, cand)
    give_grads(cand, tree, kinds)
    if explicit:
        tree.root.module.zero_grad(set_to_none=True)
    else:
        tree.root.module.zero_grad()
    left = [tree.label(p) for p in tree.params if cand.grad(p) is not None]
    call = "zero_grad(set_to_none=True)" if explicit else "zero_grad()"
    assert not left, f"after {call} parameters {left} still have a grad"


@pytest.mark.clause("REG-ZERO-GRAD-ZERO")
@given(plan=SHARED, kinds=GRADS)
def test_zero_grad_keeping_grads_zeroes_them_in_place(nn: Any, cand: Any, plan: TreePlan,
                                                      kinds: list[str]) -> None:
    """The grad is zeroed in place: ``p.grad`` is the object it was before. A framework whose ``.grad``
    hands out a new handle on every read (Paddle: ``p.grad is p.grad`` is False) cannot show that; for it,
    the grad must be a handle on the same memory, and the handle read before the call must see the zeros."""
    tree = build(plan, nn, cand)
    given_kinds = give_grads(cand, tree, kinds)
    before = {tree.label(p): cand.grad(p) for p in tree.params if cand.grad(p) is not None}
    fresh_handles = {tree.label(p): cand.grad(p) is not cand.grad(p) for p in tree.params}
    tree.root.module.zero_grad(set_to_none=False)
    for p in tree.params:
        label = tree.label(p)
        if label not in before:
            continue
        grad = cand.grad(p)
        what = f"after zero_grad(set_to_none=False), {label}.grad (given a {given_kinds[label]} grad)"
        if fresh_handles[label]:
            assert grad is not None and cand.same_storage(grad, before[label]), (
                f"{what} does not share memory with the grad before the call"
            )
            old = cand.to_numpy(before[label])
            assert not old.any(), f"{what}: the grad read before the call holds {old.tolist()}, not zeros"
        else:
            assert grad is before[label], f"{what} is a different object than before"
        values = cand.to_numpy(grad)
        assert values.shape == cand.shape(p) and not values.any(), f"{what} holds {values.tolist()}"


@pytest.mark.clause("REG-ZERO-GRAD-ZERO")
@given(plan=SHARED, kinds=GRADS)
def test_zero_grad_keeping_grads_detaches_them(nn: Any, cand: Any, plan: TreePlan, kinds: list[str]) -> None:
    tree = build(plan, nn, cand)
    given_kinds = give_grads(cand, tree, kinds)
    tree.root.module.zero_grad(set_to_none=False)
    for p in tree.params:
        grad = cand.grad(p)
        if grad is None:
            continue
        label = tree.label(p)
        what = f"after zero_grad(set_to_none=False), {label}.grad (given a {given_kinds[label]} grad)"
        assert not cand.requires_grad(grad), f"{what} still requires grad"
        assert not cand.has_grad_fn(grad), f"{what} still has a grad_fn"


@pytest.mark.clause("REG-ZERO-GRAD-ZERO")
@given(plan=SHARED, kinds=GRADS)
def test_zero_grad_keeping_grads_gives_no_grad_to_others(nn: Any, cand: Any, plan: TreePlan,
                                                         kinds: list[str]) -> None:
    tree = build(plan, nn, cand)
    given_kinds = give_grads(cand, tree, kinds)
    tree.root.module.zero_grad(set_to_none=False)
    got = [tree.label(p) for p in tree.params
           if given_kinds[tree.label(p)] == "none" and cand.grad(p) is not None]
    assert not got, f"zero_grad(set_to_none=False) gave a grad to parameters {got} that had none"


# --------------------------------------------------------------------------------------------------
# apply


@pytest.mark.clause("REG-APPLY-VISITS")
@given(plan=SHARED)
def test_apply_calls_fn_on_every_module(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    seen: list[Any] = []
    tree.root.module.apply(seen.append)
    got = sorted(set(tree.labels_of(seen)))
    expected = sorted(node.label for node in reachable_nodes(tree.root))
    assert got == expected, f"apply(fn) called fn on {got}, expected every module {expected}"


@pytest.mark.clause("REG-APPLY-VISITS")
@given(plan=TREES)
def test_apply_returns_the_module(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        result = node.module.apply(lambda m: "fn's own result")
        got = tree.label(result)
        assert result is node.module, f"{node.label}.apply(fn) returned {got}, expected {node.label}"


@pytest.mark.clause("REG-APPLY-ORDER")
@given(plan=SHARED)
def test_apply_visits_children_first_once_per_parent(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    seen: list[Any] = []
    tree.root.module.apply(seen.append)
    got = tree.labels_of(seen)
    expected = tree.labels_of(expected_apply_order(tree.root))
    assert got == expected, f"apply(fn) called fn on\n  {got}\nexpected\n  {expected}"
