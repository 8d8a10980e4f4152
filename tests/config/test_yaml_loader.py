from __future__ import annotations

import time

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


def _both_parsers(text: str) -> tuple[object, object]:
    from ruamel.yaml import YAML
    fast = list(YAML(typ="safe", pure=False).compose_all(text))
    pure = list(YAML(typ="safe", pure=True).compose_all(text))
    return fast, pure


def _shape(node: object) -> object:
    from ruamel.yaml.nodes import MappingNode, ScalarNode
    mark = node.start_mark  # type: ignore[attr-defined]
    where = (node.tag, mark.line, mark.column)  # type: ignore[attr-defined]
    if isinstance(node, ScalarNode):
        return (*where, node.value)
    if isinstance(node, MappingNode):
        return (*where, [(_shape(k), _shape(v)) for k, v in node.value])
    return (*where, [_shape(item) for item in node.value])  # type: ignore[attr-defined]


CORPUS = [
    VALID.decode(),
    "a: yes\nb: on\nc: 010\nd: 0o10\ne: 1_000\nf: 2024-01-01\ng: ~\nh: 1e3\ni: .inf\nj: 0x1F\n",
    "x: &a [1, {b: 'q', c: \"r\"}]\ny: *a\nz: |\n  block\n  text\n? complex\n: value\n",
    "pods:\n- name: a\n  args:\n  - --x\n  - >-\n    folded\n    line\n# comment\n",
    "a: !!str 12\nb: !custom x\n\"quoted key\": 1\n'single': 2\n",
    "env: {NOTE: 'caf\u00e9 \u00fc\u00f1\u00ee'}\nx: [1, 2]\n",
]

# Where libyaml and the pure parser disagree, the loader must not use libyaml.
DISAGREE = [
    "&x: 1\n", "a:\n  &x:\n    b: 1\n",  # libyaml ends an anchor at ':'
    "env: {NOTE: 'one\u2028two'}\ngpu: 7\n", "a: 'x\x85y'\nb: 2\n",  # NEL, U+2028
    "a: 1\t# c\n", "a\t: 1\n",  # tabs the pure parser refuses
]


@pytest.mark.parametrize("text", DISAGREE)
def test_where_the_parsers_disagree_the_pure_one_decides(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ruamel.yaml import YAML
    pure = YAML(typ="safe", pure=True)
    try:
        expected: object = [_shape(n) for n in pure.compose_all(text)]
    except Exception as exc:  # noqa: BLE001 - the pure parser's verdict, whatever it is
        expected = type(exc)
    from gitops_runner.config import yaml_loader
    try:
        got: object = [_shape(n) for n in yaml_loader._compose(text) if n is not None]
    except Exception as exc:  # noqa: BLE001
        got = type(exc)
    assert got == expected


def test_an_empty_value_is_placed_at_its_key_whichever_parser_reads_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from gitops_runner.config import yaml_loader
    raw = b"a:\n\nb: 1\n"
    fast = yaml_loader.load_yaml_text("f.yaml", raw)[0]
    monkeypatch.setattr(yaml_loader, "_C_PARSER", False)
    pure = yaml_loader.load_yaml_text("f.yaml", raw)[0]
    assert fast is not None and pure is not None
    assert fast.positions.values[("a",)] == pure.positions.values[("a",)] == (1, 1)


@pytest.mark.parametrize("text", CORPUS)
def test_the_c_parser_gives_the_pure_parsers_nodes_and_positions(text: str) -> None:
    fast, pure = _both_parsers(text)
    assert [_shape(n) for n in fast] == [_shape(n) for n in pure]


def test_the_loader_uses_the_c_parser_for_an_ordinary_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ruamel.yaml.parser import Parser
    monkeypatch.setattr(Parser, "__init__", lambda *a: pytest.fail("pure parser used"))
    assert load_yaml_text("f.yaml", VALID)[1] == []


class _Spy:
    """Which parser (pure or C) was asked for what: `parse` (events) or `compose_all`.
    The C composer is never called through: a deep document would crash the process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from gitops_runner.config import yaml_loader
        self.calls: list[tuple[bool, str]] = []
        real = yaml_loader.YAML
        spy = self

        class Spied:
            def __init__(self, *, typ: str, pure: bool) -> None:
                self.real, self.pure = real(typ=typ, pure=pure), pure

            def parse(self, text: str) -> object:
                spy.calls.append((self.pure, "parse"))
                return self.real.parse(text)

            def compose_all(self, text: str) -> object:
                spy.calls.append((self.pure, "compose_all"))
                if not self.pure and spy.refuse_c_compose:
                    raise AssertionError("the C composer was given it")
                return self.real.compose_all(text)

        self.refuse_c_compose = False
        monkeypatch.setattr(yaml_loader, "YAML", Spied)


@pytest.mark.parametrize("raw", [
    b"a: " + b"[" * 400 + b"]" * 400 + b"\n",  # flow: one level per bracket
    b"a:\n" + b"".join(b" " * i + b"- \n" for i in range(1, 400)),  # block: per column
    b"a: " + b"[x, {b: " * 200 + b"1" + b"}]" * 200 + b"\n",
    # libyaml starts a line at a lone CR and skips a BOM there: a bound read from the
    # text with regular expressions missed both (found by review; a segfault before).
    b"#\r" + b"- " * 100_000 + b"a\n",
    b"#\n\xef\xbb\xbf" + b"- " * 100_000 + b"a\n",
])
def test_nesting_too_deep_for_the_c_parser_never_reaches_it(
        raw: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The C parser's composer crashes the process (a segfault, not an exception) some
    thousands of levels deep, fewer on a small stack: a document whose events nest past
    the bound is read only as events (libyaml keeps its own stack there) and refused,
    without the pure parser's minutes over it."""
    spy = _Spy(monkeypatch)
    spy.refuse_c_compose = True
    started = time.monotonic()
    found = messages(raw)
    assert spy.calls == [(False, "parse")], spy.calls
    assert found == ["deploy.yaml:1:1: document nests too deeply"], found
    assert time.monotonic() - started < 5


def test_a_file_of_flow_mappings_is_composed_by_the_c_parser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted bracket by bracket, 1,000 one-line pods could nest 3,000 deep; read as
    events they go three deep, so the fast parser composes them."""
    entries = b"".join(b"  - {name: p%d, gpu: {type: NVIDIA L4}, runtime: {image: i}}\n" % i
                       for i in range(1000))
    spy = _Spy(monkeypatch)
    doc, problems = load_yaml_text("f.yaml", b"pods:\n" + entries)
    assert problems == [] and doc is not None and len(doc.data["pods"]) == 1000
    assert spy.calls == [(False, "parse"), (False, "compose_all")]
    assert doc.positions.of_value(("pods", 999, "gpu", "type")) == (1001, 30)


def test_a_folded_scalar_has_no_round_trip_markers() -> None:
    raw = b"a: >-\n  folded\n  line\n"
    assert load_yaml_text("f.yaml", raw)[0].data == {"a": "folded line"}  # type: ignore[union-attr]


def test_a_yaml_1_1_directive_is_honoured() -> None:
    doc, problems = load_yaml_text("f.yaml", b"%YAML 1.1\n---\na: yes\n")
    assert problems == [] and doc is not None and doc.data == {"a": True}
    doc, _ = load_yaml_text("f.yaml", b"a: yes\n")
    assert doc is not None and doc.data == {"a": "yes"}
