"""The candidate and the oracle convert equal trees alike.

Both build the same drawn tree (sharing, None slots, parameters with and without ``.grad``, buffers of
every dtype kind), run the same drawn conversion under the same ``torch.__future__`` switches, and must
agree on the outcome and on every slot: dtype, device, shape, values, class, requires_grad, the
``.grad``, and which slots hold the objects registered before the call.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support.apply_calls import calls
from suites.support.apply_trees import apply_plans, build, future_flags, outcome, snapshot

CLAUSES = (
    "APPLY-RETURNS-SELF",
    "APPLY-RECURSE",
    "APPLY-NONE-SLOTS",
    "APPLY-PARAM-STAYS-PARAMETER",
    "APPLY-REQUIRES-GRAD",
    "APPLY-GRAD-CONVERTED",
    "APPLY-BUFFERS-REPLACED",
    "APPLY-IDENTITY-KEPT",
    "APPLY-IDENTITY-NEW",
    "APPLY-OVERWRITE-FLAG",
    "APPLY-SWAP-FLAG",
    "APPLY-TO-FORMS",
    "APPLY-TO-DTYPE-FLOATING",
    "APPLY-TO-DTYPE-ERROR",
    "APPLY-META-TO-ERROR",
    "APPLY-FLOAT-ONLY",
    "APPLY-TYPE-ALL",
    "APPLY-TYPE-INT-ERROR",
    "APPLY-CPU",
    "APPLY-TO-EMPTY",
    "APPLY-TO-EMPTY-RECURSE",
)


def run_on(candidate: Candidate, plan: Any, call: Any, overwrite: bool, swap: bool) -> tuple[Any, Any]:
    built = build(candidate.nn, plan)
    with future_flags(overwrite, swap):
        result = outcome(lambda: call.run(built.root), built.root)
    return result, snapshot(built, values=call.values)


@pytest.mark.clause(*CLAUSES)
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=apply_plans(), call=calls(), overwrite=st.booleans(), swap=st.booleans())
def test_conversions_agree_with_oracle(
    cand: Candidate,
    oracle_cand: Candidate,
    failure_context: Any,
    plan: Any,
    call: Any,
    overwrite: bool,
    swap: bool,
) -> None:
    got = run_on(cand, plan, call, overwrite, swap)
    want = run_on(oracle_cand, plan, call, overwrite, swap)
    failure_context.record(plan=repr(plan), call=call.label, overwrite=overwrite, swap=swap)
    assert got[0] == want[0], (
        f"{call.label} (overwrite={overwrite}, swap={swap}): outcome {got[0]} != oracle {want[0]}"
    )
    for g, w in zip(got[1], want[1], strict=True):
        assert g == w, (
            f"{call.label} (overwrite={overwrite}, swap={swap}): slot {g[0]}: {g[1:]} != oracle {w[1:]}"
        )
