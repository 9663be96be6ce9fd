"""The ``nnconform`` command (also ``python -m nnconform``)."""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
from pathlib import Path

import nnconform
from nnconform.spec import LEVELS, SpecError, load_spec


def _spec_table(args: argparse.Namespace) -> int:
    try:
        spec = load_spec()
    except SpecError as exc:
        print(f"nnconform: {exc}", file=sys.stderr)
        return 2
    clauses = [
        c
        for c in spec.clauses.values()
        if (not args.area or c.area == args.area) and (not args.level or c.level == args.level)
    ]
    counts: dict[str, list[str]] = {}
    if not args.no_tests:
        from nnconform.collect import collect_clause_tests

        counts = collect_clause_tests()
    width = shutil.get_terminal_size((120, 20)).columns
    id_width = max((len(c.id) for c in clauses), default=2)
    fixed = id_width + 2 + 6 + 2 + 5 + 2
    print(f"{'id':<{id_width}}  {'level':<6}  {'tests':>5}  summary")
    for clause in clauses:
        tests = "-" if args.no_tests else str(len(counts.get(clause.id, [])))
        summary = textwrap.shorten(clause.summary, max(20, width - fixed))
        print(f"{clause.id:<{id_width}}  {clause.level:<6}  {tests:>5}  {summary}")
    by_level = {lvl: sum(c.level == lvl for c in clauses) for lvl in LEVELS}
    print(f"\n{len(clauses)} clauses: " + ", ".join(f"{n} {lvl}" for lvl, n in by_level.items()))
    return 0


def _show(args: argparse.Namespace) -> int:
    spec = load_spec()
    clause = spec.clauses.get(args.id)
    if clause is None:
        print(f"nnconform: no clause {args.id!r}", file=sys.stderr)
        return 2
    for key in (
        "id",
        "area",
        "level",
        "summary",
        "symbol",
        "docs",
        "since",
        "requires",
        "depends_on",
        "note",
    ):
        value = getattr(clause, key)
        if value not in ("", ()):
            print(f"{key:>10}: {', '.join(value) if isinstance(value, tuple) else value}")
    print(f"{'defined':>10}: {clause.location}")
    return 0


def _run(args: argparse.Namespace, extra: list[str]) -> int:
    """pytest on the suites (or the paths among ``extra``) with ``--candidate``; the plugin reports."""
    import os

    import pytest

    has_path = any(not a.startswith("-") and os.path.exists(a.split("::")[0]) for a in extra)
    argv = [*extra, "--candidate", args.candidate, *([] if has_path else [str(nnconform.SUITES_DIR)])]
    return int(pytest.main(argv))


def _report(args: argparse.Namespace) -> int:
    from reports.html import write_html
    from reports.summary import write_summary
    from reports.verdicts import load_report

    report = load_report(Path(args.results))
    out = Path(args.output) if args.output else Path(args.results).with_name(f"{report.candidate}.html")
    if args.output is None and args.results.endswith(".results.jsonl"):
        out = Path(args.results[: -len(".results.jsonl")] + ".html")
    write_html(report, out)
    summary = write_summary(report, out.with_suffix(".summary.json"))
    state = " (partial run)" if report.partial else ""
    print(f"report: {out}{state}\nsummary: {summary}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from reports.compare import diff, matrix_html, matrix_text
    from reports.verdicts import load_report

    reports = [load_report(Path(p)) for p in args.results]
    if args.diff:
        if len(reports) != 2:
            print("nnconform: --diff takes exactly two results files", file=sys.stderr)
            return 2
        print(diff(reports[0], reports[1]).text())
        return 0
    print(matrix_text(reports, only_differences=not args.all))
    if args.html:
        Path(args.html).write_text(matrix_html(reports), encoding="utf-8")
        print(f"comparison: {args.html}")
    return 0


def _gate(args: argparse.Namespace) -> int:
    from reports.baseline import BaselineError, gate, load_baseline, rewrite_baseline
    from reports.verdicts import load_report

    report = load_report(Path(args.results))
    try:
        entries = load_baseline(Path(args.baseline))
    except BaselineError as exc:
        print(f"nnconform: {exc}", file=sys.stderr)
        return 2
    if args.rewrite:
        kept = rewrite_baseline(report, Path(args.baseline), entries)
        print(f"baseline rewritten: {args.baseline} ({len(kept)} expected failures)")
        return 0
    result = gate(report, entries)
    print("\n".join(result.lines()))
    return 0 if result.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nnconform", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        allow_abbrev=False,
        help="run the suites against a candidate (pytest); writes the results, the HTML report and "
        "the JSON summary; other arguments (paths, -n 2, --nnc-baseline ...) go to pytest",
    )
    run.add_argument("--candidate", default="torch")
    run.set_defaults(func=_run, passthrough=True)
    rep = sub.add_parser("report", help="write the HTML report and JSON summary of a results file")
    rep.add_argument("results")
    rep.add_argument("-o", "--output", help="HTML path (default: beside the results file)")
    rep.set_defaults(func=_report)
    cmp_ = sub.add_parser("compare", help="clause-by-candidate matrix of results files, or a diff of two")
    cmp_.add_argument("results", nargs="+")
    cmp_.add_argument("--diff", action="store_true", help="new failures, new passes, changed skips")
    cmp_.add_argument("--all", action="store_true", help="every clause, not only those that differ")
    cmp_.add_argument("--html", help="also write the full matrix as HTML here")
    cmp_.set_defaults(func=_compare)
    gt = sub.add_parser("gate", help="check a results file against a baseline; non-zero on news")
    gt.add_argument("results")
    gt.add_argument("--baseline", required=True, help="baseline YAML (missing file: empty baseline)")
    gt.add_argument("--rewrite", action="store_true", help="rewrite the baseline from this run instead")
    gt.set_defaults(func=_gate)
    table = sub.add_parser("spec", help="print the clause table (id, level, number of tests, summary)")
    table.add_argument("--area", help="only this area (registration, hooks, ...)")
    table.add_argument("--level", choices=LEVELS, help="only this level")
    table.add_argument("--no-tests", action="store_true", help="skip collecting the suites to count tests")
    table.set_defaults(func=_spec_table)
    show = sub.add_parser("show", help="print one clause in full")
    show.add_argument("id")
    show.set_defaults(func=_show)
    sub.add_parser(
        "mutate",
        add_help=False,
        help="mutation score: run the suites against every mutant (options: nnconform mutate --help)",
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["mutate"]:
        from nnconform.mutation import main as mutation_main

        return mutation_main(argv[1:])
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "passthrough", False):
        return _run(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
