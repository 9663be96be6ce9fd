"""The vocabulary of the registration differential test: statements it may run and queries it observes.

Statements and queries are Python source text (see ``program.py``). Each query names the clauses whose
behaviour it observes, so a difference is reported against those clauses.
"""

from __future__ import annotations

from dataclasses import dataclass

# Attribute names programs use. Mostly ordinary names, so entries collide and replace each other;
# "0" is valid but hidden from dir(); "training" and "forward" already exist on every module; the
# last three are invalid registration names.
ORDINARY_NAMES = ("a", "b", "w", "0")
TAKEN_NAMES = ("training", "forward")
INVALID_NAMES = ("", "a.b", 1)
OBSERVED_NAMES = ORDINARY_NAMES + TAKEN_NAMES


@dataclass(frozen=True)
class Query:
    key: str
    expression: str
    clauses: tuple[str, ...]
    requires: tuple[str, ...] = ()


def module_queries(var: str) -> list[Query]:
    """Everything observable about one module of the program, through public API only."""
    pairs = "[(n, tok(v)) for n, v in {call}]"
    q = []

    def add(label: str, expression: str, clauses: tuple[str, ...], requires: tuple[str, ...] = ()) -> None:
        q.append(Query(f"{var}.{label}", expression, clauses, requires))

    add(
        "named_parameters()",
        pairs.format(call=f"{var}.named_parameters()"),
        ("REG-ITER-PARAMS-ORDER", "REG-ITER-PARAMS-NAMES", "REG-ITER-PARAMS-DEDUP", "REG-ITER-PARAMS-NONE"),
    )
    add(
        "named_parameters(prefix='pre', recurse=False)",
        pairs.format(call=f"{var}.named_parameters(prefix='pre', recurse=False)"),
        ("REG-ITER-PARAMS-PREFIX", "REG-ITER-PARAMS-RECURSE"),
    )
    add(
        "named_parameters(remove_duplicate=False)",
        pairs.format(call=f"{var}.named_parameters(remove_duplicate=False)"),
        ("REG-ITER-PARAMS-NODEDUP",),
        ("remove_duplicate",),
    )
    add("parameters()", f"[tok(v) for v in {var}.parameters()]", ("REG-ITER-PARAMETERS",))
    add(
        "named_buffers()",
        pairs.format(call=f"{var}.named_buffers()"),
        ("REG-ITER-BUFFERS-ORDER", "REG-ITER-BUFFERS-DEDUP", "REG-ITER-BUFFERS-NONE"),
    )
    add(
        "named_buffers(prefix='pre', recurse=False)",
        pairs.format(call=f"{var}.named_buffers(prefix='pre', recurse=False)"),
        ("REG-ITER-BUFFERS-PREFIX", "REG-ITER-BUFFERS-RECURSE"),
    )
    add(
        "named_buffers(remove_duplicate=False)",
        pairs.format(call=f"{var}.named_buffers(remove_duplicate=False)"),
        ("REG-ITER-BUFFERS-DEDUP",),
        ("remove_duplicate",),
    )
    add("buffers()", f"[tok(v) for v in {var}.buffers()]", ("REG-ITER-BUFFERS",))
    add(
        "named_children()",
        pairs.format(call=f"{var}.named_children()"),
        ("REG-ITER-CHILDREN", "REG-ITER-CHILDREN-DEDUP"),
    )
    add(
        "named_modules()",
        pairs.format(call=f"{var}.named_modules()"),
        ("REG-ITER-MODULES-SELF", "REG-ITER-MODULES-ORDER", "REG-ITER-MODULES-DEDUP"),
    )
    add(
        "named_modules(prefix='pre', remove_duplicate=False)",
        pairs.format(call=f"{var}.named_modules(prefix='pre', remove_duplicate=False)"),
        ("REG-ITER-MODULES-PREFIX", "REG-ITER-MODULES-NODEDUP"),
        ("remove_duplicate",),
    )
    add("modules()", f"[tok(v) for v in {var}.modules()]", ("REG-ITER-MODULES",))
    add(
        "modules(remove_duplicate=False)",
        f"[tok(v) for v in {var}.modules(remove_duplicate=False)]",
        ("REG-ITER-MODULES-REMOVE-DUPLICATE",),
        ("remove_duplicate",),
    )
    add("training", f"tok({var}.training)", ("REG-TRAIN-DEFAULT", "REG-TRAIN-RECURSIVE", "REG-EVAL"))
    add(
        "attributes",
        f"[(n, attr({var}, n)) for n in {list(OBSERVED_NAMES)!r}]",
        (
            "REG-SETATTR-PARAM",
            "REG-SETATTR-MODULE",
            "REG-SETATTR-TENSOR-NEW",
            "REG-SETATTR-PLAIN",
            "REG-GETATTR-MISSING",
            "REG-DELATTR-REGISTERED",
        ),
    )
    add(
        "state_dict keys",
        f"list({var}.state_dict())",
        (
            "REG-BUF-REGISTER",
            "REG-BUF-NONPERSISTENT",
            "REG-BUF-NONE",
            "REG-SETATTR-TENSOR-ONTO-BUFFER",
            "REG-SETATTR-NONE-ONTO-BUFFER",
            "REG-PARAM-NONE",
        ),
        ("state_dict",),
    )
    add("dir", f"[n for n in dir({var}) if n in {list(OBSERVED_NAMES)!r}]", ("REG-DIR",), ("module_dir",))
    add("repr", f"repr({var})", ("REG-REPR-LEAF", "REG-REPR-CHILDREN"), ("module_repr",))
    return q


