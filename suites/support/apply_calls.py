"""The conversions the apply suites draw: each a label and a function of (module, candidate).

A call is pure data (``Call``), so hypothesis shows it readably and every candidate runs the same one.
Labels name dtypes and devices the way the suites do (``to(float64)``, ``to(device('cpu'))``); the
candidate turns the names into its own dtype and device objects (:meth:`Candidate.dtype`,
:meth:`Candidate.device`). A call form only some frameworks have names the capability it ``needs``;
:func:`available` leaves it out for a candidate that lacks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support.apply_trees import is_complex, is_floating


@dataclass(frozen=True)
class Call:
    label: str
    run: Callable[[Any, Candidate], Any]
    values: bool = True  # whether values after the call are specified (not for to_empty)
    needs: frozenset[str] = frozenset()  # capabilities the call form needs

    def __repr__(self) -> str:
        return self.label


def _c(label: str, run: Callable[[Any, Candidate], Any], values: bool = True, needs: str = "") -> Call:
    return Call(label, run, values, frozenset(needs.split()))


CASTS = (
    _c("float()", lambda m, c: m.float()),
    _c("double()", lambda m, c: m.double()),
    _c("half()", lambda m, c: m.half()),
    _c("bfloat16()", lambda m, c: m.bfloat16()),
    _c("type(float64)", lambda m, c: m.type(c.dtype("float64"))),
    _c("type('torch.FloatTensor')", lambda m, c: m.type("torch.FloatTensor"), needs="tensor_type_names"),
    _c("to(float64)", lambda m, c: m.to(c.dtype("float64"))),
    _c("to(dtype=float16)", lambda m, c: m.to(dtype=c.dtype("float16"))),
    _c("to('cpu', float64)", lambda m, c: m.to("cpu", c.dtype("float64"))),
    _c(
        "to(device('cpu'), dtype=float32, non_blocking=True)",
        lambda m, c: m.to(c.device("cpu"), dtype=c.dtype("float32"), non_blocking=True),
    ),
    _c(
        "to(tensor of float64)",
        lambda m, c: m.to(c.tensor([0.0], "float64")),
        needs="to_tensor_argument",
    ),
    _c("to(complex128)", lambda m, c: m.to(c.dtype("complex128")), needs="complex_dtypes"),
)
MOVES = (
    _c("cpu()", lambda m, c: m.cpu()),
    _c("to('cpu')", lambda m, c: m.to("cpu")),
    _c("to('meta')", lambda m, c: m.to("meta"), needs="meta_device"),
    _c(
        "to(device='meta', dtype=float64)",
        lambda m, c: m.to(device="meta", dtype=c.dtype("float64")),
        needs="meta_device",
    ),
    _c("to_empty(device='cpu')", lambda m, c: m.to_empty(device="cpu"), values=False, needs="to_empty"),
    _c(
        "to_empty(device='meta')",
        lambda m, c: m.to_empty(device="meta"),
        values=False,
        needs="to_empty meta_device",
    ),
    _c(
        "to_empty(device='meta', recurse=False)",
        lambda m, c: m.to_empty(device="meta", recurse=False),
        values=False,
        needs="to_empty meta_device",
    ),
)
ERRORS = (
    _c("to(int64)", lambda m, c: m.to(c.dtype("int64"))),
    _c("to(dtype=bool)", lambda m, c: m.to(dtype=c.dtype("bool"))),
    _c("type(int32)", lambda m, c: m.type(c.dtype("int32"))),
    _c("to('meta').to('cpu')", lambda m, c: m.to("meta").to("cpu"), needs="meta_device"),
)
CPU_CALLS = CASTS + MOVES + ERRORS

T = TypeVar("T", bound="Call | Cast")


def available(cand: Candidate, calls: Iterable[T]) -> list[T]:
    """The calls whose forms the candidate has (none of their ``needs`` in ``cand.lacks``)."""
    return [call for call in calls if not call.needs & cand.lacks]


def calls(cand: Candidate) -> st.SearchStrategy[Call]:
    return st.sampled_from(available(cand, CPU_CALLS))


# What one cast does to the dtype of each tensor, from its dtype before (dtype names).
def floating_only(target: str) -> Callable[[str], str]:
    """float(), double(), half(), bfloat16(): real floating tensors only (APPLY-FLOAT-ONLY)."""
    return lambda d: target if is_floating(d) else d


def floating_or_complex(target: str) -> Callable[[str], str]:
    """to(dtype): floating and complex tensors (APPLY-TO-DTYPE-FLOATING)."""
    return lambda d: target if (is_floating(d) or is_complex(d)) else d


def every_tensor(target: str) -> Callable[[str], str]:
    """type(dtype): every tensor (APPLY-TYPE-ALL)."""
    return lambda d: target


@dataclass(frozen=True)
class Cast:
    """A dtype conversion of a whole module with the rule it follows per tensor."""

    label: str
    run: Callable[[Any, Candidate], Any]
    rule: Callable[[str], str]
    needs: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return self.label


FLOAT_METHODS = (
    Cast("float()", lambda m, c: m.float(), floating_only("float32")),
    Cast("double()", lambda m, c: m.double(), floating_only("float64")),
    Cast("half()", lambda m, c: m.half(), floating_only("float16")),
    Cast("bfloat16()", lambda m, c: m.bfloat16(), floating_only("bfloat16")),
)
TO_DTYPE = (
    Cast("to(dtype=float64)", lambda m, c: m.to(dtype=c.dtype("float64")), floating_or_complex("float64")),
    Cast("to(dtype=float16)", lambda m, c: m.to(dtype=c.dtype("float16")), floating_or_complex("float16")),
    Cast(
        "to(dtype=complex64)",
        lambda m, c: m.to(dtype=c.dtype("complex64")),
        floating_or_complex("complex64"),
        frozenset({"complex_dtypes"}),
    ),
)
TYPE_CASTS = (
    Cast("type(float64)", lambda m, c: m.type(c.dtype("float64")), every_tensor("float64")),
    Cast(
        "type(complex64)",
        lambda m, c: m.type(c.dtype("complex64")),
        every_tensor("complex64"),
        frozenset({"complex_dtypes"}),
    ),
)
DTYPE_RULES: dict[str, Cast] = {c.label: c for c in FLOAT_METHODS + TO_DTYPE + TYPE_CASTS}


def casts(cand: Candidate, group: Iterable[Cast] = DTYPE_RULES.values()) -> st.SearchStrategy[Cast]:
    """The casts of ``group`` the candidate has, in a fixed order."""
    return st.sampled_from(sorted(available(cand, group), key=lambda c: c.label))
