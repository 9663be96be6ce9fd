"""Module trees for the state_dict suites: plans with extra state, the expected state dict of a tree,
load plans (what to feed ``load_state_dict``), and plain-data observations of state dicts and loads.

A ``SdPlan`` is a tree plan of :mod:`suites.support.trees` plus the set of nodes whose class gets
``get_extra_state``/``set_extra_state``. ``build_sd`` builds it through a candidate; the same plan
built on the candidate and on the oracle gives two trees to compare.

Every module of a built tree also has a ``forward(x)``, written out for its own registrations (see
``forward_source``), so that wrappers which trace or compile a forward (``torch.fx.symbolic_trace``,
``torch.jit.trace``, ``torch.jit.script``) have one to work on; ``example_inputs()`` gives the inputs to
trace it with. No clause calls it: it only decides what such a wrapper keeps of the tree.

The ``expected_*`` functions restate the spec on the tree model, naively: one walk over every path
(``trees.module_paths``), nothing de-duplicated.
"""

from __future__ import annotations

import itertools
import linecache
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support import trees
from suites.support.trees import BUFFER, CHILD, NP_BUFFER, PARAM, Node, Tree, TreePlan

EXTRA = "_extra_state"


# --------------------------------------------------------------------------------------------------
# plans and building


@dataclass(frozen=True)
class SdPlan:
    tree: TreePlan
    extra_nodes: frozenset[int]  # indices of nodes whose class saves and loads extra state

    def __repr__(self) -> str:
        return (
            f"{self.tree!r}\n  extra state on: {sorted(f'm{i}' for i in self.extra_nodes)}\n"
            f"  {FORWARD_SUMMARY}"
        )


@st.composite
def sd_plans(
    draw: Callable[[st.SearchStrategy[Any]], Any],
    *,
    extra_state: bool = True,
    none_slots: bool = True,
    force_none: bool | Collection[str] = False,
    sharing: bool = True,
    force_sharing: bool = False,
    buffer_grads: bool = False,
    max_nodes: int = 7,
) -> SdPlan:
    """Tree plans (nesting, sharing, None slots, persistent and non-persistent buffers, several dtypes),
    some of whose nodes save extra state (options as ``trees.tree_plans``)."""
    plan = draw(
        trees.tree_plans(
            max_depth=3,
            max_nodes=max_nodes,
            none_slots=none_slots,
            force_none=force_none,
            sharing=sharing,
            force_sharing=force_sharing,
            buffer_grads=buffer_grads,
        )
    )
    extra: frozenset[int] = frozenset()
    if extra_state:
        extra = frozenset(draw(st.sets(st.integers(0, len(plan.nodes) - 1), max_size=2)))
    return SdPlan(plan, extra)


_EXTRA_CLASSES: dict[tuple[int, type], type] = {}


def extra_state_class(base: type) -> type:
    """A subclass of ``base`` that saves ``self.extra`` as extra state and records what it is given."""
    key = (id(base), base)
    if key not in _EXTRA_CLASSES:

        def get_extra_state(self: Any) -> Any:
            return self.extra

        def set_extra_state(self: Any, state: Any) -> None:
            self.extra_loaded.append(state)

        _EXTRA_CLASSES[key] = type(
            base.__name__,
            (base,),
            {
                "get_extra_state": get_extra_state,
                "set_extra_state": set_extra_state,
                "saves_extra_state": True,
                "__module__": __name__,
            },
        )
    return _EXTRA_CLASSES[key]


# --------------------------------------------------------------------------------------------------
# forward: what tracing wrappers trace

FORWARD_SUMMARY = (
    "forward(x) of every module: x + (t * x).sum() for each of its non-None tensors (non-persistent "
    "buffers included) + child(x) for each non-None child slot, in registration order; x = tensor(1.0)"
)


def forward_layout(node: Node) -> tuple[tuple[str, str], ...]:
    """(kind, name) of what a module's forward uses: every non-None tensor slot and every non-None child
    slot, in registration order (a child registered under two names is called under both)."""
    return tuple((kind, name) for name, kind, obj in node.entries if obj is not None)


