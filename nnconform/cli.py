"""The ``nnconform`` command (also ``python -m nnconform``)."""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nnconform", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    table = sub.add_parser("spec", help="print the clause table (id, level, number of tests, summary)")
    table.add_argument("--area", help="only this area (registration, hooks, ...)")
    table.add_argument("--level", choices=LEVELS, help="only this level")
    table.add_argument("--no-tests", action="store_true", help="skip collecting the suites to count tests")
    table.set_defaults(func=_spec_table)
    show = sub.add_parser("show", help="print one clause in full")
    show.add_argument("id")
    show.set_defaults(func=_show)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
