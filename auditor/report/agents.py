"""Formatters for `auditor report` (per-agent / per-team feedback): text, json, csv, markdown.

Each takes the JSON-ready dict of `auditor.aggregate.Report.to_dict()` and writes to a text stream, so
every format shows the same numbers. Persian evidence is wrapped in directional isolates (FSI…PDI) on
a colour terminal, as in the audit text output.
"""

from __future__ import annotations

import csv
import json
from typing import Any, Callable, TextIO

import click

from .text import FSI, PDI, _shorten

CSV_COLUMNS = ("group", "scorecard", "item", "label", "mean", "sd", "n", "not_assessable")


def _num(x: Any, places: int = 2) -> str:
    """A mean or sd: fixed decimals, `—` when there is none."""
    if x is None:
        return "—"
    return f"{x:.{places}f}" if isinstance(x, float) else str(x)


def _g(x: Any) -> str:
    return "—" if x is None else f"{x:g}"


def _of_max(value: Any, maximum: Any) -> str:
    return _num(value) + (f"/{_g(maximum)}" if maximum is not None and value is not None else "")


def _effect(e: dict) -> str:
    return f"{e['effect']:+g}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _members(group: dict) -> tuple[str, list[str]]:
    key = "teams" if "teams" in group else "agents"
    return key, group.get(key) or []


# ---- json ----------------------------------------------------------------------------------------
def write_json(report: dict, out: TextIO, color: bool = False) -> None:
    out.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")


