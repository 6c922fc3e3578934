"""Every adapter, and the bad inputs the issue lists: each becomes a clear rejection, the run goes on."""

from auditor.ingest import Notice, read_paths
from auditor.types import Conversation, Rejection

from conftest import jsonl

CONV_FA = {"id": "c-fa", "agent": "sara", "turns": [
    {"role": "customer", "text": "سلام، سفارشم هنوز نرسیده!"},
    {"role": "agent", "text": "سلام، وقت بخیر. متوجه نگرانی‌تان هستم.", "speaker": "sara", "mood": "x"}],
    "priority": "high"}
CONV_EN = {"id": "c-en", "turns": [{"role": "customer", "text": "My order is late"},
                                  {"role": "agent", "text": "Sorry to hear that, Sam."}]}


def items(path, **kw):
    return list(read_paths([path], **kw))


def kinds(result):
    return [type(i).__name__ for i in result]


def test_jsonl_reads_conversations_and_keeps_extra_fields(write):
    out = items(write("a.jsonl", jsonl(CONV_FA, CONV_EN)))
    assert kinds(out) == ["Conversation", "Conversation"]
    fa = out[0]
    assert fa.id == "c-fa" and fa.agent == "sara" and fa.turns[1].speaker == "sara"
    assert fa.extra == {"priority": "high"} and fa.turns[1].extra == {"mood": "x"}
    assert fa.to_dict()["priority"] == "high"


def test_jsonl_bad_records_are_rejected_with_line_and_reason(write):
    text = (jsonl(CONV_EN) + "{not json\n" + jsonl({"id": "x"}) + jsonl({"id": "y", "turns": [{"role": "bot2", "text": "hi"}]})
            + jsonl({"id": "z", "turns": [{"role": "agent", "text": "  "}]}) + jsonl({"turns": [{"role": "agent", "text": "a"}]})
            + jsonl(CONV_FA))
    out = items(write("b.jsonl", text))
    assert kinds(out) == ["Conversation", "Rejection", "Rejection", "Rejection", "Rejection", "Rejection", "Conversation"]
    reasons = {r.line: r.reason for r in out if isinstance(r, Rejection)}
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "missing 'turns'"
    assert "unknown role 'bot2'" in reasons[4]
    assert reasons[5] == "turn 0: empty text"
    assert reasons[6] == "missing 'id'"


def test_csv_groups_rows_into_conversations(write):
    text = ("conversation_id,role,text,agent,ts\n"
            "t1,customer,\"Order late, again\",,2026-03-01T10:00:00Z\n"
            "t1,agent,\"Sorry to hear that!\nLet me check.\",maria,2026-03-01T10:01:00Z\n"
            "t2,مشتری,سلام وقت بخیر,,\n"
            "t2,wizard,hi,,\n"
            "t2,اپراتور,سلام در خدمتم,reza,\n")
    out = items(write("t.csv", text))
    convs = [i for i in out if isinstance(i, Conversation)]
    assert [c.id for c in convs] == ["t1", "t2"]
    assert convs[0].agent == "maria" and convs[0].turns[1].text == "Sorry to hear that!\nLet me check."
    assert [t.role for t in convs[1].turns] == ["customer", "agent"]
    rej = [i for i in out if isinstance(i, Rejection)]
    assert len(rej) == 1 and rej[0].line == 6 and "unknown role 'wizard'" in rej[0].reason


def test_csv_without_required_columns_is_one_clear_rejection(write):
    out = items(write("t.csv", "a,b\n1,2\n"))
    assert kinds(out) == ["Rejection"] and "lacks conversation, role, text" in out[0].reason


def test_transcripts_english_and_persian_prefixes(write):
    text = ("# id: en-1 agent: maria\nCustomer: my card was charged twice\nAgent: Sorry about that!\n"
            "I'll fix it now.\n---\nمشتری: سلام، کارتم مسدود شده\nاپراتور: سلام وقتتون بخیر\n"
            "کاربر: ممنون\nپشتیبان (سارا): خواهش می‌کنم\n")
    out = items(write("t.txt", text))
    assert kinds(out) == ["Conversation", "Conversation"]
    en, fa = out
    assert en.id == "en-1" and en.agent == "maria"
    assert en.turns[1].text == "Sorry about that!\nI'll fix it now." and en.turns[1].line == 3
    assert [t.role for t in fa.turns] == ["customer", "agent", "customer", "agent"]
    assert fa.turns[3].speaker == "سارا" and fa.id == "t.txt:6"
    # column points at the text after the prefix, in the original line
    line = text.splitlines()[6]
    assert line[fa.turns[1].column - 1:] == fa.turns[1].text


