"""`auditor report`: per-agent / per-team aggregation of audit JSONL (auditor/aggregate.py) and its formats."""

import csv
import io
import json
import math
from collections import Counter

import pytest
from click.testing import CliRunner

from auditor.aggregate import AuditFileError, aggregate, iso_week, load_teams, read_audit
from auditor.cli import main
from auditor.report.agents import render
from auditor.types import Rejection
from conftest import ROOT, jsonl

EXAMPLES = ROOT / "examples"
EN = EXAMPLES / "conversations-en.jsonl"
FA = EXAMPLES / "conversations-fa.jsonl"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


# ---- hand-made audit records ---------------------------------------------------------------------
def ev(turn, signal, effect, evidence, rule="r"):
    return {"turn": turn, "signal": signal, "rule": rule, "span": [0, len(evidence)], "evidence": evidence,
            "effect": effect}


def item(item_id, score, evidence=(), status=None, label=None):
    status = status or ("not_assessable" if score is None else "scored")
    return {"id": item_id, "label": label or f"Item {item_id}", "score": score, "max": 5, "status": status,
            "evidence": list(evidence)}


def record(cid, agent, items, team=None, started=None, signals=(), language="en", card="tiny", critical=()):
    assessable = [i for i in items if i["score"] is not None]
    total = sum(i["score"] for i in assessable)
    amax = 5 * len(assessable)
    rec = {"conversation": cid, "agent": agent, "team": team, "channel": "chat", "language": language,
           "source": "hand.jsonl", "line": None,
           "findings": [{"conversation": cid, "turn": 1, "role": "agent", "signal": s, "rule": "r", "span": [0, 1],
                         "evidence": "x", "severity": "info", "confidence": 1.0, "language": language}
                        for s in signals],
           "scores": [{"scorecard": card, "items": items, "total": total, "max": 15, "assessable_max": amax,
                       "rescaled": round(total / amax * 15, 1) if amax else None, "critical": list(critical)}]}
    if started:
        rec["started"] = started
    return rec


FA_SORRY = "بابت تأخیر سفارشتون متأسفم"
FA_BLAME = "این تقصیر خودتونه"
FA_THANKS = "ممنون که صبر کردید"

RECORDS = [
    # English agent: item 1 scores 3, 4, 5; item 2 scores 2, n/a, 4; item 3 never assessable
    record("en-1", "maria", [item("1", 3, [ev(1, "positive_phrasing", 1.0, "What I can do is")]),
                             item("2", 2, [ev(1, "negative_phrasing", -1.0, "we can't do that")]), item("3", None)],
           team="retail", started="2026-02-02T09:14:05Z", signals=("apology", "apology", "greeting")),
    record("en-2", "maria", [item("1", 4, [ev(3, "empathy", 0.5, "I understand")]), item("2", None), item("3", None)],
           team="retail", started="2026-02-04T10:00:00+00:00", signals=("greeting",)),
    record("en-3", "maria", [item("1", 5, [ev(1, "empathy", 2.0, "I can see why you're upset")]),
                             item("2", 4, [ev(1, "empathy", 1.0, "I can see why you're upset")]), item("3", None)],
           team="retail", started="2026-02-10T08:00:00Z", signals=("empathy",)),
    # Persian agent, Persian evidence; one critical breach (blame)
    record("fa-1", "sara", [item("1", 1, [ev(2, "blame", -2.0, FA_BLAME)], status="critical"),
                            item("2", 4, [ev(1, "apology", 1.0, FA_SORRY)]), item("3", None)],
           started="2026-02-03T08:47:10+03:30", language="fa", signals=("blame", "apology"), critical=("blame",)),
    record("fa-2", "sara", [item("1", 5, [ev(4, "thanks", 1.5, FA_THANKS)]), item("2", 5), item("3", None)],
           language="fa", signals=("thanks",)),
]


