"""Fuzz the deploy-file loader: never a traceback, always problems with locations,
and through the CLI exit 1 with a message and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_runner.config import parse_stack
from tests.helpers import depths, run_cli

VALID = (b"version: 1\nproject: {name: demo}\npods:\n  - name: api\n    gpu: {type: NVIDIA L4}\n"
         b"    runtime: {image: nginx}\n")

HOSTILE = [
    b"\xef\xbb\xbf\x00",
    b"version: !!binary aGVsbG8=\n",
    b"version: !!set {a, b}\n",
    b"version: !!omap [a: 1]\n",
    b"? [complex, key]\n: value\n",
    b"&a [*a]\n",
    b"version: 1\nproject: *undefined\n",
    b"%YAML 1.1\n%TAG ! tag:evil.com,2000:\n---\nversion: !x 1\n",
    b"version: 1e999999\n",
    b"version: 0x" + b"f" * 5000 + b"\n",
    b"pods: [" * 5000,
    b"'" * 100000,
    b"version: 1\r\nproject:\r\n  name: demo\r\npods: []\r\n",
    b"\t- tab indented\n",
    "version: 1\nproject: {name: démo}\n".encode("utf-16"),
    b"version: 1\nproject: {name: demo}\npods:\n  - {name: a, gpu: {type: x}, runtime: {image: i},"
    b" replicas: 99999999999999999999999}\n",
]


def check_never_raises(raw: bytes) -> None:
    stack, problems = parse_stack("deploy.yaml", raw)
    assert (stack is None) == bool(problems)
    for p in problems:
        assert p.line >= 1 and p.col >= 1 and p.message


@pytest.mark.parametrize("raw", HOSTILE)
def test_fuzz_hostile_corpus(raw: bytes) -> None:
    check_never_raises(raw)


@pytest.mark.parametrize("examples", depths(300))
def test_fuzz_random_bytes(examples: int) -> None:
    @settings(max_examples=examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.binary(max_size=400))
    def check(raw: bytes) -> None:
        check_never_raises(raw)

    check()


@pytest.mark.parametrize("examples", depths(300))
def test_fuzz_mutated_valid_file(examples: int) -> None:
    @settings(max_examples=examples, deadline=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        raw = bytearray(VALID)
        for _ in range(data.draw(st.integers(1, 6))):
            pos = data.draw(st.integers(0, len(raw) - 1))
            op = data.draw(st.sampled_from(["flip", "delete", "insert"]))
            if op == "flip":
                raw[pos] = data.draw(st.sampled_from(list(b":-[]{}&*!|>'\"#%@` \n\t0a")))
            elif op == "delete":
                del raw[pos]
            else:
                raw.insert(pos, data.draw(st.sampled_from(list(b":-[]{}&*!\n "))))
        check_never_raises(bytes(raw))

    check()


DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["version", "project", "pods", "name", "gpu", "runtime", "image",
                         "state", "x"]), inner, max_size=4),
    max_leaves=20)


@pytest.mark.parametrize("examples", depths(150))
def test_fuzz_structured_documents(examples: int) -> None:
    @settings(max_examples=examples, deadline=None)
    @given(DOCUMENTS)
    def check(doc: object) -> None:
        check_never_raises(json.dumps(doc).encode())

    check()


@pytest.mark.parametrize("raw", HOSTILE[:6])
def test_fuzz_cli_exits_1_and_writes_nothing(raw: bytes, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy.yaml").write_bytes(raw)
    before = sorted(p.name for p in tmp_path.iterdir())
    for command in (["validate"], ["plan", "--sandbox"], ["apply", "--sandbox", "--auto-approve"]):
        result = run_cli(command)
        assert result.code == 1
        assert "deploy.yaml:" in (result.out + result.err)
        assert "Traceback" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
