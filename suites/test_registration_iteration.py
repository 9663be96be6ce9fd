"""Clause tests for the iteration methods: named_parameters/parameters, named_buffers/buffers,
named_children/children and named_modules/modules.

Every test draws a random module tree (``suites/support/trees.py``): up to four levels, several
children per module, modules, parameters and buffers registered in two places, None slots, persistent
and non-persistent buffers. The expected results come from the tree's plain-Python model. Objects are
compared by identity; failure messages show them as labels ("m3" a module, "P0" a parameter, "B2" a
buffer) that the printed plan defines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.trees import (
    BUFFER,
    CHILD,
    PARAM,
    Tree,
    TreePlan,
    build,
    dedup_option,
    expected_named_buffers,
    expected_named_children,
    expected_named_modules,
    expected_named_parameters,
    join,
    tree_plans,
)

PREFIXES = st.one_of(st.just(""), st.text(alphabet="pm_.0", min_size=1, max_size=4))
NONEMPTY_PREFIXES = st.text(alphabet="pm_.0", min_size=1, max_size=4)
UNSHARED = tree_plans(sharing=False)  # every object registered once; None slots allowed
SHARED = tree_plans(force_sharing=True)
NONE_PARAMS = tree_plans(force_none={PARAM})  # None parameter slots under test, others incidental
NONE_BUFFERS = tree_plans(force_none={BUFFER})
NONE_CHILDREN = tree_plans(sharing=False, force_none={CHILD})


def first_names(tree: Tree, pairs: list[tuple[str, Any]]) -> dict[str, str]:
    """label -> the name it was first yielded under."""
    out: dict[str, str] = {}
    for name, obj in pairs:
        out.setdefault(tree.label(obj), name)
    return out


def _keywords(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in options.items())


def assert_same(got: Any, expected: Any, call: str) -> None:
    assert got == expected, f"{call} gave\n  {got}\nexpected\n  {expected}"


def assert_each_once_under_first_name(tree: Tree, got: list[tuple[str, Any]], expected: list[tuple[str, Any]],
                                      call: str) -> None:
    labels = [tree.label(obj) for _, obj in got]
    repeated = sorted(label for label, n in Counter(labels).items() if n > 1)
    assert not repeated, f"{call} yielded {repeated} more than once: {tree.labelled(got)}"
    assert_same(first_names(tree, got), first_names(tree, expected), f"{call} (object -> name)")


# --------------------------------------------------------------------------------------------------
# named_parameters / parameters


@pytest.mark.clause("REG-ITER-PARAMS-ORDER")
@given(plan=UNSHARED)
def test_named_parameters_order_is_own_then_children_preorder(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    got = tree.labels_of(p for _, p in tree.root.module.named_parameters())
    expected = tree.labels_of(p for _, p in expected_named_parameters(tree.root))
    assert_same(got, expected, "named_parameters() (objects in order)")


@pytest.mark.clause("REG-ITER-PARAMS-NAMES")
@given(plan=UNSHARED)
def test_named_parameters_names_are_dotted_paths(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    got = sorted(tree.labelled(tree.root.module.named_parameters()))
    expected = sorted(tree.labelled(expected_named_parameters(tree.root)))
    assert_same(got, expected, "named_parameters() (name, object) pairs")


@pytest.mark.clause("REG-ITER-PARAMS-PREFIX")
@given(plan=SHARED, prefix=NONEMPTY_PREFIXES, recurse=st.booleans(), remove_duplicate=st.booleans())
def test_named_parameters_prefix_is_prepended(nn: Any, cand: Any, plan: TreePlan, prefix: str, recurse: bool,
                                              remove_duplicate: bool) -> None:
    tree = build(plan, nn, cand)
    module = tree.root.module
    dedup = dedup_option(cand, remove_duplicate)
    plain = module.named_parameters(recurse=recurse, **dedup)
    got = module.named_parameters(prefix=prefix, recurse=recurse, **dedup)
    call = f"named_parameters(prefix={prefix!r}, recurse={recurse}, {_keywords(dedup)})"
    assert_same(tree.labelled(got), tree.labelled((join(prefix, n), p) for n, p in plain), call)


@pytest.mark.clause("REG-ITER-PARAMS-RECURSE")
@given(plan=UNSHARED)
def test_named_parameters_recurse_false_yields_own_only(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = sorted(tree.labelled(node.module.named_parameters(recurse=False)))
        expected = sorted(tree.labelled(expected_named_parameters(node, recurse=False)))
        assert_same(got, expected, f"{node.label}.named_parameters(recurse=False)")


@pytest.mark.clause("REG-ITER-PARAMS-DEDUP")
@given(plan=SHARED, recurse=st.booleans())
def test_named_parameters_yields_shared_once_under_first_name(nn: Any, cand: Any, plan: TreePlan,
                                                              recurse: bool) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = list(node.module.named_parameters(recurse=recurse))
        expected = expected_named_parameters(node, recurse=recurse)
        call = f"{node.label}.named_parameters(recurse={recurse})"
        assert_each_once_under_first_name(tree, got, expected, call)


@pytest.mark.clause("REG-ITER-PARAMS-NODEDUP")
@given(plan=SHARED, recurse=st.booleans())
def test_named_parameters_without_dedup_yields_every_path(nn: Any, cand: Any, plan: TreePlan,
                                                           recurse: bool) -> None:
    tree = build(plan, nn, cand)
    got = sorted(tree.labelled(tree.root.module.named_parameters(recurse=recurse, remove_duplicate=False)))
    expected = sorted(tree.labelled(expected_named_parameters(tree.root, recurse=recurse,
                                                              remove_duplicate=False)))
    assert_same(got, expected, f"named_parameters(recurse={recurse}, remove_duplicate=False) (sorted)")


@pytest.mark.clause("REG-ITER-PARAMS-NONE")
@given(plan=NONE_PARAMS, recurse=st.booleans(), remove_duplicate=st.booleans())
def test_parameter_none_slots_are_skipped(nn: Any, cand: Any, plan: TreePlan, recurse: bool,
                                          remove_duplicate: bool) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        dedup = dedup_option(cand, remove_duplicate)
        got = tree.labelled(node.module.named_parameters(recurse=recurse, **dedup))
        call = f"{node.label}.named_parameters(recurse={recurse}, {_keywords(dedup)})"
        assert all(label != "None" for _, label in got), f"{call} yielded a None slot: {got}"
        objs = tree.labels_of(node.module.parameters(recurse=recurse))
        assert "None" not in objs, f"{node.label}.parameters(recurse={recurse}) yielded a None slot: {objs}"


@pytest.mark.clause("REG-ITER-PARAMETERS")
@given(plan=SHARED, recurse=st.sampled_from([None, True, False]))
def test_parameters_yields_the_objects_of_named_parameters(nn: Any, cand: Any, plan: TreePlan,
                                                           recurse: bool | None) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        if recurse is None:
            got, named, call = node.module.parameters(), node.module.named_parameters(), "parameters()"
        else:
            got = node.module.parameters(recurse=recurse)
            named = node.module.named_parameters(recurse=recurse)
            call = f"parameters(recurse={recurse})"
        assert_same(tree.labels_of(got), tree.labels_of(p for _, p in named), f"{node.label}.{call}")


# --------------------------------------------------------------------------------------------------
# named_buffers / buffers


@pytest.mark.clause("REG-ITER-BUFFERS-ORDER")
@given(plan=UNSHARED)
def test_named_buffers_order_is_own_then_children_preorder(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    got = tree.labels_of(b for _, b in tree.root.module.named_buffers())
    expected = tree.labels_of(b for _, b in expected_named_buffers(tree.root))
    assert_same(got, expected, "named_buffers() (objects in order, persistent or not)")


@pytest.mark.clause("REG-ITER-BUFFERS-PREFIX")
@given(plan=UNSHARED, prefix=PREFIXES, recurse=st.booleans())
def test_named_buffers_names_are_prefixed_dotted_paths(nn: Any, cand: Any, plan: TreePlan, prefix: str,
                                                       recurse: bool) -> None:
    tree = build(plan, nn, cand)
    got = sorted(tree.labelled(tree.root.module.named_buffers(prefix=prefix, recurse=recurse)))
    expected = sorted(tree.labelled(expected_named_buffers(tree.root, prefix=prefix, recurse=recurse)))
    assert_same(got, expected, f"named_buffers(prefix={prefix!r}, recurse={recurse}) (sorted)")


@pytest.mark.clause("REG-ITER-BUFFERS-RECURSE")
@given(plan=UNSHARED)
def test_named_buffers_recurse_false_yields_own_only(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = sorted(tree.labelled(node.module.named_buffers(recurse=False)))
        expected = sorted(tree.labelled(expected_named_buffers(node, recurse=False)))
        assert_same(got, expected, f"{node.label}.named_buffers(recurse=False)")


@pytest.mark.clause("REG-ITER-BUFFERS-DEDUP")
@given(plan=SHARED, recurse=st.booleans())
def test_named_buffers_yields_shared_once_under_first_name(nn: Any, cand: Any, plan: TreePlan,
                                                           recurse: bool) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = list(node.module.named_buffers(recurse=recurse))
        expected = expected_named_buffers(node, recurse=recurse)
        call = f"{node.label}.named_buffers(recurse={recurse})"
        assert_each_once_under_first_name(tree, got, expected, call)


@pytest.mark.clause("REG-ITER-BUFFERS-DEDUP")
@given(plan=SHARED, recurse=st.booleans())
def test_named_buffers_without_dedup_yields_every_path(nn: Any, cand: Any, plan: TreePlan,
                                                        recurse: bool) -> None:
    tree = build(plan, nn, cand)
    got = sorted(tree.labelled(tree.root.module.named_buffers(recurse=recurse, remove_duplicate=False)))
    expected = sorted(tree.labelled(expected_named_buffers(tree.root, recurse=recurse,
                                                           remove_duplicate=False)))
    assert_same(got, expected, f"named_buffers(recurse={recurse}, remove_duplicate=False) (sorted)")


@pytest.mark.clause("REG-ITER-BUFFERS-NONE")
@given(plan=NONE_BUFFERS, recurse=st.booleans(), remove_duplicate=st.booleans())
def test_buffer_none_slots_are_skipped(nn: Any, cand: Any, plan: TreePlan, recurse: bool,
                                       remove_duplicate: bool) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        dedup = dedup_option(cand, remove_duplicate)
        got = tree.labelled(node.module.named_buffers(recurse=recurse, **dedup))
        call = f"{node.label}.named_buffers(recurse={recurse}, {_keywords(dedup)})"
        assert all(label != "None" for _, label in got), f"{call} yielded a None slot: {got}"
        objs = tree.labels_of(node.module.buffers(recurse=recurse))
        assert "None" not in objs, f"{node.label}.buffers(recurse={recurse}) yielded a None slot: {objs}"


@pytest.mark.clause("REG-ITER-BUFFERS")
@given(plan=SHARED, recurse=st.sampled_from([None, True, False]))
def test_buffers_yields_the_objects_of_named_buffers(nn: Any, cand: Any, plan: TreePlan,
                                                     recurse: bool | None) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        if recurse is None:
            got, named, call = node.module.buffers(), node.module.named_buffers(), "buffers()"
        else:
            got = node.module.buffers(recurse=recurse)
            named = node.module.named_buffers(recurse=recurse)
            call = f"buffers(recurse={recurse})"
        assert_same(tree.labels_of(got), tree.labels_of(b for _, b in named), f"{node.label}.{call}")


# --------------------------------------------------------------------------------------------------
# named_children / children


@pytest.mark.clause("REG-ITER-CHILDREN")
@given(plan=NONE_CHILDREN)
def test_named_children_in_registration_order_without_none(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = tree.labelled(node.module.named_children())
        assert_same(got, tree.labelled(expected_named_children(node)), f"{node.label}.named_children()")


@pytest.mark.clause("REG-ITER-CHILDREN")
@given(plan=NONE_CHILDREN)
def test_children_in_registration_order_without_none(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = tree.labels_of(node.module.children())
        expected = tree.labels_of(m for _, m in expected_named_children(node))
        assert_same(got, expected, f"{node.label}.children()")


@pytest.mark.clause("REG-ITER-CHILDREN-DEDUP")
@given(plan=SHARED)
def test_named_children_yields_a_module_once_under_first_name(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = list(node.module.named_children())
        assert_each_once_under_first_name(tree, got, expected_named_children(node),
                                          f"{node.label}.named_children()")
        objs = tree.labels_of(node.module.children())
        assert len(objs) == len(set(objs)), f"{node.label}.children() repeated a module: {objs}"


# --------------------------------------------------------------------------------------------------
# named_modules / modules


@pytest.mark.clause("REG-ITER-MODULES-SELF")
@given(plan=SHARED, prefix=PREFIXES, remove_duplicate=st.sampled_from([None, True, False]))
def test_named_modules_starts_with_self_under_prefix(nn: Any, cand: Any, plan: TreePlan, prefix: str,
                                                     remove_duplicate: bool | None) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        kwargs: dict[str, Any] = {} if prefix == "" else {"prefix": prefix}
        kwargs.update(dedup_option(cand, remove_duplicate))
        name, first = next(iter(node.module.named_modules(**kwargs)))
        call = f"{node.label}.named_modules({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
        assert first is node.module, f"{call} started with {tree.label(first)}, expected {node.label} itself"
        assert name == prefix, f"{call} named the module itself {name!r}, expected {prefix!r}"


@pytest.mark.clause("REG-ITER-MODULES-ORDER")
@given(plan=NONE_CHILDREN)
def test_named_modules_order_is_preorder(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    got = tree.labels_of(m for _, m in tree.root.module.named_modules())
    expected = tree.labels_of(m for _, m in expected_named_modules(tree.root))
    assert_same(got, expected, "named_modules() (objects in order)")


@pytest.mark.clause("REG-ITER-MODULES-DEDUP")
@given(plan=SHARED)
def test_named_modules_yields_shared_once_under_first_path(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    got = list(tree.root.module.named_modules())
    assert_each_once_under_first_name(tree, got, expected_named_modules(tree.root), "named_modules()")


@pytest.mark.clause("REG-ITER-MODULES-NODEDUP")
@given(plan=SHARED)
def test_named_modules_without_dedup_yields_every_path(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    got = sorted(tree.labelled(tree.root.module.named_modules(remove_duplicate=False)))
    expected = sorted(tree.labelled(expected_named_modules(tree.root, remove_duplicate=False)))
    assert_same(got, expected, "named_modules(remove_duplicate=False) (sorted)")


@pytest.mark.clause("REG-ITER-MODULES-PREFIX")
@given(plan=UNSHARED, prefix=PREFIXES)
def test_named_modules_names_are_prefixed_dotted_paths(nn: Any, cand: Any, plan: TreePlan,
                                                       prefix: str) -> None:
    tree = build(plan, nn, cand)
    got = sorted(tree.labelled(tree.root.module.named_modules(prefix=prefix)))
    expected = sorted(tree.labelled(expected_named_modules(tree.root, prefix=prefix)))
    assert_same(got, expected, f"named_modules(prefix={prefix!r}) (sorted)")


@pytest.mark.clause("REG-ITER-MODULES")
@given(plan=SHARED)
def test_modules_yields_the_objects_of_named_modules(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = tree.labels_of(node.module.modules())
        expected = tree.labels_of(m for _, m in node.module.named_modules())
        assert_same(got, expected, f"{node.label}.modules()")


@pytest.mark.clause("REG-ITER-MODULES-REMOVE-DUPLICATE")
@given(plan=SHARED)
def test_modules_without_dedup_yields_the_objects_of_named_modules(nn: Any, cand: Any,
                                                                   plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = tree.labels_of(node.module.modules(remove_duplicate=False))
        expected = tree.labels_of(m for _, m in node.module.named_modules(remove_duplicate=False))
        assert_same(got, expected, f"{node.label}.modules(remove_duplicate=False)")


# --------------------------------------------------------------------------------------------------
# laziness

ITERATION_METHODS = ("named_parameters", "parameters", "named_buffers", "buffers", "named_children",
                     "children", "named_modules", "modules")


@pytest.mark.clause("REG-ITER-LAZY")
@pytest.mark.parametrize("method", ITERATION_METHODS)
@given(plan=tree_plans())
def test_iteration_methods_return_one_pass_iterators(nn: Any, cand: Any, method: str, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    result = getattr(tree.root.module, method)()
    kind = type(result).__name__
    assert isinstance(result, Iterator), f"{method}() returned a {kind}, not an iterator"
    assert iter(result) is result, f"iter() of what {method}() returned ({kind}) is a new object"
    count = len(list(getattr(tree.root.module, method)()))
    items = [next(result) for _ in range(count)]
    assert len(items) == count
    left = list(result)
    assert left == [], f"{method}() ({kind}) still had {len(left)} items after one full pass of {count}"
