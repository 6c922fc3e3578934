"""Detect stage: every detector (rule packs now, classifiers too) turns a conversation into Findings.

`Detector.detect(conversation)` does the per-turn work once: language, normalization (kept with its
offset map), tokenization, then each detector; findings of one signal that overlap in a turn are merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import langid
from ..normalize import NormText, get_nlp, normalize
from ..types import Conversation, Finding
from .rules import DEFAULT_SEVERITY, Rule, RuleEngine, is_selected, load_rules, select_rules

MODEL_MESSAGES = {
    "negative_phrasing": "Frames what can't be done; say what can be done instead.",
    "impatience": "Sounds curt or dismissive; stay patient with the customer.",
    "clarity_issue": "Hard to follow (jargon, long sentence, vague time); say it plainly.",
    "blame": "Puts the fault on the customer or another party; own the problem.",
    "false_promise": "Unconditional guarantee that may not hold; promise only what you control.",
}


@dataclass
class DetectOptions:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)   # rule id or signal -> severity
    language: str = "auto"                                    # auto | fa | en
    detectors: str = "both"                                   # rules | models | both
    rules_root: str | None = None
    models_dir: str | None = None


@dataclass
class AnalysedTurn:
    index: int
    role: str
    language: str
    norm: NormText
    doc: object
    hits: list = field(default_factory=list)   # rule hits (every rule, before selection/suppression)


class Detector:
    def __init__(self, options: DetectOptions | None = None, use_models: bool | None = None):
        self.options = options or DetectOptions()
        all_rules = load_rules(self.options.rules_root)
        self.rules: dict[str, Rule] = {r.id: r for r in select_rules(all_rules, self.options.select,
                                                                        self.options.ignore)}
        # One engine with every rule: selected rules become findings, and all hits are model features
        # (models were trained on every rule's hits, whatever --select says), so each turn is matched once.
        self.engines = {lang: RuleEngine(all_rules, lang) for lang in ("fa", "en")}
        self.models: dict[str, object] = {}
        if use_models is None:
            use_models = self.options.detectors in ("models", "both")
        if use_models:
            from .models import load_language_model

            for lang in ("fa", "en"):
                model = load_language_model(lang, self.options.models_dir)
                if model is not None:
                    self.models[lang] = model

    # ---- per conversation ----
    def conversation_language(self, conv: Conversation) -> str:
        if self.options.language in ("fa", "en"):
            return self.options.language
        if conv.language in ("fa", "en"):
            return conv.language
        return langid.detect_conversation([t.text for t in conv.turns])

    def analyse(self, conv: Conversation) -> list[AnalysedTurn]:
        """Language, normalization, tokens and rule hits of every agent/customer turn."""
        conv.language = self.conversation_language(conv)
        out = []
        for i, turn in enumerate(conv.turns):
            if self.options.language in ("fa", "en"):
                lang = self.options.language
            else:
                lang = langid.detect(turn.text, default=conv.language) or conv.language
            turn.language = lang
            if lang not in ("fa", "en") or turn.role not in ("agent", "customer"):
                continue   # e.g. Arabic or system turns: reported by language, no rules to run
            norm = normalize(turn.text, lang)
            doc = get_nlp(lang)(norm.text)
            out.append(AnalysedTurn(i, turn.role, lang, norm, doc, self.engines[lang].match(doc, turn.role)))
        return out

    def detect(self, conv: Conversation) -> list[Finding]:
        return self.detect_many([conv])[0]

    def detect_many(self, convs: list[Conversation]) -> list[list[Finding]]:
        """Findings for each conversation; classifier predictions are batched over all of them."""
        analysed = [self.analyse(conv) for conv in convs]
        emit_rules = self.options.detectors in ("rules", "both") or not self.models
        results = [[f for at in turns for f in self._rule_findings(conv, at)] if emit_rules else []
                   for conv, turns in zip(convs, analysed)]
        if self.models:
            self._model_findings(convs, analysed, results)
        return [_merge_overlaps(findings) for findings in results]

    def _model_findings(self, convs: list[Conversation], analysed: list[list[AnalysedTurn]],
                        results: list[list[Finding]]) -> None:
        """Add turn-level classifier findings for (turn, signal) pairs the rules did not already find."""
        mode = "combined" if self.options.detectors == "both" else "model"
        for lang, model in self.models.items():
            group = [(k, at) for k, turns in enumerate(analysed) for at in turns if at.language == lang]
            if not group:
                continue
            probs = model.predict_normalized([at.norm.text.lower() for _, at in group], [at.role for _, at in group],
                                             [{h.rule.signal for h in at.hits} for _, at in group])
            for (k, at), pr in zip(group, probs):
                conv = convs[k]
                found = {f.signal for f in results[k] if f.turn == at.index}
                text = conv.turns[at.index].text
                for signal, p in pr.items():
                    if p < model.threshold(signal, mode) or signal in found:
                        continue
                    if not self._allowed(signal, f"model:{signal}", conv.suppressed.get(at.index, set())):
                        continue
                    a = len(text) - len(text.lstrip())
                    b = len(text.rstrip())
                    finding = Finding(conversation=conv.id, turn=at.index, role=at.role, signal=signal,
                                      rule=f"model:{signal}@{model.version}", span=(a, b), evidence=text[a:b],
                                      severity=self.options.severity.get(signal) or DEFAULT_SEVERITY[signal],
                                      confidence=p, language=lang,
                                      message=MODEL_MESSAGES.get(signal, signal.replace("_", " ")))
                    self._locate(finding, conv, at.index, a)
                    results[k].append(finding)

    def _allowed(self, signal: str, rule_id: str, suppressed: set[str]) -> bool:
        if suppressed & {"all", "model", signal, rule_id}:
            return False
        return is_selected(rule_id, signal, self.options.select, self.options.ignore)

    @staticmethod
    def _locate(finding: Finding, conv: Conversation, index: int, offset: int) -> None:
        turn = conv.turns[index]
        if turn.line is not None:
            finding.path, finding.line, finding.column = conv.source, turn.line, turn.column + offset
        elif conv.line is not None:
            finding.path, finding.line, finding.column = conv.source, conv.line, 1

    def _rule_findings(self, conv: Conversation, at: AnalysedTurn) -> list[Finding]:
        out = []
        suppressed = conv.suppressed.get(at.index, set())
        turn = conv.turns[at.index]
        for hit in at.hits:
            rule = hit.rule
            if rule.id not in self.rules or suppressed & {"all", rule.id, rule.signal}:
                continue
            doc = at.doc
            start_char = doc[hit.start].idx
            end_char = doc[hit.end - 1].idx + len(doc[hit.end - 1].text)
            a, b = at.norm.to_original(start_char, end_char)
            severity = self.options.severity.get(rule.id) or self.options.severity.get(rule.signal) or rule.severity
            finding = Finding(conversation=conv.id, turn=at.index, role=at.role, signal=rule.signal, rule=rule.id,
                              span=(a, b), evidence=turn.text[a:b], severity=severity,
                              confidence=rule.confidence, language=at.language, message=rule.message)
            self._locate(finding, conv, at.index, a)
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
