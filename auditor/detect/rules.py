"""Rule packs: YAML rules (rules/<lang>/*.yaml) compiled into spaCy Matcher/PhraseMatcher patterns.

A rule is pure data (see docs/rules.md). Loading validates every field and reports `file:line: problem`;
raw regexes are refused (ReDoS safety): the only wildcard is a literal prefix (`word*`), compiled to an
anchored, escaped regex that runs in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ..normalize import get_nlp, key_tokens
from ..resources import resource_dir
from ..types import LANGUAGES, SEVERITIES, SIGNALS, signal_role
from ..yamlio import DataFileError, check_keys, did_you_mean, line_of, load_yaml

DEFAULT_SEVERITY = {
    **{s: "info" for s in SIGNALS},
    "negative_phrasing": "warning", "clarity_issue": "warning", "abuse": "warning",
    "blame": "error", "false_promise": "error", "impatience": "error",
}
RULE_KEYS = {
    "id", "signal", "severity", "message", "why", "checklist", "role", "patterns", "unless_followed_by",
    "unless_preceded_by", "unless_in_turn", "window", "position", "position_tokens", "suggest", "match",
    "no_match", "confidence",
}
PATTERN_KEYS = {"phrases", "tokens", "sentence", "long_sentence"}
SENTENCE_KEYS = {"starts_with", "ends_with", "contains"}
TOKEN_ATTRS = {"NORM", "LOWER", "TEXT", "IS_TITLE", "IS_ALPHA", "IS_DIGIT", "IS_PUNCT", "LIKE_NUM",
               "LIKE_URL", "OP"}
TOKEN_OPS = {"?", "*", "+", "!"}

ID_RE = re.compile(r"^(en|fa)\.[a-z0-9_]+(?:[.-][a-z0-9_]+)*$")
# Tokens skipped before a sentence's first word for `starts_with`: handles, links, punctuation, greetings.
OPENERS = {"hi", "hello", "hey", "dear", "سلام", "درود", "ok", "okay", "اوکی", "خب", "خوب"}


@dataclass
class Rule:
    id: str
    signal: str
    language: str
    severity: str
    message: str
    role: str
    why: str = ""
    checklist: list[str] = field(default_factory=list)
    suggest: str = ""
    confidence: float = 0.9
    phrases: list[str] = field(default_factory=list)
    tokens: list[list[dict]] = field(default_factory=list)
    sentences: list[dict] = field(default_factory=list)
    long_sentence: int | None = None
    unless_followed_by: list[str] = field(default_factory=list)
    unless_preceded_by: list[str] = field(default_factory=list)
    unless_in_turn: list[str] = field(default_factory=list)
    window: int = 3
    position: str = "any"
    position_tokens: int = 6
    match: list[str] = field(default_factory=list)
    no_match: list[str] = field(default_factory=list)
    path: str = ""
    line: int = 0

    @property
    def has_context(self) -> bool:
        return bool(self.unless_followed_by or self.unless_preceded_by or self.unless_in_turn)


# ---- loading & validation ------------------------------------------------------------------------
def _str_list(value: Any, where: str, path: Path, line: int | None) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DataFileError(path, line, f"{where} must be a list of non-empty strings")
    return list(value)


def _check_token_pattern(pattern: Any, path: Path, line: int | None) -> list[dict]:
    if not isinstance(pattern, list) or not pattern or not all(isinstance(t, dict) for t in pattern):
        raise DataFileError(path, line, "tokens must be a non-empty list of token specs ({NORM: ...})")
    for spec in pattern:
        for attr, value in spec.items():
            if attr not in TOKEN_ATTRS:
                hint = " (raw regexes are refused: use a 'prefix*' value)" if attr in ("REGEX", "FUZZY") else ""
                raise DataFileError(path, line_of(spec, attr) or line,
                                    f"token attribute {attr!r} not allowed{hint or did_you_mean(attr, TOKEN_ATTRS)}")
            if attr == "OP" and value not in TOKEN_OPS:
                raise DataFileError(path, line_of(spec, attr) or line, f"OP must be one of {sorted(TOKEN_OPS)}")
            if isinstance(value, dict):
                bad = set(value) - {"IN", "NOT_IN"}
                if bad:
                    raise DataFileError(path, line_of(spec, attr) or line,
                                        f"{attr}: only IN/NOT_IN are allowed, not {sorted(bad)}")
    return pattern


def parse_rule(raw: Any, language: str, path: Path) -> Rule:
    line = line_of(raw)
    check_keys(raw, path, "rule", RULE_KEYS, ("id", "signal", "patterns"))
    rule_id = raw["id"]
    if not isinstance(rule_id, str) or not ID_RE.match(rule_id):
        raise DataFileError(path, line_of(raw, "id"), f"bad rule id {rule_id!r}: use <lang>.<family>.<name>")
    if not rule_id.startswith(language + "."):
        raise DataFileError(path, line_of(raw, "id"), f"rule {rule_id} is in the {language!r} pack")
    signal = raw["signal"]
    if signal not in SIGNALS:
        raise DataFileError(path, line_of(raw, "signal"),
                            f"unknown signal {signal!r}{did_you_mean(signal, SIGNALS)}")
    severity = raw.get("severity", DEFAULT_SEVERITY[signal])
    if severity not in SEVERITIES:
        raise DataFileError(path, line_of(raw, "severity"), f"severity must be one of {SEVERITIES}")
    role = raw.get("role", signal_role(signal))
    if role not in ("agent", "customer"):
        raise DataFileError(path, line_of(raw, "role"), "role must be agent or customer")
    rule = Rule(id=rule_id, signal=signal, language=language, severity=severity, role=role,
                message=str(raw.get("message", signal.replace("_", " "))), why=str(raw.get("why", "")),
                suggest=str(raw.get("suggest", "")), path=str(path), line=line or 0)
    rule.checklist = _str_list(raw.get("checklist", []), "checklist", path, line_of(raw, "checklist")) \
        if raw.get("checklist") else []
    confidence = raw.get("confidence", 0.9)
    if not isinstance(confidence, (int, float)) or not 0 < confidence <= 1:
        raise DataFileError(path, line_of(raw, "confidence"), "confidence must be a number in (0, 1]")
    rule.confidence = float(confidence)
    patterns = raw["patterns"]
    pline = line_of(raw, "patterns")
    if not isinstance(patterns, list) or not patterns:
        raise DataFileError(path, pline, "patterns must be a non-empty list")
    for pat in patterns:
        pl = line_of(pat) or pline
        if not isinstance(pat, dict) or len(pat) != 1:
            raise DataFileError(path, pl, f"each pattern is one of {sorted(PATTERN_KEYS)}")
        (kind, value), = pat.items()
        if kind == "phrases":
            rule.phrases += _str_list(value, "phrases", path, pl)
        elif kind == "tokens":
            rule.tokens.append(_check_token_pattern(value, path, pl))
        elif kind == "sentence":
            if not isinstance(value, dict) or not value or set(value) - SENTENCE_KEYS:
                raise DataFileError(path, pl, f"sentence takes {sorted(SENTENCE_KEYS)}")
            rule.sentences.append({k: _str_list(v, f"sentence.{k}", path, pl) for k, v in value.items()})
        elif kind == "long_sentence":
            if not isinstance(value, int) or value < 5:
                raise DataFileError(path, pl, "long_sentence takes a token count (>= 5)")
            rule.long_sentence = value
        else:
            raise DataFileError(path, pl, f"unknown pattern kind {kind!r}{did_you_mean(kind, PATTERN_KEYS)}")
    for key in ("unless_followed_by", "unless_preceded_by", "unless_in_turn", "match", "no_match"):
        if key in raw:
            setattr(rule, key, _str_list(raw[key], key, path, line_of(raw, key)))
    for key in ("window", "position_tokens"):
        if key in raw:
            if not isinstance(raw[key], int) or raw[key] < 1:
                raise DataFileError(path, line_of(raw, key), f"{key} must be a positive integer")
            setattr(rule, key, raw[key])
    rule.position = raw.get("position", "any")
    if rule.position not in ("any", "start", "end"):
        raise DataFileError(path, line_of(raw, "position"), "position must be any, start or end")
    return rule


def load_pack_file(path: Path, language: str) -> list[Rule]:
    data = load_yaml(path)
    if data is None:
        return []
    if not isinstance(data, list):
        raise DataFileError(path, line_of(data), "a rule pack is a YAML list of rules")
    return [parse_rule(raw, language, path) for raw in data]


def rule_files(root: Path | None = None) -> list[tuple[str, Path]]:
    root = root or resource_dir("rules")
    out = []
    for language in LANGUAGES:
        out += [(language, p) for p in sorted((root / language).glob("*.yaml"))]
    return out


@lru_cache(maxsize=4)
def load_rules(root: str | None = None) -> tuple[Rule, ...]:
    """All rules of all packs, validated; duplicate ids are an error."""
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    for language, path in rule_files(Path(root) if root else None):
        for rule in load_pack_file(path, language):
            if rule.id in seen:
                first = seen[rule.id]
                raise DataFileError(path, rule.line, f"duplicate rule id {rule.id} (first at {first.path}:{first.line})")
            seen[rule.id] = rule
            rules.append(rule)
    return tuple(rules)


def matches_code(rule_id: str, signal: str, codes: Iterable[str]) -> bool:
    """Does a --select/--ignore code (rule id, id prefix at a dot boundary, signal, or all) cover this?"""
    return any(code in ("all", "ALL") or signal == code or rule_id == code
               or rule_id.startswith(code.rstrip(".") + ".") for code in codes)


def is_selected(rule_id: str, signal: str, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> bool:
    select, ignore = list(select), list(ignore)
    return (not select or matches_code(rule_id, signal, select)) and not matches_code(rule_id, signal, ignore)


def select_rules(rules: Iterable[Rule], select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Rule]:
    """Filter by rule-id prefix (dot boundary) or signal name, like ruff's --select/--ignore."""
    select, ignore = list(select), list(ignore)
    return [r for r in rules if is_selected(r.id, r.signal, select, ignore)]