def parameter_queries(var: str) -> list[Query]:
    return [
        Query(
            f"{var} requires_grad and grad",
            f"grad_state({var})",
            ("REG-REQUIRES-GRAD", "REG-ZERO-GRAD-NONE", "REG-ZERO-GRAD-ZERO"),
            ("autograd",),
        )
    ]


def attribute_target(var: str, name: str | int) -> str:
    """Source that assigns to ``var.<name>``: attribute syntax where Python allows it."""
    if isinstance(name, str) and name.isidentifier():
        return f"{var}.{name}"
    return f"setattr({var}, {name!r}, "  # completed by assign()


def assign(var: str, name: str | int, value: str) -> str:
    target = attribute_target(var, name)
    return f"{target}{value})" if target.endswith(", ") else f"{target} = {value}"


def delete(var: str, name: str | int) -> str:
    if isinstance(name, str) and name.isidentifier():
        return f"del {var}.{name}"
    return f"delattr({var}, {name!r})"


# The clauses each kind of statement exercises: a differing outcome is reported against them.
STATEMENT_CLAUSES: dict[str, tuple[str, ...]] = {
    "setattr": (
        "REG-SETATTR-PARAM",
        "REG-SETATTR-MODULE",
        "REG-SETATTR-TENSOR-NEW",
        "REG-SETATTR-TENSOR-ONTO-BUFFER",
        "REG-SETATTR-NONE-ONTO-PARAM",
        "REG-SETATTR-NONE-ONTO-MODULE",
        "REG-SETATTR-NONE-ONTO-BUFFER",
        "REG-SETATTR-WRONG-ONTO-PARAM",
        "REG-SETATTR-WRONG-ONTO-MODULE",
        "REG-SETATTR-WRONG-ONTO-BUFFER",
        "REG-SETATTR-PARAM-REPLACES",
        "REG-SETATTR-MODULE-REPLACES",
        "REG-SETATTR-PLAIN",
        "REG-SETATTR-BUFFER-CLASS",
    ),
    "register_parameter": (
        "REG-PARAM-REGISTER",
        "REG-PARAM-NONE",
        "REG-PARAM-REPLACE-KEEPS-POSITION",
        "REG-PARAM-NAME-TYPE",
        "REG-PARAM-NAME-DOT",
        "REG-PARAM-NAME-EMPTY",
        "REG-PARAM-NAME-TAKEN",
        "REG-PARAM-VALUE-TYPE",
    ),
    "register_buffer": (
        "REG-BUF-REGISTER",
        "REG-BUF-NONPERSISTENT",
        "REG-BUF-NONE",
        "REG-BUF-REREGISTER",
        "REG-BUF-NAME-TYPE",
        "REG-BUF-NAME-DOT",
        "REG-BUF-NAME-EMPTY",
        "REG-BUF-NAME-TAKEN",
        "REG-BUF-VALUE-TYPE",
    ),
    "add_module": (
        "REG-MOD-ADD",
        "REG-MOD-REGISTER-ALIAS",
        "REG-MOD-NONE",
        "REG-MOD-REPLACE-KEEPS-POSITION",
        "REG-MOD-VALUE-TYPE",
        "REG-MOD-NAME-TYPE",
        "REG-MOD-NAME-DOT",
        "REG-MOD-NAME-EMPTY",
        "REG-MOD-NAME-TAKEN",
    ),
    "delattr": ("REG-DELATTR-REGISTERED", "REG-DELATTR-PLAIN"),
    "train": ("REG-TRAIN-RECURSIVE", "REG-EVAL", "REG-TRAIN-NONBOOL"),
    "requires_grad_": ("REG-REQUIRES-GRAD",),
    "zero_grad": ("REG-ZERO-GRAD-NONE", "REG-ZERO-GRAD-ZERO"),
    "apply": ("REG-APPLY-VISITS", "REG-APPLY-ORDER"),
    "get_submodule": ("REG-GETSUB-PATH", "REG-GETSUB-MISSING", "REG-GETSUB-NOT-MODULE"),
    "set_submodule": (
        "REG-SETSUB-REPLACE",
        "REG-SETSUB-CREATE",
        "REG-SETSUB-STRICT-MISSING",
        "REG-SETSUB-TARGET-NOT-MODULE",
        "REG-SETSUB-PARENT-MISSING",
    ),
    "get_parameter": ("REG-GETPARAM-PATH", "REG-GETPARAM-ERRORS"),
    "get_buffer": ("REG-GETBUF-PATH", "REG-GETBUF-ERRORS"),
    "create": ("REG-PARAMETER-REQUIRES-GRAD-DEFAULT", "REG-PARAMETER-REQUIRES-GRAD-FALSE"),
}

STATEMENT_REQUIRES: dict[str, tuple[str, ...]] = {
    "get_submodule": ("path_lookup",),
    "get_parameter": ("path_lookup",),
    "get_buffer": ("path_lookup",),
    "set_submodule": ("set_submodule",),
    "zero_grad": ("autograd",),
}


def all_clauses() -> set[str]:
    ids = {c for clauses in STATEMENT_CLAUSES.values() for c in clauses}
    ids |= {c for q in module_queries("m") + parameter_queries("p") for c in q.clauses}
    return ids
