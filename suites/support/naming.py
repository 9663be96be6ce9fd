"""Names for registration tests, and the kinds of entry that can already hold a name.

Strategies:
- ``valid_names``: strings that ``register_*``/``add_module`` accept (non-empty, no "."), both
  Python identifiers and arbitrary text such as ``"0"`` or ``"a b"``, minus the names a module
  already has (its class attributes and the instance attributes ``__init__`` creates).
- ``dotted_names``: strings with one or more "." anywhere (leading, trailing, doubled, alone).
- ``non_str_names``: hashable and unhashable values of several types that are not ``str``.

``occupy`` puts an entry of a given kind (parameter, buffer, child, their None slots, a plain
attribute) under a name, and ``class_attribute_module`` builds a module whose class holds a method,
a property, a constant, a staticmethod and a classmethod.
"""

from __future__ import annotations

import string
from collections.abc import Collection
from functools import partial
from typing import Any

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st

_HEAD = string.ascii_letters + "_"
_TAIL = _HEAD + string.digits
IDENTIFIERS = st.builds(lambda head, tail: head + tail, st.sampled_from(_HEAD), st.text(_TAIL, max_size=8))
OTHER_TEXT = st.text(
    alphabet=st.characters(exclude_characters=".", exclude_categories=("Cs",)), min_size=1, max_size=6
)

# Entry kinds that can hold a name on a module, as used by ``occupy``.
PARAMETER_KINDS = ("parameter", "parameter_none")
BUFFER_KINDS = ("buffer", "buffer_nonpersistent", "buffer_none")
CHILD_KINDS = ("child", "child_none")
PLAIN_KINDS = ("plain_int", "plain_str", "plain_tensor", "plain_none")
OCCUPANT_KINDS = PARAMETER_KINDS + BUFFER_KINDS + CHILD_KINDS + PLAIN_KINDS

# Names that ``class_attribute_module`` defines on its class, and attributes every module has: Module
# methods, the instance attribute "training" that __init__ sets, and a dunder.
OWN_CLASS_ATTRIBUTES = ("helper", "prop", "const", "static", "klass")
INHERITED_ATTRIBUTES = (
    "forward",
    "train",
    "parameters",
    "state_dict",
    "register_buffer",
    "training",
    "__class__",
)
CLASS_ATTRIBUTES = OWN_CLASS_ATTRIBUTES + INHERITED_ATTRIBUTES


def has(cand: Any, capability: str) -> bool:
    """Whether the candidate has a capability of spec/capabilities.yaml."""
    return capability not in cand.lacks


def kinds_for(cand: Any, kinds: Collection[str]) -> tuple[str, ...]:
    """The occupant kinds the candidate can make (non-persistent buffers need ``non_persistent_buffers``)."""
    if has(cand, "non_persistent_buffers"):
        return tuple(kinds)
    return tuple(k for k in kinds if k != "buffer_nonpersistent")


def persistence_flags(cand: Any) -> st.SearchStrategy[bool]:
    """Values for a buffer's persistence: both where the candidate has non-persistent buffers, else True."""
    return st.booleans() if has(cand, "non_persistent_buffers") else st.just(True)


def add_buffer(module: Any, name: Any, tensor: Any, persistent: bool = True) -> None:
    """register_buffer, passing ``persistent`` only when it is False (so candidates without it work)."""
    if persistent:
        module.register_buffer(name, tensor)
    else:
        module.register_buffer(name, tensor, persistent=False)


def reserved_names(module: Any) -> set[str]:
    """Names ``module`` already answers without registration: class attributes and instance attributes."""
    return set(dir(type(module))) | set(getattr(module, "__dict__", {}))


_ANY_VALID = st.one_of(IDENTIFIERS, IDENTIFIERS, OTHER_TEXT)


def _avoiding(reserved: frozenset[str], name: str) -> str:
    while name in reserved:
        name += "_"
    return name


def valid_names(reserved: Collection[str] = ()) -> st.SearchStrategy[str]:
    """Names registration accepts, none of them in ``reserved`` (a clash gets "_" appended until free)."""
    if not reserved:
        return _ANY_VALID
    return _ANY_VALID.map(partial(_avoiding, frozenset(reserved)))


def draw_valid_name(data: st.DataObject, reserved: Collection[str] = (), label: str = "name") -> str:
    """Draw one valid name not in ``reserved`` (cheaper than drawing from a new ``valid_names`` strategy)."""
    return _avoiding(frozenset(reserved), data.draw(_ANY_VALID, label=label))


def distinct_names(
    reserved: Collection[str] = (), min_size: int = 1, max_size: int = 5
) -> st.SearchStrategy[list[str]]:
    """A list of different valid names."""
    return st.lists(valid_names(reserved), min_size=min_size, max_size=max_size, unique=True)


