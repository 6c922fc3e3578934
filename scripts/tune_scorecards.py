"""Calibrate each scorecard item's starting point (`neutral`) and effect size (`gain`) on the DEV rating set.

    python scripts/tune_scorecards.py [--ratings data/ratings-dev] [--write]

For each assessable item, a small grid (neutral 2–4, gain 0.5–3) is searched for the lowest squared error
against the dev ratings, among settings that still let the item span the scale (all its raising signals
reach the maximum, its lapses the minimum); a setting is kept only if it beats the default (neutral 3, gain 1) by a clear
margin, so 40 conversations cannot pull items far on noise. `--write` puts the values into the YAML files
(`neutral:`/`gain:` lines under each item's `weight:`). The held-out set (data/ratings/) is never read here:
check the result with `auditor evaluate --scorecards`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.detect import DetectOptions  # noqa: E402
from auditor.ingest import read_paths  # noqa: E402
from auditor.pipeline import AuditResult, audit  # noqa: E402
from auditor.score import _Context, load_scorecard, score_item  # noqa: E402

NEUTRALS = (2.0, 2.5, 3.0, 3.5, 4.0)
GAINS = (0.5, 1.0, 1.5, 2.0, 3.0)
MARGIN = 0.05   # mean squared error a setting must save over the default to be kept


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ratings", default=str(ROOT / "data" / "ratings-dev"))
    ap.add_argument("--scorecards", nargs="+", default=["competencies-20", "core-5"])
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    ratings_dir = Path(args.ratings)
    if "ratings-dev" not in ratings_dir.name:
        sys.exit("refusing to tune on anything but a dev rating set (data/ratings-dev)")
    ratings = {}
    for line in (ratings_dir / "ratings.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            ratings[(obj["conversation"], obj["scorecard"])] = obj["items"]
    contexts = {}
    for item in audit(read_paths(sorted(ratings_dir.glob("conversations-*.jsonl"))), DetectOptions()):
        if isinstance(item, AuditResult):
            contexts[item.conversation.id] = _Context.build(item.conversation, item.findings)
    for name in args.scorecards:
        card = load_scorecard(name)
        chosen = {}
        for it in card.items:
            base = dataclasses.replace(it, neutral=None, gain=1.0)
            pairs = []
            for conv, ctx in contexts.items():
                human = ratings.get((conv, name), {}).get(it.id)
                if human is not None:
                    pairs.append((human, ctx))

            def mse(neutral, gain):
                trial = dataclasses.replace(base, neutral=neutral, gain=gain)
                scored = [(h, score_item(card, trial, ctx)["score"]) for h, ctx in pairs]
                scored = [(h, m) for h, m in scored if m is not None]
                return sum((h - m) ** 2 for h, m in scored) / len(scored) if scored else 0.0

            if len(pairs) < 8:
                continue
            default = mse(card.neutral, 1.0)
            up = sum(e.points for e in base.raises)
            down = sum(2 * e.points for e in base.lowers) + sum(e.points for e in base.expects)

            def spans_scale(n: float, g: float) -> bool:
                # an agent who shows every raising signal can reach full marks, and every lapse the minimum
                return (not up or n + g * up >= card.max) and (not down or n - g * down <= card.min)

            grid = [(n, g) for n in NEUTRALS for g in GAINS if spans_scale(n, g)] or [(card.neutral, 1.0)]
            best = min(((mse(n, g), n, g) for n, g in grid), key=lambda t: (round(t[0], 6), abs(t[1] - 3) + abs(t[2] - 1)))
            if best[0] < default - MARGIN:
                chosen[it.id] = (best[1], best[2])
            print(f"{name} {it.id:>14}: n={len(pairs):>2} mse default {default:.2f} → best {best[0]:.2f} "
                  f"(neutral {best[1]:g}, gain {best[2]:g}){'  kept' if it.id in chosen else ''}")
        if args.write:
            write(Path(card.path), chosen)


def write(path: Path, chosen: dict[str, tuple[float, float]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    out, current = [], None
    for line in lines:
        m = re.match(r'^  - id: "?([^"]+)"?\s*$', line)
        if m:
            current = m.group(1)
        if re.match(r"^    (neutral|gain):", line):
            continue                    # replaced below
        out.append(line)
        if current in chosen and re.match(r"^    weight:", line):
            neutral, gain = chosen[current]
            out += [f"    neutral: {neutral:g}", f"    gain: {gain:g}"]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {len(chosen)} items to {path}")


if __name__ == "__main__":
    main()
