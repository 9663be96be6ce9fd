"""The conversions the apply suites draw: each a label and a function of (module, candidate ``nn``).

A call is pure data (``Call``), so hypothesis shows it readably and both candidates run the same one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis import strategies as st


@dataclass(frozen=True)
class Call:
    label: str
    run: Callable[[Any], Any]
    values: bool = True  # whether values after the call are specified (not for to_empty)

    def __repr__(self) -> str:
        return self.label


def _c(label: str, run: Callable[[Any], Any], values: bool = True) -> Call:
    return Call(label, run, values)


CASTS = (
    _c("float()", lambda m: m.float()),
    _c("double()", lambda m: m.double()),
    _c("half()", lambda m: m.half()),
    _c("bfloat16()", lambda m: m.bfloat16()),
    _c("type(torch.float64)", lambda m: m.type(torch.float64)),
    _c("type('torch.FloatTensor')", lambda m: m.type("torch.FloatTensor")),
    _c("to(torch.float64)", lambda m: m.to(torch.float64)),
    _c("to(dtype=torch.float16)", lambda m: m.to(dtype=torch.float16)),
    _c("to('cpu', torch.float64)", lambda m: m.to("cpu", torch.float64)),
    _c(
        "to(torch.device('cpu'), dtype=torch.float32, non_blocking=True)",
        lambda m: m.to(torch.device("cpu"), dtype=torch.float32, non_blocking=True),
    ),
    _c("to(torch.zeros(1, dtype=torch.float64))", lambda m: m.to(torch.zeros(1, dtype=torch.float64))),
    _c("to(torch.complex128)", lambda m: m.to(torch.complex128)),
)
MOVES = (
    _c("cpu()", lambda m: m.cpu()),
    _c("to('cpu')", lambda m: m.to("cpu")),
    _c("to('meta')", lambda m: m.to("meta")),
    _c("to(device='meta', dtype=torch.float64)", lambda m: m.to(device="meta", dtype=torch.float64)),
    _c("to_empty(device='cpu')", lambda m: m.to_empty(device="cpu"), values=False),
    _c("to_empty(device='meta')", lambda m: m.to_empty(device="meta"), values=False),
    _c(
        "to_empty(device='meta', recurse=False)",
        lambda m: m.to_empty(device="meta", recurse=False),
        values=False,
    ),
)
ERRORS = (
    _c("to(torch.int64)", lambda m: m.to(torch.int64)),
    _c("to(torch.bool)", lambda m: m.to(torch.bool)),
    _c("type(torch.int32)", lambda m: m.type(torch.int32)),
    _c("to('meta').to('cpu')", lambda m: m.to("meta").to("cpu")),
)
CPU_CALLS = CASTS + MOVES + ERRORS


def calls() -> st.SearchStrategy[Call]:
    return st.sampled_from(CPU_CALLS)


# expected dtype of one tensor after each cast, from its dtype before (APPLY-FLOAT-ONLY and friends)
def _floating_only(target: torch.dtype) -> Callable[[torch.dtype], torch.dtype]:
    return lambda d: target if d.is_floating_point else d


def _floating_or_complex(target: torch.dtype) -> Callable[[torch.dtype], torch.dtype]:
    return lambda d: target if (d.is_floating_point or d.is_complex) else d


DTYPE_RULES: dict[str, tuple[Callable[[Any], Any], Callable[[torch.dtype], torch.dtype]]] = {
    "float()": (lambda m: m.float(), _floating_only(torch.float32)),
    "double()": (lambda m: m.double(), _floating_only(torch.float64)),
    "half()": (lambda m: m.half(), _floating_only(torch.float16)),
    "bfloat16()": (lambda m: m.bfloat16(), _floating_only(torch.bfloat16)),
    "to(torch.float64)": (lambda m: m.to(torch.float64), _floating_or_complex(torch.float64)),
    "to(dtype=torch.float16)": (lambda m: m.to(dtype=torch.float16), _floating_or_complex(torch.float16)),
    "to(torch.complex64)": (lambda m: m.to(torch.complex64), _floating_or_complex(torch.complex64)),
    "type(torch.float64)": (lambda m: m.type(torch.float64), lambda d: torch.float64),
    "type(torch.complex64)": (lambda m: m.type(torch.complex64), lambda d: torch.complex64),
}
