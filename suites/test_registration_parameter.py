"""Clause tests for nn.Parameter and nn.Buffer as tensors: requires_grad defaults, type checks, storage
sharing, results of operations, deepcopy, pickling, repr, and Buffer's persistence flag.

Values, shapes, dtypes and flags are drawn with hypothesis; tensors are made through the candidate.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from suites.support.trees import PARAM, build, join, module_paths, tree_plans

FLOAT_DTYPES = st.sampled_from(["float32", "float64"])
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
NONEMPTY_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
PROTOCOLS = st.integers(2, pickle.HIGHEST_PROTOCOL)


Drawn = tuple[np.ndarray, str]  # (values, dtype name)


def values_for(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=st.integers(-50, 50).map(lambda v: v / 4))


@st.composite
def float_arrays(draw: Any, shapes: st.SearchStrategy[tuple[int, ...]] = SHAPES) -> Drawn:
    """(values, dtype name) for a floating tensor."""
    return draw(shapes.flatmap(values_for)), draw(FLOAT_DTYPES)


def same_values(cand: Any, a: Any, b: Any) -> bool:
    x, y = cand.to_numpy(a), cand.to_numpy(b)
    return x.shape == y.shape and x.dtype == y.dtype and bool(np.array_equal(x, y))


# --------------------------------------------------------------------------------------------------
# requires_grad


@pytest.mark.clause("REG-PARAMETER-REQUIRES-GRAD-DEFAULT")
@given(data=float_arrays(), source_requires_grad=st.booleans())
def test_parameter_requires_grad_by_default(nn: Any, cand: Any, data: Drawn,
                                            source_requires_grad: bool) -> None:
    values, dtype = data
    p = nn.Parameter(cand.tensor(values, dtype, requires_grad=source_requires_grad))
    assert cand.requires_grad(p) is True, (
        f"Parameter(t) of a {dtype} tensor with requires_grad={source_requires_grad} "
        f"has requires_grad={cand.requires_grad(p)}")


@pytest.mark.clause("REG-PARAMETER-REQUIRES-GRAD-DEFAULT")
@given(data=float_arrays())
def test_parameter_requires_grad_by_default_under_no_grad(nn: Any, cand: Any, data: Drawn) -> None:
    values, dtype = data
    t = cand.tensor(values, dtype)
    with cand.no_grad():
        p = nn.Parameter(t)
    got = cand.requires_grad(p)
    assert got is True, f"Parameter(t) made under no_grad() has requires_grad={got}"


@pytest.mark.clause("REG-PARAMETER-REQUIRES-GRAD-FALSE")
@given(values=SHAPES.flatmap(values_for), dtype=st.sampled_from(["float32", "float64", "int64"]),
       positional=st.booleans(), source_requires_grad=st.booleans())
def test_parameter_requires_grad_false(nn: Any, cand: Any, values: np.ndarray, dtype: str, positional: bool,
                                       source_requires_grad: bool) -> None:
    t = cand.tensor(values, dtype, requires_grad=source_requires_grad and dtype != "int64")
    p = nn.Parameter(t, False) if positional else nn.Parameter(t, requires_grad=False)
    call = "Parameter(t, False)" if positional else "Parameter(t, requires_grad=False)"
    got = cand.requires_grad(p)
    assert got is False, f"{call} of a {dtype} tensor has requires_grad={got}"


# --------------------------------------------------------------------------------------------------
# type, storage, no data, operations


@pytest.mark.clause("REG-PARAMETER-ISINSTANCE")
@given(data=float_arrays(), requires_grad=st.booleans())
def test_parameter_is_a_parameter_and_a_tensor(nn: Any, cand: Any, data: Drawn,
                                               requires_grad: bool) -> None:
    values, dtype = data
    p = nn.Parameter(cand.tensor(values, dtype), requires_grad=requires_grad)
    assert isinstance(p, nn.Parameter), f"Parameter(t) is a {type(p).__name__}, not an instance of Parameter"
    assert cand.is_tensor(p), f"Parameter(t) ({type(p).__name__}) is not a tensor"


@pytest.mark.clause("REG-PARAMETER-ISINSTANCE")
@given(data=float_arrays(), requires_grad=st.booleans())
def test_plain_tensor_is_not_a_parameter(nn: Any, cand: Any, data: Drawn,
                                         requires_grad: bool) -> None:
    values, dtype = data
    t = cand.tensor(values, dtype, requires_grad=requires_grad)
    assert not isinstance(t, nn.Parameter), f"a tensor (requires_grad={requires_grad}) counts as a Parameter"


@pytest.mark.clause("REG-PARAMETER-SHARES-DATA")
@given(data=float_arrays(NONEMPTY_SHAPES), requires_grad=st.booleans(), fill=st.integers(-9, 9))
def test_parameter_shares_storage_with_its_source(nn: Any, cand: Any, data: Drawn,
                                                  requires_grad: bool, fill: int) -> None:
    values, dtype = data
    t = cand.tensor(values, dtype)
    p = nn.Parameter(t, requires_grad=requires_grad)
    assert p is not t, "Parameter(t) returned t itself"
    assert cand.same_storage(p, t), "Parameter(t) does not share t's storage"
    cand.fill_(t, fill)
    got = cand.to_numpy(p).tolist()
    assert (cand.to_numpy(p) == fill).all(), f"after t.fill_({fill}), Parameter(t) holds {got}"
    cand.fill_(p, fill + 0.5)
    assert (cand.to_numpy(t) == fill + 0.5).all(), (
        f"after p.fill_({fill + 0.5}) on p = Parameter(t), t holds {cand.to_numpy(t).tolist()}")


@pytest.mark.clause("REG-PARAMETER-LEAF")
@given(data=float_arrays(), requires_grad=st.booleans())
def test_parameter_is_a_leaf(nn: Any, cand: Any, data: Drawn, requires_grad: bool) -> None:
    values, dtype = data
    p = nn.Parameter(cand.tensor(values, dtype), requires_grad=requires_grad)
    assert cand.is_leaf(p), f"Parameter(t, requires_grad={requires_grad}) is not a leaf"
    assert not cand.has_grad_fn(p), f"Parameter(t, requires_grad={requires_grad}) has a grad_fn"


@pytest.mark.clause("REG-PARAMETER-SHARES-DATA")
@given(data=float_arrays(NONEMPTY_SHAPES), requires_grad=st.booleans(), fill=st.integers(-9, 9))
def test_parameter_of_a_parameter_is_a_new_alias(nn: Any, cand: Any, data: Drawn,
                                                 requires_grad: bool, fill: int) -> None:
    values, dtype = data
    p = nn.Parameter(cand.tensor(values, dtype))
    q = nn.Parameter(p, requires_grad=requires_grad)
    assert q is not p, "Parameter(p) of a Parameter returned p itself"
    assert cand.same_storage(q, p), "Parameter(p) does not share p's storage"
    cand.fill_(q, fill)
    got = cand.to_numpy(p).tolist()
    assert (cand.to_numpy(p) == fill).all(), f"after q.fill_({fill}) on q = Parameter(p), p holds {got}"


@pytest.mark.clause("REG-PARAMETER-NO-DATA")
def test_parameter_without_data_is_empty(nn: Any, cand: Any) -> None:
    p = nn.Parameter()
    assert isinstance(p, nn.Parameter), f"Parameter() is a {type(p).__name__}"
    assert cand.shape(p) == (0,), f"Parameter() has shape {cand.shape(p)}, expected (0,)"
    assert cand.requires_grad(p) is True, f"Parameter() has requires_grad={cand.requires_grad(p)}"


@pytest.mark.clause("REG-PARAMETER-OPS-PLAIN")
@given(values=hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3).flatmap(values_for),
       dtype=FLOAT_DTYPES, requires_grad=st.booleans())
def test_operations_on_a_parameter_give_plain_tensors(nn: Any, cand: Any, values: np.ndarray, dtype: str,
                                                      requires_grad: bool) -> None:
    plain_type = type(cand.tensor([0.0], dtype))
    p = nn.Parameter(cand.tensor(values, dtype), requires_grad=requires_grad)
    results = {**cand.derived(p), "cand.add(p, 1)": cand.add(p, cand.tensor(1.0, dtype))}
    wrong = {op: type(r).__name__ for op, r in results.items()
             if isinstance(r, nn.Parameter) or type(r) is not plain_type}
    assert not wrong, f"operations on a Parameter gave {wrong}, expected plain {plain_type.__name__}"


# --------------------------------------------------------------------------------------------------
# deepcopy and pickle


@pytest.mark.clause("REG-PARAMETER-DEEPCOPY")
@given(data=float_arrays(NONEMPTY_SHAPES), requires_grad=st.booleans())
def test_deepcopy_makes_an_independent_equal_parameter(nn: Any, cand: Any, data: Drawn,
                                                       requires_grad: bool) -> None:
    values, dtype = data
    p = nn.Parameter(cand.tensor(values, dtype), requires_grad=requires_grad)
    c = copy.deepcopy(p)
    assert c is not p, "deepcopy(p) returned p itself"
    assert isinstance(c, nn.Parameter), f"deepcopy(p) is a {type(c).__name__}, not a Parameter"
    assert same_values(cand, c, p), f"deepcopy(p) holds {cand.to_numpy(c)}, p holds {cand.to_numpy(p)}"
    assert cand.requires_grad(c) is requires_grad, f"deepcopy(p) has requires_grad={cand.requires_grad(c)}"
    assert not cand.same_storage(c, p), "deepcopy(p) shares p's storage"
    cand.fill_(c, 99)
    assert np.array_equal(cand.to_numpy(p), values.astype(dtype)), "writing to deepcopy(p) changed p"


@pytest.mark.clause("REG-PARAMETER-DEEPCOPY")
@given(data=float_arrays(), requires_grad=st.booleans(), layout=st.sampled_from(["list", "dict", "nested"]))
def test_deepcopy_copies_a_parameter_met_twice_once(nn: Any, cand: Any, data: Drawn,
                                                    requires_grad: bool, layout: str) -> None:
    values, dtype = data
    p = nn.Parameter(cand.tensor(values, dtype), requires_grad=requires_grad)
    holder: Any = {"list": [p, p], "dict": {"a": p, "b": p}, "nested": [p, {"k": (p,)}]}[layout]
    c = copy.deepcopy(holder)
    if layout == "list":
        first, second = c
    elif layout == "dict":
        first, second = c["a"], c["b"]
    else:
        first, second = c[0], c[1]["k"][0]
    assert first is second, f"deepcopy of a {layout} holding p twice made two copies"
    assert first is not p, f"deepcopy of a {layout} holding p kept p itself"


@pytest.mark.clause("REG-PARAMETER-DEEPCOPY")
@given(plan=tree_plans(force_sharing=True))
def test_deepcopy_of_a_module_keeps_shared_parameters_shared(nn: Any, cand: Any, plan: Any) -> None:
    tree = build(plan, nn, cand)
    clone = copy.deepcopy(tree.root.module)
    # Walk the copy by attribute reads along the original's paths, so iteration plays no part.
    originals, copies = {}, {}
    for path, node in module_paths(tree.root):
        copied_module = clone
        for part in path.split(".") if path else []:
            copied_module = getattr(copied_module, part)
        for name, obj in node.own([PARAM]):
            if obj is not None:
                originals[join(path, name)] = obj
                copies[join(path, name)] = getattr(copied_module, name)
    pairs: dict[int, Any] = {}
    for name, orig in originals.items():
        new = copies[name]
        assert isinstance(new, nn.Parameter), f"deepcopy of the module holds a {type(new).__name__} at {name}"
        assert new is not orig, f"deepcopy of the module kept {tree.label(orig)} itself (at {name})"
        seen = pairs.setdefault(id(orig), new)
        assert seen is new, f"deepcopy of the module split the shared parameter {tree.label(orig)} in two"
    assert len({id(n) for n in copies.values()}) == len(pairs), "deepcopy of the module merged parameters"


@pytest.mark.clause("REG-PARAMETER-PICKLE")
@given(values=SHAPES.flatmap(values_for), dtype=st.sampled_from(["float32", "float64", "int64"]),
       requires_grad=st.booleans(), protocol=PROTOCOLS)
def test_pickle_round_trip_keeps_type_values_and_requires_grad(nn: Any, cand: Any, values: np.ndarray,
                                                               dtype: str, requires_grad: bool,
                                                               protocol: int) -> None:
    requires_grad = requires_grad and dtype != "int64"
    p = nn.Parameter(cand.tensor(values, dtype), requires_grad=requires_grad)
    back = pickle.loads(pickle.dumps(p, protocol=protocol))
    what = f"pickling (protocol {protocol}) a {dtype} Parameter with requires_grad={requires_grad}"
    assert isinstance(back, nn.Parameter), f"{what} gave a {type(back).__name__}"
    assert same_values(cand, back, p), f"{what} gave {cand.to_numpy(back)}, expected {cand.to_numpy(p)}"
    assert cand.requires_grad(back) is requires_grad, f"{what} gave requires_grad={cand.requires_grad(back)}"


# --------------------------------------------------------------------------------------------------
# repr


@pytest.mark.clause("REG-PARAMETER-REPR")
@given(values=SHAPES.flatmap(values_for), dtype=st.sampled_from(["float32", "float64", "int64"]),
       requires_grad=st.booleans())
def test_parameter_repr(nn: Any, cand: Any, values: np.ndarray, dtype: str, requires_grad: bool) -> None:
    requires_grad = requires_grad and dtype != "int64"
    p = nn.Parameter(cand.tensor(values, dtype), requires_grad=requires_grad)
    plain = cand.tensor(values, dtype, requires_grad=requires_grad)
    expected = "Parameter containing:\n" + repr(plain)
    assert repr(p) == expected, f"repr(Parameter) is\n{p!r}\nexpected\n{expected}"


# --------------------------------------------------------------------------------------------------
# nn.Buffer


@pytest.mark.clause("REG-BUFFER-CLASS")
@given(data=float_arrays(), requires_grad=st.booleans(), persistent=st.sampled_from([None, True, False]))
def test_buffer_is_a_buffer_and_a_tensor(nn: Any, cand: Any, data: Drawn, requires_grad: bool,
                                         persistent: bool | None) -> None:
    values, dtype = data
    t = cand.tensor(values, dtype, requires_grad=requires_grad)
    b = nn.Buffer(t) if persistent is None else nn.Buffer(t, persistent=persistent)
    assert isinstance(b, nn.Buffer), f"Buffer(t) ({type(b).__name__}) is not an instance of Buffer"
    assert cand.is_tensor(b), f"Buffer(t) ({type(b).__name__}) is not a tensor"


@pytest.mark.clause("REG-BUFFER-CLASS")
@given(data=float_arrays(), persistent=st.sampled_from([None, True, False]))
def test_buffer_persistent_flag(nn: Any, cand: Any, data: Drawn, persistent: bool | None) -> None:
    values, dtype = data
    t = cand.tensor(values, dtype)
    b = nn.Buffer(t) if persistent is None else nn.Buffer(t, persistent=persistent)
    want = True if persistent is None else persistent
    call = "Buffer(t)" if persistent is None else f"Buffer(t, persistent={persistent})"
    got = getattr(b, "persistent", "<missing>")
    assert got is want, f"{call}.persistent is {got!r}, expected {want}"


@pytest.mark.clause("REG-BUFFER-CLASS")
@given(data=float_arrays(), requires_grad=st.booleans())
def test_plain_tensor_is_not_a_buffer(nn: Any, cand: Any, data: Drawn, requires_grad: bool) -> None:
    values, dtype = data
    t = cand.tensor(values, dtype, requires_grad=requires_grad)
    assert not isinstance(t, nn.Buffer), f"a plain tensor (requires_grad={requires_grad}) counts as a Buffer"
