"""Per-agent / per-team reports from audit results (`auditor audit --format jsonl --scorecard ...`).

Pure functions, no CLI: `read_audit` streams audit JSONL files (one conversation per line, a last
`{"summary": ...}` line), yielding each record or a `Rejection` for a line that is not one (counted and
reported with file:line, the run goes on); `aggregate` folds the records into per-group statistics
without keeping them in memory; `Report.to_dict()` is the JSON contract every formatter renders.

Per group and scorecard: per item the mean, population standard deviation, `n` (conversations where
the item was assessable; a critical breach counts, with the scale minimum as its score) and
`not_assessable`; the mean rescaled total; critical breaches; the strongest and weakest evidence (the
findings with the highest positive / lowest negative effect on any item); and a trend by ISO week of
the conversation's first timestamp (`started`). Per group: findings per signal per conversation.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from .types import Rejection

NO_TEAM = "(no team)"
NO_AGENT = "(no agent)"
GROUP_BY = ("agent", "team")
TOP_EVIDENCE = 3
SNIFF_LINES = 5          # this many bad lines before any good one: the file is not an audit file
HOW_TO = "produce one with `auditor audit FILES --format jsonl --scorecard competencies-20 -o audit.jsonl`"


class AuditFileError(Exception):
    """An input that is not audit JSONL at all (not a few bad lines): the message says how to make one."""


class TeamsFileError(Exception):
    pass


# ---- reading -------------------------------------------------------------------------------------
def _check_record(rec: Any) -> str | None:
    """Why a parsed line is not an audit record, or None when it is one."""
    if not isinstance(rec, dict):
        return f"expected a JSON object, got {type(rec).__name__}"
    if "conversation" not in rec:
        if "turns" in rec:
            return "a conversation record (input to `auditor audit`), not an audit result"
        if "conversations" in rec:
            return "`auditor audit --format json` output; use --format jsonl"
        return "no 'conversation' key: not an audit result"
    if not isinstance(rec["conversation"], (str, int)):
        return "'conversation' must be a string"
    for key in ("agent", "team", "started"):
        if rec.get(key) is not None and not isinstance(rec[key], (str, int)):
            return f"{key!r} must be a string"
    findings = rec.get("findings", [])
    if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
        return "'findings' must be a list of objects"
    scores = rec.get("scores", [])
    if not isinstance(scores, list):
        return "'scores' must be a list"
    for s in scores:
        if not isinstance(s, dict) or "scorecard" not in s or not isinstance(s.get("items"), list):
            return "each score needs 'scorecard' and a list of 'items'"
        if s.get("rescaled") is not None and not _is_number(s["rescaled"]):
            return f"scorecard {s['scorecard']}: 'rescaled' must be a number or null"
        for it in s["items"]:
            if not isinstance(it, dict) or "id" not in it:
                return f"scorecard {s['scorecard']}: each item needs an 'id'"
            if it.get("score") is not None and not _is_number(it["score"]):
                return f"scorecard {s['scorecard']} item {it['id']}: 'score' must be a number or null"
            if not isinstance(it.get("evidence", []), list):
                return f"scorecard {s['scorecard']} item {it['id']}: 'evidence' must be a list"
    return None


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _not_audit(path: str, first_reason: str | None) -> AuditFileError:
    why = f" ({first_reason})" if first_reason else ""
    return AuditFileError(f"{path}: not an audit JSONL file{why}; {HOW_TO}, then `auditor report audit.jsonl`")


def read_audit(paths: Iterable[str | Path]) -> Iterator[dict | Rejection]:
    """Stream audit records from JSONL files; bad lines come out as Rejections, summary lines are skipped.

    Raises AuditFileError for a file that is not audit JSONL (no record among its first lines, or none at
    all), so a wrong input gives one clear message instead of a rejection per line.
    """
    for path in paths:
        path = str(path)
        p = Path(path)
        if not p.exists():
            raise AuditFileError(f"{path}: no such file")
        if p.is_dir():
            raise AuditFileError(f"{path}: is a folder; give audit JSONL files ({HOW_TO})")
        pending: list[Rejection] = []     # rejections held back until the file proves to be audit JSONL
        good = summaries = 0
        with open(p, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
                    rec = json.loads(text)
                    reason = None
                except UnicodeDecodeError:
                    rec, reason = None, "not UTF-8 text"
                except json.JSONDecodeError as exc:
                    rec, reason = None, f"not valid JSON ({exc.msg} at column {exc.colno})"
                if reason is None:
                    if isinstance(rec, dict) and set(rec) == {"summary"}:
                        summaries += 1
                        yield {"summary": rec["summary"], "_source": path}
                        continue
                    reason = _check_record(rec)
                if reason is not None:
                    rej = Rejection(path, lineno, reason)
                    if good or summaries:
                        yield rej
                    else:
                        pending.append(rej)
                        if len(pending) >= SNIFF_LINES:
                            raise _not_audit(path, pending[0].reason)
                    continue
                good += 1
                if pending:
                    yield from pending
                    pending = []
                yield rec
        if pending and not good and not summaries:
            raise _not_audit(path, pending[0].reason)
        if not good and not summaries and not pending:
            raise _not_audit(path, "empty")
        yield from pending


def load_teams(path: str | Path) -> dict[str, str]:
    """An agent → team mapping: CSV with `agent,team` columns (header optional), or JSON
    (`{"agent": "team", ...}` or `[{"agent": ..., "team": ...}, ...]`)."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TeamsFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TeamsFileError(f"{path}: cannot read ({exc})") from None
    if path.lower().endswith(".json") or text.lstrip()[:1] in ("{", "["):
        return _teams_json(path, text)
    return _teams_csv(path, text)


