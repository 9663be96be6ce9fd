"""Focused clause tests of the containers: properties checked directly on the candidate.

Each test builds containers through the candidate's ``nn`` namespace with a varied number of children,
sharing, order and keys, and checks one clause against a plain Python expectation.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
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
from suites.support.containers_ops import op_clauses

sizes = st.integers(0, 5)


def per_class(**clauses: str | tuple[str, ...]) -> Any:
    """``parametrize`` over container classes, each class marked with its own clauses, so that one
    class's failure gives no verdict on another's."""
    params = [
        pytest.param(kind, marks=pytest.mark.clause(*((ids,) if isinstance(ids, str) else ids)), id=kind)
        for kind, ids in clauses.items()
    ]
    return pytest.mark.parametrize("kind", params)


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


@pytest.mark.clause("CONT-SEQ-INIT-ORDEREDDICT")
@given(keys=st.lists(st.sampled_from(KEYS), max_size=5, unique=True))
def test_sequential_takes_ordereddict_keys(nn: Any, keys: list[str]) -> None:
    modules = [nn.Module() for _ in keys]
    seq = nn.Sequential(OrderedDict(zip(keys, modules, strict=True)))
    got = [(k, id(m)) for k, m in seq.named_children()]
    assert got == [(k, id(m)) for k, m in zip(keys, modules, strict=True)], (
        f"Sequential(OrderedDict with keys {keys}) has children {[k for k, _ in got]}"
    )


@pytest.mark.clause("CONT-SEQ-SLICE")
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


@pytest.mark.clause("CONT-ML-SLICE")
@given(size=sizes, part=st.tuples(*[st.sampled_from([None, -2, -1, 0, 1, 3])] * 3))
def test_module_list_slices_number_from_zero(nn: Any, size: int, part: tuple[Any, ...]) -> None:
    if part[2] == 0:
        part = (*part[:2], None)
    cut = slice(*part)
    modules = [nn.Module() for _ in range(size)]
    sliced = nn.ModuleList(modules)[cut]
    got = [(k, id(m)) for k, m in sliced.named_children()]
    want = [(str(i), id(m)) for i, m in enumerate(modules[cut])]
    assert got == want, f"ModuleList[{cut}] of {size} modules has children {[k for k, _ in got]}"


@per_class(Sequential="CONT-SEQ-DELITEM", ModuleList="CONT-ML-DELITEM")
@given(
    size=sizes,
    index=st.one_of(
        st.tuples(*[st.sampled_from([None, -2, -1, 0, 1, 3])] * 3).map(
            lambda p: slice(*p) if p[2] != 0 else slice(p[0], p[1])
        ),
        st.integers(-6, 5),
    ),
)
def test_deletions_renumber_from_zero(nn: Any, kind: str, size: int, index: slice | int) -> None:
    modules = [nn.Module() for _ in range(size)]
    if isinstance(index, int) and not -size <= index < size:
        index = slice(index, None)  # an int index must exist; an empty slice is fine
    container = nn.ModuleList(modules) if kind == "ModuleList" else nn.Sequential(*modules)
    del container[index]
    gone = range(size)[index]
    remaining = [m for i, m in enumerate(modules) if i not in (gone if isinstance(gone, range) else [gone])]
    got = [(k, id(m)) for k, m in container.named_children()]
    want = [(str(i), id(m)) for i, m in enumerate(remaining)]
    assert got == want, f"after del {kind}[{index}] of {size} children: {[k for k, _ in got]}"


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


@per_class(Sequential="CONT-SEQ-DIR", ModuleList="CONT-ML-DIR")
@given(size=sizes)
def test_dir_hides_numeric_child_names(nn: Any, kind: str, size: int) -> None:
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


@per_class(ParameterList="CONT-PL-CALL", ParameterDict="CONT-PD-CALL")
@given(args=st.lists(st.integers(), max_size=2))
def test_parameter_containers_cannot_be_called(nn: Any, kind: str, args: list[int]) -> None:
    container = getattr(nn, kind)()
    with pytest.raises(RuntimeError):
        if kind == "ParameterList":
            container(*args)
        else:
            container(args)


@per_class(ParameterList="CONT-PL-WRAP-TENSOR", ParameterDict="CONT-PD-WRAP-TENSOR")
@given(
    data=st.data(),
    values=st.lists(st.floats(-4, 4, width=32, allow_subnormal=False), min_size=1, max_size=3),
    as_parameter=st.booleans(),
    requires_grad=st.booleans(),
)
def test_tensors_are_wrapped_into_parameters(
    nn: Any,
    cand: Any,
    kind: str,
    data: st.DataObject,
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


key_orders = st.lists(st.sampled_from(KEYS), max_size=5, unique=True).flatmap(st.permutations)


@per_class(
    ModuleDict=("CONT-MD-INIT", "CONT-MD-UPDATE-ORDER"), ParameterDict="CONT-PD-UPDATE-PLAIN-DICT-SORTED"
)
@given(first=key_orders, second=key_orders)
def test_plain_dict_order_rules(nn: Any, cand: Any, kind: str, first: list[str], second: list[str]) -> None:
    """A plain dict given to the constructor, then to update: a ModuleDict takes the dict's own order, a
    ParameterDict sorted key order; a key already present keeps its place, a new one goes to the end.
    The values are Parameters, so that the order does not depend on wrapping tensors (CONT-PD-WRAP-TENSOR),
    and the order is read by iteration and registration, not by ``keys()`` (CONT-PD-DICT-METHODS)."""

    def value() -> Any:
        return nn.Module() if kind == "ModuleDict" else nn.Parameter(cand.tensor([1.0]))

    def arrival(keys: list[str]) -> list[str]:
        return keys if kind == "ModuleDict" else sorted(keys)

    model: dict[str, Any] = {}
    container = None
    what = kind
    for keys in (first, second):
        entries = {k: value() for k in keys}
        if container is None:
            container = getattr(nn, kind)(entries)
            what += f"(dict with keys {keys})"
        else:
            container.update(entries)
            what += f".update(dict with keys {keys})"
        for k in arrival(keys):
            model[k] = entries[k]
        registered = container.named_children() if kind == "ModuleDict" else container.named_parameters()
        got = [(k, id(v)) for k, v in registered]
        assert got == [(k, id(v)) for k, v in model.items()], (
            f"{what}: registered {[k for k, _ in got]}, expected {list(model)}"
        )
        order = list(container)
        assert order == list(model), f"{what}: iteration gives {order}, expected {list(model)}"


@pytest.mark.clause("CONT-PD-INIT")
@given(
    keys=st.lists(st.sampled_from(KEYS), max_size=5, unique=True),
    how=st.sampled_from(["dict", "ordereddict", "pairs", "none"]),
)
def test_parameter_dict_constructor_adds_as_update_does(
    nn: Any, cand: Any, keys: list[str], how: str
) -> None:
    """ParameterDict(x) holds what an empty ParameterDict holds after update(x): the same Parameter objects
    under the same keys in the same order (which order is for CONT-PD-UPDATE-* to judge);
    ParameterDict() and ParameterDict(None) are empty."""
    pairs = [(k, nn.Parameter(cand.tensor([float(i)]))) for i, k in enumerate(keys)]
    argument = {"dict": dict(pairs), "ordereddict": OrderedDict(pairs), "pairs": pairs, "none": None}[how]
    built = nn.ParameterDict(argument)
    updated = nn.ParameterDict()
    if argument is not None:
        updated.update(argument)
    got = [(k, id(p)) for k, p in built.named_parameters()]
    want = [(k, id(p)) for k, p in updated.named_parameters()]
    assert got == want, (
        f"ParameterDict({how} with keys {keys}) registered {[k for k, _ in got]}, update registers "
        f"{[k for k, _ in want]} (or other objects)"
    )
    assert len(built) == len(want), f"len(ParameterDict({how} with keys {keys})) is {len(built)}"
    if how == "none":
        assert not got and not list(nn.ParameterDict()), "ParameterDict() / ParameterDict(None) must be empty"


@per_class(Sequential="CONT-SEQ-POP", ModuleList="CONT-ML-POP")
@given(size=st.integers(1, 5), data=st.data())
def test_pop_returns_the_module_and_renumbers(nn: Any, kind: str, size: int, data: st.DataObject) -> None:
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


DICT_OPS = ("set", "set_none", "del", "pop", "contains", "clear", "get", "setdefault", "popitem")


def _dict_call(target: Any, op: str, key: str, value: Any) -> Any:
    """One dict operation, the same source for a container and for its plain dict model."""
    if op in ("set", "set_none"):
        target[key] = value if op == "set" else None
        return None
    if op == "del":
        del target[key]
        return None
    if op == "contains":
        return key in target
    if op == "get":
        return target.get(key, "default")
    if op == "setdefault":
        return target.setdefault(key, value)
    if op == "pop":
        return target.pop(key)
    if op == "popitem":
        return target.popitem()
    target.clear()
    return None


def _dict_outcome(target: Any, op: str, key: str, value: Any) -> tuple[str, Any]:
    try:
        result = _dict_call(target, op, key, value)
    except (KeyError, TypeError) as exc:
        return ("raises", type(exc).__name__)
    if isinstance(result, tuple):
        return ("returns", tuple(x if isinstance(x, str) else id(x) for x in result))
    return ("returns", result if isinstance(result, bool | str) or result is None else id(result))


DICT_CLAUSES = {
    "ModuleDict": (
        "CONT-MD-SETITEM",
        "CONT-MD-DELITEM-POP",
        "CONT-MD-CONTAINS-LEN-ITER",
        "CONT-MD-CLEAR",
        "CONT-MD-VIEWS",
    ),
    "ParameterDict": ("CONT-PD-DICT-METHODS",),
}
# the operation of containers_ops.OP_CLAUSES that each dict call is: what a departure at it blames
DICT_OP_NAMES = {
    "set": "setitem",
    "set_none": "setitem",
    "del": "delitem",
    "pop": "pop",
    "contains": "contains",
    "clear": "clear",
    "get": "dict-method",
    "setdefault": "dict-method",
    "popitem": "dict-method",
}


def _dict_departure(
    kind: str, container: Any, model: dict[str, Any], every_name: bool = True
) -> tuple[tuple[str, ...], str] | None:
    """The first observation in which ``container`` departs from its plain dict ``model`` (an exception
    counts as a departure): the containers_ops name of the observation (none for the registration, which
    the edits themselves state) and what differs; None when they agree. ``every_name`` False: the
    candidate lacks ``remove_duplicate``, so a shared parameter is expected once, under its first key."""

    def ids(values: Iterable[Any]) -> list[int | None]:
        return [None if v is None else id(v) for v in values]

    def registered(target: Any) -> list[tuple[str, int]]:
        if kind == "ParameterDict":
            options = {} if not every_name else {"remove_duplicate": False}
            return [(k, id(p)) for k, p in target.named_parameters(**options)]
        return [(k, id(m)) for k, m in target.named_children()]

    expected: list[tuple[str, int]] = []
    for k, v in model.items():  # named_children yields a shared module once, under its first key
        if v is not None and (
            (kind == "ParameterDict" and every_name) or all(id(v) != i for _, i in expected)
        ):
            expected.append((k, id(v)))
    observations: list[tuple[tuple[str, ...], str, Callable[[], Any], Any]] = [
        (("keys()",), "keys()", lambda: list(container.keys()), list(model)),
        (("iter",), "iteration", lambda: list(container), list(model)),
        (("len",), "len", lambda: len(container), len(model)),
        (("items()",), "values() ids", lambda: ids(container.values()), ids(model.values())),
        (("contains",), f"{KEYS} in it", lambda: [k in container for k in KEYS], [k in model for k in KEYS]),
        ((), "registered", lambda: registered(container), expected),
    ]
    for ops, what, observe, want in observations:
        try:
            got = observe()
        except Exception as exc:  # a failing observation is a departure too
            got = f"raises {type(exc).__name__}: {exc}"
        if got != want:
            return ops, f"{what} {got!r}, a plain dict {want!r}"
    return None


@per_class(**DICT_CLAUSES)
# failure_context only keeps the latest failing example's details: being function-scoped is fine
@settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ]
)
@given(
    data=st.data(),
    start=st.lists(st.sampled_from(KEYS[:4]), max_size=4, unique=True),
    ops=st.lists(
        st.tuples(st.sampled_from(DICT_OPS), st.sampled_from(KEYS[:4]), st.integers(0, 3)), max_size=10
    ),
)
def test_dict_containers_follow_a_plain_dict(
    nn: Any,
    cand: Any,
    failure_context: Any,
    kind: str,
    data: st.DataObject,
    start: list[str],
    ops: list[tuple[str, str, int]],
) -> None:
    """Edits of a ModuleDict / ParameterDict (values shared between keys, fresh values, None module entries)
    against an ordered dict: the outcome of each call, then keys, len, values, membership and registration.
    A departure blames the clauses of the call it shows after, with those of the observation it shows in
    (a departure of the container as made, before any call, those of the observation only)."""
    is_md = kind == "ModuleDict"
    # index 3 of the pool is a new value each time, never one already stored
    pool = [nn.Module() if is_md else nn.Parameter(cand.tensor([float(i)])) for i in range(4)]
    model: dict[str, Any] = {k: pool[i % 3] for i, k in enumerate(start)}
    container = getattr(nn, kind)(list(model.items()))
    done: list[str] = []
    every_name = "remove_duplicate" not in cand.lacks

    def check(departure: tuple[tuple[str, ...], str] | None, *calls: str) -> None:
        if departure is None:
            return
        named = op_clauses(kind, *(DICT_OP_NAMES[c] for c in calls), *departure[0])
        clauses = [c for c in DICT_CLAUSES[kind] if c in named] or list(DICT_CLAUSES[kind])
        where = f"{kind}({start}) after {', '.join(done) or 'nothing'}: {departure[1]}"
        failure_context.record(clauses=clauses, where=where, program=[f"{kind}({start})", *done])
        raise AssertionError(f"clauses: {', '.join(clauses)}\n{where}")

    check(_dict_departure(kind, container, model, every_name))
    # every program ends by visiting each key with setdefault (a fresh value) and pop
    tail = [(op, key, 3) for key in KEYS[:4] for op in ("setdefault", "pop")]
    for op, key, which in ops + tail:
        value = pool[which]
        if which == 3:
            value = pool[3] = nn.Module() if is_md else nn.Parameter(cand.tensor([3.0]))
        if op == "set_none" and not is_md:
            op = "set"
        if op in ("get", "setdefault", "popitem") and is_md:
            op = "contains"
        if op in ("pop", "del") and not is_md and key not in model:
            op = "contains"  # a missing key gives AttributeError, not KeyError, in torch: not required
        done.append(f"{op}({key!r})")
        try:
            got = _dict_outcome(container, op, key, value)
        except Exception as exc:  # an exception the plain dict does not raise is a departure
            got = ("raises", type(exc).__name__)
        want = _dict_outcome(model, op, key, value)
        check(None if got == want else ((), f"the call gave {got}, a plain dict gives {want}"), op)
        check(_dict_departure(kind, container, model, every_name), op)


@per_class(ModuleList="CONT-ML-EXTEND", ParameterList="CONT-PL-APPEND-EXTEND")
@given(
    size=st.integers(0, 3),
    bad=st.sampled_from(["int", "float", "none", "module", "tensor"]),
    how=st.sampled_from(["extend", "iadd"]),
    good=st.sampled_from(["list", "tuple", "generator", "same_kind"]),
    count=st.integers(0, 3),
)
def test_extend_takes_iterables_only(
    nn: Any, cand: Any, kind: str, size: int, bad: str, how: str, good: str, count: int
) -> None:
    is_ml = kind == "ModuleList"

    def element() -> Any:
        return nn.Module() if is_ml else nn.Parameter(cand.tensor([1.0]))

    items = [element() for _ in range(size)]
    container = getattr(nn, kind)(items)
    if bad == "tensor" and is_ml:
        bad = "module"
    if bad == "module" and not is_ml:
        bad = "tensor"
    argument = {
        "int": 7,
        "float": 2.5,
        "none": None,
        "module": nn.Module(),
        "tensor": cand.tensor([1.0, 2.0]),
    }
    with pytest.raises(TypeError):
        if how == "extend":
            container.extend(argument[bad])
        else:
            container += argument[bad]
    assert [id(x) for x in container] == [id(x) for x in items], (
        f"{kind}({size}).{how}({bad}) must raise TypeError and leave the list as it was"
    )
    more = [element() for _ in range(count)]
    source: Any = {
        "list": more,
        "tuple": tuple(more),
        "generator": (x for x in more),
        "same_kind": getattr(nn, kind)(more),
    }[good]
    if how == "extend":
        assert container.extend(source) is container, f"{kind}.extend must return the list itself"
    else:
        before = container
        container += source
        assert container is before, f"{kind} += must extend in place"
    assert [id(x) for x in container] == [id(x) for x in items + more], (
        f"{kind}({size}).{how}({good} of {count}) gives the wrong elements"
    )
    names = [n for n, _ in (container.named_children() if is_ml else container.named_parameters())]
    assert names == [str(i) for i in range(size + count)], f"{kind}.{how}: registered names {names}"


@pytest.mark.clause("CONT-ML-CONTAINS")
@given(
    picks=st.lists(st.integers(0, 3), max_size=6),
    removed=st.integers(0, 5),
    probe=st.sampled_from(["0", "1", "a"]),
)
def test_module_list_membership_is_by_module(nn: Any, picks: list[int], removed: int, probe: str) -> None:
    pool = [nn.Module() for _ in range(4)]
    ml = nn.ModuleList([pool[i] for i in picks])
    members = [pool[i] for i in picks]
    if members:
        del ml[removed % len(members)]
        del members[removed % len(members)]
    for i, module in enumerate(pool):
        want = any(module is m for m in members)
        assert (module in ml) is want, f"pool[{i}] in ModuleList(pool{picks} less one) is not {want}"
    assert (probe in ml) is False, f"{probe!r} in a ModuleList of {len(members)} modules must be False"


@pytest.mark.clause("CONT-PD-MISSING-KEY")
@given(start=st.lists(st.sampled_from(KEYS[:4]), max_size=4, unique=True), key=st.sampled_from(KEYS))
def test_parameter_dict_missing_key_errors(nn: Any, cand: Any, start: list[str], key: str) -> None:
    pd = nn.ParameterDict([(k, nn.Parameter(cand.tensor([float(i)]))) for i, k in enumerate(start)])
    if key in start:
        return
    with pytest.raises(AttributeError):
        pd[key]
    with pytest.raises(AttributeError):
        pd.pop(key)
    with pytest.raises(KeyError):  # del is not routed through attribute lookup
        del pd[key]
    assert list(pd.keys()) == start, f"ParameterDict({start}): a failed pop/del of {key!r} changed the keys"
