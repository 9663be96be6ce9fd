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


def queries(var: str, kind: str, with_state_dict: bool) -> list[Query]:
    """Everything observable about one container, through public API only."""
    pairs = "[(n, tok(v)) for n, v in {call}]"
    q = [
        Query("type", class_of(var)),
        Query("len", f"len({var})"),
        Query("named_children()", pairs.format(call=f"{var}.named_children()")),
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
