"""The candidate and the oracle convert equal trees alike.

Both build the same drawn tree (sharing, None slots, parameters with and without ``.grad``, buffers of
every dtype kind), run the same drawn conversion under the same conversion switches, and must agree on
the outcome and on every slot: dtype, device, shape, values, class, requires_grad, the ``.grad``, and
which slots hold the objects registered before the call. Only the call forms and dtypes the candidate
has are drawn. The first test keeps to what every candidate can do (no meta device, no to_empty,
switches off); the second adds those, so it is not applicable to a candidate lacking any of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support.apply_blame import outcome_clauses, slot_clauses
from suites.support.apply_calls import CPU_CALLS, Call, available, calls
from suites.support.apply_trees import build, outcome, plans_for, snapshot

# Clauses every candidate is judged on here: the conversions drawn need no optional capability beyond
# the call forms the candidate has, and the conversion switches stay off.
CORE_CLAUSES = (
    "APPLY-RETURNS-SELF",
    "APPLY-RECURSE",
    "APPLY-NONE-SLOTS",
    "APPLY-PARAM-STAYS-PARAMETER",
    "APPLY-REQUIRES-GRAD",
    "APPLY-BUFFERS-REPLACED",
    "APPLY-IDENTITY-KEPT",
    "APPLY-TO-FORMS",
    "APPLY-TO-DTYPE-FLOATING",
    "APPLY-TO-DTYPE-ERROR",
    "APPLY-FLOAT-ONLY",
    "APPLY-TYPE-ALL",
    "APPLY-TYPE-INT-ERROR",
    "APPLY-CPU",
)
# Clauses of the meta device, to_empty and the conversion switches (not applicable to a candidate that
# lacks any of those capabilities).
OPTIONAL_CLAUSES = (
    "APPLY-IDENTITY-NEW",
    "APPLY-OVERWRITE-FLAG",
    "APPLY-SWAP-FLAG",
    "APPLY-META-TO-ERROR",
    "APPLY-TO-EMPTY",
    "APPLY-TO-EMPTY-RECURSE",
)
OPTIONAL_FORMS = frozenset({"meta_device", "to_empty"})


def run_on(
    candidate: Candidate, plan: Any, call: Call, overwrite: bool, swap: bool, leaf: bool
) -> tuple[Any, Any]:
    built = build(candidate, plan)
    with candidate.conversion_switches(overwrite, swap):
        result = outcome(lambda: call.run(built.root, candidate), built.root)
    return result, snapshot(candidate, built, values=call.values, leaf=leaf)


def _compare(
    cand: Candidate,
    oracle_cand: Candidate,
    failure_context: Any,
    named: tuple[str, ...],
    plan: Any,
    call: Call,
    switches: tuple[bool, bool],
) -> None:
    """Fail on the first departure, blaming the clauses of what departs among ``named`` (all of them
    when none is)."""
    overwrite, swap = switches
    leaf = "autograd" not in cand.lacks  # the leaf flag is compared only where the candidate has one
    got = run_on(cand, plan, call, overwrite, swap, leaf)
    want = run_on(oracle_cand, plan, call, overwrite, swap, leaf)
    label = f"{call.label} (overwrite={overwrite}, swap={swap})"

    def fail(blamed: tuple[str, ...], message: str) -> None:
        clauses = [c for c in named if c in blamed] or list(named)
        failure_context.record(
            clauses=clauses, where=message, plan=repr(plan), call=call.label, overwrite=overwrite, swap=swap
        )
        raise AssertionError(f"clauses: {', '.join(clauses)}\n{message}")

    if got[0] != want[0]:
        fail(outcome_clauses(call.label), f"{label}: outcome {got[0]} != oracle {want[0]}")
    for g, w in zip(got[1], want[1], strict=True):
        if g != w:
            fail(
                slot_clauses(call.label, overwrite, swap, g, w),
                f"{label}: slot {g[0]}: {g[1:]} != oracle {w[1:]}",
            )


def _named(cand: Candidate, clauses: tuple[str, ...]) -> tuple[str, ...]:
    """The test's clauses for this candidate (APPLY-GRAD-CONVERTED only where trees carry grads)."""
    return clauses + (() if "autograd" in cand.lacks else ("APPLY-GRAD-CONVERTED",))


@pytest.mark.clause(*CORE_CLAUSES)
@pytest.mark.clause_when_capable("APPLY-GRAD-CONVERTED")  # trees have no .grad without autograd
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_conversions_agree_with_oracle(
    cand: Candidate, oracle_cand: Candidate, failure_context: Any, data: st.DataObject
) -> None:
    """Casts, CPU moves and refused conversions, with the switches off."""
    plan = data.draw(plans_for(cand), label="plan")
    core = [c for c in available(cand, CPU_CALLS) if not c.needs & OPTIONAL_FORMS]
    call = data.draw(st.sampled_from(core), label="call")
    _compare(cand, oracle_cand, failure_context, _named(cand, CORE_CLAUSES), plan, call, (False, False))


@pytest.mark.clause(*CORE_CLAUSES, *OPTIONAL_CLAUSES)
@pytest.mark.clause_when_capable("APPLY-GRAD-CONVERTED")
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_meta_and_switched_conversions_agree_with_oracle(
    cand: Candidate, oracle_cand: Candidate, failure_context: Any, data: st.DataObject
) -> None:
    """Every conversion, meta moves and to_empty included, under every setting of the switches."""
    plan = data.draw(plans_for(cand), label="plan")
    call = data.draw(calls(cand), label="call")
    switches = (data.draw(st.booleans(), label="overwrite"), data.draw(st.booleans(), label="swap"))
    named = _named(cand, CORE_CLAUSES + OPTIONAL_CLAUSES)
    _compare(cand, oracle_cand, failure_context, named, plan, call, switches)
