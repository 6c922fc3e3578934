"""One line per finding, `path:line:col: severity rule message «evidence»`, as linters print (ruff, Vale).

Editors and CI logs turn `path:line:col` into links; conversations without line structure (JSONL)
print `source:record-line` and the turn index instead.
"""

from __future__ import annotations

import click

from .base import Formatter
from .text import FSI, PDI, SEVERITY_STYLE, _shorten


class ConciseFormatter(Formatter):
    name = "concise"

    def result(self, result) -> None:
        conv = result.conversation
        for f in result.findings:
            if f.line:
                where = f"{f.path}:{f.line}:{f.column}"
            else:
                where = f"{conv.source}:{conv.line or 0}:1 [{conv.id} turn {f.turn}]"
            sev = click.style(f.severity, fg=SEVERITY_STYLE.get(f.severity)) if self.color else f.severity
            evidence = _shorten(f.evidence, 60)
            if self.color:
                evidence = FSI + evidence + PDI
            self.out.write(f"{where}: {sev} {f.rule} {f.message} «{evidence}»\n")
