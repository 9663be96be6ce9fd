"""State-dict programs: a generated tree and a sequence of saves and loads, as Python text that
:class:`suites.support.differential.Lockstep` runs on the candidate and the oracle side by side.

The first statement defines the helpers below (a module class with extra state, and views that turn
state dicts, load results and trees into plain data); so a shrunk program is a standalone reproducer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from suites.support import trees
from suites.support.differential import Step
from suites.support.state_dict_trees import SdPlan, Value

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
    "float32")."""
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        kind = "Parameter" if type(v) is nn.Parameter else type(v).__name__
        dtype = str(v.dtype).rpartition(".")[2]
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


def op_steps(plan: SdPlan, op: tuple[Any, ...], index: int) -> tuple[list[Step], list[str]]:
    """The statements of one operation and the queries to compare after it."""
    root = root_var(plan)
    if op[0] == "save":
        _, prefix, keep_vars = op
        return [], [f"sd_view({root}.state_dict(prefix={prefix!r}, keep_vars={keep_vars}))"]
    _, entries, strict, assign, with_metadata = op
    var = f"R{index}"
    steps = [Step("load dict", load_dict_source(var, entries))]
    if with_metadata:
        steps.append(Step("metadata", f'{var}._metadata = getattr({root}.state_dict(), "_metadata", None)'))
    call = f"load_view(lambda: {root}.load_state_dict({var}, strict={strict}, assign={assign}))"
    steps.append(Step("load_state_dict", call, is_expression=True))
    return steps, [f"tree_view({root})"]
