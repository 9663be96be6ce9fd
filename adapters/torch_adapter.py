"""The installed torch, the default candidate."""

from __future__ import annotations

from types import SimpleNamespace

from adapters.base import Candidate

TORCH_PRELUDE = """\
import torch
from torch import nn


def tensor(values, dtype="float32"):
    return torch.tensor(values, dtype=getattr(torch, dtype))
"""


def torch_namespace() -> SimpleNamespace:
    """The parts of ``torch.nn`` the suites drive, as a namespace."""
    from torch import nn

    names = ("Module", "Parameter", "Buffer")
    return SimpleNamespace(**{n: getattr(nn, n) for n in names if hasattr(nn, n)})


def make_candidate() -> Candidate:
    import torch

    ns = torch_namespace()
    lacks = set()
    if not hasattr(ns, "Buffer"):
        lacks.add("buffer_class")
    return Candidate(
        name="torch",
        version=torch.__version__,
        nn=ns,
        lacks=frozenset(lacks),
        repro_prelude=TORCH_PRELUDE,
        description="the installed PyTorch",
    )
