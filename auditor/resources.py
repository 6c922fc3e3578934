"""Where the bundled data folders (rules/, models/, scorecards/) are.

In a wheel they are copied into the package as auditor/_bundled/<name> (see pyproject.toml); in a source
checkout or editable install they sit beside the package at the repo's top level.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    for candidate in (_PKG / "_bundled" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PKG}; reinstall auditor")
