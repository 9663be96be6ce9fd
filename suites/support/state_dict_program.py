"""State-dict programs: a generated tree and a sequence of saves and loads, as Python text that
:class:`suites.support.differential.Lockstep` runs on the candidate and the oracle side by side.

The first statement defines the helpers below (a module class with extra state, and views that turn
state dicts, load results and trees into plain data); so a shrunk program is a standalone reproducer.

Each statement and query of an operation comes with the clauses a departure there can come from
(``save_clauses``, ``load_clauses``): those of the part of state_dict or load_state_dict it exercises,
narrowed by what the tree and the operation hold (a save without a prefix cannot show a prefix bug, a
load without missing keys cannot show SD-LOAD-NONSTRICT-REPORTS in the tree, ...). Building the tree
and the dict to load exercise no state_dict clause: a departure there blames them all (``CLAUSES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.base import Candidate
from suites.support import trees
from suites.support.differential import Step
from suites.support.state_dict_trees import EXTRA, SdPlan, Value, expected_entries

CLAUSES = (
    "SD-SAVE-ENTRIES",
    "SD-SAVE-KEYS",
    "SD-SAVE-ORDER",
    "SD-SAVE-SHARED",
    "SD-SAVE-DETACH",
    "SD-SAVE-KEEP-VARS",
    "SD-SAVE-PREFIX",
    "SD-SAVE-EXTRA-STATE",
    "SD-META-VERSION",
    "SD-LOAD-COPIES",
    "SD-LOAD-MISSING",
    "SD-LOAD-UNEXPECTED",
    "SD-LOAD-NONSTRICT-REPORTS",
    "SD-LOAD-STRICT-RAISES",
    "SD-LOAD-SIZE-MISMATCH",
    "SD-LOAD-NON-TENSOR",
    "SD-LOAD-ERROR-MESSAGE",
    "SD-LOAD-SHARED",
    "SD-LOAD-ASSIGN-IDENTITY",
    "SD-LOAD-ASSIGN-REQUIRES-GRAD",
    "SD-LOAD-EXTRA-STATE",
    "SD-LOAD-NONE-CHILD-KEYS",
)
EXTRA_STATE_CLAUSES = ("SD-SAVE-EXTRA-STATE", "SD-LOAD-EXTRA-STATE")

HELPER_SOURCE = '''\
import re
from collections import OrderedDict


class Extra(nn.Module):
    """A module whose state dict carries extra state."""

    def __init__(self, label):
        super().__init__()
        self.extra = {"node": label}
        self.extra_loaded = []

    def get_extra_state(self):
        return self.extra

    def set_extra_state(self, state):
        self.extra_loaded.append(state)


def value_view(v):
    """A tensor as plain data. Its class is "Parameter" when it is nn.Parameter's, whatever that class is
    called, and its dtype without the framework's prefix ("torch.float32" and "paddle.float32" are both
    "float32", MindSpore's "Float32" too)."""
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        kind = "Parameter" if type(v) is nn.Parameter else type(v).__name__
        dtype = str(v.dtype).rpartition(".")[2].lower()  # MindSpore spells it "Float32"
        return [tok(v), kind, list(v.shape), dtype, v.tolist(), bool(v.requires_grad)]
    return ["object", repr(v)]


def sd_view(sd):
    meta = getattr(sd, "_metadata", None)
    items = [[k, value_view(v)] for k, v in sd.items()]
    return [type(sd).__name__, items, None if meta is None else [[k, dict(m)] for k, m in meta.items()]]


def message_view(message):
    header, *lines = message.split("\\n\\t")
    out = [header]
    for line in lines:
        keys = re.match(r"^(Missing|Unexpected) key\\(s\\) in state_dict: (.*)$", line, re.S)
        size = re.match(r"^size mismatch for (.*?): ", line)
        value = re.match(r'^While copying the parameter named "(.*?)", expected', line)
        if keys:
            out.append([keys.group(1), re.findall(r'"([^"]*)"', keys.group(2))])
        elif size:
            out.append(["size", size.group(1)])
        elif value:
            out.append(["not-tensor", value.group(1)])
        else:
            out.append(["other", line])
    return out


def load_view(thunk):
    try:
        result = thunk()
    except RuntimeError as exc:
        return ["raises", "RuntimeError", message_view(str(exc))]
    except Exception as exc:
        return ["raises", exception_kind(exc)]
    return ["returns", list(result.missing_keys), list(result.unexpected_keys), repr(result)]


def tree_view(root):
    out = []
    for path, m in root.named_modules(remove_duplicate=False):
        params = [[n, value_view(p)] for n, p in m.named_parameters(recurse=False, remove_duplicate=False)]
        buffers = [[n, value_view(b)] for n, b in m.named_buffers(recurse=False, remove_duplicate=False)]
        out.append([path, params, buffers, repr(getattr(m, "extra_loaded", None))])
    return out
