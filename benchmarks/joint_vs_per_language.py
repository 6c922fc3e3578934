"""Per-language models (shipped) versus one joint model for both languages, compared on the DEV split.

Both are trained on the train split with the same features; each signal's threshold is chosen on dev
(as `auditor train` does), and dev F1 is reported per language. Dev, not test, because this comparison
decides which design ships.

    python benchmarks/joint_vs_per_language.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.learn import (_f1, _matrix, example_texts, load_examples, rule_predictions,  # noqa: E402
                           train_language)
from auditor.types import SIGNALS, signal_role  # noqa: E402


def dev_f1(bundle, dev, lang):
    exs = [e for e in dev if e.language == lang]
    X = _matrix(bundle, example_texts(exs), rule_predictions(exs))
    out = {}
    for signal, model in bundle["models"].items():
        idx = [i for i, e in enumerate(exs) if e.role == signal_role(signal) and signal not in e.uncertain]
        if not idx:
            continue
        y = np.array([signal in exs[i].labels for i in idx])
        if not y.any():
            continue
        p = model.predict_proba(X[idx])[:, 1] >= bundle["thresholds"][signal]["model"]
        out[signal] = _f1(y, p)
    return out


def main() -> None:
    examples = load_examples(ROOT / "data" / "labelled")
    dev = [e for e in examples if e.split == "dev"]
    joint, _ = train_language(examples, "joint")
    print("| lang | signal | per-language dev F1 | joint dev F1 |\n|---|---|---|---|")
    means = {}
    for lang in ("en", "fa"):
        per, _ = train_language(examples, lang)
        a, b = dev_f1(per, dev, lang), dev_f1(joint, dev, lang)
        for signal in SIGNALS:
            if signal in a or signal in b:
                print(f"| {lang} | {signal} | {a.get(signal, 0):.2f} | {b.get(signal, 0):.2f} |")
        common = [s for s in a if s in b]
        means[lang] = (np.mean([a[s] for s in common]), np.mean([b[s] for s in common]))
    for lang, (a, b) in means.items():
        print(f"| {lang} | mean over common signals | {a:.3f} | {b:.3f} |")


if __name__ == "__main__":
    main()