def forward_source(layout: tuple[tuple[str, str], ...]) -> str:
    """The forward of a module with this layout, as a user would write it out. Every tensor is multiplied
    by the input (so a tracer sees it combined with a traced value, whatever its shape and dtype) and
    summed; every child is called on the input. Names that are not identifiers are read with getattr."""
    lines = ["def forward(self, x):", "    out = x"]
    for kind, name in layout:
        ref = f"self.{name}" if name.isidentifier() else f"getattr(self, {name!r})"
        lines.append(f"    out = out + {ref}(x)" if kind == CHILD else f"    out = out + ({ref} * x).sum()")
    lines.append("    return out")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Forward:
    cls: type
    filename: str
    lines: list[str]


_FORWARD_CLASSES: dict[tuple[int, type, tuple[tuple[str, str], ...], str], _Forward] = {}
_FORWARD_FILES = itertools.count()


def forward_class(base: type, layout: tuple[tuple[str, str], ...], cand: Candidate) -> type:
    """A subclass of ``base`` (same name) with the forward of ``layout`` and ``example_inputs()``. The
    forward's source is registered with :mod:`linecache`, so that ``inspect.getsource`` (which
    ``torch.jit.script`` reads) finds it."""
    key = (id(base), base, layout, cand.name)
    made = _FORWARD_CLASSES.get(key)
    if made is None:
        source = forward_source(layout)
        filename = f"<nnconform forward {next(_FORWARD_FILES)}>"
        namespace: dict[str, Any] = {}
        exec(compile(source, filename, "exec"), namespace)

        def example_inputs(self: Any) -> tuple[Any, ...]:
            return (cand.tensor(1.0, "float32"),)

        cls = type(
            base.__name__,
            (base,),
            {"forward": namespace["forward"], "example_inputs": example_inputs, "__module__": __name__},
        )
        made = _FORWARD_CLASSES[key] = _Forward(cls, filename, source.splitlines(keepends=True))
    # (again each time: a cleared line cache must not make a class's source unreadable)
    linecache.cache[made.filename] = (sum(map(len, made.lines)), None, made.lines, made.filename)
    return made.cls


def give_forward(tree: Tree, cand: Candidate) -> None:
    """Make every module of the tree an instance of its ``forward_class``."""
    for node in tree.nodes:
        node.module.__class__ = forward_class(type(node.module), forward_layout(node), cand)


def build_sd(plan: SdPlan, nn: Any, cand: Candidate) -> Tree:
    """Build the tree plan and give every module its forward (``give_forward``); each node of
    ``extra_nodes`` then becomes an instance of ``extra_state_class`` of its class (a class that only
    adds the two methods), holding ``extra = {"node": <label>}``. A candidate without the extra-state
    protocol (capability ``extra_state``) gets the tree without it: the expectations follow the classes
    built, and the extra-state clauses are not applicable."""
    tree = trees.build(plan.tree, nn, cand)
    give_forward(tree, cand)
    if "extra_state" in cand.lacks:
        return tree
    for index in sorted(plan.extra_nodes):
        node = tree.nodes[index]
        node.module.__class__ = extra_state_class(type(node.module))
        node.module.extra = {"node": node.label}
        node.module.extra_loaded = []
    return tree


def has_extra(node: Node) -> bool:
    return getattr(type(node.module), "saves_extra_state", False)


# --------------------------------------------------------------------------------------------------
# the spec, restated on the model


def expected_entries(root: Node, keep_np: bool = False) -> list[tuple[str, Any]]:
    """(key, object) of every state entry, in pre-order, once per path; the object is the registered
    tensor, or the extra-state value."""
    out: list[tuple[str, Any]] = []
    for path, node in trees.module_paths(root):
        kinds = (PARAM, BUFFER, NP_BUFFER) if keep_np else (PARAM, BUFFER)
        # parameters first, then buffers, each in registration order
        for group in ((PARAM,), tuple(k for k in kinds if k != PARAM)):
            out += [(trees.join(path, name), obj) for name, obj in node.own(group) if obj is not None]
        if has_extra(node):
            out.append((trees.join(path, EXTRA), node.module.extra))
    return out


