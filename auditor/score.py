"""Score stage: findings mapped onto checklist items by scorecards (YAML data files in scorecards/).

The rule is deliberately simple and explainable (docs/scoring.md):
- an item that a transcript cannot show (`observable: no`), or that the conversation gives no occasion
  for (`occasion:` signals absent), is `not_assessable` with `score: null`;
- a `critical` signal present sets the item to the scale minimum (status `critical`);
- otherwise the item starts at its `neutral` (default `scale.neutral`) and moves, by `gain` × points: each `raises` signal adds its points once per
  conversation (repeating an apology is not more empathy), each `lowers` signal removes its points per
  occurrence (at most twice), each `expects` signal that is absent removes its points;
- context options on a signal: `after: S` (full points only after a customer turn showing S, else half),
  `near_end: true` (only in the agent's last two turns), `without: S` (only when S is absent);
- the result is clipped to the scale and rounded half up. Same findings → same score, always.
Totals: `total` sums assessable items (× weight), `max` is the checklist's full maximum, `assessable_max`
the maximum over assessable items, and `rescaled` = total / assessable_max × max.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .resources import resource_dir
from .types import CUSTOMER_SIGNALS, SIGNALS, Conversation, Finding
from .yamlio import DataFileError, check_keys, did_you_mean, line_of, load_yaml

CARD_KEYS = {"id", "title", "source", "original_language", "scale", "items", "description"}
ITEM_KEYS = {"id", "label", "original", "observable", "weight", "raises", "lowers", "expects", "occasion",
             "critical", "rationale", "neutral", "gain"}
EFFECT_KEYS = {"points", "after", "near_end", "without"}
OBSERVABLE = {"yes", "partly", "no"}


class ScorecardError(Exception):
    pass


@dataclass
class Effect:
    signal: str
    points: float
    after: str | None = None
    near_end: bool = False
    without: str | None = None


@dataclass
class Item:
    id: str
    label: str
    original: str
    observable: str
    weight: float
    raises: list[Effect]
    lowers: list[Effect]
    expects: list[Effect]
    occasion: list[str]
    critical: list[str]
    rationale: str
    neutral: float | None = None   # where this item starts (default: the scale's neutral)
    gain: float = 1.0              # multiplies every effect's points (calibrated on the dev rating set)


@dataclass
class Scorecard:
    id: str
    title: str
    source: str
    original_language: str
    min: int
    max: int
    neutral: float
    items: list[Item]
    path: str = ""
    description: str = ""

    @property
    def full_max(self) -> float:
        return sum(i.weight * self.max for i in self.items)


# ---- loading -------------------------------------------------------------------------------------
def _observable(value: Any) -> str:
    # YAML 1.1 reads bare yes/no as booleans
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def _effects(raw: Any, where: str, path: str, line: int | None) -> list[Effect]:
    if raw in (None, {}):
        return []
    if not isinstance(raw, dict):
        raise DataFileError(path, line, f"{where} must map signal names to points")
    out = []
    for signal, spec in raw.items():
        sline = line_of(raw, signal) or line
        _check_signal(signal, where, path, sline)
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            out.append(Effect(signal, float(spec)))
            continue
        if not isinstance(spec, dict) or "points" not in spec or set(spec) - EFFECT_KEYS:
            raise DataFileError(path, sline, f"{where}.{signal}: give points, or {{points, after|near_end|without}}")
        for key in ("after", "without"):
            if spec.get(key) is not None:
                _check_signal(spec[key], f"{where}.{signal}.{key}", path, sline)
        points = spec["points"]
        if not isinstance(points, (int, float)) or isinstance(points, bool):
            raise DataFileError(path, sline, f"{where}.{signal}.points must be a number")
        out.append(Effect(signal, float(points), spec.get("after"), bool(spec.get("near_end", False)),
                          spec.get("without")))
    return out


def _check_signal(signal: Any, where: str, path: str, line: int | None) -> None:
    if signal not in SIGNALS:
        raise DataFileError(path, line, f"{where}: {signal!r} is not a signal any detector emits"
                                        f"{did_you_mean(signal, SIGNALS)}")


def _signal_list(raw: Any, where: str, path: str, line: int | None) -> list[str]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        raise DataFileError(path, line, f"{where} must be a list of signals")
    for s in raw:
        _check_signal(s, where, path, line)
    return list(raw)


def parse_scorecard(data: Any, path: str) -> Scorecard:
    check_keys(data, path, "scorecard", CARD_KEYS, ("id", "title", "scale", "items"))
    scale = data["scale"]
    if not isinstance(scale, dict) or not all(isinstance(scale.get(k), (int, float)) for k in ("min", "max")):
        raise DataFileError(path, line_of(data, "scale"), "scale needs numeric min and max (and optional neutral)")
    lo, hi = scale["min"], scale["max"]
    neutral = scale.get("neutral", (lo + hi) / 2)
    if not lo < hi or not lo <= neutral <= hi:
        raise DataFileError(path, line_of(data, "scale"), "scale must have min < max and min <= neutral <= max")
    items_raw = data["items"]
    if not isinstance(items_raw, list) or not items_raw:
        raise DataFileError(path, line_of(data, "items"), "items must be a non-empty list")
    items, seen = [], set()
    for raw in items_raw:
        line = line_of(raw)
        check_keys(raw, path, "item", ITEM_KEYS, ("id", "label", "observable"))
        item_id = str(raw["id"])
        if item_id in seen:
            raise DataFileError(path, line_of(raw, "id"), f"duplicate item id {item_id!r}")
        seen.add(item_id)
        observable = _observable(raw["observable"])
        if observable not in OBSERVABLE:
            raise DataFileError(path, line_of(raw, "observable"), "observable must be yes, partly or no")
        weight = raw.get("weight", 1)
        if not isinstance(weight, (int, float)) or weight <= 0:
            raise DataFileError(path, line_of(raw, "weight"), "weight must be a positive number")
        for key, lo_ok in (("neutral", lo), ("gain", 0)):
            value = raw.get(key)
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)
                                      or value < lo_ok or (key == "neutral" and value > hi) or (key == "gain" and value <= 0)):
                raise DataFileError(path, line_of(raw, key), f"{key} must be a number "
                                    + (f"within the scale {lo}-{hi}" if key == "neutral" else "above 0"))
        where = f"item {item_id}"
        items.append(Item(
            id=item_id, label=str(raw["label"]), original=str(raw.get("original", "")), observable=observable,
            weight=float(weight),
            raises=_effects(raw.get("raises"), f"{where} raises", path, line_of(raw, "raises") or line),
            lowers=_effects(raw.get("lowers"), f"{where} lowers", path, line_of(raw, "lowers") or line),
            expects=_effects(raw.get("expects"), f"{where} expects", path, line_of(raw, "expects") or line),
            occasion=_signal_list(raw.get("occasion"), f"{where} occasion", path, line_of(raw, "occasion") or line),
            critical=_signal_list(raw.get("critical"), f"{where} critical", path, line_of(raw, "critical") or line),
            rationale=str(raw.get("rationale", "")),
            neutral=None if raw.get("neutral") is None else float(raw["neutral"]), gain=float(raw.get("gain", 1))))
    return Scorecard(id=str(data["id"]), title=str(data["title"]), source=str(data.get("source", "")),
                     original_language=str(data.get("original_language", "")), min=lo, max=hi,
                     neutral=float(neutral), items=items, path=path, description=str(data.get("description", "")))


def available_scorecards() -> dict[str, Path]:
    return {p.stem: p for p in sorted(resource_dir("scorecards").glob("*.yaml"))}


@lru_cache(maxsize=16)
def _load_path(path: str) -> Scorecard:
    try:
        return parse_scorecard(load_yaml(path), path)
    except DataFileError as exc:
        raise ScorecardError(str(exc)) from None


def load_scorecard(name_or_path: str) -> Scorecard:
    """A bundled scorecard by name, or a user's YAML file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise ScorecardError(f"{name_or_path}: no such scorecard file")
        return _load_path(str(candidate))
    cards = available_scorecards()
    if name_or_path not in cards:
        raise ScorecardError(f"unknown scorecard {name_or_path!r}; available: {', '.join(cards) or 'none'}")
    return _load_path(str(cards[name_or_path]))


