"""Differential test of the state_dict area: random programs on the candidate and the oracle.

A program builds a generated tree (nesting, shared modules and tensors, None slots, persistent and
non-persistent buffers, several dtypes, modules with extra state), then saves and loads: state_dict
with drawn prefix and keep_vars; load_state_dict of drawn dicts (dropped and added keys, wrong shapes,
non-tensor values, other dtypes, with or without metadata) with drawn strict and assign. After each
step the observations (keys, order, values, dtypes, requires_grad, identities, metadata, missing and
unexpected keys, exception types and error-message structure, every tensor of the tree) must agree.
A failure is shrunk to the fewest statements and comes with a standalone reproducer.

A load that raises ends the program: what a failed load leaves behind is a quirk (SD-LOAD-NOT-ATOMIC).

For a candidate without the ``extra_state`` capability the trees carry no extra state, and the test
names the two extra-state clauses only for a candidate that has it (``clause_when_capable``).

A departure blames the clauses of the operation's part where it shows (``state_dict_program.op_steps``:
the entries or the metadata of a save, the outcome of a load or the tree after it), among those the test
names for the candidate. Building the tree is set-up: a candidate that builds it otherwise than the oracle
(refusing a 0-d tensor or a None slot) has that example discarded, since the registration tests judge it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from adapters.base import Candidate
from suites.support import trees
from suites.support.differential import Lockstep
from suites.support.state_dict_program import CLAUSES, EXTRA_STATE_CLAUSES, build_steps, op_steps
from suites.support.state_dict_trees import build_sd, load_plans, sd_plans


@st.composite
def operations(draw: Any, root: trees.Node, oracle: Candidate) -> list[tuple[Any, ...]]:
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.integers(0, 2)) == 0:
            ops.append(("save", draw(st.sampled_from(["", "p.", "x"])), draw(st.booleans())))
        else:
            bad = draw(st.integers(0, 3)) == 0
            plan = draw(load_plans(oracle, root, bad_values=bad, other_dtypes=True))
            ops.append(("load", plan, draw(st.booleans()), draw(st.booleans()), draw(st.booleans())))
    return ops


@pytest.mark.clause(*(c for c in CLAUSES if c not in EXTRA_STATE_CLAUSES))
@pytest.mark.clause_when_capable(*EXTRA_STATE_CLAUSES)
@settings(
    # failure_context only records the failing example's details; Lockstep shrinks by replaying text
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(plan=sd_plans(force_none={trees.CHILD}), data=st.data())  # other None slots come by chance
def test_state_dict_programs_agree_with_oracle(
    cand: Candidate, oracle_cand: Candidate, failure_context: Any, plan: Any, data: st.DataObject
) -> None:
    clauses = CLAUSES
    if "extra_state" in cand.lacks:  # the candidate has no extra-state protocol: trees without it
        plan = dataclasses.replace(plan, extra_nodes=frozenset())
        clauses = tuple(c for c in CLAUSES if c not in EXTRA_STATE_CLAUSES)
    model = build_sd(plan, oracle_cand.nn, oracle_cand)  # the tree model the operations are drawn from
    ops = data.draw(operations(model.root, oracle_cand), label="operations")
    run = Lockstep(cand, oracle_cand, failure_context)

    def named(blamed: tuple[str, ...]) -> tuple[str, ...]:
        """The blamed clauses the test names for this candidate; all of those when none is."""
        assert set(blamed) <= set(CLAUSES), f"harness: unknown clauses {set(blamed) - set(CLAUSES)}"
        return tuple(c for c in clauses if c in blamed) or clauses

    for step in build_steps(plan):
        built = run.setup(step)
        assert built == ("returns", None), f"harness: the oracle fails to run {step.source!r}: {built}"
    for index, op in enumerate(ops):
        steps, queries = op_steps(plan, op, index, model.root, oracle_cand)
        outcome = None
        for step, blamed in steps:
            outcome = run.step(step, named(blamed))
        if outcome is not None and outcome[0] == "returns" and outcome[1][0] == "raises":
            break
        for query, blamed in queries:
            seen = run.oracle_side.query(query)
            assert not (isinstance(seen, tuple) and seen[:1] == ("raises",)), f"harness: {query} gives {seen}"
            run.compare(f"after operation {index + 1} ({op[0]})", query, named(blamed))
