"""Differential test of the hooks area: random hook programs on the candidate and on the oracle.

A program (suites/support/hooks_program.py) builds a random module tree, registers random module and
global forward pre-hooks, forward hooks, backward pre-hooks and full backward hooks with random
options (prepend, with_kwargs, always_call) and behaviours (returning replacements, None, raising,
removing themselves, adding hooks), calls the root, runs backward and removes hooks between calls.
The call logs of both sides must be equal.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suites.support.hooks_program import programs, run_program

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


@pytest.mark.clause(*DIFFERENTIAL_CLAUSES)
@settings(max_examples=60)
@given(data=st.data())
def test_hook_programs_match_oracle(data: st.DataObject, nn: Any, oracle_cand: Any) -> None:
    program = data.draw(programs(), label="program")
    expected = run_program(oracle_cand.nn, program)
    got = run_program(nn, program)
    for i, (g, e) in enumerate(zip(got, expected, strict=False)):
        assert g == e, (
            f"run_program: log entry {i} differs: candidate {g!r}, oracle {e!r}\n"
            f"full oracle log: {expected!r}"
        )
    assert len(got) == len(expected), (
        f"run_program: log lengths differ: candidate {got!r}, oracle {expected!r}"
    )