# ---- compilation ---------------------------------------------------------------------------------
def _key(value: str, language: str) -> list[str]:
    return key_tokens(value, language)


def _phrase_pattern(phrase: str, language: str) -> tuple[list[dict], bool]:
    """Token specs for a phrase; the bool says whether it has a wildcard (needs the Matcher)."""
    specs: list[dict] = []
    wild = False
    for word in phrase.split():
        prefix = word.endswith("*") and len(word) > 1
        keys = _key(word.rstrip("*") if prefix else word, language)
        if not keys:
            continue
        for i, k in enumerate(keys):
            if prefix and i == len(keys) - 1:
                specs.append({"NORM": {"REGEX": "^" + re.escape(k)}})
                wild = True
            else:
                specs.append({"NORM": k})
    return specs, wild


def _token_value(attr: str, value: Any, language: str, rule: Rule) -> Any:
    if attr not in ("NORM", "LOWER", "TEXT") or isinstance(value, bool):
        return value

    def one(v: str, allow_prefix: bool) -> Any:
        v = str(v)
        if v.endswith("*") and len(v) > 1:
            if not allow_prefix:
                raise DataFileError(rule.path, rule.line, f"{rule.id}: prefix wildcards are not allowed inside IN/NOT_IN")
            base = v[:-1]
            key = _single_key(base, attr, language, rule)
            return {"REGEX": "^" + re.escape(key)}
        return _single_key(v, attr, language, rule)

    if isinstance(value, dict):
        return {op: [one(v, False) for v in vals] for op, vals in value.items()}
    return one(value, True)


