"""nnconform's own reference implementation, presented as a candidate."""

from __future__ import annotations

from types import SimpleNamespace

import nnconform
from adapters.base import Candidate

ORACLE_PRELUDE = f"""\
import sys

import torch

sys.path.insert(0, {str(nnconform.ROOT)!r})  # the nnconform checkout that holds oracle/
import oracle as nn


def tensor(values, dtype="float32"):
    return torch.tensor(values, dtype=getattr(torch, dtype))
"""


def make_candidate() -> Candidate:
    import oracle

    ns = SimpleNamespace(**{name: getattr(oracle, name) for name in oracle.__all__})
    lacks: set[str] = set()
    return Candidate(
        name="oracle",
        version=nnconform.__version__,
        nn=ns,
        lacks=frozenset(lacks),
        repro_prelude=ORACLE_PRELUDE,
        description="nnconform's reference oracle",
    )
