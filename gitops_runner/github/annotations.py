"""GitHub workflow-command annotations (::error file=..::message)."""

from __future__ import annotations


def _escape_data(text: str) -> str:
    # "##[" anywhere in a line is the older command syntax: break it as output.neutralise does.
    return (text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            .replace("##[", "#\u200b#["))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error_annotation(file: str, line: int, col: int, message: str) -> str:
    return (f"::error file={_escape_property(file)},line={line},col={col}::"
            f"{_escape_data(message)}")


def warning_annotation(file: str, message: str) -> str:
    return f"::warning file={_escape_property(file)}::{_escape_data(message)}"
