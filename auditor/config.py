"""Configuration: `[tool.auditor]` in pyproject.toml, or `.auditor.toml`, found by walking up from the
first input path (as ruff does). Command-line options override it.

```toml
[tool.auditor]
select = ["en", "fa"]            # rule-id prefixes or signal names
ignore = ["en.clarity.long-sentence"]
fail_level = "warning"           # lint exits 1 on findings at/above this
language = "auto"                # auto | fa | en
scorecard = "competencies-20"
[tool.auditor.severity]          # per rule id or signal
"en.greeting.hello" = "warning"
```
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .types import SEVERITIES

KEYS = {"select", "ignore", "severity", "fail_level", "language", "scorecard", "format", "jobs"}


class ConfigError(Exception):
    pass


@dataclass
class Config:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_level: str | None = None
    language: str | None = None
    scorecard: str | None = None
    format: str | None = None
    jobs: int | None = None
    path: str | None = None


def find_config(start: Path) -> Path | None:
    start = start.resolve()
    for folder in [start if start.is_dir() else start.parent, *(start if start.is_dir() else start.parent).parents]:
        for name in (".auditor.toml", "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file():
                if name == "pyproject.toml" and "auditor" not in _read(candidate).get("tool", {}):
                    continue
                return candidate
    return None


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    data = _read(path)
    table = data.get("tool", {}).get("auditor", {}) if path.name == "pyproject.toml" else data.get("tool", {}).get("auditor", data)
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown [tool.auditor] key(s) {sorted(unknown)}; known: {sorted(KEYS)}")
    cfg = Config(path=str(path))
    for key in ("select", "ignore"):
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: {key} must be a list of rule ids/prefixes or signals")
        setattr(cfg, key, value)
    severity = table.get("severity", {})
    if not isinstance(severity, dict) or any(v not in SEVERITIES for v in severity.values()):
        raise ConfigError(f"{path}: [tool.auditor.severity] maps rule ids/signals to one of {SEVERITIES}")
    cfg.severity = dict(severity)
    if table.get("fail_level") not in (None, *SEVERITIES):
        raise ConfigError(f"{path}: fail_level must be one of {SEVERITIES}")
    cfg.fail_level = table.get("fail_level")
    if table.get("language") not in (None, "auto", "fa", "en"):
        raise ConfigError(f"{path}: language must be auto, fa or en")
    cfg.language = table.get("language")
    cfg.scorecard = table.get("scorecard")
    cfg.format = table.get("format")
    cfg.jobs = table.get("jobs")
    return cfg


def split_codes(values) -> list[str]:
    """--select a,b --select c → [a, b, c]."""
    out = []
    for v in values or ():
        out += [c.strip() for c in v.split(",") if c.strip()]
    return out
