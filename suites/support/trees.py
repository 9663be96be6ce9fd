"""Random module trees, and a plain-Python model of what each tree holds.

``tree_plans`` is a hypothesis strategy of *plans*: pure data that says which modules to make, what
to register on each (parameters, buffers, children, None slots, in a random interleaved order) and
which objects to share. ``build`` turns a plan into candidate objects through the ``nn`` namespace,
using only ``register_parameter``, ``register_buffer`` and ``add_module``, and returns a ``Tree``: the
root plus, for every module, the list of ``(name, kind, object)`` entries it was given.

The ``expected_*`` functions restate the spec on that model. They are kept deliberately naive:

- ``module_paths`` lists every path to every module (the module itself, then each child slot's
  subtree in registration order), with nothing removed;
- removing duplicates always means "keep the first occurrence of each object, by identity";
- a member's name is its module's path joined to the member's name with ".".

Plans keep the graph acyclic: a module may only be shared into a parent after it is complete, and a
complete module never reaches one that is still being built.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st

from adapters.base import Candidate

PARAM = "param"
BUFFER = "buffer"
NP_BUFFER = "buffer-np"  # a buffer registered with persistent=False
CHILD = "child"
BUFFER_KINDS = (BUFFER, NP_BUFFER)

# Entry names. Registration order is drawn separately, so it rarely agrees with sorted order. The
# digit-first names are valid registrations that dir() leaves out.
NAMES = ("w", "b", "a", "bias", "x_1", "_h", "blk", "enc", "aa", "B", "layer3", "0", "1", "2", "10", "z",
         "c", "k")

CLASS_NAMES = ("Module", "Block", "Net", "Cell", "Head")
FLOAT_DTYPES = ("float32", "float64")
BUFFER_DTYPES = ("float32", "float64", "int64")


# --------------------------------------------------------------------------------------------------
# plans: pure data


@dataclass(frozen=True)
class TensorPlan:
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool
    base: int  # parameters with the same base are made from one tensor: distinct objects, one storage


@dataclass(frozen=True)
class EntryPlan:
    kind: str  # PARAM, BUFFER, NP_BUFFER or CHILD
    name: str
    ref: int | None  # index into params / buffers / nodes; None registers a None slot


@dataclass(frozen=True)
class NodePlan:
    cls: str  # "Module" means nn.Module itself; other names make a subclass
    extra_repr: str
    entries: tuple[EntryPlan, ...]


@dataclass(frozen=True)
class TreePlan:
    nodes: tuple[NodePlan, ...]  # a child always has a lower index than its parents; the root is last
    params: tuple[TensorPlan, ...]
    buffers: tuple[TensorPlan, ...]
    # the kinds (PARAM, BUFFER, CHILD) whose None slots the test is about (``force_none``); None slots of
    # other kinds are incidental
    none_under_test: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        lines = ["TreePlan:"]
        for i, p in enumerate(self.params):
            lines.append(f"  P{i} = Parameter(base{p.base}{p.shape}, {p.dtype}, "
                         f"requires_grad={p.requires_grad})")
        for i, b in enumerate(self.buffers):
            lines.append(f"  B{i} = tensor({b.shape}, {b.dtype}, requires_grad={b.requires_grad})")
        for i, node in enumerate(self.nodes):
            lines.append(f"  m{i} = {node.cls}()  # extra_repr {node.extra_repr!r}")
            for e in node.entries:
                ref = "None" if e.ref is None else f"{_PREFIX[e.kind]}{e.ref}"
                call = {PARAM: "register_parameter", CHILD: "add_module"}.get(e.kind, "register_buffer")
                persistent = ", persistent=False" if e.kind == NP_BUFFER else ""
                lines.append(f"  m{i}.{call}({e.name!r}, {ref}{persistent})")
        lines.append(f"  root = m{len(self.nodes) - 1}")
        return "\n".join(lines)


_PREFIX = {PARAM: "P", BUFFER: "B", NP_BUFFER: "B", CHILD: "m"}


class _Drafter:
    """Draws one plan, node by node, depth first."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any], *, max_depth: int, max_nodes: int,
                 sharing: bool, none_slots: bool, buffer_grads: bool, classes: Sequence[str]) -> None:
        self.draw = draw
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.sharing = sharing
        self.none_slots = none_slots
        self.buffer_grads = buffer_grads
        self.classes = classes
        self.nodes: list[NodePlan] = []
        self.heights: list[int] = []
        self.params: list[TensorPlan] = []
        self.buffers: list[TensorPlan] = []
        self.started = 0

    def shape(self) -> tuple[int, ...]:
        return tuple(self.draw(st.lists(st.integers(0, 3), max_size=3)))

    def new_param(self) -> int:
        if self.params and self.draw(st.integers(0, 4)) == 0:
            like = self.params[self.draw(st.integers(0, len(self.params) - 1))]
            shape, dtype, base = like.shape, like.dtype, like.base
        else:
            shape, dtype = self.shape(), self.draw(st.sampled_from(FLOAT_DTYPES))
            base = len(self.params)
        self.params.append(TensorPlan(shape, dtype, self.draw(st.booleans()), base))
        return len(self.params) - 1

    def new_buffer(self) -> int:
        dtype = self.draw(st.sampled_from(BUFFER_DTYPES))
        grad = self.buffer_grads and dtype != "int64" and self.draw(st.integers(0, 2)) == 0
        self.buffers.append(TensorPlan(self.shape(), dtype, grad, len(self.buffers)))
        return len(self.buffers) - 1

    def tensor_ref(self, pool: list[TensorPlan], make: Callable[[], int]) -> int | None:
        # 0-3: a new tensor, 4-5: a shared one (when allowed and there is one), 6: a None slot
        choice = self.draw(st.integers(0, 6))
        if choice >= 6 and self.none_slots:
            return None
        if choice >= 4 and self.sharing and pool:
            return self.draw(st.integers(0, len(pool) - 1))
        return make()

    def child_ref(self, depth: int) -> int | None:
        # 0-2: a new module, 3-4: a shared complete one, 5: a None slot
        choice = self.draw(st.integers(0, 5))
        if choice >= 5 and self.none_slots:
            return None
        room = self.max_depth - depth - 1  # how tall the child's subtree may be
        shareable = [i for i, h in enumerate(self.heights) if h <= room]
        if (choice >= 3 or self.started >= self.max_nodes) and self.sharing and shareable:
            return self.draw(st.sampled_from(shareable))
        if self.started >= self.max_nodes:
            return None if self.none_slots else -1
        return self.node(depth + 1)

    def node(self, depth: int) -> int:
        self.started += 1
        count = self.draw(st.integers(3 if depth == 0 else 0, 6))
        names = self.draw(st.permutations(NAMES))[:count]
        kinds = [PARAM, BUFFER, NP_BUFFER] + ([CHILD, CHILD] if depth < self.max_depth else [])
        entries = []
        for name in names:
            kind = self.draw(st.sampled_from(kinds))
            if kind == CHILD:
                ref = self.child_ref(depth)
                if ref == -1:
                    continue
            elif kind == PARAM:
                ref = self.tensor_ref(self.params, self.new_param)
            else:
                ref = self.tensor_ref(self.buffers, self.new_buffer)
            entries.append(EntryPlan(kind, name, ref))
        cls = self.draw(st.sampled_from(self.classes))
        extra = "" if cls == "Module" else self.draw(extra_reprs())
        height = max([self.heights[e.ref] + 1 for e in entries if e.kind == CHILD and e.ref is not None],
                     default=0)
        self.nodes.append(NodePlan(cls, extra, tuple(entries)))
        self.heights.append(height)
        return len(self.nodes) - 1

    def force_sharing(self) -> list[EntryPlan]:
        """Root entries that make sure some module is registered twice on one parent, some module has two
        parents, and some parameter and some buffer are each registered twice."""
        root = self.nodes.pop()
        self.heights.pop()
        extra: list[EntryPlan] = []
        direct = [e.ref for e in root.entries if e.kind == CHILD and e.ref is not None]
        deeper = [e.ref for node in self.nodes for e in node.entries if e.kind == CHILD and e.ref is not None]
        if not direct:  # give the root a child N holding a leaf L, then N again and L itself
            self.nodes.append(NodePlan("Module", "", ()))
            self.nodes.append(NodePlan("Module", "", (EntryPlan(CHILD, "l", len(self.nodes) - 1),)))
            self.heights += [0, 1]
            direct, deeper = [len(self.nodes) - 1], [len(self.nodes) - 2]
            extra.append(EntryPlan(CHILD, "", direct[0]))
        extra.append(EntryPlan(CHILD, "", direct[0]))
        if [d for d in deeper if d not in direct]:
            extra.append(EntryPlan(CHILD, "", next(d for d in deeper if d not in direct)))
        registered = [e for node in self.nodes for e in node.entries] + list(root.entries)
        for kinds, make in (((PARAM,), self.new_param), (BUFFER_KINDS, self.new_buffer)):
            refs = [e.ref for e in registered if e.kind in kinds and e.ref is not None]
            if len(refs) == len(set(refs)):
                ref = refs[-1] if refs else make()
                extra += [EntryPlan(kinds[0], "", ref) for _ in range(1 if refs else 2)]
        self.nodes.append(root)
        self.heights.append(0)  # not read again
        return extra

    def add_to_root(self, extra: list[EntryPlan]) -> None:
        """Insert entries into the root at drawn positions, under names the root does not use yet."""
        root = self.nodes[-1]
        entries = list(root.entries)
        free = [n for n in NAMES if n not in {e.name for e in entries}]
        for e in extra:
            at = self.draw(st.integers(0, len(entries)))
            entries.insert(at, EntryPlan(e.kind, free.pop(), e.ref))
        self.nodes[-1] = NodePlan(root.cls, root.extra_repr, tuple(entries))


