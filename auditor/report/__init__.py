"""Report stage: one formatter per output format, all fed the same stream of audit results.

Add a format by writing a module with a `Formatter` subclass and listing it in FORMATTERS.
"""

from __future__ import annotations

from .base import Formatter
from .concise import ConciseFormatter
from .json_ import JsonFormatter, JsonlFormatter
from .text import TextFormatter

FORMATTERS: dict[str, type[Formatter]] = {
    "text": TextFormatter,
    "json": JsonFormatter,
    "jsonl": JsonlFormatter,
    "concise": ConciseFormatter,
}

__all__ = ["FORMATTERS", "Formatter"]
