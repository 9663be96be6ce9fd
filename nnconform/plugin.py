"""The pytest plugin that turns pytest items into clause verdicts.

It adds ``--candidate``, checks every suite test's ``clause`` marker against the spec, marks tests of
clauses the candidate cannot support as not applicable, provides the ``cand``/``nn``/``oracle_cand``
fixtures, selects the hypothesis profile, and writes the results file item by item.
"""

from __future__ import annotations

import os
import platform
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import nnconform
from adapters import CandidateError, resolve_candidate
from adapters.base import Candidate
from nnconform import profiles
from nnconform.results import NOT_APPLICABLE_PREFIX, ResultsWriter
from nnconform.spec import Spec, SpecError, load_spec

CANDIDATE_ENV = "NNCONFORM_CANDIDATE"
DEFAULT_TIMEOUT_S = 120
ENVIRONMENT_CAPABILITIES = {"cuda": "no CUDA device is present"}

profiles.register_profiles()

_spec_key = pytest.StashKey[Spec]()
_cand_key = pytest.StashKey[Candidate]()
# clauses named by `clause_when_capable` that the candidate lacks a capability for, per item
_dropped_key = pytest.StashKey[frozenset[str]]()
_timeout_key = pytest.StashKey[float]()


class CandidateTimeout(BaseException):
    """Raised in a conformance test that ran past ``--nnc-timeout``. A BaseException, not an Exception,
    so that hypothesis does not take it for a failing example and go on shrinking (it does so with
    pytest's own ``Failed``, which is what pytest-timeout raises)."""
_failure_key = pytest.StashKey["FailureContext"]()


@dataclass
class FailureContext:
    """What a failing conformance test wants in its result besides the traceback."""

    details: dict[str, Any] = field(default_factory=dict)

    def record(self, **details: Any) -> None:
        """Remember details (observations, shrunk program, reproducer) of the latest failing example."""
        self.details = dict(details)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nnconform")
    group.addoption(
        "--candidate",
        default=os.environ.get(CANDIDATE_ENV, "torch"),
        help="candidate to check: torch (default), oracle, mutant:<id>, an entry-point name, "
        f"or package.module:attribute (env {CANDIDATE_ENV})",
    )
    group.addoption(
        "--nnc-results",
        default=None,
        metavar="PATH",
        help="results file to write (default reports/out/<candidate>.results.jsonl)",
    )
    group.addoption(
        "--nnc-timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"time limit of one conformance test (default {DEFAULT_TIMEOUT_S}); 0 disables it",
    )
    group.addoption(
        "--nnc-report",
        default=None,
        metavar="PATH",
        help="HTML report to write at session end, with a .summary.json beside it (default: beside the "
        "results file, reports/out/<candidate>.html)",
    )
    group.addoption(
        "--nnc-no-report", action="store_true", help="write no HTML report or JSON summary at session end"
    )
    group.addoption(
        "--nnc-baseline",
        default=None,
        metavar="PATH",
        help="gate the run against this baseline of expected failures (YAML): the run fails on any "
        "new failure or unexpected pass",
    )
    group.addoption(
        "--nnc-write-baseline",
        default=None,
        metavar="PATH",
        help="rewrite this baseline from the run's failing clauses (keeps reasons of kept entries)",
    )


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def _safe(candidate_name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in candidate_name)


def results_path(config: pytest.Config, candidate_name: str) -> Path:
    given = config.getoption("nnc_results")
    if given:
        return Path(given)
    return nnconform.ROOT / "reports" / "out" / f"{_safe(candidate_name)}.results.jsonl"


def report_path(config: pytest.Config, results: Path) -> Path:
    """``--nnc-report``, else beside the results file: ``X.results.jsonl`` gives ``X.html``."""
    given = config.getoption("nnc_report")
    if given:
        return Path(given)
    name = results.name.removesuffix(".results.jsonl").removesuffix(".jsonl")
    return results.with_name(name + ".html")