'''


def tensor_source(values: np.ndarray, dtype: str) -> str:
    return f"tensor({values.reshape(-1).tolist()!r}, {dtype!r}).reshape({tuple(values.shape)!r})"


def value_source(value: Value) -> str:
    if value.shape is None:
        return repr(value.plain)
    count = int(np.prod(value.shape, dtype=np.int64))
    values = (np.arange(count, dtype=np.float64) * 3 + value.seed + 7).reshape(value.shape)
    return tensor_source(values.astype(value.dtype), value.dtype)


def build_steps(plan: SdPlan) -> list[Step]:
    """Statements that build the plan's tree: tensors, modules, then each module's registrations."""
    steps = [Step("helpers", HELPER_SOURCE)]
    bases: dict[int, str] = {}
    for i, p in enumerate(plan.tree.params):
        if p.base not in bases:
            bases[p.base] = f"T{p.base}"
            steps.append(Step("tensor", f"T{p.base} = {tensor_source(trees.tensor_values(p, i), p.dtype)}"))
        steps.append(
            Step(
                "parameter", f'P{i} = track("P{i}", nn.Parameter(T{p.base}, requires_grad={p.requires_grad}))'
            )
        )
    for i, b in enumerate(plan.tree.buffers):
        steps.append(
            Step("buffer", f'B{i} = track("B{i}", {tensor_source(trees.tensor_values(b, 100 + i), b.dtype)})')
        )
    for i, node in enumerate(plan.tree.nodes):
        make = f'Extra("m{i}")' if i in plan.extra_nodes else "Node()"
        steps.append(Step("module", f'm{i} = track("m{i}", {make})'))
        for e in node.entries:
            if e.kind == trees.CHILD:
                ref = "None" if e.ref is None else f"m{e.ref}"
                steps.append(Step("add_module", f"m{i}.add_module({e.name!r}, {ref})"))
            elif e.kind == trees.PARAM:
                ref = "None" if e.ref is None else f"P{e.ref}"
                steps.append(Step("register_parameter", f"m{i}.register_parameter({e.name!r}, {ref})"))
            else:
                ref = "None" if e.ref is None else f"B{e.ref}"
                persistent = "" if e.kind == trees.BUFFER else ", persistent=False"
                steps.append(Step("register_buffer", f"m{i}.register_buffer({e.name!r}, {ref}{persistent})"))
    return steps


def root_var(plan: SdPlan) -> str:
    return f"m{len(plan.tree.nodes) - 1}"


def load_dict_source(var: str, entries: list[tuple[str, Value]]) -> str:
    body = ", ".join(f"({key!r}, {value_source(value)})" for key, value in entries)
    return f"{var} = OrderedDict([{body}])"


Blamed = tuple[str, ...]


def op_steps(
    plan: SdPlan, op: tuple[Any, ...], index: int, root: trees.Node, oracle: Candidate
) -> tuple[list[tuple[Step, Blamed]], list[tuple[str, Blamed]]]:
    """The statements of one operation and the queries to compare after it, each with the clauses a
    departure there blames. ``root`` is the tree built on ``oracle``, for what a load plan holds."""
    var = root_var(plan)
    if op[0] == "save":
        _, prefix, keep_vars = op
        structure, values, detach, metadata = save_clauses(plan, prefix, keep_vars)
        saved = f"sd_view({var}.state_dict(prefix={prefix!r}, keep_vars={keep_vars}))"
        # value_view: [token, class, shape, dtype, values, requires_grad], or ["object", repr] (extra state)
        keys = f"(lambda s: [s[0], [k for k, _ in s[1]]])({saved})"
        data = f"(lambda s: [[k, v if v[0] == 'object' else v[2:5]] for k, v in s[1]])({saved})"
        kept = f"(lambda s: [[k, v[:2] + v[5:]] for k, v in s[1] if v[0] != 'object'])({saved})"
        # the dict and its keys first, then the values, what they are (detached or the registered
        # objects), and the metadata: a departure is blamed on the first part that shows it
        return [], [(keys, structure), (data, values), (kept, detach), (f"{saved}[2]", metadata)]
    _, entries, strict, assign, with_metadata = op
    load = LoadPlan.of(plan, root, entries, oracle)
    name = f"R{index}"
    steps = [(Step("load dict", load_dict_source(name, entries)), CLAUSES)]
    if with_metadata:
        source = f'{name}._metadata = getattr({var}.state_dict(), "_metadata", None)'
        *saved, metadata = save_clauses(plan, "", False)  # the statement takes a state_dict()
        steps.append((Step("metadata", source), tuple(c for part in saved for c in part) + metadata))
    call = f"load_view(lambda: {var}.load_state_dict({name}, strict={strict}, assign={assign}))"
    outcome, tree = load_clauses(load, strict, assign)
    steps.append((Step("load_state_dict", call, is_expression=True), outcome))
    return steps, [(f"tree_view({var})", tree)]


def shares(plan: SdPlan) -> bool:
    """Whether a module, parameter or buffer is registered more than once, or two parameters are made
    from one tensor (reachable or not)."""
    refs = [
        (e.kind if e.kind in (trees.CHILD, trees.PARAM) else trees.BUFFER, e.ref)
        for node in plan.tree.nodes
        for e in node.entries
        if e.ref is not None
    ]
    bases = [p.base for p in plan.tree.params]
    return len(set(refs)) < len(refs) or len(set(bases)) < len(bases)


def save_clauses(plan: SdPlan, prefix: str, keep_vars: bool) -> tuple[Blamed, Blamed, Blamed, Blamed]:
    """What a departure of a state_dict(prefix, keep_vars) of the plan's tree blames: in the dict's class
    and keys (which entries, named how, in what order), in the values' shapes, dtypes and numbers, in what
    the values are (detached tensors, or with keep_vars the registered objects), and in its _metadata."""
    shared = ["SD-SAVE-SHARED"] if shares(plan) else []
    extra = ["SD-SAVE-EXTRA-STATE"] if plan.extra_nodes else []
    structure = ["SD-SAVE-ENTRIES", "SD-SAVE-KEYS", "SD-SAVE-ORDER", *shared, *extra]
    structure += ["SD-SAVE-PREFIX"] if prefix else []
    values = ["SD-SAVE-ENTRIES", *shared, *extra]
    detach = ["SD-SAVE-KEEP-VARS" if keep_vars else "SD-SAVE-DETACH"]
    metadata = ["SD-META-VERSION", *(["SD-SAVE-PREFIX"] if prefix else [])]
    return tuple(structure), tuple(values), tuple(detach), tuple(metadata)


@dataclass(frozen=True)
class LoadPlan:
    """What a dict given to load_state_dict holds, measured against the tree's own state_dict."""

    missing: bool  # a key of the tree's state_dict is left out
    unexpected: bool  # a key names nothing loadable
    none_child: bool  # a key lies below a child slot holding None
    size_mismatch: bool  # a tensor of another shape than the tree's at its key
    non_tensor: bool  # a value that is not a tensor at a parameter's or buffer's key
    extra_state: bool  # the tree has extra state, or a key names some
    shared: bool  # the tree holds something under several keys (``shares``)

    @classmethod
    def of(
        cls, plan: SdPlan, root: trees.Node, entries: list[tuple[str, Value]], oracle: Candidate
    ) -> LoadPlan:
        expected = dict(expected_entries(root))
        under_none = tuple(
            trees.join(path, name) + "."
            for path, node in trees.module_paths(root)
            for name, kind, obj in node.entries
            if kind == trees.CHILD and obj is None
        )
        given = dict(entries)
        tensors = [(expected[k], v) for k, v in entries if k in expected and not k.endswith(EXTRA)]
        unknown = [k for k in given if k not in expected]
        return cls(
            missing=any(k not in given for k in expected),
            unexpected=any(not k.startswith(under_none) for k in unknown),
            none_child=any(k.startswith(under_none) for k in unknown),
            size_mismatch=any(
                v.shape is not None and tuple(v.shape) != tuple(oracle.shape(t)) for t, v in tensors
            ),
            non_tensor=any(v.shape is None for _, v in tensors),
            extra_state=bool(plan.extra_nodes) or any(k.endswith(EXTRA) for k in given),
            shared=shares(plan),
        )


def load_clauses(load: LoadPlan, strict: bool, assign: bool) -> tuple[Blamed, Blamed]:
    """What a departure of a load blames: in what load_state_dict returns or raises, and in the tree
    after it (compared only after a load that returns, so without size or value errors)."""
    writes = ["SD-LOAD-ASSIGN-IDENTITY", "SD-LOAD-ASSIGN-REQUIRES-GRAD"] if assign else ["SD-LOAD-COPIES"]
    mismatched = load.missing or load.unexpected
    extra = ["SD-LOAD-EXTRA-STATE"] if load.extra_state else []
    none_child = ["SD-LOAD-NONE-CHILD-KEYS"] if load.none_child else []
    outcome = [
        "SD-LOAD-MISSING",
        "SD-LOAD-UNEXPECTED",
        *writes,
        "SD-LOAD-STRICT-RAISES" if strict else "SD-LOAD-NONSTRICT-REPORTS",
        *(["SD-LOAD-SIZE-MISMATCH"] if load.size_mismatch else []),
        *(["SD-LOAD-NON-TENSOR"] if load.non_tensor else []),
        *(
            ["SD-LOAD-ERROR-MESSAGE"]
            if (strict and mismatched) or load.size_mismatch or load.non_tensor
            else []
        ),
        *none_child,
        *extra,
    ]
    tree = [
        *writes,
        *(["SD-LOAD-MISSING"] if load.missing else []),
        *(["SD-LOAD-UNEXPECTED"] if load.unexpected else []),  # an unexpected key loads nothing
        *(["SD-LOAD-NONSTRICT-REPORTS"] if not strict and mismatched else []),
        *(["SD-LOAD-SHARED"] if load.shared else []),
        *none_child,
        *extra,
    ]
    return tuple(outcome), tuple(tree)