def extra_reprs() -> st.SearchStrategy[str]:
    """Extra representations: empty, one line, or several lines, none of them blank."""
    line = st.text(alphabet="abxyz019=,.()_ ", min_size=1, max_size=8).filter(lambda s: s.strip() != "")
    return st.one_of(st.just(""), line, st.lists(line, min_size=2, max_size=3).map("\n".join))


@st.composite
def tree_plans(draw: Callable[[st.SearchStrategy[Any]], Any], *, max_depth: int = 4, max_nodes: int = 9,
               sharing: bool = True, force_sharing: bool = False, none_slots: bool = True,
               force_none: bool | Collection[str] = False,
               buffer_grads: bool = False, classes: Sequence[str] = CLASS_NAMES) -> TreePlan:
    """Plans of module trees.

    ``sharing`` lets a module, parameter or buffer be registered more than once (under two parents or
    two names); ``force_sharing`` adds root entries so that some module is registered twice on one
    parent, some module has two parents, and some parameter and some buffer are registered twice.
    ``none_slots`` allows None parameters, buffers and children; ``force_none`` adds one of each (or of
    the kinds it names) to the root at drawn positions, and marks their None slots as under test.
    ``buffer_grads`` lets some float buffers require grad. ``classes`` are the module class names to use
    ("Module" is nn.Module).
    """
    drafter = _Drafter(draw, max_depth=max_depth, max_nodes=max_nodes, sharing=sharing or force_sharing,
                       none_slots=none_slots or bool(force_none), buffer_grads=buffer_grads, classes=classes)
    drafter.node(0)
    extra = drafter.force_sharing() if force_sharing else []
    forced = frozenset((PARAM, BUFFER, CHILD) if force_none is True else force_none or ())
    extra += [EntryPlan(kind, "", None) for kind in (PARAM, BUFFER, CHILD) if kind in forced]
    drafter.add_to_root(extra)
    return TreePlan(tuple(drafter.nodes), tuple(drafter.params), tuple(drafter.buffers), forced)