def aliases(cand: Candidate, a: Any, b: Any) -> bool:
    """Whether two tensors of a tree are one object or views of the same memory (the trees only alias
    whole tensors of one shape; empty tensors alias nothing)."""
    if a is b:
        return True
    return cand.shape(a) == cand.shape(b) and int(np.prod(cand.shape(a))) > 0 and cand.same_storage(a, b)


def expected_keys(root: Node) -> list[str]:
    return [key for key, _ in expected_entries(root)]


def expected_metadata_paths(root: Node) -> list[str]:
    return [path for path, _ in trees.module_paths(root)]


# --------------------------------------------------------------------------------------------------
# load plans: what to give load_state_dict


@dataclass(frozen=True)
class Value:
    """One value of a load plan: a tensor (shape, dtype, seed) or a plain Python object."""

    shape: tuple[int, ...] | None
    dtype: str = "float32"
    seed: int = 0
    plain: Any = None

    def make(self, cand: Candidate) -> Any:
        if self.shape is None:
            return self.plain
        count = int(np.prod(self.shape, dtype=np.int64))
        values = (np.arange(count, dtype=np.float64) * 3 + self.seed + 7).reshape(self.shape)
        return cand.tensor(values.astype(self.dtype), self.dtype)

    def __repr__(self) -> str:
        if self.shape is None:
            return repr(self.plain)
        return f"T{self.shape}:{self.dtype}#{self.seed}"


def unexpected_key_candidates(root: Node) -> list[str]:
    """Keys that name nothing loadable: None parameter and buffer slots, non-persistent buffers, unknown
    names at known paths, keys below a parameter, keys below None child slots, extra state of modules
    that do not load it."""
    out: list[str] = []
    for path, node in trees.module_paths(root):
        for name, kind, obj in node.entries:
            if kind == NP_BUFFER or (kind in (PARAM, BUFFER) and obj is None):
                out.append(trees.join(path, name))
            elif kind == PARAM:
                out.append(trees.join(path, name + ".x"))
            elif obj is None:  # a None child slot
                out.append(trees.join(path, f"{name}.w"))
        out.append(trees.join(path, "zz"))
        out.append(trees.join(path, "zz.w"))
        if not has_extra(node):
            out.append(trees.join(path, EXTRA))
    return out


@st.composite
def load_plans(
    draw: Callable[[st.SearchStrategy[Any]], Any],
    cand: Candidate,
    root: Node,
    *,
    missing: bool = True,
    unexpected: bool = True,
    bad_values: bool = False,
    other_dtypes: bool = False,
) -> list[tuple[str, Value]]:
    """A state dict for ``root`` as (key, Value) pairs: the expected keys with fresh values of the right
    shape, some dropped (``missing``), some unknown keys added at drawn positions (``unexpected``), some
    values of a wrong shape or not tensors (``bad_values``), some floats of the other float dtype
    (``other_dtypes``)."""
    entries: list[tuple[str, Value]] = []
    for i, (key, obj) in enumerate(expected_entries(root)):
        if missing and draw(st.integers(0, 4)) == 0:
            continue
        if key.endswith(EXTRA) and isinstance(obj, dict):
            entries.append((key, Value(None, plain={"loaded": key})))
            continue
        shape, dtype = cand.shape(obj), cand.dtype_name(obj)
        if other_dtypes and dtype in trees.FLOAT_DTYPES and draw(st.booleans()):
            dtype = trees.FLOAT_DTYPES[1 - trees.FLOAT_DTYPES.index(dtype)]
        if bad_values:
            choice = draw(st.integers(0, 5))
            if choice == 0:
                shape = (*shape, 2) if len(shape) < 3 else shape[1:]
            elif choice == 1:
                entries.append((key, Value(None, plain=draw(st.sampled_from([1, 2.5, "w", [1.0]])))))
                continue
        entries.append((key, Value(shape, dtype, seed=i)))
    if unexpected:
        pool = [k for k in unexpected_key_candidates(root) if k not in {e for e, _ in entries}]
        extra = draw(st.lists(st.sampled_from(pool), max_size=3, unique=True)) if pool else []
        for j, key in enumerate(extra):
            at = draw(st.integers(0, len(entries)))
            entries.insert(at, (key, Value((2,), "float32", seed=50 + j)))
    return entries


