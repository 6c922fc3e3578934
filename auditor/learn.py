"""Labelled data, classifier training and evaluation (`auditor train`, `auditor evaluate`).

Data: data/labelled/<lang>/*.jsonl, one labelled turn per line (docs/labelled-data-format.md). The split is
by conversation, from a salted hash (fixed seed), so every turn of a conversation lands in one split and
the split never changes as data is added: 60% train, 20% dev, 20% test. Test is never used for tuning.

Models: per language and signal, a logistic regression over char n-gram and word n-gram TF-IDF of the
normalized text plus a few dense features (rule hits per signal, length/readability). Probabilities are
sigmoid-calibrated (3-fold) where a signal has enough positives; the decision threshold is chosen on dev,
once for the model alone and once for the shipped combination (rule OR model).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .types import AGENT_SIGNALS, CUSTOMER_SIGNALS, LANGUAGES, SIGNALS, signal_role

SPLIT_SEED = "auditor-split-v1"
MIN_TRAIN_POSITIVES = 12
MODEL_VERSION = "1.0"


class DataError(Exception):
    """A problem in a labelled-data file, with file and line."""


@dataclass
class Example:
    id: str
    conversation: str
    language: str
    role: str
    text: str
    labels: set[str]
    uncertain: set[str]
    source: str
    path: str
    line: int

    @property
    def split(self) -> str:
        return split_of(self.conversation)


def split_of(conversation: str) -> str:
    bucket = int(hashlib.sha256(f"{SPLIT_SEED}:{conversation}".encode()).hexdigest(), 16) % 100
    return "train" if bucket < 60 else "dev" if bucket < 80 else "test"


def load_examples(data_dir: str | Path, languages: Iterable[str] = LANGUAGES) -> list[Example]:
    """Every labelled turn under data_dir/<lang>/*.jsonl, validated; the first problem stops with file:line."""
    data_dir = Path(data_dir)
    out: list[Example] = []
    seen: dict[str, str] = {}
    for lang in languages:
        for path in sorted((data_dir / lang).glob("*.jsonl")):
            with path.open(encoding="utf-8") as fh:
                for number, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    ex = _parse_example(line, lang, str(path), number)
                    if ex.id in seen:
                        raise DataError(f"{path}:{number}: duplicate id {ex.id!r} (first in {seen[ex.id]})")
                    seen[ex.id] = f"{path}:{number}"
                    out.append(ex)
    if not out:
        raise DataError(f"{data_dir}: no labelled turns found (expected {data_dir}/<fa|en>/*.jsonl)")
    return out


def _parse_example(line: str, lang: str, path: str, number: int) -> Example:
    where = f"{path}:{number}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: invalid JSON: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a JSON object")
    for key in ("id", "role", "text", "labels"):
        if key not in obj:
            raise DataError(f"{where}: missing {key!r}")
    role = obj["role"]
    if role not in ("agent", "customer"):
        raise DataError(f"{where}: role must be agent or customer, not {role!r}")
    text = obj["text"]
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: empty text")
    labels, uncertain = obj["labels"], obj.get("uncertain", [])
    for name, values in (("labels", labels), ("uncertain", uncertain)):
        if not isinstance(values, list):
            raise DataError(f"{where}: {name} must be a list")
        for sig in values:
            if sig not in SIGNALS:
                raise DataError(f"{where}: unknown signal {sig!r} in {name}")
            if signal_role(sig) != role:
                raise DataError(f"{where}: {sig!r} is a {signal_role(sig)} signal but this is a {role} turn")
    return Example(id=str(obj["id"]), conversation=str(obj.get("conversation", obj["id"])),
                   language=obj.get("language", lang), role=role, text=text, labels=set(labels),
                   uncertain=set(uncertain), source=str(obj.get("source", "")), path=path, line=number)


# ---- rule predictions on labelled turns ----------------------------------------------------------
def rule_predictions(examples: list[Example], rules_root: str | None = None) -> list[set[str]]:
    """Signals the rule packs fire on each labelled turn (turn audited alone, in its labelled language)."""
    from .detect import DetectOptions, Detector
    from .types import Conversation, Turn

    detectors = {lang: Detector(DetectOptions(language=lang, rules_root=rules_root), use_models=False)
                 for lang in LANGUAGES}
    out = []
    for ex in examples:
        conv = Conversation(id=ex.id, turns=[Turn(role=ex.role, text=ex.text)])
        out.append({f.signal for f in detectors[ex.language].detect(conv)})
    return out


# ---- features ------------------------------------------------------------------------------------
def normalized_texts(examples_or_texts: Iterable, language: str) -> list[str]:
    from .normalize import normalize

    texts = [e.text if isinstance(e, Example) else e for e in examples_or_texts]
    return [normalize(t, language).text.lower() for t in texts]


def example_texts(examples: list[Example]) -> list[str]:
    """Normalized, lower-cased text of each example, in its own language (joint models mix both)."""
    out: list[str] = [""] * len(examples)
    for lang in {e.language for e in examples}:
        idx = [i for i, e in enumerate(examples) if e.language == lang]
        for i, text in zip(idx, normalized_texts([examples[i] for i in idx], lang)):
            out[i] = text
    return out


def dense_features(texts: list[str], rule_hits: list[set[str]]) -> np.ndarray:
    """Rule hits per signal (0/1) + length and readability cues (for clarity_issue and impatience)."""
    rows = []
    for text, hits in zip(texts, rule_hits):
        words = text.split()
        n = max(len(words), 1)
        sentences = [s for s in text.replace("؟", "?").replace("!", ".").replace("?", ".").split(".") if s.strip()]
        longest = max((len(s.split()) for s in sentences), default=0)
        codes = sum(1 for w in words if any(c.isdigit() for c in w) and any(c.isalpha() for c in w))
        rows.append([1.0 if s in hits else 0.0 for s in SIGNALS] + [
            min(n / 60, 2.0), min(longest / 40, 2.0), codes / n, text.count("?") / n + text.count("؟") / n,
            text.count("!") / n])
    return np.asarray(rows, dtype=np.float64)


DENSE_NAMES = [f"rule:{s}" for s in SIGNALS] + ["length", "longest_sentence", "code_tokens", "questions", "exclaims"]


def _vectorizers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return (TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=60000),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                            token_pattern=r"(?u)\b\w+\b", max_features=30000))


def _matrix(bundle: dict, texts: list[str], hits: list[set[str]]):
    from scipy.sparse import csr_matrix, hstack

    if not bundle.get("rule_features", True):
        hits = [set()] * len(texts)
    return hstack([bundle["char"].transform(texts), bundle["word"].transform(texts),
                   csr_matrix(dense_features(texts, hits))]).tocsr()


def _best_threshold(y: np.ndarray, p: np.ndarray, forced: np.ndarray | None = None) -> tuple[float, float]:
    """Threshold maximizing F1 on dev; `forced` marks turns already positive (rule hits) for the union."""
    best_t, best_f = 0.5, -1.0
    for t in np.arange(0.1, 0.951, 0.025):
        pred = p >= t
        if forced is not None:
            pred = pred | forced
        f = _f1(y, pred)
        if f > best_f + 1e-9:
            best_t, best_f = float(t), f
    return round(best_t, 3), best_f


def _f1(y, pred) -> float:
    tp = int(np.sum(y & pred))
    fp = int(np.sum(~y & pred))
    fn = int(np.sum(y & ~pred))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


# ---- training ------------------------------------------------------------------------------------
@dataclass
class TrainReport:
    language: str
    signals: list[str]
    skipped: dict[str, str]
    thresholds: dict[str, dict[str, float]]
    counts: dict[str, dict[str, int]]
    seconds: float
    path: str = ""
    sha256: str = ""
    dev: dict = field(default_factory=dict)


def train_language(examples: list[Example], language: str, rules_root: str | None = None, seed: int = 13,
                   rule_features: bool = True) -> tuple[dict, TrainReport]:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    exs = [e for e in examples if e.language == language or language == "joint"]
    train = [e for e in exs if e.split == "train"]
    dev = [e for e in exs if e.split == "dev"]
    if not train or not dev:
        raise DataError(f"{language}: need labelled turns in both train and dev splits (have {len(train)}/{len(dev)})")
    train_texts, dev_texts = example_texts(train), example_texts(dev)
    train_hits, dev_hits = rule_predictions(train, rules_root), rule_predictions(dev, rules_root)
    char, word = _vectorizers()
    char.fit(train_texts)
    word.fit(train_texts)
    bundle: dict[str, Any] = {"char": char, "word": word, "models": {}, "language": language,
                              "rule_features": rule_features}
    X_train = _matrix(bundle, train_texts, train_hits)
    X_dev = _matrix(bundle, dev_texts, dev_hits)
    thresholds, skipped, counts, dev_scores = {}, {}, {}, {}
    for signal in SIGNALS:
        role = signal_role(signal)
        tr_idx = [i for i, e in enumerate(train) if e.role == role and signal not in e.uncertain]
        dv_idx = [i for i, e in enumerate(dev) if e.role == role and signal not in e.uncertain]
        y_tr = np.array([signal in train[i].labels for i in tr_idx])
        y_dv = np.array([signal in dev[i].labels for i in dv_idx])
        counts[signal] = {"train_pos": int(y_tr.sum()), "train": len(tr_idx), "dev_pos": int(y_dv.sum()), "dev": len(dv_idx)}
        if y_tr.sum() < MIN_TRAIN_POSITIVES or y_dv.sum() < 2:
            skipped[signal] = f"too few positives (train {int(y_tr.sum())}, dev {int(y_dv.sum())})"
            continue
        base = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, random_state=seed)
        if y_tr.sum() >= 30:
            model = CalibratedClassifierCV(base, method="sigmoid", cv=3)
        else:
            model = base
        model.fit(X_train[tr_idx], y_tr)
        p = model.predict_proba(X_dev[dv_idx])[:, 1]
        forced = np.array([signal in dev_hits[i] for i in dv_idx])
        t_model, f_model = _best_threshold(y_dv, p)
        t_comb, f_comb = _best_threshold(y_dv, p, forced)
        bundle["models"][signal] = model
        thresholds[signal] = {"model": t_model, "combined": t_comb}
        dev_scores[signal] = {"model_f1": round(f_model, 3), "combined_f1": round(f_comb, 3),
                              "rules_f1": round(_f1(y_dv, forced), 3)}
    bundle["thresholds"] = thresholds
    report = TrainReport(language, sorted(bundle["models"]), skipped, thresholds, counts,
                         round(time.perf_counter() - started, 2), dev=dev_scores)
    return bundle, report


def train_all(data_dir: str | Path, out_dir: str | Path, languages: Iterable[str] = LANGUAGES,
              rules_root: str | None = None, rule_features: bool = True) -> list[TrainReport]:
    from .detect.models import save_bundle

    examples = load_examples(data_dir, languages)
    reports = []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for lang in languages:
        if not any(e.language == lang for e in examples):
            continue
        bundle, report = train_language(examples, lang, rules_root, rule_features=rule_features)
        path = out_dir / f"signals-{lang}.skops"
        report.path, report.sha256 = str(path), save_bundle(bundle, path)
        reports.append(report)
    return reports


# ---- evaluation ----------------------------------------------------------------------------------
@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


def model_predictions(examples: list[Example], language: str, mode: str, models_dir: str | None = None,
                      rules_root: str | None = None) -> list[set[str]] | None:
    """Signals predicted by the shipped model for `language` at the `mode` threshold (model|combined)."""
    from .detect.models import load_language_model

    model = load_language_model(language, models_dir)
    if model is None:
        return None
    texts = [e.text for e in examples]
    probs = model.predict_texts(texts, [e.role for e in examples], rules_root)
    return [{s for s, p in pr.items() if p >= model.threshold(s, mode)} for pr in probs]


def evaluate(data_dir: str | Path, split: str = "test", languages: Iterable[str] = LANGUAGES,
             models_dir: str | None = None, rules_root: str | None = None) -> dict[str, Any]:
    examples = [e for e in load_examples(data_dir, languages) if e.split == split or split == "all"]
    result: dict[str, Any] = {"split": split, "languages": {}, "errors": {}}
    for lang in languages:
        exs = [e for e in examples if e.language == lang]
        if not exs:
            continue
        rules = rule_predictions(exs, rules_root)
        model = model_predictions(exs, lang, "model", models_dir, rules_root)
        combined_model = model_predictions(exs, lang, "combined", models_dir, rules_root)
        combined = [r | m for r, m in zip(rules, combined_model)] if combined_model is not None else None
        systems = {"rules": rules, "models": model, "combined": combined}
        table: dict[str, dict[str, dict[str, float]]] = {}
        errors: dict[str, dict[str, list]] = {}
        for signal in SIGNALS:
            role = signal_role(signal)
            idx = [i for i, e in enumerate(exs) if e.role == role and signal not in e.uncertain]
            row = {}
            for name, preds in systems.items():
                if preds is None:
                    continue
                s = Scores()
                for i in idx:
                    gold, pred = signal in exs[i].labels, signal in preds[i]
                    s.tp += gold and pred
                    s.fp += (not gold) and pred
                    s.fn += gold and not pred
                    if gold != pred:
                        errors.setdefault(signal, {}).setdefault(name, []).append(
                            {"id": exs[i].id, "kind": "FP" if pred else "FN", "text": exs[i].text,
                             "labels": sorted(exs[i].labels), "path": exs[i].path, "line": exs[i].line})
                row[name] = {"precision": round(s.precision, 3), "recall": round(s.recall, 3),
                             "f1": round(s.f1, 3), "support": s.support, "tp": s.tp, "fp": s.fp, "fn": s.fn}
            table[signal] = row
        macro = {}
        for name in systems:
            vals = [row[name]["f1"] for row in table.values() if name in row and row[name]["support"] > 0]
            if vals:
                macro[name] = round(sum(vals) / len(vals), 3)
        result["languages"][lang] = {"turns": len(exs), "signals": table, "macro_f1": macro}
        result["errors"][lang] = errors
    return result


TARGETS = {**{s: 0.85 for s in ("greeting", "thanks", "apology", "closing_check", "escalation")},
           **{s: 0.75 for s in ("empathy", "positive_phrasing", "negative_phrasing", "clarifying_question", "frustration")}}


def format_table(result: dict[str, Any], markdown: bool = False) -> str:
    lines = []
    for lang, data in result["languages"].items():
        systems = [s for s in ("rules", "models", "combined") if s in data["macro_f1"]]
        lines.append(f"\n{'### ' if markdown else ''}{lang} — {result['split']} split, {data['turns']} turns\n")
        head = ["signal", "support"] + [f"{s} P/R/F1" for s in systems] + ["target"]
        if markdown:
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|" + "---|" * len(head))
        else:
            lines.append(f"{'signal':<22}{'n':>5}  " + "  ".join(f"{s + ' P/R/F1':<20}" for s in systems) + "  target")
        for signal, row in data["signals"].items():
            if not row:
                continue
            support = next(iter(row.values()))["support"]
            cells = [f"{row[s]['precision']:.2f}/{row[s]['recall']:.2f}/{row[s]['f1']:.2f}" if s in row else "-" for s in systems]
            target = TARGETS.get(signal)
            best = max((row[s]["f1"] for s in systems if s in row), default=0)
            mark = "" if target is None else (f"{target:.2f} {'ok' if best >= target else 'MISS'}")
            if markdown:
                lines.append(f"| {signal} | {support} | " + " | ".join(cells) + f" | {mark} |")
            else:
                lines.append(f"{signal:<22}{support:>5}  " + "  ".join(f"{c:<20}" for c in cells) + f"  {mark}")
        macro = "  ".join(f"{s} {data['macro_f1'][s]:.3f}" for s in systems)
        lines.append(f"\nmacro F1 (signals with support): {macro}")
    return "\n".join(lines).strip() + "\n"
