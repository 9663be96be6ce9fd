"""The vocabulary of the containers differential test: how containers are made and edited, what is
observed about them, and plain Python list/dict models for the containers whose documented semantics
are a list's (ModuleList) or an ordered dict's (ModuleDict).

Statements and queries are Python source text run by ``program.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict")
LIST_KINDS = ("Sequential", "ModuleList", "ParameterList")
DICT_KEYS = ("a", "b", "c", "w0")
# keys a ModuleDict rejects (taken attribute, dotted, empty, not a str)
BAD_MODULE_KEYS = ("keys", "training", "a.b", "", 1)

CLAUSES: dict[str, tuple[str, ...]] = {
    "Sequential": (
        "CONT-SEQ-INIT-POSITIONAL",
        "CONT-SEQ-INIT-ORDEREDDICT",
        "CONT-SEQ-INDEX",
        "CONT-SEQ-INDEX-ERRORS",
        "CONT-SEQ-SLICE",
        "CONT-SEQ-SETITEM",
        "CONT-SEQ-DELITEM",
        "CONT-SEQ-POP",
        "CONT-SEQ-APPEND",
        "CONT-SEQ-INSERT",
        "CONT-SEQ-EXTEND",
        "CONT-SEQ-ADD",
        "CONT-SEQ-IADD",
        "CONT-SEQ-MUL",
        "CONT-SEQ-MUL-ERRORS",
        "CONT-SEQ-ITER-LEN",
    ),
    "ModuleList": (
        "CONT-ML-INIT",
        "CONT-ML-INDEX",
        "CONT-ML-INDEX-ERRORS",
        "CONT-ML-SLICE",
        "CONT-ML-SETITEM",
        "CONT-ML-DELITEM",
        "CONT-ML-POP",
        "CONT-ML-APPEND",
        "CONT-ML-EXTEND",
        "CONT-ML-INSERT",
        "CONT-ML-ADD",
        "CONT-ML-CONTAINS",
    ),
    "ModuleDict": (
        "CONT-MD-INIT",
        "CONT-MD-UPDATE-ORDER",
        "CONT-MD-UPDATE-PAIRS-ERRORS",
        "CONT-MD-GETITEM",
        "CONT-MD-SETITEM",
        "CONT-MD-DELITEM-POP",
        "CONT-MD-VIEWS",
        "CONT-MD-CONTAINS-LEN-ITER",
        "CONT-MD-CLEAR",
    ),
    "ParameterList": (
        "CONT-PL-INIT",
        "CONT-PL-WRAP-TENSOR",
        "CONT-PL-INDEX",
        "CONT-PL-SLICE",
        "CONT-PL-APPEND-EXTEND",
        "CONT-PL-NON-TENSOR",
    ),
    "ParameterDict": (
        "CONT-PD-INIT",
        "CONT-PD-WRAP-TENSOR",
        "CONT-PD-UPDATE-ORDER",
        "CONT-PD-UPDATE-PLAIN-DICT-SORTED",
        "CONT-PD-KEY-TYPE",
        "CONT-PD-DICT-METHODS",
        "CONT-PD-NON-TENSOR",
        "CONT-PD-OR",
    ),
}


def all_clauses() -> set[str]:
    return {clause for clauses in CLAUSES.values() for clause in clauses}


# What each operation of the differential test exercises, per container class: a departure is blamed on
# the clauses of the operation(s) where it shows, not on every clause of the class. An operation a class
# does not have (or whose behaviour no clause of the class states) has no entry there. Besides edits, the
# table names the observations with a clause of their own (len, iteration, keys(), ...): a query that
# departs after an operation is blamed on the operation's clauses and the query's.
_SEQ, _ML, _MD, _PL, _PD = "CONT-SEQ-", "CONT-ML-", "CONT-MD-", "CONT-PL-", "CONT-PD-"
OP_CLAUSES: dict[str, dict[str, tuple[str, ...]]] = {
    "Sequential": {
        "new-positional": (_SEQ + "INIT-POSITIONAL",),
        "new-ordereddict": (_SEQ + "INIT-ORDEREDDICT",),
        # Sequential(dict) is one positional argument that is not a Module (CONT-SEQ-INIT-PLAIN-DICT, a
        # clause the differential test does not name): blamed on both constructor forms
        "new-dict": (_SEQ + "INIT-POSITIONAL", _SEQ + "INIT-ORDEREDDICT"),
        "index": (_SEQ + "INDEX",),
        "index-error": (_SEQ + "INDEX-ERRORS",),
        "slice": (_SEQ + "SLICE",),
        "setitem": (_SEQ + "SETITEM",),
        "delitem": (_SEQ + "DELITEM",),
        "pop": (_SEQ + "POP", _SEQ + "DELITEM"),  # pop deletes as del does
        "append": (_SEQ + "APPEND",),
        "extend": (_SEQ + "EXTEND",),
        "insert": (_SEQ + "INSERT",),
        "add": (_SEQ + "ADD",),
        "iadd": (_SEQ + "IADD",),
        "mul": (_SEQ + "MUL",),
        "mul-error": (_SEQ + "MUL-ERRORS",),
        "len": (_SEQ + "ITER-LEN",),
        "elements": (_SEQ + "ITER-LEN",),
    },
    "ModuleList": {
        "new": (_ML + "INIT",),
        "index": (_ML + "INDEX",),
        "index-error": (_ML + "INDEX-ERRORS",),
        "slice": (_ML + "SLICE",),
        "setitem": (_ML + "SETITEM",),
        "delitem": (_ML + "DELITEM",),
        "pop": (_ML + "POP", _ML + "DELITEM"),
        "append": (_ML + "APPEND",),
        "extend": (_ML + "EXTEND",),
        "insert": (_ML + "INSERT",),
        "add": (_ML + "ADD",),
        "contains": (_ML + "CONTAINS",),
    },
    "ModuleDict": {
        "new": (_MD + "INIT",),  # with "update": the constructor adds the entries as update does
        "update": (_MD + "UPDATE-ORDER",),
        "update-plain-dict": (_MD + "UPDATE-ORDER",),
        "update-error": (_MD + "UPDATE-PAIRS-ERRORS",),
        "getitem": (_MD + "GETITEM",),
        "setitem": (_MD + "SETITEM",),
        "delitem": (_MD + "DELITEM-POP",),
        "pop": (_MD + "DELITEM-POP",),
        "clear": (_MD + "CLEAR",),
        "contains": (_MD + "CONTAINS-LEN-ITER",),
        "len": (_MD + "CONTAINS-LEN-ITER",),
        "iter": (_MD + "CONTAINS-LEN-ITER",),
        "keys()": (_MD + "VIEWS",),
        "items()": (_MD + "VIEWS",),
    },
    "ParameterList": {
        "new": (_PL + "INIT",),
        "tensor": (_PL + "WRAP-TENSOR",),  # a tensor or a Parameter stored
        "non-tensor": (_PL + "NON-TENSOR",),  # anything else stored
        "index": (_PL + "INDEX",),
        "index-error": (_PL + "INDEX",),
        "slice": (_PL + "SLICE",),
        "setitem": (_PL + "INDEX",),
        "append": (_PL + "APPEND-EXTEND",),
        "extend": (_PL + "APPEND-EXTEND",),
        "len": (_PL + "APPEND-EXTEND",),
        "elements": (_PL + "APPEND-EXTEND",),
    },
    "ParameterDict": {
        "new": (_PD + "INIT",),
        "tensor": (_PD + "WRAP-TENSOR",),
        "non-tensor": (_PD + "NON-TENSOR",),
        "update": (_PD + "UPDATE-ORDER",),
        "update-plain-dict": (_PD + "UPDATE-PLAIN-DICT-SORTED",),
        "update-error": (_PD + "UPDATE-ORDER",),
        "key-type": (_PD + "KEY-TYPE",),
        "getitem": (_PD + "DICT-METHODS",),
        "setitem": (_PD + "DICT-METHODS",),
        "delitem": (_PD + "DICT-METHODS",),
        "pop": (_PD + "DICT-METHODS",),
        "clear": (_PD + "DICT-METHODS",),
        "dict-method": (_PD + "DICT-METHODS",),
        "contains": (_PD + "DICT-METHODS",),
        "or": (_PD + "OR",),
        "len": (_PD + "DICT-METHODS",),
        "iter": (_PD + "DICT-METHODS",),
        "keys()": (_PD + "DICT-METHODS",),
        "items()": (_PD + "DICT-METHODS",),
    },
}
OPS = frozenset(op for table in OP_CLAUSES.values() for op in table)
# every clause of a class is some operation's (so the test can blame each), and no other class's
assert all({c for ids in t.values() for c in ids} == set(CLAUSES[k]) for k, t in OP_CLAUSES.items())


def op_clauses(kind: str, *ops: str) -> tuple[str, ...]:
    """The clauses of ``kind`` that the operations ``ops`` exercise, in ``CLAUSES`` order; an operation
    without an entry for ``kind`` adds none. All of the class's clauses when none is left."""
    unknown = set(ops) - OPS
    assert not unknown, f"unknown container operations {sorted(unknown)}"
    return merge_clauses(kind, *(OP_CLAUSES[kind].get(op, ()) for op in ops))