# ---- csv -----------------------------------------------------------------------------------------
def write_csv(report: dict, out: TextIO, color: bool = False) -> None:
    """One row per group × scorecard item."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in report["groups"]:
        for card in g["scorecards"]:
            for it in card["items"]:
                writer.writerow([g["group"], card["scorecard"], it["id"], it["label"],
                                 "" if it["mean"] is None else it["mean"], "" if it["sd"] is None else it["sd"],
                                 it["n"], it["not_assessable"]])


# ---- markdown ------------------------------------------------------------------------------------
def _md(text: Any) -> str:
    """Safe inside a table cell or a bullet: one line, pipes and markup characters escaped."""
    text = " ".join(str(text).split())
    for ch in ("\\", "|", "*", "_", "`", "<", ">", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return text


def _evidence_md(e: dict) -> str:
    label = str(e.get("label") or "")
    short = label.split(":", 1)[0] if ":" in label else _shorten(label, 40)     # "Empathy: where needed…"
    return (f"{_effect(e)} item {_md(e['item'])} ({_md(short)}), "
            f"{_md(e.get('signal') or '')}: «{_md(_shorten(e.get('evidence') or '', 120))}» "
            f"— {_md(e['conversation'])}, turn {e.get('turn')}")


def write_markdown(report: dict, out: TextIO, color: bool = False) -> None:
    unit = "agent" if report["by"] == "agent" else "team"
    w = out.write
    w(f"# Audit report by {unit}\n\n")
    w(f"{_plural(report['conversations'], 'conversation')}, {_plural(len(report['groups']), unit)}"
      + (f", {report['rejected']} lines rejected" if report["rejected"] else "")
      + (f"; scorecards: {', '.join(report['scorecards'])}" if report["scorecards"] else "") + ".\n\n")
    for notice in report["notices"]:
        w(f"> {_md(notice)}\n\n")
    for g in report["groups"]:
        key, members = _members(g)
        w(f"## {_md(g['group'])}\n\n")
        w(_plural(g['conversations'], "conversation")
          + (f" · {key}: {_md(', '.join(members))}" if members else "")
          + (" · languages: " + ", ".join(f"{k} {v}" for k, v in g["languages"].items()) if g["languages"] else "")
          + "\n\n")
        for card in g["scorecards"]:
            total = card["total"]
            w(f"### {_md(card['scorecard'])}\n\n")
            w(f"Rescaled total: **{_of_max(total['mean'], card['max'])}** (sd {_num(total['sd'])}, n {total['n']})"
              f" · critical breaches: {card['critical']}"
              + (" (" + ", ".join(f"{s} {c}" for s, c in card["critical_signals"].items()) + ")"
                 if card["critical_signals"] else "") + "\n\n")
            w("| item | label | mean | sd | n | not assessable |\n|---|---|---:|---:|---:|---:|\n")
            for it in card["items"]:
                w(f"| {_md(it['id'])} | {_md(it['label'])} | {_of_max(it['mean'], it['max'])} | {_num(it['sd'])} "
                  f"| {it['n']} | {it['not_assessable']} |\n")
            w("\n")
            for title, entries in (("Strongest evidence", card["strongest"]), ("Weakest evidence", card["weakest"])):
                w(f"**{title}**\n\n")
                w("".join(f"- {_evidence_md(e)}\n" for e in entries) if entries else "- none\n")
                w("\n")
            if card["trend"]:
                w("**Weekly trend** (mean rescaled total)\n\n| week | mean | n |\n|---|---:|---:|\n")
                for t in card["trend"]:
                    w(f"| {t['week']} | {_num(t['mean'])} | {t['n']} |\n")
                w("\n")
                if card["undated"]:
                    w(f"{_plural(card['undated'], 'conversation')} without a date.\n\n")
        if g["signals"]:
            w("**Signals per conversation**: " + ", ".join(
                f"{_md(s)} {_num(v['per_conversation'])}" for s, v in g["signals"].items()) + "\n\n")


# ---- text ----------------------------------------------------------------------------------------
def write_text(report: dict, out: TextIO, color: bool = False) -> None:
    def s(text: str, **style) -> str:
        return click.style(text, **style) if color else text

    def iso(text: str) -> str:
        return FSI + text + PDI if color else text

    w = out.write
    for notice in report["notices"]:
        w(s(f"note: {notice}", dim=True) + "\n")
    if report["notices"]:
        w("\n")
    for g in report["groups"]:
        key, members = _members(g)
        head = f"{s(g['group'], bold=True)}  {_plural(g['conversations'], 'conversation')}"
        if members:
            head += f"  {key}: {', '.join(members)}"
        if g["languages"]:
            head += "  " + ", ".join(f"{k} {v}" for k, v in g["languages"].items())
        w(head + "\n")
        for card in g["scorecards"]:
            total = card["total"]
            crit = f"  critical {card['critical']}" if card["critical"] else ""
            w(f"  {s('scorecard ' + card['scorecard'], bold=True)}: {_of_max(total['mean'], card['max'])}"
              f" (sd {_num(total['sd'])}, n {total['n']}){s(crit, fg='red')}\n")
            w(s(f"    {'item':>14}  {'mean':>9}  {'sd':>5}  {'n':>4}  {'n/a':>4}  label", dim=True) + "\n")
            for it in card["items"]:
                w(f"    {_shorten(str(it['id']), 14):>14}  {_of_max(it['mean'], it['max']):>9}  {_num(it['sd']):>5}"
                  f"  {it['n']:>4}  {it['not_assessable']:>4}  {_shorten(it['label'], 50)}\n")
            for title, entries, fg in (("strongest", card["strongest"], "green"), ("weakest", card["weakest"], "red")):
                if not entries:
                    continue
                w(f"    {s(title, fg=fg)}:\n")
                for e in entries:
                    effect = _effect(e)
                    where = s(f"{e['conversation']} turn {e.get('turn')}", dim=True)
                    w(f"      {effect:>5}  item {e['item']:<6} «{iso(_shorten(e.get('evidence') or '', 60))}»  {where}\n")
            if card["trend"]:
                weeks = "  ".join(f"{t['week']} {_num(t['mean'])} (n {t['n']})" for t in card["trend"])
                w(f"    trend: {weeks}\n")
        if g["signals"]:
            top = list(g["signals"].items())[:8]
            w("  signals/conversation: " + ", ".join(f"{k} {_num(v['per_conversation'])}" for k, v in top) + "\n")
        w("\n")


WRITERS: dict[str, Callable[[dict, TextIO, bool], None]] = {
    "text": write_text,
    "json": write_json,
    "csv": write_csv,
    "markdown": write_markdown,
}


def render(report: dict, fmt: str, out: TextIO, color: bool = False) -> None:
    if fmt not in WRITERS:
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(WRITERS)}")
    WRITERS[fmt](report, out, color)
