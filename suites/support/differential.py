"""Running a program on the candidate and the oracle in lock-step, and reporting where they part.

A failure message gives, in this order: the clause ids, the program shrunk to the fewest steps that
still fail, what the oracle observed, what the candidate observed, and a standalone reproducer script.
"""

from __future__ import annotations

import pprint
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import reject

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
            self.fail(clauses, Check(key=f"the outcome of: {step.source}", step=step))
        return expected

    def setup(self, step: Step) -> Any:
        """Run a step that only prepares what the program tests (building a tree whose state dict is
        under test). Where the two sides part here, the example is discarded: the departure belongs to
        the clauses of the other area that the step uses, which their own tests judge."""
        got = _run(self.cand_side, step)
        expected = _run(self.oracle_side, step)
        self.log.append((step, expected))
        if got != expected:
            reject()
        return expected

    def compare(self, key: str, expression: str, clauses: tuple[str, ...]) -> None:
        """Evaluate a query on both sides; fail if the observations differ."""
        if self.cand_side.query(expression) != self.oracle_side.query(expression):
            self.fail(clauses, Check(key=f"{key} = {expression}", query=expression))

    def fail(self, clauses: tuple[str, ...], check: Check) -> None:
        """Shrink the program to the fewest steps that still show the departure, then report it."""
        steps = [s for s, _ in self.log]
        if check.step is not None:
            steps = steps[:-1]  # the failing step is the check itself
        steps = minimize(
            steps, lambda subset: departs(self.candidate, self.oracle, subset, check) is not None
        )
        log, expected, got = departs(self.candidate, self.oracle, steps, check)  # type: ignore[misc]
        program = [s.source for s, _ in log]
        script = reproducer(self.candidate, log, clauses, expected, check.query)
        details = {
            "clauses": list(clauses),
            "where": check.key,
            "program": program,
            "oracle": expected,
            "candidate": got,
            "reproducer": script,
            "generated_steps": len(self.log),
        }
        if self.failure_context is not None:
            self.failure_context.record(**details)
        numbered = "\n".join(f"  {i + 1:>3}  {line}" for i, line in enumerate(program))
        raise AssertionError(
            f"clauses: {', '.join(clauses)}\n"
            f"where: {check.key}\n"
            f"program ({len(program)} steps, shrunk from {len(self.log)}):\n{numbered}\n"
            f"oracle observed:\n{_indent(pprint.pformat(expected, width=100))}\n"
            f"candidate {self.candidate.name} observed:\n{_indent(pprint.pformat(got, width=100))}\n"
            f"reproducer (runs with only {self.candidate.name} installed):\n"
            f"--- 8< ---\n{script}--- >8 ---"
        )


@dataclass(frozen=True)
class Check:
    """What departed: the outcome of a step, or the value of a query after the program."""

    key: str
    step: Step | None = None
    query: str | None = None


def departs(
    candidate: Candidate, oracle: Candidate, steps: list[Step], check: Check
) -> tuple[list[tuple[Step, Any]], Any, Any] | None:
    """Replay ``steps`` on fresh sides. If they agree on every step and then differ on ``check``,
    return the log with the oracle's outcomes and both final observations; otherwise None."""
    cand_side, oracle_side = Side(candidate), Side(oracle)
    log = []
    for step in steps:
        expected = _run(oracle_side, step)
        if _run(cand_side, step) != expected:
            return None
        log.append((step, expected))
    if check.step is not None:
        expected, got = _run(oracle_side, check.step), _run(cand_side, check.step)
        log.append((check.step, expected))
    else:
        expected, got = oracle_side.query(check.query or ""), cand_side.query(check.query or "")
    return (log, expected, got) if expected != got else None


def minimize(steps: list[Step], still_fails: Callable[[list[Step]], bool], budget: int = 3000) -> list[Step]:
    """The shortest sub-sequence found (by removing ever smaller runs of steps) that still fails.

    Plain delta debugging on the program text: deterministic, and cheap because a replay runs only
    the steps and the one failing check, not the observations the generating run made after each step.
    """
    current = list(steps)
    chunk = max(1, len(current) // 2)
    while budget > 0:
        removed = False
        start = 0
        while start < len(current) and budget > 0:
            attempt = current[:start] + current[start + chunk :]
            budget -= 1
            if still_fails(attempt):
                current, removed = attempt, True
            else:
                start += chunk
        if chunk == 1 and not removed:
            break
        chunk = max(1, chunk // 2) if not removed else chunk
    return current


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
        # the harness reads an exception in a query as ("raises", kind): so does the script
        lines += [
            "",
            "try:",
            f"    observed = {query}",
            "except Exception as exc:",
            '    observed = ("raises", exception_kind(exc))',
            *_assert_agrees(expected),
        ]
    lines.append('print("no departure from the oracle reproduced")')
    return "\n".join(lines) + "\n"


def _step_source(step: Step, outcome: Any, check: bool) -> list[str]:
    """The script's lines for one step. A step the candidate agreed on runs as it is (an exception the
    oracle raises too is caught); the step that departs records what the candidate did, returning or
    raising, as the harness does, and asserts it equals the oracle's outcome, so that the script fails
    with an AssertionError there whatever the candidate raises."""
    if check and step.is_expression:
        return [f"observed = outcome(lambda: {step.source})", *_assert_agrees(outcome)]
    if check:
        return [
            "try:",
            *_indented(step.source),
            "except Exception as exc:",
            '    observed = ("raises", exception_kind(exc))',
            "else:",
            '    observed = ("returns", None)',
            *_assert_agrees(outcome),
        ]
    if outcome[0] != "raises":
        return [step.source]
    return ["try:", *_indented(step.source), f"except {outcome[1]}:", "    pass"]


def _indented(source: str) -> list[str]:
    return ["    " + line for line in source.splitlines()]


def _assert_agrees(expected: Any) -> list[str]:
    return [
        f"expected = {expected!r}",
        'assert observed == expected, f"observed {observed!r}, oracle expects {expected!r}"',
    ]