def _teams_json(path: str, text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TeamsFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    out: dict[str, str] = {}
    if isinstance(data, dict):
        for agent, team in data.items():
            if not isinstance(team, str):
                raise TeamsFileError(f"{path}: team of {agent!r} must be a string")
            out[str(agent)] = team
        return out
    if isinstance(data, list):
        for i, row in enumerate(data):
            if not isinstance(row, dict) or not isinstance(row.get("agent"), str) or not isinstance(row.get("team"), str):
                raise TeamsFileError(f"{path}: entry {i + 1} must be {{\"agent\": ..., \"team\": ...}}")
            out[row["agent"]] = row["team"]
        return out
    raise TeamsFileError(f"{path}: expected {{agent: team}} or a list of {{agent, team}}")


def _teams_csv(path: str, text: str) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(text)))
    out: dict[str, str] = {}
    agent_col, team_col, start = 0, 1, 0
    if rows:
        header = [c.strip().lower() for c in rows[0]]
        if "agent" in header and "team" in header:
            agent_col, team_col, start = header.index("agent"), header.index("team"), 1
    for lineno, row in enumerate(rows[start:], start + 1):
        if not row or not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) <= max(agent_col, team_col) or not row[agent_col].strip() or not row[team_col].strip():
            raise TeamsFileError(f"{path}:{lineno}: expected `agent,team`")
        out[row[agent_col].strip()] = row[team_col].strip()
    if not out:
        raise TeamsFileError(f"{path}: no agent,team rows")
    return out


# ---- statistics ----------------------------------------------------------------------------------
class Stat:
    """Running mean and population standard deviation (Welford), so nothing is kept per conversation."""

    __slots__ = ("n", "mean", "_m2")

    def __init__(self) -> None:
        self.n, self.mean, self._m2 = 0, 0.0, 0.0

    def add(self, x: float) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self._m2 += delta * (x - self.mean)

    @property
    def sd(self) -> float | None:
        return math.sqrt(max(self._m2, 0.0) / self.n) if self.n else None

    def to_dict(self) -> dict[str, Any]:
        return {"mean": _r(self.mean) if self.n else None, "sd": _r(self.sd), "n": self.n}


def _r(x: float | None, places: int = 3) -> float | None:
    if x is None:
        return None
    v = round(x, places)
    return 0.0 if v == 0 else v


def iso_week(ts: Any) -> str | None:
    """`YYYY-Www` of an ISO timestamp (in the timestamp's own offset), or None when it does not parse."""
    if not isinstance(ts, str) or not ts.strip():
        return None
    text = ts.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        try:
            d = datetime.fromisoformat(text[:10])
        except ValueError:
            return None
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class ItemStats:
    id: str
    label: str
    max: Any = None
    stat: Stat = field(default_factory=Stat)
    not_assessable: int = 0
    critical: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "max": self.max, **self.stat.to_dict(),
                "not_assessable": self.not_assessable, "critical": self.critical}


