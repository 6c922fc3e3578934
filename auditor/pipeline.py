"""The audit run: ingest stream → detect (→ score) → results, with the counts every run reports.

Kept apart from the CLI so tests, benchmarks and other programs run exactly what `auditor audit` runs.
`jobs > 1` spreads chunks of conversations over worker processes, each building its Detector once
(spaCy's own n_process is slower for blank pipelines: see ../shared/FACTS.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Callable, Iterable, Iterator

from .detect import DetectOptions, Detector
from .ingest import Item, Notice
from .types import Conversation, Finding, Rejection


@dataclass
class AuditResult:
    conversation: Conversation
    findings: list[Finding]
    scores: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        conv = self.conversation
        out = {"conversation": conv.id, "agent": conv.agent, "team": conv.team, "channel": conv.channel,
               "language": conv.language, "source": conv.source, "line": conv.line, "turns": len(conv.turns),
               "languages": sorted({t.language for t in conv.turns if t.language}),
               "findings": [f.to_dict() for f in self.findings]}
        dates = sorted(t.ts for t in conv.turns if t.ts)
        if dates:
            out["started"] = dates[0]
        for key in ("customer_name",):
            if key in conv.extra:
                out[key] = conv.extra[key]
        if self.scores:
            out["scores"] = self.scores
        return out


@dataclass
class Summary:
    read: int = 0
    audited: int = 0
    rejected: int = 0
    turns: int = 0
    findings: int = 0
    by_severity: Counter = field(default_factory=Counter)
    by_signal: Counter = field(default_factory=Counter)
    by_language: Counter = field(default_factory=Counter)
    notices: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def add(self, item: "AuditResult | Rejection | Notice") -> None:
        if isinstance(item, AuditResult):
            self.read += 1
            self.audited += 1
            self.turns += len(item.conversation.turns)
            self.findings += len(item.findings)
            self.by_language[item.conversation.language or "?"] += 1
            for f in item.findings:
                self.by_severity[f.severity] += 1
                self.by_signal[f.signal] += 1
        elif isinstance(item, Rejection):
            self.read += 1
            self.rejected += 1
            self.rejections.append(item)
        else:
            self.notices.append(str(item))

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "audited": self.audited, "rejected": self.rejected, "turns": self.turns,
                "findings": self.findings, "by_severity": dict(self.by_severity),
                "by_signal": dict(sorted(self.by_signal.items())), "by_language": dict(self.by_language),
                "rejections": [r.to_dict() for r in self.rejections], "notices": self.notices}

    def line(self) -> str:
        sev = ", ".join(f"{k} {self.by_severity[k]}" for k in ("error", "warning", "info") if self.by_severity[k])
        langs = ", ".join(f"{k} {v}" for k, v in sorted(self.by_language.items()))
        return (f"read {self.read} = audited {self.audited} + rejected {self.rejected}"
                f" · {self.turns} turns · {self.findings} findings" + (f" ({sev})" if sev else "")
                + (f" · languages: {langs}" if langs else ""))


Scorer = Callable[[Conversation, list[Finding]], list[dict[str, Any]]]

_worker: dict[str, Any] = {}


def _init_worker(options: DetectOptions, scorer_factory) -> None:
    _worker["detector"] = Detector(options)
    _worker["scorer"] = scorer_factory() if scorer_factory else None


def _audit_chunk(chunk: list[Conversation]) -> list[AuditResult]:
    return _audit_many(_worker["detector"], _worker["scorer"], chunk)


def _audit_many(detector: Detector, scorer: Scorer | None, convs: list[Conversation]) -> list[AuditResult]:
    """Detect over a block at once (classifier predictions are batched), then score each conversation."""
    return [AuditResult(conv, findings, scorer(conv, findings) if scorer else [])
            for conv, findings in zip(convs, detector.detect_many(convs))]


def _blocks(items: Iterable[Item], size: int) -> Iterator[list]:
    it = iter(items)
    while True:
        block = list(islice(it, size))
        if not block:
            return
        yield block


def _in_order(block: list, audited: list[AuditResult]) -> Iterator["AuditResult | Rejection | Notice"]:
    """Put audited conversations back among the block's rejections and notices, in input order."""
    results = iter(audited)
    for item in block:
        yield next(results) if isinstance(item, Conversation) else item


def audit(items: Iterable[Item], options: DetectOptions | None = None, scorer_factory=None,
          jobs: int = 1, chunk_size: int = 64) -> Iterator["AuditResult | Rejection | Notice"]:
    """Audit a stream of ingested items, yielding results in input order; rejections pass through."""
    options = options or DetectOptions()
    if jobs <= 1:
        detector = Detector(options)
        scorer = scorer_factory() if scorer_factory else None
        for block in _blocks(items, chunk_size):
            yield from _in_order(block, _audit_many(detector, scorer, [i for i in block if isinstance(i, Conversation)]))
        return
    import multiprocessing as mp

    ctx = mp.get_context("spawn" if mp.get_start_method(allow_none=True) == "spawn" else "fork")
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(options, scorer_factory)) as pool:
        # Rejections/notices must keep their place: send whole blocks, convs audited remotely.
        for block, audited in _ordered(pool, _blocks(items, chunk_size)):
            yield from _in_order(block, audited)


def _ordered(pool, blocks: Iterator[list]):
    pending = []
    for block in blocks:
        convs = [i for i in block if isinstance(i, Conversation)]
        pending.append((block, pool.apply_async(_audit_chunk, (convs,))))
        if len(pending) >= 8:
            b, res = pending.pop(0)
            yield b, res.get()
    for b, res in pending:
        yield b, res.get()
