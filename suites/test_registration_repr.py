"""Clause tests for extra_repr, the default module repr and dir(module).

Trees come from ``suites/support/trees.py``; their module classes return drawn extra_repr texts
(empty, one line or several lines), and they hold None child slots and modules registered twice.
The expected repr is rendered from the tree's model by ``expected_repr``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.trees import BUFFER_KINDS, CHILD, PARAM, Tree, TreePlan, build, expected_repr, tree_plans

# Plain instance attributes tests set; the digit-first ones are valid attributes that dir() leaves out.
PLAIN_ATTRIBUTES = ("note", "cache_1", "_private", "Tag")
DIGIT_ATTRIBUTES = ("9lives", "0th")


def registered_names(tree: Tree, label: str, *, none_slots: bool) -> list[str]:
    node = next(n for n in tree.nodes if n.label == label)
    return [name for name, _, obj in node.entries if (obj is None) == none_slots]


# --------------------------------------------------------------------------------------------------
# extra_repr and repr


@pytest.mark.clause("REG-EXTRA-REPR-DEFAULT")
@given(plan=tree_plans(classes=("Module",)))
def test_extra_repr_is_empty_by_default(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        got = node.module.extra_repr()
        assert got == "", f"{node.label}.extra_repr() of an nn.Module holding {node.entries} returned {got!r}"


@pytest.mark.clause("REG-EXTRA-REPR-DEFAULT")
@given(plan=tree_plans(classes=("Module",)))
def test_extra_repr_is_empty_in_a_subclass_that_keeps_it(nn: Any, cand: Any, plan: TreePlan) -> None:
    class Plain(nn.Module):
        def __init__(self, size: int) -> None:
            super().__init__()
            self.size = size

    tree = build(plan, nn, cand)
    module = Plain(3)
    module.add_module("inner", tree.root.module)
    for name, kind, obj in tree.root.entries:  # the root's parameters and buffers, again
        if kind == PARAM:
            module.register_parameter(name, obj)
        elif kind in BUFFER_KINDS:
            module.register_buffer(name, obj)
    got = module.extra_repr()
    assert got == "", f"extra_repr() of a subclass that does not override it returned {got!r}"


@pytest.mark.clause("REG-REPR-LEAF")
@given(plan=tree_plans(max_depth=0))
def test_repr_of_a_module_without_child_slots(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    got, expected = repr(tree.root.module), expected_repr(tree.root)
    assert got == expected, (
        f"repr of a {tree.root.cls_name} with extra_repr {tree.root.extra_repr!r} and no children is\n{got}\n"
        f"expected\n{expected}")


@pytest.mark.clause("REG-REPR-CHILDREN")
@given(plan=tree_plans(sharing=False, force_none={CHILD}))
def test_repr_of_nested_children(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    got, expected = repr(tree.root.module), expected_repr(tree.root)
    assert got == expected, f"repr(root) is\n{got}\nexpected\n{expected}"


@pytest.mark.clause("REG-REPR-CHILDREN")
@given(plan=tree_plans(force_sharing=True))
def test_repr_prints_a_shared_child_under_every_name(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    got, expected = repr(tree.root.module), expected_repr(tree.root)
    assert got == expected, f"repr(root) is\n{got}\nexpected\n{expected}"


# --------------------------------------------------------------------------------------------------
# dir


@pytest.mark.clause("REG-DIR")
@given(plan=tree_plans())
def test_dir_lists_registered_names(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        listed = set(dir(node.module))
        missing = [n for n in registered_names(tree, node.label, none_slots=False)
                   if not n[0].isdigit() and n not in listed]
        assert not missing, f"dir({node.label}) leaves out registered names {missing}"


@pytest.mark.clause("REG-DIR")
@given(plan=tree_plans(force_none=True))
def test_dir_lists_none_slots(nn: Any, cand: Any, plan: TreePlan) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        listed = set(dir(node.module))
        missing = [n for n in registered_names(tree, node.label, none_slots=True)
                   if not n[0].isdigit() and n not in listed]
        assert not missing, f"dir({node.label}) leaves out None slots {missing}"


@pytest.mark.clause("REG-DIR")
@given(plan=tree_plans(), extra=st.dictionaries(st.sampled_from(DIGIT_ATTRIBUTES), st.integers(0, 3)))
def test_dir_leaves_out_digit_names(nn: Any, cand: Any, plan: TreePlan, extra: dict[str, int]) -> None:
    tree = build(plan, nn, cand)
    for node in tree.nodes:
        for name, value in extra.items():
            setattr(node.module, name, value)
        digit_first = [n for n in dir(node.module) if n[:1].isdigit()]
        assert not digit_first, f"dir({node.label}) lists names starting with a digit: {digit_first}"


@pytest.mark.clause("REG-DIR")
@given(plan=tree_plans(), attributes=st.dictionaries(st.sampled_from(PLAIN_ATTRIBUTES), st.integers()))
def test_dir_lists_class_and_instance_attributes(nn: Any, cand: Any, plan: TreePlan,
                                                 attributes: dict[str, int]) -> None:
    class WithExtras(nn.Module):
        ratio = 3

        def helper(self) -> int:
            return self.ratio

        @property
        def doubled(self) -> int:
            return 2 * self.ratio

    tree = build(plan, nn, cand)
    module = WithExtras()
    module.add_module("inner", tree.root.module)
    for name, value in attributes.items():
        setattr(module, name, value)
    listed = set(dir(module))
    wanted = set(dir(WithExtras)) | set(attributes) | {"ratio", "helper", "doubled", "training", "inner"}
    missing = sorted(wanted - listed)
    assert not missing, f"dir(module) leaves out class or instance attributes {missing}"
