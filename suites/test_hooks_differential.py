"""Differential test of the hooks area: random hook programs on the candidate and on the oracle.

A program (suites/support/hooks_program.py) builds a random module tree, registers random module and
global forward pre-hooks, forward hooks, backward pre-hooks and full backward hooks with random
options (prepend, with_kwargs, always_call) and behaviours (returning replacements, None, raising,
removing themselves, adding hooks), calls the root, runs backward and removes hooks between calls.
The call logs of both sides must be equal.

The test runs in variants, each drawing programs from a set of features (capabilities of
spec/capabilities.yaml) and naming only the clauses whose requirements that set covers: a candidate that
lacks global or backward hooks still gets verdicts for the forward-hook clauses from the variants without
them, and the others are not applicable to it. A feature of a variant that none of its clauses requires
(autograd in the forward variants) is used only where the candidate has it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import Candidate
from nnconform.spec import load_spec
from suites.support.hooks_program import FEATURES, Program, programs, run_program, without_mutation

DIFFERENTIAL_CLAUSES = (
    "HOOK-FWD-PRE-CALL",
    "HOOK-FWD-PRE-RETURN",
    "HOOK-FWD-PRE-KWARGS",
    "HOOK-FWD-CALL",
    "HOOK-FWD-RETURN",
    "HOOK-FWD-KWARGS",
    "HOOK-FWD-ORDER",
    "HOOK-FWD-PREPEND",
    "HOOK-FWD-NESTED",
    "HOOK-FWD-MUTATE-DURING-CALL",
    "HOOK-ALWAYS-CALL",
    "HOOK-ALWAYS-CALL-OUTPUT",
    "HOOK-ALWAYS-CALL-ONCE",
    "HOOK-BWD-FULL",
    "HOOK-BWD-NONE-INPUT",
    "HOOK-BWD-REPLACE",
    "HOOK-BWD-PRE",
    "HOOK-BWD-PREPEND",
    "HOOK-BWD-FORWARD-INTERACTION",
    "HOOK-GLOBAL-FWD-PRE",
    "HOOK-GLOBAL-FWD",
    "HOOK-GLOBAL-ORDER",
    "HOOK-GLOBAL-BWD",
    "HOOK-HANDLE-REMOVE",
)


FORWARD_OPTIONS = frozenset({"hook_prepend", "hook_with_kwargs", "hook_always_call"})
# variant name -> the features its programs may use
VARIANTS = {
    "forward": frozenset({"autograd"}),
    "forward-options": frozenset({"autograd"}) | FORWARD_OPTIONS,
    "backward": frozenset({"autograd", "full_backward_hooks", "backward_pre_hooks"}),
    "global": frozenset({"autograd", "global_hooks"}),
    "all": FEATURES,
}


_REQUIRES = {cid: set(clause.requires) for cid, clause in load_spec().clauses.items()}
# variant name -> the differential clauses whose required capabilities its features cover
VARIANT_CLAUSES = {
    name: tuple(cid for cid in DIFFERENTIAL_CLAUSES if _REQUIRES[cid] <= features)
    for name, features in VARIANTS.items()
}
assert VARIANT_CLAUSES["all"] == DIFFERENTIAL_CLAUSES, (
    "a differential clause requires a feature programs lack"
)


def implicated_clauses(program: Program, clauses: tuple[str, ...] = DIFFERENTIAL_CLAUSES) -> list[str]:
    """The clauses among ``clauses`` a departure on ``program`` can come from: those whose feature the
    program uses (a program without global hooks cannot show a global-hook bug). All of ``clauses`` when
    none matches."""
    hooks = program.hooks
    local = [h for h in hooks if h.target is not None]
    backward = any(c.backward for c in program.calls)
    bwd = [h for h in hooks if h.kind in ("bwd", "bwd_pre")] if backward else []
    fwd_side = [h for h in hooks if h.kind in ("pre", "fwd")]

    def same_kind_twice(group: list[Any]) -> bool:
        kinds = [h.kind for h in group]
        return len(kinds) != len(set(kinds))

    uses = {
        "HOOK-FWD-PRE-CALL": any(h.kind == "pre" and not h.with_kwargs for h in hooks),
        "HOOK-FWD-PRE-RETURN": any(h.kind == "pre" and h.behaviour in ("tuple", "bare") for h in hooks),
        "HOOK-FWD-PRE-KWARGS": any(h.kind == "pre" and h.with_kwargs for h in hooks),
        "HOOK-FWD-CALL": any(h.kind == "fwd" for h in hooks),
        "HOOK-FWD-RETURN": any(h.kind == "fwd" and h.behaviour == "replace" for h in hooks),
        "HOOK-FWD-KWARGS": any(h.kind == "fwd" and h.with_kwargs for h in hooks),
        "HOOK-FWD-ORDER": same_kind_twice(fwd_side),
        "HOOK-FWD-PREPEND": any(h.prepend for h in fwd_side),
        "HOOK-FWD-NESTED": bool(program.parents) and bool(fwd_side),
        "HOOK-FWD-MUTATE-DURING-CALL": any(h.behaviour in ("remove_self", "add_fwd_hook") for h in hooks),
        "HOOK-ALWAYS-CALL": any(h.always_call for h in hooks),
        "HOOK-ALWAYS-CALL-OUTPUT": any(h.always_call for h in hooks),
        "HOOK-ALWAYS-CALL-ONCE": any(h.always_call for h in hooks),
        "HOOK-BWD-FULL": any(h.kind == "bwd" for h in bwd),
        "HOOK-BWD-NONE-INPUT": any(h.kind == "bwd" for h in bwd),
        "HOOK-BWD-REPLACE": any(h.behaviour in ("scale", "wronglen") for h in bwd),
        "HOOK-BWD-PRE": any(h.kind == "bwd_pre" for h in bwd),
        "HOOK-BWD-PREPEND": any(h.prepend for h in bwd),
        "HOOK-BWD-FORWARD-INTERACTION": bool(bwd) and bool(fwd_side),
        "HOOK-GLOBAL-FWD-PRE": any(h.target is None and h.kind == "pre" for h in hooks),
        "HOOK-GLOBAL-FWD": any(h.target is None and h.kind == "fwd" for h in hooks),
        "HOOK-GLOBAL-ORDER": any(h.target is None for h in hooks) and bool(local),
        "HOOK-GLOBAL-BWD": any(h.target is None for h in bwd),
        "HOOK-HANDLE-REMOVE": bool(program.remove_after_first)
        or any(h.behaviour == "remove_self" for h in hooks),
    }
    return [cid for cid in clauses if uses[cid]] or list(clauses)


@pytest.mark.parametrize(
    "variant",
    [pytest.param(name, marks=pytest.mark.clause(*VARIANT_CLAUSES[name]), id=name) for name in VARIANTS],
)
# failure_context only keeps the latest failing example's details: being function-scoped is fine
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hook_programs_match_oracle(
    data: st.DataObject, variant: str, cand: Candidate, oracle_cand: Candidate, failure_context: Any
) -> None:
    features = VARIANTS[variant] - cand.lacks
    program = data.draw(programs(features), label="program")
    expected = run_program(oracle_cand, program)
    got = run_program(cand, program)
    if got != expected:
        clauses = implicated_clauses(program, VARIANT_CLAUSES[variant])
        calm = without_mutation(program)
        if calm != program and run_program(cand, calm) == run_program(oracle_cand, calm):
            # the departure needs hooks that register or remove hooks mid-call: blame only that clause
            clauses = [c for c in clauses if c == "HOOK-FWD-MUTATE-DURING-CALL"] or clauses
        failure_context.record(
            clauses=clauses,
            program=repr(program),
            oracle=expected,
            candidate=got,
        )
    for i, (g, e) in enumerate(zip(got, expected, strict=False)):
        assert g == e, (
            f"run_program: log entry {i} differs: candidate {g!r}, oracle {e!r}\n"
            f"full oracle log: {expected!r}"
        )
    assert len(got) == len(expected), (
        f"run_program: log lengths differ: candidate {got!r}, oracle {expected!r}"
    )
