"""How long report generation takes for a full run: verdicts, HTML, JSON summary.

Usage: ``.venv/bin/python benchmarks/bench_report.py [RESULTS.jsonl]``. Without a results file it
builds a synthetic full-size run: four tests per clause of the current spec, one clause in ten
failing with differential details (program, observations, a reproducer) and a long traceback.
The target is under 2 s.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnconform.spec import load_spec
from reports.html import write_html
from reports.summary import write_summary
from reports.verdicts import load_report


def synthetic_run(path: Path) -> int:
    spec = load_spec()
    lines = [json.dumps({"kind": "run", "candidate": "synthetic", "candidate_version": "0"})]
    for n, cid in enumerate(spec.clauses):
        for k in range(4):
            failing = n % 10 == 0 and k == 0
            details = {
                "clauses": [cid],
                "program": [f"m{i}.register_module('c{i}', m{i + 1})" for i in range(12)],
                "oracle": {f"p{i}": [i, i + 1] for i in range(20)},
                "candidate": {f"p{i}": [i] for i in range(20)},
                "reproducer": "import torch\n" + "\n".join(f"step_{i}()" for i in range(40)),
            }
            lines.append(
                json.dumps(
                    {
                        "kind": "item",
                        "nodeid": f"suites/test_x.py::test_{cid}_{k}",
                        "clauses": [cid],
                        "outcome": "failed" if failing else "passed",
                        "duration": 0.01,
                        "failure": ("Traceback line\n" * 200) if failing else None,
                        "details": details if failing else None,
                    }
                )
            )
    lines.append(json.dumps({"kind": "end", "exitstatus": 1}))
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 2


def main() -> None:
    out = Path(tempfile.mkdtemp(prefix="nnconform-bench-report-"))
    if len(sys.argv) > 1:
        results = Path(sys.argv[1])
        what = str(results)
    else:
        results = out / "synthetic.results.jsonl"
        what = f"synthetic run of {synthetic_run(results)} tests"
    start = time.perf_counter()
    report = load_report(results)
    html = write_html(report, out / "report.html")
    write_summary(report, out / "report.summary.json")
    elapsed = time.perf_counter() - start
    size = html.stat().st_size / 1e6
    print(
        f"report for {what}: {len(report.clauses)} clauses, {size:.1f} MB HTML, {elapsed:.2f} s"
        " (target < 2 s)"
    )


if __name__ == "__main__":
    main()
