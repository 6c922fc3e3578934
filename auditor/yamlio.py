"""YAML loading that remembers line numbers, so errors in rule and scorecard files say file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class DataFileError(Exception):
    """A user-fixable problem in a rule pack or scorecard file: printed as `file:line: message`."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path, self.line, self.message = str(path), line, message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class LineMap(dict):
    """A mapping that knows the line it started on (`.line`) and each key's line (`.key_lines`)."""

    line: int = 0
    key_lines: dict


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    out = LineMap()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, None, f"not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise DataFileError(path, None, exc.strerror or str(exc)) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(path, line, f"invalid YAML: {problem}") from None


def did_you_mean(value: Any, allowed: Any) -> str:
    """' (did you mean 'x'?)' for the closest allowed name, or '' when nothing is close."""
    import difflib

    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(raw: Any, path: str | Path, what: str, known: set[str], required: tuple[str, ...]) -> None:
    """A data-file mapping has only known keys (typos get a suggestion) and every required one."""
    if not isinstance(raw, dict):
        raise DataFileError(path, line_of(raw), f"each {what} must be a mapping with {', '.join(required)}, ...")
    for key in raw:
        if key not in known:
            raise DataFileError(path, line_of(raw, key), f"unknown {what} key {key!r}{did_you_mean(key, known)}; "
                                                         f"known: {', '.join(sorted(known))}")
    for key in required:
        if key not in raw:
            raise DataFileError(path, line_of(raw), f"{what} is missing {key!r}")


def line_of(obj: Any, key: str | None = None) -> int | None:
    if isinstance(obj, LineMap):
        if key is not None and key in obj.key_lines:
            return obj.key_lines[key]
        return obj.line
    return None