def make_state(
    plan: list[tuple[str, Value]], cand: Candidate, metadata: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    from collections import OrderedDict

    state: Any = OrderedDict((key, value.make(cand)) for key, value in plan)
    if metadata is not None:
        state._metadata = OrderedDict((k, dict(v)) for k, v in metadata.items())
    return state


# --------------------------------------------------------------------------------------------------
# observations: plain data two candidates can be compared on


def observe_value(cand: Candidate, tree: Tree | None, value: Any) -> Any:
    if not cand.is_tensor(value):
        return ("object", repr(value))
    return (
        "tensor",
        cand.shape(value),
        cand.dtype_name(value),
        cand.to_numpy(value).tolist(),
        cand.requires_grad(value),
        type(value).__name__,
        None if tree is None else tree.label(value),
    )


def observe_state(cand: Candidate, tree: Tree | None, state: Any) -> list[tuple[str, Any]]:
    return [(key, observe_value(cand, tree, value)) for key, value in state.items()]


def observe_tree(cand: Candidate, tree: Tree) -> list[tuple[str, Any]]:
    """Every registered tensor by path (None slots and non-persistent buffers included), and each
    extra-state module's loaded values."""
    out: list[tuple[str, Any]] = []
    for path, node in trees.module_paths(tree.root):
        for name, _, _ in node.entries:
            value = getattr(node.module, name)
            if value is None or cand.is_tensor(value):
                out.append(
                    (trees.join(path, name), None if value is None else observe_value(cand, tree, value))
                )
        if has_extra(node):
            out.append((trees.join(path, "extra_loaded"), repr(node.module.extra_loaded)))
    return out


_QUOTED = re.compile(r'"([^"]*)"')
_LINE_KINDS = (
    ("missing", re.compile(r"^Missing key\(s\) in state_dict: (.*)$", re.S)),
    ("unexpected", re.compile(r"^Unexpected key\(s\) in state_dict: (.*)$", re.S)),
    ("size", re.compile(r"^size mismatch for (.*?): ")),
    ("not-tensor", re.compile(r'^While copying the parameter named "(.*?)", expected')),
)


def message_structure(message: str) -> tuple[str, list[tuple[str, Any]]]:
    """The header and, per tab-indented line, its kind and the key(s) it names."""
    header, *lines = message.split("\n\t")
    parsed: list[tuple[str, Any]] = []
    for line in lines:
        for kind, pattern in _LINE_KINDS:
            found = pattern.match(line)
            if found:
                keys = (
                    _QUOTED.findall(found.group(1)) if kind in ("missing", "unexpected") else found.group(1)
                )
                parsed.append((kind, keys))
                break
        else:
            parsed.append(("other", line))
    return header, parsed


def load_outcome(call: Callable[[], Any]) -> Any:
    """What a load did: ("returns", missing, unexpected, repr) or ("raises", kind, message structure)."""
    try:
        result = call()
    except Exception as exc:
        kind = type(exc).__name__
        if isinstance(exc, RuntimeError):
            return ("raises", "RuntimeError", message_structure(str(exc)))
        if isinstance(exc, TypeError):
            return ("raises", "TypeError", None)
        return ("raises", kind, str(exc))
    return ("returns", list(result.missing_keys), list(result.unexpected_keys), repr(result))
