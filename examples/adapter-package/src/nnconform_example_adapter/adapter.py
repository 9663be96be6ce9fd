"""The ``example-torch`` candidate: what a framework's own nnconform adapter looks like.

The framework is the installed torch standing in for yours; each ``STEP`` comment says what a real
framework's adapter puts there.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

# nnconform is importable here: the adapter is loaded by nnconform's pytest plugin.
from adapters.base import Candidate

# STEP 4: the first lines of every reproducer script nnconform writes for a failing test. They must bind
# `nn` (the namespace below) and `tensor(values, dtype)`.
PRELUDE = """\
import torch
from torch import nn


def tensor(values, dtype="float32"):
    return torch.tensor(values, dtype=getattr(torch, dtype))
"""


def example_namespace() -> SimpleNamespace:
    """STEP 1: the framework's classes under torch's names. A framework whose module class says
    ``construct`` or ``execute`` where torch says ``forward`` gives the suites a thin subclass that maps
    the name, and nothing more."""
    from torch import nn

    names: dict[str, Any] = {n: getattr(nn, n) for n in dir(nn) if not n.startswith("_")}
    names["init"] = nn.init
    return SimpleNamespace(**names)


class ExampleCandidate(Candidate):
    """STEP 2: override the tensor methods of ``Candidate`` when the framework's tensors are not torch
    tensors: ``tensor``, ``to_numpy``, ``is_tensor``, ``dtype_name``, ``device_name``, ``grad``,
    ``no_grad``... This framework's tensors are torch's, so it keeps every default but one, shown as an
    example: devices are named as torch names them."""

    def device_name(self, t: Any) -> str:
        return str(t.device)


# STEP 3: capabilities (spec/capabilities.yaml) the framework does not have, one reason each. Declare only
# what is truly missing: a feature that exists but behaves differently is a verdict, not a lack.
EXAMPLE_LACKS: frozenset[str] = frozenset()


def make_candidate() -> Candidate:
    import torch

    return ExampleCandidate(
        name="example-torch",
        version=torch.__version__,
        nn=example_namespace(),
        lacks=EXAMPLE_LACKS,
        repro_prelude=PRELUDE,
        description="nnconform's worked example of a third-party adapter package (torch under another name)",
    )
