"""Running a program on the candidate and the oracle in lock-step, and reporting where they part.

A failure message gives, in this order: the clause ids, the (shrunk) program, what the oracle
observed, what the candidate observed, and a standalone reproducer script.
"""

from __future__ import annotations

import pprint
from dataclasses import dataclass, field
from typing import Any

from adapters.base import Candidate
from suites.support.program import HELPERS, Side


@dataclass(frozen=True)
class Step:
    kind: str
    source: str
    is_expression: bool = False


@dataclass
class Lockstep:
    """A candidate and the oracle running the same program, with the program's log."""

    candidate: Candidate
    oracle: Candidate
    failure_context: Any = None
    log: list[tuple[Step, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cand_side = Side(self.candidate)
        self.oracle_side = Side(self.oracle)

    def step(self, step: Step, clauses: tuple[str, ...]) -> Any:
        """Run one step on both sides; fail if their outcomes differ. Returns the oracle's outcome."""
        got = _run(self.cand_side, step)
        expected = _run(self.oracle_side, step)
        self.log.append((step, expected))
        if got != expected:
            self.fail(clauses, f"step {len(self.log)}: {step.source}", expected, got)
        return expected

    def compare(self, key: str, expression: str, clauses: tuple[str, ...]) -> None:
        """Evaluate a query on both sides; fail if the observations differ."""
        got = self.cand_side.query(expression)
        expected = self.oracle_side.query(expression)
        if got != expected:
            self.fail(
                clauses, f"after step {len(self.log)}: {key} = {expression}", expected, got, query=expression
            )

    def fail(
        self, clauses: tuple[str, ...], where: str, expected: Any, got: Any, query: str | None = None
    ) -> None:
        program = [s.source for s, _ in self.log]
        script = reproducer(self.candidate, self.log, clauses, expected, query)
        details = {
            "clauses": list(clauses),
            "where": where,
            "program": program,
            "oracle": expected,
            "candidate": got,
            "reproducer": script,
        }
        if self.failure_context is not None:
            self.failure_context.record(**details)
        numbered = "\n".join(f"  {i + 1:>3}  {line}" for i, line in enumerate(program))
        raise AssertionError(
            f"clauses: {', '.join(clauses)}\n"
            f"where: {where}\n"
            f"program ({len(program)} steps):\n{numbered}\n"
            f"oracle observed:\n{_indent(pprint.pformat(expected, width=100))}\n"
            f"candidate {self.candidate.name} observed:\n{_indent(pprint.pformat(got, width=100))}\n"
            f"reproducer (runs with only {self.candidate.name} installed):\n"
            f"--- 8< ---\n{script}--- >8 ---"
        )


def _run(side: Side, step: Step) -> Any:
    if step.is_expression:
        return side.query(f"outcome(lambda: {step.source})")
    return side.run(step.source)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def reproducer(
    candidate: Candidate,
    log: list[tuple[Step, Any]],
    clauses: tuple[str, ...],
    expected: Any,
    query: str | None,
) -> str:
    """A standalone script replaying the program; it fails where the candidate departs from the oracle."""
    lines = [
        f"# nnconform reproducer for {candidate.name} {candidate.version}",
        f"# clauses: {', '.join(clauses)}",
        candidate.repro_prelude.rstrip(),
        "",
        HELPERS.rstrip(),
        "",
    ]
    last = len(log) - 1
    for index, (step, outcome) in enumerate(log):
        is_last_step = query is None and index == last
        lines.extend(_step_source(step, outcome, check=is_last_step))
    if query is not None:
        lines += [
            "",
            f"observed = {query}",
            f"expected = {expected!r}",
            'assert observed == expected, f"observed {observed!r}, oracle expects {expected!r}"',
        ]
    lines.append('print("no departure from the oracle reproduced")')
    return "\n".join(lines) + "\n"


def _step_source(step: Step, outcome: Any, check: bool) -> list[str]:
    raised = outcome[0] == "raises"
    if step.is_expression and check and not raised:
        return [
            f"observed = outcome(lambda: {step.source})",
            f"expected = {outcome!r}",
            'assert observed == expected, f"observed {observed!r}, oracle expects {expected!r}"',
        ]
    if not raised:
        return [step.source]
    body = ["try:", f"    {step.source}", f"except {outcome[1]}:", "    pass"]
    if check:
        body += ["else:", f"    raise AssertionError('the oracle raises {outcome[1]} here')"]
    return body