# ---- scoring -------------------------------------------------------------------------------------
def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


@dataclass
class _Context:
    findings: list[Finding]
    present: set[str] = field(default_factory=set)
    last_agent_turns: set[int] = field(default_factory=set)
    first_customer_turn: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, conv: Conversation, findings: list[Finding]) -> "_Context":
        ctx = cls(findings)
        ctx.present = {f.signal for f in findings}
        agent_turns = [i for i, t in enumerate(conv.turns) if t.role == "agent"]
        ctx.last_agent_turns = set(agent_turns[-2:])
        for f in findings:
            if f.signal in CUSTOMER_SIGNALS:
                ctx.first_customer_turn[f.signal] = min(f.turn, ctx.first_customer_turn.get(f.signal, f.turn))
        return ctx

    def occurrences(self, effect: Effect) -> list[tuple[Finding, float]]:
        """Findings that an effect applies to, with the points each carries after context rules."""
        if effect.without and effect.without in self.present:
            return []
        out = []
        for f in self.findings:
            if f.signal != effect.signal:
                continue
            if effect.near_end and f.role == "agent" and f.turn not in self.last_agent_turns:
                continue
            points = effect.points
            if effect.after:
                first = self.first_customer_turn.get(effect.after)
                if first is None or first >= f.turn:
                    points = effect.points / 2
            out.append((f, points))
        return out

    def expected_present(self, effect: Effect) -> bool:
        return any(True for _ in self.occurrences(Effect(effect.signal, 1.0, None, effect.near_end, None)))