def _single_key(value: str, attr: str, language: str, rule: Rule) -> str:
    if attr == "TEXT":
        return value
    if attr == "LOWER":
        return value.lower()
    keys = _key(value, language)
    if len(keys) != 1 and language == "en" and value[:1] in "'’" and len(_key("I" + value, language)) == 2:
        keys = _key("I" + value, language)[1:]     # a clitic written alone: 've → have, 'm → am
    if len(keys) != 1:
        raise DataFileError(rule.path, rule.line,
                            f"{rule.id}: token value {value!r} is {len(keys)} tokens after normalization {keys}; "
                            "split it into several token specs")
    return keys[0]


def _compile_tokens(pattern: list[dict], language: str, rule: Rule) -> list[dict]:
    out = []
    for spec in pattern:
        compiled = {}
        for attr, value in spec.items():
            compiled[attr] = value if attr == "OP" else _token_value(attr, value, language, rule)
        out.append(compiled)
    return out


def _run(matcher, doc) -> list:
    return list(matcher(doc)) if len(matcher) else []


@dataclass
class Hit:
    rule: Rule
    start: int   # token index
    end: int     # token index (exclusive)


class RuleEngine:
    """All rules of one language, compiled once, matched per spaCy Doc."""

    def __init__(self, rules: Iterable[Rule], language: str):
        from spacy.matcher import Matcher, PhraseMatcher

        self.language = language
        self.nlp = get_nlp(language)
        vocab = self.nlp.vocab
        self.rules = [r for r in rules if r.language == language]
        self.matcher = Matcher(vocab, validate=True)
        self.phrases = PhraseMatcher(vocab, attr="NORM")
        self.context = Matcher(vocab, validate=True)
        self.context_phrases = PhraseMatcher(vocab, attr="NORM")
        self._by_key: dict[int, Rule] = {}
        self.sentence_rules: list[Rule] = []
        for rule in self.rules:
            self._compile(rule)

    def _doc_for(self, specs: list[dict]):
        from spacy.tokens import Doc

        words = [s["NORM"] for s in specs]
        doc = Doc(self.nlp.vocab, words=words)
        for tok, w in zip(doc, words):
            tok.norm_ = w
        return doc

    def _add(self, matcher_key: str, phrase_list: list[str], primary: bool) -> None:
        plain, wild = [], []
        for phrase in phrase_list:
            specs, is_wild = _phrase_pattern(phrase, self.language)
            if not specs:
                continue
            (wild if is_wild else plain).append(specs)
        target_m = self.matcher if primary else self.context
        target_p = self.phrases if primary else self.context_phrases
        if plain:
            target_p.add(matcher_key, [self._doc_for(s) for s in plain])
        if wild:
            target_m.add(matcher_key, wild)

    def _compile(self, rule: Rule) -> None:
        key = self.nlp.vocab.strings.add(rule.id)
        self._by_key[key] = rule
        if rule.phrases:
            self._add(rule.id, rule.phrases, primary=True)
        if rule.tokens:
            try:
                self.matcher.add(rule.id, [_compile_tokens(p, self.language, rule) for p in rule.tokens])
            except ValueError as exc:  # spaCy's pattern validation
                raise DataFileError(rule.path, rule.line, f"{rule.id}: invalid token pattern: {exc}") from None
        for kind in ("unless_followed_by", "unless_preceded_by", "unless_in_turn"):
            phrases = getattr(rule, kind)
            if phrases:
                self._add(f"{rule.id}|{kind}", phrases, primary=False)
        for i, sent in enumerate(rule.sentences):
            for part in ("starts_with", "contains"):
                if part in sent:
                    self._add(f"{rule.id}|s{i}.{part}", sent[part], primary=False)
        if rule.sentences or rule.long_sentence:
            self.sentence_rules.append(rule)

    # ---- matching ----
    def match(self, doc, role: str) -> list[Hit]:
        strings = self.nlp.vocab.strings
        hits: list[Hit] = []
        for key, start, end in _run(self.phrases, doc) + _run(self.matcher, doc):
            rule = self._by_key[key]
            if rule.role == role:
                hits.append(Hit(rule, start, end))
        role_sentence_rules = [r for r in self.sentence_rules if r.role == role]
        context = None
        if role_sentence_rules or any(h.rule.has_context for h in hits):
            context = {}
            for key, start, end in _run(self.context_phrases, doc) + _run(self.context, doc):
                context.setdefault(strings[key], []).append((start, end))
        if role_sentence_rules:
            hits += self._sentence_hits(doc, role_sentence_rules, context)
        return [h for h in hits if self._keeps(h, doc, context)]

    def _sentence_hits(self, doc, rules: list[Rule], context: dict) -> list[Hit]:
        hits = []
        for sent in doc.sents:
            words = [t for t in sent if not t.is_space]
            if not words:
                continue
            first = sent.start
            while first < sent.end and (doc[first].is_space or doc[first].is_punct or doc[first].like_url
                                        or doc[first].text.startswith("@") or doc[first].norm_ in OPENERS):
                first += 1
            last = words[-1]
            for rule in rules:
                if rule.long_sentence:
                    n_words = sum(1 for t in words if not t.is_punct)
                    if n_words > rule.long_sentence:
                        hits.append(Hit(rule, sent.start, sent.end))
                        continue
                for i, pat in enumerate(rule.sentences):
                    if "ends_with" in pat and not any(last.text.endswith(e) for e in pat["ends_with"]):
                        continue
                    if "starts_with" in pat and not any(
                            s == first and e <= sent.end for s, e in context.get(f"{rule.id}|s{i}.starts_with", ())):
                        continue
                    if "contains" in pat and not any(
                            s >= sent.start and e <= sent.end for s, e in context.get(f"{rule.id}|s{i}.contains", ())):
                        continue
                    hits.append(Hit(rule, sent.start, sent.end))
                    break
        return hits

    def _keeps(self, hit: Hit, doc, context: dict | None) -> bool:
        rule = hit.rule
        if rule.position == "start":
            words_before = sum(1 for t in doc[:hit.start] if not t.is_space and not t.is_punct
                               and not t.text.startswith("@"))
            if words_before >= rule.position_tokens:
                return False
        elif rule.position == "end":
            words_after = sum(1 for t in doc[hit.end:] if not t.is_space and not t.is_punct)
            if words_after >= rule.position_tokens:
                return False
        if not rule.has_context:
            return True
        context = context or {}
        if context.get(f"{rule.id}|unless_in_turn"):
            return False
        sent_start = doc[hit.start].sent.start
        for s, e in context.get(f"{rule.id}|unless_preceded_by", ()):
            if s >= sent_start and hit.start - rule.window <= e <= hit.start:
                return False
        if rule.unless_followed_by:
            # the rest of this sentence and the next one: alternatives often come as «… ولی می‌تونم …»
            sent = doc[hit.start].sent
            limit = sent.end
            if limit < len(doc):
                limit = doc[limit].sent.end
            for s, e in context.get(f"{rule.id}|unless_followed_by", ()):
                if s >= hit.end and e <= limit:
                    return False
        return True


@lru_cache(maxsize=4)
def engine_for(language: str, root: str | None = None) -> RuleEngine:
    """The full pack of one language, compiled once (used by tests and `rules explain`)."""
    return RuleEngine(load_rules(root), language)


def rule_ids_matching(text: str, language: str, role: str, root: str | None = None) -> set[str]:
    """Which rules fire on one turn of text (before overlap merging): the unit of rule examples."""
    from ..normalize import normalize

    engine = engine_for(language, root)
    doc = engine.nlp(normalize(text, language).text)
    return {hit.rule.id for hit in engine.match(doc, role)}
