"""No float strategy of the suites may draw subnormal numbers.

A framework whose kernels are built with -Ofast (Jittor) turns on flush-to-zero for the whole process when
it loads them; hypothesis then refuses every ``st.floats`` strategy that allows subnormals, and each test
drawing one fails for a reason that has nothing to do with the clause.
"""

from __future__ import annotations

import ast
from pathlib import Path

from nnconform import ROOT


def _may_draw_subnormals(call: ast.Call) -> bool:
    keywords = {k.arg: k.value for k in call.keywords}
    flag = keywords.get("allow_subnormal")
    if isinstance(flag, ast.Constant) and flag.value is False:
        return False
    bounds = [*call.args[:2], keywords.get("min_value"), keywords.get("max_value")]
    try:
        values = [ast.literal_eval(b) if b is not None else None for b in bounds]
    except ValueError:
        return True
    low = values[0] if values[0] is not None else values[2]
    high = values[1] if values[1] is not None else values[3]
    return not ((low is not None and low > 0) or (high is not None and high < 0))


def test_no_float_strategy_allows_subnormals() -> None:
    offenders = []
    for path in sorted((ROOT / "suites").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_floats = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if is_floats and node.func.attr == "floats" and _may_draw_subnormals(node):
                offenders.append(f"{Path(path).relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"st.floats without allow_subnormal=False at {', '.join(offenders)}"
