"""Throughput of `auditor audit` against a floor measured in the same run.

Corpus: every labelled turn in data/labelled (real Twitter/ABCD/Taskmaster/bank-review text and the
project's authored turns), grouped back into conversations, repeated --repeat times. Floor: the least any
auditor must do to the same text: hazm Normalizer (Persian) + spaCy blank tokenization (both languages).
Reported: conversations/s and chars/s for the full pipeline (rules only, rules+models) and the ratio of its
time to the floor's.

    python benchmarks/throughput.py [--repeat 3] [--jobs 1]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.detect import DetectOptions  # noqa: E402
from auditor.learn import load_examples  # noqa: E402
from auditor.pipeline import audit  # noqa: E402
from auditor.types import Conversation, Turn  # noqa: E402


def corpus(repeat: int) -> list[Conversation]:
    groups = defaultdict(list)
    for ex in load_examples(ROOT / "data" / "labelled"):
        groups[(ex.language, ex.conversation)].append(ex)
    convs = []
    for r in range(repeat):
        for (lang, cid), exs in groups.items():
            convs.append(Conversation(id=f"{cid}#{r}", language=lang,
                                      turns=[Turn(role=e.role, text=e.text) for e in exs]))
    return convs


def floor(convs: list[Conversation]) -> float:
    import spacy
    from hazm import Normalizer

    normalizer = Normalizer()
    nlp = {"fa": spacy.blank("fa"), "en": spacy.blank("en")}
    start = time.perf_counter()
    for lang in ("fa", "en"):
        texts = [t.text for c in convs if c.language == lang for t in c.turns]
        if lang == "fa":
            texts = [normalizer.normalize(t) for t in texts]
        for _ in nlp[lang].pipe(texts, batch_size=1000):
            pass
    return time.perf_counter() - start


def run(convs, detectors: str, jobs: int) -> float:
    import copy

    items = copy.deepcopy(convs)
    start = time.perf_counter()
    for _ in audit(items, DetectOptions(detectors=detectors), jobs=jobs):
        pass
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    convs = corpus(args.repeat)
    n_turns = sum(len(c.turns) for c in convs)
    n_chars = sum(len(t.text) for c in convs for t in c.turns)
    # warm-up: build pipelines, load models, hazm word lists (start-up is reported separately)
    t0 = time.perf_counter()
    run(convs[:5], "both", 1)
    startup = time.perf_counter() - t0
    floor_s = floor(convs)
    rows = {"floor (hazm + spaCy tokenize)": floor_s,
            "audit, rules only": run(convs, "rules", args.jobs),
            "audit, rules + models": run(convs, "both", args.jobs)}
    result = {"conversations": len(convs), "turns": n_turns, "chars": n_chars, "jobs": args.jobs,
              "startup_s": round(startup, 2), "python": platform.python_version(), "rows": {}}
    for name, secs in rows.items():
        result["rows"][name] = {"seconds": round(secs, 2), "conv_per_s": round(len(convs) / secs),
                                "chars_per_s": round(n_chars / secs), "x_floor": round(secs / floor_s, 2)}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"{len(convs)} conversations, {n_turns} turns, {n_chars:,} chars; jobs={args.jobs}; "
          f"start-up {startup:.1f}s (not included)")
    print(f"| run | seconds | conversations/s | chars/s | time ÷ floor |\n|---|---|---|---|---|")
    for name, r in result["rows"].items():
        print(f"| {name} | {r['seconds']} | {r['conv_per_s']:,} | {r['chars_per_s']:,} | {r['x_floor']} |")


if __name__ == "__main__":
    main()
