"""Clause tests for attribute assignment, lookup and deletion on modules.

Covers __setattr__ routing, __getattr__ of missing names and __delattr__.

Every test builds fresh modules through the candidate's ``nn`` namespace and varies the names, the
values assigned and which kind of entry held the name before. Persistence is observed only through
``state_dict()`` keys.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnconform.results import NOT_APPLICABLE_PREFIX
from suites.support.naming import (
    PLAIN_KINDS,
    add_buffer,
    check_raises,
    distinct_names,
    dotted_names,
    draw_names,
    draw_valid_name,
    has,
    kinds_for,
    names_of,
    new_module,
    new_parameter,
    new_tensor,
    occupy,
    occupy_by_chance,
    persistence_flags,
    registered,
    reserved_names,
    shapes,
    state_keys,
    valid_names,
)


def draw_name(data: st.DataObject, module: Any, label: str = "name") -> str:
    return draw_valid_name(data, reserved_names(module), label)


def plain_values() -> st.SearchStrategy[Any]:
    """Values that are neither tensors nor modules."""
    return st.one_of(
        st.integers(-5, 5),
        st.floats(allow_nan=False, allow_subnormal=False),
        st.text(max_size=4),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
        st.tuples(st.integers()),
        st.none(),
        st.builds(object),
    )


def tensors(cand: Any) -> st.SearchStrategy[Any]:
    return st.builds(lambda s, g: new_tensor(cand, s, requires_grad=g), shapes(), st.booleans())


def fill_buffers(data: st.DataObject, nn: Any, cand: Any, module: Any) -> list[tuple[str, bool]]:
    """Register a few buffers with drawn persistence; return (name, persistent) in registration order."""
    names = draw_names(data, nn, 1, 5)
    flags = data.draw(
        st.lists(persistence_flags(cand), min_size=len(names), max_size=len(names)), label="persistent"
    )
    for name, persistent in zip(names, flags, strict=True):
        add_buffer(module, name, new_tensor(cand), persistent)
    return list(zip(names, flags, strict=True))


def fill_parameters(
    data: st.DataObject, nn: Any, cand: Any, module: Any, reserved: set[str], max_size: int = 4
) -> list[str]:
    names = data.draw(distinct_names(reserved, 0, max_size), label="other_parameters")
    for name in names:
        module.register_parameter(name, new_parameter(nn, cand))
    return names


def fill_children(
    data: st.DataObject, nn: Any, module: Any, reserved: set[str], max_size: int = 4
) -> list[str]:
    names = data.draw(distinct_names(reserved, 0, max_size), label="other_children")
    for name in names:
        module.add_module(name, nn.Module())
    return names


def buffer_objects(nn: Any, cand: Any) -> list[st.SearchStrategy[Any]]:
    """nn.Buffer values, where the candidate has nn.Buffer (none otherwise)."""
    if not (has(cand, "buffer_class") and hasattr(nn, "Buffer")):
        return []

    def make(shape: tuple[int, ...], persistent: bool) -> Any:
        return nn.Buffer(new_tensor(cand, shape), persistent=persistent)

    return [st.builds(make, shapes(), persistence_flags(cand))]


DELETABLE = (
    "parameter",
    "parameter_none",
    "buffer",
    "buffer_nonpersistent",
    "buffer_none",
    "child",
    "child_none",
)


def early_assigner(nn: Any, name: str, value: Any) -> type:
    """A Module subclass whose __init__ assigns ``value`` before Module.__init__ has run."""

    class Early(nn.Module):
        def __init__(self) -> None:
            setattr(self, name, value)
            super().__init__()

    return Early


# ---------------------------------------------------------------------------------------------------
# assignment of Parameters, Modules and Tensors


@pytest.mark.clause("REG-SETATTR-PARAM")
@given(data=st.data())
def test_assigning_a_parameter_registers_it(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    names = draw_names(data, nn)
    latest: dict[str, Any] = {}
    for name in names:
        latest[name] = new_parameter(nn, cand, data.draw(shapes(), label="shape"))
        setattr(module, name, latest[name])
    yielded = dict(module.named_parameters())
    got = names_of(module.named_parameters())
    assert sorted(got) == sorted(names), (
        f"named_parameters() gave {got} after assigning parameters to {names}"
    )
    for name, param in latest.items():
        assert yielded[name] is param, f"named_parameters() yields another object under {name!r}"
        assert getattr(module, name) is param, f"module.{name} is not the parameter last assigned to it"
    for what, pairs in (
        ("named_buffers", module.named_buffers()),
        ("named_children", module.named_children()),
    ):
        listed = names_of(pairs)
        assert listed == [], f"{what}() gave {listed} after assigning only parameters"


@pytest.mark.clause("REG-SETATTR-MODULE")
@given(data=st.data())
def test_assigning_a_module_registers_a_child(nn: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    names = draw_names(data, nn)
    latest: dict[str, Any] = {}
    for name in names:
        latest[name] = nn.Module()
        setattr(module, name, latest[name])
    named = dict(module.named_children())
    got = names_of(module.named_children())
    assert sorted(got) == sorted(names), f"named_children() gave {got} after assigning modules to {names}"
    for name, child in latest.items():
        assert named[name] is child, f"named_children() yields another object under {name!r}"
        assert getattr(module, name) is child, f"module.{name} is not the module last assigned to it"
    descendants = dict(module.named_modules())
    for name, child in latest.items():
        assert descendants.get(name) is child, f"named_modules() did not yield the child under {name!r}"
    for what, pairs in (
        ("named_parameters", module.named_parameters()),
        ("named_buffers", module.named_buffers()),
    ):
        listed = names_of(pairs)
        assert listed == [], f"{what}() gave {listed} after assigning only (empty) modules"


@pytest.mark.clause("REG-SETATTR-TENSOR-NEW")
@given(data=st.data())
def test_assigning_a_tensor_to_a_new_name_makes_a_plain_attribute(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    module = new_module(nn)
    name = draw_name(data, module)
    before = data.draw(st.sampled_from(("nothing", *PLAIN_KINDS)), label="held_before")
    if before != "nothing":
        occupy(nn, cand, module, name, before)
    value = data.draw(tensors(cand), label="tensor")
    setattr(module, name, value)
    got = getattr(module, name)
    assert got is value, f"module.{name} after assigning a tensor (over {before}) gave {got!r}"
    for what, pairs in (
        ("named_parameters", module.named_parameters()),
        ("named_buffers", module.named_buffers()),
    ):
        listed = names_of(pairs)
        assert listed == [], f"{what}() gave {listed} after assigning a plain tensor to {name!r}"
    keys = state_keys(module)
    assert keys == [], f"state_dict() keys are {keys} after assigning a plain tensor to {name!r}"


@pytest.mark.clause("REG-SETATTR-TENSOR-ONTO-BUFFER")
@given(data=st.data())
def test_assigning_a_tensor_to_a_buffer_replaces_it_in_place(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    plan = fill_buffers(data, nn, cand, module)
    target, _ = data.draw(st.sampled_from(plan), label="target")
    old = getattr(module, target)
    if data.draw(st.booleans(), label="none_slot_first"):
        add_buffer(module, target, None, dict(plan)[target])
    value = data.draw(tensors(cand), label="tensor")
    setattr(module, target, value)
    order = [n for n, _ in plan]
    got = names_of(module.named_buffers())
    assert got == order, (
        f"named_buffers() gave {got} after assigning a tensor to buffer {target!r}, expected {order}"
    )
    assert getattr(module, target) is value, f"module.{target} is not the assigned tensor"
    assert all(b is not old for b in module.buffers()), "buffers() still yields the replaced buffer"
    expected = sorted(n for n, persistent in plan if persistent)
    keys = sorted(state_keys(module))
    assert keys == expected, (
        f"state_dict() keys are {keys} after assigning to buffer {target!r}; persistence should be kept: "
        f"{expected}"
    )


@pytest.mark.clause("REG-SETATTR-NONE-ONTO-PARAM")
@given(data=st.data())
def test_assigning_none_to_a_parameter_keeps_a_none_slot(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    names = draw_names(data, nn, 1, 5)
    for name in names:
        module.register_parameter(name, new_parameter(nn, cand))
    target = data.draw(st.sampled_from(names), label="target")
    setattr(module, target, None)
    got = getattr(module, target)
    assert got is None, f"module.{target} after assigning None to the parameter gave {got!r}"
    listed = names_of(module.named_parameters())
    expected = [n for n in names if n != target]
    assert listed == expected, (
        f"named_parameters() gave {listed} after module.{target} = None, expected {expected}"
    )
    # The slot is still a parameter slot: a Parameter registered there again takes the old position (and
    # register_parameter does not find the name taken).
    route = data.draw(st.sampled_from(("register_parameter", "setattr")), label="route")
    if route == "setattr":
        setattr(module, target, new_parameter(nn, cand))
    else:
        module.register_parameter(target, new_parameter(nn, cand))
    listed = names_of(module.named_parameters())
    assert listed == names, (
        f"named_parameters() gave {listed} after {route} of {target!r} into its None slot, expected {names}"
    )


@pytest.mark.clause("REG-SETATTR-NONE-ONTO-MODULE")
@given(data=st.data())
def test_assigning_none_to_a_child_keeps_a_none_slot(nn: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    names = draw_names(data, nn, 1, 5)
    for name in names:
        module.add_module(name, nn.Module())
    target = data.draw(st.sampled_from(names), label="target")
    setattr(module, target, None)
    got = getattr(module, target)
    assert got is None, f"module.{target} after assigning None to the child gave {got!r}"
    listed = names_of(module.named_children())
    expected = [n for n in names if n != target]
    assert listed == expected, (
        f"named_children() gave {listed} after module.{target} = None, expected {expected}"
    )
    kids = list(module.children())
    assert len(kids) == len(expected) and None not in kids, (
        f"children() gave {kids!r} with a None slot present"
    )
    # The slot is still a child slot: a module put there again takes the old position (and add_module does
    # not find the name taken).
    route = data.draw(st.sampled_from(("add_module", "setattr")), label="route")
    if route == "setattr":
        setattr(module, target, nn.Module())
    else:
        module.add_module(target, nn.Module())
    listed = names_of(module.named_children())
    assert listed == names, (
        f"named_children() gave {listed} after {route} of {target!r} into its None slot, expected {names}"
    )


@pytest.mark.clause("REG-SETATTR-NONE-ONTO-BUFFER")
@given(data=st.data())
def test_assigning_none_to_a_buffer_keeps_a_none_slot(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    plan = fill_buffers(data, nn, cand, module)
    target, _ = data.draw(st.sampled_from(plan), label="target")
    setattr(module, target, None)
    got = getattr(module, target)
    assert got is None, f"module.{target} after assigning None to the buffer gave {got!r}"
    listed = names_of(module.named_buffers())
    expected = [n for n, _ in plan if n != target]
    assert listed == expected, (
        f"named_buffers() gave {listed} after module.{target} = None, expected {expected}"
    )
    keys = sorted(state_keys(module))
    saved = sorted(n for n, persistent in plan if persistent and n != target)
    assert keys == saved, f"state_dict() keys are {keys} with {target!r} set to None, expected {saved}"


@pytest.mark.clause("REG-SETATTR-NONE-ONTO-BUFFER")
@given(data=st.data())
def test_a_none_buffer_slot_keeps_its_persistence(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    plan = fill_buffers(data, nn, cand, module)
    target, _ = data.draw(st.sampled_from(plan), label="target")
    setattr(module, target, None)
    refill = new_tensor(cand)
    setattr(module, target, refill)  # a tensor assigned to a buffer slot refills the buffer
    order = [n for n, _ in plan]
    listed = names_of(module.named_buffers())
    assert listed == order, (
        f"named_buffers() gave {listed} after refilling the None slot {target!r}, expected {order}"
    )
    keys = sorted(state_keys(module))
    expected = sorted(n for n, persistent in plan if persistent)
    assert keys == expected, (
        f"state_dict() keys are {keys} after {target!r} went None and back; its persistence should be kept: "
        f"{expected}"
    )


# ---------------------------------------------------------------------------------------------------
# wrong values onto registered names


def assert_unchanged(
    module: Any, before: dict[str, list[tuple[str, int]]], name: str, old: Any, what: str
) -> None:
    got = getattr(module, name)
    assert got is old, f"after the failed {what}, module.{name} reads {got!r}, expected the old entry {old!r}"
    after = registered(module)
    assert after == before, f"the failed {what} changed the registered entries from {before} to {after}"


@pytest.mark.clause("REG-SETATTR-WRONG-ONTO-PARAM")
@given(data=st.data())
def test_assigning_a_non_parameter_to_a_parameter_raises_type_error(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    module = new_module(nn)
    names = draw_names(data, nn, 1, 4)
    none_slot = data.draw(st.booleans(), label="none_slot")
    for name in names:
        module.register_parameter(name, new_parameter(nn, cand))
    target = data.draw(st.sampled_from(names), label="target")
    if none_slot:
        module.register_parameter(target, None)
    old = getattr(module, target)
    value = data.draw(
        st.one_of(
            tensors(cand),
            plain_values().filter(lambda v: v is not None),
            st.builds(nn.Module),
            *buffer_objects(nn, cand),
        ),
        label="value",
    )
    before = registered(module)
    with pytest.raises(TypeError):
        setattr(module, target, value)
    what = f"assignment of {type(value).__name__} to parameter {target!r}"
    assert_unchanged(module, before, target, old, what)


@pytest.mark.clause("REG-SETATTR-WRONG-ONTO-MODULE")
@given(data=st.data())
def test_assigning_a_non_module_to_a_child_raises_type_error(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    names = draw_names(data, nn, 1, 4)
    for name in names:
        module.add_module(name, nn.Module())
    target = data.draw(st.sampled_from(names), label="target")
    if data.draw(st.booleans(), label="none_slot"):
        module.add_module(target, None)
    old = getattr(module, target)
    value = data.draw(
        st.one_of(tensors(cand), plain_values().filter(lambda v: v is not None), *buffer_objects(nn, cand)),
        label="value",
    )
    before = registered(module)
    with pytest.raises(TypeError):
        setattr(module, target, value)
    assert_unchanged(module, before, target, old, f"assignment of {type(value).__name__} to child {target!r}")


@pytest.mark.clause("REG-SETATTR-WRONG-ONTO-BUFFER")
@given(data=st.data())
def test_assigning_a_non_tensor_to_a_buffer_raises_type_error(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    module = new_module(nn)
    plan = fill_buffers(data, nn, cand, module)
    target, _ = data.draw(st.sampled_from(plan), label="target")
    if data.draw(st.booleans(), label="none_slot"):
        add_buffer(module, target, None, dict(plan)[target])
    old = getattr(module, target)
    value = data.draw(
        st.one_of(
            plain_values().filter(lambda v: v is not None),
            st.builds(lambda s: np.zeros(s, dtype=np.float32), shapes()),
        ),
        label="value",
    )
    before = registered(module)
    keys_before = state_keys(module) if has(cand, "state_dict") else []
    with pytest.raises(TypeError):
        setattr(module, target, value)
    what = f"assignment of {type(value).__name__} to buffer {target!r}"
    assert_unchanged(module, before, target, old, what)
    if has(cand, "state_dict"):
        keys = state_keys(module)
        assert keys == keys_before, (
            f"state_dict() keys went from {keys_before} to {keys} after the failed assignment"
        )


# ---------------------------------------------------------------------------------------------------
# a Parameter or Module replacing another kind of entry


@pytest.mark.clause("REG-SETATTR-PARAM-REPLACES")
@given(data=st.data())
def test_assigning_a_parameter_replaces_a_buffer_child_or_plain_attribute(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    kinds = ("buffer", "buffer_nonpersistent", "buffer_none", "child", "child_none", *PLAIN_KINDS)
    for kind in kinds_for(cand, kinds):  # every kind of previous holder, each on a fresh module
        module = new_module(nn)
        reserved = reserved_names(module)
        others = fill_parameters(data, nn, cand, module, reserved)
        name = draw_valid_name(data, reserved | set(others), f"name for {kind}")
        occupy(nn, cand, module, name, kind)
        param = new_parameter(nn, cand)
        setattr(module, name, param)
        assert getattr(module, name) is param, f"module.{name} is not the parameter assigned over a {kind}"
        listed = names_of(module.named_parameters())
        assert listed == [*others, name], (
            f"named_parameters() gave {listed} after assigning a parameter over a {kind}, expected "
            f"{[*others, name]}"
        )
        for what, pairs in (
            ("named_buffers", module.named_buffers()),
            ("named_children", module.named_children()),
        ):
            left = names_of(pairs)
            assert name not in left, f"{what}() still yields {name!r} after a parameter replaced the {kind}"
        if has(cand, "state_dict"):
            keys = state_keys(module)
            assert keys == [*others, name], (
                f"state_dict() keys are {keys} after a parameter replaced a {kind}, "
                f"expected {[*others, name]}"
            )


@pytest.mark.clause("REG-SETATTR-MODULE-REPLACES")
@given(data=st.data())
def test_assigning_a_module_replaces_a_buffer_or_plain_attribute(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    kinds = ("buffer", "buffer_nonpersistent", "buffer_none", *PLAIN_KINDS)
    for kind in kinds_for(cand, kinds):  # every kind of previous holder, each on a fresh module
        module = new_module(nn)
        reserved = reserved_names(module)
        others = fill_children(data, nn, module, reserved)
        name = draw_valid_name(data, reserved | set(others), f"name for {kind}")
        occupy(nn, cand, module, name, kind)
        child = nn.Module()
        child.register_parameter("w", new_parameter(nn, cand))
        setattr(module, name, child)
        assert getattr(module, name) is child, f"module.{name} is not the module assigned over a {kind}"
        listed = names_of(module.named_children())
        assert listed == [*others, name], (
            f"named_children() gave {listed} after assigning a module over a {kind}, "
            f"expected {[*others, name]}"
        )
        buffers = names_of(module.named_buffers(recurse=False))
        assert buffers == [], f"named_buffers(recurse=False) gave {buffers} after a module replaced a {kind}"
        if has(cand, "state_dict"):
            keys = state_keys(module)
            assert keys == [f"{name}.w"], f"state_dict() keys are {keys} after a module replaced a {kind}"


# ---------------------------------------------------------------------------------------------------
# plain attributes and assignment before __init__


@pytest.mark.clause("REG-SETATTR-PLAIN")
@given(data=st.data())
def test_assigning_other_values_makes_plain_attributes(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    names = draw_names(data, nn, 1, 5)
    values = {name: data.draw(plain_values(), label="value") for name in names}
    for name, value in values.items():
        setattr(module, name, value)
    for name, value in values.items():
        got = getattr(module, name)
        assert got is value, f"module.{name} after assigning {value!r} gave {got!r}"
        stored = vars(module).get(name, "<absent>")
        assert stored is value, f"module.__dict__[{name!r}] is {stored!r} after assigning {value!r}"
    assert registered(module) == registered(new_module(nn)), (
        f"assigning plain values registered entries: {registered(module)}"
    )
    walked = names_of(module.named_modules())
    assert walked == [""], f"named_modules() gave {walked} after assigning only plain values"
    if has(cand, "state_dict"):
        keys = state_keys(module)
        assert keys == [], f"state_dict() keys are {keys} after assigning only plain values"


@pytest.mark.clause("REG-SETATTR-BEFORE-INIT")
@given(data=st.data())
def test_assigning_a_parameter_or_module_before_init_raises_attribute_error(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    name = draw_name(data, new_module(nn))
    value = data.draw(
        st.one_of(
            st.builds(new_parameter, st.just(nn), st.just(cand), shapes()),
            st.builds(nn.Module),
            *buffer_objects(nn, cand),
        ),
        label="value",
    )
    with pytest.raises(AttributeError):
        early_assigner(nn, name, value)()


@pytest.mark.clause("REG-SETATTR-BEFORE-INIT")
@given(data=st.data())
def test_assigning_plain_values_before_init_succeeds(nn: Any, cand: Any, data: st.DataObject) -> None:
    name = draw_name(data, new_module(nn))
    value = data.draw(st.one_of(plain_values(), tensors(cand)), label="value")
    module = early_assigner(nn, name, value)()
    assert isinstance(module, nn.Module), f"constructing the module gave {module!r}"


# ---------------------------------------------------------------------------------------------------
# nn.Buffer


@pytest.mark.clause("REG-SETATTR-BUFFER-CLASS")
@given(data=st.data())
def test_assigning_a_buffer_object_registers_it_with_its_persistence(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    module = new_module(nn)
    names = draw_names(data, nn, 1, 5)
    flags = data.draw(st.lists(st.booleans(), min_size=len(names), max_size=len(names)), label="persistent")
    assigned = {}
    for name, persistent in zip(names, flags, strict=True):
        shape = data.draw(shapes(), label="shape")
        assigned[name] = nn.Buffer(new_tensor(cand, shape), persistent=persistent)
        setattr(module, name, assigned[name])
    yielded = dict(module.named_buffers())
    assert sorted(yielded) == sorted(names), (
        f"named_buffers() gave {sorted(yielded)}, expected {sorted(names)}"
    )
    for name, buf in assigned.items():
        assert yielded[name] is buf, f"named_buffers() yields another object under {name!r}"
        assert getattr(module, name) is buf, f"module.{name} is not the assigned Buffer"
    params = names_of(module.named_parameters())
    assert params == [], f"named_parameters() gave {params} after assigning only Buffers"
    keys = sorted(state_keys(module))
    expected = sorted(n for n, p in zip(names, flags, strict=True) if p)
    assert keys == expected, f"state_dict() keys are {keys}, expected the Buffers made persistent: {expected}"


@pytest.mark.clause("REG-SETATTR-BUFFER-CLASS")
@given(data=st.data())
def test_a_buffer_object_over_a_buffer_brings_its_own_persistence(
    nn: Any, cand: Any, data: st.DataObject
) -> None:
    module = new_module(nn)
    plan = fill_buffers(data, nn, cand, module)
    target, _ = data.draw(st.sampled_from(plan), label="target")
    persistent = data.draw(st.booleans(), label="buffer_persistent")
    buf = nn.Buffer(new_tensor(cand), persistent=persistent)
    setattr(module, target, buf)
    assert getattr(module, target) is buf, f"module.{target} is not the assigned Buffer"
    order = [n for n, _ in plan]
    listed = names_of(module.named_buffers())
    assert listed == order, (
        f"named_buffers() gave {listed} after assigning a Buffer to {target!r}, expected {order}"
    )
    keys = sorted(state_keys(module))
    expected = sorted(n for n, p in plan if (persistent if n == target else p))
    assert keys == expected, (
        f"state_dict() keys are {keys} after assigning Buffer(persistent={persistent}) to {target!r}, "
        f"expected {expected}"
    )


# ---------------------------------------------------------------------------------------------------
# __getattr__ and __delattr__


@pytest.mark.clause("REG-GETATTR-MISSING")
@given(data=st.data())
def test_reading_a_missing_name_raises_attribute_error(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    present = draw_names(data, nn, 0, 6)
    kinds = data.draw(
        st.lists(
            st.sampled_from(kinds_for(cand, (*DELETABLE, "plain_int"))),
            min_size=len(present),
            max_size=len(present),
        ),
        label="kinds",
    )
    for name, kind in zip(present, kinds, strict=True):
        occupy_by_chance(nn, cand, module, name, kind)
    missing = data.draw(
        st.one_of(valid_names(reserved_names(module) | set(present)), dotted_names()), label="missing"
    )
    with pytest.raises(AttributeError):
        getattr(module, missing)
    assert not hasattr(module, missing), f"hasattr(module, {missing!r}) is True for a name never set"


@pytest.mark.clause("REG-DELATTR-REGISTERED")
@given(data=st.data())
def test_deleting_a_registered_entry_removes_it(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    kinds = list(kinds_for(cand, DELETABLE))  # one entry of every kind, registered in a drawn order
    kinds = data.draw(st.permutations(kinds), label="registration_order")
    names = data.draw(distinct_names(reserved_names(module), len(kinds), len(kinds)), label="names")
    for name, kind in zip(names, kinds, strict=True):
        occupy(nn, cand, module, name, kind)
    order = data.draw(st.permutations(list(zip(names, kinds, strict=True))), label="deletion_order")
    for target, kind in order:
        before = registered(module)
        delattr(module, target)
        check_raises(
            AttributeError, lambda t=target: getattr(module, t), f"reading module.{target} after del"
        )
        expected = {key: [(n, i) for n, i in pairs if n != target] for key, pairs in before.items()}
        after = registered(module)
        assert after == expected, (
            f"after del module.{target} (a {kind}) the entries are {after}, expected {expected}"
        )


@pytest.mark.clause("REG-DELATTR-REGISTERED")
@given(data=st.data())
def test_a_deleted_name_is_free_for_any_registration(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    name = draw_name(data, module)
    first = data.draw(st.sampled_from(kinds_for(cand, DELETABLE)), label="first_kind")
    occupy(nn, cand, module, name, first)
    delattr(module, name)
    second = data.draw(st.sampled_from(kinds_for(cand, DELETABLE)), label="second_kind")
    value = occupy(nn, cand, module, name, second)  # raises if the name still counts as taken
    got = getattr(module, name)
    assert got is value, f"module.{name} reads {got!r} after del of a {first} and registering a {second}"


@pytest.mark.clause("REG-DELATTR-REGISTERED")
@given(data=st.data())
def test_deleting_a_non_persistent_buffer_forgets_its_mark(nn: Any, cand: Any, data: st.DataObject) -> None:
    for capability in ("non_persistent_buffers", "state_dict"):
        if not has(cand, capability):
            pytest.skip(f"{NOT_APPLICABLE_PREFIX} candidate {cand.name} lacks {capability} (needed here)")
    module = new_module(nn)
    name = draw_name(data, module)
    module.register_buffer(name, new_tensor(cand), persistent=False)
    delattr(module, name)
    how = data.draw(st.sampled_from(("parameter", "module")), label="reuse_as")
    if how == "parameter":
        module.register_parameter(name, new_parameter(nn, cand))
        expected = [name]
    else:
        child = nn.Module()
        child.register_buffer("b", new_tensor(cand))
        module.add_module(name, child)
        expected = [f"{name}.b"]
    keys = state_keys(module)
    assert keys == expected, (
        f"state_dict() keys are {keys} after deleting non-persistent buffer {name!r} and reusing the name "
        f"for a {how}, expected {expected}"
    )


@pytest.mark.clause("REG-DELATTR-PLAIN")
@given(data=st.data())
def test_deleting_a_plain_attribute_removes_it(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    names = draw_names(data, nn, 1, 4)
    kinds = data.draw(
        st.lists(st.sampled_from(PLAIN_KINDS), min_size=len(names), max_size=len(names)), label="kinds"
    )
    values = {name: occupy(nn, cand, module, name, kind) for name, kind in zip(names, kinds, strict=True)}
    target = data.draw(st.sampled_from(names), label="target")
    delattr(module, target)
    assert not hasattr(module, target), f"module.{target} is still readable after del"
    for name, value in values.items():
        if name != target:
            assert getattr(module, name) is value, f"del module.{target} changed module.{name}"


@pytest.mark.clause("REG-DELATTR-PLAIN")
@given(data=st.data())
def test_deleting_a_missing_name_raises_attribute_error(nn: Any, cand: Any, data: st.DataObject) -> None:
    module = new_module(nn)
    present = draw_names(data, nn, 0, 4)
    for name in present:
        kind = data.draw(st.sampled_from(("parameter", "buffer", "child", "plain_int")), label="kind")
        occupy(nn, cand, module, name, kind)
    missing = data.draw(
        st.one_of(valid_names(reserved_names(module) | set(present)), dotted_names()), label="missing"
    )
    before = registered(module)
    with pytest.raises(AttributeError):
        delattr(module, missing)
    after = registered(module)
    assert after == before, f"the failed del module.{missing} changed the entries from {before} to {after}"
