"""Ingest stage: files and folders in, a stream of Conversation | Rejection | Notice out.

The format is chosen by extension, then by sniffing: .jsonl/.ndjson canonical JSON Lines; .json a JSON
document (canonical list or helpdesk export); .csv/.tsv one row per turn; .txt/.md/.text either a
speaker-prefixed transcript or, when lines carry no speaker prefixes, canned responses one per line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from ..types import Rejection
from .adapters import (Item, Notice, read_canned, read_csv, read_json, read_jsonl, read_transcript,
                       looks_like_transcript)
from .encoding import FileRefused, open_text
from .records import MAX_TURN_CHARS

__all__ = ["Item", "Notice", "read_paths", "iter_files", "MAX_TURN_CHARS"]

FORMATS = ("auto", "jsonl", "json", "csv", "transcript", "canned")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "csv",
              ".txt": "text", ".text": "text", ".md": "text", ".log": "text"}
_READERS = {"jsonl": read_jsonl, "json": read_json, "csv": read_csv, "transcript": read_transcript,
            "canned": read_canned}


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Notice | Rejection]:
    """Expand folders (sorted, hidden files skipped); files of unknown type in folders are noted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    child = Path(root) / name
                    if child.suffix.lower() in EXTENSIONS:
                        yield child
                    else:
                        yield Notice(str(child), None, "not a transcript format (.jsonl .json .csv .tsv .txt .md); skipped")
        elif path.exists():
            yield path
        else:
            yield Rejection(str(path), None, "no such file or directory")


def read_file(path: Path, fmt: str = "auto", max_chars: int = MAX_TURN_CHARS,
              text_mode: str = "auto") -> Iterator[Item]:
    """`text_mode` says how .txt/.md files are read: auto (sniff), transcript or canned (lint)."""
    try:
        decoded = open_text(path)
    except FileRefused as exc:
        yield Rejection(str(path), None, str(exc))
        return
    if decoded.note:
        yield Notice(str(path), None, decoded.note)
    kind = fmt
    if kind == "auto":
        kind = EXTENSIONS.get(path.suffix.lower(), "text")
        if kind == "text":
            if text_mode in ("transcript", "canned"):
                kind = text_mode
            else:
                kind = "transcript" if looks_like_transcript(decoded) else "canned"
    if path.stat().st_size == 0:
        yield Rejection(str(path), None, "empty file")
        return
    yield from _READERS[kind](decoded, max_chars)


def read_paths(paths: Iterable[str | Path], fmt: str = "auto", max_chars: int = MAX_TURN_CHARS,
               text_mode: str = "auto") -> Iterator[Item]:
    for entry in iter_files(paths):
        if isinstance(entry, Path):
            yield from read_file(entry, fmt, max_chars, text_mode)
        else:
            yield entry