@pytest.fixture
def audit_file(write):
    summary = {"summary": {"read": 5, "audited": 5, "rejected": 0}}
    return write("audit.jsonl", jsonl(*RECORDS, summary))


def groups(report):
    return {g["group"]: g for g in report.to_dict()["groups"]}


def card(group, name="tiny"):
    return next(c for c in group["scorecards"] if c["scorecard"] == name)


def items_of(group):
    return {i["id"]: i for i in card(group)["items"]}


# ---- statistics ----------------------------------------------------------------------------------
def test_item_means_sd_n_and_not_assessable(audit_file):
    report = aggregate(read_audit([audit_file]), by="agent")
    assert report.conversations == 5 and report.rejected == 0
    g = groups(report)
    assert list(g) == ["maria", "sara"]
    maria = items_of(g["maria"])
    assert maria["1"]["mean"] == 4.0 and maria["1"]["sd"] == round(math.sqrt(2 / 3), 3) and maria["1"]["n"] == 3
    assert maria["1"]["not_assessable"] == 0
    assert maria["2"]["mean"] == 3.0 and maria["2"]["sd"] == 1.0 and maria["2"]["n"] == 2
    assert maria["2"]["not_assessable"] == 1
    assert maria["3"] == {**maria["3"], "mean": None, "sd": None, "n": 0, "not_assessable": 3}
    assert [i["id"] for i in card(g["maria"])["items"]] == ["1", "2", "3"]     # scorecard order kept
    sara = items_of(g["sara"])
    assert sara["1"]["mean"] == 3.0 and sara["1"]["sd"] == 2.0 and sara["1"]["critical"] == 1
    assert sara["2"]["mean"] == 4.5 and sara["2"]["sd"] == 0.5


def test_totals_critical_and_signals_per_conversation(audit_file):
    g = groups(aggregate(read_audit([audit_file]), by="agent"))
    maria, sara = card(g["maria"]), card(g["sara"])
    # rescaled: en-1 5/10*15=7.5, en-2 4/5*15=12, en-3 9/10*15=13.5
    assert maria["total"]["mean"] == 11.0 and maria["total"]["n"] == 3 and maria["conversations"] == 3
    assert maria["critical"] == 0 and sara["critical"] == 1 and sara["critical_signals"] == {"blame": 1}
    signals = g["maria"]["signals"]
    assert signals["greeting"] == {"count": 2, "per_conversation": round(2 / 3, 3)}
    assert signals["apology"]["per_conversation"] == round(2 / 3, 3) and signals["empathy"]["count"] == 1
    assert g["maria"]["teams"] == ["retail"] and g["sara"]["languages"] == {"fa": 2}


def test_strongest_and_weakest_evidence(audit_file):
    g = groups(aggregate(read_audit([audit_file]), by="agent"))
    strongest = card(g["maria"])["strongest"]
    # the same finding raised items 1 (+2) and 2 (+1): kept once, with its largest effect
    assert [(e["conversation"], e["effect"], e["item"]) for e in strongest] == [
        ("en-3", 2.0, "1"), ("en-1", 1.0, "1"), ("en-2", 0.5, "1")]
    assert strongest[0]["turn"] == 1 and strongest[0]["evidence"] == "I can see why you're upset"
    assert [(e["conversation"], e["effect"]) for e in card(g["maria"])["weakest"]] == [("en-1", -1.0)]
    sara = card(g["sara"])
    assert sara["weakest"][0] == {"conversation": "fa-1", "turn": 2, "item": "1", "label": "Item 1",
                                  "signal": "blame", "rule": "r", "evidence": FA_BLAME, "effect": -2.0}
    assert [e["evidence"] for e in sara["strongest"]] == [FA_THANKS, FA_SORRY]


def test_top_evidence_keeps_three(write):
    recs = [record(f"c{i}", "a", [item("1", 3, [ev(0, "empathy", float(i), f"e{i}")])]) for i in range(1, 6)]
    g = groups(aggregate(read_audit([write("a.jsonl", jsonl(*recs))])))
    assert [e["effect"] for e in card(g["a"])["strongest"]] == [5.0, 4.0, 3.0]