def dotted_names() -> st.SearchStrategy[str]:
    """Strings that contain at least one ".", in any position."""
    parts = st.one_of(st.just(""), IDENTIFIERS, OTHER_TEXT)
    return st.lists(parts, min_size=2, max_size=4).map(".".join)


def non_str_names() -> st.SearchStrategy[Any]:
    """Values of other types than ``str`` that a caller might pass as a name by mistake."""
    return st.one_of(
        st.integers(-3, 300),
        st.floats(allow_nan=False, allow_subnormal=False),
        st.none(),
        st.booleans(),
        st.binary(min_size=1, max_size=4),
        st.tuples(IDENTIFIERS),
        st.lists(IDENTIFIERS, min_size=1, max_size=2),
        st.builds(object),
    )


def shapes() -> st.SearchStrategy[tuple[int, ...]]:
    """Small tensor shapes, scalars and empty tensors included."""
    return st.lists(st.integers(0, 3), max_size=3).map(tuple)


def values_for(shape: tuple[int, ...]) -> np.ndarray:
    """Deterministic float32 values of the given shape."""
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


def new_tensor(cand: Any, shape: tuple[int, ...] = (2,), requires_grad: bool = False) -> Any:
    return cand.tensor(values_for(shape), requires_grad=requires_grad)


def new_parameter(nn: Any, cand: Any, shape: tuple[int, ...] = (2,)) -> Any:
    return nn.Parameter(new_tensor(cand, shape))


def occupy_by_chance(nn: Any, cand: Any, module: Any, name: str, kind: str) -> Any:
    """``occupy`` for a filler entry the test is not about: a candidate that refuses a None slot has the
    example discarded (the None-slot clauses judge that refusal), not the test failed."""
    try:
        return occupy(nn, cand, module, name, kind)
    except Exception:
        if kind.endswith("_none"):
            reject()
        raise


def occupy(nn: Any, cand: Any, module: Any, name: str, kind: str) -> Any:
    """Make ``name`` on ``module`` hold an entry of ``kind``; return the object the name now reads as."""
    if kind == "parameter":
        value = new_parameter(nn, cand)
        module.register_parameter(name, value)
    elif kind == "parameter_none":
        value = None
        module.register_parameter(name, None)
    elif kind in ("buffer", "buffer_nonpersistent"):
        value = new_tensor(cand)
        add_buffer(module, name, value, persistent=kind == "buffer")
    elif kind == "buffer_none":
        value = None
        module.register_buffer(name, None)
    elif kind == "child":
        value = nn.Module()
        module.add_module(name, value)
    elif kind == "child_none":
        value = None
        module.add_module(name, None)
    elif kind == "plain_int":
        value = 12345
        setattr(module, name, value)
    elif kind == "plain_str":
        value = "plain"
        setattr(module, name, value)
    elif kind == "plain_tensor":
        value = new_tensor(cand)
        setattr(module, name, value)
    elif kind == "plain_none":
        value = None
        setattr(module, name, value)
    else:
        raise ValueError(f"unknown occupant kind {kind!r}")
    return value


def class_attribute_module(nn: Any) -> Any:
    """A new module whose class defines a method, a property, a constant, a staticmethod and a classmethod."""

    class WithClassAttributes(nn.Module):
        const = 3

        def helper(self) -> int:
            return 1

        @property
        def prop(self) -> int:
            return 7

        @staticmethod
        def static() -> int:
            return 2

        @classmethod
        def klass(cls) -> int:
            return 4

    return WithClassAttributes()


def registered(module: Any) -> dict[str, list[tuple[str, int]]]:
    """The module's own parameters, buffers and children as (name, id) pairs, for "nothing changed" checks."""
    return {
        "parameters": [(n, id(v)) for n, v in module.named_parameters(recurse=False)],
        "buffers": [(n, id(v)) for n, v in module.named_buffers(recurse=False)],
        "children": [(n, id(v)) for n, v in module.named_children()],
    }


def check_raises(exc_type: type[BaseException], call: Any, what: str) -> None:
    """Call ``call()``; fail, naming ``what``, unless it raises ``exc_type``.

    For tests that check several cases in one example, where pytest.raises would not say which case failed.
    """
    try:
        call()
    except exc_type:
        return
    except Exception as exc:
        got = f"{type(exc).__name__}({exc})"
        raise AssertionError(f"{what} raised {got}, expected {exc_type.__name__}") from exc
    raise AssertionError(f"{what} did not raise, expected {exc_type.__name__}")


def new_module(nn: Any) -> Any:
    return nn.Module()


def names_of(pairs: Any) -> list[str]:
    return [n for n, _ in pairs]


def state_keys(module: Any) -> list[str]:
    return list(module.state_dict().keys())


def draw_names(data: st.DataObject, nn: Any, min_size: int = 1, max_size: int = 5) -> list[str]:
    return data.draw(distinct_names(reserved_names(new_module(nn)), min_size, max_size), label="names")
