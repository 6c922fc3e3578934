"""Scorecards against people: `auditor evaluate --scorecards`.

Audits the held-out rated conversations (data/ratings/conversations-*.jsonl), scores them, and compares
with the human ratings (data/ratings/ratings.jsonl) per item and overall: exact agreement, within-one
agreement and quadratic-weighted Cohen's kappa, on items both sides found assessable; plus how often
the two agree on assessability itself.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from .learn import DataError


def _load_ratings(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                out[(obj["conversation"], obj["scorecard"])] = obj["items"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataError(f"{path}:{number}: bad rating record ({exc})") from None
    return out


def _kappa(a: list[int], b: list[int], lo: int, hi: int) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(a) < 2 or len(set(a) | set(b)) < 2:
        return None
    return float(cohen_kappa_score(a, b, weights="quadratic", labels=list(range(lo, hi + 1))))


def evaluate_scorecards(ratings_dir: str | Path, scorecards: tuple[str, ...] = ("competencies-20", "core-5")) -> dict[str, Any]:
    from .detect import DetectOptions
    from .ingest import read_paths
    from .pipeline import AuditResult, audit
    from .score import load_scorecard, score_conversation

    ratings_dir = Path(ratings_dir)
    ratings_path = ratings_dir / "ratings.jsonl"
    if not ratings_path.is_file():
        raise FileNotFoundError(f"{ratings_path}: no ratings file (see docs/rating-guide.md)")
    ratings = _load_ratings(ratings_path)
    conv_files = sorted(ratings_dir.glob("conversations-*.jsonl"))
    cards = {name: load_scorecard(name) for name in scorecards}
    machine: dict[tuple[str, str], dict[str, Any]] = {}
    languages: dict[str, str] = {}
    for item in audit(read_paths(conv_files), DetectOptions()):
        if isinstance(item, AuditResult):
            languages[item.conversation.id] = item.conversation.language or "?"
            for name, card in cards.items():
                score = score_conversation(card, item.conversation, item.findings)
                machine[(item.conversation.id, name)] = {i["id"]: i["score"] for i in score["items"]}
    result: dict[str, Any] = {"scorecards": {}}
    for name, card in cards.items():
        pairs: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        assess_agree = assess_total = 0
        for (conv, sc), human in ratings.items():
            if sc != name or (conv, sc) not in machine:
                continue
            auto = machine[(conv, sc)]
            for item in card.items:
                h, m = human.get(item.id), auto.get(item.id)
                assess_total += 1
                assess_agree += (h is None) == (m is None)
                if h is not None and m is not None:
                    pairs[item.id].append((int(h), int(m), languages.get(conv, "?")))
        items = {}
        for item in card.items:
            items[item.id] = _stats(pairs.get(item.id, []), card.min, card.max) | {"label": item.label}
        every = [p for ps in pairs.values() for p in ps]
        overall = {"all": _stats(every, card.min, card.max)}
        for lang in ("en", "fa"):
            overall[lang] = _stats([p for p in every if p[2] == lang], card.min, card.max)
        result["scorecards"][name] = {"items": items, "overall": overall,
                                      "assessability_agreement": round(assess_agree / assess_total, 3) if assess_total else None}
    result["conversations"] = len({c for c, _ in ratings})
    return result


def _stats(pairs: list[tuple[int, int, str]], lo: int, hi: int) -> dict[str, Any]:
    if not pairs:
        return {"n": 0, "exact": None, "within_one": None, "kappa": None}
    h = [p[0] for p in pairs]
    m = [p[1] for p in pairs]
    kappa = _kappa(h, m, lo, hi)
    return {"n": len(pairs), "exact": round(sum(a == b for a, b in zip(h, m)) / len(pairs), 3),
            "within_one": round(sum(abs(a - b) <= 1 for a, b in zip(h, m)) / len(pairs), 3),
            "kappa": None if kappa is None else round(kappa, 3),
            "human_mean": round(sum(h) / len(h), 2), "auto_mean": round(sum(m) / len(m), 2)}


def format_agreement(result: dict[str, Any], markdown: bool = False) -> str:
    lines = [f"{result['conversations']} rated conversations"]
    fmt = (lambda v: "-" if v is None else f"{v:.2f}")
    for name, data in result["scorecards"].items():
        lines.append(f"\n{'### ' if markdown else ''}{name}  (assessable/not-assessable agreement "
                     f"{fmt(data['assessability_agreement'])})\n")
        head = ["item", "n", "exact", "within-1", "weighted κ", "human mean", "auto mean"]
        if markdown:
            lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        else:
            lines.append(f"{'item':<28}{'n':>4}{'exact':>8}{'within1':>9}{'kappa':>8}{'human':>7}{'auto':>7}")
        rows = list(data["items"].items()) + [(f"ALL ({k})", v) for k, v in data["overall"].items()]
        for key, st in rows:
            label = key if key.startswith("ALL") else f"{key} {st.get('label', '')}"[:27]
            cells = [str(st["n"]), fmt(st["exact"]), fmt(st["within_one"]), fmt(st["kappa"]),
                     fmt(st.get("human_mean")), fmt(st.get("auto_mean"))]
            if markdown:
                lines.append(f"| {label} | " + " | ".join(cells) + " |")
            else:
                lines.append(f"{label:<28}{cells[0]:>4}{cells[1]:>8}{cells[2]:>9}{cells[3]:>8}{cells[4]:>7}{cells[5]:>7}")
    return "\n".join(lines) + "\n"
