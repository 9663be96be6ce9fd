"""Helpers for the containers clause tests: a recording module class, routes by which a value enters a
ParameterList or ParameterDict, and the expected layout of a ModuleList repr."""

from __future__ import annotations

from typing import Any

KEYS = ("a", "b", "enc", "dec", "x1", "z")
ROUTES_LIST = ("constructor", "append", "extend", "iadd", "setitem")
ROUTES_DICT = ("constructor", "update", "setitem", "setdefault", "ior")


def recorder_class(nn: Any) -> type:
    """A module class whose forward appends its tag to a list, and whose repr shows the tag."""

    class Recorder(nn.Module):
        def __init__(self, tag: int) -> None:
            super().__init__()
            self.tag = tag

        def forward(self, trail: list[Any]) -> list[Any]:
            return [*trail, self.tag]

        def extra_repr(self) -> str:
            return f"tag={self.tag}"

    return Recorder


def store_list(nn: Any, route: str, value: Any) -> tuple[Any, Any]:
    """Put ``value`` into a new ParameterList by ``route``; return the list and what it then holds."""
    if route == "constructor":
        container = nn.ParameterList([value])
    elif route == "append":
        container = nn.ParameterList().append(value)
    elif route == "extend":
        container = nn.ParameterList().extend([value])
    elif route == "iadd":
        container = nn.ParameterList()
        container += [value]
    else:
        container = nn.ParameterList([7])
        container[0] = value
    return container, container[0]


def store_dict(nn: Any, route: str, value: Any) -> tuple[Any, Any]:
    """Put ``value`` into a new ParameterDict under "k" by ``route``; return it and what it then holds."""
    if route == "constructor":
        container = nn.ParameterDict({"k": value})
    elif route == "update":
        container = nn.ParameterDict()
        container.update([("k", value)])
    elif route == "setdefault":
        container = nn.ParameterDict()
        container.setdefault("k", value)
    elif route == "ior":
        container = nn.ParameterDict()
        container |= nn.ParameterDict({"k": value})
    else:
        container = nn.ParameterDict()
        container["k"] = value
    return container, container["k"]


def _indent(text: str) -> str:
    lines = text.split("\n")
    return "\n".join([lines[0], *["  " + line for line in lines[1:]]])


def expected_module_list_repr(reprs: list[str]) -> str:
    """The repr torch documents by example for a ModuleList whose children have the given reprs."""
    if not reprs:
        return "ModuleList()"
    lines = []
    start = 0
    while start < len(reprs):
        end = start
        while end + 1 < len(reprs) and reprs[end + 1] == reprs[start]:
            end += 1
        if start == end:
            lines.append(_indent(f"({start}): {reprs[start]}"))
        else:
            lines.append(_indent(f"({start}-{end}): {end - start + 1} x {reprs[start]}"))
        start = end + 1
    return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"
