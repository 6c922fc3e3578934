"""Model cards: models/signals-<lang>.json beside each model file (data, date, features, metrics, sha256)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .learn import DENSE_NAMES, MODEL_VERSION, SPLIT_SEED, TrainReport


def write_card(report: TrainReport, data_dir: str, metrics: dict | None = None) -> str:
    path = Path(report.path).with_suffix(".json")
    card = {
        "name": f"signals-{report.language}", "version": MODEL_VERSION, "language": report.language,
        "trained": dt.date.today().isoformat(), "file": Path(report.path).name, "sha256": report.sha256,
        "data": {"dir": str(data_dir), "split": f"by conversation, sha256('{SPLIT_SEED}:' + conversation) % 100: "
                                                "<60 train, <80 dev, else test", "counts": report.counts},
        "features": ["char_wb 2-5-gram TF-IDF (normalized text)", "word 1-2-gram TF-IDF", *DENSE_NAMES],
        "model": "LogisticRegression(class_weight=balanced, C=4), sigmoid-calibrated (3-fold) when >= 30 positives",
        "signals": report.signals, "skipped": report.skipped, "thresholds": report.thresholds,
        "dev": report.dev, "train_seconds": report.seconds,
    }
    if metrics:
        card["metrics"] = metrics
    path.write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return str(path)