def merge_clauses(kind: str, *groups: tuple[str, ...]) -> tuple[str, ...]:
    """The union of clause groups of ``kind``, in ``CLAUSES`` order; all of them when the union is empty."""
    named = {c for group in groups for c in group}
    return tuple(c for c in CLAUSES[kind] if c in named) or CLAUSES[kind]


def class_of(expression: str) -> str:
    """Query text naming the class of ``expression``'s value by the container name under which ``nn``
    holds that exact class, else by the class's own name. A framework may call its ModuleList class
    something else and export it as ``nn.ModuleList`` too: the name is not what is compared, the class is."""
    return (
        f"next((k for k in {KINDS!r} if type({expression}) is getattr(nn, k, None)), "
        f"type({expression}).__name__)"
    )


@dataclass(frozen=True)
class Query:
    key: str
    expression: str


def queries(var: str, kind: str, with_state_dict: bool, names_of: str = "child_names({})") -> list[Query]:
    """Everything observable about one container, through public API only (``names_of``: the query
    template for every name a child is held under)."""
    pairs = "[(n, tok(v)) for n, v in {call}]"
    q = [
        Query("type", class_of(var)),
        Query("len", f"len({var})"),
        Query("named_children()", pairs.format(call=f"{var}.named_children()")),
        # every name a child is held under (named_children() lists a shared child once): a later edit
        # can depend on them, so they must agree after the edit that set them for its blame to be sound
        Query("child names", names_of.format(var)),
        Query("named_parameters()", pairs.format(call=f"{var}.named_parameters()")),
        Query(
            "parameter kinds",
            f"[(n, bool(v.requires_grad), v.tolist()) for n, v in {var}.named_parameters()]",
        ),
    ]
    if kind in LIST_KINDS:
        q.append(Query("elements", f"[tok(x) for x in {var}]"))
    else:
        q.append(Query("keys()", f"list({var}.keys())"))
        q.append(Query("items()", f"[(k, tok(v)) for k, v in {var}.items()]"))
        q.append(Query("iter", f"list({var})"))
    if kind in ("ParameterList", "ParameterDict"):
        elements = f"{var}" if kind == "ParameterList" else f"{var}.values()"
        # whether each element is one of the registered parameters, and whether it is a tensor at all
        kinds = (
            f"[(any(x is p for p in {var}.parameters()), hasattr(x, 'requires_grad')) for x in {elements}]"
        )
        q.append(Query("element kinds", kinds))
    if with_state_dict:
        q.append(Query("state_dict keys", f"list({var}.state_dict().keys())"))
    return q