@pytest.hookimpl(trylast=True)  # after hypothesis's own plugin has loaded a --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the spec clause ids this conformance test checks")
    config.addinivalue_line(
        "markers",
        "clause_when_capable(*ids): clause ids the test checks only for a candidate that has every "
        "capability they require; for another candidate the test leaves that part out and does not name them",
    )
    config.addinivalue_line(
        "markers",
        "wrapped: the test hands every module tree it observes to cand.prepare first, so it also judges "
        "wrapper candidates (torch.compile, DataParallel, ...)",
    )
    try:
        spec = load_spec()
    except SpecError as exc:
        raise pytest.UsageError(f"nnconform: the spec is invalid: {exc}") from None
    try:
        candidate = resolve_candidate(config.getoption("candidate"))
    except CandidateError as exc:
        raise pytest.UsageError(f"nnconform: {exc}") from None
    config.stash[_spec_key] = spec
    config.stash[_cand_key] = candidate
    _select_profile(config)
    if _is_controller(config):
        config._nnc_pending = {}  # type: ignore[attr-defined]


def _select_profile(config: pytest.Config) -> None:
    from hypothesis import settings

    profile = config.getoption("hypothesis_profile", None) or profiles.DEFAULT_PROFILE
    if config.getoption("hypothesis_seed", None) is not None:
        profile = profiles.seeded(profile)
    settings.load_profile(profile)


def _run_header(config: pytest.Config, candidate: Candidate) -> dict[str, Any]:
    import torch
    from hypothesis import settings

    return {
        "kind": "run",
        "candidate": candidate.name,
        "candidate_version": candidate.version,
        "candidate_lacks": sorted(candidate.lacks),
        "profile": settings.get_current_profile_name(),
        "seed": config.getoption("hypothesis_seed", None),
        "nnconform_version": nnconform.__version__,
        "nnconform_commit": _git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch_version": torch.__version__,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "argv": sys.argv[1:],
    }


def _git_commit() -> str | None:
    head = nnconform.ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            return (nnconform.ROOT / ".git" / ref[5:]).read_text().strip()
        return ref
    except OSError:
        return None


def clause_ids(item: pytest.Item) -> list[str]:
    """The clause ids a test checks for the candidate of this run: those of its ``clause`` markers, and
    those of its ``clause_when_capable`` markers that the candidate has the capabilities for."""
    dropped = item.stash.get(_dropped_key, frozenset())
    ids: list[str] = []
    for name in ("clause", "clause_when_capable"):
        for mark in item.iter_markers(name):
            ids.extend(i for i in mark.args if i not in ids and i not in dropped)
    return ids


def _drop_incapable(item: pytest.Item, spec: Spec, candidate: Candidate) -> None:
    optional = [i for mark in item.iter_markers("clause_when_capable") for i in mark.args]
    lacking = {i for i in optional if i in spec.clauses and set(spec.clauses[i].requires) & candidate.lacks}
    item.stash[_dropped_key] = frozenset(lacking)


def _is_conformance_item(item: pytest.Item) -> bool:
    """Suite tests, and any other test that names clauses, count towards conformance."""
    in_suites = Path(str(item.path)).resolve().is_relative_to(nnconform.SUITES_DIR)
    return in_suites or item.get_closest_marker("clause") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    spec = config.stash[_spec_key]
    candidate = config.stash[_cand_key]
    problems = []
    timeout = config.getoption("nnc_timeout")
    for item in items:
        if not _is_conformance_item(item):
            continue
        _drop_incapable(item, spec, candidate)
        ids = clause_ids(item)
        path, line, _ = item.location
        if not ids:
            problems.append(
                f"{path}:{line + 1}: {item.nodeid} names no clause (add @pytest.mark.clause(...))"
            )
            continue
        unknown = [i for i in ids if i not in spec.clauses]
        if unknown:
            problems.append(f"{path}:{line + 1}: {item.nodeid} names unknown clause ids {', '.join(unknown)}")
            continue
        if timeout:
            item.stash[_timeout_key] = timeout
            # backstop for a candidate stuck in native code, where no Python signal handler runs: dump
            # the stacks and end the process (under xdist the worker is replaced and the run goes on)
            item.add_marker(pytest.mark.timeout(2 * timeout + 30, method="thread"))
        _mark_unsupported(item, ids, spec, candidate)
    if problems:
        raise pytest.UsageError("nnconform: bad clause markers:\n  " + "\n  ".join(problems))


