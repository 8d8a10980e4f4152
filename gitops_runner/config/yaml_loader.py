"""Load YAML into plain Python data plus a map of where each value sits.

We compose ruamel.yaml's node graph and build the data ourselves rather than
letting a constructor do it. That way no tag can construct an object, aliases
cannot expand without bound (billion laughs), duplicate keys are caught, and
every key and value keeps its 1-based line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitops_runner.config.errors import Problem

try:  # ruamel.yaml's own C parser (libyaml): about ten times faster; see _compose
    from ruamel.yaml.clib._ruamel_yaml import CParser  # noqa: F401
    _C_PARSER = True
except ImportError:  # pragma: no cover - PyPy, or a platform without the wheel
    _C_PARSER = False

MAX_FILE_BYTES = 1_000_000
# Nodes visited while building the data; aliases count every time they expand.
MAX_NODES = 100_000
MAX_DEPTH = 64
# The C parser's composer recurses on the C stack and crashes the process instead of
# raising: seen past 8,000 levels on an 8 MB stack, near 2,000 on a 512 KB one. A document
# whose events nest deeper than this never reaches it (nor the pure parser, which would
# take minutes over it): it is refused, being past MAX_DEPTH anyway.
_C_NESTING_BOUND = 300
# Where libyaml and the pure parser part ways, the pure one decides: libyaml ends an anchor
# or alias at ':' (`&x: 1`), counts NEL and U+2028/2029 as line breaks (shifting every line
# after), and accepts tabs the pure parser rejects (a file must not validate only on
# CPython with the wheel).
_PURE_ONLY = re.compile(r"[\t\x85\u2028\u2029]|[&*][^\s\[\]{},]*:|^%", re.MULTILINE)

Path = tuple[str | int, ...]

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


@dataclass
class Positions:
    """Where things are: value positions by path, and key positions by path."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def of_value(self, path: Path) -> tuple[int, int]:
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def of_key(self, path: Path) -> tuple[int, int]:
        if path in self.keys:
            return self.keys[path]
        return self.of_value(path)


@dataclass
class LoadedYaml:
    file: str
    data: Any
    positions: Positions