# --- plain Python models --------------------------------------------------------------------------


def list_model_outcome(model: list[str], op: str, args: tuple[Any, ...]) -> tuple[str, Any]:
    """Apply a list operation to ``model`` (tokens) in place.

    Returns ("returns", value) or ("raises", exception kind)."""
    try:
        if op == "getitem":
            result: Any = model[args[0]]
        elif op == "setitem":
            model[args[0]] = args[1]
            result = None
        elif op == "delitem":
            del model[args[0]]
            result = None
        elif op == "pop":
            result = model.pop(args[0])
        elif op == "append":
            model.append(args[0])
            result = "self"
        elif op == "extend":
            model.extend(args[0])
            result = "self"
        elif op == "insert":
            model.insert(args[0], args[1])
            result = None
        elif op == "contains":
            result = args[0] in model
        else:  # pragma: no cover - a vocabulary error in the test itself
            raise AssertionError(f"unknown list op {op}")
    except (IndexError, TypeError, KeyError, ValueError) as exc:
        return ("raises", type(exc).__name__)
    return ("returns", result)


def dict_model_outcome(model: dict[str, str], op: str, args: tuple[Any, ...]) -> tuple[str, Any]:
    """Apply a dict operation to ``model`` in place; return ("returns", value) or ("raises", kind)."""
    try:
        if op == "getitem":
            result: Any = model[args[0]]
        elif op == "setitem":
            model[args[0]] = args[1]
            result = None
        elif op == "delitem":
            del model[args[0]]
            result = None
        elif op == "pop":
            result = model.pop(args[0])
        elif op == "update":
            for key, value in args[0]:
                model[key] = value
            result = None
        elif op == "clear":
            model.clear()
            result = None
        elif op == "contains":
            result = args[0] in model
        else:  # pragma: no cover
            raise AssertionError(f"unknown dict op {op}")
    except (KeyError, TypeError) as exc:
        return ("raises", type(exc).__name__)
    return ("returns", result)
