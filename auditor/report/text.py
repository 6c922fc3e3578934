"""Human-readable terminal output: per conversation, its findings with evidence and the rule's advice.

Persian evidence is wrapped in Unicode directional isolates (FSI…PDI) on a terminal, so right-to-left
text shows in its own order inside the left-to-right line instead of scrambling the columns around it.
"""

from __future__ import annotations

import click

from .base import Formatter

SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}
FSI, PDI = "\u2068", "\u2069"


def _shorten(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class TextFormatter(Formatter):
    name = "text"

    def _s(self, text: str, **style) -> str:
        return click.style(text, **style) if self.color else text

    def _iso(self, text: str) -> str:
        return FSI + text + PDI if self.color else text

    def result(self, result) -> None:
        conv = result.conversation
        where = f"{conv.source}:{conv.line}" if conv.line else (conv.source or "")
        head = f"{self._s(conv.id, bold=True)}  agent={conv.agent or '-'}  {conv.language or '?'}  " \
               f"{len(conv.turns)} turn{'s' if len(conv.turns) != 1 else ''}  {self._s(where, dim=True)}"
        self.out.write(head + "\n")
        if not result.findings:
            self.out.write("  " + self._s("no findings", dim=True) + "\n")
        for f in result.findings:
            sev = self._s(f"{f.severity:<7}", fg=SEVERITY_STYLE.get(f.severity))
            own_line = f.turn < len(conv.turns) and conv.turns[f.turn].line is not None
            loc = f"{f.line}:{f.column}" if own_line else f"turn {f.turn}"
            self.out.write(f"  {loc:<8} {f.role:<8} {sev} {f.signal:<20} "
                           f"«{self._iso(_shorten(f.evidence, 60))}»  {self._s(f.rule, dim=True)}\n")
            if f.severity != "info" and f.message:
                self.out.write(f"           {self._s('→ ' + f.message, dim=True)}\n")
        for score in result.scores:
            self._score(score)
        self.out.write("\n")

    def _score(self, score: dict) -> None:
        total = score.get("total")
        shown = "n/a" if total is None else f"{total:g}/{score['max']:g}"
        rescaled = score.get("rescaled")
        extra = f" (assessable {score.get('assessable_total', 0):g}/{score.get('assessable_max', 0):g}" \
                f" → {rescaled:g}/{score['max']:g})" if rescaled is not None else ""
        self.out.write(f"  {self._s('scorecard ' + score['scorecard'], bold=True)}: {shown}{extra}\n")
        for item in score["items"]:
            value = "—" if item["score"] is None else f"{item['score']:g}/{item['max']:g}"
            status = "" if item["status"] == "scored" else f"  {self._s(item['status'], dim=True)}"
            self.out.write(f"    {item['id']:>14}  {value:>6}  {_shorten(item['label'], 50)}{status}\n")
