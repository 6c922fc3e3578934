"""Trained classifiers: saved with skops, loaded with an explicit allow-list of types (never plain pickle).

One file per language, models/signals-<lang>.skops: a dict with the two TF-IDF vectorizers, one
classifier per signal and the thresholds chosen on dev. A file holding any type outside ALLOWED_TYPES is
refused, so a tampered or foreign model file cannot run code on load.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..resources import resource_dir
from ..types import SIGNALS, signal_role

ALLOWED_TYPES = {
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "numpy.float64", "numpy.int64", "numpy.dtype", "numpy.ndarray", "builtins.str", "builtins.float",
}


class ModelError(Exception):
    pass


def save_bundle(bundle: dict, path: str | Path) -> str:
    """Write a model bundle with skops; returns its sha256."""
    import skops.io as sio

    sio.dump(bundle, str(path), compression=8)
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_bundle(path: str | Path) -> dict:
    import skops.io as sio

    path = str(path)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # corrupt or not a skops file
        raise ModelError(f"{path}: not a readable skops model file ({exc})") from None
    refused = [t for t in untrusted if t not in ALLOWED_TYPES]
    if refused:
        raise ModelError(f"{path}: refusing to load types not on the allow-list: {refused}")
    return sio.load(path, trusted=list(untrusted))


class LanguageModel:
    """Per-signal probabilities for turns of one language."""

    def __init__(self, bundle: dict, path: str, version: str):
        self.bundle = bundle
        self.language = bundle["language"]
        self.models: dict[str, Any] = bundle["models"]
        self.thresholds: dict[str, dict[str, float]] = bundle["thresholds"]
        self.path = path
        self.version = version

    @property
    def signals(self) -> list[str]:
        return sorted(self.models)

    def threshold(self, signal: str, mode: str) -> float:
        t = self.thresholds.get(signal, {})
        return t.get("combined" if mode in ("combined", "both") else "model", 0.5)

    def predict_normalized(self, texts: list[str], roles: list[str], rule_hits: list[set[str]]) -> list[dict[str, float]]:
        """texts already normalized and lower-cased, as in training."""
        from ..learn import _matrix

        out: list[dict[str, float]] = [{} for _ in texts]
        if not texts:
            return out
        X = _matrix(self.bundle, texts, rule_hits)
        for signal, model in self.models.items():
            idx = [i for i, r in enumerate(roles) if r == signal_role(signal)]
            if not idx:
                continue
            probs = model.predict_proba(X[idx])[:, 1]
            for i, p in zip(idx, probs):
                out[i][signal] = float(p)
        return out

    def predict_texts(self, texts: list[str], roles: list[str], rules_root: str | None = None) -> list[dict[str, float]]:
        from ..learn import normalized_texts
        from . import DetectOptions, Detector
        from ..types import Conversation, Turn

        detector = Detector(DetectOptions(language=self.language, rules_root=rules_root), use_models=False)
        hits = [{f.signal for f in detector.detect(Conversation(id="x", turns=[Turn(role=r, text=t)]))}
                for t, r in zip(texts, roles)]
        return self.predict_normalized(normalized_texts(texts, self.language), roles, hits)


def model_path(language: str, models_dir: str | None = None) -> Path:
    root = Path(models_dir) if models_dir else resource_dir("models")
    return root / f"signals-{language}.skops"


@lru_cache(maxsize=8)
def load_language_model(language: str, models_dir: str | None = None) -> LanguageModel | None:
    """The model for a language, loaded once per process; None when no model file is shipped."""
    import json

    path = model_path(language, models_dir)
    if not path.is_file():
        return None
    card_path = path.with_suffix(".json")
    version = "0"
    if card_path.is_file():
        version = json.loads(card_path.read_text(encoding="utf-8")).get("version", "0")
    bundle = load_bundle(path)
    missing = [s for s in bundle.get("models", {}) if s not in SIGNALS]
    if missing:
        raise ModelError(f"{path}: model predicts unknown signals {missing}")
    return LanguageModel(bundle, str(path), version)