def _mark_unsupported(item: pytest.Item, ids: list[str], spec: Spec, candidate: Candidate) -> None:
    if candidate.wraps and item.get_closest_marker("wrapped") is None:
        reason = (
            f"{NOT_APPLICABLE_PREFIX} candidate {candidate.name} wraps modules, and this test observes the "
            "modules it builds without handing them to the wrapper (not marked 'wrapped')"
        )
        item.add_marker(pytest.mark.skip(reason=reason))
        return
    for cid in ids:
        for cap in spec.clauses[cid].requires:
            if cap in candidate.lacks:
                reason = f"{NOT_APPLICABLE_PREFIX} candidate {candidate.name} lacks {cap} (clause {cid})"
                item.add_marker(pytest.mark.skip(reason=reason))
                return
            if cap == "cuda" and not candidate.cuda_available():
                item.add_marker(pytest.mark.skip(reason=f"{ENVIRONMENT_CAPABILITIES[cap]} (clause {cid})"))
                return


@pytest.fixture(scope="session")
def spec(pytestconfig: pytest.Config) -> Spec:
    return pytestconfig.stash[_spec_key]


@pytest.fixture(scope="session")
def cand(pytestconfig: pytest.Config) -> Candidate:
    """The candidate under test."""
    return pytestconfig.stash[_cand_key]


@pytest.fixture(scope="session")
def nn(cand: Candidate) -> Any:
    """The candidate's torch-shaped ``nn`` namespace."""
    return cand.nn


@pytest.fixture(scope="session")
def oracle_cand() -> Candidate:
    """The reference oracle, which differential tests run beside the candidate."""
    return resolve_candidate("oracle")