class _Abort(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _pos(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.positions = Positions()
        self.visited = 0
        self.problems: list[Problem] = []

    def problem(self, node: Node, message: str) -> Problem:
        line, col = _pos(node)
        return Problem(self.file, line, col, message)

    def build(self, node: Node, path: Path, depth: int = 0) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise _Abort(self.problem(node, f"document expands to more than {MAX_NODES} nodes "
                                            "(alias bomb?); simplify the file"))
        if depth > MAX_DEPTH:
            raise _Abort(self.problem(node, f"nesting deeper than {MAX_DEPTH} levels"))
        if node.tag not in _PLAIN_TAGS:
            raise _Abort(self.problem(node, f"YAML tag {node.tag!r} is not allowed; "
                                            "use plain YAML values"))
        self.positions.values.setdefault(path, _pos(node))
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return _scalar(node)

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Abort(self.problem(key_node, "merge keys ('<<') are not supported; "
                                                    "write the keys out"))
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                raise _Abort(self.problem(key_node, "mapping keys must be plain strings"))
            key = str(_scalar(key_node))
            if key in result:
                first = self.positions.keys[(*path, key)]
                self.problems.append(self.problem(
                    key_node, f"duplicate key '{key}' (first at line {first[0]}); "
                              "remove one of them"))
                continue
            self.positions.keys[(*path, key)] = _pos(key_node)
            if isinstance(value_node, ScalarNode) and value_node.value == "" and \
                    value_node.tag == "tag:yaml.org,2002:null":
                # `key:` with nothing after it: at the key, as the two parsers would place
                # the empty value apart (after the colon, or at the next token).
                self.positions.values[(*path, key)] = _pos(key_node)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result


def _scalar(node: ScalarNode) -> Any:
    value = node.value
    tag = node.tag
    if tag == "tag:yaml.org,2002:int":
        text = value.replace("_", "")
        try:
            if text.lower().startswith(("0x", "-0x", "+0x")):
                return int(text, 16)
            if text.lower().startswith(("0o", "-0o", "+0o")):
                return int(text, 8)
            return int(text, 10)
        except ValueError:
            return value
    if tag == "tag:yaml.org,2002:float":
        lowered = value.lower().replace("_", "")
        if lowered in (".inf", "+.inf", "-.inf", ".nan"):
            return value  # not a number our schema accepts; left as text to be reported
        try:
            return float(lowered)
        except ValueError:
            return value
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() in ("true", "yes", "on")
    if tag == "tag:yaml.org,2002:null":
        return None
    return value


# The parser's words for the usual slips, said as what to do (the parser's text kept after).
_SYNTAX_HINTS = (
    ("expected <block end>", "line {line} is indented differently from the keys above it; "
                             "indent it exactly like its sibling keys"),
    ("mapping values are not allowed", "a ':' YAML did not expect on line {line}: check the "
                                       "indentation of this line and the one above, a key "
                                       "missing its ':', or quote a value that contains ': '"),
    ("'\\t' that cannot start", "line {line} is indented with a tab; YAML indents with "
                                 "spaces only"),
)


def _syntax_hint(detail: str, line: int) -> str:
    for needle, hint in _SYNTAX_HINTS:
        if needle in detail:
            return f"{hint.format(line=line)} (parser: {detail})"
    return detail


class _TooDeep(Exception):
    """The document nests past the bound (libyaml's events say so)."""


def _nests_within(text: str, bound: int) -> bool | None:
    """Whether no collection in `text` sits more than `bound` deep, read from libyaml's
    events (None: libyaml cannot read it). Its parser keeps its own stack, so any depth
    is safe to read, and the read stops as soon as the bound is passed. Read from the
    events, not the text: libyaml starts lines where a regular expression would not
    (a lone CR, a BOM), and a text bound that misses one lets a deep document through."""
    depth = 0
    try:
        for event in YAML(typ="safe", pure=False).parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > bound:
                    return False
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except (YAMLError, ValueError):
        return None
    return True


def _compose(text: str) -> list[Node | None]:
    # Directives (%YAML 1.1) change how scalars resolve and only the pure parser honours
    # them; a document the C parser rejects is parsed again so the error is the pure
    # parser's (its messages name the character, e.g. a tab, that the hints rely on).
    if _C_PARSER and not _PURE_ONLY.search(text):
        within = _nests_within(text, _C_NESTING_BOUND)
        if within is False:  # past MAX_DEPTH too: the pure parser would take minutes
            raise _TooDeep
        if within:
            try:
                return list(YAML(typ="safe", pure=False).compose_all(text))
            except (YAMLError, ValueError):
                pass
    # "safe", not "rt": the round-trip scanner marks folds in `>` scalars with BEL characters.
    return list(YAML(typ="safe", pure=True).compose_all(text))


def load_yaml_text(file: str, raw: bytes) -> tuple[LoadedYaml | None, list[Problem]]:
    """Parse one deploy file. Returns the data or the problems, never raises."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(file, 1, 1, f"file is {len(raw)} bytes, over the "
                                          f"{MAX_FILE_BYTES}-byte limit for a deploy file")]
    if b"\x00" in raw:
        return None, [Problem(file, 1, 1, "file is binary (contains NUL bytes), not YAML")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(file, line, 1, "file is not valid UTF-8; save it as UTF-8")]
    try:
        nodes = _compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(file, line, col, f"YAML syntax error: {_syntax_hint(detail, line)}")]
    except (RecursionError, _TooDeep):
        return None, [Problem(file, 1, 1, "document nests too deeply")]
    except (YAMLError, ValueError) as exc:
        return None, [Problem(file, 1, 1, f"YAML syntax error: {type(exc).__name__}")]
    found = [n for n in nodes if n is not None]
    if not found:
        return None, [Problem(file, 1, 1, "file is empty; it needs version, project and pods")]
    if len(found) > 1:
        line, col = _pos(found[1])
        return None, [Problem(file, line, col, "one YAML document per deploy file; "
                                               "split stacks into separate files")]
    builder = _Builder(file)
    try:
        data = builder.build(found[0], ())
    except _Abort as abort:
        return None, [abort.problem]
    except RecursionError:
        return None, [Problem(file, 1, 1, "document nests too deeply")]
    if builder.problems:
        return None, builder.problems
    return LoadedYaml(file, data, builder.positions), []
