"""The spec loader rejects each broken rule with the file, line and clause id in its message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from nnconform.spec import SpecError, load_spec

CAPABILITIES = textwrap.dedent("""\
    capabilities:
      autograd: gradients
      buffer_class: nn.Buffer
""")

VALID = textwrap.dedent("""\
    area: registration
    title: Registration
    prefix: REG
    docs_base: https://docs.pytorch.org/docs/stable/
    clauses:
      - id: REG-ONE
        level: must
        summary: The first clause.
        symbol: torch.nn.Module.register_parameter
        docs: generated/torch.nn.Module.html
        since: "1.0"
      - id: REG-TWO
        level: compat
        summary: The second clause.
        symbol: torch.nn.Module.register_buffer
        docs: generated/torch.nn.Module.html
        since: "1.6"
        requires: [autograd]
        depends_on: [REG-ONE]
""")


def write_spec(
    tmp_path: Path, text: str = VALID, name: str = "registration.yaml", capabilities: str = CAPABILITIES
) -> Path:
    (tmp_path / "capabilities.yaml").write_text(capabilities)
    (tmp_path / name).write_text(text)
    return tmp_path


def rejects(
    tmp_path: Path, text: str, line: int, clause: str | None, words: str, name: str = "registration.yaml"
) -> None:
    spec_dir = write_spec(tmp_path, text, name)
    with pytest.raises(SpecError) as info:
        load_spec(spec_dir)
    message = str(info.value)
    assert f"{name}:{line}:" in message, f"message should name {name}:{line}: {message}"
    if clause:
        assert f"clause {clause}" in message, f"message should name clause {clause}: {message}"
    assert words in message, f"message should say {words!r}: {message}"


def test_valid_spec_loads(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path))
    assert list(spec.clauses) == ["REG-ONE", "REG-TWO"]
    two = spec.clauses["REG-TWO"]
    assert two.docs == "https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html"
    assert two.requires == ("autograd",) and two.depends_on == ("REG-ONE",) and two.line == 12


def test_unknown_field(tmp_path: Path) -> None:
    rejects(
        tmp_path,
        VALID.replace('    since: "1.6"', '    since: "1.6"\n    sumary: typo'),
        18,
        "REG-TWO",
        "unknown field 'sumary'",
    )


def test_missing_field(tmp_path: Path) -> None:
    rejects(
        tmp_path,
        VALID.replace("    symbol: torch.nn.Module.register_buffer\n", ""),
        12,
        "REG-TWO",
        "missing field 'symbol'",
    )


def test_bad_level(tmp_path: Path) -> None:
    rejects(tmp_path, VALID.replace("level: compat", "level: should"), 13, "REG-TWO", "level 'should'")


def test_duplicate_id_in_one_file(tmp_path: Path) -> None:
    rejects(tmp_path, VALID.replace("id: REG-TWO", "id: REG-ONE"), 12, "REG-ONE", "duplicate id")


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    (tmp_path / "hooks.yaml").write_text(
        VALID.replace("area: registration", "area: hooks").replace("id: REG-TWO", "id: REG-THREE")
    )
    rejects(tmp_path, VALID, 6, "REG-ONE", "duplicate id, first defined at", name="registration.yaml")


def test_depends_on_unknown_clause(tmp_path: Path) -> None:
    rejects(
        tmp_path,
        VALID.replace("depends_on: [REG-ONE]", "depends_on: [REG-NINE]"),
        12,
        "REG-TWO",
        "unknown clause REG-NINE",
    )


def test_depends_on_cycle(tmp_path: Path) -> None:
    text = VALID.replace('    since: "1.0"\n', '    since: "1.0"\n    depends_on: [REG-TWO]\n', 1)
    rejects(tmp_path, text, 6, "REG-ONE", "cycle")


def test_unknown_capability(tmp_path: Path) -> None:
    rejects(
        tmp_path,
        VALID.replace("requires: [autograd]", "requires: [telepathy]"),
        18,
        "REG-TWO",
        "unknown capability 'telepathy'",
    )


def test_malformed_id(tmp_path: Path) -> None:
    rejects(tmp_path, VALID.replace("id: REG-TWO", "id: reg_two"), 12, "reg_two", "id must be")


def test_id_outside_area_prefix(tmp_path: Path) -> None:
    rejects(tmp_path, VALID.replace("id: REG-TWO", "id: HOOK-TWO"), 12, "HOOK-TWO", "area prefix REG-")


def test_unquoted_version(tmp_path: Path) -> None:
    rejects(tmp_path, VALID.replace('since: "1.6"', "since: 1.10"), 17, "REG-TWO", "quote version numbers")


def test_retired_id_reused(tmp_path: Path) -> None:
    text = VALID + "retired:\n  - id: REG-TWO\n    reason: merged into REG-ONE\n"
    rejects(tmp_path, text, 12, "REG-TWO", "retired")


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    rejects(
        tmp_path,
        VALID.replace("    level: compat\n", "    level: compat\n    level: must\n"),
        14,
        None,
        "duplicate key 'level'",
    )


def test_invalid_yaml(tmp_path: Path) -> None:
    rejects(
        tmp_path,
        VALID.replace("    summary: The second clause.", "    summary: [unclosed"),
        15,
        None,
        "invalid YAML",
    )


def test_area_must_match_file_name(tmp_path: Path) -> None:
    rejects(tmp_path, VALID, 1, None, "must match the file name", name="hooks.yaml")


def test_unsafe_yaml_tags_are_refused(tmp_path: Path) -> None:
    text = VALID.replace("summary: The first clause.", "summary: !!python/object/apply:os.system ['true']")
    rejects(tmp_path, text, 8, None, "invalid YAML")


def test_unknown_capability_name_format(tmp_path: Path) -> None:
    spec_dir = write_spec(tmp_path, capabilities="capabilities:\n  Bad-Name: x\n")
    with pytest.raises(SpecError, match=r"capabilities.yaml:2: .*snake_case"):
        load_spec(spec_dir)


def test_the_project_spec_is_valid() -> None:
    spec = load_spec()
    assert spec.by_area("registration"), "spec/registration.yaml should define clauses"