@dataclass
class CardStats:
    scorecard: str
    max: Any = None
    conversations: int = 0
    items: dict[str, ItemStats] = field(default_factory=dict)
    total: Stat = field(default_factory=Stat)          # rescaled totals
    unscored: int = 0                                  # nothing assessable: no rescaled total
    critical: int = 0                                  # conversations with a critical breach
    critical_signals: Counter = field(default_factory=Counter)
    strongest: list[dict] = field(default_factory=list)
    weakest: list[dict] = field(default_factory=list)
    weeks: dict[str, Stat] = field(default_factory=dict)
    undated: int = 0
    _seq: int = 0

    def add(self, conversation: str, score: dict, week: str | None) -> None:
        self.conversations += 1
        if self.max is None:
            self.max = score.get("max")
        rescaled = score.get("rescaled")
        if rescaled is not None:
            self.total.add(float(rescaled))
            if week:
                self.weeks.setdefault(week, Stat()).add(float(rescaled))
            else:
                self.undated += 1
        else:
            self.unscored += 1
        if score.get("critical"):
            self.critical += 1
            self.critical_signals.update(set(map(str, score["critical"])))
        best: dict[tuple, dict] = {}
        worst: dict[tuple, dict] = {}
        for it in score["items"]:
            item_id = str(it["id"])
            st = self.items.get(item_id)
            if st is None:
                st = self.items[item_id] = ItemStats(item_id, str(it.get("label", item_id)), it.get("max"))
            if it.get("score") is None:
                st.not_assessable += 1
            else:
                st.stat.add(float(it["score"]))
                if it.get("status") == "critical":
                    st.critical += 1
            for ref in it.get("evidence") or []:
                if not isinstance(ref, dict) or not _is_number(ref.get("effect")):
                    continue
                effect = float(ref["effect"])
                key = (ref.get("turn"), ref.get("signal"), tuple(ref.get("span") or ()), ref.get("evidence"))
                entry = {"conversation": conversation, "turn": ref.get("turn"), "item": item_id,
                         "label": st.label, "signal": ref.get("signal"), "rule": ref.get("rule"),
                         "evidence": ref.get("evidence", ""), "effect": _r(effect)}
                # one finding can move several items: keep it once, with its largest effect
                if effect > 0 and (key not in best or effect > best[key]["effect"]):
                    best[key] = entry
                elif effect < 0 and (key not in worst or effect < worst[key]["effect"]):
                    worst[key] = entry
        for entry in best.values():
            self._keep(self.strongest, entry, reverse=True)
        for entry in worst.values():
            self._keep(self.weakest, entry, reverse=False)

    def _keep(self, top: list[dict], entry: dict, reverse: bool) -> None:
        self._seq += 1
        top.append({**entry, "_seq": self._seq})
        # highest (or lowest) effect first; ties keep the earlier conversation
        top.sort(key=lambda e: (-e["effect"] if reverse else e["effect"], e["_seq"]))
        del top[TOP_EVIDENCE:]

    def to_dict(self) -> dict[str, Any]:
        def clean(entries):
            return [{k: v for k, v in e.items() if k != "_seq"} for e in entries]

        return {"scorecard": self.scorecard, "max": self.max, "conversations": self.conversations,
                "total": self.total.to_dict(), "unscored": self.unscored, "critical": self.critical,
                "critical_signals": dict(sorted(self.critical_signals.items())),
                "items": [i.to_dict() for i in self.items.values()],
                "strongest": clean(self.strongest), "weakest": clean(self.weakest),
                "trend": [{"week": w, **self.weeks[w].to_dict()} for w in sorted(self.weeks)],
                "undated": self.undated}


@dataclass
class GroupStats:
    name: str
    conversations: int = 0
    signals: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    members: Counter = field(default_factory=Counter)   # agents of a team, teams of an agent
    cards: dict[str, CardStats] = field(default_factory=dict)

    def add(self, rec: dict, member: str | None, scorecard: str | None) -> None:
        self.conversations += 1
        conversation = str(rec["conversation"])
        for f in rec.get("findings") or []:
            self.signals[str(f.get("signal", "?"))] += 1
        self.languages[str(rec.get("language") or "?")] += 1
        if member:
            self.members[member] += 1
        week = iso_week(rec.get("started"))
        for score in rec.get("scores") or []:
            card_id = str(score["scorecard"])
            if scorecard and card_id != scorecard:
                continue
            card = self.cards.get(card_id)
            if card is None:
                card = self.cards[card_id] = CardStats(card_id)
            card.add(conversation, score, week)

    def to_dict(self, by: str) -> dict[str, Any]:
        n = self.conversations
        signals = sorted(self.signals.items(), key=lambda kv: (-kv[1], kv[0]))
        return {"group": self.name, "conversations": n,
                ("teams" if by == "agent" else "agents"): [m for m, _ in sorted(
                    self.members.items(), key=lambda kv: (-kv[1], kv[0]))],
                "languages": dict(sorted(self.languages.items())),
                "signals": {s: {"count": c, "per_conversation": _r(c / n if n else 0.0)} for s, c in signals},
                "scorecards": [c.to_dict() for c in self.cards.values()]}