@pytest.fixture
def failure_context(request: pytest.FixtureRequest) -> FailureContext:
    context = FailureContext()
    request.node.stash[_failure_key] = context
    return context


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Stop a conformance test at ``--nnc-timeout`` seconds (SIGALRM; only in the main thread, where
    signals are delivered)."""
    limit = item.stash.get(_timeout_key, 0.0)
    in_main_thread = threading.current_thread() is threading.main_thread()
    if not limit or not in_main_thread or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise CandidateTimeout(f"the test ran past --nnc-timeout {limit:g} s and was stopped")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not _is_conformance_item(item):
        return
    if report.when == "setup":
        report.user_properties.append(("nnconform.clauses", clause_ids(item)))
    context = item.stash.get(_failure_key, None)
    if report.failed and context is not None and context.details:
        report.user_properties.append(("nnconform.failure", context.details))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _CONFIG.get("config")
    if config is None or not _is_controller(config):
        return
    pending: dict[str, dict[str, Any]] = config._nnc_pending  # type: ignore[attr-defined]
    props = dict(report.user_properties)
    if report.when == "setup" and "nnconform.clauses" not in props:
        return  # not a conformance item
    record = pending.setdefault(report.nodeid, {"duration": 0.0, "outcome": "passed", "failure": None})
    record["duration"] += report.duration
    if "nnconform.clauses" in props:
        record["clauses"] = props["nnconform.clauses"]
    if "nnconform.failure" in props:
        record["details"] = props["nnconform.failure"]
    _fold_outcome(record, report)
    if report.when == "teardown":
        pending.pop(report.nodeid)
        if "clauses" not in record:
            return
        candidate = config.stash[_cand_key]
        _writer(config).write(
            {
                "kind": "item",
                "nodeid": report.nodeid,
                "clauses": record["clauses"],
                "outcome": record["outcome"],
                "duration": round(record["duration"], 6),
                "candidate": candidate.name,
                "candidate_version": candidate.version,
                "failure": record["failure"],
                "details": record.get("details"),
            }
        )


def _writer(config: pytest.Config) -> ResultsWriter:
    """The run's results writer, opened (and the run header written) when the first item finishes.

    A pytest run with no conformance item (the project's own tests) leaves results files alone.
    """
    writer = getattr(config, "_nnc_writer", None)
    if writer is None:
        candidate = config.stash[_cand_key]
        writer = ResultsWriter(results_path(config, candidate.name))
        writer.write(_run_header(config, candidate))
        config._nnc_writer = writer  # type: ignore[attr-defined]
    return writer


def _fold_outcome(record: dict[str, Any], report: pytest.TestReport) -> None:
    """Combine the setup, call and teardown reports of one item into one outcome."""
    if report.skipped:
        if hasattr(report, "wasxfail"):
            record["outcome"] = "xfailed"
            return
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        record["outcome"] = "not_applicable" if reason.startswith(NOT_APPLICABLE_PREFIX) else "skipped"
        record["failure"] = reason
    elif report.failed:
        if record["outcome"] in ("failed", "error"):
            return
        record["outcome"] = "failed" if report.when == "call" else "error"
        record["failure"] = report.longreprtext
    elif report.when == "call" and hasattr(report, "wasxfail"):
        record["outcome"] = "xpassed"


_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the end-of-run record, then the report, the JSON summary and the gate's verdict."""
    config = session.config
    writer = getattr(config, "_nnc_writer", None)
    if writer is None or not _is_controller(config):
        return
    writer.write(
        {
            "kind": "end",
            "exitstatus": int(exitstatus),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "interrupted": bool(session.shouldstop) or int(exitstatus) == int(pytest.ExitCode.INTERRUPTED),
        }
    )
    wants_report = not config.getoption("nnc_no_report")
    baseline = config.getoption("nnc_baseline")
    rewrite = config.getoption("nnc_write_baseline")
    if not (wants_report or baseline or rewrite):
        return
    from reports.verdicts import load_report

    report = load_report(writer.path, config.stash[_spec_key])
    lines: list[str] = []
    if wants_report:
        from reports.html import write_html
        from reports.summary import write_summary

        html_path = write_html(report, report_path(config, writer.path))
        json_path = write_summary(report, html_path.with_suffix(".summary.json"))
        lines.append(f"report: {html_path}")
        lines.append(f"summary: {json_path}")
    if rewrite:
        from reports.baseline import load_baseline, rewrite_baseline

        entries = rewrite_baseline(report, Path(rewrite), load_baseline(Path(rewrite)))
        lines.append(f"baseline rewritten: {rewrite} ({len(entries)} expected failures)")
    if baseline:
        from reports.baseline import gate, load_baseline

        result = gate(report, load_baseline(Path(baseline)))
        lines.extend(result.lines())
        if not result.ok and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    config._nnc_report_lines = lines  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    writer = getattr(config, "_nnc_writer", None)
    if writer is not None:
        writer.close()
    _CONFIG.pop("config", None)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    writer = getattr(config, "_nnc_writer", None)
    if writer is None:
        return
    from nnconform.results import implicated, read_results

    _, items = read_results(writer.path)
    if not items:
        return
    counts: dict[str, int] = {}
    for item in items:
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    failed = [item for item in items if item["outcome"] in ("failed", "error")]
    failing = sorted({c for item in failed for c in implicated(item)})
    candidate = config.stash[_cand_key]
    tr = terminalreporter
    tr.section("nnconform")
    tr.write_line(
        f"candidate {candidate.name} {candidate.version}: "
        + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    )
    if failing:
        tr.write_line(f"clauses with failing tests ({len(failing)}): {', '.join(failing)}")
    tr.write_line(f"results: {writer.path}")
    for line in getattr(config, "_nnc_report_lines", []):
        tr.write_line(line)
