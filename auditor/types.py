"""The records passed between stages. Plain dataclasses: cheap to build, easy to serialise.

Shapes follow ../shared/DESIGN.md (§1 conversation, §2 finding); `to_dict` gives the JSON contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("agent", "customer", "system")

AGENT_SIGNALS = (
    "greeting", "name_use", "empathy", "apology", "positive_phrasing", "negative_phrasing", "blame",
    "false_promise", "impatience", "clarifying_question", "paraphrase", "clarity_issue", "escalation",
    "escalation_complete", "closing_check", "thanks",
)
CUSTOMER_SIGNALS = ("frustration", "escalation_request", "abuse", "satisfied")
SIGNALS = AGENT_SIGNALS + CUSTOMER_SIGNALS
SEVERITIES = ("info", "warning", "error")
LANGUAGES = ("fa", "en")


def signal_role(signal: str) -> str:
    """The role whose turns a signal is about."""
    return "customer" if signal in CUSTOMER_SIGNALS else "agent"


@dataclass
class Turn:
    role: str
    text: str
    ts: str | None = None
    speaker: str | None = None
    language: str | None = None          # detected per turn (fa/en), filled by the pipeline
    line: int | None = None              # 1-based line in the source file, when known
    column: int = 1                      # 1-based column where `text` starts on that line
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update(role=self.role, text=self.text)
        for key in ("ts", "speaker", "language"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Conversation:
    id: str
    turns: list[Turn]
    agent: str | None = None
    team: str | None = None
    channel: str | None = None
    language: str | None = None          # given, or detected by the pipeline
    source: str | None = None            # file the record came from
    line: int | None = None              # 1-based line of the record in that file
    suppressed: dict[int, set[str]] = field(default_factory=dict)  # turn -> rule ids/"all" (inline disable)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out["id"] = self.id
        for key in ("agent", "team", "channel", "language"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["turns"] = [t.to_dict() for t in self.turns]
        return out


@dataclass
class Rejection:
    """A record that could not be read: it is counted and reported, never silently dropped."""

    source: str
    line: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "reason": self.reason}

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.reason}"


@dataclass
class Finding:
    conversation: str
    turn: int
    role: str
    signal: str
    rule: str                 # rule id, or "model:<name>@<version>"
    span: tuple[int, int]     # character offsets into the turn's ORIGINAL text
    evidence: str             # exactly text[span[0]:span[1]]
    severity: str
    confidence: float
    language: str
    message: str = ""
    # Filled for files with line structure (canned responses, lint): 1-based, in the original file.
    path: str | None = None
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "conversation": self.conversation, "turn": self.turn, "role": self.role,
            "signal": self.signal, "rule": self.rule, "span": list(self.span),
            "evidence": self.evidence, "severity": self.severity,
            "confidence": round(self.confidence, 4), "language": self.language,
            "message": self.message,
        }
        if self.path is not None:
            out.update(path=self.path, line=self.line, column=self.column)
        return out
