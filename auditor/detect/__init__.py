"""Detect stage: every detector (rule packs now, classifiers too) turns a conversation into Findings.

`Detector.detect(conversation)` does the per-turn work once: language, normalization (kept with its
offset map), tokenization, then each detector; findings of one signal that overlap in a turn are merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import langid
from ..normalize import NormText, get_nlp, normalize
from ..types import Conversation, Finding
from .rules import Rule, RuleEngine, load_rules, select_rules


@dataclass
class DetectOptions:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)   # rule id or signal -> severity
    language: str = "auto"                                    # auto | fa | en
    rules_root: str | None = None


@dataclass
class AnalysedTurn:
    index: int
    role: str
    language: str
    norm: NormText
    doc: object


class Detector:
    def __init__(self, options: DetectOptions | None = None):
        self.options = options or DetectOptions()
        rules = select_rules(load_rules(self.options.rules_root), self.options.select, self.options.ignore)
        self.rules: dict[str, Rule] = {r.id: r for r in rules}
        self.engines = {lang: RuleEngine(rules, lang) for lang in ("fa", "en")}

    # ---- per conversation ----
    def conversation_language(self, conv: Conversation) -> str:
        if self.options.language in ("fa", "en"):
            return self.options.language
        if conv.language in ("fa", "en"):
            return conv.language
        return langid.detect_conversation([t.text for t in conv.turns])

    def analyse(self, conv: Conversation) -> list[AnalysedTurn]:
        conv.language = self.conversation_language(conv)
        out = []
        for i, turn in enumerate(conv.turns):
            if self.options.language in ("fa", "en"):
                lang = self.options.language
            else:
                lang = langid.detect(turn.text, default=conv.language) or conv.language
            turn.language = lang
            if lang not in ("fa", "en"):
                continue   # e.g. Arabic: reported by language, no rules to run
            norm = normalize(turn.text, lang)
            out.append(AnalysedTurn(i, turn.role, lang, norm, get_nlp(lang)(norm.text)))
        return out

    def detect(self, conv: Conversation) -> list[Finding]:
        findings: list[Finding] = []
        for at in self.analyse(conv):
            if at.role not in ("agent", "customer"):
                continue
            findings += self._rule_findings(conv, at)
        return _merge_overlaps(findings)

    def _rule_findings(self, conv: Conversation, at: AnalysedTurn) -> list[Finding]:
        out = []
        suppressed = conv.suppressed.get(at.index, set())
        turn = conv.turns[at.index]
        for hit in self.engines[at.language].match(at.doc, at.role):
            rule = hit.rule
            if "all" in suppressed or rule.id in suppressed or rule.signal in suppressed:
                continue
            doc = at.doc
            start_char = doc[hit.start].idx
            end_char = doc[hit.end - 1].idx + len(doc[hit.end - 1].text)
            a, b = at.norm.to_original(start_char, end_char)
            severity = self.options.severity.get(rule.id) or self.options.severity.get(rule.signal) or rule.severity
            finding = Finding(conversation=conv.id, turn=at.index, role=at.role, signal=rule.signal, rule=rule.id,
                              span=(a, b), evidence=turn.text[a:b], severity=severity,
                              confidence=rule.confidence, language=at.language, message=rule.message)
            if turn.line is not None:
                finding.path, finding.line, finding.column = conv.source, turn.line, turn.column + a
            out.append(finding)
        return out


def _merge_overlaps(findings: list[Finding]) -> list[Finding]:
    """Same turn, same signal, overlapping spans: keep the longest (then the most confident)."""
    ordered = sorted(findings, key=lambda f: (f.turn, f.signal, -(f.span[1] - f.span[0]), -f.confidence))
    kept: list[Finding] = []
    for f in ordered:
        if any(k.turn == f.turn and k.signal == f.signal and k.span[0] < f.span[1] and f.span[0] < k.span[1]
               for k in kept):
            continue
        kept.append(f)
    kept.sort(key=lambda f: (f.turn, f.span[0], f.signal))
    return kept