def test_weekly_trend(audit_file):
    g = groups(aggregate(read_audit([audit_file]), by="agent"))
    maria = card(g["maria"])
    assert maria["trend"] == [{"week": "2026-W06", "mean": 9.75, "sd": 2.25, "n": 2},
                              {"week": "2026-W07", "mean": 13.5, "sd": 0.0, "n": 1}]
    sara = card(g["sara"])
    assert sara["trend"] == [{"week": "2026-W06", "mean": 7.5, "sd": 0.0, "n": 1}] and sara["undated"] == 1


@pytest.mark.parametrize("ts, week", [
    ("2026-02-02T09:14:05Z", "2026-W06"), ("2025-12-29T10:00:00+03:30", "2026-W01"),
    ("2027-01-01", "2026-W53"), ("2026-03-01 23:59:00", "2026-W09"), ("yesterday", None), (None, None)])
def test_iso_week(ts, week):
    assert iso_week(ts) == week


# ---- teams ---------------------------------------------------------------------------------------
def test_by_team_from_records_and_no_team(audit_file):
    g = groups(aggregate(read_audit([audit_file]), by="team"))
    assert list(g) == ["retail", "(no team)"]        # sara's records carry no team
    assert g["retail"]["conversations"] == 3 and g["retail"]["agents"] == ["maria"]
    assert g["(no team)"]["agents"] == ["sara"]


@pytest.mark.parametrize("name, content", [
    ("teams.csv", "agent,team\nsara,پشتیبانی\n"),
    ("teams-noheader.csv", "sara,پشتیبانی\n# comment\nnobody,x\n"),
    ("teams.json", json.dumps({"sara": "پشتیبانی"}, ensure_ascii=False)),
    ("teams-list.json", json.dumps([{"agent": "sara", "team": "پشتیبانی"}], ensure_ascii=False)),
])
def test_team_mapping(audit_file, write, name, content):
    teams = load_teams(write(name, content))
    assert teams["sara"] == "پشتیبانی"
    g = groups(aggregate(read_audit([audit_file]), by="team", teams=teams))
    assert set(g) == {"retail", "پشتیبانی"} and g["پشتیبانی"]["conversations"] == 2
    assert items_of(g["پشتیبانی"])["2"]["mean"] == 4.5


def test_team_mapping_overrides_record_team(audit_file, write):
    teams = load_teams(write("t.csv", "agent,team\nmaria,escalations\n"))
    g = groups(aggregate(read_audit([audit_file]), by="team", teams=teams))
    assert set(g) == {"escalations", "(no team)"}
    assert groups(aggregate(read_audit([audit_file]), by="agent", teams=teams))["maria"]["teams"] == ["escalations"]


def test_bad_team_mapping_is_a_user_error(audit_file, write):
    bad = write("t.csv", "agent,team\nmaria\n")
    result = run("report", audit_file, "--by", "team", "--teams", bad)
    assert result.exit_code == 2 and "t.csv:2" in result.stderr and "Traceback" not in result.output


# ---- malformed input -----------------------------------------------------------------------------
def test_malformed_lines_are_rejected_with_file_line(write):
    text = jsonl(RECORDS[0]) + "{not json\n" + "\n" + jsonl([1, 2], {"conversation": "x", "scores": "no"}) \
        + jsonl(*RECORDS[1:3], {"summary": {"rejected": 2}})
    path = write("audit.jsonl", text)
    items = list(read_audit([path]))
    rejections = [i for i in items if isinstance(i, Rejection)]
    assert [(r.line, r.source) for r in rejections] == [(2, str(path)), (4, str(path)), (5, str(path))]
    assert "not valid JSON" in rejections[0].reason and "'scores' must be a list" in rejections[2].reason
    report = aggregate(iter(items))
    assert report.conversations == 3 and report.rejected == 3 and report.audit_rejected == 2
    assert groups(report)["maria"]["conversations"] == 3

    result = run("report", path, "--format", "json")
    assert result.exit_code == 0
    assert f"rejected: {path}:2: not valid JSON" in result.stderr
    assert "3 conversations + 3 rejected" in result.stderr
    assert json.loads(result.stdout)["rejected"] == 3


