"""Clause tests for dotted-path access: get_submodule, set_submodule, get_parameter and get_buffer.

Every test builds a random tree of modules through the candidate's ``nn`` namespace (names of any
valid kind, depth and fan-out drawn by hypothesis) and looks entries up by their dotted paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.naming import (
    INHERITED_ATTRIBUTES,
    check_raises,
    draw_valid_name,
    has,
    kinds_for,
    new_parameter,
    new_tensor,
    occupy,
    reserved_names,
    shapes,
    valid_names,
)


@dataclass
class Tree:
    """A module tree: every module by its dotted path ("" is the root), and the names used at each."""

    root: Any
    modules: dict[str, Any]
    used: dict[str, set[str]] = field(default_factory=dict)
    reserved: set[str] = field(default_factory=set)

    def fresh_name(self, data: st.DataObject, at: str, label: str = "name") -> str:
        """A valid name that nothing at module ``at`` holds yet."""
        return draw_valid_name(data, self.reserved | self.used[at], label)

    def node(self, data: st.DataObject, label: str = "node", with_root: bool = True) -> str:
        paths = sorted(p for p in self.modules if with_root or p)
        return data.draw(st.sampled_from(paths), label=label)

    def occupy(self, nn: Any, cand: Any, at: str, name: str, kind: str) -> Any:
        self.used[at].add(name)
        value = occupy(nn, cand, self.modules[at], name, kind)
        if kind == "child":
            self.add(join(at, name), value)
        return value

    def add(self, path: str, module: Any) -> None:
        self.modules[path] = module
        self.used[path] = set()


def join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def build_tree(data: st.DataObject, nn: Any, min_modules: int = 1, max_modules: int = 6) -> Tree:
    root = nn.Module()
    tree = Tree(root=root, modules={}, reserved=reserved_names(root))
    tree.add("", root)
    for _ in range(data.draw(st.integers(min_modules, max_modules), label="n_modules")):
        parent = tree.node(data, "parent")
        name = tree.fresh_name(data, parent)
        child = nn.Module()
        tree.modules[parent].add_module(name, child)
        tree.used[parent].add(name)
        tree.add(join(parent, name), child)
    return tree


def snapshot(root: Any) -> dict[str, list[tuple[str, int]]]:
    """Every module, parameter and buffer of the tree by path and identity."""
    return {
        "modules": [(n, id(m)) for n, m in root.named_modules()],
        "parameters": [(n, id(p)) for n, p in root.named_parameters()],
        "buffers": [(n, id(b)) for n, b in root.named_buffers()],
    }


def missing_tail(data: st.DataObject, tree: Tree, at: str) -> str:
    """A path below ``at`` whose first element does not exist there, possibly followed by more elements."""
    first = tree.fresh_name(data, at, "missing")
    rest = data.draw(st.lists(valid_names(), max_size=2), label="rest")
    return join(first, *rest)


STRICT = st.sampled_from(("omitted", False, True))


def set_submodule(module: Any, target: Any, value: Any, strict: Any) -> None:
    if strict == "omitted":
        module.set_submodule(target, value)
    else:
        module.set_submodule(target, value, strict=strict)


# ---------------------------------------------------------------------------------------------------
# get_submodule


@pytest.mark.clause("REG-GETSUB-PATH")
@given(data=st.data())
def test_get_submodule_walks_children_by_dotted_path(nn: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 0, 7)
    for path, module in tree.modules.items():
        got = tree.root.get_submodule(path)
        assert got is module, f"get_submodule({path!r}) gave {got!r}, not the module registered there"


@pytest.mark.clause("REG-GETSUB-MISSING")
@given(data=st.data())
def test_get_submodule_missing_element_raises_attribute_error(nn: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 0, 6)
    at = tree.node(data)
    target = join(at, missing_tail(data, tree, at))
    with pytest.raises(AttributeError):
        tree.root.get_submodule(target)


@pytest.mark.clause("REG-GETSUB-MISSING")
@given(data=st.data())
def test_get_submodule_empty_element_raises_attribute_error(nn: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 1, 6)
    path = tree.node(data, "path", with_root=False)
    atoms = path.split(".")
    where = data.draw(st.integers(0, len(atoms)), label="empty_at")
    target = ".".join([*atoms[:where], "", *atoms[where:]])  # "a..b", ".a" or "a."
    with pytest.raises(AttributeError):
        tree.root.get_submodule(target)


NON_MODULE_KINDS = ("parameter", "parameter_none", "buffer", "buffer_nonpersistent", "buffer_none",
                    "child_none", "plain_int", "plain_str", "plain_tensor", "plain_none")


def draw_non_module_entry(data: st.DataObject, nn: Any, cand: Any, tree: Tree, kinds: tuple[str, ...],
                          with_class_attributes: bool = True) -> tuple[str, str, str]:
    """Put a non-module entry somewhere in the tree; return (node path, name, kind)."""
    at = tree.node(data)
    kinds = kinds_for(cand, kinds)
    choices = (*kinds, "class_attribute") if with_class_attributes else kinds
    kind = data.draw(st.sampled_from(choices), label="kind")
    if kind == "class_attribute":
        name = data.draw(st.sampled_from(INHERITED_ATTRIBUTES), label="name")
    else:
        name = tree.fresh_name(data, at)
        tree.occupy(nn, cand, at, name, kind)
    return at, name, kind


def non_module_entries(data: st.DataObject, nn: Any, cand: Any, tree: Tree, kinds: tuple[str, ...]
                       ) -> list[tuple[str, str, str]]:
    """One non-module entry per kind and per inherited attribute, at drawn modules: (node, name, kind)."""
    entries = []
    for kind in kinds_for(cand, kinds):
        at = tree.node(data, f"node for {kind}")
        name = tree.fresh_name(data, at, f"name for {kind}")
        tree.occupy(nn, cand, at, name, kind)
        entries.append((at, name, kind))
    at = tree.node(data, "node for inherited attributes")
    entries.extend((at, name, "class attribute") for name in INHERITED_ATTRIBUTES)
    return entries


@pytest.mark.clause("REG-GETSUB-NOT-MODULE")
@given(data=st.data())
def test_get_submodule_through_a_non_module_raises_attribute_error(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    tree = build_tree(data, nn, 0, 3)
    for at, name, kind in non_module_entries(data, nn, cand, tree, NON_MODULE_KINDS):
        rest = data.draw(st.lists(valid_names(), max_size=2), label="rest")
        target = join(at, name, *rest)
        check_raises(AttributeError, lambda t=target: tree.root.get_submodule(t),
                     f"get_submodule({target!r}) through a {kind}")


# ---------------------------------------------------------------------------------------------------
# set_submodule


@pytest.mark.clause("REG-SETSUB-REPLACE")
@given(data=st.data())
def test_set_submodule_replaces_an_existing_submodule(nn: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 1, 6)
    target = tree.node(data, "target", with_root=False)
    strict = data.draw(STRICT, label="strict")
    parent_path, _, name = target.rpartition(".")
    parent = tree.modules[parent_path]
    siblings_before = [n for n, _ in parent.named_children()]
    replacement = nn.Module()
    set_submodule(tree.root, target, replacement, strict)
    got = tree.root.get_submodule(target)
    assert got is replacement, (
        f"get_submodule({target!r}) after set_submodule gave {got!r}, not the new module"
    )
    got_attr = getattr(parent, name)
    assert got_attr is replacement, f"the parent's attribute {name!r} is {got_attr!r}, not the new module"
    siblings = [n for n, _ in parent.named_children()]
    assert siblings == siblings_before, (
        f"the parent's named_children() went from {siblings_before} to {siblings} after replacing {name!r}; "
        "the name should keep its position"
    )
    for path, module in tree.modules.items():
        if path != target and not path.startswith(target + "."):
            assert tree.root.get_submodule(path) is module, f"set_submodule({target!r}) changed {path!r}"
    assert all(m is not tree.modules[target] for m in tree.root.modules()), (
        f"modules() still yields the module replaced at {target!r}"
    )


@pytest.mark.clause("REG-SETSUB-CREATE")
@given(data=st.data())
def test_set_submodule_non_strict_adds_a_new_child(nn: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 0, 5)
    at = tree.node(data, "parent")
    name = tree.fresh_name(data, at)
    target = join(at, name)
    strict = data.draw(st.sampled_from(("omitted", False)), label="strict")
    parent = tree.modules[at]
    before = [(n, id(c)) for n, c in parent.named_children()]
    new = nn.Module()
    set_submodule(tree.root, target, new, strict)
    got = tree.root.get_submodule(target)
    assert got is new, f"get_submodule({target!r}) after set_submodule gave {got!r}, not the new module"
    after = [(n, id(c)) for n, c in parent.named_children()]
    expected = [*before, (name, id(new))]
    assert after == expected, (
        f"the parent's named_children() (name, id) went from {before} to {after} after "
        f"set_submodule({target!r}); "
        f"expected the new child appended: {expected}"
    )


@pytest.mark.clause("REG-SETSUB-STRICT-MISSING")
@given(data=st.data())
def test_set_submodule_strict_missing_name_raises_attribute_error(nn: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 0, 5)
    at = tree.node(data, "parent")
    name = tree.fresh_name(data, at)
    target = join(at, name)
    before = snapshot(tree.root)
    with pytest.raises(AttributeError):
        tree.root.set_submodule(target, nn.Module(), strict=True)
    assert not hasattr(tree.modules[at], name), (
        f"set_submodule({target!r}, strict=True) raised but added {name!r}"
    )
    after = snapshot(tree.root)
    assert after == before, f"the failed set_submodule({target!r}, strict=True) changed the tree"


@pytest.mark.clause("REG-SETSUB-EMPTY-TARGET")
@given(data=st.data())
def test_set_submodule_empty_target_raises_value_error(nn: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 0, 4)
    before = snapshot(tree.root)
    with pytest.raises(ValueError):
        set_submodule(tree.root, "", nn.Module(), data.draw(STRICT, label="strict"))
    after = snapshot(tree.root)
    assert after == before, "the failed set_submodule('') changed the tree"


@pytest.mark.clause("REG-SETSUB-VALUE-TYPE")
@given(data=st.data())
def test_set_submodule_non_module_value_raises_value_error(nn: Any, cand: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 1, 5)
    if data.draw(st.booleans(), label="existing_target"):
        target = tree.node(data, "target", with_root=False)
    else:
        at = tree.node(data, "parent")
        target = join(at, tree.fresh_name(data, at))
    value = data.draw(st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=3),
        st.builds(lambda s: new_tensor(cand, s), shapes()),
        st.builds(lambda s: new_parameter(nn, cand, s), shapes()),
        st.just(nn.Module),
    ), label="value")
    before = snapshot(tree.root)
    with pytest.raises(ValueError):
        set_submodule(tree.root, target, value, data.draw(STRICT, label="strict"))
    after = snapshot(tree.root)
    assert after == before, f"the failed set_submodule({target!r}, {value!r}) changed the tree"


@pytest.mark.clause("REG-SETSUB-TARGET-NOT-MODULE")
@given(data=st.data())
def test_set_submodule_over_a_non_module_raises_attribute_error(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    tree = build_tree(data, nn, 0, 3)
    kinds = ("parameter", "parameter_none", "buffer", "buffer_nonpersistent", "buffer_none", "child_none",
             "plain_int", "plain_str", "plain_tensor")
    for at, name, kind in non_module_entries(data, nn, cand, tree, kinds):
        target = join(at, name)
        old = getattr(tree.modules[at], name)
        before = snapshot(tree.root)
        strict = data.draw(STRICT, label="strict")
        what = f"set_submodule({target!r}, module, strict={strict}) over a {kind}"
        check_raises(AttributeError, lambda t=target, s=strict: set_submodule(tree.root, t, nn.Module(), s),
                     what)
        now = getattr(tree.modules[at], name)
        if kind == "class attribute":
            assert now == old, f"the failed {what} changed the attribute to {now!r}"
        else:
            assert now is old, f"the failed {what} replaced the entry with {now!r}"
        after = snapshot(tree.root)
        assert after == before, f"the failed {what} changed the tree"


@pytest.mark.clause("REG-SETSUB-PARENT-MISSING")
@given(data=st.data())
def test_set_submodule_missing_parent_raises_attribute_error(nn: Any, cand: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 0, 5)
    if data.draw(st.booleans(), label="parent_is_not_a_module"):
        at, name, _ = draw_non_module_entry(data, nn, cand, tree, NON_MODULE_KINDS)
        parent = join(at, name, *data.draw(st.lists(valid_names(), max_size=1), label="rest"))
    else:
        at = tree.node(data, "existing_prefix")
        parent = join(at, missing_tail(data, tree, at))
    target = join(parent, data.draw(valid_names(), label="last"))
    before = snapshot(tree.root)
    with pytest.raises(AttributeError):
        set_submodule(tree.root, target, nn.Module(), data.draw(STRICT, label="strict"))
    after = snapshot(tree.root)
    assert after == before, f"the failed set_submodule({target!r}) changed the tree"


# ---------------------------------------------------------------------------------------------------
# get_parameter / get_buffer


def place(data: st.DataObject, nn: Any, cand: Any, tree: Tree, kind: str, max_size: int = 5
          ) -> dict[str, Any]:
    """Register a few entries of ``kind`` at drawn modules; return them by dotted path."""
    placed = {}
    for _ in range(data.draw(st.integers(1, max_size), label=f"n_{kind}")):
        at = tree.node(data, "at")
        name = tree.fresh_name(data, at)
        placed[join(at, name)] = tree.occupy(nn, cand, at, name, kind)
    return placed


@pytest.mark.clause("REG-GETPARAM-PATH")
@given(data=st.data())
def test_get_parameter_returns_the_parameter_at_a_path(nn: Any, cand: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 0, 5)
    own = tree.fresh_name(data, "", "own")
    params = {own: tree.occupy(nn, cand, "", own, "parameter")}
    params.update(place(data, nn, cand, tree, "parameter"))
    for path, param in params.items():
        got = tree.root.get_parameter(path)
        assert got is param, f"get_parameter({path!r}) gave {got!r}, not the parameter registered there"


def bad_targets(data: st.DataObject, nn: Any, cand: Any, tree: Tree, wrong_kinds: tuple[str, ...]
                ) -> list[tuple[str, str]]:
    """Targets that do not name the wanted kind of entry, one of each sort: (target, what is wrong)."""
    targets = [("", "the empty target")]
    for at, name, kind in non_module_entries(data, nn, cand, tree, NON_MODULE_KINDS):
        targets.append((join(at, name, data.draw(valid_names(), label="last")), f"a path through a {kind}"))
    for kind in kinds_for(cand, wrong_kinds):
        at = tree.node(data, f"at_{kind}")
        name = tree.fresh_name(data, at)
        tree.occupy(nn, cand, at, name, kind)
        targets.append((join(at, name), f"a {kind}"))
    # Missing names are drawn last, so that no entry added above takes them.
    at = tree.node(data, "at_missing_path")
    last = data.draw(valid_names(), label="last")
    targets.append((join(at, missing_tail(data, tree, at), last), "a missing module path"))
    at = tree.node(data, "at_missing_name")
    targets.append((join(at, tree.fresh_name(data, at)), "a missing name"))
    return targets


@pytest.mark.clause("REG-GETPARAM-ERRORS")
@given(data=st.data())
def test_get_parameter_of_a_non_parameter_raises_attribute_error(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    tree = build_tree(data, nn, 0, 3)
    place(data, nn, cand, tree, "parameter", 2)
    kinds = ("buffer", "buffer_nonpersistent", "plain_tensor", "plain_int", "child", "parameter_none")
    for target, what in bad_targets(data, nn, cand, tree, kinds):
        check_raises(AttributeError, lambda t=target: tree.root.get_parameter(t),
                     f"get_parameter({target!r}) ({what})")


@pytest.mark.clause("REG-GETBUF-PATH")
@given(data=st.data())
def test_get_buffer_returns_the_buffer_at_a_path(nn: Any, cand: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 0, 5)
    own = tree.fresh_name(data, "", "own")
    buffers = {own: tree.occupy(nn, cand, "", own, "buffer")}
    buffers.update(place(data, nn, cand, tree, "buffer"))
    if has(cand, "non_persistent_buffers"):
        buffers.update(place(data, nn, cand, tree, "buffer_nonpersistent", 2))
    for path, buf in buffers.items():
        got = tree.root.get_buffer(path)
        assert got is buf, f"get_buffer({path!r}) gave {got!r}, not the buffer registered there"


@pytest.mark.clause("REG-GETBUF-ERRORS")
@given(data=st.data())
def test_get_buffer_of_a_non_buffer_raises_attribute_error(nn: Any, cand: Any, data: st.DataObject) -> None:
    tree = build_tree(data, nn, 0, 3)
    place(data, nn, cand, tree, "buffer", 2)
    kinds = ("parameter", "plain_tensor", "plain_int", "child")
    for target, what in bad_targets(data, nn, cand, tree, kinds):
        check_raises(AttributeError, lambda t=target: tree.root.get_buffer(t),
                     f"get_buffer({target!r}) ({what})")
