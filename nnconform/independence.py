"""A static check that code does not reach into torch's module system (see also ``poison.py``)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# Nothing under torch.nn may be used except torch.nn.functional; nothing of torch.utils.hooks at all.
ALLOWED_UNDER_NN = ("functional",)


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _forbidden(dotted: str) -> bool:
    parts = dotted.split(".")
    if parts[:2] == ["torch", "nn"] and len(parts) > 2:
        return parts[2] not in ALLOWED_UNDER_NN
    return parts[:3] == ["torch", "utils", "hooks"]


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def check_source(source: str, path: str = "<source>") -> list[Violation]:
    """Every import or attribute use in ``source`` that resolves into torch's module system."""
    tree = ast.parse(source, filename=path)
    aliases: dict[str, str] = {}  # local name -> the dotted module or object it is bound to
    found: list[Violation] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _forbidden(alias.name):
                    found.append(Violation(path, node.lineno, f"imports {alias.name}"))
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _forbidden(full) or _forbidden(node.module):
                    found.append(Violation(path, node.lineno, f"imports {full}"))
                aliases[alias.asname or alias.name] = full
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _forbidden(node.value):
            found.append(Violation(path, node.lineno, f"names module {node.value!r} in a string"))
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner:  # outermost attribute chains only
            dotted = _dotted(node)
            if dotted is None:
                continue
            root, _, rest = dotted.partition(".")
            resolved = f"{aliases.get(root, root)}.{rest}" if rest else aliases.get(root, root)
            if _forbidden(resolved):
                found.append(Violation(path, node.lineno, f"uses {resolved}"))
    return sorted(set(found), key=lambda v: (v.line, v.what))


def check_tree(directory: Path) -> list[Violation]:
    violations: list[Violation] = []
    for path in sorted(directory.rglob("*.py")):
        violations.extend(check_source(path.read_text(encoding="utf-8"), str(path)))
    return violations