def test_conversation_file_is_not_an_audit_file():
    with pytest.raises(AuditFileError, match="conversation record"):
        list(read_audit([EN]))
    result = run("report", EN)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and "not an audit JSONL file" in result.stderr
    assert "auditor audit" in result.stderr and "--format jsonl" in result.stderr


@pytest.mark.parametrize("content", ["", "agent,text\nmaria,hello\n", '{"conversations": [\n{"x": 1}\n]}\n'])
def test_other_inputs_are_not_audit_files(write, content):
    result = run("report", write("in.jsonl", content))
    assert result.exit_code == 2 and "not an audit JSONL file" in result.stderr and "Traceback" not in result.output


def test_missing_file_and_unknown_scorecard(audit_file, tmp_path):
    result = run("report", tmp_path / "nope.jsonl")
    assert result.exit_code == 2 and "no such file" in result.stderr
    result = run("report", audit_file, "--scorecard", "competencies-20")
    assert result.exit_code == 2 and "found: tiny" in result.stderr


def test_scorecard_filter_and_duplicates(write):
    both = record("b", "maria", [item("1", 4)], card="other")
    both["scores"] += record("b", "maria", [item("1", 5)])["scores"]
    path = write("a.jsonl", jsonl(record("a", "maria", [item("1", 3)])))
    report = aggregate(read_audit([write("b.jsonl", jsonl(both)), path]), scorecard="other")
    assert report.conversations == 2 and report.scorecards_seen == {"tiny": 2, "other": 1}
    g = groups(report)["maria"]
    assert [c["scorecard"] for c in g["scorecards"]] == ["other"] and card(g, "other")["conversations"] == 1
    # the same audit file given twice counts its conversations once
    again = aggregate(read_audit([path, path]))
    assert again.conversations == 1 and again.duplicates == 1 and any("more than once" in n for n in again.notices)


def test_records_without_scores_give_a_notice(write):
    rec = {k: v for k, v in RECORDS[0].items() if k != "scores"}
    report = aggregate(read_audit([write("a.jsonl", jsonl(rec))]))
    assert groups(report)["maria"]["scorecards"] == [] and "--scorecard" in report.notices[0]


# ---- formats -------------------------------------------------------------------------------------
def render_to_str(path, fmt, by="agent"):
    out = io.StringIO()
    render(aggregate(read_audit([path]), by=by).to_dict(), fmt, out)
    return out.getvalue()


def test_csv_output(audit_file):
    rows = list(csv.DictReader(io.StringIO(render_to_str(audit_file, "csv"))))
    assert list(rows[0]) == ["group", "scorecard", "item", "label", "mean", "sd", "n", "not_assessable"]
    assert len(rows) == 6                               # 2 agents × 3 items
    by = {(r["group"], r["item"]): r for r in rows}
    assert by["maria", "1"] == {"group": "maria", "scorecard": "tiny", "item": "1", "label": "Item 1", "mean": "4.0",
                                "sd": "0.816", "n": "3", "not_assessable": "0"}
    assert by["maria", "3"]["mean"] == "" and by["maria", "3"]["not_assessable"] == "3"


def test_markdown_output(audit_file):
    md = render_to_str(audit_file, "markdown")
    assert md.startswith("# Audit report by agent")
    assert "## maria" in md and "## sara" in md and "### tiny" in md
    assert "| item | label | mean | sd | n | not assessable |" in md
    assert "| 1 | Item 1 | 4.00/5 | 0.82 | 3 | 0 |" in md and "| 3 | Item 3 | — | — | 0 | 3 |" in md
    assert "**Strongest evidence**" in md and "**Weakest evidence**" in md
    assert f"- -2 item 1 (Item 1), blame: «{FA_BLAME}» — fa-1, turn 2" in md and "+0.5 item 1" in md
    assert "| 2026-W06 | 9.75 | 2 |" in md and "1 conversation without a date" in md and "**Weekly trend**" in md


