"""Focused clause tests of the containers: properties checked directly on the candidate.

Each test builds containers through the candidate's ``nn`` namespace with a varied number of children,
sharing, order and keys, and checks one clause against a plain Python expectation.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suites.support.containers_cases import (
    KEYS,
    ROUTES_DICT,
    ROUTES_LIST,
    expected_module_list_repr,
    recorder_class,
    store_dict,
    store_list,
)

sizes = st.integers(0, 5)


@pytest.mark.clause("CONT-SEQ-FORWARD")
@given(tags=st.lists(st.integers(0, 3), max_size=6), shared=st.booleans())
def test_sequential_forward_chains_children_in_order(nn: Any, tags: list[int], shared: bool) -> None:
    Recorder = recorder_class(nn)
    pool: dict[int, Any] = {}
    modules = [pool.setdefault(t, Recorder(t)) if shared else Recorder(t) for t in tags]
    seq = nn.Sequential(*modules)
    start: list[Any] = ["in"]
    out = seq(start)
    assert out == ["in", *tags], f"Sequential{tuple(tags)}(['in']) returned {out}, expected {['in', *tags]}"
    if not tags:
        assert out is start, "an empty Sequential must return its input object unchanged"


@pytest.mark.clause("CONT-SEQ-INIT-PLAIN-DICT")
@given(size=sizes)
def test_sequential_rejects_a_plain_dict(nn: Any, size: int) -> None:
    mapping = {f"k{i}": nn.Module() for i in range(size)}
    with pytest.raises(TypeError):
        nn.Sequential(mapping)


@pytest.mark.clause("CONT-SEQ-INIT-ORDEREDDICT", "CONT-SEQ-SLICE")
@given(data=st.data(), size=sizes)
def test_sequential_slice_keeps_original_keys(nn: Any, data: st.DataObject, size: int) -> None:
    keys = data.draw(st.lists(st.sampled_from(KEYS), min_size=size, max_size=size, unique=True), label="keys")
    modules = [nn.Module() for _ in keys]
    seq = nn.Sequential(OrderedDict(zip(keys, modules, strict=True)))
    part = slice(*data.draw(st.tuples(*[st.sampled_from([None, -2, -1, 0, 1, 3])] * 2), label="bounds"))
    sliced = seq[part]
    got = [(k, id(m)) for k, m in sliced.named_children()]
    want = [(k, id(m)) for k, m in list(zip(keys, modules, strict=True))[part]]
    assert type(sliced) is type(seq), f"Sequential[{part}] is a {type(sliced).__name__}, not a Sequential"
    assert got == want, (
        f"Sequential(keys={keys})[{part}] children {[k for k, _ in got]}, expected {keys[part]}"
    )


@pytest.mark.clause("CONT-ML-SLICE", "CONT-SEQ-DELITEM", "CONT-ML-DELITEM")
@given(size=sizes, part=st.tuples(*[st.sampled_from([None, -2, -1, 0, 1, 3])] * 3))
def test_list_slices_and_deletions_number_from_zero(nn: Any, size: int, part: tuple[Any, ...]) -> None:
    if part[2] == 0:
        part = (*part[:2], None)
    cut = slice(*part)
    modules = [nn.Module() for _ in range(size)]
    sliced = nn.ModuleList(modules)[cut]
    names = [k for k, _ in sliced.named_children()]
    assert names == [str(i) for i in range(len(modules[cut]))], f"ModuleList[{cut}] children named {names}"
    for kind in ("Sequential", "ModuleList"):
        container = getattr(nn, kind)(modules) if kind == "ModuleList" else nn.Sequential(*modules)
        del container[cut]
        remaining = [m for i, m in enumerate(modules) if i not in range(size)[cut]]
        got = [(k, id(m)) for k, m in container.named_children()]
        want = [(str(i), id(m)) for i, m in enumerate(remaining)]
        assert got == want, f"after del {kind}[{cut}] of {size} children: {[k for k, _ in got]}"


@pytest.mark.clause("CONT-SEQ-MUL", "CONT-SEQ-MUL-ERRORS")
@given(size=st.integers(1, 4), factor=st.integers(-2, 4), side=st.sampled_from(["mul", "rmul", "imul"]))
def test_sequential_repeat_shares_modules(nn: Any, size: int, factor: int, side: str) -> None:
    modules = [nn.Module() for _ in range(size)]
    seq = nn.Sequential(*modules)

    def repeat() -> Any:
        if side == "mul":
            return seq * factor
        if side == "rmul":
            return factor * seq
        result = seq
        result *= factor
        return result

    if factor <= 0:
        with pytest.raises(ValueError):
            repeat()
        return
    result = repeat()
    got = [id(m) for m in result]
    assert got == [id(m) for m in modules] * factor, f"Sequential({size}) {side} {factor}: wrong modules"
    assert [k for k, _ in result.named_children()] == [str(i) for i in range(size)], (
        f"Sequential {side} {factor}: named_children must list each shared module once"
    )
    with pytest.raises(TypeError):
        seq * 2.0


@pytest.mark.clause("CONT-SEQ-INSERT")
@given(size=sizes, index=st.integers(-7, 7))
def test_sequential_insert_range_and_type(nn: Any, size: int, index: int) -> None:
    modules = [nn.Module() for _ in range(size)]
    seq = nn.Sequential(*modules)
    new = nn.Module()
    if not -size <= index <= size:
        with pytest.raises(IndexError):
            seq.insert(index, new)
        return
    assert seq.insert(index, new) is seq, "Sequential.insert must return the Sequential"
    expected = list(modules)
    expected.insert(index, new)
    assert [id(m) for m in seq] == [id(m) for m in expected], f"Sequential({size}).insert({index}) order"
    with pytest.raises(AssertionError):
        seq.insert(0, 7)


@pytest.mark.clause("CONT-SEQ-DIR", "CONT-ML-DIR")
@given(size=sizes, kind=st.sampled_from(["Sequential", "ModuleList"]))
def test_dir_hides_numeric_child_names(nn: Any, cand: Any, size: int, kind: str) -> None:
    modules = [nn.Module() for _ in range(size)]
    container = nn.Sequential(*modules) if kind == "Sequential" else nn.ModuleList(modules)
    names = dir(container)
    digits = [n for n in names if n.isdigit()]
    assert not digits, f"dir({kind} of {size}) lists numeric names {digits}"
    for method in ("append", "forward", "parameters"):
        assert method in names, f"dir({kind}) lacks {method!r}"


@pytest.mark.clause("CONT-ML-REPR")
@given(pattern=st.lists(st.integers(0, 2), max_size=7))
def test_module_list_repr_groups_runs(nn: Any, pattern: list[int]) -> None:
    Recorder = recorder_class(nn)
    modules = [Recorder(tag) for tag in pattern]
    text = repr(nn.ModuleList(modules))
    expected = expected_module_list_repr([repr(m) for m in modules])
    assert text == expected, f"repr(ModuleList{pattern}):\n{text}\nexpected:\n{expected}"


@pytest.mark.clause("CONT-PL-CALL", "CONT-PD-CALL")
@given(kind=st.sampled_from(["ParameterList", "ParameterDict"]), args=st.lists(st.integers(), max_size=2))
def test_parameter_containers_cannot_be_called(nn: Any, kind: str, args: list[int]) -> None:
    container = getattr(nn, kind)()
    with pytest.raises(RuntimeError):
        if kind == "ParameterList":
            container(*args)
        else:
            container(args)


@pytest.mark.clause("CONT-PL-WRAP-TENSOR", "CONT-PD-WRAP-TENSOR")
@given(
    data=st.data(),
    kind=st.sampled_from(["ParameterList", "ParameterDict"]),
    values=st.lists(st.floats(-4, 4, width=32), min_size=1, max_size=3),
    as_parameter=st.booleans(),
    requires_grad=st.booleans(),
)
def test_tensors_are_wrapped_into_parameters(
    nn: Any,
    cand: Any,
    data: st.DataObject,
    kind: str,
    values: list[float],
    as_parameter: bool,
    requires_grad: bool,
) -> None:
    route = data.draw(st.sampled_from(ROUTES_LIST if kind == "ParameterList" else ROUTES_DICT), label="route")
    source = cand.tensor(values)
    value = nn.Parameter(source, requires_grad=requires_grad) if as_parameter else source
    container, stored = (store_list if kind == "ParameterList" else store_dict)(nn, route, value)
    what = f"{kind} via {route} of a {'Parameter' if as_parameter else 'tensor'}"
    registered = [(name, id(p)) for name, p in container.named_parameters()]
    expected_name = "0" if kind == "ParameterList" else "k"
    assert registered == [(expected_name, id(stored))], (
        f"{what}: named_parameters() is {[n for n, _ in registered]}; the stored {type(stored).__name__} "
        f"must be the one registered parameter {expected_name!r}"
    )
    if as_parameter:
        assert stored is value, f"{what}: a Parameter must be stored as the same object"
        assert stored.requires_grad == requires_grad, f"{what}: requires_grad changed"
        return
    assert stored is not value and stored.requires_grad, f"{what}: requires_grad={stored.requires_grad}"
    with_grad_off = stored.detach()
    source.add_(1.0)
    assert cand.to_numpy(with_grad_off).tolist() == cand.to_numpy(source).tolist(), (
        f"{what}: the Parameter must share the tensor's data"
    )


@pytest.mark.clause(
    "CONT-PD-UPDATE-PLAIN-DICT-SORTED", "CONT-MD-UPDATE-ORDER", "CONT-PD-INIT", "CONT-MD-INIT"
)
@given(keys=st.lists(st.sampled_from(KEYS), min_size=1, max_size=5, unique=True).flatmap(st.permutations))
def test_plain_dict_order_rules(nn: Any, cand: Any, keys: list[str]) -> None:
    params = nn.ParameterDict({k: cand.tensor([1.0]) for k in keys})
    assert list(params.keys()) == sorted(keys), (
        f"ParameterDict(dict with keys {keys}) keys {list(params.keys())}"
    )
    modules = nn.ModuleDict({k: nn.Module() for k in keys})
    assert list(modules.keys()) == keys, f"ModuleDict(dict with keys {keys}) keys {list(modules.keys())}"
    names = [n for n, _ in params.named_parameters()]
    assert names == sorted(keys), f"ParameterDict named_parameters {names}, expected sorted {sorted(keys)}"


@pytest.mark.clause("CONT-ML-POP", "CONT-SEQ-POP")
@given(size=st.integers(1, 5), data=st.data(), kind=st.sampled_from(["Sequential", "ModuleList"]))
def test_pop_returns_the_module_and_renumbers(nn: Any, size: int, data: st.DataObject, kind: str) -> None:
    index = data.draw(st.integers(-size, size - 1), label="index")
    modules = [nn.Module() for _ in range(size)]
    container = nn.Sequential(*modules) if kind == "Sequential" else nn.ModuleList(modules)
    popped = container.pop(index)
    assert popped is modules[index], f"{kind}({size}).pop({index}) returned the wrong module"
    remaining = modules[: index % size] + modules[index % size + 1 :]
    got = [(k, id(m)) for k, m in container.named_children()]
    want = [(str(i), id(m)) for i, m in enumerate(remaining)]
    assert got == want, f"after {kind}({size}).pop({index}) children are {[k for k, _ in got]}"
    if remaining:
        assert container[-1] is remaining[-1], f"after {kind}.pop({index}), [-1] is not the last module"
