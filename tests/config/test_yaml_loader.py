from __future__ import annotations

import pytest

from gitops_runner.config import parse_stack
from gitops_runner.config.yaml_loader import MAX_FILE_BYTES, load_yaml_text

VALID = b"""\
version: 1
project: {name: demo}
pods:
  - name: api
    gpu: {type: NVIDIA L4}
    runtime: {image: nginx}
"""


def messages(raw: bytes) -> list[str]:
    _, problems = parse_stack("deploy.yaml", raw)
    return [str(p) for p in problems]


def test_loader_valid_file_builds_stack() -> None:
    stack, problems = parse_stack("deploy.yaml", VALID)
    assert problems == []
    assert stack is not None and stack.name == "demo/dev"


@pytest.mark.parametrize("raw, expected", [
    (b"version: 1\nproject: !!python/object/apply:os.system ['echo hi']\n",
     "deploy.yaml:2:10: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    (b"version: 1\nproject: !custom {name: x}\n", "deploy.yaml:2:10: YAML tag '!custom' is not allowed"),
    (b"version: 1\nversion: 1\n", "deploy.yaml:2:1: duplicate key 'version' (first at line 1)"),
    (b"a: 1\n---\nb: 2\n", "deploy.yaml:3:1: one YAML document per deploy file"),
    (b"", "deploy.yaml:1:1: file is empty"),
    (b"# only a comment\n", "deploy.yaml:1:1: file is empty"),
    (b"version: 1\n\x00\x01\x02", "deploy.yaml:1:1: file is binary"),
    (b"version: 1\nproject: \xff\xfe\n", "deploy.yaml:2:1: file is not valid UTF-8"),
    (b"version: [1\n", "deploy.yaml:2:1: YAML syntax error"),
    (b"base: &b {x: 1}\nother:\n  <<: *b\n", "deploy.yaml:3:3: merge keys ('<<') are not supported"),
    (b"- 1\n- 2\n", "deploy.yaml:1:1: the top level must be a mapping"),
])
def test_loader_hostile_input_is_a_clear_problem(raw: bytes, expected: str) -> None:
    found = messages(raw)
    assert found, "expected a problem"
    assert found[0].startswith(expected), found


def test_loader_alias_bomb_is_capped() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    found = messages("\n".join(lines).encode())
    assert len(found) == 1
    assert "expands to more than" in found[0]


def test_loader_oversized_file_is_refused() -> None:
    found = messages(b"#" * (MAX_FILE_BYTES + 1))
    assert found == [f"deploy.yaml:1:1: file is {MAX_FILE_BYTES + 1} bytes, over the "
                     f"{MAX_FILE_BYTES}-byte limit for a deploy file"]


def test_loader_deep_nesting_is_refused() -> None:
    found = messages(b"a: " + b"[" * 200 + b"]" * 200 + b"\n")
    assert found and ("nesting deeper" in found[0] or "nests too deeply" in found[0])


def test_loader_positions_point_at_keys_and_values() -> None:
    doc, problems = load_yaml_text("f.yaml", b"top:\n  inner: value\n  list: [a, b]\n")
    assert problems == [] and doc is not None
    assert doc.positions.keys[("top", "inner")] == (2, 3)
    assert doc.positions.values[("top", "inner")] == (2, 10)
    assert doc.positions.values[("top", "list", 1)] == (3, 13)


def test_loader_utf8_bom_is_accepted() -> None:
    _, problems = parse_stack("deploy.yaml", b"\xef\xbb\xbf" + VALID)
    assert problems == []


@pytest.mark.parametrize(("raw", "expected"), [
    (b"pods:\n  - name: x\n   size_gb: 10\n",
     "deploy.yaml:3:4: YAML syntax error: line 3 is indented differently from the keys above "
     "it; indent it exactly like its sibling keys (parser: expected <block end>"),
    (b"pods:\n  - name x\n    gpu: 1\n",
     "deploy.yaml:3:8: YAML syntax error: a ':' YAML did not expect on line 3: check the "
     "indentation"),
    (b"a:\n\tb: 1\n", "deploy.yaml:2:1: YAML syntax error: line 2 is indented with a tab"),
])
def test_loader_syntax_errors_say_what_to_fix(raw: bytes, expected: str) -> None:
    assert messages(raw)[0].startswith(expected), messages(raw)
