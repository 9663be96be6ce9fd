"""Which apply clauses a departure of the apply differential can come from.

The differential compares the outcome of one conversion and then every slot of the tree (see
``apply_trees.snapshot``: path, kind, description, identity, sharing, and for a parameter its ``.grad``'s
description and identity). A departure is blamed on the clauses that state the part that differs, and
on the clause of the conversion's own rule where the dtype, device or values differ; not on every clause
the test names.
"""

from __future__ import annotations

from typing import Any

# the clause of the rule each conversion follows, by the label of apply_calls' calls
_ERROR_RULES = {
    "to(int64)": ("APPLY-TO-DTYPE-ERROR",),
    "to(dtype=bool)": ("APPLY-TO-DTYPE-ERROR",),
    "type(int32)": ("APPLY-TYPE-INT-ERROR",),
    "to('meta').to('cpu')": ("APPLY-META-TO-ERROR",),
}


def rule_clauses(label: str) -> tuple[str, ...]:
    """The clauses stating what the conversion ``label`` does to each tensor."""
    if label in _ERROR_RULES:
        return _ERROR_RULES[label]
    if label in ("float()", "double()", "half()", "bfloat16()"):
        return ("APPLY-FLOAT-ONLY",)
    if label.startswith("type("):
        return ("APPLY-TYPE-ALL",)
    if label.startswith("to_empty("):
        return ("APPLY-TO-EMPTY",) + (("APPLY-TO-EMPTY-RECURSE",) if "recurse=False" in label else ())
    if label == "cpu()":
        return ("APPLY-CPU",)
    # a to() form: the forms clause, and the rule of what it asks for
    asked: tuple[str, ...] = ("APPLY-TO-FORMS",)
    if "meta" in label:
        asked += ("APPLY-IDENTITY-NEW",)
    elif "'cpu'" in label or "device(" in label:
        asked += ("APPLY-CPU",)
    if any(d in label for d in ("float", "complex", "tensor of")):
        asked += ("APPLY-TO-DTYPE-FLOATING",)
    return asked


def identity_clauses(label: str, overwrite: bool, swap: bool) -> tuple[str, ...]:
    """The clause deciding whether a parameter (or its .grad) keeps its object under these switches."""
    if swap:
        return ("APPLY-SWAP-FLAG",)
    if overwrite:
        return ("APPLY-OVERWRITE-FLAG",)
    if "meta" in label:
        return ("APPLY-IDENTITY-NEW",)
    return ("APPLY-IDENTITY-KEPT",)


def outcome_clauses(label: str) -> tuple[str, ...]:
    """A different return value or exception: the returns-self rule and the conversion's own."""
    return ("APPLY-RETURNS-SELF", *rule_clauses(label))


def slot_clauses(
    label: str, overwrite: bool, swap: bool, got: tuple[Any, ...], want: tuple[Any, ...]
) -> tuple[str, ...]:
    """The clauses a difference between one slot's rows (candidate ``got``, oracle ``want``) shows."""
    if label in _ERROR_RULES:  # a refused conversion must change nothing
        return _ERROR_RULES[label]
    blamed: list[str] = []
    kind = want[1]
    g_desc, w_desc = (got[2] or {}), (want[2] or {})
    if len(got) != len(want) or ("value" in g_desc) != ("value" in w_desc) or got[1] != kind:
        return ("APPLY-NONE-SLOTS", "APPLY-PARAM-STAYS-PARAMETER")
    if g_desc.get("parameter") != w_desc.get("parameter"):
        blamed.append("APPLY-PARAM-STAYS-PARAMETER")
    if (g_desc.get("requires_grad"), g_desc.get("leaf")) != (w_desc.get("requires_grad"), w_desc.get("leaf")):
        blamed.append("APPLY-REQUIRES-GRAD")
    if any(g_desc.get(k) != w_desc.get(k) for k in ("dtype", "device", "shape", "values")):
        blamed += ["APPLY-RECURSE", *rule_clauses(label)]
    if got[3:5] != want[3:5]:
        blamed += (
            ["APPLY-BUFFERS-REPLACED"] if kind != "param" else list(identity_clauses(label, overwrite, swap))
        )
    if got[5:6] != want[5:6]:
        blamed.append("APPLY-GRAD-CONVERTED")
    if got[6:7] != want[6:7]:
        blamed += ["APPLY-GRAD-CONVERTED", *identity_clauses(label, overwrite, swap)]
    return tuple(dict.fromkeys(blamed))