def test_blank_line_separates_conversations_when_file_has_no_dashes(write):
    out = items(write("t.txt", "Agent: Hi\nCustomer: hello\n\nAgent: Hey\nCustomer: yo\n"))
    assert kinds(out) == ["Conversation", "Conversation"]


def test_canned_lines_with_inline_suppression(write):
    text = ("We can't do that.\n\n# auditor: disable=en.negative.cannot\nWe can't refund it.\n"
            "It ships soon. # auditor: disable=all\n<!-- auditor: disable=en.a,en.b -->\nاین امکان‌پذیر نیست.\n")
    out = items(write("macros.txt", text))
    assert [c.id for c in out] == ["macros.txt:1", "macros.txt:4", "macros.txt:5", "macros.txt:7"]
    assert out[1].suppressed == {0: {"en.negative.cannot"}}
    assert out[2].suppressed == {0: {"all"}} and out[2].turns[0].text == "It ships soon."
    assert out[3].suppressed == {0: {"en.a", "en.b"}}


def test_json_export_formats(write):
    import json
    twitter = [{"dialogHeader": {"sessionID": "s1", "company": "AcmeHelp"},
                "dialogContent": [{"client": "bob", "message": "@AcmeHelp app crashes!!"},
                                  {"agent": "AcmeHelp", "message": "@bob Sorry to hear that. Which version?"}],
                "agentURL": {"url_utterance": "@bob Please update to 2.1."}}]
    out = items(write("tw.json", json.dumps(twitter)))
    assert len(out) == 1 and [t.role for t in out[0].turns] == ["customer", "agent", "agent"]
    zendesk = {"tickets": [{"id": 7, "assignee": "amy", "comments": [
        {"author_type": "end-user", "body": "<p>Refund please</p>"}, {"author_type": "agent", "body": "Done!"}]}]}
    out = items(write("zd.json", json.dumps(zendesk)))
    assert out[0].id == "7" and out[0].agent == "amy" and out[0].turns[0].text.strip() == "Refund please"
    out = items(write("bad.json", '{"tickets": [1, {"id": 2}]}'))
    assert kinds(out) == ["Rejection", "Rejection"]


def test_empty_binary_and_missing_files(write, tmp_path):
    assert "empty file" in items(write("e.jsonl", ""))[0].reason
    assert "binary" in items(write("b.txt", b"\x00\x01\x02\x03binary\x00"))[0].reason
    assert "no such file" in items(tmp_path / "nope.jsonl")[0].reason


def test_folder_walk_reports_unknown_files(write, tmp_path):
    write("a.jsonl", jsonl(CONV_EN))
    write("notes.pdf", b"%PDF-1.4")
    out = list(read_paths([tmp_path]))
    assert kinds(out) == ["Conversation", "Notice"] and "not a transcript format" in out[1].message


def test_windows_1256_persian_is_detected_and_decoded(write):
    text = "اپراتور: سلام، متأسفانه نمی‌توانم کمک کنم\nمشتری: چرا؟\n"
    raw = text.replace("\u200c", " ").replace("ی", "ي").encode("cp1256")
    out = items(write("w.txt", raw))
    assert isinstance(out[0], Notice) and "Windows-1256" in out[0].message
    assert out[1].turns[0].text.startswith("سلام، متأسفانه")


def test_undetectable_encoding_is_refused_with_a_hint(write):
    out = items(write("x.jsonl", bytes(range(128, 256)) * 4))
    assert isinstance(out[0], Rejection) and "iconv" in out[0].reason


def test_invalid_utf8_line_costs_only_that_record(write):
    good = jsonl(CONV_EN).encode()
    out = items(write("m.jsonl", good + b'{"id": "bad \xff\xfe"}\n' + good))
    assert kinds(out) == ["Conversation", "Rejection", "Conversation"] and out[1].line == 2


def test_huge_turn_is_rejected_with_limit_and_hint(write):
    big = {"id": "big", "turns": [{"role": "agent", "text": "x" * 1_048_576}]}
    out = items(write("big.jsonl", jsonl(big, CONV_EN)))
    assert kinds(out) == ["Rejection", "Conversation"]
    assert "1,048,576 characters" in out[0].reason and "--max-turn-chars" in out[0].reason
    assert kinds(items(write("big2.jsonl", jsonl(big)), max_chars=2_000_000)) == ["Conversation"]
