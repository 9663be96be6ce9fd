"""Every must/compat clause has a test, and every test names clauses that exist."""

from __future__ import annotations

from nnconform.collect import collect_clause_tests
from nnconform.spec import load_spec


def test_every_required_clause_has_a_test() -> None:
    spec = load_spec()
    tests = collect_clause_tests()  # collection itself fails on a marker naming an unknown id
    untested = [c.id for c in spec.clauses.values() if c.level in ("must", "compat") and not tests.get(c.id)]
    assert not untested, f"clauses without a test: {', '.join(untested)}"


def test_every_named_clause_exists() -> None:
    spec = load_spec()
    unknown = sorted(set(collect_clause_tests()) - set(spec.clauses))
    assert not unknown, f"tests name unknown clauses: {unknown}"


def test_quirk_clauses_are_not_required_by_the_differential_machine() -> None:
    from suites.support.registration_ops import all_clauses

    spec = load_spec()
    quirks = {cid for cid in all_clauses() if spec.clauses[cid].level == "quirk"}
    assert not quirks, f"the differential test holds candidates to quirk clauses: {sorted(quirks)}"
