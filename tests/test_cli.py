"""The command line as users drive it (click's CliRunner): formats, exit codes, errors without tracebacks."""

import json

import pytest
from click.testing import CliRunner

from auditor.cli import main
from conftest import ROOT, jsonl

EXAMPLES = ROOT / "examples"
EN = str(EXAMPLES / "conversations-en.jsonl")
FA = str(EXAMPLES / "conversations-fa.jsonl")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_audit_examples_json_contract():
    result = run("audit", EN, FA, "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    convs = {c["conversation"]: c for c in doc["conversations"]}
    summary = doc["summary"]
    assert summary["read"] == summary["audited"] + summary["rejected"] == len(convs)
    assert {c["language"] for c in convs.values()} == {"fa", "en"}
    source = {}
    for path in (EN, FA):
        for line in open(path, encoding="utf-8"):
            rec = json.loads(line)
            source[rec["id"]] = rec
    signals = set()
    for cid, conv in convs.items():
        for f in conv["findings"]:
            text = source[cid]["turns"][f["turn"]]["text"]
            assert f["evidence"] == text[f["span"][0]:f["span"][1]] and f["evidence"].strip()
            assert f["role"] == source[cid]["turns"][f["turn"]]["role"]
            assert set(f) >= {"conversation", "turn", "role", "signal", "rule", "span", "evidence", "severity",
                              "confidence", "language"}
            signals.add((f["language"], f["signal"]))
    for lang in ("fa", "en"):
        for sig in ("greeting", "apology", "empathy", "negative_phrasing", "closing_check", "frustration"):
            assert (lang, sig) in signals, f"no {sig} found in {lang} examples"


def test_audit_jsonl_ends_with_summary_and_text_shows_evidence():
    result = run("audit", FA, "--format", "jsonl", "-q")
    lines = [json.loads(l) for l in result.stdout.splitlines()]
    assert "summary" in lines[-1] and all("conversation" in l for l in lines[:-1])
    text = run("audit", FA, "-q").stdout
    assert "fa-001" in text and "«" in text


def test_audit_other_formats_read_the_same_conversations():
    transcripts = run("audit", EXAMPLES / "transcripts" / "transcripts-fa.txt", "-f", "json", "-q")
    ids = {c["conversation"] for c in json.loads(transcripts.stdout)["conversations"]}
    jsonl_ids = {json.loads(l)["id"] for l in open(FA, encoding="utf-8")}
    assert ids == jsonl_ids


def test_summary_counts_rejections_on_stderr_and_rejects_file(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(jsonl({"id": "a", "turns": [{"role": "agent", "text": "Hello! How can I help?"}]})
                    + "{broken\n" + jsonl({"id": "b"}), encoding="utf-8")
    rejects = tmp_path / "rejects.jsonl"
    result = run("audit", path, "--rejects", rejects)
    assert result.exit_code == 0
    assert "read 3 = audited 1 + rejected 2" in result.stderr
    assert f"{path}:2: invalid JSON" in result.stderr
    assert [json.loads(l)["line"] for l in rejects.read_text().splitlines()] == [2, 3]


def test_nothing_readable_exits_2_without_traceback(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = run("audit", empty)
    assert result.exit_code == 2 and "error: nothing could be read" in result.stderr
    assert "Traceback" not in result.output
    result = run("audit", tmp_path / "missing.jsonl")
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_lint_exit_codes_select_and_suppression(tmp_path):
    macros = tmp_path / "macros.txt"
    macros.write_text("We can't refund this order.\n"
                      "We can't refund this order. # auditor: disable=all\n"
                      "Hi! Thanks for reaching out.\n", encoding="utf-8")
    result = run("lint", macros)
    assert result.exit_code == 1, result.output
    lines = [l for l in result.stdout.splitlines() if l.strip()]
    assert all(l.startswith(f"{macros}:1:") for l in lines if "negative" in l)
    assert not any(f"{macros}:2:" in l for l in lines)
    assert run("lint", macros, "--fail-level", "error").exit_code == 0
    assert run("lint", macros, "--ignore", "negative_phrasing").exit_code == 0
    result = run("lint", macros, "--select", "greeting", "-f", "jsonl", "-q")
    signals = {f["signal"] for l in result.stdout.splitlines() for f in json.loads(l).get("findings", [])}
    assert signals <= {"greeting"}


def test_lint_persian_macros_report_line_and_column(tmp_path):
    macros = tmp_path / "fa.txt"
    macros.write_text("سلام، وقت بخیر\n  متاسفانه امکان پذير نیست.\n", encoding="utf-8")
    result = run("lint", macros, "-f", "jsonl", "-q")
    findings = [f for l in result.stdout.splitlines() for f in json.loads(l).get("findings", [])]
    neg = [f for f in findings if f["signal"] == "negative_phrasing"]
    assert neg and neg[0]["line"] == 2
    line = "  متاسفانه امکان پذير نیست."
    assert line[neg[0]["column"] - 1:].startswith(neg[0]["evidence"])
    assert result.exit_code == 1


def test_config_in_pyproject_is_found_and_validated(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.auditor]\nignore = ["negative_phrasing"]\n')
    macros = tmp_path / "m.txt"
    macros.write_text("We can't refund this order.\n")
    assert run("lint", macros).exit_code == 0
    (tmp_path / "pyproject.toml").write_text('[tool.auditor]\nignor = ["x"]\n')
    result = run("lint", macros)
    assert result.exit_code == 2 and "unknown [tool.auditor] key" in result.stderr


def test_rules_list_and_explain_both_languages():
    result = run("rules", "list", "--format", "json")
    rules = json.loads(result.stdout)
    assert {r["language"] for r in rules} == {"fa", "en"}
    rule_id = next(r["id"] for r in rules if r["signal"] == "empathy" and r["language"] == "fa")
    result = run("rules", "explain", rule_id)
    assert result.exit_code == 0 and rule_id in result.stdout and "Why:" in result.stdout
    assert "Same signal in English" in result.stdout
    result = run("rules", "explain", rule_id[:-1] + "x")
    assert result.exit_code == 2 and "did you mean" in result.stderr


def test_jobs_gives_the_same_results_as_one_process():
    one = json.loads(run("audit", EN, FA, "-f", "json", "-q").stdout)
    two = json.loads(run("audit", EN, FA, "-f", "json", "-q", "--jobs", "2").stdout)
    assert one["conversations"] == two["conversations"]


@pytest.mark.parametrize("args", [["audit", "--format", "nope", EN], ["audit", EN, "--lang", "de"]])
def test_usage_errors_exit_2(args):
    assert run(*args).exit_code == 2
