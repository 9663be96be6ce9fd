"""Small module builders and strategies shared by the hooks clause tests.

Every tensor is made, read and differentiated through the candidate (``cand``), so the same tests run on
a framework whose tensors are not torch tensors.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

from adapters.base import Candidate

WIDTH = 3
vectors = st.lists(st.integers(-3, 3).map(float), min_size=WIDTH, max_size=WIDTH)


def has(cand: Candidate, capability: str) -> bool:
    """Whether the candidate has a capability of spec/capabilities.yaml. Tests use it to leave out an
    optional part (global hooks, backward pre-hooks...) that the clauses they check do not require."""
    return capability not in cand.lacks


def filled(cand: Candidate, value: float, requires_grad: bool = False) -> Any:
    """A candidate float32 tensor of WIDTH elements, all ``value``."""
    return cand.tensor([value] * WIDTH, requires_grad=requires_grad)


def scaler(cand: Candidate, factor: float = 2.0, fails: bool = False) -> Any:
    """A module whose forward multiplies its input by a weight (and optionally raises)."""
    nn = cand.nn

    class Scaler(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(filled(cand, factor))

        def forward(self, x: Any, y: Any = None) -> Any:
            if fails:
                raise KeyError("forward failed")
            out = x * self.w
            return out if y is None else out + y

    return Scaler()


def chain(cand: Candidate, depth: int) -> tuple[Any, list[Any], list[str]]:
    """A root with ``depth`` nested single children; returns (root, modules, state-dict prefixes)."""
    nn = cand.nn

    class Node(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(filled(cand, 1.0))
            self.register_buffer("b", filled(cand, 0.0))

    modules = [Node() for _ in range(depth + 1)]
    for parent, child in itertools.pairwise(modules):
        parent.add_module("sub", child)
    prefixes = ["sub." * i for i in range(depth + 1)]
    return modules[0], modules, prefixes


def values(cand: Candidate, t: Any) -> list[float]:
    """The elements of a candidate tensor, flattened and rounded to 4 decimals."""
    return [round(float(v), 4) for v in cand.to_numpy(t).reshape(-1)]