def _ref(f: Finding, effect: float) -> dict[str, Any]:
    return {"turn": f.turn, "signal": f.signal, "rule": f.rule, "span": list(f.span), "evidence": f.evidence,
            "effect": round(effect, 3)}


def score_item(card: Scorecard, item: Item, ctx: _Context) -> dict[str, Any]:
    base = {"id": item.id, "label": item.label, "max": card.max, "weight": item.weight}
    if item.observable == "no":
        return {**base, "score": None, "status": "not_assessable", "reason": "not observable in a transcript",
                "evidence": []}
    if item.occasion and not (ctx.present & set(item.occasion)):
        return {**base, "score": None, "status": "not_assessable",
                "reason": "no occasion in this conversation (needs " + " or ".join(item.occasion) + ")", "evidence": []}
    start = card.neutral if item.neutral is None else item.neutral
    breaches = [f for f in ctx.findings if f.signal in item.critical]
    if breaches:
        return {**base, "score": card.min, "status": "critical",
                "reason": "critical breach: " + ", ".join(sorted({f.signal for f in breaches})),
                "evidence": [_ref(f, card.min - start) for f in breaches]}
    value = start
    evidence = []
    gain = item.gain
    for effect in item.raises:
        occ = ctx.occurrences(effect)
        if occ:
            f, points = max(occ, key=lambda fp: fp[1])   # once per conversation: the strongest occurrence
            value += gain * points
            evidence.append(_ref(f, gain * points))
    for effect in item.lowers:
        for f, points in ctx.occurrences(effect)[:2]:    # per occurrence, at most twice
            value -= gain * points
            evidence.append(_ref(f, -gain * points))
    missing = []
    for effect in item.expects:
        if not ctx.expected_present(effect):
            value -= gain * effect.points
            missing.append(effect.signal)
    value = min(card.max, max(card.min, value))
    out = {**base, "score": _round_half_up(value), "status": "scored", "evidence": evidence}
    if missing:
        out["missing"] = missing
    return out


def score_conversation(card: Scorecard, conv: Conversation, findings: list[Finding]) -> dict[str, Any]:
    ctx = _Context.build(conv, findings)
    items = [score_item(card, item, ctx) for item in card.items]
    weights = {i.id: i.weight for i in card.items}
    assessable = [it for it in items if it["score"] is not None]
    total = sum(it["score"] * weights[it["id"]] for it in assessable)
    assessable_max = sum(card.max * weights[it["id"]] for it in assessable)
    full = card.full_max
    rescaled = round(total / assessable_max * full, 1) if assessable_max else None
    return {"conversation": conv.id, "agent": conv.agent, "scorecard": card.id, "items": items,
            "total": total, "max": full, "assessable_max": assessable_max, "assessable_total": total,
            "rescaled": rescaled, "assessable_items": len(assessable), "critical": sorted(
                {ref["signal"] for it in items if it["status"] == "critical" for ref in it["evidence"]})}


@dataclass(frozen=True)
class ScorerFactory:
    """Picklable recipe for a scorer (worker processes build their own)."""

    paths: tuple[str, ...]

    def __call__(self):
        cards = [_load_path(p) for p in self.paths]

        def scorer(conv: Conversation, findings: list[Finding]) -> list[dict[str, Any]]:
            return [score_conversation(card, conv, findings) for card in cards]

        return scorer
