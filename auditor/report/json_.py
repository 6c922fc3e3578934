"""JSON (one document) and JSON Lines (one conversation per line, then a summary line) output."""

from __future__ import annotations

import json

from .base import Formatter


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


class JsonlFormatter(Formatter):
    """Streams: `auditor report` reads this back. Last line is {"summary": {...}}."""

    name = "jsonl"

    def result(self, result) -> None:
        self.out.write(dumps(result.to_dict()) + "\n")

    def end(self, summary) -> None:
        self.out.write(dumps({"summary": summary.to_dict()}) + "\n")


class JsonFormatter(Formatter):
    name = "json"

    def begin(self) -> None:
        self.out.write('{"conversations": [\n')
        self._first = True

    def result(self, result) -> None:
        self.out.write(("" if self._first else ",\n") + dumps(result.to_dict()))
        self._first = False

    def end(self, summary) -> None:
        self.out.write('\n],\n"summary": ' + json.dumps(summary.to_dict(), ensure_ascii=False, indent=1) + "}\n")
