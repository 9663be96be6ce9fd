"""Small module builders and strategies shared by the hooks clause tests."""

from __future__ import annotations

import itertools
from typing import Any

import torch
from hypothesis import strategies as st

WIDTH = 3
vectors = st.lists(st.integers(-3, 3).map(float), min_size=WIDTH, max_size=WIDTH)


def scaler(nn: Any, factor: float = 2.0, fails: bool = False) -> Any:
    """A module whose forward multiplies its input by a weight (and optionally raises)."""

    class Scaler(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.full((WIDTH,), factor))

        def forward(self, x: Any, y: Any = None) -> Any:
            if fails:
                raise KeyError("forward failed")
            out = x * self.w
            return out if y is None else out + y

    return Scaler()


def chain(nn: Any, depth: int) -> tuple[Any, list[Any], list[str]]:
    """A root with ``depth`` nested single children; returns (root, modules, state-dict prefixes)."""

    class Node(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.ones(WIDTH))
            self.register_buffer("b", torch.zeros(WIDTH))

    modules = [Node() for _ in range(depth + 1)]
    for parent, child in itertools.pairwise(modules):
        parent.add_module("sub", child)
    prefixes = ["sub." * i for i in range(depth + 1)]
    return modules[0], modules, prefixes


def values(t: Any) -> list[float]:
    return [round(float(v), 4) for v in t.detach().reshape(-1)]