# --------------------------------------------------------------------------------------------------
# built trees: candidate objects plus the reference model


@dataclass(eq=False)
class Node:
    """One module of a built tree and what was registered on it, in registration order."""

    label: str
    module: Any
    cls_name: str
    extra_repr: str
    entries: list[tuple[str, str, Any]] = field(default_factory=list)  # (name, kind, tensor | Node | None)

    def own(self, kinds: Iterable[str]) -> list[tuple[str, Any]]:
        kinds = tuple(kinds)
        return [(name, obj) for name, kind, obj in self.entries if kind in kinds]

    def children(self) -> list[tuple[str, Node | None]]:
        return self.own([CHILD])


@dataclass(eq=False)
class Tree:
    root: Node
    nodes: list[Node]  # every module of the plan, root last
    params: list[Any]
    buffers: list[Any]
    labels: dict[int, str]  # id(object) -> "m3" / "P0" / "B2"

    def label(self, obj: Any) -> str:
        if obj is None:
            return "None"
        return self.labels.get(id(obj), f"<unknown {type(obj).__name__}>")

    def labelled(self, pairs: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
        """``(name, object)`` pairs with each object replaced by its label, for comparing and printing."""
        return [(name, self.label(obj)) for name, obj in pairs]

    def labels_of(self, objs: Iterable[Any]) -> list[str]:
        return [self.label(o) for o in objs]


_CLASS_CACHE: dict[tuple[int, str, str], type] = {}


def module_class(nn: Any, cls: str, extra_repr: str) -> type:
    """nn.Module itself for "Module", else a subclass named ``cls`` whose extra_repr returns the text."""
    if cls == "Module":
        return nn.Module
    key = (id(nn.Module), cls, extra_repr)
    if key not in _CLASS_CACHE:
        def extra(self: Any, _text: str = extra_repr) -> str:
            return _text
        _CLASS_CACHE[key] = type(cls, (nn.Module,), {"extra_repr": extra, "__module__": __name__})
    return _CLASS_CACHE[key]


def tensor_values(plan: TensorPlan, seed: int) -> np.ndarray:
    """Deterministic, mostly nonzero values for a tensor of the plan's shape."""
    count = int(np.prod(plan.shape, dtype=np.int64))
    return (np.arange(count, dtype=np.float64) + seed + 1).reshape(plan.shape).astype(plan.dtype)


def build(plan: TreePlan, nn: Any, cand: Candidate) -> Tree:
    """Make the plan's modules and tensors through the candidate and register everything in order."""
    labels: dict[int, str] = {}
    bases: dict[int, Any] = {}
    params = []
    for i, p in enumerate(plan.params):
        if p.base not in bases:
            bases[p.base] = cand.tensor(tensor_values(p, i), p.dtype)
        params.append(nn.Parameter(bases[p.base], requires_grad=p.requires_grad))
        labels[id(params[-1])] = f"P{i}"
    buffers = []
    for i, b in enumerate(plan.buffers):
        buffers.append(cand.tensor(tensor_values(b, 100 + i), b.dtype, requires_grad=b.requires_grad))
        labels[id(buffers[-1])] = f"B{i}"
    nodes: list[Node] = []
    for i, np_ in enumerate(plan.nodes):
        module = module_class(nn, np_.cls, np_.extra_repr)()
        node = Node(f"m{i}", module, np_.cls, np_.extra_repr)
        labels[id(module)] = node.label
        for e in np_.entries:
            if e.ref is None and _slot_kind(e.kind) not in plan.none_under_test:
                _register_incidental_none(module, e)
                node.entries.append((e.name, e.kind, None))
            elif e.kind == CHILD:
                child = None if e.ref is None else nodes[e.ref]
                module.add_module(e.name, None if child is None else child.module)
                node.entries.append((e.name, CHILD, child))
            elif e.kind == PARAM:
                obj = None if e.ref is None else params[e.ref]
                module.register_parameter(e.name, obj)
                node.entries.append((e.name, PARAM, obj))
            else:
                obj = None if e.ref is None else buffers[e.ref]
                module.register_buffer(e.name, obj, persistent=e.kind == BUFFER)
                node.entries.append((e.name, e.kind, obj))
        nodes.append(node)
    return Tree(nodes[-1], nodes, params, buffers, labels)


def _slot_kind(kind: str) -> str:
    return BUFFER if kind == NP_BUFFER else kind


def _register_incidental_none(module: Any, e: EntryPlan) -> None:
    """Register a None slot the tree drew by chance. A candidate that refuses None slots fails the
    clauses about them (tests drawn with ``force_none``); here the example is discarded instead, so the
    test still judges its own clause on the trees without such slots."""
    try:
        if e.kind == CHILD:
            module.add_module(e.name, None)
        elif e.kind == PARAM:
            module.register_parameter(e.name, None)
        else:
            module.register_buffer(e.name, None, persistent=e.kind == BUFFER)
    except Exception:  # any refusal: the slot is not what this test is about
        reject()


# --------------------------------------------------------------------------------------------------
# the spec, restated on the model


def dedup_option(cand: Candidate, remove_duplicate: bool | None) -> dict[str, bool]:
    """The ``remove_duplicate`` keyword to pass, or none where the candidate lacks the option (a test
    that only varies it, without checking it, then calls with the default)."""
    if remove_duplicate is None or "remove_duplicate" in cand.lacks:
        return {}
    return {"remove_duplicate": remove_duplicate}


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def module_paths(node: Node, prefix: str = "") -> list[tuple[str, Node]]:
    """Every path to every module: the node under ``prefix``, then each non-None child slot's paths, in
    registration order. Nothing reached twice is removed."""
    out = [(prefix, node)]
    for name, child in node.children():
        if child is not None:
            out += module_paths(child, join(prefix, name))
    return out


def first_per_object(pairs: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The pairs whose object has not appeared earlier in the list (compared by identity)."""
    seen: set[int] = set()
    out = []
    for name, obj in pairs:
        if id(obj) not in seen:
            seen.add(id(obj))
            out.append((name, obj))
    return out


def expected_named_modules(root: Node, prefix: str = "",
                           remove_duplicate: bool = True) -> list[tuple[str, Any]]:
    pairs = [(path, node.module) for path, node in module_paths(root, prefix)]
    return first_per_object(pairs) if remove_duplicate else pairs


def expected_named_members(root: Node, kinds: Iterable[str], prefix: str = "", recurse: bool = True,
                           remove_duplicate: bool = True) -> list[tuple[str, Any]]:
    """Parameters (kinds=[PARAM]) or buffers (kinds=BUFFER_KINDS) as named_parameters/named_buffers."""
    kinds = tuple(kinds)
    holders = module_paths(root, prefix) if recurse else [(prefix, root)]
    pairs = [(join(path, name), obj)
             for path, node in holders for name, obj in node.own(kinds) if obj is not None]
    return first_per_object(pairs) if remove_duplicate else pairs


def expected_named_parameters(root: Node, prefix: str = "", recurse: bool = True,
                              remove_duplicate: bool = True) -> list[tuple[str, Any]]:
    return expected_named_members(root, [PARAM], prefix, recurse, remove_duplicate)


def expected_named_buffers(root: Node, prefix: str = "", recurse: bool = True,
                           remove_duplicate: bool = True) -> list[tuple[str, Any]]:
    return expected_named_members(root, BUFFER_KINDS, prefix, recurse, remove_duplicate)


def expected_named_children(node: Node) -> list[tuple[str, Any]]:
    return first_per_object([(name, child.module) for name, child in node.children() if child is not None])


def unique_children(node: Node) -> list[Node]:
    return [child for _, child in first_per_object(
        [(name, child) for name, child in node.children() if child is not None])]


def expected_apply_order(node: Node) -> list[Any]:
    """Post-order over each parent's distinct children: every child's visits, then the node itself."""
    out = []
    for child in unique_children(node):
        out += expected_apply_order(child)
    return [*out, node.module]


def expected_repr(node: Node) -> str:
    """Name( extra ) on one line for a lone one-line extra_repr; else one body line each, indented by 2."""
    lines = node.extra_repr.split("\n") if node.extra_repr else []
    slots = node.children()
    for name, child in slots:
        lines += f"({name}): {'None' if child is None else expected_repr(child)}".split("\n")
    if not lines:
        return f"{node.cls_name}()"
    if len(lines) == 1 and not slots:
        return f"{node.cls_name}({lines[0]})"
    return node.cls_name + "(\n" + "".join(f"  {line}\n" for line in lines) + ")"


def reachable_nodes(root: Node) -> list[Node]:
    """Every module the root reaches (itself included), each once, in first-path order."""
    return [node for _, node in first_per_object(module_paths(root))]


def reachable_tensors(root: Node, kinds: Iterable[str]) -> list[Any]:
    return [obj for _, obj in expected_named_members(root, kinds)]