def test_json_and_text_output(audit_file):
    doc = json.loads(render_to_str(audit_file, "json"))
    assert doc["by"] == "agent" and doc["conversations"] == 5 and doc["scorecards"] == ["tiny"]
    assert [g["group"] for g in doc["groups"]] == ["maria", "sara"]
    text = render_to_str(audit_file, "text")
    assert "maria  3 conversations" in text and "scorecard tiny: 11.00/15" in text
    assert FA_BLAME in text and "trend: 2026-W06 9.75 (n 2)" in text and "\x1b[" not in text


def test_cli_output_file_and_format(audit_file, tmp_path):
    out = tmp_path / "report.md"
    result = run("report", audit_file, "--by", "team", "--format", "markdown", "-o", out, "-q")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
    assert "# Audit report by team" in out.read_text(encoding="utf-8") and "## (no team)" in out.read_text(encoding="utf-8")


# ---- end to end ----------------------------------------------------------------------------------
TINY_CARD = """\
id: tiny-e2e
title: Throwaway card for the report test
scale: {min: 1, max: 5, neutral: 3}
items:
  - id: "1"
    label: Positive language
    observable: yes
    raises: {positive_phrasing: 1}
    lowers: {negative_phrasing: 1}
  - id: "2"
    label: Empathy
    observable: yes
    occasion: [frustration]
    raises: {empathy: 1, apology: 0.5}
    critical: [blame]
  - id: "3"
    label: Impact
    observable: no
"""


def test_end_to_end_audit_then_report(write, tmp_path):
    scorecard = write("tiny.yaml", TINY_CARD)
    audit_path = tmp_path / "audit.jsonl"
    result = run("audit", EN, FA, "--format", "jsonl", "--scorecard", scorecard, "-o", audit_path, "-q")
    assert result.exit_code in (0, 1), result.output
    result = run("report", audit_path, "--by", "agent", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    expected = Counter(json.loads(line).get("agent") for path in (EN, FA) for line in open(path, encoding="utf-8"))
    assert {g["group"]: g["conversations"] for g in doc["groups"]} == dict(expected)
    assert doc["rejected"] == 0 and doc["scorecards"] == ["tiny-e2e"]
    for g in doc["groups"]:
        c = card(g, "tiny-e2e")
        items = {i["id"]: i for i in c["items"]}
        assert items["3"]["n"] == 0 and items["3"]["not_assessable"] == g["conversations"]
        assert items["1"]["n"] + items["1"]["not_assessable"] == g["conversations"]
        assert c["trend"] and sum(t["n"] for t in c["trend"]) == c["total"]["n"]
        assert all(e["effect"] > 0 for e in c["strongest"]) and all(e["effect"] < 0 for e in c["weakest"])
    languages = {lang for g in doc["groups"] for lang in g["languages"]}
    assert languages == {"en", "fa"}
    # Persian evidence survives to the report
    fa_evidence = [e["evidence"] for g in doc["groups"] if "fa" in g["languages"]
                   for e in card(g, "tiny-e2e")["strongest"] + card(g, "tiny-e2e")["weakest"]]
    assert any(any("\u0600" <= ch <= "\u06ff" for ch in text) for text in fa_evidence)
    text = run("report", audit_path, "--by", "team").stdout
    assert "retail" in text and "services" in text
    # --scorecard takes the id, or the YAML file that was given to `audit`
    rows = list(csv.DictReader(io.StringIO(run("report", audit_path, "--scorecard", scorecard, "-f", "csv").stdout)))
    assert len(rows) == 3 * len(expected) and {r["scorecard"] for r in rows} == {"tiny-e2e"}