@dataclass
class Report:
    by: str
    inputs: list[str]
    scorecard: str | None = None
    groups: dict[str, GroupStats] = field(default_factory=dict)
    conversations: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    duplicates: int = 0
    audit_rejected: int = 0          # records the audit runs themselves rejected (from their summary lines)
    scorecards_seen: Counter = field(default_factory=Counter)
    notices: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def to_dict(self) -> dict[str, Any]:
        groups = sorted(self.groups.values(), key=lambda g: (g.name.startswith("(no "), g.name.casefold(), g.name))
        return {"by": self.by, "inputs": self.inputs, "scorecard": self.scorecard,
                "conversations": self.conversations, "rejected": self.rejected,
                "rejections": [r.to_dict() for r in self.rejections], "duplicates": self.duplicates,
                "audit_rejected": self.audit_rejected, "scorecards": sorted(self.scorecards_seen),
                "notices": self.notices, "groups": [g.to_dict(self.by) for g in groups]}

    def line(self) -> str:
        unit = "agents" if self.by == "agent" else "teams"
        extra = f" · {self.duplicates} duplicates skipped" if self.duplicates else ""
        return (f"read {self.conversations + self.rejected} records = {self.conversations} conversations"
                f" + {self.rejected} rejected{extra} · {len(self.groups)} {unit}"
                + (f" · scorecards: {', '.join(sorted(self.scorecards_seen))}" if self.scorecards_seen else ""))


def group_of(rec: dict, by: str, teams: dict[str, str] | None = None) -> tuple[str, str | None]:
    """(group name, the other dimension) for a record: the agent and its team, or the team and the agent.

    A team comes from the mapping when one is given and knows the agent, else from the record's `team`.
    """
    agent = str(rec["agent"]) if rec.get("agent") not in (None, "") else None
    team = (teams or {}).get(agent) if agent else None
    if team is None and rec.get("team") not in (None, ""):
        team = str(rec["team"])
    if by == "agent":
        return agent or NO_AGENT, team
    return team or NO_TEAM, agent


def aggregate(items: Iterable[dict | Rejection], by: str = "agent", teams: dict[str, str] | None = None,
              scorecard: str | None = None, inputs: Iterable[str] = (), on_rejection=None) -> Report:
    """Fold audit records (and Rejections, e.g. from `read_audit`) into a Report.

    `scorecard` keeps only that scorecard's scores; `on_rejection(rej)` is called as each one arrives.
    """
    if by not in GROUP_BY:
        raise ValueError(f"by must be one of {GROUP_BY}")
    report = Report(by=by, inputs=[str(i) for i in inputs], scorecard=scorecard)
    seen: set[tuple] = set()
    for item in items:
        if isinstance(item, Rejection):
            report.rejections.append(item)
            if on_rejection:
                on_rejection(item)
            continue
        if "summary" in item and "conversation" not in item:
            summary = item["summary"]
            if isinstance(summary, dict) and isinstance(summary.get("rejected"), int):
                report.audit_rejected += summary["rejected"]
            continue
        key = (str(item["conversation"]), item.get("source"), item.get("line"))
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        report.conversations += 1
        for s in item.get("scores") or []:
            report.scorecards_seen[str(s["scorecard"])] += 1
        name, member = group_of(item, by, teams)
        group = report.groups.get(name)
        if group is None:
            group = report.groups[name] = GroupStats(name)
        group.add(item, member, scorecard)
    if report.conversations and not report.scorecards_seen:
        report.notices.append("no scores in the input: run `auditor audit ... --scorecard NAME` to score items")
    if report.duplicates:
        report.notices.append(f"{report.duplicates} conversations appeared more than once; counted once")
    if report.audit_rejected:
        report.notices.append(f"the audit runs rejected {report.audit_rejected} input records (see their summaries)")
    return report
